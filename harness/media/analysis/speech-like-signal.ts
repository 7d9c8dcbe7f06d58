/**
 * A deterministic speech-like test signal: not speech, but with speech's traits that matter
 * to delay estimation, codecs and activity detectors.
 *
 * Construction (all random choices come from the seeded PRNG):
 * - Talkspurts of 2–6 "syllables" separated by pauses of 200–600 ms (silence); the signal
 *   starts with a syllable and ends with a pause.
 * - Each syllable lasts 180–320 ms (≈ 4 Hz syllabic rate) under a raised-cosine (sin²) envelope.
 * - Voicing: a harmonic series on a fundamental `pitchHz` (default 140 Hz) that glides ±15 %
 *   over a talkspurt (declination) with ±8 % per-syllable offsets, harmonics up to
 *   min(7 kHz, 0.45·sampleRate). Harmonic amplitudes follow a −6 dB/octave tilt times three
 *   formant peaks of a vowel picked per syllable (F1–F3 of /a e i o u/, adult male averages),
 *   with random but fixed per-harmonic phases (low crest factor).
 * - Frication: half the syllables start with a 40–80 ms burst of first-differenced (high-
 *   tilted) noise, which puts energy above 4 kHz as real fricatives do.
 * - The result is scaled so that the RMS over the talkspurts (pauses excluded) is `levelDbfs`
 *   (default −20 dBFS).
 */
import { rmsForDbfs } from './levels.ts';
import { samplesForMs, toInt16 } from './pcm.ts';
import { createPrng } from './prng.ts';

/** Options of `speechLike`. */
export interface SpeechLikeOptions {
  sampleRate: number;
  durationMs: number;
  /** RMS level over the talkspurts, dBFS (default −20). */
  levelDbfs?: number;
  /** Mean fundamental frequency in Hz (default 140). */
  pitchHz?: number;
  /** PRNG seed (default 1). */
  seed?: number;
}

/** One talkspurt (a run of syllables without pause), in samples [start, end). */
export interface Talkspurt {
  start: number;
  end: number;
}

/** The signal with its timeline of talkspurts. */
export interface SpeechLikeSignal {
  samples: Int16Array;
  talkspurts: Talkspurt[];
  sampleRate: number;
}

const VOWEL_FORMANTS: readonly (readonly [number, number, number])[] = [
  [730, 1090, 2440],
  [530, 1840, 2480],
  [270, 2290, 3010],
  [570, 840, 2410],
  [300, 870, 2240],
];

function harmonicWeight(f: number, formants: readonly number[]): number {
  const tilt = f < 500 ? 1 : 500 / f;
  let peaks = 0.08;
  for (const [i, fc] of formants.entries()) {
    const bw = 80 + 40 * i;
    const d = (f - fc) / bw;
    peaks += Math.exp(-0.5 * d * d) / (1 + i);
  }
  return tilt * peaks;
}

/** The speech-like signal with its talkspurt timeline. */
export function speechLikeSignal(options: SpeechLikeOptions): SpeechLikeSignal {
  const fs = options.sampleRate;
  const n = samplesForMs(options.durationMs, fs);
  const prng = createPrng(options.seed ?? 1);
  const pitch = options.pitchHz ?? 140;
  const out = new Float64Array(n);
  const talkspurts: Talkspurt[] = [];
  const fMax = Math.min(7000, 0.45 * fs);
  const maxHarmonics = Math.max(1, Math.floor(fMax / (pitch * 0.8)));
  const phases = new Float64Array(maxHarmonics + 1);
  for (let k = 1; k <= maxHarmonics; k++) phases[k] = prng.uniform(0, 2 * Math.PI);
  const wCos = new Float64Array(maxHarmonics + 1);
  const wSin = new Float64Array(maxHarmonics + 1);

  let at = 0;
  let basePhase = 0;
  let noisePrev = 0;
  while (at < n) {
    const syllables = prng.nextInt(2, 6);
    const spurtStart = at;
    const spurtLen = syllables * 250;
    let sampleInSpurt = 0;
    for (let s = 0; s < syllables && at < n; s++) {
      const len = Math.min(n - at, samplesForMs(prng.uniform(180, 320), fs));
      const formants = VOWEL_FORMANTS[prng.nextInt(0, VOWEL_FORMANTS.length - 1)]!;
      const offset = prng.uniform(-0.08, 0.08);
      const fricLen = prng.next() < 0.5 ? samplesForMs(prng.uniform(40, 80), fs) : 0;
      const f0Mid = pitch * (1 + offset);
      for (let k = 1; k <= maxHarmonics; k++) {
        const f = k * f0Mid;
        const wk = f <= fMax ? harmonicWeight(f, formants) : 0;
        wCos[k] = wk * Math.cos(phases[k]!);
        wSin[k] = wk * Math.sin(phases[k]!);
      }
      for (let i = 0; i < len; i++, at++, sampleInSpurt++) {
        const progress = Math.min(1, sampleInSpurt / Math.max(1, samplesForMs(spurtLen, fs)));
        const f0 = pitch * (1 + offset) * (1.15 - 0.3 * progress);
        basePhase += (2 * Math.PI * f0) / fs;
        if (basePhase > 2 * Math.PI) basePhase -= 2 * Math.PI;
        const env = Math.sin((Math.PI * (i + 0.5)) / len) ** 2;
        // Σ w_k·sin(kφ + θ_k) = Σ (w_k·cos θ_k)·sin kφ + (w_k·sin θ_k)·cos kφ, with sin kφ and
        // cos kφ from the Chebyshev recurrence instead of one Math.sin per harmonic.
        let v = 0;
        const hmax = Math.min(maxHarmonics, Math.floor(fMax / f0));
        const c1 = Math.cos(basePhase);
        const s1 = Math.sin(basePhase);
        let sPrev = 0;
        let cPrev = 1;
        let sk = s1;
        let ck = c1;
        for (let k = 1; k <= hmax; k++) {
          v += wCos[k]! * sk + wSin[k]! * ck;
          const sNext = 2 * c1 * sk - sPrev;
          const cNext = 2 * c1 * ck - cPrev;
          sPrev = sk;
          cPrev = ck;
          sk = sNext;
          ck = cNext;
        }
        let fric = 0;
        if (i < fricLen) {
          const w = prng.gaussian();
          fric = 0.25 * (w - noisePrev) * Math.sin((Math.PI * (i + 0.5)) / fricLen);
          noisePrev = w;
        }
        out[at] = env * v + fric;
      }
    }
    talkspurts.push({ start: spurtStart, end: at });
    at += samplesForMs(prng.uniform(200, 600), fs);
  }

  let sum = 0;
  let count = 0;
  for (const t of talkspurts) {
    for (let i = t.start; i < t.end; i++) sum += out[i]! * out[i]!;
    count += t.end - t.start;
  }
  const current = Math.sqrt(sum / Math.max(1, count));
  const g = current > 0 ? rmsForDbfs(options.levelDbfs ?? -20) / current : 0;
  for (let i = 0; i < n; i++) out[i]! *= g;
  return { samples: toInt16(out), talkspurts, sampleRate: fs };
}

/** The speech-like signal alone (see the module comment for how it is built). */
export function speechLike(options: SpeechLikeOptions): Int16Array {
  return speechLikeSignal(options).samples;
}
