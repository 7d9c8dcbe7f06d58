/**
 * The state of one G.722 sub-band ADPCM (lower or higher band) and the blocks of the
 * Recommendation that adapt it, shared by encoder and decoder:
 *  - block 3 (LOGSCL/SCALEL, LOGSCH/SCALEH): the quantiser scale factor DET;
 *  - block 4 (RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC): the
 *    two-pole, six-zero adaptive predictor that yields the signal estimate S.
 * All arithmetic is the Recommendation's 16-bit fixed point; intermediate values are
 * saturated where it says so (one LIMIT that provably never acts is left out, see UPZERO).
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
  /** Zero predictor coefficients B1..B6 (scalar fields: faster than an array here). */
  b1 = 0;
  b2 = 0;
  b3 = 0;
  b4 = 0;
  b5 = 0;
  b6 = 0;
  /** Quantised difference signal D delayed by 1..6 samples. */
  d1 = 0;
  d2 = 0;
  d3 = 0;
  d4 = 0;
  d5 = 0;
  d6 = 0;
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
    // RECONS and PARREC.
    const r0 = sat16(this.s + dq);
    const p0 = sat16(this.sz + dq);

    // Signs of P(0), P(1), P(2): 0 for >= 0, -1 for < 0.
    const sg0 = p0 >> 15;
    const sg1 = this.p1 >> 15;
    const sg2 = this.p2 >> 15;

    // UPPOL2.
    const wa = sat16(this.a1 * 4);
    let wb = sg0 === sg1 ? 0 - wa : wa; // 0 - x, not -x: no -0 to deoptimise on
    if (wb > 32767) wb = 32767;
    let a2 = (wb >> 7) + (sg0 === sg2 ? 128 : -128) + ((this.a2 * 32512) >> 15);
    if (a2 > 12288) a2 = 12288;
    else if (a2 < -12288) a2 = -12288;

    // UPPOL1.
    let a1 = sat16((sg0 === sg1 ? 192 : -192) + ((this.a1 * 32640) >> 15));
    const lim = sat16(15360 - a2);
    if (a1 > lim) a1 = lim;
    else if (a1 < -lim) a1 = -lim;

    // UPZERO: Bi leaks by 255/256 and steps by ±128 towards sign(D)·sign(Di) when D ≠ 0.
    // Signs are compared as the Recommendation's SG = x >> 15 (zero counts as positive):
    // equal signs ⇔ (Di XOR D) >= 0. With Bi in [-32768, 32767] the result stays in that range
    // (|(Bi·32640) >> 15| ≤ 32640, plus at most 128), so the LIMIT of the standard never acts.
    const up = dq === 0 ? 0 : 128;
    const down = dq === 0 ? 0 : -128;
    const b1 = ((this.d1 ^ dq) < 0 ? down : up) + ((this.b1 * 32640) >> 15);
    const b2 = ((this.d2 ^ dq) < 0 ? down : up) + ((this.b2 * 32640) >> 15);
    const b3 = ((this.d3 ^ dq) < 0 ? down : up) + ((this.b3 * 32640) >> 15);
    const b4 = ((this.d4 ^ dq) < 0 ? down : up) + ((this.b4 * 32640) >> 15);
    const b5 = ((this.d5 ^ dq) < 0 ? down : up) + ((this.b5 * 32640) >> 15);
    const b6 = ((this.d6 ^ dq) < 0 ? down : up) + ((this.b6 * 32640) >> 15);

    // DELAYA.
    const d6 = this.d5;
    const d5 = this.d4;
    const d4 = this.d3;
    const d3 = this.d2;
    const d2 = this.d1;
    const d1 = dq;
    this.d6 = d6;
    this.d5 = d5;
    this.d4 = d4;
    this.d3 = d3;
    this.d2 = d2;
    this.d1 = d1;
    this.b6 = b6;
    this.b5 = b5;
    this.b4 = b4;
    this.b3 = b3;
    this.b2 = b2;
    this.b1 = b1;
    const r2 = this.r1;
    this.r2 = r2;
    this.r1 = r0;
    this.p2 = this.p1;
    this.p1 = p0;
    this.a1 = a1;
    this.a2 = a2;

    // FILTEP.
    const sp = sat16(((a1 * sat16(r0 * 2)) >> 15) + ((a2 * sat16(r2 * 2)) >> 15));
    this.sp = sp;

    // FILTEZ (accumulated from B6·D6 down to B1·D1).
    const sz = sat16(
      ((b6 * sat16(d6 * 2)) >> 15) +
        ((b5 * sat16(d5 * 2)) >> 15) +
        ((b4 * sat16(d4 * 2)) >> 15) +
        ((b3 * sat16(d3 * 2)) >> 15) +
        ((b2 * sat16(d2 * 2)) >> 15) +
        ((b1 * sat16(d1 * 2)) >> 15),
    );
    this.sz = sz;

    // PREDIC.
    this.s = sat16(sp + sz);
  }
}
