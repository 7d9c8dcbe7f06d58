/** Gain decoding with MA prediction of the fixed-codebook energy (G.729 §3.9, §4.1.5). */
import {
  add as imported_add,
  extract_h as imported_extract_h,
  extract_l as imported_extract_l,
  L_add as imported_L_add,
  L_Comp as imported_L_Comp,
  L_Extract_hi as imported_L_Extract_hi,
  L_Extract_lo as imported_L_Extract_lo,
  L_mac as imported_L_mac,
  L_mult as imported_L_mult,
  L_shl as imported_L_shl,
  L_shr as imported_L_shr,
  Mpy_32_16 as imported_Mpy_32_16,
  macDot as imported_macDot,
  mult as imported_mult,
  negate as imported_negate,
  sub as imported_sub,
} from './basic-ops.ts';
import { log2 as imported_log2, pow2 as imported_pow2 } from './log-pow.ts';
import {
  GBK1 as GBK1_TABLE,
  GBK2 as GBK2_TABLE,
  IMAP1 as IMAP1_TABLE,
  IMAP2 as IMAP2_TABLE,
  PRED as PRED_TABLE,
} from './tables.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const L_add = imported_L_add;
const L_Comp = imported_L_Comp;
const L_Extract_hi = imported_L_Extract_hi;
const L_Extract_lo = imported_L_Extract_lo;
const L_mac = imported_L_mac;
const L_mult = imported_L_mult;
const L_shl = imported_L_shl;
const L_shr = imported_L_shr;
const Mpy_32_16 = imported_Mpy_32_16;
const add = imported_add;
const extract_h = imported_extract_h;
const extract_l = imported_extract_l;
const macDot = imported_macDot;
const mult = imported_mult;
const negate = imported_negate;
const sub = imported_sub;
const log2 = imported_log2;
const pow2 = imported_pow2;

// The tables as module-local Int32Array copies: in the hot loops a load from them is cheaper
// than one through the imported binding of the Int16Array (micro-benchmark of the LSP
// pre-selection: 0.69× the time).
const GBK1 = Int32Array.from(GBK1_TABLE);
const GBK2 = Int32Array.from(GBK2_TABLE);
const IMAP1 = Int32Array.from(IMAP1_TABLE);
const IMAP2 = Int32Array.from(IMAP2_TABLE);
const PRED = Int32Array.from(PRED_TABLE);

export const L_SUBFR = 40;

/** Past quantised energies of the innovation (Q10), 4 values. */
export function newPastQuaEn(): Int16Array {
  return Int16Array.from([-14336, -14336, -14336, -14336]);
}

const le = new Int32Array(2);

/** Predicted code gain: returns gcode0 and writes exp_gcode0 into out[0] (Gain_predict). */
export function gainPredict(pastQuaEn: Int16Array, code: Int16Array, out: Int32Array): number {
  let t = 0;
  // A chain of squares only grows: when the plain sum fits, nothing saturated.
  let e = 0;
  for (let i = 0; i < L_SUBFR; i++) e += code[i]! * code[i]!;
  t = 2 * e <= 0x7fffffff ? 2 * e : macDot(0, code, 0, code, 0, L_SUBFR);
  log2(t, le);
  t = Mpy_32_16(le[0]!, le[1]!, -24660);
  t = L_mac(t, 32588, 32);
  t = L_shl(t, 10);
  for (let i = 0; i < 4; i++) t = L_mac(t, PRED[i]!, pastQuaEn[i]!);
  let gcode0 = extract_h(t);
  t = L_mult(gcode0, 5439);
  t = L_shr(t, 8);
  const exp = L_Extract_hi(t);
  const frac = L_Extract_lo(t);
  gcode0 = extract_l(pow2(14, frac));
  out[0] = sub(14, exp);
  return gcode0;
}

/** Shifts in 20·log10 of the quantised code gain correction (Gain_update). */
export function gainUpdate(pastQuaEn: Int16Array, L_gbk12: number): void {
  for (let i = 3; i > 0; i--) pastQuaEn[i] = pastQuaEn[i - 1]!;
  log2(L_gbk12, le);
  const acc = L_Comp(sub(le[0]!, 13), le[1]!);
  const tmp = extract_h(L_shl(acc, 13));
  pastQuaEn[0] = mult(tmp, 24660);
}

/** Frame erasure: the mean past energy minus 4 dB, floored at −14 dB (Gain_update_erasure). */
export function gainUpdateErasure(pastQuaEn: Int16Array): void {
  let t = 0;
  for (let i = 0; i < 4; i++) t = L_add(t, pastQuaEn[i]!);
  let av = extract_l(L_shr(t, 2));
  av = sub(av, 4096);
  if (av < -14336) av = -14336;
  for (let i = 3; i > 0; i--) pastQuaEn[i] = pastQuaEn[i - 1]!;
  pastQuaEn[0] = av;
}

const expOut = new Int32Array(1);

/**
 * Decodes the 7-bit gain index into gains.pitch (Q14) and gains.code (Q1), or attenuates
 * the previous gains on an erased frame (Dec_gain).
 */
export function decodeGain(
  index: number,
  code: Int16Array,
  bfi: number,
  pastQuaEn: Int16Array,
  gains: { pitch: number; code: number },
): void {
  if (bfi !== 0) {
    let gp = mult(gains.pitch, 29491);
    if (gp > 29491) gp = 29491;
    gains.pitch = gp;
    gains.code = mult(gains.code, 32111);
    gainUpdateErasure(pastQuaEn);
    return;
  }
  const i1 = IMAP1[index >> 4]!;
  const i2 = IMAP2[index & 15]!;
  gains.pitch = add(GBK1[i1 * 2]!, GBK2[i2 * 2]!);
  const gcode0 = gainPredict(pastQuaEn, code, expOut);
  const L_gbk12 = GBK1[i1 * 2 + 1]! + GBK2[i2 * 2 + 1]!;
  const tmp = extract_l(L_shr(L_gbk12, 1));
  let acc = L_mult(tmp, gcode0);
  acc = L_shl(acc, add(negate(expOut[0]!), -12 - 1 + 1 + 16));
  gains.code = extract_h(acc);
  gainUpdate(pastQuaEn, L_gbk12);
}
