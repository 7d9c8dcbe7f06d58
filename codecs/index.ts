/**
 * Public surface of codecs/: the plan's audio codecs, their registry, the pre-encoded
 * fixtures for codecs this host cannot encode, and the check of what came back.
 */
export type { AudioCodec, CodecName, Decoder, Encoder } from './codec.ts';
export { codecLabel } from './codec-label.ts';
export {
  type DecodedCheckOptions,
  type FixtureVerifyResult,
  type PlacedPayload,
  type ReceivedMedia,
  verifyDecoded,
  verifyFixtureEcho,
  verifyPassthrough,
  verifyPassthroughPlaced,
} from './fixture-verify.ts';
export {
  type CodecFixture,
  FIXTURE_SAMPLE_RATE,
  FIXTURE_SIGNAL,
  type FixtureCodec,
  loadCodecFixture,
  synthesizeFixtureSource,
} from './fixtures/codec-fixtures.ts';
export { pcma, pcmu } from './g711.ts';
export { G722Decoder, G722Encoder, g722 } from './g722.ts';
export { g723, g723FrameCount } from './g723.ts';
export {
  BCG729_INSTALL_HINT,
  BCG729_LIBRARY,
  createG729Decoder,
  createG729Encoder,
  type G729Codec,
  type G729Decoder,
  type G729Encoder,
  type G729EncoderOptions,
  G729FrameDecoder,
  G729FrameEncoder,
  g729,
  g729Bcg729,
} from './g729.ts';
export { availableCodecs, codecByName, codecByPayloadType, PLAN_CODECS } from './registry.ts';
export { type Alignment, alignSignals, bandShares, decimateBy2, toneSinadDb } from './signal-metrics.ts';
