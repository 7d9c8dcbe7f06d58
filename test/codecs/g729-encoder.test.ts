/**
 * The TypeScript G.729 Annex A encoder (codecs/g729/encoder.ts), checked by decoding its
 * frames with two independent decoders (libbcg729 and ffmpeg) and with ours, and against
 * libbcg729's encoder on the same input. Frames are not bit-exact with bcg729's: our encoder
 * follows the ITU-T reference code of G.729 Annex A block by block, and bcg729 departs from it in
 * places shown below (docs/g729.md, "Encoder against bcg729"); the tests assert the fields that
 * are identical and bound the rest.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { s16leToInt16 } from '../../codecs/fixtures/codec-fixtures.ts';
import { unpackFrame } from '../../codecs/g729/bitstream.ts';
import { G729Decoder } from '../../codecs/g729/decoder.ts';
import { G729Encoder } from '../../codecs/g729/encoder.ts';
import { IMAP1 } from '../../codecs/g729/tables.ts';
import { g729Bcg729 } from '../../codecs/g729-bcg729.ts';
import { toneSinadDb } from '../../codecs/signal-metrics.ts';
import { describeWithPeers } from '../support/peers.ts';
import { espeakSpeech8k } from '../support/speech.ts';

const RATE = 8000;
const N = RATE * 2;

function encode(pcm: Int16Array): Uint8Array {
  const e = new G729Encoder();
  const out = new Uint8Array((pcm.length / 80) * 10);
  for (let f = 0; f < pcm.length / 80; f++) e.encodeFrame(pcm, f * 80, out, f * 10);
  return out;
}

function decodeOurs(bits: Uint8Array): Int16Array {
  const d = new G729Decoder();
  const out = new Int16Array((bits.length / 10) * 80);
  for (let f = 0; f < bits.length / 10; f++) d.decodeFrame(bits, f * 10, out, f * 80);
  return out;
}

function snrDb(ref: Int16Array, x: Int16Array): number {
  let se = 0;
  let sd = 0;
  for (let i = 0; i < ref.length; i++) {
    se += ref[i]! ** 2;
    sd += (ref[i]! - x[i]!) ** 2;
  }
  return sd === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(se / sd);
}

const tone = (f: number, a: number) =>
  Int16Array.from({ length: N }, (_, i) => Math.round(a * Math.sin((2 * Math.PI * f * i) / RATE)));

describe('G.729 TypeScript encoder on its own', () => {
  it('encodes any 16-bit input to decodable frames, deterministically', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 80, maxLength: 800 }),
        fc.constantFrom(1, 8, 256),
        (xs, run) => {
          // Runs of equal samples too, so that full-scale square waves and DC appear.
          const n = Math.floor(xs.length / 80) * 80;
          const pcm = Int16Array.from({ length: n }, (_, i) => xs[Math.floor(i / run) % xs.length]!);
          const a = encode(pcm);
          expect(a.length).toBe((n / 80) * 10);
          expect(encode(pcm)).toEqual(a);
          const out = decodeOurs(a);
          expect(out.length).toBe(n);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a 1 kHz tone through our encoder and our decoder keeps SINAD > 20 dB', () => {
    expect(toneSinadDb(decodeOurs(encode(tone(1000, 8000))).subarray(1600), RATE, 1000)).toBeGreaterThan(20);
  });

  it('silence encodes to silence', () => {
    const out = decodeOurs(encode(new Int16Array(N)));
    expect(Math.max(...out.map(Math.abs))).toBeLessThan(16);
  });
});

describeWithPeers(
  ['bcg729', 'ffmpeg', 'espeak-ng'],
  'G.729 TypeScript encoder against libbcg729 and ffmpeg',
  () => {
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

    it('tones in both bands: bcg729 and ffmpeg decode our frames with SINAD within 4 dB of bcg729-encoded ones', () => {
      for (const [f, a] of [
        [300, 10000],
        [1000, 8000],
        [2000, 6000],
      ] as const) {
        const pcm = tone(f, a);
        const ours = encode(pcm);
        const theirs = g729Bcg729.createEncoder().encode(pcm);
        const sOurs = toneSinadDb(g729Bcg729.createDecoder().decode(ours).subarray(1600), RATE, f);
        const sTheirs = toneSinadDb(g729Bcg729.createDecoder().decode(theirs).subarray(1600), RATE, f);
        expect(sOurs, `${f} Hz`).toBeGreaterThan(20);
        expect(sOurs, `${f} Hz`).toBeGreaterThan(sTheirs - 4);
        const ff = ffmpegDecode(ours);
        expect(toneSinadDb(ff.subarray(1600), RATE, f), `${f} Hz via ffmpeg`).toBeGreaterThan(18);
      }
    });

    it("digital silence: every parameter but L2L3 is bcg729's in every frame, whole frames identical in >= 10 %", () => {
      const pcm = new Int16Array(N);
      const ours = encode(pcm);
      const theirs = g729Bcg729.createEncoder().encode(pcm);
      const a = new Int32Array(11);
      const b = new Int32Array(11);
      const frames = N / 80;
      let identical = 0;
      for (let f = 0; f < frames; f++) {
        unpackFrame(ours, f * 10, a);
        unpackFrame(theirs, f * 10, b);
        // L2L3 (index 1) is the second-stage LSP codeword, where bcg729 departs from the
        // reference's search (docs/g729.md); measured 12.5 % equal.
        for (const k of [0, 2, 3, 4, 5, 6, 7, 8, 9, 10]) expect(a[k], `frame ${f} field ${k}`).toBe(b[k]);
        if (a[1] === b[1]) identical++;
      }
      expect(identical / frames).toBeGreaterThanOrEqual(0.1);
    });

    it("the first voiced subframe after silence: frame 0 is bcg729's but for the first-stage gain codeword", () => {
      // Tones in both bands, noise and a full-scale sine from a fresh state: the first subframe
      // of frame 0 is silent, the second is the first with signal, and its adaptive-codebook
      // vector is all zero. Every parameter up to S2 and the second-stage gain codeword GB2 are
      // bcg729's; GA2 is not: the reference's G_pitch starts <y1,y1> at 1, so Qua_gain's
      // pre-selection puts the first-stage candidates at 4..7 (the code gain the target asks
      // for is far above the predicted one), where bcg729 searches 0..3 (docs/g729.md).
      let s = 3;
      const noise = Int16Array.from({ length: 800 }, () => {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        return ((s >>> 16) % 12001) - 6000;
      });
      const inputs: [string, Int16Array][] = [
        ['1 kHz', tone(1000, 8000).subarray(0, 800)],
        ['2 kHz', tone(2000, 6000).subarray(0, 800)],
        ['3 kHz', tone(3000, 6000).subarray(0, 800)],
        ['noise', noise],
        ['full-scale 440 Hz', tone(440, 32767).subarray(0, 800)],
      ];
      const a = new Int32Array(11);
      const b = new Int32Array(11);
      for (const [name, pcm] of inputs) {
        unpackFrame(encode(pcm), 0, a);
        unpackFrame(g729Bcg729.createEncoder().encode(pcm), 0, b);
        for (let k = 0; k < 10; k++) expect(a[k], `${name} field ${k}`).toBe(b[k]);
        expect(a[10]! & 15, `${name} GB2`).toBe(b[10]! & 15);
        expect(IMAP1[a[10]! >> 4]!, `${name} ours: first-stage index`).toBeGreaterThanOrEqual(4);
        expect(IMAP1[b[10]! >> 4]!, `${name} bcg729: first-stage index`).toBeLessThanOrEqual(3);
      }
    });

    it('espeak-ng speech at four levels: parameters often equal to bcg729, decoded speech close to bcg729-encoded speech', () => {
      const pcm = espeakSpeech8k();
      const ours = encode(pcm);
      const theirs = g729Bcg729.createEncoder().encode(pcm);
      const a = new Int32Array(11);
      const b = new Int32Array(11);
      let sameLsp = 0;
      let samePitch = 0;
      const frames = pcm.length / 80;
      for (let f = 0; f < frames; f++) {
        unpackFrame(ours, f * 10, a);
        unpackFrame(theirs, f * 10, b);
        if (a[0] === b[0]) sameLsp++;
        if (a[2] === b[2]) samePitch++;
      }
      expect(sameLsp / frames).toBeGreaterThan(0.3);
      expect(samePitch / frames).toBeGreaterThan(0.3);
      // At 0, −10, −25 and −40 dB below full scale: bcg729's decodings of our frames and of its
      // own are close and equally loud (measured 10.7 / 11.2 / 10.3 / 9.1 dB, levels within 3 %).
      const peak = pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
      const rms = (x: Int16Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
      for (const db of [0, -10, -25, -40]) {
        const g = (32767 / peak) * 10 ** (db / 20);
        const x = Int16Array.from(pcm, (v) => Math.round(v * g));
        const dOurs = g729Bcg729.createDecoder().decode(encode(x));
        const dTheirs = g729Bcg729.createDecoder().decode(g729Bcg729.createEncoder().encode(x));
        expect(snrDb(dTheirs, dOurs), `${db} dB`).toBeGreaterThan(6);
        expect(rms(dOurs) / rms(dTheirs), `${db} dB`).toBeGreaterThan(0.8);
        expect(rms(dOurs) / rms(dTheirs), `${db} dB`).toBeLessThan(1.25);
      }
    });
  },
);
