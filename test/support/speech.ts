/**
 * Speech for codec tests: one English sentence from espeak-ng, resampled by ffmpeg to 8 kHz
 * mono 16-bit, cut to whole 10 ms frames (80 samples). Both peers are installed by .ci/run.
 */
import { execFileSync } from 'node:child_process';
import { s16leToInt16 } from '../../codecs/fixtures/codec-fixtures.ts';

export function espeakSpeech8k(): Int16Array {
  const wav = execFileSync(
    'espeak-ng',
    ['--stdout', '-v', 'en', '-s', '160', 'The quick brown fox jumps over the lazy dog, twice.'],
    { maxBuffer: 16 * 1024 * 1024, timeout: 20_000 },
  );
  const raw = execFileSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-v',
      'error',
      '-f',
      'wav',
      '-i',
      'pipe:0',
      '-ar',
      '8000',
      '-ac',
      '1',
      '-f',
      's16le',
      'pipe:1',
    ],
    { input: wav, maxBuffer: 16 * 1024 * 1024, timeout: 20_000 },
  );
  const x = s16leToInt16(new Uint8Array(raw));
  return x.subarray(0, x.length - (x.length % 80));
}
