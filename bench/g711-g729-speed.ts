/**
 * G.711 and G.729 speed against ffmpeg, in one run:
 *
 *   node bin/run-ts.js bench/g711-g729-speed.ts [seconds=300] [runs=5] [g729]
 *
 * - G.711 (PCMA, PCMU): our table-driven encoder/decoder vs ffmpeg's pcm_alaw/pcm_mulaw.
 * - G.729: our TypeScript encoder and decoder (codecs/g729/) side by side with libbcg729's
 *   through koffi (one FFI call per 10 ms frame), and decoding also with ffmpeg's native g729
 *   decoder, all on the same input / bitstream (ffmpeg has no G.729 encoder).
 *
 * ffmpeg is timed as a whole process on files under a temp directory, minus the same
 * process on a 20 ms input (start-up, probing), medians of `runs` runs; ours in process
 * after a warm-up run. Ratios are ours / ffmpeg: above 1 means we are slower.
 * G.729 ours and bcg729 are timed side by side, alternating run by run (which goes first alternates
 * too), and both in CPU time of this process (process.cpuUsage) and wall time: on a shared
 * machine the wall time of a run depends on the other processes, the CPU time much less; the
 * speed ratio quoted is the median of the per-run CPU-time ratios. A third argument `g729` skips
 * G.711.
 * Outputs are checked as well (G.711 decode identical to ffmpeg; G.729 decoders agree: SNR of
 * ours against bcg729 and against ffmpeg, bcg729's against ffmpeg).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AudioCodec } from '../codecs/codec.ts';
import { int16ToS16le, s16leToInt16 } from '../codecs/fixtures/codec-fixtures.ts';
import { pcma, pcmu } from '../codecs/g711.ts';
import { g729 } from '../codecs/g729.ts';
import { g729Bcg729 } from '../codecs/g729-bcg729.ts';

const RATE = 8000;
const seconds = Math.min(Math.max(Number(process.argv[2] ?? 300) || 300, 1), 600);
const runs = Math.min(Math.max(Number(process.argv[3] ?? 5) || 5, 1), 11);
const g729Only = process.argv[4] === 'g729';
const deadline = Date.now() + 110_000;

/** Speech-band test signal: two drifting tones and seeded noise, 8 kHz. */
function signal(n: number): Int16Array {
  const x = new Int16Array(n);
  let seed = 99;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const t = i / RATE;
    const v =
      7000 * Math.sin(2 * Math.PI * (300 * t + 20 * Math.sin(t))) +
      3000 * Math.sin(2 * Math.PI * 1700 * t) +
      (seed / 2 ** 32 - 0.5) * 2000;
    x[i] = Math.round(v);
  }
  return x;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 60_000,
  });
}

/** Median net ffmpeg time: the full job minus the same job on a tiny input. */
function ffmpegNet(big: string[], tiny: string[]): { net: number; gross: number; startup: number } {
  const g: number[] = [];
  const s: number[] = [];
  ffmpeg(big); // warm-up
  for (let r = 0; r < runs && Date.now() < deadline; r++) {
    g.push(time(() => ffmpeg(big)));
    s.push(time(() => ffmpeg(tiny)));
  }
  const gross = median(g);
  const startup = median(s);
  return { net: Math.max(gross - startup, 0.001), gross, startup };
}

function ours(fn: () => void): number {
  fn(); // warm-up (JIT, tables)
  const t: number[] = [];
  for (let r = 0; r < runs && Date.now() < deadline; r++) t.push(time(fn));
  return median(t);
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Side {
  cpu: number;
  wall: number;
}
/**
 * Times `a` and `b` alternately, `runs` times each after a warm-up of each: medians of their
 * CPU and wall times, and the median of the per-run CPU-time ratios a/b.
 */
function sideBySide(a: () => void, b: () => void): { a: Side; b: Side; ratio: number } {
  a();
  b();
  const ta: Side[] = [];
  const tb: Side[] = [];
  const one = (fn: () => void, into: Side[]) => {
    const c0 = cpuMs();
    const w0 = performance.now();
    fn();
    into.push({ cpu: cpuMs() - c0, wall: performance.now() - w0 });
  };
  for (let r = 0; r < runs && Date.now() < deadline + 60_000; r++) {
    if (r % 2 === 0) {
      one(a, ta);
      one(b, tb);
    } else {
      one(b, tb);
      one(a, ta);
    }
  }
  const med = (xs: Side[]): Side => ({
    cpu: median(xs.map((x) => x.cpu)),
    wall: median(xs.map((x) => x.wall)),
  });
  return { a: med(ta), b: med(tb), ratio: median(ta.map((x, i) => x.cpu / tb[i]!.cpu)) };
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const rt = (x: number) => `${((seconds * 1000) / x).toFixed(0)}× real time`;
const dir = mkdtempSync(join(tmpdir(), 'g711-g729-bench-'));
try {
  const pcm = signal(seconds * RATE);
  const tiny = signal(160);
  const f = (name: string) => join(dir, name);
  writeFileSync(f('in.s16'), int16ToS16le(pcm));
  writeFileSync(f('tiny.s16'), int16ToS16le(tiny));
  console.log(`G.711 / G.729 speed, ${seconds} s of 8 kHz audio, medians of ${runs} runs`);

  for (const [codec, fmt] of (g729Only
    ? []
    : [
        [pcma, 'alaw'],
        [pcmu, 'mulaw'],
      ]) as [AudioCodec, string][]) {
    const pcmIn = ['-f', 's16le', '-ar', '8000', '-ac', '1', '-i'];
    const enc = ffmpegNet(
      [...pcmIn, f('in.s16'), '-f', fmt, f(`out.${fmt}`)],
      [...pcmIn, f('tiny.s16'), '-f', fmt, f(`tiny.${fmt}`)],
    );
    const coded = codec.createEncoder().encode(pcm);
    writeFileSync(f(`ours.${fmt}`), coded);
    writeFileSync(f(`tinyours.${fmt}`), coded.subarray(0, 160));
    const codedIn = ['-f', fmt, '-ar', '8000', '-ac', '1', '-i'];
    const dec = ffmpegNet(
      [...codedIn, f(`ours.${fmt}`), '-f', 's16le', f('dec.s16')],
      [...codedIn, f(`tinyours.${fmt}`), '-f', 's16le', f('tinydec.s16')],
    );
    const ourEnc = ours(() => codec.createEncoder().encode(pcm));
    let decoded: Int16Array = new Int16Array(0);
    const ourDec = ours(() => {
      decoded = codec.createDecoder().decode(coded);
    });
    const theirs = s16leToInt16(new Uint8Array(readFileSync(f('dec.s16'))));
    const same = theirs.length === decoded.length && theirs.every((v, i) => v === decoded[i]);
    console.log(`  ${codec.name}: decode identical to ffmpeg: ${same}`);
    console.log(`    encode: ours ${ms(ourEnc)} (${rt(ourEnc)}), ffmpeg net ${ms(enc.net)} (${rt(enc.net)})`);
    console.log(`    decode: ours ${ms(ourDec)} (${rt(ourDec)}), ffmpeg net ${ms(dec.net)} (${rt(dec.net)})`);
    console.log(
      `    ffmpeg process ${ms(enc.gross)} / ${ms(dec.gross)}, start-up ${ms(enc.startup)} / ${ms(dec.startup)}`,
    );
    console.log(
      `    ratio ours/ffmpeg: encode ${(ourEnc / enc.net).toFixed(2)}, decode ${(ourDec / dec.net).toFixed(2)}`,
    );
    if (!same) process.exitCode = 1;
  }

  if (!g729Bcg729.available()) {
    console.log(`  G.729 skipped: the oracle is missing: ${g729Bcg729.unavailableReason?.()}`);
  } else {
    let bits: Uint8Array = new Uint8Array(0);
    let ourBits: Uint8Array = new Uint8Array(0);
    const encSides = sideBySide(
      () => {
        const e = g729.createEncoder();
        ourBits = e.encode(pcm);
        e.close?.();
      },
      () => {
        const e = g729Bcg729.createEncoder();
        bits = e.encode(pcm);
        e.close?.();
      },
    );
    const ourEnc = encSides.a.wall;
    const bcgEnc = encSides.b.wall;
    writeFileSync(f('ours.g729'), bits);
    writeFileSync(f('tiny.g729'), bits.subarray(0, 20));
    const dec = ffmpegNet(
      ['-f', 'g729', '-i', f('ours.g729'), '-f', 's16le', '-ar', '8000', '-ac', '1', f('g729.s16')],
      ['-f', 'g729', '-i', f('tiny.g729'), '-f', 's16le', '-ar', '8000', '-ac', '1', f('tinyg729.s16')],
    );
    let decoded: Int16Array = new Int16Array(0);
    let bcgDecoded: Int16Array = new Int16Array(0);
    const decSides = sideBySide(
      () => {
        const d = g729.createDecoder();
        decoded = d.decode(bits);
        d.close?.();
      },
      () => {
        const d = g729Bcg729.createDecoder();
        bcgDecoded = d.decode(bits);
        d.close?.();
      },
    );
    const ourDec = decSides.a.wall;
    const bcgDec = decSides.b.wall;
    const theirs = s16leToInt16(new Uint8Array(readFileSync(f('g729.s16'))));
    const snr = (ref: Int16Array, x: Int16Array) => {
      let se = 0;
      let sd = 0;
      const n = Math.min(ref.length, x.length);
      for (let i = 0; i < n; i++) {
        se += ref[i]! ** 2;
        sd += (ref[i]! - x[i]!) ** 2;
      }
      return `${(10 * Math.log10(se / Math.max(sd, 1e-9))).toFixed(1)} dB`;
    };
    const ourBitsDecoded = g729Bcg729.createDecoder().decode(ourBits);
    console.log(
      `  G729 decode of bcg729's frames: SNR ours vs bcg729 ${snr(bcgDecoded, decoded)}, ours vs ffmpeg ${snr(theirs, decoded)}, bcg729 vs ffmpeg ${snr(theirs, bcgDecoded)}`,
    );
    console.log(
      `  G729 encode: bcg729 decodes our frames to ${snr(bcgDecoded, ourBitsDecoded)} SNR against its own frames`,
    );
    console.log(
      `    encode: ours (TypeScript) ${ms(ourEnc)} (${rt(ourEnc)}), bcg729 via koffi ${ms(bcgEnc)} (${rt(bcgEnc)})`,
    );
    console.log(
      `    decode: ours (TypeScript) ${ms(ourDec)} (${rt(ourDec)}), bcg729 via koffi ${ms(bcgDec)} (${rt(bcgDec)}), ffmpeg net ${ms(dec.net)} (${rt(dec.net)})`,
    );
    console.log(`    ffmpeg process ${ms(dec.gross)}, start-up ${ms(dec.startup)}`);
    console.log(
      `    wall-time speed ours/bcg729: encode ${(bcgEnc / ourEnc).toFixed(2)}×, decode ${(bcgDec / ourDec).toFixed(2)}× (time ratios ${(ourEnc / bcgEnc).toFixed(2)} / ${(ourDec / bcgDec).toFixed(2)}); decode time ours/ffmpeg ${(ourDec / dec.net).toFixed(2)}`,
    );
    console.log(
      `    CPU time: encode ours ${ms(encSides.a.cpu)}, bcg729 ${ms(encSides.b.cpu)}; decode ours ${ms(decSides.a.cpu)}, bcg729 ${ms(decSides.b.cpu)}`,
    );
    console.log(
      `    CPU-time speed ours/bcg729 (median of per-run ratios): encode ${(1 / encSides.ratio).toFixed(2)}×, decode ${(1 / decSides.ratio).toFixed(2)}×`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
