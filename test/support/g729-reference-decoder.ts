/**
 * A second G.729 Annex A decoder for the tests: the ITU-T reference C code's decoder
 * (Decod_ld8a, D_lsp, Int_qlpc, Lsp_Az, Dec_lag3, Pred_lt_3, Decod_ACELP, Dec_gain,
 * Gain_predict, Syn_filt, Residu, Weight_Az, Post_Filter with pit_pst_filt, preemphasis and agc,
 * Post_Process) written out statement by statement with the basic operators, without any of
 * the fast paths of codecs/g729/ (no bounds, no int32 shortcuts, no merged loops, fresh arrays
 * everywhere). It exists to check that those fast paths give the reference arithmetic's
 * samples; it is slow. Annex B at the decoder (Dec_cng, sid_lsfq_decode, Calc_exc_rand with Gauss
 * and Sqrt) is written out too, for SID frames and frames lost during silence.
 *
 * `forceGainCode` replaces the decoded code gain of one subframe (frame number, subframe 0 or 1,
 * Q1 value): the tests use it to show which single value bcg729 computes differently.
 */
import {
  abs_s,
  add,
  div_s,
  extract_h,
  extract_l,
  L_add,
  L_deposit_h,
  L_mac,
  L_msu,
  L_mult,
  L_shl,
  L_shr,
  L_shr_r,
  L_sub,
  MIN_32,
  mult,
  mult_r,
  negate,
  norm_l,
  norm_s,
  overflow,
  round,
  shl,
  shr,
  shr_r,
  sub,
} from '../../codecs/g729/basic-ops.ts';
import { parityError, unpackFrame } from '../../codecs/g729/bitstream.ts';
import { invSqrt, log2, pow2 } from '../../codecs/g729/log-pow.ts';
import {
  A100,
  B100,
  FG,
  FG_SUM,
  FG_SUM_INV,
  FREQ_PREV_RESET,
  GBK1,
  GBK2,
  IMAP1,
  IMAP2,
  INTER_3L,
  LSPCB1,
  LSPCB2,
  NOISE_FG_SUM,
  PRED,
  PTR_TAB_1,
  PTR_TAB_2,
  SLOPE_COS,
  TAB_SIDGAIN,
  TABLE2,
} from '../../codecs/g729/tables.ts';

const M = 10;
const MP1 = 11;
const NC = 5;
const MA_NP = 4;
const L_SUBFR = 40;
const L_FRAME = 80;
const PIT_MIN = 20;
const PIT_MAX = 143;
const L_INTERPOL = 11;
const L_H = 22;

function lExtract(L: number): [number, number] {
  const hi = extract_h(L);
  return [hi, extract_l(L_msu(L_shr(L, 1), hi, 16384))];
}
const mpy3216 = (hi: number, lo: number, n: number) => L_mac(L_mult(hi, n), mult(lo, n), 1);
const lComp = (hi: number, lo: number) => L_mac(L_deposit_h(hi), lo, 1);
const le = new Int32Array(2);
function log2Pair(L: number): [number, number] {
  log2(L, le);
  return [le[0]!, le[1]!];
}

function synFilt(a: Int16Array, x: Int16Array, y: Int16Array, lg: number, mem: Int16Array, update: boolean) {
  const tmp = new Int16Array(M + lg);
  tmp.set(mem.subarray(0, M));
  for (let i = 0; i < lg; i++) {
    let s = L_mult(x[i]!, a[0]!);
    for (let j = 1; j <= M; j++) s = L_msu(s, a[j]!, tmp[M + i - j]!);
    s = L_shl(s, 3);
    tmp[M + i] = round(s);
  }
  for (let i = 0; i < lg; i++) y[i] = tmp[M + i]!;
  if (update) for (let i = 0; i < M; i++) mem[i] = y[lg - M + i]!;
}

/** Residu: x[-M .. lg) read from x at offset xo. */
function residu(a: Int16Array, x: Int16Array, xo: number, y: Int16Array, lg: number) {
  for (let i = 0; i < lg; i++) {
    let s = L_mult(x[xo + i]!, a[0]!);
    for (let j = 1; j <= M; j++) s = L_mac(s, a[j]!, x[xo + i - j]!);
    s = L_shl(s, 3);
    y[i] = round(s);
  }
}

function weightAz(a: Int16Array, gamma: number): Int16Array {
  const ap = new Int16Array(MP1);
  ap[0] = a[0]!;
  let fac = gamma;
  for (let i = 1; i < M; i++) {
    ap[i] = round(L_mult(a[i]!, fac));
    fac = round(L_mult(fac, gamma));
  }
  ap[M] = round(L_mult(a[M]!, fac));
  return ap;
}

function getLspPol(lsp: Int16Array, first: number): number[] {
  const f = [0, 0, 0, 0, 0, 0];
  f[0] = L_mult(4096, 2048);
  f[1] = L_msu(0, lsp[first]!, 512);
  let fp = 2;
  let lp = first + 2;
  for (let i = 2; i <= 5; i++) {
    f[fp] = f[fp - 2]!;
    for (let j = 1; j < i; j++, fp--) {
      const [hi, lo] = lExtract(f[fp - 1]!);
      const t0 = L_shl(mpy3216(hi, lo, lsp[lp]!), 1);
      f[fp] = L_sub(L_add(f[fp]!, f[fp - 2]!), t0);
    }
    f[fp] = L_msu(f[fp]!, lsp[lp]!, 512);
    fp += i;
    lp += 2;
  }
  return f;
}

function lspAz(lsp: Int16Array): Int16Array {
  const f1 = getLspPol(lsp, 0);
  const f2 = getLspPol(lsp, 1);
  for (let i = 5; i > 0; i--) {
    f1[i] = L_add(f1[i]!, f1[i - 1]!);
    f2[i] = L_sub(f2[i]!, f2[i - 1]!);
  }
  const a = new Int16Array(MP1);
  a[0] = 4096;
  for (let i = 1, j = 10; i <= 5; i++, j--) {
    a[i] = extract_l(L_shr_r(L_add(f1[i]!, f2[i]!), 13));
    a[j] = extract_l(L_shr_r(L_sub(f1[i]!, f2[i]!), 13));
  }
  return a;
}

function decLag3(index: number, subframe: number, t0: number): [number, number] {
  if (subframe === 0) {
    if (sub(index, 197) < 0) {
      const T0 = add(mult(add(index, 2), 10923), 19);
      return [T0, add(sub(index, add(add(T0, T0), T0)), 58)];
    }
    return [sub(index, 112), 0];
  }
  let tMin = sub(t0, 5);
  if (sub(tMin, PIT_MIN) < 0) tMin = PIT_MIN;
  const tMax = add(tMin, 9);
  if (sub(tMax, PIT_MAX) > 0) tMin = sub(PIT_MAX, 9);
  const i = sub(mult(add(index, 2), 10923), 1);
  return [add(i, tMin), sub(sub(index, 2), add(add(i, i), i))];
}

function decodAcelp(sign: number, index: number): Int16Array {
  const pos = [0, 0, 0, 0];
  let i = index & 7;
  pos[0] = add(i, shl(i, 2));
  index = shr(index, 3);
  i = index & 7;
  pos[1] = add(add(i, shl(i, 2)), 1);
  index = shr(index, 3);
  i = index & 7;
  pos[2] = add(add(i, shl(i, 2)), 2);
  index = shr(index, 3);
  const j = index & 1;
  index = shr(index, 1);
  i = index & 7;
  pos[3] = add(add(add(i, shl(i, 2)), 3), j);
  const cod = new Int16Array(L_SUBFR);
  for (let k = 0; k < 4; k++) {
    cod[pos[k]!] = sign & 1 ? 8191 : -8192;
    sign = shr(sign, 1);
  }
  return cod;
}

/** Lsp_stability. */
function lspStability(buf: Int16Array): void {
  for (let j = 0; j < M - 1; j++) {
    if (L_sub(buf[j + 1]!, buf[j]!) < 0) {
      const t = buf[j + 1]!;
      buf[j + 1] = buf[j]!;
      buf[j] = t;
    }
  }
  if (sub(buf[0]!, 40) < 0) buf[0] = 40;
  for (let j = 0; j < M - 1; j++) {
    if (L_sub(L_sub(buf[j + 1]!, buf[j]!), 321) < 0) buf[j + 1] = add(buf[j]!, 321);
  }
  if (sub(buf[M - 1]!, 25681) > 0) buf[M - 1] = 25681;
}

/** Lsf_lsp2. */
function lsfLsp2(lsf: Int16Array): Int16Array {
  const lsp = new Int16Array(M);
  for (let i = 0; i < M; i++) {
    const freq = mult(lsf[i]!, 20861);
    let ind = shr(freq, 8);
    const offset = freq & 0xff;
    if (sub(ind, 63) > 0) ind = 63;
    lsp[i] = add(TABLE2[ind]!, extract_l(L_shr(L_mult(SLOPE_COS[ind]!, offset), 13)));
  }
  return lsp;
}

/** noise_fg (Init_lsfq_noise): mode 0 is fg[0], mode 1 is 0.6·fg[0] + 0.4·fg[1]. */
const NOISE_FG_REF = (() => {
  const t = new Int16Array(2 * MA_NP * M);
  for (let k = 0; k < MA_NP * M; k++) {
    t[k] = FG[k]!;
    t[MA_NP * M + k] = extract_h(L_mac(L_mult(FG[k]!, 19660), FG[MA_NP * M + k]!, 13107));
  }
  return t;
})();

/** Random(seed). */
function randomStep(state: { seed: number }): number {
  state.seed = extract_l(L_add(L_shr(L_mult(state.seed, 31821), 1), 13849));
  return state.seed;
}

export class ReferenceG729Decoder {
  private readonly oldExc = new Int16Array(L_FRAME + PIT_MAX + L_INTERPOL);
  private readonly lspOld = Int16Array.from([
    30000, 26000, 21000, 15000, 8000, 0, -8000, -15000, -21000, -26000,
  ]);
  private readonly memSyn = new Int16Array(M);
  private sharp = 3277;
  private oldT0 = 60;
  private gainCode = 0;
  private gainPitch = 0;
  private readonly freqPrev = [0, 1, 2, 3].map(() => Int16Array.from(FREQ_PREV_RESET));
  private prevMa = 0;
  private readonly prevLsp = Int16Array.from(FREQ_PREV_RESET);
  private readonly pastQuaEn = Int16Array.from([-14336, -14336, -14336, -14336]);
  private seedFer = 21845;
  private readonly synthBuf = new Int16Array(M + L_FRAME);
  private readonly res2Buf = new Int16Array(PIT_MAX + L_SUBFR);
  private readonly scalRes2Buf = new Int16Array(PIT_MAX + L_SUBFR);
  private readonly memSynPst = new Int16Array(M);
  private memPre = 0;
  private pastGain = 4096;
  private y2Hi = 0;
  private y2Lo = 0;
  private y1Hi = 0;
  private y1Lo = 0;
  private x0 = 0;
  private x1 = 0;
  private frameNo = 0;
  // Annex B
  private pastFtyp = 1;
  private readonly cng = { seed: 11111 };
  private curGain = 0;
  private sidGain = TAB_SIDGAIN[0]!;
  private readonly lspSid = Int16Array.from([
    31441, 27566, 21458, 13612, 4663, -4663, -13612, -21458, -27566, -31441,
  ]);

  constructor(private readonly forceGainCode?: { frame: number; subframe: number; value: number }) {}

  /** Decodes the 10-byte frame at bytes[off], or conceals a lost one, into 80 samples. */
  decodeFrame(bytes: Uint8Array, off: number, erased: boolean): Int16Array {
    if (erased && this.pastFtyp !== 1) return this.cngFrame(undefined);
    this.cng.seed = 11111;
    const prm = new Int32Array(11);
    unpackFrame(bytes, off, prm);
    const bfi = erased ? 1 : 0;
    const exc = this.oldExc;
    const E = PIT_MAX + L_INTERPOL;
    const synth = this.synthBuf;
    const lspNew = this.dLsp(prm[0]!, prm[1]!, bfi);
    const mid = new Int16Array(M);
    for (let i = 0; i < M; i++) mid[i] = add(shr(lspNew[i]!, 1), shr(this.lspOld[i]!, 1));
    const az = [lspAz(mid), lspAz(lspNew)];
    this.lspOld.set(lspNew);
    const t2 = [0, 0];
    let T0 = 0;
    let frac = 0;
    let p = 2;
    for (let sf = 0; sf < 2; sf++) {
      const index = prm[p++]!;
      const bad = sf === 0 ? add(bfi, parityError(index, prm[p++]!)) : bfi;
      if (bad === 0) {
        [T0, frac] = decLag3(index, sf, T0);
        this.oldT0 = T0;
      } else {
        T0 = this.oldT0;
        frac = 0;
        this.oldT0 = add(this.oldT0, 1);
        if (sub(this.oldT0, PIT_MAX) > 0) this.oldT0 = PIT_MAX;
      }
      t2[sf] = T0;
      this.predLt3(E + sf * L_SUBFR, T0, frac);
      if (bfi) {
        prm[p] = this.random() & 0x1fff;
        prm[p + 1] = this.random() & 0x000f;
      }
      const code = decodAcelp(prm[p + 1]!, prm[p]!);
      p += 2;
      const j = shl(this.sharp, 1);
      if (sub(T0, L_SUBFR) < 0)
        for (let i = T0; i < L_SUBFR; i++) code[i] = add(code[i]!, mult(code[i - T0]!, j));
      this.decGain(prm[p++]!, code, bfi);
      const force = this.forceGainCode;
      if (force && force.frame === this.frameNo && force.subframe === sf) this.gainCode = force.value;
      this.sharp = this.gainPitch;
      if (sub(this.sharp, 13017) > 0) this.sharp = 13017;
      if (sub(this.sharp, 3277) < 0) this.sharp = 3277;
      const e0 = E + sf * L_SUBFR;
      for (let i = 0; i < L_SUBFR; i++) {
        let t = L_mult(exc[e0 + i]!, this.gainPitch);
        t = L_mac(t, code[i]!, this.gainCode);
        exc[e0 + i] = round(L_shl(t, 1));
      }
      const y = new Int16Array(L_SUBFR);
      overflow.flag = 0;
      synFilt(az[sf]!, exc.subarray(e0), y, L_SUBFR, this.memSyn, false);
      if (overflow.flag !== 0) {
        for (let i = 0; i < exc.length; i++) exc[i] = shr(exc[i]!, 2);
        synFilt(az[sf]!, exc.subarray(e0), y, L_SUBFR, this.memSyn, true);
      } else {
        this.memSyn.set(y.subarray(L_SUBFR - M));
      }
      synth.set(y, M + sf * L_SUBFR);
    }
    exc.copyWithin(0, L_FRAME, L_FRAME + E);
    this.postFilter(az, t2, true);
    this.frameNo++;
    this.pastFtyp = 1;
    return this.postProcess();
  }

  /** Decodes the 2-byte SID frame at bytes[off] (MA, L1, L2, gain; RFC 3551 §4.5.6). */
  decodeSid(bytes: Uint8Array, off: number): Int16Array {
    const v = ((bytes[off]! << 8) | bytes[off + 1]!) >> 1;
    return this.cngFrame([(v >> 14) & 1, (v >> 9) & 31, (v >> 5) & 15, v & 31]);
  }

  /** The ftyp ≠ 1 branch of Decod_ld8a (Annex B): Dec_cng, synthesis, then Post_Filter with Vad 0. */
  private cngFrame(sid: number[] | undefined): Int16Array {
    const exc = this.oldExc;
    const E = PIT_MAX + L_INTERPOL;
    // Dec_cng (the untransmitted frame right after speech, Qua_Sidgain on sid_sav, cannot
    // happen here: a lost frame after speech is a voice frame erasure)
    if (sid) {
      this.sidGain = TAB_SIDGAIN[sid[3]!]!;
      this.sidLsfqDecode(sid);
    }
    if (sub(this.pastFtyp, 1) === 0) this.curGain = this.sidGain;
    else this.curGain = add(mult_r(this.curGain, 28672), mult_r(this.sidGain, 4096));
    this.calcExcRand(this.curGain, E);
    const mid = new Int16Array(M);
    for (let i = 0; i < M; i++) mid[i] = add(shr(this.lspSid[i]!, 1), shr(this.lspOld[i]!, 1));
    const az = [lspAz(mid), lspAz(this.lspSid)];
    this.lspOld.set(this.lspSid);
    for (let sf = 0; sf < 2; sf++) {
      const e0 = E + sf * L_SUBFR;
      const y = new Int16Array(L_SUBFR);
      overflow.flag = 0;
      synFilt(az[sf]!, exc.subarray(e0), y, L_SUBFR, this.memSyn, false);
      if (overflow.flag !== 0) {
        for (let i = 0; i < exc.length; i++) exc[i] = shr(exc[i]!, 2);
        synFilt(az[sf]!, exc.subarray(e0), y, L_SUBFR, this.memSyn, true);
      } else {
        this.memSyn.set(y.subarray(L_SUBFR - M));
      }
      this.synthBuf.set(y, M + sf * L_SUBFR);
    }
    this.sharp = 3277;
    exc.copyWithin(0, L_FRAME, L_FRAME + E);
    this.postFilter(az, [this.oldT0, this.oldT0], false);
    this.frameNo++;
    this.pastFtyp = sid ? 2 : 0;
    return this.postProcess();
  }

  /** sid_lsfq_decode into lspSid, with the speech decoder's MA memory. */
  private sidLsfqDecode(idx: number[]): void {
    const tmp = new Int16Array(M);
    for (let i = 0; i < M; i++) tmp[i] = LSPCB1[PTR_TAB_1[idx[1]!]! * M + i]!;
    for (let i = 0; i < M / 2; i++) tmp[i] = add(tmp[i]!, LSPCB2[PTR_TAB_2[idx[2]!]! * M + i]!);
    for (let i = M / 2; i < M; i++) tmp[i] = add(tmp[i]!, LSPCB2[PTR_TAB_2[16 + idx[2]!]! * M + i]!);
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
    const lsfq = new Int16Array(M);
    for (let j = 0; j < M; j++) {
      let acc = L_mult(tmp[j]!, NOISE_FG_SUM[mode * M + j]!);
      for (let k = 0; k < MA_NP; k++)
        acc = L_mac(acc, this.freqPrev[k]![j]!, NOISE_FG_REF[(mode * MA_NP + k) * M + j]!);
      lsfq[j] = extract_h(acc);
    }
    this.updateFreqPrev(tmp);
    lspStability(lsfq);
    this.lspSid.set(lsfLsp2(lsfq));
  }

  /** Calc_exc_rand for the decoder, into exc[off .. off + 80). */
  private calcExcRand(curGain: number, off: number): void {
    const exc = this.oldExc;
    const st = this.cng;
    if (curGain === 0) {
      exc.fill(0, off, off + L_FRAME);
      return;
    }
    const pos = [0, 0, 0, 0];
    const sign = [0, 0, 0, 0];
    for (let sf = 0; sf < L_FRAME; sf += L_SUBFR) {
      const cur = off + sf;
      let t1 = randomStep(st);
      let frac = sub(t1 & 3, 1);
      if (sub(frac, 2) === 0) frac = 0;
      t1 = shr(t1, 2);
      const t0 = add(t1 & 0x3f, 40);
      t1 = shr(t1, 6);
      let t2 = t1 & 7;
      pos[0] = add(shl(t2, 2), t2);
      t1 = shr(t1, 3);
      sign[0] = t1 & 1;
      t1 = shr(t1, 1);
      t2 = t1 & 7;
      pos[1] = add(add(shl(t2, 2), t2), 1);
      t1 = shr(t1, 3);
      sign[1] = t1 & 1;
      t1 = randomStep(st);
      t2 = t1 & 7;
      pos[2] = add(add(shl(t2, 2), t2), 2);
      t1 = shr(t1, 3);
      sign[2] = t1 & 1;
      t1 = shr(t1, 1);
      t2 = t1 & 0xf;
      pos[3] = add(t2 & 1, 3);
      t2 = shr(t2, 1) & 7;
      pos[3] = add(pos[3]!, add(shl(t2, 2), t2));
      t1 = shr(t1, 4);
      sign[3] = t1 & 1;
      const gp2 = shl(randomStep(st) & 0x1fff, 1);
      // Gaussian excitation
      const excg = new Int16Array(L_SUBFR);
      let acc = 0;
      for (let i = 0; i < L_SUBFR; i++) {
        let g = 0;
        for (let k = 0; k < 12; k++) g = L_add(g, randomStep(st));
        excg[i] = extract_l(L_shr(g, 7));
        acc = L_mac(acc, excg[i]!, excg[i]!);
      }
      acc = invSqrt(L_shr(acc, 1));
      let [hi, lo] = lExtract(acc);
      let f = add(curGain, mult_r(curGain, 19043));
      acc = mpy3216(hi, lo, f);
      let sh = norm_l(acc);
      f = extract_h(L_shl(acc, sh));
      sh = sub(sh, 14);
      for (let i = 0; i < L_SUBFR; i++) excg[i] = shr_r(mult_r(excg[i]!, f), sh);
      this.predLt3(cur, t0, frac);
      let max = 0;
      for (let i = 0; i < L_SUBFR; i++) {
        exc[cur + i] = add(mult_r(exc[cur + i]!, gp2), excg[i]!);
        const a = abs_s(exc[cur + i]!);
        if (sub(a, max) > 0) max = a;
      }
      if (max === 0) sh = 0;
      else {
        sh = sub(3, norm_s(max));
        if (sh <= 0) sh = 0;
      }
      const excs = new Int16Array(L_SUBFR);
      for (let i = 0; i < L_SUBFR; i++) excs[i] = shr(exc[cur + i]!, sh);
      let ener = 0;
      for (let i = 0; i < L_SUBFR; i++) ener = L_mac(ener, excs[i]!, excs[i]!);
      let inter = 0;
      for (let i = 0; i < 4; i++)
        inter = sign[i] === 0 ? sub(inter, excs[pos[i]!]!) : add(inter, excs[pos[i]!]!);
      const kq = extract_l(L_shr(L_mult(curGain, L_SUBFR), 6));
      const Lk = L_mult(curGain, kq);
      acc = L_shr(Lk, add(1, shl(sh, 1)));
      acc = L_sub(acc, ener);
      inter = shr(inter, 1);
      acc = L_mac(acc, inter, inter);
      sh = add(sh, 1);
      if (acc < 0) {
        exc.set(excg, cur);
        const m =
          abs_s(excg[pos[0]!]!) | abs_s(excg[pos[1]!]!) | abs_s(excg[pos[2]!]!) | abs_s(excg[pos[3]!]!);
        sh = (m & 0x4000) === 0 ? 1 : 2;
        inter = 0;
        for (let i = 0; i < 4; i++) {
          const v = shr(excg[pos[i]!]!, sh);
          inter = sign[i] === 0 ? sub(inter, v) : add(inter, v);
        }
        [hi, lo] = lExtract(Lk);
        acc = L_shr(mpy3216(hi, lo, 24576), sub(shl(sh, 1), 1));
        acc = L_mac(acc, inter, inter);
      }
      // Sqrt: sqrt(acc / 2)
      let root = 0;
      let bit = 0x4000;
      for (let i = 0; i < 14; i++) {
        if (L_sub(acc, L_mult(add(root, bit), add(root, bit))) >= 0) root = add(root, bit);
        bit = shr(bit, 1);
      }
      let x1 = sub(root, inter);
      const x2 = negate(add(inter, root));
      if (sub(abs_s(x2), abs_s(x1)) < 0) x1 = x2;
      let g = shr_r(x1, sub(2, sh));
      if (g >= 0) {
        if (sub(g, 5000) > 0) g = 5000;
      } else if (add(g, 5000) < 0) g = -5000;
      for (let i = 0; i < 4; i++) {
        const j = cur + pos[i]!;
        exc[j] = sign[i] !== 0 ? add(exc[j]!, g) : sub(exc[j]!, g);
      }
    }
  }

  private random(): number {
    this.seedFer = extract_l(L_add(L_shr(L_mult(this.seedFer, 31821), 1), 13849));
    return this.seedFer;
  }

  private dLsp(p0: number, p1: number, erase: number): Int16Array {
    const lsfQ = new Int16Array(M);
    const buf = new Int16Array(M);
    if (erase === 0) {
      const mode = shr(p0, 7) & 1;
      const code0 = p0 & 127;
      const code1 = shr(p1, 5) & 31;
      const code2 = p1 & 31;
      for (let j = 0; j < NC; j++) buf[j] = add(LSPCB1[code0 * M + j]!, LSPCB2[code1 * M + j]!);
      for (let j = NC; j < M; j++) buf[j] = add(LSPCB1[code0 * M + j]!, LSPCB2[code2 * M + j]!);
      for (const gap of [10, 5]) {
        for (let j = 1; j < M; j++) {
          const tmp = shr(add(sub(buf[j - 1]!, buf[j]!), gap), 1);
          if (tmp > 0) {
            buf[j - 1] = sub(buf[j - 1]!, tmp);
            buf[j] = add(buf[j]!, tmp);
          }
        }
      }
      for (let j = 0; j < M; j++) {
        let acc = L_mult(buf[j]!, FG_SUM[mode * M + j]!);
        for (let k = 0; k < MA_NP; k++)
          acc = L_mac(acc, this.freqPrev[k]![j]!, FG[(mode * MA_NP + k) * M + j]!);
        lsfQ[j] = extract_h(acc);
      }
      this.updateFreqPrev(buf);
      lspStability(lsfQ);
      this.prevLsp.set(lsfQ);
      this.prevMa = mode;
    } else {
      lsfQ.set(this.prevLsp);
      const mode = this.prevMa;
      for (let j = 0; j < M; j++) {
        let t = L_deposit_h(this.prevLsp[j]!);
        for (let k = 0; k < MA_NP; k++) t = L_msu(t, this.freqPrev[k]![j]!, FG[(mode * MA_NP + k) * M + j]!);
        t = L_mult(extract_h(t), FG_SUM_INV[mode * M + j]!);
        buf[j] = extract_h(L_shl(t, 3));
      }
      this.updateFreqPrev(buf);
    }
    return lsfLsp2(lsfQ);
  }

  private updateFreqPrev(ele: Int16Array): void {
    for (let k = MA_NP - 1; k > 0; k--) this.freqPrev[k]!.set(this.freqPrev[k - 1]!);
    this.freqPrev[0]!.set(ele);
  }

  private predLt3(off: number, T0: number, frac: number): void {
    const exc = this.oldExc;
    let x0 = off - T0;
    frac = negate(frac);
    if (frac < 0) {
      frac = add(frac, 3);
      x0--;
    }
    for (let j = 0; j < L_SUBFR; j++) {
      const x1 = x0++;
      const x2 = x0;
      let s = 0;
      for (let i = 0, k = 0; i < 10; i++, k += 3) {
        s = L_mac(s, exc[x1 - i]!, INTER_3L[frac + k]!);
        s = L_mac(s, exc[x2 + i]!, INTER_3L[sub(3, frac) + k]!);
      }
      exc[off + j] = round(s);
    }
  }

  private decGain(index: number, code: Int16Array, bfi: number): void {
    const past = this.pastQuaEn;
    if (bfi !== 0) {
      this.gainPitch = mult(this.gainPitch, 29491);
      if (sub(this.gainPitch, 29491) > 0) this.gainPitch = 29491;
      this.gainCode = mult(this.gainCode, 32111);
      let t = 0;
      for (let i = 0; i < 4; i++) t = L_add(t, past[i]!);
      let av = sub(extract_l(L_shr(t, 2)), 4096);
      if (sub(av, -14336) < 0) av = -14336;
      for (let i = 3; i > 0; i--) past[i] = past[i - 1]!;
      past[0] = av;
      return;
    }
    const i1 = IMAP1[shr(index, 4)]!;
    const i2 = IMAP2[index & 15]!;
    this.gainPitch = add(GBK1[i1 * 2]!, GBK2[i2 * 2]!);
    // Gain_predict
    let t = 0;
    for (let i = 0; i < L_SUBFR; i++) t = L_mac(t, code[i]!, code[i]!);
    let [exp, frac] = log2Pair(t);
    t = mpy3216(exp, frac, -24660);
    t = L_mac(t, 32588, 32);
    t = L_shl(t, 10);
    for (let i = 0; i < 4; i++) t = L_mac(t, PRED[i]!, past[i]!);
    let gcode0 = extract_h(t);
    t = L_shr(L_mult(gcode0, 5439), 8);
    [exp, frac] = lExtract(t);
    gcode0 = extract_l(pow2(14, frac));
    const expGcode0 = sub(14, exp);
    // the code gain
    const gbk12 = L_add(GBK1[i1 * 2 + 1]!, GBK2[i2 * 2 + 1]!);
    const tmp = extract_l(L_shr(gbk12, 1));
    let acc = L_mult(tmp, gcode0);
    acc = L_shl(acc, add(negate(expGcode0), -12 - 1 + 1 + 16));
    this.gainCode = extract_h(acc);
    // Gain_update
    for (let i = 3; i > 0; i--) past[i] = past[i - 1]!;
    [exp, frac] = log2Pair(gbk12);
    past[0] = mult(extract_h(L_shl(lComp(sub(exp, 13), frac), 13)), 24660);
  }

  private postFilter(az: Int16Array[], t2: number[], voiced: boolean): void {
    const syn = this.synthBuf;
    const synPst = new Int16Array(L_FRAME);
    const res2 = this.res2Buf;
    const scal = this.scalRes2Buf;
    for (let sf = 0; sf < 2; sf++) {
      let t0Min = sub(t2[sf]!, 3);
      let t0Max = add(t0Min, 6);
      if (sub(t0Max, PIT_MAX) > 0) {
        t0Max = PIT_MAX;
        t0Min = sub(t0Max, 6);
      }
      const ap3 = weightAz(az[sf]!, 18022);
      const ap4 = weightAz(az[sf]!, 22938);
      const r = new Int16Array(L_SUBFR);
      residu(ap3, syn, M + sf * L_SUBFR, r, L_SUBFR);
      res2.set(r, PIT_MAX);
      for (let j = 0; j < L_SUBFR; j++) scal[PIT_MAX + j] = shr(res2[PIT_MAX + j]!, 2);
      const pst = voiced ? this.pitPstFilt(t0Min, t0Max) : res2.slice(PIT_MAX, PIT_MAX + L_SUBFR);
      // tilt: impulse response of A(z/γ2)/A(z/γ1), its first correlations
      const hIn = new Int16Array(L_H);
      hIn.set(ap3);
      const h = new Int16Array(L_H);
      synFilt(ap4, hIn, h, L_H, new Int16Array(M), false);
      let L = L_mult(h[0]!, h[0]!);
      for (let i = 1; i < L_H; i++) L = L_mac(L, h[i]!, h[i]!);
      const temp1 = extract_h(L);
      L = L_mult(h[0]!, h[1]!);
      for (let i = 1; i < L_H - 1; i++) L = L_mac(L, h[i]!, h[i + 1]!);
      let temp2 = extract_h(L);
      if (temp2 <= 0) temp2 = 0;
      else temp2 = div_s(mult(temp2, 26214), temp1);
      // preemphasis, from the last sample down
      const last = pst[L_SUBFR - 1]!;
      for (let i = L_SUBFR - 1; i > 0; i--) pst[i] = sub(pst[i]!, mult(temp2, pst[i - 1]!));
      pst[0] = sub(pst[0]!, mult(temp2, this.memPre));
      this.memPre = last;
      const out = new Int16Array(L_SUBFR);
      synFilt(ap4, pst, out, L_SUBFR, this.memSynPst, true);
      this.agc(syn.subarray(M + sf * L_SUBFR), out);
      synPst.set(out, sf * L_SUBFR);
      res2.copyWithin(0, L_SUBFR, L_SUBFR + PIT_MAX);
      scal.copyWithin(0, L_SUBFR, L_SUBFR + PIT_MAX);
    }
    syn.copyWithin(0, L_FRAME, L_FRAME + M);
    syn.set(synPst, M);
  }

  private pitPstFilt(t0Min: number, t0Max: number): Int16Array {
    const sig = this.res2Buf;
    const scal = this.scalRes2Buf;
    const o = PIT_MAX;
    let corMax = MIN_32;
    let t0 = t0Min;
    for (let i = t0Min; i <= t0Max; i++) {
      let corr = 0;
      for (let j = 0; j < L_SUBFR; j++) corr = L_mac(corr, scal[o + j]!, scal[o + j - i]!);
      if (L_sub(corr, corMax) > 0) {
        corMax = corr;
        t0 = i;
      }
    }
    let ener = 1;
    for (let i = 0; i < L_SUBFR; i++) ener = L_mac(ener, scal[o - t0 + i]!, scal[o - t0 + i]!);
    let ener0 = 1;
    for (let i = 0; i < L_SUBFR; i++) ener0 = L_mac(ener0, scal[o + i]!, scal[o + i]!);
    if (corMax < 0) corMax = 0;
    let temp = corMax;
    if (ener > temp) temp = ener;
    if (ener0 > temp) temp = ener0;
    const j = norm_l(temp);
    let cmax = round(L_shl(corMax, j));
    let en = round(L_shl(ener, j));
    const en0 = round(L_shl(ener0, j));
    temp = L_sub(L_mult(cmax, cmax), L_shr(L_mult(en, en0), 1));
    const pst = new Int16Array(L_SUBFR);
    if (temp < 0) {
      for (let i = 0; i < L_SUBFR; i++) pst[i] = sig[o + i]!;
      return pst;
    }
    let g0: number;
    let gain: number;
    if (sub(cmax, en) > 0) {
      g0 = 21845;
      gain = 10923;
    } else {
      cmax = shr(mult(cmax, 16384), 1);
      en = shr(en, 1);
      const s = add(cmax, en);
      if (s > 0) {
        gain = div_s(cmax, s);
        g0 = sub(32767, gain);
      } else {
        g0 = 32767;
        gain = 0;
      }
    }
    for (let i = 0; i < L_SUBFR; i++) pst[i] = add(mult(g0, sig[o + i]!), mult(gain, sig[o + i - t0]!));
    return pst;
  }

  private agc(sigIn: Int16Array, sigOut: Int16Array): void {
    let s = 0;
    for (let i = 0; i < L_SUBFR; i++) {
      const v = shr(sigOut[i]!, 2);
      s = L_mac(s, v, v);
    }
    if (s === 0) {
      this.pastGain = 0;
      return;
    }
    let exp = sub(norm_l(s), 1);
    const gainOut = round(L_shl(s, exp));
    s = 0;
    for (let i = 0; i < L_SUBFR; i++) {
      const v = shr(sigIn[i]!, 2);
      s = L_mac(s, v, v);
    }
    let g0 = 0;
    if (s !== 0) {
      const i = norm_l(s);
      const gainIn = round(L_shl(s, i));
      exp = sub(exp, i);
      s = L_shr(L_shl(div_s(gainOut, gainIn), 7), exp);
      g0 = mult(round(L_shl(invSqrt(s), 9)), 3276);
    }
    let gain = this.pastGain;
    for (let i = 0; i < L_SUBFR; i++) {
      gain = add(mult(gain, 29491), g0);
      sigOut[i] = extract_h(L_shl(L_mult(sigOut[i]!, gain), 3));
    }
    this.pastGain = gain;
  }

  private postProcess(): Int16Array {
    const out = new Int16Array(L_FRAME);
    for (let i = 0; i < L_FRAME; i++) {
      const x2 = this.x1;
      this.x1 = this.x0;
      this.x0 = this.synthBuf[M + i]!;
      let L = mpy3216(this.y1Hi, this.y1Lo, A100[1]!);
      L = L_add(L, mpy3216(this.y2Hi, this.y2Lo, A100[2]!));
      L = L_mac(L, this.x0, B100[0]!);
      L = L_mac(L, this.x1, B100[1]!);
      L = L_mac(L, x2, B100[2]!);
      L = L_shl(L, 2);
      out[i] = round(L_shl(L, 1));
      this.y2Hi = this.y1Hi;
      this.y2Lo = this.y1Lo;
      [this.y1Hi, this.y1Lo] = lExtract(L);
    }
    return out;
  }
}
