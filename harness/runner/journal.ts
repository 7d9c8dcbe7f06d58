/**
 * The journal: append-only JSON lines, one per finished check and cell, written and flushed to
 * disk as they happen, so a killed run loses nothing it finished. It is the source of truth:
 * results.json and every report are pure functions of it.
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import type { EngineerAnswer, Instruction } from './engineer.ts';
import type { Cell, CheckRecord } from './verdict.ts';

export interface RunInfo {
  id: string;
  startedAt: string;
  harnessVersion: string;
  profile: { name: string; file: string; method: string; tester: string; description: string };
  sbc: { kind: string; model: string; firmware: string };
  pbx: { name: string; release: string };
  provider: { name: string };
  options: {
    quick: boolean;
    workers: number;
    only?: string;
    faults: string[];
    personalities?: string[];
    /** Secure defaults the profile opened on purpose (config/open-switches.ts), when any. */
    openSwitches?: string[];
    interactive: boolean;
  };
  host: { node: string; platform: string };
  /** Who is who on the wire: address → actor name ("provider", "SBC WAN", …), for ladders. */
  actors: Record<string, string>;
}

export type JournalEntry =
  | { type: 'run'; run: RunInfo }
  | { type: 'resume'; at: string }
  | { type: 'check'; case: string; check: CheckRecord }
  | { type: 'cell'; cell: Cell }
  /** An engineer's answer, kept so that a resumed run does not ask again (engineer.ts). */
  | { type: 'answer'; case: string; key: string; instruction: Instruction; answer: EngineerAnswer }
  | { type: 'end'; at: string; exitCode: number };

export class Journal {
  private fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a+');
    // A run killed mid-write leaves its last line cut: what comes next starts on a line of its own.
    const size = fstatSync(this.fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) writeSync(this.fd, '\n');
    }
  }

  append(entry: JournalEntry): void {
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    fdatasyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface JournalContents {
  entries: JournalEntry[];
  /** Lines that could not be read (a line cut by a kill, a hand edit), with their numbers. */
  problems: string[];
}

/** Reads a journal; a damaged line (typically the last one of a killed run) is reported, not fatal. */
export function readJournal(path: string): JournalContents {
  if (!existsSync(path)) return { entries: [], problems: [`${path} does not exist`] };
  const entries: JournalEntry[] = [];
  const problems: string[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const e = JSON.parse(line) as JournalEntry;
      if (!e || typeof e !== 'object' || typeof (e as { type?: unknown }).type !== 'string')
        throw new Error('no type');
      entries.push(e);
    } catch {
      problems.push(
        `line ${i + 1} is not a journal entry (${line.length > 60 ? `${line.slice(0, 60)}…` : line})`,
      );
    }
  });
  return { entries, problems };
}
