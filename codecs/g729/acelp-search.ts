/**
 * Encoder side, Annex A's algebraic codebook search (G.729 Annex A §A.3.8): correlations of
 * the impulse response, then the depth-first search of 4 pulses over the 5 tracks, giving the
 * 13-bit position index and the 4-bit sign index (ACELP_Code_A, Cor_h, Cor_h_X, D4i40_17_fast).
 */
import {
  MAX_16 as IMPORTED_MAX_16,
  MAX_32 as IMPORTED_MAX_32,
  MIN_16 as IMPORTED_MIN_16,
  add as imported_add,
  extract_h as imported_extract_h,
  extract_l as imported_extract_l,
  L_abs as imported_L_abs,
  L_mac as imported_L_mac,
  L_msu as imported_L_msu,
  L_mult as imported_L_mult,
  L_sub as imported_L_sub,
  macDot as imported_macDot,
  mult as imported_mult,
  negate as imported_negate,
  norm_l as imported_norm_l,
  round as imported_round,
  shl as imported_shl,
  shr as imported_shr,
  sub as imported_sub,
} from './basic-ops.ts';

// Module-local aliases of the imported functions (a call through an imported binding costs a
// load and a check more).
const L_abs = imported_L_abs;
const L_mac = imported_L_mac;
const L_msu = imported_L_msu;
const L_mult = imported_L_mult;
const L_sub = imported_L_sub;
const add = imported_add;
const extract_h = imported_extract_h;
const extract_l = imported_extract_l;
const macDot = imported_macDot;
const mult = imported_mult;
const negate = imported_negate;
const norm_l = imported_norm_l;
const round = imported_round;
const shl = imported_shl;
const shr = imported_shr;
const sub = imported_sub;

// Module-local copies of the imported constants: in a hot loop an imported binding costs a
// load and a check per use (micro-benchmark: a loop bounded by an imported constant 1.37× the
// time of one bounded by a local copy).
const MAX_16 = IMPORTED_MAX_16;
const MAX_32 = IMPORTED_MAX_32;
const MIN_16 = IMPORTED_MIN_16;

const L_SUBFR = 40;
const NB_POS = 8;
const STEP = 5;
const MSIZE = 64;
const DIM_RR = 616;
const _1_2 = 16384;
const _1_4 = 8192;
const _1_8 = 4096;
const _1_16 = 2048;
/**
 * With every |rr| ≤ 32000 no sum of the search can leave 32 bits (the largest, phase B's alp2,
 * is at most 65536·max|rr| + 49152 < 2^31 − 2^15), so the plain search gives the reference's
 * positions.
 */
const RR_PLAIN_MAX = 32000;
/** (MAX_32 / 2)², below which 2·√(a·b) fits in 32 bits; with a margin for rounding. */
const CS_LIMIT = 1.15e18;

// Offsets of the correlation tables inside rr[].
const RRI0I0 = 0;
const RRI1I1 = RRI0I0 + NB_POS;
const RRI2I2 = RRI1I1 + NB_POS;
const RRI3I3 = RRI2I2 + NB_POS;
const RRI4I4 = RRI3I3 + NB_POS;
const RRI0I1 = RRI4I4 + NB_POS;
const RRI0I2 = RRI0I1 + MSIZE;
const RRI0I3 = RRI0I2 + MSIZE;
const RRI0I4 = RRI0I3 + MSIZE;
const RRI1I2 = RRI0I4 + MSIZE;
const RRI1I3 = RRI1I2 + MSIZE;
const RRI1I4 = RRI1I3 + MSIZE;
const RRI2I3 = RRI1I4 + MSIZE;
const RRI2I4 = RRI2I3 + MSIZE;

/** Cor_h_X's 32-bit correlations (each within 32 bits, saturated or not). */
const y32 = new Int32Array(L_SUBFR);

/**
 * Correlations of h[] with the target X[], normalised to 13 bits (Cor_h_X). Every partial sum
 * 2·Σ x[i+k]·h[k] is bounded by 2·√(Σx²·Σh²) (Cauchy–Schwarz): when that bound fits in 32 bits
 * no L_mac of the reference can saturate, and the plain sums are its results.
 */
export function corHX(h: Int16Array, x: Int16Array, d: Int16Array): void {
  let ex = 0;
  let eh = 0;
  for (let i = 0; i < L_SUBFR; i++) {
    ex += x[i]! * x[i]!;
    eh += h[i]! * h[i]!;
  }
  let max = 0;
  if (ex * eh < CS_LIMIT) {
    // |partial half-sums| ≤ √(Σx²·Σh²) < 2^30 (over any subset of the terms): exact in int32
    // arithmetic, in any order. Four outputs i0 .. i0+3 per pass: the sample output i + 1
    // reads at step k is the one output i reads at step k + 1.
    for (let i0 = 0; i0 < L_SUBFR; i0 += 4) {
      let w0 = x[i0]!;
      let w1 = x[i0 + 1]!;
      let w2 = x[i0 + 2]!;
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      const n = L_SUBFR - 3 - i0;
      for (let k = 0; k < n; k++) {
        const hk = h[k]!;
        const w3 = x[i0 + 3 + k]!;
        c0 = (c0 + Math.imul(hk, w0)) | 0;
        c1 = (c1 + Math.imul(hk, w1)) | 0;
        c2 = (c2 + Math.imul(hk, w2)) | 0;
        c3 = (c3 + Math.imul(hk, w3)) | 0;
        w0 = w1;
        w1 = w2;
        w2 = w3;
      }
      // The terms past the common range: w0..w2 are x[37], x[38], x[39].
      const h0 = h[n]!;
      const h1 = h[n + 1]!;
      const h2 = h[n + 2]!;
      c0 = (c0 + Math.imul(h0, w0) + Math.imul(h1, w1) + Math.imul(h2, w2)) | 0;
      c1 = (c1 + Math.imul(h0, w1) + Math.imul(h1, w2)) | 0;
      c2 = (c2 + Math.imul(h0, w2)) | 0;
      y32[i0] = 2 * c0;
      y32[i0 + 1] = 2 * c1;
      y32[i0 + 2] = 2 * c2;
      y32[i0 + 3] = 2 * c3;
    }
    for (let i = 0; i < L_SUBFR; i++) {
      const s = y32[i]!;
      const a = s < 0 ? -s : s;
      if (a > max) max = a;
    }
  } else {
    for (let i = 0; i < L_SUBFR; i++) {
      const s = macDot(0, x, i, h, 0, L_SUBFR - i);
      y32[i] = s;
      const a = L_abs(s);
      if (L_sub(a, max) > 0) max = a;
    }
  }
  let j = norm_l(max);
  if (j > 16) j = 16;
  j = 18 - j;
  for (let i = 0; i < L_SUBFR; i++) d[i] = extract_l(y32[i]! >> j);
}

const hScaled = new Int16Array(L_SUBFR);

/**
 * The correlation matrix of the (scaled) impulse response, track by track (Cor_h). On the plain
 * path the off-diagonal entries come out already multiplied by the signs of the search (see
 * corHPlain; `neg[i]` is −1 where dn[i] < 0, else 0): returns true then, false when the search still has
 * to fold them.
 */
function corH(H: Int16Array, rr: Int32Array, neg: Int32Array): boolean {
  const h = hScaled;
  const cor = macDot(0, H, 0, H, 0, L_SUBFR);
  if (extract_h(cor) > 32000) {
    for (let i = 0; i < L_SUBFR; i++) h[i] = H[i]! >> 1;
  } else {
    const k = norm_l(cor) >> 1;
    // shl(H[i], k), saturating.
    for (let i = 0; i < L_SUBFR; i++) {
      const v = H[i]! << k;
      h[i] = v > MAX_16 ? MAX_16 : Math.max(v, MIN_16);
    }
  }
  let eh = 0;
  for (let i = 0; i < L_SUBFR; i++) eh += h[i]! * h[i]!;
  // Every chain of L_mac below is a partial sum 2·Σ h[k]·h[k+d], bounded by 2·Σh² (Cauchy–
  // Schwarz): when that fits in 32 bits nothing saturates, and each entry of rr is the plain
  // sum over the first 40 − (later position) samples, in whatever order it is added.
  if (2 * eh <= MAX_32) {
    corHPlain(h, rr, neg);
    // Every entry is (2·Σ_{k<n} h[k]·h[k+d]) >> 16 with |2·Σ| ≤ 2·Σh² (Cauchy–Schwarz), and
    // the sign folding of the search never increases a magnitude: a bound on max |rr|.
    rrBound = ((2 * eh) >> 16) + 1;
    return true;
  }
  corHReference(h, rr);
  rrBound = 32768;
  return false;
}

/** An upper bound of max |rr| after corH (32768 when unknown). */
let rrBound = 32768;

/**
 * rr(p, q) = (2·Σ_{k < 40 − max(p, q)} h[k]·h[k + |p − q|]) >> 16. Each entry is one prefix
 * sum (n = 40 − max(p, q) terms) of the lag-d correlation, d = |p − q|, and no prefix sum is two
 * entries: the sums are accumulated lag by lag and each prefix stored where it belongs (prefixes
 * no entry uses, those of pairs on tracks 3 and 4, go to the spare slot rr[DIM_RR]). The lags
 * 5, 10, … 35 (pairs on one track) have no entry at all and are skipped.
 */
export function corHPlain(h: Int16Array, rr: Int32Array, neg: Int32Array): void {
  // The diagonal (lag 0), not folded.
  {
    let s = 0;
    for (let k = 0; k < L_SUBFR; k++) {
      // |partial sums| ≤ Σh² < 2^30: exact in int32 arithmetic, and (2·s) >> 16 = s >> 15.
      s = (s + Math.imul(h[k]!, h[k]!)) | 0;
      rr[RR_SLOT[1 + k]!] = s >> 15;
    }
  }
  // The search's sign folding of entry (p, q), as d4i40_17_fast does it: v·32767 >> 15 when
  // dn[p] and dn[q] have the same sign (v − 1 for v > 0, else v, as |v| < 32768 here), and
  // min(v·−32768 >> 15, 32767) = −v when they differ. Written without branches: with neg
  // −1 where dn < 0 (else 0), m = −1 when the signs differ, v ^ m − m = −v then, and
  // (−v >>> 31) & (m + 1) is 1 when v > 0 and the signs agree.
  //
  // The pair's later position is q = 39 − k, the earlier q − d: step k of lag d reads h[k] and
  // h[k + d] and the signs at 39 − k and 39 − (k + d). Both go into one word per k,
  // hs[k] = 2·h[k] + (1 if dn[39 − k] < 0), so a step loads two words, not four: h[k] =
  // hs[k] >> 1, and the signs differ where (hs[k] ^ hs[k + d]) & 1 (micro-benchmark: 0.84× the
  // time of the four loads).
  for (let k = 0; k < L_SUBFR; k++) hs[k] = (h[k]! << 1) | (neg[L_SUBFR - 1 - k]! & 1);
  for (let d = 1; d < L_SUBFR; d++) {
    if (d % STEP === 0) continue;
    const base = d * (L_SUBFR + 1) + 1;
    let s = 0;
    for (let k = 0, n = L_SUBFR - d; k < n; k++) {
      const a = hs[k]!;
      const b = hs[k + d]!;
      s = (s + Math.imul(a >> 1, b >> 1)) | 0;
      const v = s >> 15;
      const m = -((a ^ b) & 1);
      rr[RR_SLOT[base + k]!] = ((v ^ m) - m - ((-v >>> 31) & (m + 1))) | 0;
    }
  }
}

/** corHPlain's words: 2·h[k] plus the sign bit of dn[39 − k]. */
const hs = new Int32Array(L_SUBFR);

/**
 * Where each correlation goes: the prefix of lag d and n terms is rr[RR_SLOT[d·41 + n]]
 * (rr(p, q) = Σ_{k < 40 − max(p, q)} h[k]·h[k + |p − q|]). Diagonals first (track t, position
 * p = 5·i + t), then the pairs of tracks a < b (RRIaIb[ia·8 + ib]) in the order of the RRI*
 * offsets; DIM_RR for prefixes no entry uses.
 */
const RR_SLOT = (() => {
  const slot = new Int32Array(L_SUBFR * (L_SUBFR + 1)).fill(DIM_RR);
  for (let t = 0; t < 5; t++) {
    for (let i = 0; i < NB_POS; i++) slot[L_SUBFR - (STEP * i + t)] = t * NB_POS + i;
  }
  let off = RRI0I1;
  for (let a = 0; a < 3; a++) {
    for (let b = a + 1; b < 5; b++) {
      for (let ia = 0; ia < NB_POS; ia++) {
        const p = STEP * ia + a;
        for (let ib = 0; ib < NB_POS; ib++) {
          const q = STEP * ib + b;
          slot[Math.abs(q - p) * (L_SUBFR + 1) + L_SUBFR - Math.max(p, q)] = off + ia * NB_POS + ib;
        }
      }
      off += MSIZE;
    }
  }
  return slot;
})();

export function corHReference(h: Int16Array, rr: Int32Array): void {
  let cor = 0;
  let p0 = RRI0I0 + NB_POS - 1;
  let p1 = RRI1I1 + NB_POS - 1;
  let p2 = RRI2I2 + NB_POS - 1;
  let p3 = RRI3I3 + NB_POS - 1;
  let p4 = RRI4I4 + NB_POS - 1;
  let h1 = 0;
  for (let i = 0; i < NB_POS; i++) {
    cor = L_mac(cor, h[h1]!, h[h1]!);
    h1++;
    rr[p4--] = extract_h(cor);
    cor = L_mac(cor, h[h1]!, h[h1]!);
    h1++;
    rr[p3--] = extract_h(cor);
    cor = L_mac(cor, h[h1]!, h[h1]!);
    h1++;
    rr[p2--] = extract_h(cor);
    cor = L_mac(cor, h[h1]!, h[h1]!);
    h1++;
    rr[p1--] = extract_h(cor);
    cor = L_mac(cor, h[h1]!, h[h1]!);
    h1++;
    rr[p0--] = extract_h(cor);
  }

  const ldec = NB_POS + 1;
  // Four passes over the lags 1, 2, 3, 4 (mod 5) between tracks.
  // Pass with lag ≡ 1: rri2i3, rri1i2, rri0i1, rri0i4
  {
    let lSup = MSIZE - 1;
    let lInf = lSup - 1;
    let hf = 1;
    for (let k = 0; k < NB_POS; k++) {
      let q3 = RRI2I3 + lSup;
      let q2 = RRI1I2 + lSup;
      let q1 = RRI0I1 + lSup;
      let q0 = RRI0I4 + lInf;
      cor = 0;
      let a = 0;
      let b = hf;
      for (let i = k + 1; i < NB_POS; i++) {
        cor = L_mac(cor, h[a++]!, h[b++]!);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q3] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q2] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q1] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q0] = extract_h(cor);
        q3 -= ldec;
        q2 -= ldec;
        q1 -= ldec;
        q0 -= ldec;
      }
      cor = L_mac(cor, h[a++]!, h[b++]!);
      cor = L_mac(cor, h[a++]!, h[b++]!);
      rr[q3] = extract_h(cor);
      cor = L_mac(cor, h[a++]!, h[b++]!);
      rr[q2] = extract_h(cor);
      cor = L_mac(cor, h[a++]!, h[b++]!);
      rr[q1] = extract_h(cor);
      lSup -= NB_POS;
      lInf--;
      hf += STEP;
    }
  }
  // lag ≡ 2: rri2i4, rri1i3, rri0i2, rri1i4, rri0i3
  {
    let lSup = MSIZE - 1;
    let lInf = lSup - 1;
    let hf = 2;
    for (let k = 0; k < NB_POS; k++) {
      let q4 = RRI2I4 + lSup;
      let q3 = RRI1I3 + lSup;
      let q2 = RRI0I2 + lSup;
      let q1 = RRI1I4 + lInf;
      let q0 = RRI0I3 + lInf;
      cor = 0;
      let a = 0;
      let b = hf;
      for (let i = k + 1; i < NB_POS; i++) {
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q4] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q3] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q2] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q1] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q0] = extract_h(cor);
        q4 -= ldec;
        q3 -= ldec;
        q2 -= ldec;
        q1 -= ldec;
        q0 -= ldec;
      }
      cor = L_mac(cor, h[a++]!, h[b++]!);
      rr[q4] = extract_h(cor);
      cor = L_mac(cor, h[a++]!, h[b++]!);
      rr[q3] = extract_h(cor);
      cor = L_mac(cor, h[a++]!, h[b++]!);
      rr[q2] = extract_h(cor);
      lSup -= NB_POS;
      lInf--;
      hf += STEP;
    }
  }
  // lag ≡ 3: rri1i4, rri0i3, rri2i4, rri1i3, rri0i2
  {
    let lSup = MSIZE - 1;
    let lInf = lSup - 1;
    let hf = 3;
    for (let k = 0; k < NB_POS; k++) {
      let q4 = RRI1I4 + lSup;
      let q3 = RRI0I3 + lSup;
      let q2 = RRI2I4 + lInf;
      let q1 = RRI1I3 + lInf;
      let q0 = RRI0I2 + lInf;
      cor = 0;
      let a = 0;
      let b = hf;
      for (let i = k + 1; i < NB_POS; i++) {
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q4] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q3] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q2] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q1] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q0] = extract_h(cor);
        q4 -= ldec;
        q3 -= ldec;
        q2 -= ldec;
        q1 -= ldec;
        q0 -= ldec;
      }
      cor = L_mac(cor, h[a++]!, h[b++]!);
      rr[q4] = extract_h(cor);
      cor = L_mac(cor, h[a++]!, h[b++]!);
      rr[q3] = extract_h(cor);
      lSup -= NB_POS;
      lInf--;
      hf += STEP;
    }
  }
  // lag ≡ 4: rri0i4, rri2i3, rri1i2, rri0i1
  {
    let lSup = MSIZE - 1;
    let lInf = lSup - 1;
    let hf = 4;
    for (let k = 0; k < NB_POS; k++) {
      let q3 = RRI0I4 + lSup;
      let q2 = RRI2I3 + lInf;
      let q1 = RRI1I2 + lInf;
      let q0 = RRI0I1 + lInf;
      cor = 0;
      let a = 0;
      let b = hf;
      for (let i = k + 1; i < NB_POS; i++) {
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q3] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q2] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q1] = extract_h(cor);
        cor = L_mac(cor, h[a++]!, h[b++]!);
        rr[q0] = extract_h(cor);
        q3 -= ldec;
        q2 -= ldec;
        q1 -= ldec;
        q0 -= ldec;
      }
      cor = L_mac(cor, h[a++]!, h[b++]!);
      rr[q3] = extract_h(cor);
      lSup -= NB_POS;
      lInf--;
      hf += STEP;
    }
  }
}

/** The positions and signs; writes cod (Q13) and y (filtered, Q12); returns [index, sign]. */
const signDn = new Int16Array(L_SUBFR);
const signDnInv = new Int16Array(L_SUBFR);
const tmpVectBuf = new Int16Array(NB_POS);
const tmpVect32 = new Int32Array(NB_POS);
const ipBuf = new Int32Array(4);

function addPulse(y: Int16Array, h: Int16Array, ip: number, sg: number): void {
  if (sg > 0) for (let i = ip, j = 0; i < L_SUBFR; i++, j++) y[i] = add(y[i]!, h[j]!);
  else for (let i = ip, j = 0; i < L_SUBFR; i++, j++) y[i] = sub(y[i]!, h[j]!);
}

function d4i40_17Fast(
  dn: Int16Array,
  rr: Int32Array,
  h: Int16Array,
  cod: Int16Array,
  y: Int16Array,
  result: Int32Array,
  folded: boolean,
): void {
  for (let i = 0; i < L_SUBFR; i++) {
    if (dn[i]! >= 0) {
      signDn[i] = MAX_16;
      signDnInv[i] = MIN_16;
    } else {
      signDn[i] = MIN_16;
      signDnInv[i] = MAX_16;
      dn[i] = negate(dn[i]!);
    }
  }
  // The sign folding of the off-diagonal entries, unless corH did it.
  if (!folded) {
    {
      let p0 = RRI0I1;
      let p1 = RRI0I2;
      let p2 = RRI0I3;
      let p3 = RRI0I4;
      for (let i0 = 0; i0 < L_SUBFR; i0 += STEP) {
        const ps = signDn[i0]! < 0 ? signDnInv : signDn;
        for (let i1 = 1; i1 < L_SUBFR; i1 += STEP) {
          {
            const v = (rr[p0]! * ps[i1]!) >> 15;
            rr[p0++] = Math.min(v, MAX_16);
          }
          {
            const v = (rr[p1]! * ps[i1 + 1]!) >> 15;
            rr[p1++] = Math.min(v, MAX_16);
          }
          {
            const v = (rr[p2]! * ps[i1 + 2]!) >> 15;
            rr[p2++] = Math.min(v, MAX_16);
          }
          {
            const v = (rr[p3]! * ps[i1 + 3]!) >> 15;
            rr[p3++] = Math.min(v, MAX_16);
          }
        }
      }
    }
    {
      let p0 = RRI1I2;
      let p1 = RRI1I3;
      let p2 = RRI1I4;
      for (let i1 = 1; i1 < L_SUBFR; i1 += STEP) {
        const ps = signDn[i1]! < 0 ? signDnInv : signDn;
        for (let i2 = 2; i2 < L_SUBFR; i2 += STEP) {
          {
            const v = (rr[p0]! * ps[i2]!) >> 15;
            rr[p0++] = Math.min(v, MAX_16);
          }
          {
            const v = (rr[p1]! * ps[i2 + 1]!) >> 15;
            rr[p1++] = Math.min(v, MAX_16);
          }
          {
            const v = (rr[p2]! * ps[i2 + 2]!) >> 15;
            rr[p2++] = Math.min(v, MAX_16);
          }
        }
      }
    }
    {
      let p0 = RRI2I3;
      let p1 = RRI2I4;
      for (let i2 = 2; i2 < L_SUBFR; i2 += STEP) {
        const ps = signDn[i2]! < 0 ? signDnInv : signDn;
        for (let i3 = 3; i3 < L_SUBFR; i3 += STEP) {
          {
            const v = (rr[p0]! * ps[i3]!) >> 15;
            rr[p0++] = Math.min(v, MAX_16);
          }
          {
            const v = (rr[p1]! * ps[i3 + 1]!) >> 15;
            rr[p1++] = Math.min(v, MAX_16);
          }
        }
      }
    }
  }

  let maxRr = rrBound;
  if (maxRr > RR_PLAIN_MAX) {
    maxRr = 0;
    for (let i = 0; i < DIM_RR; i++) {
      const v = rr[i]!;
      if (v > maxRr) maxRr = v;
      else if (-v > maxRr) maxRr = -v;
    }
  }
  const ipOut = ipBuf;
  if (maxRr <= RR_PLAIN_MAX) searchPlain(dn, rr, ipOut);
  else searchReference(dn, rr, ipOut);
  const ip0 = ipOut[0]!;
  const ip1 = ipOut[1]!;
  const ip2 = ipOut[2]!;
  const ip3 = ipOut[3]!;
  const s0 = signDn[ip0]!;
  const s1 = signDn[ip1]!;
  const s2 = signDn[ip2]!;
  const s3 = signDn[ip3]!;
  cod.fill(0);
  cod[ip0] = shr(s0, 2);
  cod[ip1] = shr(s1, 2);
  cod[ip2] = shr(s2, 2);
  cod[ip3] = shr(s3, 2);
  for (let i = 0; i < ip0; i++) y[i] = 0;
  if (s0 > 0) for (let i = ip0, j = 0; i < L_SUBFR; i++, j++) y[i] = h[j]!;
  else for (let i = ip0, j = 0; i < L_SUBFR; i++, j++) y[i] = negate(h[j]!);
  addPulse(y, h, ip1, s1);
  addPulse(y, h, ip2, s2);
  addPulse(y, h, ip3, s3);
  let sign = 0;
  if (s0 > 0) sign += 1;
  if (s1 > 0) sign += 2;
  if (s2 > 0) sign += 4;
  if (s3 > 0) sign += 8;
  const q0 = mult(ip0, 6554);
  const q1 = mult(ip1, 6554);
  const q2 = mult(ip2, 6554);
  const i = mult(ip3, 6554);
  let j = add(i, shl(i, 2));
  j = sub(ip3, add(j, 3));
  const q3 = add(shl(i, 1), j);
  let index = add(q0, shl(q1, 3));
  index = add(index, shl(q2, 6));
  index = add(index, shl(q3, 9));
  result[0] = index;
  result[1] = sign;
}

/** The depth-first search with the reference's operators; the positions go to ipOut[0..3]. */
function searchReference(dn: Int16Array, rr: Int32Array, ipOut: Int32Array): void {
  const tmpVect = tmpVectBuf;
  let psk = -1;
  let alpk = 1;
  let rri0i3i4 = RRI0I3;
  let rri1i3i4 = RRI1I3;
  let rri2i3i4 = RRI2I3;
  let rri3i3i4 = RRI3I3;
  let ip0 = 0;
  let ip1 = 1;
  let ip2 = 2;
  let ip3 = 3;
  let ix = 0;
  let iy = 0;
  let ps = 0;
  let i0 = 0;
  let i1 = 0;
  for (let track = 3; track < 5; track++) {
    // depth first search 3, phase A: track 2 and 3/4
    let sq = -1;
    let alp = 1;
    let prevI0 = -1;
    for (let i = 0; i < 2; i++) {
      let max = -1;
      for (let j = 2; j < L_SUBFR; j += STEP) {
        if (sub(dn[j]!, max) > 0 && prevI0 !== j) {
          max = dn[j]!;
          i0 = j;
        }
      }
      prevI0 = i0;
      const j = mult(i0, 6554);
      const ps1 = dn[i0]!;
      const alp1 = L_mult(rr[RRI2I2 + j]!, _1_4);
      let q0 = rri2i3i4 + shl(j, 3);
      let q1 = rri3i3i4;
      for (let k1 = track; k1 < L_SUBFR; k1 += STEP) {
        const ps2 = add(ps1, dn[k1]!);
        let alp2 = L_mac(alp1, rr[q0++]!, _1_2);
        alp2 = L_mac(alp2, rr[q1++]!, _1_4);
        const sq2 = mult(ps2, ps2);
        const alp16 = round(alp2);
        const s = L_msu(L_mult(alp, sq2), sq, alp16);
        if (s > 0) {
          sq = sq2;
          ps = ps2;
          alp = alp16;
          ix = i0;
          iy = k1;
        }
      }
    }
    i0 = ix;
    i1 = iy;
    // phase B: track 0 and 1
    let ps0 = ps;
    let alp0 = L_mult(alp, _1_4);
    sq = -1;
    alp = 1;
    {
      let q0 = RRI1I2 + mult(i0, 6554);
      let q1 = rri1i3i4 + mult(i1, 6554);
      let q2 = RRI1I1;
      let q3 = 0;
      for (let i3 = 1; i3 < L_SUBFR; i3 += STEP) {
        let s = L_mult(rr[q0]!, _1_4);
        q0 += NB_POS;
        s = L_mac(s, rr[q1]!, _1_4);
        q1 += NB_POS;
        s = L_mac(s, rr[q2++]!, _1_8);
        tmpVect[q3++] = round(s);
      }
      q0 = RRI0I2 + mult(i0, 6554);
      q1 = rri0i3i4 + mult(i1, 6554);
      q2 = RRI0I0;
      q3 = RRI0I1;
      for (let i2 = 0; i2 < L_SUBFR; i2 += STEP) {
        const ps1 = add(ps0, dn[i2]!);
        let alp1 = L_mac(alp0, rr[q0]!, _1_8);
        q0 += NB_POS;
        alp1 = L_mac(alp1, rr[q1]!, _1_8);
        q1 += NB_POS;
        alp1 = L_mac(alp1, rr[q2++]!, _1_16);
        let q4 = 0;
        for (let i3 = 1; i3 < L_SUBFR; i3 += STEP) {
          const ps2 = add(ps1, dn[i3]!);
          let alp2 = L_mac(alp1, rr[q3++]!, _1_8);
          alp2 = L_mac(alp2, tmpVect[q4++]!, _1_2);
          const sq2 = mult(ps2, ps2);
          const alp16 = round(alp2);
          const s = L_msu(L_mult(alp, sq2), sq, alp16);
          if (s > 0) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = i3;
          }
        }
      }
    }
    let s = L_msu(L_mult(alpk, sq), psk, alp);
    if (s > 0) {
      psk = sq;
      alpk = alp;
      ip2 = i0;
      ip3 = i1;
      ip0 = ix;
      ip1 = iy;
    }

    // depth first search 4, phase A: track 3 and 0
    sq = -1;
    alp = 1;
    prevI0 = -1;
    for (let i = 0; i < 2; i++) {
      let max = -1;
      for (let j = track; j < L_SUBFR; j += STEP) {
        if (sub(dn[j]!, max) > 0 && prevI0 !== j) {
          max = dn[j]!;
          i0 = j;
        }
      }
      prevI0 = i0;
      const j = mult(i0, 6554);
      const ps1 = dn[i0]!;
      const alp1 = L_mult(rr[rri3i3i4 + j]!, _1_4);
      let q0 = rri0i3i4 + j;
      let q1 = RRI0I0;
      for (let k1 = 0; k1 < L_SUBFR; k1 += STEP) {
        const ps2 = add(ps1, dn[k1]!);
        let alp2 = L_mac(alp1, rr[q0]!, _1_2);
        q0 += NB_POS;
        alp2 = L_mac(alp2, rr[q1++]!, _1_4);
        const sq2 = mult(ps2, ps2);
        const alp16 = round(alp2);
        const s2 = L_msu(L_mult(alp, sq2), sq, alp16);
        if (s2 > 0) {
          sq = sq2;
          ps = ps2;
          alp = alp16;
          ix = i0;
          iy = k1;
        }
      }
    }
    i0 = ix;
    i1 = iy;
    const i1Offset = shl(mult(i1, 6554), 3);
    // phase B: track 1 and 2
    ps0 = ps;
    alp0 = L_mult(alp, _1_4);
    sq = -1;
    alp = 1;
    {
      let q0 = rri2i3i4 + mult(i0, 6554);
      let q1 = RRI0I2 + i1Offset;
      let q2 = RRI2I2;
      let q3 = 0;
      for (let i3 = 2; i3 < L_SUBFR; i3 += STEP) {
        let s3 = L_mult(rr[q0]!, _1_4);
        q0 += NB_POS;
        s3 = L_mac(s3, rr[q1++]!, _1_4);
        s3 = L_mac(s3, rr[q2++]!, _1_8);
        tmpVect[q3++] = round(s3);
      }
      q0 = rri1i3i4 + mult(i0, 6554);
      q1 = RRI0I1 + i1Offset;
      q2 = RRI1I1;
      q3 = RRI1I2;
      for (let i2 = 1; i2 < L_SUBFR; i2 += STEP) {
        const ps1 = add(ps0, dn[i2]!);
        let alp1 = L_mac(alp0, rr[q0]!, _1_8);
        q0 += NB_POS;
        alp1 = L_mac(alp1, rr[q1++]!, _1_8);
        alp1 = L_mac(alp1, rr[q2++]!, _1_16);
        let q4 = 0;
        for (let i3 = 2; i3 < L_SUBFR; i3 += STEP) {
          const ps2 = add(ps1, dn[i3]!);
          let alp2 = L_mac(alp1, rr[q3++]!, _1_8);
          alp2 = L_mac(alp2, tmpVect[q4++]!, _1_2);
          const sq2 = mult(ps2, ps2);
          const alp16 = round(alp2);
          const s4 = L_msu(L_mult(alp, sq2), sq, alp16);
          if (s4 > 0) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = i3;
          }
        }
      }
    }
    s = L_msu(L_mult(alpk, sq), psk, alp);
    if (s > 0) {
      psk = sq;
      alpk = alp;
      ip3 = i0;
      ip0 = i1;
      ip1 = ix;
      ip2 = iy;
    }
    rri0i3i4 = RRI0I4;
    rri1i3i4 = RRI1I4;
    rri2i3i4 = RRI2I4;
    rri3i3i4 = RRI4I4;
  }

  ipOut[0] = ip0;
  ipOut[1] = ip1;
  ipOut[2] = ip2;
  ipOut[3] = ip3;
}

/**
 * The depth-first search in plain arithmetic, valid when max |rr| ≤ RR_PLAIN_MAX: dn is 13-bit
 * and non-negative, so ps sums stay below 32767; the energies (alp) stay inside 32 bits; and
 * the comparisons L_msu(L_mult(alp, sq2), sq, alp16) > 0 keep their sign under saturation, so
 * they are alp·sq2 > sq·alp16 exactly. Same order of visits and ties as searchReference.
 */
function searchPlain(dn: Int16Array, rr: Int32Array, ipOut: Int32Array): void {
  // Phase B's partial energies, kept already scaled (·2^15).
  const tmpVect = tmpVect32;
  let psk = -1;
  let alpk = 1;
  let rri0i3i4 = RRI0I3;
  let rri1i3i4 = RRI1I3;
  let rri2i3i4 = RRI2I3;
  let rri3i3i4 = RRI3I3;
  let ip0 = 0;
  let ip1 = 1;
  let ip2 = 2;
  let ip3 = 3;
  let ix = 0;
  let iy = 0;
  let ps = 0;
  let i0 = 0;
  let i1 = 0;
  for (let track = 3; track < 5; track++) {
    // depth first search 3, phase A: track 2 and 3/4
    let sq = -1;
    let alp = 1;
    let prevI0 = -1;
    for (let i = 0; i < 2; i++) {
      let max = -1;
      for (let j = 2; j < L_SUBFR; j += STEP) {
        if (dn[j]! > max && prevI0 !== j) {
          max = dn[j]!;
          i0 = j;
        }
      }
      prevI0 = i0;
      const j = (i0 * 6554) >> 15;
      const ps1 = dn[i0]!;
      const alp1 = rr[RRI2I2 + j]! << 14;
      let q0 = rri2i3i4 + (j << 3);
      let q1 = rri3i3i4;
      for (let k1 = track; k1 < L_SUBFR; k1 += STEP) {
        const ps2 = ps1 + dn[k1]!;
        const alp2 = (alp1 + (rr[q0++]! << 15) + (rr[q1++]! << 14)) | 0;
        const sq2 = Math.imul(ps2, ps2) >> 15;
        const alp16 = (alp2 + 0x8000) >> 16;
        if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
          sq = sq2;
          ps = ps2;
          alp = alp16;
          ix = i0;
          iy = k1;
        }
      }
    }
    i0 = ix;
    i1 = iy;
    // phase B: track 0 and 1
    let ps0 = ps;
    let alp0 = alp << 14;
    sq = -1;
    alp = 1;
    {
      let q0 = RRI1I2 + ((i0 * 6554) >> 15);
      let q1 = rri1i3i4 + ((i1 * 6554) >> 15);
      let q2 = RRI1I1;
      for (let q3 = 0; q3 < NB_POS; q3++) {
        const s = ((rr[q0]! << 14) + (rr[q1]! << 14) + (rr[q2++]! << 13)) | 0;
        q0 += NB_POS;
        q1 += NB_POS;
        tmpVect[q3] = ((s + 0x8000) >> 16) << 15;
      }
      q0 = RRI0I2 + ((i0 * 6554) >> 15);
      q1 = rri0i3i4 + ((i1 * 6554) >> 15);
      q2 = RRI0I0;
      let q3 = RRI0I1;
      // The inner loop over i3 = 1, 6, … 36 written out, its dn and tmpVect entries in locals.
      const n0 = dn[1]!;
      const n1 = dn[6]!;
      const n2 = dn[11]!;
      const n3 = dn[16]!;
      const n4 = dn[21]!;
      const n5 = dn[26]!;
      const n6 = dn[31]!;
      const n7 = dn[36]!;
      const v0 = tmpVect[0]!;
      const v1 = tmpVect[1]!;
      const v2 = tmpVect[2]!;
      const v3 = tmpVect[3]!;
      const v4 = tmpVect[4]!;
      const v5 = tmpVect[5]!;
      const v6 = tmpVect[6]!;
      const v7 = tmpVect[7]!;
      for (let i2 = 0; i2 < L_SUBFR; i2 += STEP, q3 += NB_POS) {
        const ps1 = ps0 + dn[i2]!;
        const alp1 = (alp0 + (rr[q0]! << 13) + (rr[q1]! << 13) + (rr[q2++]! << 12)) | 0;
        q0 += NB_POS;
        q1 += NB_POS;
        {
          const ps2 = ps1 + n0;
          const alp2 = (alp1 + (rr[q3 + 0]! << 13) + v0) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 1;
          }
        }
        {
          const ps2 = ps1 + n1;
          const alp2 = (alp1 + (rr[q3 + 1]! << 13) + v1) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 6;
          }
        }
        {
          const ps2 = ps1 + n2;
          const alp2 = (alp1 + (rr[q3 + 2]! << 13) + v2) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 11;
          }
        }
        {
          const ps2 = ps1 + n3;
          const alp2 = (alp1 + (rr[q3 + 3]! << 13) + v3) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 16;
          }
        }
        {
          const ps2 = ps1 + n4;
          const alp2 = (alp1 + (rr[q3 + 4]! << 13) + v4) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 21;
          }
        }
        {
          const ps2 = ps1 + n5;
          const alp2 = (alp1 + (rr[q3 + 5]! << 13) + v5) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 26;
          }
        }
        {
          const ps2 = ps1 + n6;
          const alp2 = (alp1 + (rr[q3 + 6]! << 13) + v6) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 31;
          }
        }
        {
          const ps2 = ps1 + n7;
          const alp2 = (alp1 + (rr[q3 + 7]! << 13) + v7) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 36;
          }
        }
      }
    }
    if (Math.imul(alpk, sq) > Math.imul(psk, alp)) {
      psk = sq;
      alpk = alp;
      ip2 = i0;
      ip3 = i1;
      ip0 = ix;
      ip1 = iy;
    }

    // depth first search 4, phase A: track 3 and 0
    sq = -1;
    alp = 1;
    prevI0 = -1;
    for (let i = 0; i < 2; i++) {
      let max = -1;
      for (let j = track; j < L_SUBFR; j += STEP) {
        if (dn[j]! > max && prevI0 !== j) {
          max = dn[j]!;
          i0 = j;
        }
      }
      prevI0 = i0;
      const j = (i0 * 6554) >> 15;
      const ps1 = dn[i0]!;
      const alp1 = rr[rri3i3i4 + j]! << 14;
      let q0 = rri0i3i4 + j;
      let q1 = RRI0I0;
      for (let k1 = 0; k1 < L_SUBFR; k1 += STEP) {
        const ps2 = ps1 + dn[k1]!;
        const alp2 = (alp1 + (rr[q0]! << 15) + (rr[q1++]! << 14)) | 0;
        q0 += NB_POS;
        const sq2 = Math.imul(ps2, ps2) >> 15;
        const alp16 = (alp2 + 0x8000) >> 16;
        if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
          sq = sq2;
          ps = ps2;
          alp = alp16;
          ix = i0;
          iy = k1;
        }
      }
    }
    i0 = ix;
    i1 = iy;
    const i1Offset = ((i1 * 6554) >> 15) << 3;
    // phase B: track 1 and 2
    ps0 = ps;
    alp0 = alp << 14;
    sq = -1;
    alp = 1;
    {
      let q0 = rri2i3i4 + ((i0 * 6554) >> 15);
      let q1 = RRI0I2 + i1Offset;
      let q2 = RRI2I2;
      for (let q3 = 0; q3 < NB_POS; q3++) {
        const s3 = ((rr[q0]! << 14) + (rr[q1++]! << 14) + (rr[q2++]! << 13)) | 0;
        q0 += NB_POS;
        tmpVect[q3] = ((s3 + 0x8000) >> 16) << 15;
      }
      q0 = rri1i3i4 + ((i0 * 6554) >> 15);
      q1 = RRI0I1 + i1Offset;
      q2 = RRI1I1;
      let q3 = RRI1I2;
      // The inner loop over i3 = 2, 7, … 37 written out, as above.
      const n0 = dn[2]!;
      const n1 = dn[7]!;
      const n2 = dn[12]!;
      const n3 = dn[17]!;
      const n4 = dn[22]!;
      const n5 = dn[27]!;
      const n6 = dn[32]!;
      const n7 = dn[37]!;
      const v0 = tmpVect[0]!;
      const v1 = tmpVect[1]!;
      const v2 = tmpVect[2]!;
      const v3 = tmpVect[3]!;
      const v4 = tmpVect[4]!;
      const v5 = tmpVect[5]!;
      const v6 = tmpVect[6]!;
      const v7 = tmpVect[7]!;
      for (let i2 = 1; i2 < L_SUBFR; i2 += STEP, q3 += NB_POS) {
        const ps1 = ps0 + dn[i2]!;
        const alp1 = (alp0 + (rr[q0]! << 13) + (rr[q1++]! << 13) + (rr[q2++]! << 12)) | 0;
        q0 += NB_POS;
        {
          const ps2 = ps1 + n0;
          const alp2 = (alp1 + (rr[q3 + 0]! << 13) + v0) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 2;
          }
        }
        {
          const ps2 = ps1 + n1;
          const alp2 = (alp1 + (rr[q3 + 1]! << 13) + v1) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 7;
          }
        }
        {
          const ps2 = ps1 + n2;
          const alp2 = (alp1 + (rr[q3 + 2]! << 13) + v2) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 12;
          }
        }
        {
          const ps2 = ps1 + n3;
          const alp2 = (alp1 + (rr[q3 + 3]! << 13) + v3) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 17;
          }
        }
        {
          const ps2 = ps1 + n4;
          const alp2 = (alp1 + (rr[q3 + 4]! << 13) + v4) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 22;
          }
        }
        {
          const ps2 = ps1 + n5;
          const alp2 = (alp1 + (rr[q3 + 5]! << 13) + v5) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 27;
          }
        }
        {
          const ps2 = ps1 + n6;
          const alp2 = (alp1 + (rr[q3 + 6]! << 13) + v6) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 32;
          }
        }
        {
          const ps2 = ps1 + n7;
          const alp2 = (alp1 + (rr[q3 + 7]! << 13) + v7) | 0;
          const sq2 = Math.imul(ps2, ps2) >> 15;
          const alp16 = (alp2 + 0x8000) >> 16;
          if (Math.imul(alp, sq2) > Math.imul(sq, alp16)) {
            sq = sq2;
            alp = alp16;
            ix = i2;
            iy = 37;
          }
        }
      }
    }
    if (Math.imul(alpk, sq) > Math.imul(psk, alp)) {
      psk = sq;
      alpk = alp;
      ip3 = i0;
      ip0 = i1;
      ip1 = ix;
      ip2 = iy;
    }
    rri0i3i4 = RRI0I4;
    rri1i3i4 = RRI1I4;
    rri2i3i4 = RRI2I4;
    rri3i3i4 = RRI4I4;
  }
  ipOut[0] = ip0;
  ipOut[1] = ip1;
  ipOut[2] = ip2;
  ipOut[3] = ip3;
}

/** The correlations, and a spare slot at DIM_RR that corHPlain writes unused sums to. */
const rr = new Int32Array(DIM_RR + 1);
const dnBuf = new Int16Array(L_SUBFR);
const negDn = new Int32Array(L_SUBFR);

/**
 * Annex A's codebook search for target x with impulse response h (modified in place by the
 * pitch sharpening, as the reference does). Writes [position index, sign index] into result.
 */
export function acelpCodeA(
  x: Int16Array,
  h: Int16Array,
  T0: number,
  pitchSharp: number,
  code: Int16Array,
  y: Int16Array,
  result: Int32Array,
): void {
  const sharp = shl(pitchSharp, 1);
  // add(h[i], mult(h[i − T0], sharp)) with sharp ≥ 0: only the addition can saturate.
  if (T0 < L_SUBFR) {
    for (let i = T0; i < L_SUBFR; i++) {
      const v = h[i]! + ((h[i - T0]! * sharp) >> 15);
      h[i] = v > MAX_16 ? MAX_16 : Math.max(v, MIN_16);
    }
  }
  corHX(h, x, dnBuf);
  for (let i = 0; i < L_SUBFR; i++) negDn[i] = dnBuf[i]! < 0 ? -1 : 0;
  const folded = corH(h, rr, negDn);
  d4i40_17Fast(dnBuf, rr, h, code, y, result, folded);
  if (T0 < L_SUBFR) {
    for (let i = T0; i < L_SUBFR; i++) {
      const v = code[i]! + ((code[i - T0]! * sharp) >> 15);
      code[i] = v > MAX_16 ? MAX_16 : Math.max(v, MIN_16);
    }
  }
}
