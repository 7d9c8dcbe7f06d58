/**
 * The process-wide RTP send clock. Packet n of a stream is due at start + n·ptime on the
 * monotonic clock — computed, never accumulated, so timer lateness cannot drift a stream —
 * and one timer services every stream: it is armed for the earliest due packet.
 * RTP timestamps follow the same schedule: ts0 + n·ptime·rate/1000.
 *
 * Precision on a real clock (Node timers have 1 ms granularity and fire late):
 * - `leadMs` wakes the clock that much before a due time, hands the packets of that due
 *   time to their streams' `onPrepare` (encode, build, protect ahead), and covers the last
 *   stretch with a busy-wait (`approach: 'spin'`) or a `setImmediate` loop
 *   (`approach: 'immediate'`, which lets I/O run meanwhile), so only the send itself
 *   happens at the due time.
 * - `gridMs` aligns the first due time of each new stream to a shared grid, choosing the
 *   least-loaded phase of the grid, so many streams share few distinct due times: the clock
 *   wakes (and spins) once per occupied phase, not once per stream.
 */
import { type Clock, systemClock, type TimerHandle } from '../../support/clock.ts';

/** One packet slot handed to a stream's sender. */
export interface SendTick {
  /** Packet number in the stream, from 0. */
  index: number;
  /** When the packet was due (monotonic ms). */
  dueMs: number;
  /** When the callback ran (monotonic ms); ≥ dueMs for `onTick` unless the clock spun early. */
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
  /**
   * Monotonic time packet 0 is due. Default: now, or — on a clock with a grid — the next
   * grid point of the least-loaded phase (at most one ptime from now). An explicit start is
   * kept exactly and does not take part in phase balancing.
   */
  startMs?: number;
  /**
   * Sends one packet. Return false to send nothing for this slot (silence suppression:
   * the next sent packet then carries the marker bit).
   */
  onTick: (tick: SendTick) => boolean | undefined;
  /**
   * Optional: called up to `leadMs` before a slot is due with that slot's tick (same index,
   * timestamp and marker as the `onTick` that follows), so the packet can be made ready and
   * `onTick` only sends it. Called at most once per slot, never for a skipped slot; a
   * `talkSpurt()` between the two calls is seen by `onTick` only. Exceptions are counted in
   * `errors`.
   */
  onPrepare?: (tick: SendTick) => void;
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
  /** Monotonic time of packet 0. */
  readonly startMs: number;
  /** Marks the next packet as the start of a talk-spurt. */
  talkSpurt(): void;
  stop(): void;
}

/**
 * How the clock covers the last `leadMs` before a due time on the system clock: 'spin'
 * busy-waits; 'sleep' blocks in `Atomics.wait` (sub-millisecond timeout, no CPU) and spins
 * only the last ~0.2 ms; 'immediate' loops on `setImmediate` (I/O keeps running, CPU busy).
 */
export type SendApproach = 'spin' | 'sleep' | 'immediate';

/** Catch-up of the default clock, in ms of packets (10 packets of 20 ms). */
const DEFAULT_CATCH_UP_MS = 200;

/** With 'sleep': wake from Atomics.wait this long before the due time and spin the rest. */
const SLEEP_MARGIN_MS = 0.2;
let sleepCell: Int32Array | undefined;

export interface SendClockOptions {
  /**
   * Most overdue packets sent in one burst per stream; older slots are skipped (default: 10,
   * or 200 ms worth of packets when that is more, so a 10 ms stream rides out the same stall
   * as a 20 ms one).
   */
  maxCatchUp?: number;
  /**
   * Wake this many ms before a due time, prepare that due time's packets, then wait for it
   * with `approach` (default 0: wake at the due time, no preparing ahead). On a clock other
   * than the system clock the wait is a second timer at the due time.
   */
  leadMs?: number;
  /** Former name of `leadMs` with `approach: 'spin'`; used when `leadMs` is not given. */
  spinMs?: number;
  /** Final approach on the system clock (default 'spin': busy-wait). */
  approach?: SendApproach;
  /**
   * Step in ms of the phase grid new streams are aligned to (default 0: no grid). A stream
   * whose ptime is a multiple of the step joins the phase that the fewest packets share.
   */
  gridMs?: number;
  /**
   * With a grid: packets per grid point a phase takes before another phase is opened
   * (default 0: always the least-loaded phase). Filling few phases first means fewer wakes
   * (and less spinning) for a few streams; once every occupied phase is full, new streams
   * go to the least-loaded phase as without it. Size it so that this many sends take well
   * under the error budget (about 4–5 µs each here: 64 ≈ 0.3 ms).
   */
  phaseCapacity?: number;
}

/** Counters of the clock itself. */
export interface SendClockStats {
  /** Times the clock started servicing a due time (timer or final approach done). */
  wakes: number;
  /** Packets handed to `onTick`. */
  ticks: number;
  /** Milliseconds spent busy-waiting. */
  spinMs: number;
  /** Wakes that found their due time already past (the timer fired later than the lead). */
  lateWakes: number;
}

/** Hyperperiod of the phase ring: 120 ms is a multiple of every usual ptime (10–60 ms). */
const RING_MS = 120;

let nextId = 0;

class Stream implements SendStream {
  readonly id = nextId++;
  index = 0;
  sent = 0;
  skipped = 0;
  errors = 0;
  nextDue: number;
  readonly tsStep: number;
  readonly ts0: number;
  mark = true;
  stopped = false;
  /** Index of the slot handed to onPrepare, or -1. */
  prepared = -1;
  /** Ring slots this stream occupies (grid-placed streams only). */
  ringSlots: number[] | undefined;

  constructor(
    readonly owner: SendClock,
    readonly opts: SendStreamOptions,
    readonly startMs: number,
  ) {
    this.nextDue = startMs;
    this.tsStep = (opts.ptimeMs * opts.clockRate) / 1000;
    this.ts0 = opts.firstTimestamp ?? (Math.random() * 0x1_0000_0000) >>> 0;
  }

  get ptimeMs(): number {
    return this.opts.ptimeMs;
  }

  dueOf(n: number): number {
    return this.startMs + n * this.opts.ptimeMs;
  }

  tick(firedMs: number): SendTick {
    return {
      index: this.index,
      dueMs: this.nextDue,
      firedMs,
      rtpTimestamp: (this.ts0 + Math.round(this.index * this.tsStep)) >>> 0,
      marker: this.mark,
    };
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

function earlier(a: Stream, b: Stream): boolean {
  return a.nextDue < b.nextDue || (a.nextDue === b.nextDue && a.id < b.id);
}

/** Binary min-heap of streams by (next due time, creation order). */
class DueHeap {
  readonly items: Stream[] = [];

  get length(): number {
    return this.items.length;
  }

  peek(): Stream | undefined {
    return this.items[0];
  }

  push(s: Stream): void {
    const a = this.items;
    let i = a.push(s) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!earlier(s, a[p]!)) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = s;
  }

  pop(): Stream | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || !last) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && earlier(a[r]!, a[l]!) ? r : l;
      if (!earlier(a[c]!, last)) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }

  /** Calls fn for every stream due at or before `limit` (any order). */
  forEachUntil(limit: number, fn: (s: Stream) => void): void {
    const a = this.items;
    const stack: number[] = a.length > 0 ? [0] : [];
    for (let guard = 0; stack.length > 0 && guard < a.length; guard++) {
      const i = stack.pop()!;
      const s = a[i]!;
      if (s.nextDue > limit) continue;
      fn(s);
      if (2 * i + 1 < a.length) stack.push(2 * i + 1);
      if (2 * i + 2 < a.length) stack.push(2 * i + 2);
    }
  }
}

/** Drift-free scheduler for every RTP stream of the process. */
export class SendClock {
  private readonly streams = new Set<Stream>();
  private readonly heap = new DueHeap();
  private timer: TimerHandle | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private immediate: NodeJS.Immediate | undefined;
  private readonly maxCatchUp: number;
  /** With the default `maxCatchUp`: the burst also covers this many ms of packets. */
  private readonly maxCatchUpMs: number;
  private readonly leadMs: number;
  private readonly approach: SendApproach | 'timer';
  private readonly gridMs: number;
  private readonly prepareAheadMs: number;
  private readonly phaseCapacity: number;
  private readonly ring: Int32Array;
  /** Counters of the clock (wakes, packets, time spent spinning). */
  readonly stats: SendClockStats = { wakes: 0, ticks: 0, spinMs: 0, lateWakes: 0 };

  constructor(
    readonly clock: Clock = systemClock,
    options: SendClockOptions = {},
  ) {
    this.maxCatchUp = options.maxCatchUp ?? 10;
    this.maxCatchUpMs = options.maxCatchUp === undefined ? DEFAULT_CATCH_UP_MS : 0;
    const lead = options.leadMs ?? options.spinMs ?? 0;
    this.leadMs = Number.isFinite(lead) && lead > 0 ? Math.min(lead, 10) : 0;
    this.approach = clock === systemClock ? (options.approach ?? 'spin') : 'timer';
    const grid = options.gridMs ?? 0;
    this.gridMs = Number.isFinite(grid) && grid > 0 && Number.isInteger(RING_MS / grid) ? grid : 0;
    this.prepareAheadMs = Math.max(this.leadMs, this.gridMs);
    const cap = options.phaseCapacity ?? 0;
    this.phaseCapacity = Number.isFinite(cap) && cap > 0 ? Math.floor(cap) : 0;
    this.ring = new Int32Array(this.gridMs > 0 ? RING_MS / this.gridMs : 0);
  }

  /** Number of running streams. */
  get size(): number {
    return this.streams.size;
  }

  /** Grid step in ms (0 when streams are not aligned). */
  get grid(): number {
    return this.gridMs;
  }

  /**
   * Packets per ring slot of the phase grid (a copy): slot k is the grid points
   * k·gridMs + m·120 ms. Empty without a grid.
   */
  phaseLoad(): number[] {
    return Array.from(this.ring);
  }

  /** Registers a stream; its first packet is due at `startMs` (default: see SendStreamOptions). */
  add(opts: SendStreamOptions): SendStream {
    if (!(opts.ptimeMs >= 10 && opts.ptimeMs <= 60))
      throw new RangeError(`ptime ${opts.ptimeMs} ms is not 10–60`);
    if (!(opts.clockRate > 0)) throw new RangeError(`clock rate ${opts.clockRate}`);
    let start = opts.startMs;
    let slots: number[] | undefined;
    if (start === undefined) {
      const placed = this.place(opts.ptimeMs);
      start = placed?.start ?? this.clock.now();
      slots = placed?.slots;
    }
    const s = new Stream(this, opts, start);
    if (slots) {
      s.ringSlots = slots;
      for (const k of slots) this.ring[k]!++;
    }
    this.streams.add(s);
    this.heap.push(s);
    this.arm();
    return s;
  }

  /** Grid placement: the least-loaded phase for a stream of this ptime, from the next grid point. */
  private place(ptimeMs: number): { start: number; slots: number[] } | undefined {
    const g = this.gridMs;
    const perPeriod = ptimeMs / g;
    if (g <= 0 || !Number.isInteger(perPeriod) || !Number.isInteger(RING_MS / ptimeMs)) return undefined;
    const ringLen = this.ring.length;
    const first = Math.ceil(this.clock.now() / g);
    let best: { load: number; sum: number; k: number } | undefined;
    let fill: { load: number; k: number } | undefined;
    for (let k = 0; k < perPeriod; k++) {
      let load = 0;
      let sum = 0;
      for (
        let m = (first + k) % ringLen, n = 0;
        n < ringLen / perPeriod;
        n++, m = (m + perPeriod) % ringLen
      ) {
        const c = this.ring[m]!;
        if (c > load) load = c;
        sum += c;
      }
      if (!best || load < best.load || (load === best.load && sum < best.sum)) best = { load, sum, k };
      // Best fit: the fullest occupied phase that still has room.
      if (load > 0 && load < this.phaseCapacity && (!fill || load > fill.load)) fill = { load, k };
    }
    const k = fill?.k ?? best!.k;
    const slots: number[] = [];
    for (let n = 0, m = (first + k) % ringLen; n < ringLen / perPeriod; n++, m = (m + perPeriod) % ringLen)
      slots.push(m);
    return { start: (first + k) * g, slots };
  }

  /** @internal */
  remove(s: Stream): void {
    if (!this.streams.delete(s)) return;
    if (s.ringSlots) for (const k of s.ringSlots) this.ring[k]!--;
    s.ringSlots = undefined;
    if (this.streams.size === 0) {
      this.cancel();
      this.heap.items.length = 0;
    }
  }

  /** Stops every stream. */
  stopAll(): void {
    for (const s of [...this.streams]) s.stop();
  }

  private cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  /** The earliest running stream, dropping stopped ones from the top of the heap. */
  private top(): Stream | undefined {
    for (let guard = this.heap.length; guard >= 0; guard--) {
      const s = this.heap.peek();
      if (!s?.stopped) return s;
      this.heap.pop();
    }
    return undefined;
  }

  private arm(): void {
    const first = this.top();
    if (!first) {
      this.cancel();
      return;
    }
    const next = first.nextDue;
    if (this.immediate) return; // the final approach in progress re-arms when it is done
    if (this.timer && next >= this.armedFor) return;
    this.timer?.cancel();
    this.armedFor = next;
    const now = this.clock.now();
    // Outside the lead window: wake `leadMs` early. Inside it (prepared already): on a
    // non-system clock, wake at the due time; on the system clock, service at once.
    let delay = next - now - this.leadMs;
    if (delay <= 0) delay = this.approach === 'timer' ? next - now : 0;
    this.timer = this.clock.setTimeout(() => this.service(true), Math.max(0, delay));
  }

  private prepareUntil(limit: number, now: number): void {
    this.heap.forEachUntil(limit, (s) => {
      if (s.stopped || s.prepared === s.index || !s.opts.onPrepare) return;
      // A slot about to be skipped (far behind) is not prepared.
      if (now - s.nextDue >= this.catchUpOf(s.opts.ptimeMs) * s.opts.ptimeMs) return;
      s.prepared = s.index;
      try {
        s.opts.onPrepare(s.tick(now));
      } catch {
        s.errors++;
      }
    });
  }

  private service(fromTimer = true): void {
    this.timer = undefined;
    this.immediate = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const wallEnd = performance.now() + 50;
    for (let round = 0; round < 64 && performance.now() < wallEnd; round++) {
      const first = this.top();
      if (!first) break;
      let now = this.clock.now();
      const due = first.nextDue;
      if (round === 0 && fromTimer && due < now) this.stats.lateWakes++;
      if (due > now) {
        if (due - now > this.leadMs) break;
        this.prepareUntil(due, now);
        if (this.approach === 'timer') break; // arm() sets a timer for the due time
        if (this.approach === 'immediate') {
          this.approachImmediate(due, performance.now() + this.leadMs + 2);
          return;
        }
        const t0 = performance.now();
        const spinEnd = t0 + this.leadMs + 2;
        if (this.approach === 'sleep') {
          const wait = Math.min(due - now - SLEEP_MARGIN_MS, this.leadMs + 1);
          if (wait > 0) {
            sleepCell ??= new Int32Array(new SharedArrayBuffer(4));
            Atomics.wait(sleepCell, 0, 0, wait);
          }
          now = this.clock.now();
        }
        const s0 = performance.now();
        while (now < due && performance.now() < spinEnd) now = this.clock.now();
        this.stats.spinMs += performance.now() - s0;
        if (now < due) break;
      }
      this.stats.wakes++;
      this.runDue(now);
      // Make the packets of the next due time(s) now, while there is time to spare, so the
      // next wake only has to wait and send.
      if (this.leadMs > 0) this.prepareUntil(this.clock.now() + this.prepareAheadMs, this.clock.now());
    }
    this.arm();
  }

  private approachImmediate(due: number, until: number): void {
    const step = () => {
      this.immediate = undefined;
      if (this.streams.size === 0) return;
      if (this.clock.now() >= due || performance.now() >= until) {
        this.service(false);
        return;
      }
      this.immediate = setImmediate(step);
    };
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    // Not unref'd: an unref'd immediate does not keep the poll phase from blocking until the
    // next timer, so the approach would stall (it lasts at most leadMs + 2 ms).
    this.immediate = setImmediate(step);
  }

  /** Most overdue packets of a stream with this packet time sent in one burst. */
  private catchUpOf(ptimeMs: number): number {
    return Math.max(this.maxCatchUp, Math.ceil(this.maxCatchUpMs / ptimeMs));
  }

  /** Sends every slot due at `now`, in due order, with bounded catch-up per stream. */
  private runDue(now: number): void {
    const limit = this.heap.length * (this.catchUpOf(10) + 1) + 16;
    for (let n = 0; n < limit; n++) {
      const s = this.heap.peek();
      if (!s || s.nextDue > now) break;
      this.heap.pop();
      if (s.stopped) continue;
      // Skip slots too far behind instead of bursting them all.
      const behind = Math.floor((now - s.nextDue) / s.opts.ptimeMs);
      const catchUp = this.catchUpOf(s.opts.ptimeMs);
      if (behind >= catchUp) {
        const skip = behind - catchUp + 1;
        s.index += skip;
        s.skipped += skip;
        s.nextDue = s.dueOf(s.index);
      } else {
        const tick = s.tick(this.clock.now());
        let sentOne: boolean | undefined;
        try {
          sentOne = s.opts.onTick(tick);
        } catch {
          s.errors++;
          sentOne = false;
        }
        this.stats.ticks++;
        if (sentOne !== false) {
          s.sent++;
          s.mark = false;
        } else {
          s.mark = true;
        }
        s.index++;
        s.nextDue = s.dueOf(s.index);
      }
      if (!s.stopped) this.heap.push(s);
    }
  }
}

/**
 * Options of the process send clock: a 5 ms phase grid whose phases fill up to 64 packets
 * before another is opened, a 1.5 ms lead wake with the packets made ahead, and a sleep in
 * `Atomics.wait` to ~0.2 ms before the due time, then a short spin (bench/notes/rtp.md:
 * as precise as spinning the whole lead, at about half the CPU). The event loop is blocked
 * for up to ~1.5 ms per occupied phase and period; `configureProcessSendClock` changes it.
 */
export const PROCESS_SEND_CLOCK_OPTIONS: Readonly<SendClockOptions> = Object.freeze({
  gridMs: 5,
  phaseCapacity: 64,
  leadMs: 1.5,
  approach: 'sleep',
});

let shared: SendClock | undefined;
let sharedOptions: SendClockOptions = PROCESS_SEND_CLOCK_OPTIONS;

/** The one send clock of the process (on the system clock). */
export function processSendClock(): SendClock {
  shared ??= new SendClock(systemClock, sharedOptions);
  return shared;
}

/**
 * Replaces the options of the process send clock (e.g. `{}` for plain timers, no spinning).
 * Applies only while no stream runs on it; returns whether it did.
 */
export function configureProcessSendClock(options: SendClockOptions): boolean {
  if (shared && shared.size > 0) return false;
  sharedOptions = { ...options };
  shared = undefined;
  return true;
}
