/**
 * Small signal measurements the codec checks need: SINAD of a known tone, the share of a
 * signal's energy at given frequencies, and alignment of two signals by cross-correlation.
 * (The harness's full signal-analysis module lives in harness/media/analysis/; this file
 * deliberately stays self-contained so that codecs/ depends on nothing above it.)
 */

/** Least-squares fit of `a·cos + b·sin + c` at `freq`: the tone's and the residual's power. */
function fitTone(x: ArrayLike<number>, sampleRate: number, freq: number): { tone: number; rest: number } {
  const n = x.length;
  if (n === 0) return { tone: 0, rest: 0 };
  const w = (2 * Math.PI * freq) / sampleRate;
  // Normal equations of the 3-parameter fit (cos, sin, 1).
  let cc = 0;
  let ss = 0;
  let cs = 0;
  let c1 = 0;
  let s1 = 0;
  let xc = 0;
  let xs = 0;
  let x1 = 0;
  let xx = 0;
  for (let i = 0; i < n; i++) {
    const c = Math.cos(w * i);
    const s = Math.sin(w * i);
    const v = x[i]!;
    cc += c * c;
    ss += s * s;
    cs += c * s;
    c1 += c;
    s1 += s;
    xc += v * c;
    xs += v * s;
    x1 += v;
    xx += v * v;
  }
  const sol = solve3(
    [
      [cc, cs, c1],
      [cs, ss, s1],
      [c1, s1, n],
    ],
    [xc, xs, x1],
  );
  if (!sol) return { tone: 0, rest: xx / n };
  const [a, b, dc] = sol;
  // Power of the fitted tone, and of what is left once tone and DC are removed.
  let tone = 0;
  let rest = 0;
  for (let i = 0; i < n; i++) {
    const t = a * Math.cos(w * i) + b * Math.sin(w * i);
    const r = x[i]! - t - dc;
    tone += t * t;
    rest += r * r;
  }
  return { tone: tone / n, rest: rest / n };
}

function solve3(m: number[][], v: number[]): [number, number, number] | undefined {
  const a = m.map((row, i) => [...row, v[i]!]);
  for (let col = 0; col < 3; col++) {
    let piv = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[piv]![col]!)) piv = r;
    if (Math.abs(a[piv]![col]!) < 1e-12) return undefined;
    [a[col], a[piv]] = [a[piv]!, a[col]!];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let k = col; k < 4; k++) a[r]![k]! -= f * a[col]![k]!;
    }
  }
  return [a[0]![3]! / a[0]![0]!, a[1]![3]! / a[1]![1]!, a[2]![3]! / a[2]![2]!];
}

/**
 * SINAD in dB of a tone at `freq`: power of the best-fitting sinusoid at exactly that
 * frequency over the power of everything else (noise and distortion; DC is ignored).
 * Returns -Infinity for silence and +Infinity for a pure tone.
 */
export function toneSinadDb(x: ArrayLike<number>, sampleRate: number, freq: number): number {
  const { tone, rest } = fitTone(x, sampleRate, freq);
  if (tone === 0) return Number.NEGATIVE_INFINITY;
  if (rest === 0) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10(tone / rest);
}

/** In-place iterative radix-2 FFT; `re`/`im` lengths must be the same power of two. */
function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
  if (inverse) {
    for (let i = 0; i < n; i++) {
      re[i] = re[i]! / n;
      im[i] = im[i]! / n;
    }
  }
}

/** How `signal` lines up with `reference`, as found by {@link alignSignals}. */
export interface Alignment {
  /** `signal[i + lag]` corresponds to `reference[i]` (negative: the signal starts late). */
  lag: number;
  /** Samples the two signals share at that lag. */
  overlap: number;
  /** Normalised (Pearson-like, zero-mean not removed) correlation over the overlap, -1..1. */
  correlation: number;
  /**
   * Signal-to-difference ratio in dB over the overlap: the reference scaled by the best gain,
   * against what remains of the signal (so a pure level change costs nothing).
   */
  snrDb: number;
  /** That best gain (signal ≈ gain · reference). */
  gain: number;
}

/**
 * Finds the lag that best aligns `signal` with `reference` (maximum cross-correlation over
 * every lag with at least `minOverlap` shared samples), and scores the match there.
 * Returns undefined when the inputs are too short to overlap that much.
 */
export function alignSignals(
  reference: ArrayLike<number>,
  signal: ArrayLike<number>,
  minOverlap = 1,
): Alignment | undefined {
  const n = reference.length;
  const m = signal.length;
  if (n === 0 || m === 0 || Math.min(n, m) < minOverlap) return undefined;
  let size = 1;
  while (size < n + m) size <<= 1;
  const ar = new Float64Array(size);
  const ai = new Float64Array(size);
  const br = new Float64Array(size);
  const bi = new Float64Array(size);
  for (let i = 0; i < n; i++) ar[i] = reference[i]!;
  for (let i = 0; i < m; i++) br[i] = signal[i]!;
  fft(ar, ai, false);
  fft(br, bi, false);
  // corr[lag] = Σ ref[i]·sig[i+lag] = IFFT(conj(A)·B)
  for (let k = 0; k < size; k++) {
    const r = ar[k]! * br[k]! + ai[k]! * bi[k]!;
    const i = ar[k]! * bi[k]! - ai[k]! * br[k]!;
    ar[k] = r;
    ai[k] = i;
  }
  fft(ar, ai, true);
  let bestLag = 0;
  let best = Number.NEGATIVE_INFINITY;
  for (let lag = -(n - 1); lag <= m - 1; lag++) {
    const overlap = Math.min(n, m - lag) - Math.max(0, -lag);
    if (overlap < minOverlap) continue;
    const v = ar[(lag + size) % size]!;
    if (v > best) {
      best = v;
      bestLag = lag;
    }
  }
  if (best === Number.NEGATIVE_INFINITY) return undefined;
  return scoreAt(reference, signal, bestLag);
}

/** Scores `signal` against `reference` at a given lag (see {@link Alignment}). */
export function scoreAt(reference: ArrayLike<number>, signal: ArrayLike<number>, lag: number): Alignment {
  const start = Math.max(0, -lag);
  const end = Math.min(reference.length, signal.length - lag);
  let rr = 0;
  let ss = 0;
  let rs = 0;
  for (let i = start; i < end; i++) {
    const r = reference[i]!;
    const s = signal[i + lag]!;
    rr += r * r;
    ss += s * s;
    rs += r * s;
  }
  const overlap = Math.max(0, end - start);
  const correlation = rr > 0 && ss > 0 ? rs / Math.sqrt(rr * ss) : 0;
  const gain = rr > 0 ? rs / rr : 0;
  const matched = gain * gain * rr;
  const residual = ss - 2 * gain * rs + gain * gain * rr;
  let snrDb: number;
  if (matched <= 0) snrDb = Number.NEGATIVE_INFINITY;
  else if (residual <= matched * 1e-15) snrDb = Number.POSITIVE_INFINITY;
  else snrDb = 10 * Math.log10(matched / residual);
  return { lag, overlap, correlation, snrDb, gain };
}

/**
 * Share (0..1) of the signal's power (Hann-windowed spectrum, DC bin excluded) that lies
 * within ±`halfWidthHz` of each of `freqs`. Works for tones that start and stop, where a
 * single sinusoid fit would not.
 */
export function bandShares(
  x: ArrayLike<number>,
  sampleRate: number,
  freqs: readonly number[],
  halfWidthHz = 50,
): number[] {
  const n = x.length;
  if (n < 2) return freqs.map(() => 0);
  let size = 1;
  while (size < n) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < n; i++) re[i] = x[i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  fft(re, im, false);
  const half = size / 2;
  const power = new Float64Array(half + 1);
  let total = 0;
  for (let k = 1; k <= half; k++) {
    power[k] = re[k]! * re[k]! + im[k]! * im[k]!;
    total += power[k]!;
  }
  if (total === 0) return freqs.map(() => 0);
  const hz = sampleRate / size;
  return freqs.map((f) => {
    const lo = Math.max(1, Math.ceil((f - halfWidthHz) / hz));
    const hi = Math.min(half, Math.floor((f + halfWidthHz) / hz));
    let sum = 0;
    for (let k = lo; k <= hi; k++) sum += power[k]!;
    return sum / total;
  });
}

/**
 * Halves the sampling rate (e.g. 16 kHz G.722 output → 8 kHz): a windowed-sinc low-pass at
 * 0.45 × the new rate, then every second sample. Adds a fixed delay of 8 output samples.
 */
export function decimateBy2(x: ArrayLike<number>): Int16Array {
  const taps = 33;
  const mid = (taps - 1) / 2;
  const cutoff = 0.45 / 2; // of the input rate
  const h = new Float64Array(taps);
  let sum = 0;
  for (let i = 0; i < taps; i++) {
    const t = i - mid;
    const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
    const win =
      0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (taps - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (taps - 1));
    h[i] = sinc * win;
    sum += h[i]!;
  }
  const out = new Int16Array(Math.floor(x.length / 2));
  for (let o = 0; o < out.length; o++) {
    const c = 2 * o;
    let acc = 0;
    for (let i = 0; i < taps; i++) {
      const j = c - i;
      if (j >= 0 && j < x.length) acc += h[i]! * x[j]!;
    }
    out[o] = Math.max(-32768, Math.min(32767, Math.round(acc / sum)));
  }
  return out;
}
