/**
 * The state of one G.722 sub-band ADPCM (lower or higher band) and the blocks of the
 * Recommendation that adapt it, shared by encoder and decoder:
 *  - block 3 (LOGSCL/SCALEL, LOGSCH/SCALEH): the quantiser scale factor DET;
 *  - block 4 (RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC): the
 *    two-pole, six-zero adaptive predictor that yields the signal estimate S.
 * All arithmetic is the Recommendation's 16-bit fixed point; intermediate values are
 * saturated exactly where it says so.
 */
import { ILB } from './g722-tables.ts';

/** Saturates to the 16-bit two's complement range, as the Recommendation's LIMIT. */
export function sat16(x: number): number {
  if (x > 32767) return 32767;
  if (x < -32768) return -32768;
  return x;
}

/** One sub-band's ADPCM state; a fresh instance is the Recommendation's reset state. */
export class G722Band {
  /** Signal estimate S (predictor output) for the next sample. */
  s = 0;
  /** Pole-section part of the estimate, SP. */
  sp = 0;
  /** Zero-section part of the estimate, SZ. */
  sz = 0;
  /** Reconstructed signal R delayed by one and two samples. */
  r1 = 0;
  r2 = 0;
  /** Partially reconstructed signal P delayed by one and two samples. */
  p1 = 0;
  p2 = 0;
  /** Pole predictor coefficients A1, A2. */
  a1 = 0;
  a2 = 0;
  /** Zero predictor coefficients B1..B6 (index 0 unused). */
  readonly b = new Int32Array(7);
  /** Quantised difference signal D delayed by 1..6 samples (index 0 unused). */
  readonly d = new Int32Array(7);
  /** Logarithmic scale factor NB. */
  nb = 0;
  /** Linear quantiser scale factor DET. */
  det: number;

  /** @param initialDet DET after reset: 32 in the lower band, 8 in the higher band. */
  constructor(initialDet: number) {
    this.det = initialDet;
  }

  /**
   * Block 3: updates NB with the multiplier `w` (WL or WH of the code word), clamps it to
   * [0, nbMax], and recomputes DET as 2^(NB/2048) scaled with `shift`
   * (8 for SCALEL, 10 for SCALEH).
   */
  adaptScale(w: number, nbMax: number, shift: number): void {
    let nb = ((this.nb * 127) >> 7) + w;
    if (nb < 0) nb = 0;
    else if (nb > nbMax) nb = nbMax;
    this.nb = nb;
    const mant = ILB[(nb >> 6) & 31]!;
    const exp = shift - (nb >> 11);
    this.det = (exp < 0 ? mant << -exp : mant >> exp) << 2;
  }

  /**
   * Block 4: takes the quantised difference `dq` of the current sample, adapts the pole and
   * zero coefficients, shifts the delay lines and computes the next estimate S.
   */
  adaptPredictor(dq: number): void {
    const d = this.d;
    const b = this.b;

    // RECONS and PARREC.
    const r0 = sat16(this.s + dq);
    const p0 = sat16(this.sz + dq);

    // Signs of P(0), P(1), P(2): 0 for >= 0, -1 for < 0.
    const sg0 = p0 >> 15;
    const sg1 = this.p1 >> 15;
    const sg2 = this.p2 >> 15;

    // UPPOL2.
    const wa = sat16(this.a1 * 4);
    let wb = sg0 === sg1 ? -wa : wa;
    if (wb > 32767) wb = 32767;
    let a2 = (wb >> 7) + (sg0 === sg2 ? 128 : -128) + ((this.a2 * 32512) >> 15);
    if (a2 > 12288) a2 = 12288;
    else if (a2 < -12288) a2 = -12288;

    // UPPOL1.
    let a1 = sat16((sg0 === sg1 ? 192 : -192) + ((this.a1 * 32640) >> 15));
    const lim = sat16(15360 - a2);
    if (a1 > lim) a1 = lim;
    else if (a1 < -lim) a1 = -lim;

    // UPZERO and DELAYA for the zero section (B1..B6 use D(1)..D(6) before the shift).
    const step = dq === 0 ? 0 : 128;
    const sgd = dq >> 15;
    for (let i = 1; i < 7; i++) {
      const g = (d[i]! >> 15 === sgd ? step : -step) + ((b[i]! * 32640) >> 15);
      b[i] = sat16(g);
    }
    for (let i = 6; i > 1; i--) d[i] = d[i - 1]!;
    d[1] = dq;

    // DELAYA for the pole section.
    this.r2 = this.r1;
    this.r1 = r0;
    this.p2 = this.p1;
    this.p1 = p0;
    this.a1 = a1;
    this.a2 = a2;

    // FILTEP.
    const sp = sat16(((a1 * sat16(r0 * 2)) >> 15) + ((a2 * sat16(this.r2 * 2)) >> 15));
    this.sp = sp;

    // FILTEZ.
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += (b[i]! * sat16(d[i]! * 2)) >> 15;
    sz = sat16(sz);
    this.sz = sz;

    // PREDIC.
    this.s = sat16(sp + sz);
  }
}
