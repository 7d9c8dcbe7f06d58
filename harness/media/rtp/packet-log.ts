/** Bounded evidence log of every RTP/RTCP datagram a session sent or received. */

/** One logged datagram, as it was on the wire (SRTP still protected). */
export interface PacketRecord {
  direction: 'sent' | 'received';
  channel: 'rtp' | 'rtcp';
  /** Monotonic ms (the session's clock). */
  atMs: number;
  /** Wall-clock ms since the epoch, for pcap timestamps. */
  wallMs: number;
  src: { address: string; port: number };
  dst: { address: string; port: number };
  bytes: Uint8Array;
}

/** Keeps up to `max` records; later ones are counted in `dropped`. */
export class PacketLog {
  readonly records: PacketRecord[] = [];
  dropped = 0;

  constructor(readonly max = 50_000) {}

  add(r: PacketRecord): void {
    if (this.records.length >= this.max) {
      this.dropped++;
      return;
    }
    this.records.push(r);
  }
}
