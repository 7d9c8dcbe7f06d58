/**
 * RTP packet helpers (RFC 3550 §5.1). Serialising packets with CSRCs uses werift-rtp's
 * `RtpPacket`; the common case (no CSRC) is written directly because werift's serialize
 * costs ~9 µs per packet (object and buffer churn), a large share of the send budget when
 * hundreds of streams share one core — the tests check both paths give werift's bytes.
 * Parsing received bytes is done here because werift's `deSerialize` does not validate
 * (it reads past the end of short buffers and accepts any version), and the receiver must
 * classify bad input instead of throwing.
 */
import { RtpHeader, RtpPacket } from 'werift-rtp';

/** A parsed RTP packet. `payload` excludes CSRCs, the header extension and padding. */
export interface RtpView {
  version: number;
  padding: boolean;
  extension: boolean;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  /** Bytes before the payload: fixed header, CSRCs, extension. */
  headerLength: number;
  paddingLength: number;
  payload: Uint8Array;
}

/** Why bytes are not an RTP packet. */
export type RtpParseError = 'short' | 'bad-version' | 'truncated' | 'bad-padding';

export type RtpParseResult = { ok: true; packet: RtpView } | { ok: false; error: RtpParseError };

/** Fixed RTP header length. */
export const RTP_HEADER_BYTES = 12;

/** Parses and validates RTP bytes; never throws. */
export function parseRtp(buf: Uint8Array): RtpParseResult {
  if (buf.length < RTP_HEADER_BYTES) return { ok: false, error: 'short' };
  const b0 = buf[0]!;
  const version = b0 >> 6;
  if (version !== 2) return { ok: false, error: 'bad-version' };
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const b1 = buf[1]!;
  let offset = RTP_HEADER_BYTES + cc * 4;
  if (offset > buf.length) return { ok: false, error: 'truncated' };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(dv.getUint32(RTP_HEADER_BYTES + i * 4));
  if (extension) {
    if (offset + 4 > buf.length) return { ok: false, error: 'truncated' };
    const words = dv.getUint16(offset + 2);
    offset += 4 + words * 4;
    if (offset > buf.length) return { ok: false, error: 'truncated' };
  }
  let paddingLength = 0;
  if (padding) {
    if (buf.length === offset) return { ok: false, error: 'bad-padding' };
    paddingLength = buf[buf.length - 1]!;
    if (paddingLength === 0 || offset + paddingLength > buf.length)
      return { ok: false, error: 'bad-padding' };
  }
  return {
    ok: true,
    packet: {
      version,
      padding,
      extension,
      marker: (b1 & 0x80) !== 0,
      payloadType: b1 & 0x7f,
      sequenceNumber: dv.getUint16(2),
      timestamp: dv.getUint32(4),
      ssrc: dv.getUint32(8),
      csrcs,
      headerLength: offset,
      paddingLength,
      payload: buf.subarray(offset, buf.length - paddingLength),
    },
  };
}

/** Fields of an RTP packet to build. */
export interface RtpFields {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  csrcs?: number[];
  payload: Uint8Array;
}

/** Serialises an RTP packet. Numbers are wrapped to their field widths. */
export function buildRtp(f: RtpFields): Uint8Array {
  if (!f.csrcs || f.csrcs.length === 0) {
    const out = new Uint8Array(RTP_HEADER_BYTES + f.payload.length);
    const ts = f.timestamp >>> 0;
    const ssrc = f.ssrc >>> 0;
    out[0] = 0x80;
    out[1] = (f.marker ? 0x80 : 0) | (f.payloadType & 0x7f);
    out[2] = (f.sequenceNumber >>> 8) & 0xff;
    out[3] = f.sequenceNumber & 0xff;
    out[4] = ts >>> 24;
    out[5] = (ts >>> 16) & 0xff;
    out[6] = (ts >>> 8) & 0xff;
    out[7] = ts & 0xff;
    out[8] = ssrc >>> 24;
    out[9] = (ssrc >>> 16) & 0xff;
    out[10] = (ssrc >>> 8) & 0xff;
    out[11] = ssrc & 0xff;
    out.set(f.payload, RTP_HEADER_BYTES);
    return out;
  }
  return buildRtpWerift(f);
}

/** Serialises an RTP packet with werift-rtp (any CSRC count). */
export function buildRtpWerift(f: RtpFields): Uint8Array {
  const header = new RtpHeader({
    payloadType: f.payloadType & 0x7f,
    sequenceNumber: f.sequenceNumber & 0xffff,
    timestamp: f.timestamp >>> 0,
    ssrc: f.ssrc >>> 0,
    marker: f.marker ?? false,
    csrc: f.csrcs ?? [],
    csrcLength: f.csrcs?.length ?? 0,
  });
  const p = new RtpPacket(header, Buffer.from(f.payload.buffer, f.payload.byteOffset, f.payload.byteLength));
  const out = p.serialize();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * True when the bytes look like RTCP rather than RTP on a multiplexed port (RFC 5761 §4:
 * the second octet is 192–223, i.e. an RTCP packet type; RTP payload types 64–95 are avoided).
 */
export function looksLikeRtcp(buf: Uint8Array): boolean {
  if (buf.length < 2) return false;
  const pt = buf[1]!;
  return pt >= 192 && pt <= 223;
}

/** A fresh random 32-bit value (SSRC, initial timestamp). */
export function random32(): number {
  return (Math.random() * 0x1_0000_0000) >>> 0;
}

/** A fresh random 16-bit sequence number. */
export function random16(): number {
  return (Math.random() * 0x1_0000) >>> 0;
}

/** Signed distance a − b between two 16-bit RTP sequence numbers, in [−32768, 32767] (they wrap, RFC 3550 §A.1). */
export function seqDelta(a: number, b: number): number {
  return ((a - b + 0x18000) & 0xffff) - 0x8000;
}
