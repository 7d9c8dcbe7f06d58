/**
 * Bounds on what the simulators keep of ended calls. A phone, an extension or a call registry
 * keeps its calls so that a case can read them (their state, received audio, DTMF), but a
 * simulator that lives for hours (`sbc-harness sim`, a run-scoped lab, the wire fuzz) must not
 * keep every call it ever had: past the bound, the oldest calls that have ended or failed are
 * dropped (a call still calling, ringing or established is never dropped). Their media legs are
 * closed when the call ends (call.ts), so dropping the call releases its recorded audio too.
 */

/** Calls a phone, extension or registry keeps by default before dropping its oldest ended ones. */
export const DEFAULT_CALL_HISTORY = 200;

/**
 * What simulators that run on their own keep (`sbc-harness sim`, and the wire fuzz that starts
 * them the same way): nobody reads their calls after the fact, and a hostile peer can make each
 * call big (an INVITE with 100 KB of headers is kept with its call). Per phone or extension, and
 * per call registry.
 */
export const STANDALONE_CALL_HISTORY = { perParty: 2, registry: 8 } as const;

/** Applies {@link STANDALONE_CALL_HISTORY} to a simulator's phones, extensions and call registries. */
export function keepStandaloneHistory(parts: {
  parties: Iterable<{ history: number }>;
  registries: Iterable<{ history: number }>;
}): void {
  for (const p of parts.parties) p.history = STANDALONE_CALL_HISTORY.perParty;
  for (const r of parts.registries) r.history = STANDALONE_CALL_HISTORY.registry;
}

/**
 * How long an incoming call rings unanswered before the simulator gives up with 480, ms by
 * default: 3 minutes, like Timer C (RFC 3261 16.7, > 3 min) or a PSTN no-answer timer.
 */
export const DEFAULT_RING_TIMEOUT_MS = 180_000;

/**
 * Drops the oldest entries for which `ended` holds until `list` has at most `max` entries (or
 * no ended entry is left). Keeps the order of the rest. Returns how many were dropped.
 */
export function boundHistory<T>(list: T[], max: number, ended: (item: T) => boolean): number {
  const limit = Math.max(0, Math.floor(max));
  let excess = list.length - limit;
  if (excess <= 0) return 0;
  let dropped = 0;
  let w = 0;
  for (let r = 0; r < list.length; r++) {
    const item = list[r] as T;
    if (excess > 0 && ended(item)) {
      excess--;
      dropped++;
      continue;
    }
    list[w++] = item;
  }
  list.length = w;
  return dropped;
}

/** A call that has ended or failed (its state, as call.ts names it). */
export function callOver(c: { state: string }): boolean {
  return c.state === 'ended' || c.state === 'failed';
}
