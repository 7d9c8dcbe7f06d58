/**
 * The TypeScript G.729 Annex A decoder (codecs/g729/), checked against two independent
 * decoders: libbcg729 (through koffi) and ffmpeg's g729 decoder.
 *
 * Our decoder gives the ITU-T reference arithmetic sample for sample (asserted in
 * g729-reference-arithmetic.test.ts against a transcription of the reference C code). bcg729
 * does not (its code gain and its post-filter compute otherwise; that test pins one frame where
 * bcg729's output is the reference's with one gain value changed), so samples agree only in
 * 0.4–32 % of places and the agreement with bcg729 is bounded by SNR instead. docs/g729.md
 * ("Bit-exactness") has the measurements.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { s16leToInt16 } from '../../codecs/fixtures/codec-fixtures.ts';
import {
  add,
  div_s,
  L_add,
  L_mult,
  L_shl,
  mult,
  norm_l,
  norm_s,
  round,
  shl,
  shr,
} from '../../codecs/g729/basic-ops.ts';
import { PRM_SIZE, packFrame, parity, parityError, unpackFrame } from '../../codecs/g729/bitstream.ts';
import { G729Decoder } from '../../codecs/g729/decoder.ts';
import { createG729Decoder, g729 } from '../../codecs/g729.ts';
import { createBcg729FrameDecoder, g729Bcg729 } from '../../codecs/g729-bcg729.ts';
import { toneSinadDb } from '../../codecs/signal-metrics.ts';
import { describeWithPeers } from '../support/peers.ts';
import { espeakSpeech8k } from '../support/speech.ts';

const RATE = 8000;

function snrDb(ref: Int16Array, x: Int16Array, from = 0): number {
  let se = 0;
  let sd = 0;
  for (let i = from; i < ref.length; i++) {
    se += ref[i]! ** 2;
    sd += (ref[i]! - x[i]!) ** 2;
  }
  return sd === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(se / sd);
}

function oursDecode(bits: Uint8Array): Int16Array {
  const d = new G729Decoder();
  const frames = bits.length / 10;
  const out = new Int16Array(frames * 80);
  for (let f = 0; f < frames; f++) d.decodeFrame(bits, f * 10, out, f * 80);
  return out;
}

function ffmpegDecode(bits: Uint8Array): Int16Array {
  const raw = execFileSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-v',
      'error',
      '-f',
      'g729',
      '-i',
      'pipe:0',
      '-f',
      's16le',
      '-ar',
      '8000',
      '-ac',
      '1',
      'pipe:1',
    ],
    { input: bits, maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
  );
  return s16leToInt16(new Uint8Array(raw));
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const N = RATE * 2;
const tone = (f: number, a: number) =>
  Int16Array.from({ length: N }, (_, i) => Math.round(a * Math.sin((2 * Math.PI * f * i) / RATE)));

describe('G.729 basic operators (ITU-T STL semantics)', () => {
  it('saturate 16- and 32-bit results the way the reference arithmetic does', () => {
    expect(add(32000, 1000)).toBe(32767);
    expect(add(-32000, -1000)).toBe(-32768);
    expect(mult(-32768, -32768)).toBe(32767);
    expect(mult(16384, 16384)).toBe(8192);
    expect(mult(-1, 1)).toBe(-1); // arithmetic shift: floor
    expect(L_mult(-32768, -32768)).toBe(0x7fffffff);
    expect(L_add(0x7fffffff, 1)).toBe(0x7fffffff);
    expect(L_add(-0x80000000, -1)).toBe(-0x80000000);
    expect(L_shl(0x40000000, 1)).toBe(0x7fffffff);
    expect(shl(0x4000, 1)).toBe(32767);
    expect(shr(-1, 20)).toBe(-1);
    expect(round(0x7fff8000)).toBe(32767);
    expect(norm_s(1)).toBe(14);
    expect(norm_l(1)).toBe(30);
    expect(norm_l(-1)).toBe(31);
    expect(div_s(1, 2)).toBe(16384);
    expect(div_s(5, 5)).toBe(32767);
  });

  it('div_s is floor(num·2^15/den) for 0 ≤ num < den', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32767 }), fc.integer({ min: 0, max: 32766 }), (den, n) => {
        const num = n % den;
        expect(div_s(num, den)).toBe(Math.floor((num * 32768) / den));
      }),
      { numRuns: 500 },
    );
  });
});

describe('G.729 frame packing', () => {
  it('unpacks what it packs (RFC 3551 bit order, 80 bits)', () => {
    const widths = [8, 10, 8, 1, 13, 4, 7, 5, 13, 4, 7];
    fc.assert(
      fc.property(fc.tuple(...widths.map((w) => fc.integer({ min: 0, max: 2 ** w - 1 }))), (vals) => {
        const prm = Int32Array.from(vals);
        const bytes = new Uint8Array(10);
        packFrame(prm, bytes, 0);
        const back = new Int32Array(PRM_SIZE);
        unpackFrame(bytes, 0, back);
        expect(Array.from(back)).toEqual(vals);
      }),
      { numRuns: 300 },
    );
  });

  it('checks the pitch parity bit over the six most significant bits of P1', () => {
    for (let p1 = 0; p1 < 256; p1++) {
      let ones = 0;
      for (let b = 2; b < 8; b++) ones += (p1 >> b) & 1;
      expect(parity(p1)).toBe((ones & 1) === 0 ? 1 : 0);
      expect(parityError(p1, parity(p1))).toBe(0);
      expect(parityError(p1, parity(p1) ^ 1)).toBe(1);
    }
  });
});

describe('G.729 TypeScript decoder on its own', () => {
  it('decodes any bytes, erased or not, to 80 samples per frame, deterministically', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 200 }),
        fc.array(fc.boolean(), { maxLength: 20 }),
        (bytes, lost) => {
          const frames = Math.floor(bytes.length / 10);
          const a = new G729Decoder();
          const b = new G729Decoder();
          const outA = new Int16Array(frames * 80);
          const outB = new Int16Array(frames * 80);
          for (let f = 0; f < frames; f++) {
            a.decodeFrame(bytes, f * 10, outA, f * 80, lost[f] ?? false);
            b.decodeFrame(bytes, f * 10, outB, f * 80, lost[f] ?? false);
          }
          expect(outA).toEqual(outB);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('decodes silence to silence from a fresh state', () => {
    // What bcg729's encoder makes of 20 ms of zeros (parameters 120 330 2 1 0 15 86 2 0 15 86).
    const frame = new Uint8Array(10);
    packFrame(Int32Array.from([120, 330, 2, 1, 0, 15, 86, 2, 0, 15, 86]), frame, 0);
    const out = new Int16Array(160);
    const d = new G729Decoder();
    d.decodeFrame(frame, 0, out, 0);
    d.decodeFrame(frame, 0, out, 80);
    // First subframe: the ITU arithmetic gives these samples (bcg729 agrees); in the second the
    // code gain is 1.92 in Q1, truncated to 1 by Dec_gain's extract_h, so the excitation rounds
    // to zero (bcg729 uses 2: g729-reference-arithmetic.test.ts).
    expect(Array.from(out.subarray(0, 4))).toEqual([2, 2, 2, 2]);
    expect(Array.from(out.subarray(40, 80)).every((v) => v === 0)).toBe(true);
  });

  it('decodes without any system library (the codec object uses it for every payload)', () => {
    const dec = g729.createDecoder();
    expect(dec.decode(new Uint8Array(20)).length).toBe(160);
    expect(dec.decode(new Uint8Array(12)).length).toBe(160);
    expect(dec.sidFrames).toBe(1);
    expect(dec.decode(new Uint8Array(13)).length).toBe(80);
    expect(dec.malformedBytes).toBe(3);
    dec.close?.();
    expect(() => dec.decode(new Uint8Array(10))).toThrow(/after close/);
    expect(createG729Decoder().decode(new Uint8Array(0)).length).toBe(0);
  });
});

describeWithPeers(['bcg729', 'ffmpeg'], 'G.729 TypeScript decoder against libbcg729 and ffmpeg', () => {
  const rnd = lcg(5);
  const noise = Int16Array.from({ length: N }, () => Math.round((rnd() - 0.5) * 8000));
  const chirp = Int16Array.from({ length: N }, (_, i) => {
    const t = i / RATE;
    return Math.round(8000 * Math.sin(2 * Math.PI * (100 * t + 900 * t * t)));
  });
  const signals: [string, Int16Array, number][] = [
    // name, input, minimum SNR of ours against bcg729 (dB); measured values in docs/g729.md
    ['300 Hz tone', tone(300, 10000), 12],
    ['1 kHz tone', tone(1000, 8000), 15],
    ['2 kHz tone', tone(2000, 6000), 12],
    ['chirp 100 Hz → 3.7 kHz', chirp, 15],
    ['white noise', noise, 20],
    ['silence', new Int16Array(N), Number.NEGATIVE_INFINITY],
  ];

  for (const [name, pcm, minSnr] of signals) {
    it(`${name}: close to bcg729, and as close to ffmpeg as bcg729 is`, () => {
      const bits = g729Bcg729.createEncoder().encode(pcm);
      const ref = g729Bcg729.createDecoder().decode(bits);
      const ours = oursDecode(bits);
      const ff = ffmpegDecode(bits);
      expect(ours.length).toBe(pcm.length);
      if (Number.isFinite(minSnr)) expect(snrDb(ref, ours)).toBeGreaterThan(minSnr);
      else expect(Math.max(...ours.map(Math.abs))).toBeLessThan(16); // silence stays silence
      if (ff.length === ours.length && Number.isFinite(minSnr)) {
        expect(snrDb(ff, ours)).toBeGreaterThan(snrDb(ff, ref) - 3);
      }
    });
  }

  it('tones decode with SINAD > 20 dB, like bcg729', () => {
    for (const f of [300, 1000, 2000]) {
      const pcm = tone(f, 8000);
      const bits = g729Bcg729.createEncoder().encode(pcm);
      expect(toneSinadDb(oursDecode(bits).subarray(1600), RATE, f)).toBeGreaterThan(20);
    }
  });

  it('full-scale square wave: the synthesis overflow rescaling (bcg729 has none) keeps us close to ffmpeg', () => {
    const pcm = Int16Array.from({ length: N }, (_, i) => (i % 40 < 20 ? 32767 : -32768));
    const bits = g729Bcg729.createEncoder().encode(pcm);
    const ours = oursDecode(bits);
    const ff = ffmpegDecode(bits);
    expect(snrDb(ff, ours)).toBeGreaterThan(10);
  });

  it('random frames with 15 % erased: same level as bcg729 and close to it', () => {
    const r = lcg(7);
    const F = 300;
    const frames = Uint8Array.from({ length: F * 10 }, () => Math.floor(r() * 256));
    const lost = Array.from({ length: F }, () => r() < 0.15);
    const oracle = createBcg729FrameDecoder();
    const d = new G729Decoder();
    const ours = new Int16Array(F * 80);
    const ref = new Int16Array(F * 80);
    for (let f = 0; f < F; f++) {
      ref.set(oracle.decodeFrame(frames.subarray(f * 10, f * 10 + 10), lost[f]!), f * 80);
      d.decodeFrame(frames, f * 10, ours, f * 80, lost[f]!);
    }
    oracle.close();
    const rms = (x: Int16Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    expect(rms(ours) / rms(ref)).toBeGreaterThan(0.8);
    expect(rms(ours) / rms(ref)).toBeLessThan(1.25);
    expect(snrDb(ref, ours)).toBeGreaterThan(12);
  });

  it('conceals lost frames after speech-like input by fading, as bcg729 does', () => {
    const pcm = tone(500, 8000).subarray(0, 8000);
    const bits = g729Bcg729.createEncoder().encode(pcm);
    const oracle = createBcg729FrameDecoder();
    const d = new G729Decoder();
    const ours = new Int16Array(80);
    for (let f = 0; f < 60; f++) {
      oracle.decodeFrame(bits.subarray(f * 10, f * 10 + 10), false);
      d.decodeFrame(bits, f * 10, ours, 0);
    }
    const energies: [number, number][] = [];
    for (let f = 0; f < 40; f++) {
      const ref = oracle.decodeFrame(undefined, true);
      d.decodeFrame(undefined, 0, ours, 0, true);
      const e = (x: Int16Array) => x.reduce((s, v) => s + v * v, 0);
      energies.push([e(ours), e(ref)]);
    }
    oracle.close();
    expect(energies[0]![0]).toBeGreaterThan(0);
    expect(energies[39]![0]).toBeLessThan(energies[0]![0] / 100);
    for (const [o, r] of energies.slice(0, 5))
      expect(Math.abs(10 * Math.log10((o + 1) / (r + 1)))).toBeLessThan(6);
  });
});

describeWithPeers(['bcg729'], 'G.729 TypeScript decoder: Annex B SID frames against bcg729', () => {
  it('decodes SID frames to comfort noise at bcg729 level; a lost frame during silence continues it', () => {
    const r = lcg(5);
    const pcm = Int16Array.from({ length: 4000 }, () => Math.round((r() - 0.5) * 600));
    const bits = g729Bcg729.createEncoder().encode(pcm);
    for (const sidBytes of [
      [0x12, 0x34],
      [0x55, 0xaa],
      [0xff, 0xfe],
      [0x80, 0x40],
    ]) {
      const sid = Uint8Array.from(sidBytes);
      const oracle = createBcg729FrameDecoder();
      const d = new G729Decoder();
      const ours = new Int16Array(80);
      for (let f = 0; f < 50; f++) {
        oracle.decodeFrame(bits.subarray(f * 10, f * 10 + 10), false);
        d.decodeFrame(bits, f * 10, ours, 0);
      }
      let eo = 0;
      let er = 0;
      for (let f = 0; f < 20; f++) {
        const ref = oracle.decodeFrame(sid, false, true);
        d.decodeSid(sid, 0, ours, 0);
        if (f === 0) {
          // Same random generator and seed: the first comfort-noise frame agrees closely.
          // (At the lowest gains the noise is ±20 and differences of 1 LSB dominate the SNR.)
          let maxDiff = 0;
          for (let i = 0; i < 80; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - ref[i]!));
          expect(snrDb(ref, ours) > 25 || maxDiff <= 2, `${sidBytes}`).toBe(true);
        }
        for (let i = 0; i < 80; i++) {
          eo += ours[i]! ** 2;
          er += ref[i]! ** 2;
        }
      }
      expect(Math.abs(10 * Math.log10((eo + 1) / (er + 1))), `${sidBytes}`).toBeLessThan(1);
      // Lost during silence: the Recommendation continues the comfort noise (bcg729 fades instead).
      let el = 0;
      for (let f = 0; f < 5; f++) {
        d.decodeFrame(undefined, 0, ours, 0, true);
        for (let i = 0; i < 80; i++) el += ours[i]! ** 2;
      }
      expect(Math.abs(10 * Math.log10((el / 400 + 1) / (eo / 1600 + 1)))).toBeLessThan(3);
      oracle.close();
    }
  });
});

describeWithPeers(['bcg729', 'ffmpeg', 'espeak-ng'], 'G.729 TypeScript decoder on espeak-ng speech', () => {
  it('speech at 0, −10, −25 and −40 dB below full scale: close to bcg729 and to ffmpeg', () => {
    const speech = espeakSpeech8k();
    const n = speech.length - (speech.length % 80);
    const peak = speech.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    for (const [db, minSnr] of [
      [0, 30],
      [-10, 30],
      [-25, 22],
      [-40, 12],
    ] as const) {
      const g = (32767 / peak) * 10 ** (db / 20);
      const pcm = Int16Array.from(speech.subarray(0, n), (v) => Math.round(v * g));
      const bits = g729Bcg729.createEncoder().encode(pcm);
      const ref = g729Bcg729.createDecoder().decode(bits);
      const ours = oursDecode(bits);
      const ff = ffmpegDecode(bits);
      expect(snrDb(ref, ours), `${db} dB`).toBeGreaterThan(minSnr);
      expect(snrDb(ff, ours), `${db} dB vs ffmpeg`).toBeGreaterThan(snrDb(ff, ref) - 3);
    }
  });
});
