/**
 * Progress of a run in the terminal, fed by the run's events (harness/runner/run-events.ts).
 *
 * - Live (stdout is a terminal and CI is not set): one line per running case (id, title,
 *   elapsed / expected, the step it is at), redrawn in place about once a second below the
 *   lines already printed; a finished cell's line is printed above them.
 * - Plain (a pipe, a file, CI=true): append-only lines without escape codes: a case started, its
 *   step changed, and for a step that lasts (a long wait) a line every 30 s saying what it waits
 *   for and how long it has waited.
 *
 * While the engineer is asked something (an `instruction` event until its `answer`, or a prompt
 * wrapped by `quietWhile`), nothing is redrawn or added, so the question and its answer are not
 * garbled.
 */

import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Prompter, RunEvent, RunEvents } from '../runner/index.ts';
import { type Logger, REDACTED_PATHS } from '../support/log.ts';

export type ProgressMode = 'live' | 'plain';

/** Live lines on a terminal; plain lines on a pipe, in a file or with CI=true. */
export function progressMode(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): ProgressMode {
  return stream.isTTY === true && env.CI !== 'true' && env.TERM !== 'dumb' ? 'live' : 'plain';
}

export interface ProgressOptions {
  /** Where the lines go (the run's stdout). */
  out: (s: string) => void;
  mode: ProgressMode;
  /** Width of the terminal, for live lines (they must not wrap). */
  columns?: () => number;
  now?: () => number;
  /** How often the live lines are redrawn, ms (1 s). */
  redrawMs?: number;
  /** In plain mode, a step that lasts this long is reported again every as long, ms (30 s). */
  reportEveryMs?: number;
}

interface Running {
  id: string;
  title: string;
  expectedMs: number;
  startMs: number;
  step: string;
  stepAtMs: number;
  /** Plain mode: when the step was last reported. */
  reportedAtMs: number;
}

const ESC = '\x1b[';

/** "0:07", "4:59", "1:02:03". */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "45 s", "5 min", "1 min 30 s". */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
}

export class ProgressLines {
  private readonly running = new Map<string, Running>();
  /** Open questions to the engineer: nothing is drawn or added while one is open. */
  private readonly open = new Set<string>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly off: () => void;
  private readonly now: () => number;
  private stopped = false;

  constructor(
    events: RunEvents,
    private readonly o: ProgressOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.off = events.on((e) => this.onEvent(e));
    this.timer = setInterval(() => this.tick(), o.mode === 'live' ? (o.redrawMs ?? 1000) : 1000);
    this.timer.unref();
  }

  /** Prints text (whole lines) above the live lines; in plain mode, just prints it. */
  print(text: string): void {
    if (this.o.mode === 'live' && !this.stopped) {
      this.o.out(`${this.clearText()}${text}${this.paused() ? '' : this.blockText()}`);
    } else this.o.out(text);
  }

  /** Keeps the lines quiet while `p` runs (a question on the terminal). */
  async quietWhile<T>(key: string, p: () => Promise<T>): Promise<T> {
    this.pause(key);
    try {
      return await p();
    } finally {
      this.resume(key);
    }
  }

  /** A prompter whose questions keep the lines quiet while they are open. */
  guard(p: Prompter): Prompter {
    let n = 0;
    return {
      ask: (question, choices, signal) =>
        this.quietWhile(`ask#${++n}`, () => p.ask(question, choices, signal)),
      instruct: (i, signal) => this.quietWhile(`instruct#${i.id}`, () => p.instruct(i, signal)),
    };
  }

  /** The ids of the running cases. */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** Removes the live lines and stops listening. */
  stop(): void {
    if (this.stopped) return;
    if (this.o.mode === 'live' && this.drawn > 0) this.o.out(this.clearText());
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.off();
  }

  /** The live lines as they would be drawn now (tests, and the redraw). */
  liveLines(): string[] {
    const width = Math.max(20, (this.o.columns?.() ?? 80) - 1);
    const t = this.now();
    return [...this.running.values()].map((r) => {
      // The times come before the title, so a narrow terminal cuts the title, not them.
      const title = r.title.length > 40 ? `${r.title.slice(0, 39)}…` : r.title;
      const line = `▶ ${r.id.padEnd(6)} ${clock(t - r.startMs)} / ~${clock(r.expectedMs)}  ${title}${r.step ? ` — ${r.step}` : ''}`;
      return line.length > width ? `${line.slice(0, width - 1)}…` : line;
    });
  }

  private onEvent(e: RunEvent): void {
    if (this.stopped) return;
    const t = this.now();
    switch (e.type) {
      case 'case-start': {
        this.running.set(e.id, {
          id: e.id,
          title: e.title,
          expectedMs: e.expectedMs,
          startMs: e.atMs,
          step: '',
          stepAtMs: e.atMs,
          reportedAtMs: e.atMs,
        });
        if (this.o.mode === 'plain')
          this.plain(`${e.id} started: ${e.title} (expected about ${span(e.expectedMs)})`);
        else this.redraw();
        return;
      }
      case 'case-step': {
        const r = this.running.get(e.id);
        if (!r || r.step === e.step) return;
        r.step = e.step;
        r.stepAtMs = e.atMs;
        r.reportedAtMs = t;
        if (this.o.mode === 'plain') this.plain(`${e.id} ${e.step}`);
        else this.redraw();
        return;
      }
      case 'case-end':
        this.running.delete(e.id);
        if (this.o.mode === 'live') this.redraw();
        return;
      case 'instruction':
        this.pause(e.instruction.id);
        return;
      case 'answer':
        this.resume(e.instructionId);
        return;
      case 'run-end':
        this.stop();
        return;
      default:
        return;
    }
  }

  private tick(): void {
    if (this.stopped || this.paused()) return;
    if (this.o.mode === 'live') {
      this.redraw();
      return;
    }
    const t = this.now();
    const every = this.o.reportEveryMs ?? 30_000;
    for (const r of this.running.values()) {
      if (t - r.reportedAtMs < every) continue;
      r.reportedAtMs = t;
      // The runner's waits read "waiting 5 min: the 5-minute call".
      const wait = /^waiting ([^:]+): (.+)$/.exec(r.step);
      const what = wait
        ? `still waiting for ${wait[2]}: ${span(t - r.stepAtMs)} of ${wait[1]}`
        : `still at "${r.step || 'its start'}": ${span(t - r.stepAtMs)}`;
      this.plain(`${r.id} ${what} (case ${span(t - r.startMs)} of about ${span(r.expectedMs)})`);
    }
  }

  private plain(line: string): void {
    if (this.paused()) return;
    this.o.out(`· ${line}\n`);
  }

  private paused(): boolean {
    return this.open.size > 0;
  }

  private pause(key: string): void {
    const was = this.paused();
    this.open.add(key);
    if (!was && this.o.mode === 'live' && this.drawn > 0 && !this.stopped) this.o.out(this.clearText());
  }

  private resume(key: string): void {
    this.open.delete(key);
    if (!this.paused() && this.o.mode === 'live') this.redraw();
  }

  private redraw(): void {
    if (this.stopped || this.paused()) return;
    const text = `${this.clearText()}${this.blockText()}`;
    if (text) this.o.out(text);
  }

  /** Moves up over the drawn lines and clears to the end of the screen. */
  private clearText(): string {
    if (this.drawn === 0) return '';
    const n = this.drawn;
    this.drawn = 0;
    return `${ESC}${n}A\r${ESC}J`;
  }

  private blockText(): string {
    const lines = this.liveLines();
    this.drawn = lines.length;
    return lines.map((l) => `${l}\n`).join('');
  }
}

/**
 * A logger for live mode: its lines (pretty, as on a terminal) are printed above the live lines
 * instead of through them. Secrets are redacted as by every logger (support/log.ts).
 */
export function progressLogger(progress: ProgressLines, level: string): Logger {
  const pretty = prettyFactory({ colorize: true });
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: '[secret]' } },
    { write: (line: string) => progress.print(pretty(line)) },
  );
}
