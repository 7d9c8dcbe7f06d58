/**
 * The normative rules the SIP validator holds the SBC to: one row per rule, with the RFC
 * section it comes from, the rule in one line and the sentence a failed check reads.
 * Only MUST / MUST NOT requirements are rules; a SHOULD is never a failure.
 * docs/sip-rules.md mirrors this table (a test keeps the two equal).
 */

export type SipRuleId =
  | 'to-tag'
  | 'response-matches-request'
  | 'response-via'
  | 'cseq-order'
  | 'route-set'
  | 'contact-dialog'
  | 'ack-2xx'
  | 'bye-2xx'
  | 'answer-to-offer'
  | 'offer-in-2xx'
  | 'answer-in-ack'
  | 'answer-m-lines'
  | 'answer-direction'
  | 'answer-format'
  | 'sdp-version'
  | 'sdp-origin';

export interface SipRule {
  id: SipRuleId;
  /** Where the rule is written, e.g. "RFC 3261 §8.2.6.2". */
  rfc: string;
  /** The rule in one line. */
  rule: string;
  /** The start of the NOK comment when the SBC breaks it (the detail and the RFC follow). */
  failure: string;
}

export const SIP_RULES: readonly SipRule[] = Object.freeze([
  {
    id: 'to-tag',
    rfc: 'RFC 3261 §8.2.6.2',
    rule: 'Every response other than 100 Trying carries a tag in its To header field.',
    failure: 'The SBC sent a response without a To tag',
  },
  {
    id: 'response-matches-request',
    rfc: 'RFC 3261 §8.2.6.2',
    rule: 'A response has the From (URI and tag), Call-ID and CSeq of its request, and the To tag of its request when the request had one.',
    failure: 'The SBC sent a response whose From, Call-ID, CSeq or To tag differs from its request',
  },
  {
    id: 'response-via',
    rfc: 'RFC 3261 §8.2.6.2, §16.7',
    rule: 'A response carries the Via header fields of its request, in the same order (a received or rport parameter added on the way is allowed, RFC 3261 §18.2.1, RFC 3581).',
    failure: 'The SBC sent a response whose Via header fields differ from its request',
  },
  {
    id: 'cseq-order',
    rfc: 'RFC 3261 §12.2.1.1, §12.1.2, §14.1, §12.2.2, §13.2.2.4, §9.1',
    rule: 'Inside a dialog, a request the SBC sends has a CSeq number above that of the SBC’s INVITE that created the dialog and one no earlier request of the SBC’s in the dialog had, an INVITE is not below an earlier INVITE of the dialog, and a BYE not below any earlier request of it; outside a dialog, requests with one Call-ID and From tag have rising numbers; a gap is allowed; an ACK or CANCEL repeats the number of an INVITE it belongs to. Otherwise a lower number arriving after a higher one is not flagged: it may have been sent first and its first datagram lost (§12.2.2).',
    failure: 'The SBC sent a request whose CSeq number goes back or is used again',
  },
  {
    id: 'route-set',
    rfc: 'RFC 3261 §12.2.1.1, §16.4, §17.1.1.3',
    rule: 'A request the SBC sends inside a dialog routes only through hops that record-routed: each of its Route entries is a Record-Route entry seen in that dialog (so none when nobody record-routed toward us). The ACK to a final response of 300 or above belongs to the INVITE’s transaction (the INVITE’s branch) and carries the INVITE’s Route entries instead, in their order, a pre-loaded one too (RFC 3261 §17.1.1.3; an entry more is not flagged).',
    failure:
      'The SBC sent an in-dialog request with a Route entry that is not in the dialog’s route set, or an ACK to a refused INVITE without the INVITE’s Route',
  },
  {
    id: 'contact-dialog',
    rfc: 'RFC 3261 §8.1.1.8, §12.1.1',
    rule: 'An INVITE that creates a dialog, and a 2xx that answers one, carry a Contact header field with one SIP or SIPS URI.',
    failure: 'The SBC sent a dialog-creating INVITE or 2xx without a Contact SIP URI',
  },
  {
    id: 'ack-2xx',
    rfc: 'RFC 3261 §13.2.2.4',
    rule: 'Every 2xx to an INVITE the SBC sent is acknowledged by an ACK from the SBC.',
    failure: 'The SBC never acknowledged a 2xx to its INVITE',
  },
  {
    id: 'bye-2xx',
    rfc: 'RFC 3261 §15.1.2',
    rule: 'A BYE is answered with a 2xx. Also accepted: 481 (no such dialog, §15.1.2, as when two BYEs cross), 408 (with 481 the answers after which §15.1.1 has the caller take the dialog as ended) and a 401 or 407 challenge (§22).',
    failure: 'The SBC answered a BYE with an error instead of a 2xx',
  },
  {
    id: 'answer-to-offer',
    rfc: 'RFC 3264 §4, RFC 3261 §13.2.1, RFC 3262 §5, RFC 3311 §5.2',
    rule: 'An SDP offer in an INVITE gets its answer in the 2xx, or in an earlier reliable (100rel) provisional response; an offer in an UPDATE gets its answer in the 2xx.',
    failure:
      'The SBC answered an SDP offer with a 2xx without SDP (RFC 3264 offer/answer: the answer must be in the first reliable non-failure response)',
  },
  {
    id: 'offer-in-2xx',
    rfc: 'RFC 3264 §4, RFC 3261 §13.2.1',
    rule: 'An INVITE without SDP gets the answerer’s offer in the 2xx, or in an earlier reliable provisional response.',
    failure: 'The SBC answered an INVITE without SDP with a 2xx without an SDP offer (RFC 3264 offer/answer)',
  },
  {
    id: 'answer-in-ack',
    rfc: 'RFC 3264 §4, RFC 3261 §13.2.2.4',
    rule: 'When the 2xx to the SBC’s INVITE without SDP carried an offer, the SBC’s ACK carries the answer.',
    failure: 'The SBC’s ACK carries no SDP answer to the offer in the 2xx (RFC 3264 offer/answer)',
  },
  {
    id: 'answer-m-lines',
    rfc: 'RFC 3264 §6, §6.1',
    rule: 'An answer has exactly as many m= lines as its offer, in the same order, each of the media type of the offered one.',
    failure: 'The SBC’s SDP answer does not have the m= lines of the offer (RFC 3264)',
  },
  {
    id: 'answer-direction',
    rfc: 'RFC 3264 §6.1',
    rule: 'A stream offered sendonly is answered recvonly or inactive, recvonly is answered sendonly or inactive, inactive is answered inactive; sendrecv may be answered with any direction.',
    failure: 'The SBC’s SDP answer has a direction the offer does not allow (RFC 3264)',
  },
  {
    id: 'answer-format',
    rfc: 'RFC 3264 §6.1',
    rule: 'Each stream an answer accepts (port not 0) lists at least one media format of the offer; the payload type number may differ (that is a SHOULD).',
    failure: 'The SBC’s SDP answer accepts a stream with no media format of the offer (RFC 3264)',
  },
  {
    id: 'sdp-version',
    rfc: 'RFC 3264 §8, RFC 3261 §14.1',
    rule: 'Each SDP the SBC sends in a session after its first either keeps the o= version and is identical to the previous one, or has a higher version. An offer of the SBC’s that our side refused with a final response of 300 or above, or whose offer in a 2xx our ACK did not answer, is not the previous one: the session stays as before it (RFC 3261 §14.1). The SDP of a provisional response without 100rel is not judged and is not the previous one either (RFC 3261 §13.2.1: the answer is the 2xx’s).',
    failure: 'The SBC changed its SDP without raising the o= version (RFC 3264 §8)',
  },
  {
    id: 'sdp-origin',
    rfc: 'RFC 3264 §8',
    rule: 'The o= line of the SBC’s SDP keeps its username, session id, network type and address throughout the session; only the version changes (judged on the SDPs the sdp-version rule compares).',
    failure: 'The SBC changed the o= line of its SDP other than the version (RFC 3264 §8)',
  },
]);

export function sipRule(id: SipRuleId): SipRule {
  const r = SIP_RULES.find((x) => x.id === id);
  if (!r) throw new Error(`unknown SIP rule ${id}`);
  return r;
}
