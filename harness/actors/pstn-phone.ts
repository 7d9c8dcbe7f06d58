/**
 * A phone on the provider's side (PSTN / ExtNum): a number, a display name, a behaviour for
 * incoming calls (answer, answer after a delay, ring without answer, busy, reject) and media
 * preferences per test. It also calls the SBC's line (`call(did)`), with the From display name
 * and P-Asserted-Identity a provider puts on calls from the PSTN.
 */
import { EventEmitter } from 'node:events';
import {
  type IncomingInvite,
  parseReplaces,
  type SendTarget,
  type ServerTransaction,
  type SipRequest,
  type TransportProtocol,
  type UserAgent,
} from '../sip/index.ts';
import type { Clock } from '../support/clock.ts';
import type { Logger } from '../support/log.ts';
import { Call, type CallMediaPrefs, type MediaFactory } from './call.ts';
import { boundHistory, callOver, DEFAULT_CALL_HISTORY, DEFAULT_RING_TIMEOUT_MS } from './call-history.ts';

/** What the phone does with an incoming call. */
export type PhoneBehaviour =
  | { kind: 'answer' }
  | { kind: 'answer-after'; delayMs: number }
  | { kind: 'ring' }
  | { kind: 'busy' }
  | { kind: 'reject'; status: number };

/** Everything a phone needs from the provider that hosts it. */
export interface PhoneHost {
  readonly ua: UserAgent;
  readonly clock: Clock;
  readonly log: Logger;
  readonly mediaAddress: string;
  readonly openMedia: MediaFactory;
  /** The provider's SIP domain (host part of From/PAI). */
  readonly domain: string;
  /** Where calls toward the SBC's line for `did` go, or a reason why they cannot. */
  lineTarget(did: string): { ok: true; uri: string; target: SendTarget } | { ok: false; reason: string };
  /** Follows a call of the phone (the provider's call registry). */
  track?(call: Call, party: string): void;
  /** Handles a REFER on one of the phone's calls (provider-refer.ts); without it the call answers 403. */
  handleRefer?(phone: PstnPhone, call: Call, req: SipRequest, tx: ServerTransaction): void;
}

/** Options of a phone. */
export interface PstnPhoneOptions {
  /** Short name used by tests ("pstn1"). */
  id: string;
  /** The phone's number as the provider routes it (e.g. "+4930123456" or "030123456"). */
  number: string;
  displayName?: string;
  behaviour?: PhoneBehaviour;
  prefs?: CallMediaPrefs;
  /** Calls kept in `calls` before the oldest ended ones are dropped (default {@link DEFAULT_CALL_HISTORY}). */
  history?: number;
  /** An incoming call nobody answers is rejected with 480 after this long, ms (default 3 min; 0: never). */
  ringTimeoutMs?: number;
}

/** Identity options of one outgoing call. */
export interface PstnCallOptions {
  /** From user (default: the phone's number). */
  fromUser?: string;
  /** From display name (default: the phone's display name; "" for none). */
  displayName?: string;
  /** P-Asserted-Identity value; default `"name" <sip:number@domain>`; false: none. */
  pAssertedIdentity?: string | false;
  /** Privacy header value (e.g. "id"). */
  privacy?: string;
  protocol?: TransportProtocol;
  headers?: Array<[string, string]>;
}

export interface PstnPhoneEvents {
  /** A call arrived (already handled per the behaviour). */
  call: [Call];
}

export const DEFAULT_PSTN_PREFS: CallMediaPrefs = { codecs: ['PCMA', 'PCMU', 'G729'], telephoneEvent: true };

/** A PSTN phone hosted by the provider simulator. */
export class PstnPhone extends EventEmitter<PstnPhoneEvents> {
  readonly id: string;
  readonly number: string;
  displayName: string | undefined;
  behaviour: PhoneBehaviour;
  prefs: CallMediaPrefs;
  /**
   * The calls of this phone, incoming and outgoing, in order: at most `history` (the oldest ended
   * calls are dropped past that, with their recorded audio; a live call never is).
   */
  readonly calls: Call[] = [];
  /** Calls kept in `calls` (and untaken incoming ones) before the oldest ended ones are dropped. */
  history: number;
  /** An incoming call still ringing after this long, ms, is rejected with 480 (0: never). */
  ringTimeoutMs: number;
  private waiters: Array<(c: Call) => void> = [];
  private pendingIncoming: Call[] = [];
  private readonly initialBehaviour: PhoneBehaviour;

  constructor(
    protected readonly host: PhoneHost,
    opts: PstnPhoneOptions,
  ) {
    super();
    this.id = opts.id;
    this.number = opts.number;
    this.displayName = opts.displayName;
    this.behaviour = opts.behaviour ?? { kind: 'answer' };
    this.initialBehaviour = this.behaviour;
    this.prefs = opts.prefs ?? DEFAULT_PSTN_PREFS;
    this.history = opts.history ?? DEFAULT_CALL_HISTORY;
    this.ringTimeoutMs = opts.ringTimeoutMs ?? DEFAULT_RING_TIMEOUT_MS;
  }

  /**
   * Back to the state a case starts from, when the provider outlives a case (an external SBC):
   * its configured behaviour, the given preferences; calls a case left untaken are forgotten
   * (their dialogs are the runner's to end).
   */
  resetForCase(prefs?: CallMediaPrefs): void {
    this.behaviour = this.initialBehaviour;
    if (prefs) this.prefs = prefs;
    this.pendingIncoming = [];
    this.waiters = [];
  }

  /** Resolves with the next incoming call (one that arrived earlier and was not taken yet, first). */
  nextIncoming(): Promise<Call> {
    const c = this.pendingIncoming.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Handles an INVITE routed to this phone. Never throws. */
  async handleInvite(inv: IncomingInvite): Promise<void> {
    const replaces = inv.request.get('replaces');
    if (replaces !== undefined) {
      await this.handleReplaces(inv, replaces);
      return;
    }
    const b = this.behaviour;
    if (b.kind === 'busy' || b.kind === 'reject') {
      inv.reject(b.kind === 'busy' ? 486 : b.status);
      return;
    }
    let call: Call;
    try {
      const media = await this.host.openMedia({
        localAddress: this.host.mediaAddress,
        prefs: this.prefs,
        name: `${this.id}-in`,
      });
      call = Call.incoming(this.host.ua, media, inv);
    } catch (e) {
      this.host.log.warn({ err: String(e), phone: this.id }, 'media leg could not open');
      inv.reject(500);
      return;
    }
    this.adopt(call);
    const w = this.waiters.shift();
    if (w) w(call);
    else {
      this.pendingIncoming.push(call);
      boundHistory(this.pendingIncoming, this.history, callOver);
    }
    this.emit('call', call);
    call.ring();
    call.limitRinging(this.ringTimeoutMs);
    if (b.kind === 'answer') await this.answer(call);
    else if (b.kind === 'answer-after') {
      this.host.clock.setTimeout(() => void this.answer(call), b.delayMs);
    }
  }

  /**
   * An INVITE with Replaces (RFC 3891, attended transfer): it takes the place of one of this
   * phone's calls. Accepted at once when the dialog it names is established (the user already
   * talks on it), and the replaced call is ended with BYE; 481 when no such dialog exists.
   */
  private async handleReplaces(inv: IncomingInvite, value: string): Promise<void> {
    const r = parseReplaces(value);
    const old = r.ok
      ? this.calls.find((c) => {
          const id = c.dialog?.id;
          if (!id || id.callId !== r.value.callId) return false;
          const tags = [r.value.toTag, r.value.fromTag].sort().join('|');
          return [id.localTag, id.remoteTag].sort().join('|') === tags;
        })
      : undefined;
    if (!r.ok) {
      inv.reject(400);
      return;
    }
    if (old?.state !== 'established') {
      inv.reject(481);
      return;
    }
    let call: Call;
    try {
      const media = await this.host.openMedia({
        localAddress: this.host.mediaAddress,
        prefs: this.prefs,
        name: `${this.id}-replaces`,
      });
      call = Call.incoming(this.host.ua, media, inv);
    } catch (e) {
      this.host.log.warn({ err: String(e), phone: this.id }, 'media leg could not open');
      inv.reject(500);
      return;
    }
    this.adopt(call);
    this.emit('call', call);
    await this.answer(call);
    await old.hangup();
  }

  /**
   * Keeps a call of this phone (and has the provider's call registry follow it) and lets the
   * provider handle REFERs on it; a 'refer' listener
   * that a test or case adds to the call takes over from the provider.
   */
  private adopt(call: Call): void {
    this.calls.push(call);
    const bound = () => {
      boundHistory(this.calls, this.history, callOver);
      boundHistory(this.pendingIncoming, this.history, callOver);
    };
    bound();
    // A call that ends after newer ones came is dropped then, not at the next call.
    void call.ended().then(bound);
    this.host.track?.(call, this.id);
    const handle = this.host.handleRefer;
    if (handle)
      call.on('refer', (req, tx) => {
        if (call.listenerCount('refer') === 1) handle.call(this.host, this, call, req, tx);
      });
  }

  /**
   * Calls one of the provider's own phones (a transfer inside the provider): an INVITE to the
   * provider's listener, as a provider's softswitch would route it.
   */
  async callInside(
    uri: string,
    target: SendTarget,
    to: string,
    headers: Array<[string, string]>,
  ): Promise<Call> {
    const media = await this.host.openMedia({
      localAddress: this.host.mediaAddress,
      prefs: this.prefs,
      name: `${this.id}-transfer`,
    });
    const name = this.displayName ?? '';
    const call = Call.outgoing(this.host.ua, media, {
      uri,
      target,
      from: `${name ? `"${name.replace(/["\\]/g, '')}" ` : ''}<sip:${this.number}@${this.host.domain}>`,
      to: `<${to}>`,
      headers,
    });
    this.adopt(call);
    void call.established().then((ok) => {
      if (ok) this.onEstablished(call);
    });
    return call;
  }

  /** Answers a ringing call; subclasses (IVR) start their work once established. */
  protected async answer(call: Call): Promise<void> {
    const ok = await call.answer();
    if (ok) this.onEstablished(call);
  }

  /** Called when a call of this phone is established. */
  protected onEstablished(_call: Call): void {}

  /** Calls the SBC's line for `did`. The returned call fails (status 503) when no target is known. */
  async call(did: string, opts: PstnCallOptions = {}): Promise<Call> {
    const t = this.host.lineTarget(did);
    const media = await this.host.openMedia({
      localAddress: this.host.mediaAddress,
      prefs: this.prefs,
      name: `${this.id}-out`,
    });
    if (!t.ok) {
      this.host.log.warn({ phone: this.id, did, reason: t.reason }, 'no route to the SBC line');
      await media.close();
      throw new Error(`no route to the SBC line for ${did}: ${t.reason}`);
    }
    const user = opts.fromUser ?? this.number;
    const name = opts.displayName ?? this.displayName ?? '';
    const nameAddr = (u: string) =>
      `${name ? `"${name.replace(/["\\]/g, '')}" ` : ''}<sip:${u}@${this.host.domain}>`;
    const headers: Array<[string, string]> = [];
    if (opts.pAssertedIdentity !== false)
      headers.push(['P-Asserted-Identity', opts.pAssertedIdentity ?? nameAddr(this.number)]);
    if (opts.privacy) headers.push(['Privacy', opts.privacy]);
    headers.push(...(opts.headers ?? []));
    const call = Call.outgoing(this.host.ua, media, {
      uri: t.uri,
      target: t.target,
      from: nameAddr(user),
      to: `<sip:${did}@${this.host.domain}>`,
      headers,
      ...(opts.protocol ? { protocol: opts.protocol } : {}),
    });
    this.adopt(call);
    void call.established().then((ok) => {
      if (ok) this.onEstablished(call);
    });
    return call;
  }
}
