/**
 * Every fault switch of the embedded SBC turns exactly the cases it affects NOK, with a comment
 * naming the symptom, while control cases it does not affect stay OK (scenarios/fault-effects.ts,
 * docs/fault-cases.md). This is what makes an OK from the harness worth something.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import { runPlan } from '../../harness/runner/index.ts';
import { CONTROL_CASES, FAULT_EFFECTS } from '../../scenarios/fault-effects.ts';
import { PLAN } from '../../scenarios/index.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('fault switches of the embedded SBC', () => {
  it('docs/fault-cases.md lists every fault with its cases', () => {
    const doc = readFileSync(new URL('../../docs/fault-cases.md', import.meta.url), 'utf8');
    const ids = new Set(PLAN.map((c) => c.id));
    for (const f of FAULT_EFFECTS) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${f.fault}\` |`));
      expect(row, f.fault).toBeDefined();
      for (const id of f.affected) {
        expect(ids.has(id), `${f.fault}: ${id} is a case of the plan`).toBe(true);
        expect(row).toContain(id);
      }
    }
  });

  for (const f of FAULT_EFFECTS) {
    it(`${f.fault}: ${(f.tested ?? f.affected).join(', ')} NOK naming the symptom; controls stay OK`, {
      timeout: 240_000,
    }, async () => {
      const affected = f.tested ?? f.affected;
      const controls = f.controls ?? CONTROL_CASES.filter((id) => !f.affected.includes(id)).slice(0, 3);
      const profile = loadProfile();
      if (f.profile === 'oxo-info') profile.oxo.dtmf.info = true;
      if (f.profile === 'oxo-refer') profile.oxo.transferMode = 'refer';
      const outDir = mkdtempSync(join(tmpdir(), 'fault-'));
      dirs.push(outDir);
      const r = await runPlan({
        cases: PLAN,
        profile,
        profileFile: 'profiles/embedded.yaml',
        outDir,
        harnessVersion: 'test',
        only: [...affected, ...controls].join(','),
        quick: true,
        workers: 2,
        faults: [f.fault],
      });
      const byId = new Map(r.results.cells.map((c) => [c.id, c]));
      for (const id of affected) {
        const c = byId.get(id);
        expect(c?.verdict, `${f.fault} → ${id}: ${c?.comment}`).toBe('NOK');
        expect(c?.comment, `${f.fault} → ${id}`).toMatch(f.symptom);
      }
      for (const id of controls) {
        const c = byId.get(id);
        expect(c?.verdict, `${f.fault} must not affect ${id}: ${c?.comment}`).toBe('OK');
      }
    });
  }
});
