/**
 * The codec interface every audio codec of the plan implements. Encoders and decoders are
 * stateful (G.722's ADPCM predictors, G.729's filters): make one per stream and direction.
 */

/** SDP encoding names of the plan's codecs (rtpmap names, upper-cased). */
export type CodecName = 'PCMA' | 'PCMU' | 'G722' | 'G729' | 'G723';

export interface Encoder {
  /**
   * Encodes linear 16-bit PCM at the codec's `sampleRate`. The input length must be a
   * whole number of frames (`frameSamples`); the result is the RTP payload for those frames.
   */
  encode(pcm: Int16Array): Uint8Array;
  /** Frees native resources (G.729); harmless to call twice. */
  close?(): void;
}

export interface Decoder {
  /** Decodes one RTP payload (one or more whole frames) to 16-bit PCM at `sampleRate`. */
  decode(payload: Uint8Array): Int16Array;
  close?(): void;
}

export interface AudioCodec {
  name: CodecName;
  /** Static RTP payload type (RFC 3551), when the codec has one. */
  payloadType: number;
  /** Clock rate in the rtpmap and of RTP timestamps: 8000 for G.722 although it samples at 16 kHz. */
  rtpClockRate: number;
  /** Sampling rate of the PCM the encoder takes and the decoder returns. */
  sampleRate: number;
  /** Duration of one codec frame in ms (G.711/G.722 have no frames: 1 sample; we use 10 ms). */
  frameMs: number;
  /** PCM samples in one frame at `sampleRate`. */
  frameSamples: number;
  /** Payload bytes one frame encodes to. */
  frameBytes: number;
  /**
   * Audio time one RTP payload carries, ms, for a codec whose frames are not all one size
   * (G.723.1); absent: payload bytes / frameBytes × frameMs.
   */
  payloadMs?(payload: Uint8Array): number;
  /** True when this host can encode and decode it (G.723.1 never). */
  available(): boolean;
  /** Why it is not available, with the install hint, when `available()` is false. */
  unavailableReason?(): string;
  createEncoder(): Encoder;
  createDecoder(): Decoder;
}
