/** WAV (RIFF, PCM 16-bit little-endian, mono) writer for audio evidence. */
import { writeFileSync } from 'node:fs';

/** Encodes mono 16-bit PCM at any sample rate as a WAV file. */
export function encodeWav(pcm: Int16Array, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`sample rate ${sampleRate}`);
  const dataBytes = pcm.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i]!, 44 + i * 2);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Writes mono 16-bit PCM to a WAV file. */
export function writeWavFile(path: string, pcm: Int16Array, sampleRate: number): void {
  writeFileSync(path, encodeWav(pcm, sampleRate));
}
