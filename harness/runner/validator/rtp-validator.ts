/**
 * Judges the RTP the SBC sends to our legs (what our actors' media legs received, as on the
 * wire) against {@link RTP_RULES}. Which payload types a leg negotiated comes from the SDP our
 * actors sent: every SIP message one of them sends is offered to {@link RtpValidator.observeTrace},
 * and each audio m= line it carries declares an address and port (where the leg receives) with
 * the payload types the SBC may use there (RFC 3264 §6.1, §7). A packet whose destination no
 * SDP of ours declared is counted, not judged.
 *
 * SRTP legs (RTP/SAVP) are judged on their RTP header only (payload type, sequence number,
 * timestamp): the telephone-event payload is encrypted. Bounded: at most
 * {@link MAX_RTP_PACKETS} packets are judged and {@link MAX_RTP_FINDINGS} findings kept per case.
 */
import { decodeTelephoneEvent, type TelephoneEventPayload } from '../../media/dtmf/index.ts';
import { looksLikeRtcp, type PacketRecord, parseRtp, type RtpView } from '../../media/rtp/index.ts';
import { parseMessage, parseSdp, type SdpSession, type TraceEvent } from '../../sip/index.ts';
import type { RtpRuleId } from './rtp-rules.ts';

export interface RtpFinding {
  rule: RtpRuleId;
  /** Our actor whose leg received the offending packets, e.g. "provider" or "oxo". */
  actor: string;
  /** The leg's receiving address, "address:port". */
  leg: string;
  detail: string;
  /** The offending packets (and a few around them), one line each. */
  packets: string[];
  /** The packet the rule broke on, one line (also among `packets`). */
  offending: string;
  wallMs: number;
  /** How many times the same rule broke on the same stream (the first is described). */
  count: number;
}

export interface RtpValidatorStats {
  /** RTP packets from the SBC judged. */
  judged: number;
  /** Streams (leg and SSRC) judged. */
  streams: number;
  /** Telephone-event reports judged (payload read). */
  telephoneEvents: number;
  /** Packets that reached none of the addresses our SDP declared (not judged). */
  unmatched: number;
  /** Packets judged on their header only (SRTP legs). */
  headerOnly: number;
  /** Packets not judged: over the bound, or not RTP. */
  skipped: number;
}

export const MAX_RTP_PACKETS = 200_000;
export const MAX_RTP_FINDINGS = 50;
/** RFC 3550 appendix A.1: packets this far behind the highest sequence number are late, not wrong. */
export const MAX_MISORDER = 100;
/** Packets after an event's last report that must all have arrived before a missing E bit is judged. */
export const TE_END_WINDOW = 10;
/** A segment this close to the 16-bit duration limit may end without E (RFC 4733 §2.5.1.3). */
const SEGMENT_LIMIT = 0xffff - 2000;

interface Format {
  name: string;
  clockRate: number;
}

/** What our SDP declared for one receiving address. */
interface LegSdp {
  actor: string;
  key: string;
  formats: Map<number, Format>;
  srtp: boolean;
  /**
   * When an SDP of ours first declared this address (wall clock ms; absent: not known). The SBC
   * cannot send there before it: a packet that arrived earlier was meant for whoever had the
   * port before (a late packet of an earlier call on a reused port) and is not judged.
   */
  declaredAtMs?: number;
}

/** Slack on {@link LegSdp.declaredAtMs} for the clocks of the trace and the packet log, ms. */
const DECLARED_SLACK_MS = 20;

interface Packet {
  view: RtpView;
  wallMs: number;
  rec: PacketRecord;
  te?: TelephoneEventPayload;
}

interface EventState {
  code: number;
  ts: number;
  ended: boolean;
  /** Highest sequence number among its reports, and that report. */
  lastSeq: number;
  last: Packet;
  endSeq?: number;
  /** A later report continued it under another timestamp (judged by te-timestamp instead). */
  continued?: boolean;
  reports: Packet[];
}

interface Stream {
  leg: LegSdp;
  ssrc: number;
  packets: Packet[];
  seqs: Set<number>;
  maxSeq?: number;
  prevAudio?: Packet;
  prevTe?: Packet;
  events: Map<string, EventState>;
}

function hasSdpBody(m: { body: Uint8Array; contentType?: { type: string; subtype: string } }): boolean {
  if (m.body.length === 0) return false;
  const ct = m.contentType;
  return ct === undefined || (ct.type === 'application' && ct.subtype === 'sdp');
}

/** (a - b) as a signed 16-bit sequence difference. */
function seqDiff(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}

/** Whether every sequence number strictly between `from` and `to` arrived (at most 50 apart). */
function allArrived(s: { seqs: Set<number> }, from: number, to: number): boolean {
  const n = seqDiff(to, from);
  if (n < 1 || n > 50) return false;
  for (let k = 1; k < n; k++) if (!s.seqs.has((from + k) & 0xffff)) return false;
  return true;
}

function isTelephoneEvent(f: Format | undefined): boolean {
  return f?.name.toLowerCase() === 'telephone-event';
}

/** One line describing a packet as a capture tool would. */
export function describePacket(p: Packet, leg?: LegSdp): string {
  const v = p.view;
  const f = leg?.formats.get(v.payloadType);
  const name = f ? ` (${f.name || 'dynamic'}/${f.clockRate})` : '';
  const base = `${new Date(p.wallMs).toISOString()} ${p.rec.src.address}:${p.rec.src.port} → ${p.rec.dst.address}:${p.rec.dst.port} SSRC 0x${v.ssrc.toString(16).padStart(8, '0')} PT ${v.payloadType}${name} seq ${v.sequenceNumber} ts ${v.timestamp}${v.marker ? ' M' : ''}, ${v.payload.length} byte(s)`;
  const te = p.te;
  return te
    ? `${base}: event ${te.event}${te.end ? ' E' : ''} volume ${te.volume} duration ${te.duration}`
    : base;
}

export class RtpValidator {
  readonly findings: RtpFinding[] = [];
  readonly stats: RtpValidatorStats = {
    judged: 0,
    streams: 0,
    telephoneEvents: 0,
    unmatched: 0,
    headerOnly: 0,
    skipped: 0,
  };
  private readonly legs = new Map<string, LegSdp>();
  private readonly byFinding = new Map<string, RtpFinding>();

  /** How many receiving addresses our SDP declared in the case (0: the case had no media). */
  get declaredLegs(): number {
    return this.legs.size;
  }

  /** Takes one trace event of one of our actors: the SDP it sends declares its legs. */
  observeTrace(t: TraceEvent, actor: string): void {
    if (t.direction !== 'out' || t.error) return;
    let message = t.message;
    if (!message) {
      const r = parseMessage(t.data);
      if (!r.ok) return;
      message = r.message;
    }
    if (!hasSdpBody(message)) return;
    const sdp = parseSdp(message.bodyText);
    if (sdp.ok) this.observeSdp(actor, sdp.value, t.wallTime);
  }

  /**
   * An SDP our actor sent (at `atMs`, wall clock, when known): each RTP m= line with a port
   * declares where that leg receives.
   */
  observeSdp(actor: string, sdp: SdpSession, atMs?: number): void {
    for (const m of sdp.media) {
      if (m.port === 0 || !/^RTP\//i.test(m.protocol)) continue;
      const address = m.connection?.address ?? sdp.connection?.address;
      if (!address) continue;
      const key = `${address}:${m.port}`;
      let leg = this.legs.get(key);
      if (!leg) {
        leg = {
          actor,
          key,
          formats: new Map(),
          srtp: false,
          ...(atMs !== undefined ? { declaredAtMs: atMs } : {}),
        };
        this.legs.set(key, leg);
      }
      // Every format any of our SDPs listed here stays allowed: a re-offer keeps the old ones
      // valid until its answer, and the validator does not judge that window (no stricter).
      for (const f of m.formats) leg.formats.set(f.pt, { name: f.name, clockRate: f.clockRate });
      if (/SAVP/i.test(m.protocol)) leg.srtp = true;
    }
  }

  /**
   * Takes the legs another validator learnt from its SDP (a call whose legs' SIP was watched
   * under several Call-IDs, load-rules.ts); a leg both know keeps the formats of both.
   */
  declareLegsOf(other: RtpValidator): void {
    for (const [key, leg] of other.legs) {
      const mine = this.legs.get(key);
      if (!mine) {
        this.legs.set(key, { ...leg, formats: new Map(leg.formats) });
        continue;
      }
      for (const [pt, f] of leg.formats) mine.formats.set(pt, f);
      if (leg.srtp) mine.srtp = true;
      if (leg.declaredAtMs !== undefined)
        mine.declaredAtMs = Math.min(mine.declaredAtMs ?? leg.declaredAtMs, leg.declaredAtMs);
    }
  }

  /** Judges the packets our legs received (other records are ignored); returns the findings. */
  judge(records: readonly PacketRecord[]): RtpFinding[] {
    const streams = new Map<string, Stream>();
    for (const rec of records) {
      if (rec.direction !== 'received' || rec.channel !== 'rtp') continue;
      if (this.stats.judged >= MAX_RTP_PACKETS || looksLikeRtcp(rec.bytes)) {
        this.stats.skipped++;
        continue;
      }
      const parsed = parseRtp(rec.bytes);
      if (!parsed.ok) {
        this.stats.skipped++;
        continue;
      }
      const leg = this.legFor(rec.dst);
      if (!leg || (leg.declaredAtMs !== undefined && rec.wallMs < leg.declaredAtMs - DECLARED_SLACK_MS)) {
        this.stats.unmatched++;
        continue;
      }
      this.stats.judged++;
      if (leg.srtp) this.stats.headerOnly++;
      const view = parsed.packet;
      const sk = `${leg.key}/${view.ssrc}`;
      let s = streams.get(sk);
      if (!s) {
        s = { leg, ssrc: view.ssrc, packets: [], seqs: new Set(), events: new Map() };
        streams.set(sk, s);
        this.stats.streams++;
      }
      this.packet(s, { view, wallMs: rec.wallMs, rec });
    }
    for (const s of streams.values()) this.endOfStream(s);
    return this.findings;
  }

  private legFor(dst: { address: string; port: number }): LegSdp | undefined {
    const exact = this.legs.get(`${dst.address}:${dst.port}`);
    if (exact) return exact;
    const byPort = [...this.legs.values()].filter((l) => l.key.endsWith(`:${dst.port}`));
    return byPort.length === 1 ? byPort[0] : undefined;
  }

  private find(
    rule: RtpRuleId,
    s: Stream,
    detail: string,
    /** The packets to describe, computed only for a new finding. */
    packets: () => Packet[],
    at: Packet,
    dedupe = '',
  ): void {
    const key = `${rule}\n${s.leg.key}\n${s.ssrc}\n${dedupe}`;
    const prev = this.byFinding.get(key);
    if (prev) {
      prev.count++;
      return;
    }
    if (this.findings.length >= MAX_RTP_FINDINGS) return;
    const f: RtpFinding = {
      rule,
      actor: s.leg.actor,
      leg: s.leg.key,
      detail,
      packets: packets().map((p) => describePacket(p, s.leg)),
      offending: describePacket(at, s.leg),
      wallMs: at.wallMs,
      count: 1,
    };
    this.byFinding.set(key, f);
    this.findings.push(f);
  }

  /** The packets of the stream around `p` (a few before, the packet itself). */
  private context(s: Stream, p: Packet, before = 4): Packet[] {
    const i = s.packets.lastIndexOf(p);
    return s.packets.slice(Math.max(0, i - before), i + 1);
  }

  private packet(s: Stream, p: Packet): void {
    const v = p.view;
    const leg = s.leg;
    s.packets.push(p);
    s.seqs.add(v.sequenceNumber);
    const format = leg.formats.get(v.payloadType);

    // RFC 3264 §6.1, §7: the payload type is one our SDP declared for this stream.
    if (!format) {
      const report = leg.srtp || v.payload.length !== 4 ? undefined : decodeTelephoneEvent(v.payload);
      const tePts = [...leg.formats].filter(([, f]) => isTelephoneEvent(f)).map(([pt]) => pt);
      if (report?.ok && !report.value.reserved) {
        p.te = report.value;
        this.find(
          'te-payload-type',
          s,
          `a telephone-event report (event ${report.value.event}) arrived with PT ${v.payloadType}; ${
            tePts.length > 0
              ? `our leg negotiated telephone-event as PT ${tePts.join(', ')}`
              : 'our leg negotiated no telephone-event'
          }`,
          () => this.context(s, p),
          p,
          String(v.payloadType),
        );
      } else
        this.find(
          'rtp-payload-type',
          s,
          `PT ${v.payloadType} arrived; our leg's SDP for ${leg.key} listed PT ${[...leg.formats.keys()].join(', ')}`,
          () => this.context(s, p),
          p,
          String(v.payloadType),
        );
    }

    // RFC 3550 §5.1, A.1: sequence numbers do not step back beyond reordering.
    if (s.maxSeq === undefined) s.maxSeq = v.sequenceNumber;
    else {
      const d = seqDiff(v.sequenceNumber, s.maxSeq);
      if (d > 0) s.maxSeq = v.sequenceNumber;
      else if (-d > MAX_MISORDER) {
        this.find(
          'rtp-sequence',
          s,
          `sequence number ${v.sequenceNumber} arrived after ${s.maxSeq} in SSRC 0x${s.ssrc.toString(16)}: ${-d} back, more than the ${MAX_MISORDER} a late packet may be`,
          () => this.context(s, p),
          p,
        );
        s.maxSeq = v.sequenceNumber; // judge what follows against the new numbering
      }
    }

    if (format && !isTelephoneEvent(format)) {
      // RFC 3550 §5.1: the timestamp clock increments monotonically.
      const prev = s.prevAudio;
      if (
        prev &&
        seqDiff(v.sequenceNumber, prev.view.sequenceNumber) === 1 &&
        leg.formats.get(prev.view.payloadType)?.clockRate === format.clockRate
      ) {
        const dt = (v.timestamp - prev.view.timestamp) | 0;
        if (dt < 0)
          this.find(
            'rtp-timestamp',
            s,
            `timestamp ${v.timestamp} (seq ${v.sequenceNumber}) is ${-dt} units before ${prev.view.timestamp} of the packet before it (seq ${prev.view.sequenceNumber})`,
            () => this.context(s, p),
            p,
          );
      }
      s.prevAudio = p;
      return;
    }
    if (format && isTelephoneEvent(format) && !leg.srtp) this.telephoneEvent(s, p);
  }

  private telephoneEvent(s: Stream, p: Packet): void {
    const v = p.view;
    const r = decodeTelephoneEvent(v.payload);
    if (!r.ok) return;
    const te = r.value;
    p.te = te;
    this.stats.telephoneEvents++;
    const key = `${v.timestamp}/${te.event}`;
    let ev = s.events.get(key);

    // RFC 4733 §2.5.1.4: once the E bit is set, its retransmissions keep it.
    const endedBefore = ev?.ended ? ev : undefined;
    if (endedBefore?.endSeq !== undefined && !te.end && seqDiff(v.sequenceNumber, endedBefore.endSeq) > 0)
      this.find(
        'te-end-bit',
        s,
        `event ${te.event} (timestamp ${v.timestamp}) was ended by a report with the E bit (seq ${endedBefore.endSeq}); a later report of it (seq ${v.sequenceNumber}) has no E bit`,
        () => [...endedBefore.reports.slice(-4), p],
        p,
        'retransmission',
      );

    // RFC 4733 §2.2.1: every report of an unended event carries its start timestamp.
    const prev = s.prevTe;
    if (
      prev?.te &&
      !prev.te.end &&
      !s.events.get(`${prev.view.timestamp}/${prev.te.event}`)?.ended &&
      prev.view.timestamp !== v.timestamp &&
      prev.te.event === te.event &&
      !v.marker &&
      te.duration >= prev.te.duration &&
      seqDiff(v.sequenceNumber, prev.view.sequenceNumber) > 0 &&
      // nothing lost in between: no end report of the earlier event can have gone missing
      allArrived(s, prev.view.sequenceNumber, v.sequenceNumber)
    ) {
      const before = s.events.get(`${prev.view.timestamp}/${prev.te.event}`);
      if (before) before.continued = true;
      this.find(
        'te-timestamp',
        s,
        `a report of event ${te.event} with duration ${te.duration} continues the unended report of duration ${prev.te.duration} (timestamp ${prev.view.timestamp}) under timestamp ${v.timestamp}`,
        () => [prev, p],
        p,
      );
    }
    s.prevTe = p;

    if (!ev) {
      ev = { code: te.event, ts: v.timestamp, ended: false, lastSeq: v.sequenceNumber, last: p, reports: [] };
      s.events.set(key, ev);
    }
    if (ev.reports.length < 64) ev.reports.push(p);
    if (seqDiff(v.sequenceNumber, ev.lastSeq) >= 0) {
      ev.lastSeq = v.sequenceNumber;
      ev.last = p;
    }
    if (te.end && !ev.ended) {
      ev.ended = true;
      ev.endSeq = v.sequenceNumber;
    }
  }

  /** RFC 4733 §2.3.2: events whose reports stopped without an E bit while the stream went on. */
  private endOfStream(s: Stream): void {
    for (const ev of s.events.values()) {
      if (ev.ended || ev.continued || (ev.last.te?.duration ?? 0) >= SEGMENT_LIMIT) continue;
      let allArrived = true;
      for (let k = 1; k <= TE_END_WINDOW; k++)
        if (!s.seqs.has((ev.lastSeq + k) & 0xffff)) {
          allArrived = false;
          break;
        }
      if (!allArrived) continue; // lost end reports, or the stream ended: not the SBC's doing for sure
      this.find(
        'te-end-bit',
        s,
        `event ${ev.code} (timestamp ${ev.ts}) has no report with the E bit: its last report (seq ${ev.lastSeq}, duration ${ev.last.te?.duration}) is followed by the next ${TE_END_WINDOW} packets of the stream, none of which ends it`,
        () => {
          const i = s.packets.indexOf(ev.last);
          return [...ev.reports.slice(-3), ...s.packets.slice(i + 1, i + 3)];
        },
        ev.last,
        'unended',
      );
    }
  }
}
