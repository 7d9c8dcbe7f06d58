/**
 * One anchored media port of the reference SBC: an RTP socket (and RTCP on port+1) bound on
 * one side's address, SDES-SRTP when that leg negotiated it, and an outgoing stream with
 * the SBC's own SSRC and sequence numbers (the SBC is the media endpoint each leg sees, so
 * it can insert DTMF events and transcoded packets). Every datagram is logged as evidence.
 * Bad input is counted, never thrown.
 */
import type { Socket } from 'node:dgram';
import {
  bindRtpPair,
  buildReceiverReport,
  buildRtp,
  PacketLog,
  type PacketRecord,
  parseInlineKey,
  parseRtp,
  type RtpPortRange,
  type RtpView,
  SrtpContext,
  type SrtpSuite,
} from '../media/rtp/index.ts';
import type { Clock, TimerHandle } from '../support/clock.ts';
import { sendHeldNow } from '../support/turn-end-sends.ts';

/** SDES keys of one leg: ours (we protect with it) and the peer's (we unprotect with it), base64 key||salt. */
export interface SbcSrtpKeys {
  suite: SrtpSuite;
  localKey: string;
  remoteKey: string;
}

/** Counters of one endpoint. */
export interface SbcEndpointCounters {
  /** RTP datagrams that parsed (and authenticated, with SRTP). */
  received: number;
  /** Datagrams refused: too short, not RTP, SRTP authentication or replay failures. */
  rejected: number;
  /** Datagrams received on the RTCP port (not relayed; the SBC terminates RTCP). */
  rtcpReceived: number;
  sent: number;
  sendErrors: number;
}

/** Longest a packet held back by rtp-reorder waits for the next one (then it goes alone, in order), ms. */
export const REORDER_HOLD_MAX_MS = 150;

/** With personality rtp-reorder, every this many packets one is sent after the next (RFC 3550 §5.1). */
export const REORDER_EVERY = 10;

function random32(): number {
  return (Math.random() * 0x1_0000_0000) >>> 0;
}

/** An anchored RTP port on one side of the SBC. Create with {@link SbcMediaEndpoint.open}. */
export class SbcMediaEndpoint {
  #ssrc = random32();
  /** SSRCs this endpoint has sent with (more than one after {@link newStream}). */
  readonly ssrcs: number[] = [this.#ssrc];
  private rtcpTimer: ReturnType<Clock['setTimeout']> | undefined;
  readonly evidence = new PacketLog(20_000);
  readonly counters: SbcEndpointCounters = {
    received: 0,
    rejected: 0,
    rtcpReceived: 0,
    sent: 0,
    sendErrors: 0,
  };
  /**
   * Personality rtp-reorder: every Nth packet is held back and sent right after the next one
   * (or after {@link REORDER_HOLD_MAX_MS} when none follows); undefined sends in order.
   */
  reorderEvery: number | undefined;
  #sendCount = 0;
  #heldBack: { wire: Uint8Array; to: { address: string; port: number }; timer: TimerHandle } | undefined;
  /** Called for every RTP packet received (after SRTP). */
  onPacket: ((p: RtpView, arrivalMs: number) => void) | undefined;
  private remote: { address: string; port: number } | undefined;
  private tx: SrtpContext | undefined;
  private rx: SrtpContext | undefined;
  private keys: SbcSrtpKeys | undefined;
  private seq = random32() & 0xffff;
  private closed = false;
  /** The bound ports, read once (`Socket.address()` is a system call, and the log asks per packet). */
  readonly localPort: number;
  private readonly rtcpPort: number;

  private constructor(
    readonly name: string,
    readonly localAddress: string,
    private readonly rtp: Socket,
    private readonly rtcp: Socket,
    private readonly clock: Clock,
  ) {
    this.localPort = rtp.address().port;
    this.rtcpPort = rtcp.address().port;
    rtp.on('message', (m, r) => this.onMessage(m, r));
    rtcp.on('message', (m, r) => {
      this.counters.rtcpReceived++;
      this.log('received', 'rtcp', r, this.rtcpPort, m);
    });
    rtp.on('error', () => this.counters.sendErrors++);
    rtcp.on('error', () => this.counters.sendErrors++);
  }

  /** Binds an even RTP port with RTCP on the next one, on `address`. */
  static async open(opts: {
    address: string;
    clock: Clock;
    name: string;
    /** Where the pair comes from (default 20000–32766, outside Linux's ephemeral ports). */
    portRange?: RtpPortRange;
  }): Promise<SbcMediaEndpoint> {
    const { rtp, rtcp } = await bindRtpPair(opts.address, opts.portRange);
    return new SbcMediaEndpoint(opts.name, opts.address, rtp, rtcp, opts.clock);
  }

  /** The SSRC of the stream this endpoint sends now. */
  get ssrc(): number {
    return this.#ssrc;
  }

  /**
   * Starts a new outgoing stream: a new SSRC and a new random sequence number (RFC 3550 §5.1,
   * §8.2). The caller restarts the timestamps.
   */
  newStream(): void {
    // A packet held back by rtp-reorder belongs to the old stream: it goes before the new one,
    // and the new stream's count starts afresh (its first packet is never the one held).
    this.releaseHeld();
    this.#sendCount = 0;
    let next = random32();
    while (this.ssrcs.includes(next)) next = random32();
    this.#ssrc = next;
    this.ssrcs.push(next);
    this.seq = random32() & 0xffff;
  }

  /**
   * Sends an RTCP receiver report with an SDES CNAME (RFC 3550 §6.4.2, §6.5.1) from the RTCP
   * port every `intervalMs`, the first after half of it (RFC 3550 §6.2), until closed.
   */
  startRtcp(intervalMs: number): void {
    if (this.rtcpTimer || this.closed) return;
    const tick = (delay: number) => {
      this.rtcpTimer = this.clock.setTimeout(() => {
        this.rtcpTimer = undefined;
        if (this.closed) return;
        this.sendRtcp();
        tick(intervalMs);
      }, delay);
    };
    tick(Math.round(intervalMs / 2));
  }

  private sendRtcp(): void {
    const r = this.remote;
    if (!r || this.keys) return; // SRTCP is not implemented here: no RTCP on an SRTP leg
    const bytes = buildReceiverReport(this.#ssrc, [], `sbc@${this.localAddress}`);
    const to = { address: r.address, port: r.port + 1 };
    this.log('sent', 'rtcp', to, this.rtcpPort, bytes);
    sendHeldNow();
    this.rtcp.send(bytes, to.port, to.address, (err) => {
      if (err) this.counters.sendErrors++;
    });
  }

  /** Where this leg's peer receives RTP, and the SRTP keys of the leg (none for plain RTP). */
  configure(remote: { address: string; port: number } | undefined, srtp?: SbcSrtpKeys): void {
    this.releaseHeld();
    this.remote = remote && remote.port > 0 ? remote : undefined;
    const same =
      srtp &&
      this.keys &&
      srtp.suite === this.keys.suite &&
      srtp.localKey === this.keys.localKey &&
      srtp.remoteKey === this.keys.remoteKey;
    if (same) return;
    this.keys = srtp;
    this.tx = undefined;
    this.rx = undefined;
    if (!srtp) return;
    const l = parseInlineKey(srtp.localKey);
    const r = parseInlineKey(srtp.remoteKey);
    if (l.ok) this.tx = new SrtpContext(srtp.suite, l.key);
    if (r.ok) this.rx = new SrtpContext(srtp.suite, r.key);
  }

  /** True when this leg is SRTP. */
  get secure(): boolean {
    return this.keys !== undefined;
  }

  private log(
    direction: PacketRecord['direction'],
    channel: PacketRecord['channel'],
    other: { address: string; port: number },
    localPort: number,
    bytes: Uint8Array,
  ): void {
    const local = { address: this.localAddress, port: localPort };
    const peer = { address: other.address, port: other.port };
    this.evidence.add({
      direction,
      channel,
      atMs: this.clock.now(),
      wallMs: this.clock.wallNow(),
      src: direction === 'sent' ? local : peer,
      dst: direction === 'sent' ? peer : local,
      bytes: new Uint8Array(bytes),
    });
  }

  private onMessage(msg: Buffer, rinfo: { address: string; port: number }): void {
    if (this.closed) return;
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    this.log('received', 'rtp', rinfo, this.localPort, bytes);
    let plain: Uint8Array = bytes;
    if (this.keys) {
      if (!this.rx) {
        this.counters.rejected++;
        return;
      }
      const u = this.rx.unprotectRtp(bytes);
      if (!u.ok) {
        this.counters.rejected++;
        return;
      }
      plain = u.packet;
    }
    const p = parseRtp(plain);
    if (!p.ok || (plain[1]! >= 192 && plain[1]! <= 223)) {
      this.counters.rejected++;
      return;
    }
    this.counters.received++;
    try {
      this.onPacket?.(p.packet, this.clock.now());
    } catch {
      this.counters.rejected++;
    }
  }

  /** Sends one packet with our SSRC and the next sequence number. False when there is no remote yet. */
  send(p: { payloadType: number; payload: Uint8Array; timestamp: number; marker?: boolean }): boolean {
    const r = this.remote;
    if (!r || this.closed) {
      this.counters.sendErrors++;
      return false;
    }
    const plain = buildRtp({
      payloadType: p.payloadType,
      sequenceNumber: this.seq,
      timestamp: p.timestamp >>> 0,
      ssrc: this.#ssrc,
      marker: p.marker ?? false,
      payload: p.payload,
    });
    this.seq = (this.seq + 1) & 0xffff;
    let wire: Uint8Array | null = plain;
    if (this.keys) wire = this.tx ? this.tx.protectRtp(plain) : null;
    if (!wire) {
      this.counters.sendErrors++;
      return false;
    }
    this.counters.sent++;
    this.#sendCount++;
    if (this.reorderEvery !== undefined && !this.#heldBack && this.#sendCount % this.reorderEvery === 0) {
      this.#heldBack = {
        wire,
        to: r,
        timer: this.clock.setTimeout(() => this.releaseHeld(), REORDER_HOLD_MAX_MS),
      };
      return true;
    }
    this.#transmit(wire, r);
    this.releaseHeld();
    return true;
  }

  #transmit(wire: Uint8Array, to: { address: string; port: number }): void {
    this.log('sent', 'rtp', to, this.localPort, wire);
    // What this process's SIP transport sent before this packet (a 183, a 200) leaves first.
    sendHeldNow();
    this.rtp.send(wire, to.port, to.address, (err) => {
      if (err) this.counters.sendErrors++;
    });
  }

  /** Sends the packet held back by rtp-reorder, if any (before this endpoint stops sending). */
  releaseHeld(): void {
    const h = this.#heldBack;
    if (!h) return;
    this.#heldBack = undefined;
    h.timer.cancel();
    if (!this.closed) this.#transmit(h.wire, h.to);
  }

  /** Closes both sockets. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    const h = this.#heldBack;
    if (h) {
      // Sent before the sockets close: dgram sends on a later tick, a closed socket drops it.
      this.#heldBack = undefined;
      h.timer.cancel();
      this.log('sent', 'rtp', h.to, this.localPort, h.wire);
      sendHeldNow();
      await new Promise<void>((r) => this.rtp.send(h.wire, h.to.port, h.to.address, () => r()));
    }
    this.closed = true;
    this.onPacket = undefined;
    this.rtcpTimer?.cancel();
    this.rtcpTimer = undefined;
    await Promise.all([
      new Promise<void>((r) => this.rtp.close(() => r())),
      new Promise<void>((r) => this.rtcp.close(() => r())),
    ]);
  }
}
