/**
 * Annex A adaptive post-filter (long-term, short-term with tilt compensation, gain control)
 * and the 100 Hz high-pass post-processing with ×2 scaling (G.729 Annex A §A.4.2, G.729 §4.2.5).
 */
import {
  MAX_32 as IMPORTED_MAX_32,
  MIN_32 as IMPORTED_MIN_32,
  add as imported_add,
  div_s as imported_div_s,
  extract_h as imported_extract_h,
  L_mac as imported_L_mac,
  L_mult as imported_L_mult,
  L_shl as imported_L_shl,
  L_shr as imported_L_shr,
  L_sub as imported_L_sub,
  macDot as imported_macDot,
  mult as imported_mult,
  norm_l as imported_norm_l,
  round as imported_round,
  shr as imported_shr,
  sub as imported_sub,
} from './basic-ops.ts';
import { correlateLags as imported_correlateLags } from './correlate.ts';
import {
  residu as imported_residu,
  synFilt as imported_synFilt,
  weightAzBy as imported_weightAzBy,
  weightFactors as imported_weightFactors,
} from './filters.ts';
import { invSqrt as imported_invSqrt } from './log-pow.ts';
import { M as IMPORTED_M, MP1 as IMPORTED_MP1 } from './lsp.ts';
import { PIT_MAX as IMPORTED_PIT_MAX } from './pitch.ts';
import { A100 as A100_TABLE, B100 as B100_TABLE } from './tables.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const L_mac = imported_L_mac;
const L_mult = imported_L_mult;
const L_shl = imported_L_shl;
const L_shr = imported_L_shr;
const L_sub = imported_L_sub;
const add = imported_add;
const div_s = imported_div_s;
const extract_h = imported_extract_h;
const macDot = imported_macDot;
const mult = imported_mult;
const norm_l = imported_norm_l;
const round = imported_round;
const shr = imported_shr;
const sub = imported_sub;
const correlateLags = imported_correlateLags;
const residu = imported_residu;
const synFilt = imported_synFilt;
const weightAzBy = imported_weightAzBy;
const weightFactors = imported_weightFactors;
const invSqrt = imported_invSqrt;

// Module-local copies of the imported constants: in a hot loop an imported binding costs a
// load and a check per use (micro-benchmark: a loop bounded by an imported constant 1.37× the
// time of one bounded by a local copy).
const MAX_32 = IMPORTED_MAX_32;
const MIN_32 = IMPORTED_MIN_32;
const M = IMPORTED_M;
const MP1 = IMPORTED_MP1;
const PIT_MAX = IMPORTED_PIT_MAX;

// The tables as module-local Int32Array copies: in the hot loops a load from them is cheaper
// than one through the imported binding of the Int16Array (micro-benchmark of the LSP
// pre-selection: 0.69× the time).
const A100 = Int32Array.from(A100_TABLE);
const B100 = Int32Array.from(B100_TABLE);

const L_SUBFR = 40;
const L_FRAME = 80;
const L_H = 22;
const GAMMAP = 16384;
const INV_GAMMAP = 21845;
const GAMMAP_2 = 10923;
const GAMMA2_PST = 18022;
const GAMMA1_PST = 22938;
const MU = 26214;
const AGC_FAC = 29491;
const AGC_FAC1 = 3276;
const FAC_GAMMA2_PST = weightFactors(GAMMA2_PST);
const FAC_GAMMA1_PST = weightFactors(GAMMA1_PST);

/** The pitch search's half-sums, by lag. */
const lagCorr = new Int32Array(PIT_MAX + 1);
/** prefixEnergy[n] = Σ of the first n squares of the pitch search's window (prefixEnergy[0] = 0). */
const prefixEnergy = new Float64Array(L_SUBFR + 8);

export class PostFilter {
  private readonly memSynPst = new Int16Array(M);
  /** The frame's residual with PIT_MAX samples of history before it (shifted once a frame). */
  private readonly res2 = new Int16Array(PIT_MAX + L_FRAME);
  private readonly scalRes2 = new Int16Array(PIT_MAX + L_FRAME);
  private readonly res2Pst = new Int16Array(L_SUBFR);
  private readonly synPst = new Int16Array(L_FRAME);
  private readonly ap3 = new Int16Array(MP1);
  private readonly ap4 = new Int16Array(MP1);
  private readonly h = new Int16Array(L_H);
  private memPre = 0;
  private pastGain = 4096;

  /**
   * Filters `syn[M .. M+80)` in place; `syn[0..M)` holds the previous frame's last samples
   * (updated here). `az` holds both subframes' LP coefficients, `t` their integer delays;
   * `voiced` is false on comfort-noise frames.
   */
  filter(syn: Int16Array, az: Int16Array, t: Int32Array, voiced = true): void {
    const { res2, scalRes2, ap3, ap4, h } = this;
    for (let sf = 0, azOff = 0; sf < L_FRAME; sf += L_SUBFR, azOff += MP1) {
      let t0Min = sub(t[sf / L_SUBFR]!, 3);
      let t0Max = add(t0Min, 6);
      if (t0Max > PIT_MAX) {
        t0Max = PIT_MAX;
        t0Min = sub(t0Max, 6);
      }
      weightAzBy(az, azOff, FAC_GAMMA2_PST, ap3);
      weightAzBy(az, azOff, FAC_GAMMA1_PST, ap4);
      const base = PIT_MAX + sf;
      residu(ap3, 0, syn, M + sf, res2, base, L_SUBFR);
      // The scaled residual, and its energy for the pitch search.
      let ea = 0;
      for (let j = base; j < base + L_SUBFR; j++) {
        const v = res2[j]! >> 2;
        scalRes2[j] = v;
        ea += v * v;
      }

      // The tilt compensation's factor (from the impulse response of A(z/γ2)/A(z/γ1)); it does
      // not depend on the long-term filter, so it is computed first and the pre-emphasis is
      // applied as the long-term filter's output is written.
      h.set(ap3);
      h.fill(0, MP1);
      synFilt(ap4, 0, h, 0, h, 0, L_H, h, MP1, false);
      // A sum of squares only grows, and bounds the cross sum (Cauchy–Schwarz): if its plain
      // value fits in 32 bits no L_mac of either chain saturates.
      let prev = h[0]!;
      let e = prev * prev;
      let c = 0;
      for (let i = 1; i < L_H; i++) {
        const v = h[i]!;
        e += v * v;
        c += prev * v;
        prev = v;
      }
      let temp1: number;
      let temp2: number;
      if (2 * e <= MAX_32) {
        temp1 = (2 * e) >> 16;
        temp2 = (2 * c) >> 16;
      } else {
        let s = L_mult(h[0]!, h[0]!);
        for (let i = 1; i < L_H; i++) s = L_mac(s, h[i]!, h[i]!);
        temp1 = extract_h(s);
        s = L_mult(h[0]!, h[1]!);
        for (let i = 1; i < L_H - 1; i++) s = L_mac(s, h[i]!, h[i + 1]!);
        temp2 = extract_h(s);
      }
      if (temp2 <= 0) temp2 = 0;
      else {
        temp2 = mult(temp2, MU);
        temp2 = div_s(temp2, temp1);
      }

      // Annex B: no long-term post-filter on comfort-noise frames.
      if (voiced) this.pitchPostFilter(base, t0Min, t0Max, ea, temp2);
      else this.preemphasised(base, 0, 0, 0, temp2);
      synFilt(ap4, 0, this.res2Pst, 0, this.synPst, sf, L_SUBFR, this.memSynPst, 0, true);
      this.agc(syn, M + sf, sf);
    }
    res2.copyWithin(0, L_FRAME, L_FRAME + PIT_MAX);
    scalRes2.copyWithin(0, L_FRAME, L_FRAME + PIT_MAX);
    syn.copyWithin(0, L_FRAME, L_FRAME + M);
    syn.set(this.synPst, M);
  }

  /**
   * The long-term post-filter (delay search on the scaled residual, gains) for the subframe at
   * res2[base ..], with `ea` the energy of its scaled residual; its output, pre-emphasised by g,
   * into res2Pst.
   */
  private pitchPostFilter(base: number, t0Min: number, t0Max: number, ea: number, g: number): void {
    const scal = this.scalRes2;
    let corMax = MIN_32;
    let t0 = t0Min;
    // a: energy of the present subframe, b: of the samples the delays read. Every correlation's
    // half-sum is at most √(a·b) (Cauchy–Schwarz), the energies' chains only grow: when
    // 1 + 2a and 1 + 2b fit in 32 bits and √(a·b) < 2^30, nothing saturates and int32 is exact.
    // eb, with its prefix sums (the energy at the chosen delay is one of their differences).
    let eb = 0;
    const from = base - t0Max;
    for (let i = from; i < base - t0Min + L_SUBFR; i++) {
      eb += scal[i]! * scal[i]!;
      prefixEnergy[i - from + 1] = eb;
    }
    const plain = 1 + 2 * ea <= MAX_32 && 1 + 2 * eb <= MAX_32 && ea * eb < 1.15e18;
    if (plain) correlateLags(scal, base, scal, base, L_SUBFR, 1, t0Min, t0Max - t0Min + 1, lagCorr);
    for (let i = t0Min; i <= t0Max; i++) {
      const cor = plain ? 2 * lagCorr[i]! : macDot(0, scal, base, scal, base - i, L_SUBFR);
      if (cor > corMax) {
        corMax = cor;
        t0 = i;
      }
    }
    let ener: number;
    let ener0: number;
    if (plain) {
      // Σ_k scal[base − t0 + k]², exact (below eb < 2^30).
      const a = prefixEnergy[t0Max - t0 + L_SUBFR]! - prefixEnergy[t0Max - t0]!;
      ener = 1 + 2 * a;
      ener0 = 1 + 2 * ea;
    } else {
      ener = macDot(1, scal, base - t0, scal, base - t0, L_SUBFR);
      ener0 = macDot(1, scal, base, scal, base, L_SUBFR);
    }
    if (corMax < 0) corMax = 0;
    let temp = corMax;
    if (ener > temp) temp = ener;
    if (ener0 > temp) temp = ener0;
    const j = norm_l(temp);
    let cmax = round(L_shl(corMax, j));
    let en = round(L_shl(ener, j));
    const en0 = round(L_shl(ener0, j));
    let t = L_mult(cmax, cmax);
    t = L_sub(t, L_shr(L_mult(en, en0), 1));
    if (t < 0) {
      this.preemphasised(base, 0, 0, 0, g);
      return;
    }
    let g0: number;
    let gain: number;
    if (cmax > en) {
      g0 = INV_GAMMAP;
      gain = GAMMAP_2;
    } else {
      cmax = shr(mult(cmax, GAMMAP), 1);
      en = shr(en, 1);
      const i = add(cmax, en);
      if (i > 0) {
        gain = div_s(cmax, i);
        g0 = sub(32767, gain);
      } else {
        g0 = 32767;
        gain = 0;
      }
    }
    this.preemphasised(base, t0, g0, gain, g);
  }

  /**
   * res2Pst[i] = the long-term filter's output (the residual itself when t0 = 0), then the
   * tilt compensation's pre-emphasis by g (preemphasis), in one pass: s[i] − g·s[i−1] with
   * s[−1] the previous subframe's last sample.
   */
  private preemphasised(base: number, t0: number, g0: number, gain: number, g: number): void {
    const sig = this.res2;
    const out = this.res2Pst;
    // g0, gain, g ≥ 0: the products (mult) cannot saturate; the sums (add, sub) can.
    let prev = this.memPre;
    for (let i = 0; i < L_SUBFR; i++) {
      let v: number;
      if (t0 === 0) v = sig[base + i]!;
      else {
        v = ((g0 * sig[base + i]!) >> 15) + ((gain * sig[base + i - t0]!) >> 15);
        v = v > 32767 ? 32767 : Math.max(v, -32768);
      }
      const e = v - ((g * prev) >> 15);
      out[i] = e > 32767 ? 32767 : Math.max(e, -32768);
      prev = v;
    }
    this.memPre = prev;
  }

  private agc(sigIn: Int16Array, inOff: number, outOff: number): void {
    const out = this.synPst;
    let s = energyQuarter(out, outOff);
    if (s === 0) {
      this.pastGain = 0;
      return;
    }
    let exp = sub(norm_l(s), 1);
    const gainOut = round(L_shl(s, exp));
    s = energyQuarter(sigIn, inOff);
    let g0: number;
    if (s === 0) g0 = 0;
    else {
      const i = norm_l(s);
      const gainIn = round(L_shl(s, i));
      exp = sub(exp, i);
      s = div_s(gainOut, gainIn);
      s = L_shl(s, 7);
      s = L_shr(s, exp);
      s = invSqrt(s);
      const k = round(L_shl(s, 9));
      g0 = mult(k, AGC_FAC1);
    }
    let gain = this.pastGain;
    for (let i = 0; i < L_SUBFR; i++) {
      gain = ((gain * AGC_FAC) >> 15) + g0;
      if (gain > 32767) gain = 32767;
      // 0 ≤ gain < 2^15: L_mult cannot saturate (|out·gain| < 2^30, int32); the ×8 (L_shl by
      // 3) of its double saturates exactly when |out·gain| ≥ 2^27.
      const p = Math.imul(out[outOff + i]!, gain);
      out[outOff + i] = p >= 0x8000000 ? 32767 : p < -0x8000000 ? -32768 : p >> 12;
    }
    this.pastGain = gain;
  }
}

const A100_1 = A100[1]!;
const A100_2 = A100[2]!;
const B100_0 = B100[0]!;
const B100_1 = B100[1]!;
const B100_2 = B100[2]!;

/** 100 Hz second-order high-pass and ×2 upscaling of the decoder output (Post_Process). */
export class PostProcess {
  private y1Hi = 0;
  private y1Lo = 0;
  private y2Hi = 0;
  private y2Lo = 0;
  private x0 = 0;
  private x1 = 0;

  /**
   * Filters sig[off .. off+len) into out[outOff ..) (in place by default). The reference's
   * steps, each 32-bit sum saturated: the first three terms (the feedback and
   * x0·B0) cannot saturate (|sum| < 1.3·10^9), and no L_mult here can (no coefficient is −32768).
   */
  run(sig: Int16Array, off: number, len: number, out: Int16Array = sig, outOff: number = off): void {
    let { y1Hi, y1Lo, y2Hi, y2Lo, x0, x1 } = this;
    for (let i = 0; i < len; i++) {
      const x2 = x1;
      x1 = x0;
      x0 = sig[off + i]!;
      // The half-sums of the reference's partial sums, exact in int32: the first three terms'
      // |p3| ≤ 2^15·(15836 + 7667 + 7699) + 15836 + 7667 < 1.03·10^9, and each further term
      // adds at most 2^15·15398: |p4|, |h| < 1.8·10^9. The reference's 2·p3 cannot saturate;
      // 2·p4 and 2·h saturate exactly when p4 or h is outside [−2^30, 2^30).
      const p3 =
        (Math.imul(y1Hi, A100_1) +
          (Math.imul(y1Lo, A100_1) >> 15) +
          Math.imul(y2Hi, A100_2) +
          (Math.imul(y2Lo, A100_2) >> 15) +
          Math.imul(x0, B100_0)) |
        0;
      const p4 = (p3 + Math.imul(x1, B100_1)) | 0;
      const h = (p4 + Math.imul(x2, B100_2)) | 0;
      if (p4 >= -0x40000000 && p4 < 0x40000000 && h >= -0x40000000 && h < 0x40000000) {
        // h = t/2; t·4 = h·8 and the output's extra ×2 = h·16.
        let t4: number;
        let r: number;
        if (h >= -0x10000000 && h < 0x10000000) {
          t4 = h << 3;
          r = h >= -0x8000000 && h < 0x8000000 ? h << 4 : h > 0 ? MAX_32 : MIN_32;
        } else {
          t4 = h > 0 ? MAX_32 : MIN_32;
          r = t4;
        }
        out[outOff + i] = r >= MAX_32 - 0x7fff ? 32767 : (r + 0x8000) >> 16;
        y2Hi = y1Hi;
        y2Lo = y1Lo;
        y1Hi = t4 >> 16;
        y1Lo = (t4 >> 1) - y1Hi * 32768;
        continue;
      }
      let t =
        2 * (y1Hi * A100_1 + ((y1Lo * A100_1) >> 15)) +
        2 * (y2Hi * A100_2 + ((y2Lo * A100_2) >> 15)) +
        2 * x0 * B100_0;
      t += 2 * x1 * B100_1;
      t = t > MAX_32 ? MAX_32 : Math.max(t, MIN_32);
      t += 2 * x2 * B100_2;
      t = t > MAX_32 ? MAX_32 : Math.max(t, MIN_32);
      t *= 4;
      t = t > MAX_32 ? MAX_32 : Math.max(t, MIN_32);
      let r = 2 * t;
      r = r > MAX_32 ? MAX_32 : Math.max(r, MIN_32);
      out[outOff + i] = r >= MAX_32 - 0x7fff ? 32767 : (r + 0x8000) >> 16;
      y2Hi = y1Hi;
      y2Lo = y1Lo;
      y1Hi = t >> 16;
      y1Lo = (t >> 1) - y1Hi * 32768;
    }
    this.y1Hi = y1Hi;
    this.y1Lo = y1Lo;
    this.y2Hi = y2Hi;
    this.y2Lo = y2Lo;
    this.x0 = x0;
    this.x1 = x1;
  }
}

/** Σ (x>>2)²·2 over a subframe with the reference's saturation (agc's energies). */
function energyQuarter(x: Int16Array, off: number): number {
  // The plain sum (in doubles, exact); a chain of squares only grows, so the reference's
  // L_mac chain saturates exactly when the plain value leaves 32 bits.
  let s = 0;
  for (let i = 0; i < L_SUBFR; i++) {
    const t = x[off + i]! >> 2;
    s += t * t;
  }
  s *= 2;
  if (s <= MAX_32) return s;
  s = 0;
  for (let i = 0; i < L_SUBFR; i++) {
    const t = shr(x[off + i]!, 2);
    s = L_mac(s, t, t);
  }
  return s;
}
