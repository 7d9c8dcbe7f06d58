/**
 * Tone analysis without a reference: is a tone there, at what frequency (sub-bin accurate)
 * and level, and how clean is it (SINAD, THD)?
 *
 * Method: (1) Hann-windowed FFT of up to `maxSamples` samples, strongest bin in the search
 * band, parabolic interpolation on the log magnitude for a first estimate; (2) golden-section
 * search of the Hann-windowed DTFT magnitude within ±1 bin, which converges to the tone's
 * frequency far below a bin; (3) a least-squares fit of a·cos + b·sin + c at that frequency
 * over the analysed samples gives the amplitude; the residual is noise plus distortion, so
 * SINAD = 10·log10(Σ(x − mean)² / Σresidual²) ("notching out" the fundamental). THD is
 * the power of harmonics 2..5 measured (Goertzel) on that residual, over the fundamental's.
 */
import { fft, nextPowerOfTwo } from './fft.ts';
import { goertzelAmplitude } from './goertzel.ts';
import { DBM0_OFFSET_ALAW, dbfsOfRms, dbfsOfSineAmplitude, powerRatioDb, SILENCE_DBFS } from './levels.ts';
import type { Samples } from './pcm.ts';

/** Options of `analyseTone`. */
export interface ToneAnalysisOptions {
  /** Frequency expected; with `toleranceHz`, `present` requires the tone to be this close. */
  expectedHz?: number;
  /** Allowed |measured − expected| (default 2% of expected, at least 5 Hz). */
  toleranceHz?: number;
  /** Band searched for the strongest tone, Hz (default: around `expectedHz` ±(tolerance+50), else 20..fs/2). */
  searchHz?: [number, number];
  /** Quietest tone that counts as present, dBFS (default −50). */
  minLevelDbfs?: number;
  /** Tone power over total power needed for `present`, dB (default −10). */
  minToneToTotalDb?: number;
  /** Samples analysed from `start` (default 65536; longer signals are truncated). */
  maxSamples?: number;
  /** First sample analysed (default 0). */
  start?: number;
  /** dBm0 of a 0 dBFS sine (default A-law 3.14). */
  dbm0Offset?: number;
}

/** Result of `analyseTone`. */
export interface ToneAnalysis {
  present: boolean;
  frequencyHz: number;
  /** Peak amplitude of the fitted sine, 16-bit units. */
  amplitude: number;
  levelDbfs: number;
  levelDbm0: number;
  /** RMS level of everything analysed, dBFS. */
  totalLevelDbfs: number;
  /** Fitted sine's power over the total power, dB (0 = pure tone). */
  toneToTotalDb: number;
  /** (tone + noise + distortion) / (noise + distortion), dB. */
  sinadDb: number;
  /** Power of harmonics 2..5 (below fs/2) relative to the fundamental, dB. */
  thdDb: number;
  samplesAnalysed: number;
  /** Why `present` is false. */
  reason?: 'empty' | 'too-quiet' | 'off-frequency' | 'not-dominant';
}

function hannDtftMagnitude(x: Float64Array, win: Float64Array, w: number): number {
  // Rotating phasor instead of per-sample trig.
  const cr = Math.cos(w);
  const ci = -Math.sin(w);
  let pr = 1;
  let pi = 0;
  let sr = 0;
  let si = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! * win[i]!;
    sr += v * pr;
    si += v * pi;
    const nr = pr * cr - pi * ci;
    pi = pr * ci + pi * cr;
    pr = nr;
    if ((i & 1023) === 1023) {
      const m = Math.hypot(pr, pi);
      pr /= m;
      pi /= m;
    }
  }
  return Math.hypot(sr, si);
}

interface SineFit {
  a: number;
  b: number;
  c: number;
  residual: number;
  /** x minus the fitted sine and offset. */
  residualSignal: Float64Array;
}

/** Least-squares fit of a·cos(wn) + b·sin(wn) + c. */
function fitSine(x: Float64Array, w: number): SineFit {
  let scc = 0;
  let sss = 0;
  let scs = 0;
  let sc = 0;
  let ss = 0;
  let sxc = 0;
  let sxs = 0;
  let sx = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const c = Math.cos(w * i);
    const s = Math.sin(w * i);
    scc += c * c;
    sss += s * s;
    scs += c * s;
    sc += c;
    ss += s;
    sxc += x[i]! * c;
    sxs += x[i]! * s;
    sx += x[i]!;
  }
  const m = [
    [scc, scs, sc],
    [scs, sss, ss],
    [sc, ss, n],
  ];
  const sol = solve3(m, [sxc, sxs, sx]) ?? [0, 0, sx / Math.max(1, n)];
  const [a, b, c] = sol as [number, number, number];
  let residual = 0;
  const residualSignal = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = x[i]! - a * Math.cos(w * i) - b * Math.sin(w * i) - c;
    residualSignal[i] = e;
    residual += e * e;
  }
  return { a, b, c, residual, residualSignal };
}

function solve3(m: number[][], v: number[]): number[] | undefined {
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

/** Measures the strongest tone in `signal` (optionally near an expected frequency). Never throws. */
export function analyseTone(
  signal: Samples,
  sampleRate: number,
  options: ToneAnalysisOptions = {},
): ToneAnalysis {
  const start = Math.max(0, Math.trunc(options.start ?? 0));
  const n = Math.max(0, Math.min(signal.length - start, options.maxSamples ?? 65536));
  const offset = options.dbm0Offset ?? DBM0_OFFSET_ALAW;
  const empty: ToneAnalysis = {
    present: false,
    frequencyHz: 0,
    amplitude: 0,
    levelDbfs: SILENCE_DBFS,
    levelDbm0: SILENCE_DBFS,
    totalLevelDbfs: SILENCE_DBFS,
    toneToTotalDb: -200,
    sinadDb: -200,
    thdDb: -200,
    samplesAnalysed: n,
    reason: 'empty',
  };
  if (n < 8 || !(sampleRate > 0)) return empty;

  const x = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += signal[start + i]!;
  mean /= n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = signal[start + i]! - mean;
    x[i] = Number.isFinite(v) ? v : 0;
    total += x[i]! * x[i]!;
  }
  const totalLevelDbfs = dbfsOfRms(Math.sqrt(total / n));
  if (!(total > 0)) return { ...empty, reason: 'too-quiet' };

  const win = new Float64Array(n);
  for (let i = 0; i < n; i++) win[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n);

  const expected = options.expectedHz;
  const tol = options.toleranceHz ?? (expected !== undefined ? Math.max(5, 0.02 * expected) : 0);
  const nyq = sampleRate / 2;
  const [lo, hi] =
    options.searchHz ?? (expected !== undefined ? [expected - tol - 50, expected + tol + 50] : [20, nyq]);

  // (1) coarse: FFT peak with parabolic interpolation on log magnitude.
  const size = nextPowerOfTwo(n) * 2;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < n; i++) re[i] = x[i]! * win[i]!;
  fft(re, im);
  const binHz = sampleRate / size;
  const kLo = Math.max(1, Math.ceil(Math.max(0, lo) / binHz));
  const kHi = Math.min(size / 2 - 1, Math.floor(Math.min(nyq, hi) / binHz));
  if (kHi < kLo) return { ...empty, totalLevelDbfs, reason: 'off-frequency' };
  let kBest = kLo;
  let mBest = -1;
  for (let k = kLo; k <= kHi; k++) {
    const m = re[k]! * re[k]! + im[k]! * im[k]!;
    if (m > mBest) {
      mBest = m;
      kBest = k;
    }
  }
  const mag = (k: number) => Math.log(Math.hypot(re[k]!, im[k]!) + 1e-12);
  let coarse = kBest;
  if (kBest > 0 && kBest < size / 2) {
    const y0 = mag(kBest - 1);
    const y1 = mag(kBest);
    const y2 = mag(kBest + 1);
    const d = y0 - 2 * y1 + y2;
    if (d < 0) coarse = kBest + Math.max(-0.5, Math.min(0.5, (0.5 * (y0 - y2)) / d));
  }

  // (2) refine: golden-section maximum of the windowed DTFT within ±1 (analysis) bin.
  const w0 = (2 * Math.PI * coarse) / size;
  const span = (2 * Math.PI) / n;
  let a = Math.max(1e-9, w0 - span);
  let b = Math.min(Math.PI - 1e-9, w0 + span);
  const gr = (Math.sqrt(5) - 1) / 2;
  let c = b - gr * (b - a);
  let d = a + gr * (b - a);
  let fc = hannDtftMagnitude(x, win, c);
  let fd = hannDtftMagnitude(x, win, d);
  for (let iter = 0; iter < 40 && b - a > 1e-12; iter++) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - gr * (b - a);
      fc = hannDtftMagnitude(x, win, c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + gr * (b - a);
      fd = hannDtftMagnitude(x, win, d);
    }
  }
  const w = (a + b) / 2;
  const frequencyHz = (w * sampleRate) / (2 * Math.PI);

  // (3) least-squares sine fit: amplitude, residual, SINAD.
  const fit = fitSine(x, w);
  const amplitude = Math.hypot(fit.a, fit.b);
  const tonePower = (amplitude * amplitude) / 2;
  const levelDbfs = dbfsOfSineAmplitude(amplitude);
  const toneToTotalDb = powerRatioDb(tonePower * n, total);
  const sinadDb = powerRatioDb(total, fit.residual);

  let harmonicPower = 0;
  for (let h = 2; h <= 5 && h * frequencyHz < nyq; h++) {
    // On the residual, so the fundamental's leakage does not read as harmonics.
    const ah = goertzelAmplitude(fit.residualSignal, sampleRate, h * frequencyHz);
    harmonicPower += (ah * ah) / 2;
  }
  const thdDb = powerRatioDb(harmonicPower, tonePower);

  const result: ToneAnalysis = {
    present: true,
    frequencyHz,
    amplitude,
    levelDbfs,
    levelDbm0: levelDbfs + offset,
    totalLevelDbfs,
    toneToTotalDb,
    sinadDb,
    thdDb,
    samplesAnalysed: n,
  };
  if (levelDbfs < (options.minLevelDbfs ?? -50)) {
    result.present = false;
    result.reason = 'too-quiet';
  } else if (expected !== undefined && Math.abs(frequencyHz - expected) > tol) {
    result.present = false;
    result.reason = 'off-frequency';
  } else if (toneToTotalDb < (options.minToneToTotalDb ?? -10)) {
    result.present = false;
    result.reason = 'not-dominant';
  }
  return result;
}
