import { describe, expect, it } from 'vitest';
import {
  analyseActivity,
  checkTwoWayAudio,
  concatSignals,
  frameLevels,
  silence,
  sineTone,
  speechLikeSignal,
  whiteNoise,
} from '../../harness/media/analysis/index.ts';

const fs = 8000;
const on = (ms: number) =>
  sineTone({ frequencyHz: 1000, levelDbfs: -20 }, { sampleRate: fs, durationMs: ms });
const off = (ms: number) => silence(ms, fs);

describe('activity per 20 ms frame', () => {
  it('counts a constructed on/off pattern frame by frame', () => {
    // 200 on, 100 off, 60 on, 400 off, 240 on = 1000 ms = 50 frames; silent: 5 + 20 = 25.
    const x = concatSignals(on(200), off(100), on(60), off(400), on(240));
    const r = analyseActivity(x, fs);
    expect(r.frames).toBe(50);
    expect(r.silentFrames).toBe(25);
    expect(r.activeFrames).toBe(25);
    expect(r.silentFraction).toBe(0.5);
    expect(r.longestSilentRunFrames).toBe(20);
    expect(r.longestSilentRunMs).toBe(400);
    expect(r.longestActiveRunMs).toBe(240);
    expect(r.activeLevelDbfs).toBeCloseTo(-20, 1);
    expect(r.audioPresent).toBe(true);
  });

  it('uses the threshold: low-level noise is silence at −50 dBFS, activity at −70', () => {
    const hiss = whiteNoise({ sampleRate: fs, durationMs: 1000, levelDbfs: -60, seed: 3 });
    expect(analyseActivity(hiss, fs).activeFrames).toBe(0);
    expect(analyseActivity(hiss, fs).audioPresent).toBe(false);
    expect(analyseActivity(hiss, fs, { silenceThresholdDbfs: -70 }).activeFrames).toBe(50);
  });

  it('gives frame levels in dBFS, ignoring a trailing partial frame', () => {
    const levels = frameLevels(concatSignals(on(40), off(20), on(10)), fs);
    expect(levels.length).toBe(3);
    expect(levels[0]).toBeCloseTo(-20, 1);
    expect(levels[2]).toBe(-200);
    expect(analyseActivity(new Int16Array(0), fs)).toMatchObject({
      frames: 0,
      audioPresent: false,
      silentFraction: 1,
    });
  });

  it('agrees with the speech-like timeline: pauses silent, talkspurts mostly active', () => {
    const s = speechLikeSignal({ sampleRate: fs, durationMs: 6000, seed: 14 });
    const r = analyseActivity(s.samples, fs, { frameMs: 10 });
    const frame = fs / 100;
    let pauseFrames = 0;
    let silentInPauses = 0;
    for (let f = 0; f < r.frames; f++) {
      const a = f * frame;
      const b = a + frame;
      const inSpurt = s.talkspurts.some((t) => a < t.end && b > t.start);
      if (!inSpurt) {
        pauseFrames++;
        if (r.frameLevelsDbfs[f]! < -50) silentInPauses++;
      }
    }
    expect(pauseFrames).toBeGreaterThan(20);
    expect(silentInPauses).toBe(pauseFrames);
    const spurtMs = s.talkspurts.reduce((n, t) => n + ((t.end - t.start) * 1000) / fs, 0);
    expect(r.activeFrames * 10).toBeGreaterThan(0.8 * spurtMs);
    expect(r.activeFrames * 10).toBeLessThanOrEqual(spurtMs + 10 * s.talkspurts.length);
  });
});

describe('two-way audio', () => {
  const talk = concatSignals(on(500), off(100), on(400));
  const quiet = off(1000);
  it.each([
    [talk, talk, 'two-way'],
    [talk, quiet, 'one-way-forward-only'],
    [quiet, talk, 'one-way-backward-only'],
    [quiet, quiet, 'no-audio'],
  ] as const)('classifies direction pattern %# as %s', (forward, backward, verdict) => {
    const r = checkTwoWayAudio(forward, backward, fs);
    expect(r.verdict).toBe(verdict);
    expect(r.forward.frames).toBe(50);
  });
});
