/**
 * G.711 and G.729 speed against ffmpeg, in one run:
 *
 *   node bin/run-ts.js bench/g711-g729-speed.ts [seconds=300] [runs=5]
 *
 * - G.711 (PCMA, PCMU): our table-driven encoder/decoder vs ffmpeg's pcm_alaw/pcm_mulaw.
 * - G.729: our TypeScript encoder and decoder (codecs/g729/) side by side with libbcg729's
 *   through koffi (one FFI call per 10 ms frame), and decoding also with ffmpeg's native g729
 *   decoder, all on the same input / bitstream (ffmpeg has no G.729 encoder).
 *
 * ffmpeg is timed as a whole process on files under a temp directory, minus the same
 * process on a 20 ms input (start-up, probing), medians of `runs` runs; ours in process
 * after a warm-up run. Ratios are ours / ffmpeg: above 1 means we are slower.
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

  for (const [codec, fmt] of [
    [pcma, 'alaw'],
    [pcmu, 'mulaw'],
  ] as [AudioCodec, string][]) {
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
    const bcgEnc = ours(() => {
      const e = g729Bcg729.createEncoder();
      bits = e.encode(pcm);
      e.close?.();
    });
    let ourBits: Uint8Array = new Uint8Array(0);
    const ourEnc = ours(() => {
      const e = g729.createEncoder();
      ourBits = e.encode(pcm);
      e.close?.();
    });
    writeFileSync(f('ours.g729'), bits);
    writeFileSync(f('tiny.g729'), bits.subarray(0, 20));
    const dec = ffmpegNet(
      ['-f', 'g729', '-i', f('ours.g729'), '-f', 's16le', '-ar', '8000', '-ac', '1', f('g729.s16')],
      ['-f', 'g729', '-i', f('tiny.g729'), '-f', 's16le', '-ar', '8000', '-ac', '1', f('tinyg729.s16')],
    );
    let decoded: Int16Array = new Int16Array(0);
    const ourDec = ours(() => {
      const d = g729.createDecoder();
      decoded = d.decode(bits);
      d.close?.();
    });
    let bcgDecoded: Int16Array = new Int16Array(0);
    const bcgDec = ours(() => {
      const d = g729Bcg729.createDecoder();
      bcgDecoded = d.decode(bits);
      d.close?.();
    });
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
      `    speed ours/bcg729: encode ${(bcgEnc / ourEnc).toFixed(2)}×, decode ${(bcgDec / ourDec).toFixed(2)}× (time ratios ${(ourEnc / bcgEnc).toFixed(2)} / ${(ourDec / bcgDec).toFixed(2)}); decode time ours/ffmpeg ${(ourDec / dec.net).toFixed(2)}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
