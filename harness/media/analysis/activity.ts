/**
 * Activity and silence per frame: the level of every 20 ms frame, which frames are silent,
 * the longest silent run, and a two-direction verdict for one-way audio.
 *
 * A frame is silent when its RMS level is below `silenceThresholdDbfs` (default −50 dBFS:
 * above G.711 idle-channel noise (about −70 dBFS) and typical comfort noise (−60..−70 dBFS),
 * far below active speech (−20..−30 dBFS)).
 * Only whole frames are analysed; a trailing partial frame is ignored.
 */
import { levelDbfs, SILENCE_DBFS } from './levels.ts';
import { type Samples, samplesForMs } from './pcm.ts';

/** Options of `analyseActivity`. */
export interface ActivityOptions {
  /** Frame length, ms (default 20). */
  frameMs?: number;
  /** Frames below this RMS level are silent, dBFS (default −50). */
  silenceThresholdDbfs?: number;
  /** Active fraction needed to say audio is present (default 0.05). */
  minActiveFraction?: number;
}

/** Per-frame activity of one signal. */
export interface ActivityReport {
  frameMs: number;
  frames: number;
  activeFrames: number;
  silentFrames: number;
  /** silentFrames / frames (1 for no frames). */
  silentFraction: number;
  activeFraction: number;
  longestSilentRunFrames: number;
  longestSilentRunMs: number;
  longestActiveRunMs: number;
  /** RMS level over the active frames only, dBFS (SILENCE_DBFS when none). */
  activeLevelDbfs: number;
  /** Level of each frame, dBFS. */
  frameLevelsDbfs: Float64Array;
  /** activeFraction ≥ minActiveFraction. */
  audioPresent: boolean;
}

/** RMS level of each whole frame, dBFS. */
export function frameLevels(signal: Samples, sampleRate: number, frameMs = 20): Float64Array {
  const frame = Math.max(1, samplesForMs(frameMs, sampleRate > 0 ? sampleRate : 8000));
  const count = Math.floor(signal.length / frame);
  const out = new Float64Array(count);
  for (let f = 0; f < count; f++) out[f] = levelDbfs(signal, f * frame, (f + 1) * frame);
  return out;
}

/** Activity report of one signal. Never throws; an empty signal has zero frames and no audio. */
export function analyseActivity(
  signal: Samples,
  sampleRate: number,
  options: ActivityOptions = {},
): ActivityReport {
  const frameMs = options.frameMs ?? 20;
  const threshold = options.silenceThresholdDbfs ?? -50;
  const levels = frameLevels(signal, sampleRate, frameMs);
  let active = 0;
  let silentRun = 0;
  let activeRun = 0;
  let longestSilent = 0;
  let longestActive = 0;
  let activePower = 0;
  for (const db of levels) {
    if (db >= threshold) {
      active++;
      activeRun++;
      silentRun = 0;
      activePower += 10 ** (db / 10);
    } else {
      silentRun++;
      activeRun = 0;
    }
    if (silentRun > longestSilent) longestSilent = silentRun;
    if (activeRun > longestActive) longestActive = activeRun;
  }
  const frames = levels.length;
  const activeFraction = frames > 0 ? active / frames : 0;
  return {
    frameMs,
    frames,
    activeFrames: active,
    silentFrames: frames - active,
    silentFraction: frames > 0 ? (frames - active) / frames : 1,
    activeFraction,
    longestSilentRunFrames: longestSilent,
    longestSilentRunMs: longestSilent * frameMs,
    longestActiveRunMs: longestActive * frameMs,
    activeLevelDbfs: active > 0 ? 10 * Math.log10(activePower / active) : SILENCE_DBFS,
    frameLevelsDbfs: levels,
    audioPresent: frames > 0 && activeFraction >= (options.minActiveFraction ?? 0.05),
  };
}

/** Verdict on the two directions of a call. */
export type AudioDirectionVerdict = 'two-way' | 'one-way-forward-only' | 'one-way-backward-only' | 'no-audio';

/** Activity of both directions of a call and the verdict. */
export interface TwoWayAudioReport {
  forward: ActivityReport;
  backward: ActivityReport;
  verdict: AudioDirectionVerdict;
}

/**
 * Two-way audio check: `forward` is what arrived at the far end (A→B), `backward` what
 * arrived back (B→A), both while each side was sending a signal.
 */
export function checkTwoWayAudio(
  forward: Samples,
  backward: Samples,
  sampleRate: number,
  options: ActivityOptions = {},
): TwoWayAudioReport {
  const f = analyseActivity(forward, sampleRate, options);
  const b = analyseActivity(backward, sampleRate, options);
  const verdict: AudioDirectionVerdict =
    f.audioPresent && b.audioPresent
      ? 'two-way'
      : f.audioPresent
        ? 'one-way-forward-only'
        : b.audioPresent
          ? 'one-way-backward-only'
          : 'no-audio';
  return { forward: f, backward: b, verdict };
}
