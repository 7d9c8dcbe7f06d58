/**
 * The reference SBC's personalities: legal behaviour switches. Each one makes the embedded SBC
 * do something that the RFCs and the plan allow but that it does not do by default, so that a
 * whole-plan run proves the harness accepts it (an SBC we did not write may well do it).
 * They are kept apart from the fault switches (sbc-faults.ts): a fault must turn cases NOK, a
 * personality must leave every applicable cell OK.
 *
 * {@link SBC_PERSONALITIES} is the single table of names; docs/sbc-personalities.md mirrors it
 * (test/actors/sbc-personalities.test.ts keeps the two equal) and docs/tolerances.md names,
 * for each tolerance row, the personality that plays it.
 */

/** A personality name. */
export type SbcPersonalityName =
  | 'rechallenge-bad-password'
  | 'min-expires'
  | 'ruri-did'
  | 'called-00'
  | 'caller-in-pai'
  | 'caller-in-from'
  | 'no-display-name'
  | 'update-for-hold'
  | 'offerless-reinvite'
  | 'hold-local'
  | 'answer-then-relay'
  | 'options-404'
  | 'te-pt-96'
  | 'ssrc-change'
  | 'port-change'
  | 'ptime-30'
  | 'ptime-10'
  | 'repacketize-40'
  | 'repacketize-60'
  | 'rtcp-reports'
  | 'rtp-reorder'
  | 'session-refresh'
  | 'early-media'
  | 'answer-in-reliable-183'
  | 'require-100rel'
  | 'replaces-local';

/** One row of the personality table. */
export interface SbcPersonalityInfo {
  name: SbcPersonalityName;
  /** What the SBC does differently, in one sentence. */
  summary: string;
  /** The rule that makes it legal. */
  reference: string;
  /** What a capture shows when it is on. */
  onTheWire: string;
}

/** The table of personalities (docs/sbc-personalities.md mirrors it). */
export const SBC_PERSONALITIES: readonly SbcPersonalityInfo[] = Object.freeze([
  {
    name: 'rechallenge-bad-password',
    summary:
      'Answers a REGISTER or INVITE from the OXO trunk whose digest has a wrong password with a new 401 challenge (fresh nonce) instead of 403; no binding is made.',
    reference:
      'RFC 3261 §22.2 (UAS challenge), §21.4.2 (401) and §21.4.4 (403); RFC 7235 §3.1 (a 401 to a request with credentials refuses them)',
    onTheWire:
      'SIP/2.0 401 Unauthorized with a new WWW-Authenticate nonce to the REGISTER with the wrong password.',
  },
  {
    name: 'min-expires',
    summary:
      'Its registrar takes no registration of the OXO trunk shorter than 1800 s: a REGISTER asking more than 0 and less than 1800 s is answered 423 Interval Too Brief with Min-Expires: 1800 (after the digest challenge, as any REGISTER).',
    reference:
      'RFC 3261 §10.3 step 7 (a registrar MAY answer 423 with its Min-Expires if and only if the interval asked is above zero, below one hour and below its minimum), §10.2.8 (the UA may retry with an interval at least Min-Expires), §21.4.17 (423 Interval Too Brief)',
    onTheWire:
      'SIP/2.0 423 Interval Too Brief with Min-Expires: 1800 to the OXO trunk’s REGISTER with a shorter Expires (600 in the personality test’s profile), then a REGISTER with Expires: 1800 answered 200 with Contact …;expires=1800.',
  },
  {
    name: 'ruri-did',
    summary:
      'Sends calls toward the OXO with the DID in the Request-URI user part (sip:DID@contact-host:port) instead of the registered contact URI itself.',
    reference:
      'RFC 3261 §16.5 and §16.6 (a proxy sets the Request-URI to the target it chose: the registered contact, §10.2.1), §8.1.1.2 (To holds the logical recipient)',
    onTheWire:
      'INVITE sip:<DID>@<OXO address>:<port> on the LAN side; the default is INVITE <registered Contact URI>.',
  },
  {
    name: 'called-00',
    summary:
      'Writes the called number of a call toward the provider with the international prefix 00 instead of + (sip:+4940555003@… becomes sip:004940555003@…), in the Request-URI and To.',
    reference:
      'RFC 3261 §19.1.1 (the user part of a SIP URI is the provider’s to define), §8.1.1.1 and §8.1.1.2 (Request-URI, To); ITU-T E.164 §6 (a number in international format, dialled with the international prefix)',
    onTheWire:
      'INVITE sip:00<country code><number>@<provider domain> on the WAN side; the default keeps the number as the OXO sent it (+<country code><number>).',
  },
  {
    name: 'caller-in-pai',
    summary:
      'Carries the caller of a call toward the OXO only in P-Asserted-Identity, with an anonymous From (sip:anonymous@anonymous.invalid), whether or not the caller asked for privacy.',
    reference:
      'RFC 3325 §9.1 (P-Asserted-Identity carries the identity inside a trust domain), RFC 3261 §8.1.1.3 (the From of a request may be anonymous), RFC 3323 §4.1.1.3 (the anonymous From URI)',
    onTheWire:
      'From: <sip:anonymous@anonymous.invalid> on the INVITE toward the OXO, the caller in its P-Asserted-Identity.',
  },
  {
    name: 'caller-in-from',
    summary:
      'Sends calls toward the OXO with no P-Asserted-Identity: the caller only in From (an anonymous From, and no caller, when the caller asked for privacy of their identity; caller-in-pai wins when both are on).',
    reference:
      'RFC 3325 §9.1 (P-Asserted-Identity is optional: an element may leave it out), RFC 3261 §8.1.1.3 (From carries the initiator of the request), RFC 3323 §4.1.1.3 (privacy: the anonymous From)',
    onTheWire:
      'No P-Asserted-Identity header on the INVITE toward the OXO; From: "<name>" <sip:<caller>@<LAN domain>>.',
  },
  {
    name: 'no-display-name',
    summary:
      'Writes the caller of a call, on both sides, in From and P-Asserted-Identity without a display-name: the number alone, not the name the caller sent.',
    reference:
      'RFC 3261 §20.20 and §25.1 (the display-name of From is optional) and §6 (a back-to-back user agent writes the From of its own leg); RFC 3325 §9.1 (P-Asserted-Identity: a name-addr whose display-name is optional)',
    onTheWire:
      'From: <sip:<caller>@<domain>> and P-Asserted-Identity: <sip:<caller>@<domain>> on the INVITEs the SBC sends; the default copies the caller’s "<name>".',
  },
  {
    name: 'update-for-hold',
    summary:
      'Relays a hold or resume re-INVITE as an UPDATE on the other leg when that leg’s peer lists UPDATE in its Allow header.',
    reference:
      'RFC 3311 §5.1 and §5.2 (UPDATE carries an offer in a confirmed dialog), RFC 3261 §14 (re-INVITE)',
    onTheWire:
      'UPDATE with the hold SDP (a=sendonly) toward the provider, answered 200 OK with SDP; no re-INVITE there.',
  },
  {
    name: 'offerless-reinvite',
    summary:
      'Relays a hold or resume re-INVITE as a re-INVITE without SDP on the other leg: its peer offers in the 2xx and the SBC answers in the ACK, with the direction of the original offer.',
    reference:
      'RFC 3261 §14.1 (a re-INVITE need not carry an offer) and §13.2.1; RFC 3264 §4 (offer in the 2xx, answer in the ACK) and §8.4 (hold)',
    onTheWire:
      'INVITE with no body toward the provider; 200 OK with the phone’s offer (a=sendrecv); ACK with application/sdp a=sendonly (hold) or a=sendrecv (resume).',
  },
  {
    name: 'hold-local',
    summary:
      'Answers the OXO’s hold and resume re-INVITEs itself and leaves the provider’s leg as it is: the OXO’s music on hold reaches the provider’s phone in the same stream, and nothing goes toward the OXO while it holds.',
    reference:
      'RFC 3261 §6 and §12 (each leg of a back-to-back SBC is its own dialog); RFC 3264 §8.4 (a hold offer binds its own session) and §6.1 (no media toward a sendonly peer)',
    onTheWire:
      're-INVITE a=sendonly from the OXO answered a=recvonly by the SBC; no re-INVITE toward the provider; RTP (the music) on toward the provider’s phone.',
  },
  {
    name: 'answer-then-relay',
    summary:
      'Answers a re-INVITE with an offer (hold, resume) on its own leg at once, then sends the offer on to the other leg in a re-INVITE of its own 300 ms after that leg’s ACK, instead of relaying it before answering.',
    reference:
      'RFC 3261 §6 and §14 (each leg of a back-to-back SBC is its own dialog, with its own re-INVITE); RFC 3264 §8 (each session’s offer and answer)',
    onTheWire:
      'the SBC’s 200 OK to the OXO’s re-INVITE (a=sendonly) comes before its own re-INVITE toward the provider; the default relays the re-INVITE first and answers the OXO with the provider’s answer.',
  },
  {
    name: 'options-404',
    summary:
      'Answers an OPTIONS whose Request-URI names no user (sip:<SBC address>:<port>) with 404 Not Found instead of 200 OK, on both sides.',
    reference:
      'RFC 3261 §11.2 (an OPTIONS is answered with the status an INVITE to the same Request-URI would get) and §21.4.5 (404: the user does not exist at the domain)',
    onTheWire: 'SIP/2.0 404 Not Found to OPTIONS sip:<SBC address>:<port>; the default answers 200 OK.',
  },
  {
    name: 'te-pt-96',
    summary:
      'Offers telephone-event with payload type 96 (not 101) on the legs where it makes the offer, so the two legs can use different event payload types.',
    reference:
      'RFC 4733 §2.1 and §2.5.1 (telephone-event has a dynamic payload type bound in SDP), RFC 3264 §5.1 and §6.1 (payload types are per offer/answer exchange, so per leg)',
    onTheWire:
      'a=rtpmap:96 telephone-event/8000 in the SBC’s offers; RFC 4733 packets with PT 96 on that leg.',
  },
  {
    name: 'ssrc-change',
    summary:
      'Starts a new RTP stream (new SSRC, sequence number and timestamp base) on each leg one second into the call and again at each relayed re-INVITE or UPDATE, never in the middle of a DTMF event.',
    reference:
      'RFC 3550 §5.1 (SSRC identifies a stream; sequence and timestamp start at random values), §8.2 (a source may take a new SSRC), §8 (receivers key streams by SSRC)',
    onTheWire: 'A second SSRC in the RTP stream from the SBC, its sequence numbers starting afresh.',
  },
  {
    name: 'port-change',
    summary:
      'Moves each leg of a call to a new anchored RTP port shortly after the answer, announced in a re-INVITE of its own that keeps the codec; the old port relays what is still on its way for a second.',
    reference:
      'RFC 3264 §8.3.1 (a new offer may change the port or address of a stream), RFC 3261 §14.1 (either side may re-INVITE), RFC 3550 §8.2 (the new port sends with a new SSRC)',
    onTheWire:
      'A re-INVITE from the SBC toward the provider and toward the OXO, its m=audio on another port; RTP from the SBC then leaves from that port.',
  },
  {
    name: 'ptime-30',
    summary: 'Puts a=ptime:30 (the packet time it prefers to receive) in every SDP it sends.',
    reference:
      'RFC 4566 §6 (a=ptime is a preference, not a requirement), RFC 3551 §4.2 (20 ms default; receivers accept 0 to 200 ms of audio per packet)',
    onTheWire: 'a=ptime:30 in the SBC’s SDP; the peers may then send 240-byte G.711 packets.',
  },
  {
    name: 'ptime-10',
    summary: 'Puts a=ptime:10 in every SDP it sends (ptime-30 wins when both are on).',
    reference:
      'RFC 4566 §6 (a=ptime is a preference, not a requirement), RFC 3551 §4.2 (receivers accept 0 to 200 ms of audio per packet)',
    onTheWire: 'a=ptime:10 in the SBC’s SDP; the peers may then send 80-byte G.711 packets, 100 a second.',
  },
  {
    name: 'repacketize-40',
    summary:
      'Re-frames the audio it relays into 40 ms packets toward each leg, whatever packet time arrives: PCMU, PCMA and G.722 relayed as they are, and every stream it transcodes; telephone-events pass unchanged.',
    reference:
      'RFC 4566 §6 (a=ptime is a preference, not a requirement), RFC 3264 §6.1 (ptime in an answer is the answerer’s preference), RFC 3551 §4.2 (receivers accept 0 to 200 ms of audio per packet), §4.5.2 and §4.5.14 (G.722 and G.711 are sample-based: one octet per RTP clock tick), RFC 3550 §5.1 (the timestamp is the sampling instant of the first octet)',
    onTheWire:
      'RTP from the SBC with 320-byte G.711 or G.722 payloads whose timestamps step by 320, while the peers send 160-byte (20 ms) packets.',
  },
  {
    name: 'repacketize-60',
    summary:
      'Like repacketize-40 with 60 ms packets toward each leg (a third as many as 20 ms ones; repacketize-60 wins when both are on).',
    reference:
      'RFC 4566 §6 (a=ptime is a preference, not a requirement), RFC 3551 §4.2 (receivers accept 0 to 200 ms of audio per packet), §4.5.2 and §4.5.14 (sample-based G.722 and G.711), RFC 3550 §5.1 (timestamp of the first octet)',
    onTheWire: 'RTP from the SBC with 480-byte G.711 or G.722 payloads whose timestamps step by 480.',
  },
  {
    name: 'rtcp-reports',
    summary:
      'Sends RTCP receiver reports (with SDES CNAME) from each anchored port’s RTCP port, about every 2.5 s; by default the SBC sends none.',
    reference:
      'RFC 3550 §6 (RTCP functions 1-3 SHOULD be used, so none is legal too), §6.4.2 (RR), §6.5.1 (CNAME), §6.2 (interval)',
    onTheWire: 'RTCP RR + SDES compound packets from the SBC’s port+1 on both legs.',
  },
  {
    name: 'rtp-reorder',
    summary:
      'Sends the RTP it relays slightly out of order: every tenth packet of each outgoing stream leaves right after the packet that follows it (or alone after 150 ms when none follows); nothing is lost or added.',
    reference:
      'RFC 3550 §5.1 (the sequence number lets the receiver restore the packet sequence) and §A.1 (a receiver accepts packets up to MAX_MISORDER late); RFC 768 (UDP does not keep order)',
    onTheWire:
      'In each RTP stream from the SBC, one packet in ten arrives after the next one: its sequence number one below that of the packet before it.',
  },
  {
    name: 'session-refresh',
    summary:
      'Refreshes every call with a re-INVITE of its own on each leg, 1.5 s after the caller’s ACK and every 10 s after, offering the leg’s media as it is (same codec, telephone-event payload type, port and direction); a leg on hold, or a call busy with another offer, is skipped that time.',
    reference:
      'RFC 4028 §7.4 (a session refresh is an ordinary re-INVITE), RFC 3261 §14.1 (either side may re-INVITE at any time), RFC 3264 §8 (an offer that changes nothing keeps the o= version)',
    onTheWire:
      'Re-INVITEs from the SBC toward the provider and toward the OXO with a=sendrecv and the m=audio port of the leg’s last SDP, about every 10 s.',
  },
  {
    name: 'early-media',
    summary:
      'Answers the caller with a 183 Session Progress carrying its SDP answer as soon as the far side rings (a 180 without SDP), and sends a ringback tone (425 Hz, 1 s on, 4 s off) in that stream until the far side answers; the 200 OK repeats the same SDP, and the relayed audio goes on in the same RTP stream.',
    reference:
      'RFC 3261 §13.2.1 and §13.3.1.1 (an answer may come in a provisional response; the 2xx carries the same one), RFC 3960 §3 (gateway model: early media from the answering side), ITU-T E.180 and ETSI ES 201 970 (ringing tone 425 Hz, 1 s on, 4 s off)',
    onTheWire:
      'SIP/2.0 183 Session Progress with an SDP body toward the caller instead of 180 Ringing, RTP with a 425 Hz tone from the SBC before the 200 OK, and a 200 OK whose SDP is the 183’s.',
  },
  {
    name: 'answer-in-reliable-183',
    summary:
      'When the far side answers a call whose caller offered SDP and supports 100rel, gives the caller its SDP answer in a reliable 183 Session Progress (Require: 100rel, RSeq), waits for the PRACK, and then sends the 200 OK without SDP.',
    reference:
      'RFC 3262 §3 (a reliable provisional response; no 2xx before the PRACK of one that carried SDP), RFC 3261 §13.2.1 (the answer may be in a reliable provisional response; the UAC takes the first answer and ignores SDP in later responses to the INVITE), RFC 3264 §4',
    onTheWire:
      'SIP/2.0 183 Session Progress with Require: 100rel, an RSeq and the SDP answer toward the caller, a PRACK from the caller answered 200, then SIP/2.0 200 OK to the INVITE with no body.',
  },
  {
    name: 'require-100rel',
    summary:
      'Sends the INVITE of each call it relays, toward the OXO or toward the provider, with Require: 100rel (and 100rel in Supported), so that the far side must send its provisional responses reliably; it PRACKs each in order.',
    reference:
      'RFC 3262 §3 (a UAC may require reliable provisional responses; the UAS then sends each one but 100 reliably, or refuses the INVITE with 420) and §4 (the UAC PRACKs them in order), RFC 3261 §8.2.2.3 (420 Bad Extension for an option-tag the UAS does not support)',
    onTheWire:
      'INVITEs from the SBC with Require: 100rel, 180 Ringing from the OXO’s extensions and the provider’s phones with Require: 100rel and an RSeq, and a PRACK from the SBC for each.',
  },
  {
    name: 'replaces-local',
    summary:
      'With referPolicy local, carries out a REFER whose Refer-To holds a Replaces naming one of its own calls’ legs on the referrer’s side (an attended transfer’s consultation) without a new INVITE: it joins the transferee’s leg to that call’s leg on the other side in its media relay, reports NOTIFY 200, takes the transferee off hold and ends the referrer’s two legs with BYE.',
    reference:
      'RFC 3515 §2.4.4 and §2.4.5 (the REFER recipient decides how to reach the target; NOTIFY sipfrag reports the outcome), RFC 3891 §3 (Replaces names a dialog; its recipient may honour it its own way), RFC 5589 §7 (transfer with consultation hold), RFC 7092 §3 (a signalling/media-relay B2BUA terminates each dialog on its own)',
    onTheWire:
      'No INVITE toward the transfer target after the REFER: its consultation leg stays up (new SSRC at the SBC); NOTIFY sipfrag 100 then 200 toward the referrer; BYE from the SBC on the consultation’s trunk leg and on the referred call’s trunk leg; re-INVITE a=sendrecv toward the transferee.',
  },
]);

/** The personalities switched on, as a set (unknown names are refused by {@link parsePersonalities}). */
export type SbcPersonalities = ReadonlySet<SbcPersonalityName>;

/** Parses personality names; returns the unknown ones as an error. */
export function parsePersonalities(
  names: readonly string[],
): { ok: true; value: SbcPersonalities } | { ok: false; unknown: string[] } {
  const known = new Set<string>(SBC_PERSONALITIES.map((p) => p.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) return { ok: false, unknown };
  return { ok: true, value: new Set(names as SbcPersonalityName[]) };
}
