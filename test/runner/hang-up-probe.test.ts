/**
 * The tone before our hang-up (harness/runner/hang-up-probe.ts) on real calls through the
 * embedded SBC: with silence suppression (VAD without CN, legal on voice calls), a call whose
 * phones went silent before the hang-up is judged OK once the tone came back, and NOK without
 * it; media that stopped stays a failure with it; a phone that was not silent plays nothing;
 * a hang-up asked twice sends one BYE.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Call, Lab, toneSource } from '../../harness/actors/index.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { installHangUpProbe } from '../../harness/runner/hang-up-probe.ts';
import { CallWatch, Checks, callRegistries } from '../../harness/runner/index.ts';
import { systemClock } from '../../harness/support/clock.ts';

const TIMERS = { t1: 100, t2: 800, t4: 1000 };
const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A call from pstn1 to deskphone1 through the embedded SBC with `faults`: each phone plays a
 * tone for `toneMs` after the answer, then nothing (its leg sends silence) until `callMs`,
 * when the deskphone hangs up. `probe`: the runner's tone before the hang-up is installed.
 */
async function call(faults: string[], probe: boolean, toneMs = 800, callMs = 2500) {
  const lab = await Lab.start({ profile: loadProfile(), ephemeralPorts: true, timers: TIMERS, faults });
  labs.push(lab);
  const watch = new CallWatch(callRegistries(lab), lab.sbc);
  if (probe) installHangUpProbe(callRegistries(lab));
  const ext = lab.oxo!.extension('deskphone1');
  const incoming = ext.nextIncoming();
  const pstn = await lab.provider!.phone('pstn1').call(ext.did);
  expect(await pstn.established()).toBe(true);
  const desk: Call = await incoming;
  expect(await desk.established()).toBe(true);
  pstn.media.play(toneSource(900, 8000, -13, toneMs));
  desk.media.play(toneSource(1500, 8000, -13, toneMs));
  await sleep(callMs);
  await desk.hangup();
  await pstn.ended();
  await watch.settle();
  const checks = new Checks(systemClock);
  const notes = watch.judge(checks);
  const media = checks.records.find((r) => r.name.startsWith('RTP flows both ways'));
  const release = checks.records.find((r) => r.name.startsWith('both legs'));
  const legs = callRegistries(lab).flatMap((r) => r.since(0));
  return { media, release, legs, notes };
}

describe('a tone before our hang-up', () => {
  it('silence suppressed to the hang-up: NOK without the tone (cannot be told from media that stopped), OK with it', async () => {
    const without = await call(['silence-suppression'], false);
    expect(without.media?.ok).toBe(false);
    expect(without.media?.failure).toMatch(/cannot be told from media that stopped/);
    expect(without.legs.every((t) => t.probeMs === undefined)).toBe(true);

    const withTone = await call(['silence-suppression'], true);
    expect(withTone.media?.failure ?? '').toBe('');
    expect(withTone.media?.ok).toBe(true);
    expect(withTone.media?.observed).toMatch(/legal silence/);
    const evidence = withTone.media?.evidence ?? [];
    expect(evidence.some((e) => /without RTP from .*silence suppressed, RFC 3551/.test(e))).toBe(true);
    expect(evidence.filter((e) => /sent a short 1020 Hz tone from \+\d/.test(e))).toHaveLength(2);
    // The cell's comment says the SBC left silence out (legal, but the report's reader sees it).
    expect(withTone.notes.join(' ')).toMatch(
      /The SBC left silence out of the RTP without comfort noise \(VAD\) toward the provider leg \(pstn1\), the OXO leg \(deskphone1\)/,
    );
    expect(withTone.legs.every((t) => t.probeMs !== undefined)).toBe(true);
    expect(withTone.release?.ok).toBe(true);
  });

  it('media that stopped stays a failure: nothing comes back, and the doubt goes', async () => {
    // The phones go silent at 0.8 s, the SBC stops all media at 1 s, the hang-up comes at 2.6 s.
    const without = await call(['stop-rtp-after=1'], false, 800, 2600);
    expect(without.media?.ok).toBe(false);
    expect(without.media?.failure).toMatch(/cannot be told from media that stopped/);
    const r = await call(['stop-rtp-after=1'], true, 800, 2600);
    expect(r.legs.every((t) => t.probeMs !== undefined)).toBe(true);
    expect(r.media?.ok).toBe(false);
    expect(r.media?.failure).toMatch(
      /RTP from the OXO side stopped reaching the provider leg \(pstn1\) 1\.\d s after the answer/,
    );
    // The far phone sent the tone inside the silence: it was not silent throughout, no doubt is left.
    expect(r.media?.failure).not.toMatch(/cannot be told/);
    expect(r.release?.ok).toBe(true);
  });

  it('phones that were not silent before the hang-up play nothing', async () => {
    const r = await call([], true, 5000, 2000);
    expect(r.media?.ok).toBe(true);
    expect(r.legs.every((t) => t.probeMs === undefined)).toBe(true);
    expect((r.media?.evidence ?? []).some((e) => /short 1020 Hz tone/.test(e))).toBe(false);
    expect(r.notes).toEqual([]);
  });

  it('a hang-up asked twice while the first waits sends one BYE', async () => {
    const lab = await Lab.start({ profile: loadProfile(), ephemeralPorts: true, timers: TIMERS });
    labs.push(lab);
    installHangUpProbe(callRegistries(lab));
    const ext = lab.oxo!.extension('deskphone1');
    const incoming = ext.nextIncoming();
    const pstn = await lab.provider!.phone('pstn1').call(ext.did);
    expect(await pstn.established()).toBe(true);
    const desk = await incoming;
    expect(await desk.established()).toBe(true);
    await sleep(800); // both phones silent: the first hang-up plays the tone and waits
    const [a, b] = await Promise.all([desk.hangup(), desk.hangup()]);
    expect(a?.status).toBe(200);
    expect(b).toBe(a);
    const releasing = callRegistries(lab)
      .flatMap((r) => r.since(0))
      .find((t) => t.call === desk)
      ?.events.filter((e) => e.kind === 'releasing');
    expect(releasing).toHaveLength(1);
  });
});
