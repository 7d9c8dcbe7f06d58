/**
 * Ending a run early (Ctrl-C) and the order in which cases start.
 *
 * An interrupted run starts no new case; its running cases stop where they are, end their calls
 * and stop their labs within a bounded time, and leave no cell in the journal, so
 * `run --resume DIR` runs them again. What finished stays as it was written.
 */
import type { CaseDefinition } from './case-definition.ts';

/** The run was stopped from outside (Ctrl-C, SIGTERM). */
export class RunInterrupted extends Error {
  override name = 'RunInterrupted';
  constructor() {
    super('the run was interrupted');
  }
}

/**
 * A promise that rejects with RunInterrupted when `signal` aborts (never without a signal), and
 * the function that drops its listener.
 */
export function whenAborted(signal: AbortSignal | undefined): {
  promise: Promise<never>;
  dispose: () => void;
} {
  if (!signal) return { promise: new Promise<never>(() => {}), dispose: () => {} };
  let onAbort: () => void = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(new RunInterrupted());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined); // handled by whoever races it
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/** Waits `ms`, or less when `signal` aborts (then rejects with RunInterrupted). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  const aborted = whenAborted(signal);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
    aborted.promise,
  ]).finally(() => {
    clearTimeout(timer);
    aborted.dispose();
  });
}

/** Runs `p` for at most `ms` (clean-up after an interrupt must not hold the exit). */
export async function atMost(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!p) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => undefined),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * The order in which cases start: the longest first (by their real-time waits), the others in
 * plan order. With several workers the whole plan then ends close to its longest case, instead
 * of that case starting late and running alone at the end.
 */
export function longestFirst<T extends Pick<CaseDefinition, 'waits'>>(
  cases: readonly T[],
  quick: boolean,
): T[] {
  const wait = (c: T) => (quick ? (c.waits?.quickMs ?? 0) : (c.waits?.fullMs ?? 0));
  return cases
    .map((c, i) => ({ c, i }))
    .sort((a, b) => wait(b.c) - wait(a.c) || a.i - b.i)
    .map((x) => x.c);
}
