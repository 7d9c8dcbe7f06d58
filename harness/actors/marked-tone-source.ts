/**
 * A test tone whose loudness follows a pseudo-random pattern, so that the far side can tell
 * which moment of the tone it is hearing: the audio checks measure one-way delay by
 * correlating the envelope of what arrived with the envelope of what was sent
 * (harness/media/analysis/one-way-delay.ts). A steady tone cannot be aligned that way.
 *
 * The envelope holds a level for a random 15–45 ms, then moves to the next level over 5 ms
 * along a raised cosine; levels are drawn uniformly between 0.4 and 1 of the peak
 * amplitude (mean ≈ 0.7, about −3 dB against a steady tone at `levelDbfs`). The changes are
 * slow against the tone, so its spectrum stays within about ±100 Hz of `freqHz` and
 * Goertzel tone checks, DTMF detectors and noise-floor bins far from the tone are
 * unaffected. Deterministic for a seed; endless unless `durationMs` is given.
 */
import { createPrng } from '../media/analysis/index.ts';
import type { AudioSource } from './audio-sources.ts';
import { DEFAULT_TONE_DBFS, sineTable } from './audio-sources.ts';

/** Shortest and longest hold of one envelope level, ms. */
export const MARK_HOLD_MS: readonly [number, number] = [15, 45];
/** Length of the move between two levels, ms. */
export const MARK_RAMP_MS = 5;
/** Range of envelope levels (fractions of the peak amplitude). */
export const MARK_LEVELS: readonly [number, number] = [0.4, 1];

/** A tone of `freqHz` with the pseudo-random loudness pattern of `seed` (see the module comment). */
export function markedToneSource(
  freqHz: number,
  sampleRate: number,
  seed = 1,
  levelDbfs = DEFAULT_TONE_DBFS,
  durationMs?: number,
): AudioSource {
  const f = Number.isFinite(freqHz) && freqHz > 0 ? freqHz : 1000;
  const amp = 32767 * 10 ** (levelDbfs / 20);
  const total =
    durationMs === undefined
      ? Number.POSITIVE_INFINITY
      : Math.max(0, Math.round((durationMs * sampleRate) / 1000));
  const prng = createPrng(seed >>> 0);
  const ramp = Math.max(1, Math.round((MARK_RAMP_MS * sampleRate) / 1000));
  const newHold = () => Math.round((prng.uniform(MARK_HOLD_MS[0], MARK_HOLD_MS[1]) * sampleRate) / 1000);
  const newLevel = () => prng.uniform(MARK_LEVELS[0], MARK_LEVELS[1]);
  let from = newLevel();
  let to = from;
  let segPos = 0;
  let segLen = newHold();
  const table = sineTable(f, sampleRate);
  const period = table?.length ?? 0;
  let pos = 0;
  return {
    sampleRate,
    next(samples) {
      if (pos >= total) return null;
      const want = Number.isFinite(samples) && samples > 0 ? Math.floor(samples) : 0;
      const n = Math.min(want, total - pos);
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        if (segPos >= segLen + ramp) {
          from = to;
          to = newLevel();
          segPos = 0;
          segLen = newHold();
        }
        const env =
          segPos < segLen
            ? from
            : from + (to - from) * (0.5 - 0.5 * Math.cos((Math.PI * (segPos - segLen)) / ramp));
        segPos++;
        const sine = table
          ? table[(pos + i) % period]!
          : Math.sin((2 * Math.PI * f * (pos + i)) / sampleRate);
        const v = env * amp * sine;
        out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
      }
      pos += n;
      return out;
    },
  };
}
