/**
 * A seeded synthetic RTP stream with injected loss and arrival jitter, for fixtures,
 * oracle tests (pcap → tshark vs our statistics) and benchmarks.
 */
import { buildRtp } from './rtp-packet.ts';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticStreamOptions {
  /** Packets sent (before loss). */
  packets: number;
  seed?: number;
  ptimeMs?: number;
  clockRate?: number;
  payloadType?: number;
  ssrc?: number;
  firstSeq?: number;
  firstTimestamp?: number;
  /** Arrival time of packet 0 in ms (e.g. an epoch time for pcap files). */
  startMs?: number;
  /** Probability that each packet after the first is lost. */
  lossRate?: number;
  /** Each arrival is delayed by a uniform random 0..jitterMs (arrivals stay in order). */
  jitterMs?: number;
  /** Payload bytes per packet (default: G.711 at ptime, 8 bytes per ms). */
  payloadBytes?: number;
}

/** One packet of a synthetic stream that survived the injected loss. */
export interface SyntheticPacket {
  index: number;
  arrivalMs: number;
  bytes: Uint8Array;
}

/** Yields the delivered packets of a synthetic stream in arrival order. */
export function* syntheticStream(o: SyntheticStreamOptions): Generator<SyntheticPacket> {
  const rnd = seededRandom(o.seed ?? 1);
  const ptime = o.ptimeMs ?? 20;
  const rate = o.clockRate ?? 8000;
  const step = Math.round((ptime * rate) / 1000);
  const bytes = o.payloadBytes ?? ptime * 8;
  const payload = new Uint8Array(bytes);
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < o.packets; i++) {
    const lost = i > 0 && rnd() < (o.lossRate ?? 0);
    const delay = rnd() * (o.jitterMs ?? 0);
    if (lost) continue;
    // Keep arrivals in order and µs-distinct so a pcap preserves them exactly.
    let arrival = Math.round(((o.startMs ?? 0) + i * ptime + delay) * 1000) / 1000;
    if (arrival <= last) arrival = last + 0.001;
    last = arrival;
    payload.fill((i * 7) & 0xff);
    yield {
      index: i,
      arrivalMs: arrival,
      bytes: buildRtp({
        payloadType: o.payloadType ?? 8,
        sequenceNumber: ((o.firstSeq ?? 1000) + i) & 0xffff,
        timestamp: ((o.firstTimestamp ?? 12345) + i * step) >>> 0,
        ssrc: o.ssrc ?? 0x11223344,
        marker: i === 0,
        payload,
      }),
    };
  }
}
