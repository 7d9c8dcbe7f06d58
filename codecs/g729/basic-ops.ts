/**
 * The fixed-point basic operators G.729's arithmetic is defined with (ITU-T STL semantics):
 * 16-bit ("Word16") and 32-bit ("Word32") values held in JS numbers, with saturation.
 * `overflow.flag` mirrors the operators' Overflow flag, which the decoder's synthesis and
 * the encoder's open-loop pitch search test.
 */

export const MAX_16 = 32767;
export const MIN_16 = -32768;
export const MAX_32 = 0x7fffffff;
export const MIN_32 = -0x80000000;

/** 2^n for n = 0..63 (a shift by more saturates any non-zero value anyway). */
const POW2 = Float64Array.from({ length: 64 }, (_, n) => 2 ** n);

/** The operators' sticky Overflow flag. */
export const overflow = { flag: 0 };

export function sat16(x: number): number {
  if (x > MAX_16) {
    overflow.flag = 1;
    return MAX_16;
  }
  if (x < MIN_16) {
    overflow.flag = 1;
    return MIN_16;
  }
  return x;
}

function satFlag32(x: number): number {
  if (x > MAX_32) {
    overflow.flag = 1;
    return MAX_32;
  }
  if (x < MIN_32) {
    overflow.flag = 1;
    return MIN_32;
  }
  return x;
}

export function add(a: number, b: number): number {
  return sat16(a + b);
}
export function sub(a: number, b: number): number {
  return sat16(a - b);
}
export function abs_s(a: number): number {
  return a === MIN_16 ? MAX_16 : a < 0 ? -a : a;
}
export function negate(a: number): number {
  return a === MIN_16 ? MAX_16 : -a;
}
export function extract_h(L: number): number {
  return L >> 16;
}
export function extract_l(L: number): number {
  return (L << 16) >> 16;
}
export function L_deposit_h(a: number): number {
  return (a << 16) | 0;
}

export function shl(a: number, n: number): number {
  if (n < 0) return shr(a, -n);
  const r = a * POW2[Math.min(n, 63)]!;
  if ((n > 15 && a !== 0) || r > MAX_16 || r < MIN_16) {
    overflow.flag = 1;
    return a > 0 ? MAX_16 : MIN_16;
  }
  return r;
}

export function shr(a: number, n: number): number {
  if (n < 0) return shl(a, -n);
  if (n >= 15) return a < 0 ? -1 : 0;
  return a >> n;
}

export function shr_r(a: number, n: number): number {
  if (n > 15) return 0;
  let out = shr(a, n);
  if (n > 0 && (a & (1 << (n - 1))) !== 0) out++;
  return out;
}

export function mult(a: number, b: number): number {
  const p = (a * b) >> 15;
  if (p > MAX_16) {
    overflow.flag = 1;
    return MAX_16;
  }
  return p;
}

export function mult_r(a: number, b: number): number {
  return sat16((a * b + 0x4000) >> 15);
}

export function L_mult(a: number, b: number): number {
  const p = a * b;
  if (p === 0x40000000) {
    overflow.flag = 1;
    return MAX_32;
  }
  return p * 2;
}

export function L_add(a: number, b: number): number {
  const s = a + b;
  return s > MAX_32 || s < MIN_32 ? satFlag32(s) : s;
}
export function L_sub(a: number, b: number): number {
  const s = a - b;
  return s > MAX_32 || s < MIN_32 ? satFlag32(s) : s;
}
export function L_mac(acc: number, a: number, b: number): number {
  return L_add(acc, L_mult(a, b));
}
export function L_msu(acc: number, a: number, b: number): number {
  return L_sub(acc, L_mult(a, b));
}
export function L_negate(L: number): number {
  return L === MIN_32 ? MAX_32 : -L;
}
export function L_abs(L: number): number {
  return L === MIN_32 ? MAX_32 : L < 0 ? -L : L;
}

export function L_shl(L: number, n: number): number {
  if (n <= 0) return L_shr(L, -n);
  // The reference doubles n times and saturates at the first step that leaves 32 bits; as
  // doubling is monotonic, that is the same as saturating the exact L·2^n.
  const r = L * POW2[Math.min(n, 63)]!;
  if (r > MAX_32) {
    overflow.flag = 1;
    return MAX_32;
  }
  if (r < MIN_32) {
    overflow.flag = 1;
    return MIN_32;
  }
  return r;
}

export function L_shr(L: number, n: number): number {
  if (n < 0) return L_shl(L, -n);
  if (n >= 31) return L < 0 ? -1 : 0;
  return L >> n;
}

export function L_shr_r(L: number, n: number): number {
  if (n > 31) return 0;
  let out = L_shr(L, n);
  if (n > 0 && (L & (1 << (n - 1))) !== 0) out++;
  return out;
}

/** round(): the high half of L + 2^15, saturated. */
export function round(L: number): number {
  return L_add(L, 0x8000) >> 16;
}

export function norm_s(a: number): number {
  if (a === 0) return 0;
  if (a === -1) return 15;
  if (a < 0) a = ~a;
  return Math.clz32(a) - 17;
}

export function norm_l(L: number): number {
  if (L === 0) return 0;
  if (L === -1) return 31;
  if (L < 0) L = ~L;
  return Math.clz32(L) - 1;
}

/** Fractional division num/den in Q15, 0 ≤ num ≤ den. */
export function div_s(num: number, den: number): number {
  if (num === 0) return 0;
  if (num === den) return MAX_16;
  // floor(num·2^15/den): the quotient of two integers below 2^30 and 2^15 is never within
  // a double's rounding error of the next integer.
  if (num > 0 && num < den) return ((num * 32768) / den) | 0;
  let out = 0;
  let L_num = num;
  for (let i = 0; i < 15; i++) {
    out <<= 1;
    L_num <<= 1;
    if (L_num >= den) {
      L_num -= den;
      out++;
    }
  }
  return out;
}

// --- Double-precision (hi/lo) operators of oper_32b -------------------------------------

/** Splits L into hi (its high 16 bits) and lo (the next 15 bits), L = hi·2^16 + lo·2. */
export function L_Extract_hi(L: number): number {
  return L >> 16;
}
export function L_Extract_lo(L: number): number {
  return extract_l(L_msu(L >> 1, L >> 16, 16384));
}
export function L_Comp(hi: number, lo: number): number {
  return L_mac(hi << 16, lo, 1);
}
export function Mpy_32(hi1: number, lo1: number, hi2: number, lo2: number): number {
  let L = L_mult(hi1, hi2);
  L = L_mac(L, mult(hi1, lo2), 1);
  return L_mac(L, mult(lo1, hi2), 1);
}
export function Mpy_32_16(hi: number, lo: number, n: number): number {
  return L_mac(L_mult(hi, n), mult(lo, n), 1);
}

/** L_num / (denom_hi, denom_lo), both positive, L_num < denom; result Q31. */
export function Div_32(L_num: number, denom_hi: number, denom_lo: number): number {
  const approx = div_s(0x3fff, denom_hi);
  let L32 = Mpy_32_16(denom_hi, denom_lo, approx);
  L32 = L_sub(MAX_32, L32);
  let hi = L_Extract_hi(L32);
  let lo = L_Extract_lo(L32);
  L32 = Mpy_32_16(hi, lo, approx);
  hi = L_Extract_hi(L32);
  lo = L_Extract_lo(L32);
  const nHi = L_Extract_hi(L_num);
  const nLo = L_Extract_lo(L_num);
  L32 = Mpy_32(nHi, nLo, hi, lo);
  return L_shl(L32, 2);
}

/**
 * acc + Σ x[xo+i]·y[yo+i]·2 with the reference's saturation at every step (a chain of
 * L_mac), computed on a fast path while nothing saturates.
 */
export function macDot(acc: number, x: Int16Array, xo: number, y: Int16Array, yo: number, n: number): number {
  let s = acc;
  for (let i = 0; i < n; i++) {
    const p = x[xo + i]! * y[yo + i]!;
    const t = s + 2 * p;
    if (t > MAX_32 || t < MIN_32 || p === 0x40000000) {
      for (; i < n; i++) s = L_mac(s, x[xo + i]!, y[yo + i]!);
      return s;
    }
    s = t;
  }
  return s;
}

// --- Flag-free exact forms for hot loops whose Overflow flag nobody reads ------------------
// Every reader of `overflow.flag` clears it just before the computation it tests, so loops
// outside those computations may saturate without raising it.

/** Saturation to 32 bits, without the Overflow flag. */
export function sat32(x: number): number {
  return x > MAX_32 ? MAX_32 : Math.max(x, MIN_32);
}

/** L_mult(a, b) without the Overflow flag. */
export function lMult(a: number, b: number): number {
  const p = a * b;
  return p === 0x40000000 ? MAX_32 : 2 * p;
}

/** Mpy_32_16(hi, lo, n) without the Overflow flag (lo is a L_Extract low part, 0..32767). */
export function mpy32x16(hi: number, lo: number, n: number): number {
  return sat32(lMult(hi, n) + 2 * ((lo * n) >> 15));
}

/** round(L_shl(L, n)) for 0 ≤ n, without the Overflow flag. */
export function roundShl(L: number, n: number): number {
  const r = sat32(L * POW2[Math.min(n, 63)]!);
  return r >= MAX_32 - 0x7fff ? MAX_16 : (r + 0x8000) >> 16;
}

/** (x·gp + c·gc)·2 rounded, as round(L_shl(L_mac(L_mult(x, gp), c, gc), 1)) (excitation update). */
export function excitationSample(x: number, gp: number, c: number, gc: number): number {
  return roundShl(sat32(lMult(x, gp) + lMult(c, gc)), 1);
}

/**
 * exc[off + i] = excitationSample(exc[off + i], gp, code[i], gc) for i < n, written out:
 * round(L_shl(L_mac(L_mult(x, gp), c, gc), 1)), each step saturating.
 */
export function updateExcitation(
  exc: Int16Array,
  off: number,
  code: Int16Array,
  gp: number,
  gc: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    // |exc·gp|, |code·gc| ≤ 2^30: exact in int32.
    const p = Math.imul(exc[off + i]!, gp);
    const q = Math.imul(code[i]!, gc);
    const s = p + q;
    if (s < 0x20000000 && s > -0x20000000 && p !== 0x40000000 && q !== 0x40000000) {
      // Neither L_mult saturates (no −32768·−32768), |2·(p + q)| < 2^30 and its doubling
      // < 2^31: nothing saturates, and 4·(p + q) + 2^15 < 2^31 fits in int32.
      exc[off + i] = ((s << 2) + 0x8000) >> 16;
      continue;
    }
    let t = (p === 0x40000000 ? MAX_32 : 2 * p) + (q === 0x40000000 ? MAX_32 : 2 * q);
    t = t > MAX_32 ? MAX_32 : Math.max(t, MIN_32);
    t *= 2;
    t = t > MAX_32 ? MAX_32 : Math.max(t, MIN_32);
    exc[off + i] = t >= MAX_32 - 0x7fff ? MAX_16 : (t + 0x8000) >> 16;
  }
}

/** L_Extract's low part: (L >> 1) − (L >> 16)·2^15. */
export function extractLo(L: number): number {
  return (L >> 1) - (L >> 16) * 32768;
}
