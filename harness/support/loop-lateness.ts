/**
 * How late this process's event loop ran, sampled by a 10 ms timer: each tick's lateness is
 * its interval beyond 10 ms. {@link take} gives the figures since the last take and starts
 * again. Besides the 99th percentile of the ticks (a count of ticks, so a long stall weighs one
 * tick however long it lasts), it gives the share of the time spent in stalls longer than
 * {@link STALL_MS}: a 400 ms stall every 2 s is 0.6 % of the ticks but 20 % of the time.
 */

/** A stall at least this long makes the RTP send clock skip slots (it catches up 10 packets). */
export const STALL_MS = 200;

/** The lateness figures of a period, ms (and a share). */
export interface LoopLatenessFigures {
  p99Ms: number;
  maxMs: number;
  /** Time in stalls longer than {@link STALL_MS}, as a share of the period (0..1). */
  stalledShare: number;
}

export class LoopLateness {
  private timer: ReturnType<typeof setInterval> | undefined;
  private late: number[] = [];
  private last = 0;
  private from = 0;
  private stalled = 0;

  constructor(private readonly resolutionMs = 10) {}

  start(): void {
    if (this.timer) return;
    this.last = performance.now();
    this.from = this.last;
    this.timer = setInterval(() => this.tick(), this.resolutionMs);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    const late = Math.max(0, now - this.last - this.resolutionMs);
    this.last = now;
    // Bounded: at most one sample per tick, and a take() every step empties it.
    if (this.late.length < 1_000_000) this.late.push(late);
    if (late > STALL_MS) this.stalled += late;
  }

  /** The figures since the last take (or the start); starts a new period. */
  take(): LoopLatenessFigures {
    const now = performance.now();
    const span = Math.max(1, now - this.from);
    const sorted = this.late.sort((a, b) => a - b);
    const p99 = sorted.length > 0 ? (sorted[Math.ceil(0.99 * sorted.length) - 1] as number) : 0;
    const max = sorted.length > 0 ? (sorted[sorted.length - 1] as number) : 0;
    const figures = { p99Ms: p99, maxMs: max, stalledShare: Math.min(1, this.stalled / span) };
    this.late = [];
    this.stalled = 0;
    this.from = now;
    return figures;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
