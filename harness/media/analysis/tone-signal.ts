/**
 * Sine test tones: one tone or a sum of tones, at a level in dBFS or dBm0 (see levels.ts
 * for the references), as 16-bit PCM at any sample rate.
 */
import { DBM0_OFFSET_ALAW, dbm0ToDbfs, sineAmplitudeForDbfs } from './levels.ts';
import { samplesForMs, toInt16 } from './pcm.ts';

/** One sine component. Give `levelDbfs` or `levelDbm0`; neither means −10 dBm0. */
export interface ToneComponent {
  frequencyHz: number;
  /** Level of this sine, dBFS (a sine at 0 dBFS peaks at 32767). */
  levelDbfs?: number;
  /** Level of this sine, dBm0 (A-law reference: 0 dBFS = +3.14 dBm0). */
  levelDbm0?: number;
  /** Starting phase in radians (default 0). */
  phase?: number;
}

/** Options of `sineTone` and `multiTone`. */
export interface ToneOptions {
  sampleRate: number;
  durationMs: number;
  /** Raised-cosine fade in/out, ms (default 0: hard edges). */
  rampMs?: number;
}

/** Level of a component in dBFS (default −10 dBm0). */
export function componentDbfs(c: ToneComponent): number {
  if (c.levelDbfs !== undefined) return c.levelDbfs;
  return dbm0ToDbfs(c.levelDbm0 ?? -10, DBM0_OFFSET_ALAW);
}

/** Applies a raised-cosine fade of `rampSamples` at both ends, in place. */
export function applyRamp(samples: Float64Array, rampSamples: number): void {
  const r = Math.min(Math.floor(rampSamples), Math.floor(samples.length / 2));
  for (let i = 0; i < r; i++) {
    const g = 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / r);
    samples[i]! *= g;
    samples[samples.length - 1 - i]! *= g;
  }
}

/** A sum of sines (clipped to 16 bits if the levels add up past full scale). */
export function multiTone(components: readonly ToneComponent[], options: ToneOptions): Int16Array {
  const n = samplesForMs(options.durationMs, options.sampleRate);
  const out = new Float64Array(n);
  for (const c of components) {
    const amp = sineAmplitudeForDbfs(componentDbfs(c));
    const w = (2 * Math.PI * c.frequencyHz) / options.sampleRate;
    const phase = c.phase ?? 0;
    for (let i = 0; i < n; i++) out[i]! += amp * Math.sin(w * i + phase);
  }
  if (options.rampMs) applyRamp(out, samplesForMs(options.rampMs, options.sampleRate));
  return toInt16(out);
}

/** One sine tone. */
export function sineTone(tone: ToneComponent, options: ToneOptions): Int16Array {
  return multiTone([tone], options);
}
