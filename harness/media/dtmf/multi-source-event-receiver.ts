/**
 * RFC 4733 telephone-events received on one media leg from more than one RTP source (SSRC):
 * one {@link TelephoneEventReceiver} per SSRC, and one digit per key press across them.
 *
 * Why: an SBC may change the SSRC of a stream mid-call (a re-INVITE, a media server taking
 * over, latching) or send two streams at once (its own tones on a second SSRC beside the
 * relayed events). The end packets of one event are sent three times (RFC 4733 §2.5.1.4), so a
 * receiver that starts over at every SSRC change counts the retransmitted end packets on the
 * new SSRC as new events, and streams that interleave reset it at every packet.
 *
 * How one press stays one digit:
 * - each SSRC keeps its own receiver (timestamps of different sources are unrelated, RFC 3550
 *   §5.1), so interleaved streams never disturb each other's events;
 * - an event that one SSRC reports is the same press as an event another SSRC reported when
 *   both are the same digit and their spans overlap in arrival time. An event's span runs from
 *   its last report's arrival minus its duration (when the press began) to that arrival. The end
 *   packets repeated on a new SSRC carry the whole duration, so their span starts where the
 *   press began; a genuine second press starts after the first one ended (a DTMF sender leaves a
 *   gap between digits), so its span does not overlap. Such copies are counted in
 *   `crossSourceDuplicates`, never reported.
 *
 * Bounded: at most `maxSources` receivers (the least recently heard one is flushed and
 * forgotten) and `memory` recent events for the comparison. Nothing here throws on packet content.
 */
import type { DtmfDigit } from './dtmf-digit.ts';
import {
  type ReceivedDtmfEvent,
  TelephoneEventReceiver,
  type TelephoneEventReceiverOptions,
  type TelephoneEventReceiverStats,
  type TelephoneEventRtpPacket,
} from './telephone-event-receiver.ts';

/** A digit as {@link MultiSourceEventReceiver} reports it: the event and the SSRC that carried it. */
export interface SourcedDtmfEvent extends ReceivedDtmfEvent {
  ssrc: number;
}

/** Counters of all sources together, for evidence. */
export interface MultiSourceEventReceiverStats extends TelephoneEventReceiverStats {
  /** SSRCs that carried telephone-events. */
  sources: number;
  /** Events of one SSRC dropped as the same press already reported by another SSRC. */
  crossSourceDuplicates: number;
}

/** Options of {@link MultiSourceEventReceiver}. */
export interface MultiSourceEventReceiverOptions extends TelephoneEventReceiverOptions {
  /** Receivers kept at once. Default 8. */
  maxSources?: number;
  /** Recent events kept to recognise a press repeated on another SSRC. Default 32. */
  recentEvents?: number;
}

interface Recent {
  ssrc: number;
  digit: DtmfDigit;
  startMs: number;
  endMs: number;
}

/** Streaming RFC 4733 receiver for a leg whose events may come from several SSRCs. */
export class MultiSourceEventReceiver {
  private readonly options: TelephoneEventReceiverOptions;
  private readonly maxSources: number;
  private readonly recentMax: number;
  /** Receivers by SSRC, least recently heard first. */
  private readonly receivers = new Map<number, TelephoneEventReceiver>();
  private readonly recent: Recent[] = [];
  private sourcesSeen = 0;
  private crossSourceDuplicates = 0;
  /** Counters of receivers already forgotten. */
  private readonly retired: TelephoneEventReceiverStats = {
    packets: 0,
    malformed: 0,
    ignoredEvents: 0,
    duplicates: 0,
    events: 0,
    closedWithoutEnd: 0,
  };

  constructor(options: MultiSourceEventReceiverOptions = {}) {
    const { maxSources, recentEvents, ...rest } = options;
    this.options = rest;
    this.maxSources = Math.max(1, Math.round(maxSources ?? 8));
    this.recentMax = Math.max(1, Math.round(recentEvents ?? 32));
  }

  /** Consumes one telephone-event packet of `ssrc`; returns the digits it completes. */
  push(ssrc: number, packet: TelephoneEventRtpPacket): SourcedDtmfEvent[] {
    const key = Number(ssrc) >>> 0;
    let rx = this.receivers.get(key);
    const out: SourcedDtmfEvent[] = [];
    if (rx === undefined) {
      if (this.receivers.size >= this.maxSources) {
        const [oldKey, old] = this.receivers.entries().next().value as [number, TelephoneEventReceiver];
        this.receivers.delete(oldKey);
        out.push(...this.accept(oldKey, old.flush()));
        this.retire(old.stats);
      }
      rx = new TelephoneEventReceiver(this.options);
      this.sourcesSeen++;
    } else this.receivers.delete(key);
    // Re-insert: the map's order is the order sources were last heard.
    this.receivers.set(key, rx);
    out.push(...this.accept(key, rx.push(packet)));
    return out;
  }

  /** Closes events silent for the idle timeout, on every source. */
  poll(nowMs: number): SourcedDtmfEvent[] {
    const out: SourcedDtmfEvent[] = [];
    for (const [ssrc, rx] of this.receivers) out.push(...this.accept(ssrc, rx.poll(nowMs)));
    return out;
  }

  /** Closes every open event (end of stream). */
  flush(): SourcedDtmfEvent[] {
    const out: SourcedDtmfEvent[] = [];
    for (const [ssrc, rx] of this.receivers) out.push(...this.accept(ssrc, rx.flush()));
    return out;
  }

  /** A digit is being received on some source and not reported yet. */
  get pending(): boolean {
    for (const rx of this.receivers.values()) if (rx.pending !== undefined) return true;
    return false;
  }

  /** Counters summed over all sources. */
  get stats(): MultiSourceEventReceiverStats {
    const s = { ...this.retired };
    for (const rx of this.receivers.values()) {
      const r = rx.stats;
      s.packets += r.packets;
      s.malformed += r.malformed;
      s.ignoredEvents += r.ignoredEvents;
      s.duplicates += r.duplicates;
      s.events += r.events;
      s.closedWithoutEnd += r.closedWithoutEnd;
    }
    return { ...s, sources: this.sourcesSeen, crossSourceDuplicates: this.crossSourceDuplicates };
  }

  private retire(r: TelephoneEventReceiverStats): void {
    this.retired.packets += r.packets;
    this.retired.malformed += r.malformed;
    this.retired.ignoredEvents += r.ignoredEvents;
    this.retired.duplicates += r.duplicates;
    this.retired.events += r.events;
    this.retired.closedWithoutEnd += r.closedWithoutEnd;
  }

  /** Keeps the events that are not another source's press; remembers every one. */
  private accept(ssrc: number, events: ReceivedDtmfEvent[]): SourcedDtmfEvent[] {
    const out: SourcedDtmfEvent[] = [];
    for (const e of events) {
      const span: Recent = {
        ssrc,
        digit: e.digit,
        startMs: e.lastArrivalMs - e.durationMs,
        endMs: e.lastArrivalMs,
      };
      const same = this.recent.find(
        (r) => r.ssrc !== ssrc && r.digit === e.digit && span.startMs < r.endMs && r.startMs < span.endMs,
      );
      if (same) {
        // Spans stay as first reported: widening them could swallow the next genuine press.
        this.crossSourceDuplicates++;
        continue;
      }
      this.recent.push(span);
      if (this.recent.length > this.recentMax) this.recent.shift();
      out.push({ ...e, ssrc });
    }
    return out;
  }
}
