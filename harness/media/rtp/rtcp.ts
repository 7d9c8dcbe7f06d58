/**
 * RTCP (RFC 3550 §6): building SR/RR compounds (werift-rtp serialises SR, RR and SDES) and
 * parsing received compounds. BYE and APP are built and parsed here because werift-rtp's
 * parser drops them; the parser also checks lengths itself so bad input never throws.
 */
import {
  RtcpReceiverInfo,
  RtcpRrPacket,
  RtcpSenderInfo,
  RtcpSourceDescriptionPacket,
  RtcpSrPacket,
  SourceDescriptionChunk,
  SourceDescriptionItem,
} from 'werift-rtp';

/** One report block (RFC 3550 §6.4.1). */
export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the last report, 0–255 (fixed point /256). */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed). */
  packetsLost: number;
  highestSequence: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the last SR's NTP timestamp. */
  lsr: number;
  /** Delay since that SR, in 1/65536 s. */
  dlsr: number;
}

export interface SenderInfo {
  /** 64-bit NTP timestamp. */
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

/** A parsed RTCP packet of a compound. */
export type RtcpItem =
  | { type: 'sr'; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'sdes'; chunks: { ssrc: number; cname?: string }[] }
  | { type: 'bye'; ssrcs: number[]; reason?: string }
  | { type: 'app'; ssrc: number; subtype: number; name: string; data: Uint8Array }
  | { type: 'other'; packetType: number; length: number };

/** A parsed compound; `error` says why parsing stopped, keeping the items before it. */
export interface RtcpCompound {
  items: RtcpItem[];
  error?: 'short' | 'bad-version' | 'bad-length' | 'malformed';
}

/** NTP timestamp (64-bit) of a wall-clock time in ms since the Unix epoch. */
export function ntpFromUnixMs(ms: number): bigint {
  const secs = BigInt(Math.floor(ms / 1000)) + 2_208_988_800n;
  const frac = BigInt(Math.floor(((ms % 1000) / 1000) * 0x1_0000_0000));
  return (secs << 32n) | frac;
}

/** Middle 32 bits of an NTP timestamp (LSR field). */
export function ntpMiddle32(ntp: bigint): number {
  return Number((ntp >> 16n) & 0xffffffffn);
}

function toInfo(b: ReportBlock): RtcpReceiverInfo {
  return new RtcpReceiverInfo({
    ssrc: b.ssrc >>> 0,
    fractionLost: Math.max(0, Math.min(255, b.fractionLost | 0)),
    // werift writes the 24-bit field unsigned: hand it the two's complement.
    packetsLost: Math.max(-0x800000, Math.min(0x7fffff, b.packetsLost | 0)) & 0xffffff,
    highestSequence: b.highestSequence >>> 0,
    jitter: Math.max(0, Math.round(b.jitter)) >>> 0,
    lsr: b.lsr >>> 0,
    dlsr: b.dlsr >>> 0,
  });
}

function sdes(ssrc: number, cname: string): Buffer {
  return new RtcpSourceDescriptionPacket({
    chunks: [
      new SourceDescriptionChunk({
        source: ssrc >>> 0,
        items: [new SourceDescriptionItem({ type: 1, text: cname })],
      }),
    ],
  }).serialize();
}

/** Builds an SR + SDES(CNAME) compound. */
export function buildSenderReport(
  ssrc: number,
  sender: SenderInfo,
  reports: ReportBlock[],
  cname: string,
): Uint8Array {
  const sr = new RtcpSrPacket({
    ssrc: ssrc >>> 0,
    senderInfo: new RtcpSenderInfo({
      ntpTimestamp: sender.ntpTimestamp,
      rtpTimestamp: sender.rtpTimestamp >>> 0,
      packetCount: sender.packetCount >>> 0,
      octetCount: sender.octetCount >>> 0,
    }),
    reports: reports.slice(0, 31).map(toInfo),
  });
  return new Uint8Array(Buffer.concat([sr.serialize(), sdes(ssrc, cname)]));
}

/** Builds an RR + SDES(CNAME) compound. */
export function buildReceiverReport(ssrc: number, reports: ReportBlock[], cname: string): Uint8Array {
  const rr = new RtcpRrPacket({ ssrc: ssrc >>> 0, reports: reports.slice(0, 31).map(toInfo) });
  return new Uint8Array(Buffer.concat([rr.serialize(), sdes(ssrc, cname)]));
}

/** Builds a BYE packet (RFC 3550 §6.6), to append to a compound. */
export function buildBye(ssrcs: number[], reason?: string): Uint8Array {
  const list = ssrcs.slice(0, 31);
  const r = reason ? Buffer.from(reason, 'utf8').subarray(0, 255) : undefined;
  const bodyLen = list.length * 4 + (r ? 1 + r.length : 0);
  const padded = (bodyLen + 3) & ~3;
  const out = Buffer.alloc(4 + padded);
  out[0] = 0x80 | list.length;
  out[1] = 203;
  out.writeUInt16BE(padded / 4, 2);
  list.forEach((s, i) => {
    out.writeUInt32BE(s >>> 0, 4 + i * 4);
  });
  if (r) {
    out[4 + list.length * 4] = r.length;
    r.copy(out, 5 + list.length * 4);
  }
  return new Uint8Array(out);
}

function readBlocks(dv: DataView, off: number, count: number): ReportBlock[] {
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const o = off + i * 24;
    const lostRaw = dv.getUint32(o + 4) & 0xffffff;
    out.push({
      ssrc: dv.getUint32(o),
      fractionLost: dv.getUint8(o + 4),
      packetsLost: lostRaw & 0x800000 ? lostRaw - 0x1000000 : lostRaw,
      highestSequence: dv.getUint32(o + 8),
      jitter: dv.getUint32(o + 12),
      lsr: dv.getUint32(o + 16),
      dlsr: dv.getUint32(o + 20),
    });
  }
  return out;
}

/** Parses an RTCP compound packet. Never throws. */
export function parseRtcp(buf: Uint8Array): RtcpCompound {
  const items: RtcpItem[] = [];
  if (buf.length < 4) return { items, error: 'short' };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  for (let guard = 0; off + 4 <= buf.length && guard < 256; guard++) {
    const b0 = buf[off]!;
    if (b0 >> 6 !== 2) return { items, error: 'bad-version' };
    const count = b0 & 0x1f;
    const pt = buf[off + 1]!;
    const len = (dv.getUint16(off + 2) + 1) * 4;
    if (off + len > buf.length) return { items, error: 'bad-length' };
    let end = off + len;
    if (b0 & 0x20) {
      const pad = buf[end - 1]!;
      if (pad === 0 || pad > len - 4) return { items, error: 'malformed' };
      end -= pad;
    }
    const body = off + 4;
    const avail = end - body;
    switch (pt) {
      case 200: {
        if (avail < 24 + count * 24) return { items, error: 'malformed' };
        items.push({
          type: 'sr',
          ssrc: dv.getUint32(body),
          sender: {
            ntpTimestamp: dv.getBigUint64(body + 4),
            rtpTimestamp: dv.getUint32(body + 12),
            packetCount: dv.getUint32(body + 16),
            octetCount: dv.getUint32(body + 20),
          },
          reports: readBlocks(dv, body + 24, count),
        });
        break;
      }
      case 201: {
        if (avail < 4 + count * 24) return { items, error: 'malformed' };
        items.push({ type: 'rr', ssrc: dv.getUint32(body), reports: readBlocks(dv, body + 4, count) });
        break;
      }
      case 202: {
        const chunks: { ssrc: number; cname?: string }[] = [];
        let o = body;
        for (let c = 0; c < count; c++) {
          if (o + 4 > end) return { items, error: 'malformed' };
          const chunk: { ssrc: number; cname?: string } = { ssrc: dv.getUint32(o) };
          o += 4;
          while (o < end && buf[o] !== 0) {
            if (o + 2 > end || o + 2 + buf[o + 1]! > end) return { items, error: 'malformed' };
            if (buf[o] === 1)
              chunk.cname = Buffer.from(buf.subarray(o + 2, o + 2 + buf[o + 1]!)).toString('utf8');
            o += 2 + buf[o + 1]!;
          }
          o = (o + 4) & ~3;
          chunks.push(chunk);
        }
        items.push({ type: 'sdes', chunks });
        break;
      }
      case 203: {
        if (avail < count * 4) return { items, error: 'malformed' };
        const ssrcs: number[] = [];
        for (let i = 0; i < count; i++) ssrcs.push(dv.getUint32(body + i * 4));
        const r = body + count * 4;
        let reason: string | undefined;
        if (r < end && r + 1 + buf[r]! <= end)
          reason = Buffer.from(buf.subarray(r + 1, r + 1 + buf[r]!)).toString('utf8');
        items.push(reason === undefined ? { type: 'bye', ssrcs } : { type: 'bye', ssrcs, reason });
        break;
      }
      case 204: {
        if (avail < 8) return { items, error: 'malformed' };
        items.push({
          type: 'app',
          ssrc: dv.getUint32(body),
          subtype: count,
          name: Buffer.from(buf.subarray(body + 4, body + 8)).toString('latin1'),
          data: buf.subarray(body + 8, end),
        });
        break;
      }
      default:
        items.push({ type: 'other', packetType: pt, length: len });
    }
    off += len;
  }
  return { items };
}
