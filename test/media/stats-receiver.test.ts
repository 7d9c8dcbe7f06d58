import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decoder } from '../../codecs/codec.ts';
import {
  buildRtp,
  type PayloadFormat,
  parseRtcp,
  parseRtp,
  RtpReceiver,
  type RtpView,
} from '../../harness/media/rtp/index.ts';
import { buildBye, buildReceiverReport, buildSenderReport } from '../../harness/media/rtp/rtcp.ts';
import { RtpStreamStats } from '../../harness/media/rtp/stream-stats.ts';

/** A stand-in decoder: each payload byte becomes one sample equal to the byte + 1 (never 0). */
const byteDecoder: Decoder = { decode: (p) => Int16Array.from(p, (b) => b + 1) };
const pcma = (): Map<number, PayloadFormat> =>
  new Map([[8, { name: 'PCMA', clockRate: 8000, decoder: byteDecoder }]]);

function pkt(
  seq: number,
  ts: number,
  opts: { pt?: number; ssrc?: number; bytes?: number; fill?: number } = {},
): Uint8Array {
  return buildRtp({
    payloadType: opts.pt ?? 8,
    sequenceNumber: seq,
    timestamp: ts,
    ssrc: opts.ssrc ?? 42,
    payload: new Uint8Array(opts.bytes ?? 160).fill(opts.fill ?? 7),
  });
}

function view(seq: number, ts: number): RtpView {
  const r = parseRtp(pkt(seq, ts));
  if (!r.ok) throw new Error('fixture');
  return r.packet;
}

describe('RtpStreamStats (RFC 3550 A.3, A.8)', () => {
  it('computes loss, duplicates and reordering across a sequence wrap', () => {
    const s = new RtpStreamStats(1);
    const order = [65533, 65534, 65535, 1, 0, 2, 2, 5, 6];
    order.forEach((seq, i) => {
      s.update(view(seq, seq * 160), i * 20);
    });
    const r = s.summary();
    // Expected 65533..65542 (ext) = 10; distinct received 8 (2 duplicated), lost 2 (seq 3, 4).
    expect(r.expected).toBe(10);
    expect(r.received).toBe(8);
    expect(r.lost).toBe(2);
    expect(r.duplicates).toBe(1);
    expect(r.reordered).toBe(1);
  });

  it('jitter follows J += (|D| − J)/16 with D from arrival and timestamp deltas', () => {
    const s = new RtpStreamStats(1, 8000);
    const arrivals = [0, 20, 45, 60, 80, 130];
    let j = 0;
    arrivals.forEach((a, i) => {
      s.update(view(i, i * 160), a);
      if (i > 0) {
        const d = (a - arrivals[i - 1]!) * 8 - 160;
        j += (Math.abs(d) - j) / 16;
      }
    });
    const r = s.summary();
    expect(r.jitterTs).toBeCloseTo(j, 9);
    expect(r.jitterMs).toBeCloseTo(j / 8, 9);
    expect(r.timestampJumps).toBe(0);
    expect(r.histogram.counts.reduce((a, b) => a + b, 0)).toBe(arrivals.length - 1);
    expect(r.maxDeltaMs).toBe(50);
    expect(r.minDeltaMs).toBe(15);
  });

  it('counts a timestamp jump and keeps it out of the jitter', () => {
    const s = new RtpStreamStats(1);
    s.update(view(0, 0), 0);
    s.update(view(1, 160), 20);
    s.update(view(2, 160 + 8000 * 30), 40);
    s.update(view(3, 320 + 8000 * 30), 60);
    const r = s.summary();
    expect(r.timestampJumps).toBe(1);
    expect(r.jitterTs).toBe(0);
  });

  it('treats a single stray far jump as a stray, two in sequence as a restart', () => {
    const s = new RtpStreamStats(1);
    for (let i = 0; i < 5; i++) s.update(view(i, i * 160), i * 20);
    s.update(view(30000, 0), 100);
    s.update(view(5, 800), 120);
    expect(s.summary()).toMatchObject({ strays: 1, sequenceRestarts: 0, lost: 0, received: 6 });
    s.update(view(40000, 0), 140);
    s.update(view(40001, 160), 160);
    // As in A.1, the first packet of the new run is the probation packet and is not counted.
    expect(s.summary()).toMatchObject({ strays: 2, sequenceRestarts: 1, lost: 0, received: 7, expected: 7 });
  });
});

describe('RtpReceiver', () => {
  it('decodes into PCM placed by timestamp with silent gaps for lost packets', () => {
    const rx = new RtpReceiver({ payloadMap: pcma() });
    for (const i of [0, 1, 3, 4]) rx.receive(pkt(100 + i, 5000 + i * 160, { fill: i }), i * 20);
    const a = rx.audio()!;
    expect(a.sampleRate).toBe(8000);
    expect(a.pcm.length).toBe(5 * 160);
    expect(a.decodedSamples).toBe(4 * 160);
    expect(Array.from(a.pcm.subarray(320, 480)).every((x) => x === 0)).toBe(true);
    expect(a.pcm[160]).toBe(2);
    expect(a.pcm[480]).toBe(4);
    expect(rx.stream(42)?.lost).toBe(1);
  });

  it('counts SSRC changes, payload-type changes and unknown payload types', () => {
    const rx = new RtpReceiver({ payloadMap: pcma() });
    rx.receive(pkt(1, 0), 0);
    rx.receive(pkt(2, 160, { pt: 101, bytes: 4 }), 20);
    rx.receive(pkt(3, 320), 40);
    rx.receive(pkt(9, 0, { ssrc: 43 }), 60);
    rx.receive(pkt(4, 480), 80);
    expect(rx.counters).toMatchObject({ datagrams: 5, accepted: 5, unknownPayloadType: 1, ssrcChanges: 2 });
    expect(rx.stream(42)).toMatchObject({ payloadTypeChanges: 2, payloadTypes: [8, 101], received: 4 });
    expect(rx.streams().map((s) => s.ssrc)).toEqual([42, 43]);
  });

  it('classifies short, wrong-version and truncated packets', () => {
    const rx = new RtpReceiver();
    rx.receive(new Uint8Array(5), 0);
    const v1 = pkt(1, 0);
    v1[0] = 0x40;
    rx.receive(v1, 0);
    const cc = pkt(1, 0, { bytes: 0 });
    cc[0] = 0x8f; // 15 CSRCs announced, none present
    rx.receive(cc, 0);
    const pad = pkt(1, 0, { bytes: 3 });
    pad[0]! |= 0x20;
    pad[pad.length - 1] = 200;
    rx.receive(pad, 0);
    expect(rx.counters).toMatchObject({
      datagrams: 4,
      accepted: 0,
      short: 1,
      badVersion: 1,
      truncated: 1,
      badPadding: 1,
    });
  });

  it('never throws on random bytes and every datagram lands in exactly one bucket (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 80 }),
            // Mostly-valid RTP with random corruption, to get past the first checks.
            fc
              .tuple(
                fc.integer({ min: 0, max: 0xffff }),
                fc.integer({ min: 0, max: 255 }),
                fc.uint8Array({ maxLength: 40 }),
              )
              .map(([seq, flip, tail]) => {
                const b = pkt(seq, seq * 160, { bytes: tail.length, pt: flip & 1 ? 8 : 0 });
                b.set(tail, 12);
                b[0]! ^= flip & 0x3f;
                return b;
              }),
          ),
          { maxLength: 60 },
        ),
        (datagrams) => {
          const rx = new RtpReceiver({ payloadMap: pcma(), maxSsrcs: 4 });
          datagrams.forEach((d, i) => {
            rx.receive(d, i * 20);
          });
          const c = rx.counters;
          const buckets =
            c.accepted +
            c.short +
            c.badVersion +
            c.truncated +
            c.badPadding +
            c.srtpAuthFailed +
            c.srtpReplayed +
            c.srtpMalformed +
            c.ssrcOverflow;
          expect(c.datagrams).toBe(datagrams.length);
          expect(buckets).toBe(datagrams.length);
          const perStream = rx.streams().reduce((a, s) => a + s.received + s.duplicates + s.strays, 0);
          expect(perStream).toBe(c.accepted);
          for (const s of rx.streams()) {
            expect(s.lost).toBeGreaterThanOrEqual(0);
            expect(Number.isFinite(s.jitterMs)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the RTCP parser never throws on random bytes (fuzz) and round-trips what we build', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        const c = parseRtcp(b);
        expect(Array.isArray(c.items)).toBe(true);
      }),
      { numRuns: 500 },
    );
    const block = {
      ssrc: 9,
      fractionLost: 12,
      packetsLost: -3,
      highestSequence: 70000,
      jitter: 33,
      lsr: 1234,
      dlsr: 5678,
    };
    const sr = buildSenderReport(
      5,
      { ntpTimestamp: 0x0123456789abcdefn, rtpTimestamp: 999, packetCount: 10, octetCount: 1600 },
      [block],
      'me@h',
    );
    const bye = buildBye([5], 'done');
    const c = parseRtcp(new Uint8Array([...sr, ...bye]));
    expect(c.error).toBeUndefined();
    expect(c.items[0]).toEqual({
      type: 'sr',
      ssrc: 5,
      sender: { ntpTimestamp: 0x0123456789abcdefn, rtpTimestamp: 999, packetCount: 10, octetCount: 1600 },
      reports: [block],
    });
    expect(c.items[1]).toEqual({ type: 'sdes', chunks: [{ ssrc: 5, cname: 'me@h' }] });
    expect(c.items[2]).toEqual({ type: 'bye', ssrcs: [5], reason: 'done' });
    const rr = parseRtcp(buildReceiverReport(6, [], 'x'));
    expect(rr.items[0]).toEqual({ type: 'rr', ssrc: 6, reports: [] });
  });
});

describe('RTP serialisation', () => {
  it('the direct writer gives werift-rtp’s bytes, and parse inverts both (property)', async () => {
    const { buildRtpWerift } = await import('../../harness/media/rtp/rtp-packet.ts');
    fc.assert(
      fc.property(
        fc.record({
          payloadType: fc.integer({ min: 0, max: 127 }),
          sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
          timestamp: fc.integer({ min: 0, max: 0xffffffff }),
          ssrc: fc.integer({ min: 0, max: 0xffffffff }),
          marker: fc.boolean(),
          payload: fc.uint8Array({ maxLength: 64 }),
          csrcs: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 3 }),
        }),
        (f) => {
          const plain = { ...f, csrcs: [] };
          expect(Buffer.from(buildRtp(plain)).equals(Buffer.from(buildRtpWerift(plain)))).toBe(true);
          const r = parseRtp(buildRtp(f));
          expect(r.ok).toBe(true);
          if (r.ok) {
            expect(r.packet).toMatchObject({
              payloadType: f.payloadType,
              sequenceNumber: f.sequenceNumber,
              timestamp: f.timestamp,
              ssrc: f.ssrc,
              marker: f.marker,
              csrcs: f.csrcs,
            });
            expect(Array.from(r.packet.payload)).toEqual(Array.from(f.payload));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
