/**
 * RFC 4733 telephone-event receiver: consumes packets (payload, RTP timestamp, sequence
 * number, marker, arrival time) and reports exactly one {@link ReceivedDtmfEvent} per
 * digit, whatever happens to the packets on the way.
 *
 * How one digit stays one event:
 * - an event is identified by its RTP timestamp (§2.5.2.1); two identical digits in a row
 *   have different timestamps, so they are two events;
 * - the first packet seen with a new timestamp opens the event, with or without marker, so
 *   losing the first packet loses nothing but its report;
 * - the first E-bit report closes it; further reports of a closed timestamp (the repeated
 *   end packets, retransmissions, late reordered packets) are counted as `duplicates`;
 * - when every end packet is lost, the event is closed by the next event's first packet, by
 *   {@link TelephoneEventReceiver.poll} after `idleTimeoutMs` without a report, or by
 *   {@link TelephoneEventReceiver.flush}; such an event has `endReceived: false`;
 * - a long event split into segments (§2.5.1.3: new timestamp = previous + 0xFFFF, same
 *   event, previous segment not ended) is merged back into one event.
 *
 * Use one receiver per RTP source (SSRC): timestamps of different sources are unrelated.
 *
 * Events 0-15 are DTMF digits. Other event codes are counted in `ignoredEvents`; payloads
 * shorter than four bytes in `malformed`. Nothing here throws on packet content.
 *
 * State machine of one timestamp:
 * ```
 *   (unseen) --report--> OPEN --E bit / next event / idle / flush--> CLOSED (emitted once)
 *                         |  \--next segment (ts + 0xFFFF)--> OPEN (same event, new ts)
 *   CLOSED --any report--> CLOSED (counted as duplicate)
 * ```
 */
import { type DtmfDigit, dtmfDigitOfEvent } from './dtmf-digit.ts';
import { decodeTelephoneEvent, TELEPHONE_EVENT_MAX_DURATION } from './telephone-event-payload.ts';

/** One received RTP packet of the telephone-event payload type. */
export interface TelephoneEventRtpPacket {
  payload: Uint8Array;
  /** RTP timestamp (32-bit). */
  timestamp: number;
  /** RTP sequence number (16-bit); kept for evidence. */
  seq: number;
  marker: boolean;
  /** Arrival time in milliseconds on the caller's clock. */
  arrivalMs: number;
}

/** One digit as the receiver reports it. */
export interface ReceivedDtmfEvent {
  digit: DtmfDigit;
  /** RFC 4733 event code 0-15. */
  event: number;
  /** RTP timestamp of the event's first segment. */
  timestamp: number;
  /** Total duration in timestamp units (all segments). */
  durationTs: number;
  /** Total duration in milliseconds at the configured clock rate. */
  durationMs: number;
  /** Volume of the last report, in -dBm0. */
  volume: number;
  /** True when an E-bit report was received; false when closed by a later event, idleness or flush. */
  endReceived: boolean;
  /** True when a marker-bit packet was received for this event. */
  markerSeen: boolean;
  /** Arrival time of the first report seen. */
  firstArrivalMs: number;
  /** Arrival time of the last report seen before closing. */
  lastArrivalMs: number;
  /** Reports accepted for this event (before closing). */
  packets: number;
  /** Sequence number of the first report seen. */
  firstSeq: number;
}

/** Counters kept by the receiver, for evidence. */
export interface TelephoneEventReceiverStats {
  packets: number;
  malformed: number;
  /** Well-formed reports of events other than 0-15. */
  ignoredEvents: number;
  /** Reports of an already closed event (end repeats, retransmissions, late packets). */
  duplicates: number;
  events: number;
  /** Events closed without any E-bit report. */
  closedWithoutEnd: number;
}

/** Options of {@link TelephoneEventReceiver}. */
export interface TelephoneEventReceiverOptions {
  /** RTP clock rate of telephone-event. Default 8000. */
  clockRate?: number;
  /** {@link TelephoneEventReceiver.poll} closes an open event silent for this long. Default 250 ms. */
  idleTimeoutMs?: number;
  /** How many closed timestamps to remember for duplicate suppression. Default 64. */
  memory?: number;
}

interface OpenEvent {
  digit: DtmfDigit;
  event: number;
  firstTimestamp: number;
  /** Timestamp of the current segment. */
  timestamp: number;
  /** Duration accumulated by earlier segments. */
  base: number;
  /** Largest duration reported in the current segment. */
  duration: number;
  volume: number;
  markerSeen: boolean;
  firstArrivalMs: number;
  lastArrivalMs: number;
  packets: number;
  firstSeq: number;
}

/** Streaming RFC 4733 receiver. Feed packets with {@link push}; it returns the events they complete. */
export class TelephoneEventReceiver {
  private readonly clockRate: number;
  private readonly idleTimeoutMs: number;
  private readonly memory: number;
  private open: OpenEvent | undefined;
  private readonly closed: number[] = [];
  private readonly counters: TelephoneEventReceiverStats = {
    packets: 0,
    malformed: 0,
    ignoredEvents: 0,
    duplicates: 0,
    events: 0,
    closedWithoutEnd: 0,
  };

  constructor(options: TelephoneEventReceiverOptions = {}) {
    this.clockRate = options.clockRate && options.clockRate > 0 ? options.clockRate : 8000;
    this.idleTimeoutMs = options.idleTimeoutMs && options.idleTimeoutMs > 0 ? options.idleTimeoutMs : 250;
    this.memory = Math.max(1, Math.round(options.memory ?? 64));
  }

  /** A copy of the counters. */
  get stats(): TelephoneEventReceiverStats {
    return { ...this.counters };
  }

  /** The digit currently being received, if any (not yet reported). */
  get pending(): DtmfDigit | undefined {
    return this.open?.digit;
  }

  /** Consumes one packet; returns the events it completes (zero, one, or two). */
  push(packet: TelephoneEventRtpPacket): ReceivedDtmfEvent[] {
    this.counters.packets++;
    const out: ReceivedDtmfEvent[] = [];
    if (packet === null || typeof packet !== 'object') {
      this.counters.malformed++;
      return out;
    }
    const decoded = decodeTelephoneEvent(packet.payload);
    if (!decoded.ok) {
      this.counters.malformed++;
      return out;
    }
    const report = decoded.value;
    const digit = dtmfDigitOfEvent(report.event);
    if (digit === undefined) {
      this.counters.ignoredEvents++;
      return out;
    }
    const ts = Number(packet.timestamp) >>> 0;
    const arrival = Number.isFinite(packet.arrivalMs) ? packet.arrivalMs : 0;

    // A closed timestamp never reopens.
    if (this.closed.includes(ts)) {
      this.counters.duplicates++;
      return out;
    }
    const open = this.open;
    if (open !== undefined && open.timestamp !== ts) {
      const isNextSegment =
        open.event === report.event && (open.timestamp + TELEPHONE_EVENT_MAX_DURATION) >>> 0 === ts;
      if (isNextSegment) {
        this.remember(open.timestamp);
        open.base += TELEPHONE_EVENT_MAX_DURATION;
        open.timestamp = ts;
        open.duration = 0;
      } else if (isOlder(ts, open.timestamp)) {
        // A late packet of an event we never saw open: a whole event before the one in
        // progress. Report it on its own rather than lose the digit.
        const late = this.start(report.event, digit, ts, packet, arrival);
        this.update(late, report.duration, report.volume, packet, arrival);
        out.push(this.close(late, report.end));
        return out;
      } else {
        out.push(this.close(open, false));
      }
    }
    let current = this.open;
    if (current === undefined) {
      current = this.start(report.event, digit, ts, packet, arrival);
      this.open = current;
    }
    this.update(current, report.duration, report.volume, packet, arrival);
    if (report.end) {
      out.push(this.close(current, true));
    }
    return out;
  }

  /** Closes an open event that has been silent for `idleTimeoutMs` at `nowMs`. */
  poll(nowMs: number): ReceivedDtmfEvent[] {
    const open = this.open;
    if (open !== undefined && nowMs - open.lastArrivalMs >= this.idleTimeoutMs)
      return [this.close(open, false)];
    return [];
  }

  /** Closes the open event, if any (end of stream). */
  flush(): ReceivedDtmfEvent[] {
    return this.open ? [this.close(this.open, false)] : [];
  }

  private start(
    event: number,
    digit: DtmfDigit,
    ts: number,
    p: TelephoneEventRtpPacket,
    arrival: number,
  ): OpenEvent {
    return {
      digit,
      event,
      firstTimestamp: ts,
      timestamp: ts,
      base: 0,
      duration: 0,
      volume: 0,
      markerSeen: false,
      firstArrivalMs: arrival,
      lastArrivalMs: arrival,
      packets: 0,
      firstSeq: Number(p.seq) & 0xffff,
    };
  }

  private update(
    e: OpenEvent,
    duration: number,
    volume: number,
    p: TelephoneEventRtpPacket,
    arrival: number,
  ): void {
    e.duration = Math.max(e.duration, duration);
    e.volume = volume;
    e.markerSeen ||= p.marker === true;
    e.lastArrivalMs = Math.max(e.lastArrivalMs, arrival);
    e.packets++;
  }

  private close(e: OpenEvent, endReceived: boolean): ReceivedDtmfEvent {
    if (this.open === e) this.open = undefined;
    this.remember(e.timestamp);
    this.counters.events++;
    if (!endReceived) this.counters.closedWithoutEnd++;
    const durationTs = e.base + e.duration;
    return {
      digit: e.digit,
      event: e.event,
      timestamp: e.firstTimestamp,
      durationTs,
      durationMs: (durationTs * 1000) / this.clockRate,
      volume: e.volume,
      endReceived,
      markerSeen: e.markerSeen,
      firstArrivalMs: e.firstArrivalMs,
      lastArrivalMs: e.lastArrivalMs,
      packets: e.packets,
      firstSeq: e.firstSeq,
    };
  }

  private remember(ts: number): void {
    this.closed.push(ts);
    if (this.closed.length > this.memory) this.closed.shift();
  }
}

/** RTP timestamp serial comparison: is `a` before `b` (within half the 32-bit space)? */
function isOlder(a: number, b: number): boolean {
  const diff = (b - a) >>> 0;
  return diff !== 0 && diff < 0x80000000;
}
