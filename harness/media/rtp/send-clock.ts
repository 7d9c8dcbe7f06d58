/**
 * The process-wide RTP send clock. Packet n of a stream is due at start + n·ptime on the
 * monotonic clock — computed, never accumulated, so setTimeout lateness cannot drift a
 * stream — and one timer services every stream: it is armed for the earliest due packet.
 * RTP timestamps follow the same schedule: ts0 + n·ptime·rate/1000.
 */
import { type Clock, systemClock, type TimerHandle } from '../../support/clock.ts';

/** One packet slot handed to a stream's sender. */
export interface SendTick {
  /** Packet number in the stream, from 0. */
  index: number;
  /** When the packet was due (monotonic ms). */
  dueMs: number;
  /** When the callback ran (monotonic ms); ≥ dueMs unless the clock spun early. */
  firedMs: number;
  /** RTP timestamp of the packet (mod 2^32). */
  rtpTimestamp: number;
  /** True on the first packet of a talk-spurt (the stream's first, or after `talkSpurt()`). */
  marker: boolean;
}

export interface SendStreamOptions {
  /** Packetisation time, 10–60 ms. */
  ptimeMs: number;
  /** RTP clock rate (8000 for G.711, G.722, G.729). */
  clockRate: number;
  /** Initial RTP timestamp (default random). */
  firstTimestamp?: number;
  /** Monotonic time packet 0 is due (default: now). */
  startMs?: number;
  /**
   * Sends one packet. Return false to send nothing for this slot (silence suppression:
   * the next sent packet then carries the marker bit).
   */
  onTick: (tick: SendTick) => boolean | undefined;
}

/** A stream registered with the clock. */
export interface SendStream {
  readonly ptimeMs: number;
  /** Packets handed to the sender so far. */
  readonly sent: number;
  /** Slots dropped because the process fell more than `maxCatchUp` packets behind. */
  readonly skipped: number;
  /** Sender callbacks that threw (the slot counts as not sent). */
  readonly errors: number;
  /** Marks the next packet as the start of a talk-spurt. */
  talkSpurt(): void;
  stop(): void;
}

export interface SendClockOptions {
  /** Most overdue packets sent in one burst per stream; older slots are skipped (default 10). */
  maxCatchUp?: number;
  /**
   * Wake this many ms early and busy-wait to the due time, for sub-millisecond send
   * precision on a real clock (default 0: no spinning). Ignored on a non-system clock.
   */
  spinMs?: number;
}

class Stream implements SendStream {
  index = 0;
  sent = 0;
  skipped = 0;
  errors = 0;
  nextDue: number;
  readonly tsStep: number;
  readonly ts0: number;
  mark = true;
  stopped = false;

  constructor(
    readonly owner: SendClock,
    readonly opts: SendStreamOptions,
    startMs: number,
  ) {
    this.nextDue = startMs;
    this.tsStep = (opts.ptimeMs * opts.clockRate) / 1000;
    this.ts0 = opts.firstTimestamp ?? (Math.random() * 0x1_0000_0000) >>> 0;
  }

  get ptimeMs(): number {
    return this.opts.ptimeMs;
  }

  dueOf(n: number, start: number): number {
    return start + n * this.opts.ptimeMs;
  }

  talkSpurt(): void {
    this.mark = true;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.owner.remove(this);
  }
}

/** Drift-free scheduler for every RTP stream of the process. */
export class SendClock {
  private readonly streams = new Set<Stream>();
  private readonly starts = new Map<Stream, number>();
  private timer: TimerHandle | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private readonly maxCatchUp: number;
  private readonly spinMs: number;

  constructor(
    readonly clock: Clock = systemClock,
    options: SendClockOptions = {},
  ) {
    this.maxCatchUp = options.maxCatchUp ?? 10;
    this.spinMs = clock === systemClock ? (options.spinMs ?? 0) : 0;
  }

  /** Number of running streams. */
  get size(): number {
    return this.streams.size;
  }

  /** Registers a stream; its first packet is due at `startMs` (default now). */
  add(opts: SendStreamOptions): SendStream {
    if (!(opts.ptimeMs >= 10 && opts.ptimeMs <= 60))
      throw new RangeError(`ptime ${opts.ptimeMs} ms is not 10–60`);
    if (!(opts.clockRate > 0)) throw new RangeError(`clock rate ${opts.clockRate}`);
    const start = opts.startMs ?? this.clock.now();
    const s = new Stream(this, opts, start);
    this.streams.add(s);
    this.starts.set(s, start);
    this.arm();
    return s;
  }

  /** @internal */
  remove(s: Stream): void {
    this.streams.delete(s);
    this.starts.delete(s);
    if (this.streams.size === 0) this.cancel();
  }

  /** Stops every stream. */
  stopAll(): void {
    for (const s of [...this.streams]) s.stop();
  }

  private cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private arm(): void {
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.streams) if (s.nextDue < next) next = s.nextDue;
    if (next === Number.POSITIVE_INFINITY) {
      this.cancel();
      return;
    }
    if (this.timer && next >= this.armedFor) return;
    this.timer?.cancel();
    this.armedFor = next;
    const delay = next - this.spinMs - this.clock.now();
    this.timer = this.clock.setTimeout(() => this.service(), Math.max(0, delay));
  }

  private earliest(): number {
    let e = Number.POSITIVE_INFINITY;
    for (const s of this.streams) if (s.nextDue < e) e = s.nextDue;
    return e;
  }

  private service(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    if (this.spinMs <= 0) {
      this.runDue(this.clock.now());
    } else {
      // Spin to each due time that is at most spinMs away, within a bounded budget per wake
      // (so a dense schedule cannot turn the loop into a permanent busy-wait).
      const budgetEnd = performance.now() + 4 * this.spinMs + 1;
      for (let round = 0; round < 64; round++) {
        const due = this.earliest();
        if (due - this.clock.now() > this.spinMs || performance.now() > budgetEnd) break;
        while (this.clock.now() < due && performance.now() < budgetEnd) {
          /* spin */
        }
        this.runDue(this.clock.now());
      }
    }
    this.arm();
  }

  private runDue(now: number): void {
    for (const s of [...this.streams]) {
      const start = this.starts.get(s)!;
      if (s.nextDue > now) continue;
      // Skip slots too far behind instead of bursting them all.
      const behind = Math.floor((now - s.nextDue) / s.opts.ptimeMs);
      if (behind >= this.maxCatchUp) {
        const skip = behind - this.maxCatchUp + 1;
        s.index += skip;
        s.skipped += skip;
        s.nextDue = s.dueOf(s.index, start);
      }
      for (let burst = 0; burst < this.maxCatchUp && s.nextDue <= now && !s.stopped; burst++) {
        const tick: SendTick = {
          index: s.index,
          dueMs: s.nextDue,
          firedMs: this.clock.now(),
          rtpTimestamp: (s.ts0 + Math.round(s.index * s.tsStep)) >>> 0,
          marker: s.mark,
        };
        let sentOne: boolean | undefined;
        try {
          sentOne = s.opts.onTick(tick);
        } catch {
          s.errors++;
          sentOne = false;
        }
        if (sentOne !== false) {
          s.sent++;
          s.mark = false;
        } else {
          s.mark = true;
        }
        s.index++;
        s.nextDue = s.dueOf(s.index, start);
      }
    }
  }
}

let shared: SendClock | undefined;

/** The one send clock of the process (on the system clock). */
export function processSendClock(): SendClock {
  shared ??= new SendClock(systemClock, { spinMs: 0 });
  return shared;
}
