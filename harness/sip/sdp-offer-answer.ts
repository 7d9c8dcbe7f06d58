/**
 * RFC 3264 offer/answer: building offers from local preferences, answering offers (§6), and
 * keeping the o= line right across a dialog (§8: same sess-id, version +1 only when the SDP changes).
 *
 * {@link SdpEndpoint} is the stateful entry point (one per dialog side); {@link buildOffer} and
 * {@link buildAnswer} are the pure functions underneath.
 */

import {
  buildSdp,
  effectiveDirection,
  isNullConnection,
  mediaConnection,
  type SdpConnection,
  type SdpCrypto,
  type SdpCryptoKey,
  type SdpDirection,
  type SdpFormat,
  type SdpMedia,
  type SdpSession,
} from './sdp.ts';
import {
  type CodecPref,
  formatMatches,
  isAuxiliaryFormat,
  prefFormatInfo,
  STATIC_PAYLOAD_TYPES,
  staticPayloadType,
  toCodecPref,
} from './sdp-codecs.ts';
import { generateCryptoKey, isUsableCrypto, type RandomBytes, SRTP_SUITES } from './sdp-crypto.ts';

/** RFC 4733 telephone-event preference. */
export interface TelephoneEventPref {
  /** Payload type used in offers (default 101). In answers the offer's PT is always reused. */
  pt?: number;
  /** Events we support, fmtp syntax (default "0-16"). */
  events?: string;
  /** Clock rate (default 8000). */
  clockRate?: number;
}

/** Local preferences for one stream. */
export interface LocalMediaPrefs {
  /** Media type (default "audio"). */
  type?: string;
  port: number;
  /** Media-level c= address; when absent the session address applies. */
  address?: string;
  /** Codecs in order of preference ("PCMA", or { name: 'G729', fmtp: 'annexb=no' }). */
  codecs: readonly (string | CodecPref)[];
  /** DTMF via RFC 4733; `false` disables it. Default { pt: 101, events: '0-16' }. */
  telephoneEvent?: TelephoneEventPref | false;
  ptime?: number;
  maxptime?: number;
  /** Direction we want (default sendrecv). */
  direction?: SdpDirection;
  /** Signal hold the RFC 2543 way: c=0.0.0.0 on this stream. */
  nullConnectionHold?: boolean;
  /**
   * SDES-SRTP. Offers use RTP/SAVP with one a=crypto per suite. Answers accept RTP/SAVP offers
   * with one of these suites; `required` also rejects RTP/AVP offers.
   */
  srtp?: { suites: readonly string[]; required?: boolean };
  rtcpMux?: boolean;
  /** a=silenceSupp value, e.g. "off - - - -". */
  silenceSupp?: string;
  /** Extra a= lines, verbatim without "a=". */
  attributes?: readonly string[];
}

/** Local preferences for a whole session. */
export interface LocalSdpPrefs {
  /** Our address: o= and session c=. */
  address: string;
  /** o= username (default "-"). */
  username?: string;
  /** s= (default "sbc-harness"). */
  sessionName?: string;
  media: readonly LocalMediaPrefs[];
}

/** How the answerer orders common codecs. */
export type AnswerCodecOrder = 'answerer' | 'offerer';

/** Answer options. */
export interface AnswerOptions {
  /** 'answerer' (default): our preference order; 'offerer': the offer's order. */
  order?: AnswerCodecOrder;
  /** Keep at most this many audio codecs (telephone-event and CN are not counted). */
  maxCodecs?: number;
  /** Key source for SDES keys: (m-line index, suite) → key. */
  cryptoKey?: (index: number, suite: string) => SdpCryptoKey | undefined;
}

/** Outcome of one offered stream. */
export interface AnswerMediaOutcome {
  index: number;
  accepted: boolean;
  reason?: string;
}

/** The answer and why each stream was accepted or rejected. */
export interface AnswerResult {
  answer: SdpSession;
  media: AnswerMediaOutcome[];
  /** False when every stream was rejected (the caller should then answer 488). */
  acceptable: boolean;
}

function addrType(address: string): 'IP4' | 'IP6' {
  return address.includes(':') ? 'IP6' : 'IP4';
}

function conn(address: string): SdpConnection {
  return { addrType: addrType(address), address };
}

function nullConn(address: string): SdpConnection {
  return addrType(address) === 'IP6'
    ? { addrType: 'IP6', address: '::' }
    : { addrType: 'IP4', address: '0.0.0.0' };
}

function canSend(d: SdpDirection): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

function canRecv(d: SdpDirection): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

function fromFlags(send: boolean, recv: boolean): SdpDirection {
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}

/**
 * The direction to answer (RFC 3264 §6.1): sendonly→recvonly, recvonly→sendonly,
 * inactive→inactive, sendrecv→our preference; always narrowed by what we allow.
 */
export function answerDirection(offered: SdpDirection, local: SdpDirection): SdpDirection {
  return fromFlags(canRecv(offered) && canSend(local), canSend(offered) && canRecv(local));
}

function emptySession(prefs: LocalSdpPrefs): SdpSession {
  return {
    origin: {
      username: prefs.username ?? '-',
      sessionId: '0',
      sessionVersion: '0',
      addrType: addrType(prefs.address),
      address: prefs.address,
    },
    name: prefs.sessionName ?? 'sbc-harness',
    connection: conn(prefs.address),
    timing: { start: 0, stop: 0 },
    bandwidth: [],
    attributes: [],
    media: [],
  };
}

function applyCommon(m: SdpMedia, lp: LocalMediaPrefs): void {
  if (lp.nullConnectionHold) m.connection = nullConn(lp.address ?? '0.0.0.0');
  else if (lp.address !== undefined) m.connection = conn(lp.address);
  if (lp.ptime !== undefined) m.ptime = lp.ptime;
  if (lp.maxptime !== undefined) m.maxptime = lp.maxptime;
  if (lp.silenceSupp !== undefined) m.silenceSupp = lp.silenceSupp;
  m.attributes.push(...(lp.attributes ?? []));
}

function isTelephoneEvent(name: string): boolean {
  return name.toLowerCase() === 'telephone-event';
}

function parseEvents(list: string): Set<number> {
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const m = /^\s*(\d{1,3})(?:\s*-\s*(\d{1,3}))?\s*$/.exec(part);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = Math.min(255, m[2] === undefined ? lo : Number(m[2]));
    for (let e = lo; e <= hi; e++) out.add(e);
  }
  return out;
}

/**
 * Intersection of two RFC 4733 event lists ("0-15,66"), written as ranges. An offer without
 * fmtp means events 0-15 (RFC 4733 §2.4.1). Undefined when nothing overlaps.
 */
export function intersectEvents(ours: string, theirs: string): string | undefined {
  const a = parseEvents(ours);
  const b = parseEvents(theirs);
  const common = [...a].filter((e) => b.has(e)).sort((x, y) => x - y);
  if (common.length === 0) return undefined;
  const ranges: string[] = [];
  let start = common[0] as number;
  let prev = start;
  for (const e of [...common.slice(1), -1]) {
    if (e === prev + 1) {
      prev = e;
      continue;
    }
    ranges.push(start === prev ? String(start) : `${start}-${prev}`);
    start = e;
    prev = e;
  }
  return ranges.join(',');
}

/** Offer media for one preference. Payload types: static where one exists, else pref.pt, else 96 upward. */
export function buildOfferMedia(
  lp: LocalMediaPrefs,
  key: (suite: string) => SdpCryptoKey | undefined,
): SdpMedia {
  const used = new Set<number>();
  const formats: SdpFormat[] = [];
  const pending: { pref: CodecPref; info: { clockRate: number; channels: number } }[] = [];
  for (const c of lp.codecs) {
    const pref = toCodecPref(c);
    if (isTelephoneEvent(pref.name)) continue;
    pending.push({ pref, info: prefFormatInfo(pref) });
  }
  const te = lp.telephoneEvent === false ? undefined : (lp.telephoneEvent ?? {});
  // Reserve explicit and static PTs first so dynamic ones do not collide.
  for (const { pref, info } of pending) {
    const pt = pref.pt ?? staticPayloadType(pref.name, info.clockRate, info.channels);
    if (pt !== undefined) used.add(pt);
  }
  const tePt = te ? (te.pt ?? 101) : undefined;
  if (tePt !== undefined) used.add(tePt);
  let next = 96;
  const nextDynamic = (): number => {
    while (used.has(next) && next < 127) next++;
    used.add(next);
    return next;
  };
  for (const { pref, info } of pending) {
    const spt = staticPayloadType(pref.name, info.clockRate, info.channels);
    const pt = pref.pt ?? spt ?? nextDynamic();
    const name =
      spt !== undefined && pref.pt === undefined
        ? (STATIC_PAYLOAD_TYPES.get(spt)?.name ?? pref.name)
        : pref.name;
    const f: SdpFormat = { pt, name, clockRate: info.clockRate, channels: info.channels, rtpmap: true };
    if (pref.fmtp !== undefined) f.fmtp = pref.fmtp;
    formats.push(f);
  }
  if (te && tePt !== undefined) {
    formats.push({
      pt: tePt,
      name: 'telephone-event',
      clockRate: te.clockRate ?? 8000,
      channels: 1,
      fmtp: te.events ?? '0-16',
      rtpmap: true,
    });
  }
  const crypto: SdpCrypto[] = [];
  for (const suite of lp.srtp?.suites ?? []) {
    if (!SRTP_SUITES.has(suite)) continue;
    const k = key(suite);
    if (k) crypto.push({ tag: crypto.length + 1, suite, keys: [k] });
  }
  const m: SdpMedia = {
    type: lp.type ?? 'audio',
    port: lp.port,
    protocol: lp.srtp ? 'RTP/SAVP' : 'RTP/AVP',
    formats,
    otherFormats: [],
    direction: lp.direction ?? 'sendrecv',
    crypto,
    rtcpMux: lp.rtcpMux ?? false,
    bandwidth: [],
    attributes: [],
  };
  applyCommon(m, lp);
  return m;
}

/** Builds an offer (origin left at sess-id/version "0"; {@link SdpEndpoint} stamps it). */
export function buildOffer(
  prefs: LocalSdpPrefs,
  cryptoKey: (index: number, suite: string) => SdpCryptoKey | undefined = (_i, s) => generateCryptoKey(s),
): SdpSession {
  const s = emptySession(prefs);
  s.media = prefs.media.map((lp, i) => buildOfferMedia(lp, (suite) => cryptoKey(i, suite)));
  return s;
}

function rejectMedia(om: SdpMedia): SdpMedia {
  return {
    type: om.type,
    port: 0,
    protocol: om.protocol,
    formats: om.formats.map((f) => ({
      pt: f.pt,
      name: f.name,
      clockRate: f.clockRate,
      channels: f.channels,
      rtpmap: f.rtpmap,
    })),
    otherFormats: [...om.otherFormats],
    crypto: [],
    rtcpMux: false,
    bandwidth: [],
    attributes: [],
  };
}

/** Answers one accepted-so-far stream, or says why it is rejected. */
function answerMedia(
  offer: SdpSession,
  om: SdpMedia,
  index: number,
  lp: LocalMediaPrefs,
  opts: AnswerOptions,
  keyFor: (index: number, suite: string) => SdpCryptoKey | undefined,
): SdpMedia | string {
  const proto = om.protocol.toUpperCase();
  if (proto !== 'RTP/AVP' && proto !== 'RTP/SAVP') return `unsupported protocol ${om.protocol}`;
  let crypto: SdpCrypto[] = [];
  if (proto === 'RTP/SAVP') {
    if (!lp.srtp) return 'RTP/SAVP offered but SRTP is not enabled locally';
    const suites = lp.srtp.suites;
    const chosen = om.crypto.find((c) => suites.includes(c.suite) && isUsableCrypto(c));
    if (!chosen) return 'no offered crypto suite is supported';
    const k = keyFor(index, chosen.suite);
    if (!k) return `cannot generate a key for ${chosen.suite}`;
    crypto = [{ tag: chosen.tag, suite: chosen.suite, keys: [k] }];
  } else if (lp.srtp?.required) {
    return 'RTP/AVP offered but SRTP is required locally';
  }

  const localCodecs = lp.codecs.map(toCodecPref).filter((p) => !isTelephoneEvent(p.name));
  const offered = om.formats.filter((f) => !isTelephoneEvent(f.name));
  const chosen: { f: SdpFormat; pref: CodecPref }[] = [];
  if ((opts.order ?? 'answerer') === 'answerer') {
    for (const pref of localCodecs) {
      const f = offered.find((x) => formatMatches(x, pref) && !chosen.some((c) => c.f.pt === x.pt));
      if (f) chosen.push({ f, pref });
    }
  } else {
    for (const f of offered) {
      const pref = localCodecs.find((p) => formatMatches(f, p));
      if (pref) chosen.push({ f, pref });
    }
  }
  let audio = chosen.filter((c) => !isAuxiliaryFormat(c.f.name));
  if (audio.length === 0) return 'no codec in common';
  if (opts.maxCodecs !== undefined && opts.maxCodecs >= 1) audio = audio.slice(0, opts.maxCodecs);
  const keep = chosen.filter((c) => audio.includes(c) || isAuxiliaryFormat(c.f.name));
  const formats: SdpFormat[] = keep.map(({ f, pref }) => {
    const out: SdpFormat = {
      pt: f.pt,
      name: f.name || pref.name,
      clockRate: f.clockRate,
      channels: f.channels,
      rtpmap: true,
    };
    const fmtp = pref.fmtp ?? f.fmtp;
    if (fmtp !== undefined) out.fmtp = fmtp;
    return out;
  });
  const te = lp.telephoneEvent === false ? undefined : (lp.telephoneEvent ?? {});
  if (te) {
    const rate = te.clockRate ?? 8000;
    const ote = om.formats.find((f) => isTelephoneEvent(f.name) && f.clockRate === rate);
    if (ote) {
      const fmtp = intersectEvents(te.events ?? '0-16', ote.fmtp ?? '0-15');
      if (fmtp !== undefined)
        formats.push({
          pt: ote.pt,
          name: ote.name,
          clockRate: ote.clockRate,
          channels: 1,
          fmtp,
          rtpmap: true,
        });
    }
  }

  let offeredDir = effectiveDirection(offer, om);
  if (isNullConnection(mediaConnection(offer, om))) offeredDir = fromFlags(canSend(offeredDir), false);
  const m: SdpMedia = {
    type: om.type,
    port: lp.port,
    protocol: om.protocol,
    formats,
    otherFormats: [],
    direction: answerDirection(offeredDir, lp.direction ?? 'sendrecv'),
    crypto,
    rtcpMux: om.rtcpMux && (lp.rtcpMux ?? false),
    bandwidth: [],
    attributes: [],
  };
  applyCommon(m, lp);
  return m;
}

/** Answers an offer per RFC 3264 §6 (origin left at "0"; {@link SdpEndpoint} stamps it). */
export function buildAnswer(offer: SdpSession, prefs: LocalSdpPrefs, opts: AnswerOptions = {}): AnswerResult {
  const answer = emptySession(prefs);
  const outcomes: AnswerMediaOutcome[] = [];
  const usedPrefs = new Set<number>();
  const keyFor = opts.cryptoKey ?? ((_i: number, s: string) => generateCryptoKey(s));
  offer.media.forEach((om, index) => {
    let result: SdpMedia | string;
    if (om.port === 0) result = 'stream disabled in the offer (port 0)';
    else {
      const pi = prefs.media.findIndex((lp, i) => !usedPrefs.has(i) && (lp.type ?? 'audio') === om.type);
      if (pi < 0) result = `no local ${om.type} stream`;
      else {
        usedPrefs.add(pi);
        result = answerMedia(offer, om, index, prefs.media[pi] as LocalMediaPrefs, opts, keyFor);
      }
    }
    if (typeof result === 'string') {
      answer.media.push(rejectMedia(om));
      outcomes.push({ index, accepted: false, reason: result });
    } else {
      answer.media.push(result);
      outcomes.push({ index, accepted: true });
    }
  });
  return { answer, media: outcomes, acceptable: outcomes.some((o) => o.accepted) };
}

/** Options of an {@link SdpEndpoint}. */
export interface SdpEndpointOptions {
  /** sess-id (default: derived from random bytes). */
  sessionId?: string;
  /** First sess-version (default "1"). */
  initialVersion?: string;
  /** Random source for SDES keys and sess-id (tests inject a deterministic one). */
  random?: RandomBytes;
  order?: AnswerCodecOrder;
  maxCodecs?: number;
}

/**
 * One side of an offer/answer exchange in a dialog. It keeps one sess-id, increments the
 * o= version only when the SDP it sends changes (RFC 3264 §8), and keeps SDES keys stable
 * per stream and suite so an unchanged re-offer is byte-identical.
 */
export class SdpEndpoint {
  prefs: LocalSdpPrefs;
  readonly sessionId: string;
  readonly #random: RandomBytes | undefined;
  readonly #opts: SdpEndpointOptions;
  readonly #keys = new Map<string, SdpCryptoKey>();
  #version: bigint | undefined;
  #lastText: string | undefined;
  #last: SdpSession | undefined;

  constructor(prefs: LocalSdpPrefs, opts: SdpEndpointOptions = {}) {
    this.prefs = prefs;
    this.#opts = opts;
    this.#random = opts.random;
    if (opts.sessionId !== undefined) this.sessionId = opts.sessionId;
    else {
      const b = Buffer.from(
        opts.random ? opts.random(6) : globalThis.crypto.getRandomValues(new Uint8Array(6)),
      );
      this.sessionId = String(b.readUIntBE(0, 6));
    }
  }

  #key = (index: number, suite: string): SdpCryptoKey | undefined => {
    const id = `${index}\u0000${suite}`;
    let k = this.#keys.get(id);
    if (!k) {
      k = generateCryptoKey(suite, this.#random);
      if (k) this.#keys.set(id, k);
    }
    return k ? { ...k } : undefined;
  };

  /** The last SDP this side produced (offer or answer), if any. */
  get lastSent(): SdpSession | undefined {
    return this.#last ? structuredClone(this.#last) : undefined;
  }

  #stamp(s: SdpSession): SdpSession {
    s.origin.sessionId = this.sessionId;
    if (this.#version === undefined) {
      this.#version = BigInt(this.#opts.initialVersion ?? '1');
    } else {
      s.origin.sessionVersion = String(this.#version);
      if (buildSdp(s) !== this.#lastText) this.#version += 1n;
    }
    s.origin.sessionVersion = String(this.#version);
    this.#lastText = buildSdp(s);
    this.#last = s;
    return structuredClone(s);
  }

  /** An offer (initial or re-offer) from the current preferences. */
  createOffer(): SdpSession {
    return this.#stamp(buildOffer(this.prefs, this.#key));
  }

  /** An answer to `offer` from the current preferences. */
  createAnswer(offer: SdpSession, opts: Omit<AnswerOptions, 'cryptoKey'> = {}): AnswerResult {
    const r = buildAnswer(offer, this.prefs, {
      order: opts.order ?? this.#opts.order,
      maxCodecs: opts.maxCodecs ?? this.#opts.maxCodecs,
      cryptoKey: this.#key,
    });
    return { ...r, answer: this.#stamp(r.answer) };
  }
}
