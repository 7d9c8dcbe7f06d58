/**
 * Entries that all wait the same time and then expire, in the order they came: a FIFO with
 * one timer for the whole queue (the head's due time), instead of a timer per entry. The SIP
 * stack keeps every answered transaction for 64*T1 (RFC 3261 Timers J and L), so under load
 * it holds tens of thousands of such waits at once; a queue keeps them as plain array slots.
 */
import type { Clock, TimerHandle } from '../support/clock.ts';

/** Dropped slots at the head are compacted away once they are this many and half the array. */
const COMPACT_AT = 1024;

export class WaitQueue<T> {
  private items: Array<T | undefined> = [];
  private due: number[] = [];
  /** Index of the first entry still waiting. */
  private head = 0;
  private timer: TimerHandle | undefined;
  /** In `fire`: an entry added by an expire callback waits for the timer armed at its end. */
  private firing = false;

  constructor(
    private readonly clock: Clock,
    /** How long each entry waits, ms. */
    readonly ms: number,
    private readonly expire: (item: T) => void,
  ) {}

  /** Entries still waiting. */
  get size(): number {
    return this.items.length - this.head;
  }

  add(item: T): void {
    this.items.push(item);
    this.due.push(this.clock.now() + this.ms);
    if (!this.timer && !this.firing) this.arm(this.ms);
  }

  /** Drops every entry without expiring it, and the timer (on shutdown). */
  clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.items = [];
    this.due = [];
    this.head = 0;
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    const { items, due } = this;
    this.firing = true;
    try {
      while (this.head < items.length && due[this.head]! <= now) {
        const item = items[this.head] as T;
        items[this.head] = undefined;
        this.head++;
        this.expire(item);
        // An expire callback may have cleared the queue (and added to it since).
        if (this.items !== items) break;
      }
    } finally {
      this.firing = false;
    }
    if (this.items !== items) {
      if (this.items.length > 0 && !this.timer) this.arm(Math.max(1, this.due[0]! - now));
      return;
    }
    if (this.head === items.length) {
      this.items = [];
      this.due = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= items.length) {
      this.items = items.slice(this.head);
      this.due = due.slice(this.head);
      this.head = 0;
    }
    // A timer may fire a little before the due time on the monotonic clock: at least 1 ms more.
    if (this.head < this.items.length && !this.timer) this.arm(Math.max(1, this.due[this.head]! - now));
  }
}
