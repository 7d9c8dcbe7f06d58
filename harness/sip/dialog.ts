/**
 * SIP dialogs (RFC 3261 §12): the state shared by the two ends of a call: Call-ID, tags,
 * CSeq counters, route set and remote target. Early dialogs come from provisional responses
 * with a To tag; confirmed dialogs from 2xx. Target refresh by re-INVITE and UPDATE.
 *
 *   (1xx with tag) --> early --(2xx)--> confirmed --(BYE sent or received)--> terminated
 *                        \--(non-2xx final)--> terminated
 */
import { EventEmitter } from 'node:events';
import { type KeptBytes, ownCopy } from '../support/own-copy.ts';
import { type NameAddr, parseNameAddr, type Via } from './header-values.ts';
import { newBranch } from './ids.ts';
import { SipRequest, type SipResponse } from './message.ts';
import { targetFromUri } from './target.ts';
import type { SendTarget } from './transaction.ts';
import type { Flow, TransportProtocol } from './transport.ts';
import { formatUri, getParam, isSipUri } from './uri.ts';

export type DialogState = 'early' | 'confirmed' | 'terminated';
export type DialogRole = 'uac' | 'uas';

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}|${id.localTag}|${id.remoteTag}`;
}

export interface DialogEvents {
  /** An in-dialog request other than ACK, with the function to answer it. */
  request: [SipRequest, import('./transaction.ts').ServerTransaction];
  /** The dialog ended; `by` says which side sent the BYE (or why it ended). */
  terminated: ['local' | 'remote' | 'failure'];
  ack: [SipRequest, Flow];
}

export class Dialog extends EventEmitter<DialogEvents> {
  state: DialogState;
  readonly role: DialogRole;
  readonly id: DialogId;
  localSeq: number;
  /**
   * A re-INVITE of ours was sent in it (the INVITE that makes a caller's dialog is not counted
   * here), so a 2xx to it may still come after a callee's dialog ends (UserAgent.dialogEnded
   * keeps a record for that).
   */
  invitedIn = false;
  remoteSeq: number | undefined;
  /** From (UAC) / To (UAS) header value of the local side, with its tag. */
  localUri: string;
  remoteUri: string;
  /** The remote Contact URI: where in-dialog requests go. */
  remoteTarget: string;
  /** Route header values, in the order requests carry them. */
  routeSet: string[];
  localContact: string;
  readonly protocol: TransportProtocol;
  /** The stream connection to reuse for in-dialog requests, if any. */
  connectionId: string | undefined;
  /**
   * The implicit subscriptions (RFC 3515 §2.4.4) of REFERs this side sent and the peer accepted,
   * whose NOTIFY with Subscription-State: terminated has not come yet. The dialog outlives its
   * INVITE usage while one is open (RFC 5057 §5.2, RFC 6665 §4.1.3): a NOTIFY after a BYE is
   * still part of the dialog.
   */
  openReferSubscriptions = 0;
  /**
   * Told first when the dialog ends, before the 'terminated' listeners: the user agent that keeps
   * it (UserAgent.addDialog), then the newest 2xx waiting for its ACK (AckWait, which holds
   * any older one still waiting), where the user agent also looks when an ACK comes. Fields,
   * not listeners: every call's dialog has them, and an EventEmitter's `once` costs a wrapper
   * and its `off` a search each.
   */
  keeperEnded: ((d: Dialog) => void) | undefined;
  ackWait: { onAck(ack: SipRequest): void; dialogEnded(): void } | undefined;
  /**
   * This side sent a REFER in the dialog: a subscription may outlive the INVITE usage even when
   * its 2xx comes after the BYE, so the user agent keeps the whole dialog after it ends.
   */
  referSent = false;
  /**
   * For the user agent: the ACKs it sent for 2xx in this dialog (UserAgent.sendAck), kept to be
   * sent again when a 2xx is retransmitted, on the dialog rather than in a table by dialog key.
   * @internal
   */
  acksSent: SentAck[] | undefined = undefined;
  /** The last remote SDP seen (offer or answer). */
  get remoteSdp(): string | undefined {
    return this.remoteSdpText;
  }
  set remoteSdp(sdp: string | undefined) {
    this.remoteSdpText = sdp;
    this.remoteSdpChanges++;
  }
  private remoteSdpText: string | undefined = undefined;
  /**
   * How many times `remoteSdp` was set: whether an exchange came after a given moment (the ACK
   * of an older 2xx does not replace a newer remote SDP; UserAgent's AckWait).
   */
  remoteSdpChanges = 0;
  localSdp: string | undefined;
  /**
   * Why our user agent ended the dialog with BYE on its own, not at the application's request:
   * its session timer expired or a refresh failed (RFC 4028 §10), or its 2xx was never ACKed
   * (RFC 3261 §13.3.1.4). Set before that BYE; undefined for every other end.
   */
  localEndCause: 'session-expired' | 'no-ack' | undefined;
  /** The message whose Allow header gives remoteAllow, until it is first read or the dialog ends. */
  private allowFrom: SipRequest | SipResponse | undefined;
  private allow: string[] | undefined;

  /** Methods the peer said it allows (its Allow header), for choosing UPDATE over re-INVITE. */
  get remoteAllow(): string[] {
    if (this.allow === undefined) {
      // Read on first use: most calls never ask, and the Allow list is a dozen tokens.
      this.allow = this.allowFrom ? this.allowFrom.tokens('allow') : [];
      this.allowFrom = undefined;
    }
    return this.allow;
  }

  set remoteAllow(methods: string[]) {
    this.allow = methods;
    this.allowFrom = undefined;
  }

  constructor(init: {
    role: DialogRole;
    state: DialogState;
    id: DialogId;
    localSeq: number;
    remoteSeq?: number;
    localUri: string;
    remoteUri: string;
    remoteTarget: string;
    routeSet: string[];
    localContact: string;
    protocol: TransportProtocol;
    connectionId?: string;
  }) {
    super();
    this.role = init.role;
    this.state = init.state;
    // A dialog outlives the messages these came from (by 64*T1 once terminated): copies that
    // do not keep those messages' header text.
    this.id = {
      callId: ownCopy(init.id.callId),
      localTag: ownCopy(init.id.localTag),
      remoteTag: ownCopy(init.id.remoteTag),
    };
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.localUri = ownCopy(init.localUri);
    this.remoteUri = ownCopy(init.remoteUri);
    this.remoteTarget = ownCopy(init.remoteTarget);
    this.routeSet = init.routeSet.map(ownCopy);
    this.localContact = init.localContact;
    this.protocol = init.protocol;
    this.connectionId = init.connectionId;
    this.remoteSdp = undefined;
    this.localSdp = undefined;
    this.localEndCause = undefined;
  }

  /** The key last computed, with the id fields it came from (the maps of the user agent read it per message). */
  private keyOf: { callId: string; localTag: string; remoteTag: string; key: string } | undefined;

  get key(): string {
    const id = this.id;
    const k = this.keyOf;
    if (k && k.callId === id.callId && k.localTag === id.localTag && k.remoteTag === id.remoteTag)
      return k.key;
    const key = dialogKey(id);
    this.keyOf = { callId: id.callId, localTag: id.localTag, remoteTag: id.remoteTag, key };
    return key;
  }

  /** Dialog on the UAC side, from the INVITE sent and a response with a To tag (§12.1.2). */
  static fromUacResponse(
    invite: SipRequest,
    res: SipResponse,
    localContact: string,
    flow: Flow,
  ): Dialog | undefined {
    const remoteTag = res.toTag;
    const localTag = invite.fromTag;
    const callId = invite.callId;
    if (!remoteTag || !localTag || !callId) return undefined;
    const contact = res.contacts[0];
    const d = new Dialog({
      role: 'uac',
      state: res.status < 200 ? 'early' : 'confirmed',
      id: { callId, localTag, remoteTag },
      localSeq: invite.cseq?.seq ?? 1,
      localUri: invite.get('from') ?? '',
      remoteUri: res.get('to') ?? '',
      remoteTarget: contact ? formatUri(contact.uri) : invite.uri,
      routeSet: res.getAll('record-route').reverse(),
      localContact,
      protocol: flow.protocol,
      ...(flow.connectionId ? { connectionId: flow.connectionId } : {}),
    });
    d.allowFrom = res;
    return d;
  }

  /** Dialog on the UAS side, from the INVITE received and the tag of our response (§12.1.1). */
  static fromUasRequest(
    invite: SipRequest,
    localTag: string,
    localContact: string,
    flow: Flow,
    state: DialogState,
  ): Dialog | undefined {
    const remoteTag = invite.fromTag;
    const callId = invite.callId;
    if (!remoteTag || !callId) return undefined;
    const contact = invite.contacts[0];
    const d = new Dialog({
      role: 'uas',
      state,
      id: { callId, localTag, remoteTag },
      localSeq: Math.floor(Math.random() * 10_000) + 1,
      remoteSeq: invite.cseq?.seq,
      localUri: `${invite.get('to') ?? ''};tag=${localTag}`,
      remoteUri: invite.get('from') ?? '',
      remoteTarget: contact ? formatUri(contact.uri) : '',
      routeSet: invite.getAll('record-route'),
      localContact,
      protocol: flow.protocol,
      ...(flow.connectionId ? { connectionId: flow.connectionId } : {}),
    });
    d.allowFrom = invite;
    return d;
  }

  /** Updates the remote target from a target-refresh request or its 2xx (re-INVITE, UPDATE). */
  refreshTarget(msg: SipRequest | SipResponse): void {
    const c = msg.contacts[0];
    if (c) this.remoteTarget = ownCopy(formatUri(c.uri));
  }

  /**
   * Builds an in-dialog request (§12.2.1.1) with loose or strict routing. CSeq increments
   * for every method but ACK and CANCEL, which reuse the INVITE's number (`cseq`).
   */
  createRequest(
    method: string,
    opts: {
      via: string;
      /** The value the parser reads from `via`, when the caller has it: the request is primed with it. */
      viaValue?: Via;
      headers?: Array<[string, string]>;
      body?: Buffer | string;
      contentType?: string;
      cseq?: number;
    },
  ): SipRequest {
    let requestUri = this.remoteTarget;
    let routes = [...this.routeSet];
    const first = routes[0] ? parseNameAddr(routes[0]) : undefined;
    const firstUri = first?.ok ? first.value.uri : undefined;
    if (firstUri && isSipUri(firstUri) && getParam(firstUri.params, 'lr') === undefined) {
      // Strict routing: the first route becomes the Request-URI, the remote target goes last.
      requestUri = formatUri(firstUri);
      routes = [...routes.slice(1), `<${this.remoteTarget}>`];
    }
    let seq: number;
    if (method === 'ACK' || method === 'CANCEL') seq = opts.cseq ?? this.localSeq;
    else seq = ++this.localSeq;
    if (method === 'INVITE') this.invitedIn = true;
    const req = new SipRequest(method, requestUri);
    req.append('Via', opts.via);
    if (opts.viaValue) req.primeCache('via', [opts.viaValue]);
    req.append('Max-Forwards', '70');
    for (const r of routes) req.append('Route', r);
    req.append('From', this.localUri);
    req.append('To', this.remoteUri);
    req.append('Call-ID', this.id.callId);
    req.append('CSeq', `${seq} ${method}`);
    if (method !== 'BYE' && method !== 'CANCEL' && method !== 'ACK') req.append('Contact', this.localContact);
    for (const [n, v] of opts.headers ?? []) req.append(n, v);
    if (opts.body !== undefined) {
      req.body = typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
      if (opts.contentType) req.append('Content-Type', opts.contentType);
    }
    return req;
  }

  /** Where in-dialog requests go: the first route if any, else the remote target. */
  nextHop(): SendTarget | undefined {
    const hop = this.routeSet[0];
    let uriText = this.remoteTarget;
    if (hop) {
      const na = parseNameAddr(hop);
      if (na.ok) uriText = formatUri(na.value.uri);
    }
    const t = targetFromUri(uriText, this.protocol);
    if (!t.ok) return undefined;
    if (!this.connectionId) return t.value;
    // Named fields, not `{ ...t.value }`: V8 copies a spread object that is not a literal slowly.
    return {
      protocol: t.value.protocol,
      address: t.value.address,
      port: t.value.port,
      connectionId: this.connectionId,
    };
  }

  /**
   * Checks the CSeq of an incoming in-dialog request (§12.2.2): lower than the last one
   * is out of order (answer 500). Returns false when it must be rejected.
   */
  acceptRemoteSeq(req: SipRequest): boolean {
    const seq = req.cseq?.seq;
    if (seq === undefined) return false;
    if (req.method === 'ACK' || req.method === 'CANCEL') return true;
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }

  terminate(by: 'local' | 'remote' | 'failure'): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    // No request can be sent in the dialog any more, so the message the Allow list would come
    // from is let go (a caller may keep the dialog): an unread remoteAllow reads [] from here.
    this.allowFrom = undefined;
    const keeper = this.keeperEnded;
    this.keeperEnded = undefined;
    keeper?.(this);
    this.ackWait?.dialogEnded();
    this.emit('terminated', by);
  }
}

/** An ACK the user agent sent for a 2xx (Dialog.acksSent), as bytes, with where it went. */
export interface SentAck {
  /** The CSeq number of the INVITE it acknowledges. */
  cseq: number;
  data: KeptBytes;
  target: SendTarget;
}

/** A fresh Via value for a request leaving from `local` over `protocol`. */
export function makeVia(
  protocol: TransportProtocol,
  host: string,
  port: number,
  branch = newBranch(),
): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `SIP/2.0/${protocol} ${h}:${port};branch=${branch};rport`;
}

export type { NameAddr };
