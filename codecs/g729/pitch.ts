/** Adaptive codebook: pitch delay decoding and fractional interpolation (G.729 §3.7, §4.1.3). */
import {
  MAX_32 as IMPORTED_MAX_32,
  MIN_32 as IMPORTED_MIN_32,
  add as imported_add,
  L_mac as imported_L_mac,
  mult as imported_mult,
  negate as imported_negate,
  round as imported_round,
  sub as imported_sub,
} from './basic-ops.ts';
import { INTER_3L as INTER_3L_TABLE } from './tables.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const L_mac = imported_L_mac;
const add = imported_add;
const mult = imported_mult;
const negate = imported_negate;
const round = imported_round;
const sub = imported_sub;

// Module-local copies of the imported constants: in a hot loop an imported binding costs a
// load and a check per use (micro-benchmark: a loop bounded by an imported constant 1.37× the
// time of one bounded by a local copy).
const MAX_32 = IMPORTED_MAX_32;
const MIN_32 = IMPORTED_MIN_32;

// The tables as module-local Int32Array copies: in the hot loops a load from them is cheaper
// than one through the imported binding of the Int16Array (micro-benchmark of the LSP
// pre-selection: 0.69× the time).
const INTER_3L = Int32Array.from(INTER_3L_TABLE);

export const PIT_MIN = 20;
export const PIT_MAX = 143;
export const L_INTERPOL = 11;
const UP_SAMP = 3;
const L_INTER10 = 10;

/** Delay (integer, fraction) from the pitch index (Dec_lag3). `t0` is the first subframe's delay. */
export function decodeLag(index: number, subframe: number, t0: number, out: Int32Array): void {
  if (subframe === 0) {
    if (index < 197) {
      const T0 = add(mult(add(index, 2), 10923), 19);
      const i = T0 + T0 + T0;
      out[0] = T0;
      out[1] = add(sub(index, i), 58);
    } else {
      out[0] = sub(index, 112);
      out[1] = 0;
    }
    return;
  }
  let tMin = sub(t0, 5);
  if (tMin < PIT_MIN) tMin = PIT_MIN;
  let tMax = add(tMin, 9);
  if (tMax > PIT_MAX) {
    tMax = PIT_MAX;
    tMin = sub(tMax, 9);
  }
  let i = sub(mult(add(index, 2), 10923), 1);
  out[0] = add(i, tMin);
  i = i + i + i;
  out[1] = sub(sub(index, 2), i);
}

/** Σ|taps| of the interpolation filter for each fraction (0, 1, 2). */
const TAP_SUM = [0, 1, 2].map((frac) => {
  let sum = 0;
  for (let i = 0, k = 0; i < L_INTER10; i++, k += UP_SAMP) {
    sum += Math.abs(INTER_3L[frac + k]!) + Math.abs(INTER_3L[UP_SAMP - frac + k]!);
  }
  return sum;
});

/**
 * exc[off + n] = interpolated past excitation at delay T0 − frac/3, computed in place so that
 * delays shorter than the subframe repeat the new samples (Pred_lt_3).
 */
export function predLt3(exc: Int16Array, off: number, T0: number, frac: number, len: number): void {
  let x0 = off - T0;
  frac = negate(frac);
  if (frac < 0) {
    frac += UP_SAMP;
    x0--;
  }
  const c2o = UP_SAMP - frac;
  // Every partial sum is at most 2·Σ|taps|·max|exc| over the samples read (the samples
  // written so far included): while that fits in 32 bits the plain sum is exact.
  const tapSum = TAP_SUM[frac]!;
  // xmax bounds max|exc| over the samples read that precede the output: first the cheap bound
  // 1 + OR of (v ^ (v >> 31)) (= |v| for v ≥ 0, |v| − 1 below), at most twice the maximum;
  // only when it is too loose for the int32 path, the maximum itself. (Either way the checked
  // path gives the same samples; the bound only chooses the faster one.)
  const end = Math.min(x0 + len + L_INTER10, off);
  let bits = 0;
  for (let i = x0 - (L_INTER10 - 1); i < end; i++) {
    const v = exc[i]!;
    bits |= v ^ (v >> 31);
  }
  let xmax = bits + 1;
  if (tapSum * xmax > 0x3fffffff) {
    xmax = 0;
    for (let i = x0 - (L_INTER10 - 1); i < end; i++) {
      const v = exc[i]!;
      if (v > xmax) xmax = v;
      else if (-v > xmax) xmax = -v;
    }
  }
  const c0 = INTER_3L[frac]!;
  const c1 = INTER_3L[frac + 3]!;
  const c2 = INTER_3L[frac + 6]!;
  const c3 = INTER_3L[frac + 9]!;
  const c4 = INTER_3L[frac + 12]!;
  const c5 = INTER_3L[frac + 15]!;
  const c6 = INTER_3L[frac + 18]!;
  const c7 = INTER_3L[frac + 21]!;
  const c8 = INTER_3L[frac + 24]!;
  const c9 = INTER_3L[frac + 27]!;
  const d0 = INTER_3L[c2o]!;
  const d1 = INTER_3L[c2o + 3]!;
  const d2 = INTER_3L[c2o + 6]!;
  const d3 = INTER_3L[c2o + 9]!;
  const d4 = INTER_3L[c2o + 12]!;
  const d5 = INTER_3L[c2o + 15]!;
  const d6 = INTER_3L[c2o + 18]!;
  const d7 = INTER_3L[c2o + 21]!;
  const d8 = INTER_3L[c2o + 24]!;
  const d9 = INTER_3L[c2o + 27]!;
  // Four outputs per pass, sharing 17 of their 20 samples: output j + 3 reads up to
  // exc[x0 + j + 13], before output j (at off + j) when the delay is at least 14 (every caller's
  // is 19 or more), so the group reads only samples that precede it, and xmax (over them and
  // the outputs so far) bounds the four half-sums within ±(2^30 − 1): exact in int32 arithmetic.
  let j0 = 0;
  for (; j0 + 3 < len && T0 >= 14; j0 += 4) {
    if (tapSum * xmax > 0x3fffffff) break;
    {
      const b = x0 + j0;
      const e0 = exc[b - 9]!;
      const e1 = exc[b - 8]!;
      const e2 = exc[b - 7]!;
      const e3 = exc[b - 6]!;
      const e4 = exc[b - 5]!;
      const e5 = exc[b - 4]!;
      const e6 = exc[b - 3]!;
      const e7 = exc[b - 2]!;
      const e8 = exc[b - 1]!;
      const e9 = exc[b]!;
      const e10 = exc[b + 1]!;
      const e11 = exc[b + 2]!;
      const e12 = exc[b + 3]!;
      const e13 = exc[b + 4]!;
      const e14 = exc[b + 5]!;
      const e15 = exc[b + 6]!;
      const e16 = exc[b + 7]!;
      const e17 = exc[b + 8]!;
      const e18 = exc[b + 9]!;
      const e19 = exc[b + 10]!;
      const e20 = exc[b + 11]!;
      const e21 = exc[b + 12]!;
      const e22 = exc[b + 13]!;
      const s0 =
        (Math.imul(e9, c0) +
          Math.imul(e8, c1) +
          Math.imul(e7, c2) +
          Math.imul(e6, c3) +
          Math.imul(e5, c4) +
          Math.imul(e4, c5) +
          Math.imul(e3, c6) +
          Math.imul(e2, c7) +
          Math.imul(e1, c8) +
          Math.imul(e0, c9) +
          Math.imul(e10, d0) +
          Math.imul(e11, d1) +
          Math.imul(e12, d2) +
          Math.imul(e13, d3) +
          Math.imul(e14, d4) +
          Math.imul(e15, d5) +
          Math.imul(e16, d6) +
          Math.imul(e17, d7) +
          Math.imul(e18, d8) +
          Math.imul(e19, d9)) |
        0;
      const s1 =
        (Math.imul(e10, c0) +
          Math.imul(e9, c1) +
          Math.imul(e8, c2) +
          Math.imul(e7, c3) +
          Math.imul(e6, c4) +
          Math.imul(e5, c5) +
          Math.imul(e4, c6) +
          Math.imul(e3, c7) +
          Math.imul(e2, c8) +
          Math.imul(e1, c9) +
          Math.imul(e11, d0) +
          Math.imul(e12, d1) +
          Math.imul(e13, d2) +
          Math.imul(e14, d3) +
          Math.imul(e15, d4) +
          Math.imul(e16, d5) +
          Math.imul(e17, d6) +
          Math.imul(e18, d7) +
          Math.imul(e19, d8) +
          Math.imul(e20, d9)) |
        0;
      const s2 =
        (Math.imul(e11, c0) +
          Math.imul(e10, c1) +
          Math.imul(e9, c2) +
          Math.imul(e8, c3) +
          Math.imul(e7, c4) +
          Math.imul(e6, c5) +
          Math.imul(e5, c6) +
          Math.imul(e4, c7) +
          Math.imul(e3, c8) +
          Math.imul(e2, c9) +
          Math.imul(e12, d0) +
          Math.imul(e13, d1) +
          Math.imul(e14, d2) +
          Math.imul(e15, d3) +
          Math.imul(e16, d4) +
          Math.imul(e17, d5) +
          Math.imul(e18, d6) +
          Math.imul(e19, d7) +
          Math.imul(e20, d8) +
          Math.imul(e21, d9)) |
        0;
      const s3 =
        (Math.imul(e12, c0) +
          Math.imul(e11, c1) +
          Math.imul(e10, c2) +
          Math.imul(e9, c3) +
          Math.imul(e8, c4) +
          Math.imul(e7, c5) +
          Math.imul(e6, c6) +
          Math.imul(e5, c7) +
          Math.imul(e4, c8) +
          Math.imul(e3, c9) +
          Math.imul(e13, d0) +
          Math.imul(e14, d1) +
          Math.imul(e15, d2) +
          Math.imul(e16, d3) +
          Math.imul(e17, d4) +
          Math.imul(e18, d5) +
          Math.imul(e19, d6) +
          Math.imul(e20, d7) +
          Math.imul(e21, d8) +
          Math.imul(e22, d9)) |
        0;
      const u0 = s0 < 0x3fffc000 ? (s0 + 0x4000) >> 15 : round(2 * s0);
      const u1 = s1 < 0x3fffc000 ? (s1 + 0x4000) >> 15 : round(2 * s1);
      const u2 = s2 < 0x3fffc000 ? (s2 + 0x4000) >> 15 : round(2 * s2);
      const u3 = s3 < 0x3fffc000 ? (s3 + 0x4000) >> 15 : round(2 * s3);
      exc[off + j0] = u0;
      exc[off + j0 + 1] = u1;
      exc[off + j0 + 2] = u2;
      exc[off + j0 + 3] = u3;
      if (u0 > xmax) xmax = u0;
      else if (-u0 > xmax) xmax = -u0;
      if (u1 > xmax) xmax = u1;
      else if (-u1 > xmax) xmax = -u1;
      if (u2 > xmax) xmax = u2;
      else if (-u2 > xmax) xmax = -u2;
      if (u3 > xmax) xmax = u3;
      else if (-u3 > xmax) xmax = -u3;
    }
  }
  x0 += j0;
  for (let j = j0; j < len; j++) {
    const x1 = x0++;
    const x2 = x0;
    let out: number;
    if (tapSum * xmax <= 0x3fffffff) {
      // The half-sum is within ±(2^30 − 1): exact in int32 arithmetic.
      const s =
        (Math.imul(exc[x1]!, c0) +
          Math.imul(exc[x1 - 1]!, c1) +
          Math.imul(exc[x1 - 2]!, c2) +
          Math.imul(exc[x1 - 3]!, c3) +
          Math.imul(exc[x1 - 4]!, c4) +
          Math.imul(exc[x1 - 5]!, c5) +
          Math.imul(exc[x1 - 6]!, c6) +
          Math.imul(exc[x1 - 7]!, c7) +
          Math.imul(exc[x1 - 8]!, c8) +
          Math.imul(exc[x1 - 9]!, c9) +
          Math.imul(exc[x2]!, d0) +
          Math.imul(exc[x2 + 1]!, d1) +
          Math.imul(exc[x2 + 2]!, d2) +
          Math.imul(exc[x2 + 3]!, d3) +
          Math.imul(exc[x2 + 4]!, d4) +
          Math.imul(exc[x2 + 5]!, d5) +
          Math.imul(exc[x2 + 6]!, d6) +
          Math.imul(exc[x2 + 7]!, d7) +
          Math.imul(exc[x2 + 8]!, d8) +
          Math.imul(exc[x2 + 9]!, d9)) |
        0;
      // round(2·s) = (s + 2^14) >> 15 unless it saturates.
      out = s < 0x3fffc000 ? (s + 0x4000) >> 15 : round(2 * s);
    } else {
      out = predStepChecked(exc, x1, x2, frac, c2o);
    }
    exc[off + j] = out;
    if (out > xmax) xmax = out;
    else if (-out > xmax) xmax = -out;
  }
}

function predStepChecked(exc: Int16Array, x1: number, x2: number, frac: number, c2o: number): number {
  // Exact fast path: the filter has no −32768 tap, so only a partial sum leaving 32 bits
  // could make the saturating reference differ from the plain sum.
  let s = 0;
  let bad = false;
  for (let i = 0, k = 0; i < L_INTER10; i++, k += UP_SAMP) {
    s += 2 * exc[x1 - i]! * INTER_3L[frac + k]!;
    if (s > MAX_32 || s < MIN_32) bad = true;
    s += 2 * exc[x2 + i]! * INTER_3L[c2o + k]!;
    if (s > MAX_32 || s < MIN_32) bad = true;
  }
  if (!bad && s < MAX_32 - 0x8000) return (s + 0x8000) >> 16;
  s = 0;
  for (let i = 0, k = 0; i < L_INTER10; i++, k += UP_SAMP) {
    s = L_mac(s, exc[x1 - i]!, INTER_3L[frac + k]!);
    s = L_mac(s, exc[x2 + i]!, INTER_3L[c2o + k]!);
  }
  return round(s);
}
