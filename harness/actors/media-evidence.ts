/**
 * The RTP and RTCP of the harness's own actors, for the case pcap beside SIP, whatever the SBC:
 * every media leg the lab's provider and OXO open is tracked here, and each case takes what its
 * legs sent and received on the wire (SRTP still protected, wall-clock times, addresses).
 *
 * Bounded: at most `maxLegs` legs are tracked (the oldest are forgotten), and per leg and
 * direction a case keeps the first `firstRtp` and the last `lastRtp` RTP packets (the start of
 * each stream and its end, where a media cut shows) and the first `maxRtcp` RTCP packets.
 *
 * With the embedded SBC, its ports log the same datagrams from the other end (our leg's "sent"
 * is its "received"). {@link mergeMediaEvidence} keeps each datagram once: the sender's copy,
 * and a received copy only when no sender among ours logged it (a real SBC's packets).
 */
import type { PacketRecord } from '../media/rtp/index.ts';

/** A media leg as this module needs it (MediaLeg satisfies it). */
export interface EvidenceSource {
  readonly name: string;
  evidence(): PacketRecord[];
}

/** Bounds of {@link MediaEvidence}. */
export interface MediaEvidenceOptions {
  maxLegs?: number;
  firstRtp?: number;
  lastRtp?: number;
  maxRtcp?: number;
}

interface Tracked {
  leg: EvidenceSource;
  /** Records at or before this wall time were taken by an earlier case. */
  takenUpToMs: number;
}

/** The media legs of the lab's actors, taken case by case. */
export class MediaEvidence {
  private readonly legs: Tracked[] = [];
  private maxLegs: number;
  private readonly firstRtp: number;
  private readonly lastRtp: number;
  private readonly maxRtcp: number;
  /** Legs forgotten because more than `maxLegs` were open at once. */
  forgotten = 0;

  constructor(opts: MediaEvidenceOptions = {}) {
    this.maxLegs = Math.max(1, opts.maxLegs ?? 256);
    this.firstRtp = Math.max(0, opts.firstRtp ?? 1500);
    this.lastRtp = Math.max(0, opts.lastRtp ?? 250);
    this.maxRtcp = Math.max(0, opts.maxRtcp ?? 200);
  }

  /**
   * Tracks at most `maxLegs` legs from now on, forgetting the oldest at once. A lab that runs on
   * its own has nobody who takes the evidence, and keeps few (lab.ts, `keepStandalone`).
   */
  limit(maxLegs: number): void {
    this.maxLegs = Math.max(1, Math.floor(maxLegs));
    while (this.legs.length > this.maxLegs) {
      this.legs.shift();
      this.forgotten++;
    }
  }

  /** How many legs are tracked now. */
  get tracked(): number {
    return this.legs.length;
  }

  /** Tracks a leg from now on; returns it (so a media factory can wrap its result). */
  track<T extends EvidenceSource>(leg: T): T {
    this.legs.push({ leg, takenUpToMs: Number.NEGATIVE_INFINITY });
    while (this.legs.length > this.maxLegs) {
      this.legs.shift();
      this.forgotten++;
    }
    return leg;
  }

  /**
   * The packets of every tracked leg logged since the previous take, bounded as the class says,
   * in time order. Legs that were quiet since the previous take are forgotten afterwards (a
   * case's legs end with it; a lab that outlives its cases keeps only live legs).
   */
  take(): PacketRecord[] {
    const out: PacketRecord[] = [];
    const keep: Tracked[] = [];
    for (const t of this.legs) {
      let records: PacketRecord[];
      try {
        records = t.leg.evidence().filter((r) => r.wallMs > t.takenUpToMs);
      } catch {
        continue;
      }
      if (records.length === 0) continue;
      out.push(...this.bound(records));
      t.takenUpToMs = records.reduce((m, r) => Math.max(m, r.wallMs), t.takenUpToMs);
      keep.push(t);
    }
    this.legs.splice(0, this.legs.length, ...keep);
    return out.sort((a, b) => a.wallMs - b.wallMs);
  }

  /**
   * What the tracked legs received since the previous take, unbounded, in time order, without
   * taking it (the RTP validator judges it before the case's evidence is taken).
   */
  peekReceived(): PacketRecord[] {
    const out: PacketRecord[] = [];
    for (const t of this.legs) {
      try {
        for (const r of t.leg.evidence())
          if (r.direction === 'received' && r.wallMs > t.takenUpToMs) out.push(r);
      } catch {}
    }
    return out.sort((a, b) => a.wallMs - b.wallMs);
  }

  private bound(records: PacketRecord[]): PacketRecord[] {
    const groups = new Map<string, PacketRecord[]>();
    for (const r of records) {
      const k = `${r.direction}/${r.channel}`;
      let g = groups.get(k);
      if (!g) {
        g = [];
        groups.set(k, g);
      }
      g.push(r);
    }
    const out: PacketRecord[] = [];
    for (const [k, g] of groups) {
      if (k.endsWith('/rtcp')) out.push(...g.slice(0, this.maxRtcp));
      else if (g.length <= this.firstRtp + this.lastRtp) out.push(...g);
      else out.push(...g.slice(0, this.firstRtp), ...g.slice(g.length - this.lastRtp));
    }
    return out;
  }
}

/** What identifies one datagram on the wire, whichever end logged it. */
function wireKey(r: PacketRecord): string {
  const head = Buffer.from(r.bytes.subarray(0, 32)).toString('base64');
  return `${r.src.address}:${r.src.port}>${r.dst.address}:${r.dst.port}>${r.bytes.length}>${head}`;
}

/**
 * One copy of each datagram from several logs (our legs, the embedded SBC's ports): every sent
 * record, and a received record only when no log holds the sender's copy. In time order.
 */
export function mergeMediaEvidence(...logs: PacketRecord[][]): PacketRecord[] {
  const sent = new Set<string>();
  for (const log of logs) for (const r of log) if (r.direction === 'sent') sent.add(wireKey(r));
  const out: PacketRecord[] = [];
  for (const log of logs)
    for (const r of log) if (r.direction === 'sent' || !sent.has(wireKey(r))) out.push(r);
  return out.sort((a, b) => a.wallMs - b.wallMs);
}
