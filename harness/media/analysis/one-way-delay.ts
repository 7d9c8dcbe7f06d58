/**
 * One-way delay of a stream, from what one end sent and what the other received, both
 * stamped on one clock (the harness plays both sides of the SBC in one process).
 *
 * Nothing in the RTP headers is trusted (an SBC rewrites SSRC, sequence numbers and
 * timestamps, transcodes, resamples and repacketises). Instead:
 *  1. Content alignment: the amplitude envelopes of the sent and received audio (RMS over
 *     `windowMs`, one value per `hopMs`) are cross-correlated (normalised per lag), which
 *     finds where in the received recording each sent sample landed — the lag L, in
 *     samples, such that received[j + L] carries sent[j]. Envelopes survive codecs,
 *     resampling and phase changes that defeat a waveform correlation; the sent signal
 *     must therefore have an envelope worth correlating (see the marked tone of the actors).
 *     The lag is found per received window of `spanMs` (every quarter span), so it may change
 *     along the stream: a sender that skipped send slots, packets an SBC dropped, or a
 *     receiver that filled a timestamp gap with silence shift the alignment of what follows
 *     without spoiling it. A window is first sought within `nearMs` of the lag the window
 *     before it matched at, and against the whole sent envelope when that finds no match
 *     inside that range (the first window, after a shift larger than `nearMs`, after a gap):
 *     the whole search costs the length of the sent envelope per window, which made the
 *     measurement quadratic in the call's length; up to WHOLE_EVERY_MISS, every window that
 *     fails near is searched whole. Windows that do not match (silence, a gap, a steady tone)
 *     are left out, and so is a window whose lag no overlapping neighbour confirms (within
 *     3 ms) unless it matched all but perfectly (SELF_EVIDENT_PEAK), and an alignment whose
 *     windows did not reach `newPeak` twice: a chance match does not repeat. A chance match
 *     must not start an alignment either: a new lag needs `newPeak`, and a window there must be
 *     the sent envelope scaled (corrAt, MAX_NEGATIVE_OFFSET).
 *  2. Timing: each sent chunk was stamped when it left (`atMs`), each received chunk when
 *     it arrived. For every received chunk starting at recording index r, the sent sample
 *     j = r − L left at s(j) (its chunk's stamp plus its offset in the chunk, so a
 *     repacketised stream is handled), and the chunk's delay is arrival − s(j). s(j) is taken
 *     from the sent chunk whose start is nearest to j, so a late send tick is not counted as
 *     path delay; the harness's own resampling filters (about 2 ms per 8↔16 kHz conversion)
 *     are.
 * The result is the median over chunks (robust to jitter), with the minimum, maximum and
 * the spread. Received chunks that arrived together (a gap fill before its packet) count once.
 */
import type { Samples } from './pcm.ts';

/** A chunk of a timed recording: the index of its first sample and when it was stamped. */
export interface TimedChunk {
  index: number;
  atMs: number;
}

/** Audio with the time each chunk left (sent) or arrived (received), on one clock. */
export interface TimedSignal {
  sampleRate: number;
  samples: Samples;
  chunks: readonly TimedChunk[];
}

/** Options of {@link measureOneWayDelay}. */
export interface OneWayDelayOptions {
  /** Envelope window, ms (default 4). */
  windowMs?: number;
  /** Envelope step, ms: the resolution of the content alignment (default 1). */
  hopMs?: number;
  /**
   * Normalised envelope correlation a window needs to count as aligned at a lag already found
   * (default 0.8); and at a new lag, one no window matched at before (default 0.9, see
   * NEW_ALIGNMENT_PEAK).
   */
  minPeak?: number;
  newPeak?: number;
  /** Length of the received windows aligned one by one, ms (default 240). */
  spanMs?: number;
  /**
   * How far from the previous window's lag a window is first sought, ms (default 250); past
   * it, or with no match inside it, the whole sent envelope is searched. 0 searches the whole
   * envelope for every window.
   */
  nearMs?: number;
}

/** Why no delay could be measured. */
export type OneWayDelayReason =
  | 'no-audio-sent'
  | 'no-audio-received'
  | 'no-content-match'
  | 'no-timed-chunks'
  | 'no-arrival-times'
  | 'transcoded-fixture'
  | 'rate-mismatch';

/** Result of {@link measureOneWayDelay}. */
export interface OneWayDelay {
  found: boolean;
  /** Median one-way delay over the received chunks, ms. */
  delayMs: number;
  minMs: number;
  maxMs: number;
  /** 5th and 95th percentiles over the chunks, ms. */
  p5Ms: number;
  p95Ms: number;
  /** Chunks that gave a delay. */
  chunks: number;
  /** Content lag (received index minus sent index, ms of recording), median over the windows. */
  contentLagMs: number;
  /** Normalised envelope correlation at the lag, median over the windows that matched, 0..1. */
  peak: number;
  /**
   * Received windows that matched the sent envelope, of those tried; `lags`: the lags
   * correlated to find them (the cost of the search).
   */
  windows: { matched: number; tried: number; lags?: number };
  reason?: OneWayDelayReason;
}

/** RMS envelope of `samples`: one value per `hopMs`, each over `windowMs` centred on it. */
export function rmsEnvelope(samples: Samples, sampleRate: number, hopMs = 1, windowMs = 4): Float64Array {
  const hop = Math.max(1, Math.round((hopMs * sampleRate) / 1000));
  const half = Math.max(1, Math.round((windowMs * sampleRate) / 2000));
  const n = Math.floor(samples.length / hop);
  // Up to 2^23 16-bit samples the prefix sums below stay exact integers (below 2^53), so the
  // running sum of rmsEnvelopeInt16 (exact at any length) gives their result to the last bit.
  if (samples instanceof Int16Array && samples.length <= 1 << 23)
    return rmsEnvelopeInt16(samples, n, hop, half);
  const prefix = new Float64Array(samples.length + 1);
  for (let i = 0; i < samples.length; i++) {
    const v = Number(samples[i]);
    const f = Number.isFinite(v) ? v : 0;
    prefix[i + 1] = prefix[i]! + f * f;
  }
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const c = k * hop + (hop >> 1);
    const a = Math.max(0, c - half);
    const b = Math.min(samples.length, c + half);
    out[k] = b > a ? Math.sqrt((prefix[b]! - prefix[a]!) / (b - a)) : 0;
  }
  return out;
}

/**
 * {@link rmsEnvelope} of 16-bit samples, with a running sum over the window instead of a
 * prefix array (no allocation of the recording's size). The running sum spans about a window
 * and a hop, an integer far below 2^53, so it is exact; rmsEnvelope uses it up to 2^23 samples,
 * where the prefix array's sums are exact too and the two agree to the last bit.
 */
function rmsEnvelopeInt16(samples: Int16Array, n: number, hop: number, half: number): Float64Array {
  const len = samples.length;
  const out = new Float64Array(n);
  let sum = 0;
  let a = 0;
  let b = 0;
  for (let k = 0; k < n; k++) {
    const c = k * hop + (hop >> 1);
    const from = Math.max(c - half, 0);
    const to = Math.min(c + half, len);
    while (b < to) {
      const v = samples[b++]!;
      sum += v * v;
    }
    while (a < from) {
      const v = samples[a++]!;
      sum -= v * v;
    }
    out[k] = to > from ? Math.sqrt(sum / (to - from)) : 0;
  }
  return out;
}

/** Envelope steps around a known lag searched before the whole near range. */
const CLOSE = 8;

/**
 * Correlation a window needs at a new lag (one no window matched at before): a chance match
 * must not start an alignment. A window of 240 ms holds about eight of the marked tone's
 * levels, so an unrelated envelope (the audio a leg received before the tones, another call's)
 * reaches 0.8 at some lag of a search over the whole sent envelope in about one window of six
 * or seven, and its overlapping neighbours, which share most of its content, confirm it; 0.9
 * happens far less often by chance, and the true lag of a clear stream gives 0.97 and more. A
 * window at a lag found before still needs `minPeak` only (a lost packet or a codec lowers it).
 */
const NEW_ALIGNMENT_PEAK = 0.9;

/**
 * Largest offset below zero, as a part of the window's mean, of the line a window at a new lag
 * fits the sent envelope with (see corrAt). Measured on the load's transfers through the
 * embedded SBC (about 2000 windows at a correlation of 0.95 or more): the true alignments lie
 * within ±0.1; the chance matches of windows of audio and silence, at −1 to −5. Another call's
 * marks at the same tone, 2 s of them, were timed in 4 paths of 50 without the rule, none with
 * it; a gate muting the tone's soft parts (under −22 dBFS) leaves a quarter of short paths
 * unmeasured with it (none wrong), a gate at −40 dBFS none.
 */
const MAX_NEGATIVE_OFFSET = 0.75;

/**
 * Correlation at which a matched window needs no neighbour to confirm it: about five standard
 * deviations above what an unrelated window of eight levels reaches at its best lag. Below it,
 * an alignment counts when two of its windows reached `newPeak`.
 */
const SELF_EVIDENT_PEAK = 0.98;

/**
 * Longest sent envelope, in steps, that a window not aligned near a known lag is sought in as
 * a whole every time (2 s at the default step): the cost is the envelope's length per window,
 * small for such a recording, and the periodic whole search of a long one (every window clear
 * of a lost packet, see below) could miss the whole of a short recording's audio (a path delay
 * beyond the near range, audio that arrived after a chance match).
 */
const WHOLE_EVERY_MISS = 2000;

/** Running sums of a reference envelope and of its squares, for the per-lag normalisation. */
interface RefSums {
  ref: Float64Array;
  p1: Float64Array;
  p2: Float64Array;
}

function refSums(ref: Float64Array): RefSums {
  const p1 = new Float64Array(ref.length + 1);
  const p2 = new Float64Array(ref.length + 1);
  for (let i = 0; i < ref.length; i++) {
    p1[i + 1] = p1[i]! + ref[i]!;
    p2[i + 1] = p2[i]! + ref[i]! * ref[i]!;
  }
  return { ref, p1, p2 };
}

/** A window with its mean removed, its energy and its mean; undefined when too flat to align. */
interface Centred {
  w: Float64Array;
  sww: number;
  mean: number;
}

/** `win` centred; undefined when it is too flat to align (envelope spread under 5 % of its mean). */
function centred(win: Float64Array, w: Float64Array): Centred | undefined {
  const n = win.length;
  if (n < 2) return undefined;
  let mw = 0;
  for (let i = 0; i < n; i++) mw += win[i]!;
  mw /= n;
  let sww = 0;
  for (let i = 0; i < n; i++) {
    const v = win[i]! - mw;
    w[i] = v;
    sww += v * v;
  }
  if (!(mw > 0) || Math.sqrt(sww / n) < 0.05 * mw) return undefined;
  return { w, sww, mean: mw };
}

/**
 * Normalised correlation of the centred window with `ref` at lag `L` (full overlap); with
 * `scaled`, 0 where the window is not `ref` scaled. Audio crosses a path with a gain (a codec, a
 * level change), which scales its envelope, and noise only adds to it: the received window is
 * about g·ref, and the line fitted through (ref, window) meets zero near zero. The correlation
 * alone allows any offset, so a window of audio and silence (the end of what a leg heard before,
 * a gap) would match any stretch of `ref` with loud and soft parts in the same places; such a
 * window is the line g·ref − o with o a large part of the window's mean (MAX_NEGATIVE_OFFSET).
 * The rule holds a new alignment to it, not a window at a lag already found: a noise gate or an
 * echo suppressor in the path deepens the soft parts of the true alignment too.
 */
function corrAt(c: Centred, s: RefSums, L: number, scaled: boolean): number {
  const { w, sww, mean } = c;
  const { ref, p1, p2 } = s;
  const n = w.length;
  let sxy = 0;
  for (let i = 0; i < n; i++) sxy += w[i]! * ref[L + i]!;
  const s1 = p1[L + n]! - p1[L]!;
  const varRef = p2[L + n]! - p2[L]! - (s1 * s1) / n;
  if (!(varRef > 0)) return 0;
  if (scaled && mean - (sxy / varRef) * (s1 / n) < -MAX_NEGATIVE_OFFSET * mean) return 0;
  return sxy / Math.sqrt(sww * varRef);
}

/**
 * Best full-overlap position of a centred window in `ref` among the lags `from..to` (inclusive)
 * by normalised cross-correlation (each lag normalised by the energy of the part of `ref` it
 * covers, so a loud stretch of `ref` does not win by loudness), refined by a parabola through
 * the peak. `edge` is true when the best lag is an end of the range that is not an end of
 * `ref` (a better one may lie beyond it). With `scaled`, only lags where the window is `ref`
 * scaled are candidates (corrAt); `scaled` in the result says whether the best lag is one.
 */
function bestMatch(
  c: Centred,
  s: RefSums,
  from: number,
  to: number,
  cost: { lags: number },
  scaled: boolean,
): { lag: number; peak: number; edge: boolean; scaled: boolean } | undefined {
  const lags = s.ref.length - c.w.length + 1;
  const lo = Math.max(0, from);
  const hi = Math.min(lags - 1, to);
  if (hi < lo) return undefined;
  cost.lags += hi - lo + 1;
  let best = lo;
  let rBest = corrAt(c, s, lo, scaled);
  for (let L = lo + 1; L <= hi; L++) {
    const r = corrAt(c, s, L, scaled);
    if (r > rBest) {
      rBest = r;
      best = L;
    }
  }
  let lag = best;
  if (best > 0 && best < lags - 1) {
    const y0 = corrAt(c, s, best - 1, scaled);
    const y2 = corrAt(c, s, best + 1, scaled);
    const d = y0 - 2 * rBest + y2;
    if (d < 0) lag = best + Math.max(-0.5, Math.min(0.5, (0.5 * (y0 - y2)) / d));
  }
  const edge = (best === lo && lo > 0) || (best === hi && hi < lags - 1);
  const isScaled = scaled || (rBest > 0 && corrAt(c, s, best, true) > 0);
  return { lag, peak: Math.max(0, Math.min(1, rBest)), edge, scaled: isScaled };
}

/**
 * Time sample `j` of a timed signal left: the stamp of the chunk whose start is nearest to
 * `j` (the packet that most likely carried it, even when a resampling filter shifted the
 * content by a few samples), plus or minus `j`'s distance from that start.
 */
function timeOfSample(sig: TimedSignal, j: number): number {
  const ch = sig.chunks;
  let lo = 0;
  let hi = ch.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ch[mid]!.index <= j) lo = mid;
    else hi = mid - 1;
  }
  const next = ch[lo + 1];
  const k = next !== undefined && next.index - j < j - ch[lo]!.index ? lo + 1 : lo;
  return ch[k]!.atMs + ((j - ch[k]!.index) * 1000) / sig.sampleRate;
}

function median(sorted: number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/** Measures the one-way delay from `sent` to `received`. Never throws on bad input. */
export function measureOneWayDelay(
  sent: TimedSignal,
  received: TimedSignal,
  options: OneWayDelayOptions = {},
): OneWayDelay {
  let tried = 0;
  const none = (reason: OneWayDelayReason, peak = 0, contentLagMs = 0): OneWayDelay => ({
    found: false,
    delayMs: 0,
    minMs: 0,
    maxMs: 0,
    p5Ms: 0,
    p95Ms: 0,
    chunks: 0,
    contentLagMs,
    peak,
    windows: { matched: 0, tried },
    reason,
  });
  if (sent.samples.length === 0 || sent.chunks.length === 0) return none('no-audio-sent');
  if (received.samples.length === 0 || received.chunks.length === 0) return none('no-audio-received');
  if (!(sent.sampleRate > 0) || sent.sampleRate !== received.sampleRate) return none('rate-mismatch');
  const fs = sent.sampleRate;
  const hopMs = options.hopMs ?? 1;
  const windowMs = options.windowMs ?? 4;
  const envRate = 1000 / hopMs;
  const es = rmsEnvelope(sent.samples, fs, hopMs, windowMs);
  const er = rmsEnvelope(received.samples, fs, hopMs, windowMs);
  const span = Math.max(8, Math.min(er.length, Math.round((options.spanMs ?? 240) / hopMs)));
  const step = Math.max(1, Math.floor(span / 4));
  const minPeak = options.minPeak ?? 0.8;
  const newPeak = Math.max(minPeak, options.newPeak ?? NEW_ALIGNMENT_PEAK);
  const near = Math.max(0, Math.round((options.nearMs ?? 250) / hopMs));
  const sums = refSums(es);
  const whole = es.length;
  const scratch = new Float64Array(span);
  const cost = { lags: 0 };
  const found: Array<{ center: number; lag: number; peak: number }> = [];
  /**
   * Windows a lost packet (up to 60 ms of audio, filled with silence) lies in: 5 with the
   * defaults. The window after them is the first clear of it.
   */
  const perLoss = Math.max(1, Math.ceil((span + Math.round(60 / hopMs)) / step));
  /**
   * The content lag (w0 − L) that two consecutive matched windows agreed on (`held`), and the
   * last one found that none has confirmed yet (`pending`): a window is sought near both, so a
   * chance match of the whole search does not steer the search away from the true lag.
   */
  let held: number | undefined;
  let pending: number | undefined;
  /** Windows searched since the last match that did not match, and the last of them (w0). */
  let misses = 0;
  const missed: number[] = [];
  const scratch2 = new Float64Array(span);
  const good = (m: { peak: number; edge: boolean } | undefined, floor = minPeak): boolean =>
    m !== undefined && !m.edge && m.peak >= floor;
  /**
   * The better of the searches of `c` (window at `w`) near each of `lags`: within a few ms of
   * each first (the lag of most windows is the one before it), then within `near`. `scaled`:
   * as bestMatch's (a search near a lag no window matched at yet).
   */
  const nearest = (c: Centred, w: number, lags: Array<number | undefined>, scaled: boolean) => {
    let best: ReturnType<typeof bestMatch>;
    for (const reach of near > CLOSE ? [CLOSE, near] : [near]) {
      for (const l of lags) {
        if (l === undefined) continue;
        const m = bestMatch(c, sums, w - l - reach, w - l + reach, cost, scaled);
        if (m && (!best || m.peak > best.peak)) best = m;
      }
      if (best && good(best)) return best;
    }
    return best;
  };
  const agrees = (a: number, b: number | undefined) => b !== undefined && Math.abs(a - b) <= 3;
  for (let w0 = 0; w0 + span <= er.length && tried < 10_000; w0 += step) {
    tried++;
    // Where in the sent envelope does this received window sit? es[L + n] ≈ er[w0 + n].
    const c = centred(er.subarray(w0, w0 + span), scratch);
    if (!c) continue;
    // Before any window matched, the first guess is no lag at all: both recordings start with
    // the first packet, so most streams are aligned within the near range from the start.
    const guess = found.length === 0 ? 0 : undefined;
    const local = near > 0 && (held !== undefined || pending !== undefined || guess !== undefined);
    // A match at the lag held or pending needs `minPeak`; at any other lag, `newPeak` and the
    // window the sent envelope scaled (corrAt).
    const known = (m: { lag: number }) => agrees(w0 - m.lag, held) || agrees(w0 - m.lag, pending);
    const accepted = (m: ReturnType<typeof bestMatch>) =>
      m !== undefined && (known(m) ? good(m) : good(m, newPeak) && m.scaled);
    let m =
      local && (held !== undefined || pending !== undefined)
        ? nearest(c, w0, [held, pending], false)
        : undefined;
    if (!accepted(m) && guess !== undefined && near > 0) m = nearest(c, w0, [guess], true);
    if (!accepted(m)) {
      // Not near a known lag: a packet lost inside this window, or the alignment shifted. A
      // shift shows in every window after it, a loss only in the windows it lies in, so the
      // whole envelope is searched at the first window clear of a lost packet (and at once
      // when the best lag was at the end of the near range, or the sent envelope is short).
      const edge = m?.edge === true && m.peak >= minPeak;
      const wholeNow =
        near === 0 || edge || whole <= WHOLE_EVERY_MISS || misses % (perLoss + 1) === (local ? perLoss : 0);
      m = wholeNow ? bestMatch(c, sums, 0, whole, cost, true) : undefined;
    }
    if (m && accepted(m)) {
      const lag = w0 - m.lag;
      if (missed.length > 0 && !agrees(lag, held)) {
        // Another alignment: the windows passed over since the last match are sought near it.
        for (const w of missed) {
          const cw = centred(er.subarray(w, w + span), scratch2);
          const mw = cw ? nearest(cw, w, [Math.round(lag)], false) : undefined;
          if (mw && (agrees(w - mw.lag, lag) ? good(mw) : good(mw, newPeak) && mw.scaled))
            found.push({ center: w + span / 2, lag: w - mw.lag, peak: mw.peak });
        }
      }
      found.push({ center: w0 + span / 2, lag, peak: m.peak });
      if (agrees(lag, held)) held = Math.round(lag);
      else if (agrees(lag, pending)) {
        held = Math.round(lag);
        pending = undefined;
      } else pending = Math.round(lag);
      misses = 0;
      missed.length = 0;
    } else {
      misses++;
      missed.push(w0);
      if (missed.length > perLoss) missed.shift();
    }
  }
  found.sort((a, b) => a.center - b.center);
  // A true alignment repeats in an overlapping neighbour window; a chance match does not. The
  // windows that agree with a window (itself among them) count when two of them reached
  // `newPeak` (a chance match of 0.9 has neighbours that share most of its content, and agree at
  // 0.8), or one all but perfectly (SELF_EVIDENT_PEAK: one lost packet spoils every window it
  // lies in, the only clear one of a short recording among them).
  const matches = found.filter((m) => {
    let strong = 0;
    for (const o of found) {
      if (Math.abs(o.center - m.center) > span || Math.abs(o.lag - m.lag) > 3) continue;
      if (o.peak >= SELF_EVIDENT_PEAK) return true;
      if (o.peak >= newPeak) strong++;
    }
    return strong >= 2;
  });
  const byLag = matches.map((m) => m.lag).sort((a, b) => a - b);
  const contentLagMs = byLag.length > 0 ? (median(byLag) * 1000) / envRate : 0;
  const peak = matches.length > 0 ? median(matches.map((m) => m.peak).sort((a, b) => a - b)) : 0;
  if (matches.length === 0)
    return { ...none('no-content-match', 0, 0), windows: { matched: 0, tried, lags: cost.lags } };
  // The lag of the nearest matched window, or undefined more than a span away from any.
  const lagAt = (envIndex: number): number | undefined => {
    let best = matches[0]!;
    for (const m of matches) if (Math.abs(m.center - envIndex) < Math.abs(best.center - envIndex)) best = m;
    return Math.abs(best.center - envIndex) <= span ? (best.lag * fs) / envRate : undefined;
  };

  const delays: number[] = [];
  const rc = received.chunks;
  for (let i = 0; i < rc.length; i++) {
    // A gap fill and its packet arrive together: keep the packet (the last of the group).
    if (i + 1 < rc.length && rc[i + 1]!.atMs === rc[i]!.atMs) continue;
    const r = rc[i]!.index;
    const lag = lagAt((r * envRate) / fs);
    if (lag === undefined) continue;
    const j = r - lag;
    if (j < 0 || j >= sent.samples.length) continue;
    const v = rc[i]!.atMs - timeOfSample(sent, j);
    if (Number.isFinite(v)) delays.push(v);
  }
  const windows = { matched: matches.length, tried, lags: cost.lags };
  if (delays.length === 0) return { ...none('no-timed-chunks', peak, contentLagMs), windows };
  delays.sort((a, b) => a - b);
  return {
    found: true,
    delayMs: median(delays),
    minMs: delays[0]!,
    maxMs: delays[delays.length - 1]!,
    p5Ms: delays[Math.floor(0.05 * (delays.length - 1))]!,
    p95Ms: delays[Math.ceil(0.95 * (delays.length - 1))]!,
    chunks: delays.length,
    contentLagMs,
    peak,
    windows,
  };
}

/**
 * A bounded recording of timed chunks: `push` appends PCM with the time it left or arrived.
 * Past `maxSamples` further audio is dropped (counted), so a long stream cannot grow it.
 */
export class TimedRecorder {
  dropped = 0;
  private buf: Int16Array;
  private length = 0;
  private readonly chunks: TimedChunk[] = [];

  constructor(
    readonly sampleRate: number,
    private readonly maxSamples = sampleRate * 30,
  ) {
    this.buf = new Int16Array(Math.min(maxSamples, sampleRate));
  }

  push(pcm: Int16Array, atMs: number): void {
    const take = Math.min(pcm.length, this.maxSamples - this.length);
    this.dropped += pcm.length - Math.max(0, take);
    if (take <= 0 || !Number.isFinite(atMs)) return;
    if (this.length + take > this.buf.length) {
      const grown = new Int16Array(
        Math.min(this.maxSamples, Math.max(this.length + take, this.buf.length * 2)),
      );
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(take === pcm.length ? pcm : pcm.subarray(0, take), this.length);
    this.chunks.push({ index: this.length, atMs });
    this.length += take;
  }

  /** What was recorded so far, with its chunk times. */
  signal(): TimedSignal {
    return { sampleRate: this.sampleRate, samples: this.buf.slice(0, this.length), chunks: [...this.chunks] };
  }
}

/** A payload as it left or arrived, on the shared clock. */
export interface TimedPayload {
  payload: Uint8Array;
  atMs: number;
}

/** Each payload cut into frames of `frameBytes` (a payload that is not a whole number of frames stays whole). */
function splitFrames(list: readonly TimedPayload[], frameBytes: number): TimedPayload[] {
  const out: TimedPayload[] = [];
  for (const p of list) {
    const n = p.payload.length / frameBytes;
    if (!Number.isInteger(n) || n <= 1) {
      out.push(p);
      continue;
    }
    for (let i = 0; i < n; i++)
      out.push({ payload: p.payload.subarray(i * frameBytes, (i + 1) * frameBytes), atMs: p.atMs });
  }
  return out;
}

function payloadKey(p: Uint8Array): string {
  return Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('base64');
}

/**
 * One-way delay of identifiable payloads passed through unchanged (e.g. the G.723.1 fixture's
 * frames, which the harness cannot decode): each received payload is matched to the first
 * identical sent payload after the one matched before it (so repeated payloads keep their
 * order) that left no later than it arrived (both times are on one clock, so a payload that
 * arrived before its twin left is another one: sent before the recording began, and left
 * unmatched); its delay is arrival − departure; the median over matched payloads, as in
 * {@link measureOneWayDelay}. `windows` counts matched of received payloads.
 *
 * With `frameBytes`, payloads are matched frame by frame (each frame keeps its packet's time):
 * an SBC may put more or fewer frames in a packet than the sender did (RFC 3551 §4.2), so a
 * repacketized stream is timed too, its frames' delay including the time the SBC held them.
 * A payload that is not a whole number of frames (e.g. a SID frame) stays one unit.
 */
export function measurePayloadDelay(
  sentPayloads: readonly TimedPayload[],
  receivedPayloads: readonly TimedPayload[],
  frameBytes?: number,
): OneWayDelay {
  const sent = frameBytes ? splitFrames(sentPayloads, frameBytes) : sentPayloads;
  const received = frameBytes ? splitFrames(receivedPayloads, frameBytes) : receivedPayloads;
  const base: OneWayDelay = {
    found: false,
    delayMs: 0,
    minMs: 0,
    maxMs: 0,
    p5Ms: 0,
    p95Ms: 0,
    chunks: 0,
    contentLagMs: 0,
    peak: 0,
    windows: { matched: 0, tried: received.length },
  };
  if (sent.length === 0) return { ...base, reason: 'no-audio-sent' };
  if (received.length === 0) return { ...base, reason: 'no-audio-received' };
  const where = new Map<string, number[]>();
  sent.forEach((p, i) => {
    const k = payloadKey(p.payload);
    const list = where.get(k);
    if (list) list.push(i);
    else where.set(k, [i]);
  });
  const delays: number[] = [];
  let last = -1;
  for (const r of received) {
    const list = where.get(payloadKey(r.payload));
    if (!list) continue;
    const i = list.find((x) => x > last);
    // Sent in time order: when the first candidate left after r arrived, so did every later one.
    if (i === undefined || sent[i]!.atMs > r.atMs) continue;
    last = i;
    const v = r.atMs - sent[i]!.atMs;
    if (Number.isFinite(v)) delays.push(v);
  }
  if (delays.length === 0) return { ...base, reason: 'no-content-match' };
  delays.sort((a, b) => a - b);
  return {
    ...base,
    found: true,
    delayMs: median(delays),
    minMs: delays[0]!,
    maxMs: delays[delays.length - 1]!,
    p5Ms: delays[Math.floor(0.05 * (delays.length - 1))]!,
    p95Ms: delays[Math.ceil(0.95 * (delays.length - 1))]!,
    chunks: delays.length,
    peak: delays.length / received.length,
    windows: { matched: delays.length, tried: received.length },
  };
}
