/** RTP media: packets, the send clock, sessions, receive statistics, RTCP, SRTP and its replay window, the reorder window. */

export {
  ARRIVAL_BYTES,
  ArrivalLog,
  DEFAULT_MAX_ARRIVALS,
  type RtpArrival,
  type RtpArrivals,
} from './arrival-log.ts';
export {
  analyzeCapture,
  type CaptureAnalysis,
  type CaptureAnalysisOptions,
  type CaptureStream,
  evidenceToPcap,
} from './capture-analysis.ts';
export {
  type JitterOutsideStalls,
  type JitterOutsideStallsOptions,
  type JitterPacket,
  jitterOutsideStalls,
} from './jitter-outside-stalls.ts';
export { PacketLog, type PacketRecord } from './packet-log.ts';
export {
  bindRtpPair,
  bindUdpSocket,
  closeQuietly,
  DEFAULT_RTP_PORT_RANGE,
  type RtpPortRange,
  randomRtpPort,
} from './port-range.ts';
export {
  ReorderWindow,
  type ReorderWindowOptions,
  type ReorderWindowStats,
} from './reorder-window.ts';
export {
  commitIndex,
  estimateIndex,
  newRocState,
  type ReplayVerdict,
  ReplayWindow,
  type RocState,
} from './replay-window.ts';
export {
  buildBye,
  buildReceiverReport,
  buildSenderReport,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  type ReportBlock,
  type RtcpCompound,
  type RtcpItem,
  type SenderInfo,
} from './rtcp.ts';
export {
  buildRtp,
  looksLikeRtcp,
  parseRtp,
  RTP_HEADER_BYTES,
  type RtpFields,
  type RtpParseError,
  type RtpParseResult,
  type RtpView,
  seqDelta,
} from './rtp-packet.ts';
export {
  type DecodedAudio,
  type PayloadFormat,
  type ReceiveOutcome,
  type ReceiverCounters,
  RtpReceiver,
  type RtpReceiverOptions,
} from './rtp-receiver.ts';
export {
  type AudioSend,
  type RawSend,
  RtpSession,
  type RtpSessionOptions,
  type SenderCounters,
  type SrtpParams,
} from './rtp-session.ts';
export {
  configureProcessSendClock,
  PROCESS_SEND_CLOCK_OPTIONS,
  processSendClock,
  type SendApproach,
  SendClock,
  type SendClockOptions,
  type SendClockStats,
  type SendStream,
  type SendStreamOptions,
  type SendTick,
} from './send-clock.ts';
export {
  AesCmKeystream,
  aesCmIv,
  aesCmXor,
  deriveSessionKeys,
  SrtpContext,
  type SrtpContextOptions,
  type SrtpError,
  type SrtpSessionKeys,
  type UnprotectResult,
} from './srtp-context.ts';
export {
  formatInlineKey,
  type InlineKeyError,
  parseInlineKey,
  randomKeyMaterial,
  SRTP_SUITES,
  type SrtpKeyMaterial,
  type SrtpSuite,
  srtpTagBytes,
} from './srtp-keys.ts';
export {
  type ArrivalHistogram,
  DEFAULT_HISTOGRAM_EDGES_MS,
  RtpStreamStats,
  type RtpStreamSummary,
  type StreamStatsOptions,
} from './stream-stats.ts';
export {
  type SyntheticPacket,
  type SyntheticStreamOptions,
  seededRandom,
  syntheticStream,
} from './synthetic-stream.ts';
