/**
 * The load's audio check counts the audio sent and arrived over the tones' window only
 * (harness/runner/load-shape.ts, Checks.audio's onTimeUp): the legs are continuous and go on
 * sending silence while the analysis waits for its turn of the event loop (cpu-turns.ts),
 * which must not count as tone audio: a sender that skipped slots would look complete. Its
 * one-way delay bound is the profile's (`audio`), as the plan's checks take it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Call, Lab } from '../../harness/actors/index.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { runLoad } from '../../harness/runner/load-run.ts';
import { loadAudioCheck } from '../../harness/runner/load-shape.ts';
import { systemClock } from '../../harness/support/clock.ts';
import { cpuTurn } from '../../harness/support/cpu-turns.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: other calls' analyses
  }
}

describe('load audio window', () => {
  it('audio sent and arrived are read when the tones stop, not after the analysis waited its turn', async () => {
    const lab = await Lab.start({ profile: loadProfile(), ephemeralPorts: true });
    labs.push(lab);
    const desk = lab.oxo!.extension('deskphone1');
    const incoming = desk.nextIncoming();
    const pstn = await lab.provider!.phone('pstn1').call(desk.did);
    expect(await pstn.established()).toBe(true);
    const leg: Call = await incoming;
    expect(await leg.established()).toBe(true);

    const ms = 600;
    // Other calls' analyses queue up just before this check's time is up: about a second of
    // turns, during which both legs keep sending 20 ms packets of silence.
    setTimeout(() => {
      for (let i = 0; i < 60; i++) void cpuTurn().then(() => busy(10));
    }, ms - 50);
    const failures: string[] = [];
    const t0 = performance.now();
    const dirs = await loadAudioCheck(
      { call: pstn, name: 'PSTN 1' },
      { call: leg, name: 'Deskphone 1' },
      ms,
      { clock: systemClock, lab },
      failures,
    );
    // The analysis did wait (the queue was real) ...
    expect(performance.now() - t0).toBeGreaterThan(ms + 400);
    expect(dirs).toHaveLength(2);
    for (const d of dirs) {
      // ... and what was counted is the tones' window: 600 ms is 30 packets of 20 ms.
      expect(d.audioSentMs).toBeGreaterThanOrEqual(0.9 * ms);
      expect(d.audioSentMs).toBeLessThanOrEqual(ms + 100);
      expect(d.audioArrivedMs).toBeLessThanOrEqual(ms + 100);
      expect(d.heard).toBe(true);
    }
    expect(failures).toEqual([]);
    pstn.hangup();
  });

  // The plan's checks take the profile's audio thresholds (runner.ts): a lab whose network
  // declares more delay, or that allows more, judges a slower path as the engineer set it. The
  // load's audio check took the defaults (150 ms) and failed such calls "delayed".
  it('judges the one-way delay against the profile’s bound (audio.maxOneWayDelayMs), as the plan does', {
    timeout: 60_000,
  }, async () => {
    const run = async (maxOneWayDelayMs: number) => {
      const profile = loadProfile();
      profile.audio.maxOneWayDelayMs = maxOneWayDelayMs;
      const lab = await Lab.start({ profile, ephemeralPorts: true, faults: ['delay-media=250'] });
      labs.push(lab);
      return runLoad({ lab, calls: 2, steps: [2], holdS: 2, direction: 'both', mix: { basic: 1 } });
    };
    const strict = await run(150);
    for (const c of strict.calls) expect(c.failures.join(' | ')).toMatch(/delayed/);
    const lenient = await run(600);
    for (const c of lenient.calls) {
      expect(c.failures.filter((f) => /delayed/.test(f))).toEqual([]);
      for (const a of c.audio) expect(a.delayMs).toBeGreaterThan(200);
    }
  });
});
