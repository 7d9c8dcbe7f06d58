import { join } from 'node:path';
import type { RunOutcome } from '../runner/index.ts';

/**
 * Ctrl-C (SIGINT) and SIGTERM for a command that has something to end cleanly (`run`): the first
 * signal aborts, and the command winds down within about a second; a second one quits at once.
 */
export interface StopOnSignal {
  /** Aborted by the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** The signal that stopped the command, if one did. */
  which(): string | undefined;
  /** Stops listening (the command ended). */
  dispose(): void;
}

export function stopOnSignal(onFirst: (sig: string) => void, exitCode = 130): StopOnSignal {
  const ac = new AbortController();
  let got: string | undefined;
  const on = (sig: string) => () => {
    if (got !== undefined) {
      process.stderr.write(`${sig} again: quitting at once\n`);
      process.exit(exitCode);
    }
    got = sig;
    ac.abort();
    try {
      onFirst(sig);
    } catch {
      // saying so must not stop the stopping
    }
    // Whatever is left (a timer of a stopped case, a socket) must not hold the exit.
    setTimeout(() => process.exit(exitCode), 5000).unref();
  };
  const onInt = on('SIGINT');
  const onTerm = on('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: ac.signal,
    which: () => got,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/** After an interrupted command has said what it had to: exit soon even if a timer is left. */
export function exitSoon(code: number, ms = 300): void {
  setTimeout(() => process.exit(code), ms).unref();
}

/** What an interrupted run says at its end: what finished (and only that), and how to go on. */
export function interruptedSummary(outcome: RunOutcome, outDir: string): string {
  const s = outcome.results.summary;
  const i = outcome.interrupted ?? { stopped: [], notStarted: [] };
  const unfinished = [
    ...(i.stopped.length > 0 ? [`${i.stopped.join(', ')} stopped unfinished`] : []),
    ...(i.notStarted.length > 0 ? [`${i.notStarted.length} not started`] : []),
  ];
  return (
    `\nInterrupted. ${s.total} cell(s) finished: ${s.OK} OK, ${s.NOK} NOK, ${s['N/A']} N/A, ${s.ERROR} ERROR, ${s.INCOMPLETE} INCOMPLETE → ${join(outDir, 'results.json')}\n` +
    `${unfinished.length > 0 ? `Not finished: ${unfinished.join('; ')} (no cell written for them).\n` : ''}` +
    `Continue with: npx sbc-harness run --resume ${outDir}\n` +
    `Reports of the finished cells: npx sbc-harness report ${outDir}\n`
  );
}
