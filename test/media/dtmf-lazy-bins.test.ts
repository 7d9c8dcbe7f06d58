/**
 * The inband detector evaluates bins only when a check needs them: the low group of a window
 * past the energy gates, the high group once the low tone passed the frequency check, the one
 * bin of a previous window the phase advance needs; and it rejects a window too quiet for any
 * tone to reach the level floor without them. These tests feed the same signals to a detector
 * with `eagerBins` (the detector as it first was: all eight bins of every window, no quiet
 * gate) and one without, in blocks of random sizes, and require the same digits in every
 * field, the same silence and unsteady counts, and the same number of windows rejected after
 * them (a too-quiet window may now count as `level` where it counted by an earlier check).
 * What both modes share (the ring's indices, the checks past the frequency check) cannot differ
 * between them: dtmf-tone.test.ts and dtmf-talk-off.test.ts judge it by its behaviour.
 */
import { describe, expect, it } from 'vitest';
import { concatSignals } from '../../harness/media/analysis/index.ts';
import {
  type DetectedDtmfTone,
  DTMF_DIGITS,
  DtmfToneDetector,
  type DtmfToneDetectorOptions,
  dtmfFrequencies,
  generateDtmfTone,
} from '../../harness/media/dtmf/index.ts';
import { seededRandom } from '../../harness/media/rtp/index.ts';

/**
 * Random segments: digits at random level, twist, deviation and length (some too short, some
 * out of tolerance), digital silence, noise, a sine at a random frequency, a digit with a
 * dropout, a digit under noise, a digit with the second harmonic of its high tone, a digit at
 * the level floor.
 */
function signal(seed: number, rate: number, segments: number): Int16Array {
  const r = seededRandom(seed);
  const parts: Int16Array[] = [];
  const ms = (x: number) => Math.round((x * rate) / 1000);
  const digit = () => DTMF_DIGITS[Math.floor(r() * DTMF_DIGITS.length)]!;
  const tone = () =>
    generateDtmfTone(digit(), {
      sampleRate: rate,
      levelDbm0: -40 + r() * 40,
      twistDb: -6 + r() * 12,
      durationMs: 10 + r() * 120,
      lowDeviation: (r() - 0.5) * 0.08,
      highDeviation: (r() - 0.5) * 0.08,
    });
  for (let k = 0; k < segments; k++) {
    const kind = Math.floor(r() * 8);
    if (kind === 0) {
      // Digital silence, or G.711's idle pattern (A-law's quietest codes decode to ±8).
      const a = new Int16Array(ms(5 + r() * 80));
      if (r() < 0.5) a.fill(r() < 0.5 ? 8 : -8);
      else for (let i = 0; i < a.length; i++) a[i] = r() < 0.5 ? 8 : -8;
      if (r() < 0.3) a.fill(0);
      parts.push(a);
    } else if (kind === 1) {
      const a = new Int16Array(ms(10 + r() * 60));
      const amp = 10 ** (r() * 4);
      for (let i = 0; i < a.length; i++) a[i] = Math.round((r() - 0.5) * amp);
      parts.push(a);
    } else if (kind === 2) {
      const a = new Int16Array(ms(10 + r() * 80));
      const f = 200 + r() * 3000;
      const amp = 100 + r() * 10000;
      for (let i = 0; i < a.length; i++) a[i] = Math.round(amp * Math.sin((2 * Math.PI * f * i) / rate));
      parts.push(a);
    } else if (kind === 3) {
      const t = tone();
      t.fill(0, Math.floor(t.length / 2), Math.floor(t.length / 2) + ms(r() * 15));
      parts.push(t);
    } else if (kind === 4) {
      const t = tone();
      const amp = 10 ** (r() * 3.5);
      for (let i = 0; i < t.length; i++) t[i] = Math.max(-32768, Math.min(32767, t[i]! + (r() - 0.5) * amp));
      parts.push(t);
    } else if (kind === 5) {
      const d = digit();
      const t = generateDtmfTone(d, { sampleRate: rate, durationMs: 40 + r() * 80, levelDbm0: -10 });
      const f2 = 2 * dtmfFrequencies(d).high;
      const amp = 200 + r() * 4000;
      if (f2 < rate / 2)
        for (let i = 0; i < t.length; i++)
          t[i] = t[i]! + Math.round(amp * Math.sin((2 * Math.PI * f2 * i) / rate));
      parts.push(t);
    } else if (kind === 6) {
      // At the level floor (-30 dBm0), where a gate too eager would lose digits.
      parts.push(
        generateDtmfTone(digit(), {
          sampleRate: rate,
          levelDbm0: -31 + r() * 3,
          twistDb: -2 + r() * 4,
          durationMs: 45 + r() * 60,
          lowDeviation: (r() - 0.5) * 0.04,
          highDeviation: (r() - 0.5) * 0.04,
        }),
      );
    } else parts.push(tone());
  }
  return concatSignals(...parts);
}

function run(
  pcm: Int16Array,
  rate: number,
  eager: boolean,
  seed: number,
  options: DtmfToneDetectorOptions = {},
): { tones: DetectedDtmfTone[]; stats: Record<string, number> } {
  const d = new DtmfToneDetector({ ...options, sampleRate: rate, eagerBins: eager });
  const r = seededRandom(seed);
  const tones: DetectedDtmfTone[] = [];
  for (let at = 0; at < pcm.length; ) {
    const n = 1 + Math.floor(r() * 700);
    tones.push(...d.feed(pcm.subarray(at, at + n)));
    at += n;
  }
  tones.push(...d.flush());
  return { tones, stats: d.stats };
}

/** Windows rejected after the energy gates (by any check of the bins). */
function later(stats: Record<string, number>): number {
  return Object.entries(stats)
    .filter(([k]) => k !== 'silence' && k !== 'unsteady')
    .reduce((n, [, v]) => n + v, 0);
}

describe('inband detector: bins evaluated only when needed', () => {
  for (const rate of [8000, 16000]) {
    it(`gives the same digits and rejects the same windows as evaluating every window, ${rate} Hz`, () => {
      let digits = 0;
      let quietGated = 0;
      const reasons = new Set<string>();
      for (let seed = 1; seed <= 12; seed++) {
        const pcm = signal(seed * 7919 + rate, rate, 60);
        const lazy = run(pcm, rate, false, seed);
        const eager = run(pcm, rate, true, seed);
        expect(lazy.tones).toEqual(eager.tones);
        expect(lazy.stats.silence).toBe(eager.stats.silence);
        expect(lazy.stats.unsteady).toBe(eager.stats.unsteady);
        expect(later(lazy.stats)).toBe(later(eager.stats));
        expect(lazy.stats.level).toBeGreaterThanOrEqual(eager.stats.level!);
        quietGated += lazy.stats.level! - eager.stats.level!;
        digits += eager.tones.length;
        for (const [k, v] of Object.entries(eager.stats)) if (v > 0) reasons.add(k);
      }
      // The signals reach every branch: digits found, and each gate and check rejecting some window.
      expect(digits).toBeGreaterThan(50);
      expect(quietGated).toBeGreaterThan(0);
      expect([...reasons].sort()).toEqual(
        ['energy-ratio', 'frequency', 'harmonic', 'level', 'silence', 'twist', 'unsteady'].sort(),
      );
    });
  }

  // Other rates and limits move the gates and make other checks decide (a wide frequency
  // tolerance lets the level and energy checks judge more windows; other level floors move
  // the quiet gate). The quiet gate's soundness itself rests on its bound (tone-detector.ts):
  // it lies about 30 dB below any tone that reaches the floor, so no signal tests its margin.
  for (const [rate, options] of [
    [11025, {}],
    [44100, {}],
    [8000, { maxFrequencyDeviation: 0.3 }],
    [16000, { maxFrequencyDeviation: 1, minSubBlockRatio: 0 }],
    [8000, { minLevelDbm0: -50 }],
    [16000, { minLevelDbm0: -10 }],
  ] as const) {
    it(`the same digits at ${rate} Hz with ${JSON.stringify(options)}`, () => {
      for (let seed = 1; seed <= 4; seed++) {
        const pcm = signal(seed * 104729 + rate, rate, 40);
        const lazy = run(pcm, rate, false, seed, options);
        const eager = run(pcm, rate, true, seed, options);
        expect(lazy.tones).toEqual(eager.tones);
        expect(lazy.stats.silence).toBe(eager.stats.silence);
        expect(lazy.stats.unsteady).toBe(eager.stats.unsteady);
        expect(later(lazy.stats)).toBe(later(eager.stats));
      }
    });
  }

  it('a digit right after silence, an unsteady stretch or idle noise keeps its start and frequencies', () => {
    // The window after a gated one needs the gated window's bins for its phase advance.
    const rate = 8000;
    const tone = generateDtmfTone('5', { sampleRate: rate, durationMs: 80, lowDeviation: 0.012 });
    // 5 ms loud, 5 ms quiet: every window's sub-blocks differ by 20 dB (unsteady).
    const burst = new Int16Array(400);
    for (let i = 0; i < burst.length; i++)
      burst[i] = Math.round((Math.floor(i / 40) % 2 ? 300 : 3000) * Math.sin(i));
    for (const [lead, gate] of [
      [new Int16Array(800), 'silence'],
      [burst, 'unsteady'],
      [new Int16Array(800).fill(8), 'level'],
    ] as const) {
      const pcm = new Int16Array(lead.length + tone.length + 800);
      pcm.set(lead);
      pcm.set(tone, lead.length);
      const lazy = run(pcm, rate, false, 3);
      const eager = run(pcm, rate, true, 3);
      // The lead's windows were gated (no bins evaluated), so the digit's first window
      // evaluated its previous window's bins itself.
      expect(lazy.stats[gate]).toBeGreaterThan(5);
      expect(lazy.tones).toHaveLength(1);
      expect(lazy.tones).toEqual(eager.tones);
      expect(lazy.tones[0]!.lowFrequencyHz).toBeCloseTo(770 * 1.012, -1);
    }
  });
});
