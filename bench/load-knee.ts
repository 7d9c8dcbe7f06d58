/**
 * The knee of the embedded SBC under load: `sbc-harness load --ramp` as a user runs it, one
 * step per target concurrency, and the knee: the highest concurrency before the first step that
 * missed the thresholds (MOS ≥ 4.0 every direction, setup p95 < 1 s, no failed call; docs/load.md). The harness plays
 * both sides and the SBC in one process, so the knee is the knee of this whole process on this
 * host, not of an SBC alone; the load average at start and end says how shared the host was.
 *
 *   node bin/run-ts.js bench/load-knee.ts [ramp=5,10,20,40] [step-s=15] [hold-s=5]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult } from '../harness/runner/index.ts';

const ramp = process.argv[2] ?? '5,10,20,40';
const stepS = process.argv[3] ?? '15';
const holdS = process.argv[4] ?? '5';
const dir = mkdtempSync(join(tmpdir(), 'load-knee-'));
const bin = fileURLToPath(new URL('../bin/sbc-harness.js', import.meta.url));
const loadStart = loadavg()[0]?.toFixed(2);
const t0 = performance.now();
const r = spawnSync(
  process.execPath,
  [bin, 'load', '--ramp', ramp, '--step-s', stepS, '--hold-s', holdS, '--calls', '100000', '--out', dir],
  { encoding: 'utf8', timeout: 1_800_000 },
);
const wallS = (performance.now() - t0) / 1000;
const loadEnd = loadavg()[0]?.toFixed(2);
let result: LoadResult;
try {
  result = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as LoadResult;
} catch {
  console.error(`load did not write results.json (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  process.exit(2);
}
rmSync(dir, { recursive: true, force: true });

const f = (x: number | undefined, d = 0) => (x === undefined ? '–' : x.toFixed(d));
console.log(
  `load --ramp ${ramp} --step-s ${stepS} --hold-s ${holdS}: ${cpus().length} CPU(s), load average ${loadStart} → ${loadEnd}, wall ${wallS.toFixed(1)} s, exit ${r.status}`,
);
console.log('target | peak | calls | failed | calls/s | setup p50/p95 ms | MOS p50 / min (c→c, c←c) | met');
for (const s of result.steps) {
  const a = s.figures.audio;
  console.log(
    `${s.concurrency} | ${s.peakInFlight} | ${s.figures.calls} | ${s.figures.failedCalls} | ${s.callsPerSecond.toFixed(2)} | ${f(
      s.figures.setupMs?.p50,
    )}/${f(s.figures.setupMs?.p95)} | ${f(a.callerToCallee.mos?.p50, 2)} / ${f(a.callerToCallee.mos?.min, 2)}, ${f(
      a.calleeToCaller.mos?.p50,
      2,
    )} / ${f(a.calleeToCaller.mos?.min, 2)} | ${s.verdict.met ? 'yes' : `no: ${s.verdict.missed.join('; ')}`}`,
  );
}
console.log(
  `knee: ${result.knee ?? 'none (the first step missed the thresholds)'}; highest step that met them: ${result.highestMet ?? 'none'}`,
);
for (const w of result.worst.filter((c) => c.failures.length > 0).slice(0, 3))
  console.log(`  worst: call ${w.index} (step ${w.step}): ${w.failures.join('; ')}`);
