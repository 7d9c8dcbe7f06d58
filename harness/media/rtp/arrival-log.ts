/**
 * When every RTP datagram of a call arrived, with the header fields the media judge reads
 * (harness/runner/call-invariants.ts: gaps, talkspurts, silence suppression), kept column by
 * column in typed arrays: 20 bytes a packet (arrival ms as a float64; timestamp and SSRC as
 * uint32; sequence number and the first two header bytes, version, marker and payload type, as
 * uint16), not an object and a buffer each. The packet log (packet-log.ts) keeps whole datagrams
 * for the pcap and stops at its bound (50 000 sent and received together: about 250 s of a call
 * at 10 ms packets); this log keeps every arrival for the whole call, up to {@link max}.
 *
 * The arrays grow by half as the call goes on (at most a third of what they hold is unused),
 * so a short call costs little. Past `max` the arrivals are counted in {@link dropped} and
 * {@link fullAtMs} says from when they are missing: the media judge then judges the call up to
 * the last kept arrival and says the rest was not judged.
 */

/** One received datagram as the media judge reads it. */
export interface RtpArrival {
  /** Arrival time, ms (the session's monotonic clock). */
  at: number;
  pt: number;
  version: number;
  marker: boolean;
  seq: number;
  ts: number;
  ssrc: number;
}

/** Received datagrams in arrival order, read one at a time. */
export interface RtpArrivals {
  readonly length: number;
  /** Arrivals not kept because the log was full. */
  readonly dropped: number;
  /** When the first arrival not kept came (undefined while nothing was dropped). */
  readonly fullAtMs: number | undefined;
  /** Arrival time of the `i`th datagram, ms. */
  arrivalMs(i: number): number;
  /** The `i`th datagram. */
  packet(i: number): RtpArrival;
}

/** Four hours at 10 ms packets (28.8 MB at 20 bytes a packet): no call of the plan or of a load run comes near. */
export const DEFAULT_MAX_ARRIVALS = 1_440_000;
/** Bytes kept per arrival. */
export const ARRIVAL_BYTES = 20;
const FIRST_CAPACITY = 256;

export class ArrivalLog implements RtpArrivals {
  #at = new Float64Array(0);
  #ts = new Uint32Array(0);
  #ssrc = new Uint32Array(0);
  #seq = new Uint16Array(0);
  /** First header byte << 8 | second (version, padding, extension, CSRC count; marker, payload type). */
  #head = new Uint16Array(0);
  #n = 0;
  dropped = 0;
  fullAtMs: number | undefined;
  readonly max: number;

  constructor(max = DEFAULT_MAX_ARRIVALS) {
    this.max = Math.max(0, Math.floor(max));
  }

  get length(): number {
    return this.#n;
  }

  /** Bytes the arrays take now (for the memory figures). */
  get byteLength(): number {
    return this.#at.length * ARRIVAL_BYTES;
  }

  /**
   * Notes a datagram that arrived on the RTP port at `atMs`: anything of 12 octets or more (the
   * header's fields are read from it whatever it is; the judge checks the version). Shorter
   * datagrams are not media and are not counted.
   */
  add(atMs: number, bytes: Uint8Array): void {
    if (bytes.length < 12 || this.#released) return;
    const i = this.#n;
    if (i >= this.max) {
      if (this.dropped === 0) this.fullAtMs = atMs;
      this.dropped++;
      return;
    }
    if (i >= this.#at.length) this.#grow();
    this.#at[i] = atMs;
    this.#head[i] = (bytes[0]! << 8) | bytes[1]!;
    this.#seq[i] = (bytes[2]! << 8) | bytes[3]!;
    this.#ts[i] = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
    this.#ssrc[i] = ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0;
    this.#n = i + 1;
  }

  arrivalMs(i: number): number {
    return this.#at[i]!;
  }

  packet(i: number): RtpArrival {
    const head = this.#head[i]!;
    return {
      at: this.#at[i]!,
      pt: head & 0x7f,
      version: head >> 14,
      marker: (head & 0x80) !== 0,
      seq: this.#seq[i]!,
      ts: this.#ts[i]!,
      ssrc: this.#ssrc[i]!,
    };
  }

  /**
   * Lets go of every arrival kept and keeps none from now on: for a leg whose call is judged
   * without them (a load call, checked live), so its arrays do not outlive the check.
   */
  release(): void {
    this.#at = new Float64Array(0);
    this.#ts = new Uint32Array(0);
    this.#ssrc = new Uint32Array(0);
    this.#seq = new Uint16Array(0);
    this.#head = new Uint16Array(0);
    this.#n = 0;
    this.#released = true;
  }

  #released = false;

  #grow(): void {
    const cap = Math.min(this.max, Math.max(FIRST_CAPACITY, Math.ceil(this.#at.length * 1.5)));
    const grow = <T extends Float64Array | Uint32Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.#at = grow(this.#at, (n) => new Float64Array(n));
    this.#ts = grow(this.#ts, (n) => new Uint32Array(n));
    this.#ssrc = grow(this.#ssrc, (n) => new Uint32Array(n));
    this.#seq = grow(this.#seq, (n) => new Uint16Array(n));
    this.#head = grow(this.#head, (n) => new Uint16Array(n));
  }
}
