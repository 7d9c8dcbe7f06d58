import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import {
  analyseTone,
  meanSquare,
  measureSnr,
  shiftSignal,
  sineTone,
  speechLike,
  toInt16,
  whiteNoise,
  whiteNoiseFloat,
} from '../../harness/media/analysis/index.ts';

const { alaw } = alawmulaw;
const fs = 8000;
const ref = speechLike({ sampleRate: fs, durationMs: 3000, seed: 31, levelDbfs: -20 });

function addNoise(signal: Int16Array, gain: number, noiseDbfs: number, seed: number) {
  const noise = whiteNoiseFloat({
    sampleRate: fs,
    durationMs: (signal.length * 1000) / fs,
    levelDbfs: noiseDbfs,
    seed,
  });
  const out = new Float64Array(signal.length);
  for (let i = 0; i < signal.length; i++) out[i] = gain * signal[i]! + noise[i]!;
  return { received: toInt16(out), noisePower: meanSquare(noise) };
}

describe('SNR and SINAD against a reference', () => {
  it.each([0, 10, 20, 30])('measures %i dB of added white noise within 0.5 dB (lag given)', (target) => {
    const px = meanSquare(ref);
    const noiseDbfs = 10 * Math.log10(px) - target - 20 * Math.log10(32767 / Math.SQRT2);
    const { received, noisePower } = addNoise(ref, 1, noiseDbfs, 100 + target);
    const expected = 10 * Math.log10(px / noisePower);
    expect(expected).toBeCloseTo(target, 0);
    const r = measureSnr(ref, received, { sampleRate: fs, lagSamples: 0 });
    expect(r.aligned).toBe(true);
    expect(Math.abs(r.snrDb - expected)).toBeLessThan(0.5);
    expect(Math.abs(r.sinadDb - 10 * Math.log10(1 + 10 ** (r.snrDb / 10)))).toBeLessThan(0.01);
  });

  it('aligns by itself, fits the gain, and keeps the SNR when the path attenuates by 6 dB', () => {
    const { received: noisy, noisePower } = addNoise(ref, 0.5, -45, 5);
    const received = shiftSignal(noisy, 321);
    const r = measureSnr(ref, received, { sampleRate: fs });
    expect(r.aligned).toBe(true);
    expect(r.lagSamples).toBe(321);
    expect(r.gainDb).toBeCloseTo(-6.02, 1);
    const expected = 10 * Math.log10((0.25 * meanSquare(ref)) / noisePower);
    expect(Math.abs(r.snrDb - expected)).toBeLessThan(0.5);
  });

  it('gives a segmental SNR close to the global one for a stationary signal and noise', () => {
    const x = whiteNoise({ sampleRate: fs, durationMs: 2000, levelDbfs: -20, seed: 1 });
    const n = whiteNoiseFloat({ sampleRate: fs, durationMs: 2000, levelDbfs: -40, seed: 2 });
    const y = toInt16(Array.from(x, (v, i) => v + n[i]!));
    const r = measureSnr(x, y, { sampleRate: fs, lagSamples: 0 });
    expect(r.snrDb).toBeCloseTo(20, 0);
    expect(Math.abs(r.segmentalSnrDb - r.snrDb)).toBeLessThan(1);
  });

  it('rates G.711 A-law at the SNR expected of it (≈ 38 dB for speech at −20 dBFS)', () => {
    const rec = alaw.decode(alaw.encode(ref));
    const r = measureSnr(ref, rec, { sampleRate: fs });
    expect(r.lagSamples).toBe(0);
    expect(r.snrDb).toBeGreaterThan(33);
    expect(r.snrDb).toBeLessThan(42);
    expect(Math.abs(r.gainDb)).toBeLessThan(0.1);
  });

  it('refuses to align unrelated signals and never throws on bad input', () => {
    const other = whiteNoise({ sampleRate: fs, durationMs: 3000, levelDbfs: -20, seed: 9 });
    const r = measureSnr(ref, other, { sampleRate: fs });
    expect(r.aligned).toBe(false);
    expect(r.snrDb).toBe(-200);
    expect(measureSnr([], ref, { sampleRate: fs }).aligned).toBe(false);
    expect(measureSnr(ref, ref, { sampleRate: fs, lagSamples: 10_000_000 }).aligned).toBe(false);
    expect(measureSnr(new Int16Array(800), ref, { sampleRate: fs, lagSamples: 0 }).aligned).toBe(false);
  });
});

describe('SINAD of a tone without a reference', () => {
  it.each([
    [-10, -40],
    [-20, -40],
    [-13.14, -60],
  ])('tone at %f dBFS plus noise at %f dBFS (RMS)', (toneDbfs, noiseDbfs) => {
    const tone = sineTone({ frequencyHz: 1020, levelDbfs: toneDbfs }, { sampleRate: fs, durationMs: 1000 });
    const noise = whiteNoiseFloat({ sampleRate: fs, durationMs: 1000, levelDbfs: noiseDbfs, seed: 3 });
    const y = Float64Array.from(tone, (v, i) => v + noise[i]!);
    const pt = meanSquare(tone);
    const pn = meanSquare(noise);
    const expected = 10 * Math.log10((pt + pn) / pn);
    const a = analyseTone(y, fs, { expectedHz: 1020 });
    expect(a.present).toBe(true);
    expect(Math.abs(a.sinadDb - expected)).toBeLessThan(0.5);
    expect(a.levelDbfs).toBeCloseTo(toneDbfs, 1);
  });

  it('rates a −10 dBm0 tone through A-law at the G.711 quantisation SINAD (35..42 dB)', () => {
    const tone = sineTone({ frequencyHz: 1020, levelDbm0: -10 }, { sampleRate: fs, durationMs: 1000 });
    const a = analyseTone(alaw.decode(alaw.encode(tone)), fs, { expectedHz: 1020 });
    expect(a.present).toBe(true);
    expect(a.sinadDb).toBeGreaterThan(35);
    expect(a.sinadDb).toBeLessThan(42);
    expect(a.levelDbm0).toBeCloseTo(-10, 0);
  });
});
