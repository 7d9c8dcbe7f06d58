/**
 * Signal level reference shared by the DTMF generator and detector.
 *
 * Samples are linear 16-bit PCM (full scale ±32768). ITU-T G.711 places the digital
 * milliwatt so that a full-scale sine is +3.14 dBm0 (A-law; µ-law is +3.17 dBm0, we use the
 * A-law figure for both). Hence a sine of 0 dBm0 has peak amplitude
 * `32768 · 10^(-3.14/20) ≈ 22 813` and RMS `≈ 16 131`; a sine of L dBm0 has peak
 * `22 813 · 10^(L/20)`. DTMF levels are given per tone.
 */

/** dB of a full-scale sine above 0 dBm0 (G.711 A-law). */
export const FULL_SCALE_SINE_DBM0 = 3.14;
/** 16-bit full-scale peak amplitude. */
export const PCM16_FULL_SCALE = 32768;
/** Peak amplitude of a 0 dBm0 sine in 16-bit PCM. */
export const DBM0_REFERENCE_PEAK = PCM16_FULL_SCALE * 10 ** (-FULL_SCALE_SINE_DBM0 / 20);

/** Peak amplitude (16-bit scale) of a sine at `dbm0`. */
export function dbm0ToPeak(dbm0: number): number {
  return DBM0_REFERENCE_PEAK * 10 ** (dbm0 / 20);
}

/** Level in dBm0 of a sine of the given peak amplitude (16-bit scale); -Infinity for 0. */
export function peakToDbm0(peak: number): number {
  return 20 * Math.log10(Math.abs(peak) / DBM0_REFERENCE_PEAK);
}

/** Level in dBm0 of a signal of the given mean power (mean of x², 16-bit scale). */
export function powerToDbm0(meanSquare: number): number {
  return 10 * Math.log10(meanSquare / (DBM0_REFERENCE_PEAK * DBM0_REFERENCE_PEAK * 0.5));
}
