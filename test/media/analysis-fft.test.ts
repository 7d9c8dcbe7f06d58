import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createPrng,
  crossCorrelate,
  fft,
  isPowerOfTwo,
  nextPowerOfTwo,
} from '../../harness/media/analysis/index.ts';

function naiveDft(re: number[], im: number[]): { re: number[]; im: number[] } {
  const n = re.length;
  const outRe: number[] = [];
  const outIm: number[] = [];
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * k * t) / n;
      sr += re[t]! * Math.cos(a) - im[t]! * Math.sin(a);
      si += re[t]! * Math.sin(a) + im[t]! * Math.cos(a);
    }
    outRe.push(sr);
    outIm.push(si);
  }
  return { re: outRe, im: outIm };
}

describe('radix-2 FFT', () => {
  it('matches a direct DFT for every size up to 256', () => {
    const p = createPrng(3);
    for (let n = 1; n <= 256; n *= 2) {
      const re = Array.from({ length: n }, () => p.uniform(-1, 1));
      const im = Array.from({ length: n }, () => p.uniform(-1, 1));
      const want = naiveDft(re, im);
      const r = Float64Array.from(re);
      const i = Float64Array.from(im);
      fft(r, i);
      for (let k = 0; k < n; k++) {
        expect(r[k]).toBeCloseTo(want.re[k]!, 9);
        expect(i[k]).toBeCloseTo(want.im[k]!, 9);
      }
    }
  });

  it('puts a cosine at bin k into bins k and N−k with magnitude N/2', () => {
    const n = 64;
    const re = new Float64Array(n).map((_, t) => Math.cos((2 * Math.PI * 5 * t) / n));
    const im = new Float64Array(n);
    fft(re, im);
    expect(re[5]).toBeCloseTo(32, 9);
    expect(re[59]).toBeCloseTo(32, 9);
    expect(Math.abs(re[6]!)).toBeLessThan(1e-9);
  });

  it('inverts itself and preserves energy (Parseval), for any input', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 1024 }),
        (log2, values) => {
          const n = 2 ** log2;
          const re = new Float64Array(n);
          for (let i = 0; i < n; i++) re[i] = values[i % values.length]!;
          const orig = re.slice();
          const im = new Float64Array(n);
          fft(re, im);
          let eTime = 0;
          let eFreq = 0;
          for (let i = 0; i < n; i++) {
            eTime += orig[i]! ** 2;
            eFreq += re[i]! ** 2 + im[i]! ** 2;
          }
          expect(eFreq / n).toBeCloseTo(eTime, Math.max(0, 6 - Math.ceil(Math.log10(eTime + 1))));
          fft(re, im, true);
          for (let i = 0; i < n; i++)
            expect(Math.abs(re[i]! - orig[i]!)).toBeLessThan(1e-6 * (1 + Math.abs(orig[i]!)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects sizes that are not powers of two', () => {
    expect(() => fft(new Float64Array(12), new Float64Array(12))).toThrow(RangeError);
    expect(() => fft(new Float64Array(8), new Float64Array(4))).toThrow(RangeError);
    expect(nextPowerOfTwo(1000)).toBe(1024);
    expect(nextPowerOfTwo(1024)).toBe(1024);
    expect(isPowerOfTwo(96)).toBe(false);
  });
});

describe('cross-correlation through the FFT', () => {
  it('equals the direct sum at every lag, for random signals', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 60 }),
        (ref, rec) => {
          const c = crossCorrelate(ref, rec, false)!;
          expect(c.minLag).toBe(-(ref.length - 1));
          expect(c.values.length).toBe(ref.length + rec.length - 1);
          for (let lag = c.minLag; lag < rec.length; lag++) {
            let want = 0;
            for (let n = 0; n < ref.length; n++) {
              const m = n + lag;
              if (m >= 0 && m < rec.length) want += ref[n]! * rec[m]!;
            }
            expect(Math.abs(c.values[lag - c.minLag]! - want)).toBeLessThan(
              1e-6 * (1 + Math.abs(want)) + 1e-3,
            );
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('returns undefined for empty input', () => {
    expect(crossCorrelate([], [1, 2])).toBeUndefined();
    expect(crossCorrelate([1], [])).toBeUndefined();
  });
});
