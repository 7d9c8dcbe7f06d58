/**
 * Runs cases of the plan as `run --quick --only IDS` does, on the embedded SBC, into a fresh
 * temporary folder that is removed afterwards; returns the cells by case id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';
import { type Cell, runPlan } from '../../harness/runner/index.ts';
import { PLAN } from '../../scenarios/index.ts';

export interface QuickPlanOptions {
  /** The profile (default: profiles/embedded.yaml as loaded). */
  profile?: Profile;
  faults?: string[];
  personalities?: string[];
  /** Cases side by side (default 2). */
  workers?: number;
}

export async function quickPlanCells(only: string, o: QuickPlanOptions = {}): Promise<Map<string, Cell>> {
  const outDir = mkdtempSync(join(tmpdir(), 'quick-plan-'));
  try {
    const r = await runPlan({
      cases: PLAN,
      profile: o.profile ?? loadProfile(),
      profileFile: 'profiles/embedded.yaml',
      outDir,
      harnessVersion: 'test',
      only,
      quick: true,
      workers: o.workers ?? 2,
      ...(o.faults ? { faults: o.faults } : {}),
      ...(o.personalities ? { personalities: o.personalities } : {}),
    });
    return new Map(r.results.cells.map((c) => [c.id, c]));
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
