/**
 * The two cases added beyond the report's rows: T-10 (G.722 end to end) sees the SBC narrow the
 * band, and 8-5-4 (transfer of an external call by REFER) sees the SBC refuse REFER, or pass it on
 * to a provider that carries it out (or refuses it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import { runPlan } from '../../harness/runner/index.ts';
import { PLAN } from '../../scenarios/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(
  only: string,
  faults: string[],
  edit: (p: ReturnType<typeof loadProfile>) => void = () => undefined,
) {
  const outDir = mkdtempSync(join(tmpdir(), 'added-'));
  dirs.push(outDir);
  const profile = loadProfile();
  edit(profile);
  const r = await runPlan({
    cases: PLAN,
    profile,
    profileFile: 'profiles/embedded.yaml',
    outDir,
    harnessVersion: 'test',
    only,
    quick: true,
    faults,
  });
  return r.results.cells[0]!;
}

describe('cases added beyond the report', () => {
  it('T-10 is OK with G.722 end to end, and NOK when the SBC forces narrowband', async () => {
    expect((await run('T-10', [])).verdict).toBe('OK');
    const bad = await run('T-10', ['force-narrowband']);
    expect(bad.verdict).toBe('NOK');
    expect(bad.comment).toMatch(/no energy above 4 kHz/);
  });

  it('8-5-4 is N/A inside the PBX, OK by REFER, and NOK when the SBC answers REFER 405', async () => {
    const na = await run('8-5-4', []);
    expect(na.verdict).toBe('N/A');
    expect(na.comment).toMatch(/oxo\.transferMode: internal/);
    const refer = (p: ReturnType<typeof loadProfile>) => {
      p.oxo.transferMode = 'refer';
    };
    expect((await run('8-5-4', [], refer)).verdict).toBe('OK');
    const bad = await run('8-5-4', ['refer-405'], refer);
    expect(bad.verdict).toBe('NOK');
    expect(bad.comment).toMatch(/answered the REFER .* with 405/);
  });

  it('8-5-4 judges an SBC that passes REFER on to the provider: OK when the provider transfers, NOK with refer-405', async () => {
    const pass = (refer: boolean) => (p: ReturnType<typeof loadProfile>) => {
      p.oxo.transferMode = 'refer';
      p.sbc.referPolicy = 'pass';
      p.provider.refer = refer;
    };
    const ok = await run('8-5-4', [], pass(true));
    expect(ok.verdict, ok.comment).toBe('OK');
    expect(ok.comment).toMatch(/passed the REFER on to the provider/);
    const bad = await run('8-5-4', ['refer-405'], pass(true));
    expect(bad.verdict).toBe('NOK');
    expect(bad.comment).toMatch(/answered the REFER .* with 405/);
    // A provider without transfer refuses the relayed REFER; an SBC that only passes it on fails.
    const refused = await run('8-5-4', [], pass(false));
    expect(refused.verdict).toBe('NOK');
    expect(refused.comment).toMatch(/answered the REFER .* with 405/);
  });
});
