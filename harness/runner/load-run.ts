/**
 * A load run (`sbc-harness load`): many basic calls through the SBC at once, each with its own
 * media legs and a tone both ways, each judged on its own, and the figures of a capacity report
 * computed from what happened (load-figures.ts).
 *
 * Call shapes: the plan's basic call by default; `mix` adds DTMF in each mode, hold/resume and
 * transfer (load-mix.ts, load-call-shapes.ts). Direction `in`: a PSTN phone calls an
 * extension's DID; `out`: an extension calls a PSTN number through the trunk. Once both legs
 * are up the shape runs its steps, each ending with the audio check of the plan (Checks.audio:
 * tone heard, loss, jitter, E-model MOS with the one-way delay measured on one clock, G.114
 * bound) for the hold time; then the caller hangs up and the callee's leg must end within
 * {@link CALL_RELEASE_BOUND_MS} (the call invariant "both legs released together").
 *
 * Concurrency: calls run in slots. Slot i owns a provider phone of its own (number
 * +4940556NNNN, added to the lab's provider) so the two legs of a call are paired by number
 * whatever the SBC does to Call-IDs, as the call invariants pair them; the PBX side spreads
 * the calls over Premium Deskphone 1 and 2, whose lines are raised to the concurrency
 * (the OXO's multi-line option). A step ramp runs each target concurrency for a fixed time,
 * starting a new call whenever one ends.
 */
import {
  type Call,
  type CallMediaPrefs,
  type CallRegistry,
  type Extension,
  type Lab,
  MediaLeg,
  type PstnPhone,
  partyOf,
  providerPhonePrefs,
  type TrackedCall,
} from '../actors/index.ts';
import type { SipRequest } from '../sip/index.ts';
import { type Clock, systemClock } from '../support/clock.ts';
import { LoopLateness } from '../support/loop-lateness.ts';
import { sendHeldNow } from '../support/turn-end-sends.ts';
import { CALL_RELEASE_BOUND_MS, CallWatch, callRegistries, MEDIA_SETTLE_MS } from './call-invariants.ts';
import { Checks } from './checks.ts';
import { probePair } from './hang-up-probe.ts';
import { loadAudioMs } from './load-audio-time.ts';
import {
  type LoadBreakage,
  type LoadFaultFinding,
  loadBreakage,
  loadFaultFindings,
} from './load-breakage.ts';
import { LOAD_SHAPE_BY_NAME, mixProblems, shapeDirections } from './load-call-shapes.ts';
import {
  DEFAULT_LOAD_THRESHOLDS,
  type HarnessLag,
  highestMet,
  judgeStep,
  knee,
  type LoadAgentSummary,
  type LoadCallRecord,
  type LoadFigures,
  type LoadStep,
  type LoadThresholds,
  loadFigures,
  percentiles,
  shapeFigures,
  worstCalls,
} from './load-figures.ts';
import { DEFAULT_LOAD_MIX, type LoadMix, type LoadShapeName, MixSchedule, mixShapes } from './load-mix.ts';
import { type LoadRuleStats, LoadRuleWatch } from './load-rules.ts';
import type { LoadShapeOutcome } from './load-shape.ts';
import { profileSbcHosts, SipSendWatch, simulatorSipSenders } from './sip-send-failures.ts';

/** Largest number of calls and of concurrent calls one run takes. */
export const MAX_LOAD_CALLS = 100_000;
export const MAX_LOAD_CONCURRENCY = 1000;
/** A call not established this long after its INVITE is cancelled and counted failed, ms. */
export const LOAD_SETUP_TIMEOUT_MS = 15_000;
/** results.json `schema` of a load run (docs/load.md documents it). */
export const LOAD_RESULTS_SCHEMA = 'sbc-harness/load-results@1';

export interface LoadOptions {
  /** A started lab (the embedded SBC, or the provider and OXO around an external one). */
  lab: Lab;
  /** Total calls to start (1 to {@link MAX_LOAD_CALLS}). */
  calls: number;
  /** Target concurrency of each step: one value for a fixed target, several for a step ramp. */
  steps: number[];
  /**
   * Seconds each step lasts (required with several steps). A single step given it ends after it
   * too (`ramp-end`), as every step of a ramp does.
   */
  stepS?: number;
  /** Seconds each call is held after it is established. */
  holdS: number;
  /**
   * Most calls started per second. Default: each step's target concurrency divided by the hold
   * time, at least 1 ({@link defaultStartRate}), the rate that keeps the target in flight (Little's law), so
   * a step fills within about one hold time and its calls start, and so end, spread out rather
   * than all at once.
   */
  ratePerS?: number;
  direction: 'in' | 'out' | 'both';
  /** Weights of the call shapes (default: basic only). */
  mix?: LoadMix;
  /** No call is started after this many seconds. */
  durationS?: number;
  thresholds?: LoadThresholds;
  /** Called about once a second while calls run. */
  onProgress?: (p: LoadProgress) => void;
  clock?: Clock;
  /** Stops starting calls when it fires (Ctrl-C). */
  signal?: AbortSignal;
  /** First slot number of this run's provider phones (an agent's range, load-agents.ts); default 0. */
  slotBase?: number;
  /** This run is agent `index` of `count` (written in results.json for the merge). */
  agent?: { index: number; count: number };
  /** Keep every call in results.json, not only the first 10 000 (agents: the merge recomputes from them). */
  keepAllCalls?: boolean;
}

/** A live progress sample. */
export interface LoadProgress {
  elapsedS: number;
  step: number;
  concurrency: number;
  inFlight: number;
  started: number;
  finished: number;
  failed: number;
  /** Calls finished per second over the last sample period. */
  callsPerSecond: number;
  /** MOS p50 and min over the last 500 calls started that have one, both directions. */
  mosP50?: number;
  mosMin?: number;
  /** Setup time p95 over the last 500 calls started that were set up, ms. */
  setupP95Ms?: number;
}

/** results.json of a load run (docs/load.md, "results.json"). */
export interface LoadResult {
  schema: typeof LOAD_RESULTS_SCHEMA;
  startedAt: string;
  finishedAt: string;
  options: {
    calls: number;
    steps: number[];
    stepS?: number;
    holdS: number;
    /** Most calls started per second, when given (absent: each step's target over the hold time). */
    ratePerS?: number;
    direction: 'in' | 'out' | 'both';
    durationS?: number;
    /** Weights of the call shapes. */
    mix: LoadMix;
  };
  /**
   * The SBC the load ran through: its kind, the profile's `sbc.model` and `sbc.firmware`, the
   * profile's name, the embedded SBC's personalities and faults (the first four absent in
   * results written before 7 December 2026, and when empty). `providerSrtp`: the provider's
   * phones offered and required SRTP, as the profile's `provider.srtp` says (absent: plain RTP).
   */
  sbc: {
    kind: string;
    model?: string;
    firmware?: string;
    profile?: string;
    personality?: string[];
    faults: string[];
    providerSrtp?: true;
  };
  thresholds: LoadThresholds;
  /** Why calls stopped being started. */
  stoppedBy: 'calls' | 'duration' | 'ramp-end' | 'interrupted';
  steps: LoadStep[];
  total: LoadFigures;
  /** The figures of each call shape that ran. */
  shapes: Partial<Record<LoadShapeName, LoadFigures>>;
  /** Highest target concurrency before the first step that missed a threshold; absent when the first missed. */
  knee?: number;
  /** Highest target concurrency of any step that met every threshold (a noisy host can pass a higher step after a miss). */
  highestMet?: number;
  worst: LoadCallRecord[];
  /** Calls the embedded SBC still held at the end (not known for an external SBC). */
  sbcCallsLeftUp?: number;
  /** What broke, by kind: lost calls, degraded audio, legs left up (load-breakage.ts). */
  breakage: LoadBreakage[];
  /**
   * What the SIP and RTP rules judged over the run (load-rules.ts): calls, messages and packets
   * judged, calls that broke a rule. Absent in results written before 7 December 2026.
   */
  rules?: LoadRuleStats;
  /** Each fault switch that was on, what it should break and whether the run caught it. */
  faultFindings: LoadFaultFinding[];
  /** The progress samples, one a second (at most {@link MAX_TIMELINE}). */
  timeline: LoadProgress[];
  /** Every call, in start order (at most the first 10 000; `callsTruncated` says so). */
  calls: LoadCallRecord[];
  callsTruncated?: boolean;
  /** An agent's run (`load --agent-index`): which one, and the first slot of its range. */
  agent?: { index: number; count: number; slotBase: number };
  /** A merged run (`sbc-harness merge`): the runs it was merged from (load-merge.ts). */
  agents?: LoadAgentSummary[];
}

const MAX_CALLS_KEPT = 10_000;
/** Most progress samples kept in results.json (two hours at one a second). */
export const MAX_TIMELINE = 7200;

/** The number of the provider phone of slot `i`. */
export function loadPhoneNumber(i: number): string {
  return `+4940556${String(i).padStart(4, '0')}`;
}

function last7(s: string | undefined): string {
  return (s ?? '').replace(/\D/g, '').slice(-7);
}

/**
 * The keys an incoming OXO leg may be paired by: the caller's number in P-Asserted-Identity
 * first, then in From. An SBC may carry the caller only in P-Asserted-Identity toward its
 * trusted PBX and put another URI in From (RFC 3325 §9.1; RFC 3323 §4.1.1.3's anonymous From),
 * or only in From; either pairs. Numbers without 7 digits are no key.
 */
export function callerKeys(call: Pick<Call, 'assertedIdentity' | 'remoteParty'>): string[] {
  const keys: string[] = [];
  for (const party of [call.assertedIdentity, call.remoteParty]) {
    const n = last7(party?.user ?? party?.uri);
    if (n.length === 7 && !keys.includes(`from:${n}`)) keys.push(`from:${n}`);
  }
  return keys;
}

/**
 * The keys of {@link callerKeys}, read from an incoming INVITE before its leg exists: the
 * caller's number in P-Asserted-Identity, then in From.
 */
export function requestCallerKeys(invite: SipRequest): string[] {
  return callerKeys({
    assertedIdentity: partyOf(invite.get('p-asserted-identity')),
    remoteParty: partyOf(invite.get('from')),
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves true when `p` resolves first, false after `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    p.then(() => true),
    new Promise<boolean>((res) => {
      t = setTimeout(() => res(false), ms);
    }),
  ]);
  clearTimeout(t);
  return r;
}

/** Most calls started per second that `--rate` accepts. */
export const MAX_LOAD_RATE = 1000;
/** Fewest calls started per second that `--rate` accepts (one call every 100 s). */
export const MIN_LOAD_RATE = 0.01;

/**
 * The default start rate of a step: its target concurrency over the hold time (Little's law:
 * calls in flight = arrival rate × time each call lasts), at least one call a second.
 */
export function defaultStartRate(target: number, holdS: number): number {
  return Math.max(1, target / holdS);
}

/** Validates the options; returns a sentence per problem (empty: fine). */
export function loadOptionProblems(o: {
  calls: number;
  steps: number[];
  stepS?: number | undefined;
  holdS: number;
  durationS?: number | undefined;
  ratePerS?: number | undefined;
}): string[] {
  const p: string[] = [];
  if (o.ratePerS !== undefined && !(o.ratePerS >= MIN_LOAD_RATE && o.ratePerS <= MAX_LOAD_RATE))
    p.push(`--rate must be from ${MIN_LOAD_RATE} to ${MAX_LOAD_RATE} calls per second`);
  if (!Number.isInteger(o.calls) || o.calls < 1 || o.calls > MAX_LOAD_CALLS)
    p.push(`--calls must be a whole number from 1 to ${MAX_LOAD_CALLS}`);
  if (o.steps.length === 0 || o.steps.some((c) => !Number.isInteger(c) || c < 1 || c > MAX_LOAD_CONCURRENCY))
    p.push(`each concurrency must be a whole number from 1 to ${MAX_LOAD_CONCURRENCY}`);
  if (o.steps.length > 1 && o.stepS === undefined)
    p.push('--ramp needs --step-s, seconds per step (above 0, at most 3600)');
  else if (o.stepS !== undefined && (!(o.stepS > 0) || o.stepS > 3600))
    p.push('--step-s must be above 0 and at most 3600 seconds');
  if (!Number.isFinite(o.holdS) || o.holdS < 1 || o.holdS > 3600)
    p.push('--hold-s must be from 1 to 3600 seconds');
  if (o.durationS !== undefined && (!(o.durationS > 0) || o.durationS > 86_400))
    p.push('--duration-s must be above 0 and at most 86400');
  return p;
}

/**
 * What failed in the answer to a call's BYE, as a sentence of `whose` BYE ("the caller's"), or
 * undefined when it got a 2xx or none was sent. A UAS answers a BYE in its dialog with a 2xx
 * (RFC 3261 §15.1.2); a status the stack made up (no final response: 408 after 64*T1, 503 on a
 * transport error) is told as such. Not held against the SBC: a 481, the legal answer to a BYE
 * that crossed one the SBC sent on that leg itself (a dialog the SBC lost shows in the release
 * check instead), a 408 that arrived (a proxy's when its next hop did not answer; the release
 * check judges the far leg), and a 401 or 407, a challenge the harness does not answer for a BYE.
 */
export function byeFailure(
  out: { status: number; response?: unknown } | undefined,
  whose: string,
): string | undefined {
  if (!out || (out.status >= 200 && out.status < 300)) return undefined;
  // As the SIP validator's rule bye-2xx: 481 (BYEs crossed), 408 (a proxy whose next hop did not
  // answer: the release check judges the far leg), 401 and 407 (a challenge).
  if (out.response !== undefined && [401, 407, 408, 481].includes(out.status)) return undefined;
  return out.response !== undefined
    ? `${whose} BYE was answered ${out.status}, not 2xx (RFC 3261 §15.1.2)`
    : `${whose} BYE got no final response (${out.status === 408 ? 'timeout after 64*T1' : 'transport error'})`;
}

/** The parties of a load run: one provider phone per slot, the extensions the calls spread over. */
class Parties {
  readonly phones: PstnPhone[] = [];
  readonly extensions: Extension[];
  /** Callee legs delivered before their slot asked, by key. */
  private readonly arrived = new Map<string, Call>();
  /** Codecs of one incoming extension leg, by extension and caller key (preferFrom). */
  private readonly preferred = new Map<string, CallMediaPrefs>();
  private readonly waiting = new Map<string, (c: Call) => void>();
  /** The actors' call registries: what each call's legs did, for the media invariant. */
  readonly registries: CallRegistry[];
  /** The plan's first call invariant, applied to each call's own legs (legMedia). */
  readonly media: CallWatch;
  /** The simulators' SIP transports and the profile's SBC host names (SipSendWatch, per call). */
  readonly sipSenders: ReturnType<typeof simulatorSipSenders>;
  readonly sbcHosts: ReadonlySet<string>;

  constructor(lab: Lab, slots: number, slotBase = 0) {
    this.registries = callRegistries(lab);
    this.media = new CallWatch(this.registries);
    this.sipSenders = simulatorSipSenders(lab);
    this.sbcHosts = profileSbcHosts(lab);
    const provider = lab.provider;
    const oxo = lab.oxo;
    if (!provider || !oxo) throw new Error('a load run needs the lab provider and OXO trunk');
    for (let n = 0; n < slots; n++) {
      const i = slotBase + n;
      const id = `load-${i}`;
      let ph: PstnPhone | undefined;
      try {
        ph = provider.phone(id);
      } catch {
        ph = undefined;
      }
      if (!ph) {
        const added = provider.addPhone({
          id,
          number: loadPhoneNumber(i),
          displayName: `Load ${i}`,
          // The provider's codecs, telephone-events and SRTP as the profile describes them, as
          // for the plan's phones (an SBC set up for a provider that requires SRTP refuses RTP).
          prefs: providerPhonePrefs(lab.profile),
        });
        added.on('call', (call) => {
          void added.nextIncoming(); // this run pairs calls itself; keep the phone's queue empty
          this.deliver(`phone:${added.id}`, call);
        });
        ph = added;
      }
      this.phones.push(ph);
    }
    const exts = (['deskphone1', 'deskphone2'] as const).flatMap((id) => {
      try {
        return [oxo.extension(id)];
      } catch {
        return [];
      }
    });
    if (exts.length === 0) throw new Error('a load run needs deskphone1 or deskphone2 in the profile');
    this.extensions = exts;
    oxo.profile.multiLine = true;
    for (const e of exts) {
      e.incomingPrefs = (invite) => {
        for (const k of requestCallerKeys(invite)) {
          const p = this.preferred.get(`${e.id}|${k}`);
          if (p) return p;
        }
        return undefined;
      };
      e.lines = Math.max(e.lines, Math.ceil(slots / exts.length) + 1);
      e.on('incoming', (call) => {
        void e.nextIncoming(); // this run pairs calls itself; keep the set's queue empty
        this.deliver(callerKeys(call), call);
      });
    }
  }

  /** Hands `call` to the slot waiting for one of `keys` (the first that waits wins). */
  private deliver(keys: string | readonly string[], call: Call): void {
    // A leg with no caller number in P-Asserted-Identity or From keeps the key of no number, as
    // before: the slot waiting for it never gets it ("never arrived"); a second such leg ends it.
    const all = typeof keys === 'string' ? [keys] : keys.length > 0 ? keys : ['from:'];
    for (const key of all) {
      const w = this.waiting.get(key);
      if (w) {
        this.waiting.delete(key);
        w(call);
        return;
      }
    }
    // Nobody waits (a leg arriving after its call gave up): end it rather than keep it.
    for (const key of all) {
      const old = this.arrived.get(key);
      if (old && old !== call) void old.hangup().catch(() => undefined);
      this.arrived.set(key, call);
    }
  }

  /**
   * Gives `ext`'s leg of the call from `phone` the codecs `prefs` (its other calls keep the
   * extension's own), chosen by the caller keys of the INVITE it gets. Returns the release.
   */
  preferFrom(ext: Extension, phone: PstnPhone, prefs: CallMediaPrefs): () => void {
    const key = `${ext.id}|${this.key(phone, 'in')}`;
    this.preferred.set(key, prefs);
    return () => {
      if (this.preferred.get(key) === prefs) this.preferred.delete(key);
    };
  }

  /** Key of the callee leg of a call from or to `phone`. */
  key(phone: PstnPhone, direction: 'in' | 'out'): string {
    return direction === 'in' ? `from:${last7(phone.number)}` : `phone:${phone.id}`;
  }

  /** The callee leg for `key`, when it arrives; `cancel` stops waiting. */
  expect(key: string): { promise: Promise<Call>; cancel: () => void } {
    const stale = this.arrived.get(key);
    if (stale) {
      // Left by an earlier call of this slot that gave up: not ours.
      this.arrived.delete(key);
      void stale.hangup().catch(() => undefined);
    }
    const promise = new Promise<Call>((r) => this.waiting.set(key, r));
    return { promise, cancel: () => this.waiting.delete(key) };
  }

  /** The record of a leg of ours and the registry that keeps it (trackedOf). */
  tracked(call: Call): { t: TrackedCall; reg: CallRegistry } | undefined {
    for (const reg of this.registries) {
      const t = reg.trackedOf(call);
      if (t) return { t, reg };
    }
    return undefined;
  }

  /**
   * The plan's invariant "RTP flows both ways on every call from answer to hang-up" over one
   * call's own legs (paired among themselves, as the plan pairs a case's): its failures, each
   * a sentence naming the leg, the moment and the length of the gap.
   */
  legMedia(legs: Iterable<Call>, clock: Clock, pair?: [Call, Call]): string[] {
    const tracked: TrackedCall[] = [];
    for (const c of legs) {
      const t = this.tracked(c)?.t;
      if (t) tracked.push(t);
    }
    // The two legs of a call that no transfer moved are known for sure: paired so, whatever
    // numbers the SBC wrote on them.
    const a = pair ? this.tracked(pair[0])?.t : undefined;
    const b = pair ? this.tracked(pair[1])?.t : undefined;
    const check = new Checks(clock);
    this.media.judgeMediaOf(check, tracked, a && b ? [[a, b]] : undefined);
    return check.failed.map((f) => f.failure ?? f.name);
  }

  /** Ends a leg for `key` that arrived after its call stopped waiting. */
  async dropLate(key: string, mine: Call | undefined): Promise<void> {
    const c = this.arrived.get(key);
    this.arrived.delete(key);
    if (c && c !== mine) await c.hangup().catch(() => undefined);
  }
}

/**
 * How a caller's INVITE ended that set up no call: the final response as it arrived, or what
 * the stack made up when none did (RFC 3261 §17.1.1.2 Timer B: 408; §8.1.3.1, a transport
 * error: 503), said as such, so that no status is put in the SBC's mouth.
 */
export function inviteEnd(c: Pick<Call, 'status' | 'finalResponse'>): string {
  if (c.finalResponse) return `final response ${c.finalResponse.status}`;
  if (c.status === 408) return 'no final response to the INVITE within 64*T1 (Timer B)';
  if (c.status === 503) return 'the INVITE could not be sent (a transport error; no response arrived)';
  return 'no final response to the INVITE';
}

/** One call of the load, start to end, never throwing: what happened goes in the record. */
async function runCall(
  parties: Parties,
  lab: Lab,
  slot: number,
  rec: LoadCallRecord,
  holdMs: number,
  clock: Clock,
  rules: LoadRuleWatch,
): Promise<void> {
  const shape = LOAD_SHAPE_BY_NAME[rec.shape];
  // SIP of the simulators that could not leave this host from now on (sip-send-failures.ts).
  const sipSends = new SipSendWatch(parties.sipSenders, parties.sbcHosts);
  const phone = parties.phones[slot] as PstnPhone;
  const ext = parties.extensions[slot % parties.extensions.length] as Extension;
  rec.caller = rec.direction === 'in' ? `${phone.id} (${phone.number})` : ext.name;
  rec.callee = rec.direction === 'in' ? ext.name : `${phone.id} (${phone.number})`;
  let caller: Call | undefined;
  let callee: Call | undefined;
  let moved: LoadShapeOutcome | undefined;
  // Every leg the shape made or took, whatever became of it (judged by the rules below).
  const shapeLegs = new Set<Call>();
  const key = parties.key(phone, rec.direction);
  const pending = parties.expect(key);
  // The callee's leg as soon as it arrives, whatever became of the call: what our side of it
  // could not send is ours even when the call was never set up.
  let delivered: Call | undefined;
  void pending.promise.then((leg) => {
    delivered = leg;
  });
  const undo = shape.before?.(phone);
  // This call's own codecs at the extension, when the shape asks (the others keep theirs): on
  // the INVITE it sends, or on the one it gets from this slot's phone.
  const extPrefs = shape.extensionPrefs?.(ext);
  const unprefer = extPrefs && rec.direction === 'in' ? parties.preferFrom(ext, phone, extPrefs) : undefined;
  try {
    let t0: number;
    if (rec.direction === 'in') {
      caller = await phone.call(ext.did);
      // The INVITE is queued for the end of this turn (support/turn-end-sends.ts): sent now,
      // the session request delay starts when it leaves.
      sendHeldNow();
      t0 = clock.now();
    } else {
      const placed = await ext.call(`${lab.profile.oxo.outgoingPrefix}${phone.number}`, extPrefs);
      sendHeldNow();
      t0 = clock.now();
      if (!('media' in placed)) {
        rec.failures.push(`${ext.name} dialled ${phone.number} but the PBX kept the call internal`);
        pending.cancel();
        return;
      }
      caller = placed;
    }
    rec.callIds.caller = caller.invite?.get('call-id');
    const c = caller;
    c.once('ringing', () => {
      rec.requestDelayMs ??= clock.now() - t0;
    });
    let established = false;
    const answered = await within(
      c.established().then((ok) => {
        established = ok;
      }),
      LOAD_SETUP_TIMEOUT_MS,
    );
    // As it arrived: not the stack's own 408 (no answer within 64*T1) or 503 (not sent).
    rec.status = c.finalResponse?.status;
    if (!answered) {
      rec.failures.push(`not established within ${LOAD_SETUP_TIMEOUT_MS / 1000} s; cancelled`);
      await c.hangup().catch(() => undefined);
      pending.cancel();
      return;
    }
    if (!established) {
      // RFC 6076 §4.2.2: a failure response that arrived, not a status our own stack made up.
      if ((c.finalResponse?.status ?? 0) >= 400) rec.failedRequestDelayMs = clock.now() - t0;
      rec.failures.push(`call not established: ${inviteEnd(c)}`);
      pending.cancel();
      return;
    }
    const setup = clock.now() - t0;
    rec.setupMs = setup;
    rec.requestDelayMs ??= setup;
    rec.established = true;
    const legUp = await within(
      pending.promise.then((leg) => {
        callee = leg;
      }),
      CALL_RELEASE_BOUND_MS,
    );
    if (!legUp || !callee) {
      pending.cancel();
      rec.failures.push(
        `the caller got a 2xx but no leg reached ${rec.callee} within ${CALL_RELEASE_BOUND_MS / 1000} s`,
      );
      await c.hangup().catch(() => undefined);
      return;
    }
    const d = callee;
    rec.callIds.callee = d.invite?.get('call-id');
    if (!(await within(d.established(), CALL_RELEASE_BOUND_MS))) {
      rec.failures.push(`${rec.callee}'s leg never reached the established state`);
    } else {
      await sleep(MEDIA_SETTLE_MS);
      const callerParty = { call: c, name: rec.caller };
      const calleeParty = { call: d, name: rec.callee };
      const deskIsCaller = rec.direction === 'out';
      moved = await shape.run({
        lab,
        rec,
        slot,
        caller: callerParty,
        callee: calleeParty,
        phone,
        ext,
        desk: deskIsCaller ? callerParty : calleeParty,
        pstn: deskIsCaller ? calleeParty : callerParty,
        audioMs: loadAudioMs(holdMs),
        clock,
        legs: shapeLegs,
      });
    }
    // The caller hangs up: BYE → final response is the RFC 6076 disconnect delay.
    // After a transfer: the transferee hangs up and the target's leg must end.
    const bye = moved?.hangup.call ?? c;
    const far = moved?.far ?? { call: d, name: rec.callee };
    // A phone silent until now first plays a short tone (hang-up-probe.ts): silence the SBC
    // left out (legal, RFC 3551 §4.1) is then told from media that stopped.
    const a = parties.tracked(bye);
    const b = parties.tracked(far.call);
    if (a && b) await probePair(a.t, b.t, a.reg);
    const tBye = clock.now();
    const byeOut = await bye.hangup().catch(() => undefined);
    const byeMs = clock.now() - tBye;
    // SDD (RFC 6076 §4.4): the BYE to its 2xx. Its timeout (the stack's own 408 after 64*T1,
    // which §4.4 also counts) is left out: it would be the stack's wait, not the SBC's delay. A
    // UAS answers a BYE in its dialog with a 2xx (RFC 3261 §15.1.2): anything else, or nothing,
    // fails the call.
    if (byeOut?.response && byeOut.status >= 200 && byeOut.status < 300) rec.disconnectDelayMs = byeMs;
    const byeFailed = byeFailure(byeOut, moved ? `${rec.shape}: the transferee's` : "the caller's");
    if (byeFailed) rec.failures.push(byeFailed);
    rec.released = await within(far.call.ended(), CALL_RELEASE_BOUND_MS);
    if (!rec.released) {
      rec.failures.push(
        `${moved ? `${rec.shape}: ` : ''}${far.name}'s leg still up ${CALL_RELEASE_BOUND_MS / 1000} s after the ${moved ? "transferee's" : "caller's"} BYE (leg not released)`,
      );
      await far.call.hangup().catch(() => undefined);
    }
    for (const o of moved?.others ?? [])
      if (!(await within(o.call.ended(), CALL_RELEASE_BOUND_MS))) {
        rec.released = false;
        rec.failures.push(
          `${rec.shape}: ${o.name} still up ${CALL_RELEASE_BOUND_MS / 1000} s after the transferee's BYE (leg not released)`,
        );
        await o.call.hangup().catch(() => undefined);
      }
    // The other legs of the call (a transfer's) end with it.
    if (moved) for (const p of [c, d]) if (p.state === 'established') await p.hangup().catch(() => undefined);
  } catch (e) {
    rec.failures.push(`harness error: ${e instanceof Error ? e.message : String(e)}`);
    pending.cancel();
    await caller?.hangup().catch(() => undefined);
  } finally {
    undo?.();
    unprefer?.();
    pending.cancel();
    // Media our own socket refused or failed to send: a gap it caused is ours, not the SBC's.
    // Media that could not go where the SDP said is named with that address.
    const legs: Array<[Call | undefined, string]> = [
      [caller, rec.caller],
      [callee as Call | undefined, rec.callee],
    ];
    // A transfer's other legs (its target's, its consultation's).
    if (moved) for (const o of [moved.far, ...(moved.others ?? [])]) legs.push([o.call, o.name]);
    const seen = new Set<Call>();
    const authFailed: string[] = [];
    for (const [leg, name] of legs) {
      if (!leg || seen.has(leg)) continue;
      seen.add(leg);
      const st = leg.media.stats();
      const auth = leg.media instanceof MediaLeg ? leg.media.details().srtpAuthFailed : 0;
      if (auth > 0) authFailed.push(`${name}: ${auth}`);
      if (st.sendFailures)
        rec.failures.push(
          `harness error: ${name}: ${st.sendFailures} RTP packets of ours not sent (${st.sendFailure ?? 'no code'})`,
        );
      // Not ours: where the SDP we received said to send (no route to it, a broadcast address).
      if (st.unreachable)
        rec.failures.push(
          `${name}: our RTP could not be sent to the media address in the SDP (${st.unreachable} datagrams, ${st.unreachableDetail ?? 'no detail'})`,
        );
    }
    // What any call owes, as the plan judges it: RTP both ways from the answer to the hang-up,
    // no gap over the bound outside a hold (call-invariants.ts). The audio check above judges a
    // window of the call; media that stops after it, or in a step before it, shows here.
    if (rec.established)
      for (const f of parties.legMedia(
        seen,
        clock,
        !moved && caller && callee ? [caller, callee] : undefined,
      ))
        rec.failures.push(`audio both ways until the hang-up: ${f}`);
    // SIP of this call's legs that our simulators could not send: this host's own failure is a
    // harness error; one about where it went says why a failed call's message never reached the SBC.
    const callIds = new Set<string>();
    for (const leg of [...legs.map(([l]) => l), delivered, ...shapeLegs]) {
      const id = leg?.invite?.get('call-id');
      if (id) callIds.add(id);
    }
    // What any message and stream owes, as the plan judges it: the SIP the SBC sent on this
    // call's Call-IDs against docs/sip-rules.md, the RTP its legs received against docs/rtp-rules.md.
    const ruleLegs = new Set([...seen, ...shapeLegs]);
    if (delivered) ruleLegs.add(delivered);
    for (const f of rules.judge(callIds, ruleLegs)) rec.failures.push(f);
    const sip = sipSends.split(callIds);
    for (const line of sip.own) rec.failures.push(`harness error: our SIP: ${line}`);
    const elsewhere = rec.failures.length > 0 ? sip.elsewhere : [];
    if (elsewhere.length > 0)
      rec.failures.push(`our SIP could not be sent where it had to go (${elsewhere.join('; ')})`);
    // Why a failed SRTP call heard nothing: packets whose authentication failed (keys or suite
    // other than the a=crypto of the SDP, RFC 4568 §6.1; RFC 3711 §3.3 drops them).
    if (rec.failures.length > 0 && authFailed.length > 0)
      rec.failures.push(
        `SRTP packets that failed the SRTP authentication check (RFC 3711 §3.3) and were dropped (${authFailed.join('; ')})`,
      );
    await parties.dropLate(key, callee);
    // The actors keep every call they took part in (their registries); what a leg recorded
    // need not outlive the check (docs/load.md, limits).
    for (const m of [
      caller?.media,
      (callee as Call | undefined)?.media,
      moved?.hangup.call.media,
      moved?.far.call.media,
      ...(moved?.others ?? []).map((o) => o.call.media),
    ]) {
      m?.clearReceived();
      m?.releaseArrivals?.();
    }
  }
}

/** Runs the load and returns its results (never throws for a failed call: it is data). */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  // The mix is checked against the profile here too (the CLI checks it first, for its exit 2):
  // a shape whose plan case does not apply to the profile is refused before any phone is added.
  const problems = [
    ...loadOptionProblems(o),
    ...mixProblems(o.mix ?? DEFAULT_LOAD_MIX, o.lab.profile, o.direction),
  ];
  if (problems.length > 0) throw new Error(problems.join('; '));
  const clock = o.clock ?? systemClock;
  const thresholds = o.thresholds ?? DEFAULT_LOAD_THRESHOLDS;
  const slots = Math.max(...o.steps);
  const parties = new Parties(o.lab, slots, o.slotBase ?? 0);
  const mix = o.mix ?? DEFAULT_LOAD_MIX;
  const schedule = new MixSchedule(mix, o.direction, shapeDirections(o.lab.profile));
  for (const name of mixShapes(mix)) LOAD_SHAPE_BY_NAME[name].setup?.(o.lab, slots, o.slotBase ?? 0);
  const startedAt = new Date(clock.wallNow()).toISOString();
  const t0 = clock.now();
  const records: LoadCallRecord[] = [];
  const free: number[] = Array.from({ length: slots }, (_, i) => slots - 1 - i);
  const running = new Set<Promise<void>>();
  const stepInfo: Array<{ concurrency: number; fromMs: number; toMs: number; peak: number }> = [];
  let stoppedBy: LoadResult['stoppedBy'] = 'calls';
  let finished = 0;
  let failed = 0;
  let lastFinished = 0;
  let lastSampleMs = t0;
  const holdMs = o.holdS * 1000;
  const deadline = o.durationS !== undefined ? t0 + o.durationS * 1000 : Number.POSITIVE_INFINITY;

  const timeline: LoadProgress[] = [];
  let current = { step: 0, concurrency: o.steps[0] as number };
  const progress = setInterval(() => {
    const now = clock.now();
    const recent = records.slice(-500);
    const mos = percentiles(recent.flatMap((r) => r.audio.map((a) => a.mos)));
    const setup = percentiles(recent.flatMap((r) => (r.setupMs !== undefined ? [r.setupMs] : [])));
    const sample: LoadProgress = {
      elapsedS: (now - t0) / 1000,
      step: current.step,
      concurrency: current.concurrency,
      inFlight: running.size,
      started: records.length,
      finished,
      failed,
      callsPerSecond: ((finished - lastFinished) * 1000) / Math.max(1, now - lastSampleMs),
      ...(mos ? { mosP50: mos.p50, mosMin: mos.min } : {}),
      ...(setup ? { setupP95Ms: setup.p95 } : {}),
    };
    if (timeline.length < MAX_TIMELINE) timeline.push(sample);
    o.onProgress?.(sample);
    lastFinished = finished;
    lastSampleMs = now;
  }, 1000);
  progress.unref();

  // The harness's own lateness, step by step (a step's figure runs to the next step's start).
  const loopLateness = new LoopLateness();
  const stepLag: HarnessLag[] = [];
  const takeLag = () => stepLag.push(loopLateness.take());
  loopLateness.start();
  // Every message and stream of every call against the plan's SIP and RTP rules (load-rules.ts);
  // stopped in the finally below.
  const rules = new LoadRuleWatch(o.lab, clock);
  try {
    for (let s = 0; s < o.steps.length; s++) {
      const target = o.steps[s] as number;
      if (s > 0) takeLag();
      current = { step: s, concurrency: target };
      const from = clock.now();
      // Every step given --step-s ends after it, a single one too (what the options record says).
      const stepEnd = o.stepS !== undefined ? from + o.stepS * 1000 : Number.POSITIVE_INFINITY;
      // Calls still in flight from the step before count toward this step's peak.
      const info = { concurrency: target, fromMs: from - t0, toMs: from - t0, peak: running.size };
      stepInfo.push(info);
      const gapMs = 1000 / (o.ratePerS ?? defaultStartRate(target, o.holdS));
      let nextStart = from;
      // Bounded: each pass starts a call or waits for one to end; calls and time are finite.
      while (true) {
        const now = clock.now();
        if (o.signal?.aborted) {
          stoppedBy = 'interrupted';
          break;
        }
        if (records.length >= o.calls) {
          stoppedBy = 'calls';
          break;
        }
        if (now >= deadline) {
          stoppedBy = 'duration';
          break;
        }
        if (now >= stepEnd) {
          stoppedBy = 'ramp-end';
          break;
        }
        const want = running.size < target && free.length > 0;
        if (want && now >= nextStart) {
          // Paced: the next call may start one gap after this one, or at once after a lull.
          nextStart = Math.max(now, nextStart) + gapMs;
          const slot = free.pop() as number;
          const { shape, direction } = schedule.next(records.length);
          const rec: LoadCallRecord = {
            index: records.length,
            step: s,
            direction,
            shape,
            caller: '',
            callee: '',
            callIds: {},
            startMs: now - t0,
            established: false,
            audio: [],
            released: false,
            failures: [],
          };
          records.push(rec);
          const p: Promise<void> = runCall(parties, o.lab, slot, rec, holdMs, clock, rules).finally(() => {
            rec.endMs = clock.now() - t0;
            running.delete(p);
            free.push(slot);
            finished++;
            if (rec.failures.length > 0) failed++;
          });
          running.add(p);
          info.peak = Math.max(info.peak, running.size);
          continue;
        }
        // Wait for a call to end, the next start, the step's end or the deadline, whichever comes first.
        const wait = Math.max(1, Math.min(stepEnd, deadline, now + 1000, want ? nextStart : Infinity) - now);
        await Promise.race([...running, sleep(wait)]);
      }
      info.toMs = clock.now() - t0;
      if (stoppedBy !== 'ramp-end') break;
    }
    // Calls in flight finish on their own (each is bounded by its timeouts).
    await Promise.all([...running]);
    takeLag();
  } finally {
    clearInterval(progress);
    loopLateness.stop();
    rules.stop();
  }

  const steps: LoadStep[] = stepInfo.map((info, s) => {
    const calls = records.filter((r) => r.step === s);
    const figures = loadFigures(calls);
    // From the step's start to its end or to the end of its last call, whichever is later.
    const lastEnd = calls.reduce((m, c) => Math.max(m, c.endMs ?? info.toMs), info.toMs);
    const durationS = Math.max(0.001, (lastEnd - info.fromMs) / 1000);
    return {
      step: s,
      concurrency: info.concurrency,
      peakInFlight: info.peak,
      durationS,
      callsPerSecond: calls.length / durationS,
      figures,
      ...(stepLag[s] ? { harnessLag: stepLag[s] } : {}),
      verdict: judgeStep(figures, thresholds, stepLag[s], { peak: info.peak, target: info.concurrency }),
    };
  });
  // The embedded SBC ends its records just after the BYEs it relays: give it the release bound.
  const sbc = o.lab.sbc;
  const sbcLive = () =>
    sbc ? sbc.calls().filter((c) => c.state !== 'ended' && c.state !== 'failed').length : 0;
  const settleUntil = clock.now() + CALL_RELEASE_BOUND_MS;
  while (sbc && sbcLive() > 0 && clock.now() < settleUntil) await sleep(100);
  const left = sbc ? sbcLive() : undefined;
  const k = knee(steps);
  const hm = highestMet(steps);
  const faults = [...o.lab.profile.sbc.faults, ...(o.lab.opts.faults ?? [])];
  // The embedded SBC's personalities: the profile's and the command line's (Lab.start's).
  const personality =
    o.lab.profile.sbc.kind === 'embedded'
      ? [...new Set([...o.lab.profile.sbc.personality, ...(o.lab.opts.personalities ?? [])])]
      : [];
  const breakage = loadBreakage(records, thresholds, left);
  return {
    schema: LOAD_RESULTS_SCHEMA,
    startedAt,
    finishedAt: new Date(clock.wallNow()).toISOString(),
    options: {
      calls: o.calls,
      steps: [...o.steps],
      ...(o.stepS !== undefined ? { stepS: o.stepS } : {}),
      holdS: o.holdS,
      ...(o.ratePerS !== undefined ? { ratePerS: o.ratePerS } : {}),
      direction: o.direction,
      ...(o.durationS !== undefined ? { durationS: o.durationS } : {}),
      mix: { ...mix },
    },
    sbc: {
      kind: o.lab.profile.sbc.kind,
      ...(o.lab.profile.sbc.model ? { model: o.lab.profile.sbc.model } : {}),
      ...(o.lab.profile.sbc.firmware ? { firmware: o.lab.profile.sbc.firmware } : {}),
      ...(o.lab.profile.name ? { profile: o.lab.profile.name } : {}),
      ...(personality.length > 0 ? { personality } : {}),
      faults,
      ...(o.lab.profile.provider.srtp ? { providerSrtp: true as const } : {}),
    },
    thresholds,
    stoppedBy,
    steps,
    total: loadFigures(records),
    shapes: shapeFigures(records),
    ...(k !== undefined ? { knee: k } : {}),
    ...(hm !== undefined ? { highestMet: hm } : {}),
    worst: worstCalls(records).filter((r) => r.failures.length > 0 || r.audio.length > 0 || !r.established),
    ...(left !== undefined ? { sbcCallsLeftUp: left } : {}),
    breakage,
    rules: { ...rules.stats },
    faultFindings: loadFaultFindings(faults, breakage, records, o.holdS, o.lab.profile.provider.srtp),
    timeline,
    calls: o.keepAllCalls ? records : records.slice(0, MAX_CALLS_KEPT),
    ...(records.length > MAX_CALLS_KEPT && !o.keepAllCalls ? { callsTruncated: true } : {}),
    ...(o.agent ? { agent: { ...o.agent, slotBase: o.slotBase ?? 0 } } : {}),
  };
}
