/**
 * QUANTL's interval search of ITU-T G.722 (lower sub-band, 6-bit quantiser), without a loop.
 *
 * The Recommendation scans MIL = 1..29 for the first decision level with
 * WD < (Q6(MIL) · DETL) >> 12, and takes MIL = 30 when there is none. For integers,
 * WD < floor(Q6·DETL / 4096)  ⇔  Q6·DETL ≥ (WD + 1)·4096  ⇔  Q6 ≥ ⌈(WD + 1)·4096 / DETL⌉,
 * so MIL is the first level Q6(MIL) at or above c = ⌈(WD + 1)·4096 / DETL⌉, which a table
 * indexed by c gives at once. The double division is exact enough for the ceiling: the
 * quotient is below 2^28 and a non-integer quotient is at least 1/DETL ≥ 2^-15 away from
 * an integer, far more than the rounding error.
 */
import { Q6 } from './g722-tables.ts';

/** Largest decision level the scan compares with, Q6(29). */
const TOP = Q6[29]!;

/** FIRST[c] = first MIL in 1..29 with Q6(MIL) ≥ c, else 30; for c in 0..TOP. */
const FIRST: Uint8Array = (() => {
  const t = new Uint8Array(TOP + 1);
  let mil = 1;
  for (let c = 0; c <= TOP; c++) {
    while (Q6[mil]! < c) mil++;
    t[c] = mil;
  }
  return t;
})();

/**
 * The quantiser interval MIL (1..30) of the magnitude `wd` (0..32767) at scale factor
 * `det` (> 0), exactly as the Recommendation's linear scan defines it.
 */
export function quantlInterval(wd: number, det: number): number {
  const c = Math.ceil(((wd + 1) * 4096) / det);
  return c > TOP ? 30 : FIRST[c]!;
}
