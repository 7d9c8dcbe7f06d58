/**
 * Streaming 2:1 sample-rate conversion between 16 kHz (G.722) and 8 kHz (G.711, G.729)
 * for the reference SBC's transcoder: one windowed-sinc low-pass FIR (47 taps, Blackman,
 * cut-off 3.7 kHz at 16 kHz) used to decimate (filter, keep every second sample) and to
 * interpolate (insert zeros, filter, gain 2). Each instance keeps its filter history, so
 * packet after packet gives the same output as one long signal. Make one per direction.
 */

const TAPS = 47;

function lowPass(): Float64Array {
  const h = new Float64Array(TAPS);
  const fc = 3700 / 16000;
  const mid = (TAPS - 1) / 2;
  let sum = 0;
  for (let n = 0; n < TAPS; n++) {
    const x = n - mid;
    const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
    const w =
      0.42 - 0.5 * Math.cos((2 * Math.PI * n) / (TAPS - 1)) + 0.08 * Math.cos((4 * Math.PI * n) / (TAPS - 1));
    h[n] = sinc * w;
    sum += h[n]!;
  }
  for (let n = 0; n < TAPS; n++) h[n]! /= sum;
  return h;
}

const H = lowPass();

function clip(v: number): number {
  const r = Math.round(v);
  return Math.min(32767, Math.max(-32768, r));
}

/** A streaming converter from `from` Hz to `to` Hz (equal rates, or 8000 ↔ 16000). */
export class SbcResampler {
  private readonly history = new Float64Array(TAPS);
  private pos = 0;

  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    const ok = from === to || (from === 16000 && to === 8000) || (from === 8000 && to === 16000);
    if (!ok) throw new RangeError(`unsupported sample-rate conversion ${from} -> ${to}`);
  }

  private push(x: number): void {
    this.history[this.pos] = x;
    this.pos = (this.pos + 1) % TAPS;
  }

  private filtered(): number {
    let acc = 0;
    let idx = this.pos;
    for (let n = TAPS - 1; n >= 0; n--) {
      // history[pos] is the oldest sample; H is symmetric, so the order of taps does not matter.
      acc += H[n]! * this.history[idx]!;
      idx = idx + 1 === TAPS ? 0 : idx + 1;
    }
    return acc;
  }

  /** Converts one block; the output has `input.length · to / from` samples. */
  process(input: Int16Array): Int16Array {
    if (this.from === this.to) return input;
    if (this.from > this.to) {
      const out = new Int16Array(input.length >> 1);
      for (let i = 0; i < input.length; i++) {
        this.push(input[i]!);
        if (i & 1) out[i >> 1] = clip(this.filtered());
      }
      return out;
    }
    const out = new Int16Array(input.length * 2);
    for (let i = 0; i < input.length; i++) {
      this.push(input[i]!);
      out[2 * i] = clip(2 * this.filtered());
      this.push(0);
      out[2 * i + 1] = clip(2 * this.filtered());
    }
    return out;
  }
}
