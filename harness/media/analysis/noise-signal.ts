/**
 * Seeded noise: white (Gaussian) and pink (1/f power, shaped in the frequency domain).
 * The result is scaled so that its RMS level is exactly the requested dBFS (before the
 * final rounding to 16 bits), which lets tests add noise of a known power.
 */
import { fft, nextPowerOfTwo } from './fft.ts';
import { rmsForDbfs } from './levels.ts';
import { samplesForMs, toInt16 } from './pcm.ts';
import { createPrng } from './prng.ts';

/** Options of the noise generators. */
export interface NoiseOptions {
  sampleRate: number;
  durationMs: number;
  /** RMS level in dBFS (default −20). */
  levelDbfs?: number;
  /** PRNG seed (default 1). */
  seed?: number;
}

function scaleToRms(x: Float64Array, dbfs: number): Int16Array {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  const current = Math.sqrt(sum / Math.max(1, x.length));
  const g = current > 0 ? rmsForDbfs(dbfs) / current : 0;
  for (let i = 0; i < x.length; i++) x[i]! *= g;
  return toInt16(x);
}

/** Gaussian white noise as floating-point samples with the exact requested RMS (unrounded). */
export function whiteNoiseFloat(options: NoiseOptions): Float64Array {
  const n = samplesForMs(options.durationMs, options.sampleRate);
  const prng = createPrng(options.seed ?? 1);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = prng.gaussian();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i]! * x[i]!;
  const current = Math.sqrt(sum / Math.max(1, n));
  const g = current > 0 ? rmsForDbfs(options.levelDbfs ?? -20) / current : 0;
  for (let i = 0; i < n; i++) x[i]! *= g;
  return x;
}

/** Gaussian white noise, 16-bit. */
export function whiteNoise(options: NoiseOptions): Int16Array {
  return toInt16(whiteNoiseFloat(options));
}

/**
 * Pink noise: white Gaussian noise whose spectrum is multiplied by 1/√f (power ∝ 1/f)
 * above 20 Hz (flat below, DC removed), computed with one FFT over the whole signal.
 */
export function pinkNoise(options: NoiseOptions): Int16Array {
  const n = samplesForMs(options.durationMs, options.sampleRate);
  if (n === 0) return new Int16Array(0);
  const size = nextPowerOfTwo(n);
  const prng = createPrng(options.seed ?? 1);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < size; i++) re[i] = prng.gaussian();
  fft(re, im);
  const binHz = options.sampleRate / size;
  re[0] = 0;
  im[0] = 0;
  for (let k = 1; k < size; k++) {
    const kk = k <= size / 2 ? k : size - k;
    const f = Math.max(20, kk * binHz);
    const g = 1 / Math.sqrt(f);
    re[k]! *= g;
    im[k]! *= g;
  }
  fft(re, im, true);
  return scaleToRms(re.subarray(0, n).slice(), options.levelDbfs ?? -20);
}
