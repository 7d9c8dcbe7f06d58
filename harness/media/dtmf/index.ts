/**
 * DTMF in the three ways a call carries it: RFC 4733 telephone-event packets, inband tone
 * pairs (generator and Q.24 detector), and SIP INFO bodies. Everything works on payloads
 * and PCM arrays; the RTP session and the SIP layer carry them.
 */
export {
  DTMF_DIGITS,
  DTMF_HIGH_FREQUENCIES,
  DTMF_LOW_FREQUENCIES,
  type DtmfDigit,
  dtmfDigitAt,
  dtmfDigitOfEvent,
  dtmfEventCode,
  dtmfFrequencies,
  isDtmfDigit,
  toDtmfDigit,
} from './dtmf-digit.ts';
export {
  DBM0_REFERENCE_PEAK,
  dbm0ToPeak,
  FULL_SCALE_SINE_DBM0,
  PCM16_FULL_SCALE,
  peakToDbm0,
  powerToDbm0,
} from './dtmf-level.ts';
export { type Bin, GoertzelBin, hannResponse, hannWindow } from './goertzel.ts';
export {
  MultiSourceEventReceiver,
  type MultiSourceEventReceiverOptions,
  type MultiSourceEventReceiverStats,
  type SourcedDtmfEvent,
} from './multi-source-event-receiver.ts';
export {
  buildDtmfBody,
  buildDtmfRelayBody,
  DTMF_CONTENT_TYPE,
  DTMF_RELAY_CONTENT_TYPE,
  parseDtmfBody,
  parseDtmfRelayBody,
  parseDtmfSignal,
  parseSipInfoDtmf,
  type SipInfoDtmf,
  type SipInfoDtmfError,
  type SipInfoDtmfResult,
} from './sip-info-body.ts';
export {
  decodeTelephoneEvent,
  encodeTelephoneEvent,
  TELEPHONE_EVENT_DEFAULT_VOLUME,
  TELEPHONE_EVENT_MAX_DURATION,
  TELEPHONE_EVENT_PAYLOAD_SIZE,
  type TelephoneEventDecodeError,
  type TelephoneEventDecodeResult,
  type TelephoneEventPayload,
} from './telephone-event-payload.ts';
export {
  type ReceivedDtmfEvent,
  TelephoneEventReceiver,
  type TelephoneEventReceiverOptions,
  type TelephoneEventReceiverStats,
  type TelephoneEventRtpPacket,
} from './telephone-event-receiver.ts';
export {
  type TelephoneEventPacket,
  type TelephoneEventSendOptions,
  telephoneEventPackets,
} from './telephone-event-sender.ts';
export {
  type DetectedDtmfTone,
  type DtmfRejectReason,
  DtmfToneDetector,
  type DtmfToneDetectorOptions,
  detectDtmfTones,
} from './tone-detector.ts';
export {
  type DtmfSequenceOptions,
  type DtmfToneOptions,
  dtmfToneFloat,
  generateDtmfSequence,
  generateDtmfTone,
  toPcm16,
} from './tone-generator.ts';
