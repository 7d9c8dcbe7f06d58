/**
 * Matches messages from the transport layer to transactions, creates server transactions
 * for new requests, answers CANCEL, and bounds the number of open transactions.
 */
import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from '../support/clock.ts';
import type { Logger } from '../support/log.ts';
import { type KeptBytes, keptBuffer, ownCopy } from '../support/own-copy.ts';
import type { Via } from './header-values.ts';
import { BRANCH_COOKIE, BRANCH_SLOTS, branchSlot, newBranch, slotBranch } from './ids.ts';
import type { SipRequest, SipResponse } from './message.ts';
import { createResponse } from './message-factory.ts';
import { DEFAULT_MAX_TRANSACTIONS_PER_SOURCE, SOURCE_RETRY_AFTER_S, SourceCounter } from './source-limits.ts';
import { DEFAULT_TIMERS, type TimerConfig } from './timers.ts';
import {
  ClientTransaction,
  clientKey,
  type SendTarget,
  type ServerPlace,
  ServerTransaction,
  serverKey,
  type TransactionEnv,
} from './transaction.ts';
import type { Flow, InboundMessage, TransportLayer } from './transport.ts';
import { WaitQueue } from './wait-queue.ts';

/**
 * An answered server transaction in its long wait (Timer J or L, see TransactionEnv.retire),
 * as little as that wait needs: the layer answers the request's retransmissions with `final`
 * (a non-INVITE's final response as sent) or absorbs them (an INVITE in Accepted), answers a
 * CANCEL 200 without effect (RFC 3261 §9.2), passes ACKs on to the dialog layer, and forgets
 * it when the wait ends. Under load the stack holds tens of thousands of these.
 */
class WaitingServer {
  /** Ended before its time (its final response could not be sent): the queue skips it. */
  ended = false;
  constructor(
    /** As ServerTransaction's: its key in the table it is kept in. */
    readonly key: string,
    readonly place: ServerPlace,
    readonly source: string,
    readonly final: KeptBytes | undefined,
    readonly target: SendTarget,
  ) {}
}

/**
 * A client transaction in its wait (Timer K or M, see TransactionEnv.retireClient): a
 * retransmitted final is absorbed, except a 2xx to an INVITE in Accepted, which goes to
 * `responses` (the TU's listeners, RFC 6026).
 */
class WaitingClient {
  constructor(
    readonly key: string,
    readonly branch: string,
    readonly keyMethod: string,
    readonly responses: ClientTransaction['emitter'] | undefined,
    /** As ClientTransaction's `slot`: the slot it waits in, or -1 for the table by key. */
    readonly slot: number,
  ) {}
}

export interface TransactionLayerOptions {
  timers?: Partial<TimerConfig>;
  clock?: Clock;
  /** Unused: lines about bad input go through the transport's summarised log (`transport.netLog`). */
  logger?: Logger;
  /** Most open transactions; new requests beyond it get 503 (default 10,000). */
  maxTransactions?: number;
  /**
   * Most open server transactions of one source address; its new requests beyond it get 503
   * with Retry-After (default 1,000, see source-limits.ts). CANCEL is never refused.
   */
  maxTransactionsPerSource?: number;
}

export interface TransactionLayerEvents {
  /** A new request with its server transaction (not for ACK; see `ack`). */
  request: [SipRequest, ServerTransaction];
  /** An ACK that matched no INVITE server transaction: the ACK for a 2xx, for the dialog layer. */
  ack: [SipRequest, Flow];
  /** A response that matched no client transaction (e.g. a late 2xx retransmission). */
  'stray-response': [SipResponse, Flow];
}

export class TransactionLayer extends EventEmitter<TransactionLayerEvents> {
  readonly timers: TimerConfig;
  readonly clock: Clock;
  readonly stats = {
    clientStarted: 0,
    serverStarted: 0,
    retransmissionsAbsorbed: 0,
    rejectedOverload: 0,
    /** New requests answered 503 because their source held its bound of transactions. */
    rejectedSourceOverload: 0,
    strayResponses: 0,
  };
  private readonly max: number;
  /**
   * Client transactions whose branch this layer made (`newBranch`), open or waiting, at the
   * slot their branch carries; the others (a branch made elsewhere, or whose slot was taken by
   * the time its request was sent) in `clients`, by key. A response is matched to a slot's
   * transaction by comparing branch and method, so both places give what one table by key
   * would: the slots only spare the hashing of a key in a table of every transaction of the
   * last 32 s, twice or more per transaction (bench/notes/call-rate.md, ninth round).
   */
  private slots: Array<ClientTransaction | WaitingClient | undefined> = [];
  /** Free slots below `slots.length`, the next one last. */
  private freeSlots: number[] = [];
  private slotted = 0;
  private clients = new Map<string, ClientTransaction | WaitingClient>();
  /**
   * Server transactions, open or waiting, by branch (RFC 3261 branches): the branch is one
   * string the message already holds, where the whole key (branch, sent-by, method) would be a
   * new one to build, flatten and hash per request in a table of every transaction of the last
   * 32 s (bench/notes/call-rate.md, tenth round). The rest of the key is compared on the record
   * (`place`). A second transaction with the branch of one kept here (a CANCEL beside its
   * INVITE, or a request from another sent-by with that branch) goes to `serversByKey`, by its
   * whole key, as do requests with RFC 2543 branches.
   */
  private servers = new Map<string, ServerTransaction | WaitingServer>();
  private serversByKey = new Map<string, ServerTransaction | WaitingServer>();
  /** The long waits of answered server transactions, one queue per length (64*T1: one). */
  private waits = new Map<number, WaitQueue<WaitingServer>>();
  private clientWaits = new Map<number, WaitQueue<WaitingClient>>();
  /** Open server transactions by source address. */
  private readonly perSource: SourceCounter;
  private readonly env: TransactionEnv;

  constructor(
    readonly transport: TransportLayer,
    opts: TransactionLayerOptions = {},
  ) {
    super();
    this.timers = { ...DEFAULT_TIMERS, ...opts.timers };
    this.clock = opts.clock ?? systemClock;
    this.max = opts.maxTransactions ?? 10_000;
    this.perSource = new SourceCounter(opts.maxTransactionsPerSource ?? DEFAULT_MAX_TRANSACTIONS_PER_SOURCE);
    this.env = {
      clock: this.clock,
      timers: this.timers,
      send: (msg, target) => this.transport.send(msg, target),
      post: (msg, target, sink) => this.transport.post(msg, target, sink),
      postData: (data, target, msg, sink) => this.transport.postData(data, target, msg, sink),
      retire: (tx, ms, final) => this.retire(tx, ms, final),
      retireClient: (tx, ms) => this.retireClient(tx, ms),
      retiredSendFailed: (tx) => {
        // Its record, and not another kept under that branch: the record shares its place.
        const w = tx.place ? this.serverTable(tx.place).get(tx.key) : undefined;
        if (w instanceof WaitingServer && w.place === tx.place) this.endWaiting(w);
      },
      udpFlow: (target) => this.transport.udpFlow(target),
    };
    transport.on('message', (m) => this.onMessage(m));
  }

  get openTransactions(): number {
    return this.clients.size + this.slotted + this.servers.size + this.serversByKey.size;
  }

  /**
   * A fresh branch (RFC 3261 §8.1.1.7) for a request this layer will send as a client
   * transaction: it carries the number of the slot the transaction will take if it is sent
   * before another takes it. A branch used otherwise (an ACK for a 2xx) costs nothing.
   */
  newBranch(): string {
    const free = this.freeSlots;
    const next = free.length > 0 ? free[free.length - 1]! : this.slots.length;
    return next < BRANCH_SLOTS ? slotBranch(next) : newBranch();
  }

  /** Starts a client transaction for `req` (which must carry its top Via with a fresh branch). */
  sendRequest(req: SipRequest, target: SendTarget): ClientTransaction {
    const tx = new ClientTransaction(this.env, req, target);
    const key = tx.key;
    // A transaction with the key of one still open replaces it (as a table by key would): the
    // older one is no longer found.
    const i = branchSlot(tx.branch);
    const there = i >= 0 && i < this.slots.length ? this.slots[i] : undefined;
    if (there !== undefined && there.branch === tx.branch && there.keyMethod === tx.keyMethod) {
      this.slots[i] = tx;
      tx.slot = i;
    } else if (i >= 0 && this.takeSlot(i, tx)) {
      tx.slot = i;
      if (this.clients.size > 0) this.clients.delete(key);
    } else this.clients.set(key, tx);
    tx.on('terminated', () => {
      if (tx.slot >= 0) {
        if (this.slots[tx.slot] === tx) this.freeSlot(tx.slot);
      } else if (this.clients.get(key) === tx) this.clients.delete(key);
    });
    this.stats.clientStarted++;
    tx.start();
    return tx;
  }

  /** Puts `rec` in slot `i` when that is the slot `newBranch` offers now. */
  private takeSlot(i: number, rec: ClientTransaction): boolean {
    const free = this.freeSlots;
    if (free.length > 0) {
      if (free[free.length - 1] !== i) return false;
      free.pop();
      this.slots[i] = rec;
    } else {
      if (i !== this.slots.length) return false;
      this.slots.push(rec);
    }
    this.slotted++;
    return true;
  }

  private freeSlot(i: number): void {
    this.slots[i] = undefined;
    this.freeSlots.push(i);
    this.slotted--;
  }

  /** The open or waiting client transaction of `branch` and `method` (ACK as INVITE). */
  private client(branch: string, method: string): ClientTransaction | WaitingClient | undefined {
    const m = method === 'ACK' ? 'INVITE' : method;
    const i = branchSlot(branch);
    if (i >= 0 && i < this.slots.length) {
      const s = this.slots[i];
      if (s !== undefined && s.branch === branch && s.keyMethod === m) return s;
    }
    return this.clients.size > 0 ? this.clients.get(clientKey(branch, method)) : undefined;
  }

  /**
   * Sends a message (or its bytes) outside any transaction (ACK for 2xx, 2xx retransmissions by
   * the UAS core), without waiting for it: failures are counted and logged by the transport.
   */
  postStateless(msg: SipRequest | SipResponse | Buffer, target: SendTarget): void {
    if (Buffer.isBuffer(msg)) this.transport.postData(msg, target);
    else this.transport.post(msg, target);
  }

  /** Finds a client transaction (for CANCEL: the INVITE it cancels). */
  findClient(branch: string, method: string): ClientTransaction | undefined {
    const tx = this.client(branch, method);
    return tx instanceof ClientTransaction ? tx : undefined;
  }

  /** Terminates every transaction (on shutdown). */
  clear(): void {
    for (const t of [...this.clients.values(), ...this.slots])
      if (t instanceof ClientTransaction) t.terminate();
    for (const t of [...this.servers.values(), ...this.serversByKey.values()]) {
      if (t instanceof ServerTransaction) t.terminate();
      else if (!t.ended) this.perSource.remove(t.source);
    }
    for (const q of this.waits.values()) q.clear();
    for (const q of this.clientWaits.values()) q.clear();
    this.clients.clear();
    this.slots = [];
    this.freeSlots = [];
    this.slotted = 0;
    this.servers.clear();
    this.serversByKey.clear();
  }

  /** TransactionEnv.retireClient: a client transaction of this layer's map waits here from now on. */
  private retireClient(tx: ClientTransaction, ms: number): boolean {
    const key = tx.key;
    const slot = tx.slot;
    if (slot >= 0 ? this.slots[slot] !== tx : this.clients.get(key) !== tx) return false;
    const w = new WaitingClient(
      key,
      tx.branch,
      tx.keyMethod,
      tx.state === 'accepted' ? tx.emitter : undefined,
      slot,
    );
    // Waits where it was open: in its slot (no table is touched), or in the table by key.
    if (slot >= 0) this.slots[slot] = w;
    else this.clients.set(key, w);
    this.queueOf(this.clientWaits, ms, (done) => {
      if (done.slot >= 0) {
        if (this.slots[done.slot] === done) this.freeSlot(done.slot);
      } else if (this.clients.get(done.key) === done) this.clients.delete(done.key);
    }).add(w);
    return true;
  }

  /**
   * Ends a server transaction's wait (its time is up, or its final response could not be
   * sent): it leaves its table and its source's count, once.
   */
  private endWaiting(w: WaitingServer): void {
    if (w.ended) return;
    w.ended = true;
    this.perSource.remove(w.source);
    // Not ended, it is still in its table: nothing else takes a key's place while a record
    // holds it (a request with that key is absorbed by it), and clear() empties the queues
    // with the tables.
    this.serverTable(w.place).delete(w.key);
  }

  /** TransactionEnv.retire: a server transaction of this layer's tables waits there from now on. */
  private retire(tx: ServerTransaction, ms: number, final: KeptBytes | undefined): boolean {
    const place = tx.place;
    if (!place) return false;
    if (tx.state === 'terminated') return false;
    // Open, it is in its table (it leaves when it terminates, and clear() terminates it first).
    const table = this.serverTable(place);
    const key = tx.key;
    const w = new WaitingServer(key, place, tx.flow.remote.address, final, tx.responseTarget);
    table.set(key, w);
    this.queueOf(this.waits, ms, (done) => this.endWaiting(done)).add(w);
    return true;
  }

  private serverTable(place: ServerPlace): Map<string, ServerTransaction | WaitingServer> {
    return place.byBranch ? this.servers : this.serversByKey;
  }

  /**
   * The open or waiting server transaction that `req` belongs to as a request of `method`
   * (§17.2.3: branch, sent-by and method; ACK and CANCEL look for their INVITE).
   */
  private findServer(req: SipRequest, method: string): ServerTransaction | WaitingServer | undefined {
    const via = req.topVia;
    return via ? this.matchServer(req, method, via, this.atBranch(req.branch)) : undefined;
  }

  /** What `servers` holds at `branch` (an RFC 3261 branch; undefined for any other). */
  private atBranch(branch: string | undefined): ServerTransaction | WaitingServer | undefined {
    return branch?.startsWith(BRANCH_COOKIE) ? this.servers.get(branch) : undefined;
  }

  /** findServer, given what `servers` holds at the request's branch (`atBranch`). */
  private matchServer(
    req: SipRequest,
    method: string,
    via: Via,
    atBranch: ServerTransaction | WaitingServer | undefined,
  ): ServerTransaction | WaitingServer | undefined {
    if (atBranch !== undefined && samePlace(atBranch.place!, method, via)) return atBranch;
    if (this.serversByKey.size === 0) return undefined;
    const key = serverKey(req, method);
    return key === undefined ? undefined : this.serversByKey.get(key);
  }

  /** The queue in `queues` for waits of `ms`, made (ending each wait with `expire`) on first use. */
  private queueOf<T>(queues: Map<number, WaitQueue<T>>, ms: number, expire: (done: T) => void): WaitQueue<T> {
    let q = queues.get(ms);
    if (!q) {
      q = new WaitQueue<T>(this.clock, ms, expire);
      queues.set(ms, q);
    }
    return q;
  }

  private onMessage({ message, flow }: InboundMessage): void {
    if (!message.isRequest) {
      const branch = message.branch;
      const method = message.cseq?.method;
      const tx = branch && method ? this.client(branch, method) : undefined;
      if (tx instanceof ClientTransaction) tx.receive(message, flow);
      else if (tx) {
        // Waiting: a 2xx to an INVITE in Accepted goes to the TU; anything else is absorbed.
        if (tx.responses && message.status >= 200 && message.status < 300)
          tx.responses.emit('response', message, flow);
      } else {
        this.stats.strayResponses++;
        this.emit('stray-response', message, flow);
      }
      return;
    }
    const req = message;
    if (req.method === 'ACK') {
      const tx = this.findServer(req, 'INVITE');
      // A waiting INVITE is in Accepted: its ACK (for the 2xx) is the dialog layer's.
      if (tx instanceof ServerTransaction && (tx.state === 'completed' || tx.state === 'confirmed')) {
        tx.receiveAck(req, flow);
        return;
      }
      this.emit('ack', req, flow);
      return;
    }
    const via = req.topVia;
    if (!via) return; // unreachable: the parser requires a Via
    // The branch is looked up once: what it holds decides both a match and where a new one goes.
    const branch = req.branch;
    const atBranch = this.atBranch(branch);
    const existing = this.matchServer(req, req.method, via, atBranch);
    if (existing) {
      this.stats.retransmissionsAbsorbed++;
      if (existing instanceof ServerTransaction) existing.receiveRetransmission();
      else if (existing.final !== undefined)
        this.transport.postData(keptBuffer(existing.final), existing.target);
      return;
    }
    const target = this.transport.responseTarget(req, flow);
    if (this.openTransactions >= this.max) {
      this.stats.rejectedOverload++;
      this.transport.netLog.warn(
        'transaction-limit',
        { open: this.openTransactions },
        'transaction limit reached; answering 503',
      );
      this.transport.post(createResponse(req, 503, { headers: [['Retry-After', '5']] }), target);
      return;
    }
    const source = flow.remote.address;
    if (req.method !== 'CANCEL' && !this.perSource.allows(source)) {
      this.stats.rejectedSourceOverload++;
      this.transport.netLog.warn(
        'source-transaction-limit',
        { source, open: this.perSource.get(source), limit: this.perSource.limit },
        'transaction limit of one source reached; answering 503',
      );
      this.transport.post(
        createResponse(req, 503, { headers: [['Retry-After', String(SOURCE_RETRY_AFTER_S)]] }),
        target,
      );
      return;
    }
    // Kept for the transaction's life (64*T1 after its answer): copies that do not keep the
    // request's header text, which the branch and host were cut from.
    const byBranch = branch?.startsWith(BRANCH_COOKIE) === true && atBranch === undefined;
    const place: ServerPlace = {
      byBranch,
      method: req.method,
      host: ownCopy(via.host.toLowerCase()),
      port: via.port,
    };
    const kept = ownCopy(byBranch ? branch : serverKey(req, req.method)!);
    const tx = new ServerTransaction(this.env, req, flow, target, kept, place);
    const table = this.serverTable(place);
    table.set(kept, tx);
    this.perSource.add(source);
    tx.on('terminated', () => {
      this.perSource.remove(source);
      if (table.get(kept) === tx) table.delete(kept);
    });
    this.stats.serverStarted++;
    if (req.method === 'CANCEL') {
      const invite = this.findServer(req, 'INVITE');
      if (!invite) {
        tx.respond(createResponse(req, 481));
        return;
      }
      tx.respond(createResponse(req, 200));
      // A waiting INVITE has its final response: the CANCEL has no effect (§9.2).
      if (invite instanceof ServerTransaction) invite.receiveCancel(req);
      return;
    }
    this.emit('request', req, tx);
  }
}

/** Whether a server transaction kept at `place` has `method` and the sent-by of `via` (its branch being the same). */
function samePlace(place: ServerPlace, method: string, via: Via): boolean {
  return (
    place.method === method &&
    place.port === via.port &&
    (place.host === via.host || place.host === via.host.toLowerCase())
  );
}
