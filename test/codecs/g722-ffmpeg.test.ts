/**
 * G.722 against ffmpeg's g722 encoder and decoder (deterministic, bit-exact with spandsp;
 * never with -trellis, which searches for other code words).
 *
 * What is compared:
 *  - encoder: our bytes for a signal of N samples (N a multiple of 320, so ffmpeg's 320-sample
 *    frames divide it and no short last frame arises) must equal ffmpeg's N/2 bytes, all of them;
 *  - decoder: our decoding of ffmpeg's stream must equal ffmpeg's decoding of that stream,
 *    every one of the 2 × bytes samples. ffmpeg's raw g722 demuxer declares 16000 Hz (not the
 *    RTP clock rate 8000), so the s16le output is not resampled; the tests assert the sample
 *    count is exactly twice the byte count, which would fail if ffmpeg had resampled.
 * ffmpeg reads and writes through pipes, so no temporary files are needed.
 */
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { G722Decoder, G722Encoder } from '../../codecs/g722.ts';
import { describeWithPeers } from '../support/peers.ts';

const RATE = 16000;
/** 1.2 s: at least one second, and a whole number of ffmpeg's 320-sample frames. */
const N = 19200;

function ffmpeg(args: string[], input: Uint8Array): Uint8Array {
  const out = execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', ...args], {
    input,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 20_000,
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** ffmpeg's G.722 encoding of 16 kHz mono s16le. */
function ffmpegEncode(pcm: Int16Array): Uint8Array {
  const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  return ffmpeg(
    ['-f', 's16le', '-ar', String(RATE), '-ac', '1', '-i', 'pipe:0', '-c:a', 'g722', '-f', 'g722', 'pipe:1'],
    bytes,
  );
}

/** ffmpeg's decoding of a raw G.722 stream to s16le (native rate of the demuxer: 16 kHz). */
function ffmpegDecode(stream: Uint8Array): Int16Array {
  const out = ffmpeg(['-f', 'g722', '-i', 'pipe:0', '-f', 's16le', '-ac', '1', 'pipe:1'], stream);
  const copy = new Uint8Array(out); // aligned copy for the Int16Array view
  return new Int16Array(copy.buffer, 0, copy.length >> 1);
}

/** Small deterministic PRNG (mulberry32) so the noise is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function tone(freq: number, amplitude: number): Int16Array {
  const x = new Int16Array(N);
  for (let i = 0; i < N; i++) x[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / RATE));
  return x;
}

/** Linear sweep from f0 to f1 over the whole signal. */
function chirp(f0: number, f1: number, amplitude: number): Int16Array {
  const x = new Int16Array(N);
  const dur = N / RATE;
  for (let i = 0; i < N; i++) {
    const t = i / RATE;
    const phase = 2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * dur));
    x[i] = Math.round(amplitude * Math.sin(phase));
  }
  return x;
}

function whiteNoise(seed: number, amplitude: number): Int16Array {
  const rnd = prng(seed);
  const x = new Int16Array(N);
  for (let i = 0; i < N; i++) x[i] = Math.round((rnd() * 2 - 1) * amplitude);
  return x;
}

/** Full-scale square wave, 32767 / -32768, period in samples. */
function fullScaleSquare(period: number): Int16Array {
  const x = new Int16Array(N);
  for (let i = 0; i < N; i++) x[i] = i % period < period / 2 ? 32767 : -32768;
  return x;
}

const SIGNALS: ReadonlyArray<readonly [string, () => Int16Array]> = [
  ['440 Hz tone (lower sub-band)', () => tone(440, 10000)],
  ['1 kHz tone, loud (lower sub-band)', () => tone(1000, 30000)],
  ['6 kHz tone (higher sub-band)', () => tone(6000, 16000)],
  ['chirp 50 Hz – 7.9 kHz', () => chirp(50, 7900, 20000)],
  ['white noise (seeded)', () => whiteNoise(722, 24000)],
  ['silence', () => new Int16Array(N)],
  ['full-scale square wave (clipping)', () => fullScaleSquare(40)],
];

/** Index of the first difference, or -1 when equal in length and content. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describeWithPeers(['ffmpeg'], 'G.722 against ffmpeg', () => {
  for (const [name, make] of SIGNALS) {
    it(`encodes ${name} to exactly ffmpeg's bytes, and decodes them to exactly ffmpeg's samples`, () => {
      const pcm = make();
      const ref = ffmpegEncode(pcm);
      expect(ref.length).toBe(N / 2);
      const ours = new G722Encoder().encode(pcm);
      expect(firstDifference(ours, ref)).toBe(-1);

      const refPcm = ffmpegDecode(ref);
      expect(refPcm.length).toBe(2 * ref.length);
      const decoded = new G722Decoder().decode(ref);
      expect(firstDifference(decoded, refPcm)).toBe(-1);
    });
  }

  it('decodes arbitrary bytes (every code word, including those the encoder never emits) like ffmpeg', () => {
    const rnd = prng(9);
    const stream = new Uint8Array(16000);
    for (let i = 0; i < stream.length; i++) stream[i] = Math.floor(rnd() * 256);
    const refPcm = ffmpegDecode(stream);
    expect(refPcm.length).toBe(2 * stream.length);
    expect(firstDifference(new G722Decoder().decode(stream), refPcm)).toBe(-1);
  });

  it('agrees with ffmpeg on an odd-length input over the bytes both produce', () => {
    // 16001 samples: ffmpeg's last frame is short and odd; it emits ceil(n/2) bytes, its
    // last byte coding the lone final sample. Ours holds that sample back (waiting for its
    // partner) and emits floor(n/2) bytes. Compared: those floor(n/2) common bytes.
    const pcm = chirp(80, 7500, 18000).subarray(0, 16001);
    const ref = ffmpegEncode(pcm);
    expect(ref.length).toBe(8001);
    const enc = new G722Encoder();
    const ours = enc.encode(pcm);
    expect(ours.length).toBe(8000);
    expect(enc.hasPendingSample).toBe(true);
    expect(firstDifference(ours, ref.subarray(0, 8000))).toBe(-1);
  });

  it('matches ffmpeg when the signal is fed in uneven chunks (state carries across calls)', () => {
    const pcm = chirp(100, 7000, 15000);
    const ref = ffmpegEncode(pcm);
    const enc = new G722Encoder();
    const parts: Uint8Array[] = [];
    const sizes = [1, 159, 160, 3, 321, 7];
    let at = 0;
    for (let k = 0; at < pcm.length; k++) {
      const size = sizes[k % sizes.length]!;
      parts.push(enc.encode(pcm.subarray(at, at + size)));
      at += size;
    }
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      joined.set(p, off);
      off += p.length;
    }
    expect(firstDifference(joined, ref)).toBe(-1);

    const dec = new G722Decoder();
    const refPcm = ffmpegDecode(ref);
    const first = dec.decode(ref.subarray(0, 333));
    const rest = dec.decode(ref.subarray(333));
    expect(firstDifference([...first, ...rest], refPcm)).toBe(-1);
  });
});

describeWithPeers(['ffmpeg', 'espeak-ng'], 'G.722 against ffmpeg on synthetic speech', () => {
  it('encodes and decodes espeak-ng speech (resampled to 16 kHz by ffmpeg) exactly like ffmpeg', () => {
    const wav = execFileSync(
      'espeak-ng',
      ['--stdout', '-v', 'en', '-s', '160', 'The quick brown fox jumps over the lazy dog, twice.'],
      { maxBuffer: 16 * 1024 * 1024, timeout: 20_000 },
    );
    const raw = ffmpeg(
      ['-f', 'wav', '-i', 'pipe:0', '-ar', '16000', '-ac', '1', '-f', 's16le', 'pipe:1'],
      wav,
    );
    // Whole 320-sample frames only, so that ffmpeg's encoder sees no short last frame.
    const n = Math.floor(raw.length / 2 / 320) * 320;
    expect(n).toBeGreaterThanOrEqual(RATE);
    const pcm = new Int16Array(new Uint8Array(raw.subarray(0, 2 * n)).buffer);
    const ref = ffmpegEncode(pcm);
    expect(ref.length).toBe(n / 2);
    expect(firstDifference(new G722Encoder().encode(pcm), ref)).toBe(-1);
    const refPcm = ffmpegDecode(ref);
    expect(refPcm.length).toBe(n);
    expect(firstDifference(new G722Decoder().decode(ref), refPcm)).toBe(-1);
  });
});
