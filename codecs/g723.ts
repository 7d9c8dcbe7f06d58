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

/**
 * Octets of a G.723.1 frame by the two low bits of its first octet (RFC 3551 §4.5.3): 00 speech at
 * 6.3 kbit/s (24), 01 speech at 5.3 kbit/s (20), 10 SID (4); 11 is reserved.
 */
const FRAME_OCTETS = [24, 20, 4] as const;

/**
 * Frames in a G.723.1 payload (each 30 ms, speech or SID), read frame by frame from their
 * headers; stops at a reserved header or a frame cut short (those bytes carry no audio).
 */
export function g723FrameCount(payload: Uint8Array): number {
  let n = 0;
  for (let off = 0; off < payload.length; n++) {
    const size = FRAME_OCTETS[payload[off]! & 3];
    if (size === undefined || off + size > payload.length) break;
    off += size;
  }
  return n;
}

/** G.723.1 at 6.3 kbit/s: describes the codec for SDP/RTP; it cannot encode or decode. */
export const g723: AudioCodec = {
  name: 'G723',
  payloadType: 4,
  rtpClockRate: 8000,
  sampleRate: 8000,
  frameMs: 30,
  frameSamples: 240,
  frameBytes: 24,
  payloadMs: (payload) => g723FrameCount(payload) * 30,
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
