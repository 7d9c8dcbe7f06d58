/**
 * The reference SBC's named fault switches: deliberate misbehaviours that a test plan can
 * turn on to prove that a check notices them (a check that never fails proves nothing).
 * {@link SBC_FAULTS} is the single table of names, value types and wire effects;
 * docs/sbc-faults.md mirrors it (a test keeps the two in step).
 */

/** Every fault switch and the type of its value. */
export interface SbcFaults {
  /** Remove telephone-event from every SDP the SBC sends (both sides); RFC 4733 packets are dropped. */
  'strip-telephone-event'?: boolean;
  /** Never offer or accept G.722 on the WAN side: the LAN leg keeps G.722, the WAN leg gets PCMA. */
  'force-narrowband'?: boolean;
  /** Answer every re-INVITE with 488 Not Acceptable Here instead of relaying it. */
  'reject-reinvite'?: boolean;
  /** Drop all RTP from the LAN side toward the WAN side. */
  'one-way-audio'?: boolean;
  /** Relay each call's LAN audio to the WAN leg of another live call (crossed port mappings). */
  'cross-media'?: boolean;
  /** Answer SIP INFO with 200 and drop it (no relay, no conversion); never send INFO. */
  'drop-info'?: boolean;
  /** Answer REFER with 405 Method Not Allowed. */
  'refer-405'?: boolean;
  /** Answer BYE with 200 but do not send BYE on the other leg. */
  'no-bye-relay'?: boolean;
  /** Answer every BYE with 500 and keep the call: neither leg is released. */
  'bye-500'?: boolean;
  /** Stop relaying RTP in both directions this many seconds after the call was answered. */
  'stop-rtp-after'?: number;
  /** Offer codecs in the reverse of the configured policy order. */
  'reorder-codecs'?: boolean;
  /** Deliver each DTMF digit both as RFC 4733 events and as inband tones. */
  'double-dtmf'?: boolean;
  /** Answer a re-INVITE that carries an SDP offer with a 2xx without SDP (media keeps flowing). */
  'no-sdp-in-reinvite-answer'?: boolean;
  /** Relay a BYE with a CSeq below the one of the leg's previous request. */
  'bye-cseq-backwards'?: boolean;
  /** Leave silent audio packets out (VAD without comfort noise), in both directions. */
  'silence-suppression'?: boolean;
  /** As silence-suppression, without the marker bit on the first packet after a silence. */
  'silence-suppression-unmarked'?: boolean;
  /** Hold every RTP packet this many milliseconds before relaying it, in both directions. */
  'delay-media'?: number;
  /** Send telephone-events with a payload type the receiving leg did not negotiate for them. */
  'te-wrong-pt'?: boolean;
  /** Send telephone-events with the E (end) bit cleared in every report. */
  'te-no-end-bit'?: boolean;
  /** Route LAN INVITEs from any address without credentials (an open relay). */
  'open-lan'?: boolean;
  /** Route WAN INVITEs from any address, not only the provider's. */
  'open-wan'?: boolean;
  /** Accept a digest Authorization again with the same nonce, nc and cnonce (no replay check). */
  'digest-replay'?: boolean;
  /** Never hold off a source after failed authentications (passwords can be guessed at full speed). */
  'no-auth-holdoff'?: boolean;
  /** Accept any certificate from the provider over TLS (no verification). */
  'tls-no-verify'?: boolean;
  /** Protect the SRTP it sends with another master key than the one its SDP's a=crypto announces. */
  'srtp-wrong-key'?: boolean;
  /** Keep a call whose 2xx was never ACKed: the other leg gets no BYE. */
  'no-ack-cleanup'?: boolean;
  /** A global INVITE rate limit: over 100 INVITEs in 2 s, every INVITE gets 503 for 10 s. */
  'flood-lockout'?: boolean;
  /** After more than 100 unparsable messages within 5 s, every new INVITE gets 503 for 10 s. */
  'malformed-stall'?: boolean;
  /** Refuse a new call with 503 while the SBC holds this many calls (a licence of N concurrent sessions). */
  'session-limit'?: number;
}

/** A fault switch name. */
export type SbcFaultName = keyof SbcFaults;

/** One row of the fault table. */
export interface SbcFaultInfo {
  name: SbcFaultName;
  /**
   * 'flag' switches take `true`; 'seconds' and 'ms' switches take a number of seconds or
   * milliseconds; 'count' switches take a whole number.
   */
  value: 'flag' | 'seconds' | 'ms' | 'count';
  /** What the switch does, in one sentence. */
  summary: string;
  /** What a capture shows when it is on. */
  onTheWire: string;
}

/** The table of fault switches (docs/sbc-faults.md mirrors it). */
export const SBC_FAULTS: readonly SbcFaultInfo[] = Object.freeze([
  {
    name: 'strip-telephone-event',
    value: 'flag',
    summary: 'Removes telephone-event from every SDP offer and answer the SBC sends, on both sides.',
    onTheWire:
      'No a=rtpmap:<pt> telephone-event/8000 in the SBC SDP; RFC 4733 packets received are dropped, not relayed.',
  },
  {
    name: 'force-narrowband',
    value: 'flag',
    summary: 'Never offers or accepts G.722 on the WAN side, so a G.722 LAN leg is transcoded to PCMA.',
    onTheWire:
      'WAN SDP without payload type 9; WAN RTP is PT 8 while LAN RTP is PT 9; no energy above 4 kHz.',
  },
  {
    name: 'reject-reinvite',
    value: 'flag',
    summary: 'Answers every re-INVITE (hold, resume, codec change) with 488 instead of relaying it.',
    onTheWire: 'SIP/2.0 488 Not Acceptable Here to the re-INVITE; nothing is sent on the other leg.',
  },
  {
    name: 'one-way-audio',
    value: 'flag',
    summary: 'Drops every RTP packet that the LAN side sends toward the WAN side.',
    onTheWire: 'RTP arrives at the SBC LAN port but none leaves its WAN port; WAN to LAN audio still flows.',
  },
  {
    name: 'cross-media',
    value: 'flag',
    summary:
      'Relays the audio the LAN side sends to the WAN leg of another live call (the next one the SBC holds, in turn), as a relay whose port mappings got mixed up under load would; a call alone on the SBC is relayed as usual.',
    onTheWire:
      "RTP from the LAN port of one call leaves the WAN port of another call, toward that call's provider leg, with that leg's payload type; WAN to LAN audio still flows.",
  },
  {
    name: 'drop-info',
    value: 'flag',
    summary: 'Answers INFO with 200 OK and drops it; the SBC never sends INFO (no fallback to SIP INFO).',
    onTheWire: '200 OK to the INFO; no INFO and no RFC 4733 packets on the other leg for that digit.',
  },
  {
    name: 'refer-405',
    value: 'flag',
    summary: 'Answers REFER with 405 Method Not Allowed.',
    onTheWire: 'SIP/2.0 405 Method Not Allowed to the REFER; no NOTIFY, no new call.',
  },
  {
    name: 'no-bye-relay',
    value: 'flag',
    summary: 'Answers BYE with 200 OK but does not end the other leg.',
    onTheWire: '200 OK to the BYE; no BYE on the other leg, whose dialog stays up.',
  },
  {
    name: 'bye-500',
    value: 'flag',
    summary:
      'Answers every BYE, on either side, with 500 Server Internal Error and keeps the call: the other leg gets no BYE.',
    onTheWire:
      'SIP/2.0 500 Server Internal Error to the BYE; no BYE on the other leg, whose dialog stays up, and the SBC still holds the call.',
  },
  {
    name: 'stop-rtp-after',
    value: 'seconds',
    summary: 'Stops relaying RTP in both directions this many seconds after the call was answered.',
    onTheWire:
      'RTP leaves the SBC for N seconds after the 200 OK, then stops on both sides while SIP stays up.',
  },
  {
    name: 'reorder-codecs',
    value: 'flag',
    summary: 'Offers codecs in the reverse of the configured policy order.',
    onTheWire: 'The m= line of the SBC offer lists the payload types in reverse policy order.',
  },
  {
    name: 'double-dtmf',
    value: 'flag',
    summary: 'Delivers each DTMF digit both as RFC 4733 events and as inband tones in the audio.',
    onTheWire: 'Telephone-event packets and a DTMF tone pair in the audio for the same digit.',
  },
  {
    name: 'no-sdp-in-reinvite-answer',
    value: 'flag',
    summary:
      'Relays a re-INVITE and applies the new session on both legs, but answers it with a 2xx that carries no SDP.',
    onTheWire:
      'SIP/2.0 200 OK without a body to a re-INVITE that carried an SDP offer; RTP keeps flowing (breaks RFC 3264 offer/answer).',
  },
  {
    name: 'bye-cseq-backwards',
    value: 'flag',
    summary:
      'Relays a hang-up with a BYE whose CSeq number is lower than that of the leg’s previous request.',
    onTheWire:
      'BYE with CSeq n−1 after an INVITE with CSeq n on the same dialog (breaks RFC 3261 §12.2.1.1); a compliant UA answers 500.',
  },
  {
    name: 'silence-suppression',
    value: 'flag',
    summary:
      'Suppresses silence in both directions (VAD without comfort noise): an audio packet below about −54 dBFS is not relayed, and the next one carries the marker bit.',
    onTheWire:
      'During silence no RTP leaves the SBC; the next packet has the next sequence number, a timestamp jump and M=1 (RFC 3551 §4.1).',
  },
  {
    name: 'silence-suppression-unmarked',
    value: 'flag',
    summary:
      'Suppresses silence in both directions as silence-suppression does, but the packet after a silence does not carry the marker bit.',
    onTheWire:
      'During silence no RTP leaves the SBC; the next packet has the next sequence number and a timestamp jump, with M=0 (RFC 3551 §4.1 asks for M=1 without a MUST).',
  },
  {
    name: 'delay-media',
    value: 'ms',
    summary:
      'Holds every RTP packet it relays this many milliseconds before handling it, in both directions (at most 10 000).',
    onTheWire:
      'Each RTP packet leaves the SBC N ms after the packet it carries arrived, on both legs; SIP is not delayed.',
  },
  {
    name: 'te-wrong-pt',
    value: 'flag',
    summary:
      'Sends every telephone-event (relayed or converted) with the payload type one above the one the receiving leg negotiated for telephone-event.',
    onTheWire:
      'RFC 4733 reports under PT 102 on a leg whose SDP says a=rtpmap:101 telephone-event/8000 (breaks RFC 3264 §6.1, §7); audio is untouched.',
  },
  {
    name: 'te-no-end-bit',
    value: 'flag',
    summary:
      'Sends every telephone-event (relayed or converted) with the E (end) bit cleared in all its reports.',
    onTheWire:
      'RFC 4733 reports of a digit, including the three final ones, all with E = 0, then audio again (breaks RFC 4733 §2.3.2).',
  },
  {
    name: 'open-lan',
    value: 'flag',
    summary:
      'Routes an INVITE from any LAN address to the provider on the line’s credentials, without challenging it (an open relay).',
    onTheWire:
      'An INVITE from an address that never registered, without Authorization, leaves the WAN side as an INVITE to the provider.',
  },
  {
    name: 'open-wan',
    value: 'flag',
    summary: 'Routes an INVITE from any WAN address to the OXO, not only those from the provider.',
    onTheWire:
      'An INVITE from a non-provider address reaches the OXO trunk instead of being refused with 403.',
  },
  {
    name: 'digest-replay',
    value: 'flag',
    summary:
      'Accepts a digest Authorization again with the same nonce, nc and cnonce (no replay check, RFC 7616 §3.4).',
    onTheWire:
      'A REGISTER replaying the trunk’s Authorization header with a new Call-ID and Contact gets 200 OK and a binding.',
  },
  {
    name: 'no-auth-holdoff',
    value: 'flag',
    summary: 'Never holds off a source after failed authentications: every guess is answered at full speed.',
    onTheWire:
      'Hundreds of REGISTERs with wrong passwords from one address each get 401/403, never 503 Retry-After; the right one is then accepted.',
  },
  {
    name: 'tls-no-verify',
    value: 'flag',
    summary:
      'Accepts any certificate from the provider over TLS (no verification against the CA); read when the SBC starts.',
    onTheWire:
      'The SBC completes the TLS handshake with a provider presenting a self-signed certificate and sends its INVITE.',
  },
  {
    name: 'srtp-wrong-key',
    value: 'flag',
    summary:
      'Protects the SRTP it sends toward the provider with a master key other than the one its SDP’s a=crypto line announces (one byte changed), and reads what it receives with the right one.',
    onTheWire:
      'RTP/SAVP with a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<key> in the SBC’s SDP, and SRTP packets from the SBC whose authentication tag does not verify with that key (RFC 3711 §3.3: the receiver drops them; RFC 4568 §6.1 binds the key to the SDP).',
  },
  {
    name: 'no-ack-cleanup',
    value: 'flag',
    summary: 'Keeps a call whose 2xx was never ACKed: the other leg gets no BYE.',
    onTheWire:
      'After 64×T1 without an ACK the SBC stops retransmitting its 2xx, but sends no BYE to the provider leg, which stays up.',
  },
  {
    name: 'flood-lockout',
    value: 'flag',
    summary:
      'Rate-limits INVITEs globally, not per source: over 100 INVITEs within 2 s, every INVITE gets 503 for 10 s, the trunk’s included.',
    onTheWire:
      'During and after a flood from one address, the trunk’s own INVITE is answered 503 Service Unavailable.',
  },
  {
    name: 'malformed-stall',
    value: 'flag',
    summary:
      'Is knocked over by garbage: after more than 100 unparsable messages within 5 s (either side), every new INVITE gets 503 for 10 s.',
    onTheWire:
      'After a burst of malformed SIP from one address, the trunk’s next INVITE is answered 503 Service Unavailable.',
  },
  {
    name: 'session-limit',
    value: 'count',
    summary:
      "Refuses a new call from either side with 503 while it holds N calls (from the INVITE it admits to the end of the call's BYE exchange), as a licence of N concurrent sessions does.",
    onTheWire:
      'With N calls up, the next INVITE is answered 503 Service Unavailable and nothing is sent on the other side; once a call has ended, a new one goes through.',
  },
]);

/** Largest value of an 'ms' fault switch (10 s): more holds more packets than a test needs. */
export const MAX_FAULT_MS = 10_000;

/** Largest value of a 'count' fault switch. */
export const MAX_FAULT_COUNT = 100_000;

/** True when the fault is switched on (a flag set, or a number given). */
export function faultOn(faults: SbcFaults, name: SbcFaultName): boolean {
  const v = faults[name];
  return typeof v === 'number' ? Number.isFinite(v) && v >= 0 : v === true;
}
