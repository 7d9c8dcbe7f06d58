/**
 * A media leg counts the audio time it received (MediaLeg.audioReceivedMs), whatever packet
 * size arrives: what the load run's arrived-audio check and the delay bound read, because an SBC
 * may repacketize (RFC 3551 §4.2). Two legs on loopback, each asking for its own a=ptime, so each
 * receives the other's packet time; G.722 counts 16 kHz audio on its 8000 Hz RTP clock
 * (RFC 3551 §4.5.2) without halving it. Time is virtual; packets really cross loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CodecName } from '../../codecs/index.ts';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const legs: MediaLeg[] = [];
afterEach(async () => {
  await Promise.all(legs.splice(0).map((l) => l.close()));
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function open(vc: VirtualClock, address: string, codec: CodecName, ptimeMs: number): Promise<MediaLeg> {
  const leg = await MediaLeg.open({
    localAddress: address,
    prefs: { codecs: [codec], telephoneEvent: true, ptimeMs },
    clock: vc,
    rtcpIntervalMs: 0,
  });
  legs.push(leg);
  return leg;
}

describe('audio time a media leg received', () => {
  for (const [codec, ptA, ptB] of [
    ['PCMA', 20, 60],
    ['PCMU', 40, 10],
    ['G722', 20, 40],
  ] as const) {
    it(`${codec}: A asks for ${ptA} ms and B for ${ptB} ms; each counts packets × the packet time it got`, async () => {
      const vc = new VirtualClock();
      const a = await open(vc, '127.0.82.1', codec, ptA);
      const b = await open(vc, '127.0.82.2', codec, ptB);
      const answer = b.acceptOffer(a.createOffer());
      if (!answer.ok) throw new Error(answer.reason);
      expect(a.acceptAnswer(answer.answer).ok).toBe(true);
      await a.ready();
      await b.ready();
      // Each sends at the packet time the other asked for (a=ptime of the remote SDP).
      expect(a.negotiated?.ptimeMs).toBe(ptB);
      expect(b.negotiated?.ptimeMs).toBe(ptA);
      const rate = codec === 'G722' ? 16000 : 8000;
      a.play(toneSource(700, rate, -13, 1200));
      b.play(toneSource(1300, rate, -13, 1200));
      for (let t = 0; t < 1300; t += 10) {
        vc.advance(10);
        await tick();
      }
      for (
        let i = 0;
        i < 200 && (a.stats().sent !== b.stats().received || b.stats().sent !== a.stats().received);
        i++
      )
        await sleep(10);
      expect(b.stats().received).toBeGreaterThan(0);
      expect(a.stats().received).toBeGreaterThan(0);
      expect(b.audioReceivedMs()).toBeCloseTo(b.stats().received * ptB, 6);
      expect(a.audioReceivedMs()).toBeCloseTo(a.stats().received * ptA, 6);
      expect(b.details().audioReceivedMs).toBe(b.audioReceivedMs());
    });
  }
});
