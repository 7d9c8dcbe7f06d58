/**
 * Streaming sample-rate conversion by an integer factor (8 kHz ↔ 16 kHz is the case that
 * matters: a 16 kHz test signal into G.711, G.711 audio into a 16 kHz recording).
 *
 * Method: one windowed-sinc low-pass (Blackman window, {@link RESAMPLER_TAPS_PER_PHASE}
 * taps per output phase) designed at the higher rate with its cut-off at 0.46 × the lower
 * rate (3.68 kHz for 8 ↔ 16 kHz; about −74 dB stop band from ~4.4 kHz). Upsampling by L
 * inserts L−1 zeros between samples and filters (polyphase, gain L); downsampling by M
 * filters and keeps every M-th sample. The filter state is kept between calls, so a stream
 * can be converted packet by packet; the converter delays the signal by half the filter
 * length (16 samples at the higher rate with the defaults).
 *
 * It is simple and honest rather than transparent: good for test tones, DTMF and the
 * speech-like signal, not for a listening test. Other ratios (44.1 kHz…) are refused.
 */

/** Taps of the prototype low-pass per polyphase branch (filter length = taps × factor). */
export const RESAMPLER_TAPS_PER_PHASE = 32;

/** The largest integer factor supported. */
export const MAX_RESAMPLE_FACTOR = 6;

function blackmanSinc(length: number, cutoff: number): Float64Array {
  // cutoff as a fraction of the sampling rate (0..0.5)
  const h = new Float64Array(length);
  const mid = (length - 1) / 2;
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const x = i - mid;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const w =
      0.42 -
      0.5 * Math.cos((2 * Math.PI * i) / (length - 1)) +
      0.08 * Math.cos((4 * Math.PI * i) / (length - 1));
    h[i] = sinc * w;
    sum += h[i]!;
  }
  for (let i = 0; i < length; i++) h[i]! /= sum;
  return h;
}

function clip16(v: number): number {
  const r = Math.round(v);
  return Math.min(32767, Math.max(-32768, r));
}

/** True when {@link Resampler} can convert between the two rates. */
export function canResample(fromRate: number, toRate: number): boolean {
  if (!(Number.isInteger(fromRate) && Number.isInteger(toRate) && fromRate > 0 && toRate > 0)) return false;
  const hi = Math.max(fromRate, toRate);
  const lo = Math.min(fromRate, toRate);
  return hi % lo === 0 && hi / lo <= MAX_RESAMPLE_FACTOR;
}

/** A stateful converter from `fromRate` to `toRate` (one of them an integer multiple ≤ 6 of the other). */
export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Upsampling factor L (1 when downsampling or equal). */
  private readonly up: number;
  /** Downsampling factor M (1 when upsampling or equal). */
  private readonly down: number;
  private readonly taps: Float64Array;
  /** Upsampling: the taps of each output phase p contiguous (p·len + j holds taps[p + j·L]). */
  private readonly phaseTaps: Float64Array;
  /** Most recent input samples, newest at `pos - 1` (circular, doubled for contiguous reads). */
  private readonly hist: Float64Array;
  private readonly histLen: number;
  private pos = 0;
  private phase = 0;

  /** @throws RangeError when the rates are not an integer ratio of at most 6 (see {@link canResample}). */
  constructor(fromRate: number, toRate: number) {
    if (!canResample(fromRate, toRate)) {
      throw new RangeError(`cannot resample ${fromRate} Hz to ${toRate} Hz (integer ratio ≤ 6 only)`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.up = toRate > fromRate ? toRate / fromRate : 1;
    this.down = fromRate > toRate ? fromRate / toRate : 1;
    const factor = Math.max(this.up, this.down);
    if (factor === 1) {
      this.taps = new Float64Array(0);
      this.histLen = 0;
    } else {
      const length = RESAMPLER_TAPS_PER_PHASE * factor;
      this.taps = blackmanSinc(length, 0.46 / factor);
      // Upsampling reads `taps/L` inputs per output; downsampling the whole filter length.
      this.histLen = this.up > 1 ? RESAMPLER_TAPS_PER_PHASE : length;
    }
    this.phaseTaps = new Float64Array(this.up > 1 ? this.up * this.histLen : 0);
    for (let p = 0; p < this.up && this.up > 1; p++)
      for (let j = 0; j < this.histLen; j++)
        this.phaseTaps[p * this.histLen + j] = this.taps[p + j * this.up]!;
    this.hist = new Float64Array(2 * Math.max(1, this.histLen));
  }

  /** Output samples that `inputLength` more input samples will produce (exact). */
  outputLength(inputLength: number): number {
    if (this.up > 1) return inputLength * this.up;
    if (this.down > 1) return Math.floor((this.phase + inputLength) / this.down);
    return inputLength;
  }

  private push(v: number): void {
    const n = this.histLen;
    this.hist[this.pos] = v;
    this.hist[this.pos + n] = v;
    this.pos = this.pos + 1 === n ? 0 : this.pos + 1;
  }

  /** Converts the next block of the stream. Non-finite input counts as 0. */
  process(input: ArrayLike<number>): Int16Array {
    const n = input.length;
    if (this.up === 1 && this.down === 1) {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        const v = Number(input[i]);
        out[i] = Number.isFinite(v) ? clip16(v) : 0;
      }
      return out;
    }
    const out = new Int16Array(this.outputLength(n));
    const h = this.taps;
    const hist = this.hist;
    const len = this.histLen;
    let o = 0;
    for (let i = 0; i < n; i++) {
      const raw = Number(input[i]);
      this.push(Number.isFinite(raw) ? raw : 0);
      // hist[pos + len - 1] is the newest sample, hist[pos] the oldest.
      const newest = this.pos + len - 1;
      if (this.up > 1) {
        const L = this.up;
        const ph = this.phaseTaps;
        if (L === 2) {
          // Both phases in one pass over the history: each sum in the same order as below.
          let acc0 = 0;
          let acc1 = 0;
          for (let j = 0; j < len; j++) {
            const x = hist[newest - j]!;
            acc0 += ph[j]! * x;
            acc1 += ph[len + j]! * x;
          }
          out[o++] = clip16(acc0 * 2);
          out[o++] = clip16(acc1 * 2);
          continue;
        }
        for (let p = 0, base = 0; p < L; p++, base += len) {
          let acc = 0;
          for (let j = 0; j < len; j++) acc += ph[base + j]! * hist[newest - j]!;
          out[o++] = clip16(acc * L);
        }
      } else {
        this.phase++;
        if (this.phase === this.down) {
          this.phase = 0;
          let acc = 0;
          for (let j = 0; j < len; j++) acc += h[j]! * hist[newest - j]!;
          out[o++] = clip16(acc);
        }
      }
    }
    return o === out.length ? out : out.subarray(0, o);
  }

  /** Forgets the stream (filter memory and decimation phase). */
  reset(): void {
    this.hist.fill(0);
    this.pos = 0;
    this.phase = 0;
  }
}

/** Converts a whole signal in one go (a fresh {@link Resampler}). @throws RangeError as the constructor. */
export function resample(pcm: ArrayLike<number>, fromRate: number, toRate: number): Int16Array {
  return new Resampler(fromRate, toRate).process(pcm);
}
