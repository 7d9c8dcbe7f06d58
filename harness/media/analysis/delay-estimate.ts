/**
 * Delay of a received signal against its reference by cross-correlation (see
 * cross-correlation.ts for the lag convention: positive = received is late).
 *
 * The peak is searched on the raw correlation among lags whose overlap covers at least
 * `minOverlapFraction` of the shorter signal, then normalised by the energies of the two
 * overlapping parts, giving a coefficient in 0..1 (1 = the overlap is an exact scaled copy).
 * Below `minPeak` the result says "no correlation" (`found: false`), with the values seen.
 */
import { crossCorrelate, finite, mean } from './cross-correlation.ts';
import type { Samples } from './pcm.ts';

/** Options of `estimateDelay`. */
export interface DelayOptions {
  sampleRate: number;
  /** Smallest lag considered, ms (default: any). */
  minLagMs?: number;
  /** Largest lag considered, ms (default: any). */
  maxLagMs?: number;
  /** Normalised peak needed to report a delay (default 0.3). */
  minPeak?: number;
  /** Overlap needed at a lag, as a fraction of the shorter signal (default 0.5). */
  minOverlapFraction?: number;
}

/** Result of `estimateDelay`. */
export interface DelayEstimate {
  /** True when the normalised peak reached `minPeak`. */
  found: boolean;
  /** Integer lag of the peak in samples (positive: received is late). */
  lagSamples: number;
  /** The same in ms. */
  lagMs: number;
  /** Lag refined by a parabola through the peak and its neighbours, samples. */
  lagFractional: number;
  /** Normalised correlation at the peak, 0..1 (0 when nothing correlated positively). */
  peak: number;
  /** Samples overlapping at that lag. */
  overlapSamples: number;
  /** Why `found` is false. */
  reason?: 'empty' | 'too-long' | 'silent' | 'low-correlation' | 'no-lag-in-range';
}

function prefixSquares(signal: Samples, m: number): Float64Array {
  const p = new Float64Array(signal.length + 1);
  for (let i = 0; i < signal.length; i++) {
    const v = finite(signal[i]!) - m;
    p[i + 1] = p[i]! + v * v;
  }
  return p;
}

/** Estimates the lag of `received` against `reference`. Never throws on bad input. */
export function estimateDelay(reference: Samples, received: Samples, options: DelayOptions): DelayEstimate {
  const fs = options.sampleRate > 0 ? options.sampleRate : 8000;
  const none = (reason: DelayEstimate['reason'], extra: Partial<DelayEstimate> = {}): DelayEstimate => ({
    found: false,
    lagSamples: 0,
    lagMs: 0,
    lagFractional: 0,
    peak: 0,
    overlapSamples: 0,
    reason,
    ...extra,
  });
  const nRef = reference.length;
  const nRec = received.length;
  if (nRef === 0 || nRec === 0) return none('empty');
  const corr = crossCorrelate(reference, received);
  if (!corr) return none('too-long');

  const pRef = prefixSquares(reference, mean(reference));
  const pRec = prefixSquares(received, mean(received));
  if (pRef[nRef]! <= 0 || pRec[nRec]! <= 0) return none('silent');

  const minOverlap = Math.max(1, Math.ceil((options.minOverlapFraction ?? 0.5) * Math.min(nRef, nRec)));
  let lo = -(nRef - 1);
  let hi = nRec - 1;
  if (options.minLagMs !== undefined) lo = Math.max(lo, Math.ceil((options.minLagMs * fs) / 1000));
  if (options.maxLagMs !== undefined) hi = Math.min(hi, Math.floor((options.maxLagMs * fs) / 1000));

  const overlapAt = (lag: number): [number, number] => {
    const a = Math.max(0, -lag);
    const b = Math.min(nRef, nRec - lag);
    return [a, b];
  };

  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let lag = lo; lag <= hi; lag++) {
    const [a, b] = overlapAt(lag);
    if (b - a < minOverlap) continue;
    const v = corr.values[lag - corr.minLag]!;
    if (v > bestValue) {
      bestValue = v;
      best = lag;
    }
  }
  if (bestValue === Number.NEGATIVE_INFINITY) return none('no-lag-in-range');

  const [a, b] = overlapAt(best);
  const eRef = pRef[b]! - pRef[a]!;
  const eRec = pRec[b + best]! - pRec[a + best]!;
  const denom = Math.sqrt(eRef * eRec);
  const peak = denom > 0 ? Math.max(0, Math.min(1, bestValue / denom)) : 0;

  let frac = best;
  const i = best - corr.minLag;
  if (i > 0 && i < corr.values.length - 1) {
    const y0 = corr.values[i - 1]!;
    const y1 = corr.values[i]!;
    const y2 = corr.values[i + 1]!;
    const d = y0 - 2 * y1 + y2;
    if (d < 0) frac = best + Math.max(-0.5, Math.min(0.5, (0.5 * (y0 - y2)) / d));
  }
  const result: DelayEstimate = {
    found: peak >= (options.minPeak ?? 0.3),
    lagSamples: best,
    lagMs: (best * 1000) / fs,
    lagFractional: frac,
    peak,
    overlapSamples: b - a,
  };
  if (!result.found) result.reason = 'low-correlation';
  return result;
}
