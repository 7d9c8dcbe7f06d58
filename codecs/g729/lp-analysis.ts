/**
 * Encoder side, LP analysis (G.729 §3.1–3.2.3): 140 Hz high-pass pre-processing, windowed
 * autocorrelation, lag window, Levinson–Durbin in double precision, and LP → LSP by the
 * Chebyshev root search.
 */
import {
  MAX_32 as IMPORTED_MAX_32,
  MIN_32 as IMPORTED_MIN_32,
  abs_s as imported_abs_s,
  add as imported_add,
  Div_32 as imported_Div_32,
  div_s as imported_div_s,
  extract_h as imported_extract_h,
  extract_l as imported_extract_l,
  L_abs as imported_L_abs,
  L_Extract_hi as imported_L_Extract_hi,
  L_Extract_lo as imported_L_Extract_lo,
  L_mac as imported_L_mac,
  L_msu as imported_L_msu,
  L_mult as imported_L_mult,
  L_negate as imported_L_negate,
  L_shl as imported_L_shl,
  L_shr as imported_L_shr,
  macDot as imported_macDot,
  negate as imported_negate,
  norm_l as imported_norm_l,
  norm_s as imported_norm_s,
  overflow as imported_overflow,
  roundShl as imported_roundShl,
  shl as imported_shl,
  shr as imported_shr,
  sub as imported_sub,
} from './basic-ops.ts';
import { M as IMPORTED_M, NC as IMPORTED_NC } from './lsp.ts';
import {
  A140 as A140_TABLE,
  B140 as B140_TABLE,
  GRID as GRID_TABLE,
  HAMWINDOW as HAMWINDOW_TABLE,
  LAG_H as LAG_H_TABLE,
  LAG_L as LAG_L_TABLE,
} from './tables.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const Div_32 = imported_Div_32;
const L_abs = imported_L_abs;
const L_Extract_hi = imported_L_Extract_hi;
const L_Extract_lo = imported_L_Extract_lo;
const L_mac = imported_L_mac;
const L_msu = imported_L_msu;
const L_mult = imported_L_mult;
const L_negate = imported_L_negate;
const L_shl = imported_L_shl;
const L_shr = imported_L_shr;
const abs_s = imported_abs_s;
const add = imported_add;
const div_s = imported_div_s;
const extract_h = imported_extract_h;
const extract_l = imported_extract_l;
const macDot = imported_macDot;
const negate = imported_negate;
const norm_l = imported_norm_l;
const norm_s = imported_norm_s;
const overflow = imported_overflow;
const roundShl = imported_roundShl;
const shl = imported_shl;
const shr = imported_shr;
const sub = imported_sub;

// Module-local copies of the imported constants: in a hot loop an imported binding costs a
// load and a check per use (micro-benchmark: a loop bounded by an imported constant 1.37× the
// time of one bounded by a local copy).
const MAX_32 = IMPORTED_MAX_32;
const MIN_32 = IMPORTED_MIN_32;
const M = IMPORTED_M;
const NC = IMPORTED_NC;

// The tables as module-local Int32Array copies: in the hot loops a load from them is cheaper
// than one through the imported binding of the Int16Array (micro-benchmark of the LSP
// pre-selection: 0.69× the time).
const A140 = Int32Array.from(A140_TABLE);
const B140 = Int32Array.from(B140_TABLE);
const GRID = Int32Array.from(GRID_TABLE);
const HAMWINDOW = Int32Array.from(HAMWINDOW_TABLE);
const LAG_H = Int32Array.from(LAG_H_TABLE);
const LAG_L = Int32Array.from(LAG_L_TABLE);

export const L_WINDOW = 240;
const GRID_POINTS = 50;

const A140_1 = A140[1]!;
const A140_2 = A140[2]!;
const B140_0 = B140[0]!;
const B140_1 = B140[1]!;
const B140_2 = B140[2]!;

/** 140 Hz second-order high-pass with the input halved (Pre_Process). */
export class PreProcess {
  private y1Hi = 0;
  private y1Lo = 0;
  private y2Hi = 0;
  private y2Lo = 0;
  private x0 = 0;
  private x1 = 0;

  /**
   * No partial sum of a step can saturate (|sum| < 1.3·10^9 with these coefficients, none of
   * them −32768); the ×8 and the rounding saturate as the reference's L_shl and round do.
   */
  run(sig: Int16Array, off: number, len: number): void {
    let { y1Hi, y1Lo, y2Hi, y2Lo, x0, x1 } = this;
    for (let i = 0; i < len; i++) {
      const x2 = x1;
      x1 = x0;
      x0 = sig[off + i]!;
      // The half-sum: |h| ≤ 32768·7807 + 7807 + 32768·3733 + 3733 + 32768·(1899 + 3798 + 1899)
      // < 6.3·10^8 < 2^30 (|y·Hi| ≤ 2^15, 0 ≤ y·Lo < 2^15): exact in int32. The reference's
      // 2·h does not saturate, its ×8 does exactly when |16·h| leaves 32 bits.
      const h =
        (Math.imul(y1Hi, A140_1) +
          (Math.imul(y1Lo, A140_1) >> 15) +
          Math.imul(y2Hi, A140_2) +
          (Math.imul(y2Lo, A140_2) >> 15) +
          Math.imul(x0, B140_0) +
          Math.imul(x1, B140_1) +
          Math.imul(x2, B140_2)) |
        0;
      const t = h >= 0x8000000 ? MAX_32 : h < -0x8000000 ? MIN_32 : h << 4;
      sig[off + i] = t >= MAX_32 - 0x7fff ? 32767 : (t + 0x8000) >> 16;
      y2Hi = y1Hi;
      y2Lo = y1Lo;
      y1Hi = t >> 16;
      y1Lo = (t >> 1) - y1Hi * 32768;
    }
    this.y1Hi = y1Hi;
    this.y1Lo = y1Lo;
    this.y2Hi = y2Hi;
    this.y2Lo = y2Lo;
    this.x0 = x0;
    this.x1 = x1;
  }
}

const y = new Int16Array(L_WINDOW);

const lags = new Int32Array(M + 1);

/**
 * lags[i] = Σ_k y[k]·y[k+i] for i = 1..10, in two passes over y of five lags each, the samples
 * y[k .. k+5] carried from step to step in locals (one load per step). int32: the caller has
 * checked that Σy² < 2^30, which bounds every partial sum (Cauchy–Schwarz), in any order.
 */
function lagSums(out: Int32Array): void {
  for (let lag0 = 1; lag0 <= M; lag0 += 5) {
    // Lags lag0 .. lag0+4: step k reads y[k] and y[k + lag0 .. k + lag0 + 4].
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let w1 = y[lag0]!;
    let w2 = y[lag0 + 1]!;
    let w3 = y[lag0 + 2]!;
    let w4 = y[lag0 + 3]!;
    const n = L_WINDOW - lag0 - 4;
    let k = 0;
    for (; k < n; k++) {
      const v = y[k]!;
      const w5 = y[k + lag0 + 4]!;
      s0 = (s0 + Math.imul(v, w1)) | 0;
      s1 = (s1 + Math.imul(v, w2)) | 0;
      s2 = (s2 + Math.imul(v, w3)) | 0;
      s3 = (s3 + Math.imul(v, w4)) | 0;
      s4 = (s4 + Math.imul(v, w5)) | 0;
      w1 = w2;
      w2 = w3;
      w3 = w4;
      w4 = w5;
    }
    // The last steps, where the longer lags have run out of samples: w1..w4 are
    // y[k + lag0 .. k + lag0 + 3] = y[236 .. 239].
    s0 =
      (s0 +
        Math.imul(y[k]!, w1) +
        Math.imul(y[k + 1]!, w2) +
        Math.imul(y[k + 2]!, w3) +
        Math.imul(y[k + 3]!, w4)) |
      0;
    s1 = (s1 + Math.imul(y[k]!, w2) + Math.imul(y[k + 1]!, w3) + Math.imul(y[k + 2]!, w4)) | 0;
    s2 = (s2 + Math.imul(y[k]!, w3) + Math.imul(y[k + 1]!, w4)) | 0;
    s3 = (s3 + Math.imul(y[k]!, w4)) | 0;
    out[lag0] = s0;
    out[lag0 + 1] = s1;
    out[lag0 + 2] = s2;
    out[lag0 + 3] = s3;
    out[lag0 + 4] = s4;
  }
}

/**
 * Autocorrelations r[0..m] of the windowed 240 samples at x[off..], normalised, hi/lo (Autocorr).
 * Returns Annex B's exp_R0: r[0] = (rh[0], rl[0]) · 2^(exp_R0 − 1).
 */
export function autocorr(x: Int16Array, off: number, m: number, rh: Int16Array, rl: Int16Array): number {
  // mult_r cannot saturate here: the window is positive and below 32767. The energy is summed
  // as the windowed signal is written (and again after each rescaling).
  let e = 0;
  for (let i = 0; i < L_WINDOW; i++) {
    const v = (x[off + i]! * HAMWINDOW[i]! + 0x4000) >> 15;
    y[i] = v;
    e += v * v;
  }
  let sum: number;
  let expR0 = 1;
  for (let guard = 0; ; guard++) {
    overflow.flag = 0;
    // A sum of squares only grows: if the plain sum fits, no partial sum saturated.
    sum = 1 + 2 * e <= MAX_32 ? 1 + 2 * e : macDot(1, y, 0, y, 0, L_WINDOW);
    if (overflow.flag === 0 || guard > 8) break;
    e = 0;
    for (let i = 0; i < L_WINDOW; i++) {
      const v = shr(y[i]!, 2);
      y[i] = v;
      e += v * v;
    }
    expR0 += 4;
  }
  const norm = norm_l(sum);
  sum = L_shl(sum, norm);
  rh[0] = L_Extract_hi(sum);
  rl[0] = L_Extract_lo(sum);
  // r[0] = 1 + 2·Σy² did not saturate, and bounds every partial sum of r[i] (Cauchy–Schwarz).
  const plain = overflow.flag === 0;
  if (plain && m === M) lagSums(lags);
  for (let i = 1; i <= m; i++) {
    if (plain) {
      // |half-sums| ≤ Σy² < 2^30: exact in int32 arithmetic.
      if (m === M) sum = 2 * lags[i]!;
      else {
        let s = 0;
        for (let k = 0, n = L_WINDOW - i; k < n; k++) s = (s + Math.imul(y[k]!, y[k + i]!)) | 0;
        sum = 2 * s;
      }
    } else sum = macDot(0, y, 0, y, i, L_WINDOW - i);
    sum = L_shl(sum, norm);
    rh[i] = L_Extract_hi(sum);
    rl[i] = L_Extract_lo(sum);
  }
  return expR0 - norm;
}

/** r[i] ·= lag window (60 Hz bandwidth expansion) (Lag_window). */
export function lagWindow(m: number, rh: Int16Array, rl: Int16Array): void {
  for (let i = 1; i <= m; i++) {
    // Mpy_32 without the Overflow flag (nothing reads it before clearing it).
    const x = mpy32(rh[i]!, rl[i]!, LAG_H[i - 1]!, LAG_L[i - 1]!);
    rh[i] = x >> 16;
    rl[i] = (x >> 1) - (x >> 16) * 32768;
  }
}

/**
 * Mpy_32 without the Overflow flag (Levinson does not read it, and every later reader clears
 * it first): L_mult(h1, h2) + 2·mult(h1, l2) + 2·mult(l1, h2), each sum saturating; the low
 * parts are L_Extract low parts (0 ≤ l < 2^15), so the mults cannot saturate.
 */
function mpy32(h1: number, l1: number, h2: number, l2: number): number {
  // The half of the result, exact in int32 (|h1·h2| ≤ 2^30, the mults below 2^15): when
  // |a| < 2^30 − 2^16 neither partial sum's double can saturate (the first is within 2^15 of
  // a), and h1 = h2 = −32768 (the saturating L_mult) is excluded, as a ≥ 2^30 − 2^16 then.
  const a = (Math.imul(h1, h2) + (Math.imul(h1, l2) >> 15) + (Math.imul(l1, h2) >> 15)) | 0;
  if (a < 0x3fff0000 && a > -0x3fff0000) return 2 * a;
  const p = h1 * h2;
  let L = (p === 0x40000000 ? MAX_32 : 2 * p) + 2 * ((h1 * l2) >> 15);
  L = L > MAX_32 ? MAX_32 : Math.max(L, MIN_32);
  L += 2 * ((l1 * h2) >> 15);
  return L > MAX_32 ? MAX_32 : Math.max(L, MIN_32);
}

/** Levinson–Durbin with the reference's memory of the last stable filter. */
export class Levinson {
  private readonly oldA = Int16Array.from([4096, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  private readonly oldRc = new Int16Array(2);
  private readonly ah = new Int16Array(M + 1);
  private readonly al = new Int16Array(M + 1);
  private readonly anh = new Int16Array(M + 1);
  private readonly anl = new Int16Array(M + 1);
  /**
   * Annex B's residual energy (Err) of the last run that reached the end: shr(alp_h, alp_exp).
   * A run that falls back to the last stable filter leaves it unchanged, as the reference does.
   */
  err = 0;

  /**
   * A(z) in Q12 into a[0..10], reflection coefficients into rc. The double-precision steps
   * are written out without the Overflow flag (nothing reads it after this; every reader
   * clears it first): L_Comp(h, l) = h·2^16 + 2·l never saturates (0 ≤ l < 2^15, every low
   * part here is an L_Extract low part or 0); L_Extract is h = t >> 16, l = (t >> 1) − h·2^15;
   * L_shl by norm_l(t) is t << norm_l(t), exact by definition.
   */
  run(rh: Int16Array, rl: Int16Array, a: Int16Array, rc: Int16Array): void {
    const { ah, al, anh, anl } = this;
    let t1 = rh[1]! * 65536 + 2 * rl[1]!;
    let t2 = L_abs(t1);
    let t0 = div32(t2, rh[0]!, rl[0]!);
    if (t1 > 0) t0 = L_negate(t0);
    let kh = t0 >> 16;
    let kl = (t0 >> 1) - kh * 32768;
    rc[0] = kh;
    t0 >>= 4;
    ah[1] = t0 >> 16;
    al[1] = (t0 >> 1) - (t0 >> 16) * 32768;
    // 0 ≤ |Mpy_32(k, k)| ≤ MAX_32: MAX_32 − it does not saturate.
    t0 = MAX_32 - L_abs(mpy32(kh, kl, kh, kl));
    let hi = t0 >> 16;
    let lo = (t0 >> 1) - hi * 32768;
    t0 = mpy32(rh[0]!, rl[0]!, hi, lo);
    let alpExp = norm_l(t0);
    t0 <<= alpExp;
    let alpH = t0 >> 16;
    let alpL = (t0 >> 1) - alpH * 32768;

    for (let i = 2; i <= M; i++) {
      t0 = 0;
      for (let j = 1; j < i; j++) {
        t0 += mpy32(rh[j]!, rl[j]!, ah[i - j]!, al[i - j]!);
        t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
      }
      // L_shl(t0, 4), then L_add of L_Comp(rh[i], rl[i]), each saturating.
      t0 *= 16;
      t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
      t0 += rh[i]! * 65536 + 2 * rl[i]!;
      t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
      t1 = L_abs(t0);
      t2 = div32(t1, alpH, alpL);
      if (t0 > 0) t2 = L_negate(t2);
      // L_shl(t2, alpExp), alpExp ≥ 0 (a sum of norm_l results).
      t2 *= POW2[Math.min(alpExp, 63)]!;
      t2 = t2 > MAX_32 ? MAX_32 : Math.max(t2, MIN_32);
      kh = t2 >> 16;
      kl = (t2 >> 1) - kh * 32768;
      rc[i - 1] = kh;
      if (abs_s(kh) > 32750) {
        a.set(this.oldA);
        rc[0] = this.oldRc[0]!;
        rc[1] = this.oldRc[1]!;
        return;
      }
      for (let j = 1; j < i; j++) {
        t0 = mpy32(kh, kl, ah[i - j]!, al[i - j]!) + ah[j]! * 65536 + 2 * al[j]!;
        t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
        anh[j] = t0 >> 16;
        anl[j] = (t0 >> 1) - (t0 >> 16) * 32768;
      }
      t2 >>= 4;
      anh[i] = t2 >> 16;
      anl[i] = (t2 >> 1) - (t2 >> 16) * 32768;
      t0 = MAX_32 - L_abs(mpy32(kh, kl, kh, kl));
      hi = t0 >> 16;
      lo = (t0 >> 1) - hi * 32768;
      t0 = mpy32(alpH, alpL, hi, lo);
      const j = norm_l(t0);
      t0 <<= j;
      alpH = t0 >> 16;
      alpL = (t0 >> 1) - alpH * 32768;
      alpExp += j;
      for (let k = 1; k <= i; k++) {
        ah[k] = anh[k]!;
        al[k] = anl[k]!;
      }
    }
    this.err = shr(alpH, alpExp);
    a[0] = 4096;
    for (let i = 1; i <= M; i++) {
      // round(L_shl(L_Comp(ah, al), 1)).
      a[i] = roundShl(ah[i]! * 65536 + 2 * al[i]!, 1);
      this.oldA[i] = a[i]!;
    }
    this.oldRc[0] = rc[0]!;
    this.oldRc[1] = rc[1]!;
  }
}

/** 2^n for n = 0..63. */
const POW2 = Float64Array.from({ length: 64 }, (_, n) => 2 ** n);

/**
 * Div_32(num, dh, dl) without the Overflow flag. When dh > 0x3fff (a normalised denominator),
 * 0 ≤ dl < 2^15 and num ≥ 0, its steps are: approx = div_s(0x3fff, dh) = ⌊0x3fff·2^15/dh⌋ ≤
 * 32766; Mpy_32_16(dh, dl, approx) = 2·(dh·approx + ((dl·approx) >> 15)) ∈ [0, 2^31) (the
 * terms are ≥ 0, and dh·approx ≤ 0x3fff·2^15), so MAX_32 − it is in [0, MAX_32]; split, its
 * Mpy_32_16 by approx is again in [0, 2^31) (hi ≤ 32767); then Mpy_32 with num's halves
 * (mpy32) and L_shl(·, 2), saturating. Anything else goes through the basic operators.
 */
export function div32(num: number, dh: number, dl: number): number {
  if (!(dh > 0x3fff && dl >= 0 && dl < 0x8000 && num >= 0)) return Div_32(num, dh, dl);
  const approx = ((0x3fff * 32768) / dh) | 0;
  let L = MAX_32 - 2 * (Math.imul(dh, approx) + (Math.imul(dl, approx) >> 15));
  let hi = L >> 16;
  let lo = (L >> 1) - hi * 32768;
  L = 2 * (Math.imul(hi, approx) + (Math.imul(lo, approx) >> 15));
  hi = L >> 16;
  lo = (L >> 1) - hi * 32768;
  const nh = num >> 16;
  L = 4 * mpy32(nh, (num >> 1) - nh * 32768, hi, lo);
  return L > MAX_32 ? MAX_32 : Math.max(L, MIN_32);
}

/**
 * The Chebyshev polynomial series at x (Chebps_11 / Chebps_10), with the reference's
 * double-precision steps written out: Mpy_32_16(h, l, x) = L_mult(h, x) + 2·((l·x) >> 15)
 * (0 ≤ l < 2^15), L_Extract: h = t >> 16, l = (t >> 1) − h·2^15; every saturating step clamps
 * (nothing reads the Overflow flag after this).
 */
function chebps(x: number, f: Int16Array, q10: boolean): number {
  let b2h = q10 ? 128 : 256;
  let b2l = 0;
  let t0 = x * (q10 ? 512 : 1024) + f[1]! * 8192;
  let b1h = t0 >> 16;
  let b1l = (t0 >> 1) - b1h * 32768;
  let i = 2;
  for (; i < NC; i++) {
    if (b1h <= 8000 && b1h >= -8000 && b2h <= 8000 && b2h >= -8000) {
      // Then no step can saturate (|t0| < 1.9·10^9 throughout): the step in int32.
      t0 =
        ((Math.imul(b1h, x) << 2) +
          ((Math.imul(b1l, x) >> 15) << 2) -
          (b2h << 16) -
          2 * b2l +
          (f[i]! << 13)) |
        0;
      b2l = b1l;
      b2h = b1h;
      b1h = t0 >> 16;
      b1l = (t0 >> 1) - b1h * 32768;
      continue;
    }
    // a = Mpy_32_16(b1h, b1l, x) / 2, exact in int32 (|a| ≤ 2^30 + 2^15). The reference's
    // L_shl(2a, 1) is 4a unless |a| ≥ 2^29 (then it saturates whether 2a did or not). When
    // |4a − 2^16·b2h| ≤ 2^31 − 2^28 − 2^16, subtracting 2·b2l (0 .. 65534) and adding 8192·f[i]
    // (|·| ≤ 2^28) cannot leave 32 bits either: the step is the plain sum.
    const a = (Math.imul(b1h, x) + (Math.imul(b1l, x) >> 15)) | 0;
    if (a < 0x20000000 && a > -0x20000000) {
      const p1 = (a << 2) - b2h * 65536;
      if (p1 <= 0x6fff0000 && p1 >= -0x6fff0000) {
        t0 = (p1 - 2 * b2l + (f[i]! << 13)) | 0;
        b2l = b1l;
        b2h = b1h;
        b1h = t0 >> 16;
        b1l = (t0 >> 1) - b1h * 32768;
        continue;
      }
    }
    t0 = (b1h === -32768 && x === -32768 ? MAX_32 : 2 * b1h * x) + 2 * ((b1l * x) >> 15);
    t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
    t0 *= 2;
    t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
    t0 += b2h === -32768 ? MAX_32 : -65536 * b2h;
    t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
    t0 -= 2 * b2l;
    t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
    t0 += 8192 * f[i]!;
    t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
    b2l = b1l;
    b2h = b1h;
    b1h = t0 >> 16;
    b1l = (t0 >> 1) - b1h * 32768;
  }
  // The last step: Mpy_32_16 (= 2a, which cannot saturate for |a| ≤ 2^29), − 2^16·b2h (b2h =
  // −32768 excluded: its L_mult saturates), then − 2·b2l (0 .. 65534) and + 4096·f[i]
  // (|·| < 2^27), which cannot leave 32 bits when |2a − 2^16·b2h| ≤ 0x77ff0000; the scaling
  // then saturates as L_shl does.
  {
    const a = (Math.imul(b1h, x) + (Math.imul(b1l, x) >> 15)) | 0;
    if (a <= 0x20000000 && a >= -0x20000000 && b2h !== -32768) {
      const p1 = 2 * a - b2h * 65536;
      if (p1 <= 0x77ff0000 && p1 >= -0x77ff0000) {
        const r = (p1 - 2 * b2l + (f[i]! << 12)) * (q10 ? 128 : 64);
        return (r > MAX_32 ? MAX_32 : Math.max(r, MIN_32)) >> 16;
      }
    }
  }
  t0 = (b1h === -32768 && x === -32768 ? MAX_32 : 2 * b1h * x) + 2 * ((b1l * x) >> 15);
  t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
  t0 += b2h === -32768 ? MAX_32 : -65536 * b2h;
  t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
  t0 -= 2 * b2l;
  t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
  t0 += 4096 * f[i]!;
  t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
  t0 *= q10 ? 128 : 64;
  t0 = t0 > MAX_32 ? MAX_32 : Math.max(t0, MIN_32);
  return t0 >> 16;
}

const f1 = new Int16Array(NC + 1);
const f2 = new Int16Array(NC + 1);

/** LP (Q12) → LSP (Q15) by sign changes of the Chebyshev series on a 50-point grid (Az_lsp). */
export function azToLsp(a: Int16Array, lsp: Int16Array, oldLsp: Int16Array): void {
  let ovf = false;
  f1[0] = 2048;
  f2[0] = 2048;
  for (let i = 0; i < NC; i++) {
    overflow.flag = 0;
    let t0 = L_mult(a[i + 1]!, 16384);
    t0 = L_mac(t0, a[M - i]!, 16384);
    let x = extract_h(t0);
    if (overflow.flag) ovf = true;
    overflow.flag = 0;
    f1[i + 1] = sub(x, f1[i]!);
    if (overflow.flag) ovf = true;
    overflow.flag = 0;
    t0 = L_mult(a[i + 1]!, 16384);
    t0 = L_msu(t0, a[M - i]!, 16384);
    x = extract_h(t0);
    if (overflow.flag) ovf = true;
    overflow.flag = 0;
    f2[i + 1] = add(x, f2[i]!);
    if (overflow.flag) ovf = true;
  }
  if (ovf) {
    f1[0] = 1024;
    f2[0] = 1024;
    for (let i = 0; i < NC; i++) {
      let t0 = L_mult(a[i + 1]!, 8192);
      t0 = L_mac(t0, a[M - i]!, 8192);
      f1[i + 1] = sub(extract_h(t0), f1[i]!);
      t0 = L_mult(a[i + 1]!, 8192);
      t0 = L_msu(t0, a[M - i]!, 8192);
      f2[i + 1] = add(extract_h(t0), f2[i]!);
    }
  }
  let nf = 0;
  let ip = 0;
  let coef = f1;
  let xlow = GRID[0]!;
  let ylow = chebps(xlow, coef, ovf);
  let j = 0;
  while (nf < M && j < GRID_POINTS) {
    j++;
    let xhigh = xlow;
    let yhigh = ylow;
    xlow = GRID[j]!;
    ylow = chebps(xlow, coef, ovf);
    if (L_mult(ylow, yhigh) <= 0) {
      for (let i = 0; i < 2; i++) {
        const xmid = add(shr(xlow, 1), shr(xhigh, 1));
        const ymid = chebps(xmid, coef, ovf);
        if (L_mult(ylow, ymid) <= 0) {
          yhigh = ymid;
          xhigh = xmid;
        } else {
          ylow = ymid;
          xlow = xmid;
        }
      }
      const x = sub(xhigh, xlow);
      let yy = sub(yhigh, ylow);
      let xint: number;
      if (yy === 0) xint = xlow;
      else {
        const sign = yy;
        yy = abs_s(yy);
        const exp = norm_s(yy);
        yy = shl(yy, exp);
        yy = div_s(16383, yy);
        let t0 = L_mult(x, yy);
        t0 = L_shr(t0, sub(20, exp));
        yy = extract_l(t0);
        if (sign < 0) yy = negate(yy);
        t0 = L_mult(ylow, yy);
        t0 = L_shr(t0, 11);
        xint = sub(xlow, extract_l(t0));
      }
      lsp[nf] = xint;
      xlow = xint;
      nf++;
      if (ip === 0) {
        ip = 1;
        coef = f2;
      } else {
        ip = 0;
        coef = f1;
      }
      ylow = chebps(xlow, coef, ovf);
    }
  }
  if (nf < M) lsp.set(oldLsp);
}
