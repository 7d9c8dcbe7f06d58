/**
 * Log lines about bad input from the network, summarised: of each reason, the first
 * `firstLines` lines of an interval are written as they come, the rest only counted, and when
 * the interval ends one line says how many were left out. A flood of 140,000 malformed messages
 * then costs a few lines every 10 s instead of one line each (issue 15, finding 7).
 *
 * A reason is a short fixed key (`unparsable:bad-header`, `slow-stream`, `source-limit`), never
 * text from the network, so the table of reasons stays small.
 */
import { type Clock, systemClock, type TimerHandle } from './clock.ts';
import type { Logger } from './log.ts';

export interface LogSummaryOptions {
  /** Lines of one reason written as they come in each interval (default 10). */
  firstLines?: number;
  /** Length of an interval in ms (default 10 s). */
  intervalMs?: number;
  clock?: Clock;
}

export const DEFAULT_LOG_SUMMARY = { firstLines: 10, intervalMs: 10_000 } as const;

type Level = 'warn' | 'info' | 'error';

interface Window {
  logged: number;
  suppressed: number;
  level: Level;
  timer: TimerHandle;
}

/** Writes through `log`, summarising each reason beyond its first lines per interval. */
export class SummarizedLog {
  private readonly windows = new Map<string, Window>();
  private readonly firstLines: number;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  /** Lines left out so far, over every reason (also those already summarised). */
  suppressedTotal = 0;

  constructor(
    private readonly log: Logger,
    opts: LogSummaryOptions = {},
  ) {
    this.firstLines = opts.firstLines ?? DEFAULT_LOG_SUMMARY.firstLines;
    this.intervalMs = opts.intervalMs ?? DEFAULT_LOG_SUMMARY.intervalMs;
    this.clock = opts.clock ?? systemClock;
  }

  warn(reason: string, fields: Record<string, unknown>, msg: string): void {
    this.write('warn', reason, fields, msg);
  }

  info(reason: string, fields: Record<string, unknown>, msg: string): void {
    this.write('info', reason, fields, msg);
  }

  /** Writes the summary of every open interval now (on shutdown) and forgets them. */
  flush(): void {
    for (const reason of [...this.windows.keys()]) this.close(reason);
  }

  private write(level: Level, reason: string, fields: Record<string, unknown>, msg: string): void {
    if (!this.log.isLevelEnabled(level)) return;
    let w = this.windows.get(reason);
    if (!w) {
      w = {
        logged: 0,
        suppressed: 0,
        level,
        timer: this.clock.setTimeout(() => this.close(reason), this.intervalMs),
      };
      this.windows.set(reason, w);
    }
    if (w.logged < this.firstLines) {
      w.logged++;
      this.log[level]({ ...fields, reason }, msg);
      return;
    }
    w.suppressed++;
    this.suppressedTotal++;
  }

  private close(reason: string): void {
    const w = this.windows.get(reason);
    if (!w) return;
    this.windows.delete(reason);
    w.timer.cancel();
    if (w.suppressed === 0) return;
    this.log[w.level](
      { reason, suppressed: w.suppressed, logged: w.logged, intervalMs: this.intervalMs },
      `${w.suppressed} more "${reason}" lines left out (the first ${w.logged} of the last ${this.intervalMs / 1000} s were written)`,
    );
  }
}
