/** LP filters of G.729: synthesis 1/A(z), inverse (residual) A(z), bandwidth expansion A(z/γ). */
import {
  MAX_32 as IMPORTED_MAX_32,
  MIN_32 as IMPORTED_MIN_32,
  L_mac as imported_L_mac,
  L_msu as imported_L_msu,
  L_mult as imported_L_mult,
  L_shl as imported_L_shl,
  round as imported_round,
} from './basic-ops.ts';
import { M as IMPORTED_M } from './lsp.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const L_mac = imported_L_mac;
const L_msu = imported_L_msu;
const L_mult = imported_L_mult;
const L_shl = imported_L_shl;
const round = imported_round;

// Module-local copies of the imported constants: in a hot loop an imported binding costs a
// load and a check per use (micro-benchmark: a loop bounded by an imported constant 1.37× the
// time of one bounded by a local copy).
const MAX_32 = IMPORTED_MAX_32;
const MIN_32 = IMPORTED_MIN_32;
const M = IMPORTED_M;

/** The 10 past outputs of a checked synthesis step, latest first. */
const hist = new Int16Array(M + 1);

/**
 * The exact output of one synthesis step when a partial sum may leave 32 bits (the past
 * outputs y[n−j] in hist[j]): the plain sum while no partial sum does (no product is the
 * saturating −32768·−32768, as no coefficient is −32768), else the reference's saturating
 * operators (which also raise the Overflow flag).
 */
function synStepChecked(a: Int16Array, aOff: number, xi: number, fast: boolean): number {
  if (fast) {
    let s = 2 * xi * a[aOff]!;
    let bad = false;
    for (let j = 1; j <= M; j++) {
      s -= 2 * a[aOff + j]! * hist[j]!;
      if (s > MAX_32 || s < MIN_32) bad = true;
    }
    if (!bad && s >= -0x10000000 && s < 0x0ffff000) return (s * 8 + 0x8000) >> 16;
  }
  let t = L_mult(xi, a[aOff]!);
  for (let j = 1; j <= M; j++) t = L_msu(t, a[aOff + j]!, hist[j]!);
  return round(L_shl(t, 3));
}

/**
 * y[n] = x[n] − Σ a[j]·y[n−j] (a Q12 at a[aOff..]); `mem` holds the 10 past outputs and is
 * updated when `update` is set. x and y may be the same array region (x[n] is read before
 * y[n] is written; the past outputs are kept in locals).
 *
 * Fast path: every partial sum of a step is at most 2·(|x·a0| + Σ|a[j]|·max|y|) in magnitude;
 * while that bound fits in 32 bits (max|y| over the memory and the outputs so far) nothing
 * saturates and the plain sum is the reference's result. Otherwise the step is checked.
 */
export function synFilt(
  a: Int16Array,
  aOff: number,
  x: Int16Array,
  xOff: number,
  y: Int16Array,
  yOff: number,
  lg: number,
  mem: Int16Array,
  memOff: number,
  update: boolean,
): void {
  let ymax = 0;
  for (let i = 0; i < M; i++) {
    const v = mem[memOff + i]!;
    if (v > ymax) ymax = v;
    else if (-v > ymax) ymax = -v;
  }
  const a0 = a[aOff]!;
  const a1 = a[aOff + 1]!;
  const a2 = a[aOff + 2]!;
  const a3 = a[aOff + 3]!;
  const a4 = a[aOff + 4]!;
  const a5 = a[aOff + 5]!;
  const a6 = a[aOff + 6]!;
  const a7 = a[aOff + 7]!;
  const a8 = a[aOff + 8]!;
  const a9 = a[aOff + 9]!;
  const a10 = a[aOff + 10]!;
  let fast = true;
  let aSum = 0;
  for (let j = 0; j <= M; j++) {
    const v = a[aOff + j]!;
    if (v === -32768) fast = false;
    if (j > 0) aSum += v < 0 ? -v : v;
  }
  let y1 = mem[memOff + 9]!;
  let y2 = mem[memOff + 8]!;
  let y3 = mem[memOff + 7]!;
  let y4 = mem[memOff + 6]!;
  let y5 = mem[memOff + 5]!;
  let y6 = mem[memOff + 4]!;
  let y7 = mem[memOff + 3]!;
  let y8 = mem[memOff + 2]!;
  let y9 = mem[memOff + 1]!;
  let y10 = mem[memOff]!;
  // While max|y| ≤ yLimit the half-sums are within ±(2^30 − 1) for any input sample, so they
  // are computed in exact int32 arithmetic (Math.imul, | 0).
  const yLimit = aSum === 0 ? 32768 : Math.floor((0x3fffffff - 32768 * (a0 < 0 ? -a0 : a0)) / aSum);
  // While every output so far (and the memory) is within ±yLimit, the fast path holds.
  let plain = fast && ymax <= yLimit;
  let i = 0;
  // Two samples per pass on the fast path (half the shifting of the past outputs); a sample
  // that leaves it is redone by the general loop below.
  while (plain && i + 1 < lg) {
    const s =
      (Math.imul(x[xOff + i]!, a0) -
        (Math.imul(a1, y1) +
          Math.imul(a2, y2) +
          Math.imul(a3, y3) +
          Math.imul(a4, y4) +
          Math.imul(a5, y5) +
          Math.imul(a6, y6) +
          Math.imul(a7, y7) +
          Math.imul(a8, y8) +
          Math.imul(a9, y9) +
          Math.imul(a10, y10))) |
      0;
    if (s < -0x8000000 || s >= 0x7fff800) break;
    const u = (s + 2048) >> 12;
    if (u > yLimit || u < -yLimit) break;
    const t =
      (Math.imul(x[xOff + i + 1]!, a0) -
        (Math.imul(a1, u) +
          Math.imul(a2, y1) +
          Math.imul(a3, y2) +
          Math.imul(a4, y3) +
          Math.imul(a5, y4) +
          Math.imul(a6, y5) +
          Math.imul(a7, y6) +
          Math.imul(a8, y7) +
          Math.imul(a9, y8) +
          Math.imul(a10, y9))) |
      0;
    if (t < -0x8000000 || t >= 0x7fff800) break;
    const w = (t + 2048) >> 12;
    if (w > yLimit || w < -yLimit) break;
    y[yOff + i] = u;
    y[yOff + i + 1] = w;
    i += 2;
    y10 = y8;
    y9 = y7;
    y8 = y6;
    y7 = y5;
    y6 = y4;
    y5 = y3;
    y4 = y2;
    y3 = y1;
    y2 = u;
    y1 = w;
  }
  for (; i < lg; i++) {
    const xi = x[xOff + i]!;
    let out: number;
    if (plain) {
      const s =
        (Math.imul(xi, a0) -
          (Math.imul(a1, y1) +
            Math.imul(a2, y2) +
            Math.imul(a3, y3) +
            Math.imul(a4, y4) +
            Math.imul(a5, y5) +
            Math.imul(a6, y6) +
            Math.imul(a7, y7) +
            Math.imul(a8, y8) +
            Math.imul(a9, y9) +
            Math.imul(a10, y10))) |
        0;
      // round(L_shl(2·s, 3)) = (16·s + 2^15) >> 16 while 2·s·8 does not saturate.
      out =
        s >= -0x8000000 && s < 0x7fff800
          ? (s + 2048) >> 12
          : synStepSlow(a, aOff, xi, false, y1, y2, y3, y4, y5, y6, y7, y8, y9, y10);
    } else {
      out = synStepSlow(a, aOff, xi, fast, y1, y2, y3, y4, y5, y6, y7, y8, y9, y10);
    }
    y[yOff + i] = out;
    if (out > yLimit || out < -yLimit) plain = false;
    y10 = y9;
    y9 = y8;
    y8 = y7;
    y7 = y6;
    y6 = y5;
    y5 = y4;
    y4 = y3;
    y3 = y2;
    y2 = y1;
    y1 = out;
  }
  if (update) for (let i = 0; i < M; i++) mem[memOff + i] = y[yOff + lg - M + i]!;
}

function synStepSlow(
  a: Int16Array,
  aOff: number,
  xi: number,
  fast: boolean,
  y1: number,
  y2: number,
  y3: number,
  y4: number,
  y5: number,
  y6: number,
  y7: number,
  y8: number,
  y9: number,
  y10: number,
): number {
  hist[1] = y1;
  hist[2] = y2;
  hist[3] = y3;
  hist[4] = y4;
  hist[5] = y5;
  hist[6] = y6;
  hist[7] = y7;
  hist[8] = y8;
  hist[9] = y9;
  hist[10] = y10;
  return synStepChecked(a, aOff, xi, fast);
}

/**
 * y[n] = Σ a[j]·x[n−j], x read from x[xOff − 10 ..] (Residu); x and y are distinct arrays. When 2·Σ|a[j]|·max|x| fits in
 * 32 bits no partial sum can saturate, and the plain sum is the reference's result.
 */
export function residu(
  a: Int16Array,
  aOff: number,
  x: Int16Array,
  xOff: number,
  y: Int16Array,
  yOff: number,
  lg: number,
): void {
  let fast = true;
  let aSum = 0;
  for (let j = 0; j <= M; j++) {
    const v = a[aOff + j]!;
    if (v === -32768) fast = false;
    aSum += v < 0 ? -v : v;
  }
  // A bound of max|x|: 1 + OR of (v ^ (v >> 31)) (|v| for v ≥ 0, |v| − 1 below), at most
  // twice the maximum; the maximum itself only when that bound is too loose.
  let bits = 0;
  for (let i = xOff - M; i < xOff + lg; i++) {
    const v = x[i]!;
    bits |= v ^ (v >> 31);
  }
  let xmax = bits + 1;
  if (aSum * xmax > 0x3fffffff) {
    xmax = 0;
    for (let i = xOff - M; i < xOff + lg; i++) {
      const v = x[i]!;
      if (v > xmax) xmax = v;
      else if (-v > xmax) xmax = -v;
    }
  }
  if (fast && aSum * xmax <= 0x3fffffff) {
    // Half-sums within ±(2^30 − 1): exact in int32 arithmetic.
    const a0 = a[aOff]!;
    const a1 = a[aOff + 1]!;
    const a2 = a[aOff + 2]!;
    const a3 = a[aOff + 3]!;
    const a4 = a[aOff + 4]!;
    const a5 = a[aOff + 5]!;
    const a6 = a[aOff + 6]!;
    const a7 = a[aOff + 7]!;
    const a8 = a[aOff + 8]!;
    const a9 = a[aOff + 9]!;
    const a10 = a[aOff + 10]!;
    // Two outputs per pass, sharing 10 of their 11 samples (x and y are distinct arrays).
    let i = 0;
    for (; i + 1 < lg; i += 2) {
      const n = xOff + i;
      const v0 = x[n + 1]!;
      const v1 = x[n]!;
      const v2 = x[n - 1]!;
      const v3 = x[n - 2]!;
      const v4 = x[n - 3]!;
      const v5 = x[n - 4]!;
      const v6 = x[n - 5]!;
      const v7 = x[n - 6]!;
      const v8 = x[n - 7]!;
      const v9 = x[n - 8]!;
      const v10 = x[n - 9]!;
      const v11 = x[n - 10]!;
      const s =
        (Math.imul(a0, v1) +
          Math.imul(a1, v2) +
          Math.imul(a2, v3) +
          Math.imul(a3, v4) +
          Math.imul(a4, v5) +
          Math.imul(a5, v6) +
          Math.imul(a6, v7) +
          Math.imul(a7, v8) +
          Math.imul(a8, v9) +
          Math.imul(a9, v10) +
          Math.imul(a10, v11)) |
        0;
      const t =
        (Math.imul(a0, v0) +
          Math.imul(a1, v1) +
          Math.imul(a2, v2) +
          Math.imul(a3, v3) +
          Math.imul(a4, v4) +
          Math.imul(a5, v5) +
          Math.imul(a6, v6) +
          Math.imul(a7, v7) +
          Math.imul(a8, v8) +
          Math.imul(a9, v9) +
          Math.imul(a10, v10)) |
        0;
      y[yOff + i] = s >= -0x8000000 && s < 0x7fff800 ? (s + 2048) >> 12 : round(L_shl(2 * s, 3));
      y[yOff + i + 1] = t >= -0x8000000 && t < 0x7fff800 ? (t + 2048) >> 12 : round(L_shl(2 * t, 3));
    }
    for (; i < lg; i++) {
      const n = xOff + i;
      const s =
        (Math.imul(a0, x[n]!) +
          Math.imul(a1, x[n - 1]!) +
          Math.imul(a2, x[n - 2]!) +
          Math.imul(a3, x[n - 3]!) +
          Math.imul(a4, x[n - 4]!) +
          Math.imul(a5, x[n - 5]!) +
          Math.imul(a6, x[n - 6]!) +
          Math.imul(a7, x[n - 7]!) +
          Math.imul(a8, x[n - 8]!) +
          Math.imul(a9, x[n - 9]!) +
          Math.imul(a10, x[n - 10]!)) |
        0;
      y[yOff + i] = s >= -0x8000000 && s < 0x7fff800 ? (s + 2048) >> 12 : round(L_shl(2 * s, 3));
    }
    return;
  }
  for (let i = 0; i < lg; i++) {
    if (fast) {
      let s = 2 * x[xOff + i]! * a[aOff]!;
      let bad = false;
      for (let j = 1; j <= M; j++) {
        s += 2 * a[aOff + j]! * x[xOff + i - j]!;
        if (s > MAX_32 || s < MIN_32) bad = true;
      }
      if (!bad && s >= -0x10000000 && s < 0x0ffff000) {
        y[yOff + i] = (s * 8 + 0x8000) >> 16;
        continue;
      }
    }
    let s = L_mult(x[xOff + i]!, a[aOff]!);
    for (let j = 1; j <= M; j++) s = L_mac(s, a[aOff + j]!, x[xOff + i - j]!);
    s = L_shl(s, 3);
    y[yOff + i] = round(s);
  }
}

/** γ^i for i = 1..M as Weight_Az computes them (each from the last, rounded), for 0 < γ < 2^15. */
export function weightFactors(gamma: number): Int16Array {
  const fac = new Int16Array(M + 1);
  fac[1] = gamma;
  for (let i = 2; i <= M; i++) fac[i] = (2 * fac[i - 1]! * gamma + 0x8000) >> 16;
  return fac;
}

/** The factors of each γ weightAz has been called with (a handful of constants). */
const factorCache = new Map<number, Int16Array>();

/** ap[i] = a[i]·γ^i (Weight_Az), for 0 < γ < 2^15. */
export function weightAz(a: Int16Array, aOff: number, gamma: number, ap: Int16Array, apOff = 0): void {
  let fac = factorCache.get(gamma);
  if (fac === undefined) {
    fac = weightFactors(gamma);
    factorCache.set(gamma, fac);
  }
  weightAzBy(a, aOff, fac, ap, apOff);
}

/** weightAz with the factors of weightFactors(γ) computed once. */
export function weightAzBy(a: Int16Array, aOff: number, fac: Int16Array, ap: Int16Array, apOff = 0): void {
  // round(L_mult(x, f)) with 0 < f < 2^15 (γ^i): L_mult cannot saturate, and the rounding
  // only when the product is within 2^15 of MAX_32.
  ap[apOff] = a[aOff]!;
  for (let i = 1; i <= M; i++) {
    const p = 2 * a[aOff + i]! * fac[i]!;
    ap[apOff + i] = p >= MAX_32 - 0x7fff ? 32767 : (p + 0x8000) >> 16;
  }
}
