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
 *     The lag is found per received window of `spanMs` (every quarter span), each against the
 *     whole sent envelope, so it may change along the stream: a sender that skipped send
 *     slots, packets an SBC dropped, or a receiver that filled a timestamp gap with silence
 *     shift the alignment of what follows without spoiling it. Windows that do not match
 *     (silence, a gap, a steady tone) are left out, and so is a window whose lag no
 *     overlapping neighbour confirms (within 3 ms): a chance match does not repeat.
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
  /** Normalised envelope correlation a window needs to count as aligned (default 0.8). */
  minPeak?: number;
  /** Length of the received windows aligned one by one, ms (default 240). */
  spanMs?: number;
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
  /** Received windows that matched the sent envelope, of those tried. */
  windows: { matched: number; tried: number };
  reason?: OneWayDelayReason;
}

/** RMS envelope of `samples`: one value per `hopMs`, each over `windowMs` centred on it. */
export function rmsEnvelope(samples: Samples, sampleRate: number, hopMs = 1, windowMs = 4): Float64Array {
  const hop = Math.max(1, Math.round((hopMs * sampleRate) / 1000));
  const half = Math.max(1, Math.round((windowMs * sampleRate) / 2000));
  const n = Math.floor(samples.length / hop);
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
 * Best full-overlap position of `win` in `ref` by normalised cross-correlation (each lag
 * normalised by the energy of the part of `ref` it covers, so a loud stretch of `ref` does
 * not win by loudness), refined by a parabola through the peak. Undefined when `win` is too
 * flat to align (a steady tone or silence: envelope spread under 5 % of its mean).
 */
function bestMatch(win: Float64Array, ref: Float64Array): { lag: number; peak: number } | undefined {
  const n = win.length;
  if (n < 2 || ref.length < n) return undefined;
  let mw = 0;
  for (let i = 0; i < n; i++) mw += win[i]!;
  mw /= n;
  let sww = 0;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    w[i] = win[i]! - mw;
    sww += w[i]! * w[i]!;
  }
  if (!(mw > 0) || Math.sqrt(sww / n) < 0.05 * mw) return undefined;
  const p1 = new Float64Array(ref.length + 1);
  const p2 = new Float64Array(ref.length + 1);
  for (let i = 0; i < ref.length; i++) {
    p1[i + 1] = p1[i]! + ref[i]!;
    p2[i + 1] = p2[i]! + ref[i]! * ref[i]!;
  }
  const lags = ref.length - n + 1;
  const r = new Float64Array(lags);
  let best = 0;
  for (let L = 0; L < lags; L++) {
    let sxy = 0;
    for (let i = 0; i < n; i++) sxy += w[i]! * ref[L + i]!;
    const s1 = p1[L + n]! - p1[L]!;
    const varRef = p2[L + n]! - p2[L]! - (s1 * s1) / n;
    r[L] = varRef > 0 ? sxy / Math.sqrt(sww * varRef) : 0;
    if (r[L]! > r[best]!) best = L;
  }
  let lag = best;
  if (best > 0 && best < lags - 1) {
    const y0 = r[best - 1]!;
    const y1 = r[best]!;
    const y2 = r[best + 1]!;
    const d = y0 - 2 * y1 + y2;
    if (d < 0) lag = best + Math.max(-0.5, Math.min(0.5, (0.5 * (y0 - y2)) / d));
  }
  return { lag, peak: Math.max(0, Math.min(1, r[best]!)) };
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
  const found: Array<{ center: number; lag: number; peak: number }> = [];
  for (let w0 = 0; w0 + span <= er.length && tried < 10_000; w0 += step) {
    tried++;
    // Where in the sent envelope does this received window sit? es[L + n] ≈ er[w0 + n].
    const m = bestMatch(er.subarray(w0, w0 + span), es);
    if (m && m.peak >= (options.minPeak ?? 0.8))
      found.push({ center: w0 + span / 2, lag: w0 - m.lag, peak: m.peak });
  }
  // A true alignment repeats in an overlapping neighbour window; a chance match does not.
  const matches = found.filter((m) =>
    found.some((o) => o !== m && Math.abs(o.center - m.center) <= span && Math.abs(o.lag - m.lag) <= 3),
  );
  const byLag = matches.map((m) => m.lag).sort((a, b) => a - b);
  const contentLagMs = byLag.length > 0 ? (median(byLag) * 1000) / envRate : 0;
  const peak = matches.length > 0 ? median(matches.map((m) => m.peak).sort((a, b) => a - b)) : 0;
  if (matches.length === 0) return { ...none('no-content-match', 0, 0), windows: { matched: 0, tried } };
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
  const windows = { matched: matches.length, tried };
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
 * order), and its delay is arrival − departure; the median over matched payloads, as in
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
    if (i === undefined) continue;
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
