/**
 * A MediaLeg opened `continuous` sends RTP from the negotiation to its close, silence while
 * nothing plays (a phone without VAD), and goes back to silence when a played source ends or
 * is stopped; a leg opened without it sends only while something plays. A continuous G.723.1
 * leg keeps its place in the fixture loop, so what arrives is one passthrough run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureSource, toneSource } from '../../harness/actors/audio-sources.ts';
import { MediaLeg, type MediaPrefs } from '../../harness/actors/media-leg.ts';
import { PayloadDelayProbe } from '../../harness/runner/delay-probe.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const legs: MediaLeg[] = [];
afterEach(async () => {
  await Promise.all(legs.splice(0).map((l) => l.close()));
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function pump(vc: VirtualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    vc.advance(10);
    await tick();
  }
  await sleep(30);
}

async function pair(prefs: MediaPrefs): Promise<{ vc: VirtualClock; quiet: MediaLeg; talker: MediaLeg }> {
  const vc = new VirtualClock();
  const talker = await MediaLeg.open({
    localAddress: '127.0.0.1',
    prefs,
    clock: vc,
    name: 'talker',
    rtcpIntervalMs: 0,
    continuous: true,
  });
  const quiet = await MediaLeg.open({
    localAddress: '127.0.0.1',
    prefs,
    clock: vc,
    name: 'quiet',
    rtcpIntervalMs: 0,
  });
  legs.push(talker, quiet);
  const r = quiet.acceptOffer(talker.createOffer('sendrecv'));
  if (!r.ok) throw new Error(r.reason);
  const a = talker.acceptAnswer(r.answer);
  if (!a.ok) throw new Error(a.reason);
  return { vc, quiet, talker };
}

describe('MediaLeg continuous', () => {
  it('sends silence from the negotiation on; the other leg sends nothing while nothing plays', async () => {
    const { vc, quiet, talker } = await pair({ codecs: ['PCMA'], telephoneEvent: true });
    await pump(vc, 400);
    expect(quiet.stats().received).toBeGreaterThan(10);
    expect(talker.stats().received).toBe(0);
    const level = quiet.receivedAudio().samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(level).toBeLessThan(50);
  });

  it('goes back to silence when a played tone ends or is stopped', async () => {
    const { vc, quiet, talker } = await pair({ codecs: ['PCMA'], telephoneEvent: true });
    talker.play(toneSource(1000, 16000, -13, 100));
    await pump(vc, 300);
    const afterTone = quiet.stats().received;
    await pump(vc, 300);
    expect(quiet.stats().received).toBeGreaterThan(afterTone + 5);
    talker.play(toneSource(1000, 16000));
    talker.stopPlaying();
    const before = quiet.stats().received;
    await pump(vc, 300);
    expect(quiet.stats().received).toBeGreaterThan(before + 5);
  });

  it('G.723.1: the fixture loop is not restarted by play(), so what arrives is one passthrough run', async () => {
    const { vc, quiet, talker } = await pair({ codecs: ['G723'], telephoneEvent: false });
    await pump(vc, 300);
    quiet.clearReceived();
    await pump(vc, 100);
    talker.play(fixtureSource('G723'));
    await pump(vc, 600);
    const v = quiet.verifyFixture('G723');
    expect(v.detail).not.toMatch(/no audio/);
    expect(v.ok).toBe(true);
  });

  it('G.723.1: the payload delay probe times the frames as sent, from wherever the loop stood', async () => {
    const { vc, quiet, talker } = await pair({ codecs: ['G723'], telephoneEvent: false });
    // 300 ms idle: the loop is ~10 frames on when the play begins, and frames sent before the
    // probe are still arriving. Rebuilt from the fixture's first frame, the sent side would be
    // ~300 ms late and the delay ~−300 ms.
    await pump(vc, 300);
    const probe = new PayloadDelayProbe(vc, quiet, talker);
    expect(probe.listening).toBe(true);
    talker.play(fixtureSource('G723'));
    await pump(vc, 600);
    probe.close();
    const d = probe.measure(24);
    expect(d.found).toBe(true);
    expect(d.windows.matched).toBeGreaterThan(15);
    // Loopback on a virtual clock: arrivals stamp at most a few 10 ms pump steps after the send.
    expect(d.minMs).toBeGreaterThanOrEqual(0);
    expect(d.maxMs).toBeLessThanOrEqual(40);
  });
});
