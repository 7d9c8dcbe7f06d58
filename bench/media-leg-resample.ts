/**
 * The media leg's 8 ↔ 16 kHz resampler (harness/actors/resample.ts) against ffmpeg's
 * swresample doing the same conversion of the same signal.
 *
 *   node bin/run-ts.js bench/media-leg-resample.ts [seconds=60] [runs=7]
 *
 * CPU time is the figure to read (shared, noisy machine):
 *  - ours: process.cpuUsage() around converting the whole signal in 20 ms blocks, as the
 *    leg does per packet (after a warm-up run for the JIT); median of runs;
 *  - ffmpeg: the `bench: utime stime` line of `ffmpeg -benchmark` (its conversion loop,
 *    raw file in and out, start-up excluded); median of runs.
 * The filters differ (ours: 64-tap Blackman-windowed sinc; swresample: its default
 * 32-tap-per-phase Kaiser polyphase), so outputs are not compared byte for byte; the script
 * checks both produce the same number of samples and prints each one's attenuation of a
 * 6 kHz tone on 16 → 8 kHz and level error of a 1 kHz tone, so the work is comparable.
 * Ratio = ours / ffmpeg: above 1 means we are slower.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Resampler } from '../harness/actors/resample.ts';

const seconds = Math.min(Math.max(Number(process.argv[2] ?? 60) || 60, 1), 300);
const runs = Math.min(Math.max(Number(process.argv[3] ?? 7) || 7, 1), 15);

interface Cost {
  cpu: number;
  wall: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function tone(rate: number, n: number, freqs: number[], amp: number): Int16Array {
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const f of freqs) v += amp * Math.sin((2 * Math.PI * f * i) / rate);
    x[i] = Math.round(v);
  }
  return x;
}

function rmsDb(x: Int16Array, skip: number): number {
  let s = 0;
  for (let i = skip; i < x.length; i++) s += x[i]! * x[i]!;
  return 10 * Math.log10(s / Math.max(1, x.length - skip) + 1e-9);
}

function ours(x: Int16Array, from: number, to: number): Int16Array {
  const r = new Resampler(from, to);
  const block = (from * 20) / 1000;
  const out = new Int16Array(Math.floor((x.length * to) / from));
  let o = 0;
  for (let i = 0; i < x.length; i += block) {
    const y = r.process(x.subarray(i, i + block));
    out.set(y, o);
    o += y.length;
  }
  return out.subarray(0, o);
}

function measure(fn: () => void): Cost {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall };
}

function ffmpeg(input: string, from: number, output: string, to: number): Cost {
  const res = spawnSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-nostdin', '-nostats', '-benchmark', '-y'],
      ...['-f', 's16le', '-ar', String(from), '-ac', '1', '-i', input],
      ...['-af', `aresample=${to}`, '-f', 's16le', '-ar', String(to), '-ac', '1', output],
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (res.status !== 0) throw new Error(`ffmpeg failed: ${res.stderr}`);
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(res.stderr);
  if (!m) throw new Error(`no -benchmark line: ${res.stderr}`);
  return { cpu: (Number(m[1]) + Number(m[2])) * 1000, wall: Number(m[3]) * 1000 };
}

function s16(bytes: Buffer): Int16Array {
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(2 * i);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'resample-bench-'));
try {
  const cases = [
    { name: '8 -> 16 kHz', from: 8000, to: 16000 },
    { name: '16 -> 8 kHz', from: 16000, to: 8000 },
  ];
  console.log(`Resampler speed, ${seconds} s of audio, medians of ${runs} runs (ratios: ours/ffmpeg)`);
  for (const c of cases) {
    const x = tone(c.from, seconds * c.from, [1000, 3000], 6000);
    const inFile = join(dir, `in-${c.from}.s16`);
    const outFile = join(dir, `out-${c.to}.s16`);
    writeFileSync(inFile, new Uint8Array(x.buffer));
    ffmpeg(inFile, c.from, outFile, c.to);
    let y = ours(x, c.from, c.to);
    const ffOut = s16(readFileSync(outFile));
    const a: Cost[] = [];
    const b: Cost[] = [];
    for (let r = 0; r < runs; r++) {
      b.push(ffmpeg(inFile, c.from, outFile, c.to));
      a.push(
        measure(() => {
          y = ours(x, c.from, c.to);
        }),
      );
    }
    const cpuA = median(a.map((k) => k.cpu));
    const cpuB = median(b.map((k) => k.cpu));
    const wallA = median(a.map((k) => k.wall));
    const wallB = median(b.map((k) => k.wall));
    console.log(
      `  ${c.name}: samples ours ${y.length}, ffmpeg ${ffOut.length}; CPU ours ${cpuA.toFixed(1)} ms ` +
        `(${((seconds * 1000) / cpuA).toFixed(0)}x real time), ffmpeg ${cpuB.toFixed(1)} ms, ratio ` +
        `${(cpuA / cpuB).toFixed(2)} | wall ours ${wallA.toFixed(1)} ms, ffmpeg ${wallB.toFixed(1)} ms, ` +
        `ratio ${(wallA / wallB).toFixed(2)}`,
    );
    // Quality side by side: 1 kHz level error, and (16 → 8) what is left of a 6 kHz tone.
    const ref1k = tone(c.from, c.from, [1000], 6000);
    const q = (out: Int16Array) => (rmsDb(out, out.length >> 2) - rmsDb(ref1k, 0)).toFixed(2);
    const o1 = ours(ref1k, c.from, c.to);
    writeFileSync(inFile, new Uint8Array(ref1k.buffer));
    ffmpeg(inFile, c.from, outFile, c.to);
    let line = `    1 kHz level change: ours ${q(o1)} dB, ffmpeg ${q(s16(readFileSync(outFile)))} dB`;
    if (c.from === 16000) {
      const hi = tone(16000, 16000, [6000], 6000);
      writeFileSync(inFile, new Uint8Array(hi.buffer));
      ffmpeg(inFile, 16000, outFile, 8000);
      const oh = ours(hi, 16000, 8000);
      const ref = rmsDb(hi, 0);
      line +=
        `; 6 kHz left after 16 -> 8: ours ${(rmsDb(oh, oh.length >> 2) - ref).toFixed(1)} dB, ` +
        `ffmpeg ${(rmsDb(s16(readFileSync(outFile)), 1000) - ref).toFixed(1)} dB`;
    }
    console.log(line);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
