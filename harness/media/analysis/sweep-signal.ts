/**
 * Sine sweeps (chirps): linear or logarithmic (exponential) frequency from `startHz` to
 * `endHz` over the duration, at a constant level. The phase is the integral of the
 * instantaneous frequency, so the sweep is continuous.
 */
import { sineAmplitudeForDbfs } from './levels.ts';
import { samplesForMs, toInt16 } from './pcm.ts';
import { applyRamp } from './tone-signal.ts';

/** Options of `sweep`. */
export interface SweepOptions {
  sampleRate: number;
  durationMs: number;
  startHz: number;
  endHz: number;
  /** 'linear' (default) or 'log' (equal time per octave; both ends must be > 0). */
  kind?: 'linear' | 'log';
  /** Level of the sine in dBFS (default −13.14 dBFS, i.e. −10 dBm0). */
  levelDbfs?: number;
  /** Raised-cosine fade in/out, ms (default 0). */
  rampMs?: number;
}

/** Instantaneous frequency of the sweep at time t (seconds). */
export function sweepFrequencyAt(options: SweepOptions, tSeconds: number): number {
  const T = options.durationMs / 1000;
  const f0 = options.startHz;
  const f1 = options.endHz;
  if (options.kind === 'log' && f0 > 0 && f1 > 0) return f0 * (f1 / f0) ** (tSeconds / T);
  return f0 + ((f1 - f0) * tSeconds) / T;
}

/** A linear or logarithmic chirp. */
export function sweep(options: SweepOptions): Int16Array {
  const n = samplesForMs(options.durationMs, options.sampleRate);
  const out = new Float64Array(n);
  const amp = sineAmplitudeForDbfs(options.levelDbfs ?? -13.14);
  const T = options.durationMs / 1000;
  const f0 = options.startHz;
  const f1 = options.endHz;
  const log = options.kind === 'log' && f0 > 0 && f1 > 0 && f0 !== f1;
  const k = log ? Math.log(f1 / f0) / T : 0;
  for (let i = 0; i < n; i++) {
    const t = i / options.sampleRate;
    const phase = log
      ? (2 * Math.PI * f0 * (Math.exp(k * t) - 1)) / k
      : 2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * (T || 1)));
    out[i] = amp * Math.sin(phase);
  }
  if (options.rampMs) applyRamp(out, samplesForMs(options.rampMs, options.sampleRate));
  return toInt16(out);
}
