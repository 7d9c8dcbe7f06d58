/**
 * Receive statistics of one RTP source (SSRC): RFC 3550 A.1 sequence tracking, A.3 loss,
 * A.8 interarrival jitter, plus what a certification check wants to see — duplicates,
 * reordering, timestamp jumps, payload-type changes and an inter-arrival histogram.
 */
import { type RtpView, seqDelta } from './rtp-packet.ts';

/** Sequence jumps beyond these are treated as a source restart (RFC 3550 A.1). */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
/** How far back duplicates are recognised. */
const DUP_WINDOW = 1024;

/** Default inter-arrival histogram bucket edges in ms (a bucket is [edge_i, edge_i+1)). */
export const DEFAULT_HISTOGRAM_EDGES_MS: readonly number[] = [
  0, 2, 5, 10, 15, 18, 19, 21, 22, 25, 30, 40, 50, 60, 80, 100, 150, 200, 500, 1000,
];

export interface StreamStatsOptions {
  /** Histogram bucket edges in ms, ascending, starting at 0. */
  histogramEdgesMs?: readonly number[];
  /** A transit-time step larger than this (ms) is a timestamp jump, kept out of the jitter. */
  timestampJumpMs?: number;
}

/** An inter-arrival histogram: counts[i] packets arrived edgesMs[i] ≤ Δ < edgesMs[i+1] after the previous one. */
export interface ArrivalHistogram {
  edgesMs: number[];
  counts: number[];
}

/** A snapshot of one stream's receive statistics. */
export interface RtpStreamSummary {
  ssrc: number;
  /** Payload types seen, in order of first appearance. */
  payloadTypes: number[];
  /** Distinct packets received (duplicates not included). */
  received: number;
  /** Extended highest − base sequence number + 1 (RFC 3550 A.3), summed over restarts. */
  expected: number;
  /** expected − received: never made negative by duplicates (they are counted apart). */
  lost: number;
  /** lost / expected, 0 when nothing was expected. */
  lossFraction: number;
  duplicates: number;
  /** Packets that arrived after a higher sequence number. */
  reordered: number;
  /** Packets ignored as a stray sequence jump (RFC 3550 A.1 probation of a restart). */
  strays: number;
  /** Times the sequence restarted after a large jump. */
  sequenceRestarts: number;
  timestampJumps: number;
  payloadTypeChanges: number;
  markers: number;
  payloadBytes: number;
  /** Current RFC 3550 interarrival jitter in timestamp units and in ms. */
  jitterTs: number;
  jitterMs: number;
  maxJitterMs: number;
  /** Smallest running jitter after the first jitter sample (as tshark's "Min Jitter"). */
  minJitterMs: number;
  /** Mean of the running jitter over the packets after the first. */
  meanJitterMs: number;
  minDeltaMs: number;
  maxDeltaMs: number;
  meanDeltaMs: number;
  histogram: ArrivalHistogram;
  firstArrivalMs: number;
  lastArrivalMs: number;
  /** Highest extended sequence number and its cycles (for RTCP report blocks). */
  extendedHighestSeq: number;
  clockRate: number;
}

function tsDelta(a: number, b: number): number {
  return ((a - b) | 0) as number;
}

/** Running statistics for one SSRC. Feed it every parsed packet with its arrival time. */
export class RtpStreamStats {
  private started = false;
  private baseExt = 0;
  private maxExt = 0;
  private priorExpected = 0;
  private received = 0;
  private duplicates = 0;
  private reordered = 0;
  private strays = 0;
  private restarts = 0;
  private badSeq = -1;
  private readonly seen = new Float64Array(DUP_WINDOW).fill(-1);
  private tsJumps = 0;
  private ptChanges = 0;
  private markers = 0;
  private bytes = 0;
  private readonly payloadTypes: number[] = [];
  private lastPt = -1;
  private lastArrival = 0;
  private lastTs = 0;
  private haveTransit = false;
  private jitter = 0;
  private maxJitter = 0;
  private minJitter = Number.POSITIVE_INFINITY;
  private jitterSum = 0;
  private jitterCount = 0;
  private minDelta = Number.POSITIVE_INFINITY;
  private maxDelta = 0;
  private deltaSum = 0;
  private deltaCount = 0;
  private firstArrival = 0;
  private readonly edges: number[];
  private readonly counts: number[];
  private readonly jumpMs: number;

  constructor(
    readonly ssrc: number,
    /** Timestamp clock rate (Hz) of the stream's payload. */
    public clockRate = 8000,
    options: StreamStatsOptions = {},
  ) {
    this.edges = [...(options.histogramEdgesMs ?? DEFAULT_HISTOGRAM_EDGES_MS)];
    this.counts = new Array(this.edges.length).fill(0);
    this.jumpMs = options.timestampJumpMs ?? 500;
  }

  private restart(ext: number): void {
    if (this.started) this.priorExpected += this.maxExt - this.baseExt + 1;
    this.baseExt = ext;
    this.maxExt = ext;
    this.seen.fill(-1);
  }

  /** Feeds one packet. Returns false when it was a duplicate or a stray (not decoded). */
  update(p: RtpView, arrivalMs: number): boolean {
    const seq = p.sequenceNumber;
    let ext: number;
    if (!this.started) {
      this.restart(seq);
      this.started = true;
      this.firstArrival = arrivalMs;
      ext = seq;
    } else {
      const d = seqDelta(seq, this.maxExt & 0xffff);
      ext = this.maxExt + d;
      if (d > MAX_DROPOUT || d < -MAX_MISORDER) {
        if (seq === this.badSeq) {
          this.restarts++;
          this.restart(seq);
          ext = seq;
        } else {
          this.badSeq = (seq + 1) & 0xffff;
          this.strays++;
          return false;
        }
      }
    }
    this.badSeq = -1;
    const slot = ((ext % DUP_WINDOW) + DUP_WINDOW) % DUP_WINDOW;
    if (this.seen[slot] === ext) {
      this.duplicates++;
      return false;
    }
    this.seen[slot] = ext;
    if (ext < this.maxExt) this.reordered++;
    else this.maxExt = ext;
    this.received++;
    this.bytes += p.payload.length;
    if (p.marker) this.markers++;
    if (p.payloadType !== this.lastPt) {
      if (this.lastPt >= 0) this.ptChanges++;
      if (!this.payloadTypes.includes(p.payloadType)) this.payloadTypes.push(p.payloadType);
      this.lastPt = p.payloadType;
    }
    if (this.received > 1) {
      const delta = arrivalMs - this.lastArrival;
      this.deltaSum += delta;
      this.deltaCount++;
      if (delta < this.minDelta) this.minDelta = delta;
      if (delta > this.maxDelta) this.maxDelta = delta;
      let i = this.edges.length - 1;
      while (i > 0 && delta < this.edges[i]!) i--;
      this.counts[i]!++;
    }
    if (this.haveTransit) {
      // A.8: D(i-1,i) = (R_i - R_{i-1}) - (S_i - S_{i-1}) in timestamp units.
      const d = ((arrivalMs - this.lastArrival) * this.clockRate) / 1000 - tsDelta(p.timestamp, this.lastTs);
      const ad = Math.abs(d);
      if ((ad * 1000) / this.clockRate > this.jumpMs) {
        this.tsJumps++;
      } else {
        this.jitter += (ad - this.jitter) / 16;
        const ms = (this.jitter * 1000) / this.clockRate;
        if (ms > this.maxJitter) this.maxJitter = ms;
        if (ms < this.minJitter) this.minJitter = ms;
        this.jitterSum += ms;
        this.jitterCount++;
      }
    }
    this.haveTransit = true;
    this.lastArrival = arrivalMs;
    this.lastTs = p.timestamp;
    return true;
  }

  /** Expected count so far (RFC 3550 A.3). */
  get expected(): number {
    return this.started ? this.priorExpected + this.maxExt - this.baseExt + 1 : 0;
  }

  summary(): RtpStreamSummary {
    const expected = this.expected;
    const lost = Math.max(0, expected - this.received);
    return {
      ssrc: this.ssrc,
      payloadTypes: [...this.payloadTypes],
      received: this.received,
      expected,
      lost,
      lossFraction: expected > 0 ? lost / expected : 0,
      duplicates: this.duplicates,
      reordered: this.reordered,
      strays: this.strays,
      sequenceRestarts: this.restarts,
      timestampJumps: this.tsJumps,
      payloadTypeChanges: this.ptChanges,
      markers: this.markers,
      payloadBytes: this.bytes,
      jitterTs: this.jitter,
      jitterMs: (this.jitter * 1000) / this.clockRate,
      maxJitterMs: this.maxJitter,
      minJitterMs: this.jitterCount > 0 ? this.minJitter : 0,
      meanJitterMs: this.jitterCount > 0 ? this.jitterSum / this.jitterCount : 0,
      minDeltaMs: this.deltaCount > 0 ? this.minDelta : 0,
      maxDeltaMs: this.maxDelta,
      meanDeltaMs: this.deltaCount > 0 ? this.deltaSum / this.deltaCount : 0,
      histogram: { edgesMs: [...this.edges], counts: [...this.counts] },
      firstArrivalMs: this.firstArrival,
      lastArrivalMs: this.lastArrival,
      extendedHighestSeq: this.maxExt,
      clockRate: this.clockRate,
    };
  }
}
