/**
 * Merging the results.json of several load runs (the agents of `load --agents N`, or the pods of
 * a Kubernetes Indexed Job) into one (`sbc-harness merge`), as if one run had made every call.
 *
 * Nothing is averaged: the figures, each step's verdict, the knee and the worst calls are
 * computed again from the union of the per-call records by the same pure functions as a single
 * run (load-figures.ts). The runs' clocks are aligned on their `startedAt` (wall clock; agents
 * on one host share it, pods need NTP): every call's start and end, and every timeline sample,
 * is shifted by its run's start minus the earliest start.
 */

import { loadBreakage, loadFaultFindings } from './load-breakage.ts';
import {
  highestMet,
  judgeStep,
  knee,
  type LoadAgentSummary,
  type LoadCallRecord,
  type LoadStep,
  loadFigures,
  percentiles,
  shapeFigures,
  worstCalls,
} from './load-figures.ts';
import { LOAD_RESULTS_SCHEMA, type LoadProgress, type LoadResult, MAX_TIMELINE } from './load-run.ts';

/** A run that cannot be merged with the others: the message names its file. */
export class LoadMergeError extends Error {
  override name = 'LoadMergeError';
}

/** One run to merge: its results and where they were read (named in errors). */
export interface LoadMergeInput {
  source: string;
  result: LoadResult;
}

/**
 * Checks that a parsed results.json looks like a load result before it is used: the schema,
 * and the keys the merge reads. Throws {@link LoadMergeError} naming `source`.
 */
export function asLoadResult(source: string, v: unknown): LoadResult {
  const o = v as Partial<LoadResult> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw new LoadMergeError(`${source}: not a load results object`);
  if (o.schema !== LOAD_RESULTS_SCHEMA)
    throw new LoadMergeError(
      `${source}: schema ${JSON.stringify(o.schema)}, expected "${LOAD_RESULTS_SCHEMA}" (not the results of sbc-harness load)`,
    );
  for (const k of [
    'options',
    'thresholds',
    'sbc',
    'calls',
    'steps',
    'timeline',
    'startedAt',
    'finishedAt',
  ] as const)
    if (o[k] === undefined) throw new LoadMergeError(`${source}: key "${k}" is missing`);
  if (!Array.isArray(o.calls) || !Array.isArray(o.steps) || !Array.isArray(o.timeline))
    throw new LoadMergeError(`${source}: "calls", "steps" and "timeline" must be arrays`);
  if (!Number.isFinite(Date.parse(o.startedAt as string)))
    throw new LoadMergeError(`${source}: startedAt ${JSON.stringify(o.startedAt)} is not a time`);
  if (o.rules !== undefined) {
    const r = o.rules as unknown as Record<string, unknown> | null;
    const bad =
      typeof r !== 'object' || r === null
        ? 'rules'
        : (['calls', 'sipJudged', 'rtpJudged', 'callsBreakingRules', 'callIdsDropped'] as const).find(
            (k) => !Number.isInteger(r[k]) || (r[k] as number) < 0,
          );
    if (bad)
      throw new LoadMergeError(
        `${source}: "rules${bad === 'rules' ? '' : `.${bad}`}" must be ${bad === 'rules' ? 'an object of counts' : 'a whole number, 0 or more'}`,
      );
  }
  return o as LoadResult;
}

/** Options that every merged run must share (the calls and the targets may differ: they add up). */
function sameOptions(a: LoadMergeInput, b: LoadMergeInput): void {
  const diff = (what: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y))
      throw new LoadMergeError(
        `${b.source}: ${what} ${JSON.stringify(y)} differs from ${JSON.stringify(x)} in ${a.source}; only runs of one load can be merged`,
      );
  };
  const oa = a.result.options;
  const ob = b.result.options;
  diff('holdS', oa.holdS, ob.holdS);
  diff('direction', oa.direction, ob.direction);
  diff('mix', oa.mix, ob.mix);
  diff('stepS', oa.stepS, ob.stepS);
  diff('durationS', oa.durationS, ob.durationS);
  diff('the number of steps', oa.steps.length, ob.steps.length);
  diff('thresholds', a.result.thresholds, b.result.thresholds);
  diff('sbc.kind', a.result.sbc.kind, b.result.sbc.kind);
  diff('sbc.providerSrtp', a.result.sbc.providerSrtp ?? false, b.result.sbc.providerSrtp ?? false);
  diff('sbc.model', a.result.sbc.model, b.result.sbc.model);
  diff('sbc.firmware', a.result.sbc.firmware, b.result.sbc.firmware);
  diff('sbc.profile', a.result.sbc.profile, b.result.sbc.profile);
  diff('sbc.personality', a.result.sbc.personality, b.result.sbc.personality);
  diff('agent count', a.result.agent?.count, b.result.agent?.count);
}

const STOP_ORDER: LoadResult['stoppedBy'][] = ['interrupted', 'duration', 'ramp-end', 'calls'];

/** Most calls in flight at once at the start of a call of each step (a sweep over starts and ends). */
function peaks(calls: readonly LoadCallRecord[], steps: number): number[] {
  const ev: Array<[number, number, number]> = []; // time, +1 start / −1 end, step
  for (const c of calls) {
    ev.push([c.startMs, 1, c.step]);
    ev.push([c.endMs ?? Number.POSITIVE_INFINITY, -1, c.step]);
  }
  ev.sort((x, y) => x[0] - y[0] || x[1] - y[1]); // an end before a start at the same time
  const peak = new Array<number>(steps).fill(0);
  let now = 0;
  for (const [, d, s] of ev) {
    now += d;
    if (d > 0 && s < steps) peak[s] = Math.max(peak[s] as number, now);
  }
  return peak;
}

/**
 * The timeline of the merged run: one sample a second, each the sum of the runs' samples at
 * that time (calls in flight, targets, calls/s; started, finished and failed carried forward
 * once a run has ended), and the MOS and setup figures of the last 500 calls finished by
 * then, from the merged records.
 */
function mergedTimeline(
  inputs: LoadMergeInput[],
  offsetsMs: number[],
  calls: LoadCallRecord[],
): LoadProgress[] {
  const shifted = inputs.map((x, i) =>
    x.result.timeline.map((p) => ({ ...p, t: p.elapsedS + (offsetsMs[i] as number) / 1000 })),
  );
  const end = Math.max(0, ...shifted.flatMap((tl) => tl.map((p) => p.t)));
  const out: LoadProgress[] = [];
  const byEnd = calls
    .filter((c) => c.endMs !== undefined)
    .sort((a, b) => (a.endMs as number) - (b.endMs as number));
  let doneUpTo = 0;
  let prevFinished = 0;
  for (let t = 1; t <= Math.ceil(end) && out.length < MAX_TIMELINE; t++) {
    const sample: LoadProgress = {
      elapsedS: t,
      step: 0,
      concurrency: 0,
      inFlight: 0,
      started: 0,
      finished: 0,
      failed: 0,
      callsPerSecond: 0,
    };
    let any = false;
    for (const tl of shifted) {
      let last: (typeof tl)[number] | undefined;
      for (const p of tl) if (p.t <= t + 0.5) last = p;
      if (!last) continue;
      any = true;
      sample.started += last.started;
      sample.finished += last.finished;
      sample.failed += last.failed;
      sample.step = Math.max(sample.step, last.step);
      if (t - last.t < 1) {
        // The run was still sampling at this time.
        sample.inFlight += last.inFlight;
        sample.concurrency += last.concurrency;
      }
    }
    if (!any) continue;
    sample.callsPerSecond = Math.max(0, sample.finished - prevFinished);
    prevFinished = sample.finished;
    while (doneUpTo < byEnd.length && (byEnd[doneUpTo]?.endMs as number) <= t * 1000) doneUpTo++;
    const done = byEnd.slice(Math.max(0, doneUpTo - 500), doneUpTo);
    const mos = percentiles(done.flatMap((c) => c.audio.map((a) => a.mos)));
    const setup = percentiles(done.flatMap((c) => (c.setupMs !== undefined ? [c.setupMs] : [])));
    if (mos) {
      sample.mosP50 = mos.p50;
      sample.mosMin = mos.min;
    }
    if (setup) sample.setupP95Ms = setup.p95;
    out.push(sample);
  }
  return out;
}

/** Merges the runs into one result; throws {@link LoadMergeError} naming the run at fault. */
export function mergeLoadResults(inputs: LoadMergeInput[]): LoadResult {
  if (inputs.length === 0) throw new LoadMergeError('nothing to merge');
  const first = inputs[0] as LoadMergeInput;
  const seen = new Map<number, string>();
  for (const x of inputs) {
    sameOptions(first, x);
    if (x.result.callsTruncated)
      throw new LoadMergeError(
        `${x.source}: its calls were truncated to the first 10 000, so the figures cannot be computed again; run agents (load --agent-index) keep every call`,
      );
    const a = x.result.agent;
    if (a) {
      const other = seen.get(a.index);
      if (other !== undefined)
        throw new LoadMergeError(`${x.source}: agent index ${a.index} is also the index of ${other}`);
      seen.set(a.index, x.source);
    }
  }
  const starts = inputs.map((x) => Date.parse(x.result.startedAt));
  const t0 = Math.min(...starts);
  const offsets = starts.map((s) => s - t0);
  const calls: LoadCallRecord[] = inputs
    .flatMap((x, i) =>
      x.result.calls.map((c) => ({
        ...c,
        agent: x.result.agent?.index ?? i,
        startMs: c.startMs + (offsets[i] as number),
        ...(c.endMs !== undefined ? { endMs: c.endMs + (offsets[i] as number) } : {}),
      })),
    )
    .sort((a, b) => a.startMs - b.startMs || (a.agent ?? 0) - (b.agent ?? 0) || a.index - b.index)
    .map((c, index) => ({ ...c, index }));

  const nSteps = first.result.options.steps.length;
  const thresholds = first.result.thresholds;
  const stepPeaks = peaks(calls, nSteps);
  const steps: LoadStep[] = [];
  for (let s = 0; s < nSteps; s++) {
    const ran = inputs.filter((x) => x.result.steps[s] !== undefined);
    if (ran.length === 0) break;
    const own = calls.filter((c) => c.step === s);
    const figures = loadFigures(own);
    const durationS = Math.max(0.001, ...ran.map((x) => (x.result.steps[s] as LoadStep).durationS));
    // Each agent has its own event loop: the latest of them speaks for the step.
    const lags = ran.flatMap((x) => {
      const l = (x.result.steps[s] as LoadStep).harnessLag;
      return l && Number.isFinite(l.p99Ms) && Number.isFinite(l.maxMs) ? [l] : [];
    });
    const shares = lags.flatMap((l) => (Number.isFinite(l.stalledShare) ? [l.stalledShare as number] : []));
    const harnessLag =
      lags.length > 0
        ? {
            p99Ms: Math.max(...lags.map((l) => l.p99Ms)),
            maxMs: Math.max(...lags.map((l) => l.maxMs)),
            ...(shares.length > 0 ? { stalledShare: Math.max(...shares) } : {}),
          }
        : undefined;
    const concurrency = inputs.reduce((n, x) => n + (x.result.options.steps[s] ?? 0), 0);
    steps.push({
      step: s,
      concurrency,
      peakInFlight: stepPeaks[s] ?? 0,
      durationS,
      callsPerSecond: own.length / durationS,
      figures,
      ...(harnessLag ? { harnessLag } : {}),
      // Reached when each agent had its share in flight (each measured its own peak live; the
      // union's peak, from the calls' start and end times, is the step's figure above).
      verdict: judgeStep(figures, thresholds, harnessLag, {
        peak: ran.reduce((n, x) => n + (x.result.steps[s] as LoadStep).peakInFlight, 0),
        target: concurrency,
      }),
    });
  }
  const k = knee(steps);
  const hm = highestMet(steps);
  const left = inputs.flatMap((x) =>
    x.result.sbcCallsLeftUp !== undefined ? [x.result.sbcCallsLeftUp] : [],
  );
  const stopped = inputs.map((x) => x.result.stoppedBy);
  const finishedAt = inputs.map((x) => x.result.finishedAt).sort();
  const agents: LoadAgentSummary[] = inputs.map((x, i) => ({
    index: x.result.agent?.index ?? i,
    source: x.source,
    calls: x.result.calls.length,
    failedCalls: x.result.calls.filter((c) => c.failures.length > 0).length,
    startedAt: x.result.startedAt,
    finishedAt: x.result.finishedAt,
    stoppedBy: x.result.stoppedBy,
    ...(x.result.agent ? { slotBase: x.result.agent.slotBase } : {}),
  }));
  const o = first.result.options;
  const faults = [...new Set(inputs.flatMap((x) => x.result.sbc.faults))];
  const breakage = loadBreakage(
    calls,
    thresholds,
    left.length > 0 ? left.reduce((a, b) => a + b, 0) : undefined,
  );
  return {
    schema: LOAD_RESULTS_SCHEMA,
    startedAt: new Date(t0).toISOString(),
    finishedAt: finishedAt[finishedAt.length - 1] as string,
    options: {
      calls: inputs.reduce((n, x) => n + x.result.options.calls, 0),
      steps: o.steps.map((_, s) => inputs.reduce((n, x) => n + (x.result.options.steps[s] ?? 0), 0)),
      ...(o.stepS !== undefined ? { stepS: o.stepS } : {}),
      holdS: o.holdS,
      // Each agent starts its share of the rate: the run's rate is their sum.
      ...(inputs.every((x) => x.result.options.ratePerS !== undefined)
        ? { ratePerS: inputs.reduce((n, x) => n + (x.result.options.ratePerS as number), 0) }
        : {}),
      direction: o.direction,
      mix: { ...o.mix },
      ...(o.durationS !== undefined ? { durationS: o.durationS } : {}),
    },
    sbc: {
      kind: first.result.sbc.kind,
      ...(first.result.sbc.model !== undefined ? { model: first.result.sbc.model } : {}),
      ...(first.result.sbc.firmware !== undefined ? { firmware: first.result.sbc.firmware } : {}),
      ...(first.result.sbc.profile !== undefined ? { profile: first.result.sbc.profile } : {}),
      ...(first.result.sbc.personality !== undefined
        ? { personality: [...first.result.sbc.personality] }
        : {}),
      faults,
      ...(first.result.sbc.providerSrtp ? { providerSrtp: true as const } : {}),
    },
    thresholds,
    stoppedBy: STOP_ORDER.find((s) => stopped.includes(s)) ?? first.result.stoppedBy,
    steps,
    total: loadFigures(calls),
    shapes: shapeFigures(calls),
    ...(k !== undefined ? { knee: k } : {}),
    ...(hm !== undefined ? { highestMet: hm } : {}),
    worst: worstCalls(calls).filter((r) => r.failures.length > 0 || r.audio.length > 0 || !r.established),
    ...(left.length > 0 ? { sbcCallsLeftUp: left.reduce((a, b) => a + b, 0) } : {}),
    breakage,
    // Summed only when every run judged the rules (a run written before they were has none).
    ...(inputs.every((x) => x.result.rules)
      ? {
          rules: {
            calls: inputs.reduce((n, x) => n + (x.result.rules?.calls ?? 0), 0),
            sipJudged: inputs.reduce((n, x) => n + (x.result.rules?.sipJudged ?? 0), 0),
            rtpJudged: inputs.reduce((n, x) => n + (x.result.rules?.rtpJudged ?? 0), 0),
            callsBreakingRules: inputs.reduce((n, x) => n + (x.result.rules?.callsBreakingRules ?? 0), 0),
            callIdsDropped: inputs.reduce((n, x) => n + (x.result.rules?.callIdsDropped ?? 0), 0),
            ...(inputs.some((x) => (x.result.rules?.skipped ?? 0) > 0)
              ? { skipped: inputs.reduce((n, x) => n + (x.result.rules?.skipped ?? 0), 0) }
              : {}),
            ...(inputs.some((x) => (x.result.rules?.unclaimed ?? 0) > 0)
              ? { unclaimed: inputs.reduce((n, x) => n + (x.result.rules?.unclaimed ?? 0), 0) }
              : {}),
          },
        }
      : {}),
    faultFindings: loadFaultFindings(
      faults,
      breakage,
      calls,
      o.holdS,
      first.result.sbc.providerSrtp === true,
    ),
    timeline: mergedTimeline(inputs, offsets, calls),
    calls,
    agents,
  };
}
