/**
 * SNR and SINAD of a received signal against its reference, after alignment and an
 * optimal (least-squares) gain fit, so a level change through the SBC is not counted as noise.
 *
 * Over the overlapping part, with means removed, x = reference and y = received:
 *   g = Σxy / Σx²,  e = y − g·x (everything that is not the scaled reference)
 *   SNR   = 10·log10(Σ(g·x)² / Σe²)       signal over noise-plus-distortion
 *   SINAD = 10·log10(Σy² / Σe²)           (signal + noise + distortion) over (noise + distortion)
 * so SINAD = 10·log10(1 + 10^(SNR/10)) in theory; the two differ visibly only at low SNR.
 * Segmental SNR is the mean of per-frame SNRs (20 ms frames where the reference is within
 * 40 dB of its loudest frame), each clamped to [−10, 35] dB, as is usual for speech.
 */
import { estimateDelay } from './delay-estimate.ts';
import { powerRatioDb } from './levels.ts';
import { type Samples, samplesForMs } from './pcm.ts';

/** Options of `measureSnr`. */
export interface SnrOptions {
  sampleRate: number;
  /** Known lag (received late by this many samples); estimated by cross-correlation if absent. */
  lagSamples?: number;
  /** Largest |lag| searched when estimating, ms (default: any). */
  maxLagMs?: number;
  /** Correlation needed to trust the alignment (default 0.3). */
  minPeak?: number;
  /** Frame length for the segmental SNR, ms (default 20). */
  frameMs?: number;
}

/** Result of `measureSnr`. Values are −200 / 200 dB at the degenerate ends. */
export interface SnrResult {
  /** False when the signals could not be aligned; the dB values are then −200. */
  aligned: boolean;
  lagSamples: number;
  /** Normalised correlation at the lag used (1 when the lag was given and the overlap is exact). */
  correlation: number;
  /** Fitted linear gain received/reference. */
  gain: number;
  gainDb: number;
  snrDb: number;
  sinadDb: number;
  segmentalSnrDb: number;
  overlapSamples: number;
  reason?: string;
}

/** Measures SNR and SINAD of `received` against `reference`. Never throws on bad input. */
export function measureSnr(reference: Samples, received: Samples, options: SnrOptions): SnrResult {
  const fail = (reason: string, lag = 0, correlation = 0): SnrResult => ({
    aligned: false,
    lagSamples: lag,
    correlation,
    gain: 0,
    gainDb: -200,
    snrDb: -200,
    sinadDb: -200,
    segmentalSnrDb: -200,
    overlapSamples: 0,
    reason,
  });
  let lag: number;
  let correlation = 1;
  if (options.lagSamples !== undefined && Number.isFinite(options.lagSamples)) {
    lag = Math.trunc(options.lagSamples);
  } else {
    const maxLag = options.maxLagMs;
    const d = estimateDelay(reference, received, {
      sampleRate: options.sampleRate,
      minPeak: options.minPeak ?? 0.3,
      ...(maxLag !== undefined ? { minLagMs: -maxLag, maxLagMs: maxLag } : {}),
    });
    if (!d.found) return fail(`no alignment: ${d.reason ?? 'unknown'}`, d.lagSamples, d.peak);
    lag = d.lagSamples;
    correlation = d.peak;
  }
  const a = Math.max(0, -lag);
  const b = Math.min(reference.length, received.length - lag);
  const n = b - a;
  if (n <= 0) return fail('no overlap at this lag', lag, 0);

  let mx = 0;
  let my = 0;
  for (let i = a; i < b; i++) {
    mx += reference[i]!;
    my += received[i + lag]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = a; i < b; i++) {
    const x = reference[i]! - mx;
    const y = received[i + lag]! - my;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
  }
  if (!(sxx > 0)) return fail('reference is silent over the overlap', lag, 0);
  const g = sxy / sxx;
  const err = Math.max(0, syy - 2 * g * sxy + g * g * sxx);
  if (options.lagSamples !== undefined) correlation = syy > 0 ? Math.max(0, sxy / Math.sqrt(sxx * syy)) : 0;

  // Segmental SNR over active reference frames.
  const frame = Math.max(1, samplesForMs(options.frameMs ?? 20, options.sampleRate));
  const frames: { s: number; e: number; px: number }[] = [];
  let maxPx = 0;
  for (let f = a; f + frame <= b; f += frame) {
    let px = 0;
    let pe = 0;
    for (let i = f; i < f + frame; i++) {
      const x = reference[i]! - mx;
      const e = received[i + lag]! - my - g * x;
      px += x * x;
      pe += e * e;
    }
    frames.push({ s: g * g * px, e: pe, px });
    if (px > maxPx) maxPx = px;
  }
  let segSum = 0;
  let segCount = 0;
  for (const fr of frames) {
    if (fr.px <= 0 || fr.px < maxPx * 1e-4) continue;
    segSum += Math.max(-10, Math.min(35, powerRatioDb(fr.s, fr.e)));
    segCount++;
  }

  return {
    aligned: true,
    lagSamples: lag,
    correlation,
    gain: g,
    gainDb: g > 0 ? 20 * Math.log10(g) : -200,
    snrDb: powerRatioDb(g * g * sxx, err),
    sinadDb: powerRatioDb(syy, err),
    segmentalSnrDb: segCount > 0 ? segSum / segCount : -200,
    overlapSamples: n,
  };
}
