/**
 * Cross-correlations at many lags in int32 arithmetic, four lags per pass: the searches over a
 * delay (open-loop pitch, closed-loop pitch, the post-filter's pitch) correlate one vector
 * with a past signal at consecutive lags, and the sample lag L + s reads at step k is the one
 * lag L read at step k − 1. Carrying it over halves the loads per product.
 *
 * The callers prove that every half-sum is within ±2^31 (a Cauchy–Schwarz bound on the energies
 * in each case), so the `| 0` sums are exact, in any order of addition.
 */

/**
 * out[L] = Σ_{k<n} x[xo + k·s]·y[yo + k·s − L] (the half-sum, int32) for the `count` lags
 * L = lag0, lag0 + s, …, lag0 + (count − 1)·s. Reads only the samples the single-lag sums read.
 */
export function correlateLags(
  x: Int16Array,
  xo: number,
  y: Int16Array,
  yo: number,
  n: number,
  s: number,
  lag0: number,
  count: number,
  out: Int32Array,
): void {
  let g = 0;
  if (count >= 4) {
    for (; g < count; g += 4) {
      // The last group may overlap the one before it: its sums are the same.
      if (g > count - 4) g = count - 4;
      const L = lag0 + g * s;
      let v1 = y[yo - L - s]!;
      let v2 = y[yo - L - 2 * s]!;
      let v3 = y[yo - L - 3 * s]!;
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      const end = xo + n * s;
      for (let i = xo, j = yo - L; i < end; i += s, j += s) {
        const a = x[i]!;
        const v0 = y[j]!;
        c0 = (c0 + Math.imul(a, v0)) | 0;
        c1 = (c1 + Math.imul(a, v1)) | 0;
        c2 = (c2 + Math.imul(a, v2)) | 0;
        c3 = (c3 + Math.imul(a, v3)) | 0;
        v3 = v2;
        v2 = v1;
        v1 = v0;
      }
      out[L] = c0;
      out[L + s] = c1;
      out[L + 2 * s] = c2;
      out[L + 3 * s] = c3;
    }
    return;
  }
  for (; g < count; g++) {
    const L = lag0 + g * s;
    let c = 0;
    const end = xo + n * s;
    for (let i = xo, j = yo - L; i < end; i += s, j += s) c = (c + Math.imul(x[i]!, y[j]!)) | 0;
    out[L] = c;
  }
}
