/**
 * The SRTP replay list (RFC 3711 §3.3.2) as a sliding window over packet indices, and the
 * receiver's packet-index estimation (§3.3.1, Appendix A). werift-rtp has neither: its
 * ROC guess is a heuristic and it accepts replayed packets, so both live here.
 */

/** Outcome of checking an index against the window. */
export type ReplayVerdict = 'new' | 'replayed' | 'too-old';

/**
 * A sliding window of the last `size` (default 64) packet indices. Check before
 * authenticating, `accept` only after the packet authenticated.
 */
export class ReplayWindow {
  private highest = -1;
  /** Bit i set: index `highest - i` was received. */
  private mask = 0n;
  private readonly sizeBig: bigint;
  private readonly full: bigint;

  constructor(readonly size = 64) {
    if (!Number.isInteger(size) || size < 1 || size > 1024)
      throw new RangeError(`replay window size ${size}`);
    this.sizeBig = BigInt(size);
    this.full = (1n << this.sizeBig) - 1n;
  }

  /** Highest accepted index, -1 before the first. */
  get highestIndex(): number {
    return this.highest;
  }

  check(index: number): ReplayVerdict {
    if (this.highest < 0 || index > this.highest) return 'new';
    const back = this.highest - index;
    if (back >= this.size) return 'too-old';
    return (this.mask >> BigInt(back)) & 1n ? 'replayed' : 'new';
  }

  /** Records `index` as received (call after authentication succeeded). */
  accept(index: number): void {
    if (this.highest < 0) {
      this.highest = index;
      this.mask = 1n;
      return;
    }
    if (index > this.highest) {
      const shift = index - this.highest;
      this.mask = shift >= this.size ? 1n : ((this.mask << BigInt(shift)) | 1n) & this.full;
      this.highest = index;
      return;
    }
    const back = this.highest - index;
    if (back < this.size) this.mask |= 1n << BigInt(back);
  }
}

/** Per-SSRC receive state for SRTP index estimation. */
export interface RocState {
  /** Rollover counter of the highest authenticated packet. */
  roc: number;
  /** Highest authenticated sequence number (s_l). */
  sl: number;
  initialised: boolean;
}

/** A fresh index-estimation state. */
export function newRocState(): RocState {
  return { roc: 0, sl: 0, initialised: false };
}

/**
 * RFC 3711 §3.3.1: the guessed rollover counter `v` and the 48-bit packet index for a
 * received sequence number, from the highest authenticated one. The first packet of a
 * stream takes ROC 0 (or the signalled initial ROC held in `state.roc`).
 */
export function estimateIndex(state: RocState, seq: number): { v: number; index: number } {
  if (!state.initialised) return { v: state.roc, index: state.roc * 0x10000 + seq };
  let v: number;
  if (state.sl < 0x8000) v = seq - state.sl > 0x8000 ? state.roc - 1 : state.roc;
  else v = state.sl - 0x8000 > seq ? state.roc + 1 : state.roc;
  if (v < 0) v = 0;
  v = v >>> 0;
  return { v, index: v * 0x10000 + seq };
}

/** Updates s_l and the ROC after a packet with guessed `v` and `seq` authenticated. */
export function commitIndex(state: RocState, v: number, seq: number): void {
  if (!state.initialised) {
    state.initialised = true;
    state.roc = v;
    state.sl = seq;
    return;
  }
  if (v > state.roc || (v === state.roc && seq > state.sl)) {
    state.roc = v;
    state.sl = seq;
  }
}
