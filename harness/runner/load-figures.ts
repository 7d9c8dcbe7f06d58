/**
 * The figures of a load run (`sbc-harness load`), computed from the calls that happened and
 * nothing else: a pure function of the per-call records, so a test can feed it hand-made
 * records and the report is reproducible from results.json.
 *
 * RFC 6076 (SIP end-to-end performance metrics), as used here:
 * - Session Request Delay (SRD, §4.2): from the INVITE to the first non-100 provisional
 *   response or the 2xx, for the requests that got one (the first INVITE, a digest challenge
 *   included in the delay).
 * - Session Disconnect Delay (SDD, §4.4): from the BYE to its final response.
 * - Session Establishment Ratio (SER, §4.8): INVITEs answered 2xx / (INVITEs − those answered
 *   3xx), as a percentage.
 * - Ineffective Session Attempts (ISA, §4.6): INVITEs answered 408, 500, 503 or 504, or not
 *   answered at all, / INVITEs, as a percentage.
 */
import { codecLabel } from '../../codecs/index.ts';
import { voipQuality } from '../media/analysis/index.ts';
import { eModelCodec } from './audio-delay.ts';
import { LOAD_SHAPES, type LoadShapeName } from './load-mix.ts';

/** One direction of a call's audio, as the audio check measured it. */
export interface LoadAudioDirection {
  from: string;
  to: string;
  codec: string;
  /** The tone was heard (level above the floor): false is one-way or no audio. */
  heard: boolean;
  toneLevel: number;
  lossPercent: number;
  /**
   * RFC 3550 interarrival jitter, ms; absent for a direction not heard or whose stream brought
   * fewer than MIN_JITTER_PACKETS (load-shape.ts): a silent direction's 0, or an estimate still
   * near its zero start, would lower the jitter figures of a run in which the SBC dropped audio.
   */
  jitterMs?: number;
  /**
   * Why the audio of this direction was not judged, when it was not: G.723.1 that the SBC
   * encoded itself, which the harness cannot decode (only its packets arriving are judged).
   */
  notJudged?: string;
  /** E-model MOS-CQE with the measured one-way delay (G.107). */
  mos: number;
  /** One-way delay measured on one clock, when found. */
  delayMs?: number;
  /** RTP packets the sending side sent while its tone played (load-shape.ts). */
  packetsSent?: number;
  /** RTP packets the receiving leg had got when the audio was judged, the settle time included. */
  packetsArrived?: number;
  /** Audio the sending side sent while its tone played, ms (packets × its ptime; load-audio-time.ts). */
  audioSentMs?: number;
  /**
   * Audio the receiving leg decoded over the same window, the settle time included, ms: what
   * the shortfall check judges, whatever packet size the SBC sent (load-audio-time.ts).
   */
  audioArrivedMs?: number;
}

/** What happened to one call of the load. */
export interface LoadCallRecord {
  /** 0-based order in which the call was started. */
  index: number;
  /** The step of the ramp it ran in (0 without a ramp). */
  step: number;
  /** in: a PSTN phone calls an extension's DID; out: an extension calls a PSTN number. */
  direction: 'in' | 'out';
  /** The call shape of the mix (load-mix.ts): basic, a DTMF mode, hold or transfer. */
  shape: LoadShapeName;
  caller: string;
  callee: string;
  /** SIP Call-IDs of the caller's and the callee's legs (they differ through a B2BUA). */
  callIds: { caller?: string; callee?: string };
  /** When the INVITE left, ms from the start of the run. */
  startMs: number;
  /** When the call was over (both legs ended or given up), ms from the start of the run. */
  endMs?: number;
  /** INVITE → first non-100 provisional or 2xx (RFC 6076 SRD), ms. */
  requestDelayMs?: number;
  /**
   * INVITE → its final failure response (4xx, 5xx or 6xx), ms: the SRD of a failed session
   * setup (RFC 6076 §4.2.2). Absent for a call that was established or got no final response.
   */
  failedRequestDelayMs?: number;
  /** INVITE → 2xx (setup time), ms. */
  setupMs?: number;
  /** Final status of the caller's INVITE (undefined: none arrived). */
  status?: number;
  established: boolean;
  audio: LoadAudioDirection[];
  /** BYE → its 2xx on the caller's leg (RFC 6076 SDD), ms; absent when the BYE got no 2xx. */
  disconnectDelayMs?: number;
  /** Both legs ended after the hang-up within the release bound. */
  released: boolean;
  /** What failed, one sentence each (empty: the call met every per-call check). */
  failures: string[];
  /** Merged runs only: the agent that ran the call (its `index` is the merged start order). */
  agent?: number;
}

/** One of the runs a merged load result was made from (`sbc-harness merge`). */
export interface LoadAgentSummary {
  /** The agent's index (`--agent-index`), or the run's position on the merge's command line. */
  index: number;
  /** Where its results.json was read. */
  source: string;
  calls: number;
  failedCalls: number;
  startedAt: string;
  finishedAt: string;
  stoppedBy: string;
  /** The agent's first slot (its phones are load-<slotBase> onward). */
  slotBase?: number;
}

/** The thresholds a step must meet for its concurrency to count as carried. */
export interface LoadThresholds {
  /** Every direction of every call at least this MOS. */
  minMos: number;
  /** Setup time p95 strictly below this, ms. */
  maxSetupP95Ms: number;
  /** At most this many failed calls. */
  maxFailedCalls: number;
}

export const DEFAULT_LOAD_THRESHOLDS: LoadThresholds = {
  minMos: 4.0,
  maxSetupP95Ms: 1000,
  maxFailedCalls: 0,
};

/**
 * How far below its own best MOS a direction may fall when that best less this lies under the
 * threshold (mosRequired): the margin G.729's best (4.10) leaves under the default of 4.0.
 */
export const MOS_MARGIN_BELOW_BEST = 0.1;

/** codecBestMos by codec name. */
const BEST_MOS = new Map<string, number>();

/**
 * The best MOS the E-model (G.107) gives a codec: no loss, no jitter, no delay beyond the
 * codec's own (G.711 4.41, G.729 4.10, G.723.1 6.3k 3.95; codec-impairment.ts).
 */
export function codecBestMos(codec: string): number {
  let best = BEST_MOS.get(codec);
  if (best === undefined) {
    best = voipQuality({ codec: eModelCodec(codec), packetLossPercent: 0, jitterMs: 0, echo: 'none' }).mos;
    // Keyed by the codec names the calls carry (a handful); the breakage asks once per direction.
    if (BEST_MOS.size < 64) BEST_MOS.set(codec, best);
  }
  return best;
}

/**
 * The MOS a direction received in `codec` must reach: the lower of the threshold and the
 * codec's best less MOS_MARGIN_BELOW_BEST. The E-model's MOS carries the codec's own equipment
 * impairment (Ie), which the endpoints chose, not the SBC's load: a G.723.1 call (at best 3.95)
 * would otherwise miss a threshold of 4.0 with no loss and no delay. The lower of the two, so a
 * higher threshold never asks less (under the default 4.0: G.711 and G.722 4.0, G.729 4.0,
 * G.723.1 3.85).
 */
export function mosRequired(codec: string, minMos: number): number {
  return Math.min(minMos, Math.round(100 * (codecBestMos(codec) - MOS_MARGIN_BELOW_BEST)) / 100);
}

/**
 * The codecs received in `audio` that were held to less than the threshold (mosRequired), in
 * name order: what the report and the chart name beside the threshold.
 */
export function loweredMosCodecs(
  audio: { callerToCallee: DirectionFigures; calleeToCaller: DirectionFigures },
  minMos: number,
): Array<{ codec: string; label: string; required: number }> {
  const codecs = new Set<string>();
  for (const d of [audio.callerToCallee, audio.calleeToCaller])
    for (const c of Object.keys(d.lowestMosByCodec ?? {})) codecs.add(c);
  return [...codecs]
    .sort()
    .map((codec) => ({ codec, label: codecLabel(codec), required: mosRequired(codec, minMos) }))
    .filter((c) => c.required !== minMos);
}

/** The sentence saying which threshold a codec was held to, for the report and the verdicts. */
export function mosRequiredText(codec: string, minMos: number): string {
  const need = mosRequired(codec, minMos);
  return need === minMos
    ? `${minMos}`
    : `${need.toFixed(2)} for ${codecLabel(codec)} (its best E-model MOS ${codecBestMos(codec).toFixed(2)} less ${MOS_MARGIN_BELOW_BEST}, lower than the threshold ${minMos})`;
}

/** p50 / p95 / min / max of a set of values (undefined when empty). */
export interface Percentiles {
  n: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

export function percentiles(values: readonly number[]): Percentiles | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return {
    n: v.length,
    min: v[0] as number,
    p50: percentile(v, 50),
    p95: percentile(v, 95),
    max: v[v.length - 1] as number,
  };
}

/** RFC 6076 figures of a set of calls. */
export interface Rfc6076 {
  sessionRequests: number;
  /** SRD of the successful session setups (§4.2.1): INVITE to the first non-100 provisional or the 2xx. */
  sessionRequestDelayMs?: Percentiles;
  /** SRD of the failed session setups (§4.2.2): INVITE to its 4xx, 5xx or 6xx. */
  failedSessionRequestDelayMs?: Percentiles;
  /** SER, %. */
  sessionEstablishmentRatio: number;
  /** ISA, % of requests. */
  ineffectiveSessionAttempts: number;
  ineffectiveSessionAttemptCount: number;
  /** SDD of the BYEs sent. */
  sessionDisconnectDelayMs?: Percentiles;
}

const ISA_STATUSES = new Set([408, 500, 503, 504]);

export function rfc6076(calls: readonly LoadCallRecord[]): Rfc6076 {
  const n = calls.length;
  const ok = calls.filter((c) => c.status !== undefined && c.status >= 200 && c.status < 300).length;
  const redirected = calls.filter((c) => c.status !== undefined && c.status >= 300 && c.status < 400).length;
  const isa = calls.filter((c) => c.status === undefined || ISA_STATUSES.has(c.status)).length;
  // SRD is measured per outcome (RFC 6076 §4.2.1, §4.2.2): a setup that failed after a 180
  // counts among the failed ones, at its final response, not among the successful ones.
  const srd = percentiles(
    calls.flatMap((c) => (c.established && c.requestDelayMs !== undefined ? [c.requestDelayMs] : [])),
  );
  const failedSrd = percentiles(
    calls.flatMap((c) => (c.failedRequestDelayMs !== undefined ? [c.failedRequestDelayMs] : [])),
  );
  const sdd = percentiles(
    calls.flatMap((c) => (c.disconnectDelayMs !== undefined ? [c.disconnectDelayMs] : [])),
  );
  return {
    sessionRequests: n,
    ...(srd ? { sessionRequestDelayMs: srd } : {}),
    ...(failedSrd ? { failedSessionRequestDelayMs: failedSrd } : {}),
    sessionEstablishmentRatio: n - redirected > 0 ? (100 * ok) / (n - redirected) : 0,
    ineffectiveSessionAttempts: n > 0 ? (100 * isa) / n : 0,
    ineffectiveSessionAttemptCount: isa,
    ...(sdd ? { sessionDisconnectDelayMs: sdd } : {}),
  };
}

/** Audio figures of one direction (caller → callee or back) over a set of calls. */
export interface DirectionFigures {
  /** Calls with a measurement in this direction. */
  measured: number;
  /** Of them, how many heard no tone. */
  silent: number;
  /**
   * Of them, how many were judged on their packets arriving only: G.723.1 the SBC encoded
   * itself, which the harness cannot decode (LoadAudioDirection.notJudged). Absent when none.
   */
  notJudged?: number;
  lossPercent?: Percentiles;
  jitterMs?: Percentiles;
  mos?: Percentiles;
  /**
   * The lowest MOS by the codec the direction was received in: a step is judged against each
   * codec's own requirement (mosRequired). Absent in results.json files written before
   * 7 December 2026.
   */
  lowestMosByCodec?: Record<string, number>;
  delayMs?: Percentiles;
}

function directionFigures(dirs: readonly LoadAudioDirection[]): DirectionFigures {
  const pick = (f: (d: LoadAudioDirection) => number | undefined) =>
    percentiles(dirs.flatMap((d) => (f(d) !== undefined ? [f(d) as number] : [])));
  const loss = pick((d) => d.lossPercent);
  const jitter = pick((d) => d.jitterMs);
  const mos = pick((d) => d.mos);
  const delay = pick((d) => d.delayMs);
  const byCodec: Record<string, number> = {};
  for (const d of dirs) byCodec[d.codec] = Math.min(byCodec[d.codec] ?? d.mos, d.mos);
  const notJudged = dirs.filter((d) => d.notJudged).length;
  return {
    measured: dirs.length,
    silent: dirs.filter((d) => !d.heard).length,
    ...(notJudged > 0 ? { notJudged } : {}),
    ...(loss ? { lossPercent: loss } : {}),
    ...(jitter ? { jitterMs: jitter } : {}),
    ...(mos ? { mos, lowestMosByCodec: byCodec } : {}),
    ...(delay ? { delayMs: delay } : {}),
  };
}

/** The lowest MOS of either direction over some calls; undefined when none was measured. */
export function lowestMos(audio: {
  callerToCallee: DirectionFigures;
  calleeToCaller: DirectionFigures;
}): number | undefined {
  const a = audio.callerToCallee.mos?.min;
  const b = audio.calleeToCaller.mos?.min;
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/**
 * The MOS requirements a group of calls missed, one sentence per codec (mosRequired). Figures
 * without the lowest MOS by codec (older results.json) are held to the threshold as it is.
 */
export function mosMissed(
  audio: { callerToCallee: DirectionFigures; calleeToCaller: DirectionFigures },
  minMos: number,
): string[] {
  const dirs = [audio.callerToCallee, audio.calleeToCaller];
  if (dirs.some((d) => d.mos && !d.lowestMosByCodec)) {
    const low = lowestMos(audio);
    return low !== undefined && low < minMos
      ? [`lowest MOS ${low.toFixed(2)}, at least ${minMos} required`]
      : [];
  }
  const lowest = new Map<string, number>();
  for (const d of dirs)
    for (const [codec, mos] of Object.entries(d.lowestMosByCodec ?? {}))
      lowest.set(codec, Math.min(lowest.get(codec) ?? mos, mos));
  const out: string[] = [];
  for (const [codec, mos] of [...lowest].sort(([a], [b]) => a.localeCompare(b)))
    if (mos < mosRequired(codec, minMos))
      out.push(
        `lowest MOS ${mos.toFixed(2)}${lowest.size > 1 || mosRequired(codec, minMos) !== minMos ? ` (${codecLabel(codec)})` : ''}, at least ${mosRequiredText(codec, minMos)} required`,
      );
  return out;
}

/**
 * The sentence naming the directions whose audio was not judged (G.723.1 the SBC encoded
 * itself), or undefined when every direction was judged: a step that met the thresholds with
 * such directions met them on their packets arriving, not on their sound.
 */
export function notJudgedText(audio: {
  callerToCallee: DirectionFigures;
  calleeToCaller: DirectionFigures;
}): string | undefined {
  const n = (audio.callerToCallee.notJudged ?? 0) + (audio.calleeToCaller.notJudged ?? 0);
  return n === 0
    ? undefined
    : `${n} direction(s) carried G.723.1 that the SBC encoded itself: judged on their packets arriving only, their sound not (the harness has no G.723.1 decoder)`;
}

/** Figures of one group of calls (the whole run, or one step of the ramp). */
export interface LoadFigures {
  calls: number;
  failedCalls: number;
  /**
   * Of `failedCalls`, those with a failure on the harness's own side ("harness error: …": our
   * own RTP not sent, a transfer's targets not set up); absent when none.
   */
  harnessFailedCalls?: number;
  rfc6076: Rfc6076;
  setupMs?: Percentiles;
  /** Caller → callee audio, and callee → caller. */
  audio: { callerToCallee: DirectionFigures; calleeToCaller: DirectionFigures };
}

export function loadFigures(calls: readonly LoadCallRecord[]): LoadFigures {
  const setup = percentiles(calls.flatMap((c) => (c.setupMs !== undefined ? [c.setupMs] : [])));
  const harnessFailed = calls.filter((c) => c.failures.some(isHarnessFailure)).length;
  return {
    calls: calls.length,
    failedCalls: calls.filter((c) => c.failures.length > 0).length,
    ...(harnessFailed > 0 ? { harnessFailedCalls: harnessFailed } : {}),
    rfc6076: rfc6076(calls),
    ...(setup ? { setupMs: setup } : {}),
    audio: {
      callerToCallee: directionFigures(calls.flatMap((c) => (c.audio[0] ? [c.audio[0]] : []))),
      calleeToCaller: directionFigures(calls.flatMap((c) => (c.audio[1] ? [c.audio[1]] : []))),
    },
  };
}

/** A call failure of the harness's own side: load-run.ts writes them "harness error: …" (also after a shape's name). */
export function isHarnessFailure(failure: string): boolean {
  return /(?:^|: )harness error\b/.test(failure);
}

/** Why a step did or did not meet the thresholds. */
export interface StepVerdict {
  met: boolean;
  /** One sentence per threshold missed. */
  missed: string[];
}

/**
 * The harness's own event-loop lateness over a step (harness/support/loop-lateness.ts), ms: how
 * late its timers and sockets were served. The provider, the OXO and every check share that
 * loop, so this is the harness's own lateness, not the SBC's.
 */
export interface HarnessLag {
  p99Ms: number;
  maxMs: number;
  /** Share of the step's time spent in stalls over 200 ms (0..1; absent in older results). */
  stalledShare?: number;
}

/** A step whose harness spent more than this share of its time in stalls over 200 ms is not met. */
export const MAX_HARNESS_STALLED_SHARE = 0.05;

/**
 * A step whose harness was late by more than this at its 99th percentile is not met, ms. The
 * RTP send clock sends at most 10 overdue packets (200 ms at 20 ms) and skips older slots, and
 * every timer of the calls (their hold time, their waits) runs that late: the step's figures
 * are then the harness's, not the SBC's.
 */
export const MAX_HARNESS_LAG_P99_MS = 200;

export function judgeStep(
  f: LoadFigures,
  t: LoadThresholds,
  lag?: HarnessLag,
  reach?: { peak: number; target: number },
): StepVerdict {
  const missed: string[] = [];
  // A step shows its concurrency only if that many calls were in flight at once.
  if (reach && reach.peak < reach.target)
    missed.push(
      `at most ${reach.peak} call(s) were in flight at once, not the step's ${reach.target}: the step does not show that concurrency (a longer --step-s or a higher --rate lets it fill; --calls or --duration-s may end it first, and calls that fail at once keep fewer in flight)`,
    );
  if (lag && lag.p99Ms > MAX_HARNESS_LAG_P99_MS)
    missed.push(
      `the harness itself fell behind: its event loop was ${Math.round(lag.p99Ms)} ms late at p99 (${MAX_HARNESS_LAG_P99_MS} ms allowed), so this step's figures are the harness's, not the SBC's`,
    );
  else if (lag?.stalledShare !== undefined && lag.stalledShare > MAX_HARNESS_STALLED_SHARE)
    missed.push(
      `the harness itself fell behind: its event loop stalled over 200 ms for ${(100 * lag.stalledShare).toFixed(1)} % of the step (${100 * MAX_HARNESS_STALLED_SHARE} % allowed), so this step's figures are the harness's, not the SBC's`,
    );
  if (f.calls === 0) missed.push('no call ran in this step');
  if (f.harnessFailedCalls)
    missed.push(
      `${f.harnessFailedCalls} call(s) failed on the harness's own side (see their "harness error" failures), so this step's figures are partly the harness's, not the SBC's`,
    );
  if (f.failedCalls > t.maxFailedCalls)
    missed.push(`${f.failedCalls} failed call(s), at most ${t.maxFailedCalls} allowed`);
  const p95 = f.setupMs?.p95;
  if (f.calls > 0 && (p95 === undefined || !(p95 < t.maxSetupP95Ms)))
    missed.push(
      p95 === undefined
        ? 'no call was set up'
        : `setup time p95 ${Math.round(p95)} ms, below ${t.maxSetupP95Ms} ms required`,
    );
  missed.push(...mosMissed(f.audio, t.minMos));
  return { met: missed.length === 0, missed };
}

/**
 * One sentence naming the steps in which the harness itself fell behind (event loop later than
 * {@link MAX_HARNESS_LAG_P99_MS} at p99), or undefined when it kept up in every step.
 */
export function harnessBehind(r: { steps: readonly LoadStep[] }): string | undefined {
  const late = r.steps.filter(
    (s) =>
      s.harnessLag &&
      (s.harnessLag.p99Ms > MAX_HARNESS_LAG_P99_MS ||
        (s.harnessLag.stalledShare ?? 0) > MAX_HARNESS_STALLED_SHARE),
  );
  if (late.length === 0) return undefined;
  const worst = Math.max(...late.map((s) => s.harnessLag?.p99Ms ?? 0));
  return `fell behind in the step(s) at ${late.map((s) => s.concurrency).join(', ')} concurrent calls (event loop up to ${Math.round(worst)} ms late at p99, ${MAX_HARNESS_LAG_P99_MS} ms allowed): what broke there may be the harness's own lateness, not the SBC's; use more agents (--agents) or fewer calls per agent`;
}

/** One step of the load: its target concurrency, its calls' figures and verdict. */
export interface LoadStep {
  step: number;
  concurrency: number;
  /** Highest number of calls actually in flight at once during the step. */
  peakInFlight: number;
  durationS: number;
  /** Calls started in the step / seconds from its start to its end or its last call's end. */
  callsPerSecond: number;
  figures: LoadFigures;
  /** The harness's own event-loop delay during the step (absent in results of older versions). */
  harnessLag?: HarnessLag;
  verdict: StepVerdict;
}

/**
 * The knee: the highest target concurrency reached before the first step that missed a
 * threshold (steps in ramp order). A step that meets the thresholds after one that missed is
 * not trusted for the knee: see {@link highestMet}. When no step missed, this is the highest
 * target run, a lower bound of the capacity: see {@link kneeReached}.
 */
export function knee(steps: readonly LoadStep[]): number | undefined {
  let k: number | undefined;
  for (const s of steps) {
    if (!s.verdict.met) break;
    k = Math.max(k ?? 0, s.concurrency);
  }
  return k;
}

/**
 * Whether the ramp reached the capacity limit: some step missed a threshold. When every step met
 * them, the knee is only the highest target run: the limit lies at or above it.
 */
export function kneeReached(steps: readonly LoadStep[]): boolean {
  return steps.some((s) => !s.verdict.met);
}

/**
 * Why the knee was not found ("every step met the thresholds, …"), or undefined when it was (or
 * no step met the thresholds). `planned`: the targets the ramp was to run; `stoppedBy`: what ended the run.
 */
export function kneeNotReached(
  steps: readonly LoadStep[],
  planned: readonly number[],
  stoppedBy: string,
): string | undefined {
  const k = knee(steps);
  if (k === undefined || kneeReached(steps)) return undefined;
  if (steps.length < planned.length)
    return `the run stopped (${stoppedBy}) after ${steps.length} of the ramp's ${planned.length} steps, every one of which met the thresholds, up to ${k} concurrent calls; the capacity is at least ${k} (more --calls or a longer --duration-s runs the higher targets)`;
  return `every step met the thresholds, up to ${k} concurrent calls; the capacity is at least ${k} (a ramp to higher targets finds the knee)`;
}

/** The highest target concurrency of any step that met every threshold, if any did. */
export function highestMet(steps: readonly LoadStep[]): number | undefined {
  const met = steps.filter((s) => s.verdict.met).map((s) => s.concurrency);
  return met.length > 0 ? Math.max(...met) : undefined;
}

/**
 * The worst calls, failed ones first (most failures first), then the lowest MOS, then the
 * slowest setup; at most `n`.
 */
export function worstCalls(calls: readonly LoadCallRecord[], n = 5): LoadCallRecord[] {
  const minMos = (c: LoadCallRecord) =>
    c.audio.length > 0 ? Math.min(...c.audio.map((d) => d.mos)) : Number.NEGATIVE_INFINITY;
  return [...calls]
    .sort(
      (a, b) =>
        b.failures.length - a.failures.length ||
        minMos(a) - minMos(b) ||
        (b.setupMs ?? Number.POSITIVE_INFINITY) - (a.setupMs ?? Number.POSITIVE_INFINITY) ||
        a.index - b.index,
    )
    .slice(0, n);
}

/**
 * The figures of each call shape that ran, in {@link LOAD_SHAPES} order (a record without a
 * shape, from before the mix existed, counts as basic).
 */
export function shapeFigures(calls: readonly LoadCallRecord[]): Partial<Record<LoadShapeName, LoadFigures>> {
  const out: Partial<Record<LoadShapeName, LoadFigures>> = {};
  for (const s of LOAD_SHAPES) {
    const of = calls.filter((c) => (c.shape ?? 'basic') === s);
    if (of.length > 0) out[s] = loadFigures(of);
  }
  return out;
}
