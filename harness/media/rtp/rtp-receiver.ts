/**
 * The receive side of an RTP session, also used offline on packets read from a pcap:
 * SRTP unprotect (optional), parsing, per-SSRC statistics and decoding into PCM placed by
 * RTP timestamp, so lost packets leave silent gaps. Bad input is counted, never thrown.
 */
import type { Decoder } from '../../../codecs/codec.ts';
import { parseRtp, type RtpView } from './rtp-packet.ts';
import type { SrtpContext } from './srtp-context.ts';
import { RtpStreamStats, type RtpStreamSummary, type StreamStatsOptions } from './stream-stats.ts';

/** What the SDP negotiated for one payload type. */
export interface PayloadFormat {
  /** Encoding name (e.g. "PCMA", "telephone-event"), for evidence only. */
  name?: string;
  /** RTP timestamp clock rate. */
  clockRate: number;
  /** Decoder for audio payloads; absent for events (telephone-event) and comfort noise. */
  decoder?: Decoder;
  /** Sample rate of the decoder's PCM (defaults to clockRate; 16000 for G.722). */
  sampleRate?: number;
}

export interface RtpReceiverOptions extends StreamStatsOptions {
  /** Negotiated payload-type map. Packets of other types are counted as unknown and not decoded. */
  payloadMap?: ReadonlyMap<number, PayloadFormat>;
  /** Unprotects SRTP before parsing (the remote side's key). */
  srtp?: SrtpContext;
  /** Most PCM kept per SSRC, in seconds (default 600). */
  maxPcmSeconds?: number;
  /** Most SSRCs tracked (default 64); packets of further SSRCs are counted and dropped. */
  maxSsrcs?: number;
}

/**
 * Receive counters. Every datagram lands in exactly one of: `accepted`, `short`,
 * `badVersion`, `truncated`, `badPadding`, `srtpAuthFailed`, `srtpReplayed`,
 * `srtpMalformed`, `ssrcOverflow`. `unknownPayloadType`, `decodeErrors`, `pcmDropped`
 * and `ssrcChanges` are further detail about accepted packets.
 */
export interface ReceiverCounters {
  datagrams: number;
  accepted: number;
  short: number;
  badVersion: number;
  truncated: number;
  badPadding: number;
  srtpAuthFailed: number;
  /** Replayed or older than the replay window. */
  srtpReplayed: number;
  /** Too short for an SRTP tag, unparseable header or MKI mismatch. */
  srtpMalformed: number;
  ssrcOverflow: number;
  unknownPayloadType: number;
  decodeErrors: number;
  /** Packets whose audio fell outside the PCM buffer (before its start or past its limit). */
  pcmDropped: number;
  /** Times the active SSRC changed. */
  ssrcChanges: number;
}

/** The outcome of one datagram, for evidence. */
export type ReceiveOutcome =
  | { kind: 'accepted'; packet: RtpView; fresh: boolean }
  | { kind: 'rejected'; reason: Exclude<keyof ReceiverCounters, 'datagrams' | 'accepted'> };

interface PcmTrack {
  firstTs: number;
  sampleRate: number;
  clockRate: number;
  samples: Int16Array;
  length: number;
  written: number;
}

/** Decoded audio of one SSRC; samples never written (lost packets) are 0. */
export interface DecodedAudio {
  ssrc: number;
  sampleRate: number;
  pcm: Int16Array;
  /** Samples actually decoded (the rest of `pcm.length` are gaps). */
  decodedSamples: number;
}

function newCounters(): ReceiverCounters {
  return {
    datagrams: 0,
    accepted: 0,
    short: 0,
    badVersion: 0,
    truncated: 0,
    badPadding: 0,
    srtpAuthFailed: 0,
    srtpReplayed: 0,
    srtpMalformed: 0,
    ssrcOverflow: 0,
    unknownPayloadType: 0,
    decodeErrors: 0,
    pcmDropped: 0,
    ssrcChanges: 0,
  };
}

/** Per-SSRC statistics and decoding for everything one RTP port receives. */
export class RtpReceiver {
  readonly counters: ReceiverCounters = newCounters();
  private readonly stats = new Map<number, RtpStreamStats>();
  private readonly tracks = new Map<number, PcmTrack>();
  private activeSsrc = -1;
  private readonly maxSsrcs: number;
  private readonly maxPcmSeconds: number;

  constructor(private readonly options: RtpReceiverOptions = {}) {
    this.maxSsrcs = options.maxSsrcs ?? 64;
    this.maxPcmSeconds = options.maxPcmSeconds ?? 600;
  }

  /** Replaces the payload-type map (after a re-INVITE renegotiated codecs). */
  setPayloadMap(map: ReadonlyMap<number, PayloadFormat>): void {
    this.options.payloadMap = map;
  }

  /** Feeds one RTP (or SRTP) datagram received at `arrivalMs` (monotonic ms). Never throws. */
  receive(datagram: Uint8Array, arrivalMs: number): ReceiveOutcome {
    const c = this.counters;
    c.datagrams++;
    let bytes = datagram;
    if (this.options.srtp) {
      const u = this.options.srtp.unprotectRtp(datagram);
      if (!u.ok) {
        const reason =
          u.error === 'auth'
            ? 'srtpAuthFailed'
            : u.error === 'replayed' || u.error === 'too-old'
              ? 'srtpReplayed'
              : 'srtpMalformed';
        c[reason]++;
        return { kind: 'rejected', reason };
      }
      bytes = u.packet;
    }
    const r = parseRtp(bytes);
    if (!r.ok) {
      const reason =
        r.error === 'short'
          ? 'short'
          : r.error === 'bad-version'
            ? 'badVersion'
            : r.error === 'truncated'
              ? 'truncated'
              : 'badPadding';
      c[reason]++;
      return { kind: 'rejected', reason };
    }
    const p = r.packet;
    const format = this.options.payloadMap?.get(p.payloadType);
    let st = this.stats.get(p.ssrc);
    if (!st) {
      if (this.stats.size >= this.maxSsrcs) {
        c.ssrcOverflow++;
        return { kind: 'rejected', reason: 'ssrcOverflow' };
      }
      st = new RtpStreamStats(p.ssrc, format?.clockRate ?? 8000, this.options);
      this.stats.set(p.ssrc, st);
    }
    c.accepted++;
    if (this.activeSsrc !== p.ssrc) {
      if (this.activeSsrc >= 0) c.ssrcChanges++;
      this.activeSsrc = p.ssrc;
    }
    if (this.options.payloadMap && !format) c.unknownPayloadType++;
    const fresh = st.update(p, arrivalMs);
    if (fresh && format?.decoder) this.decode(p, format);
    return { kind: 'accepted', packet: p, fresh };
  }

  private decode(p: RtpView, f: PayloadFormat): void {
    let pcm: Int16Array;
    try {
      pcm = f.decoder!.decode(p.payload);
    } catch {
      this.counters.decodeErrors++;
      return;
    }
    const sampleRate = f.sampleRate ?? f.clockRate;
    let t = this.tracks.get(p.ssrc);
    if (!t || t.sampleRate !== sampleRate || t.clockRate !== f.clockRate) {
      if (t) {
        // A change of audio format mid-stream restarts the track; keep it simple and honest.
        this.counters.pcmDropped++;
      }
      t = {
        firstTs: p.timestamp,
        sampleRate,
        clockRate: f.clockRate,
        samples: new Int16Array(sampleRate),
        length: 0,
        written: 0,
      };
      this.tracks.set(p.ssrc, t);
    }
    const offset = Math.round((((p.timestamp - t.firstTs) | 0) * sampleRate) / f.clockRate);
    const max = Math.floor(this.maxPcmSeconds * sampleRate);
    if (offset < 0 || offset + pcm.length > max) {
      this.counters.pcmDropped++;
      return;
    }
    const end = offset + pcm.length;
    if (end > t.samples.length) {
      const grown = new Int16Array(Math.min(max, Math.max(end, t.samples.length * 2)));
      grown.set(t.samples.subarray(0, t.length));
      t.samples = grown;
    }
    t.samples.set(pcm, offset);
    t.written += pcm.length;
    if (end > t.length) t.length = end;
  }

  /** Statistics of every SSRC seen, in order of first appearance. */
  streams(): RtpStreamSummary[] {
    return [...this.stats.values()].map((s) => s.summary());
  }

  /** Statistics of one SSRC. */
  stream(ssrc: number): RtpStreamSummary | undefined {
    return this.stats.get(ssrc)?.summary();
  }

  /** The SSRC of the most recent accepted packet, or undefined. */
  get currentSsrc(): number | undefined {
    return this.activeSsrc >= 0 ? this.activeSsrc : undefined;
  }

  /** Decoded audio of an SSRC (default: the current one). */
  audio(ssrc = this.activeSsrc): DecodedAudio | undefined {
    const t = this.tracks.get(ssrc);
    if (!t) return undefined;
    return { ssrc, sampleRate: t.sampleRate, pcm: t.samples.slice(0, t.length), decodedSamples: t.written };
  }
}
