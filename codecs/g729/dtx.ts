/**
 * Annex B discontinuous transmission at the encoder (G.729 Annex B §B.4.1, Cod_cng and
 * Update_cng): in a frame the VAD calls noise, decides whether to send a SID frame or nothing,
 * and produces the comfort-noise excitation the decoder will produce, so that the encoder's
 * memories follow the decoder's.
 *
 * The first noise frame after speech is always a SID frame. After it, a SID frame is sent
 * (at most every third frame) when the noise changed: the LPC filter of the last two frames
 * differs from the one last sent by more than a threshold of the Itakura distance, or the
 * quantised energy differs from the last sent by more than 2 dB. Otherwise nothing is sent
 * (0 bytes). The SID filter is the average over the last 6 frames when that is close to the
 * present one, else the present one.
 */
import {
  abs_s,
  add,
  extract_h,
  L_add,
  L_mac,
  L_mult,
  L_shl,
  L_shr,
  L_sub,
  mult_r,
  negate,
  norm_l,
  overflow,
  round,
  shr,
  sub,
} from './basic-ops.ts';
import { calcExcRand } from './comfort-noise.ts';
import type { Taming } from './encoder-pitch.ts';
import { azToLsp, type Levinson } from './lp-analysis.ts';
import { interpolateAz, type LsfPredictor, M, MP1 } from './lsp.ts';
import { quantizeSidGain, SidLsfQuantizer } from './sid-encoder.ts';
import { TAB_SIDGAIN } from './tables.ts';

const NB_CURACF = 2;
const NB_SUMACF = 3;
const NB_GAIN = 2;
const FR_SID_MIN = 3;
const FRAC_THRESH1 = 4855;
const FRAC_THRESH2 = 3161;
const A_GAIN0 = 28672;
const A_GAIN1 = 4096;

/** Frame types of Annex B: 0 nothing sent, 1 speech, 2 SID. */
export const FTYP_NONE = 0;
export const FTYP_SPEECH = 1;
export const FTYP_SID = 2;

/** sum = Σ of nb scaled autocorrelations acf[i]·2^−shAcf[i], renormalised; returns its exponent (Calc_sum_acf). */
function sumAcf(
  acf: Int16Array,
  shAcf: Int16Array,
  nb: number,
  sum: Int16Array,
  L_tab: Float64Array,
): number {
  let sh0 = shAcf[0]!;
  for (let i = 1; i < nb; i++) if (shAcf[i]! < sh0) sh0 = shAcf[i]!;
  sh0 = add(sh0, 14);
  L_tab.fill(0);
  for (let i = 0; i < nb; i++) {
    const t = sub(sh0, shAcf[i]!);
    for (let j = 0; j < MP1; j++) L_tab[j] = L_add(L_tab[j]!, L_shl(acf[i * MP1 + j]!, t));
  }
  const n = norm_l(L_tab[0]!);
  for (let j = 0; j < MP1; j++) sum[j] = extract_h(L_shl(L_tab[j]!, n));
  return add(sh0, sub(n, 16));
}

/** Autocorrelation of the LPC coefficients, normalised, for the Itakura distance (Calc_RCoeff); returns its shift. */
function lpcAutocorr(coeff: Int16Array, r: Int16Array): number {
  let acc = 0;
  for (let j = 0; j <= M; j++) acc = L_mac(acc, coeff[j]!, coeff[j]!);
  const sh = norm_l(acc);
  r[0] = round(L_shl(acc, sh));
  for (let i = 1; i <= M; i++) {
    acc = 0;
    for (let j = 0; j <= M - i; j++) acc = L_mac(acc, coeff[j]!, coeff[j + i]!);
    r[i] = round(L_shl(acc, sh));
  }
  return sh;
}

/** 1 when the filter whose autocorrelation is `r` is farther from `acf` than alpha·(1 + thresh) (Cmp_filt). */
function filterDiffers(r: Int16Array, shR: number, acf: Int16Array, alpha: number, thresh: number): boolean {
  const sh = [0, 0];
  let ind = 1;
  let L_temp0 = 0;
  for (let guard = 0; guard < 64; guard++) {
    overflow.flag = 0;
    L_temp0 = L_shr(L_mult(shr(r[0]!, sh[0]!), shr(acf[0]!, sh[1]!)), 1);
    for (let i = 1; i <= M; i++) L_temp0 = L_mac(L_temp0, shr(r[i]!, sh[0]!), shr(acf[i]!, sh[1]!));
    if (overflow.flag === 0) break;
    sh[ind] = add(sh[ind]!, 1);
    ind = 1 - ind;
  }
  overflow.flag = 0;
  let L_temp1 = L_add(mult_r(alpha, thresh), alpha);
  L_temp1 = L_shl(L_temp1, sub(add(shR, 9), add(sh[0]!, sh[1]!)));
  return L_sub(L_temp0, L_temp1) > 0;
}

/** The encoder's DTX state (Init_Cod_cng and its statics). */
export class Dtx {
  private readonly lspSid = new Int16Array(M);
  private readonly pastCoeff = new Int16Array(MP1);
  private readonly rCoeff = new Int16Array(MP1);
  private shRCoeff = 0;
  private readonly acf = new Int16Array(NB_CURACF * MP1);
  private readonly shAcf = new Int16Array(NB_CURACF).fill(40);
  private readonly sumAcfBuf = new Int16Array(NB_SUMACF * MP1);
  private readonly shSumAcf = new Int16Array(NB_SUMACF).fill(40);
  private readonly ener = new Int16Array(NB_GAIN);
  private readonly shEner = new Int16Array(NB_GAIN).fill(40);
  private frCur = 0;
  private curGain = 0;
  private nbEner = 0;
  private sidGain = 0;
  private flagChang = 0;
  private prevEnergy = 0;
  private countFr0 = 0;
  private readonly lsfQ = new SidLsfQuantizer();
  // scratch
  private readonly curAcf = new Int16Array(MP1);
  private readonly curCoeff = new Int16Array(MP1);
  private readonly zero = new Int16Array(MP1);
  private readonly bid = new Int16Array(M);
  private readonly lspNew = new Int16Array(M);
  private readonly sAcf = new Int16Array(MP1);
  private readonly L_tab = new Float64Array(MP1);
  private readonly scratch = new Int32Array(2);
  private readonly gainOut = new Int32Array(2);
  private readonly sidIdx = new Int32Array(3);
  /** The last SID frame's parameters [MA, LSF1, LSF2, gain]. */
  readonly sidPrm = new Int32Array(4);

  /** Every frame, after the VAD: keeps the unwindowed autocorrelation r[0..10] (Update_cng). */
  update(rh: Int16Array, expR0: number, vad: number): void {
    this.acf.copyWithin(MP1, 0, (NB_CURACF - 1) * MP1);
    for (let i = NB_CURACF - 1; i >= 1; i--) this.shAcf[i] = this.shAcf[i - 1]!;
    this.shAcf[0] = negate(add(16, expR0));
    for (let i = 0; i < MP1; i++) this.acf[i] = rh[i]!;
    this.frCur = add(this.frCur, 1);
    if (this.frCur === NB_CURACF) {
      this.frCur = 0;
      if (vad !== 0) this.updateSumAcf();
    }
  }

  /**
   * A noise frame (Cod_cng): decides SID or nothing, writes the SID parameters into sidPrm
   * when it sends one, the comfort-noise excitation into exc[off .. off+80), the interpolated
   * LP filters into aq, and moves lspOldQ to the SID LSPs. `levinson` is the encoder's own
   * (Annex B shares its memory of the last stable filter), `pred` the LSP quantiser's MA
   * memory, `taming` the encoder's taming memory. Returns FTYP_SID or FTYP_NONE.
   */
  frame(
    exc: Int16Array,
    off: number,
    pastVad: number,
    lspOldQ: Int16Array,
    aq: Int16Array,
    pred: LsfPredictor,
    seed: { seed: number },
    levinson: Levinson,
    taming: Taming,
  ): number {
    const { ener, shEner, curAcf, curCoeff } = this;
    for (let i = NB_GAIN - 1; i >= 1; i--) {
      ener[i] = ener[i - 1]!;
      shEner[i] = shEner[i - 1]!;
    }
    shEner[0] = sumAcf(this.acf, this.shAcf, NB_CURACF, curAcf, this.L_tab);
    if (curAcf[0] === 0) ener[0] = 0;
    else {
      levinson.err = ener[0]!;
      levinson.run(curAcf, this.zero, curCoeff, this.bid);
      ener[0] = levinson.err;
    }

    let ftyp: number;
    const g = this.gainOut;
    if (pastVad !== 0) {
      ftyp = FTYP_SID;
      this.countFr0 = 0;
      this.nbEner = 1;
      quantizeSidGain(ener, shEner, this.nbEner, this.scratch, g);
    } else {
      this.nbEner = Math.min(add(this.nbEner, 1), NB_GAIN);
      quantizeSidGain(ener, shEner, this.nbEner, this.scratch, g);
      if (filterDiffers(this.rCoeff, this.shRCoeff, curAcf, ener[0]!, FRAC_THRESH1)) this.flagChang = 1;
      if (sub(abs_s(sub(this.prevEnergy, g[1]!)), 2) > 0) this.flagChang = 1;
      this.countFr0 = add(this.countFr0, 1);
      if (this.countFr0 < FR_SID_MIN) ftyp = FTYP_NONE;
      else {
        ftyp = this.flagChang !== 0 ? FTYP_SID : FTYP_NONE;
        this.countFr0 = FR_SID_MIN;
      }
    }

    if (ftyp === FTYP_SID) {
      this.countFr0 = 0;
      this.flagChang = 0;
      this.pastFilter(levinson);
      this.shRCoeff = lpcAutocorr(this.pastCoeff, this.rCoeff);
      let lpc = this.pastCoeff;
      if (filterDiffers(this.rCoeff, this.shRCoeff, curAcf, ener[0]!, FRAC_THRESH2)) {
        lpc = curCoeff;
        this.shRCoeff = lpcAutocorr(curCoeff, this.rCoeff);
      }
      azToLsp(lpc, this.lspNew, lspOldQ);
      this.lsfQ.quantize(this.lspNew, this.lspSid, pred, this.sidIdx);
      this.prevEnergy = g[1]!;
      this.sidPrm[0] = this.sidIdx[0]!;
      this.sidPrm[1] = this.sidIdx[1]!;
      this.sidPrm[2] = this.sidIdx[2]!;
      this.sidPrm[3] = g[0]!;
      this.sidGain = TAB_SIDGAIN[g[0]!]!;
    }

    if (pastVad !== 0) this.curGain = this.sidGain;
    else this.curGain = add(mult_r(this.curGain, A_GAIN0), mult_r(this.sidGain, A_GAIN1));
    calcExcRand(this.curGain, exc, off, seed, (gp, t0) => taming.update(gp, t0));
    interpolateAz(lspOldQ, this.lspSid, aq);
    lspOldQ.set(this.lspSid);
    if (this.frCur === 0) this.updateSumAcf();
    return ftyp;
  }

  /** The average filter of the last NB_SUMACF·NB_CURACF frames (Calc_pastfilt). */
  private pastFilter(levinson: Levinson): void {
    sumAcf(this.sumAcfBuf, this.shSumAcf, NB_SUMACF, this.sAcf, this.L_tab);
    if (this.sAcf[0] === 0) {
      this.pastCoeff.fill(0);
      this.pastCoeff[0] = 4096;
      return;
    }
    levinson.run(this.sAcf, this.zero, this.pastCoeff, this.bid);
  }

  private updateSumAcf(): void {
    this.sumAcfBuf.copyWithin(MP1, 0, (NB_SUMACF - 1) * MP1);
    for (let i = NB_SUMACF - 1; i >= 1; i--) this.shSumAcf[i] = this.shSumAcf[i - 1]!;
    this.shSumAcf[0] = sumAcf(this.acf, this.shAcf, NB_CURACF, this.sumAcfBuf, this.L_tab);
  }
}
