/**
 * Encoder side, gain quantisation (G.729 §3.9, Annex A): correlations of target and filtered
 * codebook vectors, pre-selection and the conjugate-structure two-stage codebook search
 * (Corr_xy2, Qua_gain, Gbk_presel).
 */
import {
  MAX_16 as IMPORTED_MAX_16,
  MAX_32 as IMPORTED_MAX_32,
  MIN_32 as IMPORTED_MIN_32,
  add as imported_add,
  div_s as imported_div_s,
  extract_h as imported_extract_h,
  extract_l as imported_extract_l,
  L_add as imported_L_add,
  L_deposit_h as imported_L_deposit_h,
  L_Extract_hi as imported_L_Extract_hi,
  L_Extract_lo as imported_L_Extract_lo,
  L_mac as imported_L_mac,
  L_mult as imported_L_mult,
  L_shl as imported_L_shl,
  L_shr as imported_L_shr,
  L_sub as imported_L_sub,
  Mpy_32_16 as imported_Mpy_32_16,
  mult as imported_mult,
  negate as imported_negate,
  norm_l as imported_norm_l,
  round as imported_round,
  shl as imported_shl,
  shr as imported_shr,
  sub as imported_sub,
} from './basic-ops.ts';
import {
  gainPredict as imported_gainPredict,
  gainUpdate as imported_gainUpdate,
  newPastQuaEn as imported_newPastQuaEn,
} from './gain.ts';
import {
  COEF as COEF_TABLE,
  GBK1 as GBK1_TABLE,
  GBK2 as GBK2_TABLE,
  L_COEF as L_COEF_TABLE,
  MAP1 as MAP1_TABLE,
  MAP2 as MAP2_TABLE,
  THR1 as THR1_TABLE,
  THR2 as THR2_TABLE,
} from './tables.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const L_add = imported_L_add;
const L_deposit_h = imported_L_deposit_h;
const L_Extract_hi = imported_L_Extract_hi;
const L_Extract_lo = imported_L_Extract_lo;
const L_mac = imported_L_mac;
const L_mult = imported_L_mult;
const L_shl = imported_L_shl;
const L_shr = imported_L_shr;
const L_sub = imported_L_sub;
const Mpy_32_16 = imported_Mpy_32_16;
const add = imported_add;
const div_s = imported_div_s;
const extract_h = imported_extract_h;
const extract_l = imported_extract_l;
const mult = imported_mult;
const negate = imported_negate;
const norm_l = imported_norm_l;
const round = imported_round;
const shl = imported_shl;
const shr = imported_shr;
const sub = imported_sub;
const gainPredict = imported_gainPredict;
const gainUpdate = imported_gainUpdate;
const newPastQuaEn = imported_newPastQuaEn;

// Module-local copies of the imported constants: in a hot loop an imported binding costs a
// load and a check per use (micro-benchmark: a loop bounded by an imported constant 1.37× the
// time of one bounded by a local copy).
const MAX_16 = IMPORTED_MAX_16;
const MAX_32 = IMPORTED_MAX_32;
const MIN_32 = IMPORTED_MIN_32;

// The tables as module-local Int32Array copies: in the hot loops a load from them is cheaper
// than one through the imported binding of the Int16Array (micro-benchmark of the LSP
// pre-selection: 0.69× the time).
const COEF = Int32Array.from(COEF_TABLE);
const GBK1 = Int32Array.from(GBK1_TABLE);
const GBK2 = Int32Array.from(GBK2_TABLE);
const L_COEF = Int32Array.from(L_COEF_TABLE);
const MAP1 = Int32Array.from(MAP1_TABLE);
const MAP2 = Int32Array.from(MAP2_TABLE);
const THR1 = Int32Array.from(THR1_TABLE);
const THR2 = Int32Array.from(THR2_TABLE);

const L_SUBFR = 40;
const NCODE1 = 8;
const NCODE2 = 16;
const NCAN1 = 4;
const NCAN2 = 8;
const GPCLIP2 = 481;
const GP0999 = 16383;
const INV_COEF = -17103;

const scaledY2 = new Int16Array(L_SUBFR);
/** (MAX_32 − 1)² / 4 with a margin: below it, 1 + 2·√(a·b) fits in 32 bits. */
const CS_LIMIT = 1.15e18;

/** <y2,y2>, −2<xn,y2>, 2<y1,y2> with exponents into g[2..4], e[2..4] (Corr_xy2). */
export function corrXy2(xn: Int16Array, y1: Int16Array, y2: Int16Array, g: Int32Array, e: Int32Array): void {
  // Energies: a sum of squares only grows; the cross sums are bounded by √ of the products of
  // energies (Cauchy–Schwarz). When the bounds fit in 32 bits, plain sums are the reference's.
  let e2 = 0;
  let ex = 0;
  let e1 = 0;
  let cx = 0;
  let c1 = 0;
  for (let i = 0; i < L_SUBFR; i++) {
    const s2 = y2[i]! >> 3;
    scaledY2[i] = s2;
    e2 += s2 * s2;
    ex += xn[i]! * xn[i]!;
    e1 += y1[i]! * y1[i]!;
    cx += xn[i]! * s2;
    c1 += y1[i]! * s2;
  }
  const plain = 1 + 2 * e2 <= MAX_32 && ex * e2 < CS_LIMIT && e1 * e2 < CS_LIMIT;
  let acc = plain ? 1 + 2 * e2 : 1;
  if (!plain) for (let i = 0; i < L_SUBFR; i++) acc = L_mac(acc, scaledY2[i]!, scaledY2[i]!);
  let exp = norm_l(acc);
  g[2] = round(L_shl(acc, exp));
  e[2] = add(exp, 19 - 16);
  acc = 1;
  if (plain) acc = 1 + 2 * cx;
  else for (let i = 0; i < L_SUBFR; i++) acc = L_mac(acc, xn[i]!, scaledY2[i]!);
  exp = norm_l(acc);
  g[3] = negate(round(L_shl(acc, exp)));
  e[3] = sub(add(exp, 10 - 16), 1);
  acc = 1;
  if (plain) acc = 1 + 2 * c1;
  else for (let i = 0; i < L_SUBFR; i++) acc = L_mac(acc, y1[i]!, scaledY2[i]!);
  exp = norm_l(acc);
  g[4] = round(L_shl(acc, exp));
  e[4] = sub(add(exp, 10 - 16), 1);
}

function gbkPresel(bestGain: Int32Array, gcode0: number, cand: Int32Array): void {
  const Lcfbg = L_mult(COEF[0]!, bestGain[0]!);
  let acc = L_shr(L_COEF[3]!, 15);
  acc = L_add(Lcfbg, acc);
  let accH = extract_h(acc);
  let preg = L_mult(accH, gcode0);
  acc = L_shl(bestGain[1]!, 7);
  acc = L_sub(acc, preg);
  accH = extract_h(L_shl(acc, 2));
  const tmpX = L_mult(accH, INV_COEF);

  acc = L_shr(L_COEF[1]!, 10);
  acc = L_sub(Lcfbg, acc);
  accH = extract_h(acc);
  accH = mult(accH, gcode0);
  const tmp = L_mult(accH, COEF[2]!);
  preg = L_mult(COEF[0]!, bestGain[1]!);
  acc = L_sub(tmp, L_shr(preg, 3));
  accH = extract_h(L_shl(acc, 2));
  const tmpY = L_mult(accH, INV_COEF);

  const sftY = 14 + 4 + 1 - 16;
  const sftX = 15 + 4 + 1 - 15;
  let cand1 = 0;
  let cand2 = 0;
  if (gcode0 > 0) {
    do {
      if (L_sub(tmpY, L_shr(L_mult(THR1[cand1]!, gcode0), sftY)) > 0) cand1++;
      else break;
    } while (cand1 < NCODE1 - NCAN1);
    do {
      if (L_sub(tmpX, L_shr(L_mult(THR2[cand2]!, gcode0), sftX)) > 0) cand2++;
      else break;
    } while (cand2 < NCODE2 - NCAN2);
  } else {
    do {
      if (L_sub(tmpY, L_shr(L_mult(THR1[cand1]!, gcode0), sftY)) < 0) cand1++;
      else break;
    } while (cand1 !== NCODE1 - NCAN1);
    do {
      if (L_sub(tmpX, L_shr(L_mult(THR2[cand2]!, gcode0), sftX)) < 0) cand2++;
      else break;
    } while (cand2 !== NCODE2 - NCAN2);
  }
  cand[0] = cand1;
  cand[1] = cand2;
}

/** The codebook search with the reference's operators; the best indices go to out[0..1]. */
export function searchReference(
  cand1: number,
  cand2: number,
  gcode0: number,
  tame: number,
  cHi: Int32Array,
  cLo: Int32Array,
  out: Int32Array,
): void {
  let distMin = MAX_32;
  let index1 = cand1;
  let index2 = cand2;
  for (let i = 0; i < NCAN1; i++) {
    for (let j = 0; j < NCAN2; j++) {
      const gPitch = add(GBK1[(cand1 + i) * 2]!, GBK2[(cand2 + j) * 2]!);
      if (tame === 1 && !(gPitch < GP0999)) continue;
      const tmp = extract_l(L_shr(L_add(GBK1[(cand1 + i) * 2 + 1]!, GBK2[(cand2 + j) * 2 + 1]!), 1));
      const gCode = mult(gcode0, tmp);
      const g2Pitch = mult(gPitch, gPitch);
      const g2Code = mult(gCode, gCode);
      const gPitCod = mult(gCode, gPitch);
      let L = Mpy_32_16(cHi[0]!, cLo[0]!, g2Pitch);
      L = L_add(L, Mpy_32_16(cHi[1]!, cLo[1]!, gPitch));
      L = L_add(L, Mpy_32_16(cHi[2]!, cLo[2]!, g2Code));
      L = L_add(L, Mpy_32_16(cHi[3]!, cLo[3]!, gCode));
      L = L_add(L, Mpy_32_16(cHi[4]!, cLo[4]!, gPitCod));
      if (L_sub(L, distMin) < 0) {
        distMin = L;
        index1 = cand1 + i;
        index2 = cand2 + j;
      }
    }
  }
  out[0] = index1;
  out[1] = index2;
}

/** Whether every entry of both gain codebooks is ≥ 0 (it is: gains are non-negative). */
const GBK_NON_NEGATIVE = GBK1.every((v) => v >= 0) && GBK2.every((v) => v >= 0);

/**
 * The codebook search for gcode0 ≥ 0 with non-negative codebooks, in doubles: gains and
 * codebook entries are ≥ 0, so no mult can saturate, and no Mpy_32_16 can
 * (|2·hi·n| + 2·((lo·n) >> 15) < 2^31 for n ≥ 0); only the sums of the five terms can.
 */
export function searchPlain(
  cand1: number,
  cand2: number,
  gcode0: number,
  tame: number,
  cHi: Int32Array,
  cLo: Int32Array,
  out: Int32Array,
): void {
  const h0 = cHi[0]!;
  const h1 = cHi[1]!;
  const h2 = cHi[2]!;
  const h3 = cHi[3]!;
  const h4 = cHi[4]!;
  const l0 = cLo[0]!;
  const l1 = cLo[1]!;
  const l2 = cLo[2]!;
  const l3 = cLo[3]!;
  const l4 = cLo[4]!;
  let distMin = MAX_32;
  let index1 = cand1;
  let index2 = cand2;
  for (let i = 0; i < NCAN1; i++) {
    for (let j = 0; j < NCAN2; j++) {
      let gPitch = GBK1[(cand1 + i) * 2]! + GBK2[(cand2 + j) * 2]!;
      if (gPitch > MAX_16) gPitch = MAX_16;
      if (tame === 1 && !(gPitch < GP0999)) continue;
      const tmp = (GBK1[(cand1 + i) * 2 + 1]! + GBK2[(cand2 + j) * 2 + 1]!) >> 1;
      const gCode = (gcode0 * tmp) >> 15;
      const g2Pitch = (gPitch * gPitch) >> 15;
      const g2Code = (gCode * gCode) >> 15;
      const gPitCod = (gCode * gPitch) >> 15;
      let L = 2 * h0 * g2Pitch + 2 * ((l0 * g2Pitch) >> 15);
      L += 2 * h1 * gPitch + 2 * ((l1 * gPitch) >> 15);
      L = L > MAX_32 ? MAX_32 : Math.max(L, MIN_32);
      L += 2 * h2 * g2Code + 2 * ((l2 * g2Code) >> 15);
      L = L > MAX_32 ? MAX_32 : Math.max(L, MIN_32);
      L += 2 * h3 * gCode + 2 * ((l3 * gCode) >> 15);
      L = L > MAX_32 ? MAX_32 : Math.max(L, MIN_32);
      L += 2 * h4 * gPitCod + 2 * ((l4 * gPitCod) >> 15);
      L = L > MAX_32 ? MAX_32 : Math.max(L, MIN_32);
      if (L < distMin) {
        distMin = L;
        index1 = cand1 + i;
        index2 = cand2 + j;
      }
    }
  }
  out[0] = index1;
  out[1] = index2;
}

/** Whether every sum of a pitch entry of GA and one of GB fits in 16 bits (it does: ≤ 22215). */
const GBK_PITCH_FITS = (() => {
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i < NCODE1; i++) m1 = Math.max(m1, GBK1[i * 2]!);
  for (let i = 0; i < NCODE2; i++) m2 = Math.max(m2, GBK2[i * 2]!);
  return m1 + m2 <= MAX_16;
})();

/**
 * The codebook search in int32, for gcode0 ≥ 0 with non-negative codebooks; returns false
 * (and leaves out alone) when its bound does not hold. Each term Mpy_32_16(hi, lo, n) is 2·a,
 * a = hi·n + ((lo·n) >> 15) exactly (see searchPlain), and |a| ≤ (|hi| + 1)·n as 0 ≤ lo < 2^15.
 * Every n (g2Pitch, gPitch, g2Code, gCode, gPitCod) is a non-decreasing function of the
 * codebook entries, so its largest value over the candidates comes from the largest entries
 * of the candidate windows: N. When Σ (|hi| + 1)·N < 2^30 no partial sum of the five terms
 * (nor of their halves, in any order) leaves ±(2^31 − 2), so none saturates, and the distance
 * is 2·Σ a with Σ a exact in int32; L < distMin (from MAX_32) is then Σ a < sMin (from 2^30).
 */
export function searchInt32(
  cand1: number,
  cand2: number,
  gcode0: number,
  tame: number,
  cHi: Int32Array,
  cLo: Int32Array,
  out: Int32Array,
): boolean {
  if (!GBK_PITCH_FITS) return false;
  let p1 = 0;
  let c1 = 0;
  for (let i = cand1; i < cand1 + NCAN1; i++) {
    p1 = Math.max(p1, GBK1[i * 2]!);
    c1 = Math.max(c1, GBK1[i * 2 + 1]!);
  }
  let p2 = 0;
  let c2 = 0;
  for (let j = cand2; j < cand2 + NCAN2; j++) {
    p2 = Math.max(p2, GBK2[j * 2]!);
    c2 = Math.max(c2, GBK2[j * 2 + 1]!);
  }
  const gpN = p1 + p2;
  const gcN = (gcode0 * ((c1 + c2) >> 1)) >> 15;
  const h0 = cHi[0]!;
  const h1 = cHi[1]!;
  const h2 = cHi[2]!;
  const h3 = cHi[3]!;
  const h4 = cHi[4]!;
  const bound =
    (Math.abs(h0) + 1) * ((gpN * gpN) >> 15) +
    (Math.abs(h1) + 1) * gpN +
    (Math.abs(h2) + 1) * ((gcN * gcN) >> 15) +
    (Math.abs(h3) + 1) * gcN +
    (Math.abs(h4) + 1) * ((gcN * gpN) >> 15);
  if (bound >= 0x40000000) return false;
  const l0 = cLo[0]!;
  const l1 = cLo[1]!;
  const l2 = cLo[2]!;
  const l3 = cLo[3]!;
  const l4 = cLo[4]!;
  let sMin = 0x40000000;
  let index1 = cand1;
  let index2 = cand2;
  for (let i = cand1; i < cand1 + NCAN1; i++) {
    const gp1 = GBK1[i * 2]!;
    const gc1 = GBK1[i * 2 + 1]!;
    for (let j = cand2; j < cand2 + NCAN2; j++) {
      // ≤ MAX_16 (GBK_PITCH_FITS): add() does not saturate.
      const gPitch = gp1 + GBK2[j * 2]!;
      if (tame === 1 && gPitch >= GP0999) continue;
      const gCode = Math.imul(gcode0, (gc1 + GBK2[j * 2 + 1]!) >> 1) >> 15;
      const g2Pitch = Math.imul(gPitch, gPitch) >> 15;
      const g2Code = Math.imul(gCode, gCode) >> 15;
      const gPitCod = Math.imul(gCode, gPitch) >> 15;
      const s =
        (Math.imul(h0, g2Pitch) +
          (Math.imul(l0, g2Pitch) >> 15) +
          Math.imul(h1, gPitch) +
          (Math.imul(l1, gPitch) >> 15) +
          Math.imul(h2, g2Code) +
          (Math.imul(l2, g2Code) >> 15) +
          Math.imul(h3, gCode) +
          (Math.imul(l3, gCode) >> 15) +
          Math.imul(h4, gPitCod) +
          (Math.imul(l4, gPitCod) >> 15)) |
        0;
      if (s < sMin) {
        sMin = s;
        index1 = i;
        index2 = j;
      }
    }
  }
  out[0] = index1;
  out[1] = index2;
  return true;
}

/** The encoder's gain quantiser with its own MA predictor memory (Qua_gain). */
export class GainQuantizer {
  private readonly pastQuaEn = newPastQuaEn();
  private readonly expOut = new Int32Array(1);
  private readonly best = new Int32Array(2);
  private readonly cands = new Int32Array(2);
  private readonly expMin = new Int32Array(5);
  private readonly cHi = new Int32Array(5);
  private readonly cLo = new Int32Array(5);

  /** Returns the 7-bit index; writes the quantised gains into out: [pitch Q14, code Q1]. */
  quantize(code: Int16Array, g: Int32Array, e: Int32Array, tame: number, out: Int32Array): number {
    const gcode0 = gainPredict(this.pastQuaEn, code, this.expOut);
    const expGcode0 = this.expOut[0]!;

    let tmp1 = L_mult(g[0]!, g[2]!);
    let exp1 = add(add(e[0]!, e[2]!), 1 - 2);
    let tmp2 = L_mult(g[4]!, g[4]!);
    let exp2 = add(add(e[4]!, e[4]!), 1);
    let t: number;
    let exp: number;
    if (sub(exp1, exp2) > 0) {
      t = L_sub(L_shr(tmp1, sub(exp1, exp2)), tmp2);
      exp = exp2;
    } else {
      t = L_sub(tmp1, L_shr(tmp2, sub(exp2, exp1)));
      exp = exp1;
    }
    let sft = norm_l(t);
    const denom = extract_h(L_shl(t, sft));
    const expDenom = sub(add(exp, sft), 16);
    let invDenom = div_s(16384, denom);
    invDenom = negate(invDenom);
    const expInvDenom = sub(14 + 15, expDenom);

    const { best, cands, expMin, cHi, cLo } = this;
    tmp1 = L_mult(g[2]!, g[1]!);
    exp1 = add(e[2]!, e[1]!);
    tmp2 = L_mult(g[3]!, g[4]!);
    exp2 = add(add(e[3]!, e[4]!), 1);
    if (sub(exp1, exp2) > 0) {
      t = L_sub(L_shr(tmp1, add(sub(exp1, exp2), 1)), L_shr(tmp2, 1));
      exp = sub(exp2, 1);
    } else {
      t = L_sub(L_shr(tmp1, 1), L_shr(tmp2, add(sub(exp2, exp1), 1)));
      exp = sub(exp1, 1);
    }
    sft = norm_l(t);
    let nume = extract_h(L_shl(t, sft));
    let expNume = sub(add(exp, sft), 16);
    sft = sub(add(expNume, expInvDenom), 9 + 16 - 1);
    best[0] = extract_h(L_shr(L_mult(nume, invDenom), sft));
    if (tame === 1 && sub(best[0]!, GPCLIP2) > 0) best[0] = GPCLIP2;

    tmp1 = L_mult(g[0]!, g[3]!);
    exp1 = add(e[0]!, e[3]!);
    tmp2 = L_mult(g[1]!, g[4]!);
    exp2 = add(add(e[1]!, e[4]!), 1);
    if (sub(exp1, exp2) > 0) {
      t = L_sub(L_shr(tmp1, add(sub(exp1, exp2), 1)), L_shr(tmp2, 1));
      exp = sub(exp2, 1);
    } else {
      t = L_sub(L_shr(tmp1, 1), L_shr(tmp2, add(sub(exp2, exp1), 1)));
      exp = sub(exp1, 1);
    }
    sft = norm_l(t);
    nume = extract_h(L_shl(t, sft));
    expNume = sub(add(exp, sft), 16);
    sft = sub(add(expNume, expInvDenom), 2 + 16 - 1);
    best[1] = extract_h(L_shr(L_mult(nume, invDenom), sft));

    let gcode0Org: number;
    if (sub(expGcode0, 4) >= 0) gcode0Org = shr(gcode0, sub(expGcode0, 4));
    else gcode0Org = extract_h(L_shl(gcode0, sub(4 + 16, expGcode0)));

    gbkPresel(best, gcode0Org, cands);
    const cand1 = cands[0]!;
    const cand2 = cands[1]!;

    expMin[0] = add(e[0]!, 13);
    expMin[1] = add(e[1]!, 14);
    expMin[2] = add(e[2]!, sub(shl(expGcode0, 1), 21));
    expMin[3] = add(e[3]!, sub(expGcode0, 3));
    expMin[4] = add(e[4]!, sub(expGcode0, 4));
    let eMin = expMin[0]!;
    for (let i = 1; i < 5; i++) if (sub(expMin[i]!, eMin) < 0) eMin = expMin[i]!;
    for (let i = 0; i < 5; i++) {
      const j = sub(expMin[i]!, eMin);
      const L = L_shr(L_deposit_h(g[i]!), j);
      cHi[i] = L_Extract_hi(L);
      cLo[i] = L_Extract_lo(L);
    }
    if (!(gcode0 >= 0 && GBK_NON_NEGATIVE && searchInt32(cand1, cand2, gcode0, tame, cHi, cLo, cands))) {
      if (gcode0 >= 0 && GBK_NON_NEGATIVE) searchPlain(cand1, cand2, gcode0, tame, cHi, cLo, cands);
      else searchReference(cand1, cand2, gcode0, tame, cHi, cLo, cands);
    }
    const index1 = cands[0]!;
    const index2 = cands[1]!;
    out[0] = add(GBK1[index1 * 2]!, GBK2[index2 * 2]!);
    const Lgbk12 = L_add(GBK1[index1 * 2 + 1]!, GBK2[index2 * 2 + 1]!);
    const tmp = extract_l(L_shr(Lgbk12, 1));
    let acc = L_mult(tmp, gcode0);
    acc = L_shl(acc, add(negate(expGcode0), -12 - 1 + 1 + 16));
    out[1] = extract_h(acc);
    gainUpdate(this.pastQuaEn, Lgbk12);
    return add(MAP1[index1]! * NCODE2, MAP2[index2]!);
  }
}
