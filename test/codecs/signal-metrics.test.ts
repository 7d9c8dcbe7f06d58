import { describe, expect, it } from 'vitest';
import { alignSignals, bandShares, decimateBy2, scoreAt, toneSinadDb } from '../../codecs/signal-metrics.ts';

function sine(freq: number, amp: number, n: number, rate = 8000, phase = 0): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate + phase));
}

/** Deterministic uniform noise in [-amp, amp]. */
function noise(amp: number, n: number, seed = 1): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * amp;
  });
}

describe('toneSinadDb', () => {
  it('measures a tone against added noise of known power', () => {
    const n = 16000;
    const tone = sine(1000, 10000, n, 8000, 0.3);
    const nz = noise(1000, n);
    const x = tone.map((v, i) => v + nz[i]! + 50); // DC is ignored
    // Tone power 10000²/2, uniform noise power 1000²/3 → 10·log10(150) ≈ 21.8 dB.
    expect(toneSinadDb(x, 8000, 1000)).toBeCloseTo(10 * Math.log10(5e7 / (1e6 / 3)), 0);
  });

  it('is -Infinity for silence and very high for a clean tone', () => {
    expect(toneSinadDb(new Float64Array(800), 8000, 1000)).toBe(Number.NEGATIVE_INFINITY);
    expect(toneSinadDb(sine(1000, 5000, 800), 8000, 1000)).toBeGreaterThan(100);
    expect(toneSinadDb(sine(1300, 5000, 800), 8000, 1000)).toBeLessThan(0);
  });
});

describe('alignSignals', () => {
  const ref = noise(5000, 3000, 42);

  it('finds a delay and an advance, and scores a scaled copy as a perfect match', () => {
    const delayed = new Float64Array(4000);
    delayed.set(
      ref.map((v) => v * 0.5),
      377,
    );
    const a = alignSignals(ref, delayed)!;
    expect(a.lag).toBe(377);
    expect(a.correlation).toBeCloseTo(1, 6);
    expect(a.gain).toBeCloseTo(0.5, 6);
    const late = ref.subarray(250);
    const b = alignSignals(ref, late)!;
    expect(b.lag).toBe(-250);
    expect(b.overlap).toBe(2750);
  });

  it('scores unrelated noise near zero and respects minOverlap', () => {
    const other = noise(5000, 3000, 7);
    expect(Math.abs(alignSignals(ref, other, 3000)!.correlation)).toBeLessThan(0.1);
    expect(alignSignals(ref, new Float64Array(10), 100)).toBeUndefined();
    expect(alignSignals([], ref)).toBeUndefined();
  });

  it('scoreAt gives the SNR implied by added noise', () => {
    const nz = noise(500, 3000, 9);
    const s = scoreAt(
      ref,
      ref.map((v, i) => v + nz[i]!),
      0,
    );
    // (5000²/3)/(500²/3) = 100 → 20 dB, up to the noise's chance correlation with ref.
    expect(s.snrDb).toBeGreaterThan(19);
    expect(s.snrDb).toBeLessThan(21);
  });
});

describe('bandShares and decimateBy2', () => {
  it('splits a two-tone signal by band', () => {
    const x = sine(1000, 6000, 8000).map((v, i) => v + 3000 * Math.sin((2 * Math.PI * 2000 * i) / 8000));
    const [a, b, c] = bandShares(x, 8000, [1000, 2000, 3000]);
    expect(a!).toBeCloseTo(0.8, 1);
    expect(b!).toBeCloseTo(0.2, 1);
    expect(c!).toBeLessThan(0.001);
    expect(bandShares(new Float64Array(100), 8000, [1000])).toEqual([0]);
  });

  it('keeps a 1 kHz tone and removes a 7 kHz one when halving 16 kHz', () => {
    const lowIn = sine(1000, 10000, 16000, 16000);
    const highIn = sine(7000, 10000, 16000, 16000);
    const low = decimateBy2(lowIn);
    const high = decimateBy2(highIn);
    expect(low.length).toBe(8000);
    const rms = (x: ArrayLike<number>, from = 100) => {
      let s = 0;
      for (let i = from; i < x.length; i++) s += x[i]! ** 2;
      return Math.sqrt(s / (x.length - from));
    };
    expect(rms(low) / rms(lowIn)).toBeCloseTo(1, 1);
    expect(rms(high) / rms(highIn)).toBeLessThan(0.01);
    expect(toneSinadDb(low.subarray(100), 8000, 1000)).toBeGreaterThan(40);
  });
});
