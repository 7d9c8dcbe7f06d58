/**
 * One-way delay of a stream, from what one end sent and what the other received, both
 * stamped on one clock (the harness plays both sides of the SBC in one process).
 *
 * Nothing in the RTP headers is trusted (an SBC rewrites SSRC, sequence numbers and
 * timestamps, transcodes, resamples and repacketises). Instead:
 *  1. Content alignment: the amplitude envelopes of the sent and received audio (RMS over
 *     `windowMs`, one value per `hopMs`) are cross-correlated (delay-estimate.ts), which
 *     finds where in the received recording each sent sample landed — the lag L, in
 *     samples, such that received[j + L] carries sent[j]. Envelopes survive codecs,
 *     resampling and phase changes that defeat a waveform correlation; the sent signal
 *     must therefore have an envelope worth correlating (see the marked tone of the actors).
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
import { estimateDelay } from './delay-estimate.ts';
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
  /** Normalised envelope correlation needed to trust the alignment (default 0.5). */
  minPeak?: number;
  /** Largest content lag searched, ms (default 5000). */
  maxLagMs?: number;
}

/** Why no delay could be measured. */
export type OneWayDelayReason =
  | 'no-audio-sent'
  | 'no-audio-received'
  | 'no-content-match'
  | 'no-timed-chunks'
  | 'no-arrival-times'
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
  /** Content lag: received index of sent sample 0, in ms of recording. */
  contentLagMs: number;
  /** Normalised envelope correlation at the lag, 0..1. */
  peak: number;
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
  const maxLag = options.maxLagMs ?? 5000;
  const d = estimateDelay(es, er, {
    sampleRate: envRate,
    minLagMs: -maxLag,
    maxLagMs: maxLag,
    minPeak: options.minPeak ?? 0.5,
    minOverlapFraction: 0.25,
  });
  const contentLagMs = (d.lagFractional * 1000) / envRate;
  if (!d.found) return none('no-content-match', d.peak, contentLagMs);
  const lag = (contentLagMs * fs) / 1000;

  const delays: number[] = [];
  const rc = received.chunks;
  for (let i = 0; i < rc.length; i++) {
    // A gap fill and its packet arrive together: keep the packet (the last of the group).
    if (i + 1 < rc.length && rc[i + 1]!.atMs === rc[i]!.atMs) continue;
    const j = rc[i]!.index - lag;
    if (j < 0 || j >= sent.samples.length) continue;
    const v = rc[i]!.atMs - timeOfSample(sent, j);
    if (Number.isFinite(v)) delays.push(v);
  }
  if (delays.length === 0) return none('no-timed-chunks', d.peak, contentLagMs);
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
    peak: d.peak,
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
