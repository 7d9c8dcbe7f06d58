/**
 * An RTP session on node:dgram: one local RTP port (and RTCP on port+1 unless rtcp-mux),
 * a remote address that a re-INVITE may change, PCM sent through an Encoder on the shared
 * send clock or raw payloads (fixtures, DTMF events), SRTP (SDES), periodic RTCP SR/RR,
 * receive statistics and decoding, a bounded log of every datagram as evidence, and the arrival
 * of every RTP datagram received (arrival-log.ts: what the media judge reads, for the whole call).
 *
 * States: open → (setRemote, send…) → closed. Sending before a remote is set is counted
 * in `sendErrors`, never thrown.
 */
import type { Socket } from 'node:dgram';
import type { Encoder } from '../../../codecs/codec.ts';
import { type Clock, systemClock, type TimerHandle } from '../../support/clock.ts';
import { isOwnSendError } from '../../support/send-errors.ts';
import { sendHeldNow } from '../../support/turn-end-sends.ts';
import { ArrivalLog } from './arrival-log.ts';
import { PacketLog, type PacketRecord } from './packet-log.ts';
import { bindRtpPair, bindUdpSocket, closeQuietly, type RtpPortRange } from './port-range.ts';
import {
  buildReceiverReport,
  buildSenderReport,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  type ReportBlock,
  type RtcpItem,
} from './rtcp.ts';
import { buildRtp, looksLikeRtcp, random16, random32 } from './rtp-packet.ts';
import { type PayloadFormat, RtpReceiver } from './rtp-receiver.ts';
import { processSendClock, type SendClock, type SendStream, type SendTick } from './send-clock.ts';
import { SrtpContext } from './srtp-context.ts';
import { parseInlineKey, type SrtpSuite } from './srtp-keys.ts';

/** SDES-SRTP parameters: the suite and the inline keys of both a=crypto lines. */
export interface SrtpParams {
  suite: SrtpSuite;
  /** Our key (what we put in our a=crypto), "inline:…". */
  localKey: string;
  /** The peer's key from its a=crypto. */
  remoteKey: string;
}

export interface RtpSessionOptions {
  /** Local address to bind (IPv4 or IPv6, e.g. 127.0.0.2 or ::1). */
  localAddress: string;
  /** Local RTP port; 0 picks one (an even one with a free port+1 unless rtcp-mux). */
  localPort?: number;
  /** Where a picked port comes from (default 20000–32766, outside Linux's ephemeral ports). */
  portRange?: RtpPortRange;
  /** RTCP on the RTP port (RFC 5761). */
  rtcpMux?: boolean;
  remote?: { address: string; port: number; rtcpPort?: number };
  ssrc?: number;
  cname?: string;
  srtp?: SrtpParams;
  /** Negotiated receive payload-type map. */
  payloadMap?: ReadonlyMap<number, PayloadFormat>;
  /** Most datagrams kept as evidence (default 50,000, sent and received together). */
  maxEvidence?: number;
  /**
   * Where the arrival of each RTP datagram received is noted (default: a log of the session's
   * own, of at most `maxArrivals`): a media leg passes one log to every session it opens.
   */
  arrivals?: ArrivalLog;
  /** Most arrivals the session's own arrival log keeps (default DEFAULT_MAX_ARRIVALS). */
  maxArrivals?: number;
  /** Interval of automatic RTCP reports in ms (default 5000; 0 = only on demand). */
  rtcpIntervalMs?: number;
  clock?: Clock;
  sendClock?: SendClock;
}

/** Raw payload to send. */
export interface RawSend {
  payloadType: number;
  payload: Uint8Array;
  /** Defaults to the timestamp of the last audio packet (or a random start). */
  timestamp?: number;
  marker?: boolean;
  /** Defaults to the next sequence number. */
  sequenceNumber?: number;
}

/** Audio to send on the send clock. */
export interface AudioSend {
  encoder: Encoder;
  payloadType: number;
  clockRate: number;
  /** PCM sample rate of the encoder (defaults to clockRate). */
  sampleRate?: number;
  ptimeMs: number;
  /** Gives the PCM of the next packet (ptime·sampleRate/1000 samples), or null to stop. */
  next: (samples: number) => Int16Array | null;
  onEnd?: () => void;
  /**
   * Observer called after each audio packet went to the socket, with the slot and the
   * monotonic time just before `socket.send` (to measure send-time error).
   */
  onSent?: (tick: SendTick, sentAtMs: number) => void;
}

/** Sender-side counters. */
export interface SenderCounters {
  rtpPackets: number;
  rtpOctets: number;
  rtcpPackets: number;
  /** Datagrams not sent: no remote yet, session closed, SRTP refused, or failed at the socket (`sendFailures`, `unreachable`). */
  sendErrors: number;
  /**
   * Of `sendErrors`, the RTP packets the socket refused or failed to send for a reason of this
   * side (support/send-errors.ts: EMSGSIZE, ENOBUFS, EPERM from a local firewall, a closed socket): our
   * own failure, never the far side's. `lastSendFailure` has the last one's code. (Our RTCP that
   * did not leave counts in `sendErrors` only: it judges nothing.)
   */
  sendFailures: number;
  /**
   * Of `sendErrors`, the datagrams that could not be sent because of where they went (any other
   * error: no route, a broadcast or foreign address, a bad port): about the address the far
   * side's SDP gave. `lastUnreachable` says which code and address.
   */
  unreachable: number;
  rtcpReceived: number;
  rtcpRejected: number;
}

/** One RTP media stream endpoint. Create with `RtpSession.open`. */
export class RtpSession {
  readonly ssrc: number;
  readonly receiver: RtpReceiver;
  readonly evidence: PacketLog;
  /** The arrival of every RTP datagram received (not bounded by `evidence`'s bound). */
  readonly arrivals: ArrivalLog;
  readonly counters: SenderCounters = {
    rtpPackets: 0,
    rtpOctets: 0,
    rtcpPackets: 0,
    sendErrors: 0,
    sendFailures: 0,
    unreachable: 0,
    rtcpReceived: 0,
    rtcpRejected: 0,
  };
  /** The code (or message) of the last datagram the socket refused or failed to send (`sendFailures`). */
  lastSendFailure: string | undefined;
  /** The last `unreachable` send: "ENETUNREACH sending to 192.0.2.1:4000". */
  lastUnreachable: string | undefined;
  /** RTCP packets received, parsed (bounded like the evidence). */
  readonly rtcpReceived: { atMs: number; items: RtcpItem[] }[] = [];
  private remote: { address: string; port: number; rtcpPort: number } | undefined;
  private seq = random16();
  private lastTs = random32();
  private readonly tx?: SrtpContext;
  private readonly rx?: SrtpContext;
  private readonly clock: Clock;
  private readonly sendClock: SendClock;
  private audio?: SendStream;
  private rtcpTimer?: TimerHandle;
  private readonly lastSr = new Map<number, { middle: number; atMs: number }>();
  private readonly lastReported = new Map<number, { expected: number; received: number }>();
  private closed = false;
  private readonly rtpPort: number;
  /** The audio packet made ahead of its due time by startAudio. */
  private ahead:
    | {
        index: number;
        payload: Uint8Array | null;
        marker: boolean;
        failed?: boolean;
        wire?: Uint8Array;
        seqBefore?: number;
        seqAfter?: number;
      }
    | undefined;
  private readonly rtcpPort: number;
  /** Monotonic time (session clock) just before the last datagram was handed to the socket. */
  lastSendAtMs = Number.NaN;

  private constructor(
    private readonly opts: RtpSessionOptions,
    private readonly rtpSock: Socket,
    private readonly rtcpSock: Socket | undefined,
  ) {
    this.ssrc = (opts.ssrc ?? random32()) >>> 0;
    // Bound before construction; cached because address() is a system call per packet.
    this.rtpPort = rtpSock.address().port;
    this.rtcpPort = rtcpSock ? rtcpSock.address().port : this.rtpPort;
    this.clock = opts.clock ?? systemClock;
    this.sendClock = opts.sendClock ?? processSendClock();
    this.evidence = new PacketLog(opts.maxEvidence ?? 50_000);
    this.arrivals = opts.arrivals ?? new ArrivalLog(opts.maxArrivals);
    if (opts.srtp) {
      const l = parseInlineKey(opts.srtp.localKey);
      const r = parseInlineKey(opts.srtp.remoteKey);
      if (!l.ok || !r.ok)
        throw new Error(`bad SRTP inline key: ${!l.ok ? l.error : ''} ${!r.ok ? r.error : ''}`);
      this.tx = new SrtpContext(opts.srtp.suite, l.key);
      this.rx = new SrtpContext(opts.srtp.suite, r.key);
    }
    this.receiver = new RtpReceiver({ payloadMap: opts.payloadMap, srtp: this.rx });
    if (opts.remote) this.setRemote(opts.remote.address, opts.remote.port, opts.remote.rtcpPort);
    rtpSock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo, 'rtp'));
    rtcpSock?.on('message', (msg, rinfo) => this.onMessage(msg, rinfo, 'rtcp'));
    // Socket errors (ICMP unreachable on loopback, …) are counted, not thrown.
    rtpSock.on('error', () => this.counters.sendErrors++);
    rtcpSock?.on('error', () => this.counters.sendErrors++);
    const interval = opts.rtcpIntervalMs ?? 5000;
    if (interval > 0) this.scheduleRtcp(interval);
  }

  /**
   * Opens a session bound to `localAddress:localPort`. Throws if the address cannot be
   * bound or the SRTP keys are malformed (configuration errors, not network input).
   */
  static async open(opts: RtpSessionOptions): Promise<RtpSession> {
    const mux = opts.rtcpMux ?? false;
    const want = opts.localPort ?? 0;
    let rtp: Socket | undefined;
    let rtcp: Socket | undefined;
    try {
      if (mux) rtp = await bindUdpSocket(opts.localAddress, want);
      else if (want !== 0) {
        rtp = await bindUdpSocket(opts.localAddress, want);
        rtcp = await bindUdpSocket(opts.localAddress, want + 1);
      } else ({ rtp, rtcp } = await bindRtpPair(opts.localAddress, opts.portRange));
      return new RtpSession(opts, rtp, rtcp);
    } catch (e) {
      // A failed bind or a bad SRTP key: nothing this call bound stays open.
      closeQuietly(rtp);
      closeQuietly(rtcp);
      throw e;
    }
  }

  get localAddress(): string {
    return this.opts.localAddress;
  }

  get localPort(): number {
    return this.rtpPort;
  }

  get localRtcpPort(): number {
    return this.rtcpPort;
  }

  /** Sets or changes where media goes (a re-INVITE's new c=/m= line). RTCP defaults to port+1 (or the RTP port with rtcp-mux). */
  setRemote(address: string, port: number, rtcpPort?: number): void {
    this.remote = { address, port, rtcpPort: rtcpPort ?? (this.rtcpSock ? port + 1 : port) };
  }

  /** Replaces the receive payload-type map. */
  setPayloadMap(map: ReadonlyMap<number, PayloadFormat>): void {
    this.receiver.setPayloadMap(map);
  }

  private log(
    direction: PacketRecord['direction'],
    channel: PacketRecord['channel'],
    src: PacketRecord['src'],
    dst: PacketRecord['dst'],
    bytes: Uint8Array,
  ): void {
    this.evidence.add({
      direction,
      channel,
      atMs: this.clock.now(),
      wallMs: this.clock.wallNow(),
      src,
      dst,
      bytes,
    });
  }

  private onMessage(msg: Buffer, rinfo: { address: string; port: number }, channel: 'rtp' | 'rtcp'): void {
    if (this.closed) return;
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    const at = this.clock.now();
    const isRtcp = channel === 'rtcp' || looksLikeRtcp(bytes);
    const local = {
      address: this.opts.localAddress,
      port: channel === 'rtcp' ? this.localRtcpPort : this.localPort,
    };
    this.log('received', isRtcp ? 'rtcp' : 'rtp', { address: rinfo.address, port: rinfo.port }, local, bytes);
    if (!isRtcp) {
      this.arrivals.add(at, bytes);
      this.receiver.receive(bytes, at);
      return;
    }
    let plain: Uint8Array = bytes;
    if (this.rx) {
      const u = this.rx.unprotectRtcp(bytes);
      if (!u.ok) {
        this.counters.rtcpRejected++;
        return;
      }
      plain = u.packet;
    }
    const c = parseRtcp(plain);
    if (c.items.length === 0) {
      this.counters.rtcpRejected++;
      return;
    }
    this.counters.rtcpReceived++;
    if (this.rtcpReceived.length < this.evidence.max) this.rtcpReceived.push({ atMs: at, items: c.items });
    for (const it of c.items)
      if (it.type === 'sr')
        this.lastSr.set(it.ssrc, { middle: ntpMiddle32(it.sender.ntpTimestamp), atMs: at });
  }

  /** Completion of every RTP packet sent: counts a failure, with its code. One function per session. */
  private readonly afterSendRtp = (err: Error | null): void => {
    if (err) this.sendFailed(err, undefined, 'rtp');
  };

  /** The same for RTCP. */
  private readonly afterSendRtcp = (err: Error | null): void => {
    if (err) this.sendFailed(err, undefined, 'rtcp');
  };

  /**
   * Counts a datagram that did not leave: ours (support/send-errors.ts) or its destination's. Only RTP
   * counts in `sendFailures`: an RTCP report of ours that did not leave judges nothing.
   */
  private sendFailed(
    err: Error,
    to: { address: string; port: number } | undefined,
    channel: 'rtp' | 'rtcp',
  ): void {
    this.counters.sendErrors++;
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
    const code = e.code ?? err.message;
    if (isOwnSendError(code)) {
      if (channel === 'rtp') {
        this.counters.sendFailures++;
        this.lastSendFailure = code;
      }
      return;
    }
    this.counters.unreachable++;
    const address = to?.address ?? e.address ?? '?';
    const port = to?.port ?? e.port ?? '?';
    this.lastUnreachable = `${code} sending to ${address}:${port}`;
  }

  private sendDatagram(bytes: Uint8Array, channel: 'rtp' | 'rtcp'): boolean {
    const r = this.remote;
    if (!r || this.closed) {
      this.counters.sendErrors++;
      return false;
    }
    const rtcp = channel === 'rtcp' && this.rtcpSock !== undefined;
    const sock = rtcp ? this.rtcpSock! : this.rtpSock;
    const port = channel === 'rtcp' ? r.rtcpPort : r.port;
    // What this process's SIP transport sent before this packet leaves first.
    sendHeldNow();
    // With a completion callback: without one, Node drops a failed send's error silently (no
    // 'error' event), and a packet we never sent would read as lost by the SBC. A datagram the
    // socket throws out at once is neither logged as sent nor counted.
    try {
      sock.send(bytes, port, r.address, channel === 'rtp' ? this.afterSendRtp : this.afterSendRtcp);
    } catch (err) {
      this.sendFailed(err as Error, { address: r.address, port }, channel);
      return false;
    }
    if (this.evidence.records.length < this.evidence.max)
      this.log(
        'sent',
        channel,
        { address: this.opts.localAddress, port: rtcp ? this.rtcpPort : this.rtpPort },
        { address: r.address, port },
        bytes,
      );
    else this.evidence.dropped++;
    this.lastSendAtMs = this.clock.now();
    return true;
  }

  /** Sends one RTP packet with a raw payload (fixtures, telephone-events). */
  sendPayload(s: RawSend): boolean {
    const wire = this.buildWire(s);
    if (!wire) {
      this.counters.sendErrors++;
      return false;
    }
    return this.sendWire(wire, s.payload.length);
  }

  /** The datagram of one RTP packet: takes a sequence number, applies SRTP (null if refused). */
  private buildWire(s: RawSend): Uint8Array | null {
    const sequenceNumber = s.sequenceNumber ?? this.seq;
    if (s.sequenceNumber === undefined) this.seq = (this.seq + 1) & 0xffff;
    const timestamp = s.timestamp ?? this.lastTs;
    const plain = buildRtp({
      payloadType: s.payloadType,
      sequenceNumber,
      timestamp,
      ssrc: this.ssrc,
      marker: s.marker ?? false,
      payload: s.payload,
    });
    return this.tx ? this.tx.protectRtp(plain) : plain;
  }

  private sendWire(wire: Uint8Array, payloadBytes: number): boolean {
    const ok = this.sendDatagram(wire, 'rtp');
    if (ok) {
      this.counters.rtpPackets++;
      this.counters.rtpOctets += payloadBytes;
    }
    return ok;
  }

  /** Sends bytes as they are on the RTP port (malformed-packet fixtures); not SRTP-protected. */
  sendRawDatagram(bytes: Uint8Array, channel: 'rtp' | 'rtcp' = 'rtp'): boolean {
    return this.sendDatagram(bytes, channel);
  }

  /**
   * Starts sending audio on the send clock; replaces any audio already playing. When the
   * clock wakes ahead of the due time (`leadMs`), the packet is made then — PCM pulled,
   * encoded, RTP header and SRTP applied — so only the send happens at the due time. A
   * packet made ahead is rebuilt if `talkSpurt()` changed its marker meanwhile; a raw packet
   * sent in between goes out before it (with the next sequence number).
   */
  startAudio(a: AudioSend): SendStream {
    this.stopAudio();
    const samples = Math.round((a.ptimeMs * (a.sampleRate ?? a.clockRate)) / 1000);
    const make = (): Uint8Array | null => {
      const pcm = a.next(samples);
      return pcm ? a.encoder.encode(pcm) : null;
    };
    const packet = (tick: SendTick, payload: Uint8Array): RawSend => ({
      payloadType: a.payloadType,
      payload,
      timestamp: tick.rtpTimestamp,
      marker: tick.marker,
    });
    const stream = this.sendClock.add({
      ptimeMs: a.ptimeMs,
      clockRate: a.clockRate,
      firstTimestamp: this.lastTs,
      onPrepare: (tick) => {
        // Until make() returns: a throwing source/encoder leaves a failed slot (not sent).
        this.ahead = { index: tick.index, payload: null, failed: true, marker: tick.marker };
        const payload = make();
        const seqBefore = this.seq;
        const wire = payload ? this.buildWire(packet(tick, payload)) : null;
        this.ahead = { index: tick.index, payload, marker: tick.marker, seqBefore, seqAfter: this.seq };
        if (wire) this.ahead.wire = wire;
      },
      onTick: (tick) => {
        const made = this.ahead?.index === tick.index ? this.ahead : undefined;
        this.ahead = undefined;
        if (made?.failed) return false;
        const payload = made ? made.payload : make();
        if (!payload) {
          this.stopAudio();
          a.onEnd?.();
          return false;
        }
        this.lastTs = tick.rtpTimestamp;
        let ok: boolean;
        if (made?.wire && made.marker === tick.marker) ok = this.sendWire(made.wire, payload.length);
        else ok = this.sendPayload(packet(tick, payload));
        if (ok) a.onSent?.(tick, this.lastSendAtMs);
        return ok;
      },
    });
    this.audio = stream;
    return stream;
  }

  stopAudio(): void {
    this.audio?.stop();
    this.audio = undefined;
    // A packet made ahead but never sent gives its sequence number back (plain RTP only:
    // an SRTP index is never reused).
    const a = this.ahead;
    this.ahead = undefined;
    if (a?.seqAfter !== undefined && a.seqBefore !== undefined && !this.tx && this.seq === a.seqAfter)
      this.seq = a.seqBefore;
  }

  /** Report blocks for every SSRC we receive (RFC 3550 §6.4.1, A.3). */
  reportBlocks(): ReportBlock[] {
    const now = this.clock.now();
    return this.receiver.streams().map((s) => {
      const prev = this.lastReported.get(s.ssrc) ?? { expected: 0, received: 0 };
      const expInt = s.expected - prev.expected;
      const recInt = s.received - prev.received;
      const lostInt = expInt - recInt;
      this.lastReported.set(s.ssrc, { expected: s.expected, received: s.received });
      const sr = this.lastSr.get(s.ssrc);
      return {
        ssrc: s.ssrc,
        fractionLost: expInt > 0 && lostInt > 0 ? Math.floor((lostInt * 256) / expInt) : 0,
        packetsLost: s.lost,
        highestSequence: s.extendedHighestSeq,
        jitter: Math.floor(s.jitterTs),
        lsr: sr?.middle ?? 0,
        dlsr: sr ? Math.round(((now - sr.atMs) / 1000) * 65536) : 0,
      };
    });
  }

  /** Sends an SR (if we have sent RTP) or RR compound now. */
  sendRtcpReport(): boolean {
    const cname = this.opts.cname ?? `sbc-harness@${this.opts.localAddress}`;
    const blocks = this.reportBlocks();
    const plain =
      this.counters.rtpPackets > 0
        ? buildSenderReport(
            this.ssrc,
            {
              ntpTimestamp: ntpFromUnixMs(this.clock.wallNow()),
              rtpTimestamp: this.lastTs,
              packetCount: this.counters.rtpPackets,
              octetCount: this.counters.rtpOctets,
            },
            blocks,
            cname,
          )
        : buildReceiverReport(this.ssrc, blocks, cname);
    const wire = this.tx ? this.tx.protectRtcp(plain) : plain;
    if (!wire) return false;
    const ok = this.sendDatagram(wire, 'rtcp');
    if (ok) this.counters.rtcpPackets++;
    return ok;
  }

  private scheduleRtcp(interval: number): void {
    // RFC 3550 §6.3.5: randomise to 0.5–1.5 of the interval.
    this.rtcpTimer = this.clock.setTimeout(
      () => {
        if (this.closed) return;
        if (this.remote) this.sendRtcpReport();
        this.scheduleRtcp(interval);
      },
      interval * (0.5 + Math.random()),
    );
  }

  /** Stops sending and closes the sockets. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopAudio();
    this.rtcpTimer?.cancel();
    this.closed = true;
    // A socket already closed (by an error, or under the session) is not closed again.
    const done = (s: Socket) =>
      new Promise<void>((r) => {
        try {
          s.close(() => r());
        } catch {
          r();
        }
      });
    await Promise.all([done(this.rtpSock), ...(this.rtcpSock ? [done(this.rtcpSock)] : [])]);
  }
}
