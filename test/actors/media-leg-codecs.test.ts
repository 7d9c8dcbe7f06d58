/**
 * Two MediaLegs on loopback, no SIP: A.createOffer → B.acceptOffer → A.acceptAnswer, then
 * audio both ways per codec, the answerer's codec preference, the G.722 wideband check and
 * the G.723.1 fixture passthrough. Time is virtual (the send clock runs on a VirtualClock);
 * packets really cross loopback sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CodecName } from '../../codecs/index.ts';
import { fixtureSource, toneSource } from '../../harness/actors/audio-sources.ts';
import { MediaLeg, type MediaPrefs } from '../../harness/actors/media-leg.ts';
import { analyseTone, checkWideband } from '../../harness/media/analysis/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';
import { describeWithPeers } from '../support/peers.ts';

const legs: MediaLeg[] = [];
afterEach(async () => {
  await Promise.all(legs.splice(0).map((l) => l.close()));
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Advances virtual time in 10 ms steps, letting sockets deliver between steps. */
async function pump(vc: VirtualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    vc.advance(10);
    await tick();
  }
}

/** Real-time wait (≤ 2 s) for loopback delivery to settle. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
}

async function pair(
  prefsA: MediaPrefs,
  prefsB: MediaPrefs,
): Promise<{ a: MediaLeg; b: MediaLeg; vc: VirtualClock }> {
  const vc = new VirtualClock();
  const a = await MediaLeg.open({
    localAddress: '127.0.81.1',
    prefs: prefsA,
    clock: vc,
    name: 'A',
    rtcpIntervalMs: 0,
  });
  legs.push(a);
  const b = await MediaLeg.open({
    localAddress: '127.0.81.2',
    prefs: prefsB,
    clock: vc,
    name: 'B',
    rtcpIntervalMs: 0,
  });
  legs.push(b);
  const offer = a.createOffer();
  const answer = b.acceptOffer(offer);
  if (!answer.ok) throw new Error(answer.reason);
  const done = a.acceptAnswer(answer.answer);
  if (!done.ok) throw new Error(done.reason);
  await a.ready();
  await b.ready();
  return { a, b, vc };
}

const prefs = (codecs: CodecName[]): MediaPrefs => ({ codecs, telephoneEvent: true });

/** Plays a tone each way for `ms`, waits for delivery, and returns what each side measured. */
async function toneBothWays(codec: CodecName, fa: number, fb: number, rate: number, ms = 1000) {
  const { a, b, vc } = await pair(prefs([codec]), prefs([codec]));
  expect(a.negotiated?.codec).toBe(codec);
  expect(b.negotiated?.codec).toBe(codec);
  a.play(toneSource(fa, rate, -13, ms));
  b.play(toneSource(fb, rate, -13, ms));
  await pump(vc, ms + 100);
  const packets = ms / 20;
  await until(() => a.stats().received >= packets && b.stats().received >= packets);
  const atB = b.receivedAudio();
  const atA = a.receivedAudio();
  // Skip the first 100 ms (codec and resampler start-up).
  const start = atB.sampleRate / 10;
  return {
    a,
    b,
    atA: analyseTone(atA.samples, atA.sampleRate, { expectedHz: fb, start }),
    atB: analyseTone(atB.samples, atB.sampleRate, { expectedHz: fa, start }),
    lenA: atA.samples.length,
    lenB: atB.samples.length,
  };
}

describe('MediaLeg audio per codec', () => {
  for (const codec of ['PCMA', 'PCMU', 'G722'] as const) {
    it(`${codec}: a tone each way arrives at its frequency, without loss`, async () => {
      const r = await toneBothWays(codec, 1000, 1500, 8000);
      expect(r.atB.present).toBe(true);
      expect(Math.abs(r.atB.frequencyHz - 1000)).toBeLessThan(3);
      expect(r.atA.present).toBe(true);
      expect(Math.abs(r.atA.frequencyHz - 1500)).toBeLessThan(3);
      // 1 s of 16 kHz recording each way (50 packets of 20 ms).
      expect(r.lenB).toBe(16000);
      expect(r.lenA).toBe(16000);
      expect(r.b.receivedLength).toBe(16000);
      expect(r.b.receivedAudioFrom(15_990)).toEqual(r.b.receivedAudio().samples.subarray(15_990));
      for (const leg of [r.a, r.b]) {
        const s = leg.stats();
        expect(s.sent).toBe(50);
        expect(s.received).toBe(50);
        expect(s.lost).toBe(0);
        expect(s.codecs).toEqual([codec]);
      }
    });
  }

  it('G.722 keeps a 6 kHz component (wideband); PCMA removes it', async () => {
    const results: Record<string, ReturnType<typeof checkWideband>> = {};
    for (const codec of ['G722', 'PCMA'] as const) {
      const { a, b, vc } = await pair(prefs([codec]), prefs([codec]));
      a.play(toneSource([1000, 6000], 16000, -16, 800));
      await pump(vc, 900);
      await until(() => b.stats().received >= 40);
      const rx = b.receivedAudio();
      results[codec] = checkWideband(rx.samples.subarray(1600), rx.sampleRate);
      if (codec === 'G722') {
        const hi = analyseTone(rx.samples, rx.sampleRate, {
          expectedHz: 6000,
          start: 1600,
          searchHz: [5000, 7000],
        });
        expect(Math.abs(hi.frequencyHz - 6000)).toBeLessThan(5);
      }
      await Promise.all(legs.splice(0).map((l) => l.close()));
    }
    expect(results.G722?.decided).toBe(true);
    expect(results.G722?.wideband).toBe(true);
    expect(results.PCMA?.decided).toBe(true);
    expect(results.PCMA?.wideband).toBe(false);
  });

  it("codec choice follows the answerer's preference", async () => {
    const one = await pair(prefs(['PCMU', 'PCMA', 'G722']), prefs(['G722', 'PCMA']));
    expect(one.a.negotiated?.codec).toBe('G722');
    expect(one.b.negotiated?.codec).toBe('G722');
    expect(one.a.negotiated?.payloadType).toBe(9);
    await Promise.all(legs.splice(0).map((l) => l.close()));
    const two = await pair(prefs(['G722', 'PCMU', 'PCMA']), prefs(['PCMA', 'PCMU', 'G722']));
    expect(two.a.negotiated?.codec).toBe('PCMA');
    expect(two.b.negotiated?.codec).toBe('PCMA');
    expect(two.a.negotiated?.formats[0]).toBe('PCMA/8000');
  });

  it('refuses an offer without a codec in common and keeps no negotiation', async () => {
    const a = await MediaLeg.open({ localAddress: '127.0.81.1', prefs: prefs(['PCMU']), rtcpIntervalMs: 0 });
    legs.push(a);
    const b = await MediaLeg.open({ localAddress: '127.0.81.2', prefs: prefs(['PCMA']), rtcpIntervalMs: 0 });
    legs.push(b);
    const r = b.acceptOffer(a.createOffer());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/codec/);
    expect(b.negotiated).toBeUndefined();
  });

  it('G.723.1: the fixture frames pass through and verify byte-exact', async () => {
    const { a, b, vc } = await pair(prefs(['G723', 'PCMA']), prefs(['G723']));
    expect(a.negotiated?.codec).toBe('G723');
    expect(a.negotiated?.ptimeMs).toBe(30);
    a.play(toneSource(1000, 8000, -13, 1500));
    await pump(vc, 1600);
    await until(() => b.stats().received >= 50);
    const v = b.verifyFixture();
    expect(v.ok).toBe(true);
    expect(v.method).toBe('passthrough');
    expect(v.framesCompared).toBe(50);
    // Nothing decodable arrived, so there is no audio to record.
    expect(b.receivedAudio().samples.length).toBe(0);
  });

  it('fixture check: the fixture source over PCMA verifies decoded; a plain tone does not', async () => {
    const { a, b, vc } = await pair(prefs(['PCMA']), prefs(['PCMA']));
    a.play(fixtureSource('G723'));
    await pump(vc, 2600);
    await until(() => b.stats().received >= 130);
    a.stopPlaying();
    const good = b.verifyFixture('G723');
    expect(good.method).toBe('decoded');
    expect(good.ok).toBe(true);
    b.clearReceived();
    a.play(toneSource(1000, 8000, -13, 1500));
    await pump(vc, 1600);
    await until(() => b.stats().received >= 205);
    const bad = b.verifyFixture('G723');
    expect(bad.method).toBe('decoded');
    expect(bad.ok).toBe(false);
  });

  it('runs on the real clock too (PCMA, 400 ms)', async () => {
    const a = await MediaLeg.open({ localAddress: '127.0.81.1', prefs: prefs(['PCMA']), rtcpIntervalMs: 0 });
    legs.push(a);
    const b = await MediaLeg.open({ localAddress: '127.0.81.2', prefs: prefs(['PCMA']), rtcpIntervalMs: 0 });
    legs.push(b);
    const r = b.acceptOffer(a.createOffer());
    expect(r.ok).toBe(true);
    if (r.ok) expect(a.acceptAnswer(r.answer).ok).toBe(true);
    a.play(toneSource(800, 8000, -13, 400));
    await until(() => b.stats().received >= 20 && !a.playing);
    const rx = b.receivedAudio();
    const t = analyseTone(rx.samples, rx.sampleRate, { expectedHz: 800, start: 1600 });
    expect(t.present).toBe(true);
    expect(b.stats().received).toBe(20);
  });
});

describeWithPeers(['bcg729'], 'MediaLeg audio over G.729 (libbcg729)', () => {
  it('G729: a tone each way arrives at its frequency, without loss', async () => {
    const r = await toneBothWays('G729', 800, 1200, 8000);
    expect(r.a.negotiated?.codec).toBe('G729');
    expect(r.atB.present).toBe(true);
    expect(Math.abs(r.atB.frequencyHz - 800)).toBeLessThan(10);
    expect(r.atA.present).toBe(true);
    expect(Math.abs(r.atA.frequencyHz - 1200)).toBeLessThan(10);
    expect(r.a.stats().lost).toBe(0);
    expect(r.b.stats().received).toBe(50);
  });
});
