/**
 * Levels of 16-bit PCM, in dBFS and dBm0.
 *
 * Reference (AES17 convention): 0 dBFS is the RMS of a sine whose peak is the largest
 * positive 16-bit sample, 32767. So a sine of amplitude A has a level of 20·log10(A/32767)
 * dBFS, and any signal's RMS level is 20·log10(√2·rms/32767) dBFS; a full-scale square
 * wave reads +3.01 dBFS.
 *
 * dBm0: ITU-T G.711 puts the A-law coder's maximum sine (a full-scale sine) at +3.14 dBm0
 * (µ-law: +3.17 dBm0). This module uses the A-law figure by default: dBm0 = dBFS + 3.14,
 * so 0 dBm0 ≈ −3.14 dBFS (amplitude ≈ 22 900) and the customary −10 dBm0 test tone is
 * −13.14 dBFS. Pass `DBM0_OFFSET_MULAW` where µ-law is the reference.
 */
import type { Samples } from './pcm.ts';

/** Peak of a 0 dBFS sine in 16-bit PCM. */
export const FULL_SCALE_PEAK = 32767;
/** dBm0 of a full-scale (0 dBFS) sine for A-law (ITU-T G.711). */
export const DBM0_OFFSET_ALAW = 3.14;
/** dBm0 of a full-scale (0 dBFS) sine for µ-law (ITU-T G.711). */
export const DBM0_OFFSET_MULAW = 3.17;
/** Level reported for digital silence (all zero samples). */
export const SILENCE_DBFS = -200;

/** Converts dBFS to dBm0 (A-law reference unless another offset is given). */
export function dbfsToDbm0(dbfs: number, offset: number = DBM0_OFFSET_ALAW): number {
  return dbfs + offset;
}

/** Converts dBm0 to dBFS (A-law reference unless another offset is given). */
export function dbm0ToDbfs(dbm0: number, offset: number = DBM0_OFFSET_ALAW): number {
  return dbm0 - offset;
}

/** Peak amplitude (in 16-bit units) of a sine at the given dBFS. */
export function sineAmplitudeForDbfs(dbfs: number): number {
  return FULL_SCALE_PEAK * 10 ** (dbfs / 20);
}

/** RMS (in 16-bit units) of any signal at the given dBFS. */
export function rmsForDbfs(dbfs: number): number {
  return sineAmplitudeForDbfs(dbfs) / Math.SQRT2;
}

/** dBFS of a sine of the given peak amplitude. */
export function dbfsOfSineAmplitude(amplitude: number): number {
  return amplitude > 0 ? 20 * Math.log10(amplitude / FULL_SCALE_PEAK) : SILENCE_DBFS;
}

/** dBFS of a signal with the given RMS. */
export function dbfsOfRms(rmsValue: number): number {
  return dbfsOfSineAmplitude(rmsValue * Math.SQRT2);
}

/** Mean of the squares of `signal[start..end)` (0 for an empty range). */
export function meanSquare(signal: Samples, start = 0, end: number = signal.length): number {
  const a = Math.max(0, start);
  const b = Math.min(signal.length, end);
  if (b <= a) return 0;
  let sum = 0;
  for (let i = a; i < b; i++) {
    const v = signal[i]!;
    sum += v * v;
  }
  return sum / (b - a);
}

/** RMS of `signal[start..end)`. */
export function rms(signal: Samples, start = 0, end: number = signal.length): number {
  return Math.sqrt(meanSquare(signal, start, end));
}

/** RMS level in dBFS; `SILENCE_DBFS` for digital silence or an empty signal. */
export function levelDbfs(signal: Samples, start = 0, end: number = signal.length): number {
  return dbfsOfRms(rms(signal, start, end));
}

/** 10·log10 of a power ratio, with 0/0 and x/0 mapped to finite sentinels (±200 dB). */
export function powerRatioDb(numerator: number, denominator: number): number {
  if (!(numerator > 0)) return -200;
  if (!(denominator > 0)) return 200;
  return 10 * Math.log10(numerator / denominator);
}

/**
 * Below this RMS (about −54 dBFS) a packet of audio is silence: what a sender with silence
 * suppression may leave out (RFC 3551 §4.1). The harness's own silence is zeros; its tones,
 * speech and music are 40 dB above it.
 */
export const SILENCE_RMS = 64;

/** True when the samples' RMS is below {@link SILENCE_RMS} (an empty packet is silence). */
export function isSilence(pcm: Int16Array): boolean {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return sum < SILENCE_RMS * SILENCE_RMS * pcm.length || pcm.length === 0;
}
