import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioCodec } from '../../codecs/codec.ts';
import { int16ToS16le, s16leToInt16 } from '../../codecs/fixtures/codec-fixtures.ts';
import { pcma, pcmu } from '../../codecs/g711.ts';
import { describeWithPeers } from '../support/peers.ts';

const LAWS: { codec: AudioCodec; ffFormat: 'alaw' | 'mulaw'; pt: number }[] = [
  { codec: pcma, ffFormat: 'alaw', pt: 8 },
  { codec: pcmu, ffFormat: 'mulaw', pt: 0 },
];

/** The distinct output levels of a decoder, sorted. */
function levels(codec: AudioCodec): number[] {
  const all = codec.createDecoder().decode(Uint8Array.from({ length: 256 }, (_, i) => i));
  return [...new Set(all)].sort((a, b) => a - b);
}

const levelIndexCache = new Map<number[], Map<number, number>>();

/** Index of `value` among `sorted` levels (it must be one). */
function levelIndex(sorted: number[], value: number): number {
  let index = levelIndexCache.get(sorted);
  if (!index) {
    index = new Map(sorted.map((v, i) => [v, i]));
    levelIndexCache.set(sorted, index);
  }
  const i = index.get(value);
  if (i === undefined) throw new Error(`${value} is not a level`);
  return i;
}

/** Index of the first level >= x, or -1 when x is above them all (binary search). */
function firstLevelAtOrAbove(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length ? lo : -1;
}

/** Every 16-bit value once, then a few seconds of a swept tone: a long, varied stream. */
function testSignal(): Int16Array {
  const sweepLen = 8000 * 4;
  const out = new Int16Array(65536 + sweepLen);
  for (let s = -32768; s < 32768; s++) out[s + 32768] = s;
  for (let i = 0; i < sweepLen; i++) {
    const t = i / 8000;
    out[65536 + i] = Math.round(30000 * Math.sin(2 * Math.PI * (100 * t + 400 * t * t)));
  }
  return out;
}

describe('G.711 codec objects', () => {
  for (const { codec, pt } of LAWS) {
    it(`${codec.name}: PT ${pt}, 8 kHz, 10 ms frames of 80 bytes, always available`, () => {
      expect(codec.payloadType).toBe(pt);
      expect([codec.sampleRate, codec.rtpClockRate, codec.frameMs]).toEqual([8000, 8000, 10]);
      expect([codec.frameSamples, codec.frameBytes]).toEqual([80, 80]);
      expect(codec.available()).toBe(true);
    });

    it(`${codec.name}: every code decodes to a level that re-encodes to the same level`, () => {
      const dec = codec.createDecoder();
      const enc = codec.createEncoder();
      const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
      const pcm = dec.decode(codes);
      expect(dec.decode(enc.encode(pcm))).toEqual(pcm);
    });

    it(`${codec.name}: encoded samples decode within one quantisation step of the input`, () => {
      const lv = levels(codec);
      const enc = codec.createEncoder();
      const dec = codec.createDecoder();
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 400 }),
          (xs) => {
            const pcm = Int16Array.from(xs);
            const back = dec.decode(enc.encode(pcm));
            expect(back.length).toBe(pcm.length);
            for (let i = 0; i < pcm.length; i++) {
              const x = pcm[i]!;
              // The levels bracketing x (or the outermost level beyond the range).
              let hi = firstLevelAtOrAbove(lv, x);
              if (hi < 0) hi = lv.length - 1;
              const lo = Math.max(0, lv[hi]! === x ? hi : hi - 1);
              const got = levelIndex(lv, back[i]!);
              expect(got).toBeGreaterThanOrEqual(lo);
              expect(got).toBeLessThanOrEqual(hi);
            }
          },
        ),
        { numRuns: 200 },
      );
    });

    it(`${codec.name}: any byte string decodes, one sample per byte`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
          expect(codec.createDecoder().decode(bytes).length).toBe(bytes.length);
        }),
        { numRuns: 100 },
      );
    });
  }
});

describeWithPeers(['ffmpeg'], 'G.711 against ffmpeg', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'g711-test-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function ffmpeg(args: string[]): void {
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
      timeout: 20_000,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }

  for (const { codec, ffFormat } of LAWS) {
    it(`${codec.name} decoder is sample-identical to ffmpeg on all 256 codes and a long stream`, () => {
      const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
      let seed = 12345;
      const random = Uint8Array.from({ length: 80_000 }, () => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed >>> 24;
      });
      const stream = new Uint8Array(256 + random.length + 80_000);
      stream.set(codes);
      stream.set(random, 256);
      stream.set(codec.createEncoder().encode(testSignal().subarray(0, 80_000)), 256 + random.length);
      const inFile = join(dir, `in.${ffFormat}`);
      const outFile = join(dir, `${ffFormat}-dec.s16`);
      writeFileSync(inFile, stream);
      ffmpeg(['-f', ffFormat, '-ar', '8000', '-ac', '1', '-i', inFile, '-f', 's16le', outFile]);
      const theirs = s16leToInt16(new Uint8Array(readFileSync(outFile)));
      const ours = codec.createDecoder().decode(stream);
      expect(theirs.length).toBe(stream.length);
      expect(ours.length).toBe(theirs.length);
      // First differing sample (-1: none); cheaper than a deep equality on 160 000 samples.
      const firstDiff = ours.findIndex((v, i) => v !== theirs[i]);
      expect(firstDiff, `byte 0x${stream[firstDiff]?.toString(16)} at ${firstDiff}`).toBe(-1);
    });

    it(`${codec.name} encoder is within one level of ffmpeg's encoder on every 16-bit value and a sweep`, () => {
      const pcm = testSignal();
      const inFile = join(dir, `${ffFormat}-src.s16`);
      const outFile = join(dir, `${ffFormat}-enc.raw`);
      writeFileSync(inFile, int16ToS16le(pcm));
      ffmpeg(['-f', 's16le', '-ar', '8000', '-ac', '1', '-i', inFile, '-f', ffFormat, outFile]);
      const theirs = new Uint8Array(readFileSync(outFile));
      const ours = codec.createEncoder().encode(pcm);
      expect(theirs.length).toBe(ours.length);
      const dec = codec.createDecoder();
      const lv = levels(codec);
      const a = dec.decode(ours);
      const b = dec.decode(theirs);
      let differing = 0;
      let worst = 0;
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(levelIndex(lv, a[i]!) - levelIndex(lv, b[i]!));
        if (d > 0) differing++;
        worst = Math.max(worst, d);
      }
      expect(worst).toBeLessThanOrEqual(1);
      // Boundary disagreements only: a small minority of samples.
      expect(differing / a.length).toBeLessThan(0.05);
    });
  }
});
