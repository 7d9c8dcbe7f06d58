/**
 * A line written as a real SBC's line is: a name user ("sbc-line"), the line's number and the
 * extension DIDs in national form with separators, the PSTN numbers in national form. The plan
 * runs through the embedded SBC: the line registers (T-3), a PSTN call reaches Premium
 * Deskphone 1 by its DID (8-3-2) and a deskphone reaches the IVR (8-2-1): the provider matches
 * numbers across forms, the OXO finds the extension by its DID.
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

describe('a line with a name user and national numbers', () => {
  it('registers, takes calls to its DIDs and calls out', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'line-forms-'));
    dirs.push(outDir);
    const profile = loadProfile();
    // What the loader keeps of "030 123456", "030 123456-100", "040 555 001": the wire forms.
    profile.provider.line.user = 'sbc-line';
    profile.provider.line.number = '030123456';
    for (const [id, suffix] of [
      ['deskphone1', '100'],
      ['deskphone2', '101'],
      ['fxs1', '110'],
      ['attendant', '000'],
    ] as const)
      profile.oxo.extensions[id].did = `030123456${suffix}`;
    if (profile.oxo.extensions.remote) profile.oxo.extensions.remote.did = '030123456102';
    profile.provider.phones = profile.provider.phones.map((p) => ({
      ...p,
      number: p.number.replace(/^\+49/, '0'),
    }));
    profile.provider.ivrNumber = profile.provider.ivrNumber.replace(/^\+49/, '0');
    const r = await runPlan({
      cases: PLAN,
      profile,
      profileFile: 'profiles/embedded.yaml',
      outDir,
      harnessVersion: 'test',
      only: 'T-3,8-3-2,8-2-1',
      quick: true,
      faults: [],
    });
    const cells = Object.fromEntries(r.results.cells.map((c) => [c.id, c]));
    for (const id of ['T-3', '8-3-2', '8-2-1'])
      expect(cells[id]?.verdict, `${id}: ${cells[id]?.comment}`).toBe('OK');
  });
});
