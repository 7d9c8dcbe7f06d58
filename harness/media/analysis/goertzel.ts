/**
 * Single-frequency analysis: the Goertzel recurrence, giving the DFT value of a signal at
 * any frequency (not only at bin centres) without a full FFT.
 */
import type { Samples } from './pcm.ts';

/** The complex DFT sum X(f) = Σn x[n]·e^(−2πi·f·n/fs) over `signal[start..end)`. */
export function goertzel(
  signal: Samples,
  sampleRate: number,
  frequencyHz: number,
  start = 0,
  end: number = signal.length,
): { re: number; im: number } {
  const a = Math.max(0, start);
  const b = Math.min(signal.length, end);
  const w = (2 * Math.PI * frequencyHz) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = a; i < b; i++) {
    const s0 = signal[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  // y[N−1] = s1 − e^(−iw)·s2 gives X up to the phase factor e^(−iw(N−1)) of the block start.
  const yr = s1 - Math.cos(w) * s2;
  const yi = Math.sin(w) * s2;
  const phase = -w * (b - a - 1);
  const c = Math.cos(phase);
  const s = Math.sin(phase);
  return { re: yr * c - yi * s, im: yr * s + yi * c };
}

/**
 * Amplitude estimate of a sine at `frequencyHz` in `signal[start..end)`: 2·|X(f)|/N. Exact for
 * a sine at that frequency over whole periods; approximate otherwise.
 */
export function goertzelAmplitude(
  signal: Samples,
  sampleRate: number,
  frequencyHz: number,
  start = 0,
  end: number = signal.length,
): number {
  const n = Math.min(signal.length, end) - Math.max(0, start);
  if (n <= 0) return 0;
  const x = goertzel(signal, sampleRate, frequencyHz, start, end);
  return (2 * Math.hypot(x.re, x.im)) / n;
}
