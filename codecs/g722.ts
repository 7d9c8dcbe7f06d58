/**
 * G.722 (PT 9) in its 64 kbit/s mode, implemented in TypeScript from ITU-T G.722: wideband
 * 16 kHz audio split by a QMF into two 8 kHz sub-bands, 6-bit ADPCM below 4 kHz and 2-bit
 * ADPCM above. One byte per 2 samples: a 10 ms frame is 160 samples and 80 bytes.
 *
 * RTP quirk (RFC 3551 §4.5.2): the rtpmap clock rate and RTP timestamps run at 8000 Hz
 * although the codec samples at 16 kHz.
 *
 * Input to the encoder need not be whole frames: any length is accepted, and an odd trailing
 * sample is held until the next call (see {@link G722Encoder}). Any byte string decodes.
 */
import type { AudioCodec, Decoder, Encoder } from './codec.ts';
import { G722Decoder } from './g722-decoder.ts';
import { G722Encoder } from './g722-encoder.ts';

export { G722Decoder } from './g722-decoder.ts';
export { G722Encoder } from './g722-encoder.ts';

const SAMPLE_RATE = 16000;
const FRAME_MS = 10;
const FRAME_SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000;

/** The G.722 codec of the plan (64 kbit/s, mode 1). Always available: pure TypeScript. */
export const g722: AudioCodec = {
  name: 'G722',
  payloadType: 9,
  rtpClockRate: 8000,
  sampleRate: SAMPLE_RATE,
  frameMs: FRAME_MS,
  frameSamples: FRAME_SAMPLES,
  frameBytes: FRAME_SAMPLES / 2,
  available: () => true,
  createEncoder: (): Encoder => new G722Encoder(),
  createDecoder: (): Decoder => new G722Decoder(),
};
