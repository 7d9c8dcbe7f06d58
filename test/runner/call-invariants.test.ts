/**
 * The call invariants (harness/runner/call-invariants.ts) on real calls through the embedded
 * SBC: a clean call with a hold keeps all three; a media cut, a BYE the SBC does not relay and
 * a call left up are each named; a quiet window the case declares is not counted; a call longer
 * than the legs' packet logs hold is judged to the hang-up, and one longer than their arrival
 * logs hold is judged as far as they go and never reads as OK.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Call, Lab, type LabOptions } from '../../harness/actors/index.ts';
import type { MediaLeg } from '../../harness/actors/media-leg.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import {
  CALL_RELEASE_BOUND_MS,
  CallWatch,
  Checks,
  callRegistries,
  ownSendFailureComment,
  pairCalls,
} from '../../harness/runner/index.ts';
import { systemClock } from '../../harness/support/clock.ts';
import { closeRtpSocketUnder } from '../support/own-media-failure.ts';

const TIMERS = { t1: 100, t2: 800, t4: 1000 };
const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rig(
  faults: string[] = [],
  refer = false,
  more: Partial<LabOptions> = {},
  tweak?: (p: ReturnType<typeof loadProfile>) => void,
) {
  const profile = loadProfile();
  if (refer) profile.oxo.transferMode = 'refer';
  tweak?.(profile);
  const lab = await Lab.start({ profile, ephemeralPorts: true, timers: TIMERS, faults, ...more });
  labs.push(lab);
  const watch = new CallWatch(callRegistries(lab), lab.sbc);
  const desk = lab.oxo!.extension('deskphone1');
  const incoming = desk.nextIncoming();
  const pstn = await lab.provider!.phone('pstn1').call(desk.did);
  expect(await pstn.established()).toBe(true);
  const leg: Call = await incoming;
  expect(await leg.established()).toBe(true);
  return { lab, watch, pstn, desk: leg, ext: desk };
}

function judged(watch: CallWatch) {
  const checks = new Checks(systemClock);
  watch.judge(checks);
  const by = (prefix: string) => checks.records.find((r) => r.name.startsWith(prefix));
  return {
    media: by('RTP flows both ways'),
    release: by('both legs'),
    leftover: by('no call left'),
    comment: checks.failed.map((f) => f.failure).join('; '),
    incomplete: checks.incompleteReasons,
  };
}

/** The OXO leg hangs up; once both calls are over, the invariants are judged. */
async function hangUpAndJudge(watch: CallWatch, pstn: Call, desk: Call) {
  await desk.hangup();
  await pstn.ended();
  await watch.settle();
  return judged(watch);
}

/** A call whose PSTN phone's RTP is broken by `breakIt` 1.2 s in; judged `ms` later. */
async function pstnRtpBroken(breakIt: (pstn: Call) => void, ms: number) {
  const { watch, pstn, desk } = await rig();
  await sleep(1200);
  breakIt(pstn);
  await sleep(ms);
  return { watch, r: await hangUpAndJudge(watch, pstn, desk) };
}

describe('call invariants', () => {
  // The SBC sends the call to the registered Contact, whose user is the trunk's: all digits
  // here, as many OXO trunks are. Before, the legs were paired by those digits, not by the To
  // (the DID), so they went unpaired, and a BYE the SBC kept would have passed unseen.
  it('a numeric trunk user (the Request-URI all digits, the DID in To): the legs pair, and a BYE the SBC keeps is named', {
    timeout: 20_000,
  }, async () => {
    const { watch, pstn, desk } = await rig(['no-bye-relay'], false, {}, (p) => {
      p.oxo.trunk.user = '4930555000';
    });
    expect(desk.requestUser).toBe('4930555000');
    expect(pairCalls(watch.calls()).length).toBe(1);
    await sleep(500);
    await desk.hangup();
    await watch.settle();
    const r = judged(watch);
    expect(r.release?.failure).toMatch(
      /After the BYE of the OXO leg \(deskphone1\), the provider leg \(pstn1\) stayed established/,
    );
    await watch.cleanUp();
    expect(pstn.state).toBe('ended');
  });

  it('a call with hold and resume keeps all three; the hold is a window without media', async () => {
    const { watch, pstn, desk, ext } = await rig();
    expect(pairCalls(watch.calls()).length).toBe(1);
    await sleep(1200);
    expect(await ext.hold(desk)).toBe(200);
    await sleep(1200);
    expect(await ext.resume(desk)).toBe(200);
    await sleep(1000);
    const r = await hangUpAndJudge(watch, pstn, desk);
    expect(r.comment).toBe('');
    expect(r.media?.ok).toBe(true);
    expect(r.media?.evidence?.some((e) => /hold: SDP direction/.test(e))).toBe(true);
    expect(r.release?.ok).toBe(true);
    expect(r.release?.observed).toMatch(/released \d+ ms after the BYE of the OXO leg/);
    expect(r.leftover?.ok).toBe(true);
  });

  it('media cut by the SBC a second after the answer: NOK naming the direction and the moment', async () => {
    const { watch, pstn, desk } = await rig(['stop-rtp-after=1']);
    await sleep(3000);
    const r = await hangUpAndJudge(watch, pstn, desk);
    expect(r.media?.ok).toBe(false);
    expect(r.media?.failure).toMatch(
      /RTP from the OXO side stopped reaching the provider leg \(pstn1\) 1\.\d s after the answer/,
    );
    expect(r.media?.failure).toMatch(
      /RTP from the provider side stopped reaching the OXO leg \(deskphone1\)/,
    );
    expect(r.release?.ok).toBe(true);
  });

  it('media our own socket could not send is named as ours, and the cell is an ERROR, not a NOK', async () => {
    // The PSTN phone's RTP socket closes under it, as a host failure would: none of its RTP leaves.
    const { watch, r } = await pstnRtpBroken(closeRtpSocketUnder, 2000);
    // The invariant itself sees what the OXO leg saw: no RTP from the provider side.
    expect(r.media?.ok).toBe(false);
    expect(r.media?.failure).toMatch(
      /RTP from the provider side stopped reaching the OXO leg \(deskphone1\)/,
    );
    const own = watch.ownSendFailures();
    expect(own).toHaveLength(1);
    expect(own[0]).toMatch(
      /^the provider leg \(pstn1\): \d+ RTP packets not sent \(ERR_SOCKET_DGRAM_NOT_RUNNING\)$/,
    );
    const comment = ownSendFailureComment(own, [{ name: 'RTP flows both ways', failure: r.media!.failure! }]);
    expect(comment).toMatch(/^Harness error: our own media could not be sent \(the provider leg \(pstn1\)/);
    expect(comment).toMatch(/not held against the SBC: .*RTP from the provider side stopped reaching/);
  });

  it('RTP that could not go where the SDP said is a failed check naming the address, not a failure of ours', async () => {
    // As if the SBC's SDP gave a broadcast address: the kernel refuses it (EACCES), nothing leaves.
    const { watch, r } = await pstnRtpBroken(
      (pstn) => (pstn.media as MediaLeg).session!.setRemote('255.255.255.255', 40000),
      1000,
    );
    expect(watch.ownSendFailures()).toEqual([]);
    expect(r.comment).toMatch(
      /Our RTP could not be sent to the media address in the SDP we received \(the provider leg \(pstn1\): \d+ datagrams?, EACCES sending to 255\.255\.255\.255:4000[01]\)/,
    );
  });

  it('a clean call has no media of ours left unsent', async () => {
    const { watch, pstn, desk } = await rig();
    await sleep(1000);
    await desk.hangup();
    await pstn.ended();
    await watch.settle();
    expect(watch.ownSendFailures()).toEqual([]);
  });

  it('a call at 10 ms packets is judged to the hang-up past the bound of the packet log (ptime-10)', {
    timeout: 20_000,
  }, async () => {
    // Each leg's packet log keeps 300 datagrams, sent and received together: full after about
    // 1.5 s at 10 ms packets each way, as the default 50 000 is after about 250 s (a 5-minute
    // call of 8-3-1 turned NOK "RTP stopped" there: a false gap from the log's end to the hang-up).
    const { watch, pstn, desk } = await rig([], false, {
      personalities: ['ptime-10'],
      legLimits: { maxEvidence: 300 },
    });
    expect((pstn.media as MediaLeg).negotiated?.ptimeMs).toBe(10);
    await sleep(3500);
    const r = await hangUpAndJudge(watch, pstn, desk);
    for (const c of [pstn, desk]) expect((c.media as MediaLeg).details().evidenceDropped).toBeGreaterThan(0);
    expect(r.comment).toBe('');
    expect(r.media?.ok).toBe(true);
    expect(r.incomplete).toEqual([]);
    // Every packet of the call counted (~3 s at 100 a second), not the ~150 the log kept.
    const counts = [...(r.media?.observed ?? '').matchAll(/(\d+) packets over/g)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(2);
    for (const n of counts) expect(n).toBeGreaterThan(250);
  });

  it('arrivals past the bound of the arrival log: the rest of the call is not judged, and not OK', {
    timeout: 20_000,
  }, async () => {
    // 100 arrivals: 2 s at 20 ms packets; the call lasts about 3.5 s.
    const { watch, pstn, desk } = await rig([], false, { legLimits: { maxArrivals: 100 } });
    await sleep(3500);
    const r = await hangUpAndJudge(watch, pstn, desk);
    expect((pstn.media as MediaLeg).details().arrivalsDropped).toBeGreaterThan(0);
    expect(r.comment).toBe('');
    expect(r.media?.judged).toBe(false);
    expect(r.media?.observed).toMatch(
      /the provider leg \(pstn1\): .*not judged from \+[12]\.\d s after the answer \(\d+ RTP arrival\(s\) not kept: the leg's arrival log was full\)/,
    );
    expect(r.incomplete).toHaveLength(1);
    expect(r.incomplete[0]).toMatch(
      /^the media of the call was not judged to the hang-up \(the provider leg/,
    );
  });

  it('with a bound on the arrival log, a media cut before the bound is reached is still a failure', {
    timeout: 20_000,
  }, async () => {
    const { watch, pstn, desk } = await rig(['stop-rtp-after=1'], false, { legLimits: { maxArrivals: 100 } });
    await sleep(3500);
    const r = await hangUpAndJudge(watch, pstn, desk);
    expect(r.media?.ok).toBe(false);
    expect(r.media?.judged).not.toBe(false);
    expect(r.media?.failure).toMatch(
      /RTP from the OXO side stopped reaching the provider leg \(pstn1\) 1\.\d s after the answer/,
    );
  });

  it('a quiet window the case declares is not counted as a media gap', async () => {
    const { watch, pstn, desk } = await rig(['stop-rtp-after=1']);
    const endA = watch.expectSilence(pstn, 'test: the SBC is told to stop media');
    const endB = watch.expectSilence(desk, 'test: the SBC is told to stop media');
    await sleep(2500);
    endA();
    endB();
    const r = await hangUpAndJudge(watch, pstn, desk);
    expect(r.media?.ok).toBe(true);
    expect(r.media?.evidence?.some((e) => /quiet window declared by the case/.test(e))).toBe(true);
  });

  it('a BYE the SBC does not relay: the provider leg is named as left up, on our side and on the SBC', {
    timeout: 20_000,
  }, async () => {
    const { watch, pstn, desk } = await rig(['no-bye-relay']);
    await sleep(500);
    await desk.hangup();
    await watch.settle();
    const r = judged(watch);
    expect(r.release?.ok).toBe(false);
    expect(r.release?.failure).toMatch(
      /After the BYE of the OXO leg \(deskphone1\), the provider leg \(pstn1\) stayed established/,
    );
    expect(r.leftover?.ok).toBe(false);
    expect(r.leftover?.failure).toMatch(/provider leg \(pstn1\) was still established/);
    expect(r.leftover?.failure).toMatch(/the SBC still held call/);
    await watch.cleanUp();
    expect(pstn.state).toBe('ended');
  });

  it('the case hanging up the far leg late is judged against the bound', { timeout: 20_000 }, async () => {
    const { watch, pstn, desk } = await rig(['no-bye-relay']);
    await desk.hangup();
    await sleep(5600);
    await pstn.hangup();
    await watch.settle();
    const r = judged(watch);
    expect(r.release?.failure).toMatch(/stayed up 5\.\d s .*ended by the case’s own hang-up/);
    expect(r.leftover?.ok).toBe(false); // the SBC never released its call
  });

  it('a leg moved by a REFER transfer is not held to its old partner’s release', {
    timeout: 20_000,
  }, async () => {
    const { lab, watch, pstn, desk } = await rig([], true);
    const extnum = lab.provider!.phone('extnum');
    const ringing = extnum.nextIncoming();
    const rec = await lab.oxo!.transfer('unattended', desk, { target: extnum.number });
    expect(rec.ok).toBe(true);
    const target = await ringing;
    expect(await target.established()).toBe(true);
    await desk.ended();
    await sleep(CALL_RELEASE_BOUND_MS + 600);
    await pstn.hangup();
    await target.ended();
    await watch.settle();
    const r = judged(watch);
    expect(r.comment).toBe('');
    expect(r.release?.observed).toMatch(/released separately after a REFER transfer/);
    expect(r.media?.observed).toMatch(/the provider leg \(pstn1\): \d+ packets over [5-9]\.\d s expected/);
  });

  it('a call cancelled while ringing: the OXO leg is released by the relayed CANCEL', async () => {
    const lab = await Lab.start({ profile: loadProfile(), ephemeralPorts: true, timers: TIMERS });
    labs.push(lab);
    const watch = new CallWatch(callRegistries(lab), lab.sbc);
    const ext = lab.oxo!.extension('deskphone1');
    ext.answerMode = 'manual';
    const incoming = ext.nextIncoming();
    const pstn = await lab.provider!.phone('pstn1').call(ext.did);
    const leg = await incoming;
    await pstn.hangup();
    await leg.ended();
    await watch.settle();
    const r = judged(watch);
    expect(leg.status).toBe(487);
    expect(r.comment).toBe('');
    expect(r.release?.observed).toMatch(
      /the OXO leg \(deskphone1\) released \d+ ms after the CANCEL of the provider leg \(pstn1\), by the SBC/,
    );
    expect(r.media).toBeUndefined();
    expect(r.leftover?.ok).toBe(true);
  });
});
