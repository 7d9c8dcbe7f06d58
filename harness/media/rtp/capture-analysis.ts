/**
 * RTP analysis of a capture file: every UDP datagram on the chosen ports (or every one
 * that parses as RTP v2) goes to a receiver per flow (source, destination, SSRC), as
 * tshark's "rtp,streams" groups them. Arrival times are taken relative to the first frame
 * from the exact seconds/nanoseconds, so no precision is lost to epoch-sized doubles.
 */
import { decodeUdpFrame, iterateCapture, PcapWriter, type PcapWriterOptions } from '../capture/index.ts';
import type { PacketRecord } from './packet-log.ts';
import { looksLikeRtcp, parseRtp } from './rtp-packet.ts';
import { type PayloadFormat, RtpReceiver } from './rtp-receiver.ts';
import type { RtpStreamSummary } from './stream-stats.ts';

/** One RTP stream found in a capture. */
export interface CaptureStream {
  src: string;
  dst: string;
  ssrc: number;
  stats: RtpStreamSummary;
  receiver: RtpReceiver;
}

export interface CaptureAnalysis {
  frames: number;
  udp: number;
  /** UDP datagrams taken as RTP. */
  rtp: number;
  streams: CaptureStream[];
  /** Why reading stopped early, if it did. */
  error?: string;
}

export interface CaptureAnalysisOptions {
  /** UDP ports carrying RTP (either end). Default: any datagram that parses as RTP v2 and is not RTCP. */
  rtpPorts?: ReadonlySet<number>;
  payloadMap?: ReadonlyMap<number, PayloadFormat>;
  /** Most flows tracked (default 1000). */
  maxStreams?: number;
}

/** Analyses every RTP stream of a pcap/pcapng buffer. Never throws on bad input. */
export function analyzeCapture(buf: Uint8Array, options: CaptureAnalysisOptions = {}): CaptureAnalysis {
  const flows = new Map<string, CaptureStream>();
  const out: CaptureAnalysis = { frames: 0, udp: 0, rtp: 0, streams: [] };
  const max = options.maxStreams ?? 1000;
  const it = iterateCapture(buf);
  let sec0 = -1;
  let nsec0 = 0;
  for (;;) {
    const n = it.next();
    if (n.done) {
      if (n.value !== undefined) out.error = n.value;
      break;
    }
    const f = n.value;
    out.frames++;
    if (sec0 < 0) {
      sec0 = f.sec;
      nsec0 = f.nsec;
    }
    const u = decodeUdpFrame(f.linktype, f.data);
    if (!u) continue;
    out.udp++;
    if (options.rtpPorts) {
      if (!options.rtpPorts.has(u.dst.port) && !options.rtpPorts.has(u.src.port)) continue;
      if (looksLikeRtcp(u.payload)) continue;
    } else if (looksLikeRtcp(u.payload) || !parseRtp(u.payload).ok) continue;
    if (u.payload.length < 12) continue;
    const ssrc =
      ((u.payload[8]! << 24) | (u.payload[9]! << 16) | (u.payload[10]! << 8) | u.payload[11]!) >>> 0;
    const src = `${u.src.address}:${u.src.port}`;
    const dst = `${u.dst.address}:${u.dst.port}`;
    const key = `${src}>${dst}#${ssrc}`;
    let flow = flows.get(key);
    if (!flow) {
      if (flows.size >= max) continue;
      flow = {
        src,
        dst,
        ssrc,
        receiver: new RtpReceiver({ payloadMap: options.payloadMap }),
        stats: undefined as never,
      };
      flows.set(key, flow);
    }
    out.rtp++;
    flow.receiver.receive(u.payload, (f.sec - sec0) * 1000 + (f.nsec - nsec0) / 1e6);
  }
  for (const flow of flows.values()) {
    const s = flow.receiver.stream(flow.ssrc);
    if (s) out.streams.push({ ...flow, stats: s });
  }
  return out;
}

/** Writes a session's evidence log as a pcap (SRTP stays protected, as it was on the wire). */
export function evidenceToPcap(
  records: readonly PacketRecord[],
  options: PcapWriterOptions = {},
): PcapWriter {
  const w = new PcapWriter(options);
  for (const r of records) w.addUdp({ timeMs: r.wallMs, src: r.src, dst: r.dst, payload: r.bytes });
  return w;
}
