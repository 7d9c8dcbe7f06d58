import { describe, expect, it } from 'vitest';
import {
  analyseTone,
  bandPower,
  createPrng,
  DBM0_OFFSET_ALAW,
  dbfsToDbm0,
  dbm0ToDbfs,
  levelDbfs,
  multiTone,
  pinkNoise,
  powerSpectrum,
  rms,
  silence,
  sineAmplitudeForDbfs,
  sineTone,
  speechLikeSignal,
  sweep,
  sweepFrequencyAt,
  whiteNoise,
} from '../../harness/media/analysis/index.ts';

describe('seeded PRNG', () => {
  it('repeats a sequence for a seed and differs between seeds', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const c = createPrng(43);
    const sa = Array.from({ length: 50 }, () => a.nextUint32());
    const sb = Array.from({ length: 50 }, () => b.nextUint32());
    const sc = Array.from({ length: 50 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('gives uniform numbers in [0,1) with mean 1/2 and Gaussians with mean 0, variance 1', () => {
    const p = createPrng(7);
    const n = 50_000;
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const v = p.next();
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    let gs = 0;
    let gss = 0;
    for (let i = 0; i < n; i++) {
      const g = p.gaussian();
      gs += g;
      gss += g * g;
    }
    expect(Math.abs(gs / n)).toBeLessThan(0.02);
    expect(Math.abs(gss / n - 1)).toBeLessThan(0.03);
    for (let i = 0; i < 1000; i++) {
      const k = p.nextInt(3, 5);
      expect([3, 4, 5]).toContain(k);
    }
  });
});

describe('levels', () => {
  it('places 0 dBm0 at −3.14 dBFS (A-law reference) and back', () => {
    expect(dbm0ToDbfs(0)).toBeCloseTo(-3.14, 10);
    expect(dbfsToDbm0(-13.14)).toBeCloseTo(-10, 10);
    expect(DBM0_OFFSET_ALAW).toBe(3.14);
    expect(sineAmplitudeForDbfs(0)).toBe(32767);
    expect(sineAmplitudeForDbfs(-6.0206)).toBeCloseTo(32767 / 2, 0);
  });

  it('measures a sine at the level it was generated at, in dBFS and dBm0', () => {
    const t = sineTone({ frequencyHz: 1000, levelDbm0: -10 }, { sampleRate: 8000, durationMs: 1000 });
    expect(t.length).toBe(8000);
    // 1 kHz at 8 kHz: whole periods, so RMS = A/√2 exactly up to rounding.
    expect(levelDbfs(t)).toBeCloseTo(-13.14, 2);
    const f = sineTone({ frequencyHz: 1000, levelDbfs: -20 }, { sampleRate: 16000, durationMs: 500 });
    expect(levelDbfs(f)).toBeCloseTo(-20, 2);
  });

  it('reports digital silence as −200 dBFS', () => {
    expect(levelDbfs(silence(100, 8000))).toBe(-200);
    expect(silence(20, 16000).length).toBe(320);
  });
});

describe('multi-tone and sweep', () => {
  it('adds the powers of uncorrelated tones', () => {
    const m = multiTone(
      [
        { frequencyHz: 697, levelDbfs: -10 },
        { frequencyHz: 1209, levelDbfs: -10 },
      ],
      { sampleRate: 8000, durationMs: 1000 },
    );
    // Two −10 dBFS sines: total −6.99 dBFS.
    expect(levelDbfs(m)).toBeCloseTo(-10 + 10 * Math.log10(2), 1);
    const low = analyseTone(m, 8000, { expectedHz: 697 });
    const high = analyseTone(m, 8000, { expectedHz: 1209 });
    expect(low.present && high.present).toBe(true);
    expect(low.levelDbfs).toBeCloseTo(-10, 1);
    expect(high.levelDbfs).toBeCloseTo(-10, 1);
  });

  it('sweeps linearly and logarithmically through the expected frequencies', () => {
    const opts = { sampleRate: 16000, durationMs: 4000, startHz: 200, endHz: 6000 } as const;
    const lin = sweep(opts);
    const log = sweep({ ...opts, kind: 'log' });
    expect(sweepFrequencyAt(opts, 2)).toBeCloseTo(3100, 6);
    expect(sweepFrequencyAt({ ...opts, kind: 'log' }, 2)).toBeCloseTo(Math.sqrt(200 * 6000), 6);
    for (const [signal, o] of [
      [lin, opts],
      [log, { ...opts, kind: 'log' as const }],
    ] as const) {
      for (const tSec of [0.5, 2, 3.5]) {
        const expected = sweepFrequencyAt(o, tSec);
        // 20 ms window centred on tSec: the sweep moves < 30 Hz inside it.
        const start = Math.round(tSec * 16000) - 160;
        const a = analyseTone(signal, 16000, { start, maxSamples: 320, searchHz: [100, 7900] });
        expect(Math.abs(a.frequencyHz - expected)).toBeLessThan(40);
      }
    }
    expect(levelDbfs(lin)).toBeCloseTo(-13.14, 1);
  });
});

describe('noise', () => {
  it('white noise has the exact RMS, is repeatable per seed and flat', () => {
    const a = whiteNoise({ sampleRate: 16000, durationMs: 2000, levelDbfs: -25, seed: 5 });
    const b = whiteNoise({ sampleRate: 16000, durationMs: 2000, levelDbfs: -25, seed: 5 });
    const c = whiteNoise({ sampleRate: 16000, durationMs: 2000, levelDbfs: -25, seed: 6 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(levelDbfs(a)).toBeCloseTo(-25, 2);
    const s = powerSpectrum(a, 16000);
    const lowHalf = bandPower(s, 0, 4000);
    const highHalf = bandPower(s, 4000, 8001);
    expect(Math.abs(10 * Math.log10(lowHalf / highHalf))).toBeLessThan(0.5);
  });

  it('pink noise has about equal power per octave (−3 dB per octave density)', () => {
    const p = pinkNoise({ sampleRate: 16000, durationMs: 4000, levelDbfs: -20, seed: 9 });
    expect(levelDbfs(p)).toBeCloseTo(-20, 1);
    const s = powerSpectrum(p, 16000, { frameSize: 4096 });
    const o1 = bandPower(s, 250, 500);
    const o2 = bandPower(s, 1000, 2000);
    const o3 = bandPower(s, 3000, 6000);
    expect(Math.abs(10 * Math.log10(o1 / o2))).toBeLessThan(1);
    expect(Math.abs(10 * Math.log10(o2 / o3))).toBeLessThan(1);
    // Whereas equal-width bands fall 3 dB per doubling of frequency.
    const w1 = bandPower(s, 1000, 1500);
    const w2 = bandPower(s, 2000, 3000);
    expect(10 * Math.log10(w1 / w2)).toBeCloseTo(0, 0); // same octave share
    const d1 = bandPower(s, 1000, 1100);
    const d2 = bandPower(s, 2000, 2100);
    expect(10 * Math.log10(d1 / d2)).toBeGreaterThan(2);
    expect(10 * Math.log10(d1 / d2)).toBeLessThan(4);
  });
});

describe('speech-like signal', () => {
  const fs = 16000;
  const sig = speechLikeSignal({ sampleRate: fs, durationMs: 8000, seed: 11 });

  it('is repeatable per seed', () => {
    const again = speechLikeSignal({ sampleRate: fs, durationMs: 8000, seed: 11 });
    const other = speechLikeSignal({ sampleRate: fs, durationMs: 8000, seed: 12 });
    expect(again.samples).toEqual(sig.samples);
    expect(other.samples).not.toEqual(sig.samples);
  });

  it('has talkspurts at the requested level separated by silent pauses', () => {
    expect(sig.samples.length).toBe(8 * fs);
    expect(sig.talkspurts.length).toBeGreaterThanOrEqual(3);
    let sum = 0;
    let count = 0;
    for (const t of sig.talkspurts) {
      for (let i = t.start; i < t.end; i++) sum += sig.samples[i]! ** 2;
      count += t.end - t.start;
    }
    expect(20 * Math.log10((Math.sqrt(sum / count) * Math.SQRT2) / 32767)).toBeCloseTo(-20, 1);
    for (let k = 0; k + 1 < sig.talkspurts.length; k++) {
      const gapStart = sig.talkspurts[k]!.end;
      const gapEnd = sig.talkspurts[k + 1]!.start;
      expect(gapEnd - gapStart).toBeGreaterThanOrEqual(0.2 * fs - 1);
      expect(rms(sig.samples, gapStart, gapEnd)).toBe(0);
    }
  });

  it('has a syllabic envelope near 4 Hz and energy above 4 kHz', () => {
    // Envelope: 10 ms frame energies over the first talkspurt; count the syllable peaks.
    const t = sig.talkspurts.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
    const frame = fs / 100;
    const env: number[] = [];
    for (let i = t.start; i + frame <= t.end; i += frame) env.push(rms(sig.samples, i, i + frame));
    // Smooth over 50 ms, then count peaks above 30 % of the maximum at least 100 ms apart.
    const smooth = env.map((_, i) => {
      const part = env.slice(Math.max(0, i - 2), Math.min(env.length, i + 3));
      return part.reduce((a, b) => a + b, 0) / part.length;
    });
    const max = Math.max(...smooth);
    let peaks = 0;
    let last = -100;
    for (let i = 1; i + 1 < smooth.length; i++) {
      const isPeak = smooth[i]! >= smooth[i - 1]! && smooth[i]! > smooth[i + 1]! && smooth[i]! > 0.3 * max;
      if (isPeak && i - last >= 10) {
        peaks++;
        last = i;
      }
    }
    const seconds = (t.end - t.start) / fs;
    const rate = peaks / seconds;
    expect(rate).toBeGreaterThan(2.5);
    expect(rate).toBeLessThan(6.5);
    const s = powerSpectrum(sig.samples, fs);
    const ratio = 10 * Math.log10(bandPower(s, 4000, 8001) / bandPower(s, 0, 8001));
    expect(ratio).toBeGreaterThan(-35);
    expect(ratio).toBeLessThan(-3);
  });

  it('at 8 kHz keeps its harmonics below the Nyquist frequency', () => {
    const nb = speechLikeSignal({ sampleRate: 8000, durationMs: 2000, seed: 2 });
    const s = powerSpectrum(nb.samples, 8000);
    expect(bandPower(s, 3700, 4001) / bandPower(s, 0, 4001)).toBeLessThan(0.01);
  });
});
