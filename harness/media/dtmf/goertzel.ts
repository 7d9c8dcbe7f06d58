/**
 * Windowed single-bin DFT ("complex Goertzel") at arbitrary, non-integer frequencies.
 *
 * The classic Goertzel recursion yields |X|² only; the DTMF detector also needs the phase
 * of each bin (it measures frequency deviation from the phase advance between two
 * overlapping windows), so this evaluates the same single DFT term directly against a
 * precomputed window-times-kernel table: X = Σ x[m]·w[m]·e^{-jωm}, m = 0..L-1.
 */

/** Complex value of one bin. */
export interface Bin {
  re: number;
  im: number;
}

/** Periodic Hann window of length `n`. */
export function hannWindow(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let m = 0; m < n; m++) w[m] = 0.5 - 0.5 * Math.cos((2 * Math.PI * m) / n);
  return w;
}

/**
 * Normalised magnitude response of a Hann-windowed DFT bin to a sinusoid `offsetBins`
 * bins away (1 bin = sampleRate / L): 1 at the centre, 0.5 at ±1 bin, 0 at ±2 bins.
 */
export function hannResponse(offsetBins: number): number {
  const x = Math.abs(offsetBins);
  if (x < 1e-9) return 1;
  if (Math.abs(x - 1) < 1e-9) return 0.5;
  const sinc = Math.sin(Math.PI * x) / (Math.PI * x);
  return sinc / (1 - x * x);
}

/** A bin at frequency `frequency` over windows of `length` samples at `sampleRate`. */
export class GoertzelBin {
  readonly frequency: number;
  /** Angular frequency in radians per sample. */
  readonly omega: number;
  private readonly cosTable: Float64Array;
  private readonly sinTable: Float64Array;

  constructor(frequency: number, sampleRate: number, window: Float64Array) {
    this.frequency = frequency;
    this.omega = (2 * Math.PI * frequency) / sampleRate;
    const n = window.length;
    this.cosTable = new Float64Array(n);
    this.sinTable = new Float64Array(n);
    for (let m = 0; m < n; m++) {
      this.cosTable[m] = window[m]! * Math.cos(this.omega * m);
      this.sinTable[m] = window[m]! * Math.sin(this.omega * m);
    }
  }

  /** Window length in samples. */
  get length(): number {
    return this.cosTable.length;
  }

  /** The window-times-cosine table at `m`. */
  cosAt(m: number): number {
    return this.cosTable[m]!;
  }

  /** The window-times-sine table at `m`. */
  sinAt(m: number): number {
    return this.sinTable[m]!;
  }

  /**
   * X over `length` samples of the ring buffer `ring` starting at index `start`
   * (wrapping), written into `out`.
   */
  evaluate(ring: Float64Array, start: number, out: Bin): void {
    const n = this.cosTable.length;
    const cos = this.cosTable;
    const sin = this.sinTable;
    const size = ring.length;
    let re = 0;
    let im = 0;
    if (n > size || start < 0 || start >= size) {
      // A ring shorter than the window (or a start outside it): the loop that wraps.
      let idx = ((start % size) + size) % size;
      for (let m = 0; m < n; m++) {
        const v = ring[idx]!;
        re += v * cos[m]!;
        im -= v * sin[m]!;
        idx = idx + 1 === size ? 0 : idx + 1;
      }
      out.re = re;
      out.im = im;
      return;
    }
    // The same sums in the same order as one loop that wraps, in two runs without the wrap test.
    const first = Math.min(n, size - start);
    for (let m = 0; m < first; m++) {
      const v = ring[start + m]!;
      re += v * cos[m]!;
      im -= v * sin[m]!;
    }
    for (let m = first; m < n; m++) {
      const v = ring[m - first]!;
      re += v * cos[m]!;
      im -= v * sin[m]!;
    }
    out.re = re;
    out.im = im;
  }
}

/**
 * Four bins of the same window length at once, into `outs[0..3]`: one pass over the ring for
 * all four, each sum in the same order as {@link GoertzelBin.evaluate} (identical results).
 * The tables are interleaved per sample: `[cos0, sin0, cos1, sin1, …, cos3, sin3]`.
 */
export class GoertzelQuad {
  private readonly table: Float64Array;
  private readonly n: number;

  constructor(bins: readonly GoertzelBin[]) {
    if (bins.length !== 4) throw new RangeError('GoertzelQuad takes four bins');
    this.n = bins[0]!.length;
    if (bins.some((b) => b.length !== this.n)) throw new RangeError('GoertzelQuad: bins of one length');
    this.table = new Float64Array(8 * this.n);
    for (let m = 0; m < this.n; m++)
      for (let b = 0; b < 4; b++) {
        this.table[8 * m + 2 * b] = bins[b]!.cosAt(m);
        this.table[8 * m + 2 * b + 1] = bins[b]!.sinAt(m);
      }
  }

  evaluate(ring: Float64Array, start: number, outs: readonly Bin[]): void {
    const t = this.table;
    const n = this.n;
    const size = ring.length;
    let r0 = 0;
    let i0 = 0;
    let r1 = 0;
    let i1 = 0;
    let r2 = 0;
    let i2 = 0;
    let r3 = 0;
    let i3 = 0;
    let idx = start;
    for (let m = 0, k = 0; m < n; m++, k += 8) {
      const v = ring[idx]!;
      r0 += v * t[k]!;
      i0 -= v * t[k + 1]!;
      r1 += v * t[k + 2]!;
      i1 -= v * t[k + 3]!;
      r2 += v * t[k + 4]!;
      i2 -= v * t[k + 5]!;
      r3 += v * t[k + 6]!;
      i3 -= v * t[k + 7]!;
      idx = idx + 1 === size ? 0 : idx + 1;
    }
    outs[0]!.re = r0;
    outs[0]!.im = i0;
    outs[1]!.re = r1;
    outs[1]!.im = i1;
    outs[2]!.re = r2;
    outs[2]!.im = i2;
    outs[3]!.re = r3;
    outs[3]!.im = i3;
  }
}
