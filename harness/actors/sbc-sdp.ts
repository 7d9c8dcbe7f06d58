/**
 * SDP on the reference SBC's legs: the offers it makes on one side from what the other side
 * offered (per-side codec policy as order and filter, telephone-event, SDES-SRTP, fault
 * switches), its answers (preferring the codec the other leg already uses, so no
 * transcoding is needed when it can be avoided), and what a finished exchange means for the
 * media relay (codec, payload types, where to send, SRTP keys).
 */
import { type AudioCodec, type CodecName, codecByName } from '../../codecs/index.ts';
import {
  buildSdp,
  effectiveDirection,
  isNullConnection,
  type LocalMediaPrefs,
  mediaConnection,
  negotiate,
  parseSdp,
  type SdpDirection,
  SdpEndpoint,
  type SdpSession,
} from '../sip/index.ts';
import type { SbcMediaPolicy } from './sbc-config.ts';
import { faultOn, type SbcFaults } from './sbc-faults.ts';
import type { SbcSrtpKeys } from './sbc-media-endpoint.ts';
import type { SbcLegMedia, SbcSide } from './sbc-media-relay.ts';

/** What one leg's finished offer/answer settled. */
export interface SbcNegotiated {
  media: SbcLegMedia;
  remote?: { address: string; port: number };
  srtp?: SbcSrtpKeys;
  /** Direction of the peer's SDP (sendonly = the peer holds). */
  peerDirection: SdpDirection;
  /** Problems the negotiation found in the peer's SDP. */
  problems: string[];
}

/** The audio codecs of an SDP's first audio stream, in its order (plan codecs only). */
export function offeredCodecs(s: SdpSession | undefined): CodecName[] {
  const m = s?.media.find((x) => x.type === 'audio' && x.port !== 0);
  if (!m) return [];
  const out: CodecName[] = [];
  for (const f of m.formats) {
    const c = codecByName(f.name);
    if (c && !out.includes(c.name)) out.push(c.name);
  }
  return out;
}

/** The direction the peer's SDP asks for (c=0.0.0.0 counts as sendonly), sendrecv when absent. */
export function peerDirection(s: SdpSession | undefined): SdpDirection {
  const m = s?.media.find((x) => x.type === 'audio');
  if (!s || !m) return 'sendrecv';
  const d = effectiveDirection(s, m);
  if (isNullConnection(mediaConnection(s, m)))
    return d === 'sendrecv' || d === 'sendonly' ? 'sendonly' : 'inactive';
  return d;
}

/**
 * The codecs the SBC may use on a side: the policy list, without G.722 on the WAN with
 * force-narrowband, reversed with reorder-codecs, and only codecs that can be bridged to the
 * other leg: the same codec (relayed as is), or one this host transcodes when the other leg
 * has one it transcodes too.
 */
export function sideCodecs(
  side: SbcSide,
  policy: SbcMediaPolicy,
  faults: SbcFaults,
  otherOffered: readonly CodecName[],
  otherCodec?: CodecName,
): CodecName[] {
  // A codec can be bridged to the other leg when the other leg has it too (relayed as is), or
  // when this host transcodes it and the other leg has at least one codec this host transcodes.
  // (Without the second condition a provider offering only G.723.1 got an OXO offer of codecs
  // the SBC could never connect back to it.)
  const otherTranscodable =
    otherOffered.length === 0 || otherOffered.some((o) => codecByName(o)?.available());
  let list = policy.codecs.filter((c) => {
    if (side === 'wan' && c === 'G722' && faultOn(faults, 'force-narrowband')) return false;
    const codec = codecByName(c);
    if (!codec) return false;
    return otherOffered.includes(c) || (codec.available() && otherTranscodable);
  });
  if (faultOn(faults, 'reorder-codecs')) list = [...list].reverse();
  // Prefer the other leg's codec (no transcoding), except where a fault asks for transcoding.
  const keepOrder = side === 'lan' && faultOn(faults, 'force-narrowband');
  if (otherCodec && list.includes(otherCodec) && !keepOrder)
    list = [otherCodec, ...list.filter((c) => c !== otherCodec)];
  return list;
}

/** SDP state of one leg: its o= line across the dialog and its stable SDES keys. */
export class SbcLegSdp {
  readonly endpoint: SdpEndpoint;
  /** The last offer on this leg (ours or the peer's) and who made it. */
  pendingOffer: { sdp: SdpSession; ours: boolean } | undefined;

  constructor(
    readonly side: SbcSide,
    private readonly address: string,
    private port: number,
    private readonly policy: SbcMediaPolicy,
    private readonly faults: SbcFaults,
    /** Payload type of telephone-event in the offers this leg makes (personality te-pt-96: 96). */
    private readonly telephoneEventPt = 101,
  ) {
    this.endpoint = new SdpEndpoint({ address, username: 'sbc', sessionName: 'reference-sbc', media: [] });
  }

  private prefs(codecs: CodecName[], direction: SdpDirection, tePt?: number): LocalMediaPrefs {
    const te = this.policy.telephoneEvent && !faultOn(this.faults, 'strip-telephone-event');
    const p: LocalMediaPrefs = {
      port: this.port,
      codecs,
      telephoneEvent: te ? { pt: tePt ?? this.telephoneEventPt, events: '0-16' } : false,
      ptime: this.policy.ptimeMs,
      direction,
    };
    if (this.policy.srtp) p.srtp = { suites: [this.policy.srtp], required: true };
    return p;
  }

  /** Whether this leg may carry `codec` by its policy and faults (as a first offer would list it). */
  allows(codec: CodecName): boolean {
    return sideCodecs(this.side, this.policy, this.faults, [codec]).includes(codec);
  }

  /** Moves this leg's media to another local port (the next offer carries it). */
  setPort(port: number): void {
    this.port = port;
  }

  /**
   * An offer toward this leg with exactly these codecs (a re-offer that keeps the codec);
   * `tePt`: the telephone-event payload type to keep (the one negotiated), else this leg's own.
   */
  createOfferOnly(codecs: CodecName[], direction: SdpDirection = 'sendrecv', tePt?: number): string {
    this.endpoint.prefs = { ...this.endpoint.prefs, media: [this.prefs(codecs, direction, tePt)] };
    const sdp = this.endpoint.createOffer();
    this.pendingOffer = { sdp, ours: true };
    return buildSdp(sdp);
  }

  /** An offer toward this leg; `otherOffered` lists codecs the other leg can do as is. */
  createOffer(
    otherOffered: readonly CodecName[],
    direction: SdpDirection = 'sendrecv',
    otherCodec?: CodecName,
  ): string {
    const codecs = sideCodecs(this.side, this.policy, this.faults, otherOffered, otherCodec);
    this.endpoint.prefs = { ...this.endpoint.prefs, media: [this.prefs(codecs, direction)] };
    const sdp = this.endpoint.createOffer();
    this.pendingOffer = { sdp, ours: true };
    return buildSdp(sdp);
  }

  /**
   * Answers the peer's offer on this leg. `otherCodec` is what the other leg uses (preferred,
   * to avoid transcoding). Returns the SDP text or why nothing is acceptable.
   */
  answer(
    offerText: string,
    otherCodec: CodecName | undefined,
    direction: SdpDirection = 'sendrecv',
  ): { ok: true; answer: string; negotiated: SbcNegotiated } | { ok: false; reason: string } {
    const p = parseSdp(offerText);
    if (!p.ok) return { ok: false, reason: `bad SDP offer: ${p.error.reason}` };
    const codecs = sideCodecs(
      this.side,
      this.policy,
      this.faults,
      otherCodec ? [otherCodec] : [],
      otherCodec,
    );
    this.endpoint.prefs = { ...this.endpoint.prefs, media: [this.prefs(codecs, direction)] };
    const r = this.endpoint.createAnswer(p.value, { maxCodecs: 1 });
    if (!r.acceptable) return { ok: false, reason: r.media.map((m) => m.reason ?? '').join('; ') };
    const n = this.interpret(p.value, r.answer, false);
    if (!n) return { ok: false, reason: 'no usable codec in the answer' };
    this.pendingOffer = undefined;
    return { ok: true, answer: buildSdp(r.answer), negotiated: n };
  }

  /** Reads the peer's answer to our pending offer. */
  acceptAnswer(answerText: string): { ok: true; negotiated: SbcNegotiated } | { ok: false; reason: string } {
    const offer = this.pendingOffer?.ours ? this.pendingOffer.sdp : this.endpoint.lastSent;
    if (!offer) return { ok: false, reason: 'no offer outstanding' };
    const p = parseSdp(answerText);
    if (!p.ok) return { ok: false, reason: `bad SDP answer: ${p.error.reason}` };
    const n = this.interpret(offer, p.value, true);
    if (!n) return { ok: false, reason: 'the answer has no usable codec' };
    return { ok: true, negotiated: n };
  }

  private interpret(offer: SdpSession, answer: SdpSession, weOffered: boolean): SbcNegotiated | undefined {
    const neg = negotiate(offer, answer);
    const m = neg.media.find((x) => x.type === 'audio' && !x.rejected);
    // The relay sends and receives a format with one number: a format the answer renumbered
    // (negotiate's offerPt) is not taken, as before negotiate() kept such formats.
    if (m?.codec?.offerPt !== undefined) return undefined;
    if (m?.telephoneEvent?.offerPt !== undefined) delete m.telephoneEvent;
    if (!m?.codec) return undefined;
    const codec: AudioCodec | undefined = codecByName(m.codec.name);
    if (!codec) return undefined;
    const peer = weOffered ? m.answerer : m.offerer;
    const peerSdp = weOffered ? answer : offer;
    const peerMedia = peerSdp.media[m.index];
    const media: SbcLegMedia = {
      codec,
      payloadType: m.codec.pt,
      ptimeMs: peerMedia?.ptime ?? this.policy.ptimeMs,
      dtmf: this.policy.dtmf,
      infoFallback: this.policy.infoFallback,
      detectInband: this.policy.detectInband,
    };
    if (m.telephoneEvent && !faultOn(this.faults, 'strip-telephone-event'))
      media.telephoneEventPt = m.telephoneEvent.pt;
    const out: SbcNegotiated = {
      media,
      peerDirection: peer.direction,
      problems: [...neg.problems, ...m.problems],
    };
    if (peer.address && !isNullConnection({ addrType: 'IP4', address: peer.address }) && peer.port > 0)
      out.remote = { address: peer.address, port: peer.port };
    if (m.srtp) {
      const suite = m.srtp.suite as SbcSrtpKeys['suite'];
      out.srtp = weOffered
        ? { suite, localKey: m.srtp.offererKey.key, remoteKey: m.srtp.answererKey.key }
        : { suite, localKey: m.srtp.answererKey.key, remoteKey: m.srtp.offererKey.key };
    }
    return out;
  }
}

/** Parses SDP text, undefined when it is not SDP. */
export function parseOrUndefined(text: string | undefined): SdpSession | undefined {
  if (!text) return undefined;
  const p = parseSdp(text);
  return p.ok ? p.value : undefined;
}
