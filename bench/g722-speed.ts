/**
 * G.722 speed: our TypeScript encoder/decoder against ffmpeg's (C) doing the same work.
 *
 *   node bin/run-ts.js bench/g722-speed.ts [seconds=60] [runs=7]
 *
 * The machine is shared and noisy, so the primary figure is CPU time, not wall time:
 *  - ours: user + system CPU time of this process (process.cpuUsage) around one
 *    encode()/decode() call over the whole signal, after a warm-up run (JIT); median of runs;
 *  - ffmpeg: the `bench: utime=… stime=…` line of `ffmpeg -benchmark`, which ffmpeg measures
 *    around its transcoding loop only (after process start-up and opening the files): reading
 *    the raw input, encoding or decoding, writing the output; median of runs. The same
 *    measure on a 20 ms file is printed as the residual fixed cost (about 1 ms, so nothing
 *    is subtracted; it slightly favours ours).
 * Wall times (ours: performance.now(); ffmpeg: its `rtime`) are printed too.
 * Both outputs are checked byte-for-byte against each other, so both did the same work.
 * Ratios are ours / ffmpeg: above 1 means we are slower.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { G722Decoder, G722Encoder } from '../codecs/g722.ts';

const RATE = 16000;
const seconds = Math.min(Math.max(Number(process.argv[2] ?? 60) || 60, 1), 300);
const runs = Math.min(Math.max(Number(process.argv[3] ?? 7) || 7, 1), 15);

/** Test signal: a slow sweep, two tones (one in the higher sub-band) and seeded noise. */
function makeSignal(n: number): Int16Array {
  const x = new Int16Array(n);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const t = i / RATE;
    const sweep = Math.sin(2 * Math.PI * (100 * t + 30 * t * t));
    const v = 6000 * sweep + 4000 * Math.sin(2 * Math.PI * 440 * t) + 2000 * Math.sin(2 * Math.PI * 6100 * t);
    x[i] = Math.round(v + (seed / 4294967296 - 0.5) * 3000);
  }
  return x;
}

interface Cost {
  /** CPU time (user + system), ms. */
  cpu: number;
  /** Wall time, ms. */
  wall: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** CPU and wall time of fn() in this process. */
function measure(fn: () => void): Cost {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall };
}

/** Runs ffmpeg with -benchmark; returns its own measure of the transcoding loop. */
function ffmpeg(args: string[]): Cost {
  const res = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-nostats', '-benchmark', '-y', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.status !== 0) throw new Error(`ffmpeg failed: ${res.stderr}`);
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(res.stderr);
  if (!m) throw new Error(`no -benchmark line in ffmpeg's output: ${res.stderr}`);
  return { cpu: (Number(m[1]) + Number(m[2])) * 1000, wall: Number(m[3]) * 1000 };
}

const encArgs = (i: string, o: string) => [
  ...['-f', 's16le', '-ar', '16000', '-ac', '1', '-i', i],
  ...['-c:a', 'g722', '-f', 'g722', o],
];
const decArgs = (i: string, o: string) => ['-f', 'g722', '-i', i, '-f', 's16le', '-ac', '1', o];

const dir = mkdtempSync(join(tmpdir(), 'g722-bench-'));
try {
  const pcm = makeSignal(seconds * RATE);
  const f = {
    pcm: join(dir, 'in.s16'),
    g722: join(dir, 'ref.g722'),
    out: join(dir, 'ref.s16'),
    tinyPcm: join(dir, 'tiny.s16'),
    tinyG722: join(dir, 'tiny.g722'),
    tinyOut: join(dir, 'tiny-out.s16'),
  };
  writeFileSync(f.pcm, new Uint8Array(pcm.buffer));
  writeFileSync(f.tinyPcm, new Uint8Array(makeSignal(320).buffer));

  // Warm-up of both sides (page cache, JIT); this also produces the reference files.
  ffmpeg(encArgs(f.pcm, f.g722));
  ffmpeg(encArgs(f.tinyPcm, f.tinyG722));
  ffmpeg(decArgs(f.g722, f.out));
  let ours = new G722Encoder().encode(pcm);
  let oursPcm = new G722Decoder().decode(ours);

  const ref = readFileSync(f.g722);
  const refPcm = readFileSync(f.out);
  const identicalEnc = Buffer.compare(Buffer.from(ours), ref) === 0;
  const identicalDec = Buffer.compare(Buffer.from(oursPcm.buffer, 0, oursPcm.byteLength), refPcm) === 0;

  const ff = { enc: [] as Cost[], encTiny: [] as Cost[], dec: [] as Cost[], decTiny: [] as Cost[] };
  const our = { enc: [] as Cost[], dec: [] as Cost[] };
  for (let r = 0; r < runs; r++) {
    ff.enc.push(ffmpeg(encArgs(f.pcm, f.g722)));
    ff.encTiny.push(ffmpeg(encArgs(f.tinyPcm, f.tinyG722)));
    ff.dec.push(ffmpeg(decArgs(f.g722, f.out)));
    ff.decTiny.push(ffmpeg(decArgs(f.tinyG722, f.tinyOut)));
    our.enc.push(
      measure(() => {
        ours = new G722Encoder().encode(pcm);
      }),
    );
    our.dec.push(
      measure(() => {
        oursPcm = new G722Decoder().decode(ours);
      }),
    );
  }

  const cpu = (xs: Cost[]) => median(xs.map((x) => x.cpu));
  const wall = (xs: Cost[]) => median(xs.map((x) => x.wall));
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const rt = (x: number) => `${((seconds * 1000) / x).toFixed(0)}x real time`;
  const line = (what: string, a: Cost[], b: Cost[]) =>
    `  ${what}: CPU ours ${ms(cpu(a))} (${rt(cpu(a))}), ffmpeg ${ms(cpu(b))} (${rt(cpu(b))}), ` +
    `ratio ${(cpu(a) / cpu(b)).toFixed(2)} | wall ours ${ms(wall(a))}, ffmpeg ${ms(wall(b))}, ` +
    `ratio ${(wall(a) / wall(b)).toFixed(2)}`;
  console.log(`G.722 speed, ${seconds} s of 16 kHz audio, medians of ${runs} runs (ratios: ours/ffmpeg)`);
  console.log(`  outputs identical to ffmpeg: encode ${identicalEnc}, decode ${identicalDec}`);
  console.log(line('encode', our.enc, ff.enc));
  console.log(line('decode', our.dec, ff.dec));
  console.log(
    `  ffmpeg residual on a 20 ms file: encode ${ms(cpu(ff.encTiny))}, decode ${ms(cpu(ff.decTiny))} CPU`,
  );
  if (!identicalEnc || !identicalDec) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
