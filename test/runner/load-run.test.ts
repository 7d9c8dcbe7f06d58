/**
 * `runLoad` through the embedded reference SBC on ephemeral loopback ports: every call is
 * judged on its own, the figures are computed from the calls that happened, and a fault of the
 * SBC makes calls fail and names them among the worst calls. Small numbers, bounded in time;
 * nothing asserts a duration.
 */
import { describe, expect, it } from 'vitest';
import { PstnPhone } from '../../harness/actors/pstn-phone.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { loadFigures, percentiles } from '../../harness/runner/load-figures.ts';
import { byeFailure, type LoadProgress, loadOptionProblems, runLoad } from '../../harness/runner/load-run.ts';
import { loadChartSvg } from '../../reports/load-chart.ts';
import { loadMarkdown } from '../../reports/load-markdown.ts';
import { loadLabs } from '../support/load-lab.ts';
import { closeRtpSocketUnder } from '../support/own-media-failure.ts';
import { closeSipSocketsUnder } from '../support/own-sip-failure.ts';

const lab = loadLabs();

describe('load run through the embedded SBC', () => {
  it('20 calls, 5 at once, hold 1 s: each call judged, figures from the records', async () => {
    const samples: LoadProgress[] = [];
    const r = await runLoad({
      lab: await lab(),
      calls: 20,
      steps: [5],
      holdS: 1,
      direction: 'both',
      onProgress: (p) => samples.push(p),
    });
    expect(r.calls).toHaveLength(20);
    // Progress lines say what was running: never above the target, counts that only grow.
    for (const [i, p] of samples.entries()) {
      expect(p.inFlight).toBeLessThanOrEqual(5);
      expect(p.finished).toBeLessThanOrEqual(p.started);
      expect(p.started).toBeLessThanOrEqual(20);
      expect(p.failed).toBeLessThanOrEqual(p.finished);
      if (i > 0) expect(p.started).toBeGreaterThanOrEqual((samples[i - 1] as LoadProgress).started);
    }
    expect(r.stoppedBy).toBe('calls');
    expect(r.calls.filter((c) => c.direction === 'in')).toHaveLength(10);
    // A stalled host can push the measured one-way delay past the G.114 bound, or make the
    // sender skip send slots (too little audio sent or arrived): timed checks this test does not make; every
    // other check must pass on every call.
    const notDelay = (c: { failures: string[] }) =>
      c.failures.filter((f) => !/is delayed .* one-way|^Only \d+ ms of the \d+ ms of audio/.test(f));
    for (const c of r.calls) {
      expect(notDelay(c), `call ${c.index}`).toEqual([]);
      expect(c.status).toBe(200);
      expect(c.established).toBe(true);
      expect(c.released).toBe(true);
      expect(c.audio).toHaveLength(2);
      for (const a of c.audio) expect(a.heard).toBe(true);
      // Caller → callee first, named after the parties of this call.
      expect(c.audio[0]?.from).toBe(c.caller);
      expect(c.audio[0]?.to).toBe(c.callee);
      // The two legs of a B2BUA call have their own Call-IDs.
      expect(c.callIds.caller).toBeTruthy();
      expect(c.callIds.callee).toBeTruthy();
      expect(c.callIds.caller).not.toBe(c.callIds.callee);
      expect(c.requestDelayMs).toBeLessThanOrEqual(c.setupMs as number);
    }
    expect(new Set(r.calls.map((c) => c.callIds.caller)).size).toBe(20);
    // Never more in flight than the target, and the target was reached.
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]?.peakInFlight).toBe(5);
    // The KPIs are the records' figures.
    expect(r.total).toEqual(loadFigures(r.calls));
    expect(r.total.failedCalls).toBe(r.calls.filter((c) => c.failures.length > 0).length);
    expect(r.total.rfc6076.sessionRequests).toBe(20);
    expect(r.total.rfc6076.sessionEstablishmentRatio).toBe(100);
    expect(r.total.rfc6076.ineffectiveSessionAttemptCount).toBe(0);
    expect(r.total.setupMs).toEqual(percentiles(r.calls.map((c) => c.setupMs as number)));
    expect(r.total.audio.callerToCallee.measured).toBe(20);
    expect(r.total.audio.calleeToCaller.silent).toBe(0);
    expect(r.sbcCallsLeftUp).toBe(0);
    // The knee is the one step's concurrency exactly when that step met the thresholds.
    expect(r.knee).toBe(r.steps[0]?.verdict.met ? 5 : undefined);
    // The timeline is the progress samples; the chart draws each of them.
    expect(r.timeline).toEqual(samples);
    const svg = loadChartSvg(r);
    const inFlight = svg.match(/data-series="in flight"[^>]*points="([^"]*)"/);
    expect(inFlight?.[1]?.split(' ')).toHaveLength(samples.length);
    const md = loadMarkdown(r);
    expect(md).toMatch(/## Load through the SBC/);
    expect(md).toContain(`| 1 | 5 | 5 | 20 | ${r.total.failedCalls} |`);
    // One step that met every threshold is a lower bound of the capacity, not its knee.
    expect(md.includes('**Knee not reached:** every step met the thresholds, up to 5 concurrent calls')).toBe(
      r.steps[0]?.verdict.met === true,
    );
    // The audio of each step: silent directions, the lowest MOS, and the high tail of loss,
    // jitter and delay for each direction.
    expect(md).toContain('| step | target | silent directions | MOS min | loss % p50 / p95 / max |');
    const mosMin = Math.min(
      r.total.audio.callerToCallee.mos?.min ?? Number.NaN,
      r.total.audio.calleeToCaller.mos?.min ?? Number.NaN,
    );
    expect(md).toContain(`| 1 | 5 | 0 | ${mosMin.toFixed(2)} | → `);
  });

  it('one-way audio of the SBC fails every call and names the silent direction among the worst', async () => {
    const r = await runLoad({
      lab: await lab(['one-way-audio']),
      calls: 4,
      steps: [2],
      holdS: 1,
      direction: 'both',
    });
    expect(r.calls).toHaveLength(4);
    for (const c of r.calls) {
      expect(c.established).toBe(true);
      // The fault drops what the LAN side (the extension) sends toward the WAN side (the phone).
      const fromExtension = c.audio.find((a) => a.from.startsWith('Premium Deskphone'));
      const toExtension = c.audio.find((a) => a.to.startsWith('Premium Deskphone'));
      expect(fromExtension?.heard).toBe(false);
      expect(toExtension?.heard).toBe(true);
      // No packet arrived that way: no jitter was measured (RFC 3550 needs two), none is counted.
      expect(fromExtension?.packetsArrived).toBe(0);
      expect(fromExtension?.jitterMs).toBeUndefined();
      expect(toExtension?.jitterMs).toBeGreaterThanOrEqual(0);
      expect(c.failures.join()).toMatch(/No audio from Premium Deskphone/);
    }
    expect(r.total.failedCalls).toBe(4);
    const jitter = [
      r.total.audio.callerToCallee.jitterMs?.n ?? 0,
      r.total.audio.calleeToCaller.jitterMs?.n ?? 0,
    ];
    expect((jitter[0] ?? 0) + (jitter[1] ?? 0)).toBe(4);
    expect(r.knee).toBeUndefined();
    expect(r.steps[0]?.verdict.missed.join()).toMatch(/4 failed call/);
    expect(r.worst).toHaveLength(4);
    for (const w of r.worst) expect(w.failures.length).toBeGreaterThan(0);
    expect(loadMarkdown(r)).toMatch(/No audio from Premium Deskphone/);
  });

  it('media our own socket could not send is named as a harness error of the call, beside what the far leg missed', async () => {
    const original = PstnPhone.prototype.call;
    // Each PSTN phone's RTP socket closes 0.3 s into its call, as a host failure would.
    PstnPhone.prototype.call = async function (this: PstnPhone, ...a: Parameters<PstnPhone['call']>) {
      const call = await original.apply(this, a);
      setTimeout(() => closeRtpSocketUnder(call), 300);
      return call;
    };
    try {
      const r = await runLoad({ lab: await lab(), calls: 2, steps: [2], holdS: 2, direction: 'in' });
      expect(r.calls).toHaveLength(2);
      for (const c of r.calls) {
        expect(c.failures.join('\n')).toMatch(
          /^harness error: load-\d+ \(\S+\): \d+ RTP packets of ours not sent \(ERR_SOCKET_DGRAM_NOT_RUNNING\)$/m,
        );
        expect(c.failures.join('\n')).not.toMatch(/harness error: Premium Deskphone/);
      }
      // The step is not met, and says the failures were the harness's own.
      expect(r.steps[0]?.verdict.missed.join()).toMatch(/2 call\(s\) failed on the harness's own side/);
      expect(r.total.harnessFailedCalls).toBe(2);
    } finally {
      PstnPhone.prototype.call = original;
    }
  });

  it('an INVITE our own socket could not send is a harness error, with no status put in the SBC’s mouth', async () => {
    const l = await lab();
    const original = PstnPhone.prototype.call;
    // The provider's SIP sockets close as the PSTN phone places its call, as a host failure
    // would: the INVITE, queued for the end of this turn, never leaves.
    PstnPhone.prototype.call = async function (this: PstnPhone, ...a: Parameters<PstnPhone['call']>) {
      const call = await original.apply(this, a);
      closeSipSocketsUnder(l.provider!.ua);
      return call;
    };
    try {
      const r = await runLoad({ lab: l, calls: 1, steps: [1], holdS: 1, direction: 'in' });
      const c = r.calls[0]!;
      expect(c.status).toBeUndefined();
      expect(c.failures).toContain(
        'call not established: the INVITE could not be sent (a transport error; no response arrived)',
      );
      expect(c.failures.join('\n')).toMatch(
        /^harness error: our SIP: the provider simulator: INVITE sip:\S+ SIP\/2\.0 to [\d.]+:\d+ over UDP not sent \(ERR_SOCKET_DGRAM_NOT_RUNNING\)$/m,
      );
      expect(c.failures.join('\n')).not.toMatch(/final response 503/);
      expect(r.total.harnessFailedCalls).toBe(1);
    } finally {
      PstnPhone.prototype.call = original;
    }
  });

  it('answers our callee side could not send make a call never set up a harness error, not the SBC’s lost call', async () => {
    const l = await lab();
    // The OXO's SIP sockets close as its INVITE arrives, as a host failure would: its 100, 180
    // and 200 never leave, and the caller's INVITE gets no final response.
    const oxo = l.oxo!.ua.transport;
    oxo.on('trace', (t) => {
      if (t.direction === 'in' && t.message?.startLine().startsWith('INVITE '))
        closeSipSocketsUnder(l.oxo!.ua);
    });
    const r = await runLoad({ lab: l, calls: 1, steps: [1], holdS: 1, direction: 'in' });
    const c = r.calls[0]!;
    expect(c.established).toBeFalsy();
    expect(c.failures.join('\n')).toMatch(
      /^harness error: our SIP: the OXO simulator: SIP\/2\.0 (100 Trying|180 Ringing|200 OK) to [\d.]+:\d+ over UDP not sent \(ERR_SOCKET_DGRAM_NOT_RUNNING\)$/m,
    );
    expect(r.total.harnessFailedCalls).toBe(1);
  });

  it('a BYE the SBC does not relay leaves the callee leg up: the call fails as not released', async () => {
    const r = await runLoad({
      lab: await lab(['no-bye-relay']),
      calls: 2,
      steps: [2],
      holdS: 1,
      direction: 'in',
    });
    for (const c of r.calls) {
      expect(c.established).toBe(true);
      expect(c.released).toBe(false);
      expect(c.failures.join()).toMatch(/leg not released/);
    }
    expect(r.worst.map((w) => w.index).sort()).toEqual([0, 1]);
  });

  it('a ramp runs each target for its step time and judges each step', async () => {
    const r = await runLoad({
      lab: await lab(),
      calls: 200,
      steps: [1, 3],
      stepS: 2,
      holdS: 1,
      direction: 'out',
    });
    expect(r.stoppedBy).toBe('ramp-end');
    expect(r.steps.map((s) => s.concurrency)).toEqual([1, 3]);
    expect(r.steps[0]?.peakInFlight).toBe(1);
    expect(r.steps[1]?.peakInFlight).toBeLessThanOrEqual(3);
    for (const s of r.steps) {
      const calls = r.calls.filter((c) => c.step === s.step);
      expect(s.figures).toEqual(loadFigures(calls));
      expect(calls.length).toBeGreaterThan(0);
      // The harness's own event-loop delay of each step, measured (ms; the max bounds the p99).
      expect(Number.isFinite(s.harnessLag?.p99Ms)).toBe(true);
      expect(s.harnessLag?.p99Ms).toBeGreaterThanOrEqual(0);
      expect(s.harnessLag?.maxMs).toBeGreaterThanOrEqual(s.harnessLag?.p99Ms ?? Number.POSITIVE_INFINITY);
    }
    expect(r.calls.length).toBeLessThan(200);
  });

  it('calls start one at a time, at most --rate a second (default: target / hold time); the target is reached', async () => {
    // Default: 4 in flight, hold 2 s: 2 calls/s, so starts at least 500 ms apart.
    const paced = await runLoad({ lab: await lab(), calls: 4, steps: [4], holdS: 2, direction: 'out' });
    const gaps = (r: typeof paced) =>
      r.calls.slice(1).map((c, i) => c.startMs - (r.calls[i] as typeof c).startMs);
    for (const g of gaps(paced)) expect(g).toBeGreaterThanOrEqual(500);
    expect(paced.steps[0]?.peakInFlight).toBe(4);
    expect(paced.steps[0]?.verdict.missed.join()).not.toMatch(/in flight at once/);
    // An explicit rate: 4 calls/s, 250 ms apart at the least; recorded in the options.
    const fast = await runLoad({
      lab: await lab(),
      calls: 4,
      steps: [4],
      holdS: 2,
      ratePerS: 4,
      direction: 'out',
    });
    for (const g of gaps(fast)) expect(g).toBeGreaterThanOrEqual(250);
    expect(fast.options.ratePerS).toBe(4);
    expect(loadMarkdown(fast)).toMatch(/started at most 4 call\(s\)\/s/);
    for (const ratePerS of [0, 1e-320, 0.001, 1001, Number.NaN])
      expect(loadOptionProblems({ calls: 1, steps: [1], holdS: 1, ratePerS })).toEqual([
        '--rate must be from 0.01 to 1000 calls per second',
      ]);
    expect(loadOptionProblems({ calls: 1, steps: [1], holdS: 1, ratePerS: 0.01 })).toEqual([]);
  });

  it('a step down the ramp counts the calls still in flight from the step before toward its target', async () => {
    const r = await runLoad({
      lab: await lab(),
      calls: 4,
      steps: [2, 1],
      stepS: 1,
      holdS: 3,
      direction: 'out',
    });
    expect(r.steps).toHaveLength(2);
    // Step 2 starts with step 1's calls (held 3 s) still up: its target of 1 is in flight.
    expect(r.steps[1]?.peakInFlight).toBeGreaterThanOrEqual(1);
    expect(r.steps[1]?.verdict.missed.join()).not.toMatch(/in flight at once/);
  });

  it('a step whose --calls end before its target is in flight is not met: it never showed that concurrency', async () => {
    const r = await runLoad({ lab: await lab(), calls: 2, steps: [3], holdS: 1, direction: 'out' });
    expect(r.steps[0]?.peakInFlight).toBeLessThan(3);
    expect(r.steps[0]?.verdict.met).toBe(false);
    expect(r.steps[0]?.verdict.missed.join()).toMatch(/not the step's 3/);
    expect(r.knee).toBeUndefined();
  });

  // Two ways a run stops starting calls before --calls: --duration-s, and a single step's
  // --step-s (which results.json records, so it must end the step too).
  it.each([
    {
      stop: '--duration-s',
      over: { calls: 1000, durationS: 2, direction: 'in' as const },
      stoppedBy: 'duration',
    },
    {
      stop: "a single step's --step-s",
      over: { calls: 200, stepS: 2, direction: 'out' as const },
      stoppedBy: 'ramp-end',
    },
  ])(
    '$stop stops starting calls after 2 s; the calls in flight finish and count',
    async ({ over, stoppedBy }) => {
      const r = await runLoad({ lab: await lab(), steps: [2], holdS: 1, ...over });
      expect(r.stoppedBy).toBe(stoppedBy);
      expect(r.calls.length).toBeGreaterThan(0);
      expect(r.calls.length).toBeLessThan(over.calls);
      for (const c of r.calls) {
        expect(c.endMs).toBeDefined();
        expect(c.established).toBe(true);
        expect(c.released).toBe(true);
        // No call started after the 2 s (the step began at the run's start).
        expect(c.startMs).toBeLessThan(2000 + 500);
      }
      expect(r.total.calls).toBe(r.calls.length);
      if ('stepS' in over) expect(r.options.stepS).toBe(2);
    },
  );

  it("the BYE's answer: a 2xx passes; another status, or none, fails the call with what came (RFC 3261 §15.1.2)", () => {
    const res = { status: 0 };
    expect(byeFailure(undefined, "the caller's")).toBeUndefined();
    expect(byeFailure({ status: 200, response: res }, "the caller's")).toBeUndefined();
    expect(byeFailure({ status: 500, response: res }, "the caller's")).toBe(
      "the caller's BYE was answered 500, not 2xx (RFC 3261 §15.1.2)",
    );
    // A BYE that crossed the SBC's own (481), a proxy's 408 when its next hop did not answer
    // (the release check judges the far leg), or a challenge the harness does not answer: not
    // the SBC's fault; the SIP validator's rule bye-2xx accepts the same.
    for (const status of [481, 408, 401, 407])
      expect(byeFailure({ status, response: res }, "the caller's")).toBeUndefined();
    expect(byeFailure({ status: 408 }, "transfer: the transferee's")).toBe(
      "transfer: the transferee's BYE got no final response (timeout after 64*T1)",
    );
    expect(byeFailure({ status: 503 }, "the caller's")).toBe(
      "the caller's BYE got no final response (transport error)",
    );
  });

  it("a provider that requires SRTP: the load's phones offer it, as the plan's do (plain RTP got 488 from an SBC set up for it)", async () => {
    const profile = loadProfile();
    profile.provider.srtp = true;
    profile.sbc.srtpTowardProvider = true;
    const l = await lab([], profile);
    const r = await runLoad({ lab: l, calls: 4, steps: [2], holdS: 1, direction: 'both' });
    for (const c of r.calls) {
      expect(c.status, `call ${c.index}: ${c.failures.join('; ')}`).toBe(200);
      expect(c.established).toBe(true);
      for (const a of c.audio) expect(a.heard, `call ${c.index} ${a.from} → ${a.to}`).toBe(true);
    }
    const legs = (l.provider?.allPhones() ?? []).flatMap((ph) => ph.calls).filter((c) => c.media.negotiated);
    expect(legs.length).toBeGreaterThanOrEqual(4);
    for (const c of legs) expect(c.media.negotiated?.srtpSuite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(r.sbc.providerSrtp).toBe(true);
    expect(loadMarkdown(r)).toMatch(/the provider's legs SRTP \(the profile's provider\.srtp\)/);
  });

  it("a provider that offers G.723.1 only: the calls carry the fixture both ways, judged as 8-1-4 and held to the codec's own best MOS; one-way audio still fails them", async () => {
    // G.723.1 cannot be encoded or decoded here: before, every such call failed "No audio"
    // (tone level 0) and below MOS 4.0, on a correct SBC that passed it through.
    const g723Lab = async (faults: string[]) => {
      const profile = loadProfile();
      profile.provider.codecs = ['G723'];
      return lab(faults, profile);
    };
    const r = await runLoad({ lab: await g723Lab([]), calls: 4, steps: [2], holdS: 2, direction: 'both' });
    for (const c of r.calls) {
      expect(c.failures, `call ${c.index}`).toEqual([]);
      for (const a of c.audio) {
        expect(a.codec).toBe('G723');
        expect(a.heard).toBe(true);
        expect(a.notJudged).toBeUndefined();
        expect(a.mos).toBeLessThan(4);
        expect(a.delayMs).toBeDefined();
      }
    }
    expect(r.steps[0]?.verdict).toEqual({ met: true, missed: [] });
    expect(loadMarkdown(r)).toMatch(/3\.85 for G\.723\.1 \(its best E-model MOS 3\.95 less 0\.1/);
    const bad = await runLoad({
      lab: await g723Lab(['one-way-audio']),
      calls: 2,
      steps: [2],
      holdS: 2,
      direction: 'both',
    });
    for (const c of bad.calls) {
      const fromExtension = c.audio.find((a) => a.from.startsWith('Premium Deskphone'));
      const toExtension = c.audio.find((a) => a.to.startsWith('Premium Deskphone'));
      expect(fromExtension?.heard).toBe(false);
      expect(toExtension?.heard).toBe(true);
      expect(c.failures.join()).toMatch(/No audio from Premium Deskphone/);
    }
    expect(bad.total.failedCalls).toBe(2);
  });

  it('options out of bounds are refused with a sentence each', () => {
    expect(loadOptionProblems({ calls: 0, steps: [5], holdS: 1 })).toHaveLength(1);
    expect(loadOptionProblems({ calls: 200_000, steps: [5], holdS: 1 })[0]).toMatch(/100000/);
    expect(loadOptionProblems({ calls: 10, steps: [5, 10], holdS: 1 })[0]).toMatch(/--step-s/);
    expect(loadOptionProblems({ calls: 10, steps: [0], holdS: 0.5 })).toHaveLength(2);
    expect(loadOptionProblems({ calls: 10, steps: [5], holdS: 1 })).toEqual([]);
    // --step-s is checked whenever it is given, a single step included.
    expect(loadOptionProblems({ calls: 10, steps: [5], stepS: 0, holdS: 1 })).toEqual([
      '--step-s must be above 0 and at most 3600 seconds',
    ]);
    expect(loadOptionProblems({ calls: 10, steps: [5, 10], stepS: 4000, holdS: 1 })).toEqual([
      '--step-s must be above 0 and at most 3600 seconds',
    ]);
  });
});
