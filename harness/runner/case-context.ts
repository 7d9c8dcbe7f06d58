/**
 * What a case's run function is handed: the lab's actors, the checks, the profile, and the
 * few services a case needs (a wait that --quick shortens, notes for the comment, questions
 * to the engineer in interactive mode).
 */
import type { Call, Lab, OxoTrunk, Provider, ReferenceSbc } from '../actors/index.ts';
import type { Profile } from '../config/profile-schema.ts';
import type { Logger } from '../support/log.ts';
import type { Checks } from './checks.ts';
import type { Prompter } from './prompter.ts';

export interface CaseContext {
  id: string;
  profile: Profile;
  lab: Lab;
  provider: Provider;
  oxo: OxoTrunk;
  /** The embedded SBC, when the profile uses it (undefined for an external SBC). */
  sbc: ReferenceSbc | undefined;
  check: Checks;
  quick: boolean;
  log: Logger;
  /** Waits `fullMs`, or `quickMs` with --quick (and says so in the comment). */
  wait(fullMs: number, quickMs: number, what: string): Promise<void>;
  /** Adds a sentence to the cell's comment. */
  note(text: string): void;
  /**
   * Declares that `call` legitimately receives no media from now until the returned function is
   * called or the call ends (a mute window): the media invariant does not count that silence.
   */
  expectSilence(call: Call, reason: string): () => void;
  /** Asks the engineer (interactive mode); the answer is recorded in the cell. */
  ask(question: string, choices?: string[]): Promise<string>;
  /**
   * Waives a rule of docs/sip-rules.md on one of our legs for this case, saying why: where what
   * the SBC does there follows from what the case's own actor deliberately failed to do, and
   * more than one behaviour is legal (a B2BUA ACKs a 2xx itself, a proxy relays the caller's ACK
   * end to end). Its findings are recorded, not judged.
   */
  waiveSipRule(rule: 'ack-2xx', leg: 'provider' | 'oxo', reason: string): void;
  /** Says what the case does or waits for now (progress lines, the live console). */
  step(text: string): void;
  /**
   * Real equipment: an instruction to the engineer ("Answer on Premium Deskphone 1"). Resolves
   * when done; the engineer's nok is a failed check with their words, na ends the case as N/A.
   * Without anyone to ask (no --interactive / --ui) the case ends INCOMPLETE.
   */
  instruct(side: 'oxo' | 'provider', text: string): Promise<void>;
  /**
   * Real equipment: an observation only the engineer can make ("Does the display show
   * 040555001?"), recorded as a check judged by the engineer. True when the engineer said ok.
   */
  observe(side: 'oxo' | 'provider', name: string, question: string, expected: string): Promise<boolean>;
  readonly prompter: Prompter | undefined;
  /**
   * With an external SBC, when the run's simulators came up (Date.now() ms): a registration the
   * SBC made since then counts. Undefined with the embedded SBC (a lab per case).
   */
  runStartedAtMs?: number | undefined;
}

/** Thrown by a case when it cannot run for a reason of the harness (it becomes ERROR). */
export class HarnessError extends Error {
  override name = 'HarnessError';
}

/** Thrown by a case that finds itself not applicable at run time (it becomes N/A). */
export class NotApplicable extends Error {
  override name = 'NotApplicable';
}

/**
 * Thrown by a case that cannot be judged here although the feature may apply to the product
 * (nothing to judge arrived in time, an engineer's answer is needed in a run that cannot ask):
 * the cell becomes INCOMPLETE with the message, never N/A or NOK (docs/verdicts.md).
 */
export class NotJudgedHere extends Error {
  override name = 'NotJudgedHere';
}
