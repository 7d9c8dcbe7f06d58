import alawmulaw from 'alawmulaw';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concatSignals,
  estimateDelay,
  shiftSignal,
  silence,
  speechLike,
  whiteNoise,
} from '../../harness/media/analysis/index.ts';

const { alaw } = alawmulaw;
const viaAlaw = (x: Int16Array): Int16Array => alaw.decode(alaw.encode(x));

describe('delay by cross-correlation', () => {
  const noise8k = whiteNoise({ sampleRate: 8000, durationMs: 2000, levelDbfs: -20, seed: 21 });
  const speech8k = speechLike({ sampleRate: 8000, durationMs: 3000, seed: 4 });

  it.each([0, 1, 7, 160, 799, -1, -37, -400])(
    'recovers a lag of %i samples exactly on noise and speech',
    (lag) => {
      for (const ref of [noise8k, speech8k]) {
        const rec = shiftSignal(ref, lag);
        const d = estimateDelay(ref, rec, { sampleRate: 8000 });
        expect(d.found).toBe(true);
        expect(d.lagSamples).toBe(lag);
        expect(d.lagMs).toBeCloseTo(lag / 8, 10);
        expect(d.peak).toBeGreaterThan(0.999);
      }
    },
  );

  it('recovers the lag through G.711 A-law, with a peak below 1 that still says found', () => {
    for (const lag of [0, 123, -55]) {
      const rec = viaAlaw(shiftSignal(speech8k, lag));
      const d = estimateDelay(speech8k, rec, { sampleRate: 8000 });
      expect(d.found).toBe(true);
      expect(d.lagSamples).toBe(lag);
      expect(d.peak).toBeGreaterThan(0.99);
      expect(d.peak).toBeLessThan(1);
    }
  });

  it('handles a received signal longer than the reference (leading and trailing extra audio)', () => {
    const extra = whiteNoise({ sampleRate: 8000, durationMs: 500, levelDbfs: -50, seed: 99 });
    const rec = concatSignals(extra, silence(100, 8000), speech8k, extra);
    const d = estimateDelay(speech8k, rec, { sampleRate: 8000 });
    expect(d.found).toBe(true);
    expect(d.lagSamples).toBe(extra.length + 800);
    expect(d.lagMs).toBe(600);
  });

  it('handles a received signal shorter than the reference (recording started late, stopped early)', () => {
    const rec = noise8k.slice(3000, 12000);
    const d = estimateDelay(noise8k, rec, { sampleRate: 8000 });
    expect(d.found).toBe(true);
    expect(d.lagSamples).toBe(-3000);
    expect(d.overlapSamples).toBe(9000);
  });

  it('recovers a 10 s wideband lag of 250 ms through A-law at 16 kHz', () => {
    const ref = speechLike({ sampleRate: 16000, durationMs: 10000, seed: 8 });
    const d = estimateDelay(ref, viaAlaw(shiftSignal(ref, 4000)), { sampleRate: 16000 });
    expect(d.found).toBe(true);
    expect(d.lagSamples).toBe(4000);
    expect(d.lagMs).toBe(250);
  });

  it('says "no correlation" for independent noise, with a low peak', () => {
    const other = whiteNoise({ sampleRate: 8000, durationMs: 2000, levelDbfs: -20, seed: 22 });
    const d = estimateDelay(noise8k, other, { sampleRate: 8000 });
    expect(d.found).toBe(false);
    expect(d.reason).toBe('low-correlation');
    expect(d.peak).toBeLessThan(0.1);
  });

  it('restricts the search to a lag window', () => {
    const rec = shiftSignal(noise8k, 800);
    expect(estimateDelay(noise8k, rec, { sampleRate: 8000, maxLagMs: 50 }).found).toBe(false);
    expect(estimateDelay(noise8k, rec, { sampleRate: 8000, minLagMs: 50, maxLagMs: 150 }).lagSamples).toBe(
      800,
    );
  });

  it('reports refined sub-sample lags near the integer lag for integer shifts', () => {
    const d = estimateDelay(noise8k, shiftSignal(noise8k, 42), { sampleRate: 8000 });
    expect(Math.abs(d.lagFractional - 42)).toBeLessThan(0.05);
  });

  it('never throws on empty, silent or tiny inputs', () => {
    expect(estimateDelay([], noise8k, { sampleRate: 8000 })).toMatchObject({ found: false, reason: 'empty' });
    expect(estimateDelay(noise8k, new Int16Array(100), { sampleRate: 8000 })).toMatchObject({
      found: false,
      reason: 'silent',
    });
    expect(estimateDelay([5], [5], { sampleRate: 8000 }).found).toBe(false);
    expect(estimateDelay([1, -1, 1], [1, -1, 1], { sampleRate: 0 }).lagSamples).toBe(0);
    // Garbage samples (NaN, ±Infinity) count as zeros: the rest still aligns.
    const garbled = Array.from(shiftSignal(noise8k, 10), (v, i) => (i % 1000 === 7 ? Number.NaN : v));
    garbled[3] = Number.POSITIVE_INFINITY;
    const d = estimateDelay(noise8k, garbled, { sampleRate: 8000 });
    expect(d.found).toBe(true);
    expect(d.lagSamples).toBe(10);
  });

  it('recovers random lags on a random segment of noise (property)', () => {
    const base = whiteNoise({ sampleRate: 8000, durationMs: 1000, levelDbfs: -20, seed: 77 });
    fc.assert(
      fc.property(fc.integer({ min: -2000, max: 2000 }), fc.integer({ min: 0, max: 4000 }), (lag, start) => {
        const ref = base.subarray(start, start + 4000);
        const rec = viaAlaw(shiftSignal(ref, lag));
        const d = estimateDelay(ref, rec, { sampleRate: 8000 });
        expect(d.found).toBe(true);
        expect(d.lagSamples).toBe(lag);
      }),
      { numRuns: 40 },
    );
  });
});
