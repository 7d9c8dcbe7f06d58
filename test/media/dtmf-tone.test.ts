import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DBM0_REFERENCE_PEAK,
  DTMF_DIGITS,
  type DtmfSequenceOptions,
  DtmfToneDetector,
  dbm0ToPeak,
  detectDtmfTones,
  dtmfFrequencies,
  dtmfToneFloat,
  generateDtmfSequence,
  generateDtmfTone,
  peakToDbm0,
  powerToDbm0,
  toPcm16,
} from '../../harness/media/dtmf/index.ts';

const ALL = DTMF_DIGITS.join('');

/** Seeded uniform PRNG (mulberry32) so noisy cases are reproducible. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Adds white Gaussian noise whose power is `snrDb` below `signalPower` (mean square). */
function addNoise(pcm: Int16Array, signalPower: number, snrDb: number, seed: number): Float64Array {
  const r = prng(seed);
  const sigma = Math.sqrt(signalPower / 10 ** (snrDb / 10));
  return Float64Array.from(
    pcm,
    (v) => v + sigma * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()),
  );
}

/** Plain DFT magnitude at one frequency, normalised to the peak amplitude of a sine. */
function amplitudeAt(x: ArrayLike<number>, freq: number, rate: number): number {
  let re = 0;
  let im = 0;
  for (let n = 0; n < x.length; n++) {
    re += x[n]! * Math.cos((2 * Math.PI * freq * n) / rate);
    im -= x[n]! * Math.sin((2 * Math.PI * freq * n) / rate);
  }
  return (2 * Math.hypot(re, im)) / x.length;
}

const digitsOf = (x: ArrayLike<number>, rate: number): string =>
  detectDtmfTones(x, { sampleRate: rate })
    .map((t) => t.digit)
    .join('');

describe('level reference (G.711: full-scale sine = +3.14 dBm0)', () => {
  it('places 0 dBm0 3.14 dB below a full-scale 16-bit sine', () => {
    expect(peakToDbm0(32768)).toBeCloseTo(3.14, 6);
    expect(DBM0_REFERENCE_PEAK).toBeGreaterThan(22800);
    expect(DBM0_REFERENCE_PEAK).toBeLessThan(22830);
    expect(dbm0ToPeak(-20)).toBeCloseTo(DBM0_REFERENCE_PEAK / 10, 6);
    // RMS of a 0 dBm0 sine is peak/√2 ≈ 16 131.
    expect(powerToDbm0(DBM0_REFERENCE_PEAK ** 2 / 2)).toBeCloseTo(0, 9);
  });
});

describe.each([8000, 16000])('DTMF generator at %i Hz', (rate) => {
  it('puts each digit on its two Q.23 frequencies at the asked per-tone levels and twist', () => {
    for (const digit of DTMF_DIGITS) {
      const tone = dtmfToneFloat(digit, { sampleRate: rate, durationMs: 100, levelDbm0: -10, twistDb: 3 });
      expect(tone.length).toBe(rate / 10);
      const { low, high } = dtmfFrequencies(digit);
      expect(Math.abs(peakToDbm0(amplitudeAt(tone, low, rate)) + 10)).toBeLessThan(0.2);
      expect(Math.abs(peakToDbm0(amplitudeAt(tone, high, rate)) + 7)).toBeLessThan(0.2);
      // Pair power = sum of the two tone powers.
      const ms = tone.reduce((s, v) => s + v * v, 0) / tone.length;
      expect(powerToDbm0(ms)).toBeCloseTo(10 * Math.log10(10 ** -1 + 10 ** -0.7), 1);
    }
  });

  it('shifts frequencies by the asked deviation', () => {
    const tone = dtmfToneFloat('1', {
      sampleRate: rate,
      durationMs: 500,
      lowDeviation: 0.035,
      highDeviation: -0.015,
    });
    expect(amplitudeAt(tone, 697 * 1.035, rate)).toBeGreaterThan(10 * amplitudeAt(tone, 697, rate));
    expect(amplitudeAt(tone, 1209 * 0.985, rate)).toBeGreaterThan(10 * amplitudeAt(tone, 1209, rate));
  });

  it('lays out lead, tones, pauses and trail; skips non-digits; clips to 16 bits', () => {
    const pcm = generateDtmfSequence('1x2,3', {
      sampleRate: rate,
      durationMs: 50,
      pauseMs: 30,
      leadMs: 10,
      trailMs: 20,
    });
    const ms = (v: number) => (v * rate) / 1000;
    expect(pcm.length).toBe(ms(10 + 50 * 3 + 30 * 3 + 20));
    expect(pcm.slice(0, ms(10)).every((v) => v === 0)).toBe(true);
    expect(pcm.slice(ms(60), ms(90)).every((v) => v === 0)).toBe(true);
    const loud = generateDtmfTone('D', { sampleRate: rate, levelDbm0: 3 });
    expect(Math.max(...loud)).toBe(32767);
    expect(Math.min(...loud)).toBe(-32768);
    expect([...toPcm16([Number.NaN, 1e9, -1e9, 1.4])]).toEqual([0, 32767, -32768, 1]);
  });
});

interface MatrixCase {
  name: string;
  digits?: string;
  options: DtmfSequenceOptions;
  /** White noise at this SNR relative to the pair's power. */
  snrDb?: number;
  expected: string;
}

/** The Q.24-style acceptance matrix; `expected` is '' for a case that must yield nothing. */
const MATRIX: MatrixCase[] = [
  { name: 'nominal, -7 dBm0 per tone', options: {}, expected: ALL },
  { name: 'low group +1.5 %', options: { lowDeviation: 0.015 }, expected: ALL },
  { name: 'low group -1.5 %', options: { lowDeviation: -0.015 }, expected: ALL },
  { name: 'high group +1.5 %', options: { highDeviation: 0.015 }, expected: ALL },
  { name: 'high group -1.5 %', options: { highDeviation: -0.015 }, expected: ALL },
  { name: 'both groups +1.5 %', options: { lowDeviation: 0.015, highDeviation: 0.015 }, expected: ALL },
  { name: 'low group +3.5 %', options: { lowDeviation: 0.035 }, expected: '' },
  { name: 'low group -3.5 %', options: { lowDeviation: -0.035 }, expected: '' },
  { name: 'high group +3.5 %', options: { highDeviation: 0.035 }, expected: '' },
  { name: 'high group -3.5 %', options: { highDeviation: -0.035 }, expected: '' },
  { name: 'level 0 dBm0 per tone (pair clips)', options: { levelDbm0: 0 }, expected: ALL },
  { name: 'level -3 dBm0 per tone', options: { levelDbm0: -3 }, expected: ALL },
  { name: 'level -25 dBm0 per tone', options: { levelDbm0: -25 }, expected: ALL },
  { name: 'level -36 dBm0 per tone', options: { levelDbm0: -36 }, expected: '' },
  { name: 'level -45 dBm0 per tone', options: { levelDbm0: -45 }, expected: '' },
  { name: 'normal twist +7 dB (high louder)', options: { levelDbm0: -15, twistDb: 7 }, expected: ALL },
  { name: 'reverse twist -3 dB (low louder)', options: { levelDbm0: -10, twistDb: -3 }, expected: ALL },
  { name: 'normal twist +10 dB', options: { levelDbm0: -15, twistDb: 10 }, expected: '' },
  { name: 'reverse twist -6 dB', options: { levelDbm0: -10, twistDb: -6 }, expected: '' },
  { name: '40 ms tones, 40 ms pauses', options: { durationMs: 40, pauseMs: 40 }, expected: ALL },
  { name: '23 ms tones', options: { durationMs: 23, pauseMs: 60 }, expected: '' },
  { name: '20 ms tones', options: { durationMs: 20, pauseMs: 60 }, expected: '' },
  {
    name: 'same digit, 40 ms pauses',
    digits: '5555',
    options: { durationMs: 50, pauseMs: 40 },
    expected: '5555',
  },
  { name: 'white noise, SNR 15 dB, -20 dBm0', options: { levelDbm0: -20 }, snrDb: 15, expected: ALL },
  {
    name: 'white noise, SNR 20 dB, -25 dBm0, 1.5 % off',
    options: { levelDbm0: -25, highDeviation: -0.015 },
    snrDb: 20,
    expected: ALL,
  },
  { name: 'white noise alone (tone at -60 dBm0)', options: { levelDbm0: -60 }, snrDb: -30, expected: '' },
];

describe.each([8000, 16000])('Q.24 acceptance matrix at %i Hz', (rate) => {
  it.each(MATRIX)('$name → "$expected"', ({ digits, options, snrDb, expected }) => {
    const opts: DtmfSequenceOptions = {
      sampleRate: rate,
      durationMs: 80,
      pauseMs: 80,
      leadMs: 33,
      trailMs: 70,
      ...options,
    };
    const pcm = generateDtmfSequence(digits ?? ALL, opts);
    let input: ArrayLike<number> = pcm;
    if (snrDb !== undefined) {
      const level = opts.levelDbm0 ?? -7;
      const pairPower = (dbm0ToPeak(level) ** 2 + dbm0ToPeak(level + (opts.twistDb ?? 0)) ** 2) / 2;
      input = addNoise(pcm, pairPower, snrDb, rate + expected.length);
    }
    expect(digitsOf(input, rate)).toBe(expected);
  });
});

describe.each([8000, 16000])('DTMF detector behaviour at %i Hz', (rate) => {
  it('reports start, duration, levels and frequencies of each tone', () => {
    const pcm = generateDtmfSequence('19#', {
      sampleRate: rate,
      leadMs: 37,
      durationMs: 100,
      pauseMs: 100,
      levelDbm0: -12,
      twistDb: 2,
      lowDeviation: 0.01,
    });
    const tones = detectDtmfTones(pcm, { sampleRate: rate });
    expect(tones.map((t) => t.digit)).toEqual(['1', '9', '#']);
    tones.forEach((t, i) => {
      expect(Math.abs(t.startMs - (37 + 200 * i))).toBeLessThanOrEqual(3);
      expect(Math.abs(t.durationMs - 100)).toBeLessThanOrEqual(5);
      expect(t.startSample).toBe(Math.round((t.startMs * rate) / 1000));
      expect(t.lowLevelDbm0).toBeCloseTo(-12, 0);
      expect(t.highLevelDbm0).toBeCloseTo(-10, 0);
      const f = dtmfFrequencies(t.digit);
      expect(t.lowFrequencyHz / (f.low * 1.01)).toBeCloseTo(1, 2);
      expect(t.highFrequencyHz / f.high).toBeCloseTo(1, 2);
    });
  });

  it('reports one digit for one long tone, and bridges a 10 ms dropout', () => {
    const long = generateDtmfTone('0', { sampleRate: rate, durationMs: 2000 });
    const tones = detectDtmfTones(long, { sampleRate: rate });
    expect(tones.map((t) => t.digit)).toEqual(['0']);
    expect(Math.abs(tones[0]!.durationMs - 2000)).toBeLessThanOrEqual(5);

    const broken = dtmfToneFloat('C', { sampleRate: rate, durationMs: 200 });
    broken.fill(0, (rate * 90) / 1000, (rate * 100) / 1000);
    expect(digitsOf(broken, rate)).toBe('C');
    // A 40 ms gap, by contrast, is a pause between two digits.
    const split = dtmfToneFloat('C', { sampleRate: rate, durationMs: 200 });
    split.fill(0, (rate * 80) / 1000, (rate * 120) / 1000);
    expect(digitsOf(split, rate)).toBe('CC');
  });

  it('reports a direct change of digit without pause as two digits', () => {
    const a = dtmfToneFloat('1', { sampleRate: rate, durationMs: 100 });
    const b = dtmfToneFloat('9', { sampleRate: rate, durationMs: 100 });
    const joined = new Float64Array(a.length + b.length);
    joined.set(a);
    joined.set(b, a.length);
    expect(digitsOf(joined, rate)).toBe('19');
  });

  it('gives the same digits whatever the block sizes fed (property)', () => {
    const pcm = generateDtmfSequence('73*B', { sampleRate: rate, durationMs: 60, pauseMs: 50, trailMs: 60 });
    const whole = detectDtmfTones(pcm, { sampleRate: rate });
    expect(whole.map((t) => t.digit).join('')).toBe('73*B');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const det = new DtmfToneDetector({ sampleRate: rate });
        const got = [];
        let at = 0;
        for (let i = 0; at < pcm.length; i++) {
          const n = sizes[i % sizes.length]! || 1;
          got.push(...det.feed(pcm.subarray(at, at + n)));
          at += n;
        }
        got.push(...det.flush());
        expect(got).toEqual(whole);
      }),
      { numRuns: 20 },
    );
  });

  it('exposes the digit in progress and flushes it at end of stream', () => {
    const det = new DtmfToneDetector({ sampleRate: rate });
    expect(det.feed(generateDtmfTone('6', { sampleRate: rate, durationMs: 200 }))).toEqual([]);
    expect(det.pending).toBe('6');
    expect(det.flush().map((t) => t.digit)).toEqual(['6']);
    expect(det.pending).toBeUndefined();
    expect(det.samplesSeen).toBe(rate / 5);
    expect(det.stats.silence).toBeGreaterThanOrEqual(1);
  });

  it('never throws on garbage input and finds nothing in it', () => {
    const det = new DtmfToneDetector({ sampleRate: rate });
    const junk: unknown[] = [
      null,
      undefined,
      42,
      'abc',
      [],
      new Float32Array([Number.NaN, Number.POSITIVE_INFINITY, -1e30]),
    ];
    for (const j of junk) expect(det.feed(j as ArrayLike<number>)).toEqual([]);
    const r = prng(7);
    const noise = Float64Array.from({ length: rate }, () => (r() - 0.5) * 60000);
    expect(det.feed(noise)).toEqual([]);
    expect(det.flush()).toEqual([]);
  });
});
