/**
 * An iterative radix-2 complex FFT (decimation in time) on split real/imaginary arrays,
 * with twiddle tables cached per size. Enough for cross-correlation and spectra of a few
 * seconds of audio; sizes must be powers of two.
 */

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();
const bitrevCache = new Map<number, Uint32Array>();

/** Smallest power of two ≥ n (1 for n ≤ 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** True when n is a positive power of two. */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleCache.get(n);
  if (!t) {
    const half = n >>> 1;
    const cos = new Float64Array(half);
    const sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      cos[k] = Math.cos((2 * Math.PI * k) / n);
      sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    t = { cos, sin };
    if (twiddleCache.size > 24) twiddleCache.clear();
    twiddleCache.set(n, t);
  }
  return t;
}

function bitReversal(n: number): Uint32Array {
  let r = bitrevCache.get(n);
  if (!r) {
    r = new Uint32Array(n);
    let bits = 0;
    while (1 << bits < n) bits++;
    for (let i = 0; i < n; i++) {
      let x = i;
      let y = 0;
      for (let b = 0; b < bits; b++) {
        y = (y << 1) | (x & 1);
        x >>>= 1;
      }
      r[i] = y;
    }
    if (bitrevCache.size > 24) bitrevCache.clear();
    bitrevCache.set(n, r);
  }
  return r;
}

/**
 * In-place FFT of (re, im). Forward uses e^(−2πi·kn/N); `inverse` uses e^(+2πi·kn/N) and
 * divides by N, so fft then inverse fft returns the input.
 * @throws RangeError when the lengths differ or are not a power of two (a caller bug).
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (im.length !== n || !isPowerOfTwo(n)) {
    throw new RangeError(`fft size must be a power of two with equal re/im lengths, got ${n}/${im.length}`);
  }
  if (n === 1) return;
  const rev = bitReversal(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i]!;
    if (j > i) {
      const tr = re[i]!;
      re[i] = re[j]!;
      re[j] = tr;
      const ti = im[i]!;
      im[i] = im[j]!;
      im[j] = ti;
    }
  }
  const { cos, sin } = twiddles(n);
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size *= 2) {
    const half = size >>> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0, t = 0; k < half; k++, t += step) {
        const wr = cos[t]!;
        const wi = sign * sin[t]!;
        const a = start + k;
        const b = a + half;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a]! += xr;
        im[a]! += xi;
      }
    }
  }
  if (inverse) {
    for (let i = 0; i < n; i++) {
      re[i]! /= n;
      im[i]! /= n;
    }
  }
}
