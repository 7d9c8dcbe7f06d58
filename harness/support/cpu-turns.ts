/**
 * Turns for synchronous, CPU-heavy work (the audio analysis at the end of a check). Many calls
 * of a load, started together, end together: their analyses, run back to back from one timer
 * phase, kept the RTP send clocks of every other call from running for as long as all of them
 * took (a second for 40 calls), and the senders skipped their slots. Awaiting {@link cpuTurn}
 * first runs such work in turns of the event loop of at most {@link TURN_BUDGET_MS} each (a
 * piece is not cut: one that takes longer has a turn to itself), so timers and sockets are
 * served between two turns. Pieces run in the order they asked; nothing is dropped.
 */

/** Work started in one turn once this much of it has run, ms. */
export const TURN_BUDGET_MS = 15;

const waiting: Array<() => void> = [];
let scheduled = false;
let turnStart = 0;

/**
 * Lets the next piece run. Its continuation runs in the microtasks queued by `resolve`, and the
 * check queued after it runs once that piece has run up to its next `await`.
 */
function next(): void {
  const resolve = waiting.shift();
  if (!resolve) {
    scheduled = false;
    return;
  }
  resolve();
  queueMicrotask(() => {
    if (waiting.length === 0) scheduled = false;
    else if (performance.now() - turnStart < TURN_BUDGET_MS) next();
    else setImmediate(turn);
  });
}

function turn(): void {
  turnStart = performance.now();
  next();
}

/** Resolves in a turn given to such work, after every piece that asked before it. */
export function cpuTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) {
      scheduled = true;
      setImmediate(turn);
    }
  });
}

/** Pieces waiting for their turn (for tests and progress). */
export function cpuTurnsWaiting(): number {
  return waiting.length;
}
