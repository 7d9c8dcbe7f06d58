/**
 * The figures of a load run from hand-made call records: RFC 6076 ratios and delays,
 * percentiles, the step verdict against the thresholds, the knee and the worst calls.
 */
import { describe, expect, it } from 'vitest';
import { loadBreakage } from '../../harness/runner/load-breakage.ts';
import {
  codecBestMos,
  DEFAULT_LOAD_THRESHOLDS,
  harnessBehind,
  highestMet,
  judgeStep,
  knee,
  kneeNotReached,
  kneeReached,
  type LoadCallRecord,
  type LoadStep,
  loadFigures,
  MAX_HARNESS_LAG_P99_MS,
  MAX_HARNESS_STALLED_SHARE,
  mosRequired,
  notJudgedText,
  percentile,
  rfc6076,
  shapeFigures,
  worstCalls,
} from '../../harness/runner/load-figures.ts';

function call(i: number, o: Partial<LoadCallRecord> = {}): LoadCallRecord {
  const status = 'status' in o ? o.status : 200;
  const ok = status !== undefined && status < 300;
  return {
    index: i,
    step: 0,
    direction: 'in',
    shape: 'basic',
    caller: `load-${i}`,
    callee: 'Premium Deskphone 1',
    callIds: { caller: `a${i}`, callee: `b${i}` },
    startMs: i * 10,
    status: 200,
    established: ok,
    ...(ok ? { requestDelayMs: 10 + i, setupMs: 20 + i, disconnectDelayMs: 5 + i } : {}),
    audio: ok
      ? [
          {
            from: 'x',
            to: 'y',
            codec: 'PCMA',
            heard: true,
            toneLevel: 5000,
            lossPercent: 0,
            jitterMs: 1,
            mos: 4.4,
          },
          {
            from: 'y',
            to: 'x',
            codec: 'PCMA',
            heard: true,
            toneLevel: 5000,
            lossPercent: 0,
            jitterMs: 2,
            mos: 4.3,
          },
        ]
      : [],
    released: ok,
    failures: ok ? [] : [`call not established: final response ${o.status}`],
    ...o,
  };
}

describe('load figures', () => {
  it('percentiles are nearest-rank', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 95)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });

  it('RFC 6076: SER leaves 3xx out of the denominator; ISA counts 408/500/503/504 and no answer', () => {
    const calls = [
      call(0),
      call(1),
      call(2, { status: 302 }),
      call(3, { status: 503 }),
      call(4, { status: 486 }),
      call(5, { status: undefined }),
    ];
    const k = rfc6076(calls);
    expect(k.sessionRequests).toBe(6);
    // 2 answered 2xx of 6 − 1 redirected.
    expect(k.sessionEstablishmentRatio).toBeCloseTo(40, 6);
    // 503 and the unanswered one.
    expect(k.ineffectiveSessionAttemptCount).toBe(2);
    expect(k.ineffectiveSessionAttempts).toBeCloseTo(100 / 3, 6);
    expect(k.sessionRequestDelayMs).toEqual({ n: 2, min: 10, p50: 10, p95: 11, max: 11 });
    expect(k.failedSessionRequestDelayMs).toBeUndefined();
    expect(k.sessionDisconnectDelayMs?.n).toBe(2);
  });

  it('RFC 6076 SRD per outcome: successful setups to the first provisional or 2xx, failed ones to their 4xx-6xx', () => {
    const calls = [
      call(0),
      // Rang (180 after 40 ms), then 486 after 90 ms: a failed setup, timed to its final response.
      call(1, { status: 486, requestDelayMs: 40, failedRequestDelayMs: 90 }),
      call(2, { status: 503, failedRequestDelayMs: 5 }),
    ];
    const k = rfc6076(calls);
    expect(k.sessionRequestDelayMs).toEqual({ n: 1, min: 10, p50: 10, p95: 10, max: 10 });
    expect(k.failedSessionRequestDelayMs).toEqual({ n: 2, min: 5, p50: 5, p95: 90, max: 90 });
  });

  it('per-direction audio figures count the silent directions', () => {
    const silent = call(1);
    silent.audio[1] = { ...(silent.audio[1] as LoadCallRecord['audio'][number]), heard: false, mos: 1.2 };
    silent.failures = ['No audio from y reached x'];
    const f = loadFigures([call(0), silent]);
    expect(f.failedCalls).toBe(1);
    expect(f.audio.callerToCallee.silent).toBe(0);
    expect(f.audio.calleeToCaller.silent).toBe(1);
    expect(f.audio.calleeToCaller.mos?.min).toBe(1.2);
    expect(f.setupMs?.n).toBe(2);
  });

  it('a step meets the thresholds only when MOS, setup p95 and failed calls all do', () => {
    const t = DEFAULT_LOAD_THRESHOLDS;
    expect(judgeStep(loadFigures([call(0), call(1)]), t)).toEqual({ met: true, missed: [] });
    const slow = judgeStep(loadFigures([call(0, { setupMs: 1500 })]), t);
    expect(slow.met).toBe(false);
    expect(slow.missed.join()).toMatch(/setup time p95 1500 ms/);
    const poor = call(0);
    (poor.audio[0] as { mos: number }).mos = 3.5;
    expect(judgeStep(loadFigures([poor]), t).missed.join()).toMatch(/lowest MOS 3.50/);
    const failed = judgeStep(loadFigures([call(0), call(1, { status: 503 })]), t);
    expect(failed.missed.join()).toMatch(/1 failed call/);
    expect(judgeStep(loadFigures([call(0), call(1, { status: 503 })]), { ...t, maxFailedCalls: 1 }).met).toBe(
      true,
    );
  });

  it('a codec whose best E-model MOS lies under the threshold is held to that best less 0.1; the others to the threshold', () => {
    expect(codecBestMos('G723')).toBeCloseTo(3.95, 2);
    expect(codecBestMos('G729')).toBeCloseTo(4.1, 2);
    expect(mosRequired('G723', 4)).toBe(3.85);
    expect(mosRequired('PCMA', 4)).toBe(4);
    expect(mosRequired('G729', 4)).toBe(4);
    // A threshold over G.729's best less the margin: G.729 is held to that; a higher threshold
    // never asks less (monotone), and one above G.711's best holds G.711 to its best less 0.1.
    expect(mosRequired('G729', 4.05)).toBeCloseTo(4.0, 2);
    expect(mosRequired('G729', 4.2)).toBeCloseTo(4.0, 2);
    expect(mosRequired('PCMA', 4.2)).toBe(4.2);
    expect(mosRequired('PCMA', 4.5)).toBe(4.31);
    for (const c of ['PCMA', 'G722', 'G729', 'G723'])
      for (let m = 1; m < 5; m += 0.05)
        expect(mosRequired(c, m + 0.05)).toBeGreaterThanOrEqual(mosRequired(c, m));
    const t = DEFAULT_LOAD_THRESHOLDS;
    const g723 = (mos: number) => {
      const c = call(0);
      for (const a of c.audio as Array<{ codec: string; mos: number }>) {
        a.codec = 'G723';
        a.mos = mos;
      }
      return c;
    };
    // G.723.1 with no loss and no delay: its best, 3.95, meets the step.
    expect(judgeStep(loadFigures([g723(3.954), call(1)]), t)).toEqual({ met: true, missed: [] });
    const low = judgeStep(loadFigures([g723(3.8), call(1)]), t);
    expect(low.met).toBe(false);
    expect(low.missed.join()).toMatch(
      /lowest MOS 3\.80 \(G\.723\.1\), at least 3\.85 for G\.723\.1 \(its best E-model MOS 3\.95/,
    );
    // G.711 in the same step is still held to 4.0.
    const poor = call(1);
    (poor.audio[0] as { mos: number }).mos = 3.9;
    expect(judgeStep(loadFigures([g723(3.954), poor]), t).missed.join()).toMatch(
      /lowest MOS 3\.90 \(G\.711 A-law\), at least 4 required/,
    );
    // Figures from a results.json written before the MOS by codec: the threshold as it was.
    const old = loadFigures([g723(3.954)]);
    delete old.audio.callerToCallee.lowestMosByCodec;
    expect(judgeStep(old, t).missed.join()).toMatch(/lowest MOS 3\.95, at least 4 required/);
    // A direction judged on its packets only (G.723.1 the SBC encoded) is counted and named.
    const encoded = g723(3.954);
    (encoded.audio[0] as { notJudged?: string }).notJudged = 'G.723.1 encoded by the SBC';
    const ef = loadFigures([encoded, call(1)]);
    expect(ef.audio.callerToCallee.notJudged).toBe(1);
    expect(ef.audio.calleeToCaller.notJudged).toBeUndefined();
    expect(notJudgedText(ef.audio)).toMatch(
      /^1 direction\(s\) carried G\.723\.1 that the SBC encoded itself/,
    );
    expect(notJudgedText(loadFigures([call(1)]).audio)).toBeUndefined();
    // The breakage reads the same requirement per direction.
    expect(loadBreakage([g723(3.954)], t)).toEqual([]);
    const b = loadBreakage([g723(3.8)], t);
    expect(b[0]?.kind).toBe('degraded-audio');
    expect(b[0]?.figure).toMatch(/2 below MOS 4 \(G\.723\.1: 3\.85\)/);
  });

  it('a step that never had its target in flight is not met: it does not show that concurrency', () => {
    const t = DEFAULT_LOAD_THRESHOLDS;
    const f = loadFigures([call(0), call(1)]);
    expect(judgeStep(f, t, undefined, { peak: 2, target: 2 })).toEqual({ met: true, missed: [] });
    const short = judgeStep(f, t, undefined, { peak: 1, target: 2 });
    expect(short.met).toBe(false);
    expect(short.missed.join()).toMatch(/at most 1 call\(s\) were in flight at once, not the step's 2/);
  });

  it('a step whose harness was late beyond the bound at p99 is not met, named as the harness’s own', () => {
    const t = DEFAULT_LOAD_THRESHOLDS;
    const f = loadFigures([call(0), call(1)]);
    expect(judgeStep(f, t, { p99Ms: MAX_HARNESS_LAG_P99_MS, maxMs: 900 })).toEqual({ met: true, missed: [] });
    const late = judgeStep(f, t, { p99Ms: MAX_HARNESS_LAG_P99_MS + 1, maxMs: 900 });
    const stalled = judgeStep(f, t, { p99Ms: 5, maxMs: 400, stalledShare: MAX_HARNESS_STALLED_SHARE + 0.01 });
    expect(stalled.met).toBe(false);
    expect(stalled.missed.join()).toMatch(
      /its event loop stalled over 200 ms for 6.0 % of the step \(5 % allowed\)/,
    );
    expect(judgeStep(f, t, { p99Ms: 5, maxMs: 400, stalledShare: MAX_HARNESS_STALLED_SHARE }).met).toBe(true);
    expect(late.met).toBe(false);
    expect(late.missed).toEqual([
      `the harness itself fell behind: its event loop was ${MAX_HARNESS_LAG_P99_MS + 1} ms late at p99 (${MAX_HARNESS_LAG_P99_MS} ms allowed), so this step's figures are the harness's, not the SBC's`,
    ]);
  });

  it('names the steps in which the harness fell behind, and nothing when it kept up', () => {
    const step = (concurrency: number, p99Ms?: number): LoadStep => ({
      step: 0,
      concurrency,
      peakInFlight: concurrency,
      durationS: 1,
      callsPerSecond: 1,
      figures: loadFigures([call(0)]),
      ...(p99Ms !== undefined ? { harnessLag: { p99Ms, maxMs: p99Ms + 50 } } : {}),
      verdict: { met: true, missed: [] },
    });
    expect(harnessBehind({ steps: [step(10, 20), step(20)] })).toBeUndefined();
    expect(harnessBehind({ steps: [step(10, 20), step(40, 436), step(80, 1130)] })).toMatch(
      /^fell behind in the step\(s\) at 40, 80 concurrent calls \(event loop up to 1130 ms late at p99, 200 ms allowed\)/,
    );
  });

  it('the knee is the highest concurrency before the first step that missed a threshold', () => {
    const step = (concurrency: number, met: boolean): LoadStep => ({
      step: 0,
      concurrency,
      peakInFlight: concurrency,
      durationS: 1,
      callsPerSecond: 1,
      figures: loadFigures([]),
      verdict: { met, missed: met ? [] : ['x'] },
    });
    expect(knee([step(5, true), step(10, true), step(20, false), step(40, false)])).toBe(10);
    expect(knee([step(5, false)])).toBeUndefined();
    // A step that passes after a miss (a noisy host) is not the knee, but is reported.
    const noisy = [step(5, true), step(10, false), step(20, true)];
    expect(knee(noisy)).toBe(5);
    expect(highestMet(noisy)).toBe(20);
    expect(highestMet([step(5, false)])).toBeUndefined();
    // Reached only when some step missed: a ramp whose every step met gives a lower bound.
    expect(kneeReached([step(5, true), step(10, true)])).toBe(false);
    expect(kneeReached([step(5, true), step(10, false)])).toBe(true);
    expect(kneeReached(noisy)).toBe(true);
    // Why not, in words: every planned step met them, or the run stopped before the higher ones.
    expect(kneeNotReached([step(5, true), step(10, true)], [5, 10], 'ramp-end')).toBe(
      'every step met the thresholds, up to 10 concurrent calls; the capacity is at least 10 (a ramp to higher targets finds the knee)',
    );
    expect(kneeNotReached([step(5, true)], [5, 10, 20], 'calls')).toMatch(
      /^the run stopped \(calls\) after 1 of the ramp's 3 steps, .* up to 5 concurrent calls; .*more --calls or a longer --duration-s/,
    );
    expect(kneeNotReached([step(5, true), step(10, false)], [5, 10], 'ramp-end')).toBeUndefined();
    expect(kneeNotReached([step(5, false)], [5], 'calls')).toBeUndefined();
  });

  it('a direction without jitter (fewer than two packets arrived) is left out of the jitter figures, not counted as 0', () => {
    const silent = call(1);
    const d = silent.audio[0] as { jitterMs?: number; heard: boolean };
    d.heard = false;
    delete d.jitterMs;
    const f = loadFigures([call(0), silent]);
    expect(f.audio.callerToCallee.measured).toBe(2);
    expect(f.audio.callerToCallee.silent).toBe(1);
    expect(f.audio.callerToCallee.jitterMs).toMatchObject({ n: 1, min: 1, max: 1 });
  });

  it('the worst calls are the failed ones first, then the lowest MOS, then the slowest setup', () => {
    const low = call(2);
    (low.audio[1] as { mos: number }).mos = 3.9;
    const calls = [call(0), call(1, { setupMs: 900 }), low, call(3, { status: 503 })];
    expect(worstCalls(calls, 3).map((c) => c.index)).toEqual([3, 2, 1]);
  });

  it('figures per shape: one group per shape that ran, each the figures of its own calls', () => {
    const calls = [call(0), call(1, { shape: 'hold', status: 503 }), call(2, { shape: 'hold' }), call(3)];
    const by = shapeFigures(calls);
    expect(Object.keys(by)).toEqual(['basic', 'hold']);
    expect(by.basic).toEqual(loadFigures([calls[0] as LoadCallRecord, calls[3] as LoadCallRecord]));
    expect(by.hold?.calls).toBe(2);
    expect(by.hold?.failedCalls).toBe(1);
    expect(by.transfer).toBeUndefined();
  });
});
