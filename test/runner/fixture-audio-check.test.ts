/**
 * The G.723.1 fixture check (harness/runner/fixture-audio-check.ts) between real media legs on
 * loopback: passed through both ways it is OK with its one-way delay measured; a leg that gets
 * its own RTP back fails, although its frames are the same fixture's, byte for byte.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Call } from '../../harness/actors/index.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { Checks } from '../../harness/runner/checks.ts';
import { fixtureAudioCheck } from '../../harness/runner/fixture-audio-check.ts';
import { systemClock } from '../../harness/support/clock.ts';
import { reflectedG723Leg } from '../support/reflected-media-leg.ts';

const prefs = { codecs: ['G723' as const], telephoneEvent: false };
const legs: MediaLeg[] = [];
afterEach(async () => {
  for (const l of legs.splice(0)) await l.close();
});

async function open(continuous = true): Promise<MediaLeg> {
  const l = await MediaLeg.open({ localAddress: '127.0.0.1', prefs, continuous });
  legs.push(l);
  return l;
}

/** Two legs, `answerer` answering `offerer`'s offer: each sends to the other. */
async function pair(): Promise<[MediaLeg, MediaLeg]> {
  const offerer = await open();
  const answerer = await open();
  const a = answerer.acceptOffer(offerer.createOffer());
  if (!a.ok) throw new Error(a.reason);
  const r = offerer.acceptAnswer(a.answer);
  if (!r.ok) throw new Error(r.reason);
  return [offerer, answerer];
}

const party = (media: MediaLeg, name: string) => ({ call: { media } as unknown as Call, name });

describe('G.723.1 fixture check', () => {
  it('passed through both ways: OK, each direction judged with its delay', { timeout: 20_000 }, async () => {
    const [a, b] = await pair();
    const check = new Checks(systemClock);
    const r = await fixtureAudioCheck(check, party(a, 'A'), party(b, 'B'), { playMs: 1200, allowLoss: true });
    expect(r.ok, JSON.stringify(check.records)).toBe(true);
    expect(r.directions.map((d) => [d.from, d.to, d.heard, d.judged])).toEqual([
      ['A', 'B', true, true],
      ['B', 'A', true, true],
    ]);
    for (const d of r.directions) expect(d.delayMs).toBeLessThan(150);
  });

  it("a leg that gets its own RTP back fails, named so, though its frames are the fixture's", {
    timeout: 20_000,
  }, async () => {
    // `self` hears only itself; the far leg B sends to a third leg instead.
    const { self, answering } = await reflectedG723Leg();
    legs.push(self, answering);
    const [, b] = await pair();
    const check = new Checks(systemClock);
    const r = await fixtureAudioCheck(check, party(b, 'B'), party(self, 'A'), { playMs: 1200 });
    const toSelf = r.directions.find((d) => d.to === 'A');
    expect(toSelf?.failure).toMatch(
      /^A got its own RTP back \(\d+ packet\(s\) with its own SSRC\), not the audio from B$/,
    );
    expect(r.ok).toBe(false);
  });
});
