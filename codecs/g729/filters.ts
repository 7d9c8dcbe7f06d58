/** LP filters of G.729: synthesis 1/A(z), inverse (residual) A(z), bandwidth expansion A(z/γ). */
import { L_mac, L_msu, L_mult, L_shl, MAX_32, MIN_32, round } from './basic-ops.ts';
import { M } from './lsp.ts';

const tmp = new Int16Array(M + 160);

/**
 * y[n] = x[n] − Σ a[j]·y[n−j] (a Q12 at a[aOff..]); `mem` holds the 10 past outputs and is
 * updated when `update` is set. x and y may be the same array region.
 */
export function synFilt(
  a: Int16Array,
  aOff: number,
  x: Int16Array,
  xOff: number,
  y: Int16Array,
  yOff: number,
  lg: number,
  mem: Int16Array,
  memOff: number,
  update: boolean,
): void {
  for (let i = 0; i < M; i++) tmp[i] = mem[memOff + i]!;
  // Exact fast path: while no partial sum leaves 32 bits (and no product is the saturating
  // −32768·−32768, impossible when no coefficient is −32768) the plain sum is the reference's.
  let fast = true;
  for (let j = 0; j <= M; j++) if (a[aOff + j] === -32768) fast = false;
  const a0 = a[aOff]!;
  for (let i = 0; i < lg; i++) {
    const yi = i + M;
    if (fast) {
      let s = 2 * x[xOff + i]! * a0;
      let bad = false;
      for (let j = 1; j <= M; j++) {
        s -= 2 * a[aOff + j]! * tmp[yi - j]!;
        if (s > MAX_32 || s < MIN_32) bad = true;
      }
      if (!bad && s >= -0x10000000 && s < 0x0ffff000) {
        tmp[yi] = (s * 8 + 0x8000) >> 16;
        continue;
      }
    }
    let t = L_mult(x[xOff + i]!, a0);
    for (let j = 1; j <= M; j++) t = L_msu(t, a[aOff + j]!, tmp[yi - j]!);
    t = L_shl(t, 3);
    tmp[yi] = round(t);
  }
  for (let i = 0; i < lg; i++) y[yOff + i] = tmp[i + M]!;
  if (update) for (let i = 0; i < M; i++) mem[memOff + i] = y[yOff + lg - M + i]!;
}

/** y[n] = Σ a[j]·x[n−j], x read from x[xOff − 10 ..] (Residu). */
export function residu(
  a: Int16Array,
  aOff: number,
  x: Int16Array,
  xOff: number,
  y: Int16Array,
  yOff: number,
  lg: number,
): void {
  let fast = true;
  for (let j = 0; j <= M; j++) if (a[aOff + j] === -32768) fast = false;
  for (let i = 0; i < lg; i++) {
    if (fast) {
      let s = 2 * x[xOff + i]! * a[aOff]!;
      let bad = false;
      for (let j = 1; j <= M; j++) {
        s += 2 * a[aOff + j]! * x[xOff + i - j]!;
        if (s > MAX_32 || s < MIN_32) bad = true;
      }
      if (!bad && s >= -0x10000000 && s < 0x0ffff000) {
        y[yOff + i] = (s * 8 + 0x8000) >> 16;
        continue;
      }
    }
    let s = L_mult(x[xOff + i]!, a[aOff]!);
    for (let j = 1; j <= M; j++) s = L_mac(s, a[aOff + j]!, x[xOff + i - j]!);
    s = L_shl(s, 3);
    y[yOff + i] = round(s);
  }
}

/** ap[i] = a[i]·γ^i (Weight_Az). */
export function weightAz(a: Int16Array, aOff: number, gamma: number, ap: Int16Array): void {
  ap[0] = a[aOff]!;
  let fac = gamma;
  for (let i = 1; i < M; i++) {
    ap[i] = round(L_mult(a[aOff + i]!, fac));
    fac = round(L_mult(fac, gamma));
  }
  ap[M] = round(L_mult(a[aOff + M]!, fac));
}
