/**
 * G.729 Annex A encoder (G.729 §3 with Annex A's simplifications), fixed point, frame by
 * frame: pre-processing, LP analysis and LSP quantisation, perceptual weighting, open-loop
 * and closed-loop pitch, algebraic codebook, gain quantisation, then the 80-bit frame.
 * With `{ vad: true }` the encoder runs Annex B's VAD (vad.ts) and DTX (dtx.ts): a frame the
 * VAD calls noise becomes a 2-byte SID frame or is not sent at all (0 bytes). Off by default:
 * then every frame is a 10-byte voice frame, exactly as without Annex B.
 */

import { acelpCodeA as imported_acelpCodeA } from './acelp-search.ts';
import {
  MAX_32 as IMPORTED_MAX_32,
  MIN_32 as IMPORTED_MIN_32,
  add as imported_add,
  lMult as imported_lMult,
  mult as imported_mult,
  sat16 as imported_sat16,
  sat32 as imported_sat32,
  sub as imported_sub,
  updateExcitation as imported_updateExcitation,
} from './basic-ops.ts';
import {
  PRM_SIZE as IMPORTED_PRM_SIZE,
  packFrame as imported_packFrame,
  parity as imported_parity,
} from './bitstream.ts';
import { INIT_SEED as IMPORTED_INIT_SEED } from './comfort-noise.ts';
import { Dtx, FTYP_SID as IMPORTED_FTYP_SID } from './dtx.ts';
import {
  encodeLag as imported_encodeLag,
  pitchFr3Fast as imported_pitchFr3Fast,
  pitchGain as imported_pitchGain,
  pitchOlFast as imported_pitchOlFast,
  Taming,
} from './encoder-pitch.ts';
import {
  residu as imported_residu,
  synFilt as imported_synFilt,
  weightAz as imported_weightAz,
} from './filters.ts';
import { GainQuantizer, corrXy2 as imported_corrXy2 } from './gain-quantizer.ts';
import {
  L_WINDOW as IMPORTED_L_WINDOW,
  autocorr as imported_autocorr,
  azToLsp as imported_azToLsp,
  lagWindow as imported_lagWindow,
  Levinson,
  PreProcess,
} from './lp-analysis.ts';
import { M as IMPORTED_M, MP1 as IMPORTED_MP1, interpolateAz as imported_interpolateAz } from './lsp.ts';
import { LspQuantizer } from './lsp-quantizer.ts';
import {
  L_INTERPOL as IMPORTED_L_INTERPOL,
  PIT_MAX as IMPORTED_PIT_MAX,
  PIT_MIN as IMPORTED_PIT_MIN,
} from './pitch.ts';
import { SID_BYTES as IMPORTED_SID_BYTES, packSid as imported_packSid } from './sid-encoder.ts';
import { VAD_NP as IMPORTED_VAD_NP, lspToLsfNorm as imported_lspToLsfNorm, Vad } from './vad.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const acelpCodeA = imported_acelpCodeA;
const add = imported_add;
const lMult = imported_lMult;
const mult = imported_mult;
const sat16 = imported_sat16;
const sat32 = imported_sat32;
const sub = imported_sub;
const updateExcitation = imported_updateExcitation;
const packFrame = imported_packFrame;
const parity = imported_parity;
const encodeLag = imported_encodeLag;
const pitchFr3Fast = imported_pitchFr3Fast;
const pitchGain = imported_pitchGain;
const pitchOlFast = imported_pitchOlFast;
const residu = imported_residu;
const synFilt = imported_synFilt;
const weightAz = imported_weightAz;
const corrXy2 = imported_corrXy2;
const autocorr = imported_autocorr;
const azToLsp = imported_azToLsp;
const lagWindow = imported_lagWindow;
const interpolateAz = imported_interpolateAz;
const packSid = imported_packSid;
const lspToLsfNorm = imported_lspToLsfNorm;

// Module-local copies of the imported constants: in a hot loop an imported binding costs a
// load and a check per use (micro-benchmark: a loop bounded by an imported constant 1.37× the
// time of one bounded by a local copy).
const MAX_32 = IMPORTED_MAX_32;
const MIN_32 = IMPORTED_MIN_32;
const PRM_SIZE = IMPORTED_PRM_SIZE;
const INIT_SEED = IMPORTED_INIT_SEED;
const FTYP_SID = IMPORTED_FTYP_SID;
const L_WINDOW = IMPORTED_L_WINDOW;
const M = IMPORTED_M;
const MP1 = IMPORTED_MP1;
const L_INTERPOL = IMPORTED_L_INTERPOL;
const PIT_MAX = IMPORTED_PIT_MAX;
const PIT_MIN = IMPORTED_PIT_MIN;
const SID_BYTES = IMPORTED_SID_BYTES;
const VAD_NP = IMPORTED_VAD_NP;

const L_FRAME = 80;
const L_SUBFR = 40;
const L_NEXT = 40;
const L_TOTAL = L_WINDOW; // 240
const SPEECH = L_TOTAL - L_FRAME - L_NEXT; // 120: start of the present frame
const NEW_SPEECH = L_TOTAL - L_FRAME; // 160
const EXC_OFF = PIT_MAX + L_INTERPOL;
const GAMMA1 = 24576;
const SHARPMAX = 13017;
const SHARPMIN = 3277;
const GPCLIP = 15564;

/** Bytes of a voice frame; a SID frame has SID_BYTES (2), an untransmitted frame 0. */
export const FRAME_BYTES = 10;

export interface G729EncoderOptions {
  /** Annex B VAD/DTX: noise frames become 2-byte SID frames or 0-byte (untransmitted) frames. Default false. */
  vad?: boolean;
}

/** Annex B's state of a VAD-enabled encoder. */
class AnnexB {
  readonly vad = new Vad();
  readonly dtx = new Dtx();
  frame = 0;
  pastVad = 1;
  ppastVad = 1;
  readonly seed = { seed: INIT_SEED };
  readonly rhNbe = new Int16Array(MP1);
  readonly lsf = new Int16Array(M);
  /** The last frame's VAD decision (1 speech, 0 noise). */
  lastVad = 1;
}

export class G729Encoder {
  private readonly oldSpeech = new Int16Array(L_TOTAL);
  private readonly oldWsp = new Int16Array(L_FRAME + PIT_MAX);
  private readonly oldExc = new Int16Array(L_FRAME + EXC_OFF);
  private readonly lspOld = Int16Array.from([
    30000, 26000, 21000, 15000, 8000, 0, -8000, -15000, -21000, -26000,
  ]);
  private readonly lspOldQ = Int16Array.from(this.lspOld);
  private readonly memW0 = new Int16Array(M);
  private readonly memW = new Int16Array(M);
  private readonly memZero = new Int16Array(M);
  private sharp = SHARPMIN;
  private readonly pre = new PreProcess();
  private readonly levinson = new Levinson();
  private readonly lspq = new LspQuantizer();
  private readonly gq = new GainQuantizer();
  private readonly taming = new Taming();
  private readonly annexB: AnnexB | undefined;
  // scratch
  private readonly rh = new Int16Array(VAD_NP + 1);
  private readonly rl = new Int16Array(VAD_NP + 1);
  private readonly rc = new Int16Array(M);
  private readonly aUnq = new Int16Array(MP1);
  private readonly lspNew = new Int16Array(M);
  private readonly lspNewQ = new Int16Array(M);
  private readonly aq = new Int16Array(2 * MP1);
  private readonly ap = new Int16Array(2 * MP1);
  private readonly ap1 = new Int16Array(MP1);
  private readonly h1 = new Int16Array(L_SUBFR);
  private readonly xn = new Int16Array(L_SUBFR);
  private readonly xn2 = new Int16Array(L_SUBFR);
  private readonly code = new Int16Array(L_SUBFR);
  private readonly y1 = new Int16Array(L_SUBFR);
  private readonly y2 = new Int16Array(L_SUBFR);
  private readonly gCoeff = new Int32Array(4);
  private readonly gCs = new Int32Array(5);
  private readonly eCs = new Int32Array(5);
  private readonly prm = new Int32Array(PRM_SIZE);
  private readonly lsIdx = new Int32Array(2);
  private readonly frac = new Int32Array(1);
  private readonly range = new Int32Array(2);
  private readonly gains = new Int32Array(2);
  private readonly acelp = new Int32Array(2);

  constructor(options: G729EncoderOptions = {}) {
    this.annexB = options.vad === true ? new AnnexB() : undefined;
  }

  /** True when Annex B VAD/DTX is on. */
  get vadEnabled(): boolean {
    return this.annexB !== undefined;
  }

  /** The VAD's decision on the last frame (1 speech, 0 noise); always 1 with VAD off. */
  get lastVad(): number {
    return this.annexB?.lastVad ?? 1;
  }

  /**
   * Encodes pcm[off .. off+80) into out[outOff ..] and returns the bytes written: 10 for a
   * voice frame, and with VAD on 2 for a SID frame or 0 for a frame not transmitted.
   */
  encodeFrame(pcm: Int16Array, off: number, out: Uint8Array, outOff: number): number {
    const sp = this.oldSpeech;
    for (let i = 0; i < L_FRAME; i++) sp[NEW_SPEECH + i] = pcm[off + i]!;
    this.pre.run(sp, NEW_SPEECH, L_FRAME);
    const prm = this.prm;

    // LP analysis, LSP quantisation, interpolation.
    const b = this.annexB;
    if (b === undefined) {
      autocorr(sp, 0, M, this.rh, this.rl);
      lagWindow(M, this.rh, this.rl);
      this.levinson.run(this.rh, this.rl, this.aUnq, this.rc);
      azToLsp(this.aUnq, this.lspNew, this.lspOld);
    } else {
      b.frame = b.frame === 32767 ? 256 : b.frame + 1;
      const expR0 = autocorr(sp, 0, VAD_NP, this.rh, this.rl);
      for (let i = 0; i < MP1; i++) b.rhNbe[i] = this.rh[i]!;
      lagWindow(VAD_NP, this.rh, this.rl);
      this.levinson.run(this.rh, this.rl, this.aUnq, this.rc);
      azToLsp(this.aUnq, this.lspNew, this.lspOld);
      lspToLsfNorm(this.lspNew, b.lsf);
      const vad = b.vad.decide(
        this.rc[1]!,
        b.lsf,
        this.rh,
        this.rl,
        expR0,
        sp,
        b.frame,
        b.pastVad,
        b.ppastVad,
      );
      b.lastVad = vad;
      b.dtx.update(b.rhNbe, expR0, vad);
      if (vad === 0) return this.noiseFrame(b, out, outOff);
      b.seed.seed = INIT_SEED;
      b.ppastVad = b.pastVad;
      b.pastVad = vad;
    }
    this.lspq.quantize(this.lspNew, this.lspNewQ, this.lsIdx);
    prm[0] = this.lsIdx[0]!;
    prm[1] = this.lsIdx[1]!;
    interpolateAz(this.lspOldQ, this.lspNewQ, this.aq);
    weightAz(this.aq, 0, GAMMA1, this.ap, 0);
    weightAz(this.aq, MP1, GAMMA1, this.ap, MP1);
    this.lspOld.set(this.lspNew);
    this.lspOldQ.set(this.lspNewQ);

    // Weighted speech and open-loop pitch.
    const exc = this.oldExc;
    const wsp = this.oldWsp;
    residu(this.aq, 0, sp, SPEECH, exc, EXC_OFF, L_SUBFR);
    residu(this.aq, MP1, sp, SPEECH + L_SUBFR, exc, EXC_OFF + L_SUBFR, L_SUBFR);
    for (let s = 0; s < 2; s++) {
      const ap1 = this.ap1;
      ap1[0] = 4096;
      for (let i = 1; i <= M; i++)
        ap1[i] = sub(this.ap[s * MP1 + i]!, mult(this.ap[s * MP1 + i - 1]!, 22938));
      synFilt(ap1, 0, exc, EXC_OFF + s * L_SUBFR, wsp, PIT_MAX + s * L_SUBFR, L_SUBFR, this.memW, 0, true);
    }
    const Top = pitchOlFast(wsp, PIT_MAX);
    let t0Min = sub(Top, 3);
    if (t0Min < PIT_MIN) t0Min = PIT_MIN;
    let t0Max = add(t0Min, 6);
    if (t0Max > PIT_MAX) {
      t0Max = PIT_MAX;
      t0Min = sub(t0Max, 6);
    }

    const { h1, xn, xn2, code, y1, y2 } = this;
    let p = 2;
    for (let sf = 0; sf < L_FRAME; sf += L_SUBFR) {
      const apOff = (sf / L_SUBFR) * MP1;
      h1.fill(0);
      h1[0] = 4096;
      synFilt(this.ap, apOff, h1, 0, h1, 0, L_SUBFR, h1, 1, false);
      synFilt(this.ap, apOff, exc, EXC_OFF + sf, xn, 0, L_SUBFR, this.memW0, 0, false);

      const T0 = pitchFr3Fast(exc, EXC_OFF + sf, xn, h1, t0Min, t0Max, sf, this.frac);
      const T0frac = this.frac[0]!;
      const index = encodeLag(T0, T0frac, this.range, sf);
      if (sf === 0) {
        t0Min = this.range[0]!;
        t0Max = this.range[1]!;
      }
      prm[p++] = index;
      if (sf === 0) prm[p++] = parity(index);

      synFilt(this.ap, apOff, exc, EXC_OFF + sf, y1, 0, L_SUBFR, this.memZero, 0, false);
      let gainPit = pitchGain(xn, y1, this.gCoeff);
      const tame = this.taming.test(T0, T0frac);
      if (tame === 1 && sub(gainPit, GPCLIP) > 0) gainPit = GPCLIP;
      // gainPit ≥ 0: L_mult cannot saturate; L_shl(·, 1) and sub can.
      for (let i = 0; i < L_SUBFR; i++) {
        // |y1·gainPit| < 2^15·19661 fits in int32; its ×4 saturates exactly outside ±2^29.
        const p = Math.imul(y1[i]!, gainPit);
        const t = p >= 0x20000000 ? MAX_32 : p < -0x20000000 ? MIN_32 : p << 2;
        const d = xn[i]! - (t >> 16);
        xn2[i] = d > 32767 ? 32767 : Math.max(d, -32768);
      }
      acelpCodeA(xn2, h1, T0, this.sharp, code, y2, this.acelp);
      prm[p++] = this.acelp[0]!;
      prm[p++] = this.acelp[1]!;

      const gCs = this.gCs;
      const eCs = this.eCs;
      gCs[0] = this.gCoeff[0]!;
      eCs[0] = -this.gCoeff[1]!;
      gCs[1] = -this.gCoeff[2]! === 32768 ? 32767 : -this.gCoeff[2]!;
      eCs[1] = -(this.gCoeff[3]! + 1);
      corrXy2(xn, y1, y2, gCs, eCs);
      prm[p++] = this.gq.quantize(code, gCs, eCs, tame, this.gains);
      const gp = this.gains[0]!;
      const gc = this.gains[1]!;

      let sharp = gp;
      if (sharp > SHARPMAX) sharp = SHARPMAX;
      if (sharp < SHARPMIN) sharp = SHARPMIN;
      this.sharp = sharp;

      updateExcitation(exc, EXC_OFF + sf, code, gp, gc, L_SUBFR);
      this.taming.update(gp, T0);
      for (let i = L_SUBFR - M, j = 0; i < L_SUBFR; i++, j++) {
        const temp = sat32(2 * lMult(y1[i]!, gp)) >> 16;
        const k = sat32(4 * lMult(y2[i]!, gc)) >> 16;
        this.memW0[j] = sat16(xn[i]! - sat16(temp + k));
      }
    }

    sp.copyWithin(0, L_FRAME, L_TOTAL);
    wsp.copyWithin(0, L_FRAME, L_FRAME + PIT_MAX);
    exc.copyWithin(0, L_FRAME, L_FRAME + EXC_OFF);
    packFrame(prm, out, outOff);
    return FRAME_BYTES;
  }

  /**
   * A frame the VAD called noise: DTX decision and comfort-noise excitation, then the
   * weighting filter memories follow the comfort noise as the decoder will synthesise it
   * (Annex B's inactive-frame branch of the coder).
   */
  private noiseFrame(b: AnnexB, out: Uint8Array, outOff: number): number {
    const exc = this.oldExc;
    const ftyp = b.dtx.frame(
      exc,
      EXC_OFF,
      b.pastVad,
      this.lspOldQ,
      this.aq,
      this.lspq.pred,
      b.seed,
      this.levinson,
      this.taming,
    );
    b.ppastVad = b.pastVad;
    b.pastVad = 0;
    const sp = this.oldSpeech;
    const { xn, ap, ap1 } = this;
    for (let s = 0; s < 2; s++) {
      const sf = s * L_SUBFR;
      residu(this.aq, s * MP1, sp, SPEECH + sf, xn, 0, L_SUBFR);
      weightAz(this.aq, s * MP1, GAMMA1, ap, 0);
      ap1[0] = 4096;
      for (let i = 1; i <= M; i++) ap1[i] = sub(ap[i]!, mult(ap[i - 1]!, 22938));
      synFilt(ap1, 0, xn, 0, this.oldWsp, PIT_MAX + sf, L_SUBFR, this.memW, 0, true);
      for (let i = 0; i < L_SUBFR; i++) xn[i] = sub(xn[i]!, exc[EXC_OFF + sf + i]!);
      synFilt(ap, 0, xn, 0, xn, 0, L_SUBFR, this.memW0, 0, true);
    }
    this.sharp = SHARPMIN;
    sp.copyWithin(0, L_FRAME, L_TOTAL);
    this.oldWsp.copyWithin(0, L_FRAME, L_FRAME + PIT_MAX);
    exc.copyWithin(0, L_FRAME, L_FRAME + EXC_OFF);
    if (ftyp !== FTYP_SID) return 0;
    packSid(b.dtx.sidPrm, out, outOff);
    return SID_BYTES;
  }
}
