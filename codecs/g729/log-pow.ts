/** Table-driven Log2, Pow2 and Inv_sqrt of G.729's fixed-point arithmetic. */
import {
  extract_h as imported_extract_h,
  extract_l as imported_extract_l,
  L_deposit_h as imported_L_deposit_h,
  L_msu as imported_L_msu,
  L_mult as imported_L_mult,
  L_shl as imported_L_shl,
  L_shr as imported_L_shr,
  L_shr_r as imported_L_shr_r,
  norm_l as imported_norm_l,
  sub as imported_sub,
} from './basic-ops.ts';
import { TABLOG as TABLOG_TABLE, TABPOW as TABPOW_TABLE, TABSQR as TABSQR_TABLE } from './tables.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const L_deposit_h = imported_L_deposit_h;
const L_msu = imported_L_msu;
const L_mult = imported_L_mult;
const L_shl = imported_L_shl;
const L_shr = imported_L_shr;
const L_shr_r = imported_L_shr_r;
const extract_h = imported_extract_h;
const extract_l = imported_extract_l;
const norm_l = imported_norm_l;
const sub = imported_sub;

// The tables as module-local Int32Array copies: in the hot loops a load from them is cheaper
// than one through the imported binding of the Int16Array (micro-benchmark of the LSP
// pre-selection: 0.69× the time).
const TABLOG = Int32Array.from(TABLOG_TABLE);
const TABPOW = Int32Array.from(TABPOW_TABLE);
const TABSQR = Int32Array.from(TABSQR_TABLE);

/** log2(L) as exponent (integer part) and fraction (Q15), written into `out` [exp, frac]. */
export function log2(L: number, out: Int32Array): void {
  if (L <= 0) {
    out[0] = 0;
    out[1] = 0;
    return;
  }
  const e = norm_l(L);
  let x = L_shl(L, e);
  out[0] = 30 - e;
  x = L_shr(x, 9);
  let i = extract_h(x);
  x = L_shr(x, 1);
  const a = extract_l(x) & 0x7fff;
  i -= 32;
  let y = L_deposit_h(TABLOG[i]!);
  const tmp = sub(TABLOG[i]!, TABLOG[i + 1]!);
  y = L_msu(y, tmp, a);
  out[1] = extract_h(y);
}

/** 2^(exponent.fraction), fraction Q15; the result is a Word32. */
export function pow2(exponent: number, fraction: number): number {
  let x = L_mult(fraction, 32);
  const i = extract_h(x);
  x = L_shr(x, 1);
  const a = extract_l(x) & 0x7fff;
  x = L_deposit_h(TABPOW[i]!);
  const tmp = sub(TABPOW[i]!, TABPOW[i + 1]!);
  x = L_msu(x, tmp, a);
  return L_shr_r(x, sub(30, exponent));
}

/** 1/sqrt(L), L > 0, result Q30-ish as the reference defines it. */
export function invSqrt(L: number): number {
  if (L <= 0) return 0x3fffffff;
  let e = norm_l(L);
  let x = L_shl(L, e);
  e = 30 - e;
  if ((e & 1) === 0) x = L_shr(x, 1);
  e = (e >> 1) + 1;
  x = L_shr(x, 9);
  let i = extract_h(x);
  x = L_shr(x, 1);
  const a = extract_l(x) & 0x7fff;
  i -= 16;
  let y = L_deposit_h(TABSQR[i]!);
  const tmp = sub(TABSQR[i]!, TABSQR[i + 1]!);
  y = L_msu(y, tmp, a);
  return L_shr(y, e);
}
