/**
 * Load agents and the merge, from hand-made results: how a load is split (shares that add up,
 * slot ranges that never overlap), and a merge whose figures, step verdicts, knee and worst
 * calls are those of the union of the calls, with runs that cannot be merged refused by name.
 */
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import { agentShare, agentShareProblems, profileWithPortOffset } from '../../harness/runner/load-agents.ts';
import {
  DEFAULT_LOAD_THRESHOLDS,
  judgeStep,
  knee,
  type LoadCallRecord,
  loadFigures,
  shapeFigures,
  worstCalls,
} from '../../harness/runner/load-figures.ts';
import { asLoadResult, LoadMergeError, mergeLoadResults } from '../../harness/runner/load-merge.ts';
import { LOAD_RESULTS_SCHEMA, type LoadResult } from '../../harness/runner/load-run.ts';

function call(i: number, step: number, startMs: number, mos: number, failed = false): LoadCallRecord {
  return {
    index: i,
    step,
    direction: i % 2 === 0 ? 'in' : 'out',
    shape: 'basic',
    caller: `load-${i}`,
    callee: 'Premium Deskphone 1',
    callIds: { caller: `a${i}-${startMs}`, callee: `b${i}-${startMs}` },
    startMs,
    endMs: startMs + 1000,
    requestDelayMs: 10 + i,
    setupMs: 20 + i * 7,
    status: failed ? 503 : 200,
    established: !failed,
    audio: failed
      ? []
      : [
          {
            from: 'x',
            to: 'y',
            codec: 'PCMA',
            heard: true,
            toneLevel: 5000,
            lossPercent: i,
            jitterMs: 1,
            mos,
          },
          {
            from: 'y',
            to: 'x',
            codec: 'PCMA',
            heard: true,
            toneLevel: 5000,
            lossPercent: 0,
            jitterMs: 2,
            mos,
          },
        ],
    disconnectDelayMs: 5,
    released: !failed,
    failures: failed ? ['call not established: final response 503'] : [],
  };
}

/** An agent's results.json as runLoad writes it (figures from its own calls). */
function agentResult(index: number, startedAt: string, calls: LoadCallRecord[], steps: number[]): LoadResult {
  const stepRecs = steps.map((concurrency, s) => {
    const own = calls.filter((c) => c.step === s);
    const figures = loadFigures(own);
    return {
      step: s,
      concurrency,
      peakInFlight: concurrency,
      durationS: 10,
      callsPerSecond: own.length / 10,
      figures,
      verdict: judgeStep(figures, DEFAULT_LOAD_THRESHOLDS),
    };
  });
  return {
    schema: LOAD_RESULTS_SCHEMA,
    startedAt,
    finishedAt: new Date(Date.parse(startedAt) + 20_000).toISOString(),
    options: { calls: calls.length, steps, stepS: 10, holdS: 1, direction: 'both', mix: { basic: 1 } },
    sbc: { kind: 'embedded', model: 'sbc-harness reference SBC', profile: 'embedded', faults: [] },
    thresholds: DEFAULT_LOAD_THRESHOLDS,
    stoppedBy: 'ramp-end',
    steps: stepRecs,
    total: loadFigures(calls),
    shapes: shapeFigures(calls),
    breakage: [],
    faultFindings: [],
    worst: worstCalls(calls),
    timeline: [
      {
        elapsedS: 1,
        step: 0,
        concurrency: steps[0] ?? 0,
        inFlight: 1,
        started: 1,
        finished: 0,
        failed: 0,
        callsPerSecond: 0,
      },
      {
        elapsedS: 2,
        step: 0,
        concurrency: steps[0] ?? 0,
        inFlight: 1,
        started: calls.length,
        finished: calls.length,
        failed: 0,
        callsPerSecond: 1,
      },
    ],
    calls,
    agent: { index, count: 2, slotBase: index * 10 },
  };
}

describe('agent shares', () => {
  it('split calls and every step between the agents, and the slot ranges never overlap', () => {
    for (const count of [1, 2, 3, 7]) {
      const whole = { calls: 100, steps: [7, 13, 40] };
      const shares = Array.from({ length: count }, (_, i) => agentShare(whole, i, count));
      expect(shares.reduce((n, s) => n + s.calls, 0)).toBe(100);
      for (let s = 0; s < whole.steps.length; s++)
        expect(shares.reduce((n, a) => n + (a.steps[s] as number), 0)).toBe(whole.steps[s]);
      const slots = shares.flatMap((a) =>
        Array.from({ length: Math.max(...a.steps) }, (_, k) => a.slotBase + k),
      );
      expect(new Set(slots).size).toBe(slots.length);
    }
  });

  it('refuse a split that leaves an agent nothing, or a bad index', () => {
    expect(agentShareProblems({ calls: 1, steps: [4] }, 0, 2).join()).toMatch(/--calls 1 cannot be split/);
    expect(agentShareProblems({ calls: 10, steps: [4, 1] }, 0, 2).join()).toMatch(/concurrency of 1 cannot/);
    expect(agentShareProblems({ calls: 10, steps: [4] }, 2, 2).join()).toMatch(/index must be .* 0 to 1/);
    expect(agentShareProblems({ calls: 10, steps: [4] }, 0, 0).join()).toMatch(/agent count/);
    expect(agentShareProblems({ calls: 10, steps: [4] }, 1, 2)).toEqual([]);
  });

  it('shift the provider and OXO ports of an agent on a shared host', () => {
    const p = loadProfile();
    const q = profileWithPortOffset(p, 20);
    expect(q.provider.port).toBe(p.provider.port + 20);
    expect(q.provider.tlsPort).toBe(p.provider.tlsPort + 20);
    expect(q.oxo.port).toBe(p.oxo.port + 20);
    expect(q.sbc).toEqual(p.sbc);
  });
});

describe('merge of load results', () => {
  const a = [call(0, 0, 100, 4.4), call(1, 0, 1200, 4.3), call(2, 1, 10_500, 4.2)];
  const b = [
    call(0, 0, 50, 4.1),
    // A direction without a jitter estimate (too few packets), and a setup that failed with a 503.
    {
      ...call(1, 1, 10_100, 3.5),
      audio: call(1, 1, 10_100, 3.5).audio.map((d, i) => (i === 0 ? { ...d, jitterMs: undefined } : d)),
    },
    { ...call(2, 1, 11_000, 4.0, true), failedRequestDelayMs: 42 },
  ];
  const ra = agentResult(0, '2026-01-01T10:00:00.000Z', a, [2, 4]);
  const rb = agentResult(1, '2026-01-01T10:00:02.000Z', b, [2, 4]);

  it('computes every figure again from the union of the calls, on one time base', () => {
    const m = mergeLoadResults([
      { source: 'a/results.json', result: ra },
      { source: 'b/results.json', result: rb },
    ]);
    expect(m.calls).toHaveLength(6);
    expect(m.options.calls).toBe(6);
    // The SBC is named as each agent named it.
    expect(m.sbc).toEqual({
      kind: 'embedded',
      model: 'sbc-harness reference SBC',
      profile: 'embedded',
      faults: [],
    });
    expect(m.options.steps).toEqual([4, 8]);
    // Agent b started 2 s later: its calls are shifted by 2000 ms.
    const fromB = m.calls.filter((c) => c.agent === 1).map((c) => c.startMs);
    expect(fromB).toEqual([2050, 12_100, 13_000]);
    expect(m.calls.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...m.calls.map((c) => c.startMs)]).toEqual(
      [...m.calls.map((c) => c.startMs)].sort((x, y) => x - y),
    );
    const union = [...a, ...b];
    expect(m.total).toEqual(loadFigures(union));
    // An agent's failed setup keeps its SRD, and a direction without jitter stays out of it.
    expect(m.total.rfc6076.failedSessionRequestDelayMs).toEqual({ n: 1, min: 42, p50: 42, p95: 42, max: 42 });
    expect(m.total.audio.callerToCallee.measured).toBe(5);
    expect(m.total.audio.callerToCallee.jitterMs?.n).toBe(4);
    expect(m.steps.map((s) => s.figures)).toEqual([
      loadFigures(union.filter((c) => c.step === 0)),
      loadFigures(union.filter((c) => c.step === 1)),
    ]);
    expect(m.steps.map((s) => s.concurrency)).toEqual([4, 8]);
    // Step 0 met every threshold on each agent and merged; step 1 missed (a failed call, MOS 3.5).
    expect(m.steps[0]?.verdict.met).toBe(true);
    expect(m.steps[1]?.verdict.met).toBe(false);
    expect(m.knee).toBe(4);
    expect(m.knee).toBe(knee(m.steps));
    expect(m.worst[0]?.failures).toEqual(['call not established: final response 503']);
    expect(m.worst[0]?.agent).toBe(1);
    expect(m.agents?.map((x) => [x.index, x.calls, x.failedCalls])).toEqual([
      [0, 3, 0],
      [1, 3, 1],
    ]);
    expect(m.startedAt).toBe(ra.startedAt);
    expect(m.finishedAt).toBe(rb.finishedAt);
    // Timelines summed by time: agent b's samples fall at 3 s and 4 s (it started 2 s late).
    // At 3 s agent a has ended: its counts are carried forward, nothing of it is in flight.
    expect(m.timeline.find((p) => p.elapsedS === 2)?.started).toBe(3);
    const at3 = m.timeline.find((p) => p.elapsedS === 3);
    expect(at3?.started).toBe(4);
    expect(at3?.inFlight).toBe(1);
    expect(m.timeline[m.timeline.length - 1]?.started).toBe(6);
    // Without rule counts from the agents, the merge invents none.
    expect(m.rules).toBeUndefined();
  });

  it('sums the SIP and RTP rule counts of the agents, only when every agent judged them', () => {
    const counts = (n: number) => ({
      calls: n,
      sipJudged: 10 * n,
      rtpJudged: 100 * n,
      callsBreakingRules: 1,
      callIdsDropped: 0,
    });
    const m = mergeLoadResults([
      { source: 'a/results.json', result: { ...ra, rules: counts(3) } },
      { source: 'b/results.json', result: { ...rb, rules: counts(2) } },
    ]);
    expect(m.rules).toEqual({
      calls: 5,
      sipJudged: 50,
      rtpJudged: 500,
      callsBreakingRules: 2,
      callIdsDropped: 0,
    });
    const partial = mergeLoadResults([
      { source: 'a/results.json', result: { ...ra, rules: counts(3) } },
      { source: 'b/results.json', result: rb },
    ]);
    expect(partial.rules).toBeUndefined();
  });

  it('takes the latest agent’s event-loop delay for a step, and a late agent misses the step', () => {
    const lagged = (r: LoadResult, p99Ms: number, maxMs: number): LoadResult => ({
      ...r,
      steps: r.steps.map((s) => ({ ...s, harnessLag: { p99Ms, maxMs } })),
    });
    const m = mergeLoadResults([
      { source: 'a/results.json', result: lagged(ra, 12, 40) },
      { source: 'b/results.json', result: lagged(rb, 350, 30) },
    ]);
    expect(m.steps[0]?.harnessLag).toEqual({ p99Ms: 350, maxMs: 40 });
    expect(m.steps[0]?.verdict.met).toBe(false);
    expect(m.steps[0]?.verdict.missed.join()).toMatch(
      /the harness itself fell behind: its event loop was 350 ms late/,
    );
    // Results of versions before the figure merge as before.
    const old = mergeLoadResults([
      { source: 'a/results.json', result: ra },
      { source: 'b/results.json', result: rb },
    ]);
    expect(old.steps[0]?.harnessLag).toBeUndefined();
    expect(old.steps[0]?.verdict.met).toBe(true);
  });

  it('a step in which an agent never had its share in flight is not met once merged', () => {
    const short: LoadResult = {
      ...rb,
      steps: rb.steps.map((x, i) => (i === 0 ? { ...x, peakInFlight: 1 } : x)),
    };
    const m = mergeLoadResults([
      { source: 'a/results.json', result: ra },
      { source: 'b/results.json', result: short },
    ]);
    expect(m.steps[0]?.verdict.met).toBe(false);
    expect(m.steps[0]?.verdict.missed.join()).toMatch(
      /at most 3 call\(s\) were in flight at once, not the step's 4/,
    );
    expect(m.knee).toBeUndefined();
  });

  it('refuses runs of different loads, a repeated agent index, truncated calls, naming the file', () => {
    const bad = (r: Partial<LoadResult>) => () =>
      mergeLoadResults([
        { source: 'a/results.json', result: ra },
        { source: 'b/results.json', result: { ...rb, ...r } },
      ]);
    expect(bad({ options: { ...rb.options, holdS: 3 } })).toThrow(/b\/results.json: holdS 3 differs from 1/);
    expect(bad({ thresholds: { ...rb.thresholds, minMos: 3 } })).toThrow(/b\/results.json: thresholds/);
    expect(bad({ sbc: { ...rb.sbc, model: 'LANCOM 1790VA' } })).toThrow(
      /b\/results.json: sbc.model "LANCOM 1790VA" differs from "sbc-harness reference SBC"/,
    );
    expect(bad({ agent: { index: 0, count: 2, slotBase: 0 } })).toThrow(
      /agent index 0 is also the index of a/,
    );
    expect(bad({ callsTruncated: true })).toThrow(LoadMergeError);
    expect(() => asLoadResult('c.json', { ...ra, schema: 'sbc-harness/results@1' })).toThrow(
      /c.json: schema "sbc-harness\/results@1", expected "sbc-harness\/load-results@1"/,
    );
    expect(() => asLoadResult('d.json', { schema: LOAD_RESULTS_SCHEMA })).toThrow(
      /d.json: key "options" is missing/,
    );
    expect(() => asLoadResult('e.json', [])).toThrow(/e.json: not a load results object/);
    // Rule counts that are not whole numbers would be added as text ("12" + "12" = "1212").
    const counts = { calls: 12, sipJudged: 100, rtpJudged: 1000, callsBreakingRules: 0, callIdsDropped: 0 };
    expect(() => asLoadResult('f.json', { ...ra, rules: { ...counts, calls: '12' } })).toThrow(
      /f.json: "rules.calls" must be a whole number, 0 or more/,
    );
    expect(() => asLoadResult('g.json', { ...ra, rules: 7 })).toThrow(
      /g.json: "rules" must be an object of counts/,
    );
    expect(asLoadResult('h.json', { ...ra, rules: counts }).rules).toEqual(counts);
  });
});
