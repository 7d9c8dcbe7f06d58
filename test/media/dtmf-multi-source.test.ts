/**
 * RFC 4733 events from more than one SSRC on one leg (MultiSourceEventReceiver), with
 * hand-made packet vectors: the end packets of one press repeated on a new SSRC stay one digit,
 * a press split across an SSRC change stays one digit, a genuine second press after an SSRC
 * change is a second digit, and interleaved sources never reset each other.
 */
import { describe, expect, it } from 'vitest';
import {
  type DtmfDigit,
  MultiSourceEventReceiver,
  type SourcedDtmfEvent,
  TelephoneEventReceiver,
  type TelephoneEventRtpPacket,
  telephoneEventPackets,
} from '../../harness/media/dtmf/index.ts';

const A = 0x1111_1111;
const B = 0x2222_2222;

/** The packets of one 100 ms press of `digit` from `startMs`, as a sender paces them (20 ms). */
function press(digit: DtmfDigit, startMs: number, startTs: number): TelephoneEventRtpPacket[] {
  return telephoneEventPackets(digit, { startTimestamp: startTs, durationMs: 100, ptimeMs: 20 }).map(
    (p, i) => ({
      payload: p.payload,
      timestamp: p.timestamp,
      marker: p.marker,
      seq: i,
      arrivalMs: startMs + p.offsetMs,
    }),
  );
}

function run(
  stream: Array<[number, TelephoneEventRtpPacket]>,
  rx = new MultiSourceEventReceiver(),
): SourcedDtmfEvent[] {
  const out: SourcedDtmfEvent[] = [];
  for (const [ssrc, p] of stream) out.push(...rx.push(ssrc, p));
  out.push(...rx.poll(10_000), ...rx.flush());
  return out;
}

describe('MultiSourceEventReceiver', () => {
  it('the end packets of one press repeated on a new SSRC (same or new timestamps) stay one digit', () => {
    const packets = press('5', 0, 1000);
    const ends = packets.filter((p) => (p.payload[1]! & 0x80) !== 0);
    expect(ends.length).toBe(3);
    const firstEnd = packets.indexOf(ends[0]!);
    for (const shiftTs of [0, 0x5000_0000]) {
      const stream: Array<[number, TelephoneEventRtpPacket]> = [
        ...packets.slice(0, firstEnd + 1).map((p): [number, TelephoneEventRtpPacket] => [A, p]),
        // The SBC switched source: the two repeats of the end packet come with the new SSRC.
        ...packets
          .slice(firstEnd + 1)
          .map((p): [number, TelephoneEventRtpPacket] => [
            B,
            { ...p, timestamp: (p.timestamp + shiftTs) >>> 0 },
          ]),
      ];
      const rx = new MultiSourceEventReceiver();
      const got = run(stream, rx);
      expect(got.map((e) => e.digit)).toEqual(['5']);
      expect(got[0]!.ssrc).toBe(A);
      expect(rx.stats.crossSourceDuplicates).toBe(1);
      expect(rx.stats.sources).toBe(2);
      // The single-source receiver restarted at the change (what the media leg did) counts it twice.
      const old: string[] = [];
      let r = new TelephoneEventReceiver();
      let last = A;
      for (const [ssrc, p] of stream) {
        if (ssrc !== last) {
          old.push(...r.flush().map((e) => e.digit));
          r = new TelephoneEventReceiver();
          last = ssrc;
        }
        old.push(...r.push(p).map((e) => e.digit));
      }
      old.push(...r.flush().map((e) => e.digit));
      expect(old).toEqual(['5', '5']);
    }
  });

  it('a press whose first half came on one SSRC and the rest on another is one digit', () => {
    const packets = press('7', 0, 5000);
    const stream = packets.map((p, i): [number, TelephoneEventRtpPacket] =>
      i < 3 ? [A, p] : [B, { ...p, timestamp: (p.timestamp + 777) >>> 0 }],
    );
    const got = run(stream);
    expect(got.map((e) => e.digit)).toEqual(['7']);
    expect(got[0]!.endReceived).toBe(true);
  });

  it('a genuine second press of the same digit after an SSRC change is a second digit', () => {
    // 100 ms tone, 60 ms gap (the media leg's DTMF_GAP_MS), then the same digit on the new SSRC.
    const first = press('5', 0, 1000).map((p): [number, TelephoneEventRtpPacket] => [A, p]);
    const second = press('5', 160, 9000).map((p): [number, TelephoneEventRtpPacket] => [B, p]);
    const rx = new MultiSourceEventReceiver();
    const got = run([...first, ...second], rx);
    expect(got.map((e) => `${e.digit}@${e.ssrc === A ? 'A' : 'B'}`)).toEqual(['5@A', '5@B']);
    expect(rx.stats.crossSourceDuplicates).toBe(0);
  });

  it('two sources interleaved packet by packet do not reset each other', () => {
    // Source A carries "1", source B "2" at the same time (e.g. two streams the SBC sends at once).
    const a = press('1', 0, 100);
    const b = press('2', 0, 90_000);
    const stream: Array<[number, TelephoneEventRtpPacket]> = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i]) stream.push([A, a[i]!]);
      if (b[i]) stream.push([B, b[i]!]);
    }
    const rx = new MultiSourceEventReceiver();
    const got = run(stream, rx);
    expect(got.map((e) => e.digit).sort()).toEqual(['1', '2']);
    expect(rx.stats.duplicates).toBe(4);
  });

  it('keeps at most maxSources receivers, flushing the least recently heard', () => {
    const rx = new MultiSourceEventReceiver({ maxSources: 2 });
    const out: SourcedDtmfEvent[] = [];
    // Three sources, each starting a different digit without ending it.
    const digits: DtmfDigit[] = ['1', '2', '3'];
    digits.forEach((d, i) => {
      const p = press(d, i * 1000, 100 * (i + 1))[0]!;
      out.push(...rx.push(i + 1, p));
    });
    // The third source evicted the first, whose open digit was reported then.
    expect(out.map((e) => e.digit)).toEqual(['1']);
    out.push(...rx.flush());
    expect(out.map((e) => e.digit)).toEqual(['1', '2', '3']);
    expect(rx.stats.sources).toBe(3);
  });
});
