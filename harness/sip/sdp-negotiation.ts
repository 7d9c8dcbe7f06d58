/**
 * What an offer/answer exchange settled on, per stream: the codec in use, the telephone-event
 * payload type, each side's direction and hold state, the media flow, and the SRTP suite and
 * keys. Inconsistencies in the answer (a PT that was not offered, a crypto tag that was not
 * offered, a direction that is not allowed) are listed as problems, not thrown: they are
 * evidence about the device under test.
 */

import {
  effectiveDirection,
  isHold,
  isNullConnection,
  mediaConnection,
  type SdpCryptoKey,
  type SdpDirection,
  type SdpFormat,
  type SdpMedia,
  type SdpSession,
} from './sdp.ts';
import { isAuxiliaryFormat } from './sdp-codecs.ts';

/** One side of a negotiated stream, as its own SDP describes it. */
export interface NegotiatedSide {
  direction: SdpDirection;
  /** This side's SDP puts the other on hold (sendonly, inactive or c=0.0.0.0). */
  hold: boolean;
  /** Where this side wants to receive RTP. */
  address?: string;
  port: number;
}

/**
 * A format of the answer that was offered. `offerPt`: the offer's payload type for it, where the
 * answer renumbered it (RFC 3264 §6.1 asks for the same number with a SHOULD): each side then
 * receives it with the number its own SDP gave, and sends it with the other's.
 */
export type NegotiatedFormat = SdpFormat & { offerPt?: number };

/** The outcome of one m= line. */
export interface NegotiatedMedia {
  index: number;
  type: string;
  rejected: boolean;
  /** First format of the answer that carries audio/video and was offered. */
  codec?: NegotiatedFormat;
  /** Formats of the answer that were offered, in the answer's order. */
  formats: NegotiatedFormat[];
  /** `pt` is the answer's number, `offerPt` the offer's where the answer renumbered it. */
  telephoneEvent?: { pt: number; events?: string; offerPt?: number };
  offerer: NegotiatedSide;
  answerer: NegotiatedSide;
  /** Whether RTP is expected in each direction. */
  flow: { offererToAnswerer: boolean; answererToOfferer: boolean };
  srtp?: { suite: string; tag: number; offererKey: SdpCryptoKey; answererKey: SdpCryptoKey };
  problems: string[];
}

/** The outcome of a whole exchange. */
export interface NegotiationResult {
  media: NegotiatedMedia[];
  /** Problems not tied to one stream (e.g. m= line count). */
  problems: string[];
}

function sends(d: SdpDirection): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

function receives(d: SdpDirection): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

function side(s: SdpSession, m: SdpMedia): NegotiatedSide {
  const out: NegotiatedSide = { direction: effectiveDirection(s, m), hold: isHold(s, m), port: m.port };
  const c = mediaConnection(s, m);
  if (c) out.address = c.address;
  return out;
}

function sameEncoding(a: SdpFormat, b: SdpFormat): boolean {
  return a.name.toLowerCase() === b.name.toLowerCase() && a.clockRate === b.clockRate;
}

function sameFormat(a: SdpFormat, b: SdpFormat): boolean {
  return a.pt === b.pt && sameEncoding(a, b);
}

/** Compares an offer with its answer and reports, per stream, what is in use. Never throws. */
export function negotiate(offer: SdpSession, answer: SdpSession): NegotiationResult {
  const problems: string[] = [];
  if (offer.media.length !== answer.media.length)
    problems.push(`answer has ${answer.media.length} m= lines, offer has ${offer.media.length}`);
  const n = Math.min(offer.media.length, answer.media.length);
  const media: NegotiatedMedia[] = [];
  for (let index = 0; index < n; index++) {
    const om = offer.media[index] as SdpMedia;
    const am = answer.media[index] as SdpMedia;
    const p: string[] = [];
    const offerer = side(offer, om);
    const answerer = side(answer, am);
    const rejected = om.port === 0 || am.port === 0;
    if (om.type !== am.type) p.push(`answer media type ${am.type} differs from offered ${om.type}`);
    if (!rejected && om.protocol.toUpperCase() !== am.protocol.toUpperCase())
      p.push(`answer protocol ${am.protocol} differs from offered ${om.protocol}`);
    const formats: NegotiatedFormat[] = [];
    if (!rejected) {
      for (const af of am.formats) {
        const of = om.formats.find((f) => f.pt === af.pt);
        if (of && sameFormat(of, af)) {
          formats.push(af);
          continue;
        }
        // The same encoding offered under another number: legal (RFC 3264 §6.1, a SHOULD),
        // unless that number is also in the answer (then it is the one the answer took).
        const renumbered = om.formats.find(
          (f) => f.pt !== af.pt && sameEncoding(f, af) && !am.formats.some((x) => x.pt === f.pt),
        );
        if (renumbered && af.name !== '') formats.push({ ...af, offerPt: renumbered.pt });
        else if (!of) p.push(`answer payload type ${af.pt} was not offered`);
        else
          p.push(
            `answer maps PT ${af.pt} to ${af.name}/${af.clockRate}, offer to ${of.name}/${of.clockRate}`,
          );
      }
    }
    const nm: NegotiatedMedia = {
      index,
      type: om.type,
      rejected,
      formats,
      offerer,
      answerer,
      flow: { offererToAnswerer: false, answererToOfferer: false },
      problems: p,
    };
    if (!rejected) {
      const codec = formats.find((f) => !isAuxiliaryFormat(f.name));
      if (codec) nm.codec = codec;
      else p.push('no common codec in the answer');
      const te = formats.find((f) => f.name.toLowerCase() === 'telephone-event');
      if (te)
        nm.telephoneEvent = {
          pt: te.pt,
          ...(te.fmtp !== undefined ? { events: te.fmtp } : {}),
          ...(te.offerPt !== undefined ? { offerPt: te.offerPt } : {}),
        };
      const allowedAnswer = (sends(offerer.direction) ? 1 : 0) | (receives(offerer.direction) ? 2 : 0);
      if (receives(answerer.direction) && !(allowedAnswer & 1))
        p.push(
          `answer direction ${answerer.direction} receives but the offer ${offerer.direction} does not send`,
        );
      if (sends(answerer.direction) && !(allowedAnswer & 2))
        p.push(
          `answer direction ${answerer.direction} sends but the offer ${offerer.direction} does not receive`,
        );
      const offererNull = isNullConnection(mediaConnection(offer, om));
      const answererNull = isNullConnection(mediaConnection(answer, am));
      nm.flow = {
        offererToAnswerer: sends(offerer.direction) && receives(answerer.direction) && !answererNull,
        answererToOfferer: sends(answerer.direction) && receives(offerer.direction) && !offererNull,
      };
      const ac = am.crypto[0];
      if (ac) {
        const oc = om.crypto.find((c) => c.tag === ac.tag);
        if (!oc) p.push(`answer crypto tag ${ac.tag} was not offered`);
        else if (oc.suite !== ac.suite)
          p.push(`answer crypto tag ${ac.tag} suite ${ac.suite} differs from offered ${oc.suite}`);
        else if (oc.keys[0] && ac.keys[0])
          nm.srtp = { suite: ac.suite, tag: ac.tag, offererKey: oc.keys[0], answererKey: ac.keys[0] };
      } else if (am.protocol.toUpperCase() === 'RTP/SAVP') {
        p.push('RTP/SAVP answer without a=crypto');
      }
    }
    media.push(nm);
  }
  return { media, problems };
}
