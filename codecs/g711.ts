/**
 * G.711 A-law (PCMA, PT 8) and µ-law (PCMU, PT 0) on the `alawmulaw` package. G.711 is
 * sample-by-sample and stateless; we still speak of 10 ms "frames" (80 samples, 80 bytes)
 * so that every codec of the plan packetises the same way.
 *
 * The package's per-sample functions are expanded once into lookup tables (256 entries to
 * decode, 65 536 to encode), which gives the same results at a fraction of the cost.
 */
import alawmulaw from 'alawmulaw';
import type { AudioCodec, CodecName, Decoder, Encoder } from './codec.ts';

const SAMPLE_RATE = 8000;
const FRAME_MS = 10;
const FRAME_SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000;

interface Companding {
  encodeSample(sample: number): number;
  decodeSample(code: number): number;
}

interface Tables {
  /** code byte → linear sample */
  decode: Int16Array;
  /** (sample + 32768) → code byte */
  encode: Uint8Array;
}

function buildTables(law: Companding): Tables {
  const decode = new Int16Array(256);
  for (let code = 0; code < 256; code++) decode[code] = law.decodeSample(code);
  const encode = new Uint8Array(65536);
  for (let s = -32768; s < 32768; s++) encode[s + 32768] = law.encodeSample(s);
  return { decode, encode };
}

function makeG711(name: CodecName, payloadType: number, law: Companding): AudioCodec {
  let tables: Tables | undefined;
  const getTables = (): Tables => {
    tables ??= buildTables(law);
    return tables;
  };
  return {
    name,
    payloadType,
    rtpClockRate: SAMPLE_RATE,
    sampleRate: SAMPLE_RATE,
    frameMs: FRAME_MS,
    frameSamples: FRAME_SAMPLES,
    frameBytes: FRAME_SAMPLES,
    available: () => true,
    createEncoder(): Encoder {
      const { encode } = getTables();
      return {
        // G.711 has no real frame: any length encodes, one byte per sample.
        encode(pcm: Int16Array): Uint8Array {
          const out = new Uint8Array(pcm.length);
          for (let i = 0; i < pcm.length; i++) out[i] = encode[pcm[i]! + 32768]!;
          return out;
        },
      };
    },
    createDecoder(): Decoder {
      const { decode } = getTables();
      return {
        // Every byte is a valid code: nothing here can fail.
        decode(payload: Uint8Array): Int16Array {
          const out = new Int16Array(payload.length);
          for (let i = 0; i < payload.length; i++) out[i] = decode[payload[i]!]!;
          return out;
        },
      };
    },
  };
}

/** G.711 A-law, static payload type 8 (RFC 3551). */
export const pcma: AudioCodec = makeG711('PCMA', 8, alawmulaw.alaw);

/** G.711 µ-law, static payload type 0 (RFC 3551). */
export const pcmu: AudioCodec = makeG711('PCMU', 0, alawmulaw.mulaw);
