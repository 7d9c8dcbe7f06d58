/**
 * What broke in a load run and which fault switch it names (harness/runner/load-breakage.ts):
 * hand-made records for the classification, then one short run through the embedded SBC per
 * kind: degraded audio (one-way-audio), legs left up (no-bye-relay), lost calls (flood-lockout,
 * locked by an INVITE flood just before the load, and session-limit=2 under a ramp past it), and
 * the first two on the consultation transfer shapes. Nothing asserts a duration.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeLoadResult } from '../../harness/cli/load-output.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { audioShortfall } from '../../harness/runner/load-audio-time.ts';
import { loadBreakage, loadFaultFindings } from '../../harness/runner/load-breakage.ts';
import { DEFAULT_LOAD_THRESHOLDS, type LoadCallRecord } from '../../harness/runner/load-figures.ts';
import { runLoad } from '../../harness/runner/load-run.ts';
import { loadMarkdown } from '../../reports/load-markdown.ts';
import { inviteFlood } from '../../scenarios/security-tools.ts';
import { loadLabs } from '../support/load-lab.ts';

const lab = loadLabs();

function rec(index: number, over: Partial<LoadCallRecord> = {}): LoadCallRecord {
  const dir = (from: string, to: string) => ({
    from,
    to,
    codec: 'G722',
    heard: true,
    toneLevel: -20,
    lossPercent: 0,
    jitterMs: 1,
    mos: 4.41,
    delayMs: 3,
  });
  return {
    index,
    step: 0,
    direction: 'in',
    shape: 'basic',
    caller: 'a',
    callee: 'b',
    callIds: { caller: `c${index}`, callee: `d${index}` },
    startMs: index,
    status: 200,
    setupMs: 50,
    established: true,
    audio: [dir('a', 'b'), dir('b', 'a')],
    released: true,
    failures: [],
    ...over,
  };
}

describe('load breakage: what broke, by kind', () => {
  it('classifies lost calls, degraded audio and legs left up from the records', () => {
    const good = rec(0);
    const lost = rec(1, {
      status: 503,
      established: false,
      audio: [],
      failures: ['call not established: final response 503'],
    });
    const silent = rec(2, { failures: ['No audio from b to a'] });
    (silent.audio[1] as { heard: boolean }).heard = false;
    const lowMos = rec(3);
    (lowMos.audio[0] as { mos: number }).mos = 3.2;
    const up = rec(4, {
      released: false,
      failures: ["b's leg still up 5 s after the caller's BYE (leg not released)"],
    });
    const b = loadBreakage([good, lost, silent, lowMos, up], DEFAULT_LOAD_THRESHOLDS, 1);
    expect(b.map((x) => x.kind)).toEqual(['lost-calls', 'degraded-audio', 'legs-left-up']);
    expect(b[0]).toMatchObject({ calls: 1, examples: [1] });
    expect(b[0]?.figure).toMatch(/503 ×1/);
    expect(b[1]).toMatchObject({ calls: 2, examples: [2, 3] });
    expect(b[1]?.figure).toMatch(/1 direction\(s\) silent, 1 below MOS 4, MOS min 3\.20/);
    expect(b[2]).toMatchObject({ calls: 1, examples: [4] });
    expect(b[2]?.figure).toMatch(/still held 1 call/);
    // A clean run: nothing broke.
    expect(loadBreakage([good, rec(5)], DEFAULT_LOAD_THRESHOLDS, 0)).toEqual([]);
  });

  it('names each fault switch that was on: caught, not caught, or not exercised by the calls that ran', () => {
    // An audio check that failed on the delay alone (MOS still above the threshold) is degraded audio.
    const records = [
      rec(0, { failures: ['Audio from a to b is delayed 900 ms one-way, more than the 170 ms allowed'] }),
    ];
    const degraded = loadBreakage(records, DEFAULT_LOAD_THRESHOLDS);
    expect(degraded.map((x) => x.kind)).toEqual(['degraded-audio']);
    const f = loadFaultFindings(
      ['stop-rtp-after=2', 'no-bye-relay', 'drop-info', 'bogus', 'te-wrong-pt'],
      degraded,
      records,
      5,
    );
    expect(f[0]).toMatchObject({ fault: 'stop-rtp-after=2', expects: ['degraded-audio'], caught: true });
    expect(f[1]).toMatchObject({ fault: 'no-bye-relay', expects: ['legs-left-up'], seen: [], caught: false });
    // drop-info breaks the SIP INFO DTMF step, and no such call ran: not exercised, not "not caught".
    expect(f[2]).toMatchObject({ fault: 'drop-info', expects: [], shapes: ['dtmf-info'], caught: false });
    expect(f[2]?.summary).toMatch(/INFO/);
    expect(f[3]?.summary).toBe('not a fault switch of the embedded SBC');
    // te-wrong-pt breaks the RFC 4733 DTMF step, and no such call ran.
    expect(f[4]).toMatchObject({
      fault: 'te-wrong-pt',
      expects: [],
      shapes: ['dtmf-rfc4733', 'dtmf-inband', 'dtmf-info'],
      caught: false,
    });
  });

  it('a switch the calls could not trigger is not exercised, never "not caught"; one they could is', () => {
    const records = [rec(0), rec(1)];
    const none = loadBreakage(records, DEFAULT_LOAD_THRESHOLDS);
    const names = [
      'stop-rtp-after=10',
      'stop-rtp-after=2',
      'stop-rtp-after=4',
      'delay-media=100',
      'delay-media=600',
      'no-ack-cleanup',
      'malformed-stall',
      'flood-lockout',
    ];
    const f = loadFaultFindings(names, none, records, 5);
    // RTP stopped 10 s after the answer of calls held 5 s; a delay inside the audio check's bound.
    expect(f[0]).toMatchObject({ fault: 'stop-rtp-after=10', expects: [], caught: false });
    expect(f[1]).toMatchObject({ fault: 'stop-rtp-after=2', expects: ['degraded-audio'], caught: false });
    // Stopped 4 s after the answer of a 5 s hold: more than half the tone arrived, but the
    // silence to the hang-up (a second at least) fails the invariant of every call.
    expect(f[2]).toMatchObject({ fault: 'stop-rtp-after=4', expects: ['degraded-audio'] });
    const late = loadFaultFindings(['stop-rtp-after=4.6'], none, records, 5);
    expect(late[0]).toMatchObject({ expects: [] });
    expect(late[0]?.notExercised).toMatch(
      /less than 500 ms before the earliest hang-up \(5\.00 s after the answer\)/,
    );
    // G.722 received: the audio check's bound is 150 + 20 ms.
    expect(f[3]).toMatchObject({ fault: 'delay-media=100', expects: [] });
    expect(f[4]).toMatchObject({ fault: 'delay-media=600', expects: ['degraded-audio'] });
    // The load's calls are always ACKed, and it sends no garbage.
    expect(f[5]).toMatchObject({ fault: 'no-ack-cleanup', expects: [] });
    expect(f[6]).toMatchObject({ fault: 'malformed-stall', expects: [] });
    // Two calls are not 100 new INVITEs within 2 s; 110 calls started within 1.1 s are.
    expect(f[7]).toMatchObject({ fault: 'flood-lockout', expects: [] });
    // A wrong SRTP key breaks nothing where the provider's legs run plain RTP; with SRTP it does.
    expect(loadFaultFindings(['srtp-wrong-key'], none, records, 5)[0]).toMatchObject({
      expects: [],
      notExercised: expect.stringMatching(/plain RTP \(the profile's provider\.srtp is false\)/),
    });
    expect(loadFaultFindings(['srtp-wrong-key'], none, records, 5, true)[0]).toMatchObject({
      expects: ['degraded-audio'],
      caught: false,
    });
    const burst = Array.from({ length: 110 }, (_, i) => rec(i, { startMs: i * 10 }));
    const g = loadFaultFindings(['flood-lockout'], loadBreakage(burst, DEFAULT_LOAD_THRESHOLDS), burst, 5);
    expect(g[0]).toMatchObject({ expects: ['lost-calls'], caught: false });
    // Merged from two agents, 55 each: each agent's SBC saw 55.
    const split = burst.map((r, i) => ({ ...r, agent: i % 2 }));
    const m = loadFaultFindings(['flood-lockout'], loadBreakage(split, DEFAULT_LOAD_THRESHOLDS), split, 5);
    expect(m[0]).toMatchObject({ expects: [] });
    // A long run: 150 000 directions judged without a spread of them all (a RangeError before).
    const many = Array.from({ length: 75_000 }, (_, i) =>
      rec(i, {
        audio: [
          rec(i).audio[0] as LoadCallRecord['audio'][number],
          { ...(rec(i).audio[1] as LoadCallRecord['audio'][number]), heard: false, mos: 1 },
        ],
      }),
    );
    const manyBroken = loadBreakage(many, DEFAULT_LOAD_THRESHOLDS);
    expect(manyBroken.find((x) => x.kind === 'degraded-audio')?.figure).toMatch(
      /^75000 of 75000 calls; 75000 direction\(s\) silent.*MOS min 1\.00, one-way delay max 3 ms$/,
    );
    expect(loadFaultFindings(['delay-media=600'], manyBroken, many, 5)[0]).toMatchObject({ caught: true });
    // session-limit=N: exercised when more than N calls were in flight at once on one agent.
    // Calls 0 and 1 overlap; call 2 starts when call 0 ends (not counted with it); call 3 has
    // no end (up to the end of the run).
    const overlap = [
      rec(0, { startMs: 0, endMs: 1000 }),
      rec(1, { startMs: 500, endMs: 1500 }),
      rec(2, { startMs: 1000, endMs: 1200 }),
      rec(3, { startMs: 3000 }),
    ];
    const noneSeen = loadBreakage(overlap, DEFAULT_LOAD_THRESHOLDS);
    const sl = loadFaultFindings(['session-limit=1', 'session-limit=2'], noneSeen, overlap, 5);
    expect(sl[0]).toMatchObject({ fault: 'session-limit=1', expects: ['lost-calls'], caught: false });
    expect(sl[1]).toMatchObject({ fault: 'session-limit=2', expects: [] });
    // The same calls on two agents: one at a time on each SBC.
    const twoAgents = overlap.map((r, i) => ({ ...r, agent: i % 2 }));
    expect(loadFaultFindings(['session-limit=1'], noneSeen, twoAgents, 5)[0]).toMatchObject({ expects: [] });
    // The reason is told (in the report and on the console too: the lab test of session-limit).
    expect(sl[1]?.notExercised).toBe('at most 2 call(s) in flight at once on one agent, not above 2');
    expect(f[7]?.notExercised).toBe('at most 2 calls started within 2 s on one agent, not above 100');
    // Its sign is a 503: calls lost otherwise (a 404 here) do not catch it.
    const lost404 = overlap.map((r) => ({ ...r, established: false, status: 404, audio: [] }));
    const by404 = loadFaultFindings(
      ['session-limit=1'],
      loadBreakage(lost404, DEFAULT_LOAD_THRESHOLDS),
      lost404,
      5,
    );
    expect(by404[0]).toMatchObject({ expects: ['lost-calls'], seen: [], caught: false });
    // A consultation refused 503 (the SBC holds the transfer's first call too) catches it as
    // the step of the consultation transfers, though the load's own calls never exceeded N.
    const consult = [
      rec(0, {
        shape: 'transfer-semi',
        startMs: 0,
        endMs: 100,
        failures: ["ext 201's consultation call never reached pstn 3 (call ended, status 503)"],
      }),
    ];
    const byConsult = loadFaultFindings(
      ['session-limit=1'],
      loadBreakage(consult, DEFAULT_LOAD_THRESHOLDS),
      consult,
      5,
    );
    expect(byConsult[0]).toMatchObject({ expects: ['step-failed'], seen: ['step-failed'], caught: true });
    // Our stack's own 503 (a transport error, no response) is not the SBC refusing it.
    const ownConsult = consult.map((r) => ({
      ...r,
      failures: [
        "ext 201's consultation call never reached pstn 3 (call ended, status 503, our stack’s own: no response arrived)",
      ],
    }));
    expect(
      loadFaultFindings(
        ['session-limit=1'],
        loadBreakage(ownConsult, DEFAULT_LOAD_THRESHOLDS),
        ownConsult,
        5,
      )[0],
    ).toMatchObject({ seen: [], caught: false });
    // Lost calls seen: caught, whoever triggered it (another source's flood or garbage), when a
    // 503 arrived (it has a failed SRD).
    const lost = [
      rec(0, {
        established: false,
        status: 503,
        failedRequestDelayMs: 4,
        audio: [],
        failures: ['call not established: final response 503'],
      }),
    ];
    const h = loadFaultFindings(['malformed-stall'], loadBreakage(lost, DEFAULT_LOAD_THRESHOLDS), lost, 5);
    expect(h[0]).toMatchObject({ expects: ['lost-calls'], seen: ['lost-calls'], caught: true });
    // The stack's own 503 for a transport error (no response arrived: no failed SRD) is no sign.
    const own503 = lost.map((r) => ({ ...r, failedRequestDelayMs: undefined }));
    const o = loadFaultFindings(
      ['malformed-stall'],
      loadBreakage(own503, DEFAULT_LOAD_THRESHOLDS),
      own503,
      5,
    );
    expect(o[0]).toMatchObject({ seen: [], caught: false });
  });

  it('a failed step of a shape is its own kind, and a fault is caught only by its own sign on one of its shapes', () => {
    const hold488 = rec(0, {
      shape: 'hold',
      failures: [
        'hold: the re-INVITE (a=sendonly) from Premium Deskphone 1 was answered 488; load-1 (+4940556000001) was not put on hold',
      ],
    });
    // A hold refused with another status: a step failure, but not reject-reinvite's sign.
    const hold500 = rec(1, {
      shape: 'hold',
      failures: [
        'hold: the re-INVITE (a=sendonly) from Premium Deskphone 1 was answered 500; load-2 was not put on hold',
      ],
    });
    // Audio and release failures of a shaped call are not step failures.
    const holdAudio = rec(2, {
      shape: 'hold',
      released: false,
      failures: [
        'after the resume: No audio from a to b',
        "b's leg still up 5 s after the caller's BYE (leg not released)",
      ],
    });
    const dtmfTwice = rec(3, {
      shape: 'dtmf-rfc4733',
      failures: [
        'DTMF RFC 4733 from a to b: digits 159# sent, 115599## received (received 4 as RFC 4733, 4 as inband)',
      ],
    });
    const lostHold = rec(4, {
      shape: 'hold',
      established: false,
      status: 503,
      audio: [],
      failures: ['call not established: final response 503'],
    });
    const records = [hold488, hold500, holdAudio, dtmfTwice, lostHold, rec(5)];
    const b = loadBreakage(records, DEFAULT_LOAD_THRESHOLDS);
    const step = b.find((x) => x.kind === 'step-failed');
    expect(step).toMatchObject({ calls: 3, examples: [0, 1, 3] });
    expect(step?.figure).toMatch(
      /^3 of 6 calls; by shape: hold ×2, dtmf-rfc4733 ×1; first: hold: the re-INVITE/,
    );
    const f = loadFaultFindings(
      ['reject-reinvite', 'double-dtmf', 'refer-405', 'strip-telephone-event'],
      b,
      records,
      5,
    );
    expect(f[0]).toMatchObject({ expects: ['step-failed'], seen: ['step-failed'], caught: true });
    expect(f[0]?.shapes).toEqual(['hold', 'transfer-semi', 'transfer-attended']);
    expect(f[1]).toMatchObject({ expects: ['step-failed'], seen: ['step-failed'], caught: true });
    // No transfer call ran: refer-405 is not exercised.
    expect(f[2]).toMatchObject({ expects: [], seen: [], caught: false });
    // An RFC 4733 call failed, but not for want of telephone-event: not caught.
    expect(f[3]).toMatchObject({ expects: ['step-failed'], seen: [], caught: false });
    // Without the 488 call, the 500 alone does not catch reject-reinvite.
    const rest = records.filter((r) => r !== hold488);
    const g = loadFaultFindings(['reject-reinvite'], loadBreakage(rest, DEFAULT_LOAD_THRESHOLDS), rest, 5);
    expect(g[0]).toMatchObject({ expects: ['step-failed'], seen: [], caught: false });
    // A consultation transfer refused by REFER catches refer-405 though it is not expected of it.
    const semi = rec(6, {
      shape: 'transfer-semi',
      failures: [
        'transfer-semi: the REFER from Premium Deskphone 1 to load-t-1 (+4940557000001) was answered 405',
      ],
    });
    const h = loadFaultFindings(['refer-405'], loadBreakage([semi], DEFAULT_LOAD_THRESHOLDS), [semi], 5);
    expect(h[0]).toMatchObject({ expects: ['step-failed'], seen: ['step-failed'], caught: true });
  });

  it('a broken SIP or RTP rule is its own kind, not degraded audio nor a failed step; a rule fault is caught only by its rule on a shape that exercises it', () => {
    const noSdp = rec(0, {
      shape: 'hold',
      failures: [
        'SIP rules: The SBC answered an SDP offer with a 2xx without SDP (RFC 3264 offer/answer: the answer must be in the first reliable non-failure response) on the OXO leg (SBC LAN side): the INVITE (in dialog) with CSeq 2 carried an SDP offer; its 200 has no SDP answer [RFC 3264 §4, RFC 3261 §13.2.1, rule answer-to-offer] (offending: SIP/2.0 200 OK)',
      ],
    });
    // Another rule on a hold call: a rule broken, but not no-sdp-in-reinvite-answer's.
    const cseq = rec(1, {
      shape: 'hold',
      failures: [
        'SIP rules: The SBC sent a request whose CSeq number goes back or is used again on the provider leg (SBC WAN side): BYE has CSeq 0 [RFC 3261 §12.2.1.1, rule cseq-order] (offending: BYE sip:provider@provider.invalid SIP/2.0)',
      ],
    });
    // An RTP rule whose words say "audio" is still not degraded audio.
    const te = rec(2, {
      shape: 'basic',
      failures: [
        'RTP rules: The SBC sent an audio packet with a payload type the leg did not negotiate on the OXO leg (SBC LAN side): PT 9 [RFC 3264 §6.1, §7, rule rtp-payload-type] (offending: …)',
      ],
    });
    const records = [noSdp, cseq, te, rec(3)];
    const b = loadBreakage(records, DEFAULT_LOAD_THRESHOLDS);
    expect(b.map((x) => x.kind)).toEqual(['rule-broken']);
    expect(b[0]).toMatchObject({ calls: 3, examples: [0, 1, 2] });
    expect(b[0]?.figure).toMatch(
      /^3 of 4 calls; by rule: answer-to-offer ×1, cseq-order ×1, rtp-payload-type ×1; first: SIP rules: The SBC answered/,
    );
    const f = loadFaultFindings(
      ['no-sdp-in-reinvite-answer', 'te-no-end-bit', 'bye-cseq-backwards'],
      b,
      records,
      5,
    );
    expect(f[0]).toMatchObject({ expects: ['rule-broken'], seen: ['rule-broken'], caught: true });
    expect(f[0]?.rules).toEqual(['answer-to-offer']);
    expect(f[0]?.ruleShapes).toEqual(['hold', 'transfer-semi', 'transfer-attended']);
    // No RFC 4733 call ran: not exercised.
    expect(f[1]).toMatchObject({ expects: [], seen: [], caught: false });
    // Any call exercises bye-cseq-backwards; its rule was seen (its legs left up were not).
    expect(f[2]).toMatchObject({
      expects: ['legs-left-up', 'rule-broken'],
      seen: ['rule-broken'],
      caught: true,
    });
    // Without the 200 without SDP, the hold calls' other rule does not catch the fault.
    const rest = records.filter((r) => r !== noSdp);
    const g = loadFaultFindings(
      ['no-sdp-in-reinvite-answer'],
      loadBreakage(rest, DEFAULT_LOAD_THRESHOLDS),
      rest,
      5,
    );
    expect(g[0]).toMatchObject({ expects: ['rule-broken'], seen: [], caught: false });
    // And without a hold call it is not exercised, the report says which shapes would.
    const basic = [rec(4)];
    const h = loadFaultFindings(
      ['no-sdp-in-reinvite-answer'],
      loadBreakage(basic, DEFAULT_LOAD_THRESHOLDS),
      basic,
      5,
    );
    expect(h[0]).toMatchObject({ expects: [], seen: [], caught: false });
  });
});

describe('audio time a direction needs (load-audio-time.ts)', () => {
  const dir = (
    sentPackets: number,
    arrived: { packets: number; ms: number } | undefined,
    from = 'a',
    to = 'b',
  ) => ({
    from,
    to,
    sentPackets,
    sentMs: sentPackets * 20,
    ...(arrived ? { arrivedMs: arrived.packets * arrived.ms } : {}),
  });
  it('a sender below 90 % of the tone time skipped slots', () => {
    // 4750 ms of tone: 214 packets of 20 ms (4280 ms) are above 90 %, 213 (4260 ms) below.
    expect(audioShortfall([dir(214, { packets: 214, ms: 20 })], 4750)).toEqual([]);
    const behind = audioShortfall(
      [dir(213, { packets: 213, ms: 20 }), dir(237, { packets: 237, ms: 20 }, 'b', 'a')],
      4750,
    );
    expect(behind).toEqual([
      expect.stringMatching(
        /^Only 4260 ms of the 4750 ms of audio \(213 packets\) were sent from a to b: the harness's sender fell behind/,
      ),
    ]);
  });

  for (const ms of [20, 40, 60]) {
    it(`all the audio arriving in ${ms} ms packets passes (a repacketizing SBC, RFC 3551 §4.2); a relay that stopped fails`, () => {
      // 237 packets of 20 ms sent; the SBC sends them on as 20, 40 or 60 ms packets.
      const packets = Math.floor(4740 / ms);
      expect(audioShortfall([dir(237, { packets, ms })], 4750)).toEqual([]);
      // The old packet-count check (received ≥ 50 % of the sender's 237 packets) would have failed 40 and 60 ms.
      if (ms > 20) expect(packets).toBeLessThan(0.5 * 237);
      // The SBC stopped relaying after about 1.2 s: a quarter of the audio arrived.
      const stopped = audioShortfall([dir(237, { packets: Math.floor(1200 / ms), ms })], 4750);
      expect(stopped).toEqual([
        expect.stringMatching(
          /^Only 1200 ms of the 4750 ms of audio from a had arrived at b when it was judged/,
        ),
      ]);
    });
  }

  it('just under half the tone time arrived fails, just over passes; an unknown arrival is not judged', () => {
    expect(audioShortfall([dir(237, { packets: 1, ms: 2374 })], 4750)).toHaveLength(1);
    expect(audioShortfall([dir(237, { packets: 1, ms: 2375 })], 4750)).toEqual([]);
    expect(audioShortfall([dir(237, undefined)], 4750)).toEqual([]);
  });
});

describe('load breakage through the embedded SBC: each kind caught and named', () => {
  it('degraded audio: one-way-audio', async () => {
    const r = await runLoad({
      lab: await lab(['one-way-audio']),
      calls: 2,
      steps: [2],
      holdS: 1,
      direction: 'in',
    });
    expect(r.breakage.find((b) => b.kind === 'degraded-audio')?.calls).toBe(2);
    expect(r.faultFindings).toEqual([
      expect.objectContaining({ fault: 'one-way-audio', seen: ['degraded-audio'], caught: true }),
    ]);
    const md = loadMarkdown(r);
    expect(md).toContain('### What broke and which fault');
    expect(md).toMatch(/\| `one-way-audio` \| .* \| degraded audio \| \*\*caught\*\*: degraded audio \|/);
    expect(md).toMatch(/\| degraded audio \| 2 \| 2 of 2 calls; 2 direction\(s\) silent/);
  });

  it('degraded audio: srtp-wrong-key with a provider that requires SRTP, each call naming the packets that failed authentication', async () => {
    const profile = loadProfile();
    profile.provider.srtp = true;
    profile.sbc.srtpTowardProvider = true;
    const l = await lab(['srtp-wrong-key'], profile);
    const r = await runLoad({ lab: l, calls: 2, steps: [2], holdS: 1, direction: 'both' });
    expect(r.breakage.find((b) => b.kind === 'degraded-audio')?.calls).toBe(2);
    for (const c of r.calls) {
      expect(c.established, `call ${c.index}`).toBe(true);
      expect(c.failures.join('; '), `call ${c.index}`).toMatch(
        /SRTP packets that failed the SRTP authentication check \(RFC 3711 §3\.3\) and were dropped \(load-\d+ \(\+\d+\): \d+\)/,
      );
    }
    expect(r.faultFindings).toEqual([
      expect.objectContaining({ fault: 'srtp-wrong-key', seen: ['degraded-audio'], caught: true }),
    ]);
  });

  it('degraded audio: stop-rtp-after, caught by the audio that did not arrive', async () => {
    const r = await runLoad({
      lab: await lab(['stop-rtp-after=1']),
      calls: 1,
      steps: [1],
      holdS: 3,
      direction: 'in',
    });
    const c = r.calls[0];
    expect(c?.established).toBe(true);
    // 2750 ms of tone; the SBC relays about 1 s of it.
    const short = c?.failures.filter((f) =>
      /^Only \d+ ms of the 2750 ms of audio from .* had arrived at .* when it was judged/.test(f),
    );
    expect(short).toHaveLength(2);
    // The record keeps the figures: each side sent its tone in full, less than half of it arrived.
    for (const a of c?.audio ?? []) {
      expect(a.packetsSent).toBeGreaterThanOrEqual(0.9 * 137);
      expect(a.audioSentMs).toBeGreaterThanOrEqual(0.9 * 2750);
      expect(a.audioArrivedMs).toBeLessThan(0.5 * 2750);
    }
    expect(r.breakage.find((b) => b.kind === 'degraded-audio')?.calls).toBe(1);
    expect(r.faultFindings).toEqual([
      expect.objectContaining({ fault: 'stop-rtp-after=1', seen: ['degraded-audio'], caught: true }),
    ]);
  });

  it('degraded audio: RTP that stops after the audio check saw enough of it, caught as media that stopped before the hang-up', async () => {
    // Stopped 2.5 s after the answer of calls held 4 s: more than half the 3750 ms of tone
    // arrived (the audio check alone passed these calls), then nothing until the hang-up.
    const r = await runLoad({
      lab: await lab(['stop-rtp-after=2.5']),
      calls: 2,
      steps: [2],
      holdS: 4,
      direction: 'both',
    });
    for (const c of r.calls) {
      expect(c.established).toBe(true);
      expect(c.failures.filter((f) => /^Only \d+ ms/.test(f))).toEqual([]);
      const stopped = c.failures.filter((f) => f.startsWith('audio both ways until the hang-up: '));
      expect(stopped).toHaveLength(1);
      expect(stopped[0]).toMatch(
        /RTP from the OXO side stopped reaching the provider leg \(load-\d+\) 2\.\d s after the answer, for \d\.\d s \(until the hang-up\)/,
      );
      expect(stopped[0]).toMatch(
        /RTP from the provider side stopped reaching the OXO leg \(deskphone\d\) 2\.\d s after the answer/,
      );
    }
    expect(r.breakage.find((b) => b.kind === 'degraded-audio')?.calls).toBe(2);
    expect(r.faultFindings).toEqual([
      expect.objectContaining({ fault: 'stop-rtp-after=2.5', seen: ['degraded-audio'], caught: true }),
    ]);
  });

  it('degraded audio: cross-media, another call’s audio toward the provider legs, caught by its tone; not exercised one call at a time', async () => {
    // Both calls up at once for their whole audio check: each provider leg hears the other
    // call's extension all along.
    const r = await runLoad({
      lab: await lab(['cross-media']),
      calls: 2,
      steps: [2],
      holdS: 3,
      ratePerS: 100,
      direction: 'in',
    });
    const tones = new Set<string>();
    for (const c of r.calls) {
      expect(c.established).toBe(true);
      // The provider leg gets RTP all along, so the media invariant is met: only the content
      // tells the other call's audio from its own (each check of a load has its own tones).
      expect(c.failures.filter((f) => /^audio both ways until the hang-up/.test(f))).toEqual([]);
      const crossed = c.failures.find((f) => f.startsWith('No audio from Premium Deskphone'));
      expect(crossed).toMatch(
        /^No audio from Premium Deskphone \d reached load-\d+ \(\+\d+\) \(its (\d+) Hz tone not heard: level \d+\), but other audio did \(-\d+ dBFS\): another call's audio/,
      );
      tones.add(/its (\d+) Hz/.exec(crossed ?? '')?.[1] ?? '');
      // The other direction is the call's own.
      expect(c.failures.join('\n')).not.toMatch(/reached Premium Deskphone/);
    }
    expect(tones.size).toBe(2);
    expect(r.faultFindings).toEqual([
      expect.objectContaining({ fault: 'cross-media', seen: ['degraded-audio'], caught: true }),
    ]);
    const alone = await runLoad({
      lab: await lab(['cross-media']),
      calls: 1,
      steps: [1],
      holdS: 1,
      direction: 'in',
    });
    expect(alone.calls[0]?.failures).toEqual([]);
    expect(alone.faultFindings[0]).toMatchObject({ expects: [], caught: false });
    expect(alone.faultFindings[0]?.notExercised).toMatch(/no other call to cross its audio into/);
  });

  it('a step of dtmf-rfc4733: te-wrong-pt, the digits lost and the packets of a payload type never negotiated named', async () => {
    const r = await runLoad({
      lab: await lab(['te-wrong-pt']),
      calls: 1,
      steps: [1],
      holdS: 1,
      direction: 'in',
      mix: { 'dtmf-rfc4733': 1 },
    });
    expect(r.calls[0]?.failures.join('\n')).toMatch(
      /^DTMF RFC 4733 from load-\d+ \(\+\d+\) to Premium Deskphone \d: digits 159# sent, none received; \d+ RTP packet\(s\) arrived meanwhile with a payload type Premium Deskphone \d's leg did not negotiate \(RFC 3264 §6\.1\)$/m,
    );
    expect(r.faultFindings).toEqual([
      expect.objectContaining({ fault: 'te-wrong-pt', seen: ['step-failed', 'rule-broken'], caught: true }),
    ]);
  });

  it('legs left up: no-bye-relay', async () => {
    const r = await runLoad({
      lab: await lab(['no-bye-relay']),
      calls: 2,
      steps: [2],
      holdS: 1,
      direction: 'out',
    });
    const up = r.breakage.find((b) => b.kind === 'legs-left-up');
    expect(up?.calls).toBe(2);
    expect(up?.examples.sort()).toEqual([0, 1]);
    expect(r.sbcCallsLeftUp).toBeGreaterThan(0);
    expect(r.faultFindings).toEqual([
      expect.objectContaining({ fault: 'no-bye-relay', seen: ['legs-left-up'], caught: true }),
    ]);
    expect(loadMarkdown(r)).toMatch(
      /\| `no-bye-relay` \| .* \| legs left up \| \*\*caught\*\*: legs left up \|/,
    );
  });

  it('legs left up: bye-500, each call failing on its BYE answered 500 as well', {
    timeout: 90_000,
  }, async () => {
    // Hold calls, so that a BYE failure read as a failed step of the shape would show.
    const r = await runLoad({
      lab: await lab(['bye-500']),
      calls: 2,
      steps: [2],
      holdS: 2,
      direction: 'both',
      mix: { hold: 1 },
    });
    for (const c of r.calls) {
      expect(c.established).toBe(true);
      expect(c.released).toBe(false);
      expect(c.failures).toContain("the caller's BYE was answered 500, not 2xx (RFC 3261 §15.1.2)");
      // RFC 6076 §4.4 measures a disconnect to its 2xx: a BYE answered 500 gives no SDD.
      expect(c.disconnectDelayMs).toBeUndefined();
    }
    expect(r.breakage.find((b) => b.kind === 'legs-left-up')?.calls).toBe(2);
    // A failed BYE is not a failed step of a shape.
    expect(r.breakage.find((b) => b.kind === 'step-failed')).toBeUndefined();
    expect(r.total.rfc6076.sessionDisconnectDelayMs).toBeUndefined();
    expect(r.sbcCallsLeftUp).toBe(2);
    expect(r.faultFindings).toEqual([
      // And its rule: the BYE answered 500, not 2xx (rule bye-2xx, RFC 3261 §15.1.2).
      expect.objectContaining({ fault: 'bye-500', seen: ['legs-left-up', 'rule-broken'], caught: true }),
    ]);
  });

  it('the consultation transfers: one-way-audio degrades them, no-bye-relay leaves their legs up, each named with its shape', async () => {
    const mix = { 'transfer-semi': 1, 'transfer-attended': 1 } as const;
    const oneWay = await runLoad({
      lab: await lab(['one-way-audio']),
      calls: 2,
      steps: [2],
      holdS: 1,
      direction: 'in',
      mix,
    });
    expect(oneWay.breakage.find((b) => b.kind === 'degraded-audio')?.calls).toBe(2);
    for (const c of oneWay.calls)
      expect(
        c.failures.some((f) => f.startsWith(`${c.shape}, after the transfer: No audio from`)),
        c.shape,
      ).toBe(true);
    expect(oneWay.faultFindings).toEqual([
      expect.objectContaining({ fault: 'one-way-audio', seen: ['degraded-audio'], caught: true }),
    ]);
    const noBye = await runLoad({
      lab: await lab(['no-bye-relay']),
      calls: 2,
      steps: [2],
      holdS: 1,
      direction: 'in',
      mix,
    });
    const up = noBye.breakage.find((b) => b.kind === 'legs-left-up');
    expect(up?.calls).toBe(2);
    expect(noBye.sbcCallsLeftUp).toBeGreaterThan(0);
    for (const c of noBye.calls) {
      expect(c.released).toBe(false);
      // The target's leg, reached through the OXO's join, is named with the shape.
      expect(c.failures.join(' | '), c.shape).toMatch(
        new RegExp(
          `^${c.shape}: load-t-\\d \\(\\+494055700\\d\\d\\)'s leg still up 5 s after the transferee's BYE`,
        ),
      );
    }
    expect(noBye.faultFindings).toEqual([
      expect.objectContaining({ fault: 'no-bye-relay', seen: ['legs-left-up'], caught: true }),
    ]);
    expect(loadMarkdown(noBye)).toMatch(/\| transfer-attended \| 1 \| 1 \|/);
  }, 90_000);

  it('lost calls: flood-lockout, locked by an INVITE flood just before the load', async () => {
    const l = await lab(['flood-lockout']);
    const wan = l.sbc?.wanListener('UDP');
    expect(wan).toBeDefined();
    // More than 100 INVITEs within 2 s lock every INVITE out for 10 s, the trunk's and the provider's too.
    const flood = await inviteFlood({
      from: '127.0.0.1',
      target: { address: wan?.address as string, port: wan?.port as number },
      count: 120,
      seconds: 0.5,
      user: '100',
    });
    expect(flood.sent).toBe(120);
    const r = await runLoad({ lab: l, calls: 2, steps: [2], holdS: 1, direction: 'both' });
    const lost = r.breakage.find((b) => b.kind === 'lost-calls');
    expect(lost?.calls).toBe(2);
    expect(lost?.figure).toMatch(/503 ×2/);
    for (const c of r.calls) expect(c.status).toBe(503);
    expect(r.total.rfc6076.ineffectiveSessionAttemptCount).toBe(2);
    expect(r.faultFindings).toEqual([
      expect.objectContaining({ fault: 'flood-lockout', seen: ['lost-calls'], caught: true }),
    ]);
    expect(loadMarkdown(r)).toMatch(
      /\| `flood-lockout` \| .* \| lost calls \| \*\*caught\*\*: lost calls \|/,
    );
  });

  it('lost calls: session-limit, the calls beyond the limit refused 503; the knee is below it', async () => {
    // A ramp of 1 then 3 at once through an SBC that carries 2: the first step is met; in the
    // second, a call started with 2 up is refused, so that step is not met.
    const r = await runLoad({
      lab: await lab(['session-limit=2']),
      calls: 6,
      steps: [1, 3],
      stepS: 2,
      holdS: 2,
      direction: 'out',
    });
    // The first step may also miss on a stalled host (MOS, delay, setup time); the second never meets.
    expect(r.steps[1]?.verdict.met).toBe(false);
    expect(r.knee).toBe(r.steps[0]?.verdict.met ? 1 : undefined);
    const refused = r.calls.filter((c) => c.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const c of refused) {
      expect(c.established).toBe(false);
      expect(c.step).toBe(1);
      expect(c.failedRequestDelayMs).toBeGreaterThanOrEqual(0);
    }
    // RFC 6076 §4.2.2 and §4.5: each refusal has a failed SRD and is an ineffective attempt.
    expect(r.total.rfc6076.failedSessionRequestDelayMs).toBeDefined();
    expect(r.total.rfc6076.ineffectiveSessionAttemptCount).toBe(refused.length);
    expect(r.breakage.find((b) => b.kind === 'lost-calls')?.figure).toMatch(
      new RegExp(`503 ×${refused.length}`),
    );
    expect(r.faultFindings).toEqual([
      expect.objectContaining({ fault: 'session-limit=2', seen: ['lost-calls'], caught: true }),
    ]);
    expect(loadMarkdown(r)).toMatch(
      /\| `session-limit=2` \| .* \| lost calls \| \*\*caught\*\*: lost calls \|/,
    );
    // The run's calls read against other switches: with the lost ones left out, a limit above
    // their peak was not exercised, and why; lost with a 404 instead, they do not catch a limit of 1.
    const as404 = r.calls.map((c) => (c.status === 503 ? { ...c, status: 404 } : c));
    const carried = r.calls.filter((c) => c.established);
    const other = {
      ...r,
      faultFindings: [
        ...loadFaultFindings(
          ['session-limit=50'],
          loadBreakage(carried, DEFAULT_LOAD_THRESHOLDS),
          carried,
          2,
        ),
        ...loadFaultFindings(['session-limit=1'], loadBreakage(as404, DEFAULT_LOAD_THRESHOLDS), as404, 2),
      ],
    };
    const md = loadMarkdown(other);
    expect(md).toMatch(
      /\| `session-limit=50` \| .* \| nothing: at most \d call\(s\) in flight at once on one agent, not above 50 \| not exercised \|/,
    );
    expect(md).toMatch(
      /\| `session-limit=1` \| .* \| lost calls \| \*\*not caught\*\*: no lost call refused 503 seen \|/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'load-findings-'));
    try {
      let printed = '';
      writeLoadResult(other, dir, (line) => {
        printed += line;
      });
      expect(printed).toMatch(
        /fault session-limit=50: not exercised \(at most \d call\(s\) in flight at once on one agent, not above 50\)/,
      );
      expect(printed).toContain('fault session-limit=1: not caught (no lost call refused 503)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a clean run says nothing broke and that no fault switch was on', async () => {
    const r = await runLoad({ lab: await lab(), calls: 2, steps: [2], holdS: 1, direction: 'in' });
    // A stalled host can push the one-way delay past G.114 (degraded audio); nothing else may break.
    expect(r.breakage.filter((b) => b.kind !== 'degraded-audio')).toEqual([]);
    expect(r.faultFindings).toEqual([]);
    expect(loadMarkdown(r)).toContain('No fault switch of the embedded SBC was on.');
  });
});
