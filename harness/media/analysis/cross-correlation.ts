/**
 * Linear cross-correlation of two real signals through one complex FFT (the two signals
 * packed as real and imaginary parts) and one inverse FFT.
 *
 * Lag convention used across this folder: at lag L, `received[n + L]` lines up with
 * `reference[n]`; a positive L means the received signal is late (delayed) by L samples.
 */
import { fft, nextPowerOfTwo } from './fft.ts';
import type { Samples } from './pcm.ts';

/** Largest FFT this module will allocate (2^23 points ≈ 134 MB of work arrays). */
export const MAX_CORRELATION_FFT = 1 << 23;

/** r[L] = Σn reference[n]·received[n+L] for every lag with any overlap. */
export interface CrossCorrelation {
  /** Lag of `values[0]`: −(reference.length − 1). */
  minLag: number;
  /** values[i] is the correlation at lag `minLag + i`; length = ref.length + rec.length − 1. */
  values: Float64Array;
}

/**
 * Cross-correlation of `reference` and `received` after removing each one's mean when
 * `removeMean` (default true). Non-finite samples count as 0. Returns undefined when either is empty or the FFT would
 * exceed `MAX_CORRELATION_FFT`.
 */
export function crossCorrelate(
  reference: Samples,
  received: Samples,
  removeMean = true,
): CrossCorrelation | undefined {
  const nRef = reference.length;
  const nRec = received.length;
  if (nRef === 0 || nRec === 0) return undefined;
  const size = nextPowerOfTwo(nRef + nRec - 1);
  if (size > MAX_CORRELATION_FFT) return undefined;
  const meanRef = removeMean ? mean(reference) : 0;
  const meanRec = removeMean ? mean(received) : 0;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < nRec; i++) re[i] = finite(received[i]!) - meanRec;
  for (let i = 0; i < nRef; i++) im[i] = finite(reference[i]!) - meanRef;
  fft(re, im);
  // Unpack: REC[k] = (Z[k] + conj Z[N−k]) / 2, REF[k] = (Z[k] − conj Z[N−k]) / 2i.
  // Cross spectrum C[k] = REC[k]·conj(REF[k]); C is Hermitian, so compute k ≤ N/2 and mirror.
  const cr = new Float64Array(size);
  const ci = new Float64Array(size);
  for (let k = 0; k <= size / 2; k++) {
    const j = (size - k) % size;
    const zr = re[k]!;
    const zi = im[k]!;
    const wr = re[j]!;
    const wi = im[j]!;
    const ar = (zr + wr) / 2;
    const ai = (zi - wi) / 2;
    const br = (zi + wi) / 2;
    const bi = -(zr - wr) / 2;
    const pr = ar * br + ai * bi;
    const pi = ai * br - ar * bi;
    cr[k] = pr;
    ci[k] = pi;
    if (j !== k) {
      cr[j] = pr;
      ci[j] = -pi;
    }
  }
  fft(cr, ci, true);
  const values = new Float64Array(nRef + nRec - 1);
  for (let lag = -(nRef - 1); lag <= nRec - 1; lag++) {
    values[lag + nRef - 1] = cr[lag >= 0 ? lag : size + lag]!;
  }
  return { minLag: -(nRef - 1), values };
}

/** The sample, or 0 when it is NaN or infinite (bad input is data, not an exception). */
export function finite(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

/** Arithmetic mean, non-finite samples counted as 0 (0 for an empty signal). */
export function mean(signal: Samples): number {
  if (signal.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < signal.length; i++) s += finite(signal[i]!);
  return s / signal.length;
}
