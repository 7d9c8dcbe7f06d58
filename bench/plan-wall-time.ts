/**
 * Wall time of the whole plan with --quick on the embedded SBC, against its floor: the time the
 * cases spend waiting in real time (their tones, rings, holds and shortened calls), measured as
 * each case's duration minus the CPU time the process used during it, summed over a one-worker
 * run. With several workers, waits overlap and the wall time can drop below that sum.
 *
 *   node bin/run-ts.js bench/plan-wall-time.ts [workers=1,2,4]
 *
 * `full`: the default command as a user runs it, `npx sbc-harness run` (not --quick, the default
 * workers), timed from start to exit, against its floor: the longest case of that run (8-3-1
 * holds a call 5 minutes). The target is 1.1 × that case.
 *
 *   node bin/run-ts.js bench/plan-wall-time.ts full
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfile } from '../harness/config/profile.ts';
import { runPlan } from '../harness/runner/index.ts';
import { PLAN } from '../scenarios/index.ts';

if (process.argv[2] === 'full') {
  const outDir = join(mkdtempSync(join(tmpdir(), 'plan-bench-')), 'run');
  const bin = fileURLToPath(new URL('../bin/sbc-harness.js', import.meta.url));
  const load = loadavg()[0]!.toFixed(2);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, 'run', '--out', outDir], {
    encoding: 'utf8',
    timeout: 900_000,
  });
  const wall = performance.now() - t0;
  const loadEnd = loadavg()[0]!.toFixed(2);
  const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as {
    run: { startedAt: string; endedAt?: string; options: { workers: number } };
    summary: Record<string, number>;
    cells: Array<{ id: string; durationMs: number; startedAt: string }>;
  };
  rmSync(join(outDir, '..'), { recursive: true, force: true });
  const longest = results.cells.reduce((a, c) => (c.durationMs > a.durationMs ? c : a));
  const startMs = Date.parse(results.run.startedAt);
  const planMs = results.run.endedAt ? Date.parse(results.run.endedAt) - startMs : Number.NaN;
  const s = results.summary;
  console.log(
    `\`npx sbc-harness run\` (exit ${r.status}): ${PLAN.length} cases, not --quick, embedded SBC, ${results.run.options.workers} workers; ${cpus().length} CPUs
`,
  );
  console.log(
    '| command wall | plan wall (journal) | longest case | command / longest | plan / longest | longest case started after | cells | load avg start → end |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${(wall / 1000).toFixed(1)} s | ${(planMs / 1000).toFixed(1)} s | ${longest.id} ${(longest.durationMs / 1000).toFixed(1)} s | **${(wall / longest.durationMs).toFixed(3)}** | ${(planMs / longest.durationMs).toFixed(3)} | ${((Date.parse(longest.startedAt) - startMs) / 1000).toFixed(1)} s | ${s.OK} OK, ${s.NOK} NOK, ${s['N/A']} N/A, ${s.ERROR} ERROR, ${s.INCOMPLETE} INCOMPLETE | ${load} → ${loadEnd} |`,
  );
  process.exit(wall <= 1.1 * longest.durationMs ? 0 : 1);
}

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
