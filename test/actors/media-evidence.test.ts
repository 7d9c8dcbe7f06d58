/**
 * The media evidence of the lab's own legs (harness/actors/media-evidence.ts), with hand-made
 * packet records: each take returns only what was logged since the previous one, bounded per
 * leg and direction (first and last RTP packets, first RTCP packets); quiet legs are forgotten;
 * merging our logs with the embedded SBC's keeps each datagram once, the sender's copy.
 */
import { describe, expect, it } from 'vitest';
import { MediaEvidence, mergeMediaEvidence } from '../../harness/actors/media-evidence.ts';
import type { PacketRecord } from '../../harness/media/rtp/index.ts';
import { buildRtp } from '../../harness/media/rtp/index.ts';

const A = { address: '127.0.0.1', port: 4000 };
const B = { address: '127.0.0.2', port: 5000 };

function rtp(seq: number, wallMs: number, direction: 'sent' | 'received', ssrc = 7): PacketRecord {
  const bytes = buildRtp({
    payloadType: 8,
    sequenceNumber: seq,
    timestamp: seq * 160,
    ssrc,
    payload: new Uint8Array(160),
  });
  return direction === 'sent'
    ? { direction, channel: 'rtp', atMs: wallMs, wallMs, src: A, dst: B, bytes }
    : { direction, channel: 'rtp', atMs: wallMs, wallMs, src: B, dst: A, bytes };
}

function leg(name: string, records: PacketRecord[]) {
  return { name, evidence: () => records };
}

describe('MediaEvidence', () => {
  it('takes what each leg logged since the previous take, bounded per direction', () => {
    const ev = new MediaEvidence({ firstRtp: 3, lastRtp: 2, maxRtcp: 1 });
    const log: PacketRecord[] = [];
    for (let i = 0; i < 10; i++)
      log.push(rtp(i, 1000 + i * 20, 'sent'), rtp(100 + i, 1000 + i * 20, 'received', 9));
    log.push({ ...rtp(0, 1300, 'sent'), channel: 'rtcp' }, { ...rtp(1, 1310, 'sent'), channel: 'rtcp' });
    ev.track(leg('pstn1', log));
    const first = ev.take();
    const seqs = (d: string) =>
      first
        .filter((r) => r.direction === d && r.channel === 'rtp')
        .map((r) => (r.bytes[2]! << 8) | r.bytes[3]!);
    expect(seqs('sent')).toEqual([0, 1, 2, 8, 9]);
    expect(seqs('received')).toEqual([100, 101, 102, 108, 109]);
    expect(first.filter((r) => r.channel === 'rtcp')).toHaveLength(1);
    // Sorted by wall time; the bytes are those logged (as on the wire).
    expect(first.map((r) => r.wallMs)).toEqual([...first.map((r) => r.wallMs)].sort((a, b) => a - b));
    expect(first[0]!.bytes).toBe(log[0]!.bytes);
    // The next case sees only what came after.
    log.push(rtp(10, 2000, 'sent'));
    expect(ev.take().map((r) => r.wallMs)).toEqual([2000]);
    // A leg quiet for a whole case is forgotten.
    expect(ev.take()).toEqual([]);
    log.push(rtp(11, 3000, 'sent'));
    expect(ev.take()).toEqual([]);
  });

  it('peeks at what the legs received since the previous take, unbounded, without taking it', () => {
    const ev = new MediaEvidence({ firstRtp: 3, lastRtp: 2 });
    const log: PacketRecord[] = [rtp(0, 900, 'received')];
    ev.track(leg('pstn1', log));
    expect(ev.take()).toHaveLength(1);
    for (let i = 1; i <= 10; i++)
      log.push(rtp(i, 1000 + i * 20, 'sent'), rtp(100 + i, 1000 + i * 20, 'received'));
    const peeked = ev.peekReceived();
    expect(peeked.map((r) => (r.bytes[2]! << 8) | r.bytes[3]!)).toEqual([
      101, 102, 103, 104, 105, 106, 107, 108, 109, 110,
    ]);
    expect(peeked.every((r) => r.direction === 'received')).toBe(true);
    // Peeking took nothing: the case's take still gets the records (bounded).
    expect(ev.take().filter((r) => r.direction === 'received')).toHaveLength(5);
    expect(ev.peekReceived()).toEqual([]);
  });

  it('tracks at most maxLegs legs', () => {
    const ev = new MediaEvidence({ maxLegs: 2 });
    for (let i = 0; i < 3; i++) ev.track(leg(`l${i}`, [rtp(i, 1000 + i, 'sent')]));
    expect(ev.forgotten).toBe(1);
    expect(ev.take().map((r) => r.wallMs)).toEqual([1001, 1002]);
  });
});

describe('mergeMediaEvidence', () => {
  it('keeps the sender’s copy of a datagram both ends logged, and received copies no sender of ours logged', () => {
    const ours = [rtp(1, 1000, 'sent'), rtp(2, 1020, 'received')];
    // The SBC's port logged our packet 1 as received, and sent packet 2 (which we received) and 3.
    const sbc: PacketRecord[] = [
      { ...ours[0]!, direction: 'received', wallMs: 1001 },
      { ...ours[1]!, direction: 'sent', wallMs: 1019 },
    ];
    const foreign = rtp(3, 1040, 'received');
    const merged = mergeMediaEvidence([...ours, foreign], sbc);
    expect(merged.map((r) => `${r.direction}@${r.wallMs}`)).toEqual([
      'sent@1000',
      'sent@1019',
      'received@1040',
    ]);
  });
});
