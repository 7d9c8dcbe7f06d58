/**
 * Sample buffers and small helpers shared by the generators and analysers. Generators
 * return Int16Array (what codecs take); analysers accept any numeric array-like.
 */

/** Samples an analyser accepts: 16-bit PCM or floating-point samples on the same scale. */
export type Samples = ArrayLike<number>;

/** Number of samples in `ms` milliseconds at `sampleRate` (rounded to nearest). */
export function samplesForMs(ms: number, sampleRate: number): number {
  return Math.max(0, Math.round((ms * sampleRate) / 1000));
}

/** Rounds and clips floating-point samples to 16-bit PCM. NaN becomes 0. */
export function toInt16(samples: Samples): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i]!);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Number.isNaN(v) ? 0 : v;
  }
  return out;
}

/** Copies samples into a Float64Array. */
export function toFloat64(samples: Samples): Float64Array {
  const out = new Float64Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i]!;
  return out;
}

/** Digital silence of the given duration. */
export function silence(durationMs: number, sampleRate: number): Int16Array {
  return new Int16Array(samplesForMs(durationMs, sampleRate));
}

/** Joins signals end to end. */
export function concatSignals(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Shifts a signal by `lag` samples: positive prepends `lag` zeros (a delay), negative drops
 * the first `-lag` samples. The result keeps every remaining sample (its length changes).
 */
export function shiftSignal(signal: Int16Array, lag: number): Int16Array {
  const n = Math.trunc(lag);
  if (n >= 0) {
    const out = new Int16Array(signal.length + n);
    out.set(signal, n);
    return out;
  }
  return signal.slice(Math.min(signal.length, -n));
}

/** Sample-wise sum of two signals (length of the longer one), clipped to 16 bits. */
export function mixSignals(a: Samples, b: Samples): Int16Array {
  const n = Math.max(a.length, b.length);
  const out = new Float64Array(n);
  for (let i = 0; i < a.length; i++) out[i] = a[i]!;
  for (let i = 0; i < b.length; i++) out[i]! += b[i]!;
  return toInt16(out);
}

/** Multiplies every sample by `gain` (linear), clipped to 16 bits. */
export function scaleSignal(signal: Samples, gain: number): Int16Array {
  const out = new Float64Array(signal.length);
  for (let i = 0; i < signal.length; i++) out[i] = signal[i]! * gain;
  return toInt16(out);
}
