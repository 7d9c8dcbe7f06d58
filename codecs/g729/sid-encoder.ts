/**
 * Annex B SID frame at the encoder (G.729 Annex B §B.4.2–B.4.4): the noise LSF quantiser
 * (MA-predicted, 1 + 5 + 4 bits, sub-codebooks of the speech LSP codebooks, with its own
 * predictor coefficients and a tree search keeping four first-stage candidates), the SID gain
 * quantiser (5 bits, averaged residual energy in dB), and the 15-bit frame in the 2-byte
 * layout of RFC 3551 §4.5.6 (MA, LSF1, LSF2, gain, one reserved 0 bit).
 */
import {
  add,
  extract_h,
  L_add,
  L_deposit_h,
  L_Extract_hi,
  L_Extract_lo,
  L_mac,
  L_msu,
  L_mult,
  L_shl,
  MAX_16,
  Mpy_32_16,
  mult,
  mult_r,
  shl,
  shr,
  sub,
} from './basic-ops.ts';
import { NOISE_FG } from './comfort-noise.ts';
import { log2 } from './log-pow.ts';
import { expand, type LsfPredictor, lsfToLsp, M, MA_NP, stability } from './lsp.ts';
import { lsfWeights, lspToLsf } from './lsp-quantizer.ts';
import {
  LSPCB1,
  LSPCB2,
  NOISE_FG_SUM,
  NOISE_FG_SUM_INV,
  PTR_TAB_1,
  PTR_TAB_2,
  SID_FACT,
  SID_MARG,
  SID_MODE_WEIGHT,
} from './tables.ts';

export const SID_BYTES = 2;
const L_LIMIT = 40;
const M_LIMIT = 25681;
const GAP3 = 321;
/** First-stage candidates kept by the tree search. */
const CANDIDATES = 4;

/** Packs [MA, LSF1, LSF2, gain] into 2 bytes at out[off] (RFC 3551 §4.5.6). */
export function packSid(prm: Int32Array, out: Uint8Array, off: number): void {
  const v = ((prm[0]! & 1) << 14) | ((prm[1]! & 31) << 9) | ((prm[2]! & 15) << 5) | (prm[3]! & 31);
  out[off] = (v >> 7) & 0xff;
  out[off + 1] = (v << 1) & 0xff;
}

/** The quantised energy in dB and its 5-bit index (Quant_Energy). */
function quantEnergy(L_x: number, sh: number, scratch: Int32Array, out: Int32Array): void {
  log2(L_x, scratch);
  let e = shl(sub(scratch[0]!, sh), 10);
  e = add(e, mult_r(scratch[1]!, 1024)); // 2^10 · log2(energy)
  if (sub(e, -2721) <= 0) {
    out[0] = 0; // below −8 dB
    out[1] = -12;
    return;
  }
  if (sub(e, 22111) > 0) {
    out[0] = 31; // above 65 dB
    out[1] = 66;
    return;
  }
  if (sub(e, 4762) <= 0) {
    // Up to 14 dB: steps of 4 dB.
    let index = mult(add(e, 3401), 24);
    if (index < 1) index = 1;
    out[0] = index;
    out[1] = sub(shl(index, 2), 8);
    return;
  }
  // Above: steps of 2 dB.
  let index = sub(shr(mult(sub(e, 340), 193), 2), 1);
  if (index < 6) index = 6;
  out[0] = index;
  out[1] = add(shl(index, 1), 4);
}

/**
 * SID gain (Qua_Sidgain): the mean of the last `nb` residual energies ener[i]·2^−shEner[i]
 * (nb = 1 or 2), quantised. Writes [index, quantised energy in dB] into `out`.
 */
export function quantizeSidGain(
  ener: Int16Array,
  shEner: Int16Array,
  nb: number,
  scratch: Int32Array,
  out: Int32Array,
): void {
  let sh1 = shEner[0]!;
  for (let i = 1; i < nb; i++) if (shEner[i]! < sh1) sh1 = shEner[i]!;
  sh1 = add(sh1, 16 - SID_MARG[nb]!);
  let L_x = 0;
  for (let i = 0; i < nb; i++) L_x = L_add(L_x, L_shl(ener[i]!, sub(sh1, shEner[i]!)));
  L_x = Mpy_32_16(L_Extract_hi(L_x), L_Extract_lo(L_x), SID_FACT[nb]!);
  quantEnergy(L_x, sh1, scratch, out);
}

/** The SID LSF quantiser's scratch and search. */
export class SidLsfQuantizer {
  private readonly lsf = new Int16Array(M);
  private readonly lsfq = new Int16Array(M);
  private readonly weight = new Int16Array(M);
  private readonly err = new Int16Array(2 * M);
  private readonly cand = new Int16Array(CANDIDATES * M);
  private readonly candMode = new Int32Array(CANDIDATES);
  private readonly candIdx = new Int32Array(CANDIDATES);
  private readonly dist = new Int32Array(2 * 32);
  private readonly q = new Int16Array(M);
  private readonly w2 = new Int16Array(2 * M);

  /**
   * Quantises lsp (Q15) into lspq (Q15) with the speech quantiser's MA predictor memory
   * `pred` (which it updates, as the decoder will), and writes [MA, LSF1, LSF2] into prm[0..2]
   * (lsfq_noise).
   */
  quantize(lsp: Int16Array, lspq: Int16Array, pred: LsfPredictor, prm: Int32Array): void {
    const { lsf, weight, err } = this;
    lspToLsf(lsp, lsf);
    // Spacing of about 100 Hz.
    if (lsf[0]! < L_LIMIT) lsf[0] = L_LIMIT;
    for (let i = 0; i < M - 1; i++)
      if (sub(lsf[i + 1]!, lsf[i]!) < 2 * GAP3) lsf[i + 1] = add(lsf[i]!, 2 * GAP3);
    if (lsf[M - 1]! > M_LIMIT) lsf[M - 1] = M_LIMIT;
    if (lsf[M - 1]! < lsf[M - 2]!) lsf[M - 2] = sub(lsf[M - 1]!, GAP3);
    lsfWeights(lsf, weight);

    // Prediction residual of each mode (Lsp_prev_extract with the noise predictor).
    const fp = pred.freqPrev;
    for (let mode = 0; mode < 2; mode++) {
      for (let j = 0; j < M; j++) {
        let t = L_deposit_h(lsf[j]!);
        for (let k = 0; k < MA_NP; k++) t = L_msu(t, fp[k]![j]!, NOISE_FG[(mode * MA_NP + k) * M + j]!);
        t = L_mult(extract_h(t), NOISE_FG_SUM_INV[mode * M + j]!);
        err[mode * M + j] = extract_h(L_shl(t, 3));
      }
    }

    // First stage: unweighted error per (mode, entry), scaled by the mode's weight; keep four.
    const dist = this.dist;
    for (let p = 0; p < 2; p++) {
      for (let m = 0; m < 32; m++) {
        const c = PTR_TAB_1[m]! * M;
        let acc = 0;
        for (let l = 0; l < M; l++) {
          const d = sub(err[p * M + l]!, LSPCB1[c + l]!);
          acc = L_mac(acc, d, d);
        }
        dist[p * 32 + m] = mult(extract_h(acc), SID_MODE_WEIGHT[p]!);
      }
    }
    const { cand, candMode, candIdx } = this;
    for (let q = 0; q < CANDIDATES; q++) {
      let best = MAX_16;
      let bp = 0;
      let bm = 0;
      for (let p = 0; p < 2; p++) {
        for (let m = 0; m < 32; m++) {
          if (sub(dist[p * 32 + m]!, best) < 0) {
            best = dist[p * 32 + m]!;
            bp = p;
            bm = m;
          }
        }
      }
      dist[bp * 32 + bm] = MAX_16;
      candMode[q] = bp;
      candIdx[q] = bm;
      const c = PTR_TAB_1[bm]! * M;
      for (let l = 0; l < M; l++) cand[q * M + l] = sub(err[bp * M + l]!, LSPCB1[c + l]!);
    }

    // Second stage: error weighted by the LSF weights and the mode's fg_sum², one index for
    // both halves; the best (candidate, entry) wins.
    const w2 = this.w2;
    for (let p = 0; p < 2; p++) {
      for (let l = 0; l < M; l++) {
        const s = NOISE_FG_SUM[p * M + l]!;
        w2[p * M + l] = mult(extract_h(L_shl(L_mult(s, s), 2)), weight[l]!);
      }
    }
    let best = MAX_16;
    let bq = 0;
    let bm = 0;
    for (let q = 0; q < CANDIDATES; q++) {
      const p = candMode[q]!;
      for (let m = 0; m < 16; m++) {
        const lo = PTR_TAB_2[m]! * M;
        const hi = PTR_TAB_2[16 + m]! * M;
        let acc = 0;
        for (let l = 0; l < M; l++) {
          const d = sub(cand[q * M + l]!, LSPCB2[(l < M / 2 ? lo : hi) + l]!);
          const t = extract_h(L_shl(L_mult(w2[p * M + l]!, d), 3));
          acc = L_mac(acc, t, d);
        }
        const s = extract_h(acc);
        if (sub(s, best) < 0) {
          best = s;
          bq = q;
          bm = m;
        }
      }
    }
    const mode = candMode[bq]!;
    prm[0] = mode;
    prm[1] = candIdx[bq]!;
    prm[2] = bm;

    // The decoder's reconstruction (as comfort-noise.ts decodes it), which updates the predictor.
    const qv = this.q;
    const c1 = PTR_TAB_1[prm[1]!]! * M;
    const lo = PTR_TAB_2[bm]! * M;
    const hi = PTR_TAB_2[16 + bm]! * M;
    for (let i = 0; i < M; i++) qv[i] = add(LSPCB1[c1 + i]!, LSPCB2[(i < M / 2 ? lo : hi) + i]!);
    expand(qv, 10);
    const lsfq = this.lsfq;
    for (let j = 0; j < M; j++) {
      let acc = L_mult(qv[j]!, NOISE_FG_SUM[mode * M + j]!);
      for (let k = 0; k < MA_NP; k++) acc = L_mac(acc, fp[k]![j]!, NOISE_FG[(mode * MA_NP + k) * M + j]!);
      lsfq[j] = extract_h(acc);
    }
    pred.update(qv);
    stability(lsfq);
    lsfToLsp(lsfq, lspq);
  }
}
