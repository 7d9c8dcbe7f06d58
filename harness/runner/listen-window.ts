/**
 * A listening window that the harness's own stalls do not spoil. A check that listens to a
 * window judges what was heard in it: the last 400 ms of a tone, the music on hold, the fax
 * signals of the whole window. When this process's event loop is held up (a loaded host, a
 * collection of the heap), the datagrams of that time wait in the socket until the loop runs
 * again, and the RTP senders of this process skip the send slots they missed beyond their
 * catch-up, a gap in their stream (harness/media/rtp/send-clock.ts). A handset of the
 * simulated OXO, which hears by the clock what its mixer had by then, counts everything not
 * yet read as silence. A window with such a stall says nothing about the SBC, so it is
 * listened to again. When every window stalled, the last one is judged, and the case keeps
 * only what a stall cannot have made ({@link unjudgedIfStalled}): a stall takes audio away,
 * it never adds any.
 *
 * Before reading, the sockets get a few turns of the event loop: a timer (the end of the
 * window) may run before the datagrams that arrived by then are read, and a packet that an
 * SBC in this process relays is read by the far leg one turn after the SBC read it. They get
 * the same turns before a window starts, so that what arrived before it is not counted in it.
 */
import { LoopLateness, STALL_MS } from '../support/loop-lateness.ts';
import type { CaseContext } from './case-context.ts';
import type { CheckDetail } from './checks.ts';

/** Windows listened to at most (the first and two more). */
export const LISTEN_TRIES = 3;
/** Turns of the event loop the sockets get before a window starts and before it is read. */
const READ_TURNS = 3;
/** How often the event loop's lateness is sampled during a window, ms. */
const LATENESS_RESOLUTION_MS = 10;

export interface ListenWindow<T> {
  /** How long a window lasts, ms (when there is no `wait`). */
  ms?: number;
  /** The window's wait instead of `ms`: a case's `ctx.wait`, which --quick shortens and says so. */
  wait?: () => Promise<void>;
  /** Starts a window: forgets what was heard so far, starts what is said. Called once per window. */
  start(): void;
  /** What was heard, read at the end of a window. */
  read(): T;
  /** Windows at most (default {@link LISTEN_TRIES}). */
  tries?: number;
}

export interface Listened<T> {
  /** What was heard in the window judged. */
  heard: T;
  /** The longest stall of this process in each window listened to again, ms. */
  stalledMs: number[];
  /** The longest stall in the window judged, ms: 0 unless every window stalled. */
  judgedStallMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Listens for a window of `w.ms` or `w.wait()` (see the module comment). `what` names the
 * check in the progress step and in the comment's notes; `ctx` may be any part of a case
 * context that has them.
 */
export async function listenWindow<T>(
  ctx: Pick<CaseContext, 'note' | 'step'>,
  what: string,
  w: ListenWindow<T>,
): Promise<Listened<T>> {
  const tries = Number.isFinite(w.tries) ? Math.max(1, Math.floor(w.tries as number)) : LISTEN_TRIES;
  const stalledMs: number[] = [];
  ctx.step(`listening (${what})`);
  for (let i = 1; ; i++) {
    let heard: T;
    let stallMs: number;
    // What arrived before the window is read before it starts, not counted inside it.
    for (let t = 0; t < READ_TURNS; t++) await turn();
    const lateness = new LoopLateness(LATENESS_RESOLUTION_MS);
    lateness.start();
    try {
      w.start();
      if (w.wait) await w.wait();
      else await sleep(w.ms ?? 0);
      for (let t = 0; t < READ_TURNS; t++) await turn();
      heard = w.read();
      stallMs = Math.round(lateness.take().maxMs);
    } finally {
      lateness.stop();
    }
    if (stallMs <= STALL_MS) {
      if (stalledMs.length > 0) ctx.note(relistenedNote(what, stalledMs));
      return { heard, stalledMs, judgedStallMs: 0 };
    }
    if (i >= tries) {
      ctx.note(
        `${what}: this process itself stalled in every window listened to (${[...stalledMs, stallMs].join(', ')} ms: its event loop was held up, a stall of this host, not something the SBC did); the last window was judged for what was heard in it.`,
      );
      return { heard, stalledMs, judgedStallMs: stallMs };
    }
    stalledMs.push(stallMs);
    ctx.step(`listening again (${what}): this process stalled ${stallMs} ms`);
  }
}

/** What an observation adds when the window judged had a stall of this process (every window had one). */
export function stallText(judgedStallMs: number): string {
  return judgedStallMs > 0 ? ` (this process stalled ${judgedStallMs} ms in the window)` : '';
}

/**
 * For a check on a window: when every window had a stall of this process and the check's
 * outcome is one a stall could have made (`couldBeTheStall`: the failure of a check that a
 * tone, the music or a signal is heard whole, the pass of a check that something is not
 * heard), the check is recorded but not judged, and the cell is INCOMPLETE unless another
 * check failed. A stall only takes audio away: what was heard is judged as usual.
 */
export function unjudgedIfStalled(
  listened: Pick<Listened<unknown>, 'judgedStallMs'>,
  couldBeTheStall: boolean,
): Pick<CheckDetail, 'incomplete'> {
  if (listened.judgedStallMs <= 0 || !couldBeTheStall) return {};
  return {
    incomplete:
      'what a stall of this process could have made in a window (a silence, a missing or damaged signal) is recorded but not judged; run the case again on a less loaded host',
  };
}

function relistenedNote(what: string, stalledMs: number[]): string {
  const n = stalledMs.length;
  const times = n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
  return `${what}: listened again ${times}, this process itself having stalled ${stalledMs.join(', ')} ms in the ${n === 1 ? 'window' : 'windows'} before (its event loop was held up, a stall of this host, not something the SBC did); the window judged had no stall.`;
}
