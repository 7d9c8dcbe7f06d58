/**
 * One call leg of a simulated actor (PSTN phone, IVR, OXO extension): the SIP INVITE session
 * and the media leg that carries its audio. It answers in-dialog requests itself: re-INVITE
 * (hold/resume by the peer, codec change), INFO (DTMF per the actor's policy), REFER (handed
 * to the actor), NOTIFY, OPTIONS and UPDATE; it sends hold/resume, DTMF in every mode and BYE.
 *
 *   incoming: ringing --answer()--> established --BYE--> ended
 *                    \--reject()/CANCEL--> failed
 *   outgoing: calling --(18x)--> ringing --(2xx)--> established --BYE--> ended
 *                            \--(>=300, timeout)--> failed
 */
import { EventEmitter } from 'node:events';
import type { CodecName } from '../../codecs/index.ts';
import {
  buildDtmfRelayBody,
  DTMF_RELAY_CONTENT_TYPE,
  isDtmfDigit,
  parseSipInfoDtmf,
} from '../media/dtmf/index.ts';
import type { PacketRecord, RtpArrivals } from '../media/rtp/index.ts';
import {
  createResponse,
  type Dialog,
  type IncomingInvite,
  type InviteSpec,
  type OutgoingInvite,
  parseNameAddr,
  type RequestOutcome,
  type SdpDirection,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
  type UserAgent,
} from '../sip/index.ts';

/** How DTMF travels: RFC 4733 events, inband tones, or SIP INFO. */
/** Times a re-INVITE refused with 491 (glare) is sent again (RFC 3261 §14.1). */
const REINVITE_GLARE_RETRIES = 2;

export type CallDtmfMode = 'rfc2833' | 'inband' | 'info';

/** A source of PCM the media leg plays (mirrors media-leg.ts's AudioSource). */
export interface CallAudioSource {
  sampleRate: number;
  /** The next `samples` samples, or null at the end. */
  next(samples: number): Int16Array | null;
}

/** Media preferences of one leg (mirrors media-leg.ts's MediaPrefs). */
export interface CallMediaPrefs {
  codecs: CodecName[];
  telephoneEvent: boolean;
  ptimeMs?: number;
  srtp?: 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';
}

/**
 * What an actor needs of a media leg: the subset of media-leg.ts's MediaLeg it uses. MediaLeg
 * satisfies it structurally; tests may pass any other implementation.
 */
export interface CallMedia {
  readonly name: string;
  prefs: CallMediaPrefs;
  createOffer(direction?: SdpDirection): string;
  acceptOffer(
    offerSdp: string,
    direction?: SdpDirection,
  ): { ok: true; answer: string } | { ok: false; reason: string };
  acceptAnswer(
    answerSdp: string,
    opts?: { preview?: boolean; final?: boolean },
  ): { ok: true } | { ok: false; reason: string };
  /** The offer outstanding is answered by the preview already applied (MediaLeg.settleOffer). */
  settleOffer?(): void;
  readonly negotiated?:
    | {
        codec: CodecName;
        payloadType: number;
        telephoneEventPt?: number;
        /** The number telephone-events arrive with, where the answer renumbered them (else telephoneEventPt). */
        telephoneEventRxPt?: number;
        remote: { address: string; port: number };
        direction: SdpDirection;
        srtpSuite?: string;
        /** Packetisation used for sending, ms. */
        ptimeMs?: number;
      }
    | undefined;
  /** Audio packets received per codec since the last negotiation or clearReceived (MediaLeg.receivedSinceNegotiated). */
  receivedSinceNegotiated?(): Record<string, number>;
  play(source: CallAudioSource): void;
  stopPlaying(): void;
  sendDtmf(digit: string, mode: 'rfc2833' | 'inband', durationMs?: number): Promise<void>;
  readonly dtmfReceived: Array<{
    digit: string;
    mode: 'rfc2833' | 'inband';
    atMs: number;
    durationMs: number;
  }>;
  receivedAudio(): { sampleRate: number; samples: Int16Array };
  /** Decoded audio as it arrives (MediaLeg.onAudio); returns the unsubscribe function. */
  onAudio?(listener: (pcm: Int16Array, sampleRate: number) => void): () => void;
  /** Each audio payload as it arrives, before decoding (MediaLeg.onPayload). */
  onPayload?(listener: (codec: string, payload: Uint8Array) => void): () => void;
  /** Each audio payload as it is sent (MediaLeg.onSentPayload). */
  onSentPayload?(listener: (codec: string, payload: Uint8Array) => void): () => void;
  clearReceived(): void;
  stats(): {
    sent: number;
    received: number;
    lost: number;
    jitterMs: number;
    /** Packets of the source `jitterMs` was estimated on (MediaLegStats.jitterPackets). */
    jitterPackets?: number;
    codecs: string[];
    /** Datagrams our socket refused or failed to send (MediaLegStats.sendFailures), and the last code. */
    sendFailures?: number;
    sendFailure?: string;
    /** Datagrams that could not go where the far side's SDP said (MediaLegStats.unreachable), and the last detail. */
    unreachable?: number;
    unreachableDetail?: string;
  };
  /** Audio time received so far, ms, whatever the packet size (MediaLeg.audioReceivedMs). */
  audioReceivedMs?(): number;
  evidence(): PacketRecord[];
  /**
   * The arrival of every RTP datagram the leg received, for the whole call (MediaLeg.receivedRtp);
   * without it the call invariants read the received RTP of `evidence()`.
   */
  receivedRtp?(): RtpArrivals;
  /** Lets go of the arrivals of {@link receivedRtp} (MediaLeg.releaseArrivals). */
  releaseArrivals?(): void;
  /**
   * True when this leg sent silence, and only silence, from the first time to the second (ms,
   * the evidence's clock): MediaLeg.sentSilenceThroughout. Lets the call invariants tell silence
   * the SBC suppressed from media that stopped.
   */
  sentSilenceThroughout?(fromMs: number, toMs: number): boolean;
  /** Whether the leg sent audible audio or an event between two times: MediaLeg.sentSoundBetween. */
  sentSoundBetween?(fromMs: number, toMs: number): boolean;
  close(): Promise<void>;
}

/** Opens a media leg (MediaLeg.open in real runs). */
export type MediaFactory = (opts: {
  localAddress: string;
  prefs: CallMediaPrefs;
  name?: string;
}) => Promise<CallMedia>;

export type CallState = 'calling' | 'ringing' | 'established' | 'ended' | 'failed';

/** A DTMF digit carried in a SIP INFO, sent or received. */
export interface InfoDtmfRecord {
  digit: string;
  durationMs?: number;
  atMs: number;
  /** Status we answered (received) or got back (sent). */
  status: number;
}

/** What the actor answers to an INFO carrying DTMF: the status, and whether the digit counts. */
export type InfoPolicy = (digit: string) => { status: number; accept: boolean };

export interface CallEvents {
  ringing: [];
  established: [];
  ended: [by: 'local' | 'remote' | 'failure'];
  /** We begin to end the call: our BYE, our CANCEL or our rejection (before the far side knows). */
  releasing: [how: 'bye' | 'cancel' | 'reject'];
  failed: [status: number];
  /** A DTMF digit accepted from an INFO. */
  'info-dtmf': [digit: string, durationMs: number | undefined];
  /** The peer changed the media direction by re-INVITE (e.g. put us on hold). */
  'remote-direction': [direction: SdpDirection];
  /** A REFER arrived; the listener answers `tx` (202/403...). Without a listener: 403. */
  refer: [SipRequest, ServerTransaction];
  notify: [SipRequest];
}

/** Who the call is with, from the INVITE's headers. */
export interface CallParty {
  uri: string;
  user?: string;
  displayName?: string;
}

/** The party a From, To or P-Asserted-Identity header value names (its URI as written when it does not parse). */
export function partyOf(value: string | undefined): CallParty | undefined {
  if (!value) return undefined;
  const na = parseNameAddr(value);
  if (!na.ok) return { uri: value };
  const u = na.value.uri;
  const user = 'user' in u ? u.user : 'number' in u ? u.number : undefined;
  return {
    uri: 'text' in u ? u.text : value,
    ...(user !== undefined ? { user } : {}),
    ...(na.value.displayName !== undefined ? { displayName: na.value.displayName } : {}),
  };
}

let callSeq = 0;

/** One SIP call with its media leg. Created by {@link Call.outgoing} or {@link Call.incoming}. */
export class Call extends EventEmitter<CallEvents> {
  readonly id = `call-${++callSeq}`;
  state: CallState;
  dialog: Dialog | undefined;
  /** Final status of the INVITE (200, 486, 487, 408...), once known. */
  status: number | undefined;
  /** Our media direction as last offered/answered (sendonly while we hold). */
  localDirection: SdpDirection = 'sendrecv';
  /** The peer's direction from its last SDP. */
  remoteDirection: SdpDirection = 'sendrecv';
  readonly infoReceived: InfoDtmfRecord[] = [];
  readonly infoSent: InfoDtmfRecord[] = [];
  /** Bad or unexpected in-dialog input (unparsable SDP or INFO bodies): counted, never thrown. */
  badInput = 0;
  /** INFO answer policy; default: 200 and accept. */
  infoPolicy: InfoPolicy = () => ({ status: 200, accept: true });
  /** The INVITE that set this call up (sent or received). */
  invite: SipRequest | undefined;
  /** The 2xx that answered our INVITE (outgoing calls). */
  answerResponse: SipResponse | undefined;
  /**
   * The final response to our INVITE as it arrived (outgoing calls); undefined while none has,
   * and when the status is the stack's own (408 for no answer, 503 for a transport error).
   */
  finalResponse: SipResponse | undefined;
  /** The SDP of the ACK of our 2xx (incoming calls), once it came: the answer to a late offer of ours. */
  ackSdp: string | undefined;
  /**
   * Awaited by {@link hangup} before the BYE of an established call (its failure is ignored):
   * set by whoever follows the call, e.g. the plan's runner, which sends a short tone first
   * (harness/runner/hang-up-probe.ts). Unset, or returning undefined: the BYE goes at once.
   */
  beforeHangUp: (() => Promise<void> | undefined) | undefined;
  /** Our BYE (and what {@link beforeHangUp} does first), once {@link hangup} started it. */
  private byeOnItsWay: Promise<RequestOutcome | undefined> | undefined;
  private endWaiters: Array<() => void> = [];
  private establishWaiters: Array<(ok: boolean) => void> = [];
  private lastAppliedAnswer: string | undefined;
  /** The last SDP applied was an unreliable provisional's (a preview: the offer still waits). */
  private lastAnswerWasPreview = false;
  /** The first SDP of a reliable provisional response to our INVITE (outgoing calls). */
  private earlyAnswer: string | undefined;
  private incoming: IncomingInvite | undefined;
  /** Our 2xx is on its way (waiting for the ACK): ringing no longer ends by {@link limitRinging}. */
  private answering = false;
  private outgoingInvite: OutgoingInvite | undefined;

  private constructor(
    readonly ua: UserAgent,
    readonly media: CallMedia,
    readonly direction: 'incoming' | 'outgoing',
    readonly clockNow: () => number,
  ) {
    super();
    this.state = direction === 'incoming' ? 'ringing' : 'calling';
  }

  /** The other side as the INVITE names it (From for incoming calls, To for outgoing ones). */
  get remoteParty(): CallParty | undefined {
    return partyOf(this.invite?.get(this.direction === 'incoming' ? 'from' : 'to'));
  }

  /**
   * The far side's SDP that set the session up. For a call we placed: the 2xx's answer, or,
   * when the 2xx has none, the answer that came before it in a provisional response (a reliable
   * 183, RFC 3262; RFC 3261 §13.2.1 needs no SDP in the 2xx then). For a call we took: the
   * INVITE's offer, or, for an INVITE without one, the answer in the ACK (RFC 3264 §4).
   */
  get setupSdp(): string | undefined {
    if (this.direction === 'outgoing') {
      const r = this.answerResponse;
      return r && r.body.length > 0 ? r.bodyText : this.earlyAnswer;
    }
    const inv = this.invite;
    return inv && inv.body.length > 0 ? inv.bodyText : this.ackSdp;
  }

  /** P-Asserted-Identity of the INVITE, if any. */
  get assertedIdentity(): CallParty | undefined {
    return partyOf(this.invite?.get('p-asserted-identity'));
  }

  /** The user part of the Request-URI of the INVITE. */
  get requestUser(): string | undefined {
    const u = this.invite?.parsedUri;
    if (!u) return undefined;
    return 'user' in u ? u.user : 'number' in u ? u.number : undefined;
  }

  /** Sends an INVITE with our offer. The call fails (state 'failed') on a final non-2xx. */
  static outgoing(ua: UserAgent, media: CallMedia, spec: Omit<InviteSpec, 'method' | 'body'>): Call {
    const call = new Call(ua, media, 'outgoing', () => ua.clock.now());
    const offer = media.createOffer('sendrecv');
    const inv = ua.invite({ ...spec, method: 'INVITE', body: offer, contentType: 'application/sdp' });
    call.outgoingInvite = inv;
    call.invite = inv.request;
    inv.on('response', (res) => {
      call.invite = inv.request;
      if (res.status > 100 && res.status < 200) {
        if (call.state === 'calling') {
          call.state = 'ringing';
          call.emit('ringing');
        }
        if (res.body.length > 0) {
          // Only a reliable provisional's SDP is an answer (RFC 3262; RFC 3261 §13.2.1); an
          // unreliable one's is applied as a preview, the offer still waiting for the answer.
          const reliable = res.tokens('require').includes('100rel');
          if (reliable) call.earlyAnswer ??= res.bodyText;
          call.applyAnswer(res.bodyText, !reliable);
        }
      }
    });
    void inv.result.then((out) => {
      call.status = out.status;
      call.finalResponse = out.response;
      if (out.dialog && out.status < 300) {
        call.answerResponse = out.response;
        if (out.response && out.response.body.length > 0)
          call.applyAnswer(out.response.bodyText, false, true);
        call.attach(out.dialog);
        call.setEstablished();
      } else call.setFailed(out.status);
    });
    return call;
  }

  /** Wraps a received INVITE. The actor then rings, answers or rejects it. */
  static incoming(ua: UserAgent, media: CallMedia, inv: IncomingInvite): Call {
    const call = new Call(ua, media, 'incoming', () => ua.clock.now());
    call.incoming = inv;
    call.invite = inv.request;
    inv.on('cancelled', () => {
      call.status = 487;
      call.setFailed(487);
    });
    return call;
  }

  /** 180 Ringing (incoming calls). */
  ring(): void {
    if (this.state === 'ringing') this.incoming?.ring();
  }

  /** Answers with our SDP; resolves true once the ACK arrived. False when it could not answer. */
  async answer(): Promise<boolean> {
    const inv = this.incoming;
    if (!inv || this.state !== 'ringing' || inv.cancelled) return false;
    let body: string;
    if (inv.offer) {
      const r = this.media.acceptOffer(inv.offer, 'sendrecv');
      if (!r.ok) {
        this.badInput++;
        this.reject(488);
        return false;
      }
      body = r.answer;
    } else body = this.media.createOffer('sendrecv');
    try {
      this.answering = true;
      const d = await inv.answer(body);
      if (inv.ack && inv.ack.body.length > 0) this.ackSdp = inv.ack.bodyText;
      // A late offer (ours, in the 2xx): the answer is in the ACK.
      if (!inv.offer && this.ackSdp !== undefined) this.applyAnswer(this.ackSdp);
      this.status = 200;
      this.attach(d);
      this.setEstablished();
      return true;
    } catch {
      this.setFailed(408);
      return false;
    }
  }

  /** Rejects an incoming call (486 Busy Here, 603 Decline, 480...). */
  reject(status: number): void {
    if (!this.incoming || this.state !== 'ringing') return;
    this.emit('releasing', 'reject');
    this.incoming.reject(status);
    this.status = status;
    this.setFailed(status);
  }

  /**
   * Gives up ringing after `ms` (nobody answers: like Timer C of RFC 3261 16.7 or a PSTN
   * no-answer timer): a call still ringing then, and not being answered, is rejected with
   * `status` (480 Temporarily Unavailable by default). No limit for `ms` <= 0 or not finite.
   */
  limitRinging(ms: number, status = 480): void {
    if (this.direction !== 'incoming' || !(ms > 0) || !Number.isFinite(ms) || this.state !== 'ringing')
      return;
    const t = this.ua.clock.setTimeout(() => {
      if (this.state === 'ringing' && !this.answering) this.reject(status);
    }, ms);
    void this.ended().then(() => t.cancel());
  }

  /** Cancels an outgoing call that is not answered yet. */
  cancel(): void {
    if (this.state === 'calling' || this.state === 'ringing') {
      this.emit('releasing', 'cancel');
      this.outgoingInvite?.cancel();
    }
  }

  /**
   * Ends the call: BYE when established, CANCEL/487 before. Resolves with the BYE's outcome when
   * one was sent (its status is the stack's own 408 or 503 when no final response arrived).
   */
  async hangup(): Promise<RequestOutcome | undefined> {
    if (this.state === 'established' && this.dialog) {
      // One BYE, however often hangup is called while it is on its way (or while beforeHangUp runs).
      this.byeOnItsWay ??= this.sendBye();
      return this.byeOnItsWay;
    }
    if (this.direction === 'outgoing') this.cancel();
    else this.reject(480);
    return undefined;
  }

  private async sendBye(): Promise<RequestOutcome | undefined> {
    let first: Promise<void> | undefined;
    try {
      first = this.beforeHangUp?.();
    } catch {
      first = undefined; // the hook's failure never keeps the BYE back
    }
    if (first) {
      await first.catch(() => undefined);
      // The far side may have ended the call meanwhile.
      if (this.state !== 'established' || !this.dialog) return undefined;
    }
    const dialog = this.dialog;
    if (!dialog) return undefined;
    this.emit('releasing', 'bye');
    const out = await this.ua.bye(dialog).catch(() => undefined);
    this.setEnded('local');
    return out;
  }

  /** Resolves true when established, false when the call failed or ended first. */
  established(): Promise<boolean> {
    if (this.state === 'established') return Promise.resolve(true);
    if (this.state === 'ended' || this.state === 'failed') return Promise.resolve(false);
    return new Promise((resolve) => this.establishWaiters.push(resolve));
  }

  /** Resolves when the call has ended or failed. */
  ended(): Promise<void> {
    if (this.state === 'ended' || this.state === 'failed') return Promise.resolve();
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  /**
   * Sends a re-INVITE with our offer in `direction` (sendonly = hold, sendrecv = resume).
   * Returns the final status.
   */
  async reinvite(direction: SdpDirection): Promise<number> {
    if (this.state !== 'established' || !this.dialog) return 481;
    let offer = this.media.createOffer(direction);
    let out = await this.ua.reinvite(this.dialog, offer);
    // Glare with a re-INVITE of the other side (an SBC may send its own at any time): retry
    // after the wait RFC 3261 §14.1 gives, 2.1-4 s for the Call-ID's owner, 0-2 s otherwise.
    for (let retry = 0; retry < REINVITE_GLARE_RETRIES && out.status === 491; retry++) {
      const ownerMs = this.direction === 'outgoing' ? 2100 + Math.random() * 1900 : Math.random() * 2000;
      await new Promise<void>((r) => this.ua.clock.setTimeout(r, Math.round(ownerMs / 10) * 10));
      if (this.state !== 'established' || !this.dialog) return 481;
      offer = this.media.createOffer(direction);
      out = await this.ua.reinvite(this.dialog, offer);
    }
    if (out.status >= 200 && out.status < 300) {
      this.localDirection = direction;
      if (out.response && out.response.body.length > 0) {
        const r = this.media.acceptAnswer(out.response.bodyText);
        if (!r.ok) this.badInput++;
        this.lastAppliedAnswer = out.response.bodyText;
        this.remoteDirection = this.media.negotiated?.direction ?? this.remoteDirection;
      }
    }
    return out.status;
  }

  /** Puts the peer on hold (a=sendonly) and plays `music` (music on hold) until resumed. */
  async hold(music?: CallAudioSource): Promise<number> {
    const status = await this.reinvite('sendonly');
    if (status >= 200 && status < 300 && music) this.media.play(music);
    return status;
  }

  /** Takes the peer off hold: stops the music, re-INVITE with a=sendrecv. */
  async resume(): Promise<number> {
    this.media.stopPlaying();
    return this.reinvite('sendrecv');
  }

  /**
   * Sends one DTMF digit in `mode`. 'info' is a SIP INFO (application/dtmf-relay); the others
   * go through the media leg. Resolves with the INFO's status (or 200 for media modes).
   */
  async sendDtmf(digit: string, mode: CallDtmfMode, durationMs = 160): Promise<number> {
    if (!isDtmfDigit(digit)) return 400;
    if (mode !== 'info') {
      await this.media.sendDtmf(digit, mode, durationMs);
      return 200;
    }
    if (this.state !== 'established' || !this.dialog) return 481;
    const out = await this.ua.requestInDialog(this.dialog, 'INFO', {
      body: buildDtmfRelayBody(digit, durationMs),
      contentType: DTMF_RELAY_CONTENT_TYPE,
    });
    this.infoSent.push({ digit, durationMs, atMs: this.clockNow(), status: out.status });
    return out.status;
  }

  /**
   * Applies an SDP answer to our offer; `preview`: an unreliable provisional's, which a later
   * answer may replace (MediaLeg.acceptAnswer). The answer repeating what was applied changes
   * nothing on the wire; a preview repeated by the answer only settles the offer.
   */
  private applyAnswer(sdp: string, preview = false, final = false): void {
    if (sdp === this.lastAppliedAnswer) {
      if (this.lastAnswerWasPreview && !preview) {
        this.media.settleOffer?.();
        this.lastAnswerWasPreview = false;
      }
      return;
    }
    const r = this.media.acceptAnswer(sdp, preview ? { preview } : final ? { final } : {});
    if (!r.ok) {
      this.badInput++;
      return;
    }
    this.lastAppliedAnswer = sdp;
    this.lastAnswerWasPreview = preview;
  }

  private attach(d: Dialog): void {
    this.dialog = d;
    d.on('request', (req, tx) => this.onRequest(req, tx));
    d.once('terminated', (by) => this.setEnded(by));
    if (d.state === 'terminated') this.setEnded('failure');
  }

  private onRequest(req: SipRequest, tx: ServerTransaction): void {
    switch (req.method) {
      case 'INVITE':
        this.onReinvite(req, tx);
        return;
      case 'UPDATE':
        this.onUpdate(req, tx);
        return;
      case 'INFO':
        this.onInfo(req, tx);
        return;
      case 'REFER':
        if (this.listenerCount('refer') > 0) this.emit('refer', req, tx);
        else tx.respond(createResponse(req, 403));
        return;
      case 'NOTIFY':
        tx.respond(createResponse(req, 200));
        this.emit('notify', req);
        return;
      case 'OPTIONS':
        tx.respond(createResponse(req, 200));
        return;
      default:
        tx.respond(createResponse(req, 501));
    }
  }

  private onReinvite(req: SipRequest, tx: ServerTransaction): void {
    const d = this.dialog;
    if (!d) {
      tx.respond(createResponse(req, 481));
      return;
    }
    const contact: [string, string] = ['Contact', d.localContact];
    if (req.body.length > 0) {
      const r = this.media.acceptOffer(req.bodyText, this.localDirection);
      if (!r.ok) {
        this.badInput++;
        tx.respond(createResponse(req, 488, { headers: [contact] }));
        return;
      }
      const res = createResponse(req, 200, {
        headers: [contact],
        body: r.answer,
        contentType: 'application/sdp',
      });
      d.localSdp = r.answer;
      tx.respond(res);
      this.ua.retransmit2xxUntilAck(d, tx, res).catch(() => undefined);
      const dir = this.media.negotiated?.direction;
      this.noteRemoteOffer(req.bodyText, dir);
      return;
    }
    // An offerless re-INVITE: we offer in the 2xx, the answer comes in the ACK.
    const offer = this.media.createOffer(this.localDirection);
    const res = createResponse(req, 200, { headers: [contact], body: offer, contentType: 'application/sdp' });
    d.localSdp = offer;
    tx.respond(res);
    this.ua
      .retransmit2xxUntilAck(d, tx, res)
      .then((ack) => {
        if (ack.body.length === 0) return;
        this.applyAnswer(ack.bodyText);
        // The answer's direction is the peer's, as an offer's would be: a hold told this way.
        this.noteRemoteOffer(ack.bodyText, this.media.negotiated?.direction);
      })
      .catch(() => undefined);
  }

  /**
   * An UPDATE (RFC 3311): a session refresh without SDP is accepted as is; one with an offer is
   * answered in the 2xx (RFC 3311 §5.2), like a re-INVITE but without an ACK.
   */
  private onUpdate(req: SipRequest, tx: ServerTransaction): void {
    const d = this.dialog;
    const contact: [string, string] = ['Contact', d?.localContact ?? ''];
    if (!d || req.body.length === 0) {
      tx.respond(createResponse(req, d ? 200 : 481, { headers: [contact] }));
      return;
    }
    const r = this.media.acceptOffer(req.bodyText, this.localDirection);
    if (!r.ok) {
      this.badInput++;
      tx.respond(createResponse(req, 488, { headers: [contact] }));
      return;
    }
    d.localSdp = r.answer;
    tx.respond(
      createResponse(req, 200, { headers: [contact], body: r.answer, contentType: 'application/sdp' }),
    );
    this.noteRemoteOffer(req.bodyText, this.media.negotiated?.direction);
  }

  private noteRemoteOffer(sdp: string, _ourDirection: SdpDirection | undefined): void {
    const m = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(sdp);
    const held = /^c=IN IP4 0\.0\.0\.0\s*$/m.test(sdp);
    const dir: SdpDirection = held ? 'sendonly' : ((m?.[1] as SdpDirection | undefined) ?? 'sendrecv');
    if (dir !== this.remoteDirection) {
      this.remoteDirection = dir;
      this.emit('remote-direction', dir);
    }
  }

  private onInfo(req: SipRequest, tx: ServerTransaction): void {
    const ct = req.get('content-type') ?? '';
    const parsed = parseSipInfoDtmf(ct, req.body);
    if (!parsed.ok) {
      // Not DTMF (or garbage): count it, accept per RFC 6086 when the type is unknown to us.
      this.badInput++;
      tx.respond(createResponse(req, ct ? 415 : 200));
      return;
    }
    const { digit, durationMs } = parsed.value;
    const verdict = this.infoPolicy(digit);
    tx.respond(createResponse(req, verdict.status));
    this.infoReceived.push({
      digit,
      ...(durationMs !== undefined ? { durationMs } : {}),
      atMs: this.clockNow(),
      status: verdict.status,
    });
    if (verdict.accept && verdict.status < 300) this.emit('info-dtmf', digit, durationMs);
  }

  private setEstablished(): void {
    // An ended or failed call stays so (its dialog can be over when the INVITE settles: a 2xx
    // that crossed a BYE in its early dialog is ACKed and ended at once).
    if (this.state === 'established' || this.state === 'ended' || this.state === 'failed') return;
    this.state = 'established';
    this.emit('established');
    for (const w of this.establishWaiters.splice(0)) w(true);
  }

  private setFailed(status: number): void {
    if (this.state === 'ended' || this.state === 'failed') return;
    this.state = 'failed';
    this.status = status;
    this.emit('failed', status);
    this.finish();
  }

  private setEnded(by: 'local' | 'remote' | 'failure'): void {
    if (this.state === 'ended' || this.state === 'failed') return;
    this.state = 'ended';
    this.emit('ended', by);
    this.finish();
  }

  private finish(): void {
    // The transactions are over: keep the INVITE (cases read it), not what answered it.
    this.incoming = undefined;
    this.outgoingInvite = undefined;
    this.media.stopPlaying();
    void this.media.close().catch(() => undefined);
    for (const w of this.establishWaiters.splice(0)) w(false);
    for (const w of this.endWaiters.splice(0)) w();
  }
}
