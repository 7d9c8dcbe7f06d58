/**
 * LSP quantiser side shared by encoder and decoder (G.729 §3.2.4, §4.1.1): two-stage
 * codebook reconstruction with the MA predictor, rearrangement (stability), LSF↔LSP
 * conversion and LSP → LP conversion, and the interpolation of the two subframes.
 */
import {
  add as imported_add,
  extract_l as imported_extract_l,
  L_mult as imported_L_mult,
  L_shr as imported_L_shr,
  mult as imported_mult,
  shr as imported_shr,
  sub as imported_sub,
} from './basic-ops.ts';
import {
  FG_SUM_INV as FG_SUM_INV_TABLE,
  FG_SUM as FG_SUM_TABLE,
  FG as FG_TABLE,
  FREQ_PREV_RESET as FREQ_PREV_RESET_TABLE,
  LSPCB1 as LSPCB1_TABLE,
  LSPCB2 as LSPCB2_TABLE,
  SLOPE_COS as SLOPE_COS_TABLE,
  TABLE2 as TABLE2_TABLE,
} from './tables.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const L_mult = imported_L_mult;
const L_shr = imported_L_shr;
const add = imported_add;
const extract_l = imported_extract_l;
const mult = imported_mult;
const shr = imported_shr;
const sub = imported_sub;

// The tables as module-local Int32Array copies: in the hot loops a load from them is cheaper
// than one through the imported binding of the Int16Array (micro-benchmark of the LSP
// pre-selection: 0.69× the time).
const FG = Int32Array.from(FG_TABLE);
const FG_SUM = Int32Array.from(FG_SUM_TABLE);
const FG_SUM_INV = Int32Array.from(FG_SUM_INV_TABLE);
const FREQ_PREV_RESET = Int32Array.from(FREQ_PREV_RESET_TABLE);
const LSPCB1 = Int32Array.from(LSPCB1_TABLE);
const LSPCB2 = Int32Array.from(LSPCB2_TABLE);
const SLOPE_COS = Int32Array.from(SLOPE_COS_TABLE);
const TABLE2 = Int32Array.from(TABLE2_TABLE);

export const M = 10;
export const MP1 = 11;
export const MA_NP = 4;
export const NC = 5;
const GAP1 = 10;
const GAP2 = 5;
const GAP3 = 321;
const L_LIMIT = 40;
const M_LIMIT = 25681;

/** The MA predictor memory: the last four quantised residual LSF vectors (Q13). */
export class LsfPredictor {
  readonly freqPrev: Int16Array[] = [0, 1, 2, 3].map(() => Int16Array.from(FREQ_PREV_RESET));

  update(ele: Int16Array): void {
    // Rotate in place (no array reallocation): the oldest vector becomes the newest.
    const fp = this.freqPrev;
    const last = fp[MA_NP - 1]!;
    for (let k = MA_NP - 1; k > 0; k--) fp[k] = fp[k - 1]!;
    last.set(ele);
    fp[0] = last;
  }
}

/** Sum of codebook entries with the two-pass minimum-gap expansion (Lsp_get_quant's first part). */
export function composeResidual(code0: number, code1: number, code2: number, buf: Int16Array): void {
  for (let j = 0; j < NC; j++) buf[j] = add(LSPCB1[code0 * M + j]!, LSPCB2[code1 * M + j]!);
  for (let j = NC; j < M; j++) buf[j] = add(LSPCB1[code0 * M + j]!, LSPCB2[code2 * M + j]!);
  expand(buf, GAP1);
  expand(buf, GAP2);
}

export function expand(buf: Int16Array, gap: number): void {
  for (let j = 1; j < M; j++) {
    const diff = sub(buf[j - 1]!, buf[j]!);
    const tmp = shr(add(diff, gap), 1);
    if (tmp > 0) {
      buf[j - 1] = sub(buf[j - 1]!, tmp);
      buf[j] = add(buf[j]!, tmp);
    }
  }
}

/** lsf = fg_sum·ele + Σ fg[k]·freqPrev[k] (Lsp_prev_compose). */
export function prevCompose(ele: Int16Array, lsf: Int16Array, mode: number, pred: LsfPredictor): void {
  // The L_mac chain written out, each sum saturating (nothing reads the Overflow flag after).
  const f0 = pred.freqPrev[0]!;
  const f1 = pred.freqPrev[1]!;
  const f2 = pred.freqPrev[2]!;
  const f3 = pred.freqPrev[3]!;
  const g = mode * MA_NP * M;
  for (let j = 0; j < M; j++) {
    let acc = lMul(ele[j]!, FG_SUM[mode * M + j]!);
    acc = sat(acc + lMul(f0[j]!, FG[g + j]!));
    acc = sat(acc + lMul(f1[j]!, FG[g + M + j]!));
    acc = sat(acc + lMul(f2[j]!, FG[g + 2 * M + j]!));
    acc = sat(acc + lMul(f3[j]!, FG[g + 3 * M + j]!));
    lsf[j] = acc >> 16;
  }
}

/** Inverse of prevCompose: the residual that would give `lsf` (Lsp_prev_extract). */
export function prevExtract(lsf: Int16Array, ele: Int16Array, mode: number, pred: LsfPredictor): void {
  // The L_msu chain and the rest written out, each step saturating (nothing reads the Overflow
  // flag after).
  const f0 = pred.freqPrev[0]!;
  const f1 = pred.freqPrev[1]!;
  const f2 = pred.freqPrev[2]!;
  const f3 = pred.freqPrev[3]!;
  const g = mode * MA_NP * M;
  for (let j = 0; j < M; j++) {
    let t = lsf[j]! * 65536;
    t = sat(t - lMul(f0[j]!, FG[g + j]!));
    t = sat(t - lMul(f1[j]!, FG[g + M + j]!));
    t = sat(t - lMul(f2[j]!, FG[g + 2 * M + j]!));
    t = sat(t - lMul(f3[j]!, FG[g + 3 * M + j]!));
    t = lMul(t >> 16, FG_SUM_INV[mode * M + j]!);
    ele[j] = sat(t * 8) >> 16;
  }
}

/** Ordering and minimum distance of the quantised LSFs (Lsp_stability). */
export function stability(buf: Int16Array): void {
  // The differences of 16-bit values cannot saturate 32 bits: plain comparisons.
  for (let j = 0; j < M - 1; j++) {
    if (buf[j + 1]! < buf[j]!) {
      const t = buf[j + 1]!;
      buf[j + 1] = buf[j]!;
      buf[j] = t;
    }
  }
  if (buf[0]! < L_LIMIT) buf[0] = L_LIMIT;
  for (let j = 0; j < M - 1; j++) {
    if (buf[j + 1]! - buf[j]! < GAP3) {
      const v = buf[j]! + GAP3;
      buf[j + 1] = Math.min(v, 32767);
    }
  }
  if (buf[M - 1]! > M_LIMIT) buf[M - 1] = M_LIMIT;
}

/** LSF (Q13, radians) → LSP (Q15, cosine domain) by table (Lsf_lsp2). */
export function lsfToLsp(lsf: Int16Array, lsp: Int16Array): void {
  for (let i = 0; i < M; i++) {
    const freq = mult(lsf[i]!, 20861);
    let ind = shr(freq, 8);
    const offset = freq & 0xff;
    if (ind > 63) ind = 63;
    const t = L_mult(SLOPE_COS[ind]!, offset);
    lsp[i] = add(TABLE2[ind]!, extract_l(L_shr(t, 13)));
  }
}

const f1 = new Float64Array(6);
const f2 = new Float64Array(6);

/** L_mult without the Overflow flag. */
function lMul(a: number, b: number): number {
  const p = a * b;
  return p === 0x40000000 ? 0x7fffffff : 2 * p;
}

/** Saturation to 32 bits (nothing reads the Overflow flag after Lsp_Az). */
function sat(x: number): number {
  return x > 0x7fffffff ? 0x7fffffff : Math.max(x, -0x80000000);
}

/**
 * The polynomial of one half of the LSPs (Get_lsp_pol), its double-precision steps written
 * out: L_Extract h = f >> 16, l = (f >> 1) − h·2^15; Mpy_32_16(h, l, n) = L_mult(h, n) +
 * 2·((l·n) >> 15); each saturating step clamps.
 */
function getLspPol(lsp: Int16Array, start: number, f: Float64Array): void {
  f[0] = 0x1000000; // L_mult(4096, 2048)
  f[1] = -1024 * lsp[start]!; // L_msu(0, lsp, 512)
  let l = start + 2;
  let p = 2;
  for (let i = 2; i <= 5; i++) {
    f[p] = f[p - 2]!;
    const n = lsp[l]!;
    for (let j = 1; j < i; j++, p--) {
      const L = f[p - 1]!;
      const hi = L >> 16;
      const lo = (L >> 1) - hi * 32768;
      let t0 = sat((hi === -32768 && n === -32768 ? 0x7fffffff : 2 * hi * n) + 2 * ((lo * n) >> 15));
      t0 = sat(2 * t0);
      f[p] = sat(sat(f[p]! + f[p - 2]!) - t0);
    }
    f[p] = sat(f[p]! - 1024 * n);
    p += i;
    l += 2;
  }
}

/** LSP (Q15) → LP coefficients a[0..10] (Q12) written at a[off..off+10] (Lsp_Az). */
export function lspToAz(lsp: Int16Array, a: Int16Array, off: number): void {
  getLspPol(lsp, 0, f1);
  getLspPol(lsp, 1, f2);
  for (let i = 5; i > 0; i--) {
    f1[i] = sat(f1[i]! + f1[i - 1]!);
    f2[i] = sat(f2[i]! - f2[i - 1]!);
  }
  a[off] = 4096;
  // extract_l(L_shr_r(s, 13)) = low 16 bits of the rounded shift.
  for (let i = 1, j = 10; i <= 5; i++, j--) {
    const s = sat(f1[i]! + f2[i]!);
    const d = sat(f1[i]! - f2[i]!);
    a[off + i] = (((s >> 13) + ((s >> 12) & 1)) << 16) >> 16;
    a[off + j] = (((d >> 13) + ((d >> 12) & 1)) << 16) >> 16;
  }
}

const lspMid = new Int16Array(M);

/** The LP filters of both subframes: the mean of old and new LSPs, then the new (Int_qlpc). */
export function interpolateAz(lspOld: Int16Array, lspNew: Int16Array, az: Int16Array): void {
  // Two halves of 16-bit values: the sum cannot saturate.
  for (let i = 0; i < M; i++) lspMid[i] = (lspNew[i]! >> 1) + (lspOld[i]! >> 1);
  lspToAz(lspMid, az, 0);
  lspToAz(lspNew, az, MP1);
}
