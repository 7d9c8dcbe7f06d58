import { execFileSync } from 'node:child_process';
import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import {
  bandEnergyRatioDb,
  bandPower,
  checkWideband,
  meanSquare,
  multiTone,
  powerSpectrum,
  sineTone,
  speechLike,
  totalPower,
  whiteNoise,
} from '../../harness/media/analysis/index.ts';
import { describeWithPeers } from '../support/peers.ts';

const { alaw } = alawmulaw;

describe('power spectrum and band energy', () => {
  it('adds up to the mean square (Parseval) and puts a tone in its band', () => {
    const x = multiTone(
      [
        { frequencyHz: 1000, levelDbfs: -10 },
        { frequencyHz: 5000, levelDbfs: -20 },
      ],
      { sampleRate: 16000, durationMs: 1000 },
    );
    const s = powerSpectrum(x, 16000);
    expect(s.frames).toBeGreaterThan(10);
    expect(totalPower(s) / meanSquare(x)).toBeCloseTo(1, 2);
    // The 5 kHz tone carries 1/11 of the power: −10.41 dB.
    expect(bandEnergyRatioDb(x, 16000, 4000, 8001)).toBeCloseTo(-10.41, 1);
    expect(bandPower(s, 900, 1100) / totalPower(s)).toBeCloseTo(10 / 11, 2);
  });

  it('handles empty and very short input without throwing', () => {
    expect(powerSpectrum([], 8000).frames).toBe(0);
    expect(powerSpectrum([1, 2, 3, 4, 5, 6, 7, 8, 9], 8000).frames).toBe(1);
    expect(bandEnergyRatioDb([], 8000, 0, 4000)).toBe(-200);
  });
});

describe('wideband check', () => {
  it('accepts another band edge', () => {
    const t = sineTone({ frequencyHz: 4200, levelDbfs: -10 }, { sampleRate: 16000, durationMs: 500 });
    expect(checkWideband(t, 16000).wideband).toBe(false);
    expect(checkWideband(t, 16000, { edgeHz: 4000 }).wideband).toBe(true);
  });

  it('is true for a 6 kHz tone, white noise and the speech-like signal at 16 kHz', () => {
    const tone = checkWideband(
      sineTone({ frequencyHz: 6000, levelDbfs: -10 }, { sampleRate: 16000, durationMs: 500 }),
      16000,
    );
    expect(tone).toMatchObject({ wideband: true, decided: true });
    expect(tone.highBandRatioDb).toBeGreaterThan(-0.1);
    const noise = checkWideband(whiteNoise({ sampleRate: 16000, durationMs: 1000, seed: 1 }), 16000);
    expect(noise.wideband).toBe(true);
    // White noise: the band 4.5..8 kHz holds 3.5/8 of the power.
    expect(noise.highBandRatioDb).toBeCloseTo(10 * Math.log10(3.5 / 8), 0);
    const speech = checkWideband(speechLike({ sampleRate: 16000, durationMs: 3000, seed: 1 }), 16000);
    expect(speech.wideband).toBe(true);
  });

  it('is false for a 2 kHz tone and undecided for silence or 8 kHz sampling', () => {
    const low = checkWideband(
      sineTone({ frequencyHz: 2000, levelDbfs: -10 }, { sampleRate: 16000, durationMs: 500 }),
      16000,
    );
    expect(low.wideband).toBe(false);
    expect(low.highBandRatioDb).toBeLessThan(-60);
    expect(checkWideband(new Int16Array(16000), 16000)).toMatchObject({
      wideband: false,
      decided: false,
      reason: 'silent',
    });
    expect(checkWideband(whiteNoise({ sampleRate: 8000, durationMs: 500 }), 8000)).toMatchObject({
      decided: false,
      reason: 'sample-rate-too-low',
    });
  });
});

function ffmpegPcm(input: Int16Array, inRate: number, outRate: number, filter: string): Int16Array {
  const out = execFileSync(
    'ffmpeg',
    [
      ...[
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        's16le',
        '-ar',
        String(inRate),
        '-ac',
        '1',
        '-i',
        'pipe:0',
      ],
      ...['-af', filter, '-f', 's16le', '-ar', String(outRate), '-ac', '1', 'pipe:1'],
    ],
    {
      input: Buffer.from(input.buffer, input.byteOffset, input.byteLength),
      maxBuffer: 64 << 20,
      timeout: 15_000,
    },
  );
  return new Int16Array(out.buffer, out.byteOffset, Math.floor(out.byteLength / 2)).slice();
}

describeWithPeers(['ffmpeg'], 'wideband check after a narrowband hop (ffmpeg resampling)', () => {
  const speech = speechLike({ sampleRate: 16000, durationMs: 3000, seed: 5 });
  const noise = whiteNoise({ sampleRate: 16000, durationMs: 2000, levelDbfs: -20, seed: 5 });

  it('is false after downsampling to 8 kHz and back to 16 kHz', () => {
    for (const signal of [speech, noise]) {
      const before = checkWideband(signal, 16000);
      const nb = ffmpegPcm(signal, 16000, 16000, 'aresample=8000,aresample=16000');
      const after = checkWideband(nb, 16000);
      expect(before.wideband).toBe(true);
      expect(after.decided).toBe(true);
      expect(after.wideband).toBe(false);
      expect(after.highBandRatioDb).toBeLessThan(before.highBandRatioDb - 30);
    }
  });

  it('is false after a silent transcoding through G.711 A-law at 8 kHz', () => {
    const at8k = ffmpegPcm(speech, 16000, 8000, 'anull');
    expect(at8k.length).toBeGreaterThan(0.99 * (speech.length / 2));
    const back = ffmpegPcm(alaw.decode(alaw.encode(at8k)), 8000, 16000, 'anull');
    const r = checkWideband(back, 16000);
    expect(r.decided).toBe(true);
    expect(r.wideband).toBe(false);
  });

  it('stays true after a 16 kHz round trip that keeps the band (resampling to 32 kHz and back)', () => {
    const hi = ffmpegPcm(speech, 16000, 16000, 'aresample=32000,aresample=16000');
    expect(checkWideband(hi, 16000).wideband).toBe(true);
  });
});
