/**
 * Annex B comfort noise at the decoder (G.729 Annex B §B.4): SID frame decoding (noise LSF
 * quantiser with its own MA predictor, SID gain) and the random excitation (Dec_cng,
 * sid_lsfq_decode, Calc_exc_rand).
 */
import {
  abs_s,
  add,
  extract_h,
  extract_l,
  L_add,
  L_Extract_hi,
  L_Extract_lo,
  L_mac,
  L_mult,
  L_shl,
  L_shr,
  L_sub,
  Mpy_32_16,
  mult_r,
  negate,
  norm_l,
  norm_s,
  shl,
  shr,
  shr_r,
  sub,
} from './basic-ops.ts';
import { invSqrt } from './log-pow.ts';
import { interpolateAz, type LsfPredictor, lsfToLsp, M, MA_NP, stability } from './lsp.ts';
import { predLt3 } from './pitch.ts';
import { FG, LSPCB1, LSPCB2, NOISE_FG_SUM, PTR_TAB_1, PTR_TAB_2, TAB_SIDGAIN } from './tables.ts';

const L_SUBFR = 40;
const L_FRAME = 80;
const A_GAIN0 = 28672;
const A_GAIN1 = 4096;
const FRAC1 = 19043;
const K0 = 24576;
const G_MAX = 5000;
export const INIT_SEED = 11111;

/** noise_fg: mode 0 = fg[0]; mode 1 = 0.6·fg[0] + 0.4·fg[1] (Init_lsfq_noise). */
export const NOISE_FG = (() => {
  const t = new Int16Array(2 * MA_NP * M);
  for (let k = 0; k < MA_NP * M; k++) {
    t[k] = FG[k]!;
    let acc = L_mult(FG[k]!, 19660);
    acc = L_mac(acc, FG[MA_NP * M + k]!, 13107);
    t[MA_NP * M + k] = extract_h(acc);
  }
  return t;
})();

/** 16-bit random generator of the reference (Random). */
export function random(state: { seed: number }): number {
  state.seed = ((Math.imul(state.seed, 31821) + 13849) << 16) >> 16;
  return state.seed;
}

function gauss(state: { seed: number }): number {
  let acc = 0;
  for (let i = 0; i < 12; i++) acc = L_add(acc, random(state));
  return extract_l(L_shr(acc, 7));
}

function sqrtHalf(num: number): number {
  let rez = 0;
  let exp = 0x4000;
  for (let i = 0; i < 14; i++) {
    const s = add(rez, exp);
    if (L_sub(num, L_mult(s, s)) >= 0) rez = s;
    exp = shr(exp, 1);
  }
  return rez;
}

/**
 * Random excitation of a comfort-noise frame into exc[off .. off+80) (Calc_exc_rand). The
 * encoder passes `onSubframe`, which gets each subframe's adaptive gain and delay for its
 * taming memory (update_exc_err); the decoder does not.
 */
export function calcExcRand(
  curGain: number,
  exc: Int16Array,
  off: number,
  state: { seed: number },
  onSubframe?: (gp: number, t0: number) => void,
): void {
  if (curGain === 0) {
    exc.fill(0, off, off + L_FRAME);
    if (onSubframe) for (let sf = 0; sf < L_FRAME; sf += L_SUBFR) onSubframe(0, L_SUBFR + 1);
    return;
  }
  const excg = new Int16Array(L_SUBFR);
  const excs = new Int16Array(L_SUBFR);
  const pos = [0, 0, 0, 0];
  const sign = [0, 0, 0, 0];
  for (let sf = 0; sf < L_FRAME; sf += L_SUBFR) {
    const cur = off + sf;
    let t1 = random(state);
    let frac = sub(t1 & 3, 1);
    if (frac === 2) frac = 0;
    t1 = shr(t1, 2);
    const t0 = add(t1 & 0x3f, 40);
    t1 = shr(t1, 6);
    let t2 = t1 & 7;
    pos[0] = add(shl(t2, 2), t2);
    t1 = shr(t1, 3);
    sign[0] = t1 & 1;
    t1 = shr(t1, 1);
    t2 = t1 & 7;
    t2 = add(shl(t2, 2), t2);
    pos[1] = add(t2, 1);
    t1 = shr(t1, 3);
    sign[1] = t1 & 1;
    t1 = random(state);
    t2 = t1 & 7;
    t2 = add(shl(t2, 2), t2);
    pos[2] = add(t2, 2);
    t1 = shr(t1, 3);
    sign[2] = t1 & 1;
    t1 = shr(t1, 1);
    t2 = t1 & 0xf;
    pos[3] = add(t2 & 1, 3);
    t2 = shr(t2, 1) & 7;
    t2 = add(shl(t2, 2), t2);
    pos[3] = add(pos[3]!, t2);
    t1 = shr(t1, 4);
    sign[3] = t1 & 1;
    let Gp = random(state) & 0x1fff;
    const Gp2 = shl(Gp, 1);

    let acc = 0;
    for (let i = 0; i < L_SUBFR; i++) {
      const g = gauss(state);
      acc = L_mac(acc, g, g);
      excg[i] = g;
    }
    acc = invSqrt(L_shr(acc, 1));
    let hi = L_Extract_hi(acc);
    let lo = L_Extract_lo(acc);
    let tmp1 = mult_r(curGain, FRAC1);
    tmp1 = add(curGain, tmp1);
    acc = Mpy_32_16(hi, lo, tmp1);
    let sh = norm_l(acc);
    tmp1 = extract_h(L_shl(acc, sh));
    sh = sub(sh, 14);
    for (let i = 0; i < L_SUBFR; i++) excg[i] = shr_r(mult_r(excg[i]!, tmp1), sh);

    predLt3(exc, cur, t0, frac, L_SUBFR);

    let max = 0;
    for (let i = 0; i < L_SUBFR; i++) {
      const v = add(mult_r(exc[cur + i]!, Gp2), excg[i]!);
      exc[cur + i] = v;
      const a = abs_s(v);
      if (sub(a, max) > 0) max = a;
    }
    if (max === 0) sh = 0;
    else {
      sh = sub(3, norm_s(max));
      if (sh <= 0) sh = 0;
    }
    for (let i = 0; i < L_SUBFR; i++) excs[i] = shr(exc[cur + i]!, sh);
    let ener = 0;
    for (let i = 0; i < L_SUBFR; i++) ener = L_mac(ener, excs[i]!, excs[i]!);
    let inter = 0;
    for (let i = 0; i < 4; i++)
      inter = sign[i] === 0 ? sub(inter, excs[pos[i]!]!) : add(inter, excs[pos[i]!]!);
    acc = L_shr(L_mult(curGain, L_SUBFR), 6);
    tmp1 = extract_l(acc);
    const Lk = L_mult(curGain, tmp1);
    tmp1 = add(1, shl(sh, 1));
    acc = L_shr(Lk, tmp1);
    acc = L_sub(acc, ener);
    inter = shr(inter, 1);
    acc = L_mac(acc, inter, inter);
    sh = add(sh, 1);
    if (acc < 0) {
      for (let i = 0; i < L_SUBFR; i++) exc[cur + i] = excg[i]!;
      let a1 = abs_s(excg[pos[0]!]!) | abs_s(excg[pos[1]!]!);
      const a2 = abs_s(excg[pos[2]!]!) | abs_s(excg[pos[3]!]!);
      a1 = a1 | a2;
      sh = (a1 & 0x4000) === 0 ? 1 : 2;
      inter = 0;
      for (let i = 0; i < 4; i++) {
        const v = shr(excg[pos[i]!]!, sh);
        inter = sign[i] === 0 ? sub(inter, v) : add(inter, v);
      }
      hi = L_Extract_hi(Lk);
      lo = L_Extract_lo(Lk);
      acc = Mpy_32_16(hi, lo, K0);
      acc = L_shr(acc, sub(shl(sh, 1), 1));
      acc = L_mac(acc, inter, inter);
      Gp = 0;
    }
    const root = sqrtHalf(acc);
    let x1 = sub(root, inter);
    const x2 = negate(add(inter, root));
    if (sub(abs_s(x2), abs_s(x1)) < 0) x1 = x2;
    let g = shr_r(x1, sub(2, sh));
    if (g >= 0) {
      if (sub(g, G_MAX) > 0) g = G_MAX;
    } else if (add(g, G_MAX) < 0) g = negate(G_MAX);
    for (let i = 0; i < 4; i++) {
      const j = cur + pos[i]!;
      exc[j] = sign[i] !== 0 ? add(exc[j]!, g) : sub(exc[j]!, g);
    }
    if (onSubframe) onSubframe(Gp, t0);
  }
}

/** Comfort-noise state of a decoder channel. */
export class ComfortNoise {
  private curGain = 0;
  private sidGain = TAB_SIDGAIN[0]!;
  readonly lspSid = Int16Array.from([
    31441, 27566, 21458, 13612, 4663, -4663, -13612, -21458, -27566, -31441,
  ]);
  private readonly tmp = new Int16Array(M);
  private readonly lsfq = new Int16Array(M);

  /**
   * One comfort-noise frame (Dec_cng): `sid` holds [MA, L1 (5 bits), L2 (4 bits), gain (5 bits)]
   * for a SID frame, or is undefined for a frame that is not transmitted (or lost) during
   * silence. Writes exc[off..off+80) and the two subframes' LP filters into az.
   */
  frame(
    pastFtyp: number,
    sid: Int32Array | undefined,
    exc: Int16Array,
    off: number,
    lspOld: Int16Array,
    az: Int16Array,
    pred: LsfPredictor,
    state: { seed: number },
  ): void {
    if (sid) {
      this.sidGain = TAB_SIDGAIN[sid[3]!]!;
      this.decodeLsf(sid, pred);
    }
    if (pastFtyp === 1) this.curGain = this.sidGain;
    else {
      this.curGain = mult_r(this.curGain, A_GAIN0);
      this.curGain = add(this.curGain, mult_r(this.sidGain, A_GAIN1));
    }
    calcExcRand(this.curGain, exc, off, state);
    interpolateAz(lspOld, this.lspSid, az);
    lspOld.set(this.lspSid);
  }

  private decodeLsf(idx: Int32Array, pred: LsfPredictor): void {
    const tmp = this.tmp;
    const c1 = PTR_TAB_1[idx[1]!]!;
    for (let i = 0; i < M; i++) tmp[i] = LSPCB1[c1 * M + i]!;
    const lo = PTR_TAB_2[idx[2]!]!;
    const hi = PTR_TAB_2[16 + idx[2]!]!;
    for (let i = 0; i < M / 2; i++) tmp[i] = add(tmp[i]!, LSPCB2[lo * M + i]!);
    for (let i = M / 2; i < M; i++) tmp[i] = add(tmp[i]!, LSPCB2[hi * M + i]!);
    for (let j = 1; j < M; j++) {
      let acc = L_mult(tmp[j - 1]!, 16384);
      acc = L_mac(acc, tmp[j]!, -16384);
      acc = L_mac(acc, 10, 16384);
      const k = extract_h(acc);
      if (k > 0) {
        tmp[j - 1] = sub(tmp[j - 1]!, k);
        tmp[j] = add(tmp[j]!, k);
      }
    }
    const mode = idx[0]!;
    const fp = pred.freqPrev;
    for (let j = 0; j < M; j++) {
      let acc = L_mult(tmp[j]!, NOISE_FG_SUM[mode * M + j]!);
      for (let k = 0; k < MA_NP; k++) acc = L_mac(acc, fp[k]![j]!, NOISE_FG[(mode * MA_NP + k) * M + j]!);
      this.lsfq[j] = extract_h(acc);
    }
    pred.update(tmp);
    stability(this.lsfq);
    lsfToLsp(this.lsfq, this.lspSid);
  }
}
