/**
 * What broke in a load run, and which fault switch of the embedded SBC it points at
 * (docs/load.md, "What broke and which fault"). A pure function of the call records.
 *
 * Five kinds of breakage, each read from the per-call records:
 * - **lost calls**: the caller's INVITE got no 2xx (an error response, or none within the setup
 *   bound and cancelled), or it got a 2xx but the callee's leg never arrived or never came up;
 * - **degraded audio**: an established call with a direction not heard, a MOS below the
 *   threshold, or an audio check that failed (loss, one-way delay beyond G.114);
 * - **legs left up**: the callee's leg still up after the caller's BYE (the release bound), and,
 *   for the embedded SBC, the calls it still held at the end;
 * - **a step of the call shape failed**: an established call of a shape other than `basic` whose
 *   own step failed (DTMF digits not received exactly once, the hold or resume refused, the
 *   transfer refused or not carried out), not counting its audio and its release, which the
 *   kinds above count;
 * - **a SIP or RTP rule broken**: a message the SBC sent on the call's Call-IDs, or an RTP packet
 *   it sent to the call's legs, broke a rule of docs/sip-rules.md or docs/rtp-rules.md
 *   (load-rules.ts), whatever the call's steps and audio did.
 * Each fault switch that was on is named with the kinds it is known to cause on the calls the
 * run made, and caught when the run saw one of them. A fault that breaks a step of some shapes
 * (reject-reinvite breaks the hold) is caught only by a failure of that step on a call of one of
 * those shapes, with the fault's own sign in it (the 488 to the re-INVITE), not by any failure of
 * the shape; without a call of those shapes in the mix it is "not exercised", never "not caught".
 * A fault that breaks a rule (no-sdp-in-reinvite-answer: RFC 3264's answer-to-offer) is caught
 * only by that rule broken on a call of a shape that exercises it.
 */

import { codecLabel } from '../../codecs/index.ts';
import { SBC_FAULTS } from '../actors/index.ts';
import { DEFAULT_AUDIO_DELAY_POLICY, delayBound } from './audio-delay.ts';
import { MEDIA_GAP_BOUND_MS, MEDIA_SETTLE_MS } from './call-invariants.ts';
import { loadAudioMs } from './load-audio-time.ts';
import {
  type LoadAudioDirection,
  type LoadCallRecord,
  type LoadThresholds,
  mosRequired,
} from './load-figures.ts';
import type { LoadShapeName } from './load-mix.ts';
import { RTP_RULE_PREFIX, SIP_RULE_PREFIX } from './load-rules.ts';

export type LoadBreakKind = 'lost-calls' | 'degraded-audio' | 'legs-left-up' | 'step-failed' | 'rule-broken';

/** One kind of breakage seen in a run. */
export interface LoadBreakage {
  kind: LoadBreakKind;
  /** How many calls it hit. */
  calls: number;
  /** The first 10 of those calls (their `index`). */
  examples: number[];
  /** The figure that shows it, one sentence. */
  figure: string;
}

/** A fault switch that was on, what it should break in a load, and whether the run caught it. */
export interface LoadFaultFinding {
  /** The switch as given (`stop-rtp-after=2`). */
  fault: string;
  /** What it does (docs/sbc-faults.md). */
  summary: string;
  /** The breakage it causes on the calls this run made; empty: none of them exercises it. */
  expects: LoadBreakKind[];
  /**
   * The call shapes whose own step it breaks, when it breaks one (`reject-reinvite`: the hold,
   * and the consultation transfers' hold). `expects` holds `step-failed` when a call of one of
   * them ran.
   */
  shapes?: LoadShapeName[];
  /**
   * The SIP or RTP rules it breaks (docs/sip-rules.md, docs/rtp-rules.md), when it breaks one,
   * and the call shapes that exercise it (absent: every shape). `expects` holds `rule-broken`
   * when a call of one of them ran.
   */
  rules?: string[];
  ruleShapes?: LoadShapeName[];
  /** Which of those kinds the run saw. */
  seen: LoadBreakKind[];
  /** True when the run saw at least one kind it expects. */
  caught: boolean;
  /**
   * Why the run's calls could not trigger it, when they could not and nothing was seen (`at
   * most 2 call(s) in flight at once on one agent, not above 2`). Absent otherwise, and for a
   * switch no call shape exercises.
   */
  notExercised?: string;
  /** For a switch that refuses calls with a status (503): only a call lost with it catches it. */
  lostStatus?: number;
}

/** What a finding that was not caught did not see, in words ("no lost call refused 503"). */
export function notSeenText(f: LoadFaultFinding): string {
  return f.expects
    .map((k) =>
      k === 'lost-calls' && f.lostStatus !== undefined
        ? `lost call refused ${f.lostStatus}`
        : breakKindLabel(k),
    )
    .join(' or ');
}

/** The kinds each fault switch causes on any call of the load (a basic call is enough). */
const FAULT_BREAKS: Readonly<Record<string, readonly LoadBreakKind[]>> = {
  'one-way-audio': ['degraded-audio'],
  'stop-rtp-after': ['degraded-audio'],
  'delay-media': ['degraded-audio'],
  'no-bye-relay': ['legs-left-up'],
  // The caller's BYE answered 500 and kept: the callee's leg stays up (the call also fails on
  // the BYE's answer, RFC 3261 §15.1.2, which is no kind of its own).
  'bye-500': ['legs-left-up'],
  // A compliant UA answers the BYE with a lower CSeq 500 (RFC 3261 §12.2.2), so its leg stays up.
  'bye-cseq-backwards': ['legs-left-up'],
  // Both lock every new INVITE out for 10 s once triggered: more than 100 INVITEs within 2 s
  // (the SBC counts both sides), or more than 100 unparsable messages within 5 s. Expected only
  // when the run itself could trigger them, or was seen to be hit (see `notExercised`).
  'flood-lockout': ['lost-calls'],
  'malformed-stall': ['lost-calls'],
  // A new call refused with 503 while N calls are up: exercised when the run had more than N in
  // flight at once (see `notExercised`).
  'session-limit': ['lost-calls'],
  // The provider's phones drop every packet from the SBC (RFC 3711 §3.3): no audio toward them.
  // Exercised only when they run SRTP (`provider.srtp`, see `notExercised`).
  'srtp-wrong-key': ['degraded-audio'],
  // Another call's audio toward the provider's phones: only with two calls up at once.
  'cross-media': ['degraded-audio'],
};

/** New INVITEs within 2 s above which `flood-lockout` locks the SBC (sbc-access-policy.ts). */
const FLOOD_INVITES = 100;
/** The one-way delay of the embedded SBC's relay on loopback, at most, besides `delay-media`'s. */
const DELAY_MEDIA_MARGIN_MS = 10;

/**
 * Why the run's own calls could not trigger the switch `name` (with `value`), or undefined when
 * they could, so that not seeing its breakage means it was not caught rather than not
 * exercised. `holdS`: the calls' hold time. A switch whose breakage was seen counts as
 * exercised whatever this says.
 */
function notExercised(
  name: string,
  value: string | undefined,
  records: readonly LoadCallRecord[],
  holdS: number,
  providerSrtp: boolean,
): string | undefined {
  const n = Number(value);
  switch (name) {
    case 'srtp-wrong-key':
      return providerSrtp
        ? undefined
        : "the provider's legs ran plain RTP (the profile's provider.srtp is false): no SRTP for a wrong key to break";
    // RTP stops N s after the answer. Every call's media is judged from the answer to the
    // hang-up (the plan's invariant, call-invariants.ts), which comes after the audio check:
    // MEDIA_SETTLE_MS and the tone's time after the answer at the earliest. A stop catches
    // when the silence it leaves before the hang-up is longer than the invariant's bound.
    case 'stop-rtp-after': {
      const bound = MEDIA_SETTLE_MS + loadAudioMs(holdS * 1000) - MEDIA_GAP_BOUND_MS;
      return Number.isFinite(n) && n * 1000 < bound
        ? undefined
        : `RTP stops ${value} s after the answer, less than ${MEDIA_GAP_BOUND_MS} ms before the earliest hang-up (${((bound + MEDIA_GAP_BOUND_MS) / 1000).toFixed(2)} s after the answer): too short a silence for any check to see`;
    }
    // The delay adds to the one-way delay: past the audio check's bound for the codec the
    // calls received (G.114's 150 ms and the codec's allowance, audio-delay.ts), it fails a
    // call. The embedded SBC's own delay on loopback is a few ms: DELAY_MEDIA_MARGIN_MS of it.
    case 'delay-media': {
      // A loop, not Math.min(...list): a run keeps up to 100 000 calls, two directions each.
      let lowest = Number.POSITIVE_INFINITY;
      for (const r of records)
        for (const a of r.audio)
          lowest = Math.min(lowest, delayBound(DEFAULT_AUDIO_DELAY_POLICY, a.codec, a.codec).boundMs);
      return Number.isFinite(n) && n + DELAY_MEDIA_MARGIN_MS > lowest
        ? undefined
        : Number.isFinite(lowest)
          ? `${value} ms stays inside the audio check's one-way delay bound (${lowest} ms for the codec received)`
          : 'no call had audio to delay';
    }
    // The load sends no garbage; only another source's would knock the SBC over.
    case 'malformed-stall':
      return 'the load sends no unparsable message';
    case 'flood-lockout': {
      // The SBC counts the new INVITEs it receives: one per call from its caller (a consultation
      // adds one later, a hold time after the start). Each agent has an SBC of its own.
      let most = 0;
      for (const calls of byAgent(records).values()) {
        const starts = calls.map((r) => r.startMs).sort((x, y) => x - y);
        for (let i = 0, j = 0; i < starts.length; i++) {
          while ((starts[i] as number) - (starts[j] as number) > 2000) j++;
          most = Math.max(most, i - j + 1);
        }
      }
      return most > FLOOD_INVITES
        ? undefined
        : `at most ${most} calls started within 2 s on one agent, not above ${FLOOD_INVITES}`;
    }
    // The SBC refuses a new call while N are up. A consultation transfer holds a second call
    // through the SBC for part of its time, which this count leaves out (a refused consultation
    // shows by its own sign, FAULT_STEPS).
    case 'cross-media': {
      const peak = peakInFlightPerAgent(records);
      return peak >= 2
        ? undefined
        : 'at most 1 call in flight at once on one agent: no other call to cross its audio into';
    }
    case 'session-limit': {
      const peak = peakInFlightPerAgent(records);
      return Number.isFinite(n) && peak > n
        ? undefined
        : `at most ${peak} call(s) in flight at once on one agent, not above ${value}`;
    }
    default:
      return undefined;
  }
}

/** The calls by agent (each agent has an SBC of its own). */
function byAgent(records: readonly LoadCallRecord[]): Map<number, LoadCallRecord[]> {
  const out = new Map<number, LoadCallRecord[]>();
  for (const r of records) {
    const list = out.get(r.agent ?? 0) ?? [];
    list.push(r);
    out.set(r.agent ?? 0, list);
  }
  return out;
}

/**
 * The most calls in flight at once on one agent (each agent has an SBC of its own): from a
 * call's INVITE to its end, a call without an end counting as up to the end of the run. A call
 * that ends when another starts is not counted with it.
 */
function peakInFlightPerAgent(records: readonly LoadCallRecord[]): number {
  let peak = 0;
  for (const calls of byAgent(records).values()) {
    const events: Array<[number, number]> = [];
    for (const r of calls) {
      events.push([r.startMs, 1]);
      if (r.endMs !== undefined) events.push([r.endMs, -1]);
    }
    // Ends before starts at the same instant.
    events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let up = 0;
    for (const [, d] of events) {
      up += d;
      if (up > peak) peak = up;
    }
  }
  return peak;
}

/**
 * The faults that break a step of some call shapes: the shapes, and the sign of the fault in
 * that step's failure. `also`: shapes it breaks only in some configurations (the consultation
 * transfers send a REFER only with `oxo.transferMode: refer`), so a call of them that did not
 * show the sign does not make the fault "not caught".
 */
const FAULT_STEPS: Readonly<
  Record<string, { shapes: readonly LoadShapeName[]; also?: readonly LoadShapeName[]; sign: RegExp }>
> = {
  // The hold's re-INVITE answered 488 (load-shape-hold.ts), in the hold shape and in the
  // consultation transfers, which hold the transferee first.
  'reject-reinvite': {
    shapes: ['hold', 'transfer-semi', 'transfer-attended'],
    sign: /the re-INVITE \(a=send\w+\) from .* was answered 488/,
  },
  // The blind transfer always refers; the consultation transfers only by REFER.
  'refer-405': {
    shapes: ['transfer'],
    also: ['transfer-semi', 'transfer-attended'],
    sign: /the REFER from .* was answered 405/,
  },
  // Telephone events under a payload type the receiving leg did not negotiate: it drops them,
  // so RFC 4733 digits never arrive (nor inband or INFO ones the SBC turned into events).
  'te-wrong-pt': {
    shapes: ['dtmf-rfc4733'],
    also: ['dtmf-inband', 'dtmf-info'],
    sign: /^DTMF .*: digits \S+ sent, .*did not negotiate/,
  },
  // Each digit also as inband tones: the RFC 4733 receiver gets every digit twice.
  'double-dtmf': { shapes: ['dtmf-rfc4733'], sign: /^DTMF RFC 4733 .*: digits \S+ sent, / },
  // No telephone-event in any SDP the SBC sends: the RFC 4733 shape cannot send.
  'strip-telephone-event': {
    shapes: ['dtmf-rfc4733'],
    sign: /^DTMF RFC 4733 .*: no telephone-event negotiated/,
  },
  // INFO answered 200 and dropped, with no RFC 4733 instead: the digits never arrive.
  'drop-info': { shapes: ['dtmf-info'], sign: /^DTMF SIP INFO .*: digits \S+ sent, / },
  // A consultation refused 503 while N calls were up: the step of the consultation transfers.
  // A 503 of our own stack (no response arrived) is written "status 503, our stack's own …" and
  // does not match.
  'session-limit': {
    shapes: [],
    also: ['transfer-semi', 'transfer-attended'],
    sign: /consultation call never reached .* status 503\)/,
  },
};

/**
 * Faults whose lost calls are refused with this status: a call lost otherwise (404, 488, no
 * answer) is not their sign.
 */
const FAULT_LOST_STATUS: Readonly<Record<string, number>> = {
  'flood-lockout': 503,
  'malformed-stall': 503,
  'session-limit': 503,
};

/**
 * The faults that break a rule of the SIP or RTP validator (load-rules.ts), the rules, and the
 * shapes whose calls exercise them (absent: any call); `also` as in {@link FAULT_STEPS}.
 */
const FAULT_RULES: Readonly<
  Record<
    string,
    { rules: readonly string[]; shapes?: readonly LoadShapeName[]; also?: readonly LoadShapeName[] }
  >
> = {
  // The hold's re-INVITE (and the consultation transfers' hold) answered 200 without SDP.
  'no-sdp-in-reinvite-answer': {
    rules: ['answer-to-offer'],
    shapes: ['hold', 'transfer-semi', 'transfer-attended'],
  },
  // The SBC's BYE toward the callee's leg numbered below its previous request (every call).
  'bye-cseq-backwards': { rules: ['cseq-order'] },
  // The caller's BYE answered 500 (every call).
  'bye-500': { rules: ['bye-2xx'] },
  // Telephone events without the E bit, or under a payload type not negotiated (inband and INFO
  // digits only when the SBC turns them into events).
  'te-no-end-bit': { rules: ['te-end-bit'], shapes: ['dtmf-rfc4733'], also: ['dtmf-inband', 'dtmf-info'] },
  'te-wrong-pt': { rules: ['te-payload-type'], shapes: ['dtmf-rfc4733'], also: ['dtmf-inband', 'dtmf-info'] },
};

const LABEL: Record<LoadBreakKind, string> = {
  'lost-calls': 'lost calls',
  'degraded-audio': 'degraded audio',
  'legs-left-up': 'legs left up',
  'step-failed': 'a step of the call shape failed',
  'rule-broken': 'a SIP or RTP rule broken',
};

/** A failure that a broken SIP or RTP rule made (load-rules.ts). */
function ruleFailure(f: string): boolean {
  return f.startsWith(SIP_RULE_PREFIX) || f.startsWith(RTP_RULE_PREFIX);
}

/** The name of a kind, in words. */
export function breakKindLabel(k: LoadBreakKind): string {
  return LABEL[k];
}

function lost(r: LoadCallRecord): boolean {
  return (
    !r.established ||
    r.failures.some((f) =>
      /no leg reached|never reached the established state|kept the call internal/.test(f),
    )
  );
}

/** ' (G.723.1: 3.85)': the codecs among `dirs` held to a MOS below the threshold (mosRequired). */
function lowered(dirs: readonly LoadAudioDirection[], minMos: number): string {
  const codecs = [...new Set(dirs.map((a) => a.codec))].filter((c) => mosRequired(c, minMos) !== minMos);
  return codecs.length === 0
    ? ''
    : ` (${codecs.map((c) => `${codecLabel(c)}: ${mosRequired(c, minMos).toFixed(2)}`).join(', ')})`;
}

function degraded(r: LoadCallRecord, minMos: number): boolean {
  if (lost(r)) return false;
  return (
    r.audio.some((a) => !a.heard || a.mos < mosRequired(a.codec, minMos)) ||
    r.failures.some((f) => /audio/i.test(f) && !/leg not released/.test(f) && !ruleFailure(f))
  );
}

/** A failure of the shape's own step: not one of its audio, its release (the BYE's answer included) or the harness. */
function stepFailure(f: string): boolean {
  return (
    !/audio/i.test(f) &&
    !/leg not released/.test(f) &&
    !/ BYE (was answered|got no final response)/.test(f) &&
    !/^harness error/.test(f) &&
    !ruleFailure(f)
  );
}

function stepFailed(r: LoadCallRecord): boolean {
  return r.shape !== 'basic' && !lost(r) && r.failures.some(stepFailure);
}

function leftUp(r: LoadCallRecord): boolean {
  return r.established && !lost(r) && !r.released;
}

function count(list: Array<string | number | undefined>): string {
  const m = new Map<string, number>();
  for (const v of list) {
    const k = v === undefined ? 'none' : String(v);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m].map(([k, n]) => `${k} ×${n}`).join(', ');
}

/** The rule a rule failure names (its closing "[RFC …, rule <id>]"), or '' when none. */
function ruleOf(f: string): string {
  return /, rule ([\w-]+)\]/.exec(f)?.[1] ?? '';
}

/** The breakage of a run, by kind (kinds not seen are left out). */
export function loadBreakage(
  records: readonly LoadCallRecord[],
  thresholds: LoadThresholds,
  sbcCallsLeftUp?: number,
): LoadBreakage[] {
  const out: LoadBreakage[] = [];
  const l = records.filter(lost);
  if (l.length > 0)
    out.push({
      kind: 'lost-calls',
      calls: l.length,
      examples: l.slice(0, 10).map((r) => r.index),
      figure: `${l.length} of ${records.length} calls not set up; final response of the caller's INVITE: ${count(l.map((r) => r.status))}`,
    });
  const d = records.filter((r) => degraded(r, thresholds.minMos));
  if (d.length > 0) {
    const dirs = d.flatMap((r) => r.audio);
    const silent = dirs.filter((a) => !a.heard).length;
    const low = dirs.filter((a) => a.mos < mosRequired(a.codec, thresholds.minMos)).length;
    // Loops, not Math.min(...list): a degraded run can hold 100 000 calls, two directions each.
    let mosMin: number | undefined;
    let delayMax: number | undefined;
    for (const a of dirs) {
      mosMin = Math.min(mosMin ?? a.mos, a.mos);
      if (a.delayMs !== undefined) delayMax = Math.max(delayMax ?? a.delayMs, a.delayMs);
    }
    out.push({
      kind: 'degraded-audio',
      calls: d.length,
      examples: d.slice(0, 10).map((r) => r.index),
      figure:
        `${d.length} of ${records.length} calls; ${silent} direction(s) silent, ${low} below MOS ${thresholds.minMos}${lowered(dirs, thresholds.minMos)}` +
        `${mosMin !== undefined ? `, MOS min ${mosMin.toFixed(2)}` : ''}` +
        `${delayMax !== undefined ? `, one-way delay max ${Math.round(delayMax)} ms` : ''}`,
    });
  }
  const u = records.filter(leftUp);
  if (u.length > 0 || (sbcCallsLeftUp ?? 0) > 0)
    out.push({
      kind: 'legs-left-up',
      calls: u.length,
      examples: u.slice(0, 10).map((r) => r.index),
      figure:
        `${u.length} of ${records.length} calls with the callee's leg still up after the caller's BYE` +
        `${sbcCallsLeftUp !== undefined ? `; the embedded SBC still held ${sbcCallsLeftUp} call(s) at the end` : ''}`,
    });
  const st = records.filter(stepFailed);
  if (st.length > 0)
    out.push({
      kind: 'step-failed',
      calls: st.length,
      examples: st.slice(0, 10).map((r) => r.index),
      figure:
        `${st.length} of ${records.length} calls; by shape: ${count(st.map((r) => r.shape))}; ` +
        `first: ${st[0]?.failures.find(stepFailure) ?? ''}`,
    });
  const rb = records.filter((r) => r.failures.some(ruleFailure));
  if (rb.length > 0) {
    const rules = new Map<string, number>();
    for (const r of rb)
      for (const id of new Set(r.failures.filter(ruleFailure).map(ruleOf)))
        rules.set(id, (rules.get(id) ?? 0) + 1);
    out.push({
      kind: 'rule-broken',
      calls: rb.length,
      examples: rb.slice(0, 10).map((r) => r.index),
      figure:
        `${rb.length} of ${records.length} calls; by rule: ${[...rules].map(([k, n]) => `${k} ×${n}`).join(', ')}; ` +
        `first: ${rb[0]?.failures.find(ruleFailure) ?? ''}`,
    });
  }
  return out;
}

/**
 * Each fault switch that was on (`name` or `name=value`), with what the run caught of it.
 * `records`: the run's calls, for the shapes that ran and the signs of the faults that break a
 * step of a shape; `providerSrtp`: the provider's phones ran SRTP.
 */
export function loadFaultFindings(
  faults: readonly string[],
  breakage: readonly LoadBreakage[],
  records: readonly LoadCallRecord[],
  holdS: number,
  providerSrtp = false,
): LoadFaultFinding[] {
  const seenKinds = new Set(breakage.map((b) => b.kind));
  const ran = new Set(records.map((r) => r.shape));
  return faults.map((fault) => {
    const [name, value] = fault.split('=', 2) as [string, string | undefined];
    const breaks = FAULT_BREAKS[name] ?? [];
    // A fault that refuses calls with its own status is seen only by a call lost with it, as it
    // arrived (a failed SRD says a 4xx–6xx came; the stack's own 503 for a transport error has none).
    const status = FAULT_LOST_STATUS[name];
    const seen = breaks.filter(
      (k) =>
        seenKinds.has(k) &&
        (k !== 'lost-calls' ||
          status === undefined ||
          records.some((r) => lost(r) && r.status === status && r.failedRequestDelayMs !== undefined)),
    );
    // Not seen, and beyond what the run's calls could trigger: not exercised, never "not caught".
    const why =
      breaks.length > 0 && seen.length === 0
        ? notExercised(name, value, records, holdS, providerSrtp)
        : undefined;
    const expects = why === undefined ? [...breaks] : [];
    const step = FAULT_STEPS[name];
    if (step) {
      const mine = (r: LoadCallRecord) =>
        step.shapes.includes(r.shape) || (step.also ?? []).includes(r.shape);
      if (step.shapes.some((s) => ran.has(s))) expects.push('step-failed');
      const signed = records.some(
        (r) => mine(r) && !lost(r) && r.failures.some((f) => stepFailure(f) && step.sign.test(f)),
      );
      if (signed) {
        if (!expects.includes('step-failed')) expects.push('step-failed');
        seen.push('step-failed');
      }
    }
    const ruled = FAULT_RULES[name];
    if (ruled) {
      const mine = (r: LoadCallRecord) =>
        ruled.shapes === undefined || ruled.shapes.includes(r.shape) || (ruled.also ?? []).includes(r.shape);
      if (ruled.shapes === undefined ? records.length > 0 : ruled.shapes.some((s) => ran.has(s)))
        if (!expects.includes('rule-broken')) expects.push('rule-broken');
      const broke = records.some(
        (r) => mine(r) && r.failures.some((f) => ruleFailure(f) && ruled.rules.includes(ruleOf(f))),
      );
      if (broke) {
        if (!expects.includes('rule-broken')) expects.push('rule-broken');
        seen.push('rule-broken');
      }
    }
    return {
      fault,
      summary: SBC_FAULTS.find((f) => f.name === name)?.summary ?? 'not a fault switch of the embedded SBC',
      expects,
      ...(step ? { shapes: [...step.shapes, ...(step.also ?? [])] } : {}),
      ...(ruled
        ? {
            rules: [...ruled.rules],
            // The shapes that exercise it for sure: without one of them it is not exercised.
            ...(ruled.shapes ? { ruleShapes: [...ruled.shapes] } : {}),
          }
        : {}),
      seen,
      caught: seen.length > 0,
      ...(why !== undefined && expects.length === 0 ? { notExercised: why } : {}),
      ...(status !== undefined ? { lostStatus: status } : {}),
    };
  });
}
