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
