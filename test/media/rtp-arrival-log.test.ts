/**
 * The arrival log (harness/media/rtp/arrival-log.ts): every RTP datagram's arrival and header
 * fields read back as they were, for as many packets as a long call brings (its arrays grow),
 * 20 bytes a packet; past its bound the rest is counted and dated, never silently lost.
 */
import { describe, expect, it } from 'vitest';
import { ARRIVAL_BYTES, ArrivalLog, buildRtp, RtpSession } from '../../harness/media/rtp/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

function packet(
  seq: number,
  ts: number,
  o: { marker?: boolean; pt?: number; ssrc?: number } = {},
): Uint8Array {
  return buildRtp({
    payloadType: o.pt ?? 8,
    sequenceNumber: seq & 0xffff,
    timestamp: ts >>> 0,
    ssrc: o.ssrc ?? 0xdeadbeef,
    marker: o.marker ?? false,
    payload: new Uint8Array(80),
  });
}

describe('ArrivalLog', () => {
  it('reads back each arrival and its header fields, past many growths of its arrays', () => {
    const log = new ArrivalLog();
    // Five minutes at 10 ms packets: 30 000 arrivals (the packet log keeps 25 000 received at most).
    for (let i = 0; i < 30_000; i++)
      log.add(i * 10 + 0.25, packet(65_000 + i, 0xffff_ff00 + i * 80, { marker: i % 1000 === 0 }));
    expect(log.length).toBe(30_000);
    expect(log.dropped).toBe(0);
    expect(log.fullAtMs).toBeUndefined();
    expect(log.packet(0)).toEqual({
      at: 0.25,
      pt: 8,
      version: 2,
      marker: true,
      seq: 65_000,
      ts: 0xffff_ff00,
      ssrc: 0xdeadbeef,
    });
    const last = log.packet(29_999);
    expect(last).toMatchObject({ at: 299_990.25, marker: false, seq: (65_000 + 29_999) & 0xffff });
    expect(last.ts).toBe((0xffff_ff00 + 29_999 * 80) >>> 0);
    expect(log.arrivalMs(12_345)).toBe(123_450.25);
    // Grown by half each time: at most a third unused, so ≤ 30 bytes a packet held.
    expect(log.byteLength).toBeGreaterThanOrEqual(30_000 * ARRIVAL_BYTES);
    expect(log.byteLength).toBeLessThanOrEqual(30_000 * ARRIVAL_BYTES * 1.5);
  });

  it('takes any datagram of 12 octets or more (the version read as it is), not shorter ones', () => {
    const log = new ArrivalLog();
    log.add(1, new Uint8Array(11));
    const stun = new Uint8Array(20);
    stun[0] = 0x00;
    stun[1] = 0x01;
    log.add(2, stun);
    expect(log.length).toBe(1);
    expect(log.packet(0)).toMatchObject({ at: 2, version: 0, pt: 1, marker: false });
  });

  it('past its bound counts the rest and says from when', () => {
    const log = new ArrivalLog(3);
    for (let i = 0; i < 5; i++) log.add(100 + i * 20, packet(i, i * 160));
    expect(log.length).toBe(3);
    expect(log.dropped).toBe(2);
    expect(log.fullAtMs).toBe(160);
    expect(log.arrivalMs(2)).toBe(140);
  });

  it('an RTP session notes every RTP datagram it receives, beyond what its packet log keeps', async () => {
    const vc = new VirtualClock();
    const a = await RtpSession.open({ localAddress: '127.0.0.1', rtcpIntervalMs: 0, clock: vc });
    const b = await RtpSession.open({
      localAddress: '127.0.0.1',
      rtcpIntervalMs: 0,
      clock: vc,
      maxEvidence: 5,
    });
    try {
      a.setRemote('127.0.0.1', b.localPort);
      for (let i = 0; i < 20; i++) a.sendRawDatagram(packet(i, i * 80));
      for (let i = 0; i < 200 && b.arrivals.length < 20; i++) await new Promise((r) => setTimeout(r, 5));
      expect(b.evidence.records.length).toBe(5);
      expect(b.evidence.dropped).toBe(15);
      expect(b.arrivals.length).toBe(20);
      expect(b.arrivals.packet(19).seq).toBe(19);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('release() lets go of every arrival and keeps none after (a load call, judged live)', () => {
    const log = new ArrivalLog(100);
    const pkt = new Uint8Array(12);
    pkt[0] = 0x80;
    for (let k = 0; k < 10; k++) log.add(k, pkt);
    expect(log.length).toBe(10);
    log.release();
    expect(log.length).toBe(0);
    expect(log.byteLength).toBe(0);
    log.add(11, pkt);
    expect(log.length).toBe(0);
    expect(log.dropped).toBe(0);
  });
});
