/**
 * Re-framing of one direction's audio into packets of a fixed length (personality
 * repacketize-40 of the reference SBC, sbc-media-relay.ts). The SBC is the RTP sender each leg
 * sees, so it chooses the audio per packet toward that leg: a=ptime is only a preference
 * (RFC 4566 §6; RFC 3264 §6.1 on the answerer's ptime), and receivers accept packets of 0 to
 * 200 ms of audio (RFC 3551 §4.2).
 *
 * Units are whatever the caller buffers: payload octets of a sample-based codec whose octet is
 * one RTP clock tick (PCMU, PCMA: RFC 3551 §4.5.14; G.722 at 64 kbit/s: one octet per tick of
 * its 8000 Hz RTP clock for 2 samples at 16 kHz, §4.5.2), or PCM samples that are encoded
 * afterwards (when the SBC transcodes, any codec it can encode). Each packet out carries the
 * timestamp of its first unit (RFC 3550 §5.1): the buffer's start plus the units taken before,
 * times the ticks per unit. Audio is only joined where the incoming timestamps run on without
 * a gap: a gap, a marker bit or a new stream first sends what is buffered as a shorter packet,
 * so silences stay visible and no audio is moved in time.
 */

/** One packet's worth of units, with the incoming timestamp of its first unit. */
export interface RepackChunk<T> {
  data: T;
  /** Incoming RTP timestamp of the first unit (the relay maps it to the outgoing stream). */
  inTs: number;
  /** The first unit came with the marker bit (start of a talkspurt, RFC 3551 §4.1). */
  marker: boolean;
}

type Units = Uint8Array | Int16Array;

/** Sample-based codecs whose payload octet is one RTP clock tick (RFC 3551 §4.5.2, §4.5.14). */
export const OCTET_PER_TICK_CODECS: readonly string[] = ['PCMU', 'PCMA', 'G722'];

/** Re-frames a stream of units into packets of `unitsPerPacket`. */
export class Repacketizer<T extends Units> {
  private parts: T[] = [];
  private units = 0;
  private startTs = 0;
  private nextInTs: number | undefined;
  private marker = false;

  constructor(
    /** Units in one outgoing packet (e.g. 320 octets for 40 ms of G.711). */
    readonly unitsPerPacket: number,
    /** RTP clock ticks per unit (1 for G.711 octets, 0.5 for 16 kHz PCM on G.722's 8000 Hz clock). */
    readonly ticksPerUnit: number,
    private readonly make: (n: number) => T,
  ) {
    if (!(unitsPerPacket >= 1) || !(ticksPerUnit > 0)) throw new RangeError('repacketizer: bad packet size');
  }

  /** Units waiting for the rest of their packet. */
  get pending(): number {
    return this.units;
  }

  /**
   * Adds one incoming packet's units: `inTs` is its RTP timestamp, `inTicks` how many ticks of
   * audio it carried (the next contiguous packet's timestamp is `inTs + inTicks`). Returns the
   * packets now complete, and first what was buffered when this one does not continue it.
   */
  push(data: T, inTs: number, inTicks: number, marker: boolean): RepackChunk<T>[] {
    const out: RepackChunk<T>[] = [];
    if (this.units > 0 && (marker || inTs >>> 0 !== this.nextInTs)) out.push(...this.flush());
    if (this.units === 0) {
      this.startTs = inTs >>> 0;
      this.marker = marker;
    }
    this.nextInTs = (inTs + inTicks) >>> 0;
    if (data.length > 0) {
      this.parts.push(data);
      this.units += data.length;
    }
    // Bounded: each round takes unitsPerPacket (≥ 1) units out.
    while (this.units >= this.unitsPerPacket) out.push(this.take(this.unitsPerPacket));
    return out;
  }

  /** What is buffered, as one shorter packet (nothing when empty). */
  flush(): RepackChunk<T>[] {
    return this.units > 0 ? [this.take(this.units)] : [];
  }

  /** Forgets what is buffered; returns how many units were dropped. */
  drop(): number {
    const n = this.units;
    this.parts = [];
    this.units = 0;
    this.nextInTs = undefined;
    return n;
  }

  private take(n: number): RepackChunk<T> {
    const data = this.make(n);
    let filled = 0;
    while (filled < n) {
      const head = this.parts[0] as T;
      const want = n - filled;
      if (head.length <= want) {
        data.set(head, filled);
        filled += head.length;
        this.parts.shift();
      } else {
        data.set(head.subarray(0, want), filled);
        filled += want;
        this.parts[0] = head.subarray(want) as T;
      }
    }
    const chunk: RepackChunk<T> = { data, inTs: this.startTs, marker: this.marker };
    this.units -= n;
    this.startTs = (this.startTs + Math.round(n * this.ticksPerUnit)) >>> 0;
    this.marker = false;
    return chunk;
  }
}
