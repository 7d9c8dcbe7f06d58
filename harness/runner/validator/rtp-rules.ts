/**
 * The normative rules the RTP validator holds the SBC to, judged on the RTP the SBC sends to
 * our legs: one row per rule, with the RFC section it comes from, the rule in one line and the
 * sentence a failed check reads. Only what an RFC requires is a rule (a SHOULD, such as sending
 * the end of an event three times, is never a failure), and only what a loopback capture shows
 * beyond doubt is judged (a loss explains a gap, so a gap is never a failure).
 * docs/rtp-rules.md mirrors this table (a test keeps the two equal).
 */

export type RtpRuleId =
  | 'rtp-payload-type'
  | 'rtp-sequence'
  | 'rtp-timestamp'
  | 'te-payload-type'
  | 'te-end-bit'
  | 'te-timestamp';

export interface RtpRule {
  id: RtpRuleId;
  /** Where the rule is written, e.g. "RFC 3550 §5.1". */
  rfc: string;
  /** The rule in one line. */
  rule: string;
  /** The start of the NOK comment when the SBC breaks it (the leg and the detail follow). */
  failure: string;
}

export const RTP_RULES: readonly RtpRule[] = Object.freeze([
  {
    id: 'rtp-payload-type',
    rfc: 'RFC 3264 §6.1, §7',
    rule: 'Every RTP packet the SBC sends to our leg carries a payload type that an SDP our leg sent for that stream lists (an answerer sends with the numbers of the offer, an offerer with those of the answer); comfort noise (PT 13) only when listed.',
    failure: 'The SBC sent RTP with a payload type our leg never negotiated (RFC 3264)',
  },
  {
    id: 'rtp-sequence',
    rfc: 'RFC 3550 §5.1, appendix A.1',
    rule: 'Within one SSRC the sequence number rises by one per packet: a gap (packets lost or withheld) and packets late or repeated by up to 100 (MAX_MISORDER) pass; a step back of more than 100 without a new SSRC fails.',
    failure: 'The SBC sent RTP whose sequence numbers go back within one SSRC (RFC 3550)',
  },
  {
    id: 'rtp-timestamp',
    rfc: 'RFC 3550 §5.1',
    rule: 'Within one SSRC the timestamp follows a clock that increments monotonically: of two audio packets with consecutive sequence numbers the later never has an earlier timestamp (a jump forward after silence and an equal timestamp pass; telephone-events keep their start and are judged by te-timestamp).',
    failure: 'The SBC sent RTP whose timestamp goes back between consecutive packets of one SSRC (RFC 3550)',
  },
  {
    id: 'te-payload-type',
    rfc: 'RFC 3264 §6.1, §7 (for RFC 4733 events)',
    rule: 'Telephone-events reach our leg with the payload type our leg’s SDP gave telephone-event: a four-byte event report under a number the leg did not negotiate fails here rather than as rtp-payload-type.',
    failure:
      'The SBC sent telephone-events (RFC 4733) with a payload type our leg did not negotiate for them',
  },
  {
    id: 'te-end-bit',
    rfc: 'RFC 4733 §2.3.2, §2.5.1.4',
    rule: 'An event ends with a report that has the E bit, and its retransmissions keep it: fails when the ten packets that follow an event’s last report all arrived and none ended it, or when a later report of an ended event has no E bit. An event cut by the end of the stream, a segment of a long event (§2.5.1.3), and one end report instead of three pass.',
    failure: 'The SBC ended a telephone-event (RFC 4733) without a report with the E bit',
  },
  {
    id: 'te-timestamp',
    rfc: 'RFC 4733 §2.2.1, §2.5.1.3',
    rule: 'All reports of one event carry the RTP timestamp of its start (of its segment, for an event split at duration 0xFFFF): a report that continues an unended event (same event code, no marker, a duration not below the previous one, no packet lost in between) under another timestamp fails.',
    failure: 'The SBC changed the RTP timestamp within one telephone-event (RFC 4733)',
  },
]);

export function rtpRule(id: RtpRuleId): RtpRule {
  const r = RTP_RULES.find((x) => x.id === id);
  if (!r) throw new Error(`unknown RTP rule ${id}`);
  return r;
}
