/**
 * Which cases each fault switch of the embedded SBC turns NOK, and how their comment names the
 * symptom: measured by running the whole plan with each fault on (`--quick`, the default
 * profile or the variant named), and kept here so docs/fault-cases.md and the CI test that
 * proves it are one table.
 */
export interface FaultEffect {
  fault: string;
  /** Profile changes the fault needs to be seen (the PBX must send INFO or REFER for it to matter). */
  profile?: 'oxo-info' | 'oxo-refer';
  /** Every case NOK under the fault (whole plan, --quick). */
  affected: string[];
  /** Affected cases the CI test runs (all of them, except where only some have a deterministic outcome). */
  tested?: string[];
  /**
   * Control cases the CI test runs beside (expected OK); default: the first three of
   * {@link CONTROL_CASES} it does not affect.
   */
  controls?: string[];
  /** What every affected case's comment says. */
  symptom: RegExp;
  /** How the symptom reads, for the docs. */
  reads: string;
}

/** What silence suppression (VAD without CN) does to the plan, marked or not: the same cells. */
const VAD_EFFECT: Pick<FaultEffect, 'affected' | 'tested' | 'controls' | 'symptom'> = {
  affected: ['T-8'],
  // Cases whose calls have silences that the SBC leaves out and that come back: OK, as RFC 3551
  // §4.1 allows. 8-4-1 and 8-5-1 end in a silence that only the tone before the hang-up ends
  // (harness/runner/hang-up-probe.ts): NOK before it.
  controls: ['8-2-1', '8-3-3', '8-4-1', '8-5-1'],
  symptom: /not continuous during the fax: \d+ silence gaps/,
};

/** The cases with a hang-up that crosses the SBC (measured the same under no-bye-relay and bye-500). */
const HANG_UP_CROSSES_SBC: readonly string[] = [
  '8-1-1',
  '8-1-2',
  '8-1-3',
  '8-1-4',
  '8-2-1',
  '8-2-3',
  '8-2-4',
  '8-2-5',
  '8-2-7',
  '8-3-1',
  '8-3-2',
  '8-3-3',
  '8-3-4',
  '8-3-6',
  '8-3-7',
  '8-4-1',
  '8-4-2',
  '8-4-3',
  '8-5-1',
  '8-5-2',
  '8-5-3',
  'T-2',
  'T-5',
  'T-6',
  'T-7',
  'T-8',
  'T-10',
  'S-6',
  'S-7',
  'S-8',
];

export const FAULT_EFFECTS: readonly FaultEffect[] = [
  {
    fault: 'strip-telephone-event',
    affected: ['8-2-1', '8-2-5'],
    symptom: /telephone-event|RFC 2833/,
    reads: 'the SBC’s SDP has no telephone-event; RFC 2833 digits never arrive',
  },
  {
    fault: 'force-narrowband',
    affected: ['T-10'],
    symptom: /no energy above 4 kHz/,
    reads: 'G.722 transcoded to G.711 on the provider leg; no energy above 4 kHz arrives',
  },
  {
    fault: 'reject-reinvite',
    affected: ['8-3-3', '8-4-1', '8-4-2', '8-4-3'],
    symptom: /488/,
    reads: 'the hold re-INVITE is answered 488; the held party hears no music on hold',
  },
  {
    fault: 'one-way-audio',
    affected: [
      '8-1-1',
      '8-1-2',
      '8-1-3',
      '8-1-4',
      '8-2-1',
      '8-2-3',
      '8-2-4',
      '8-2-5',
      '8-2-7',
      '8-3-1',
      '8-3-2',
      '8-3-3',
      '8-3-4',
      '8-3-6',
      '8-3-7',
      '8-4-1',
      '8-4-2',
      '8-4-3',
      '8-5-1',
      '8-5-2',
      '8-5-3',
      'T-5',
      'T-6',
      'T-7',
      'T-8',
      'T-10',
    ],
    symptom: /[Nn]o audio|did not hear|never arrived|hears neither|No CED|No CNG|heard no|not heard|one-way/,
    reads: 'no audio from the OXO side reaches the provider side (one-way audio)',
  },
  {
    fault: 'drop-info',
    profile: 'oxo-info',
    affected: ['8-2-2', '8-2-6'],
    symptom: /SIP INFO .*never arrived/,
    reads: 'DTMF sent as SIP INFO never arrives (only with a PBX that sends INFO; OXO Connect does not)',
  },
  {
    fault: 'refer-405',
    profile: 'oxo-refer',
    affected: ['8-5-4'],
    symptom: /405/,
    reads: 'the SBC answers REFER 405 and the transfer fails (only when the PBX transfers by REFER)',
  },
  {
    fault: 'no-bye-relay',
    affected: [...HANG_UP_CROSSES_SBC],
    // Every case whose call crosses the SBC; the test runs one or more of each section.
    tested: ['8-1-1', '8-2-1', '8-3-2', '8-4-1', '8-5-1', 'T-2', 'T-5', 'T-8', 'T-10'],
    symptom: /BYE|not released|stayed established/,
    reads:
      'a hang-up on one side never reaches the other: the far leg stays up after the BYE and the SBC keeps the call (call invariants, and the cases’ own release checks)',
  },
  {
    fault: 'stop-rtp-after=2',
    affected: [
      '8-2-1',
      '8-2-3',
      '8-2-5',
      '8-2-7',
      '8-3-1',
      '8-3-3',
      '8-4-1',
      '8-4-2',
      '8-4-3',
      '8-5-1',
      '8-5-2',
      '8-5-3',
      'T-5',
      'T-8',
    ],
    // 8-5-1 and 8-5-2: their transferred calls end 2.2 s after the answer, and the tone before the
    // hang-up, which never comes back, holds the BYE up to 0.5 s more.
    // Which short cases outlast 2 s of media (plus the 0.5 s gap bound) depends on the machine; these always do.
    tested: ['8-3-1', '8-4-1', '8-2-1'],
    symptom: /RTP|[Nn]o audio|stopped|did not hear|not heard|heard no|never arrived|arrived at .* as "/,
    reads:
      'media stops after 2 s: every call that outlives it shows “RTP from … stopped reaching … 2.0 s after the answer” (call invariant); hold and resume, DTMF and the long call fail too, and the transfers whose calls end 2.2 s after the answer, the tone before our hang-up never coming back',
  },
  {
    fault: 'stop-rtp-after=8',
    affected: ['8-3-1', '8-3-3'],
    // 8-3-3's calls end about 8 s after the answer: only the long call always outlives the fault.
    tested: ['8-3-1'],
    symptom: /RTP from the .* side stopped reaching .* after the answer/,
    reads:
      'media stops 8 s into the call: with --quick the long call (35 s) still crosses it; the call invariant names the direction, the moment and the length',
  },
  {
    fault: 'reorder-codecs',
    affected: ['8-1-1', '8-1-2', '8-1-3', '8-1-4'],
    symptom: /first/,
    reads: 'the SBC offers the codecs against its configured order',
  },
  {
    fault: 'double-dtmf',
    affected: ['8-2-1', '8-2-5'],
    symptom: /twice|more than once/,
    reads: 'each RFC 2833 digit also arrives as an inband tone: every digit is seen twice',
  },
  {
    fault: 'no-sdp-in-reinvite-answer',
    affected: ['8-3-3', '8-4-1', '8-4-2', '8-4-3'],
    symptom: /RFC 3264/,
    reads:
      'the hold or resume re-INVITE is answered 200 without SDP; media still flows, the SIP validator names RFC 3264',
  },
  {
    fault: 'bye-cseq-backwards',
    affected: [
      '8-1-4',
      '8-2-1',
      '8-2-3',
      '8-2-4',
      '8-2-5',
      '8-2-7',
      '8-3-3',
      '8-4-1',
      '8-4-2',
      '8-4-3',
      'T-6',
      'S-6',
      'S-7',
      'S-8',
    ],
    // Two cases where the SBC relays the BYE onto a leg it called; the others run the same path.
    tested: ['8-2-1', '8-4-1'],
    symptom: /CSeq/,
    reads:
      'the BYE relayed to the provider has a CSeq below the INVITE’s: the provider answers 500 and stays in the call; the SIP validator names RFC 3261 §12.2.1.1',
  },
  {
    fault: 'srtp-wrong-key',
    affected: ['T-7'],
    symptom: /SRTP packets from the SBC failed the SRTP authentication check/,
    reads:
      'the only case with SRTP toward the provider: its audio toward the PSTN phone never plays (one-way audio), and the comment counts the SRTP packets from the SBC that failed authentication',
  },
  {
    fault: 'silence-suppression',
    ...VAD_EFFECT,
    reads:
      'T-8: timestamp gaps toward each fax, where the plan asks for no VAD. On voice calls silence suppression is legal (RFC 3551 §4.1): every voice case stays OK, since each silence comes back, if only as the short tone a silent phone plays before our hang-up',
  },
  {
    // The marker bit is a SHOULD (RFC 3551 §4.1): the same verdicts as with it.
    fault: 'silence-suppression-unmarked',
    ...VAD_EFFECT,
    reads:
      'as silence-suppression: without the marker, a talkspurt is told by the timestamp that ran on over the silence (RFC 3550 §5.1), so every voice case stays OK and T-8 counts the gaps toward each fax',
  },
  {
    fault: 'delay-media=300',
    affected: [
      '8-1-1',
      '8-1-2',
      '8-1-3',
      '8-1-4',
      '8-2-4',
      '8-3-1',
      '8-3-2',
      '8-3-3',
      '8-3-4',
      '8-3-6',
      '8-3-7',
      '8-4-1',
      '8-4-2',
      '8-4-3',
      '8-5-3',
      'T-5',
      'T-6',
      'T-7',
    ],
    symptom: /delayed \d+ ms one-way, more than the \d+ ms allowed \(ITU-T G\.114.*MOS with delay \d\.\d\d/,
    reads:
      'every audio check that crosses the SBC: audio delayed about 300 ms one-way in each direction, more than G.114 allows, with the MOS with delay (G.723.1 passed through, 8-1-4, is timed by its fixture frames; 8-3-5 stays inside the PBX and stays OK)',
  },
  {
    fault: 'te-wrong-pt',
    affected: ['8-2-1', '8-2-5'],
    symptom: /RFC 4733/,
    reads:
      'telephone-events arrive under PT 102 where the leg negotiated 101: the RFC 2833 digits never arrive, and the RTP validator names RFC 4733 (rule te-payload-type)',
  },
  {
    fault: 'te-no-end-bit',
    affected: ['8-2-1', '8-2-5'],
    symptom: /RFC 4733/,
    reads:
      'no report of a digit has the E bit while the stream goes on; the digits still arrive, the RTP validator names RFC 4733 (rule te-end-bit)',
  },
  {
    fault: 'open-lan',
    affected: ['S-1'],
    symptom: /went on to the provider/,
    reads:
      'an INVITE without credentials from a LAN address that never registered goes on to the provider (an open relay)',
  },
  {
    fault: 'open-wan',
    affected: ['S-2'],
    symptom: /went on to the OXO/,
    reads: 'an INVITE from a WAN address that is not the provider’s goes on to the OXO',
  },
  {
    fault: 'digest-replay',
    affected: ['S-3'],
    symptom: /replayed the trunk’s Authorization/,
    reads:
      'a REGISTER replaying the trunk’s Authorization from another address is accepted and binds the intruder',
  },
  {
    fault: 'no-auth-holdoff',
    affected: ['S-4'],
    symptom: /guessed at full speed/,
    reads:
      'hundreds of wrong passwords are examined at full speed, then the right one is accepted from the same address',
  },
  {
    fault: 'tls-no-verify',
    affected: ['S-5'],
    symptom: /does not verify the provider’s certificate/,
    reads: 'the SBC sends its INVITE over TLS to a provider with a self-signed certificate',
  },
  {
    fault: 'no-ack-cleanup',
    affected: ['S-6'],
    symptom: /never ACKed/,
    reads: 'the provider leg of a call whose 200 OK is never ACKed stays up',
  },
  {
    fault: 'flood-lockout',
    affected: ['S-7'],
    symptom: /INVITE flood/,
    reads: 'during and after an INVITE flood from one WAN address the trunk’s own calls get 503',
  },
  {
    fault: 'malformed-stall',
    affected: ['S-8'],
    symptom: /malformed SIP/,
    reads: 'after a burst of malformed SIP from one WAN address the trunk’s call gets 503',
  },
  {
    // The same cells as no-bye-relay: every case whose call crosses the SBC ends with a BYE.
    fault: 'bye-500',
    affected: [...HANG_UP_CROSSES_SBC],
    tested: ['8-2-1', '8-5-1'],
    symptom: /The SBC answered a BYE with an error instead of a 2xx/,
    reads:
      'the SBC answers the hang-up’s BYE 500 and keeps the call: the SIP validator names RFC 3261 §15.1.2 (rule bye-2xx), the far leg is never released and the SBC still holds the call at the end',
  },
  {
    // Measured with session-limit=1: only 8-3-3 holds two calls through the SBC at once. S-6,
    // whose next call waits until both sides of the unACKed call are released, stays OK: a
    // control that the SBC's count of a call ends with it.
    fault: 'session-limit=1',
    affected: ['8-3-3'],
    controls: ['S-6', 'T-2', 'T-3'],
    symptom: /final response 503/,
    reads:
      'with one call up, a second call through the SBC is refused 503: 8-3-3’s second external call to the deskphone. The other cases never hold two calls through the SBC at once (transfers and conferences stay inside the PBX with the default profile); S-6’s next call follows the release of both sides of its unACKed call, and stays OK',
  },
];

/** Control cases, run beside each fault: the first three that the fault does not affect. */
export const CONTROL_CASES = ['T-2', 'T-3', '8-3-5', '8-3-2', '8-2-3', '8-1-1', 'T-1', 'T-4'];
