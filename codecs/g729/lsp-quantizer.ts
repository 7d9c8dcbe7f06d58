/**
 * Encoder side, LSP quantisation (G.729 §3.2.4): LSP → LSF, weights, two-stage MA-predicted
 * codebook search for both predictor modes, then the decoder's reconstruction (Qua_lsp).
 */
import {
  MAX_32 as IMPORTED_MAX_32,
  add as imported_add,
  extract_h as imported_extract_h,
  extract_l as imported_extract_l,
  L_mac as imported_L_mac,
  L_mult as imported_L_mult,
  L_shl as imported_L_shl,
  L_shr as imported_L_shr,
  L_sub as imported_L_sub,
  mult as imported_mult,
  norm_s as imported_norm_s,
  shl as imported_shl,
  sub as imported_sub,
} from './basic-ops.ts';
import {
  M as IMPORTED_M,
  NC as IMPORTED_NC,
  composeResidual as imported_composeResidual,
  expand as imported_expand,
  lsfToLsp as imported_lsfToLsp,
  prevCompose as imported_prevCompose,
  prevExtract as imported_prevExtract,
  stability as imported_stability,
  LsfPredictor,
} from './lsp.ts';
import {
  FG_SUM as FG_SUM_TABLE,
  LSPCB1 as LSPCB1_TABLE,
  LSPCB2 as LSPCB2_TABLE,
  SLOPE_ACOS as SLOPE_ACOS_TABLE,
  TABLE2 as TABLE2_TABLE,
} from './tables.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const L_mac = imported_L_mac;
const L_mult = imported_L_mult;
const L_shl = imported_L_shl;
const L_shr = imported_L_shr;
const L_sub = imported_L_sub;
const add = imported_add;
const extract_h = imported_extract_h;
const extract_l = imported_extract_l;
const mult = imported_mult;
const norm_s = imported_norm_s;
const shl = imported_shl;
const sub = imported_sub;
const composeResidual = imported_composeResidual;
const expand = imported_expand;
const lsfToLsp = imported_lsfToLsp;
const prevCompose = imported_prevCompose;
const prevExtract = imported_prevExtract;
const stability = imported_stability;

// Module-local copies of the imported constants: in a hot loop an imported binding costs a
// load and a check per use (micro-benchmark: a loop bounded by an imported constant 1.37× the
// time of one bounded by a local copy).
const MAX_32 = IMPORTED_MAX_32;
const M = IMPORTED_M;
const NC = IMPORTED_NC;

// The tables as module-local Int32Array copies: in the hot loops a load from them is cheaper
// than one through the imported binding of the Int16Array (micro-benchmark of the LSP
// pre-selection: 0.69× the time).
const FG_SUM = Int32Array.from(FG_SUM_TABLE);
const LSPCB1 = Int32Array.from(LSPCB1_TABLE);
const LSPCB2 = Int32Array.from(LSPCB2_TABLE);
const SLOPE_ACOS = Int32Array.from(SLOPE_ACOS_TABLE);
const TABLE2 = Int32Array.from(TABLE2_TABLE);

const GAP1 = 10;
const GAP2 = 5;
const PI04 = 1029;
const PI92 = 23677;
const CONST10 = 10 * (1 << 11);
const CONST12 = 19661;

/** LSP (Q15, cosine domain) → LSF (Q13, radians) by table (Lsp_lsf2). */
export function lspToLsf(lsp: Int16Array, lsf: Int16Array): void {
  let ind = 63;
  for (let i = M - 1; i >= 0; i--) {
    while (sub(TABLE2[ind]!, lsp[i]!) < 0) {
      ind = sub(ind, 1);
      if (ind <= 0) break;
    }
    const offset = sub(lsp[i]!, TABLE2[ind]!);
    const t = L_mult(SLOPE_ACOS[ind]!, offset);
    const freq = add(shl(ind, 9), extract_l(L_shr(t, 12)));
    lsf[i] = mult(freq, 25736);
  }
}

/** Weighting coefficients of the LSF distortion (Get_wegt). */
const weightBuf = new Int16Array(M);

export function lsfWeights(flsp: Int16Array, wegt: Int16Array): void {
  const buf = weightBuf;
  buf[0] = sub(flsp[1]!, PI04 + 8192);
  for (let i = 1; i < M - 1; i++) buf[i] = sub(sub(flsp[i + 1]!, flsp[i - 1]!), 8192);
  buf[M - 1] = sub(PI92 - 8192, flsp[M - 2]!);
  for (let i = 0; i < M; i++) {
    if (buf[i]! > 0) wegt[i] = 2048;
    else {
      let t = L_mult(buf[i]!, buf[i]!);
      let tmp = extract_h(L_shl(t, 2));
      t = L_mult(tmp, CONST10);
      tmp = extract_h(L_shl(t, 2));
      wegt[i] = add(tmp, 2048);
    }
  }
  wegt[4] = extract_h(L_shl(L_mult(wegt[4]!, CONST12), 1));
  wegt[5] = extract_h(L_shl(L_mult(wegt[5]!, CONST12), 1));
  let mx = 0;
  for (let i = 0; i < M; i++) if (sub(wegt[i]!, mx) > 0) mx = wegt[i]!;
  const sft = norm_s(mx);
  for (let i = 0; i < M; i++) wegt[i] = shl(wegt[i]!, sft);
}

/** min and max of LSPCB1[·][j] per column j. */
const CB1_MIN = Int32Array.from({ length: M }, (_, j) => {
  let m = 32767;
  for (let i = 0; i < 128; i++) m = Math.min(m, LSPCB1[i * M + j]!);
  return m;
});
const CB1_MAX = Int32Array.from({ length: M }, (_, j) => {
  let m = -32768;
  for (let i = 0; i < 128; i++) m = Math.max(m, LSPCB1[i * M + j]!);
  return m;
});

/** min and max of LSPCB2[·][j] per column j. */
const CB2_MIN = Int32Array.from({ length: M }, (_, j) => {
  let m = 32767;
  for (let i = 0; i < 32; i++) m = Math.min(m, LSPCB2[i * M + j]!);
  return m;
});
const CB2_MAX = Int32Array.from({ length: M }, (_, j) => {
  let m = -32768;
  for (let i = 0; i < 32; i++) m = Math.max(m, LSPCB2[i * M + j]!);
  return m;
});

function preSelect(rbuf: Int16Array): number {
  // When no difference r_j − cb_j can leave 16 bits, the L_mac chain of squares (which only
  // grows) is min(2·Σd², MAX_32): plain sums in doubles are exact.
  let bound = 0;
  for (let j = 0; j < M; j++) {
    const lo = rbuf[j]! - CB1_MAX[j]!;
    const hi = rbuf[j]! - CB1_MIN[j]!;
    if (hi > 32767 || lo < -32768) return preSelectChecked(rbuf);
    const m = Math.max(hi, -lo);
    bound += m * m;
  }
  // Every Σd² is at most Σ_j max|d_j|²: below 2^30 the sums are exact in int32 and their
  // doubles do not saturate.
  if (bound < 0x40000000) return preSelectInt(rbuf);
  const r0 = rbuf[0]!;
  const r1 = rbuf[1]!;
  const r2 = rbuf[2]!;
  const r3 = rbuf[3]!;
  const r4 = rbuf[4]!;
  const r5 = rbuf[5]!;
  const r6 = rbuf[6]!;
  const r7 = rbuf[7]!;
  const r8 = rbuf[8]!;
  const r9 = rbuf[9]!;
  let cand = 0;
  let dmin = 0x7fffffff;
  for (let i = 0, c = 0; i < 128; i++, c += M) {
    const d0 = r0 - LSPCB1[c]!;
    const d1 = r1 - LSPCB1[c + 1]!;
    const d2 = r2 - LSPCB1[c + 2]!;
    const d3 = r3 - LSPCB1[c + 3]!;
    const d4 = r4 - LSPCB1[c + 4]!;
    const d5 = r5 - LSPCB1[c + 5]!;
    const d6 = r6 - LSPCB1[c + 6]!;
    const d7 = r7 - LSPCB1[c + 7]!;
    const d8 = r8 - LSPCB1[c + 8]!;
    const d9 = r9 - LSPCB1[c + 9]!;
    let t =
      2 * (d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + d4 * d4 + d5 * d5 + d6 * d6 + d7 * d7 + d8 * d8 + d9 * d9);
    if (t > MAX_32) t = MAX_32;
    if (t < dmin) {
      dmin = t;
      cand = i;
    }
  }
  return cand;
}

function preSelectInt(rbuf: Int16Array): number {
  const r0 = rbuf[0]!;
  const r1 = rbuf[1]!;
  const r2 = rbuf[2]!;
  const r3 = rbuf[3]!;
  const r4 = rbuf[4]!;
  const r5 = rbuf[5]!;
  const r6 = rbuf[6]!;
  const r7 = rbuf[7]!;
  const r8 = rbuf[8]!;
  const r9 = rbuf[9]!;
  let cand = 0;
  let dmin = 0x7fffffff;
  for (let i = 0, c = 0; i < 128; i++, c += M) {
    const d0 = r0 - LSPCB1[c]!;
    const d1 = r1 - LSPCB1[c + 1]!;
    const d2 = r2 - LSPCB1[c + 2]!;
    const d3 = r3 - LSPCB1[c + 3]!;
    const d4 = r4 - LSPCB1[c + 4]!;
    const d5 = r5 - LSPCB1[c + 5]!;
    const d6 = r6 - LSPCB1[c + 6]!;
    const d7 = r7 - LSPCB1[c + 7]!;
    const d8 = r8 - LSPCB1[c + 8]!;
    const d9 = r9 - LSPCB1[c + 9]!;
    // The half of the reference's distance (comparisons of halves are the same).
    const t =
      (Math.imul(d0, d0) +
        Math.imul(d1, d1) +
        Math.imul(d2, d2) +
        Math.imul(d3, d3) +
        Math.imul(d4, d4) +
        Math.imul(d5, d5) +
        Math.imul(d6, d6) +
        Math.imul(d7, d7) +
        Math.imul(d8, d8) +
        Math.imul(d9, d9)) |
      0;
    if (t < dmin) {
      dmin = t;
      cand = i;
    }
  }
  return cand;
}

function preSelectChecked(rbuf: Int16Array): number {
  let cand = 0;
  let dmin = 0x7fffffff;
  for (let i = 0; i < 128; i++) {
    // A sum of squares only grows: if the plain sum fits in 32 bits, so did every partial one.
    let t = 0;
    for (let j = 0, c = i * M; j < M; j++, c++) {
      let d = rbuf[j]! - LSPCB1[c]!;
      if (d > 32767) d = 32767;
      else if (d < -32768) d = -32768;
      t += d * d;
    }
    t *= 2;
    if (t > 0x7fffffff) {
      t = 0;
      for (let j = 0; j < M; j++) {
        const d = sub(rbuf[j]!, LSPCB1[i * M + j]!);
        t = L_mac(t, d, d);
      }
    }
    if (t < dmin) {
      dmin = t;
      cand = i;
    }
  }
  return cand;
}

const diffBuf = new Int16Array(M);

/** The second stage's search over the NC = 5 columns from..from + 5 of one half. */
function selectSecond(rbuf: Int16Array, c1: number, wegt: Int16Array, from: number): number {
  const to = from + NC;
  // sub(rbuf, cb1) does not depend on k; every term mult(w, d)·d·2 is ≥ 0 (w ≥ 0), so the
  // reference's L_mac chain is min(2·Σ, MAX_32), and the plain sum in doubles is exact.
  for (let j = from; j < to; j++) {
    let d = rbuf[j]! - LSPCB1[c1 * M + j]!;
    if (d > 32767) d = 32767;
    else if (d < -32768) d = -32768;
    diffBuf[j] = d;
  }
  // Every term ((w·d) >> 15)·d is at most d² (0 ≤ w < 2^15), and d² at most the largest over
  // the codebook's column: below 2^30 in sum, the sums are exact in int32 and their doubles do
  // not saturate (nor does any d leave 16 bits).
  let bound = 0;
  for (let j = from; j < to; j++) {
    const a = diffBuf[j]! - CB2_MIN[j]!;
    const b = CB2_MAX[j]! - diffBuf[j]!;
    const m = Math.max(a, b);
    bound += m * m;
  }
  let index = 0;
  let dmin = 0x7fffffff;
  if (bound < 0x40000000) {
    // The five columns (NC) written out, the weights and differences in locals.
    const w0 = wegt[from]!;
    const w1 = wegt[from + 1]!;
    const w2 = wegt[from + 2]!;
    const w3 = wegt[from + 3]!;
    const w4 = wegt[from + 4]!;
    const r0 = diffBuf[from]!;
    const r1 = diffBuf[from + 1]!;
    const r2 = diffBuf[from + 2]!;
    const r3 = diffBuf[from + 3]!;
    const r4 = diffBuf[from + 4]!;
    for (let k = 0, c = from; k < 32; k++, c += M) {
      const d0 = r0 - LSPCB2[c]!;
      const d1 = r1 - LSPCB2[c + 1]!;
      const d2 = r2 - LSPCB2[c + 2]!;
      const d3 = r3 - LSPCB2[c + 3]!;
      const d4 = r4 - LSPCB2[c + 4]!;
      const dist =
        (Math.imul(Math.imul(w0, d0) >> 15, d0) +
          Math.imul(Math.imul(w1, d1) >> 15, d1) +
          Math.imul(Math.imul(w2, d2) >> 15, d2) +
          Math.imul(Math.imul(w3, d3) >> 15, d3) +
          Math.imul(Math.imul(w4, d4) >> 15, d4)) |
        0;
      if (dist < dmin) {
        dmin = dist;
        index = k;
      }
    }
    return index;
  }
  for (let k = 0; k < 32; k++) {
    let dist = 0;
    for (let j = from; j < to; j++) {
      let d = diffBuf[j]! - LSPCB2[k * M + j]!;
      if (d > 32767) d = 32767;
      else if (d < -32768) d = -32768;
      dist += ((wegt[j]! * d) >> 15) * d;
    }
    dist *= 2;
    if (dist > MAX_32) dist = MAX_32;
    if (dist < dmin) {
      dmin = dist;
      index = k;
    }
  }
  return index;
}

function expandRange(buf: Int16Array, gap: number, from: number, to: number): void {
  for (let j = from; j < to; j++) {
    const tmp = (add(sub(buf[j - 1]!, buf[j]!), gap) >> 1) | 0;
    if (tmp > 0) {
      buf[j - 1] = sub(buf[j - 1]!, tmp);
      buf[j] = add(buf[j]!, tmp);
    }
  }
}

function totalDistortion(wegt: Int16Array, buf: Int16Array, rbuf: Int16Array, mode: number): number {
  let d = 0;
  for (let j = 0; j < M; j++) {
    const tmp = mult(sub(buf[j]!, rbuf[j]!), FG_SUM[mode * M + j]!);
    const tmp2 = extract_h(L_shl(L_mult(wegt[j]!, tmp), 4));
    d = L_mac(d, tmp2, tmp);
  }
  return d;
}

/** The encoder's LSP quantiser with its MA predictor memory. */
export class LspQuantizer {
  /** The MA predictor memory, shared with Annex B's SID LSF quantiser. */
  readonly pred = new LsfPredictor();
  private readonly lsf = new Int16Array(M);
  private readonly lsfQ = new Int16Array(M);
  private readonly wegt = new Int16Array(M);
  private readonly rbuf = new Int16Array(M);
  private readonly buf = new Int16Array(M);
  private readonly ele = new Int16Array(M);
  private readonly cand = new Int32Array(2);
  private readonly t1 = new Int32Array(2);
  private readonly t2 = new Int32Array(2);
  private readonly dist = new Float64Array(2);

  /** Quantises lsp (Q15) into lspQ (Q15); returns [L0L1 (8 bits), L2L3 (10 bits)]. */
  quantize(lsp: Int16Array, lspQ: Int16Array, out: Int32Array): void {
    const { lsf, wegt, rbuf, buf } = this;
    lspToLsf(lsp, lsf);
    lsfWeights(lsf, wegt);
    const { cand, t1, t2, dist } = this;
    for (let mode = 0; mode < 2; mode++) {
      prevExtract(lsf, rbuf, mode, this.pred);
      const c = preSelect(rbuf);
      cand[mode] = c;
      const i1 = selectSecond(rbuf, c, wegt, 0);
      t1[mode] = i1;
      for (let j = 0; j < NC; j++) buf[j] = add(LSPCB1[c * M + j]!, LSPCB2[i1 * M + j]!);
      expandRange(buf, GAP1, 1, NC);
      const i2 = selectSecond(rbuf, c, wegt, NC);
      t2[mode] = i2;
      for (let j = NC; j < M; j++) buf[j] = add(LSPCB1[c * M + j]!, LSPCB2[i2 * M + j]!);
      expandRange(buf, GAP1, NC, M);
      expand(buf, GAP2);
      dist[mode] = totalDistortion(wegt, buf, rbuf, mode);
    }
    const mode = L_sub(dist[1]!, dist[0]!) < 0 ? 1 : 0;
    out[0] = (mode << 7) | cand[mode]!;
    out[1] = (t1[mode]! << 5) | t2[mode]!;
    // Lsp_get_quant: the decoder's reconstruction, which also updates the predictor.
    composeResidual(cand[mode]!, t1[mode]!, t2[mode]!, this.ele);
    prevCompose(this.ele, this.lsfQ, mode, this.pred);
    this.pred.update(this.ele);
    stability(this.lsfQ);
    lsfToLsp(this.lsfQ, lspQ);
  }
}
