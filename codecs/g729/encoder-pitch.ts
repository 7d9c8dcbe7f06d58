/**
 * Encoder side, pitch (G.729 §3.4, §3.7, Annex A §A.3.4, §A.3.7): open-loop search on the
 * weighted speech, closed-loop fractional search, lag encoding, pitch gain, and the taming
 * of the adaptive codebook gain (Pitch_ol_fast, Pitch_fr3_fast, Enc_lag3, G_pitch, test_err,
 * update_exc_err).
 */

import { corHX as imported_corHX } from './acelp-search.ts';
import {
  MAX_32 as IMPORTED_MAX_32,
  MIN_32 as IMPORTED_MIN_32,
  abs_s as imported_abs_s,
  add as imported_add,
  div_s as imported_div_s,
  extract_l as imported_extract_l,
  L_add as imported_L_add,
  L_Extract_hi as imported_L_Extract_hi,
  L_Extract_lo as imported_L_Extract_lo,
  L_mac as imported_L_mac,
  L_shl as imported_L_shl,
  L_sub as imported_L_sub,
  Mpy_32 as imported_Mpy_32,
  Mpy_32_16 as imported_Mpy_32_16,
  macDot as imported_macDot,
  mult as imported_mult,
  norm_l as imported_norm_l,
  overflow as imported_overflow,
  round as imported_round,
  shl as imported_shl,
  shr as imported_shr,
  sub as imported_sub,
} from './basic-ops.ts';
import { correlateLags as imported_correlateLags } from './correlate.ts';
import { invSqrt as imported_invSqrt } from './log-pow.ts';
import {
  PIT_MAX as IMPORTED_PIT_MAX,
  PIT_MIN as IMPORTED_PIT_MIN,
  predLt3 as imported_predLt3,
} from './pitch.ts';
import { TAB_ZONE as TAB_ZONE_TABLE } from './tables.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const L_add = imported_L_add;
const L_Extract_hi = imported_L_Extract_hi;
const L_Extract_lo = imported_L_Extract_lo;
const L_mac = imported_L_mac;
const L_shl = imported_L_shl;
const L_sub = imported_L_sub;
const Mpy_32 = imported_Mpy_32;
const Mpy_32_16 = imported_Mpy_32_16;
const corHX = imported_corHX;
const abs_s = imported_abs_s;
const add = imported_add;
const div_s = imported_div_s;
const extract_l = imported_extract_l;
const macDot = imported_macDot;
const mult = imported_mult;
const norm_l = imported_norm_l;
const overflow = imported_overflow;
const round = imported_round;
const shl = imported_shl;
const shr = imported_shr;
const sub = imported_sub;
const correlateLags = imported_correlateLags;
const invSqrt = imported_invSqrt;
const predLt3 = imported_predLt3;

// Module-local copies of the imported constants: in a hot loop an imported binding costs a
// load and a check per use (micro-benchmark: a loop bounded by an imported constant 1.37× the
// time of one bounded by a local copy).
const MAX_32 = IMPORTED_MAX_32;
const MIN_32 = IMPORTED_MIN_32;
const PIT_MAX = IMPORTED_PIT_MAX;
const PIT_MIN = IMPORTED_PIT_MIN;

// The tables as module-local Int32Array copies: in the hot loops a load from them is cheaper
// than one through the imported binding of the Int16Array (micro-benchmark of the LSP
// pre-selection: 0.69× the time).
const TAB_ZONE = Int32Array.from(TAB_ZONE_TABLE);

const L_FRAME = 80;
const L_SUBFR = 40;
const L_INTER10 = 10;
const L_THRESH_ERR = 983040000;

const scaled = new Int16Array(L_FRAME + PIT_MAX);
/** Correlation half-sums by lag (open-loop and closed-loop searches). */
const olCorr = new Int32Array(PIT_MAX + 2);

function corrEven(sig: Int16Array, base: number, lag: number, plain: boolean): number {
  let sum = 0;
  if (plain) {
    // |half-sum| ≤ Σ scaled² < 2^30: exact in int32 arithmetic.
    for (let j = 0; j < L_FRAME; j += 2) sum = (sum + Math.imul(sig[base + j]!, sig[base + j - lag]!)) | 0;
    return 2 * sum;
  }
  // Plain sum while no partial sum leaves 32 bits (and no product is −32768·−32768).
  for (let j = 0; j < L_FRAME; j += 2) {
    const p = sig[base + j]! * sig[base + j - lag]!;
    const t = sum + 2 * p;
    if (t > 0x7fffffff || t < -0x80000000 || p === 0x40000000) {
      sum = 0;
      for (let k = 0; k < L_FRAME; k += 2) sum = L_mac(sum, sig[base + k]!, sig[base + k - lag]!);
      return sum;
    }
    sum = t;
  }
  return sum;
}

function normalisedMax(sig: Int16Array, base: number, T: number, max: number): number {
  // The reference's L_mac chain of squares only grows: it is min(1 + 2·Σ, MAX_32).
  let e = 0;
  for (let i = 0; i < L_FRAME; i += 2) e += sig[base - T + i]! * sig[base - T + i]!;
  let sum = 1 + 2 * e;
  if (sum > MAX_32) sum = MAX_32;
  sum = invSqrt(sum);
  return extract_l(Mpy_32(L_Extract_hi(max), L_Extract_lo(max), L_Extract_hi(sum), L_Extract_lo(sum)));
}

/** Open-loop pitch delay from wsp[off − 143 .. off + 80) (Pitch_ol_fast). */
export function pitchOlFast(wsp: Int16Array, off: number): number {
  // The reference's L_mac chain of squares only grows, so it saturates (raising the Overflow
  // flag) exactly when the plain sum 2·Σ leaves 32 bits.
  let e = 0;
  for (let i = -PIT_MAX; i < L_FRAME; i += 2) e += wsp[off + i]! * wsp[off + i]!;
  const sum = 2 * e;
  const base = PIT_MAX;
  // Every correlation below is a partial sum 2·Σ u·v of samples of `scaled`, at most
  // 2·Σ scaled² in magnitude (Cauchy–Schwarz): if that fits, no L_mac saturates. The energy
  // is summed as the scaled signal is written.
  let energy = 0;
  if (sum > MAX_32) {
    for (let i = -PIT_MAX; i < L_FRAME; i++) {
      const v = wsp[off + i]! >> 3;
      scaled[base + i] = v;
      energy += v * v;
    }
  } else if (sum < 1048576) {
    for (let i = -PIT_MAX; i < L_FRAME; i++) {
      const w = wsp[off + i]! * 8;
      const v = w > 32767 ? 32767 : Math.max(w, -32768);
      scaled[base + i] = v;
      energy += v * v;
    }
  } else {
    for (let i = -PIT_MAX; i < L_FRAME; i++) {
      const v = wsp[off + i]!;
      scaled[base + i] = v;
      energy += v * v;
    }
  }
  const plain = 2 * energy <= MAX_32;
  if (plain) {
    // The half-sums of the even-sample correlations at every lag the three ranges search.
    correlateLags(scaled, base, scaled, base, L_FRAME / 2, 2, 20, 30, olCorr);
    correlateLags(scaled, base, scaled, base, L_FRAME / 2, 2, 21, 30, olCorr);
    correlateLags(scaled, base, scaled, base, L_FRAME / 2, 2, 80, 32, olCorr);
  }
  let max = MIN_32;
  let T1 = 20;
  for (let i = 20; i < 40; i++) {
    const s = plain ? 2 * olCorr[i]! : corrEven(scaled, base, i, plain);
    if (s > max) {
      max = s;
      T1 = i;
    }
  }
  let max1 = normalisedMax(scaled, base, T1, max);
  max = MIN_32;
  let T2 = 40;
  for (let i = 40; i < 80; i++) {
    const s = plain ? 2 * olCorr[i]! : corrEven(scaled, base, i, plain);
    if (s > max) {
      max = s;
      T2 = i;
    }
  }
  let max2 = normalisedMax(scaled, base, T2, max);
  max = MIN_32;
  let T3 = 80;
  for (let i = 80; i < 143; i += 2) {
    const s = plain ? 2 * olCorr[i]! : corrEven(scaled, base, i, plain);
    if (s > max) {
      max = s;
      T3 = i;
    }
  }
  const t3 = T3;
  let s = corrEven(scaled, base, t3 + 1, plain);
  if (s > max) {
    max = s;
    T3 = t3 + 1;
  }
  s = corrEven(scaled, base, t3 - 1, plain);
  if (s > max) {
    max = s;
    T3 = t3 - 1;
  }
  const max3 = normalisedMax(scaled, base, T3, max);

  let i = sub(shl(T2, 1), T3);
  if (sub(abs_s(i), 5) < 0) max2 = add(max2, shr(max3, 2));
  i = add(i, T2);
  if (sub(abs_s(i), 7) < 0) max2 = add(max2, shr(max3, 2));
  i = sub(shl(T1, 1), T2);
  if (sub(abs_s(i), 5) < 0) max1 = add(max1, mult(max2, 6554));
  i = add(i, T1);
  if (sub(abs_s(i), 7) < 0) max1 = add(max1, mult(max2, 6554));
  if (sub(max1, max2) < 0) {
    max1 = max2;
    T1 = T2;
  }
  if (sub(max1, max3) < 0) T1 = T3;
  return T1;
}

const dn = new Int16Array(L_SUBFR);
/** (MAX_32 / 2)² with a margin: below it, 2·√(a·b) fits in 32 bits. */
const CS_LIMIT = 1.15e18;
const excTmp = new Int16Array(L_SUBFR);

/**
 * Σ dn[i]·exc[off + i]·2 with the reference's saturating L_mac chain (ed = Σdn²): in int32 when
 * √(Σdn²·Σexc²) bounds every partial half-sum below 2^30 (Cauchy–Schwarz).
 */
function dnDot(exc: Int16Array, off: number, ed: number): number {
  // The energy and the int32 sum in one pass; the sum is used only when the bound holds.
  let ee = 0;
  let s = 0;
  for (let i = 0; i < L_SUBFR; i++) {
    const v = exc[off + i]!;
    ee += v * v;
    s = (s + Math.imul(dn[i]!, v)) | 0;
  }
  if (ed * ee >= CS_LIMIT) return macDot(0, dn, 0, exc, off, L_SUBFR);
  return 2 * s;
}

/** Closed-loop pitch over [t0Min, t0Max] with 1/3 fractions; leaves the adaptive vector in exc (Pitch_fr3_fast). */
export function pitchFr3Fast(
  exc: Int16Array,
  off: number,
  xn: Int16Array,
  h: Int16Array,
  t0Min: number,
  t0Max: number,
  subframe: number,
  frac: Int32Array,
): number {
  corHX(h, xn, dn);
  let max = MIN_32;
  let t0 = t0Min;
  // Every partial sum of the correlations is at most 2·√(Σdn²·Σexc²) over the samples read
  // (Cauchy–Schwarz): below 2^31, the half-sums are exact in int32 arithmetic.
  let ed = 0;
  let ee = 0;
  for (let i = 0; i < L_SUBFR; i++) ed += dn[i]! * dn[i]!;
  for (let i = off - t0Max; i < off - t0Min + L_SUBFR; i++) ee += exc[i]! * exc[i]!;
  const plain = ed * ee < CS_LIMIT;
  if (plain) correlateLags(dn, 0, exc, off, L_SUBFR, 1, t0Min, t0Max - t0Min + 1, olCorr);
  for (let t = t0Min; t <= t0Max; t++) {
    const corr = plain ? 2 * olCorr[t]! : macDot(0, dn, 0, exc, off - t, L_SUBFR);
    if (corr > max) {
      max = corr;
      t0 = t;
    }
  }
  predLt3(exc, off, t0, 0, L_SUBFR);
  max = dnDot(exc, off, ed);
  frac[0] = 0;
  if (subframe === 0 && t0 > 84) return t0;
  for (let i = 0; i < L_SUBFR; i++) excTmp[i] = exc[off + i]!;
  predLt3(exc, off, t0, -1, L_SUBFR);
  // (L_sub(a, b) > 0 is a > b: saturation keeps the sign, and nothing reads the flag here.)
  let corr = dnDot(exc, off, ed);
  if (corr > max) {
    max = corr;
    frac[0] = -1;
    for (let i = 0; i < L_SUBFR; i++) excTmp[i] = exc[off + i]!;
  }
  predLt3(exc, off, t0, 1, L_SUBFR);
  corr = dnDot(exc, off, ed);
  if (corr > max) {
    frac[0] = 1;
  } else {
    exc.set(excTmp, off);
  }
  return t0;
}

/** Pitch index; for the first subframe also sets the second's search range in range[0..1] (Enc_lag3). */
export function encodeLag(T0: number, frac: number, range: Int32Array, subframe: number): number {
  if (subframe === 0) {
    const index = sub(T0, 85) <= 0 ? add(sub(add(add(T0, T0), T0), 58), frac) : add(T0, 112);
    let tMin = sub(T0, 5);
    if (tMin < PIT_MIN) tMin = PIT_MIN;
    let tMax = add(tMin, 9);
    if (tMax > PIT_MAX) {
      tMax = PIT_MAX;
      tMin = sub(tMax, 9);
    }
    range[0] = tMin;
    range[1] = tMax;
    return index;
  }
  let i = sub(T0, range[0]!);
  i = add(add(i, i), i);
  return add(add(i, 2), frac);
}

const scaledY1 = new Int16Array(L_SUBFR);

/** Pitch gain (Q14, 0..1.2) and the correlations the gain quantiser needs (G_pitch). */
export function pitchGain(xn: Int16Array, y1: Int16Array, gCoeff: Int32Array): number {
  // The chain of squares saturates (raising the flag) exactly when its plain value leaves 32
  // bits; the cross sum cannot saturate when √(Σxn²·Σy1²) bounds it below 2^30.
  let ey = 0;
  let ex = 0;
  let c = 0;
  for (let i = 0; i < L_SUBFR; i++) {
    scaledY1[i] = y1[i]! >> 2;
    ey += y1[i]! * y1[i]!;
    ex += xn[i]! * xn[i]!;
    c += xn[i]! * y1[i]!;
  }
  let s = 1 + 2 * ey;
  let expYy: number;
  let yy: number;
  if (s <= MAX_32) {
    expYy = norm_l(s);
    yy = round(L_shl(s, expYy));
  } else {
    s = 1;
    for (let i = 0; i < L_SUBFR; i++) s = L_mac(s, scaledY1[i]!, scaledY1[i]!);
    expYy = norm_l(s);
    yy = round(L_shl(s, expYy));
    expYy = sub(expYy, 4);
  }
  let crossOverflow: boolean;
  if (ex * ey < CS_LIMIT) {
    s = 2 * c;
    crossOverflow = false;
  } else {
    overflow.flag = 0;
    s = 0;
    for (let i = 0; i < L_SUBFR; i++) s = L_mac(s, xn[i]!, y1[i]!);
    crossOverflow = overflow.flag !== 0;
  }
  let expXy: number;
  let xy: number;
  if (!crossOverflow) {
    expXy = norm_l(s);
    xy = round(L_shl(s, expXy));
  } else {
    s = 0;
    for (let i = 0; i < L_SUBFR; i++) s = L_mac(s, xn[i]!, scaledY1[i]!);
    expXy = norm_l(s);
    xy = round(L_shl(s, expXy));
    expXy = sub(expXy, 2);
  }
  gCoeff[0] = yy;
  gCoeff[1] = sub(15, expYy);
  gCoeff[2] = xy;
  gCoeff[3] = sub(15, expXy);
  if (xy <= 0) {
    gCoeff[3] = -15;
    return 0;
  }
  xy = shr(xy, 1);
  let gain = div_s(xy, yy);
  gain = shr(gain, sub(expXy, expYy));
  if (sub(gain, 19661) > 0) gain = 19661;
  return gain;
}

function tamingStep(e: number, gainPit: number): number {
  let t = Mpy_32_16(L_Extract_hi(e), L_Extract_lo(e), gainPit);
  t = L_shl(t, 1);
  return L_add(0x4000, t);
}

/** Accumulated adaptive-codebook error, to tame the pitch gain against divergence. */
export class Taming {
  private readonly excErr = Float64Array.of(0x4000, 0x4000, 0x4000, 0x4000);

  /** 1 when taming is needed for this delay (test_err). */
  test(T0: number, frac: number): number {
    const t1 = frac > 0 ? add(T0, 1) : T0;
    let i = sub(t1, L_SUBFR + L_INTER10);
    if (i < 0) i = 0;
    const zone1 = TAB_ZONE[i]!;
    i = add(t1, L_INTER10 - 2);
    const zone2 = TAB_ZONE[i]!;
    let maxloc = -1;
    for (let k = zone2; k >= zone1; k--) if (L_sub(this.excErr[k]!, maxloc) > 0) maxloc = this.excErr[k]!;
    return L_sub(maxloc, L_THRESH_ERR) > 0 ? 1 : 0;
  }

  /** update_exc_err. */
  update(gainPit: number, T0: number): void {
    let worst = -1;
    const n = sub(T0, L_SUBFR);
    if (n < 0) {
      let t = tamingStep(this.excErr[0]!, gainPit);
      if (L_sub(t, worst) > 0) worst = t;
      t = tamingStep(t, gainPit);
      if (L_sub(t, worst) > 0) worst = t;
    } else {
      const zone1 = TAB_ZONE[n]!;
      const zone2 = TAB_ZONE[sub(T0, 1)]!;
      for (let k = zone1; k <= zone2; k++) {
        const t = tamingStep(this.excErr[k]!, gainPit);
        if (L_sub(t, worst) > 0) worst = t;
      }
    }
    for (let k = 3; k >= 1; k--) this.excErr[k] = this.excErr[k - 1]!;
    this.excErr[0] = worst;
  }
}
