/**
 * Puts one RTP source's packets back in sequence-number order before they are decoded.
 *
 * RTP runs over UDP, which may reorder datagrams, and the sequence number exists so that a
 * receiver can restore the order (RFC 3550 §5.1); an SBC that forwards a stream on several
 * threads, or a network path that changes, delivers some packets after later ones. A receiver
 * that decodes in arrival order fills the first packet's slot with silence and then has to drop
 * it: a hole of one packet time in a tone (30 ms at ptime 30 splits a Q.24 digit in two) and a
 * stateful decoder (G.722, G.729) run on its frames in the wrong order. So this window holds the
 * packets that arrive after a missing one, for at most `holdMs` of arrival time (or `maxHeld`
 * packets), and hands everything on in order as soon as the missing packet comes; when it never
 * comes (a real loss), the held packets go on after the wait and the consumer fills the gap.
 * Packets in order are handed on at once: a stream without loss or reordering is never delayed.
 *
 * Sequence numbers are compared modulo 2^16 (they wrap, RFC 3550 §A.1). A jump of more than
 * `maxJump` ahead is taken as the source restarting its numbering: what is held goes on, then
 * the packet. A packet behind the expected one is too late: it is handed on at once, and the
 * consumer decides (the media leg drops audio older than what it recorded); only two packets in
 * sequence more than `maxMisorder` behind restart the numbering (RFC 3550 §A.1's rule), so one
 * stray old packet does not.
 */

export interface ReorderWindowOptions {
  /** Longest wait for a missing packet, in ms of arrival time. Default 60. */
  holdMs?: number;
  /** Most packets held while waiting; one more releases the wait. Default 16. */
  maxHeld?: number;
  /** A jump ahead larger than this restarts the numbering. Default 3000 (RFC 3550 §A.1 MAX_DROPOUT). */
  maxJump?: number;
  /** Two packets in sequence further behind than this restart the numbering. Default 100 (RFC 3550 §A.1 MAX_MISORDER). */
  maxMisorder?: number;
}

export interface ReorderWindowStats {
  /** Packets that arrived after a later one and were handed on in their place. */
  reordered: number;
  /** Waits that ended without the missing packet (a loss, or a packet later than the wait). */
  gapsReleased: number;
  /** Packets that arrived a second time while held. */
  duplicates: number;
}

import { seqDelta } from './rtp-packet.ts';

interface Held<T> {
  item: T;
  at: number;
}

export class ReorderWindow<T> {
  readonly stats: ReorderWindowStats = { reordered: 0, gapsReleased: 0, duplicates: 0 };
  readonly #deliver: (item: T, at: number) => void;
  readonly #holdMs: number;
  readonly #maxHeld: number;
  readonly #maxJump: number;
  readonly #maxMisorder: number;
  /** The sequence number expected next; undefined before the first packet. */
  #next: number | undefined;
  readonly #held = new Map<number, Held<T>>();
  /** The sequence number after the last packet that came far behind (RFC 3550 §A.1 bad_seq). */
  #badSeq: number | undefined;

  constructor(deliver: (item: T, at: number) => void, opts: ReorderWindowOptions = {}) {
    this.#deliver = deliver;
    this.#holdMs = opts.holdMs ?? 60;
    this.#maxHeld = opts.maxHeld ?? 16;
    this.#maxJump = opts.maxJump ?? 3000;
    this.#maxMisorder = opts.maxMisorder ?? 100;
    if (!(this.#holdMs >= 0) || !(this.#maxHeld >= 1))
      throw new RangeError('reorder window: holdMs ≥ 0, maxHeld ≥ 1');
  }

  /** Packets waiting for a missing one. */
  get held(): number {
    return this.#held.size;
  }

  /** When the present wait ends (arrival-time ms), or undefined when nothing is held. */
  get dueAt(): number | undefined {
    let first: number | undefined;
    for (const h of this.#held.values()) if (first === undefined || h.at < first) first = h.at;
    return first === undefined ? undefined : first + this.#holdMs;
  }

  /** One packet of this source, with its sequence number and arrival time. */
  push(seq: number, item: T, at: number): void {
    const next = this.#next;
    if (next === undefined) {
      this.#next = (seq + 1) & 0xffff;
      this.#deliver(item, at);
      return;
    }
    const d = seqDelta(seq, next);
    if (d === 0) {
      if (this.#held.size > 0) this.stats.reordered++;
      this.#next = (seq + 1) & 0xffff;
      this.#deliver(item, at);
      this.#drain();
      return;
    }
    const restart = d > this.#maxJump || (d < -this.#maxMisorder && seq === this.#badSeq);
    this.#badSeq = d < -this.#maxMisorder ? (seq + 1) & 0xffff : undefined;
    if (restart) {
      this.flush();
      this.#badSeq = undefined;
      this.#next = (seq + 1) & 0xffff;
      this.#deliver(item, at);
      return;
    }
    if (d < 0) {
      this.#deliver(item, at);
      return;
    }
    if (this.#held.has(seq)) {
      this.stats.duplicates++;
      return;
    }
    this.#held.set(seq, { item, at });
    if (this.#held.size > this.#maxHeld) this.#skipGap();
  }

  /** Ends the waits that are over at `now` (call it from a timer at {@link dueAt}). */
  poll(now: number): void {
    for (let due = this.dueAt; due !== undefined && now >= due; due = this.dueAt) this.#skipGap();
  }

  /** Hands on everything held, in order (the source ends or changes). */
  flush(): void {
    while (this.#held.size > 0) this.#skipGap();
  }

  /** Forgets the numbering (a new source): the next packet is taken as it comes. */
  reset(): void {
    this.flush();
    this.#next = undefined;
    this.#badSeq = undefined;
  }

  /** Gives up on the missing packet(s): continues from the lowest held one. */
  #skipGap(): void {
    const next = this.#next;
    if (next === undefined || this.#held.size === 0) return;
    let low: number | undefined;
    let lowD = Number.POSITIVE_INFINITY;
    for (const seq of this.#held.keys()) {
      const d = seqDelta(seq, next);
      if (d < lowD) {
        lowD = d;
        low = seq;
      }
    }
    this.stats.gapsReleased++;
    this.#next = low!;
    this.#drain();
  }

  /** Hands on the held packets that now follow without a gap. */
  #drain(): void {
    for (let h = this.#held.get(this.#next!); h !== undefined; h = this.#held.get(this.#next!)) {
      this.#held.delete(this.#next!);
      this.#next = (this.#next! + 1) & 0xffff;
      this.#deliver(h.item, h.at);
    }
  }
}
