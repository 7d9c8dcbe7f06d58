/**
 * G.729 Annex A decoder (G.729 §4, Annex A §A.4), fixed point, frame by frame: LSP decoding
 * and interpolation, adaptive and fixed codebooks, gains, synthesis, post-filter and
 * post-processing, with the standard's frame-erasure concealment.
 */
import {
  add as imported_add,
  overflow as imported_overflow,
  shl as imported_shl,
  shr as imported_shr,
  updateExcitation as imported_updateExcitation,
} from './basic-ops.ts';
import {
  PRM_SIZE as IMPORTED_PRM_SIZE,
  parityError as imported_parityError,
  unpackFrame as imported_unpackFrame,
} from './bitstream.ts';
import { ComfortNoise, INIT_SEED as IMPORTED_INIT_SEED } from './comfort-noise.ts';
import { synFilt as imported_synFilt } from './filters.ts';
import {
  L_SUBFR as IMPORTED_L_SUBFR,
  decodeGain as imported_decodeGain,
  newPastQuaEn as imported_newPastQuaEn,
} from './gain.ts';
import {
  M as IMPORTED_M,
  MP1 as IMPORTED_MP1,
  composeResidual as imported_composeResidual,
  interpolateAz as imported_interpolateAz,
  lsfToLsp as imported_lsfToLsp,
  prevCompose as imported_prevCompose,
  prevExtract as imported_prevExtract,
  stability as imported_stability,
  LsfPredictor,
} from './lsp.ts';
import {
  L_INTERPOL as IMPORTED_L_INTERPOL,
  PIT_MAX as IMPORTED_PIT_MAX,
  decodeLag as imported_decodeLag,
  predLt3 as imported_predLt3,
} from './pitch.ts';
import { PostFilter, PostProcess } from './postfilter.ts';
import { FREQ_PREV_RESET } from './tables.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const add = imported_add;
const overflow = imported_overflow;
const shl = imported_shl;
const shr = imported_shr;
const updateExcitation = imported_updateExcitation;
const parityError = imported_parityError;
const unpackFrame = imported_unpackFrame;
const synFilt = imported_synFilt;
const decodeGain = imported_decodeGain;
const newPastQuaEn = imported_newPastQuaEn;
const composeResidual = imported_composeResidual;
const interpolateAz = imported_interpolateAz;
const lsfToLsp = imported_lsfToLsp;
const prevCompose = imported_prevCompose;
const prevExtract = imported_prevExtract;
const stability = imported_stability;
const decodeLag = imported_decodeLag;
const predLt3 = imported_predLt3;

// Module-local copies of the imported constants: in a hot loop an imported binding costs a
// load and a check per use (micro-benchmark: a loop bounded by an imported constant 1.37× the
// time of one bounded by a local copy).
const PRM_SIZE = IMPORTED_PRM_SIZE;
const INIT_SEED = IMPORTED_INIT_SEED;
const L_SUBFR = IMPORTED_L_SUBFR;
const M = IMPORTED_M;
const MP1 = IMPORTED_MP1;
const L_INTERPOL = IMPORTED_L_INTERPOL;
const PIT_MAX = IMPORTED_PIT_MAX;

export const L_FRAME = 80;
const SHARPMAX = 13017;
const SHARPMIN = 3277;
const EXC_OFF = PIT_MAX + L_INTERPOL;

export class G729Decoder {
  private readonly oldExc = new Int16Array(L_FRAME + EXC_OFF);
  private readonly lspOld = Int16Array.from([
    30000, 26000, 21000, 15000, 8000, 0, -8000, -15000, -21000, -26000,
  ]);
  private readonly memSyn = new Int16Array(M);
  private sharp = SHARPMIN;
  private oldT0 = 60;
  private readonly gains = { pitch: 0, code: 0 };
  private readonly pred = new LsfPredictor();
  private prevMa = 0;
  private readonly prevLsf = Int16Array.from(FREQ_PREV_RESET);
  private readonly pastQuaEn = newPastQuaEn();
  private seed = 21845;
  private readonly synth = new Int16Array(M + L_FRAME);
  private readonly post = new PostFilter();
  private readonly hp = new PostProcess();
  // scratch
  private readonly prm = new Int32Array(PRM_SIZE);
  private readonly lsf = new Int16Array(M);
  private readonly ele = new Int16Array(M);
  private readonly lspNew = new Int16Array(M);
  private readonly az = new Int16Array(2 * MP1);
  private readonly code = new Int16Array(L_SUBFR);
  private readonly t2 = new Int32Array(2);
  private readonly lag = new Int32Array(2);
  // Annex B: frame type of the previous frame (1 voice, 2 SID, 0 untransmitted), CNG state.
  private pastFtyp = 1;
  private readonly cng = new ComfortNoise();
  private readonly cngState = { seed: INIT_SEED };
  private readonly sidPrm = new Int32Array(4);

  /**
   * Decodes a 2-byte Annex B SID frame at bytes[off] (15 bits: MA switch, 5 + 4 bits of noise
   * LSF indices, 5 bits of gain) into 80 samples of comfort noise at out[outOff].
   */
  decodeSid(bytes: Uint8Array, off: number, out: Int16Array, outOff: number): void {
    const v = ((bytes[off]! << 8) | bytes[off + 1]!) >> 1;
    this.sidPrm[0] = (v >> 14) & 1;
    this.sidPrm[1] = (v >> 9) & 31;
    this.sidPrm[2] = (v >> 5) & 15;
    this.sidPrm[3] = v & 31;
    this.comfortNoiseFrame(this.sidPrm, 2, out, outOff);
  }

  private comfortNoiseFrame(
    sid: Int32Array | undefined,
    ftyp: number,
    out: Int16Array,
    outOff: number,
  ): void {
    const exc = this.oldExc;
    const synth = this.synth;
    this.cng.frame(this.pastFtyp, sid, exc, EXC_OFF, this.lspOld, this.az, this.pred, this.cngState);
    for (let sf = 0; sf < L_FRAME; sf += L_SUBFR) {
      const azOff = (sf / L_SUBFR) * MP1;
      overflow.flag = 0;
      synFilt(this.az, azOff, exc, EXC_OFF + sf, synth, M + sf, L_SUBFR, this.memSyn, 0, false);
      if (overflow.flag !== 0) {
        for (let i = 0; i < exc.length; i++) exc[i] = shr(exc[i]!, 2);
        synFilt(this.az, azOff, exc, EXC_OFF + sf, synth, M + sf, L_SUBFR, this.memSyn, 0, true);
      } else {
        for (let i = 0; i < M; i++) this.memSyn[i] = synth[sf + L_SUBFR + i]!;
      }
      this.t2[sf / L_SUBFR] = this.oldT0;
    }
    this.sharp = SHARPMIN;
    exc.copyWithin(0, L_FRAME, L_FRAME + EXC_OFF);
    this.post.filter(synth, this.az, this.t2, false);
    this.hp.run(synth, M, L_FRAME, out, outOff);
    this.pastFtyp = ftyp;
  }

  /** Decodes the 10-byte frame at bytes[off] (or conceals a lost one) into out[outOff .. +80). */
  decodeFrame(
    bytes: Uint8Array | undefined,
    off: number,
    out: Int16Array,
    outOff: number,
    erased = false,
  ): void {
    const prm = this.prm;
    const bfi = erased || !bytes ? 1 : 0;
    if (bfi && this.pastFtyp !== 1) {
      // Lost during silence (Annex B): another comfort-noise frame.
      this.comfortNoiseFrame(undefined, 0, out, outOff);
      return;
    }
    this.cngState.seed = INIT_SEED;
    if (bfi) prm.fill(0);
    else unpackFrame(bytes!, off, prm);
    this.decodeLsp(prm[0]!, prm[1]!, bfi);
    interpolateAz(this.lspOld, this.lspNew, this.az);
    this.lspOld.set(this.lspNew);

    const exc = this.oldExc;
    const code = this.code;
    const synth = this.synth;
    let T0 = 0;
    let T0frac = 0;
    for (let sf = 0, p = 2; sf < L_FRAME; sf += L_SUBFR) {
      const index = prm[p++]!;
      const badPitch = sf === 0 ? bfi + parityError(index, prm[p++]!) : bfi;
      if (badPitch === 0) {
        decodeLag(index, sf, T0, this.lag);
        T0 = this.lag[0]!;
        T0frac = this.lag[1]!;
        this.oldT0 = T0;
      } else {
        T0 = this.oldT0;
        T0frac = 0;
        this.oldT0 = add(this.oldT0, 1);
        if (this.oldT0 > PIT_MAX) this.oldT0 = PIT_MAX;
      }
      this.t2[sf / L_SUBFR] = T0;
      predLt3(exc, EXC_OFF + sf, T0, T0frac, L_SUBFR);

      if (bfi) {
        prm[p] = this.random() & 0x1fff;
        prm[p + 1] = this.random() & 0x000f;
      }
      decodeAcelp(prm[p + 1]!, prm[p]!, code);
      p += 2;
      const j = shl(this.sharp, 1);
      // add(code[i], mult(code[i − T0], j)) with j ≥ 0: only the addition can saturate.
      if (T0 < L_SUBFR) {
        for (let i = T0; i < L_SUBFR; i++) {
          const v = code[i]! + ((code[i - T0]! * j) >> 15);
          code[i] = v > 32767 ? 32767 : Math.max(v, -32768);
        }
      }

      decodeGain(prm[p++]!, code, bfi, this.pastQuaEn, this.gains);
      let sharp = this.gains.pitch;
      if (sharp > SHARPMAX) sharp = SHARPMAX;
      if (sharp < SHARPMIN) sharp = SHARPMIN;
      this.sharp = sharp;

      const gp = this.gains.pitch;
      const gc = this.gains.code;
      updateExcitation(exc, EXC_OFF + sf, code, gp, gc, L_SUBFR);
      overflow.flag = 0;
      const azOff = (sf / L_SUBFR) * MP1;
      synFilt(this.az, azOff, exc, EXC_OFF + sf, synth, M + sf, L_SUBFR, this.memSyn, 0, false);
      if (overflow.flag !== 0) {
        for (let i = 0; i < exc.length; i++) exc[i] = shr(exc[i]!, 2);
        synFilt(this.az, azOff, exc, EXC_OFF + sf, synth, M + sf, L_SUBFR, this.memSyn, 0, true);
      } else {
        for (let i = 0; i < M; i++) this.memSyn[i] = synth[sf + L_SUBFR + i]!;
      }
    }
    exc.copyWithin(0, L_FRAME, L_FRAME + EXC_OFF);

    this.post.filter(synth, this.az, this.t2);
    this.hp.run(synth, M, L_FRAME, out, outOff);
    this.pastFtyp = 1;
  }

  private decodeLsp(p0: number, p1: number, erase: number): void {
    const lsf = this.lsf;
    if (erase === 0) {
      const mode = (p0 >> 7) & 1;
      const code0 = p0 & 127;
      const code1 = (p1 >> 5) & 31;
      const code2 = p1 & 31;
      composeResidual(code0, code1, code2, this.ele);
      prevCompose(this.ele, lsf, mode, this.pred);
      this.pred.update(this.ele);
      stability(lsf);
      this.prevLsf.set(lsf);
      this.prevMa = mode;
    } else {
      lsf.set(this.prevLsf);
      prevExtract(this.prevLsf, this.ele, this.prevMa, this.pred);
      this.pred.update(this.ele);
    }
    lsfToLsp(lsf, this.lspNew);
  }

  private random(): number {
    this.seed = ((Math.imul(this.seed, 31821) + 13849) << 16) >> 16;
    return this.seed;
  }
}

/** Four ±1 pulses from the 13-bit position index and 4-bit sign index (Decod_ACELP), Q13. */
export function decodeAcelp(sign: number, index: number, cod: Int16Array): void {
  const p0 = (index & 7) * 5;
  index >>= 3;
  const p1 = (index & 7) * 5 + 1;
  index >>= 3;
  const p2 = (index & 7) * 5 + 2;
  index >>= 3;
  const jj = index & 1;
  index >>= 1;
  const p3 = (index & 7) * 5 + 3 + jj;
  cod.fill(0);
  cod[p0] = sign & 1 ? 8191 : -8192;
  cod[p1] = sign & 2 ? 8191 : -8192;
  cod[p2] = sign & 4 ? 8191 : -8192;
  cod[p3] = sign & 8 ? 8191 : -8192;
}
