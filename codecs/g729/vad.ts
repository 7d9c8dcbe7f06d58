/**
 * Annex B voice activity detector (G.729 Annex B §B.3), fixed point as the Recommendation
 * defines it. Per 10 ms frame it measures four parameters: full-band energy Ef and low-band
 * energy El (both from the frame's autocorrelation, in Q11 log10 units), the zero-crossing
 * rate ZC of the present frame, and the spectral distortion SD of the frame's LSFs against
 * their running mean. It keeps running means of the background (Ē, Ēl, ZC̄, LSF̄), learnt
 * over the first 32 frames and then updated in noise-like frames, and a sliding minimum of
 * the energy over the last 128 frames. The initial decision (§B.3.5) compares the
 * differences dSE, dSLE, dSZC, SD with the Recommendation's 14 linear boundaries; then the
 * smoothing/hangover stages (§B.3.6) hold speech through short dips and release it after
 * long stationary stretches.
 */
import {
  abs_s,
  add,
  extract_h,
  L_add,
  L_Comp,
  L_deposit_h,
  L_mac,
  L_mult,
  L_shl,
  L_shr,
  MAX_16,
  Mpy_32_16,
  mult,
  round,
  shl,
  sub,
} from './basic-ops.ts';
import { log2 } from './log-pow.ts';
import { M } from './lsp.ts';
import { FACTOR_FX, LBF_CORR, SHIFT_FX, SLOPE_ACOS_NORM, TABLE2 } from './tables.ts';

/** Order of the autocorrelation the VAD's low-band energy needs (NP). */
export const VAD_NP = 12;
export const NOISE = 0;
export const VOICE = 1;
const INIT_FRAME = 32;
const INIT_COUNT = 20;
const ZC_START = 120;
const ZC_END = 200;
/** 15 dB in Q11 log10 units: quieter frames are noise without further test. */
const E_FLOOR = 3072;
/** 3 dB in Q11 log10 units. */
const E_3DB = 614;

/** LSP (Q15 cosines) → LSF normalised to [0, 0.5] in Q15 (Lsp_lsf). */
export function lspToLsfNorm(lsp: Int16Array, lsf: Int16Array): void {
  let ind = 63;
  for (let i = M - 1; i >= 0; i--) {
    while (ind > 0 && sub(TABLE2[ind]!, lsp[i]!) < 0) ind--;
    const t = L_mult(sub(lsp[i]!, TABLE2[ind]!), SLOPE_ACOS_NORM[ind]!);
    lsf[i] = add(round(L_shl(t, 3)), shl(ind, 8));
  }
}

/** Initial decision (MakeDec): VOICE when any of the 14 boundaries is crossed. */
function initialDecision(dSLE: number, dSE: number, SD: number, dSZC: number): number {
  const sdH = L_deposit_h(SD);
  const dseH = L_deposit_h(dSE);
  // SD against dSZC.
  let acc = L_shr(L_mac(L_mult(dSZC, -14680), 8192, -28521), 8);
  if (L_add(acc, sdH) > 0) return VOICE;
  acc = L_shr(L_mac(L_mult(dSZC, 19065), 8192, -19446), 7);
  if (L_add(acc, sdH) > 0) return VOICE;
  // dSE against dSZC.
  acc = L_shr(L_mac(L_mult(dSZC, 20480), 8192, 16384), 2);
  if (L_add(acc, dseH) < 0) return VOICE;
  acc = L_shr(L_mac(L_mult(dSZC, -16384), 8192, 19660), 2);
  if (L_add(acc, dseH) < 0) return VOICE;
  if (L_mac(L_mult(dSE, 32767), 1024, 30802) < 0) return VOICE;
  // dSE against SD.
  if (L_mac(L_mac(L_mult(SD, -28160), 64, 19988), dSE, 512) < 0) return VOICE;
  if (L_mac(L_mult(SD, 32767), 32, -30199) > 0) return VOICE;
  // dSE against dSZC, second group.
  acc = L_shr(L_mac(L_mult(dSZC, -20480), 8192, 22938), 2);
  if (L_add(acc, dseH) < 0) return VOICE;
  acc = L_shr(L_mac(L_mult(dSZC, 23831), 4096, 31576), 2);
  if (L_add(acc, dseH) < 0) return VOICE;
  if (L_mac(L_mult(dSE, 32767), 2048, 17367) < 0) return VOICE;
  // dSLE against SD.
  if (L_mac(L_mac(L_mult(SD, -22400), 32, 25395), dSLE, 256) < 0) return VOICE;
  // dSLE against dSE.
  const dsleH = L_deposit_h(dSLE);
  if (L_add(L_mac(L_mult(dSE, -30427), 256, -29959), dsleH) > 0) return VOICE;
  if (L_add(L_mac(L_mult(dSE, -23406), 512, 28087), dsleH) < 0) return VOICE;
  if (L_mac(L_mac(L_mult(dSE, 24576), 1024, 29491), dSLE, 16384) < 0) return VOICE;
  return NOISE;
}

/** Update weights of the background means by count_update: [COEF, C_COEF, COEFZC, C_COEFZC, COEFSD, C_COEFSD]. */
const UPDATE_WEIGHTS = [
  [24576, 8192, 26214, 6554, 19661, 13017],
  [31130, 1638, 30147, 2621, 21299, 11469],
  [31785, 983, 30802, 1966, 22938, 9830],
  [32440, 328, 31457, 1311, 24576, 8192],
  [32604, 164, 32440, 328, 24576, 8192],
  [32604, 164, 32702, 66, 24576, 8192],
] as const;

/** Log-energy in Q11 log10 units of a normalised 32-bit energy (the VAD's Ef/El). */
function logEnergy(acc: number, expR0: number, scratch: Int32Array): number {
  log2(acc, scratch);
  let t = Mpy_32_16(scratch[0]!, scratch[1]!, 9864);
  t = L_mac(t, 9864, sub(sub(expR0, 1), 1));
  t = L_shl(t, 11);
  return sub(extract_h(t), 4875);
}

/** The VAD state of one encoder channel (vad_init / vad). */
export class Vad {
  private readonly meanLsf = new Int16Array(M);
  private readonly minBuffer = new Int16Array(16);
  private prevMin = 0;
  private nextMin = 0;
  private min = MAX_16;
  private meanE = 0;
  private meanSE = 0;
  private meanSLE = 0;
  private meanSZC = 0;
  private prevEnergy = 0;
  private countSil = 0;
  private countUpdate = 0;
  private countExt = 0;
  private flag = 1;
  private lessCount = 0;
  private readonly scratch = new Int32Array(2);
  /** The last frame's parameters, for tests and diagnostics. */
  readonly last = { energy: 0, energyLow: 0, sd: 0, zc: 0 };

  /**
   * One decision, VOICE (1) or NOISE (0).
   * @param rc1 second reflection coefficient (Q15)
   * @param lsf the frame's unquantised LSFs, normalised (lspToLsfNorm)
   * @param rh lag-windowed autocorrelation r[0..12], high parts (low parts are not needed)
   * @param expR0 autocorr()'s exponent of r[0]
   * @param sigpp the pre-processed 240-sample analysis window
   * @param frame frame counter: 1 for the first frame, wrapping from 32767 to 256
   * @param prev the previous frame's decision, pprev the one before it
   */
  decide(
    rc1: number,
    lsf: Int16Array,
    rh: Int16Array,
    rl: Int16Array,
    expR0: number,
    sigpp: Int16Array,
    frame: number,
    prev: number,
    pprev: number,
  ): number {
    const energy = logEnergy(L_Comp(rh[0]!, rl[0]!), expR0, this.scratch);
    let acc = 0;
    for (let i = 1; i <= VAD_NP; i++) acc = L_mac(acc, rh[i]!, LBF_CORR[i]!);
    acc = L_shl(acc, 1);
    acc = L_mac(acc, rh[0]!, LBF_CORR[0]!);
    const energyLow = logEnergy(acc, expR0, this.scratch);

    acc = 0;
    for (let i = 0; i < M; i++) {
      const d = sub(lsf[i]!, this.meanLsf[i]!);
      acc = L_mac(acc, d, d);
    }
    const SD = extract_h(acc);

    let ZC = 0;
    for (let i = ZC_START + 1; i <= ZC_END; i++) if (mult(sigpp[i - 1]!, sigpp[i]!) < 0) ZC = add(ZC, 410);
    this.last.energy = energy;
    this.last.energyLow = energyLow;
    this.last.sd = SD;
    this.last.zc = ZC;

    this.trackMinimum(energy, frame);

    let marker = NOISE;
    if (frame <= INIT_FRAME) {
      if (energy < E_FLOOR) {
        marker = NOISE;
        this.lessCount++;
      } else {
        marker = VOICE;
        this.meanE = extract_h(L_mac(L_deposit_h(this.meanE), energy, 1024));
        this.meanSZC = extract_h(L_mac(L_deposit_h(this.meanSZC), ZC, 1024));
        for (let i = 0; i < M; i++)
          this.meanLsf[i] = extract_h(L_mac(L_deposit_h(this.meanLsf[i]!), lsf[i]!, 1024));
      }
    }
    if (frame >= INIT_FRAME) {
      if (frame === INIT_FRAME) this.finishInit();
      const dSE = sub(this.meanSE, energy);
      const dSLE = sub(this.meanSLE, energyLow);
      const dSZC = sub(this.meanSZC, ZC);
      marker = energy < E_FLOOR ? NOISE : initialDecision(dSLE, dSE, SD, dSZC);

      // Smoothing stage 1: speech goes on while the energy stays well above the background.
      let vFlag = 0;
      if (prev === VOICE && marker === NOISE && add(dSE, 410) < 0 && energy > E_FLOOR) {
        marker = VOICE;
        vFlag = 1;
      }
      // Stage 2: after two speech frames, up to four more while the energy is steady (±3 dB).
      if (this.flag === 1) {
        if (
          pprev === VOICE &&
          prev === VOICE &&
          marker === NOISE &&
          abs_s(sub(this.prevEnergy, energy)) <= E_3DB
        ) {
          this.countExt++;
          marker = VOICE;
          vFlag = 1;
          if (this.countExt > 4) {
            this.countExt = 0;
            this.flag = 0;
          }
        }
      } else this.flag = 1;
      // Stage 3: a speech frame after more than 10 noise frames without an energy rise is noise.
      if (marker === NOISE) this.countSil++;
      if (marker === VOICE && this.countSil > 10 && sub(energy, this.prevEnergy) <= E_3DB) {
        marker = NOISE;
        this.countSil = 0;
      }
      if (marker === VOICE) this.countSil = 0;
      // Stage 4: near the background energy, with a flat spectrum, is noise.
      if (sub(energy, E_3DB) < this.meanSE && frame > 128 && vFlag === 0 && rc1 < 19661) marker = NOISE;

      // Background update.
      if (sub(energy, E_3DB) < this.meanSE && rc1 < 24576 && SD < 83)
        this.updateMeans(energy, energyLow, ZC, lsf);
      if (frame > 128 && ((this.meanSE < this.min && SD < 83) || sub(this.meanSE, this.min) > 2048)) {
        this.meanSE = this.min;
        this.countUpdate = 0;
      }
    }
    this.prevEnergy = energy;
    return marker;
  }

  /** The sliding minimum of the energy: 16 blocks of 8 frames (Min, Prev_Min, Next_Min, Min_buffer). */
  private trackMinimum(energy: number, frame: number): void {
    const buf = this.minBuffer;
    if (frame < 129) {
      if (energy < this.min) {
        this.min = energy;
        this.prevMin = energy;
      }
      if ((frame & 7) === 0) {
        buf[(frame >> 3) - 1] = this.min;
        this.min = MAX_16;
      }
    }
    if ((frame & 7) === 0) this.prevMin = minOf(buf);
    if (frame >= 129) {
      if ((frame & 7) === 1) {
        this.min = this.prevMin;
        this.nextMin = MAX_16;
      }
      if (energy < this.min) this.min = energy;
      if (energy < this.nextMin) this.nextMin = energy;
      if ((frame & 7) === 0) {
        buf.copyWithin(0, 1);
        buf[15] = this.nextMin;
        this.prevMin = minOf(buf);
      }
    }
  }

  /** Frame 32: the sums over the loud initial frames become means; the background starts below them. */
  private finishInit(): void {
    // All 32 frames quiet: the sums are 0 and stay 0 (the reference's tables end with 0 there).
    const n = Math.min(this.lessCount, 32);
    const f = FACTOR_FX[n]!;
    const s = SHIFT_FX[n]!;
    this.meanE = extract_h(L_shl(L_mult(this.meanE, f), s));
    this.meanSZC = extract_h(L_shl(L_mult(this.meanSZC, f), s));
    for (let i = 0; i < M; i++) this.meanLsf[i] = extract_h(L_shl(L_mult(this.meanLsf[i]!, f), s));
    this.meanSE = sub(this.meanE, 2048);
    this.meanSLE = sub(this.meanE, 2458);
  }

  private updateMeans(energy: number, energyLow: number, ZC: number, lsf: Int16Array): void {
    this.countUpdate++;
    const k =
      this.countUpdate < INIT_COUNT ? 0 : Math.min(5, Math.floor((this.countUpdate - INIT_COUNT) / 10) + 1);
    const [coef, cCoef, coefZc, cCoefZc, coefSd, cCoefSd] = UPDATE_WEIGHTS[k]!;
    this.meanSE = extract_h(L_mac(L_mult(coef, this.meanSE), cCoef, energy));
    this.meanSLE = extract_h(L_mac(L_mult(coef, this.meanSLE), cCoef, energyLow));
    this.meanSZC = extract_h(L_mac(L_mult(coefZc, this.meanSZC), cCoefZc, ZC));
    for (let i = 0; i < M; i++)
      this.meanLsf[i] = extract_h(L_mac(L_mult(coefSd, this.meanLsf[i]!), cCoefSd, lsf[i]!));
  }
}

function minOf(buf: Int16Array): number {
  let m = buf[0]!;
  for (let i = 1; i < buf.length; i++) if (buf[i]! < m) m = buf[i]!;
  return m;
}
