/**
 * The load's hold shape judges the plan's outcome, not our SBC's way of carrying it (RFC 3264
 * §8.4; docs/tolerances.md): the SBC may tell the PSTN leg of the hold in a re-INVITE with an
 * offer (default), in a re-INVITE without one whose answer in the ACK says a=sendonly
 * (personality offerless-reinvite), or keep the PSTN leg as it is and carry the music on hold in
 * it (personality hold-local). Each passes; an SBC that keeps the leg and lets no music through
 * (hold-local with the one-way-audio fault) fails the hold, named so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Call } from '../../harness/actors/index.ts';
import { Lab } from '../../harness/actors/lab.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { HOLD_RELAY_MS } from '../../harness/runner/hold-relay.ts';
import type { LoadCallRecord } from '../../harness/runner/load-figures.ts';
import { runLoad } from '../../harness/runner/load-run.ts';
import { musicOnHoldHeard } from '../../harness/runner/load-shape-hold.ts';
import { reflectedG723Leg } from '../support/reflected-media-leg.ts';

const TIMERS = { t1: 100, t2: 800, t4: 1000 };
const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

/** Failures that are not timing of this shared host (as in load-mix.test.ts). */
const notDelay = (c: LoadCallRecord) =>
  c.failures.filter((f) => !/is delayed .* one-way|^([\w][\w ,-]*: )?Only \d+ of the \d+ packets/.test(f));

async function holdRun(
  personalities: string[],
  faults: string[] = [],
  relayAfterAnswerMs?: number,
  providerCodecs?: Array<'G723'>,
) {
  const profile = loadProfile();
  if (providerCodecs) profile.provider.codecs = providerCodecs;
  const lab = await Lab.start({
    profile,
    ephemeralPorts: true,
    timers: TIMERS,
    personalities,
    faults,
  });
  labs.push(lab);
  if (relayAfterAnswerMs !== undefined) lab.sbc!.relayAfterAnswerMs = relayAfterAnswerMs;
  return runLoad({ lab, calls: 2, steps: [2], holdS: 2, direction: 'both', mix: { hold: 1 } });
}

describe('load hold shape: every legal way of an SBC to carry a hold', () => {
  for (const personalities of [[], ['offerless-reinvite'], ['hold-local']]) {
    const name = personalities[0] ?? 'default (re-INVITE with a=sendonly)';
    it(`${name}: every hold call passes`, { timeout: 90_000 }, async () => {
      const r = await holdRun(personalities);
      expect(r.calls).toHaveLength(2);
      for (const c of r.calls) {
        expect(c.shape).toBe('hold');
        expect(notDelay(c), `call ${c.index}`).toEqual([]);
        expect(c.released).toBe(true);
      }
    });
  }

  // The plan's 8-4-1 gives the SBC 5 s to carry the hold and the resume to the PSTN leg
  // (HOLD_RELAY_MS); the load asks no more. An SBC that answers the OXO at once and re-INVITEs
  // the provider 3 s later (Asterisk's chan_pjsip answers first too) passes both; with the load's
  // former 2 s the resume read "still sees a=sendonly".
  it('answer-then-relay, the provider leg re-INVITEd 3 s after the OXO was answered: every hold call passes', {
    timeout: 90_000,
  }, async () => {
    const r = await holdRun(['answer-then-relay'], [], 3000);
    expect(r.calls).toHaveLength(2);
    for (const c of r.calls) {
      expect(c.shape).toBe('hold');
      expect(notDelay(c), `call ${c.index}`).toEqual([]);
      expect(c.released).toBe(true);
    }
  });

  it('hold-local with no media toward the PSTN leg: the hold fails, no music heard', {
    timeout: 90_000,
  }, async () => {
    const r = await holdRun(['hold-local'], ['one-way-audio']);
    for (const c of r.calls)
      expect(c.failures.join(' | ')).toMatch(
        /hold: load-\d \(\+\d+\)'s leg saw a=sendrecv instead of a=sendonly or a=inactive within 5 s, and heard no music on hold \(0 % of 20 ms frames with sound\)/,
      );
  });

  // With G.723.1 on both legs no sound can be decoded: the music on hold (which the extension
  // sends as the committed G.723.1 fixture) is judged by the fixture's frames arriving byte for
  // byte. Before, hold-local failed every such call "heard no music on hold (0 % …)".
  it('hold-local with G.723.1 passed through: the hold passes on the fixture arriving; with no media toward the PSTN leg it fails', {
    timeout: 90_000,
  }, async () => {
    const r = await holdRun(['hold-local'], [], undefined, ['G723']);
    for (const c of r.calls) {
      expect(c.audio.every((a) => a.codec === 'G723')).toBe(true);
      expect(notDelay(c), `call ${c.index}`).toEqual([]);
    }
    const bad = await holdRun(['hold-local'], ['one-way-audio'], undefined, ['G723']);
    for (const c of bad.calls)
      expect(c.failures.join(' | ')).toMatch(
        /hold: load-\d \(\+\d+\)'s leg saw a=sendrecv .* heard no music on hold \(G\.723\.1 passed through: 0 ms of audio arrived in 5000 ms/,
      );
  });

  // Both ends send the same G.723.1 fixture, so a PSTN leg that got its own RTP back had
  // "byte-identical" frames and passed. Its own SSRC on what it received tells it now.
  it("music on hold in G.723.1: the extension's frames pass; the PSTN leg's own RTP sent back to it does not", {
    timeout: 30_000,
  }, async () => {
    const prefs = { codecs: ['G723' as const], telephoneEvent: false };
    const open = (continuous = true) => MediaLeg.open({ localAddress: '127.0.0.1', prefs, continuous });
    const heardOn = async (pstn: MediaLeg) => {
      await new Promise((r) => setTimeout(r, 300));
      pstn.clearReceived();
      const before = pstn.audioReceivedMs();
      await new Promise((r) => setTimeout(r, HOLD_RELAY_MS));
      return musicOnHoldHeard({ media: pstn } as unknown as Call, before, 'G723');
    };
    // The extension answers the PSTN leg's offer: each sends to the other.
    const pstn = await open();
    const desk = await open();
    const answer = desk.acceptOffer(pstn.createOffer());
    if (!answer.ok) throw new Error(answer.reason);
    expect(pstn.acceptAnswer(answer.answer).ok).toBe(true);
    const good = await heardOn(pstn);
    expect(good.heard, good.what).toBe(true);
    expect(good.what).toMatch(/G\.723\.1 passed through: .* byte-identical/);
    // The PSTN leg's answer points at its own port: all it hears is itself.
    const { self, answering } = await reflectedG723Leg();
    const bad = await heardOn(self);
    expect(bad.heard, bad.what).toBe(false);
    expect(bad.what).toMatch(/byte-identical.*packet\(s\) were its own RTP sent back to it \(its own SSRC\)/);
    for (const m of [pstn, desk, self, answering]) await m.close();
  });
});
