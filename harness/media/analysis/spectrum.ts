/**
 * Averaged power spectrum (Welch: Hann-windowed frames, 50 % overlap) and band energies.
 * The spectrum is one-sided and scaled so that its bins add up to the signal's mean square
 * (Parseval, window power compensated), so band sums compare directly with total power.
 */
import { fft, nextPowerOfTwo } from './fft.ts';
import { powerRatioDb } from './levels.ts';
import type { Samples } from './pcm.ts';

/** One-sided averaged power spectrum. */
export interface PowerSpectrum {
  sampleRate: number;
  /** Width of one bin, Hz. */
  binHz: number;
  /** power[k] is the mean-square contribution of bin k (centre k·binHz), k = 0..frameSize/2. */
  power: Float64Array;
  /** Frames averaged. */
  frames: number;
}

/** Options of `powerSpectrum`. */
export interface SpectrumOptions {
  /** Frame size, a power of two (default: the power of two nearest 64 ms). */
  frameSize?: number;
  /** Remove the mean of each frame first (default true). */
  removeDc?: boolean;
}

/** Welch power spectrum of `signal`. An empty or too-short signal gives zero frames and zero power. */
export function powerSpectrum(
  signal: Samples,
  sampleRate: number,
  options: SpectrumOptions = {},
): PowerSpectrum {
  const fs = sampleRate > 0 ? sampleRate : 8000;
  let size = options.frameSize ?? nextPowerOfTwo(Math.round(fs * 0.064));
  size = nextPowerOfTwo(Math.max(8, size));
  const half = size / 2;
  const power = new Float64Array(half + 1);
  const n = signal.length;
  const hop = half;
  if (n < size) {
    // Short input: one zero-padded frame if there is anything at all.
    if (n < 8) return { sampleRate: fs, binHz: fs / size, power, frames: 0 };
  }
  const win = new Float64Array(size);
  let winPower = 0;
  for (let i = 0; i < size; i++) {
    win[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / size);
    winPower += win[i]! * win[i]!;
  }
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  let frames = 0;
  for (let startAt = 0; frames === 0 || startAt + size <= n; startAt += hop) {
    const len = Math.min(size, n - startAt);
    let m = 0;
    if (options.removeDc ?? true) {
      for (let i = 0; i < len; i++) m += signal[startAt + i]!;
      m /= len;
    }
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < len; i++) re[i] = (signal[startAt + i]! - m) * win[i]!;
    fft(re, im);
    for (let k = 0; k <= half; k++) {
      const p = re[k]! * re[k]! + im[k]! * im[k]!;
      power[k]! += k === 0 || k === half ? p : 2 * p;
    }
    frames++;
    if (startAt + size >= n) break;
  }
  const scale = 1 / (frames * size * winPower);
  for (let k = 0; k <= half; k++) power[k]! *= scale;
  return { sampleRate: fs, binHz: fs / size, power, frames };
}

/** Sum of the bins whose centre lies in [lowHz, highHz). */
export function bandPower(spectrum: PowerSpectrum, lowHz: number, highHz: number): number {
  let sum = 0;
  for (let k = 0; k < spectrum.power.length; k++) {
    const f = k * spectrum.binHz;
    if (f >= lowHz && f < highHz) sum += spectrum.power[k]!;
  }
  return sum;
}

/** Total power of the spectrum (≈ the signal's mean square without DC). */
export function totalPower(spectrum: PowerSpectrum): number {
  let sum = 0;
  for (let k = 0; k < spectrum.power.length; k++) sum += spectrum.power[k]!;
  return sum;
}

/** Band energy of `signal` in [lowHz, highHz) relative to its total energy, dB (−200 when silent). */
export function bandEnergyRatioDb(
  signal: Samples,
  sampleRate: number,
  lowHz: number,
  highHz: number,
): number {
  const s = powerSpectrum(signal, sampleRate);
  return powerRatioDb(bandPower(s, lowHz, highHz), totalPower(s));
}
