/**
 * An injectable clock. Every timer in the harness takes one, so protocol tests can run
 * on virtual time while real runs use the monotonic clock.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (not wall time). */
  now(): number;
  /** Wall-clock time, for timestamps in evidence. */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** A handle of the real clock: a class rather than a closure per timer (the SIP stack arms several per call). */
class SystemTimer implements TimerHandle {
  constructor(private readonly t: ReturnType<typeof setTimeout>) {}
  cancel(): void {
    clearTimeout(this.t);
  }
}

/** The real clock: performance.now() for intervals, Date.now() for evidence. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return new SystemTimer(t);
  },
};

interface VirtualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires due timers in order of their
 * due time (then of creation), including timers that those callbacks create.
 */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: VirtualTimer[] = [];

  constructor(private readonly wallBase = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.wallBase + this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: VirtualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Number of timers still armed. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: VirtualTimer | undefined;
      for (const t of this.timers) {
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.t = end;
  }
}
