/**
 * Delay estimation speed: our FFT cross-correlation (estimateDelay over every lag) on 10 s of
 * 16 kHz speech-like audio received through A-law with a 250 ms delay, against
 *  - a direct time-domain correlation written the obvious way (same TypeScript, same answer
 *    required), restricted to lags of ±`directLagMs` because over every lag it would take minutes;
 *    its cost is also extrapolated to the full ±10 s lag range (linear in the number of lags);
 *  - ffmpeg's `axcorrelate` (C) over the same two streams: a windowed zero-lag correlation per
 *    sample, i.e. a native correlation pass over the same audio, NOT the same work (it does not
 *    search lags). It is a scale reference, not an equivalent.
 *
 *   node bin/run-ts.js bench/analysis-delay.ts [seconds=10] [runs=5] [directLagMs=50]
 *
 * CPU time (process.cpuUsage; ffmpeg's own `-benchmark` utime+stime) is the primary figure on
 * this shared machine; wall times are printed too. Medians of `runs` after a warm-up.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import alawmulaw from 'alawmulaw';
import { estimateDelay, shiftSignal, speechLike } from '../harness/media/analysis/index.ts';

const RATE = 16000;
const seconds = Math.min(Math.max(Number(process.argv[2] ?? 10) || 10, 1), 60);
const runs = Math.min(Math.max(Number(process.argv[3] ?? 5) || 5, 1), 11);
const directLagMs = Math.min(Math.max(Number(process.argv[4] ?? 50) || 50, 1), 500);
const LAG = RATE / 4;

interface Cost {
  cpu: number;
  wall: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure<T>(fn: () => T): { cost: Cost; value: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cost: { cpu: (c.user + c.system) / 1000, wall }, value };
}

function directDelay(ref: Int16Array, rec: Int16Array, maxLag: number): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let lag = LAG - maxLag; lag <= LAG + maxLag; lag++) {
    let s = 0;
    const a = Math.max(0, -lag);
    const b = Math.min(ref.length, rec.length - lag);
    for (let n = a; n < b; n++) s += ref[n]! * rec[n + lag]!;
    if (s > bestValue) {
      bestValue = s;
      best = lag;
    }
  }
  return best;
}

function ffmpegXcorr(dir: string): Cost | undefined {
  const r = spawnSync(
    'ffmpeg',
    [
      ...[
        '-hide_banner',
        '-benchmark',
        '-f',
        's16le',
        '-ar',
        String(RATE),
        '-ac',
        '1',
        '-i',
        join(dir, 'ref.raw'),
      ],
      ...['-f', 's16le', '-ar', String(RATE), '-ac', '1', '-i', join(dir, 'rec.raw')],
      ...['-filter_complex', '[0:a][1:a]axcorrelate=size=1024:algo=fast', '-f', 'null', '-'],
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const m = /utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m) return undefined;
  return { cpu: (Number(m[1]) + Number(m[2])) * 1000, wall: Number(m[3]) * 1000 };
}

const ref = speechLike({ sampleRate: RATE, durationMs: seconds * 1000, seed: 8 });
const rec = alawmulaw.alaw.decode(alawmulaw.alaw.encode(shiftSignal(ref, LAG)));
const dir = mkdtempSync(join(tmpdir(), 'bench-analysis-'));
try {
  writeFileSync(join(dir, 'ref.raw'), ref);
  writeFileSync(join(dir, 'rec.raw'), rec);
  const maxLag = Math.round((directLagMs * RATE) / 1000);

  estimateDelay(ref, rec, { sampleRate: RATE }); // warm-up
  directDelay(ref.subarray(0, 4000), rec.subarray(0, 8000), 10);
  const ours: Cost[] = [];
  const direct: Cost[] = [];
  const peer: Cost[] = [];
  for (let i = 0; i < runs; i++) {
    const o = measure(() => estimateDelay(ref, rec, { sampleRate: RATE }));
    if (!o.value.found || o.value.lagSamples !== LAG) throw new Error(`ours found ${o.value.lagSamples}`);
    ours.push(o.cost);
    const d = measure(() => directDelay(ref, rec, maxLag));
    if (d.value !== LAG) throw new Error(`direct found ${d.value}`);
    direct.push(d.cost);
    const p = ffmpegXcorr(dir);
    if (p) peer.push(p);
  }
  const oCpu = median(ours.map((c) => c.cpu));
  const dCpu = median(direct.map((c) => c.cpu));
  const lagsOurs = ref.length + rec.length - 1;
  const lagsDirect = 2 * maxLag + 1;
  const dFull = (dCpu * lagsOurs) / lagsDirect;
  console.log(
    `signal: ${seconds} s at ${RATE} Hz, speech-like through A-law, true lag ${LAG} samples; ${runs} runs`,
  );
  console.log(
    `ours (FFT, all ${lagsOurs} lags): cpu ${oCpu.toFixed(1)} ms, wall ${median(ours.map((c) => c.wall)).toFixed(1)} ms`,
  );
  console.log(
    `direct (±${directLagMs} ms = ${lagsDirect} lags): cpu ${dCpu.toFixed(1)} ms, wall ${median(direct.map((c) => c.wall)).toFixed(1)} ms; ` +
      `extrapolated to all lags ${(dFull / 1000).toFixed(1)} s`,
  );
  console.log(
    `ratio ours/direct(±${directLagMs} ms): ${(oCpu / dCpu).toFixed(3)}; ours/direct(all lags, extrapolated): ${(oCpu / dFull).toExponential(2)}`,
  );
  if (peer.length > 0) {
    const pCpu = median(peer.map((c) => c.cpu));
    console.log(
      `ffmpeg axcorrelate (size 1024, fast; zero-lag windowed, not a lag search): cpu ${pCpu.toFixed(1)} ms, rtime ${median(peer.map((c) => c.wall)).toFixed(1)} ms`,
    );
    console.log(`ratio ours/ffmpeg-axcorrelate: ${(oCpu / pCpu).toFixed(2)}`);
  } else {
    console.log('ffmpeg axcorrelate: not measured (ffmpeg missing or failed)');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
