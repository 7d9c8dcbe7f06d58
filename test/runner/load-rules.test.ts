/**
 * Every message and stream of a load call against the plan's SIP and RTP rules
 * (harness/runner/load-rules.ts), through the embedded SBC: a fault that breaks a rule and
 * nothing else a load judges fails the calls of the shapes that exercise it, named with the
 * rule; the same calls without the fault break none, and the rules were judged on them.
 */
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import { runLoad } from '../../harness/runner/load-run.ts';
import { loadMarkdown } from '../../reports/load-markdown.ts';
import { loadLabs } from '../support/load-lab.ts';

const lab = loadLabs();

const ruleFailures = (failures: readonly string[]) =>
  failures.filter((f) => f.startsWith('SIP rules: ') || f.startsWith('RTP rules: '));

describe('load: SIP and RTP rules on every call', () => {
  it('no-sdp-in-reinvite-answer: the hold calls fail on RFC 3264 answer-to-offer, with the offending 200; without the fault no rule is broken', async () => {
    const mix = { hold: 1 };
    const bad = await runLoad({
      lab: await lab(['no-sdp-in-reinvite-answer']),
      calls: 2,
      steps: [2],
      holdS: 1,
      direction: 'both',
      mix,
    });
    expect(bad.calls).toHaveLength(2);
    for (const c of bad.calls) {
      expect(c.established).toBe(true);
      const rules = ruleFailures(c.failures);
      expect(rules.length).toBeGreaterThan(0);
      expect(rules[0]).toMatch(
        /^SIP rules: The SBC answered an SDP offer with a 2xx without SDP .* on the (OXO|provider) leg .*rule answer-to-offer\] \(offending: SIP\/2\.0 200 OK\)$/,
      );
    }
    expect(bad.breakage.find((b) => b.kind === 'rule-broken')).toMatchObject({ calls: 2 });
    expect(bad.faultFindings).toEqual([
      expect.objectContaining({ fault: 'no-sdp-in-reinvite-answer', seen: ['rule-broken'], caught: true }),
    ]);
    expect(bad.rules).toMatchObject({ calls: 2, callsBreakingRules: 2, callIdsDropped: 0 });
    expect(loadMarkdown(bad)).toMatch(/\| a SIP or RTP rule broken \| 2 \|/);

    const good = await runLoad({ lab: await lab(), calls: 2, steps: [2], holdS: 1, direction: 'both', mix });
    for (const c of good.calls) expect(ruleFailures(c.failures)).toEqual([]);
    expect(good.breakage.find((b) => b.kind === 'rule-broken')).toBeUndefined();
    // Judged, not skipped: the SBC's messages and packets of both calls were read.
    expect(good.rules?.calls).toBe(2);
    expect(good.rules?.sipJudged).toBeGreaterThan(8);
    expect(good.rules?.rtpJudged).toBeGreaterThan(100);
    expect(good.rules?.callsBreakingRules).toBe(0);
    expect(loadMarkdown(good)).toMatch(/SIP and RTP rules: 2 call\(s\) judged: \d+ SIP message\(s\)/);
  });

  it('a consultation transfer that failed (REFER answered 405) still has every Call-ID of its legs judged, none left unclaimed', async () => {
    const profile = loadProfile();
    profile.oxo.transferMode = 'refer';
    profile.sbc.referPolicy = 'local';
    const r = await runLoad({
      lab: await lab(['refer-405'], profile),
      calls: 2,
      steps: [2],
      holdS: 1,
      direction: 'both',
      mix: { 'transfer-semi': 1 },
    });
    for (const c of r.calls) expect(c.failures.join('\n')).toMatch(/the REFER from .* was answered 405/);
    expect(r.rules?.calls).toBe(2);
    // The consultation's Call-IDs were the calls' own: judged with them, not left over.
    expect(r.rules?.unclaimed).toBeUndefined();
    expect(r.rules?.callIdsDropped).toBe(0);
  });

  it('te-no-end-bit: the RFC 4733 digits still arrive, and the call fails on rule te-end-bit with the packet', async () => {
    const r = await runLoad({
      lab: await lab(['te-no-end-bit']),
      calls: 1,
      steps: [1],
      holdS: 1,
      direction: 'in',
      mix: { 'dtmf-rfc4733': 1 },
    });
    const c = r.calls[0];
    // The digits themselves are not the fault's symptom: only the rule is broken.
    expect(c?.failures.filter((f) => f.startsWith('DTMF'))).toEqual([]);
    expect(ruleFailures(c?.failures ?? [])).toEqual([
      expect.stringMatching(
        /^RTP rules: The SBC ended a telephone-event \(RFC 4733\) without a report with the E bit on the OXO leg .*rule te-end-bit\] \(offending: .*PT 101 \(telephone-event\/8000\)/,
      ),
    ]);
    expect(r.faultFindings).toEqual([
      expect.objectContaining({ fault: 'te-no-end-bit', seen: ['rule-broken'], caught: true }),
    ]);
  });
});
