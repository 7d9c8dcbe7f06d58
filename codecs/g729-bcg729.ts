/**
 * G.729 (Annex A, PT 18) through Debian's libbcg729, called with koffi's FFI: the encoder the
 * plan uses until the TypeScript encoder exists, and the oracle the TypeScript decoder
 * (codecs/g729/) is tested and benchmarked against.
 *
 * bcg729 is GPL: it is loaded from the system at run time and never bundled. Nothing is
 * loaded when this module is imported; the first `available()`, `createEncoder()` or
 * `createDecoder()` tries `libbcg729.so.0` once and remembers the outcome.
 *
 * VAD/DTX is off (the plan's G.729 is plain G.729A): the encoder always produces 10-byte
 * frames; `createBcg729VadFrameEncoder()` (the oracle of test/codecs/g729-vad.test.ts) has it
 * on. The decoder also accepts the 2-byte SID frame RFC 3551 allows at the end of a
 * payload, and counts whatever it cannot use instead of throwing.
 */
import { createRequire } from 'node:module';
import type { AudioCodec, Decoder, Encoder } from './codec.ts';

const SAMPLE_RATE = 8000;
const FRAME_SAMPLES = 80;
const FRAME_BYTES = 10;
const SID_BYTES = 2;

/** Debian's shared object name of bcg729 1.1.x, loaded by this exact name. */
export const BCG729_LIBRARY = 'libbcg729.so.0';
/** Command that installs the library on Debian/Ubuntu. */
export const BCG729_INSTALL_HINT = 'apt-get install -y --no-install-recommends libbcg729-0';

type KoffiModule = typeof import('koffi');
/** Opaque context pointer as koffi hands it back. */
type NativePointer = unknown;

interface Bcg729Binding {
  initEncoder(enableVad: number): NativePointer;
  closeEncoder(ctx: NativePointer): void;
  encode(ctx: NativePointer, input: Int16Array, bitStream: Uint8Array, length: Uint8Array): void;
  initDecoder(): NativePointer;
  closeDecoder(ctx: NativePointer): void;
  decode(
    ctx: NativePointer,
    bitStream: Uint8Array,
    length: number,
    frameErasure: number,
    sidFrame: number,
    rfc3389: number,
    signal: Int16Array,
  ): void;
}

type LoadResult = { ok: true; binding: Bcg729Binding } | { ok: false; reason: string };

let loaded: LoadResult | undefined;

function loadBinding(): LoadResult {
  if (loaded) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as KoffiModule;
    const lib = koffi.load(BCG729_LIBRARY);
    // Signatures of bcg729 1.1.x include/bcg729/{encoder,decoder}.h.
    const enc = koffi.pointer('bcg729EncoderCtx', koffi.opaque());
    const dec = koffi.pointer('bcg729DecoderCtx', koffi.opaque());
    const binding: Bcg729Binding = {
      initEncoder: lib.func('initBcg729EncoderChannel', enc, ['uint8_t']),
      closeEncoder: lib.func('closeBcg729EncoderChannel', 'void', [enc]),
      encode: lib.func('bcg729Encoder', 'void', [
        enc,
        'int16_t *',
        koffi.out('uint8_t *'),
        koffi.out('uint8_t *'),
      ]),
      initDecoder: lib.func('initBcg729DecoderChannel', dec, []),
      closeDecoder: lib.func('closeBcg729DecoderChannel', 'void', [dec]),
      decode: lib.func('bcg729Decoder', 'void', [
        dec,
        'uint8_t *',
        'uint8_t',
        'uint8_t',
        'uint8_t',
        'uint8_t',
        koffi.out('int16_t *'),
      ]),
    };
    loaded = { ok: true, binding };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    loaded = {
      ok: false,
      reason: `G.729 needs ${BCG729_LIBRARY} (${why}); install it with: ${BCG729_INSTALL_HINT}`,
    };
  }
  return loaded;
}

function requireBinding(): Bcg729Binding {
  const r = loadBinding();
  if (!r.ok) throw new Error(r.reason);
  return r.binding;
}

function isNull(p: NativePointer): boolean {
  return p === null || p === undefined || p === 0n || p === 0;
}

/** Closes native contexts whose owner forgot to call close(). */
const finalizer = new FinalizationRegistry<() => void>((release) => release());

/** A G.729 decoder that also reports input it could not decode. */
export interface G729Decoder extends Decoder {
  /** Payload bytes that were neither whole 10-byte frames nor a trailing 2-byte SID frame. */
  readonly malformedBytes: number;
  /** Payloads that held at least some malformed bytes. */
  readonly malformedPayloads: number;
  /** Comfort-noise (SID) frames decoded. */
  readonly sidFrames: number;
}

/**
 * One bcg729 encoder channel (`initBcg729EncoderChannel(enableVad)`), released by close() or, if
 * forgotten, by the finalizer. `encodeFrame` encodes the 80 samples at `off` and returns a view
 * of the 10 (voice), 2 (SID) or 0 (not transmitted) bytes bcg729 wrote, valid until the next call.
 */
function openEncoderChannel(enableVad: 0 | 1): {
  encodeFrame(pcm: Int16Array, off: number): Uint8Array;
  close(): void;
} {
  const b = requireBinding();
  let ctx: NativePointer | undefined = b.initEncoder(enableVad);
  if (isNull(ctx)) throw new Error('bcg729: initBcg729EncoderChannel returned NULL');
  const token = {};
  const native = ctx;
  finalizer.register(token, () => b.closeEncoder(native), token);
  const frame = new Int16Array(FRAME_SAMPLES);
  const bits = new Uint8Array(FRAME_BYTES);
  const len = new Uint8Array(1);
  return {
    encodeFrame(pcm, off) {
      if (ctx === undefined) throw new Error('G.729 encoder used after close()');
      frame.set(pcm.subarray(off, off + FRAME_SAMPLES));
      len[0] = 0;
      b.encode(ctx, frame, bits, len);
      return bits.subarray(0, Math.min(len[0]!, FRAME_BYTES));
    },
    close() {
      if (ctx === undefined) return;
      finalizer.unregister(token);
      b.closeEncoder(ctx);
      ctx = undefined;
    },
  };
}

function createG729Encoder(): Encoder {
  const channel = openEncoderChannel(0);
  return {
    /**
     * @throws RangeError when `pcm` is not a whole number of 80-sample frames;
     *   Error after close().
     */
    encode(pcm: Int16Array): Uint8Array {
      if (pcm.length % FRAME_SAMPLES !== 0) {
        throw new RangeError(`G.729 encodes whole 80-sample frames; got ${pcm.length} samples`);
      }
      const frames = pcm.length / FRAME_SAMPLES;
      const out = new Uint8Array(frames * FRAME_BYTES);
      let written = 0;
      for (let f = 0; f < frames; f++) {
        const bytes = channel.encodeFrame(pcm, f * FRAME_SAMPLES);
        out.set(bytes, written);
        written += bytes.length;
      }
      return written === out.length ? out : out.slice(0, written);
    },
    close(): void {
      channel.close();
    },
  };
}

function createG729Decoder(): G729Decoder {
  const b = requireBinding();
  let ctx: NativePointer | undefined = b.initDecoder();
  if (isNull(ctx)) throw new Error('bcg729: initBcg729DecoderChannel returned NULL');
  const token = {};
  const native = ctx;
  finalizer.register(token, () => b.closeDecoder(native), token);
  const bits = new Uint8Array(FRAME_BYTES);
  const signal = new Int16Array(FRAME_SAMPLES);
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
     * there is one; any other remainder is counted in `malformedBytes` and skipped.
     * @throws Error after close().
     */
    decode(payload: Uint8Array): Int16Array {
      if (ctx === undefined) throw new Error('G.729 decoder used after close()');
      const whole = Math.floor(payload.length / FRAME_BYTES);
      const rest = payload.length - whole * FRAME_BYTES;
      const sid = rest === SID_BYTES ? 1 : 0;
      if (rest !== 0 && !sid) {
        malformedBytes += rest;
        malformedPayloads++;
      }
      const out = new Int16Array((whole + sid) * FRAME_SAMPLES);
      for (let f = 0; f < whole; f++) {
        bits.set(payload.subarray(f * FRAME_BYTES, (f + 1) * FRAME_BYTES));
        b.decode(ctx, bits, FRAME_BYTES, 0, 0, 0, signal);
        out.set(signal, f * FRAME_SAMPLES);
      }
      if (sid) {
        bits.fill(0);
        bits.set(payload.subarray(whole * FRAME_BYTES));
        b.decode(ctx, bits, SID_BYTES, 0, 1, 0, signal);
        out.set(signal, whole * FRAME_SAMPLES);
        sidFrames++;
      }
      return out;
    },
    close(): void {
      if (ctx === undefined) return;
      finalizer.unregister(token);
      b.closeDecoder(ctx);
      ctx = undefined;
    },
  };
}

/** The G.729 codec object: an AudioCodec whose decoders also count malformed input. */
export interface G729Codec extends AudioCodec {
  createDecoder(): G729Decoder;
}

/** True when libbcg729 can be loaded (loads it on first call). */
export function bcg729Available(): boolean {
  return loadBinding().ok;
}

/** Why libbcg729 cannot be used, with the install hint; '' when it can. */
export function bcg729UnavailableReason(): string {
  const r = loadBinding();
  return r.ok ? '' : r.reason;
}

/** bcg729's encoder, one 10-byte frame per 80 samples (VAD off). */
export const createBcg729Encoder = (): Encoder => createG729Encoder();

/**
 * bcg729's encoder with its Annex B VAD/DTX on (initBcg729EncoderChannel(1)), at frame level,
 * for oracle tests: each 80 samples give 10 bytes (voice), 2 (SID) or 0 (not transmitted).
 */
export function createBcg729VadFrameEncoder(): {
  encodeFrame(pcm: Int16Array, off?: number): Uint8Array;
  close(): void;
} {
  const channel = openEncoderChannel(1);
  return {
    encodeFrame: (pcm, off = 0) => channel.encodeFrame(pcm, off).slice(),
    close: () => channel.close(),
  };
}

/**
 * bcg729's decoder at frame level, for oracle tests: `decodeFrame` decodes one 10-byte frame
 * (or a 2-byte SID frame when `sid` is set), or conceals a lost one when `erased` is set
 * (bcg729's frame erasure flag). `length` overrides the bitstream length passed (0 for a frame
 * not transmitted under DTX).
 */
export function createBcg729FrameDecoder(): {
  decodeFrame(frame: Uint8Array | undefined, erased: boolean, sid?: boolean, length?: number): Int16Array;
  close(): void;
} {
  const b = requireBinding();
  let ctx: NativePointer | undefined = b.initDecoder();
  if (isNull(ctx)) throw new Error('bcg729: initBcg729DecoderChannel returned NULL');
  const bits = new Uint8Array(FRAME_BYTES);
  return {
    decodeFrame(frame, erased, sid = false, length = sid ? SID_BYTES : FRAME_BYTES) {
      if (ctx === undefined) throw new Error('bcg729 decoder used after close()');
      bits.fill(0);
      if (frame) bits.set(frame.subarray(0, sid ? SID_BYTES : FRAME_BYTES));
      const signal = new Int16Array(FRAME_SAMPLES);
      b.decode(ctx, bits, length, erased ? 1 : 0, sid ? 1 : 0, 0, signal);
      return signal;
    },
    close() {
      if (ctx !== undefined) b.closeDecoder(ctx);
      ctx = undefined;
    },
  };
}

/** G.729 Annex A entirely through bcg729 (the oracle): PT 18, 10 ms frames of 10 bytes, VAD off. */
export const g729Bcg729: G729Codec = {
  name: 'G729',
  payloadType: 18,
  rtpClockRate: SAMPLE_RATE,
  sampleRate: SAMPLE_RATE,
  frameMs: 10,
  frameSamples: FRAME_SAMPLES,
  frameBytes: FRAME_BYTES,
  available: () => loadBinding().ok,
  unavailableReason(): string {
    const r = loadBinding();
    return r.ok ? '' : r.reason;
  },
  createEncoder: createG729Encoder,
  createDecoder: createG729Decoder,
};
