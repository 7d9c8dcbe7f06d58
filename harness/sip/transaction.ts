/**
 * SIP transactions, RFC 3261 §17 as updated by RFC 6026: the INVITE and non-INVITE client and
 * server state machines, with timers A–M from a configurable T1/T2/T4 and an injectable clock.
 *
 * Client INVITE (ICT):                        Client non-INVITE (NICT):
 *   Calling --1xx--> Proceeding                 Trying --1xx--> Proceeding
 *   Calling/Proceeding --2xx--> Accepted        Trying/Proceeding --final--> Completed
 *   Calling/Proceeding --300-699--> Completed   Timer E retransmits (T1 doubling to T2)
 *     (ACK sent by the transaction)             Timer F --> Terminated (timeout)
 *   Timer A retransmits (T1 doubling)           Completed --Timer K--> Terminated
 *   Timer B --> Terminated (timeout)
 *   Accepted --Timer M--> Terminated; Completed --Timer D--> Terminated
 *
 * Server INVITE (IST):                        Server non-INVITE (NIST):
 *   Proceeding --2xx from TU--> Accepted        Trying --1xx--> Proceeding
 *   Proceeding --300-699--> Completed           Trying/Proceeding --final--> Completed
 *   Completed --ACK--> Confirmed                Completed --Timer J--> Terminated
 *   Timer G retransmits the final response      request retransmits answered with the
 *   Timer H --> Terminated (no ACK)             last response sent
 *   Confirmed --Timer I--> Terminated
 *   Accepted --Timer L--> Terminated
 */
import type { Clock, TimerHandle } from '../support/clock.ts';
import { type KeptBytes, keepBytes } from '../support/own-copy.ts';
import { fieldKey } from './header-names.ts';
import { BRANCH_COOKIE } from './ids.ts';
import { Listeners } from './listeners.ts';
import { SipRequest as Req, type SipRequest, type SipResponse } from './message.ts';
import {
  type TimerConfig,
  timerB,
  timerD,
  timerF,
  timerH,
  timerI,
  timerJ,
  timerK,
  timerL,
  timerM,
} from './timers.ts';
import type { Flow, SendFailureSink, TransportProtocol } from './transport.ts';

export interface SendTarget {
  protocol: TransportProtocol;
  address: string;
  port: number;
  connectionId?: string;
}

/** What a transaction needs from the layer below it. */
export interface TransactionEnv {
  clock: Clock;
  timers: TimerConfig;
  send(msg: SipRequest | SipResponse, target: SendTarget): Promise<Flow>;
  /**
   * Sends without a result (TransportLayer.post): for messages whose flow is not needed.
   * `sink` hears of a failure after the caller returned. Absent: `send` is used.
   */
  post?(msg: SipRequest | SipResponse, target: SendTarget, sink?: SendFailureSink): void;
  /**
   * Sends bytes already serialized, like `post` (TransportLayer.postData); `message` is what
   * they are, for traces. Absent: the final response a transaction hands to `retire` is posted
   * as a message and not kept as bytes.
   */
  postData?(
    data: Buffer,
    target: SendTarget,
    message: SipRequest | SipResponse,
    sink?: SendFailureSink,
  ): void;
  /**
   * Takes over the long wait of an answered server transaction: Timer J of a non-INVITE over
   * UDP (`final`: its final response as sent, for the retransmissions of the request), Timer L
   * of an INVITE in Accepted (`final` undefined: retransmissions are absorbed, and a 2xx is the
   * TU's to send again, RFC 6026). The taker answers those and forgets the transaction at the
   * end of `ms`; the transaction itself then holds nothing more and raises no more events (its
   * listeners, the TU's 'terminated' ones included, are dropped). Returns false when it does not
   * take it; the transaction then runs its own timer.
   */
  retire?(tx: ServerTransaction, ms: number, final: KeptBytes | undefined): boolean;
  /**
   * The flow a datagram to `target` goes out on (TransportLayer.udpFlow), known before it is
   * sent; undefined when there is none. With `post`, a client transaction over UDP sends its
   * request without a Promise and knows its flow at once.
   */
  udpFlow?(target: SendTarget): Flow | undefined;
  /**
   * A retired server transaction's final response could not be sent after all (the failure
   * comes after the send's step): the taker ends the wait now, as the transaction would have
   * ended on a transport error (RFC 3261 §17.2.4).
   */
  retiredSendFailed?(tx: ServerTransaction): void;
  /**
   * The same for a client transaction's wait: Timer K of a non-INVITE in Completed (retransmitted
   * finals are absorbed), Timer M of an INVITE in Accepted (a 2xx goes to the TU's response
   * listeners, which the taker keeps with `tx.emitter`, RFC 6026; its other listeners, the TU's
   * 'terminated' ones included, are dropped). Returns false when it does not take it.
   */
  retireClient?(tx: ClientTransaction, ms: number): boolean;
}

export type ClientState = 'calling' | 'trying' | 'proceeding' | 'accepted' | 'completed' | 'terminated';
export type ServerState = 'trying' | 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

export type TerminationReason = 'normal' | 'timeout' | 'transport-error' | 'no-ack';

export interface ClientTransactionEvents {
  response: [SipResponse, Flow];
  timeout: [];
  'transport-error': [Error];
  terminated: [TerminationReason];
}

/** Key of a client transaction: branch and CSeq method (§17.1.3). */
export function clientKey(branch: string, method: string): string {
  return `${branch}|${method === 'ACK' ? 'INVITE' : method}`;
}

/** The RFC 3261/6026 timers a transaction may run, each at most once at a time. */
type TimerName = 'retransmit' | 'timeout' | 'm' | 'd' | 'k' | 'l' | 'g' | 'h' | 'j' | 'i';
const TIMER_SLOT: Record<TimerName, number> = {
  retransmit: 0,
  timeout: 1,
  m: 2,
  d: 3,
  k: 4,
  l: 5,
  g: 6,
  h: 7,
  j: 8,
  i: 9,
};

abstract class Timers {
  /** Armed timers by TIMER_SLOT (a transaction runs two or three of them, so an array, not a Map). */
  private handles: Array<TimerHandle | undefined> = [];
  constructor(protected readonly env: TransactionEnv) {}
  protected arm(name: TimerName, ms: number, fn: () => void): void {
    const slot = TIMER_SLOT[name];
    this.handles[slot]?.cancel();
    // The handle stays in its slot after the timer fired (no wrapper closure per timer to clear it):
    // cancelling a fired timer does nothing, and the next arm or disarmAll replaces it.
    this.handles[slot] = this.env.clock.setTimeout(fn, ms);
  }
  protected disarm(name: TimerName): void {
    const slot = TIMER_SLOT[name];
    const h = this.handles[slot];
    if (h) {
      h.cancel();
      this.handles[slot] = undefined;
    }
  }
  protected disarmAll(): void {
    for (const h of this.handles) h?.cancel();
    this.handles = [];
  }
  /** Sends a message whose flow is not needed; `sink` hears of a failure after this step returned. */
  protected post(msg: SipRequest | SipResponse, target: SendTarget, sink?: SendFailureSink): void {
    if (this.env.post) this.env.post(msg, target, sink);
    else this.env.send(msg, target).catch((err: Error) => sink?.onSendFailure(err));
  }
}

export class ClientTransaction extends Timers {
  readonly emitter = new Listeners<ClientTransactionEvents>();
  state: ClientState;
  readonly isInvite: boolean;
  readonly reliable: boolean;
  /** Branch and method (§17.1.3), fixed at the start. */
  readonly key: string;
  /** The key's parts: the top Via's branch ('' when none), and the method (ACK as INVITE). */
  readonly branch: string;
  readonly keyMethod: string;
  /**
   * Where the transaction layer keeps it: the slot its branch carries (ids.ts `slotBranch`), or
   * -1 for its table by key. Set by the layer only.
   * @internal
   */
  slot = -1;
  /** The flow the request went out on (local and remote address). */
  flow?: Flow;
  private interval: number;
  private ack?: SipRequest;
  private lastProvisional?: SipResponse;
  /**
   * The request, until its final response has been handed on: from then the transaction only
   * waits (Timer D, K or M) and lets it go (see `park`). The TU keeps its own reference.
   */
  request: SipRequest | undefined;

  constructor(
    env: TransactionEnv,
    request: SipRequest,
    readonly target: SendTarget,
  ) {
    super(env);
    this.request = request;
    this.isInvite = request.method === 'INVITE';
    this.reliable = target.protocol !== 'UDP';
    this.state = this.isInvite ? 'calling' : 'trying';
    this.interval = env.timers.t1;
    this.branch = request.branch ?? '';
    this.keyMethod = request.method === 'ACK' ? 'INVITE' : request.method;
    this.key = clientKey(this.branch, request.method);
  }

  /** SendFailureSink: the request (or a retransmission of it) could not be sent. */
  onSendFailure(err: Error): void {
    if (this.state === 'terminated') return;
    this.emitter.emit('transport-error', err);
    this.terminate('transport-error');
  }

  /** Last provisional response received (a CANCEL may be sent only after one). */
  get provisional(): SipResponse | undefined {
    return this.lastProvisional;
  }

  on<K extends keyof ClientTransactionEvents>(ev: K, fn: (...a: ClientTransactionEvents[K]) => void): this {
    this.emitter.on(ev, fn);
    return this;
  }

  start(): void {
    this.transmit();
    if (!this.reliable) this.arm('retransmit', this.interval, () => this.retransmit());
    this.arm('timeout', this.isInvite ? timerB(this.env.timers) : timerF(this.env.timers), () => {
      if (this.state === 'calling' || this.state === 'trying' || this.state === 'proceeding') {
        this.emitter.emit('timeout');
        this.terminate('timeout');
      }
    });
  }

  private transmit(): void {
    const req = this.request;
    if (!req) return;
    if (!this.reliable && this.env.post && this.env.udpFlow) {
      // The flow it goes out on is known before it is sent; a failure comes back to
      // onSendFailure, after this step, and ends the transaction.
      this.env.post(req, this.target, this);
      this.flow ??= this.env.udpFlow(this.target);
      return;
    }
    this.env.send(req, this.target).then(
      (flow) => {
        this.flow ??= flow;
      },
      (err: Error) => {
        if (this.state === 'terminated') return;
        this.emitter.emit('transport-error', err);
        this.terminate('transport-error');
      },
    );
  }

  private retransmit(): void {
    if (this.isInvite && this.state !== 'calling') return;
    if (!this.isInvite && this.state !== 'trying' && this.state !== 'proceeding') return;
    this.transmit();
    if (this.isInvite) this.interval *= 2;
    else
      this.interval =
        this.state === 'proceeding' ? this.env.timers.t2 : Math.min(this.interval * 2, this.env.timers.t2);
    this.arm('retransmit', this.interval, () => this.retransmit());
  }

  /** A response matched this transaction. */
  receive(res: SipResponse, flow: Flow): void {
    if (this.state === 'terminated') return;
    const s = res.status;
    if (this.isInvite) {
      if (s < 200) {
        if (this.state === 'calling' || this.state === 'proceeding') {
          this.state = 'proceeding';
          this.lastProvisional = res;
          this.disarm('retransmit');
          this.emitter.emit('response', res, flow);
        }
      } else if (s < 300) {
        const first = this.state === 'calling' || this.state === 'proceeding';
        if (first) {
          this.state = 'accepted';
          this.disarm('retransmit');
          this.disarm('timeout');
        }
        if (this.state === 'accepted') {
          try {
            this.emitter.emit('response', res, flow);
          } finally {
            this.park();
            // Timer M from the first 2xx on, once the TU has its response listeners in place
            // (and even when one of them threw); not when the TU ended the transaction.
            if (first && this.state === 'accepted') this.waitThenEnd('m', timerM(this.env.timers));
          }
        }
      } else if (this.state === 'calling' || this.state === 'proceeding') {
        this.state = 'completed';
        this.disarm('retransmit');
        this.disarm('timeout');
        // Still Calling or Proceeding: the request has not been let go yet.
        this.ack = buildNon2xxAck(this.request!, res);
        // Kept until Timer D (32 s over UDP): without the response's header text its To came from.
        if (!this.reliable) this.ack.ownHeaderText();
        this.post(this.ack, this.target);
        this.emitter.emit('response', res, flow);
        this.park();
        const d = timerD(this.env.timers, this.reliable);
        if (d === 0) this.terminate('normal');
        else this.arm('d', d, () => this.terminate('normal'));
      } else if (this.state === 'completed' && this.ack) {
        this.post(this.ack, this.target);
      }
      return;
    }
    if (this.state === 'completed') return;
    if (s < 200) {
      this.state = 'proceeding';
      this.lastProvisional = res;
      this.emitter.emit('response', res, flow);
      return;
    }
    this.state = 'completed';
    this.disarm('retransmit');
    this.disarm('timeout');
    this.emitter.emit('response', res, flow);
    this.park();
    const k = timerK(this.env.timers, this.reliable);
    if (k === 0) this.terminate('normal');
    else this.waitThenEnd('k', k);
  }

  /**
   * Timer K or M: handed to `env.retireClient` when it takes it (the transaction then drops
   * its timers and the layer's listener; the TU's response listeners go with the taker), else
   * run here.
   */
  private waitThenEnd(name: 'k' | 'm', ms: number): void {
    if (this.env.retireClient?.(this, ms)) {
      this.disarmAll();
      this.emitter.clear('terminated');
      return;
    }
    this.arm(name, ms, () => this.terminate('normal'));
  }

  /**
   * The request's final response has been handed on: from here the transaction only waits
   * (Timer D, K or M), so it lets go of what it no longer acts on, and of what that holds,
   * for the garbage collector not to carry it for 64*T1: the request (the TU has its own
   * reference; its typed values, which come back on demand, are dropped), the last provisional
   * (a CANCEL is too late now), and the TU's timeout and transport-error listeners (the timers
   * that raise them are off and nothing more is sent but an ACK, whose failure is not one).
   * In Completed, retransmitted finals are absorbed, so the response listeners go too; in
   * Accepted they stay: a 2xx retransmission or another fork's 2xx goes to the TU (RFC 6026).
   */
  private park(): void {
    this.request?.releaseCache();
    this.request = undefined;
    this.lastProvisional = undefined;
    this.emitter.clear('timeout');
    this.emitter.clear('transport-error');
    if (this.state === 'completed') this.emitter.clear('response');
  }

  /** Ends the transaction now (e.g. on shutdown). */
  terminate(reason: TerminationReason = 'normal'): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.disarmAll();
    this.emitter.emit('terminated', reason);
  }
}

/** ACK for a non-2xx final response (§17.1.1.3): same branch, To from the response. */
export function buildNon2xxAck(invite: SipRequest, res: SipResponse): SipRequest {
  const ack = new Req('ACK', invite.uri);
  const via = invite.fields('via')[0];
  if (via) ack.append(via.name, via.value.split(',')[0]!.trim());
  for (const h of invite.headers) {
    const k = fieldKey(h);
    if (k === 'route') ack.append(h.name, h.value);
  }
  ack.append('Max-Forwards', '70');
  const copy = (name: string, from: SipRequest | SipResponse) => {
    const f = from.fields(name)[0];
    if (f) ack.append(f.name, f.value);
  };
  copy('from', invite);
  copy('to', res);
  copy('call-id', invite);
  ack.append('CSeq', `${invite.cseq?.seq ?? 1} ACK`);
  return ack;
}

export interface ServerTransactionEvents {
  /** A request retransmission arrived (already answered by the transaction). */
  retransmission: [];
  /** ACK for a non-2xx final (Completed → Confirmed), or an ACK matched in Accepted. */
  ack: [SipRequest, Flow];
  /** A CANCEL matched this INVITE transaction (the layer has answered it 200). */
  cancel: [SipRequest];
  terminated: [TerminationReason];
}

export class ServerTransaction extends Timers {
  readonly emitter = new Listeners<ServerTransactionEvents>();
  state: ServerState;
  readonly isInvite: boolean;
  readonly reliable: boolean;
  cancelled = false;
  /** The last response sent, while the transaction may send it again (see `sendRes`). */
  private last?: SipResponse;
  private finalSent = false;
  /** Its wait was handed to env.retire. */
  private retired = false;
  private interval: number;
  /**
   * The request, until a final response has been sent: from then the transaction only answers
   * retransmissions and waits, and lets it go (the TU keeps its own reference).
   */
  request: SipRequest | undefined;

  constructor(
    env: TransactionEnv,
    request: SipRequest,
    readonly flow: Flow,
    /** Where responses go (§18.2.2), decided by the transport layer. */
    readonly responseTarget: SendTarget,
    /**
     * The key of the transaction layer's table it is kept in ('' outside a layer): its branch
     * (when `place.byBranch`) or its whole key (serverKey).
     */
    readonly key = '',
    /** The rest of its key, for a layer that finds it by branch; undefined outside a layer. */
    readonly place?: ServerPlace,
  ) {
    super(env);
    this.request = request;
    this.isInvite = request.method === 'INVITE';
    this.reliable = flow.protocol !== 'UDP';
    this.state = this.isInvite ? 'proceeding' : 'trying';
    this.interval = env.timers.t1;
  }

  on<K extends keyof ServerTransactionEvents>(ev: K, fn: (...a: ServerTransactionEvents[K]) => void): this {
    this.emitter.on(ev, fn);
    return this;
  }

  /** True once a final response has been sent. */
  get answered(): boolean {
    return this.finalSent;
  }

  /**
   * The last response sent, while the transaction may send it again: in Accepted a 2xx is
   * the TU's to retransmit (RFC 6026), so it is not kept there.
   */
  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  /**
   * Called with each 2xx before it is sent, retransmissions of the TU's included: header fields
   * the user agent owes in any 2xx to this request, whoever builds it (RFC 4028 §9's
   * Session-Expires in the answer to a session refresh).
   */
  before2xx: ((res: SipResponse) => void) | undefined;

  /** Sends a response from the TU. Responses after a final one are ignored (returns false). */
  respond(res: SipResponse): boolean {
    if (this.state === 'terminated' || this.state === 'completed' || this.state === 'confirmed') return false;
    const s = res.status;
    if (this.before2xx !== undefined && s >= 200 && s < 300) this.before2xx(res);
    if (this.isInvite) {
      if (this.state === 'accepted') {
        if (s < 200 || s >= 300) return false;
        // RFC 6026: further 2xx (retransmissions by the TU) pass through in Accepted.
        this.sendRes(res);
        this.last = undefined;
        return true;
      }
      this.sendRes(res);
      if (s < 200) return true;
      if (s < 300) {
        this.state = 'accepted';
        this.last = undefined;
        this.waitThenEnd('l', timerL(this.env.timers), undefined);
        return true;
      }
      this.state = 'completed';
      if (!this.reliable) this.arm('g', this.interval, () => this.retransmitFinal());
      this.arm('h', timerH(this.env.timers), () => {
        this.terminate('no-ack');
      });
      return true;
    }
    const j = s >= 200 ? timerJ(this.env.timers, this.reliable) : 0;
    // A final whose wait another takes (retire) is sent as bytes that are then kept for it.
    const sent = j > 0 && this.env.retire && this.env.postData ? this.sendFinalData(res) : undefined;
    if (sent === undefined) this.sendRes(res);
    if (s < 200) {
      this.state = 'proceeding';
      return true;
    }
    this.state = 'completed';
    if (j === 0) this.terminate('normal');
    else this.waitThenEnd('j', j, sent);
    return true;
  }

  /**
   * Timer J or L: handed to `env.retire` when it takes it (the transaction then lets go of
   * everything: its response, its listeners, its timers), else run here.
   */
  private waitThenEnd(name: 'j' | 'l', ms: number, final: KeptBytes | undefined): void {
    if (this.env.retire?.(this, ms, final)) {
      this.retired = true;
      this.disarmAll();
      this.last = undefined;
      this.emitter.clear('terminated');
      this.emitter.clear('retransmission');
      this.emitter.clear('ack');
      return;
    }
    // Sent as bytes for a taker that did not take it: kept for retransmissions after all,
    // without the request's header text (as sendRes keeps it).
    if (final) this.last?.ownHeaderText();
    this.arm(name, ms, () => this.terminate('normal'));
  }

  /**
   * Sends a non-INVITE's final response (as sendRes) from bytes serialized here, and returns a
   * copy of them to keep for the 64*T1 of Timer J (KeptBytes: one string, not a Buffer that
   * would be a view of Node's shared 8 KB pool).
   */
  private sendFinalData(res: SipResponse): KeptBytes {
    this.last = res;
    this.letGoAtFinal();
    const data = res.toBuffer();
    this.env.postData!(data, this.responseTarget, res, this);
    return keepBytes(data);
  }

  private sendRes(res: SipResponse): void {
    this.last = res;
    if (res.status >= 200) {
      this.letGoAtFinal();
      // Kept to be sent again (Completed: a non-INVITE's over UDP, Timer J; an INVITE's non-2xx
      // until its ACK or Timer H): without the request's header text its values came from.
      if (this.isInvite ? res.status >= 300 : !this.reliable) res.ownHeaderText();
    }
    this.post(res, this.responseTarget, this);
  }

  /**
   * A final response is sent: from here the transaction answers retransmissions and waits, so
   * it lets go of the request (its typed values dropped too, as in ClientTransaction.park). A
   * CANCEL has no effect from here either (RFC 3261 §9.2), so the TU's cancel handlers, and
   * what they hold, go as well.
   */
  private letGoAtFinal(): void {
    this.finalSent = true;
    this.request?.releaseCache();
    this.request = undefined;
    this.emitter.clear('cancel');
  }

  /** A response could not be sent (TransportLayer.post): the transaction ends. */
  onSendFailure(): void {
    if (this.retired) this.env.retiredSendFailed?.(this);
    if (this.state !== 'terminated') this.terminate('transport-error');
  }

  private retransmitFinal(): void {
    if (this.state !== 'completed' || !this.last) return;
    this.post(this.last, this.responseTarget);
    this.interval = Math.min(this.interval * 2, this.env.timers.t2);
    this.arm('g', this.interval, () => this.retransmitFinal());
  }

  /** The same request arrived again. */
  receiveRetransmission(): void {
    this.emitter.emit('retransmission');
    if (this.last && this.state !== 'accepted' && this.state !== 'confirmed' && this.state !== 'terminated') {
      this.post(this.last, this.responseTarget);
    }
  }

  receiveAck(ack: SipRequest, flow: Flow): void {
    if (!this.isInvite) return;
    if (this.state === 'completed') {
      this.state = 'confirmed';
      this.disarm('g');
      this.disarm('h');
      this.emitter.emit('ack', ack, flow);
      const i = timerI(this.env.timers, this.reliable);
      if (i === 0) this.terminate('normal');
      else this.arm('i', i, () => this.terminate('normal'));
    } else if (this.state === 'accepted') this.emitter.emit('ack', ack, flow);
  }

  receiveCancel(cancel: SipRequest): void {
    this.cancelled = true;
    this.emitter.emit('cancel', cancel);
  }

  terminate(reason: TerminationReason = 'normal'): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.disarmAll();
    this.emitter.emit('terminated', reason);
  }
}

/**
 * Where the transaction layer keeps a server transaction, and what it compares when it finds
 * one by its branch alone: the method it is keyed by (ACK and CANCEL look for INVITE), and the
 * top Via's sent-by (host in lower case, port as written). Together with the branch this is
 * the whole §17.2.3 key.
 */
export interface ServerPlace {
  /** Kept in the table by branch (else in the table by whole key, serverKey). */
  readonly byBranch: boolean;
  readonly method: string;
  readonly host: string;
  readonly port: number | undefined;
}

/**
 * Key of a server transaction (§17.2.3): branch, sent-by and method, with ACK and CANCEL
 * mapped onto the INVITE they belong to by the caller. Requests without the RFC 3261 magic
 * cookie fall back to Call-ID, CSeq number, From tag and top Via (RFC 2543 matching).
 */
export function serverKey(req: SipRequest, method: string): string | undefined {
  const via = req.topVia;
  if (!via) return undefined;
  const sentBy = `${via.host.toLowerCase()}:${via.port ?? ''}`;
  const branch = req.branch;
  if (branch?.startsWith(BRANCH_COOKIE)) return `${branch}|${sentBy}|${method}`;
  return `2543|${req.callId}|${req.cseq?.seq}|${req.fromTag ?? ''}|${sentBy}|${branch ?? ''}|${method}`;
}
