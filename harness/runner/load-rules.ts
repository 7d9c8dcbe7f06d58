/**
 * The rules every message and stream of a load call is held to: the plan's SIP validator
 * (docs/sip-rules.md) and RTP validator (docs/rtp-rules.md), call by call.
 *
 * The SIP our provider and OXO simulators send and receive is sorted by Call-ID, each Call-ID
 * into a SIP validator of its own (it keys its legs by actor and Call-ID, as the plan's does for
 * a case), with an RTP validator that learns where each of our legs receives from the SDP they
 * send. When a load call is over, the Call-IDs of its legs (through a B2BUA they differ; through
 * a proxy both sides share one; a transfer adds its consultation's) are judged together: the
 * SIP rules on what the SBC sent, the RTP rules on what the call's media legs received. A rule
 * broken is a failure of the call, in the plan's words, with the offending message's first line.
 *
 * A Call-ID is watched from an INVITE outside a dialog (no To tag), the start of every call; SIP
 * on other Call-IDs (registrations, OPTIONS) is not judged here. Bounded: at most
 * {@link MAX_OPEN_CALL_IDS} Call-IDs are watched at once; beyond that the oldest is let go
 * (counted, and never judged in part: its later messages are ignored and its call is not judged
 * on it), and a Call-ID judged or let go is ignored for {@link MAX_DONE_CALL_IDS} more Call-IDs
 * (late retransmissions). Each validator keeps its own bounds (MAX_MESSAGES, MAX_RTP_PACKETS).
 * A 2xx the SBC has not acknowledged counts only once 64*T1 old (RFC 3261 §13.3.1.4: our side
 * retransmits it that long), since a call is judged as soon as it ends.
 */
import type { Call, Lab } from '../actors/index.ts';
import type { PacketRecord } from '../media/rtp/index.ts';
import { parseMessage, type TraceEvent } from '../sip/index.ts';
import type { Clock } from '../support/clock.ts';
import { Checks } from './checks.ts';
import {
  RTP_RULES,
  RtpValidator,
  recordRtpRuleChecks,
  recordSipRuleChecks,
  SIP_RULES,
  SipValidator,
} from './validator/index.ts';

/** Call-IDs watched at once. */
export const MAX_OPEN_CALL_IDS = 8192;
/** Longest first line of an offending message or packet a failure quotes. */
const MAX_OFFENDING_CHARS = 240;
/** Call-IDs already judged or let go whose late messages are ignored. */
export const MAX_DONE_CALL_IDS = 8192;
/** How old an unacknowledged 2xx must be to break rule ack-2xx in a load: 64*T1 (T1 = 500 ms). */
export const LOAD_ACK_GRACE_MS = 64 * 500;
/** How the RTP checks' evidence names the packet a rule broke on (validator/rtp-checks.ts). */
const RTP_BROKE_ON = 'the packet it broke on: ';
/** Longest failure sentence of one rule kept on a call record, characters. */
const MAX_FAILURE_CHARS = 1000;
/** Most rule failures kept on one call record (the rest are counted in one more line). */
const MAX_RULE_FAILURES = 8;

/** What one Call-ID's messages told the validators. */
interface Watched {
  sip: SipValidator;
  rtp: RtpValidator;
}

/** What the rules judged over a run: counts for the report. */
export interface LoadRuleStats {
  /** Calls whose SIP and RTP were judged. */
  calls: number;
  /** Messages from the SBC judged against the SIP rules. */
  sipJudged: number;
  /** RTP packets from the SBC judged against the RTP rules. */
  rtpJudged: number;
  /** Calls that broke at least one rule. */
  callsBreakingRules: number;
  /** Call-IDs let go unjudged because more were watched at once than the bound. */
  callIdsDropped: number;
  /** Trace events the watch could not take (an error while reading one; none expected). */
  skipped?: number;
  /**
   * Call-IDs still watched when the run ended, claimed by no call: legs that arrived after their
   * call gave up (their SIP is not judged). Absent when none.
   */
  unclaimed?: number;
}

/** The start of a load call's failure that a broken SIP or RTP rule makes (load-breakage.ts reads it). */
export const SIP_RULE_PREFIX = 'SIP rules: ';
export const RTP_RULE_PREFIX = 'RTP rules: ';

/** Watches the SIP of a lab's provider and OXO simulators, and judges each load call's. */
export class LoadRuleWatch {
  readonly stats: LoadRuleStats = {
    calls: 0,
    sipJudged: 0,
    rtpJudged: 0,
    callsBreakingRules: 0,
    callIdsDropped: 0,
  };
  private readonly open = new Map<string, Watched>();
  /** Call-IDs judged, and Call-IDs let go over the bound (those in `dropped` too). */
  private readonly done = new Set<string>();
  private readonly dropped = new Set<string>();
  private readonly detach: Array<() => void> = [];

  private readonly maxOpen: number;

  constructor(
    lab: Pick<Lab, 'provider' | 'oxo'>,
    private readonly clock: Clock,
    opts: { maxOpen?: number } = {},
  ) {
    this.maxOpen = Math.max(1, opts.maxOpen ?? MAX_OPEN_CALL_IDS);
    for (const [actor, ua] of [
      ['provider', lab.provider?.ua],
      ['oxo', lab.oxo?.ua],
    ] as const) {
      if (!ua) continue;
      // Never let a watch error reach the transport's send or receive path.
      const listener = (t: TraceEvent) => {
        try {
          this.observe(t, actor);
        } catch {
          this.stats.skipped = (this.stats.skipped ?? 0) + 1;
        }
      };
      ua.transport.on('trace', listener);
      this.detach.push(() => ua.transport.off('trace', listener));
    }
  }

  /** Stops watching (the run is over); what no call claimed is counted. */
  stop(): void {
    if (this.open.size > 0) this.stats.unclaimed = (this.stats.unclaimed ?? 0) + this.open.size;
    for (const d of this.detach.splice(0)) d();
    this.open.clear();
    this.done.clear();
    this.dropped.clear();
  }

  /** Calls now watched (for tests and the bound). */
  get watching(): number {
    return this.open.size;
  }

  private observe(t: TraceEvent, actor: string): void {
    let message = t.message;
    if (!message) {
      if (t.error) return;
      const r = parseMessage(t.data);
      if (!r.ok) return;
      message = r.message;
      t = { ...t, message };
    }
    const id = message.callId;
    if (!id || this.done.has(id)) return;
    let w = this.open.get(id);
    if (!w) {
      // Only a call's first INVITE opens a watch: a registration's or an OPTIONS's never does.
      if (!message.isRequest || message.method !== 'INVITE' || message.toTag !== undefined) return;
      w = { sip: new SipValidator(), rtp: new RtpValidator() };
      this.open.set(id, w);
      // The oldest goes first (a Map keeps insertion order), and is never judged in part.
      while (this.open.size > this.maxOpen) {
        const oldest = this.open.keys().next().value as string;
        this.open.delete(oldest);
        this.stats.callIdsDropped++;
        this.forget(oldest);
        this.dropped.add(oldest);
        while (this.dropped.size > MAX_DONE_CALL_IDS)
          this.dropped.delete(this.dropped.values().next().value as string);
      }
    }
    w.sip.observeTrace(t, actor);
    w.rtp.observeTrace(t, actor);
  }

  /**
   * Judges one call that is over: the SIP of its Call-IDs, and the RTP its media legs received.
   * Returns its failures (empty: no rule broken), each starting with {@link SIP_RULE_PREFIX} or
   * {@link RTP_RULE_PREFIX}. The Call-IDs are let go.
   */
  judge(callIds: Iterable<string>, legs: Iterable<Call>): string[] {
    const checks = new Checks(this.clock);
    let rtp: RtpValidator | undefined;
    let sipJudged = false;
    // A Call-ID let go over the bound leaves the call judged on the rest, or not at all.
    const ids = [...callIds].filter((id) => !this.dropped.has(id));
    for (const id of ids) {
      const w = this.open.get(id);
      this.open.delete(id);
      this.forget(id);
      if (!w) continue;
      sipJudged = true;
      recordSipRuleChecks(checks, w.sip, this.clock.wallNow(), LOAD_ACK_GRACE_MS);
      this.stats.sipJudged += w.sip.stats.judged;
      if (rtp) rtp.declareLegsOf(w.rtp);
      else rtp = w.rtp;
    }
    const sipFailed = checks.failed.length;
    if (rtp) {
      const received: PacketRecord[] = [];
      for (const leg of legs)
        for (const r of leg.media.evidence()) if (r.direction === 'received') received.push(r);
      received.sort((a, b) => a.wallMs - b.wallMs);
      recordRtpRuleChecks(checks, rtp, received);
      this.stats.rtpJudged += rtp.stats.judged;
    }
    if (sipJudged) this.stats.calls++;
    const all = checks.failed.map((f, i) => {
      const sip = i < sipFailed;
      // The SIP evidence: "offending message (…):" then the message, its start line first; the
      // RTP evidence names the packet the rule broke on in a line of its own.
      const first = sip
        ? f.evidence?.[1]?.split('\n')[1]?.trim()
        : f.evidence
            ?.find((e) => e.startsWith(RTP_BROKE_ON))
            ?.slice(RTP_BROKE_ON.length)
            .trim();
      const offending =
        first && first.length > MAX_OFFENDING_CHARS ? `${first.slice(0, MAX_OFFENDING_CHARS)}…` : first;
      const t = f.failure ?? f.name;
      const text = t.length > MAX_FAILURE_CHARS ? `${t.slice(0, MAX_FAILURE_CHARS)}…` : t;
      return `${sip ? SIP_RULE_PREFIX : RTP_RULE_PREFIX}${text}${offending ? ` (offending: ${offending})` : ''}`;
    });
    if (all.length > 0) this.stats.callsBreakingRules++;
    const failures = all.slice(0, MAX_RULE_FAILURES);
    const rest = all[MAX_RULE_FAILURES];
    if (rest !== undefined)
      failures.push(
        `${rest.startsWith(RTP_RULE_PREFIX) ? RTP_RULE_PREFIX : SIP_RULE_PREFIX}and ${all.length - MAX_RULE_FAILURES} more broken on this call (the first ${MAX_RULE_FAILURES} are above)`,
      );
    return failures;
  }

  /** Ignores `id`'s later messages (for {@link MAX_DONE_CALL_IDS} more Call-IDs). */
  private forget(id: string): void {
    this.done.add(id);
    while (this.done.size > MAX_DONE_CALL_IDS) this.done.delete(this.done.values().next().value as string);
  }
}

/** The rule counts of a run in one sentence, for the console and the report. */
export function loadRulesText(s: LoadRuleStats): string {
  return (
    `${s.calls} call(s) judged: ${s.sipJudged} SIP message(s) from the SBC against the ${SIP_RULES.length} rules of docs/sip-rules.md, ` +
    `${s.rtpJudged} RTP packet(s) from the SBC against the ${RTP_RULES.length} of docs/rtp-rules.md; ` +
    `${s.callsBreakingRules} call(s) broke a rule` +
    (s.callIdsDropped > 0
      ? `; ${s.callIdsDropped} Call-ID(s) let go unjudged (more than ${MAX_OPEN_CALL_IDS} watched at once)`
      : '') +
    ((s.skipped ?? 0) > 0 ? `; ${s.skipped} SIP message(s) the watch could not read` : '') +
    ((s.unclaimed ?? 0) > 0
      ? `; ${s.unclaimed} Call-ID(s) of legs no call claimed (arrived after their call gave up) not judged`
      : '')
  );
}
