/**
 * The SBC security section (scenarios/security.ts, docs/security.md) through the embedded SBC:
 * OK by default, N/A where the profile's sbc.securityClaims leaves an item out, an open switch
 * named in the run's notes and judged NOK. Intruders on 127.0.93.1 (LAN) and 127.0.93.2 (WAN).
 * Each fault of the section is in scenarios/fault-effects.ts, run by faults.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';
import { type CaseContext, runPlan } from '../../harness/runner/index.ts';
import { buildReportModel } from '../../reports/report-model.ts';
import { PLAN, SECTIONS } from '../../scenarios/index.ts';
import { bruteForceVerdict } from '../../scenarios/security.ts';
import { intruderAddress } from '../../scenarios/security-tools.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function profile(): Profile {
  const p = loadProfile();
  p.security.lanIntruder = '127.0.93.1';
  p.security.wanIntruder = '127.0.93.2';
  return p;
}

async function run(p: Profile, only: string) {
  const outDir = mkdtempSync(join(tmpdir(), 'security-'));
  dirs.push(outDir);
  const r = await runPlan({
    cases: PLAN,
    profile: p,
    profileFile: 'profiles/embedded.yaml',
    outDir,
    harnessVersion: 'test',
    only,
    quick: true,
    workers: 2,
  });
  return r;
}

describe('the SBC security section through the embedded SBC', () => {
  it('S-1 … S-5, S-7 and S-8 are OK by default, each saying what the intruder got', {
    timeout: 240_000,
  }, async () => {
    const r = await run(profile(), 'S-1,S-2,S-3,S-4,S-5,S-7,S-8');
    const byId = new Map(r.results.cells.map((c) => [c.id, c]));
    for (const id of ['S-1', 'S-2', 'S-3', 'S-4', 'S-5', 'S-7', 'S-8'])
      expect(byId.get(id)?.verdict, `${id}: ${byId.get(id)?.comment}`).toBe('OK');
    expect(byId.get('S-1')?.comment).toMatch(/127\.0\.93\.1 was answered .*401/);
    expect(byId.get('S-2')?.comment).toMatch(/127\.0\.93\.2 was answered .*403/);
    expect(byId.get('S-3')?.comment).toMatch(/answered 401 \(new challenge, stale=true\)/);
    expect(byId.get('S-4')?.comment).toMatch(/the right password from 127\.0\.93\.1 afterwards: 503/);
    expect(byId.get('S-7')?.comment).toMatch(/Flood: 500 INVITEs from 127\.0\.93\.2/);
    expect(byId.get('S-8')?.comment).toMatch(/Burst: 2000 malformed messages from 127\.0\.93\.2/);
    for (const c of r.results.cells) expect(c.comment).toMatch(/^Not in the report/);
    expect(SECTIONS.S?.title).toMatch(/not in the report/);
  });

  it('S-6 is OK by default: the provider leg of a call never ACKed is released', {
    timeout: 240_000,
  }, async () => {
    const r = await run(profile(), 'S-6');
    const c = r.results.cells[0];
    expect(c?.verdict, c?.comment).toBe('OK');
  });

  it('a case is N/A where sbc.securityClaims leaves its item out', { timeout: 120_000 }, async () => {
    const p = profile();
    p.sbc.securityClaims = ['wan-access'];
    const r = await run(p, 'S-*');
    const byId = new Map(r.results.cells.map((c) => [c.id, c]));
    expect(byId.get('S-2')?.verdict).toBe('OK');
    for (const id of ['S-1', 'S-3', 'S-4', 'S-5', 'S-6', 'S-7', 'S-8']) {
      expect(byId.get(id)?.verdict, id).toBe('N/A');
      expect(byId.get(id)?.comment).toMatch(/not in sbc\.securityClaims/);
    }
  });

  it('an open switch is named in the run’s notes, and the case judges the SBC as opened: NOK', {
    timeout: 120_000,
  }, async () => {
    const p = profile();
    p.sbc.open.lanInvites = true;
    p.tls.verify = false;
    const r = await run(p, 'S-1');
    const c = r.results.cells[0];
    expect(c?.verdict, c?.comment).toBe('NOK');
    expect(c?.comment).toMatch(/went on to the provider/);
    const notes = buildReportModel({ results: r.results, plan: PLAN, sections: SECTIONS }).notes.join('\n');
    expect(notes).toMatch(/Security switches open in the profile.*sbc\.open\.lanInvites.*tls\.verify: false/);
  });

  it('the intruders’ addresses default to the OXO’s and the provider’s with the last byte 250', () => {
    const p = loadProfile();
    const ctx = { profile: p } as CaseContext;
    const last250 = (a: string) => `${a.split('.').slice(0, 3).join('.')}.250`;
    expect(intruderAddress(ctx, 'lan')).toBe(last250(p.oxo.address));
    expect(intruderAddress(ctx, 'wan')).toBe(last250(p.provider.address));
    p.provider.address = '::1';
    expect(() => intruderAddress(ctx, 'wan')).toThrow(/security\.wanIntruder/);
  });
});

describe('S-4: blocked or slowed, both legal', () => {
  const max = 2;
  it('is OK when the source is blocked, however fast the guesses were answered', () => {
    expect(bruteForceVerdict({ examined: 10, seconds: 0.1, rightStatus: 503, maxPerS: max })).toMatchObject({
      ok: true,
      blocked: true,
      slowed: false,
    });
    // No answer to the right password is a block too.
    expect(
      bruteForceVerdict({ examined: 10, seconds: 0.1, rightStatus: undefined, maxPerS: max }).blocked,
    ).toBe(true);
  });

  it('is OK when the guesses are slowed, even if the right password is then accepted', () => {
    expect(bruteForceVerdict({ examined: 30, seconds: 30, rightStatus: 200, maxPerS: max })).toMatchObject({
      ok: true,
      blocked: false,
      slowed: true,
    });
  });

  it('is NOK when every guess is examined at speed and the right password is then accepted', () => {
    const v = bruteForceVerdict({ examined: 200, seconds: 0.6, rightStatus: 200, maxPerS: max });
    expect(v.ok).toBe(false);
    expect(v.rate).toBeGreaterThan(300);
  });
});
