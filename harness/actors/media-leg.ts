/**
 * The media leg every actor uses: one audio stream of a call, from SDP offer/answer to
 * packets and back to decoded audio and digits.
 *
 * - Negotiation: the SIP layer's {@link SdpEndpoint} (offers, answers, o= versions, SDES
 *   keys) and `negotiate` (what was agreed). Codecs come from the codecs/ registry: G.729
 *   (ours in TypeScript) whenever the codec object is available; G.723.1 is negotiable but never
 *   encoded — when it is the codec, {@link MediaLeg.play} sends the committed G.723.1 fixture
 *   frames and the far side judges what arrived with {@link MediaLeg.verifyFixture}.
 * - Media: an {@link RtpSession} per leg (SRTP when negotiated). Audio, telephone-events
 *   and inband DTMF all leave on one send-clock stream, so their RTP timestamps agree:
 *   RFC 4733 events replace the audio packets for their duration, inband tones replace the
 *   audio samples. The leg sends RTP only while something plays or a digit is being sent,
 *   or, when opened `continuous` (a phone without VAD), from the answer to the close:
 *   silence while nothing plays.
 * - Receive: packets of a source are put back in sequence-number order (a packet after a
 *   missing one waits up to 60 ms for it: {@link ReorderWindow}); every fresh packet is then
 *   decoded (any codec of the answer, so a peer may switch), upsampled to 16 kHz and recorded (bounded, default 10 min; the rest is counted), with
 *   timestamp gaps up to 2 s filled with silence; a packet behind in number is late (dropped,
 *   `lateDropped`), one whose timestamp steps back while its number goes on (the source started
 *   afresh under the same SSRC) restarts the timeline when marked, or when it steps more than two
 *   packets back on the very next sequence number (`timestampResyncs`, RFC 3550 A.1); any other
 *   step back is dropped as late; the Q.24 tone detector runs on that audio
 *   continuously and the RFC 4733 receiver on telephone-events. Digits land in
 *   {@link MediaLeg.dtmfReceived} in the order they ended; a tone still sounding when no audio
 *   has come for 200 ms is reported then, and its rest, if it arrives (a stall of the host or
 *   the network, on the same stream or a new SSRC), extends that digit instead of making a
 *   second one: only silence or another digit in the audio ends a digit.
 * - Re-offers: `createOffer('sendonly')` holds, `createOffer('sendrecv')` resumes, and
 *   `acceptOffer` answers re-INVITEs; a new remote address or port retargets the RTP.
 *
 * Direction semantics (RFC 3264 §6.1), from this leg's point of view: it sends when its own
 * SDP allows sending and the peer's allows receiving (and the peer's address is not
 * 0.0.0.0); it expects to receive in the mirror case. So when A offers `sendonly` (A holds
 * B) and B answers `recvonly`, A keeps sending (music on hold) and B stops sending: A
 * receives nothing from B until a `sendrecv` re-offer. Packets that arrive while this
 * leg's direction says it does not receive are still recorded, and counted in
 * `details().unexpectedPackets` as evidence of a peer that ignores hold.
 *
 * SRTP: the RTP session takes its SDES keys when it is opened, so when an exchange first
 * settles on SRTP keys (or changes them) the leg closes its session and reopens it on the
 * same port with the keys, in the background: await {@link MediaLeg.ready} before relying
 * on the first packets. SSRC and sequence numbers continue across the swap.
 *
 * Bad input from the network (malformed SDP, garbage packets, undecodable payloads) is
 * returned as `{ ok: false, reason }` or counted, never thrown.
 */
import {
  type AudioCodec,
  type CodecName,
  codecByName,
  type Decoder,
  type Encoder,
  type FixtureCodec,
  type FixtureVerifyResult,
  loadCodecFixture,
  type PlacedPayload,
  verifyFixtureEcho,
  verifyPassthroughPlaced,
} from '../../codecs/index.ts';
import { isSilence } from '../media/analysis/index.ts';
import {
  type DtmfDigit,
  DtmfToneDetector,
  generateDtmfTone,
  MultiSourceEventReceiver,
  type TelephoneEventPacket,
  telephoneEventPackets,
  toDtmfDigit,
} from '../media/dtmf/index.ts';
import {
  ArrivalLog,
  type PacketRecord,
  type PayloadFormat,
  processSendClock,
  ReorderWindow,
  type RtpArrivals,
  RtpSession,
  type RtpView,
  SendClock,
  type SendStream,
  type SendTick,
  type SrtpParams,
  seqDelta,
} from '../media/rtp/index.ts';
import {
  buildAnswer,
  buildSdp,
  type LocalSdpPrefs,
  type NegotiatedFormat,
  type NegotiatedMedia,
  negotiate,
  parseSdp,
  type SdpCryptoKey,
  type SdpDirection,
  SdpEndpoint,
  type SdpSession,
} from '../sip/index.ts';
import { type Clock, systemClock, type TimerHandle } from '../support/clock.ts';
import { type Logger, silentLogger } from '../support/log.ts';
import type { AudioSource } from './audio-sources.ts';
import { canResample, Resampler } from './resample.ts';

export type { AudioSource } from './audio-sources.ts';
export {
  detectMoh,
  fixtureSource,
  MOH_NOTES_HZ,
  mohSource,
  PcmQueueSource,
  pcmSource,
  speechSource,
  toneSource,
} from './audio-sources.ts';

/** How a call carries DTMF. 'info' travels in SIP INFO requests: the actor sends those. */
export type DtmfMode = 'rfc2833' | 'inband' | 'info';

/** SRTP suites a leg can ask for (SDES, RTP/SAVP). */
export type MediaSrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

/** What a leg offers and accepts. */
export interface MediaPrefs {
  /** Ordered preference, e.g. ['G722','PCMA','PCMU','G729','G723']. */
  codecs: CodecName[];
  /** Offer/accept telephone-event (RFC 4733). */
  telephoneEvent: boolean;
  /** Packetisation time we ask for and send with (default 20; G.723.1 always 30). */
  ptimeMs?: number;
  /** SDES-SRTP toward this leg (RTP/SAVP); plain RTP offers are then refused. */
  srtp?: MediaSrtpSuite;
}

/** PCM silence that never ends: what a phone without VAD sends while nobody speaks. */
function silenceSource(): AudioSource {
  return { sampleRate: 16000, next: (n) => new Int16Array(Math.max(0, Math.floor(n))) };
}

/** What the last completed offer/answer settled on, from this leg's point of view. */
export interface NegotiatedLeg {
  codec: CodecName;
  /** The payload type this leg sends its codec with (the peer's SDP's number). */
  payloadType: number;
  /** The payload type this leg sends telephone-events with (the peer's SDP's number). */
  telephoneEventPt?: number;
  /** The number telephone-events arrive with, where the answer renumbered them (else telephoneEventPt). */
  telephoneEventRxPt?: number;
  /** Where this leg sends RTP. */
  remote: { address: string; port: number };
  /** This leg's effective direction: 'sendonly' = it sends but expects nothing back. */
  direction: SdpDirection;
  srtpSuite?: string;
  /** Whether this leg made the offer or the answer. */
  role: 'offerer' | 'answerer';
  /** Packetisation used for sending, ms. */
  ptimeMs: number;
  /** Formats of the answer as "NAME/rate" (codecs the peer may switch between). */
  formats: string[];
  /** Inconsistencies `negotiate` found in the exchange (evidence about the peer). */
  problems: string[];
}

/** One digit this leg detected. */
export interface ReceivedDtmf {
  digit: string;
  mode: 'rfc2833' | 'inband';
  /** When the digit started (leg clock, ms; approximate for inband). */
  atMs: number;
  durationMs: number;
}

/** One digit this leg sent (evidence). */
export interface SentDtmf {
  digit: string;
  mode: 'rfc2833' | 'inband';
  /** When the first packet carrying it was due (leg clock, ms). */
  atMs: number;
  durationMs: number;
  /** 'aborted' when the leg closed or media stopped before it was sent. */
  status: 'sent' | 'aborted';
}

/** Headline statistics. */
export interface MediaLegStats {
  /** RTP packets sent (audio and events). */
  sent: number;
  /** Distinct RTP packets received. */
  received: number;
  /** Packets lost (RFC 3550 A.3), over every source received. */
  lost: number;
  /** Current interarrival jitter of the latest source, ms. */
  jitterMs: number;
  /**
   * Packets received from that source, on which `jitterMs` was estimated (0: none yet). The
   * RFC 3550 estimator starts at 0 and moves 1/16 of the way per packet: over a few packets it
   * still says little.
   */
  jitterPackets: number;
  /** Codecs sent or received, in order of first use (e.g. ['PCMA'], or ['PCMA','G729'] when transcoded). */
  codecs: string[];
  /**
   * RTP and RTCP datagrams our socket refused or failed to send (RtpSession `sendFailures`),
   * with the last one's code: the harness's own failure, which no verdict holds against the SBC.
   */
  sendFailures: number;
  sendFailure?: string;
  /**
   * RTP and RTCP datagrams that could not be sent because of where they went (RtpSession
   * `unreachable`: no route to the address the far side's SDP gave), with the last code and address.
   */
  unreachable: number;
  unreachableDetail?: string;
}

/** Every counter the leg keeps, for evidence. */
export interface MediaLegDetails extends MediaLegStats {
  sentCodecs: string[];
  receivedCodecs: string[];
  telephoneEventsSent: number;
  datagramsReceived: number;
  srtpAuthFailed: number;
  srtpReplayed: number;
  srtpMalformed: number;
  malformedPackets: number;
  /** Packets received while this leg's negotiated direction does not receive. */
  unexpectedPackets: number;
  unknownPayloadType: number;
  decodeErrors: number;
  encodeErrors: number;
  /** Packets older than audio already recorded (reordered later than the reorder wait), not decoded or recorded. */
  lateDropped: number;
  /**
   * Times the audio timeline started afresh within one source because its timestamp stepped
   * back on a packet that is not late (its sequence number went on): a B2BUA that switched the
   * audio it sends (ringback, music on hold, a transfer) under the same SSRC.
   */
  timestampResyncs: number;
  /** Packets that arrived after a later one of their source and were put back in order. */
  reordered: number;
  /** Samples (16 kHz) not recorded because the recording was full. */
  recordDropped: number;
  /** Send slots skipped because the direction or the remote forbade sending. */
  sendSuppressed: number;
  sendErrors: number;
  /** Of `sendErrors`, those the socket refused or failed (MediaLegStats.sendFailures), with the last code. */
  sendFailures: number;
  sendFailure?: string;
  /** Of `sendErrors`, those that could not go where the far side's SDP said (MediaLegStats.unreachable). */
  unreachable: number;
  unreachableDetail?: string;
  sourceErrors: number;
  /** Times the RTP session was reopened (SRTP keys) and times that failed. */
  reopens: number;
  reopenFailures: number;
  /** Datagrams not kept in {@link MediaLeg.evidence} because the log was full. */
  evidenceDropped: number;
  /** RTP arrivals not kept in {@link MediaLeg.receivedRtp} because it was full (`maxArrivals`). */
  arrivalsDropped: number;
  /**
   * Audio time received, ms: the decoded samples of every audio packet placed in the recording
   * (not the silence that fills a timestamp gap, not a duplicate), whatever the packet size;
   * for a codec the harness cannot decode (G.723.1), counted from its frame headers. An SBC may
   * repacketize (RFC 3551 §4.2), so this, not the packet count, is what arrived.
   */
  audioReceivedMs: number;
  /** SSRCs that carried telephone-events to this leg. */
  telephoneEventSources: number;
  /** Telephone-event digits one SSRC repeated after another had reported the same press: counted once. */
  telephoneEventCrossSourceDuplicates: number;
}

/** Options of {@link MediaLeg.open}. */
export interface MediaLegOptions {
  /** Address to bind RTP on (and to put in the SDP). */
  localAddress: string;
  prefs: MediaPrefs;
  clock?: Clock;
  name?: string;
  /** Send clock (default: the process clock on the system clock, a private one on any other clock). */
  sendClock?: SendClock;
  /** RTCP report interval, ms (default 5000; 0 = none). */
  rtcpIntervalMs?: number;
  /** Most received audio recorded, seconds at 16 kHz (default 600). */
  maxRecordSeconds?: number;
  /** Most datagrams the leg's RTP session keeps as evidence (default 50 000; rtp-session.ts). */
  maxEvidence?: number;
  /**
   * Most RTP arrivals the leg keeps for the media judge, over every RTP session it opens
   * (default DEFAULT_MAX_ARRIVALS, four hours at 10 ms packets; arrival-log.ts).
   */
  maxArrivals?: number;
  /**
   * Keep sending while nothing plays (silence; the G.723.1 fixture when that is the codec),
   * as a phone without VAD does, so RTP flows from answer to hang-up (default false).
   */
  continuous?: boolean;
  logger?: Logger;
}

/** Sample rate of {@link MediaLeg.receivedAudio}. */
export const RECORD_SAMPLE_RATE = 16000;
/** Silence after each sent digit before the next one, ms. */
export const DTMF_GAP_MS = 60;
/** Level of each inband DTMF tone, dBm0. */
export const INBAND_DTMF_LEVEL_DBM0 = -7;
const MAX_GAP_FILL_SECONDS = 2;
/** A packet this many numbers behind the last one is late, not a source starting afresh (RFC 3550 A.1 MAX_MISORDER). */
const RX_MAX_MISORDER = 100;
/** Most a sequence number may go on by and still be the same stream going on (RFC 3550 A.1 MAX_DROPOUT). */
const RX_MAX_DROPOUT = 3000;
/** Sources with a reorder window of their own at once (audio, events, the source before a change). */
const MAX_REORDER_SOURCES = 4;
const MAX_DTMF_RECORDS = 10_000;
const MAX_FIXTURE_PAYLOADS = 3000;
const TE_CLOCK_RATE = 8000;
/** Runs of silent audio sent kept per leg (each audible packet or event ends one). */
const SILENT_RUNS_MAX = 20_000;

/**
 * Longest pause between two silent packets of one run, ms: the send clock catches up a stall of
 * the harness's process up to 200 ms (300 ms at 30 ms packets), so a loaded machine does not
 * break a run; a hold (nothing sent for seconds), an event or audible audio does.
 */
const SILENT_RUN_PAUSE_MS = 400;

/**
 * Extends the last [from, to] run of `runs` to `now` when `open` and it ended at most a pause
 * ago (twice the packet time, at least SILENT_RUN_PAUSE_MS); else starts [from, now] when
 * there is room. Returns whether a run is open after the call.
 */
function extendRun(runs: number[], open: boolean, from: number, now: number, ptimeMs: number): boolean {
  const n = runs.length;
  if (open && n > 0 && now - runs[n - 1]! <= Math.max(2 * ptimeMs, SILENT_RUN_PAUSE_MS)) {
    runs[n - 1] = now;
    return true;
  }
  if (n >= 2 * SILENT_RUNS_MAX) return false;
  runs.push(from, now);
  return true;
}
const SUPPORTED_SUITES: readonly MediaSrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

interface RxFormat {
  codec: AudioCodec;
  decoder?: Decoder;
}

interface PlayState {
  source: AudioSource;
  resampler?: Resampler;
  resamplerRate?: number;
}

interface TxState {
  stream: SendStream;
  codec: AudioCodec;
  pt: number;
  ptimeMs: number;
  /** Codec-rate samples per packet. */
  samples: number;
  encoder?: Encoder;
  fixtureFrames?: Uint8Array[];
  fixturePos: number;
  tsStep: number;
}

interface DtmfJob {
  digit: DtmfDigit;
  mode: 'rfc2833' | 'inband';
  durationMs: number;
  resolve: () => void;
  started: boolean;
  record?: SentDtmf;
  /** rfc2833: packets and the tick the event started. */
  packets?: TelephoneEventPacket[];
  nextPacket: number;
  startIndex: number;
  /** inband: tone samples and progress. */
  tone?: Int16Array;
  tonePos: number;
  /** Samples (inband) or ms (rfc2833) of the gap still to go. */
  gapLeft: number;
}

function randomU32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

function inlineKey(k: SdpCryptoKey): string {
  let s = `inline:${k.key}`;
  if (k.lifetime !== undefined) s += `|${k.lifetime}`;
  if (k.mki !== undefined) s += `|${k.mki}`;
  return s;
}

function fromFlags(send: boolean, recv: boolean): SdpDirection {
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}

function isSrtpSuite(s: string): s is MediaSrtpSuite {
  return s === 'AES_CM_128_HMAC_SHA1_80' || s === 'AES_CM_128_HMAC_SHA1_32';
}

function srtpSignature(p: SrtpParams | undefined): string {
  return p ? `${p.suite} ${p.localKey} ${p.remoteKey}` : '';
}

/** Packetisation for `codec` near `wantMs`: a multiple of its frame, 10–60 ms. */
function ptimeFor(codec: AudioCodec, wantMs: number | undefined): number {
  const frame = codec.frameMs;
  const want = wantMs !== undefined && Number.isFinite(wantMs) ? wantMs : 20;
  let p = Math.max(frame, Math.round(want / frame) * frame);
  while (p > 60 && p - frame >= 10) p -= frame;
  while (p < 10) p += frame;
  return p;
}

let legCount = 0;

/**
 * One audio stream of a call. Create with {@link MediaLeg.open}; exchange SDP with
 * createOffer/acceptAnswer or acceptOffer; then play audio, send digits, and read what came
 * back. Call {@link MediaLeg.close} when done.
 */
export class MediaLeg {
  readonly name: string;
  /** Preferences used by the next createOffer/acceptOffer (may be replaced between exchanges). */
  prefs: MediaPrefs;
  /** Digits detected, in the order they ended. */
  readonly dtmfReceived: ReceivedDtmf[] = [];
  /** Digits sent, in order (evidence). */
  readonly dtmfSent: SentDtmf[] = [];

  readonly #clock: Clock;
  readonly #sendClock: SendClock;
  readonly #localAddress: string;
  readonly #log: Logger;
  readonly #opts: MediaLegOptions;
  readonly #endpoint: SdpEndpoint;
  /** The SSRC this leg sends with: its first RTP session's, kept by every session it reopens. */
  readonly #ssrc: number;
  /** Packets received with the SSRC this leg sends with since the last clearReceived (ownSsrcPackets). */
  #ownSsrcPackets = 0;
  #seq = randomU32() & 0xffff;
  #session: RtpSession | undefined;
  readonly #sessions: RtpSession[] = [];
  /** The arrival of every RTP datagram received, over every session (each notes into it). */
  readonly #arrivals: ArrivalLog;
  #localPort: number;
  #ready: Promise<void> = Promise.resolve();
  #srtpSig = '';
  #srtp: SrtpParams | undefined;
  #pendingOffer: SdpSession | undefined;
  /** The last offer made, answered or not (acceptAnswer's `final`). */
  #lastOffer: SdpSession | undefined;
  #neg: NegotiatedLeg | undefined;
  #sends = false;
  #receives = false;
  #txCodec: AudioCodec | undefined;
  #rxFormats = new Map<number, RxFormat>();
  #payloadMap = new Map<number, PayloadFormat>();
  readonly #dtmfListeners = new Set<(d: ReceivedDtmf) => void>();
  readonly #audioListeners = new Set<(pcm: Int16Array, sampleRate: number) => void>();
  readonly #payloadListeners = new Set<(codec: string, payload: Uint8Array) => void>();
  readonly #sentPayloadListeners = new Set<(codec: string, payload: Uint8Array) => void>();
  /** Telephone-event payload type this leg sends with (the peer's SDP's number). */
  #tePt: number | undefined;
  /** Telephone-event payload type this leg receives (its own SDP's number; #tePt unless renumbered). */
  #teRxPt: number | undefined;
  #play: PlayState | undefined;
  /** What is sent while nothing plays, when the leg sends continuously. */
  #idle: PlayState | undefined;
  #tx: TxState | undefined;
  #nextTs = randomU32();
  #lastTickMs: number | undefined;
  #dtmfQueue: DtmfJob[] = [];
  #dtmfJob: DtmfJob | undefined;
  #closed = false;

  // receive side
  #rxSsrc: number | undefined;
  #rxNextTs: number | undefined;
  #rxRate = 0;
  /** Sequence number of the last audio packet of the source that went on the timeline or stepped it (see #onPacket). */
  #rxLastSeq: number | undefined;
  /** RTP ticks of the last audio packet recorded. */
  #rxLastTicks = 0;
  #audioReceivedMs = 0;
  /** One telephone-event receiver per SSRC, one digit per press across them (an SBC may change SSRC). */
  #te = new MultiSourceEventReceiver({ clockRate: TE_CLOCK_RATE });
  #detector = new DtmfToneDetector({ sampleRate: RECORD_SAMPLE_RATE });
  #upsampler: Resampler | undefined;
  #upsamplerRate = 0;
  #rec = new Int16Array(RECORD_SAMPLE_RATE);
  #recLength = 0;
  readonly #recMax: number;
  #lastAudioAt = 0;
  /** Arrival time (leg clock) of the end of the audio fed to the detector so far: digits are dated from it. */
  #fedUntilAt = 0;
  /**
   * Start (detector samples) of the tone reported while it was still sounding because no audio
   * came for 200 ms of arrival time; the detector itself is left as it was, and the same tone
   * ending later is not reported again.
   */
  #idleReported: number | undefined;
  /** The record of that report: its duration is brought up to date when the tone ends. */
  #idleRecord: ReceivedDtmf | undefined;
  #pollTimer: TimerHandle | undefined;
  /**
   * Each source's packets, back in sequence order before {@link #onPacket}: a window per SSRC
   * (audio and telephone-events may come on two at once), the oldest forgotten past a few.
   */
  readonly #reorders = new Map<number, ReorderWindow<RtpView>>();
  /** The source of the last packet: when another one's turn comes, what the rest hold goes on. */
  #reorderSsrc: number | undefined;
  /** Packets put back in order by windows since forgotten. */
  #reorderedForgotten = 0;
  #reorderTimer: TimerHandle | undefined;
  #fixturePayloads = new Map<string, PlacedPayload[]>();
  #lastRxCodec: string | undefined;
  #fixturePayloadCount = 0;
  readonly #sentCodecs: string[] = [];
  /**
   * Runs of silent audio packets sent one after the other: [from, to] pairs, ms, at most
   * SILENT_RUNS_MAX pairs. An audible packet, an event, or a slot not sent ends a run.
   */
  readonly #silentRuns: number[] = [];
  #silentOpen = false;
  /**
   * Runs of audible audio packets and telephone-events sent: [from, to] pairs, ms, at most
   * SILENT_RUNS_MAX pairs; a run goes on across pauses of up to 400 ms.
   */
  readonly #soundRuns: number[] = [];
  readonly #receivedCodecs: string[] = [];
  /** Packets received per codec since the last negotiation or clearReceived (receivedSinceNegotiated). */
  #rxSinceNegotiated = new Map<string, number>();
  readonly #codecOrder: string[] = [];
  readonly #c = {
    telephoneEventsSent: 0,
    unexpectedPackets: 0,
    unknownPayloadType: 0,
    decodeErrors: 0,
    encodeErrors: 0,
    lateDropped: 0,
    timestampResyncs: 0,
    recordDropped: 0,
    sendSuppressed: 0,
    sourceErrors: 0,
    reopens: 0,
    reopenFailures: 0,
  };

  private constructor(opts: MediaLegOptions, session: RtpSession, sendClock: SendClock) {
    this.#opts = opts;
    this.#arrivals = session.arrivals;
    this.name = opts.name ?? `leg-${++legCount}`;
    this.prefs = opts.prefs;
    this.#clock = opts.clock ?? systemClock;
    this.#sendClock = sendClock;
    this.#localAddress = opts.localAddress;
    this.#log = (opts.logger ?? silentLogger).child({ leg: this.name });
    this.#recMax = Math.max(1, Math.floor((opts.maxRecordSeconds ?? 600) * RECORD_SAMPLE_RATE));
    this.#localPort = session.localPort;
    this.#ssrc = session.ssrc;
    this.#adopt(session);
    this.#endpoint = new SdpEndpoint(this.#sdpPrefs('sendrecv'));
    if (opts.continuous) this.#idle = { source: silenceSource() };
  }

  /**
   * Binds an RTP port (and RTCP on port+1) on `localAddress`. @throws Error when the address
   * cannot be bound (configuration, not network input).
   */
  static async open(opts: MediaLegOptions): Promise<MediaLeg> {
    const clock = opts.clock ?? systemClock;
    const sendClock = opts.sendClock ?? (clock === systemClock ? processSendClock() : new SendClock(clock));
    const session = await RtpSession.open({
      localAddress: opts.localAddress,
      localPort: 0,
      clock,
      sendClock,
      rtcpIntervalMs: opts.rtcpIntervalMs ?? 5000,
      ...(opts.maxEvidence !== undefined ? { maxEvidence: opts.maxEvidence } : {}),
      arrivals: new ArrivalLog(opts.maxArrivals),
    });
    return new MediaLeg(opts, session, sendClock);
  }

  /** Local RTP address and port (what the SDP advertises). */
  get local(): { address: string; port: number } {
    return { address: this.#localAddress, port: this.#localPort };
  }

  /** The RTP session currently in use (undefined while it is being reopened or after close). */
  get session(): RtpSession | undefined {
    return this.#session;
  }

  /** What the last completed exchange settled on (undefined before the first). */
  get negotiated(): NegotiatedLeg | undefined {
    return this.#neg ? structuredClone(this.#neg) : undefined;
  }

  /**
   * Audio packets received per codec since the last completed exchange or clearReceived (an
   * audio check's start: ringback or early media before the answer, in another codec the SDP
   * also lists, is not counted) — telephone-events and unknown payload types left out. The far
   * side chooses what it sends: RFC 3264 §6.1 lets it send any format listed both in the offer
   * and in the answer, not only the one this leg sends.
   */
  receivedSinceNegotiated(): Record<string, number> {
    return Object.fromEntries(this.#rxSinceNegotiated);
  }

  /** Whether audio is being played (a source is set and has not ended). */
  get playing(): boolean {
    return this.#play !== undefined;
  }

  /** Resolves once the RTP session reflects the last negotiation (after an SRTP reopen). */
  ready(): Promise<void> {
    return this.#ready;
  }

  // ---------------------------------------------------------------- SDP

  #offerableCodecs(): (string | { name: string; fmtp?: string })[] {
    const out: (string | { name: string; fmtp?: string })[] = [];
    for (const name of this.prefs.codecs) {
      const codec = codecByName(name);
      if (!codec || out.some((c) => (typeof c === 'string' ? c : c.name) === codec.name)) continue;
      if (codec.name === 'G723') out.push({ name: 'G723', fmtp: 'annexa=no' });
      else if (!codec.available()) continue;
      else if (codec.name === 'G729') out.push({ name: 'G729', fmtp: 'annexb=no' });
      else out.push(codec.name);
    }
    return out;
  }

  /** Local SDP preferences. Offers carry one a=crypto (the preferred suite); answers accept either suite. */
  #sdpPrefs(direction: SdpDirection, forAnswer = false): LocalSdpPrefs {
    const p = this.prefs;
    const suites: MediaSrtpSuite[] | undefined = p.srtp
      ? forAnswer
        ? [p.srtp, ...SUPPORTED_SUITES.filter((s) => s !== p.srtp)]
        : [p.srtp]
      : undefined;
    return {
      address: this.#localAddress,
      media: [
        {
          port: this.#localPort,
          codecs: this.#offerableCodecs(),
          telephoneEvent: p.telephoneEvent ? { pt: 101, events: '0-16' } : false,
          ptime: p.ptimeMs ?? 20,
          direction,
          ...(suites ? { srtp: { suites, required: true } } : {}),
        },
      ],
    };
  }

  /**
   * An offer (initial or re-offer) from the current preferences, as SDP text. 'sendonly'
   * puts the peer on hold, 'sendrecv' resumes. The o= version follows RFC 3264 §8.
   */
  createOffer(direction: SdpDirection = 'sendrecv'): string {
    this.#endpoint.prefs = this.#sdpPrefs(direction);
    const offer = this.#endpoint.createOffer();
    this.#pendingOffer = offer;
    this.#lastOffer = offer;
    return buildSdp(offer);
  }

  /**
   * Answers an offer (initial INVITE or re-INVITE) and configures RTP from it. `direction`
   * is what this leg allows (the answer narrows it per RFC 3264 §6.1). On failure the
   * previous negotiation stays in force and the caller should answer 488.
   */
  acceptOffer(
    offerSdp: string,
    direction: SdpDirection = 'sendrecv',
  ): { ok: true; answer: string } | { ok: false; reason: string } {
    if (this.#closed) return { ok: false, reason: 'media leg is closed' };
    const parsed = parseSdp(typeof offerSdp === 'string' ? offerSdp : '');
    if (!parsed.ok) return { ok: false, reason: `malformed SDP offer: ${parsed.error.reason}` };
    const offer = parsed.value;
    const prefs = this.#sdpPrefs(direction, true);
    // Dry run first, so a refused offer leaves the endpoint's o= version untouched.
    const trial = buildAnswer(offer, prefs, { cryptoKey: (_i, suite) => ({ method: 'inline', key: suite }) });
    const audioIndex = trial.media.findIndex((m) => m.accepted && offer.media[m.index]?.type === 'audio');
    if (audioIndex < 0) {
      const why = trial.media.map((m) => m.reason).filter(Boolean);
      return { ok: false, reason: why.length > 0 ? why.join('; ') : 'no audio stream offered' };
    }
    this.#endpoint.prefs = prefs;
    const r = this.#endpoint.createAnswer(offer);
    const nm = negotiate(offer, r.answer).media[audioIndex];
    if (!nm) return { ok: false, reason: 'no negotiated audio stream' };
    const applied = this.#apply(nm, 'answerer', offer, r.answer);
    if (!applied.ok) return applied;
    // An offer of ours still outstanding lost the glare (RFC 3261 §14.1: 491); forget it.
    this.#pendingOffer = undefined;
    return { ok: true, answer: buildSdp(r.answer) };
  }

  /**
   * Applies the answer to this leg's last offer. On failure the previous negotiation stays.
   * `preview`: the SDP of an unreliable provisional response, which is not yet the answer (RFC
   * 3261 §13.2.1: the answer is in the 2xx, or in a reliable provisional, RFC 3262): it is
   * applied (early media flows by it) and the offer stays outstanding, so the answer that
   * follows replaces it, whether it repeats the preview or not (a ringback stream a=sendonly,
   * then the call a=sendrecv). `final`: the 2xx's SDP to the INVITE, which answers its offer
   * even where another fork's reliable provisional answered it first (each early dialog has
   * its own exchange, RFC 3261 §13.2.1; the 2xx's is the one the call keeps).
   */
  acceptAnswer(
    answerSdp: string,
    opts: { preview?: boolean; final?: boolean } = {},
  ): { ok: true } | { ok: false; reason: string } {
    if (this.#closed) return { ok: false, reason: 'media leg is closed' };
    const offer = this.#pendingOffer ?? (opts.final ? this.#lastOffer : undefined);
    if (!offer) return { ok: false, reason: 'no offer is outstanding' };
    const parsed = parseSdp(typeof answerSdp === 'string' ? answerSdp : '');
    if (!parsed.ok) return { ok: false, reason: `malformed SDP answer: ${parsed.error.reason}` };
    if (!opts.preview) this.#pendingOffer = undefined;
    const result = negotiate(offer, parsed.value);
    const nm = result.media.find((m) => m.type === 'audio' && !m.rejected) ?? result.media[0];
    if (!nm) return { ok: false, reason: 'answer has no media stream' };
    if (nm.rejected) return { ok: false, reason: 'audio stream rejected in the answer (port 0)' };
    const om = offer.media[nm.index];
    if (om && om.protocol.toUpperCase() === 'RTP/SAVP' && !nm.srtp)
      return { ok: false, reason: 'RTP/SAVP offered but the answer has no usable a=crypto' };
    return this.#apply(nm, 'offerer', offer, parsed.value, result.problems);
  }

  /**
   * The offer outstanding is answered by what was applied as a preview (acceptAnswer's
   * `preview`): the answer repeated it, so nothing changes but the offer being settled.
   */
  settleOffer(): void {
    this.#pendingOffer = undefined;
  }

  #apply(
    nm: NegotiatedMedia,
    role: 'offerer' | 'answerer',
    offer: SdpSession,
    answer: SdpSession,
    extraProblems: string[] = [],
  ): { ok: true } | { ok: false; reason: string } {
    if (nm.rejected) return { ok: false, reason: 'audio stream rejected' };
    if (!nm.codec) return { ok: false, reason: `no common codec (${nm.problems.join('; ')})` };
    const codec = codecByName(nm.codec.name);
    if (!codec || nm.codec.clockRate !== codec.rtpClockRate)
      return {
        ok: false,
        reason: `negotiated codec ${nm.codec.name}/${nm.codec.clockRate} is not one the harness speaks`,
      };
    if (codec.name !== 'G723' && !codec.available())
      return {
        ok: false,
        reason: `negotiated codec ${codec.name} unavailable: ${codec.unavailableReason?.() ?? ''}`,
      };
    const remoteSide = role === 'offerer' ? nm.answerer : nm.offerer;
    if (remoteSide.address === undefined)
      return { ok: false, reason: 'the peer SDP has no connection address' };
    let srtp: SrtpParams | undefined;
    if (nm.srtp) {
      if (!isSrtpSuite(nm.srtp.suite))
        return { ok: false, reason: `SRTP suite ${nm.srtp.suite} is not supported` };
      const mine = role === 'offerer' ? nm.srtp.offererKey : nm.srtp.answererKey;
      const theirs = role === 'offerer' ? nm.srtp.answererKey : nm.srtp.offererKey;
      srtp = { suite: nm.srtp.suite, localKey: inlineKey(mine), remoteKey: inlineKey(theirs) };
    }
    const sends = role === 'offerer' ? nm.flow.offererToAnswerer : nm.flow.answererToOfferer;
    const receives = role === 'offerer' ? nm.flow.answererToOfferer : nm.flow.offererToAnswerer;
    const remoteSdp = role === 'offerer' ? answer : offer;
    const remoteMedia = remoteSdp.media[nm.index];
    const ptimeMs = ptimeFor(codec, remoteMedia?.ptime ?? this.prefs.ptimeMs);

    // Each side receives a format with the number its own SDP gave it and sends it with the
    // other's: they differ only where the answer renumbered a format (RFC 3264 §6.1's SHOULD).
    type Numbered = Pick<NegotiatedFormat, 'pt' | 'offerPt'>;
    const ours = (f: Numbered) => (role === 'offerer' ? (f.offerPt ?? f.pt) : f.pt);
    const theirs = (f: Numbered) => (role === 'offerer' ? f.pt : (f.offerPt ?? f.pt));
    const rx = new Map<number, RxFormat>();
    const payloadMap = new Map<number, PayloadFormat>();
    for (const nf of nm.formats) {
      const f = { ...nf, pt: ours(nf) };
      if (f.name.toLowerCase() === 'telephone-event') {
        payloadMap.set(f.pt, { name: 'telephone-event', clockRate: f.clockRate });
        continue;
      }
      const c = codecByName(f.name);
      if (!c || f.clockRate !== c.rtpClockRate) continue;
      payloadMap.set(f.pt, { name: c.name, clockRate: c.rtpClockRate, sampleRate: c.sampleRate });
      // A re-offer that keeps a payload type's codec keeps its decoder: a stateful decoder
      // (G.722's ADPCM, G.729's filters) reset in the middle of a stream decodes the sender's
      // next packets wrongly for tens of ms, as an SBC moving a leg to a new port (same
      // codec, same encoder on its side) would show: an inband digit split in two.
      const kept = this.#rxFormats.get(f.pt);
      if (kept && kept.codec.name === c.name && !rx.has(f.pt)) {
        rx.set(f.pt, kept);
        continue;
      }
      const entry: RxFormat = { codec: c };
      if (c.available()) {
        try {
          entry.decoder = c.createDecoder();
        } catch (e) {
          this.#log.warn({ codec: c.name, err: String(e) }, 'decoder unavailable');
        }
      }
      rx.set(f.pt, entry);
    }
    const keptFormats = new Set(rx.values());
    for (const old of this.#rxFormats.values()) if (!keptFormats.has(old)) old.decoder?.close?.();
    this.#rxFormats = rx;
    this.#payloadMap = payloadMap;
    const te = nm.telephoneEvent;
    this.#tePt = te ? theirs(te) : undefined;
    this.#teRxPt = te ? ours(te) : undefined;

    const prevCodec = this.#txCodec;
    const prevPtime = this.#neg?.ptimeMs;
    this.#neg = {
      codec: codec.name,
      payloadType: theirs(nm.codec),
      ...(this.#tePt !== undefined ? { telephoneEventPt: this.#tePt } : {}),
      ...(this.#teRxPt !== undefined && this.#teRxPt !== this.#tePt
        ? { telephoneEventRxPt: this.#teRxPt }
        : {}),
      remote: { address: remoteSide.address, port: remoteSide.port },
      direction: fromFlags(sends, receives),
      ...(srtp ? { srtpSuite: srtp.suite } : {}),
      role,
      ptimeMs,
      formats: nm.formats.map((f) => `${f.name}/${f.clockRate}`),
      problems: [...extraProblems, ...nm.problems],
    };
    this.#sends = sends;
    this.#receives = receives;
    this.#txCodec = codec;
    this.#rxSinceNegotiated = new Map();
    this.#log.debug(
      { codec: codec.name, role, direction: this.#neg.direction, remote: this.#neg.remote, srtp: !!srtp },
      'media negotiated',
    );

    const sig = srtpSignature(srtp);
    if (sig !== this.#srtpSig) {
      this.#srtpSig = sig;
      this.#srtp = srtp;
      this.#reopen();
    } else if (this.#session) {
      this.#session.setPayloadMap(payloadMap);
      this.#session.setRemote(remoteSide.address, remoteSide.port);
    }
    if (this.#tx && (prevCodec !== codec || prevPtime !== ptimeMs)) this.#stopTx();
    this.#ensureTx();
    return { ok: true };
  }

  // ---------------------------------------------------------------- RTP session

  #adopt(session: RtpSession): void {
    this.#session = session;
    this.#sessions.push(session);
    const rx = session.receiver;
    const receive = rx.receive.bind(rx);
    // The leg needs each accepted packet (timestamp, marker, payload) after SRTP: it wraps
    // the receiver's entry point of its own session.
    rx.receive = (datagram, arrivalMs) => {
      const outcome = receive(datagram, arrivalMs);
      if (outcome.kind === 'accepted' && outcome.fresh && this.#session === session && !this.#closed) {
        this.#onArrival(outcome.packet, arrivalMs);
      }
      return outcome;
    };
  }

  #reopen(): void {
    const port = this.#localPort;
    this.#ready = this.#ready.then(async () => {
      if (this.#closed) return;
      const old = this.#session;
      this.#session = undefined;
      if (old) await old.close();
      if (this.#closed) return;
      this.#c.reopens++;
      try {
        const srtp = this.#srtp;
        const session = await RtpSession.open({
          localAddress: this.#localAddress,
          localPort: port,
          clock: this.#clock,
          sendClock: this.#sendClock,
          ssrc: this.#ssrc,
          rtcpIntervalMs: this.#opts.rtcpIntervalMs ?? 5000,
          ...(this.#opts.maxEvidence !== undefined ? { maxEvidence: this.#opts.maxEvidence } : {}),
          arrivals: this.#arrivals,
          payloadMap: this.#payloadMap,
          ...(srtp ? { srtp } : {}),
        });
        if (this.#closed) {
          await session.close();
          return;
        }
        this.#adopt(session);
        const neg = this.#neg;
        if (neg) session.setRemote(neg.remote.address, neg.remote.port);
      } catch (e) {
        this.#c.reopenFailures++;
        this.#log.error({ port, err: String(e) }, 'could not reopen the RTP session');
      }
    });
  }

  #canSend(): boolean {
    const n = this.#neg;
    return (
      this.#sends &&
      this.#session !== undefined &&
      n !== undefined &&
      n.remote.port > 0 &&
      n.remote.address !== ''
    );
  }

  #sendRtp(payloadType: number, payload: Uint8Array, timestamp: number, marker: boolean): boolean {
    const session = this.#session;
    if (!session || !this.#canSend()) {
      this.#c.sendSuppressed++;
      return false;
    }
    const ok = session.sendPayload({ payloadType, payload, timestamp, marker, sequenceNumber: this.#seq });
    if (ok) this.#seq = (this.#seq + 1) & 0xffff;
    return ok;
  }

  // ---------------------------------------------------------------- sending

  /**
   * Plays `source` (resampled to the codec's rate, encoded) until it ends or
   * {@link stopPlaying}; replaces what was playing. Before negotiation the source waits.
   * When G.723.1 is the codec the committed fixture frames are sent instead, for as long as
   * the source lasts. @throws RangeError when the source's rate cannot be converted to
   * 8 and 16 kHz (integer ratios only: 8, 16, 32, 48 kHz work).
   */
  play(source: AudioSource): void {
    if (!canResample(source.sampleRate, 8000) || !canResample(source.sampleRate, 16000))
      throw new RangeError(`audio source at ${source.sampleRate} Hz: use 8, 16, 32 or 48 kHz`);
    if (this.#closed) return;
    // A continuous G.723.1 leg keeps its place in the fixture loop, so what arrives stays one run.
    if (this.#tx?.fixtureFrames && !this.#idle) this.#tx.fixturePos = 0;
    this.#play = { source };
    this.#ensureTx();
  }

  /** Stops the audio (queued digits are still sent). */
  stopPlaying(): void {
    this.#play = undefined;
  }

  /**
   * Sends one digit in `mode` (default duration 100 ms), after any digits already queued,
   * followed by {@link DTMF_GAP_MS} of gap. Resolves when it has been sent (or, with
   * status 'aborted' in {@link dtmfSent}, when the leg closed first). Rejects when the digit
   * is not a DTMF digit, nothing is negotiated yet, rfc2833 is asked without a negotiated
   * telephone-event, or inband is asked while the codec is G.723.1 (not encodable).
   */
  sendDtmf(digit: string, mode: 'rfc2833' | 'inband', durationMs = 100): Promise<void> {
    const d = toDtmfDigit(String(digit));
    if (d === undefined) return Promise.reject(new RangeError(`"${digit}" is not a DTMF digit`));
    if (mode !== 'rfc2833' && mode !== 'inband')
      return Promise.reject(new RangeError(`DTMF mode ${String(mode)} is not sent as media`));
    if (this.#closed) return Promise.reject(new Error('media leg is closed'));
    if (!this.#neg) return Promise.reject(new Error('no media negotiated yet'));
    if (mode === 'rfc2833' && this.#tePt === undefined)
      return Promise.reject(new Error('telephone-event was not negotiated'));
    if (mode === 'inband' && this.#txCodec?.name === 'G723')
      return Promise.reject(new Error('inband DTMF cannot be sent with G.723.1 (no encoder)'));
    const ms = Number.isFinite(durationMs) && durationMs >= 20 ? Math.min(durationMs, 5000) : 100;
    return new Promise<void>((resolve) => {
      this.#dtmfQueue.push({
        digit: d,
        mode,
        durationMs: ms,
        resolve,
        started: false,
        nextPacket: 0,
        startIndex: 0,
        tonePos: 0,
        gapLeft: 0,
      });
      this.#ensureTx();
    });
  }

  #ensureTx(): void {
    if (this.#tx || this.#closed) return;
    const codec = this.#txCodec;
    const neg = this.#neg;
    if (!codec || !neg) return;
    if (!this.#play && !this.#idle && !this.#dtmfJob && this.#dtmfQueue.length === 0) return;
    const ptimeMs = neg.ptimeMs;
    const tsStep = Math.round((ptimeMs * codec.rtpClockRate) / 1000);
    const now = this.#clock.now();
    if (this.#lastTickMs !== undefined && now > this.#lastTickMs) {
      // RTP time keeps running while nothing is sent (RFC 3550 §5.1).
      this.#nextTs =
        (this.#nextTs + Math.round(((now - this.#lastTickMs) * codec.rtpClockRate) / 1000)) >>> 0;
    }
    let encoder: Encoder | undefined;
    let fixtureFrames: Uint8Array[] | undefined;
    if (codec.name === 'G723') {
      try {
        fixtureFrames = loadCodecFixture('G723').frames;
      } catch (e) {
        this.#c.encodeErrors++;
        this.#log.error({ err: String(e) }, 'G.723.1 fixture missing');
        fixtureFrames = [];
      }
    } else {
      try {
        encoder = codec.createEncoder();
      } catch (e) {
        this.#c.encodeErrors++;
        this.#log.error({ codec: codec.name, err: String(e) }, 'encoder unavailable');
        return;
      }
    }
    const tx: TxState = {
      codec,
      pt: neg.payloadType,
      ptimeMs,
      samples: Math.round((ptimeMs * codec.sampleRate) / 1000),
      fixturePos: 0,
      tsStep,
      stream: undefined as unknown as SendStream,
      ...(encoder ? { encoder } : {}),
      ...(fixtureFrames ? { fixtureFrames } : {}),
    };
    this.#tx = tx;
    tx.stream = this.#sendClock.add({
      ptimeMs,
      clockRate: codec.rtpClockRate,
      firstTimestamp: this.#nextTs,
      onTick: (tick) => this.#onTick(tx, tick),
    });
  }

  #stopTx(): void {
    const tx = this.#tx;
    if (!tx) return;
    this.#tx = undefined;
    tx.stream.stop();
    tx.encoder?.close?.();
  }

  /** The next packet's PCM at the codec's rate, or null when nothing is playing. */
  #pull(tx: TxState): Int16Array | null {
    const play = this.#play ?? this.#idle;
    if (!play) return null;
    const srcRate = play.source.sampleRate;
    const want = Math.round((tx.samples * srcRate) / tx.codec.sampleRate);
    let raw: Int16Array | null;
    try {
      raw = play.source.next(want);
    } catch {
      this.#c.sourceErrors++;
      raw = null;
    }
    if (!raw) {
      if (this.#play === play) {
        this.#play = undefined;
        if (this.#idle) return this.#pull(tx);
      }
      return null;
    }
    let pcm = raw;
    if (srcRate !== tx.codec.sampleRate) {
      if (!play.resampler || play.resamplerRate !== tx.codec.sampleRate) {
        play.resampler = new Resampler(srcRate, tx.codec.sampleRate);
        play.resamplerRate = tx.codec.sampleRate;
      }
      pcm = play.resampler.process(raw);
    }
    if (pcm.length === tx.samples) return pcm;
    const out = new Int16Array(tx.samples);
    out.set(pcm.subarray(0, tx.samples));
    return out;
  }

  #onTick(tx: TxState, tick: SendTick): boolean {
    if (this.#tx !== tx) return false;
    this.#lastTickMs = tick.dueMs;
    this.#nextTs = (tick.rtpTimestamp + tx.tsStep) >>> 0;
    let pcm = this.#pull(tx);
    let job = this.#dtmfJob;
    if (!job && this.#dtmfQueue.length > 0) {
      job = this.#dtmfQueue.shift()!;
      this.#dtmfJob = job;
    }
    let eventTick = false;
    if (job) {
      if (!job.started) this.#startJob(job, tx, tick);
      if (job.mode === 'rfc2833') {
        const packets = job.packets!;
        if (job.nextPacket < packets.length) {
          eventTick = true;
          const elapsedMs = (tick.index - job.startIndex) * tx.ptimeMs;
          while (job.nextPacket < packets.length && packets[job.nextPacket]!.offsetMs <= elapsedMs + 1e-6) {
            const p = packets[job.nextPacket++]!;
            if (this.#sendRtp(this.#tePt ?? 101, p.payload, p.timestamp, p.marker)) {
              this.#c.telephoneEventsSent++;
              this.#noteSound(tx.ptimeMs);
            }
          }
          if (job.nextPacket >= packets.length) job.gapLeft = DTMF_GAP_MS;
        } else {
          job.gapLeft -= tx.ptimeMs;
          if (job.gapLeft <= 0) this.#finishJob(job, 'sent');
        }
      } else {
        // A copy: the source may hand out views of its own buffer.
        const base = pcm ? pcm.slice() : new Int16Array(tx.samples);
        const tone = job.tone!;
        for (let i = 0; i < base.length; i++) {
          if (job.tonePos < tone.length) base[i] = tone[job.tonePos++]!;
          else if (job.gapLeft > 0) {
            base[i] = 0;
            job.gapLeft--;
          }
        }
        pcm = base;
        if (job.tonePos >= tone.length && job.gapLeft <= 0) this.#finishJob(job, 'sent');
      }
    }
    if (eventTick || !pcm) this.#silentOpen = false;
    if (eventTick) return false;
    if (!pcm) {
      if (!this.#play && !this.#idle && !this.#dtmfJob && this.#dtmfQueue.length === 0) this.#stopTx();
      return false;
    }
    let payload: Uint8Array;
    if (tx.encoder) {
      try {
        payload = tx.encoder.encode(pcm);
      } catch {
        this.#c.encodeErrors++;
        return false;
      }
    } else {
      const frames = tx.fixtureFrames ?? [];
      const per = Math.max(1, Math.round(tx.ptimeMs / tx.codec.frameMs));
      if (frames.length === 0) return false;
      payload = new Uint8Array(per * tx.codec.frameBytes);
      for (let k = 0; k < per; k++) {
        payload.set(frames[tx.fixturePos]!, k * tx.codec.frameBytes);
        tx.fixturePos = (tx.fixturePos + 1) % frames.length;
      }
    }
    const ok = this.#sendRtp(tx.pt, payload, tick.rtpTimestamp, tick.marker);
    const silent = tx.encoder !== undefined && isSilence(pcm);
    this.#noteSent(ok && silent, tx.ptimeMs);
    if (ok && !silent) this.#noteSound(tx.ptimeMs);
    if (ok) {
      for (const fn of this.#sentPayloadListeners) {
        try {
          fn(tx.codec.name, payload);
        } catch (e) {
          this.#log.warn({ err: String(e) }, 'sent payload listener failed');
        }
      }
    }
    if (ok && !this.#sentCodecs.includes(tx.codec.name)) {
      this.#sentCodecs.push(tx.codec.name);
      if (!this.#codecOrder.includes(tx.codec.name)) this.#codecOrder.push(tx.codec.name);
    }
    return ok;
  }

  #startJob(job: DtmfJob, tx: TxState, tick: SendTick): void {
    job.started = true;
    job.startIndex = tick.index;
    const record: SentDtmf = {
      digit: job.digit,
      mode: job.mode,
      atMs: tick.dueMs,
      durationMs: job.durationMs,
      status: 'sent',
    };
    job.record = record;
    if (job.mode === 'rfc2833') {
      job.packets = telephoneEventPackets(job.digit, {
        startTimestamp: tick.rtpTimestamp,
        durationMs: job.durationMs,
        ptimeMs: tx.ptimeMs,
        clockRate: TE_CLOCK_RATE,
      });
    } else {
      job.tone = generateDtmfTone(job.digit, {
        sampleRate: tx.codec.sampleRate,
        durationMs: job.durationMs,
        levelDbm0: INBAND_DTMF_LEVEL_DBM0,
      });
      job.gapLeft = Math.round((DTMF_GAP_MS * tx.codec.sampleRate) / 1000);
    }
  }

  #finishJob(job: DtmfJob, status: 'sent' | 'aborted'): void {
    if (this.#dtmfJob === job) this.#dtmfJob = undefined;
    const record = job.record ?? {
      digit: job.digit,
      mode: job.mode,
      atMs: this.#clock.now(),
      durationMs: job.durationMs,
      status,
    };
    record.status = status;
    if (this.dtmfSent.length < MAX_DTMF_RECORDS) this.dtmfSent.push(record);
    job.resolve();
  }

  // ---------------------------------------------------------------- receiving

  /** A fresh packet as it arrives: into the reorder window of its source. */
  #onArrival(p: RtpView, at: number): void {
    if (p.ssrc !== this.#reorderSsrc) {
      // Another source's turn (a new SSRC, or events on an SSRC of their own): what the others
      // hold goes on first, so the receive path never goes back to a source it left. Each
      // window keeps its numbering.
      for (const w of this.#reorders.values()) w.flush();
      this.#reorderSsrc = p.ssrc;
    }
    let w = this.#reorders.get(p.ssrc);
    if (!w) {
      if (this.#reorders.size >= MAX_REORDER_SOURCES) {
        const oldest = this.#reorders.keys().next().value;
        if (oldest !== undefined) {
          this.#reorderedForgotten += this.#reorders.get(oldest)?.stats.reordered ?? 0;
          this.#reorders.delete(oldest);
        }
      }
      w = new ReorderWindow<RtpView>((q, t) => this.#deliver(q, t));
      this.#reorders.set(p.ssrc, w);
    }
    w.push(p.sequenceNumber, p, at);
    if (w.held > 0) this.#armReorder();
  }

  /** Ends a reorder window's wait for a missing packet once it is over (a loss). */
  #armReorder(): void {
    if (this.#reorderTimer || this.#closed) return;
    let due: number | undefined;
    for (const w of this.#reorders.values()) {
      const d = w.dueAt;
      if (d !== undefined && (due === undefined || d < due)) due = d;
    }
    if (due === undefined) return;
    this.#reorderTimer = this.#clock.setTimeout(
      // After this turn's reads: a timer runs before the datagrams that waited through a stall
      // of the process are read, and the missing packet may be among them.
      () =>
        setImmediate(() => {
          this.#reorderTimer = undefined;
          if (this.#closed) return;
          const now = this.#clock.now();
          for (const w of this.#reorders.values()) w.poll(now);
          this.#armReorder();
        }),
      Math.max(1, due - this.#clock.now()),
    );
  }

  /** A packet in sequence order, out of the reorder window. */
  #deliver(p: RtpView, at: number): void {
    try {
      this.#onPacket(p, at);
    } catch (e) {
      this.#c.decodeErrors++;
      this.#log.warn({ err: String(e) }, 'packet handling failed');
    }
  }

  #onPacket(p: RtpView, at: number): void {
    if (!this.#receives) this.#c.unexpectedPackets++;
    if (p.ssrc === this.#ssrc) this.#ownSsrcPackets++;
    if (p.ssrc !== this.#rxSsrc) {
      // A new source restarts the audio timeline; its telephone-events keep their own receiver.
      this.#rxSsrc = p.ssrc;
      this.#rxNextTs = undefined;
      this.#rxLastSeq = undefined;
    }
    if (this.#teRxPt !== undefined && p.payloadType === this.#teRxPt) {
      this.#recordTe(
        this.#te.push(p.ssrc, {
          payload: p.payload,
          timestamp: p.timestamp,
          seq: p.sequenceNumber,
          marker: p.marker,
          arrivalMs: at,
        }),
      );
      this.#armPoll();
      return;
    }
    const f = this.#rxFormats.get(p.payloadType);
    if (!f) {
      this.#c.unknownPayloadType++;
      return;
    }
    const name = f.codec.name;
    this.#rxSinceNegotiated.set(name, (this.#rxSinceNegotiated.get(name) ?? 0) + 1);
    if (!this.#receivedCodecs.includes(name)) {
      this.#receivedCodecs.push(name);
      if (!this.#codecOrder.includes(name)) this.#codecOrder.push(name);
    }
    this.#keepPayload(name, p.payload, p.timestamp, p.ssrc);
    for (const fn of this.#payloadListeners) {
      try {
        fn(name, p.payload);
      } catch (e) {
        this.#log.warn({ err: String(e) }, 'payload listener failed');
      }
    }
    if (!f.decoder) {
      if (f.codec.payloadMs) this.#audioReceivedMs += f.codec.payloadMs(p.payload);
      else if (f.codec.frameBytes > 0)
        this.#audioReceivedMs += (p.payload.length / f.codec.frameBytes) * f.codec.frameMs;
      return;
    }
    const rate = f.codec.sampleRate;
    const clockRate = f.codec.rtpClockRate;
    let gap = this.#rxNextTs !== undefined && this.#rxRate === rate ? (p.timestamp - this.#rxNextTs) | 0 : 0;
    // Packets come here in sequence order (the reorder window), so one whose number is behind the
    // last one's is late (up to RFC 3550 A.1's MAX_MISORDER); any other came after it.
    const ds = this.#rxLastSeq === undefined ? 1 : seqDelta(p.sequenceNumber, this.#rxLastSeq);
    const late = ds <= 0 && ds >= -RX_MAX_MISORDER;
    if (gap < 0 && !late) {
      // The timestamp stepped back on a packet that is not late: the source's audio started
      // afresh under the same SSRC (a B2BUA switching from ringback or music on hold to the
      // party, or a transfer: RFC 3550 A.1 expects a receiver to resync). It starts a new
      // timeline when it says so (its marker, its number up to RFC 3550 A.1's MAX_DROPOUT on), or
      // when the step is more than two packets on the very next number, where the RTP
      // validator's rtp-timestamp rule names the step too. Else it is dropped as before: a step
      // of a packet or two is caught up within as many packets; after a gap in the numbering,
      // the next packet in sequence resyncs.
      const back = -gap;
      if ((p.marker && ds > 0 && ds <= RX_MAX_DROPOUT) || (back > 2 * this.#rxLastTicks && ds === 1)) {
        gap = 0;
        this.#c.timestampResyncs++;
      } else this.#rxLastSeq = p.sequenceNumber;
    }
    if (gap < 0 || (late && ds < 0)) {
      // Older than audio already recorded (by its timestamp, or by its number: a late packet
      // of the audio before a resync): not decoded either, so a stateful decoder (G.722,
      // G.729) does not run on frames out of order.
      this.#c.lateDropped++;
      return;
    }
    let pcm: Int16Array;
    try {
      pcm = f.decoder.decode(p.payload);
    } catch {
      this.#c.decodeErrors++;
      return;
    }
    // Packets put back in order keep their own arrival times: the latest counts. Digits are
    // dated from the arrival of the audio that completed them (a packet that waited in the
    // reorder window by its arrival, not by when the wait ended; a gap's silence ends where this
    // packet's audio starts).
    this.#lastAudioAt = Math.max(this.#lastAudioAt, at);
    if (gap > 0 && gap <= MAX_GAP_FILL_SECONDS * clockRate) {
      this.#fedUntilAt = Math.max(this.#fedUntilAt, at - (pcm.length * 1000) / rate);
      this.#appendAudio(new Int16Array(Math.round((gap * rate) / clockRate)), rate);
    }
    this.#fedUntilAt = Math.max(this.#fedUntilAt, at);
    // A tone reported at an arrival pause is not ended here when the stream starts afresh (new
    // SSRC, timestamp jump, codec change: RFC 3550 §8.2 lets a source change its SSRC at any
    // time, as an SBC moving to a new port does): the audio decides. The same tone going on
    // extends the same digit; silence or another digit ends it (the detector's own rules).
    this.#rxRate = rate;
    this.#audioReceivedMs += (pcm.length * 1000) / rate;
    this.#appendAudio(pcm, rate);
    this.#rxLastTicks = Math.round((pcm.length * clockRate) / rate);
    this.#rxNextTs = (p.timestamp + this.#rxLastTicks) >>> 0;
    if (!late) this.#rxLastSeq = p.sequenceNumber;
  }

  #keepPayload(codec: string, payload: Uint8Array, timestamp: number, ssrc: number): void {
    this.#lastRxCodec = codec;
    if (this.#fixturePayloadCount >= MAX_FIXTURE_PAYLOADS) return;
    let list = this.#fixturePayloads.get(codec);
    if (!list) {
      list = [];
      this.#fixturePayloads.set(codec, list);
    }
    list.push({ payload: payload.slice(), timestamp, ssrc });
    this.#fixturePayloadCount++;
  }

  #appendAudio(pcm: Int16Array, rate: number): void {
    let wide = pcm;
    if (rate !== RECORD_SAMPLE_RATE) {
      if (!canResample(rate, RECORD_SAMPLE_RATE)) return;
      if (!this.#upsampler || this.#upsamplerRate !== rate) {
        this.#upsampler = new Resampler(rate, RECORD_SAMPLE_RATE);
        this.#upsamplerRate = rate;
      }
      wide = this.#upsampler.process(pcm);
    }
    this.#feedDetector(wide);
    for (const fn of this.#audioListeners) {
      try {
        fn(wide, RECORD_SAMPLE_RATE);
      } catch (e) {
        this.#log.warn({ err: String(e) }, 'audio listener failed');
      }
    }
    const room = this.#recMax - this.#recLength;
    const take = Math.min(room, wide.length);
    if (take < wide.length) this.#c.recordDropped += wide.length - take;
    if (take <= 0) return;
    if (this.#recLength + take > this.#rec.length) {
      const grown = new Int16Array(
        Math.min(this.#recMax, Math.max(this.#recLength + take, this.#rec.length * 2)),
      );
      grown.set(this.#rec.subarray(0, this.#recLength));
      this.#rec = grown;
    }
    this.#rec.set(take === wide.length ? wide : wide.subarray(0, take), this.#recLength);
    this.#recLength += take;
  }

  #feedDetector(pcm: Int16Array): void {
    const found = this.#detector.feed(pcm);
    for (const t of found) {
      if (this.#alreadyReported(t)) continue;
      this.#pushReceived({
        digit: t.digit,
        mode: 'inband',
        atMs: this.#toneAt(t.startSample),
        durationMs: t.durationMs,
      });
    }
    if (this.#detector.pending !== undefined) this.#armPoll();
    else {
      this.#idleReported = undefined;
      this.#idleRecord = undefined;
    }
  }

  /** When a tone that starts at detector sample `startSample` arrived (leg clock, ms). */
  #toneAt(startSample: number): number {
    return this.#fedUntilAt - ((this.#detector.samplesSeen - startSample) * 1000) / RECORD_SAMPLE_RATE;
  }

  /** Whether `t` is the tone already reported at an arrival pause (then forgotten, its record's duration updated). */
  #alreadyReported(t: { startSample: number; durationMs: number }): boolean {
    if (this.#idleReported === undefined || t.startSample !== this.#idleReported) return false;
    if (this.#idleRecord) this.#idleRecord.durationMs = t.durationMs;
    this.#idleReported = undefined;
    this.#idleRecord = undefined;
    return true;
  }

  #recordTe(events: { digit: string; firstArrivalMs: number; durationMs: number }[]): void {
    for (const e of events)
      this.#pushReceived({
        digit: e.digit,
        mode: 'rfc2833',
        atMs: e.firstArrivalMs,
        durationMs: e.durationMs,
      });
  }

  #pushReceived(r: ReceivedDtmf): void {
    if (this.dtmfReceived.length < MAX_DTMF_RECORDS) this.dtmfReceived.push(r);
    for (const fn of this.#dtmfListeners) {
      try {
        fn(r);
      } catch (e) {
        this.#log.warn({ err: String(e) }, 'DTMF listener failed');
      }
    }
  }

  /** Calls `listener` for every digit detected from now on; returns the unsubscribe function. */
  onDtmf(listener: (d: ReceivedDtmf) => void): () => void {
    this.#dtmfListeners.add(listener);
    return () => this.#dtmfListeners.delete(listener);
  }

  /**
   * Calls `listener` with each block of received audio as it is decoded (16 kHz, the same
   * samples {@link receivedAudio} records, gap fill included): for bridging two legs or
   * mixing a conference through a `PcmQueueSource`. Returns the unsubscribe function.
   */
  onAudio(listener: (pcm: Int16Array, sampleRate: number) => void): () => void {
    this.#audioListeners.add(listener);
    return () => this.#audioListeners.delete(listener);
  }

  /**
   * Calls `listener` with the codec and payload of each fresh audio packet as it arrives,
   * before decoding (also for a codec the harness cannot decode, G.723.1): for timing
   * identifiable payloads such as the G.723.1 fixture's frames. Returns the unsubscribe function.
   */
  onPayload(listener: (codec: string, payload: Uint8Array) => void): () => void {
    this.#payloadListeners.add(listener);
    return () => this.#payloadListeners.delete(listener);
  }

  /**
   * Calls `listener` with the codec and payload of each audio packet as it is sent (encoded, or
   * the G.723.1 fixture's frames; not telephone-events), right after it went out: what the far
   * leg's {@link onPayload} should see. The payload may be a buffer the leg reuses: copy it to
   * keep it. Returns the unsubscribe function.
   */
  onSentPayload(listener: (codec: string, payload: Uint8Array) => void): () => void {
    this.#sentPayloadListeners.add(listener);
    return () => this.#sentPayloadListeners.delete(listener);
  }

  /** Closes digits whose end never arrived: telephone-events idle, tones followed by no audio. */
  #armPoll(): void {
    if (this.#pollTimer || this.#closed) return;
    this.#pollTimer = this.#clock.setTimeout(() => {
      this.#pollTimer = undefined;
      if (this.#closed) return;
      const now = this.#clock.now();
      this.#recordTe(this.#te.poll(now));
      const tone = this.#idleReported === undefined ? this.#detector.peek() : undefined;
      if (tone && now - this.#lastAudioAt >= 200) {
        // No audio for 200 ms: report the digit sounding, as the end of a stream would. The
        // detector is not fed silence the stream never had: under a stall of the host or of
        // the network the rest of the tone may still arrive, and it extends the same digit
        // instead of making a second one.
        this.#idleReported = tone.startSample;
        this.#idleRecord = {
          digit: tone.digit,
          mode: 'inband',
          atMs: this.#toneAt(tone.startSample),
          durationMs: tone.durationMs,
        };
        this.#pushReceived(this.#idleRecord);
      }
      if (this.#te.pending || (this.#detector.pending !== undefined && this.#idleReported === undefined))
        this.#armPoll();
    }, 100);
  }

  /** Decoded received audio so far, at {@link RECORD_SAMPLE_RATE}. */
  receivedAudio(): { sampleRate: number; samples: Int16Array } {
    return { sampleRate: RECORD_SAMPLE_RATE, samples: this.#rec.slice(0, this.#recLength) };
  }

  /** Samples recorded so far (the length {@link receivedAudio} would return, without copying). */
  get receivedLength(): number {
    return this.#recLength;
  }

  /** A copy of the recorded samples from index `start` (16 kHz) to the end: cheap polling for new audio. */
  receivedAudioFrom(start: number): Int16Array {
    const from = Math.min(this.#recLength, Math.max(0, Math.floor(Number.isFinite(start) ? start : 0)));
    return this.#rec.slice(from, this.#recLength);
  }

  /** Forgets received audio, digits and kept payloads (counters stay). */
  clearReceived(): void {
    this.#rec = new Int16Array(RECORD_SAMPLE_RATE);
    this.#recLength = 0;
    this.dtmfReceived.length = 0;
    this.#fixturePayloads.clear();
    this.#fixturePayloadCount = 0;
    this.#lastRxCodec = undefined;
    this.#ownSsrcPackets = 0;
    this.#rxSinceNegotiated = new Map();
  }

  /**
   * RTP packets received since the last clearReceived that carried this leg's own sending
   * SSRC: its own RTP sent back to it (an SBC that reflects a leg onto itself). A relay that
   * passes the far end's packets keeps the far end's SSRC, and one that rewrites it picks its
   * own (RFC 3550 §8.1: chosen at random, 32 bits), so a correct SBC matches ours by chance
   * only (2^-32). What a fixture check cannot see: both ends send the same G.723.1 fixture.
   */
  ownSsrcPackets(): number {
    return this.#ownSsrcPackets;
  }

  /**
   * Judges what arrived against a codec fixture (default G.723.1): byte-exact passthrough
   * when it arrived in the fixture's codec, the decoded comparison when it was transcoded
   * (see codecs/fixture-verify.ts). Looks at the payloads of the codec received last (the
   * first 3000 packets after the last clearReceived). `allowLoss`: passed through, each frame
   * is compared with the fixture frame its RTP timestamp places it at, so frames of lost
   * packets may be missing (verifyPassthroughPlaced); otherwise one unbroken run. Never throws.
   */
  verifyFixture(codec: FixtureCodec = 'G723', opts: { allowLoss?: boolean } = {}): FixtureVerifyResult {
    const name = this.#lastRxCodec;
    const placed = name ? (this.#fixturePayloads.get(name) ?? []) : [];
    if (!name || placed.length === 0)
      return { ok: false, method: 'passthrough', detail: 'no audio payloads were received' };
    let fixture: ReturnType<typeof loadCodecFixture>;
    try {
      fixture = loadCodecFixture(codec);
    } catch (e) {
      return { ok: false, method: 'passthrough', detail: `fixture unavailable: ${String(e)}` };
    }
    if (opts.allowLoss && name === fixture.codec)
      return verifyPassthroughPlaced(
        fixture.frames,
        placed,
        fixture.frameBytes,
        (fixture.frameMs * 8000) / 1000,
      );
    const payloads = placed.map((x) => x.payload);
    // The sender loops the fixture: compare against enough repetitions.
    const receivedFrames = payloads.reduce((n, p) => n + Math.ceil(p.length / fixture.frameBytes), 0);
    const loops = Math.ceil(receivedFrames / fixture.frames.length) + 1;
    const sent: Uint8Array[] = [];
    for (let i = 0; i < loops; i++) sent.push(...fixture.frames);
    return verifyFixtureEcho(fixture, sent, { codec: name, payloads });
  }

  // ---------------------------------------------------------------- evidence

  /** Headline numbers (summed over every RTP session the leg used). */
  stats(): MediaLegStats {
    const d = this.details();
    return {
      sent: d.sent,
      received: d.received,
      lost: d.lost,
      jitterMs: d.jitterMs,
      jitterPackets: d.jitterPackets,
      codecs: d.codecs,
      sendFailures: d.sendFailures,
      ...(d.sendFailure !== undefined ? { sendFailure: d.sendFailure } : {}),
      unreachable: d.unreachable,
      ...(d.unreachableDetail !== undefined ? { unreachableDetail: d.unreachableDetail } : {}),
    };
  }

  /** Audio time received so far, ms ({@link MediaLegDetails.audioReceivedMs}). */
  audioReceivedMs(): number {
    return this.#audioReceivedMs;
  }

  /** Every counter. */
  details(): MediaLegDetails {
    let sent = 0;
    let received = 0;
    let lost = 0;
    let sendErrors = 0;
    let sendFailures = 0;
    let sendFailure: string | undefined;
    let unreachable = 0;
    let unreachableDetail: string | undefined;
    const rc = {
      datagrams: 0,
      srtpAuthFailed: 0,
      srtpReplayed: 0,
      srtpMalformed: 0,
      malformed: 0,
    };
    let jitterMs = 0;
    let jitterPackets = 0;
    for (const s of this.#sessions) {
      sent += s.counters.rtpPackets;
      sendErrors += s.counters.sendErrors;
      sendFailures += s.counters.sendFailures;
      sendFailure = s.lastSendFailure ?? sendFailure;
      unreachable += s.counters.unreachable;
      unreachableDetail = s.lastUnreachable ?? unreachableDetail;
      const c = s.receiver.counters;
      rc.datagrams += c.datagrams;
      rc.srtpAuthFailed += c.srtpAuthFailed;
      rc.srtpReplayed += c.srtpReplayed;
      rc.srtpMalformed += c.srtpMalformed;
      rc.malformed += c.short + c.badVersion + c.truncated + c.badPadding;
      for (const st of s.receiver.streams()) {
        received += st.received;
        lost += Math.max(0, st.lost);
      }
    }
    const last = this.#sessions[this.#sessions.length - 1];
    const cur = last?.receiver.currentSsrc;
    const curStream = last && cur !== undefined ? last.receiver.stream(cur) : undefined;
    if (curStream) {
      jitterMs = curStream.jitterMs;
      jitterPackets = curStream.received;
    }
    return {
      sent,
      received,
      lost,
      jitterMs,
      jitterPackets,
      codecs: [...this.#codecOrder],
      sentCodecs: [...this.#sentCodecs],
      receivedCodecs: [...this.#receivedCodecs],
      telephoneEventsSent: this.#c.telephoneEventsSent,
      datagramsReceived: rc.datagrams,
      srtpAuthFailed: rc.srtpAuthFailed,
      srtpReplayed: rc.srtpReplayed,
      srtpMalformed: rc.srtpMalformed,
      malformedPackets: rc.malformed,
      unexpectedPackets: this.#c.unexpectedPackets,
      unknownPayloadType: this.#c.unknownPayloadType,
      decodeErrors: this.#c.decodeErrors,
      encodeErrors: this.#c.encodeErrors,
      lateDropped: this.#c.lateDropped,
      timestampResyncs: this.#c.timestampResyncs,
      reordered:
        this.#reorderedForgotten + [...this.#reorders.values()].reduce((n, w) => n + w.stats.reordered, 0),
      recordDropped: this.#c.recordDropped,
      sendSuppressed: this.#c.sendSuppressed,
      sendErrors,
      sendFailures,
      ...(sendFailure !== undefined ? { sendFailure } : {}),
      unreachable,
      ...(unreachableDetail !== undefined ? { unreachableDetail } : {}),
      sourceErrors: this.#c.sourceErrors,
      reopens: this.#c.reopens,
      reopenFailures: this.#c.reopenFailures,
      evidenceDropped: this.#sessions.reduce((n, x) => n + x.evidence.dropped, 0),
      arrivalsDropped: this.#arrivals.dropped,
      audioReceivedMs: this.#audioReceivedMs,
      telephoneEventSources: this.#te.stats.sources,
      telephoneEventCrossSourceDuplicates: this.#te.stats.crossSourceDuplicates,
    };
  }

  /** Notes one audio slot: a silent packet sent extends the open run, anything else ends it. */
  #noteSent(silentSent: boolean, ptimeMs: number): void {
    if (!silentSent) {
      this.#silentOpen = false;
      return;
    }
    const now = this.#clock.now();
    // Full: later windows are not known to be silent.
    this.#silentOpen = extendRun(this.#silentRuns, this.#silentOpen, now - ptimeMs, now, ptimeMs);
  }

  /** Notes an audible audio packet or a telephone-event sent now. */
  #noteSound(ptimeMs: number): void {
    const now = this.#clock.now();
    extendRun(this.#soundRuns, true, now, now, ptimeMs);
  }

  /**
   * True when this leg sent audible audio (at or above the silence level, or G.723.1 fixture
   * frames) or a telephone-event between `fromMs` and `toMs` (ms, the evidence's clock).
   */
  sentSoundBetween(fromMs: number, toMs: number): boolean {
    const r = this.#soundRuns;
    for (let i = 0; i < r.length; i += 2) if (r[i]! <= toMs && r[i + 1]! >= fromMs) return true;
    return false;
  }

  /**
   * True when this leg sent silence, and only silence, from `fromMs` to `toMs` (ms, the
   * evidence's clock): audio packets one after the other (no pause over 400 ms), every
   * one below the silence level (levels.ts SILENCE_RMS, about −54 dBFS), no event among them.
   * False when it sent audible audio, an event, or nothing (on hold, released) in that time.
   */
  sentSilenceThroughout(fromMs: number, toMs: number): boolean {
    const r = this.#silentRuns;
    for (let i = 0; i < r.length; i += 2) if (r[i]! <= fromMs && r[i + 1]! >= toMs) return true;
    return false;
  }

  /**
   * The RTP/RTCP datagrams sent and received (SRTP still protected), for a pcap: the first
   * `maxEvidence` of each RTP session, sent and received together (`evidenceDropped` counts the rest).
   */
  evidence(): PacketRecord[] {
    return this.#sessions.flatMap((s) => s.evidence.records);
  }

  /**
   * The arrival of every RTP datagram received (12 octets or more, RTCP left out), in arrival
   * order, over every RTP session of the leg, whatever the evidence kept (up to `maxArrivals`):
   * what the media judge reads (call-invariants.ts).
   */
  receivedRtp(): RtpArrivals {
    return this.#arrivals;
  }

  /** Lets go of {@link receivedRtp} and keeps no more arrivals: for a call judged without them (load). */
  releaseArrivals(): void {
    this.#arrivals.release();
  }

  /** Stops sending, aborts queued digits, closes the RTP session. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // What waits in the reorder windows arrived: it is judged with the rest.
    this.#reorderTimer?.cancel();
    this.#reorderTimer = undefined;
    for (const w of this.#reorders.values()) w.flush();
    this.#play = undefined;
    this.#stopTx();
    this.#pollTimer?.cancel();
    this.#pollTimer = undefined;
    const jobs = [...(this.#dtmfJob ? [this.#dtmfJob] : []), ...this.#dtmfQueue.splice(0)];
    for (const j of jobs) this.#finishJob(j, 'aborted');
    this.#recordTe(this.#te.flush());
    for (const t of this.#detector.flush())
      if (!this.#alreadyReported(t))
        this.#pushReceived({
          digit: t.digit,
          mode: 'inband',
          atMs: this.#toneAt(t.startSample),
          durationMs: t.durationMs,
        });
    for (const f of this.#rxFormats.values()) f.decoder?.close?.();
    await this.#ready;
    const s = this.#session;
    this.#session = undefined;
    await s?.close();
  }
}
