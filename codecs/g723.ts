/**
 * G.723.1 (PT 4, 30 ms frames, 24 bytes at 6.3 kbit/s). No G.723.1 encoder or decoder is
 * available to the harness on this host, so the codec is never `available()`: calls that
 * offer G.723.1 send the committed fixture frames (codecs/fixtures/) and check what comes
 * back with `fixture-verify.ts` (byte-exact passthrough, or decoded after transcoding).
 */
import type { AudioCodec, Decoder, Encoder } from './codec.ts';

const REASON =
  'no G.723.1 encoder/decoder on this host; G.723.1 is verified by sending the committed ' +
  'fixture (codecs/fixtures/two-tone.g723) and checking passthrough or the transcoded audio';

/** G.723.1 at 6.3 kbit/s: describes the codec for SDP/RTP; it cannot encode or decode. */
export const g723: AudioCodec = {
  name: 'G723',
  payloadType: 4,
  rtpClockRate: 8000,
  sampleRate: 8000,
  frameMs: 30,
  frameSamples: 240,
  frameBytes: 24,
  available: () => false,
  unavailableReason: () => REASON,
  /** @throws Error always: use the fixture frames instead. */
  createEncoder(): Encoder {
    throw new Error(`G.723.1 cannot be encoded: ${REASON}`);
  },
  /** @throws Error always: use fixture-verify instead. */
  createDecoder(): Decoder {
    throw new Error(`G.723.1 cannot be decoded: ${REASON}`);
  },
};
