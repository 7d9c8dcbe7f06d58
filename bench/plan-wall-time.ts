/**
 * Wall time of the whole plan with --quick on the embedded SBC, against its floor: the time the
 * cases spend waiting in real time (their tones, rings, holds and shortened calls), measured as
 * each case's duration minus the CPU time the process used during it, summed over a one-worker
 * run. With several workers, waits overlap and the wall time can drop below that sum.
 *
 *   node bin/run-ts.js bench/plan-wall-time.ts [workers=1,2,4]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile } from '../harness/config/profile.ts';
import { runPlan } from '../harness/runner/index.ts';
import { PLAN } from '../scenarios/index.ts';

const workerCounts = (process.argv[2] ?? '1,2,4')
  .split(',')
  .map(Number)
  .filter((n) => n >= 1 && n <= 8);
const rows: string[] = [];
let floorMs = 0;
let serialWall = 0;
for (const workers of workerCounts) {
  const outDir = mkdtempSync(join(tmpdir(), 'plan-bench-'));
  const load = loadavg()[0]!.toFixed(2);
  const t0 = performance.now();
  const r = await runPlan({
    cases: PLAN,
    profile: loadProfile(),
    profileFile: 'profiles/embedded.yaml',
    outDir,
    harnessVersion: 'bench',
    quick: true,
    workers,
  });
  const wall = performance.now() - t0;
  rmSync(outDir, { recursive: true, force: true });
  const s = r.results.summary;
  const busy = r.results.cells.reduce((a, c) => a + (c.cpuMs ?? 0), 0);
  const sumDur = r.results.cells.reduce((a, c) => a + c.durationMs, 0);
  if (workers === 1) {
    floorMs = sumDur - busy;
    serialWall = wall;
  }
  rows.push(
    `| ${workers} | ${(wall / 1000).toFixed(1)} s | ${s.OK} OK, ${s.NOK} NOK, ${s['N/A']} N/A, ${s.ERROR} ERROR | ${(sumDur / 1000).toFixed(1)} s | ${floorMs ? (wall / floorMs).toFixed(2) : '—'} | ${serialWall ? (serialWall / wall).toFixed(2) : '—'} | ${load} |`,
  );
}
console.log(`plan: ${PLAN.length} cases, --quick, embedded SBC; ${cpus().length} CPUs`);
console.log(
  `floor (one worker: Σ case duration − Σ CPU during the case) = ${(floorMs / 1000).toFixed(1)} s\n`,
);
console.log(
  '| workers | wall | cells | Σ case durations | wall / floor | speed-up vs 1 worker | load avg at start |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
