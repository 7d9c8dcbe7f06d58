/**
 * What a running plan tells its watchers as it goes: the terminal's progress lines, the live
 * console (`run --ui`), and tests. Events are facts that already happened; a watcher that throws
 * or is slow never changes a verdict (they are delivered synchronously and errors are dropped).
 */
import type { EngineerAnswer, Instruction } from './engineer.ts';
import type { Cell, SipEvidenceMessage } from './verdict.ts';

/** One case of the plan as the watchers list it. */
export interface PlannedCase {
  id: string;
  section: string;
  title: string;
  /** What the case takes, roughly (its real-time waits plus set-up), ms. */
  expectedMs: number;
  /** Already finished in this run (resume): its cell. */
  cell?: Cell;
}

export type RunEvent =
  | { type: 'plan'; runDir: string; cases: PlannedCase[] }
  /** What the run (not a case) is doing or waiting for ("waiting for the real OXO to register…"). */
  | { type: 'run-step'; step: string; atMs: number }
  | { type: 'case-start'; id: string; title: string; expectedMs: number; atMs: number }
  /** What the case is doing or waiting for now, in a few words ("waiting 300 s: the call is held up"). */
  | { type: 'case-step'; id: string; step: string; atMs: number }
  | { type: 'case-end'; id: string; cell: Cell }
  /** A SIP message of the running case, as the reports draw it (already redacted). */
  | { type: 'sip'; id: string; message: SipEvidenceMessage }
  /** The engineer is asked to act or to observe; an `answer` event follows when answered. */
  | { type: 'instruction'; instruction: Instruction }
  | { type: 'answer'; instructionId: string; answer: EngineerAnswer }
  | { type: 'run-end'; exitCode: number };

export type RunEventListener = (e: RunEvent) => void;

/** The run's event bus. */
export class RunEvents {
  private readonly listeners = new Set<RunEventListener>();
  /** Every event so far (a page that connects late replays them); bounded. */
  readonly history: RunEvent[] = [];
  private static readonly HISTORY_LIMIT = 50_000;

  on(l: RunEventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  emit(e: RunEvent): void {
    if (this.history.length < RunEvents.HISTORY_LIMIT) this.history.push(e);
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a watcher's failure is its own
      }
    }
  }
}
