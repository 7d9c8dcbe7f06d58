/**
 * RFC 4733 §2.3 telephone-event payload: four bytes per event report.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     event     |E|R| volume    |          duration             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * volume is the power level as a positive number of dBm0 below zero (0..63, so 10 means
 * -10 dBm0); duration is in RTP timestamp units since the event's RTP timestamp.
 */

/** Size of one event report in bytes. */
export const TELEPHONE_EVENT_PAYLOAD_SIZE = 4;
/** Largest value of the 16-bit duration field (RFC 4733 §2.5.1.3 splits longer events). */
export const TELEPHONE_EVENT_MAX_DURATION = 0xffff;
/** Default volume of our sender: -10 dBm0. */
export const TELEPHONE_EVENT_DEFAULT_VOLUME = 10;

/** One decoded (or to-be-encoded) telephone-event report. */
export interface TelephoneEventPayload {
  /** Event code 0-255 (0-15 are the DTMF digits). */
  event: number;
  /** E bit: this report ends the event. */
  end: boolean;
  /** R bit: reserved, sent as 0, kept on decode for evidence. */
  reserved: boolean;
  /** Power level in -dBm0, 0..63. */
  volume: number;
  /** Duration so far in timestamp units, 0..65535. */
  duration: number;
}

/** Why a payload could not be decoded. */
export type TelephoneEventDecodeError = { code: 'too-short'; length: number } | { code: 'not-a-byte-array' };

/** Result of {@link decodeTelephoneEvent}: a report, or a typed error (never throws). */
export type TelephoneEventDecodeResult =
  | { ok: true; value: TelephoneEventPayload /** bytes after the first report, ignored */; trailing: number }
  | { ok: false; error: TelephoneEventDecodeError };

/**
 * Encodes one report. Out-of-range fields are clamped to their bit width (event 0..255,
 * volume 0..63, duration 0..65535) so the result is always four valid bytes.
 */
export function encodeTelephoneEvent(report: Partial<TelephoneEventPayload> & { event: number }): Uint8Array {
  const out = new Uint8Array(TELEPHONE_EVENT_PAYLOAD_SIZE);
  const event = clampInt(report.event, 0, 255);
  const volume = clampInt(report.volume ?? TELEPHONE_EVENT_DEFAULT_VOLUME, 0, 63);
  const duration = clampInt(report.duration ?? 0, 0, TELEPHONE_EVENT_MAX_DURATION);
  out[0] = event;
  out[1] = (report.end ? 0x80 : 0) | (report.reserved ? 0x40 : 0) | volume;
  out[2] = duration >>> 8;
  out[3] = duration & 0xff;
  return out;
}

/**
 * Decodes the first report of a payload. A payload shorter than four bytes is a typed
 * error; extra bytes are reported in `trailing` and otherwise ignored.
 */
export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEventDecodeResult {
  if (!(payload instanceof Uint8Array)) return { ok: false, error: { code: 'not-a-byte-array' } };
  if (payload.length < TELEPHONE_EVENT_PAYLOAD_SIZE) {
    return { ok: false, error: { code: 'too-short', length: payload.length } };
  }
  const b1 = payload[1]!;
  return {
    ok: true,
    value: {
      event: payload[0]!,
      end: (b1 & 0x80) !== 0,
      reserved: (b1 & 0x40) !== 0,
      volume: b1 & 0x3f,
      duration: (payload[2]! << 8) | payload[3]!,
    },
    trailing: payload.length - TELEPHONE_EVENT_PAYLOAD_SIZE,
  };
}

function clampInt(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return min;
  return Math.min(max, Math.max(min, Math.round(value)));
}
