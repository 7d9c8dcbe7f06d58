/**
 * Every call an actor (the provider's phones and IVR, the OXO's extensions) takes part in, with
 * the timeline the call invariants judge: when it was created, rang, was answered, when its
 * release began (a BYE or CANCEL of ours, a rejection) and when it ended and how, and each change
 * of its media direction (hold: sendonly, recvonly, inactive or c=0.0.0.0, as the leg negotiated
 * it). The received RTP itself is the media leg's own record of its arrivals
 * ({@link CallMedia.receivedRtp}, every packet of the call).
 *
 * A registry outlives cases (actors may live for a whole run): a case takes the calls created
 * since it started ({@link CallRegistry.since}) and asks which of them are still up. While any
 * call is up, a poll on the actor's clock samples the direction and notes when the process itself
 * was stalled (a late poll), so that a gap in the media caused by the harness is not blamed on the
 * SBC.
 */
import type { SdpDirection } from '../sip/index.ts';
import type { Clock, TimerHandle } from '../support/clock.ts';
import type { Call } from './call.ts';
import { boundHistory, DEFAULT_CALL_HISTORY } from './call-history.ts';

/** Which side of the SBC the actor is on. */
export type CallSide = 'provider' | 'oxo';

/** One moment in a call's life. */
export interface CallEvent {
  atMs: number;
  kind: 'created' | 'ringing' | 'established' | 'releasing' | 'ended' | 'failed' | 'transfer';
  /**
   * For 'releasing': bye, cancel or reject; for 'ended': local, remote or failure; for 'failed':
   * the status; for 'transfer': REFER or NOTIFY (the leg took part in a REFER transfer).
   */
  detail?: string;
}

/** The leg's media direction from `atMs` on ('none' before the first negotiation). */
export interface DirectionChange {
  atMs: number;
  direction: SdpDirection | 'none';
}

/** How often live calls are sampled, ms. */
export const CALL_POLL_MS = 50;
/** A poll this much later than due counts as a stall of the process, ms. */
const STALL_MS = 150;
/** Most stalls and direction changes kept per registry or call (bounded evidence). */
const MAX_SAMPLES = 5000;

/** One call as the registry follows it. */
export class TrackedCall {
  readonly events: CallEvent[] = [];
  readonly directions: DirectionChange[] = [];
  /**
   * When this leg's phone, silent until then, started a short tone just before a hang-up of
   * ours (harness/runner/hang-up-probe.ts): undefined when it did not.
   */
  probeMs: number | undefined;

  constructor(
    readonly call: Call,
    readonly side: CallSide,
    /** Who in the actor holds the call, e.g. "pstn1" or "deskphone1". */
    readonly party: string,
    readonly createdMs: number,
  ) {}

  private first(kind: CallEvent['kind']): CallEvent | undefined {
    return this.events.find((e) => e.kind === kind);
  }

  get establishedMs(): number | undefined {
    return this.first('established')?.atMs;
  }

  /** When the call ended or failed (undefined while it is up). */
  get endedMs(): number | undefined {
    return (this.first('ended') ?? this.first('failed'))?.atMs;
  }

  /** The first sign of release: our BYE/CANCEL/rejection, or the end (a BYE or final answer received). */
  get releaseMs(): number | undefined {
    const r = this.events.find((e) => e.kind === 'releasing' || e.kind === 'ended' || e.kind === 'failed');
    return r?.atMs;
  }

  /** Who released it first: 'local' (our actor or the case), 'remote' (over the SBC), undefined while up. */
  get releasedBy(): 'local' | 'remote' | undefined {
    const r = this.events.find((e) => e.kind === 'releasing' || e.kind === 'ended' || e.kind === 'failed');
    if (!r) return undefined;
    if (r.kind === 'releasing') return 'local';
    if (r.kind === 'ended') return r.detail === 'local' ? 'local' : 'remote';
    // A failure we caused ourselves (reject) shows as 'releasing' first; otherwise the far side failed it.
    return 'remote';
  }

  /** When the leg first took part in a REFER transfer (a REFER or a NOTIFY in its dialog). */
  get transferMs(): number | undefined {
    return this.first('transfer')?.atMs;
  }

  /** Still calling, ringing or established. */
  get up(): boolean {
    return this.call.state !== 'ended' && this.call.state !== 'failed';
  }

  /** The leg's direction at `atMs` ('none' before the first negotiation). */
  directionAt(atMs: number): SdpDirection | 'none' {
    let d: SdpDirection | 'none' = 'none';
    for (const c of this.directions) {
      if (c.atMs > atMs) break;
      d = c.direction;
    }
    return d;
  }

  /** Samples the direction (called by the registry's poll and on every event). */
  sample(atMs: number): void {
    const d = this.call.media.negotiated?.direction ?? 'none';
    const last = this.directions[this.directions.length - 1];
    if ((!last || last.direction !== d) && this.directions.length < MAX_SAMPLES)
      this.directions.push({ atMs, direction: d });
  }
}

/** The calls of one actor. */
export class CallRegistry {
  private readonly all: TrackedCall[] = [];
  /** Each call's record, whatever the history kept (trackedOf). */
  private readonly byCall = new WeakMap<Call, TrackedCall>();
  private readonly stallList: Array<{ fromMs: number; toMs: number }> = [];
  private poll: TimerHandle | undefined;
  private lastPollMs: number | undefined;
  /**
   * Awaited before our BYE of any call of this registry ({@link Call.beforeHangUp}), with the
   * call as tracked; unset, or returning undefined: the BYE goes at once.
   */
  beforeHangUp: ((t: TrackedCall) => Promise<void> | undefined) | undefined;

  constructor(
    readonly side: CallSide,
    /** The actor's clock: every time the registry records is on it. */
    readonly clock: Clock,
    /** Calls kept before the oldest ended ones are dropped (a simulator that runs for hours stays bounded). */
    public history = DEFAULT_CALL_HISTORY,
  ) {}

  /** Starts following `call` (from its creation). Returns the tracked call. */
  track(call: Call, party: string): TrackedCall {
    const now = this.clock.now();
    const t = new TrackedCall(call, this.side, party, now);
    t.events.push({ atMs: now, kind: 'created' });
    call.beforeHangUp = () => this.beforeHangUp?.(t);
    const add = (kind: CallEvent['kind'], detail?: string) => {
      const at = this.clock.now();
      t.events.push({ atMs: at, kind, ...(detail !== undefined ? { detail } : {}) });
      t.sample(at);
    };
    call.on('ringing', () => add('ringing'));
    call.on('established', () => {
      add('established');
      // A REFER or NOTIFY in the dialog: the leg is part of a transfer (its partner may change).
      call.dialog?.on('request', (req) => {
        if ((req.method === 'REFER' || req.method === 'NOTIFY') && t.transferMs === undefined)
          add('transfer', req.method);
      });
    });
    call.on('releasing', (how) => add('releasing', how));
    const bound = () => boundHistory(this.all, this.history, (x) => !x.up);
    call.on('ended', (by) => {
      add('ended', by);
      bound();
    });
    call.on('failed', (status) => {
      add('failed', String(status));
      bound();
    });
    call.on('remote-direction', () => t.sample(this.clock.now()));
    this.all.push(t);
    this.byCall.set(call, t);
    bound();
    this.arm();
    return t;
  }

  /** The record of `call`, when this registry follows it (a load judges each call's own legs by it). */
  trackedOf(call: Call): TrackedCall | undefined {
    return this.byCall.get(call);
  }

  /** Calls created at or after `ms` (the actor's clock), oldest first. */
  since(ms: number): TrackedCall[] {
    return this.all.filter((t) => t.createdMs >= ms);
  }

  /** Calls still calling, ringing or established. */
  live(): TrackedCall[] {
    return this.all.filter((t) => t.up);
  }

  /** Now on the registry's clock (the scale of every time it records). */
  now(): number {
    return this.clock.now();
  }

  /** Periods in [fromMs, toMs] when the process was stalled (its own poll ran late). */
  stalls(fromMs: number, toMs: number): Array<{ fromMs: number; toMs: number }> {
    return this.stallList.filter((s) => s.toMs > fromMs && s.fromMs < toMs);
  }

  /** Forgets ended calls created before `ms` (a long run keeps its memory bounded). */
  forget(beforeMs: number): void {
    for (let i = this.all.length - 1; i >= 0; i--) {
      const t = this.all[i]!;
      if (t.createdMs < beforeMs && !t.up) this.all.splice(i, 1);
    }
  }

  private arm(): void {
    if (this.poll) return;
    this.lastPollMs = this.clock.now();
    this.poll = this.clock.setTimeout(() => this.tick(), CALL_POLL_MS);
  }

  private tick(): void {
    this.poll = undefined;
    const now = this.clock.now();
    const due = (this.lastPollMs ?? now) + CALL_POLL_MS;
    if (now - due > STALL_MS) {
      // The latest are kept: a long load asks about its recent calls' windows.
      if (this.stallList.length >= MAX_SAMPLES) this.stallList.shift();
      this.stallList.push({ fromMs: due, toMs: now });
    }
    const live = this.live();
    for (const t of live) t.sample(now);
    if (live.length > 0) this.arm();
    else this.lastPollMs = undefined;
  }
}
