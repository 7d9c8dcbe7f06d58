/**
 * Inband DTMF generator: Q.23 tone pairs as linear 16-bit PCM at 8 or 16 kHz (any rate
 * works), with per-tone level in dBm0 (see dtmf-level.ts for the reference), twist,
 * duration, pause, and deliberate frequency deviation for receiver tests.
 */
import { type DtmfDigit, dtmfFrequencies, toDtmfDigit } from './dtmf-digit.ts';
import { dbm0ToPeak } from './dtmf-level.ts';

/** Options of {@link generateDtmfTone} and {@link generateDtmfSequence}. */
export interface DtmfToneOptions {
  /** Sample rate in Hz. Default 8000. */
  sampleRate?: number;
  /**
   * Level of the low-group tone in dBm0. Default -7. The high-group tone is at
   * `levelDbm0 + twistDb`.
   */
  levelDbm0?: number;
  /**
   * Twist in dB = high-group level minus low-group level. Positive is the usual ("normal")
   * twist where the high group is louder; negative is reverse twist. Default 0.
   */
  twistDb?: number;
  /** Tone duration in ms. Default 100. */
  durationMs?: number;
  /** Relative frequency deviation of the low tone, e.g. 0.015 for +1.5 %. Default 0. */
  lowDeviation?: number;
  /** Relative frequency deviation of the high tone. Default 0. */
  highDeviation?: number;
}

/** Options of {@link generateDtmfSequence}: tone options plus pause and padding. */
export interface DtmfSequenceOptions extends DtmfToneOptions {
  /** Silence between tones in ms. Default 100. */
  pauseMs?: number;
  /** Silence before the first tone in ms. Default 0. */
  leadMs?: number;
  /** Silence after the last tone in ms. Default 0. */
  trailMs?: number;
}

/** One tone pair, as floating-point samples (16-bit scale, not clipped). */
export function dtmfToneFloat(digit: DtmfDigit, options: DtmfToneOptions = {}): Float64Array {
  const rate = options.sampleRate ?? 8000;
  const n = Math.max(0, Math.round(((options.durationMs ?? 100) * rate) / 1000));
  const { low, high } = dtmfFrequencies(digit);
  const lowLevel = options.levelDbm0 ?? -7;
  const highLevel = lowLevel + (options.twistDb ?? 0);
  const fLow = low * (1 + (options.lowDeviation ?? 0));
  const fHigh = high * (1 + (options.highDeviation ?? 0));
  const aLow = dbm0ToPeak(lowLevel);
  const aHigh = dbm0ToPeak(highLevel);
  const wLow = (2 * Math.PI * fLow) / rate;
  const wHigh = (2 * Math.PI * fHigh) / rate;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = aLow * Math.sin(wLow * i) + aHigh * Math.sin(wHigh * i);
  return out;
}

/** One tone pair as 16-bit PCM (rounded, clipped to the 16-bit range). */
export function generateDtmfTone(digit: DtmfDigit, options: DtmfToneOptions = {}): Int16Array {
  return toPcm16(dtmfToneFloat(digit, options));
}

/**
 * A digit string as 16-bit PCM: lead silence, then for each digit a tone and (between
 * digits) a pause, then trail silence. Characters that are not DTMF digits are skipped;
 * a comma inserts an extra pause.
 */
export function generateDtmfSequence(digits: string, options: DtmfSequenceOptions = {}): Int16Array {
  const rate = options.sampleRate ?? 8000;
  const samples = (ms: number): number => Math.max(0, Math.round((ms * rate) / 1000));
  const parts: Float64Array[] = [new Float64Array(samples(options.leadMs ?? 0))];
  const pause = new Float64Array(samples(options.pauseMs ?? 100));
  let first = true;
  for (const ch of digits) {
    if (ch === ',') {
      parts.push(pause);
      continue;
    }
    const digit = toDtmfDigit(ch);
    if (digit === undefined) continue;
    if (!first) parts.push(pause);
    first = false;
    parts.push(dtmfToneFloat(digit, options));
  }
  parts.push(new Float64Array(samples(options.trailMs ?? 0)));
  const total = parts.reduce((s, p) => s + p.length, 0);
  const joined = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return toPcm16(joined);
}

/** Rounds and clips floating-point samples (16-bit scale) to Int16. */
export function toPcm16(samples: ArrayLike<number>): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i]!);
    out[i] = Math.min(32767, Math.max(-32768, v));
  }
  return out;
}
