/**
 * The SIP transport layer: UDP, TCP and TLS listeners, each bound to a configurable address
 * and port (IPv4 or IPv6; several 127.x addresses on one host), connection reuse on streams,
 * RFC 3581 rport/received on what it receives, and a trace event for every message sent or
 * received (timestamp, transport, both addresses) from which evidence and ladders are built.
 *
 * Bad input is data: an unparsable message is counted, traced and, when enough of it is
 * readable, answered 400 (505 for a wrong SIP version); it never throws.
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { type Clock, systemClock } from '../support/clock.ts';
import { literalFirstLookup, resolvedName } from '../support/literal-first-lookup.ts';
import { type Logger, silentLogger } from '../support/log.ts';
import { SummarizedLog } from '../support/log-summary.ts';
import { ownCopy } from '../support/own-copy.ts';
import { sendErrorCode } from '../support/send-errors.ts';
import { holdUntilTurnEnd, released, sendHeldNow } from '../support/turn-end-sends.ts';
import { fieldKey } from './header-names.ts';
import { firstListElement, formatVia, parseVia, type Via } from './header-values.ts';
import { type SipMessage, SipResponse } from './message.ts';
import { reasonPhrase } from './message-factory.ts';
import { DEFAULT_MAX_MESSAGE_SIZE, findHeaderEnd, type MessageParseError, parseMessage } from './parser.ts';
import {
  DEFAULT_MAX_CONNECTIONS_PER_SOURCE,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MESSAGE_DEADLINE_MS,
  SourceCounter,
} from './source-limits.ts';
import { StreamFramer } from './stream-framer.ts';
import { getParam, setParam } from './uri.ts';

export type TransportProtocol = 'UDP' | 'TCP' | 'TLS';

export interface Endpoint {
  address: string;
  port: number;
}

export interface ListenSpec {
  protocol: TransportProtocol;
  address: string;
  /** 0 picks a free port. */
  port: number;
}

export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  ca?: string | Buffer | Array<string | Buffer>;
  /** Verify the peer's certificate on outgoing connections (default false: labs use self-signed ones). */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface Listener {
  protocol: TransportProtocol;
  address: string;
  port: number;
}

/** Where a message came from or goes to. `connectionId` names the stream connection, if any. */
export interface Flow {
  protocol: TransportProtocol;
  local: Endpoint;
  remote: Endpoint;
  connectionId?: string;
}

/** Who hears that a message given to TransportLayer.post could not be sent. */
export interface SendFailureSink {
  onSendFailure(err: Error): void;
}

/** A UDP listener's socket. */
interface UdpSocket {
  listener: Listener;
  socket: dgram.Socket;
  local: Endpoint;
}

/** A datagram waiting for the end of this turn of the event loop (TransportLayer.queueUdp). */
interface QueuedDatagram {
  socket: dgram.Socket;
  data: Buffer;
  port: number;
  address: string;
  done: (err: Error | null) => void;
}

export interface TraceEvent {
  direction: 'in' | 'out';
  /** Wall-clock milliseconds. */
  wallTime: number;
  /** Monotonic milliseconds. */
  monoTime: number;
  flow: Flow;
  data: Buffer;
  message?: SipMessage;
  /** For input that did not parse. */
  error?: MessageParseError | { code: string; reason: string };
}

export interface InboundMessage {
  message: SipMessage;
  flow: Flow;
}

export interface TransportStats {
  received: number;
  sent: number;
  parseErrors: number;
  answered400: number;
  framingErrors: number;
  connectionsOpened: number;
  connectionsRefused: number;
  /** Connections refused because their source held its bound of connections. */
  connectionsRefusedPerSource: number;
  /** Stream connections closed because a message was not complete within the deadline. */
  slowSenders: number;
  /** Messages refused because their header section was larger than maxHeaderBytes. */
  headersTooLarge: number;
  sendErrors: number;
}

/** One SIP message a transport could not send (TransportLayer.sendFailuresSince). */
export interface SipSendFailure {
  /** Its place among the transport's send failures (1, 2, …): `stats.sendErrors` once it was counted. */
  seq: number;
  /** When, on the transport's clock, ms. */
  atMs: number;
  /** The error's code (`ENOBUFS`, `EACCES`, `ENOTFOUND`, …), or its message (support/send-errors.ts). */
  code: string;
  protocol: TransportProtocol;
  address: string;
  port: number;
  /** The message's start line ("BYE sip:…", "SIP/2.0 200 OK"), clipped, when known. */
  what?: string;
  /** Its Call-ID, when it has one: which call it belonged to. */
  callId?: string;
  /**
   * The error had no system code: the harness itself failed (a message it could not
   * serialise, no listener to send from), whatever the destination.
   */
  harness?: true;
}

/** Send failures a transport keeps (the oldest go first); `stats.sendErrors` counts them all. */
export const MAX_KEPT_SEND_FAILURES = 256;
/**
 * Calls whose send failures a transport keeps apart, by Call-ID (the oldest call goes first),
 * and failures kept per call: a load asks per call, after the list above may have moved on.
 */
export const MAX_CALLS_WITH_SEND_FAILURES = 4096;
export const MAX_SEND_FAILURES_PER_CALL = 16;
/** Longest start line kept in a {@link SipSendFailure}. */
const WHAT_CHARS = 120;
const CALL_ID_LINE = /^(?:call-id|i)[ \t]*:[ \t]*([^\s]+)/im;

/** The start line and Call-ID of a message that could not be sent, read from it or its bytes. */
function messageOf(what: SipMessage | Buffer | undefined): { what?: string; callId?: string } {
  if (what === undefined) return {};
  let line: string;
  let callId: string | undefined;
  if (Buffer.isBuffer(what)) {
    const head = what.toString('latin1', 0, Math.min(what.length, 4096));
    const end = head.search(/\r?\n/);
    line = end < 0 ? head : head.slice(0, end);
    callId = CALL_ID_LINE.exec(head)?.[1];
  } else {
    line = what.startLine();
    callId = what.get('call-id');
  }
  const out: { what?: string; callId?: string } = {};
  if (line) out.what = line.length > WHAT_CHARS ? `${line.slice(0, WHAT_CHARS)}…` : line;
  if (callId) out.callId = callId;
  return out;
}

export interface TransportOptions {
  listen: ListenSpec[];
  tls?: TlsOptions;
  maxMessageSize?: number;
  /** Most simultaneous stream connections (default 1024); more are refused. */
  maxConnections?: number;
  /** Closes stream connections idle this long, in ms (default 10 minutes). */
  idleTimeoutMs?: number;
  /** Most stream connections from one source address (default 64); more are closed at once. */
  maxConnectionsPerSource?: number;
  /**
   * Time a stream has to complete a message once its first byte came, and an accepted
   * connection to deliver its first message, in ms (default 10 s); then the connection is closed.
   */
  messageDeadlineMs?: number;
  /** Most bytes of a message's header section (default 16,384); beyond, the message is refused. */
  maxHeaderBytes?: number;
  logger?: Logger;
  clock?: Clock;
}

interface StreamConn {
  id: string;
  protocol: 'TCP' | 'TLS';
  socket: net.Socket;
  framer: StreamFramer;
  local: Endpoint;
  remote: Endpoint;
  ready: Promise<void>;
  /** Runs while a message is incomplete (or, on an accepted connection, until the first one). */
  deadline?: { cancel(): void };
}

export interface TransportEvents {
  message: [InboundMessage];
  trace: [TraceEvent];
}

/**
 * A listener that could not be bound: the protocol, address and port in the message, the
 * system's code (EADDRINUSE, EADDRNOTAVAIL, EACCES) kept, so that the caller can name the
 * configuration key that chose them.
 */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    readonly protocol: TransportProtocol,
    readonly address: string,
    readonly port: number,
    readonly code: string | undefined,
    cause: unknown,
  ) {
    const why =
      code === 'EADDRINUSE'
        ? 'the address and port are already in use'
        : code === 'EADDRNOTAVAIL'
          ? 'the address is not one of this host'
          : code === 'EACCES'
            ? 'permission denied (a port below 1024 needs privileges)'
            : cause instanceof Error
              ? cause.message
              : String(cause);
    const host = address.includes(':') ? `[${address}]` : address;
    super(`cannot listen on ${protocol} ${host}:${port}: ${why}${code ? ` (${code})` : ''}`, { cause });
  }
}

function listenError(spec: ListenSpec, err: unknown): ListenError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return new ListenError(spec.protocol, spec.address, spec.port, code, err);
}

export class TransportLayer extends EventEmitter<TransportEvents> {
  readonly stats: TransportStats = {
    received: 0,
    sent: 0,
    parseErrors: 0,
    answered400: 0,
    framingErrors: 0,
    connectionsOpened: 0,
    connectionsRefused: 0,
    connectionsRefusedPerSource: 0,
    slowSenders: 0,
    headersTooLarge: 0,
    sendErrors: 0,
  };
  private readonly log: Logger;
  /** The latest messages that could not be sent (sendFailuresSince). */
  private readonly failures: SipSendFailure[] = [];
  /** The same, by Call-ID (sendFailuresOfCall). */
  private readonly failuresByCall = new Map<string, SipSendFailure[]>();
  /**
   * Lines about bad input from the network, summarised per reason and interval
   * (harness/support/log-summary.ts); the transaction layer and the user agent write through it too.
   */
  readonly netLog: SummarizedLog;
  private readonly clock: Clock;
  private readonly maxSize: number;
  private readonly maxConnections: number;
  private readonly idleTimeoutMs: number;
  private readonly deadlineMs: number;
  private readonly maxHeaderBytes: number;
  /** Stream connections by remote address. */
  private readonly connsPerSource: SourceCounter;
  private udp: UdpSocket[] = [];
  /**
   * Datagrams sent in this turn of the event loop, in order, handed to their sockets together
   * once the turn's I/O callbacks have run (see `queueUdp`).
   */
  private udpQueue: QueuedDatagram[] = [];
  private udpFlushArmed = false;
  /**
   * listenerFor's answers by protocol, for IPv4 [0] and IPv6 [1] destinations (no key string
   * built per send), rebuilt when the listeners change.
   */
  private readonly listenerCache = [
    new Map<TransportProtocol, Listener>(),
    new Map<TransportProtocol, Listener>(),
  ];
  private servers: Array<{ listener: Listener; server: net.Server }> = [];
  private conns = new Map<string, StreamConn>();
  private byRemote = new Map<string, string>();
  private seq = 0;
  private started = false;

  constructor(private readonly opts: TransportOptions) {
    super();
    this.log = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    this.netLog = new SummarizedLog(this.log, { clock: this.clock });
    this.maxSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.maxConnections = opts.maxConnections ?? 1024;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 600_000;
    this.deadlineMs = opts.messageDeadlineMs ?? DEFAULT_MESSAGE_DEADLINE_MS;
    this.maxHeaderBytes = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.connsPerSource = new SourceCounter(
      opts.maxConnectionsPerSource ?? DEFAULT_MAX_CONNECTIONS_PER_SOURCE,
    );
  }

  /** Binds every listener. Resolves when all are listening; rejects (after closing what opened) on a bind error. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      for (const spec of this.opts.listen) {
        if (spec.protocol === 'UDP') await this.startUdp(spec);
        else await this.startStream(spec);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** The bound listeners, with the ports actually bound. */
  get bound(): Listener[] {
    return [...this.udp.map((u) => u.listener), ...this.servers.map((s) => s.listener)];
  }

  /** The listener that sends to `remoteAddress` over `protocol`: same protocol and address family. */
  listenerFor(protocol: TransportProtocol, remoteAddress?: string): Listener {
    // An IPv6 address always holds a colon, an IPv4 address or a host name never does.
    const family = remoteAddress?.includes(':') && net.isIPv6(remoteAddress) ? 6 : 4;
    const cache = this.listenerCache[family === 6 ? 1 : 0]!;
    const cached = cache.get(protocol);
    if (cached) return cached;
    const candidates = this.bound.filter((l) => l.protocol === protocol);
    const match = candidates.find((l) => (net.isIPv6(l.address) ? 6 : 4) === family) ?? candidates[0];
    if (!match) throw new Error(`no ${protocol} listener is configured`);
    cache.set(protocol, match);
    return match;
  }

  /** Sends a message (or raw bytes) to `target`. Resolves with the flow it went out on. */
  send(
    msg: SipMessage | Buffer,
    target: { protocol: TransportProtocol; address: string; port: number; connectionId?: string },
  ): Promise<Flow> {
    try {
      const data = Buffer.isBuffer(msg) ? msg : msg.toBuffer();
      const message = Buffer.isBuffer(msg) ? undefined : msg;
      if (target.protocol === 'UDP') return this.sendUdp(data, message, target);
      return this.sendStream(data, message, target);
    } catch (err) {
      this.sendFailed(err, target, msg);
      return Promise.reject(err);
    }
  }

  /**
   * Sends like `send`, for a sender that does not need the flow it went out on (responses,
   * ACKs, retransmissions): over UDP no Promise is made, and the flow only when a trace
   * listener wants it. A failure is counted and logged as with `send`, then given to `sink`,
   * always after the caller has returned (an object, not a closure: nothing made per send).
   */
  post(
    msg: SipMessage,
    target: { protocol: TransportProtocol; address: string; port: number; connectionId?: string },
    sink?: SendFailureSink,
  ): void {
    if (target.protocol !== 'UDP') {
      this.send(msg, target).catch((err: Error) => sink?.onSendFailure(err));
      return;
    }
    let data: Buffer;
    try {
      data = msg.toBuffer();
    } catch (err) {
      this.sendFailed(err, target, msg);
      if (sink) queueMicrotask(() => sink.onSendFailure(err as Error));
      return;
    }
    this.postData(data, target, msg, sink);
  }

  /**
   * Sends bytes already serialized, as `post` sends a message: `message` is what they are (for
   * trace listeners; absent, a trace carries the bytes only). A transaction that keeps its
   * final response as bytes sends them again this way.
   */
  postData(
    data: Buffer,
    target: { protocol: TransportProtocol; address: string; port: number; connectionId?: string },
    msg?: SipMessage,
    sink?: SendFailureSink,
  ): void {
    if (target.protocol !== 'UDP') {
      // As over UDP below: bytes sent again without their message are read for the trace.
      const message = msg ?? (this.listenerCount('trace') > 0 ? parsedOrUndefined(data) : undefined);
      this.sendStream(data, message, target).catch((err: Error) => sink?.onSendFailure(err));
      return;
    }
    let u: UdpSocket;
    try {
      u = this.udpSocketFor(target.address);
    } catch (err) {
      this.sendFailed(err, target, msg ?? data);
      // Never from within the caller's own step (a state machine may be halfway through one).
      if (sink) queueMicrotask(() => sink.onSendFailure(err as Error));
      return;
    }
    this.queueUdp(u, data, target, (err) => {
      if (err) {
        this.sendFailed(err, target, msg ?? data);
        sink?.onSendFailure(err);
        return;
      }
      this.stats.sent++;
      if (this.listenerCount('trace') === 0) return;
      const flow = udpFlowOf(u, target);
      // Bytes sent again without their message (a kept final, a kept ACK): read for the trace.
      const message = msg ?? parsedOrUndefined(data);
      this.emitTrace(message ? { direction: 'out', flow, data, message } : { direction: 'out', flow, data });
    });
  }

  /**
   * The flow a datagram to `target` goes out on (the one `send` resolves with), known before it
   * is sent; undefined when no UDP listener can send there.
   */
  udpFlow(target: { address: string; port: number }): Flow | undefined {
    let u: UdpSocket;
    try {
      u = this.udpSocketFor(target.address);
    } catch {
      return undefined;
    }
    return u ? udpFlowOf(u, target) : undefined;
  }

  /** The UDP socket of the listener that sends to `address`. */
  private udpSocketFor(address: string): UdpSocket {
    const l = this.listenerFor('UDP', address);
    for (const x of this.udp) if (x.listener === l) return x;
    return this.udp[0]!;
  }

  /** One datagram: one Promise, settled from the socket's callback (no async function around it). */
  private sendUdp(
    data: Buffer,
    message: SipMessage | undefined,
    target: { protocol: TransportProtocol; address: string; port: number },
  ): Promise<Flow> {
    const u = this.udpSocketFor(target.address);
    return new Promise<Flow>((resolve, reject) => {
      this.queueUdp(u, data, target, (err) => {
        if (err) {
          this.sendFailed(err, target, message ?? data);
          reject(err);
          return;
        }
        const flow = udpFlowOf(u, target);
        this.traceOut(flow, data, message);
        resolve(flow);
      });
    });
  }

  /**
   * Hands a datagram to its socket at the end of this turn of the event loop (setImmediate),
   * with every other datagram sent in the same turn, in the order they were sent; `done` is
   * the socket's completion callback (or gets the error a socket throws, on the next tick).
   * Answers to several datagrams read in one turn then leave back to back: a peer woken by the
   * first finds the rest queued, instead of going back to sleep between them. That saves the
   * kernel a wake-up per datagram (bench/notes/call-rate.md, "Sixth round"). The delay is the
   * rest of the current turn, far inside any SIP timer. Any other send of this process (RTP,
   * RTCP, SIP over a stream) first sends what is queued here (support/turn-end-sends.ts), so
   * nothing overtakes a datagram sent before it.
   */
  private queueUdp(
    u: UdpSocket,
    data: Buffer,
    target: { address: string; port: number },
    done: (err: Error | null) => void,
  ): void {
    this.udpQueue.push({ socket: u.socket, data, port: target.port, address: target.address, done });
    if (this.udpFlushArmed) return;
    this.udpFlushArmed = true;
    holdUntilTurnEnd(this.flushUdp);
    setImmediate(this.flushUdp);
  }

  /**
   * Sends every queued datagram now, in order (at the turn's end, from `stop`, or before another
   * send of this process). A socket that throws fails its datagram alone: the error reaches that
   * datagram's callback on the next tick, never from inside this loop, so no listener of a
   * failure can stop the datagrams after it.
   */
  private readonly flushUdp = (): void => {
    if (!this.udpFlushArmed) return;
    this.udpFlushArmed = false;
    released(this.flushUdp);
    const queue = this.udpQueue;
    this.udpQueue = [];
    for (const d of queue) {
      try {
        d.socket.send(d.data, d.port, d.address, d.done);
      } catch (err) {
        process.nextTick(d.done, err as Error);
      }
    }
  };

  private async sendStream(
    data: Buffer,
    message: SipMessage | undefined,
    target: { protocol: TransportProtocol; address: string; port: number; connectionId?: string },
  ): Promise<Flow> {
    // Datagrams sent before this message leave before it (see queueUdp).
    sendHeldNow();
    try {
      const conn = await this.connectionFor(target.protocol, target);
      await conn.ready;
      await new Promise<void>((resolve, reject) =>
        conn.socket.write(data, (err) => (err ? reject(err) : resolve())),
      );
      const flow: Flow = {
        protocol: conn.protocol,
        local: conn.local,
        remote: conn.remote,
        connectionId: conn.id,
      };
      this.traceOut(flow, data, message);
      return flow;
    } catch (err) {
      this.sendFailed(err, target, message ?? data);
      throw err;
    }
  }

  /**
   * Counts, logs and keeps a message that could not be sent (`what`: the message or its bytes,
   * when known). Only on a failure: nothing here runs for a message that left.
   */
  private sendFailed(
    err: unknown,
    target: { protocol: TransportProtocol; address: string; port: number },
    what?: SipMessage | Buffer,
  ): void {
    const seq = ++this.stats.sendErrors;
    this.netLog.warn('send-failed', { err: (err as Error).message, target }, 'SIP send failed');
    const f: SipSendFailure = {
      seq,
      atMs: this.clock.now(),
      code: sendErrorCode(err),
      protocol: target.protocol,
      address: target.address,
      port: target.port,
      ...messageOf(what),
      ...((err as NodeJS.ErrnoException | undefined)?.code === undefined ? { harness: true as const } : {}),
    };
    this.failures.push(f);
    if (this.failures.length > MAX_KEPT_SEND_FAILURES) this.failures.shift();
    if (f.callId !== undefined) {
      let mine = this.failuresByCall.get(f.callId);
      if (!mine) {
        mine = [];
        this.failuresByCall.set(f.callId, mine);
        if (this.failuresByCall.size > MAX_CALLS_WITH_SEND_FAILURES)
          this.failuresByCall.delete(this.failuresByCall.keys().next().value as string);
      }
      if (mine.length < MAX_SEND_FAILURES_PER_CALL) mine.push(f);
    }
  }

  /** The messages of the call `callId` this transport could not send (its first MAX_SEND_FAILURES_PER_CALL). */
  sendFailuresOfCall(callId: string): readonly SipSendFailure[] {
    return this.failuresByCall.get(callId) ?? [];
  }

  /**
   * The messages this transport could not send after the `seq`th failure (0: all it still
   * keeps, the last {@link MAX_KEPT_SEND_FAILURES}), oldest first. `stats.sendErrors` is the
   * `seq` of the latest: read it before a case or a call, and ask with it afterwards.
   */
  sendFailuresSince(seq: number): SipSendFailure[] {
    const out: SipSendFailure[] = [];
    for (const f of this.failures) if (f.seq > seq) out.push(f);
    return out;
  }

  /**
   * Where a response to `request` goes (RFC 3261 §18.2.2 with RFC 3581): back over the stream
   * it came on, or to the received/rport of its top Via.
   */
  responseTarget(
    request: SipMessage,
    flow: Flow,
  ): { protocol: TransportProtocol; address: string; port: number; connectionId?: string } {
    if (flow.protocol !== 'UDP' && flow.connectionId && this.conns.has(flow.connectionId)) {
      return {
        protocol: flow.protocol,
        address: flow.remote.address,
        port: flow.remote.port,
        connectionId: flow.connectionId,
      };
    }
    const via = request.topVia;
    if (!via) return { protocol: flow.protocol, address: flow.remote.address, port: flow.remote.port };
    const received = getParam(via.params, 'received') ?? undefined;
    const rport = getParam(via.params, 'rport');
    // Kept by the server transaction up to 64*T1: a copy that does not keep the request's text.
    const address = ownCopy(received ?? via.host);
    const port = rport ? Number(rport) : (via.port ?? (flow.protocol === 'TLS' ? 5061 : 5060));
    return { protocol: flow.protocol, address, port };
  }

  async stop(): Promise<void> {
    this.netLog.flush();
    for (const c of this.conns.values()) c.socket.destroy();
    this.conns.clear();
    this.byRemote.clear();
    // What was sent before stop() still leaves.
    this.flushUdp();
    await Promise.all(
      this.udp.map(
        (u) =>
          new Promise<void>((resolve) => {
            try {
              u.socket.close(() => resolve());
            } catch {
              resolve();
            }
          }),
      ),
    );
    await Promise.all(
      this.servers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))),
    );
    this.udp = [];
    this.servers = [];
    for (const c of this.listenerCache) c.clear();
    this.started = false;
  }

  private async startUdp(spec: ListenSpec): Promise<void> {
    const socket = dgram.createSocket({
      type: net.isIPv6(spec.address) ? 'udp6' : 'udp4',
      lookup: literalFirstLookup,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(spec.port, spec.address, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      // A failed bind releases its socket; the error names what could not be bound.
      try {
        socket.close();
      } catch {
        // never bound
      }
      throw listenError(spec, err);
    }
    const addr = socket.address();
    const listener: Listener = { protocol: 'UDP', address: spec.address, port: addr.port };
    // Every flow of this socket shares one local endpoint object.
    const local: Endpoint = { address: listener.address, port: listener.port };
    socket.on('error', (err) =>
      this.netLog.warn('udp-socket-error', { err: err.message }, 'UDP socket error'),
    );
    socket.on('message', (data, rinfo) => {
      const flow: Flow = {
        protocol: 'UDP',
        local,
        remote: { address: rinfo.address, port: rinfo.port },
      };
      this.onData(data, flow);
    });
    this.udp.push({ listener, socket, local });
    for (const c of this.listenerCache) c.clear();
  }

  private async startStream(spec: ListenSpec): Promise<void> {
    const protocol = spec.protocol as 'TCP' | 'TLS';
    let server: net.Server;
    if (protocol === 'TLS') {
      if (!this.opts.tls) throw new Error('a TLS listener needs tls.key and tls.cert');
      server = tls.createServer({
        key: this.opts.tls.key,
        cert: this.opts.tls.cert,
        ca: this.opts.tls.ca,
        handshakeTimeout: this.deadlineMs,
      });
      server.on('tlsClientError', (err) => this.log.debug({ err: err.message }, 'TLS handshake failed'));
    } else server = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(spec.port, spec.address, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      server.close();
      throw listenError(spec, err);
    }
    const port = (server.address() as net.AddressInfo).port;
    const listener: Listener = { protocol, address: spec.address, port };
    for (const c of this.listenerCache) c.clear();
    server.on(protocol === 'TLS' ? 'secureConnection' : 'connection', (socket: net.Socket) => {
      if (this.conns.size >= this.maxConnections) {
        this.stats.connectionsRefused++;
        socket.destroy();
        return;
      }
      const source = socket.remoteAddress ?? '';
      if (!this.connsPerSource.allows(source)) {
        this.stats.connectionsRefused++;
        this.stats.connectionsRefusedPerSource++;
        this.netLog.warn(
          'source-connection-limit',
          { source, limit: this.connsPerSource.limit },
          'connection limit of one source reached; closing the new connection',
        );
        socket.destroy();
        return;
      }
      const conn = this.adopt(protocol, socket, Promise.resolve(), {
        address: listener.address,
        port: listener.port,
      });
      // An accepted connection has the deadline to deliver its first message.
      this.armDeadline(conn);
    });
    server.on('error', (err) => this.log.warn({ err: err.message }, `${protocol} server error`));
    this.servers.push({ listener, server });
  }

  /**
   * Serves another certificate on every TLS listener from now on and closes the open TLS
   * connections, so that peers meet it on their next connection (tests of certificate checks).
   * Returns the certificate served before (to put it back), if any.
   */
  replaceTlsCertificate(kc: {
    key: string | Buffer;
    cert: string | Buffer;
  }): { key: string | Buffer; cert: string | Buffer } | undefined {
    const before = this.opts.tls ? { key: this.opts.tls.key, cert: this.opts.tls.cert } : undefined;
    if (this.opts.tls) this.opts.tls = { ...this.opts.tls, key: kc.key, cert: kc.cert };
    for (const s of this.servers)
      if (s.listener.protocol === 'TLS')
        (s.server as tls.Server).setSecureContext({ key: kc.key, cert: kc.cert });
    for (const c of [...this.conns.values()]) if (c.protocol === 'TLS') c.socket.destroy();
    return before;
  }

  private async connectionFor(
    protocol: TransportProtocol,
    target: { address: string; port: number; connectionId?: string },
  ): Promise<StreamConn> {
    if (target.connectionId) {
      const c = this.conns.get(target.connectionId);
      if (c) return c;
    }
    const key = `${protocol}|${target.address}|${target.port}`;
    const existing = this.byRemote.get(key);
    if (existing) {
      const c = this.conns.get(existing);
      if (c) return c;
    }
    if (this.conns.size >= this.maxConnections)
      throw new Error(`connection limit of ${this.maxConnections} reached`);
    const l = this.listenerFor(protocol, target.address);
    let socket: net.Socket;
    let ready: Promise<void>;
    let addrSocket: net.Socket | undefined;
    if (protocol === 'TLS') {
      const t = this.opts.tls;
      // Connect the TCP socket first so that it leaves from the listener's address.
      const raw = net.connect({ host: target.address, port: target.port, localAddress: l.address });
      addrSocket = raw;
      const options: tls.ConnectionOptions = {
        socket: raw,
        rejectUnauthorized: t?.rejectUnauthorized ?? false,
      };
      if (t?.ca) options.ca = t.ca;
      if (t?.servername) options.servername = t.servername;
      else if (!net.isIP(target.address)) options.servername = target.address;
      // The name a verifying client checks the certificate against: the address dialled (IP SAN).
      options.host = target.address;
      const s = tls.connect(options);
      ready = new Promise((resolve, reject) => {
        s.once('secureConnect', () => resolve());
        s.once('error', reject);
      });
      socket = s;
    } else {
      socket = net.connect({ host: target.address, port: target.port, localAddress: l.address });
      ready = new Promise((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      });
    }
    const remote = { address: target.address, port: target.port };
    return this.adopt(protocol as 'TCP' | 'TLS', socket, ready, undefined, remote, addrSocket);
  }

  private adopt(
    protocol: 'TCP' | 'TLS',
    socket: net.Socket,
    ready: Promise<void>,
    local?: Endpoint,
    remote?: Endpoint,
    addrSocket: net.Socket = socket,
  ): StreamConn {
    const id = `${protocol.toLowerCase()}-${++this.seq}`;
    const conn: StreamConn = {
      id,
      protocol,
      socket,
      framer: new StreamFramer(this.maxSize),
      local: local ?? { address: socket.localAddress ?? '', port: socket.localPort ?? 0 },
      remote: remote ?? { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      ready,
    };
    ready.then(
      () => {
        conn.local = {
          address: addrSocket.localAddress ?? conn.local.address,
          port: addrSocket.localPort ?? conn.local.port,
        };
        // Dialled by host name: the flow is recorded with the address the name led to.
        if (net.isIP(conn.remote.address) === 0 && addrSocket.remoteAddress)
          conn.remote = { address: addrSocket.remoteAddress, port: conn.remote.port };
      },
      () => undefined,
    );
    this.stats.connectionsOpened++;
    this.conns.set(id, conn);
    const source = conn.remote.address;
    this.connsPerSource.add(source);
    const key = `${protocol}|${conn.remote.address}|${conn.remote.port}`;
    this.byRemote.set(key, id);
    socket.setNoDelay(true);
    socket.setTimeout(this.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      const frames = conn.framer.push(chunk);
      // Each complete message restarts the clock; a partial one left over starts it.
      if (frames.some((f) => f.kind === 'message')) {
        conn.deadline?.cancel();
        conn.deadline = undefined;
      }
      if (conn.framer.buffered > 0) this.armDeadline(conn);
      for (const f of frames) {
        const flow: Flow = { protocol, local: conn.local, remote: conn.remote, connectionId: id };
        if (f.kind === 'message') this.onData(f.data, flow);
        else if (f.kind === 'error') {
          this.stats.framingErrors++;
          this.emitTrace({
            direction: 'in',
            flow,
            data: f.data,
            error: { code: 'framing', reason: f.reason },
          });
          this.netLog.warn(
            'framing',
            { err: f.reason, remote: conn.remote },
            'closing stream after a framing error',
          );
          socket.destroy();
        }
      }
    });
    let forgotten = false;
    const forget = () => {
      if (forgotten) return;
      forgotten = true;
      conn.deadline?.cancel();
      conn.deadline = undefined;
      this.connsPerSource.remove(source);
      this.conns.delete(id);
      if (this.byRemote.get(key) === id) this.byRemote.delete(key);
    };
    socket.on('close', forget);
    socket.on('error', (err) => {
      this.log.debug({ err: err.message, remote: conn.remote }, `${protocol} connection error`);
      forget();
    });
    return conn;
  }

  /** Starts the message deadline of a stream connection unless it runs already. */
  private armDeadline(conn: StreamConn): void {
    if (conn.deadline) return;
    conn.deadline = this.clock.setTimeout(() => {
      conn.deadline = undefined;
      if (!this.conns.has(conn.id)) return;
      this.stats.slowSenders++;
      const flow: Flow = {
        protocol: conn.protocol,
        local: conn.local,
        remote: conn.remote,
        connectionId: conn.id,
      };
      const reason = `no complete message within ${this.deadlineMs} ms`;
      this.emitTrace({ direction: 'in', flow, data: Buffer.alloc(0), error: { code: 'timeout', reason } });
      this.netLog.warn(
        'slow-stream',
        { err: reason, remote: conn.remote, buffered: conn.framer.buffered },
        'closing a slow stream',
      );
      conn.socket.destroy();
    }, this.deadlineMs);
  }

  private onData(data: Buffer, flow: Flow): void {
    if (data.length <= 4 && isCrLfOnly(data)) return; // keep-alive
    const headerEnd = findHeaderEnd(data);
    const headerBytes = headerEnd ? headerEnd.bodyStart : data.length;
    if (headerBytes > this.maxHeaderBytes) {
      this.stats.parseErrors++;
      this.stats.headersTooLarge++;
      const reason = `header section of ${headerBytes} bytes exceeds the limit of ${this.maxHeaderBytes}`;
      this.emitTrace({ direction: 'in', flow, data, error: { code: 'too-large', reason } });
      this.netLog.warn(
        'unparsable:too-large',
        { err: reason, remote: flow.remote },
        'unparsable SIP message',
      );
      return;
    }
    const r = parseMessage(data, { maxSize: this.maxSize, headerEnd: headerEnd ?? null });
    if (!r.ok) {
      this.stats.parseErrors++;
      this.emitTrace({ direction: 'in', flow, data, error: r });
      this.netLog.warn(
        `unparsable:${r.code}`,
        { err: r.reason, remote: flow.remote },
        'unparsable SIP message',
      );
      this.answerBadRequest(r, flow);
      return;
    }
    const msg = r.message;
    if (msg.isRequest) this.stampVia(msg, flow);
    this.stats.received++;
    this.emitTrace({ direction: 'in', flow, data, message: msg });
    this.emit('message', { message: msg, flow });
    // The layers above read what they need while the message is dispatched; kept afterwards
    // as evidence, it holds its header lines only (typed values come back on demand).
    msg.releaseCache();
  }

  /** RFC 3261 §18.2.1 and RFC 3581: add received= (and fill rport) on the top Via of a request. */
  private stampVia(msg: SipMessage, flow: Flow): void {
    const field = msg.field('via');
    const first = field ? splitFirst(field.value) : undefined;
    if (!field || !first) return;
    // The parser has read every Via already (msg.vias): the top one is the first element of this
    // line, unless a quoted parameter makes the two ways of splitting the line disagree.
    let vias = msg.vias;
    let top = vias?.[0];
    if (!vias || !top || first.head !== firstListElement(field.value)) {
      const via = parseVia(first.head);
      if (!via.ok) return;
      top = via.value;
      vias = undefined;
    }
    let params = top.params;
    if (top.host !== flow.remote.address) params = setParam(params, 'received', flow.remote.address);
    if (getParam(params, 'rport') === null) {
      params = setParam(params, 'received', flow.remote.address);
      params = setParam(params, 'rport', String(flow.remote.port));
    }
    if (params !== top.params) {
      // Named fields, not `{ ...top, params }`: V8 copies a spread object that is not a literal slowly.
      const stamped: Via = { protocol: top.protocol, transport: top.transport, host: top.host, params };
      if (top.port !== undefined) stamped.port = top.port;
      msg.replaceField(field, formatVia(stamped) + first.rest);
      // The new line reads back as `stamped` (formatVia writes what parseVia reads); the rest are unchanged.
      if (vias) msg.primeCache('via', [stamped, ...vias.slice(1)]);
    }
  }

  private answerBadRequest(err: MessageParseError, flow: Flow): void {
    const p = err.partial;
    if (!p?.isRequest || p.method === 'ACK') return;
    const copied = ['via', 'from', 'to', 'call-id', 'cseq'];
    const fieldsOf = (key: string) => p.headers.filter((h) => fieldKey(h) === key);
    if (!copied.every((k) => fieldsOf(k).length > 0)) return;
    // 505 for a SIP version we do not speak; every other malformation, a bad Request-URI included, is 400
    // (416 is for a well-formed URI of an unsupported scheme, which parses).
    const status = err.code === 'bad-version' ? 505 : 400;
    const res = new SipResponse(status, reasonPhrase(status));
    for (const k of copied) for (const h of fieldsOf(k)) res.append(h.name, h.value);
    res.append('Warning', `399 sbc-harness "${err.reason.replace(/["\\\r\n]/g, ' ').slice(0, 200)}"`);
    this.stats.answered400++;
    const target = flow.connectionId
      ? { ...flow.remote, protocol: flow.protocol, connectionId: flow.connectionId }
      : { ...flow.remote, protocol: flow.protocol };
    this.post(res, target);
  }

  private traceOut(flow: Flow, data: Buffer, message?: SipMessage): void {
    this.stats.sent++;
    if (this.listenerCount('trace') === 0) return;
    const ev: Omit<TraceEvent, 'wallTime' | 'monoTime'> = { direction: 'out', flow, data };
    if (message) (ev as TraceEvent).message = message;
    this.emitTrace(ev);
  }

  /** Emits `ev` (a fresh object from the caller), with its times added to it. */
  private emitTrace(ev: Omit<TraceEvent, 'wallTime' | 'monoTime'>): void {
    if (this.listenerCount('trace') === 0) return;
    // Added to `ev` itself, which only this call holds: a copy by spread costs about 2 µs a message.
    const full = ev as TraceEvent;
    full.wallTime = this.clock.wallNow();
    full.monoTime = this.clock.now();
    this.emit('trace', full);
  }
}

/** The message of bytes this side serialised itself, for a trace; undefined if they do not parse. */
function parsedOrUndefined(data: Buffer): SipMessage | undefined {
  const r = parseMessage(data);
  return r.ok ? r.message : undefined;
}

/** True when every byte is CR or LF (an empty datagram counts too). */
function isCrLfOnly(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0x0d && data[i] !== 0x0a) return false;
  return true;
}

/** Splits "first, rest..." of a list value at its first top-level comma. */
function splitFirst(value: string): { head: string; rest: string } | undefined {
  let inQuote = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"') inQuote = !inQuote;
    else if (ch === ',' && !inQuote) return { head: value.slice(0, i).trim(), rest: value.slice(i) };
  }
  return { head: value.trim(), rest: '' };
}

/** The flow of a datagram from socket `u` to `target`. */
function udpFlowOf(u: UdpSocket, target: { address: string; port: number }): Flow {
  // A host name as target: the address the socket's lookup (of its family) sent it to.
  const address = resolvedName(target.address, u.local.address.includes(':') ? 6 : 4) ?? target.address;
  return { protocol: 'UDP', local: u.local, remote: { address, port: target.port } };
}
