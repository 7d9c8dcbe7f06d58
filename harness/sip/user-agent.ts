/**
 * A SIP user agent core: the transport and transaction layers, dialogs, out-of-dialog
 * requests with digest retry, INVITE sessions in both directions (CANCEL, ACK, 2xx
 * retransmission, PRACK), and in-dialog requests (BYE, re-INVITE, UPDATE, INFO, REFER,
 * NOTIFY). Actors (provider, OXO trunk, reference SBC) are built on it.
 */
import { EventEmitter } from 'node:events';
import { ChurnMap } from '../support/churn-map.ts';
import { type Clock, systemClock, type TimerHandle } from '../support/clock.ts';
import { type Logger, silentLogger } from '../support/log.ts';
import { keepBytes, keptBuffer, ownCopy } from '../support/own-copy.ts';
import { Dialog, dialogKey, makeVia, type SentAck } from './dialog.ts';
import { DigestClient } from './digest.ts';
import { isToken, type NameAddr, parseNameAddr, parseRAck, parseVia, type Via } from './header-values.ts';
import { newCallId, newTag } from './ids.ts';
import { SipRequest, type SipResponse } from './message.ts';
import { createResponse, type ResponseOptions } from './message-factory.ts';
import { DEFAULT_MIN_SE, SessionTimer, type SessionTimerTerms, sessionExpiresOf } from './session-timer.ts';
import type { SourceLimitOptions } from './source-limits.ts';
import { targetFromUri } from './target.ts';
import { DEFAULT_TIMERS, type TimerConfig } from './timers.ts';
import type { ClientTransaction, SendTarget, ServerTransaction } from './transaction.ts';
import { TransactionLayer } from './transaction-layer.ts';
import {
  type Flow,
  type ListenSpec,
  type TlsOptions,
  TransportLayer,
  type TransportProtocol,
} from './transport.ts';
import { copyParams, isSipUri, type SipUri } from './uri.ts';
import { WaitQueue } from './wait-queue.ts';

export interface Credentials {
  username: string;
  password: string;
}

export interface UserAgentOptions {
  listen: ListenSpec[];
  tls?: TlsOptions;
  timers?: Partial<TimerConfig>;
  clock?: Clock;
  logger?: Logger;
  /** User part of our Contact (default "sbc-harness"). */
  contactUser?: string;
  /**
   * Host part of our Contact instead of the listener's address: a host name that resolves to it
   * (RFC 3261 §19.1.1 allows a name there; the peer resolves it, RFC 3263). Default: the address.
   */
  contactHost?: string;
  /** Value of the User-Agent header; none when undefined. */
  userAgent?: string;
  /** Send 100 Trying as soon as an INVITE arrives (default true). */
  auto100?: boolean;
  maxMessageSize?: number;
  maxTransactions?: number;
  /** Per-source bounds (transactions, connections, message deadline, header bytes); defaults in source-limits.ts. */
  sourceLimits?: SourceLimitOptions;
  /** Smallest Session-Expires we accept, in seconds (RFC 4028 Min-SE; default 90). */
  minSE?: number;
  /** Refresh sessions when we are the refresher (default true; false simulates a peer that never refreshes). */
  refreshSessions?: boolean;
  /**
   * Asked for each BYE of a dialog: a final status (200–699) to answer it with instead of 200;
   * undefined, anything else, or a throw: 200. A status other than 2xx leaves the dialog as it
   * was. RFC 3261 §15.1.2 has the UAS answer such a BYE with a 2xx: this is for the reference
   * SBC's fault bye-500, a UAS that breaks that rule.
   */
  byeStatus?: (req: SipRequest) => number | undefined;
}

/** How an out-of-dialog or in-dialog non-INVITE request ended. */
export interface RequestOutcome {
  /** The final status: the response's, or 408 on timeout, 503 on a transport error. */
  status: number;
  response?: SipResponse;
  /** Every response received, in order, over every authentication round. */
  responses: SipResponse[];
  /** The request as last sent (with credentials, if it was challenged). */
  request: SipRequest;
}

export interface OutgoingRequestSpec {
  method: string;
  uri: string;
  /** Next hop; default: from the Request-URI. */
  target?: SendTarget;
  from?: string;
  to?: string;
  headers?: Array<[string, string]>;
  body?: string | Buffer;
  contentType?: string;
  credentials?: Credentials;
  protocol?: TransportProtocol;
}

export interface InviteSpec extends OutgoingRequestSpec {
  /** Session-Expires (RFC 4028) to ask for, in seconds. */
  sessionExpires?: number;
  /** Offer 100rel (RFC 3262) in Supported. Default true. */
  support100rel?: boolean;
}

export interface UserAgentEvents {
  invite: [IncomingInvite];
  /** Out-of-dialog requests other than INVITE, ACK, CANCEL (OPTIONS is answered 200 when nobody listens). */
  request: [SipRequest, ServerTransaction];
  /** A dialog was created (early or confirmed). */
  dialog: [Dialog];
}

/** The option-tags our UAS supports in a Require (RFC 3262, RFC 4028, RFC 3891). */
const UAS_OPTION_TAGS: ReadonlySet<string> = new Set(['100rel', 'timer', 'replaces']);

export class UserAgent extends EventEmitter<UserAgentEvents> {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  /** The dialogs in progress, by key (a ChurnMap: under load, dialogs come and go all the time). */
  readonly dialogs = new ChurnMap<Dialog>();
  /** Dialog.keeperEnded of every dialog kept here: one function for all of them. */
  private readonly keeperEnded = (d: Dialog): void => this.dialogEnded(d);
  readonly clock: Clock;
  readonly timers: TimerConfig;
  readonly log: Logger;
  private readonly contactUser: string;
  private readonly contactHost: string | undefined;
  private ackWaits = 0;
  /** Dialogs ended within 64*T1 (see dialogEnded), by key. */
  private readonly ended = new Map<string, EndedDialog>();
  private endedQueue: WaitQueue<EndedDialog> | undefined;
  /** Reliable provisional retransmissions waiting for PRACK, by dialog key + RSeq. */
  readonly pendingPracks = new ChurnMap<() => void>();
  /** Running session timers (RFC 4028), by dialog key. */
  readonly sessionTimers = new ChurnMap<SessionTimer>();

  constructor(readonly opts: UserAgentOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.timers = { ...DEFAULT_TIMERS, ...opts.timers };
    this.log = opts.logger ?? silentLogger;
    this.contactUser = opts.contactUser ?? 'sbc-harness';
    this.contactHost = opts.contactHost;
    this.transport = new TransportLayer({
      listen: opts.listen,
      ...(opts.tls ? { tls: opts.tls } : {}),
      logger: this.log,
      clock: this.clock,
      ...(opts.maxMessageSize ? { maxMessageSize: opts.maxMessageSize } : {}),
      ...pick(opts.sourceLimits, ['maxConnectionsPerSource', 'messageDeadlineMs', 'maxHeaderBytes']),
    });
    this.transactions = new TransactionLayer(this.transport, {
      timers: this.timers,
      clock: this.clock,
      logger: this.log,
      ...(opts.maxTransactions ? { maxTransactions: opts.maxTransactions } : {}),
      ...pick(opts.sourceLimits, ['maxTransactionsPerSource']),
    });
    this.transactions.on('request', (req, tx) => this.onRequest(req, tx));
    this.transactions.on('ack', (ack, flow) => this.onAck(ack, flow));
    this.transactions.on('stray-response', (res) => this.onStrayResponse(res));
  }

  static async start(opts: UserAgentOptions): Promise<UserAgent> {
    const ua = new UserAgent(opts);
    await ua.transport.start();
    return ua;
  }

  async stop(): Promise<void> {
    this.transactions.clear();
    for (const d of [...this.dialogs.values()]) d.terminate('failure');
    this.dialogs.clear();
    this.endedQueue?.clear();
    this.ended.clear();
    await this.transport.stop();
  }

  /** Contact values by the listener they name (listenerFor's answers are few and stable). */
  private readonly contactCache = new Map<object, string>();
  /** The part of our Via before the branch, parsed, for the listener and protocol last used (see ownVia). */
  private viaHead: { listener: object; protocol: TransportProtocol; value: Via | undefined } | undefined;
  /** The head (all but the tag) of the From last written, parsed (see ownFrom). */
  private fromHead: { text: string; value: NameAddr; uri: SipUri } | undefined;

  /** Contact value for requests leaving over `protocol` toward `remoteAddress`. */
  contact(protocol: TransportProtocol, remoteAddress?: string): string {
    const l = this.transport.listenerFor(protocol, remoteAddress);
    const cached = this.contactCache.get(l);
    if (cached !== undefined) return cached;
    const value = this.contactFor(protocol, l);
    this.contactCache.set(l, value);
    return value;
  }

  private contactFor(protocol: TransportProtocol, l: { address: string; port: number }): string {
    const name = this.contactHost ?? l.address;
    const host = name.includes(':') ? `[${name}]` : name;
    const scheme = protocol === 'TLS' ? 'sips' : 'sip';
    const tp = protocol === 'UDP' ? '' : protocol === 'TCP' ? ';transport=tcp' : '';
    return `<${scheme}:${this.contactUser}@${host}:${l.port}${tp}>`;
  }

  /** A Via with a fresh branch for a request leaving toward `target`. */
  via(target: SendTarget): string {
    return this.ownVia(target).text;
  }

  /**
   * Our Via toward `target` with a fresh branch from the transaction layer: its text, and the
   * value the parser reads from that text, which the request is primed with (so that its
   * transaction does not parse the Via it was just given). The part before the branch is
   * parsed once per listener, by the parser itself.
   */
  private ownVia(target: SendTarget): { text: string; value: Via | undefined } {
    const l = this.transport.listenerFor(target.protocol, target.address);
    const branch = this.transactions.newBranch();
    const text = makeVia(target.protocol, l.address, l.port, branch);
    let head = this.viaHead;
    if (head === undefined || head.listener !== l || head.protocol !== target.protocol) {
      const parsed = parseVia(makeVia(target.protocol, l.address, l.port, 'z9hG4bK'));
      head = { listener: l, protocol: target.protocol, value: parsed.ok ? parsed.value : undefined };
      this.viaHead = head;
    }
    // A listener address the parser does not read in a Via (a scoped IPv6 address): not primed,
    // the request reads its Via as any message does.
    const h = head.value;
    if (h === undefined) return { text, value: undefined };
    const value: Via = { protocol: h.protocol, transport: h.transport, host: h.host, params: [] };
    if (h.port !== undefined) value.port = h.port;
    value.params.push(['branch', branch], ['rport', null]);
    return { text, value };
  }

  /** The local "sip:user@address:port" of our listener for `protocol`. */
  localUri(protocol: TransportProtocol = 'UDP', user = this.contactUser): string {
    const l = this.transport.listenerFor(protocol);
    const host = l.address.includes(':') ? `[${l.address}]` : l.address;
    return `sip:${user}@${host}:${l.port}`;
  }

  resolveTarget(spec: { uri: string; target?: SendTarget; protocol?: TransportProtocol }): SendTarget {
    if (spec.target) return spec.target;
    const t = targetFromUri(spec.uri, spec.protocol ?? 'UDP');
    if (!t.ok) throw new Error(`cannot route to "${spec.uri}": ${t.reason}`);
    return t.value;
  }

  /**
   * The value the parser reads from `${head};tag=${tag}` (a From we write), from `head` parsed
   * once for as long as it does not change: the head's parameters and then the tag, its SIP or
   * SIPS URI copied for each request. Undefined when the head does not parse as a name-addr with
   * a SIP URI; the request is then not primed and reads its From as any message does.
   */
  private ownFrom(head: string, tag: string): NameAddr | undefined {
    // What the parser would read differently in the whole value: a tag that is no token, or a
    // head that ends in what trim() drops (before ";tag=" it is no parameter whitespace).
    if (!isToken(tag) || head.length === 0 || head.trimEnd().length !== head.length) return undefined;
    let h = this.fromHead;
    if (h === undefined || h.text !== head) {
      const p = parseNameAddr(head);
      if (!p.ok || !isSipUri(p.value.uri)) return undefined;
      h = { text: head, value: p.value, uri: p.value.uri };
      this.fromHead = h;
    }
    const u = h.uri;
    const uri: SipUri = {
      scheme: u.scheme,
      host: u.host,
      params: copyParams(u.params),
      headers: copyParams(u.headers),
    };
    if (u.user !== undefined) uri.user = u.user;
    if (u.password !== undefined) uri.password = u.password;
    if (u.port !== undefined) uri.port = u.port;
    const params = copyParams(h.value.params);
    params.push(['tag', tag]);
    const value: NameAddr = { uri, params };
    if (h.value.displayName !== undefined) value.displayName = h.value.displayName;
    return value;
  }

  /** Builds an out-of-dialog request per §8.1.1. */
  buildRequest(
    spec: OutgoingRequestSpec,
    target: SendTarget,
    fixed?: { callId: string; fromTag: string; cseq: number },
  ): SipRequest {
    const req = new SipRequest(spec.method, spec.uri);
    const via = this.ownVia(target);
    req.append('Via', via.text);
    if (via.value) req.primeCache('via', [via.value]);
    req.append('Max-Forwards', '70');
    const from = spec.from ?? this.localUri(target.protocol);
    const fromHead = from.includes('<') ? from : `<${from}>`;
    const fromTag = fixed?.fromTag ?? newTag();
    req.append('From', `${fromHead};tag=${fromTag}`);
    const fromValue = this.ownFrom(fromHead, fromTag);
    if (fromValue) req.primeCache('from', fromValue);
    const to = spec.to ?? spec.uri;
    req.append('To', to.includes('<') ? to : `<${to}>`);
    req.append('Call-ID', fixed?.callId ?? newCallId());
    req.append('CSeq', `${fixed?.cseq ?? 1} ${spec.method}`);
    // Our Contact, unless the caller gave one of its own (a binding it names itself).
    if (
      spec.method !== 'CANCEL' &&
      spec.method !== 'ACK' &&
      spec.method !== 'BYE' &&
      !spec.headers?.some(([n]) => n.length === 7 && n.toLowerCase() === 'contact')
    ) {
      req.append('Contact', this.contact(target.protocol, target.address));
    }
    if (this.opts.userAgent) req.append('User-Agent', this.opts.userAgent);
    for (const [n, v] of spec.headers ?? []) req.append(n, v);
    if (spec.body !== undefined) {
      req.body = typeof spec.body === 'string' ? Buffer.from(spec.body) : spec.body;
      req.append('Content-Type', spec.contentType ?? 'application/sdp');
    }
    return req;
  }

  /** Sends a non-INVITE request outside a dialog, answering one digest challenge if credentials are given. */
  async request(spec: OutgoingRequestSpec): Promise<RequestOutcome> {
    const target = this.resolveTarget(spec);
    const req = this.buildRequest(spec, target);
    return this.runWithAuth(req, target, spec.credentials);
  }

  /** REGISTER (RFC 3261 §10) with digest; `expires` 0 unregisters. */
  register(spec: {
    registrar: string;
    aor: string;
    expires?: number;
    credentials?: Credentials;
    target?: SendTarget;
    protocol?: TransportProtocol;
    headers?: Array<[string, string]>;
  }): Promise<RequestOutcome> {
    const headers: Array<[string, string]> = [
      ['Expires', String(spec.expires ?? 3600)],
      ...(spec.headers ?? []),
    ];
    return this.request({
      method: 'REGISTER',
      uri: spec.registrar,
      from: spec.aor,
      to: spec.aor,
      headers,
      ...(spec.credentials ? { credentials: spec.credentials } : {}),
      ...(spec.target ? { target: spec.target } : {}),
      ...(spec.protocol ? { protocol: spec.protocol } : {}),
    });
  }

  /** Runs a non-INVITE client transaction to its end; a 401/407 is answered once with credentials. */
  async runWithAuth(
    first: SipRequest,
    target: SendTarget,
    credentials?: Credentials,
  ): Promise<RequestOutcome> {
    const responses: SipResponse[] = [];
    let req = first;
    const client = credentials ? new DigestClient(credentials) : undefined;
    for (let round = 0; round < 2; round++) {
      const tx = this.transactions.sendRequest(req, target);
      const out = await this.awaitFinal(tx, responses);
      if ((out.status === 401 || out.status === 407) && client && round === 0 && out.response) {
        const next = this.authorizedRetry(req, out.response, client);
        if (!next) return requestOutcome(out, responses, req);
        req = next;
        continue;
      }
      return requestOutcome(out, responses, req);
    }
    return { status: 500, responses, request: req };
  }

  /** A copy of `req` with a new branch, CSeq + 1 and the answer to the challenge of `res`. */
  authorizedRetry(req: SipRequest, res: SipResponse, client: DigestClient): SipRequest | undefined {
    const proxy = res.status === 407;
    const challenges = res.getAll(proxy ? 'proxy-authenticate' : 'www-authenticate');
    const auth = client.authorize(
      challenges,
      req.method,
      req.uri,
      req.method === 'INVITE' ? undefined : req.body,
    );
    if (!auth) return undefined;
    const next = req.clone();
    const via = next.fields('via')[0];
    if (via)
      next.replaceField(via, via.value.replace(/branch=[^;,\s]+/, `branch=${this.transactions.newBranch()}`));
    next.set('CSeq', `${(req.cseq?.seq ?? 1) + 1} ${req.method}`);
    next.remove(proxy ? 'proxy-authorization' : 'authorization');
    next.append(proxy ? 'Proxy-Authorization' : 'Authorization', auth);
    return next;
  }

  private awaitFinal(
    tx: ClientTransaction,
    responses: SipResponse[],
  ): Promise<{ status: number; response?: SipResponse }> {
    return new Promise((resolve) => {
      tx.on('response', (res) => {
        responses.push(res);
        if (res.status >= 200) resolve({ status: res.status, response: res });
      });
      tx.on('timeout', () => resolve({ status: 408 }));
      tx.on('transport-error', () => resolve({ status: 503 }));
    });
  }

  /** Starts an INVITE; see OutgoingInvite. */
  invite(spec: InviteSpec): OutgoingInvite {
    return new OutgoingInvite(this, spec);
  }

  /** Sends a non-INVITE request inside a dialog (BYE, INFO, REFER, NOTIFY, UPDATE, OPTIONS, PRACK). */
  async requestInDialog(
    dialog: Dialog,
    method: string,
    opts: {
      headers?: Array<[string, string]>;
      body?: string | Buffer;
      contentType?: string;
      credentials?: Credentials;
    } = {},
  ): Promise<RequestOutcome> {
    const target = dialog.nextHop();
    if (!target) throw new Error(`dialog ${dialog.key} has no usable remote target`);
    const via = this.ownVia(target);
    const req = dialog.createRequest(method, {
      via: via.text,
      ...(via.value ? { viaValue: via.value } : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      ...(opts.contentType ? { contentType: opts.contentType } : {}),
    });
    if (method === 'BYE') dialog.terminate('local');
    if (method === 'REFER') dialog.referSent = true;
    const out = await this.runWithAuth(req, target, opts.credentials);
    if (method === 'UPDATE' && out.response && out.status < 300) dialog.refreshTarget(out.response);
    if (method === 'REFER' && out.status >= 200 && out.status < 300) dialog.openReferSubscriptions++;
    return out;
  }

  /** Ends a dialog with BYE. */
  bye(dialog: Dialog, headers?: Array<[string, string]>): Promise<RequestOutcome> {
    return this.requestInDialog(dialog, 'BYE', headers ? { headers } : {});
  }

  /**
   * Sends a re-INVITE (hold, resume, codec change) and ACKs its 2xx. With `sdp` undefined it is
   * offerless (RFC 3261 §14.1): the peer offers in its 2xx and `answer` gives the answer that the
   * ACK carries (RFC 3264 §4; none when the 2xx has no offer or no `answer` is given).
   */
  async reinvite(
    dialog: Dialog,
    sdp: string | undefined,
    headers?: Array<[string, string]>,
    answer?: (offer: string) => string,
  ): Promise<RequestOutcome> {
    const target = dialog.nextHop();
    if (!target) throw new Error(`dialog ${dialog.key} has no usable remote target`);
    const via = this.ownVia(target);
    const req = dialog.createRequest('INVITE', {
      via: via.text,
      ...(via.value ? { viaValue: via.value } : {}),
      ...(sdp !== undefined ? { body: sdp, contentType: 'application/sdp' } : {}),
      ...(headers ? { headers } : {}),
    });
    if (sdp !== undefined) dialog.localSdp = sdp;
    const responses: SipResponse[] = [];
    const tx = this.transactions.sendRequest(req, target);
    const out = await this.awaitFinal(tx, responses);
    if (out.response && out.status < 300) {
      dialog.refreshTarget(out.response);
      if (out.response.body.length > 0) dialog.remoteSdp = out.response.bodyText;
      const ackSdp =
        sdp === undefined && answer && out.response.body.length > 0
          ? answer(out.response.bodyText)
          : undefined;
      if (ackSdp !== undefined) dialog.localSdp = ackSdp;
      this.sendAck(dialog, req.cseq?.seq ?? dialog.localSeq, ackSdp);
      // For the rest of Accepted (Timer M) a 2xx only gets its ACK again: the outcome returned
      // here (its `responses`) is not added to, and awaitFinal's listener is let go.
      tx.emitter.clear('response');
      tx.on('response', (res) => {
        if (res.status >= 200 && res.status < 300) this.resendAck(dialog.key, res.cseq?.seq);
      });
    }
    return requestOutcome(out, responses, req);
  }

  /**
   * ACK for a 2xx (§13.2.2.4): a new transaction-less request in the dialog. It is kept 64*T1
   * after the dialog ends, on `holder`, to be sent again when that 2xx is retransmitted: on what
   * resendAck finds for the dialog's key, that is the dialog while it is live, its ended record
   * once it has ended (a re-INVITE's 2xx that comes after a BYE), or what lateInvite2xx gives.
   */
  sendAck(dialog: Dialog, cseq: number, body?: string, holder?: AckHolder): void {
    const target = dialog.nextHop();
    if (!target) return;
    const via = this.ownVia(target);
    const ack = dialog.createRequest('ACK', {
      via: via.text,
      ...(via.value ? { viaValue: via.value } : {}),
      cseq,
      ...(body !== undefined ? { body, contentType: 'application/sdp' } : {}),
    });
    const data = ack.toBuffer();
    this.transport.postData(data, target, ack);
    // One per INVITE of the dialog (a re-INVITE's does not replace the initial INVITE's: a late
    // retransmission of that 2xx needs the ACK with its CSeq), the last few.
    const entry: SentAck = { cseq, data: keepBytes(data), target };
    const keeper = holder ?? (dialog.state === 'terminated' ? this.endedHolder(dialog) : dialog);
    const acks = keeper.acksSent;
    if (!acks) keeper.acksSent = [entry];
    else {
      const same = acks.findIndex((a) => a.cseq === cseq);
      if (same >= 0) acks.splice(same, 1);
      acks.push(entry);
      if (acks.length > MAX_KEPT_ACKS) acks.splice(1, 1); // the initial INVITE's stays first
    }
  }

  /**
   * A 2xx to our INVITE `req` that this side will not keep: after the INVITE's final response
   * (RFC 6026 Accepted), or for a dialog whose early dialog already ended. A retransmission
   * (its dialog is confirmed, or we ACKed it) gets the ACK again. Any other 2xx (another
   * fork's; one whose early dialog ended when another fork answered first, or by a BYE in it)
   * is ACKed and its dialog ended with BYE (RFC 3261 §13.2.2.4, §15), on a dialog of its own
   * so that an ended one is not brought back. Returns that dialog, if one was made.
   */
  lateInvite2xx(req: SipRequest, res: SipResponse, flow: Flow): Dialog | undefined {
    const key = dialogKey({
      callId: req.callId ?? '',
      localTag: req.fromTag ?? '',
      remoteTag: res.toTag ?? '',
    });
    const known = this.dialogs.get(key) ?? this.ended.get(key);
    if (known && (known.state === 'confirmed' || known.acksSent !== undefined)) {
      this.resendAck(key, res.cseq?.seq);
      return undefined;
    }
    const unwanted = Dialog.fromUacResponse(req, res, req.get('contact') ?? '', flow);
    // Nowhere to send the ACK (no usable Contact): nothing can be done with it.
    if (!unwanted?.nextHop()) return undefined;
    if (known)
      unwanted.localSeq = Math.max(unwanted.localSeq, known.localSeq); // after a BYE sent in it
    else this.addDialog(unwanted);
    if (req.body.length > 0) unwanted.localSdp = req.bodyText;
    if (res.body.length > 0) unwanted.remoteSdp = res.bodyText;
    // Its ACK is kept where the user agent looks for that dialog key: on what it already holds
    // for it, else on the new dialog (added above).
    this.sendAck(unwanted, req.cseq?.seq ?? 1, undefined, known ?? unwanted);
    this.bye(unwanted).catch(() => undefined);
    return unwanted;
  }

  /** Sends again the ACK we sent in dialog `key` for the INVITE with CSeq `cseq` (absent: the last one). */
  resendAck(key: string, cseq?: number): void {
    const acks = (this.dialogs.get(key) ?? this.ended.get(key))?.acksSent;
    const a = cseq === undefined ? acks?.[acks.length - 1] : acks?.find((x) => x.cseq === cseq);
    if (a) this.transactions.postStateless(keptBuffer(a.data), a.target);
  }

  addDialog(d: Dialog): void {
    if (!this.dialogs.add(d.key, d)) return;
    d.keeperEnded = this.keeperEnded;
    this.emit('dialog', d);
  }

  /**
   * A dialog ended. An in-dialog request for it gets 481 from here, found or not, so it leaves
   * the dialog map at once; for 64*T1 (late 2xx retransmissions) only what lateInvite2xx needs
   * is kept: its key and local CSeq, and the ACKs we sent (moved from the dialog to the record).
   * A dialog with a REFER subscription (one it sent) stays whole for that time instead: a NOTIFY
   * after the BYE still belongs to it (RFC 5057 §5.2).
   */
  private dialogEnded(d: Dialog): void {
    if (d.referSent || d.openReferSubscriptions > 0) {
      if (this.dialogs.get(d.key) !== d) return;
      this.clock.setTimeout(() => this.dialogs.remove(d.key, d), 64 * this.timers.t1);
      return;
    }
    if (!this.dialogs.remove(d.key, d)) return;
    // A callee's dialog we sent no re-INVITE in (so far) can get no 2xx of ours late: nothing
    // to keep for it, unless it sends one after all (sendAck then keeps the record).
    if (d.role === 'uas' && !d.invitedIn) return;
    this.keepEnded(d);
  }

  /**
   * The record of an ended dialog, kept 64*T1 under its key: its ACKs move there (and leave
   * with it, whoever still holds the dialog).
   */
  private keepEnded(d: Dialog): EndedDialog {
    const e = new EndedDialog(d.key, d.localSeq, d.acksSent);
    d.acksSent = undefined;
    this.ended.set(e.key, e);
    this.endedQueue ??= new WaitQueue<EndedDialog>(this.clock, 64 * this.timers.t1, (done) => {
      if (this.ended.get(done.key) === done) this.ended.delete(done.key);
    });
    this.endedQueue.add(e);
    return e;
  }

  /**
   * What keeps the ACK of an ended dialog: its record, made now for a callee's dialog that
   * ended before it sent its re-INVITE; the dialog itself while it is still in the map (a
   * REFER's subscription keeps it there).
   */
  private endedHolder(d: Dialog): AckHolder {
    const e = this.ended.get(d.key);
    if (e) return e;
    return this.dialogs.get(d.key) === d ? d : this.keepEnded(d);
  }

  /** 2xx of ours waiting for their ACK (each on its dialog: Dialog.ackWait). */
  get waitingAcks(): number {
    return this.ackWaits;
  }

  /** A 2xx starts (1) or stops (-1) waiting for its ACK (AckWait's count, read as `waitingAcks`). */
  countAckWait(delta: 1 | -1): void {
    this.ackWaits += delta;
  }

  findDialog(
    callId: string | undefined,
    localTag: string | undefined,
    remoteTag: string | undefined,
  ): Dialog | undefined {
    if (!callId || !localTag || !remoteTag) return undefined;
    return this.dialogs.get(dialogKey({ callId, localTag, remoteTag }));
  }

  private onStrayResponse(res: SipResponse): void {
    // A 2xx retransmission after the INVITE transaction ended: ACK it again (its dialog may
    // have ended since: the ACK is kept 64*T1 all the same).
    if (res.cseq?.method === 'INVITE' && res.status >= 200 && res.status < 300) {
      const { callId, fromTag, toTag } = res;
      if (callId && fromTag && toTag)
        this.resendAck(dialogKey({ callId, localTag: fromTag, remoteTag: toTag }), res.cseq.seq);
    }
  }

  private onAck(ack: SipRequest, flow: Flow): void {
    const d = this.findDialog(ack.callId, ack.toTag, ack.fromTag);
    if (!d) return;
    d.ackWait?.onAck(ack);
    d.emit('ack', ack, flow);
  }

  private onRequest(req: SipRequest, tx: ServerTransaction): void {
    if (req.toTag) {
      this.onInDialogRequest(req, tx);
      return;
    }
    if (req.method === 'INVITE') {
      // RFC 3261 §8.2.2.3: an option-tag in Require this UAS does not support gets 420, naming it
      // in Unsupported (read only when the INVITE has a Require).
      if (req.has('require')) {
        const unknown = req.tokens('require').filter((t) => !UAS_OPTION_TAGS.has(t.toLowerCase()));
        if (unknown.length > 0) {
          tx.respond(createResponse(req, 420, { headers: [['Unsupported', unknown.join(', ')]] }));
          return;
        }
      }
      const se = sessionExpiresOf(req);
      const minSE = this.opts.minSE ?? DEFAULT_MIN_SE;
      if (se && se.interval < minSE) {
        tx.respond(createResponse(req, 422, { headers: [['Min-SE', String(minSE)]] }));
        return;
      }
      const inv = new IncomingInvite(this, req, tx);
      if (this.opts.auto100 ?? true) tx.respond(createResponse(req, 100));
      if (this.listenerCount('invite') === 0) {
        inv.reject(480);
        return;
      }
      this.emit('invite', inv);
      return;
    }
    if (this.listenerCount('request') > 0) {
      this.emit('request', req, tx);
      return;
    }
    if (req.method === 'OPTIONS') tx.respond(createResponse(req, 200, { headers: [['Allow', ALLOW]] }));
    else tx.respond(createResponse(req, 405, { headers: [['Allow', ALLOW]] }));
  }

  private onInDialogRequest(req: SipRequest, tx: ServerTransaction): void {
    const d = this.findDialog(req.callId, req.toTag, req.fromTag);
    // After BYE, only the NOTIFY of a REFER subscription still open belongs to the dialog.
    const subscriptionOnly =
      d?.state === 'terminated' && req.method === 'NOTIFY' && d.openReferSubscriptions > 0;
    if (!d || (d.state === 'terminated' && !subscriptionOnly)) {
      tx.respond(createResponse(req, 481));
      return;
    }
    if (!d.acceptRemoteSeq(req)) {
      tx.respond(createResponse(req, 500, { reason: 'CSeq Out of Order' }));
      return;
    }
    if (
      req.method === 'NOTIFY' &&
      d.openReferSubscriptions > 0 &&
      /^\s*terminated/i.test(req.get('subscription-state') ?? '')
    )
      d.openReferSubscriptions--;
    if (req.method === 'PRACK') {
      const rack = req.parseOne('rack', parseRAck);
      const key = rack?.ok ? `${d.key}|${rack.value.rseq}` : '';
      const stop = this.pendingPracks.get(key);
      if (stop) {
        stop();
        this.pendingPracks.delete(key);
        tx.respond(createResponse(req, 200));
      } else tx.respond(createResponse(req, 481));
      return;
    }
    if (req.method === 'BYE') {
      const status = this.byeStatus(req);
      tx.respond(createResponse(req, status));
      if (status >= 200 && status < 300) d.terminate('remote');
      return;
    }
    if (req.method === 'INVITE' || req.method === 'UPDATE') {
      if (this.onSessionRefresh(d, req, tx)) return;
      d.refreshTarget(req);
    }
    if (req.method === 'INVITE' && req.body.length > 0) d.remoteSdp = req.bodyText;
    if (d.listenerCount('request') > 0) {
      d.emit('request', req, tx);
      return;
    }
    // Defaults for a dialog nobody watches: accept refreshes and informational requests.
    if (req.method === 'INVITE' || req.method === 'UPDATE') {
      const res = createResponse(req, 200, { headers: [['Contact', d.localContact]] });
      if (d.localSdp) {
        res.body = Buffer.from(d.localSdp);
        res.set('Content-Type', 'application/sdp');
      }
      tx.respond(res);
      // Nobody waits on it here: a wait that ends without its ACK (the dialog ended, or 64*T1)
      // must not be an unhandled rejection.
      if (req.method === 'INVITE') this.retransmit2xxUntilAck(d, tx, res).catch(() => undefined);
    } else if (['INFO', 'NOTIFY', 'OPTIONS', 'MESSAGE'].includes(req.method))
      tx.respond(createResponse(req, 200));
    else tx.respond(createResponse(req, 501));
  }

  /** The status to answer a BYE of a dialog with: 200 unless `opts.byeStatus` gives another final one. */
  private byeStatus(req: SipRequest): number {
    let status: number | undefined;
    try {
      status = this.opts.byeStatus?.(req);
    } catch {
      status = undefined;
    }
    return status !== undefined && Number.isInteger(status) && status >= 200 && status <= 699 ? status : 200;
  }

  /**
   * A re-INVITE or UPDATE inside a dialog. With Session-Expires it is a session refresh that
   * may set new terms (RFC 4028 §9): its 2xx, whoever builds it, carries the Session-Expires
   * agreed (the request's refresher, or the UAC when it supports timers and named none), with
   * Require: timer when the UAC refreshes, and the dialog's timer starts again on those terms
   * once the 2xx goes out. A 2xx without Session-Expires would turn the peer's timer off (§7.4),
   * while ours ran on and ended a live call. The timer restarts as it is when the request
   * arrives, whatever its answer (a refresh answered 491 in a glare is tried again by the
   * refresher after the watcher's deadline otherwise). An interval below our Min-SE is refused
   * with 422 (§9); returns true then, the request answered.
   */
  private onSessionRefresh(d: Dialog, req: SipRequest, tx: ServerTransaction): boolean {
    const se = sessionExpiresOf(req);
    const minSE = this.opts.minSE ?? DEFAULT_MIN_SE;
    if (se && se.interval < minSE) {
      tx.respond(createResponse(req, 422, { headers: [['Min-SE', String(minSE)]] }));
      return true;
    }
    this.sessionTimers.get(d.key)?.refreshed();
    if (!se) return false;
    const refresher = se.refresher ?? (req.tokens('supported').includes('timer') ? 'uac' : 'uas');
    // The terms name the refresher by its role in the dialog, as startSessionTimer reads them;
    // the request names it by its role in this transaction (the sender is its UAC).
    const peer = d.role === 'uac' ? 'uas' : 'uac';
    const terms: SessionTimerTerms = {
      interval: se.interval,
      refresher: refresher === 'uac' ? peer : d.role,
    };
    let started = false;
    tx.before2xx = (res) => {
      if (!res.has('session-expires')) res.set('Session-Expires', `${se.interval};refresher=${refresher}`);
      if (refresher === 'uac' && !res.tokens('require').includes('timer'))
        res.set('Require', [...res.tokens('require'), 'timer'].join(', '));
      if (started || d.state === 'terminated') return;
      started = true;
      this.startSessionTimer(d, terms);
    };
    return false;
  }

  /** Starts the RFC 4028 timer of a dialog with the negotiated terms. */
  startSessionTimer(d: Dialog, terms: SessionTimerTerms): SessionTimer {
    this.sessionTimers.get(d.key)?.stop();
    const ours = terms.refresher === d.role;
    const mode = !ours ? 'watcher' : (this.opts.refreshSessions ?? true) ? 'refresher' : 'idle';
    // Only the refresher sends refreshes, and names itself: the UAC of the refresh (RFC 4028 §7.4).
    const header = `${terms.interval};refresher=uac`;
    const timer = new SessionTimer(this.clock, d, terms, mode, {
      refresh: async () => {
        const out = d.remoteAllow.includes('UPDATE')
          ? await this.requestInDialog(d, 'UPDATE', { headers: [['Session-Expires', header]] })
          : await this.reinvite(d, d.localSdp ?? '', [['Session-Expires', header]]);
        return out.status;
      },
      expire: () => {
        if (d.state === 'terminated') return;
        d.localEndCause = 'session-expired';
        // A BYE that cannot be built (no usable remote target) still ends the session.
        this.bye(d, [['Reason', 'SIP;cause=408;text="Session expired"']]).catch(() => d.terminate('local'));
      },
    });
    this.sessionTimers.set(d.key, timer);
    d.once('terminated', () => {
      if (this.sessionTimers.get(d.key) === timer) this.sessionTimers.delete(d.key);
    });
    return timer;
  }

  /**
   * §13.3.1.4: the UAS core retransmits a 2xx to INVITE (T1 doubling up to T2) until the ACK
   * arrives; after 64*T1 without one it gives up and ends the dialog with BYE. Rejects with an
   * {@link AckTimeoutError} then, or with a plain error when the dialog ended another way first
   * (a BYE before the ACK, the user agent stopping): either way nothing of it is left running.
   */
  retransmit2xxUntilAck(d: Dialog, tx: ServerTransaction, res: SipResponse): Promise<SipRequest> {
    return new Promise((resolve, reject) => {
      if (d.state === 'terminated') {
        reject(new Error('the dialog ended before the ACK of its 2xx'));
        return;
      }
      new AckWait(this, d, tx, res, resolve, reject);
    });
  }
}

/**
 * A request's outcome: what awaitFinal resolved with, every response and the request as last
 * sent (the same fields, in the same order, as spreading `out` would give, without the copy by
 * spread of an object whose shape varies).
 */
function requestOutcome(
  out: { status: number; response?: SipResponse },
  responses: SipResponse[],
  request: SipRequest,
): RequestOutcome {
  return out.response !== undefined
    ? { status: out.status, response: out.response, responses, request }
    : { status: out.status, responses, request };
}

/**
 * What lateInvite2xx reads of our INVITE (the Request-URI, From, Call-ID, CSeq, Contact), kept
 * for Timer M (64*T1) instead of the INVITE with its body: five strings on one small object (a
 * SipRequest holding them took 0.8 KB per call, copied by minor GCs until promoted). A dialog
 * made from it for another fork's 2xx has no localSdp then (its ACK and BYE carry none).
 */
class InviteSkeleton {
  private readonly method: string;
  private readonly uri: string;
  private readonly from: string | undefined;
  private readonly callId: string | undefined;
  private readonly cseq: string | undefined;
  private readonly contact: string | undefined;

  constructor(invite: SipRequest) {
    this.method = invite.method;
    this.uri = ownCopy(invite.uri);
    this.from = keptValue(invite, 'from');
    this.callId = keptValue(invite, 'call-id');
    this.cseq = keptValue(invite, 'cseq');
    this.contact = keptValue(invite, 'contact');
  }

  /** The skeleton as a request of its own (made only when a late 2xx comes). */
  request(): SipRequest {
    const s = new SipRequest(this.method, this.uri);
    if (this.from !== undefined) s.append('From', this.from);
    if (this.callId !== undefined) s.append('Call-ID', this.callId);
    if (this.cseq !== undefined) s.append('CSeq', this.cseq);
    if (this.contact !== undefined) s.append('Contact', this.contact);
    return s;
  }
}

/** A copy of the first `name` field's value of `m` that keeps nothing else of `m` alive. */
function keptValue(m: SipRequest, name: string): string | undefined {
  const f = m.field(name);
  return f ? ownCopy(f.value) : undefined;
}

/** What keeps the ACKs sent in a dialog (Dialog.acksSent): the dialog, or its record once ended. */
type AckHolder = { acksSent: SentAck[] | undefined };

/** ACKs kept per dialog: the initial INVITE's and the last re-INVITEs'. */
const MAX_KEPT_ACKS = 4;

/** What is kept of an ended dialog for 64*T1 (UserAgent.dialogEnded). */
class EndedDialog {
  readonly state = 'terminated';
  constructor(
    readonly key: string,
    readonly localSeq: number,
    /** The ACKs sent in it, kept to answer a retransmitted 2xx (Dialog.acksSent). */
    public acksSent: SentAck[] | undefined,
  ) {}
}

/**
 * One 2xx waiting for its ACK (UserAgent.retransmit2xxUntilAck): methods, not closures, since
 * every answered call has one.
 */
class AckWait {
  private interval: number;
  private timer: TimerHandle;
  private readonly started: number;
  /** The CSeq number of the INVITE this 2xx answers: its ACK carries the same (RFC 3261 §13.2.2.4). */
  private readonly seq: number | undefined;
  /** Acked, given up or its dialog ended: later calls do nothing. */
  private finished = false;
  /** The dialog's `remoteSdpChanges` when this 2xx went out: an SDP set after it is newer than its ACK's. */
  private sdpChanges: number;
  /**
   * The wait of an older 2xx of the same dialog, still waiting for its own ACK (a re-INVITE
   * answered before the first 2xx's ACK): the dialog holds the newest, each the one before it.
   */
  private older: AckWait | undefined;

  constructor(
    private readonly ua: UserAgent,
    private readonly d: Dialog,
    private readonly tx: ServerTransaction,
    private readonly res: SipResponse,
    private readonly resolve: (ack: SipRequest) => void,
    private readonly reject: (err: Error) => void,
  ) {
    this.interval = ua.timers.t1;
    this.started = ua.clock.now();
    this.seq = res.cseq?.seq;
    this.sdpChanges = d.remoteSdpChanges;
    this.timer = this.schedule();
    ua.countAckWait(1);
    this.older = d.ackWait as AckWait | undefined;
    d.ackWait = this;
  }

  private schedule(): TimerHandle {
    const ms = this.tx.reliable ? 64 * this.ua.timers.t1 : this.interval;
    return this.ua.clock.setTimeout(() => this.tick(), ms);
  }

  /** Ends the wait and takes it out of its dialog's list; false when it had ended already. */
  private done(): boolean {
    if (this.finished) return false;
    this.finished = true;
    this.timer.cancel();
    this.ua.countAckWait(-1);
    const d = this.d;
    if (d.ackWait === this) d.ackWait = this.older;
    else {
      let newer = d.ackWait as AckWait | undefined;
      while (newer && newer.older !== this) newer = newer.older;
      if (newer) newer.older = this.older;
    }
    this.older = undefined;
    return true;
  }

  /** Dialog.ackWait: the dialog ended before the ACK (of this 2xx and of every older one). */
  dialogEnded(): void {
    // A loop, not a call per wait: a peer that re-INVITEs again and again without an ACK makes the list long.
    for (let w: AckWait | undefined = this; w; ) {
      const older: AckWait | undefined = w.older;
      if (w.done()) w.reject(new Error('the dialog ended before the ACK of its 2xx'));
      w = older;
    }
  }

  private tick(): void {
    const { ua, d } = this;
    if (ua.clock.now() - this.started >= 64 * ua.timers.t1) {
      if (!this.done()) return;
      ua.transport.netLog.warn(
        'no-ack',
        { callId: d.id.callId, cseq: this.seq },
        'no ACK for the 2xx within 64*T1; ending the dialog with BYE',
      );
      this.reject(new AckTimeoutError());
      if (d.state !== 'terminated') {
        d.localEndCause = 'no-ack';
        ua.bye(d).catch(() => undefined);
      }
      return;
    }
    if (!this.tx.reliable) ua.transactions.postStateless(this.res, this.tx.responseTarget);
    this.interval = Math.min(this.interval * 2, ua.timers.t2);
    this.timer = this.schedule();
  }

  /**
   * Dialog.ackWait: an ACK in this dialog. It acknowledges the 2xx whose INVITE had its CSeq
   * number (RFC 3261 §13.2.2.4), this one or an older one still waiting; an ACK of no waiting
   * 2xx (a retransmitted ACK, a wrong number) ends no wait.
   */
  onAck(ack: SipRequest): void {
    let w: AckWait | undefined = this;
    const seq = ack.cseq?.seq;
    while (w && w.seq !== seq) w = w.older;
    if (!w) {
      // Evidence for whoever reads why a 2xx went on being sent: a retransmitted ACK of a 2xx
      // already acked lands here too, so it is told, not held against the peer.
      const waiting: number[] = [];
      for (let x: AckWait | undefined = this; x; x = x.older) if (x.seq !== undefined) waiting.push(x.seq);
      this.ua.transport.netLog.info(
        'ack-unmatched',
        { callId: this.d.id.callId, cseq: seq, waiting },
        'an ACK whose CSeq number is that of no 2xx waiting for its ACK',
      );
      return;
    }
    // The waits of newer 2xx (none in the usual case, the ACK of the newest), before `w` leaves the list.
    let newer: AckWait[] | undefined;
    if (w !== this) {
      newer = [];
      for (let x: AckWait | undefined = this; x && x !== w; x = x.older) newer.push(x);
    }
    if (!w.done()) return;
    // The dialog's remote SDP follows its newest exchange: the ACK of a 2xx after which another
    // remote SDP came (a re-INVITE answered before this ACK, whatever the order of the ACKs)
    // leaves it be; its SDP reaches the one waiting for that 2xx with the ACK itself. A newer 2xx
    // that saw no remote SDP since this one (both offered, no SDP between) stays newer than it.
    if (ack.body.length > 0 && w.d.remoteSdpChanges === w.sdpChanges) {
      w.d.remoteSdp = ack.bodyText;
      for (const x of newer ?? []) if (x.sdpChanges === w.sdpChanges) x.sdpChanges = w.d.remoteSdpChanges;
    }
    w.resolve(ack);
  }
}

/** A 2xx to INVITE that was never ACKed within 64*T1 (RFC 3261 §13.3.1.4); the dialog got a BYE. */
export class AckTimeoutError extends Error {
  override name = 'AckTimeoutError';
  constructor() {
    super('no ACK for the 2xx within 64*T1');
  }
}

/** The keys of `o` among `keys` whose value is defined (exactOptionalPropertyTypes). */
function pick<K extends keyof SourceLimitOptions>(
  o: SourceLimitOptions | undefined,
  keys: K[],
): Pick<SourceLimitOptions, K> {
  const out: Partial<SourceLimitOptions> = {};
  for (const k of keys) if (o?.[k] !== undefined) out[k] = o[k];
  return out as Pick<SourceLimitOptions, K>;
}

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, UPDATE, PRACK, MESSAGE';

export interface InviteOutcome {
  status: number;
  response?: SipResponse;
  /** The confirmed dialog, on 2xx. */
  dialog?: Dialog;
  /**
   * Every response received for this INVITE (all authentication rounds), up to the final one:
   * a later 2xx (a retransmission, another fork's) is answered by the user agent, not added.
   */
  responses: SipResponse[];
  /** True when CANCEL was sent. */
  cancelled: boolean;
}

export interface OutgoingInviteEvents {
  response: [SipResponse];
  early: [Dialog];
}

/**
 * An INVITE we sent: follows its responses, creates early and confirmed dialogs, ACKs 2xx
 * (and its retransmissions), answers one digest challenge, sends PRACK for reliable
 * provisionals, and can be cancelled. `result` resolves on the final response.
 */
export class OutgoingInvite extends EventEmitter<OutgoingInviteEvents> {
  readonly result: Promise<InviteOutcome>;
  request: SipRequest;
  readonly target: SendTarget;
  readonly responses: SipResponse[] = [];
  private tx: ClientTransaction;
  private cancelRequested = false;
  private cancelSent = false;
  private finished = false;
  private authTried = false;
  private readonly digest?: DigestClient;
  private readonly early = new Map<string, Dialog>();
  private settle!: (o: InviteOutcome) => void;

  constructor(
    private readonly ua: UserAgent,
    spec: InviteSpec,
  ) {
    super();
    this.target = ua.resolveTarget(spec);
    const headers: Array<[string, string]> = [];
    const supported = [
      'replaces',
      ...(spec.support100rel === false ? [] : ['100rel']),
      ...(spec.sessionExpires ? ['timer'] : []),
    ];
    headers.push(['Allow', ALLOW], ['Supported', supported.join(', ')]);
    if (spec.sessionExpires) headers.push(['Session-Expires', `${spec.sessionExpires};refresher=uac`]);
    if (spec.headers) for (const h of spec.headers) headers.push(h);
    // What buildRequest reads of the spec, named one by one (a copy of `spec` by spread costs
    // about 2 µs: V8 copies a spread object that is not a literal on a slow path).
    const build: OutgoingRequestSpec = { method: 'INVITE', uri: spec.uri, headers };
    if (spec.from !== undefined) build.from = spec.from;
    if (spec.to !== undefined) build.to = spec.to;
    if (spec.body !== undefined) build.body = spec.body;
    if (spec.contentType !== undefined) build.contentType = spec.contentType;
    this.request = ua.buildRequest(build, this.target);
    if (spec.credentials) this.digest = new DigestClient(spec.credentials);
    this.result = new Promise((resolve) => {
      this.settle = resolve;
    });
    this.tx = this.send(this.request);
  }

  /** The local SDP offer, if any. */
  get offer(): string | undefined {
    return this.request.body.length > 0 ? this.request.bodyText : undefined;
  }

  private send(req: SipRequest): ClientTransaction {
    const tx = this.ua.transactions.sendRequest(req, this.target);
    tx.on('response', (res, flow) => this.onResponse(req, res, flow));
    tx.on('timeout', () => this.finish({ status: 408 }));
    tx.on('transport-error', () => this.finish({ status: 503 }));
    return tx;
  }

  /** Sends CANCEL now if a provisional arrived, else as soon as one does (§9.1). */
  cancel(): void {
    if (this.finished || this.cancelRequested) return;
    this.cancelRequested = true;
    if (this.tx.provisional) this.sendCancel();
  }

  private sendCancel(): void {
    if (this.cancelSent) return;
    this.cancelSent = true;
    const inv = this.request;
    const c = new SipRequest('CANCEL', inv.uri);
    const via = inv.fields('via')[0];
    if (via) c.append('Via', via.value);
    for (const r of inv.getAll('route')) c.append('Route', r);
    c.append('Max-Forwards', '70');
    c.append('From', inv.get('from') ?? '');
    c.append('To', inv.get('to') ?? '');
    c.append('Call-ID', inv.callId ?? '');
    c.append('CSeq', `${inv.cseq?.seq ?? 1} CANCEL`);
    this.ua.transactions.sendRequest(c, this.target);
  }

  /**
   * The RSeq of the last reliable provisional PRACKed, by early dialog (RFC 3262 §4); made on the
   * first one (most calls have none).
   */
  private rseqs: Map<string, number> | undefined;

  private onResponse(req: SipRequest, res: SipResponse, flow: Flow): void {
    if (req !== this.request) return;
    this.responses.push(res);
    this.emit('response', res);
    const s = res.status;
    if (s < 200) {
      if (this.cancelRequested) this.sendCancel();
      if (s > 100 && res.toTag) {
        const key = dialogKey({
          callId: req.callId ?? '',
          localTag: req.fromTag ?? '',
          remoteTag: res.toTag,
        });
        let d = this.early.get(key);
        if (!d) {
          d = Dialog.fromUacResponse(req, res, req.get('contact') ?? '', flow);
          if (d) {
            this.early.set(key, d);
            this.ua.addDialog(d);
            this.emit('early', d);
          }
        }
        if (d && res.body.length > 0) d.remoteSdp = res.bodyText;
        if (d && res.tokens('require').includes('100rel')) {
          // RFC 3262 §4: the first reliable provisional of a dialog is PRACKed, then each one RSeq
          // higher; a retransmission is not PRACKed again (its PRACK retransmits itself), and one
          // out of order (a gap) MUST NOT be PRACKed at all.
          const rseq = Number(res.get('rseq')?.trim());
          this.rseqs ??= new Map();
          const last = this.rseqs.get(key);
          if (Number.isInteger(rseq) && (last === undefined || rseq === last + 1)) {
            this.rseqs.set(key, rseq);
            this.sendPrack(d, res);
          }
        }
      }
      return;
    }
    if (s < 300) {
      if (this.finished) {
        this.ua.lateInvite2xx(req, res, flow);
        return;
      }
      const key = dialogKey({
        callId: req.callId ?? '',
        localTag: req.fromTag ?? '',
        remoteTag: res.toTag ?? '',
      });
      // An early dialog that ended has left the user agent's map, not this INVITE's.
      let d = this.ua.dialogs.get(key) ?? this.early.get(key);
      if (d && d.state !== 'early') {
        // Its early dialog ended before this 2xx (a BYE in it, from the peer or ours): the 2xx
        // is ACKed and its dialog ended again, and the INVITE has its final response.
        for (const other of this.early.values()) if (other.state === 'early') other.terminate('failure');
        const ended = this.ua.lateInvite2xx(req, res, flow);
        this.finish({ status: s, response: res, ...(ended ? { dialog: ended } : {}) });
        return;
      }
      if (!d) {
        d = Dialog.fromUacResponse(req, res, req.get('contact') ?? '', flow);
        if (d) this.ua.addDialog(d);
      } else {
        d.state = 'confirmed';
        d.refreshTarget(res);
        d.routeSet = res.getAll('record-route').reverse().map(ownCopy);
      }
      if (!d) {
        this.finish({ status: s, response: res });
        return;
      }
      d.localSdp = this.offer;
      if (res.body.length > 0) d.remoteSdp = res.bodyText;
      this.ua.sendAck(d, req.cseq?.seq ?? 1);
      const se = sessionExpiresOf(res);
      if (se) this.ua.startSessionTimer(d, { interval: se.interval, refresher: se.refresher ?? 'uac' });
      for (const other of this.early.values())
        if (other !== d && other.state === 'early') other.terminate('failure');
      this.finish({ status: s, response: res, dialog: d });
      return;
    }
    if ((s === 401 || s === 407) && this.digest && !this.authTried && !this.cancelRequested) {
      this.authTried = true;
      const next = this.ua.authorizedRetry(req, res, this.digest);
      if (next) {
        this.request = next;
        this.tx = this.send(next);
        return;
      }
    }
    for (const d of this.early.values()) d.terminate('failure');
    this.finish({ status: s, response: res });
  }

  private sendPrack(d: Dialog, res: SipResponse): void {
    const rseq = res.get('rseq');
    const cseq = res.cseq;
    if (!rseq || !cseq) return;
    this.ua
      .requestInDialog(d, 'PRACK', { headers: [['RAck', `${rseq.trim()} ${cseq.seq} ${cseq.method}`]] })
      .catch(() => undefined);
  }

  private finish(o: { status: number; response?: SipResponse; dialog?: Dialog }): void {
    if (this.finished) return;
    this.finished = true;
    // Built field by field, not by spreading `o` (whose shape varies): the copy by spread took a
    // few µs per call in a CPU profile of the load bench.
    const outcome = { status: o.status } as InviteOutcome;
    if (o.response !== undefined) outcome.response = o.response;
    if (o.dialog !== undefined) outcome.dialog = o.dialog;
    outcome.responses = this.responses;
    outcome.cancelled = this.cancelSent;
    this.settle(outcome);
    if (o.status >= 200 && o.status < 300) {
      // For the rest of Accepted (RFC 6026 Timer M, 64*T1), a 2xx is a retransmission or
      // another fork's: the user agent answers it without this object, which the caller may
      // then let go (with the responses it holds).
      const ua = this.ua;
      const kept = new InviteSkeleton(this.request);
      this.tx.emitter.clear('response');
      this.tx.on('response', (res, flow) => ua.lateInvite2xx(kept.request(), res, flow));
      this.early.clear();
    }
  }
}

export interface IncomingInviteEvents {
  /** The caller sent CANCEL; the INVITE has been answered 487. */
  cancelled: [];
}

/**
 * An INVITE we received: ring, send early media (optionally reliably, RFC 3262), answer
 * (2xx retransmitted until the ACK) or reject. 100 Trying is sent by the user agent.
 */
export class IncomingInvite extends EventEmitter<IncomingInviteEvents> {
  readonly localTag = newTag();
  dialog: Dialog | undefined;
  /**
   * The ACK of the 2xx `answer` sent, once it arrived. Its SDP is the answer to an offer made in
   * that 2xx (a late offer, RFC 3264 §4): read it here, since `dialog.remoteSdp` follows the
   * dialog's newest exchange, which may be a re-INVITE that came before this ACK.
   */
  ack: SipRequest | undefined;
  private rseq = Math.floor(Math.random() * 1000) + 1;

  constructor(
    private readonly ua: UserAgent,
    readonly request: SipRequest,
    readonly tx: ServerTransaction,
  ) {
    super();
    tx.on('cancel', () => {
      if (!tx.answered) {
        tx.respond(createResponse(request, 487, { toTag: this.localTag }));
        this.dialog?.terminate('remote');
        this.emit('cancelled');
      }
    });
  }

  /** The SDP offer of the INVITE, if any. */
  get offer(): string | undefined {
    return this.request.body.length > 0 ? this.request.bodyText : undefined;
  }

  get cancelled(): boolean {
    return this.tx.cancelled;
  }

  private localContact(): string {
    return this.ua.contact(this.tx.flow.protocol, this.tx.flow.remote.address);
  }

  private ensureDialog(state: 'early' | 'confirmed'): Dialog | undefined {
    if (!this.dialog) {
      this.dialog = Dialog.fromUasRequest(
        this.request,
        this.localTag,
        this.localContact(),
        this.tx.flow,
        state,
      );
      if (this.dialog) {
        const offer = this.offer;
        if (offer) this.dialog.remoteSdp = offer;
        this.ua.addDialog(this.dialog);
      }
    } else if (state === 'confirmed') this.dialog.state = 'confirmed';
    return this.dialog;
  }

  private respond(status: number, opts: ResponseOptions = {}): SipResponse {
    const headers: Array<[string, string]> = [
      ['Contact', this.localContact()],
      ['Allow', ALLOW],
    ];
    if (opts.headers) for (const h of opts.headers) headers.push(h);
    // Field by field rather than `{ ...opts }` (see OutgoingInvite's constructor).
    const o: ResponseOptions = { toTag: this.localTag, headers };
    if (opts.reason !== undefined) o.reason = opts.reason;
    if (opts.body !== undefined) o.body = opts.body;
    if (opts.contentType !== undefined) o.contentType = opts.contentType;
    const res = createResponse(this.request, status, o);
    this.tx.respond(res);
    return res;
  }

  /**
   * 180 Ringing (creates the early dialog); reliably when the INVITE requires 100rel (RFC 3262
   * §3: every provisional response but 100 then is).
   */
  ring(): void {
    if (this.tx.answered) return;
    if (this.requires100rel) {
      void this.progress(undefined, { reliable: true, status: 180 });
      return;
    }
    this.ensureDialog('early');
    this.respond(180);
  }

  /** Whether the INVITE has 100rel in Require: its provisional responses must then be reliable. */
  get requires100rel(): boolean {
    return this.request.has('require') && this.request.tokens('require').includes('100rel');
  }

  /**
   * 183 Session Progress with early media SDP. `reliable` sends it with Require: 100rel and
   * retransmits it until PRACK (when the caller supports 100rel). Resolves true when a reliable
   * one was PRACKed, and at once for one not asked to be reliable; false when it never will be:
   * asked to be reliable but sent unreliably (the caller has no 100rel in Supported), no PRACK
   * within 64*T1, the dialog ended, or the INVITE was answered already.
   */
  progress(sdp?: string, opts: { reliable?: boolean; status?: number } = {}): Promise<boolean> {
    if (this.tx.answered) return Promise.resolve(false);
    const d = this.ensureDialog('early');
    // Reliable when asked and the caller supports it, and always when the caller requires it.
    const reliable =
      (opts.reliable === true && this.request.tokens('supported').includes('100rel')) || this.requires100rel;
    const headers: Array<[string, string]> = reliable
      ? [
          ['Require', '100rel'],
          ['RSeq', String(++this.rseq)],
        ]
      : [];
    const res = this.respond(opts.status ?? 183, {
      headers,
      ...(sdp ? { body: sdp, contentType: 'application/sdp' } : {}),
    });
    if (sdp && d) d.localSdp = sdp;
    if (!reliable || !d) return Promise.resolve(opts.reliable !== true);
    {
      let settle: (pracked: boolean) => void = () => undefined;
      const pracked = new Promise<boolean>((r) => {
        settle = r;
      });
      let interval = this.ua.timers.t1;
      let timer: TimerHandle | undefined;
      const key = `${d.key}|${this.rseq}`;
      const again = () => {
        if (this.tx.answered) return;
        this.ua.transactions.postStateless(res, this.tx.responseTarget);
        interval = Math.min(interval * 2, this.ua.timers.t2);
        timer = this.ua.clock.setTimeout(again, interval);
      };
      if (!this.tx.reliable) timer = this.ua.clock.setTimeout(again, interval);
      // RFC 3262 §3: no PRACK within 64*T1: the UAS SHOULD reject the INVITE with a 5xx.
      const giveUp = this.ua.clock.setTimeout(() => {
        timer?.cancel();
        if (this.ua.pendingPracks.get(key) !== stop) return;
        this.ua.pendingPracks.delete(key);
        this.ua.transport.netLog.warn(
          'no-prack',
          { callId: d.id.callId },
          'no PRACK for a reliable provisional within 64*T1',
        );
        this.reject(500, { reason: 'No PRACK' });
        settle(false);
      }, 64 * this.ua.timers.t1);
      // Called with no argument when the PRACK arrives (the dialog's request handler).
      const stop = (acked = true) => {
        timer?.cancel();
        giveUp.cancel();
        settle(acked);
      };
      this.ua.pendingPracks.set(key, stop);
      d.once('terminated', () => {
        if (this.ua.pendingPracks.get(key) !== stop) return;
        stop(false);
        this.ua.pendingPracks.delete(key);
      });
      return pracked;
    }
  }

  /** 200 OK with the SDP answer. Resolves with the dialog when the ACK arrives. */
  answer(sdp?: string, headers: Array<[string, string]> = []): Promise<Dialog> {
    const d = this.ensureDialog('confirmed');
    if (!d) return Promise.reject(new Error('the INVITE lacks the headers a dialog needs'));
    if (this.tx.answered) return Promise.reject(new Error('the INVITE has already been answered'));
    const se = sessionExpiresOf(this.request);
    let terms: SessionTimerTerms | undefined;
    const extra: Array<[string, string]> = [];
    if (se) {
      const uacSupports = this.request.tokens('supported').includes('timer');
      terms = { interval: se.interval, refresher: se.refresher ?? (uacSupports ? 'uac' : 'uas') };
      extra.push(['Session-Expires', `${terms.interval};refresher=${terms.refresher}`]);
      if (terms.refresher === 'uac') extra.push(['Require', 'timer']);
    }
    const res = this.respond(200, {
      headers: [...extra, ...headers],
      ...(sdp ? { body: sdp, contentType: 'application/sdp' } : {}),
    });
    if (sdp) d.localSdp = sdp;
    if (terms) this.ua.startSessionTimer(d, terms);
    return this.ua.retransmit2xxUntilAck(d, this.tx, res).then((ack) => {
      this.ack = ack;
      return d;
    });
  }

  /** A final non-2xx answer (486 Busy Here, 603 Decline, 480, ...). */
  reject(status: number, opts: ResponseOptions = {}): void {
    if (this.tx.answered) return;
    this.respond(status, opts);
    this.dialog?.terminate('failure');
  }
}
