/**
 * The 24-tap quadrature mirror filter of ITU-T G.722, shared by the transmit (analysis) and
 * receive (synthesis) sides. Values enter in pairs; after each pair the two polyphase sums
 * over the last 24 values are available:
 *  - `xa` = Σ h(2i)·v(newest − 2i)          (even coefficients, from the newest value),
 *  - `xb` = Σ h(2i+1)·v(newest − 1 − 2i)    (odd coefficients, from the one before),
 * with h the coefficients scaled by 2^13 (symmetric: h(23 − i) = h(i)).
 * Transmit: XL = (XA + XB) >> 14, XH = (XA − XB) >> 14 from input pairs (x(j−1), x(j)).
 * Receive: outputs XA >> 11 then XB >> 11 from pairs (RL + RH, RL − RH).
 * The products stay below 2^31 for 16-bit inputs, so plain number arithmetic is exact.
 */

const TAPS = 24;
/** Room for this many pairs before the delay line is moved back to the start of the buffer. */
const HISTORY_PAIRS = 256;

/** A QMF delay line with its two polyphase sums; a fresh instance is all zeros. */
export class G722Qmf {
  private readonly v = new Int32Array(TAPS + 2 * HISTORY_PAIRS);
  /** One past the newest value; the window is v[pos − 24 .. pos − 1]. */
  private pos = TAPS;
  /** Even-coefficient sum XA after the last `push`. */
  xa = 0;
  /** Odd-coefficient sum XB after the last `push`. */
  xb = 0;

  /** Appends `older` then `newer` and recomputes `xa` and `xb`. */
  push(older: number, newer: number): void {
    const v = this.v;
    let pos = this.pos;
    if (pos === v.length) {
      v.copyWithin(0, pos - (TAPS - 2), pos);
      pos = TAPS - 2;
    }
    v[pos] = older;
    v[pos + 1] = newer;
    pos += 2;
    this.pos = pos;
    const b = pos - TAPS;
    // Coefficients h(0..11) = 3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876.
    this.xa =
      v[b + 23]! * 3 -
      v[b + 21]! * 11 +
      v[b + 19]! * 12 +
      v[b + 17]! * 32 -
      v[b + 15]! * 210 +
      v[b + 13]! * 951 +
      v[b + 11]! * 3876 -
      v[b + 9]! * 805 +
      v[b + 7]! * 362 -
      v[b + 5]! * 156 +
      v[b + 3]! * 53 -
      v[b + 1]! * 11;
    this.xb =
      v[b]! * 3 -
      v[b + 2]! * 11 +
      v[b + 4]! * 12 +
      v[b + 6]! * 32 -
      v[b + 8]! * 210 +
      v[b + 10]! * 951 +
      v[b + 12]! * 3876 -
      v[b + 14]! * 805 +
      v[b + 16]! * 362 -
      v[b + 18]! * 156 +
      v[b + 20]! * 53 -
      v[b + 22]! * 11;
  }
}
