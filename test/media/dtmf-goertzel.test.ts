/**
 * The DTMF detector's DFT bins (harness/media/dtmf/goertzel.ts): a bin's value against the DFT
 * term summed directly, over a ring read from every start offset, and the four-bin pass
 * against four single bins, value for value.
 */
import { describe, expect, it } from 'vitest';
import { createPrng } from '../../harness/media/analysis/index.ts';
import { type Bin, GoertzelBin, GoertzelQuad, hannWindow } from '../../harness/media/dtmf/goertzel.ts';

const FS = 16000;
const N = 320;

function ring(seed: number): Float64Array {
  const prng = createPrng(seed);
  return new Float64Array(N).map(() => prng.uniform(-32768, 32767));
}

describe('DTMF Goertzel bins', () => {
  it('a bin is the windowed DFT term at its frequency, read from the ring at every start offset', () => {
    const w = hannWindow(N);
    const bin = new GoertzelBin(1209, FS, w);
    const r = ring(1);
    for (const start of [0, 1, 17, 160, 318, 319]) {
      const out: Bin = { re: 0, im: 0 };
      bin.evaluate(r, start, out);
      let re = 0;
      let im = 0;
      for (let m = 0; m < N; m++) {
        const v = r[(start + m) % N]!;
        re += v * w[m]! * Math.cos(bin.omega * m);
        im -= v * w[m]! * Math.sin(bin.omega * m);
      }
      expect(out.re).toBeCloseTo(re, 6);
      expect(out.im).toBeCloseTo(im, 6);
    }
  });

  it('a ring shorter than the window is read round and round, as the DFT term summed directly', () => {
    const w = hannWindow(N);
    const bin = new GoertzelBin(770, FS, w);
    const prng = createPrng(3);
    const short = new Float64Array(100).map(() => prng.uniform(-32768, 32767));
    for (const start of [0, 37, 99]) {
      const out: Bin = { re: 0, im: 0 };
      bin.evaluate(short, start, out);
      let re = 0;
      let im = 0;
      for (let m = 0; m < N; m++) {
        const v = short[(start + m) % short.length]!;
        re += v * w[m]! * Math.cos(bin.omega * m);
        im -= v * w[m]! * Math.sin(bin.omega * m);
      }
      expect(out.re).toBeCloseTo(re, 6);
      expect(out.im).toBeCloseTo(im, 6);
    }
  });

  it('four bins in one pass give each single bin exactly', () => {
    const w = hannWindow(N);
    const bins = [697, 770, 852, 941].map((f) => new GoertzelBin(f, FS, w));
    const quad = new GoertzelQuad(bins);
    const r = ring(2);
    for (let start = 0; start < N; start++) {
      const outs: Bin[] = bins.map(() => ({ re: 0, im: 0 }));
      quad.evaluate(r, start, outs);
      bins.forEach((b, i) => {
        const one: Bin = { re: 0, im: 0 };
        b.evaluate(r, start, one);
        expect(outs[i]).toEqual(one);
      });
    }
    expect(() => new GoertzelQuad(bins.slice(0, 3))).toThrow(RangeError);
  });
});
