import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyseTone,
  goertzel,
  goertzelAmplitude,
  scaleSignal,
  sineTone,
  toInt16,
  whiteNoise,
  whiteNoiseFloat,
} from '../../harness/media/analysis/index.ts';

describe('tone frequency and level', () => {
  it('measures random tones within 0.5 Hz and 0.1 dB (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 100, max: 3800, noNaN: true }),
        fc.double({ min: -40, max: -3, noNaN: true }),
        fc.double({ min: 0, max: 6.28, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (f, level, phase, seed) => {
          const tone = sineTone(
            { frequencyHz: f, levelDbfs: level, phase },
            { sampleRate: 8000, durationMs: 500 },
          );
          const noise = whiteNoiseFloat({ sampleRate: 8000, durationMs: 500, levelDbfs: level - 40, seed });
          const y = Float64Array.from(tone, (v, i) => v + noise[i]!);
          const a = analyseTone(y, 8000);
          expect(Math.abs(a.frequencyHz - f)).toBeLessThan(0.5);
          expect(Math.abs(a.levelDbfs - level)).toBeLessThan(0.1);
          expect(a.present).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('is far more precise than an FFT bin on a clean tone (100 ms, bin ≈ 10 Hz)', () => {
    const t = sineTone({ frequencyHz: 1234.567, levelDbfs: -10 }, { sampleRate: 8000, durationMs: 100 });
    const a = analyseTone(t, 8000);
    expect(Math.abs(a.frequencyHz - 1234.567)).toBeLessThan(0.05);
    expect(a.toneToTotalDb).toBeGreaterThan(-0.01);
    expect(a.thdDb).toBeLessThan(-60);
  });

  it('reports the level in dBm0 with the A-law reference', () => {
    const t = sineTone({ frequencyHz: 1004, levelDbm0: -10 }, { sampleRate: 16000, durationMs: 250 });
    const a = analyseTone(t, 16000, { expectedHz: 1004 });
    expect(a.levelDbm0).toBeCloseTo(-10, 1);
    expect(a.levelDbfs).toBeCloseTo(-13.14, 1);
  });

  it('finds the tone nearest an expected frequency among several', () => {
    const a = sineTone({ frequencyHz: 770, levelDbfs: -10 }, { sampleRate: 8000, durationMs: 200 });
    const b = sineTone({ frequencyHz: 1336, levelDbfs: -12 }, { sampleRate: 8000, durationMs: 200 });
    const sum = Float64Array.from(a, (v, i) => v + b[i]!);
    const low = analyseTone(sum, 8000, { expectedHz: 770 });
    const high = analyseTone(sum, 8000, { expectedHz: 1336 });
    expect(Math.abs(low.frequencyHz - 770)).toBeLessThan(0.5);
    expect(Math.abs(high.frequencyHz - 1336)).toBeLessThan(0.5);
    expect(high.levelDbfs).toBeCloseTo(-12, 1);
  });
});

describe('tone presence', () => {
  const tone = sineTone({ frequencyHz: 425, levelDbfs: -20 }, { sampleRate: 8000, durationMs: 500 });

  it('says absent for silence, a wrong frequency, a too-quiet tone or a tone drowned in noise', () => {
    expect(analyseTone(new Int16Array(4000), 8000)).toMatchObject({ present: false, reason: 'too-quiet' });
    expect(analyseTone(tone, 8000, { expectedHz: 440, toleranceHz: 5, searchHz: [300, 600] })).toMatchObject({
      present: false,
      reason: 'off-frequency',
    });
    expect(analyseTone(scaleSignal(tone, 0.001), 8000, { expectedHz: 425 })).toMatchObject({
      present: false,
      reason: 'too-quiet',
    });
    const noise = whiteNoise({ sampleRate: 8000, durationMs: 500, levelDbfs: -5, seed: 4 });
    const drowned = toInt16(Array.from(tone, (v, i) => v + noise[i]!));
    expect(analyseTone(drowned, 8000, { expectedHz: 425 })).toMatchObject({
      present: false,
      reason: 'not-dominant',
    });
    expect(analyseTone(tone, 8000, { expectedHz: 425 }).present).toBe(true);
  });

  it('never throws on short or odd input', () => {
    expect(analyseTone([], 8000).present).toBe(false);
    expect(analyseTone([1, 2, 3], 8000).reason).toBe('empty');
    expect(analyseTone(tone, 0).present).toBe(false);
    expect(analyseTone([Number.NaN, 1, 2, 3, 4, 5, 6, 7, 8, 9], 8000).present).toBe(false);
    expect(analyseTone(tone, 8000, { searchHz: [5000, 6000] }).present).toBe(false);
  });
});

describe('distortion and Goertzel', () => {
  it('sees the harmonics of a hard-clipped sine', () => {
    const loud = sineTone({ frequencyHz: 500, levelDbfs: 0 }, { sampleRate: 8000, durationMs: 500 });
    const clipped = Int16Array.from(loud, (v) => Math.max(-8000, Math.min(8000, v)));
    const a = analyseTone(clipped, 8000, { expectedHz: 500 });
    expect(a.present).toBe(true);
    // A hard-clipped sine approaches a square wave: 3rd harmonic at 1/3 → THD near −10 dB.
    expect(a.thdDb).toBeGreaterThan(-15);
    expect(a.sinadDb).toBeLessThan(15);
  });

  it('Goertzel gives the DFT value and exact amplitude at bin centres', () => {
    const t = sineTone({ frequencyHz: 1000, levelDbfs: -6.0206 }, { sampleRate: 8000, durationMs: 100 });
    expect(goertzelAmplitude(t, 8000, 1000)).toBeCloseTo(32767 / 2, -1);
    expect(goertzelAmplitude(t, 8000, 2000)).toBeLessThan(1);
    const x = [1, 2, 3, 4];
    const g = goertzel(x, 4, 1); // bin 1 of a 4-point DFT: 1 − 3 + i(−2 + 4)
    expect(g.re).toBeCloseTo(-2, 10);
    expect(g.im).toBeCloseTo(2, 10);
  });
});
