/** Adaptive codebook: pitch delay decoding and fractional interpolation (G.729 §3.7, §4.1.3). */
import { add, L_mac, MAX_32, MIN_32, mult, negate, round, sub } from './basic-ops.ts';
import { INTER_3L } from './tables.ts';

export const PIT_MIN = 20;
export const PIT_MAX = 143;
export const L_INTERPOL = 11;
const UP_SAMP = 3;
const L_INTER10 = 10;

/** Delay (integer, fraction) from the pitch index (Dec_lag3). `t0` is the first subframe's delay. */
export function decodeLag(index: number, subframe: number, t0: number, out: Int32Array): void {
  if (subframe === 0) {
    if (index < 197) {
      const T0 = add(mult(add(index, 2), 10923), 19);
      const i = T0 + T0 + T0;
      out[0] = T0;
      out[1] = add(sub(index, i), 58);
    } else {
      out[0] = sub(index, 112);
      out[1] = 0;
    }
    return;
  }
  let tMin = sub(t0, 5);
  if (tMin < PIT_MIN) tMin = PIT_MIN;
  let tMax = add(tMin, 9);
  if (tMax > PIT_MAX) {
    tMax = PIT_MAX;
    tMin = sub(tMax, 9);
  }
  let i = sub(mult(add(index, 2), 10923), 1);
  out[0] = add(i, tMin);
  i = i + i + i;
  out[1] = sub(sub(index, 2), i);
}

/**
 * exc[off + n] = interpolated past excitation at delay T0 − frac/3, computed in place so that
 * delays shorter than the subframe repeat the new samples (Pred_lt_3).
 */
export function predLt3(exc: Int16Array, off: number, T0: number, frac: number, len: number): void {
  let x0 = off - T0;
  frac = negate(frac);
  if (frac < 0) {
    frac += UP_SAMP;
    x0--;
  }
  const c2o = UP_SAMP - frac;
  for (let j = 0; j < len; j++) {
    const x1 = x0++;
    const x2 = x0;
    // Exact fast path: the filter has no −32768 tap, so only a partial sum leaving 32 bits
    // could make the saturating reference differ from the plain sum.
    let s = 0;
    let bad = false;
    for (let i = 0, k = 0; i < L_INTER10; i++, k += UP_SAMP) {
      s += 2 * exc[x1 - i]! * INTER_3L[frac + k]!;
      if (s > MAX_32 || s < MIN_32) bad = true;
      s += 2 * exc[x2 + i]! * INTER_3L[c2o + k]!;
      if (s > MAX_32 || s < MIN_32) bad = true;
    }
    if (!bad && s < MAX_32 - 0x8000) {
      exc[off + j] = (s + 0x8000) >> 16;
      continue;
    }
    s = 0;
    for (let i = 0, k = 0; i < L_INTER10; i++, k += UP_SAMP) {
      s = L_mac(s, exc[x1 - i]!, INTER_3L[frac + k]!);
      s = L_mac(s, exc[x2 + i]!, INTER_3L[c2o + k]!);
    }
    exc[off + j] = round(s);
  }
}
