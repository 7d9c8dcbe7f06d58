/**
 * G.729 Annex A (PT 18) for the plan, in TypeScript (codecs/g729/): the fixed-point encoder
 * and decoder of ITU-T G.729 and its Annex A (post-filter, frame-erasure concealment). No
 * system library is needed, so `available()` is always true. Debian's libbcg729
 * (codecs/g729-bcg729.ts, `g729Bcg729`) remains as the optional oracle of the tests and the
 * benchmark; docs/g729.md says how far the two agree.
 *
 * VAD/DTX is off by default (the plan's G.729 is plain G.729A): the encoder always produces
 * 10-byte frames. `createG729Encoder({ vad: true })` turns on Annex B's VAD/DTX
 * (codecs/g729/vad.ts, dtx.ts, sid-encoder.ts): `encodeFrame()` then returns 10 bytes for a
 * voice frame, 2 for a SID frame and 0 for a frame not transmitted. The decoder also accepts the 2-byte SID frame RFC 3551 allows at the end of a
 * payload and decodes it to Annex B comfort noise (counted in `sidFrames`). Whatever else it
 * cannot use is counted instead of thrown.
 */
import type { Encoder } from './codec.ts';
import { G729Decoder as G729FrameDecoder } from './g729/decoder.ts';
import { type G729EncoderOptions, G729Encoder as G729FrameEncoder } from './g729/encoder.ts';
import type { G729Codec, G729Decoder } from './g729-bcg729.ts';

export {
  BCG729_INSTALL_HINT,
  BCG729_LIBRARY,
  type G729Codec,
  type G729Decoder,
  g729Bcg729,
} from './g729-bcg729.ts';
export { type G729EncoderOptions, G729FrameDecoder, G729FrameEncoder };

const SAMPLE_RATE = 8000;
const FRAME_SAMPLES = 80;
const FRAME_BYTES = 10;
const SID_BYTES = 2;

/** A payload-level decoder over the TypeScript frame decoder. */
export function createG729Decoder(): G729Decoder {
  let dec: G729FrameDecoder | undefined = new G729FrameDecoder();
  let malformedBytes = 0;
  let malformedPayloads = 0;
  let sidFrames = 0;
  return {
    get malformedBytes() {
      return malformedBytes;
    },
    get malformedPayloads() {
      return malformedPayloads;
    },
    get sidFrames() {
      return sidFrames;
    },
    /**
     * Decodes the whole 10-byte frames of `payload`, then a trailing 2-byte SID frame if
     * there is one (80 samples of comfort noise); any other remainder is counted in
     * `malformedBytes` and skipped.
     * @throws Error after close().
     */
    decode(payload: Uint8Array): Int16Array {
      if (dec === undefined) throw new Error('G.729 decoder used after close()');
      const whole = Math.floor(payload.length / FRAME_BYTES);
      const rest = payload.length - whole * FRAME_BYTES;
      const sid = rest === SID_BYTES ? 1 : 0;
      if (rest !== 0 && !sid) {
        malformedBytes += rest;
        malformedPayloads++;
      }
      const out = new Int16Array((whole + sid) * FRAME_SAMPLES);
      for (let f = 0; f < whole; f++) dec.decodeFrame(payload, f * FRAME_BYTES, out, f * FRAME_SAMPLES);
      if (sid) {
        dec.decodeSid(payload, whole * FRAME_BYTES, out, whole * FRAME_SAMPLES);
        sidFrames++;
      }
      return out;
    },
    close(): void {
      dec = undefined;
    },
  };
}

/** A G.729 encoder that can also encode frame by frame (needed to see VAD/DTX frame types). */
export interface G729Encoder extends Encoder {
  /**
   * Encodes the 80 samples at pcm[off..] and returns that frame's payload: 10 bytes (voice),
   * or with VAD on 2 bytes (SID frame) or 0 bytes (not transmitted: send no packet).
   * @throws RangeError when fewer than 80 samples follow `off`; Error after close().
   */
  encodeFrame(pcm: Int16Array, off?: number): Uint8Array;
}

/**
 * A payload-level encoder over the TypeScript frame encoder: 10 bytes per 80 samples, or with
 * `{ vad: true }` Annex B VAD/DTX. With VAD on, `encode()` concatenates the frames' payloads;
 * RFC 3551 §4.5.6 allows a SID frame only at the end of a payload, so a caller that packs
 * several frames per packet should use `encodeFrame()` and end a packet at each SID frame.
 */
export function createG729Encoder(options: G729EncoderOptions = {}): G729Encoder {
  let enc: G729FrameEncoder | undefined = new G729FrameEncoder(options);
  const scratch = new Uint8Array(FRAME_BYTES);
  return {
    encodeFrame(pcm: Int16Array, off = 0): Uint8Array {
      if (enc === undefined) throw new Error('G.729 encoder used after close()');
      if (off < 0 || pcm.length - off < FRAME_SAMPLES) {
        throw new RangeError(`G.729 encodes whole 80-sample frames; got ${pcm.length - off} samples`);
      }
      const n = enc.encodeFrame(pcm, off, scratch, 0);
      return scratch.slice(0, n);
    },
    /**
     * @throws RangeError when `pcm` is not a whole number of 80-sample frames;
     *   Error after close().
     */
    encode(pcm: Int16Array): Uint8Array {
      if (enc === undefined) throw new Error('G.729 encoder used after close()');
      if (pcm.length % FRAME_SAMPLES !== 0) {
        throw new RangeError(`G.729 encodes whole 80-sample frames; got ${pcm.length} samples`);
      }
      const frames = pcm.length / FRAME_SAMPLES;
      const out = new Uint8Array(frames * FRAME_BYTES);
      let written = 0;
      for (let f = 0; f < frames; f++) written += enc.encodeFrame(pcm, f * FRAME_SAMPLES, out, written);
      return written === out.length ? out : out.slice(0, written);
    },
    close(): void {
      enc = undefined;
    },
  };
}

/** G.729 Annex A, static payload type 18, 10 ms frames of 10 bytes, VAD off. */
export const g729: G729Codec = {
  name: 'G729',
  payloadType: 18,
  rtpClockRate: SAMPLE_RATE,
  sampleRate: SAMPLE_RATE,
  frameMs: 10,
  frameSamples: FRAME_SAMPLES,
  frameBytes: FRAME_BYTES,
  /** Always: no system library is involved. */
  available: () => true,
  unavailableReason: () => '',
  createEncoder: createG729Encoder,
  createDecoder: createG729Decoder,
};
