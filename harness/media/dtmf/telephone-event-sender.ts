/**
 * RFC 4733 telephone-event sender: turns one digit into the packets that carry it.
 *
 * The schedule it produces (interval = packet interval in timestamp units):
 * - packet k (k = 0, 1, ...) leaves at k·interval after the event starts and reports the
 *   duration (k+1)·interval, capped at the total, all with the event's RTP timestamp;
 * - the first packet of the event has the marker bit (RFC 4733 §2.5.1.2);
 * - the report that reaches the total duration has the E bit and is sent three times
 *   (§2.5.1.4), one interval apart by default, with the same duration;
 * - an event longer than 65535 units is split into segments (§2.5.1.3): a segment whose
 *   duration reaches 0xFFFF is followed by a new segment whose RTP timestamp is the previous
 *   one plus 0xFFFF, without marker; only the last segment carries the E bit.
 *
 * The RTP session assigns sequence numbers and sends each packet at `offsetTs` (or
 * `offsetMs`) after the event's start; this module is pure.
 */
import { type DtmfDigit, dtmfEventCode } from './dtmf-digit.ts';
import {
  encodeTelephoneEvent,
  TELEPHONE_EVENT_DEFAULT_VOLUME,
  TELEPHONE_EVENT_MAX_DURATION,
} from './telephone-event-payload.ts';

/** Options of {@link telephoneEventPackets}. */
export interface TelephoneEventSendOptions {
  /** RTP timestamp of the event start (start of the first segment), 32-bit. */
  startTimestamp: number;
  /** Event duration in milliseconds (used when durationTs is absent). Default 100 ms. */
  durationMs?: number;
  /** Event duration in timestamp units; wins over durationMs. */
  durationTs?: number;
  /** Packet interval (ptime) in milliseconds. Default 20 ms (RFC 4733 §2.5.1.2 suggests 50 ms max). */
  ptimeMs?: number;
  /** RTP clock rate of telephone-event. Default 8000. */
  clockRate?: number;
  /** Volume in -dBm0 (0..63). Default 10, i.e. -10 dBm0. */
  volume?: number;
  /** How many times the final (E bit) report is sent. Default 3. */
  endRepeats?: number;
  /** Send the repeated end reports one interval apart (default) or all at once. */
  spaceEndRepeats?: boolean;
}

/** One packet to send. */
export interface TelephoneEventPacket {
  /** Four-byte RFC 4733 payload. */
  payload: Uint8Array;
  /** RTP timestamp of the packet: the start of its event segment. */
  timestamp: number;
  /** RTP marker bit: only on the first packet of the event. */
  marker: boolean;
  /** Send time after the event's start, in timestamp units. */
  offsetTs: number;
  /** Send time after the event's start, in milliseconds. */
  offsetMs: number;
  /** Decoded view of the payload, for logs and tests. */
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

/**
 * The packet sequence for one digit, in sending order. Never throws: nonsensical options
 * are clamped (duration at least one timestamp unit, interval at least one unit, repeats 1..10).
 */
export function telephoneEventPackets(
  digit: DtmfDigit,
  options: TelephoneEventSendOptions,
): TelephoneEventPacket[] {
  const clockRate = positive(options.clockRate, 8000);
  const ptimeMs = positive(options.ptimeMs, 20);
  const interval = Math.max(1, Math.round((ptimeMs * clockRate) / 1000));
  const total = Math.max(
    1,
    Math.round(
      options.durationTs !== undefined && Number.isFinite(options.durationTs)
        ? options.durationTs
        : (positive(options.durationMs, 100) * clockRate) / 1000,
    ),
  );
  const volume = options.volume ?? TELEPHONE_EVENT_DEFAULT_VOLUME;
  const repeats = Math.min(10, Math.max(1, Math.round(options.endRepeats ?? 3)));
  const space = options.spaceEndRepeats ?? true;
  const event = dtmfEventCode(digit);
  const start = options.startTimestamp >>> 0;

  const packets: TelephoneEventPacket[] = [];
  const push = (segStart: number, duration: number, end: boolean, offsetTs: number): void => {
    packets.push({
      payload: encodeTelephoneEvent({ event, end, volume, duration }),
      timestamp: (start + segStart) >>> 0,
      marker: packets.length === 0,
      offsetTs,
      offsetMs: (offsetTs * 1000) / clockRate,
      event,
      end,
      volume,
      duration,
    });
  };

  let segStart = 0;
  let lastReported = -1;
  for (let k = 0; ; k++) {
    const offset = k * interval;
    const elapsed = Math.min((k + 1) * interval, total);
    // Close full segments first (§2.5.1.3).
    while (elapsed - segStart > TELEPHONE_EVENT_MAX_DURATION) {
      if (lastReported !== TELEPHONE_EVENT_MAX_DURATION)
        push(segStart, TELEPHONE_EVENT_MAX_DURATION, false, offset);
      segStart += TELEPHONE_EVENT_MAX_DURATION;
      lastReported = -1;
    }
    const duration = elapsed - segStart;
    if (elapsed >= total) {
      for (let r = 0; r < repeats; r++) push(segStart, duration, true, offset + (space ? r * interval : 0));
      break;
    }
    push(segStart, duration, false, offset);
    lastReported = duration;
  }
  return packets;
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
