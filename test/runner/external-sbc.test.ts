/**
 * A run against an SBC the harness did not start and cannot configure (`sbc.kind: external`,
 * `sbc.adapter: generic`): here the reference SBC, started on its own as a lab would start a
 * real one, with its line registered once at whatever provider answers. The simulators live
 * for the whole run, so T-3 sees that one registration; a case whose SBC precondition nobody
 * applied is INCOMPLETE (its dependent check recorded, not judged), never OK or NOK; with an
 * engineer who confirms the setting, the same case is judged.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../harness/actors/index.ts';
import { loadProfile, parseProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';
import { type Cell, runPlan, ScriptedPrompter } from '../../harness/runner/index.ts';
import { PLAN } from '../../scenarios/index.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ext-run-'));
  dirs.push(d);
  return d;
}

/** The default profile moved to this test's own addresses (free of other tests' labs). */
function profileOn(kind: 'embedded' | 'external'): Profile {
  const p = structuredClone(loadProfile());
  p.sbc.kind = kind;
  p.sbc.lan.address = '127.0.61.2';
  p.sbc.wan.address = '127.0.71.2';
  p.provider.address = '127.0.71.1';
  p.oxo.address = '127.0.61.1';
  p.oxo.trunk.domain = '127.0.61.2';
  // The stand-alone SBC registers its line every few seconds until the provider answers.
  p.provider.line.registrationWaitS = 30;
  return p;
}

describe('a run against an external SBC (generic adapter)', () => {
  let sbcLab: Lab;
  const sbcProfile = profileOn('embedded');
  beforeAll(async () => {
    // The SBC alone, on fixed ports, as `sbc-harness sbc` starts it.
    sbcLab = await Lab.start({ profile: sbcProfile, only: ['sbc'], register: false });
  });
  afterAll(async () => {
    await sbcLab?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const cellOf = (cells: Cell[], id: string) => cells.find((c) => c.id === id) as Cell;

  it('keeps the simulators for the run (T-3 sees the one registration), and never judges an unapplied setting', {
    timeout: 120_000,
  }, async () => {
    const out = tmp();
    const profile = profileOn('external');
    const r = await runPlan({
      cases: PLAN,
      profile,
      profileFile: 'external.yaml',
      outDir: out,
      harnessVersion: 'test',
      quick: true,
      only: 'T-2,T-3,8-1-4,8-2-1,T-6',
    });
    const cells = r.results.cells;
    const v = Object.fromEntries(cells.map((c) => [c.id, c.verdict]));
    expect(v).toEqual({
      '8-1-4': 'INCOMPLETE',
      '8-2-1': 'OK',
      'T-2': 'OK',
      'T-3': 'OK',
      'T-6': 'INCOMPLETE',
    });
    // The line registered once for the whole run, not once per case.
    const sbc = sbcLab.sbc!;
    expect(sbc.lineState).toBe('registered');
    // 8-1-4: the codec order was not applied, so its offer-order check is recorded, not judged.
    const c814 = cellOf(cells, '8-1-4');
    const order = c814.checks.find((k) => /lists G\.723\.1 first/.test(k.name));
    expect(order?.judged).toBe(false);
    expect(order?.notJudged).toMatch(/codec order G723/);
    expect(c814.incomplete?.[0]).toMatch(/SBC setting not applied: codec order G723/);
    expect(c814.comment).toMatch(/not judged: the SBC's offer toward the provider lists G\.723\.1 first/);
    // The other checks of the case were judged and passed.
    expect(c814.checks.filter((k) => k.judged !== false).every((k) => k.ok)).toBe(true);
    expect(r.exitCode).toBe(3);
    // Across the evidence of the run (set-up and cases), the SBC registered its line with
    // credentials exactly once: no case restarted the provider and made it register again.
    const files = readdirSync(join(out, 'cases')).filter((f) => f.endsWith('.sip.txt'));
    expect(files).toContain('run-setup.sip.txt');
    const messages = files
      .map((f) => readFileSync(join(out, 'cases', f), 'utf8'))
      .join('\n')
      .split(/\n(?=--- )/);
    const lineRegisters = messages.filter((m) => /\nREGISTER sip:provider\.test /.test(m));
    expect(lineRegisters.filter((m) => /\nAuthorization:/i.test(m))).toHaveLength(1);
  });

  it('judges the setting when the engineer confirms it', { timeout: 60_000 }, async () => {
    const out = tmp();
    const prompter = new ScriptedPrompter(['yes']);
    const r = await runPlan({
      cases: PLAN,
      profile: profileOn('external'),
      profileFile: 'external.yaml',
      outDir: out,
      harnessVersion: 'test',
      quick: true,
      only: '8-1-4',
      prompter,
    });
    expect(prompter.asked[0]).toMatch(/Set the SBC to: codec order G723/);
    const c = r.results.cells[0] as Cell;
    // The reference SBC was not really set so (nobody can reach into it here): the engineer's
    // "yes" makes the offer-order check count, and it fails, naming the order seen.
    expect(c.verdict).toBe('NOK');
    expect(c.comment).toMatch(/offered .* first toward the provider although G\.723\.1 is its first codec/);
    expect(c.answers?.[0]?.answer).toBe('yes');
  });
});

describe('an external SBC that has not registered its line yet', () => {
  it('leaves T-3 INCOMPLETE, not NOK, when no REGISTER arrived within the wait', {
    timeout: 60_000,
  }, async () => {
    // A freshly started SBC tried its line once, before any provider listened, and retries only
    // 5 s later; with no wait, T-3 has nothing to judge.
    const sbc = await Lab.start({ profile: profileOn('embedded'), only: ['sbc'], register: false });
    try {
      const profile = profileOn('external');
      profile.provider.line.registrationWaitS = 0;
      const r = await runPlan({
        cases: PLAN,
        profile,
        profileFile: 'external.yaml',
        outDir: tmp(),
        harnessVersion: 'test',
        quick: true,
        only: 'T-3',
      });
      const c = r.results.cells[0] as Cell;
      expect(c.verdict).toBe('INCOMPLETE');
      expect(c.incomplete?.[0]).toMatch(
        /no REGISTER of line \+4930123456 reached the provider simulator within 0 s/,
      );
      expect(r.exitCode).toBe(3);
    } finally {
      await sbc.stop();
    }
  });
});

describe('profile keys of an external SBC', () => {
  const base = readFileSync(new URL('../../profiles/embedded.yaml', import.meta.url), 'utf8');
  it('reports keys that only the embedded SBC reads', () => {
    const warnings: string[] = [];
    const text = base.replace('kind: embedded', 'kind: external');
    parseProfile(text, 'x.yaml', process.env, warnings);
    expect(warnings.some((w) => /^sbc\.referPolicy has no effect with sbc\.kind: external/.test(w))).toBe(
      true,
    );
    expect(warnings.some((w) => /^sbc\.transcoding has no effect/.test(w))).toBe(true);
    const none: string[] = [];
    parseProfile(base, 'x.yaml', process.env, none);
    expect(none).toEqual([]);
  });

  it('refuses an adapter that does not fit the SBC kind, naming the key', () => {
    expect(() =>
      parseProfile(base.replace('kind: embedded', 'kind: embedded\n  adapter: generic'), 'x.yaml'),
    ).toThrow(/sbc\.adapter: "generic" needs sbc\.kind: external/);
    expect(() =>
      parseProfile(base.replace('kind: embedded', 'kind: external\n  adapter: embedded'), 'x.yaml'),
    ).toThrow(/sbc\.adapter: "embedded" configures only the embedded SBC/);
  });
});
