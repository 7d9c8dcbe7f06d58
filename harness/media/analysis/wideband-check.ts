/**
 * Wideband check: did audio above 4 kHz survive end to end?
 *
 * A 16 kHz stream carries up to 8 kHz, but energy above 4 kHz survives only if every hop
 * kept a wideband codec (G.722); one narrowband hop (G.711/G.729 at 8 kHz) low-passes the
 * audio below 4 kHz, even if the last hop is G.722 again. Send a signal with plenty of high
 * band (a 6 kHz tone, noise, the speech-like signal) and compare the received high band
 * with the total: `highBandRatioDb` = 10·log10(E[edgeHz, fs/2] / E_total).
 *
 * The high band starts at 4.5 kHz by default, not exactly 4 kHz: an 8 kHz hop's resamplers
 * have a transition band just above 4 kHz (ffmpeg's default resampler lets white noise
 * through at −27 dB between 4.0 and 4.4 kHz, but at −57 dB from 4.5 kHz up), so starting
 * at 4.5 kHz separates "went through 8 kHz" from "stayed wideband" by a wide margin.
 *
 * Default threshold −35 dB: a 16 kHz signal that went through 8 kHz sampling keeps only
 * resampler leakage and requantisation noise up there (measured: −57 dB for white noise,
 * −74 dB for the speech-like signal), while wideband noise keeps −3.6 dB and the
 * speech-like signal about −17 dB.
 */
import { levelDbfs, SILENCE_DBFS } from './levels.ts';
import type { Samples } from './pcm.ts';
import { bandPower, powerSpectrum, totalPower } from './spectrum.ts';

/** Options of `checkWideband`. */
export interface WidebandOptions {
  /** Lower edge of the high band, Hz (default 4500, see above). */
  edgeHz?: number;
  /** High band over total needed to call it wideband, dB (default −35). */
  minRatioDb?: number;
  /** Quietest signal that can be judged, dBFS RMS (default −60). */
  minLevelDbfs?: number;
}

/** Result of `checkWideband`. */
export interface WidebandCheck {
  wideband: boolean;
  /** High-band energy over total, dB (−200 when silent). */
  highBandRatioDb: number;
  levelDbfs: number;
  /** False when the input could not be judged (silent, or sampled too low to carry the band). */
  decided: boolean;
  reason?: 'silent' | 'sample-rate-too-low';
}

/** Checks whether `signal` (at `sampleRate`, normally 16000) still has its high band. */
export function checkWideband(
  signal: Samples,
  sampleRate: number,
  options: WidebandOptions = {},
): WidebandCheck {
  const edge = options.edgeHz ?? 4500;
  const level = signal.length > 0 ? levelDbfs(signal) : SILENCE_DBFS;
  if (!(sampleRate > 2 * edge)) {
    return {
      wideband: false,
      highBandRatioDb: -200,
      levelDbfs: level,
      decided: false,
      reason: 'sample-rate-too-low',
    };
  }
  if (level < (options.minLevelDbfs ?? -60)) {
    return { wideband: false, highBandRatioDb: -200, levelDbfs: level, decided: false, reason: 'silent' };
  }
  const spectrum = powerSpectrum(signal, sampleRate);
  const total = totalPower(spectrum);
  const high = bandPower(spectrum, edge, sampleRate / 2 + 1);
  const ratio = total > 0 && high > 0 ? 10 * Math.log10(high / total) : -200;
  return {
    wideband: ratio >= (options.minRatioDb ?? -35),
    highBandRatioDb: Math.max(-200, ratio),
    levelDbfs: level,
    decided: true,
  };
}
