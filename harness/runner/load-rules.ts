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
 * Bounded: at most {@link MAX_OPEN_CALL_IDS} Call-IDs are watched at once (a Call-ID no call
 * claims, a registration's or a leg that arrived after its call gave up, is let go oldest first:
 * counted, never judged), and a Call-ID judged is ignored for {@link MAX_DONE_CALL_IDS} more
 * Call-IDs (late retransmissions). Each validator keeps its own bounds (MAX_MESSAGES,
 * MAX_RTP_PACKETS).
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
/** Call-IDs already judged whose late messages are ignored. */
export const MAX_DONE_CALL_IDS = 8192;

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
  private readonly done = new Set<string>();
  private readonly detach: Array<() => void> = [];

  constructor(
    lab: Lab,
    private readonly clock: Clock,
  ) {
    for (const [actor, ua] of [
      ['provider', lab.provider?.ua],
      ['oxo', lab.oxo?.ua],
    ] as const) {
      if (!ua) continue;
      const listener = (t: TraceEvent) => this.observe(t, actor);
      ua.transport.on('trace', listener);
      this.detach.push(() => ua.transport.off('trace', listener));
    }
  }

  /** Stops watching (the run is over). */
  stop(): void {
    for (const d of this.detach.splice(0)) d();
    this.open.clear();
    this.done.clear();
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
      w = { sip: new SipValidator(), rtp: new RtpValidator() };
      this.open.set(id, w);
      // The oldest Call-ID no call has claimed yet goes first (a Map keeps insertion order).
      while (this.open.size > MAX_OPEN_CALL_IDS) {
        const oldest = this.open.keys().next().value as string;
        this.open.delete(oldest);
        this.stats.callIdsDropped++;
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
    for (const id of callIds) {
      const w = this.open.get(id);
      this.open.delete(id);
      this.done.add(id);
      while (this.done.size > MAX_DONE_CALL_IDS) this.done.delete(this.done.values().next().value as string);
      if (!w) continue;
      sipJudged = true;
      recordSipRuleChecks(checks, w.sip, this.clock.wallNow());
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
    const failures = checks.failed.map((f, i) => {
      const first = f.evidence?.[1]?.split('\n')[1]?.trim();
      const offending =
        first && first.length > MAX_OFFENDING_CHARS ? `${first.slice(0, MAX_OFFENDING_CHARS)}…` : first;
      const text = f.failure ?? f.name;
      return `${i < sipFailed ? SIP_RULE_PREFIX : RTP_RULE_PREFIX}${text}${offending ? ` (offending: ${offending})` : ''}`;
    });
    if (failures.length > 0) this.stats.callsBreakingRules++;
    return failures;
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
      : '')
  );
}
