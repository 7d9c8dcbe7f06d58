/**
 * The G.729 encoder and decoder (codecs/g729/) give exactly the frames and samples they gave
 * before their speed-up (the hashes were taken from the code as of commit 9073664, before any
 * optimisation): a fixed input of tones, a chirp, noise, speech-like bursts, full scale, DC and
 * silence is encoded; our frames are decoded, and so are random frames with erasures and SID
 * frames. Any change in the arithmetic changes a hash.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { G729Decoder } from '../../codecs/g729/decoder.ts';
import { G729Encoder } from '../../codecs/g729/encoder.ts';

const RATE = 8000;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** 12 s of varied 8 kHz input, 2 s per kind. */
function input(): Int16Array {
  const n = 2 * RATE;
  const x = new Int16Array(6 * n);
  const r = lcg(7);
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    // Two drifting tones and noise (the benchmark's signal).
    x[i] = Math.round(
      7000 * Math.sin(2 * Math.PI * (300 * t + 20 * Math.sin(t))) +
        3000 * Math.sin(2 * Math.PI * 1700 * t) +
        (r() - 0.5) * 2000,
    );
    // Chirp 100 Hz → 3.7 kHz.
    x[n + i] = Math.round(9000 * Math.sin(2 * Math.PI * (100 * t + (900 * t * t) / 2)));
    // White noise.
    x[2 * n + i] = Math.round((r() - 0.5) * 12000);
    // Bursts of a buzzy vowel-like sound with pauses, at varying level.
    const burst = Math.floor(t * 4) % 2 === 0 ? 1 : 0;
    const level = 300 * 10 ** (Math.floor(t * 2) % 3);
    let v = 0;
    for (let h = 1; h <= 12; h++) v += Math.sin(2 * Math.PI * 120 * h * t) / h;
    x[3 * n + i] = Math.round(burst * level * v + (r() - 0.5) * 20);
    // Full-scale square wave, then DC.
    x[4 * n + i] = i < n / 2 ? (Math.floor(i / 20) % 2 ? 32767 : -32768) : 20000;
    // Silence (left at zero), with a low-level tail.
    if (i > n / 2) x[5 * n + i] = Math.round((r() - 0.5) * 6);
  }
  return x;
}

const sha = (a: ArrayBufferView) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');

function goldenHashes(): { frames: string; decoded: string; random: string; sid: string } {
  const pcm = input();
  const nf = pcm.length / 80;
  const enc = new G729Encoder();
  const bits = new Uint8Array(nf * 10);
  for (let f = 0; f < nf; f++) enc.encodeFrame(pcm, f * 80, bits, f * 10);
  const dec = new G729Decoder();
  const out = new Int16Array(nf * 80);
  for (let f = 0; f < nf; f++) dec.decodeFrame(bits, f * 10, out, f * 80);

  // Random frames, 15 % erased.
  const r = lcg(11);
  const rf = 400;
  const rnd = Uint8Array.from({ length: rf * 10 }, () => Math.floor(r() * 256));
  const d2 = new G729Decoder();
  const out2 = new Int16Array(rf * 80);
  for (let f = 0; f < rf; f++) d2.decodeFrame(rnd, f * 10, out2, f * 80, r() < 0.15);

  // Speech frames, then SID frames, lost frames during silence, then speech again.
  const d3 = new G729Decoder();
  const out3 = new Int16Array(200 * 80);
  const sid = Uint8Array.from([0x12, 0x34, 0x55, 0xaa, 0xff, 0xfe, 0x80, 0x40]);
  for (let f = 0; f < 200; f++) {
    if (f < 50 || f >= 150) d3.decodeFrame(bits, f * 10, out3, f * 80);
    else if (f % 8 === 0) d3.decodeSid(sid, ((f >> 3) % 4) * 2, out3, f * 80);
    else d3.decodeFrame(undefined, 0, out3, f * 80, true);
  }
  return { frames: sha(bits), decoded: sha(out), random: sha(out2), sid: sha(out3) };
}

describe('G.729 TypeScript codec: output unchanged by the speed-up', () => {
  it('encodes and decodes a fixed input to the same frames and samples as before', () => {
    expect(goldenHashes()).toEqual({
      frames: '9040424c3f7102afec61b3b120d87c53f040c4c85be3750c0c6faade6f385e81',
      decoded: '904d3cfb6c61b19dfae34acd224272187aca611af678d1bfe6af0b78df59f6f5',
      random: 'eabb61fba6de8e6cfc87a096fac3ac024e3187ddc5ed103c49d9015b0a80bcd3',
      sid: 'b2661afd31e30ecb42874ad3e572313f233451009657236f429daa5b2838a72c',
    });
  });
});
