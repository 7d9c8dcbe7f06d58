import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DTMF_DIGITS,
  type DtmfDigit,
  decodeTelephoneEvent,
  encodeTelephoneEvent,
  type ReceivedDtmfEvent,
  type TelephoneEventPacket,
  TelephoneEventReceiver,
  type TelephoneEventRtpPacket,
  telephoneEventPackets,
} from '../../harness/media/dtmf/index.ts';

/** Sends `digits` one after another (pause between them) and numbers the packets like an RTP session. */
function sendSequence(
  digits: DtmfDigit[],
  opts: { durationMs?: number; pauseMs?: number; ptimeMs?: number; startTs?: number } = {},
): TelephoneEventRtpPacket[] {
  const rate = 8000;
  const durationMs = opts.durationMs ?? 100;
  const pauseMs = opts.pauseMs ?? 100;
  const out: TelephoneEventRtpPacket[] = [];
  let ts = opts.startTs ?? 12345;
  let timeMs = 0;
  let seq = 100;
  for (const digit of digits) {
    for (const p of telephoneEventPackets(digit, {
      startTimestamp: ts,
      durationMs,
      ptimeMs: opts.ptimeMs ?? 20,
    })) {
      out.push({
        payload: p.payload,
        timestamp: p.timestamp,
        marker: p.marker,
        seq: seq++ & 0xffff,
        arrivalMs: timeMs + p.offsetMs,
      });
    }
    const step = ((durationMs + pauseMs) * rate) / 1000;
    ts = (ts + step) >>> 0;
    timeMs += durationMs + pauseMs;
  }
  return out;
}

function receiveAll(
  packets: TelephoneEventRtpPacket[],
  receiver = new TelephoneEventReceiver(),
): ReceivedDtmfEvent[] {
  const events: ReceivedDtmfEvent[] = [];
  for (const p of packets) events.push(...receiver.push(p));
  events.push(...receiver.flush());
  return events;
}

const digitArb = fc.constantFrom(...DTMF_DIGITS);

describe('RFC 4733 payload', () => {
  it('encodes event, E, R, volume and duration into the four bytes of §2.3', () => {
    expect([...encodeTelephoneEvent({ event: 5, end: true, volume: 10, duration: 800 })]).toEqual([
      5, 0x8a, 0x03, 0x20,
    ]);
    expect([
      ...encodeTelephoneEvent({ event: 11, end: false, reserved: true, volume: 63, duration: 0xffff }),
    ]).toEqual([11, 0x7f, 0xff, 0xff]);
    // Defaults: volume 10 (-10 dBm0), duration 0, no E.
    expect([...encodeTelephoneEvent({ event: 0 })]).toEqual([0, 10, 0, 0]);
  });

  it('clamps out-of-range fields to their bit width instead of corrupting neighbours', () => {
    const bytes = encodeTelephoneEvent({ event: 300, volume: 99, duration: 70000 });
    expect([...bytes]).toEqual([255, 63, 0xff, 0xff]);
  });

  it('decodes what it encodes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 0, max: 0xffff }),
        (event, end, reserved, volume, duration) => {
          const r = decodeTelephoneEvent(encodeTelephoneEvent({ event, end, reserved, volume, duration }));
          expect(r).toEqual({ ok: true, value: { event, end, reserved, volume, duration }, trailing: 0 });
        },
      ),
    );
  });

  it('returns a typed error for short payloads and reports trailing bytes', () => {
    for (let n = 0; n < 4; n++) {
      expect(decodeTelephoneEvent(new Uint8Array(n))).toEqual({
        ok: false,
        error: { code: 'too-short', length: n },
      });
    }
    const r = decodeTelephoneEvent(new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect(r.ok && r.trailing).toBe(2);
    expect(decodeTelephoneEvent('nope' as unknown as Uint8Array).ok).toBe(false);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 32 }), (bytes) => void decodeTelephoneEvent(bytes)));
  });
});

describe('RFC 4733 sender', () => {
  it('sends marker first, one timestamp, growing durations and three E-bit packets', () => {
    const packets = telephoneEventPackets('5', { startTimestamp: 1000, durationMs: 100, ptimeMs: 20 });
    expect(packets.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    expect(new Set(packets.map((p) => p.timestamp))).toEqual(new Set([1000]));
    expect(packets.map((p) => p.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(packets.map((p) => p.end)).toEqual([false, false, false, false, true, true, true]);
    expect(packets.map((p) => p.offsetMs)).toEqual([0, 20, 40, 60, 80, 100, 120]);
    expect(packets.every((p) => p.volume === 10 && p.event === 5)).toBe(true);
    // The payload bytes say the same as the decoded view.
    for (const p of packets) {
      const d = decodeTelephoneEvent(p.payload);
      expect(d.ok && d.value).toMatchObject({ event: 5, end: p.end, volume: 10, duration: p.duration });
    }
  });

  it('honours volume, ptime, clock rate, timestamp units and end-repeat options', () => {
    const p = telephoneEventPackets('#', {
      startTimestamp: 0xfffffff0,
      durationTs: 1000,
      ptimeMs: 50,
      clockRate: 16000,
      volume: 20,
      endRepeats: 2,
      spaceEndRepeats: false,
    });
    expect(p.map((x) => x.duration)).toEqual([800, 1000, 1000]);
    expect(p.map((x) => x.offsetTs)).toEqual([0, 800, 800]);
    expect(p.every((x) => x.timestamp === 0xfffffff0 && x.volume === 20 && x.event === 11)).toBe(true);
  });

  it('splits an event longer than 0xFFFF units into segments (§2.5.1.3)', () => {
    const total = 200_000; // 25 s at 8 kHz
    const packets = telephoneEventPackets('9', {
      startTimestamp: 4_294_900_000,
      durationTs: total,
      ptimeMs: 20,
    });
    const segments = [...new Set(packets.map((p) => p.timestamp))];
    expect(segments).toEqual([0, 1, 2, 3].map((k) => (4_294_900_000 + k * 0xffff) >>> 0));
    expect(packets.filter((p) => p.marker)).toHaveLength(1);
    expect(packets[0]!.marker).toBe(true);
    for (const ts of segments.slice(0, -1)) {
      const seg = packets.filter((p) => p.timestamp === ts);
      expect(seg.some((p) => p.end)).toBe(false);
      expect(Math.max(...seg.map((p) => p.duration))).toBe(0xffff);
    }
    const last = packets.filter((p) => p.timestamp === segments.at(-1));
    expect(last.filter((p) => p.end).map((p) => p.duration)).toEqual([
      total - 3 * 0xffff,
      total - 3 * 0xffff,
      total - 3 * 0xffff,
    ]);
    // Durations never go backwards within a segment.
    for (const ts of segments) {
      const d = packets.filter((p) => p.timestamp === ts).map((p) => p.duration);
      expect([...d].sort((a, b) => a - b)).toEqual(d);
    }
  });
});

describe('RFC 4733 receiver', () => {
  it('reports one event with duration and volume from a clean packet train', () => {
    const events = receiveAll(sendSequence(['7']));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      digit: '7',
      event: 7,
      timestamp: 12345,
      durationTs: 800,
      durationMs: 100,
      volume: 10,
      endReceived: true,
      markerSeen: true,
    });
  });

  it('reports the event at the first E bit and counts the repeats as duplicates', () => {
    const rx = new TelephoneEventReceiver();
    const packets = sendSequence(['1']);
    const perPacket = packets.map((p) => rx.push(p).length);
    expect(perPacket).toEqual([0, 0, 0, 0, 1, 0, 0]);
    expect(rx.stats).toMatchObject({ packets: 7, duplicates: 2, events: 1 });
    expect(rx.flush()).toEqual([]);
  });

  it('keeps two identical digits in a row apart by their timestamps', () => {
    const events = receiveAll(sendSequence(['4', '4', '4']));
    expect(events.map((e) => e.digit)).toEqual(['4', '4', '4']);
    expect(new Set(events.map((e) => e.timestamp)).size).toBe(3);
  });

  it('survives loss of the first packet (no marker seen)', () => {
    const events = receiveAll(sendSequence(['*']).slice(1));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ digit: '*', markerSeen: false, endReceived: true, durationTs: 800 });
  });

  it('closes an event whose end packets were all lost: by the next event, by poll(), by flush()', () => {
    const noEnds = (ps: TelephoneEventRtpPacket[]): TelephoneEventRtpPacket[] =>
      ps.filter(
        (p) =>
          !decodeTelephoneEvent(p.payload).ok ||
          !(decodeTelephoneEvent(p.payload) as { value: { end: boolean } }).value.end,
      );
    const seq = sendSequence(['2', '3']);
    const twoFirst = seq.filter((p) => p.timestamp === seq[0]!.timestamp);
    const events = receiveAll([...noEnds(twoFirst), ...seq.filter((p) => p.timestamp !== seq[0]!.timestamp)]);
    expect(events.map((e) => [e.digit, e.endReceived, e.durationTs])).toEqual([
      ['2', false, 640],
      ['3', true, 800],
    ]);

    const rx = new TelephoneEventReceiver({ idleTimeoutMs: 200 });
    for (const p of noEnds(sendSequence(['B']))) expect(rx.push(p)).toEqual([]);
    expect(rx.pending).toBe('B');
    expect(rx.poll(100)).toEqual([]);
    const polled = rx.poll(60 + 200);
    expect(polled.map((e) => e.digit)).toEqual(['B']);
    expect(rx.stats.closedWithoutEnd).toBe(1);
    expect(rx.flush()).toEqual([]);
  });

  it('ignores late packets of a closed event, even after the next one started', () => {
    const seq = sendSequence(['5', '6']);
    const late = seq[2]!; // a non-end report of '5'
    const events = receiveAll([...seq, late]);
    expect(events.map((e) => e.digit)).toEqual(['5', '6']);
  });

  it('merges the segments of a long event back into one event (also when the 0xFFFF report is lost)', () => {
    const packets = telephoneEventPackets('0', { startTimestamp: 5, durationTs: 150_000, ptimeMs: 20 });
    const asRtp = packets.map((p, i) => ({
      payload: p.payload,
      timestamp: p.timestamp,
      marker: p.marker,
      seq: i,
      arrivalMs: p.offsetMs,
    }));
    const whole = receiveAll(asRtp);
    expect(whole.map((e) => [e.digit, e.timestamp, e.durationTs])).toEqual([['0', 5, 150_000]]);
    const withoutMax = asRtp.filter((_, i) => packets[i]!.duration !== 0xffff);
    // Across the 32-bit timestamp wrap as well.
    const wrapping = telephoneEventPackets('0', {
      startTimestamp: 0xffff0000,
      durationTs: 150_000,
      ptimeMs: 20,
    });
    expect(new Set(wrapping.map((p) => p.timestamp)).has(0xffff0000 + 2 * 0xffff - 2 ** 32)).toBe(true);
    const wrapped = receiveAll(wrapping.map((p, i) => ({ ...p, seq: i, arrivalMs: p.offsetMs })));
    expect(wrapped.map((e) => [e.timestamp, e.durationTs])).toEqual([[0xffff0000, 150_000]]);
    expect(receiveAll(withoutMax).map((e) => [e.digit, e.durationTs])).toEqual([['0', 150_000]]);
  });

  it('ignores and counts events 16-255 and malformed payloads without throwing', () => {
    const rx = new TelephoneEventReceiver();
    const flash = encodeTelephoneEvent({ event: 16, end: true, duration: 160 });
    expect(rx.push({ payload: flash, timestamp: 1, seq: 1, marker: true, arrivalMs: 0 })).toEqual([]);
    expect(
      rx.push({ payload: new Uint8Array([1, 2]), timestamp: 2, seq: 2, marker: false, arrivalMs: 0 }),
    ).toEqual([]);
    expect(rx.push(null as unknown as TelephoneEventRtpPacket)).toEqual([]);
    expect(rx.push({ timestamp: 3 } as unknown as TelephoneEventRtpPacket)).toEqual([]);
    expect(rx.stats).toMatchObject({ packets: 4, ignoredEvents: 1, malformed: 3, events: 0 });
    expect(rx.flush()).toEqual([]);
  });

  it('never throws on arbitrary packets (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            payload: fc.uint8Array({ maxLength: 8 }),
            timestamp: fc.integer({ min: 0, max: 0xffffffff }),
            seq: fc.integer({ min: 0, max: 0xffff }),
            marker: fc.boolean(),
            arrivalMs: fc.double({ noNaN: false }),
          }),
          { maxLength: 50 },
        ),
        (packets) => {
          const rx = new TelephoneEventReceiver();
          const events = receiveAll(packets, rx);
          // Every event reported is a DTMF digit and there is at most one per distinct timestamp.
          expect(events.every((e) => DTMF_DIGITS.includes(e.digit))).toBe(true);
          expect(events.length).toBeLessThanOrEqual(new Set(packets.map((p) => p.timestamp)).size);
        },
      ),
    );
  });
});

describe('RFC 4733 sender → receiver round trip', () => {
  it('any drop of a subset of non-first packets still yields exactly the sent digits (property)', () => {
    fc.assert(
      fc.property(
        fc.array(digitArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 40, max: 400 }),
        fc.constantFrom(10, 20, 30, 50),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.infiniteStream(fc.boolean()),
        (digits, durationMs, ptimeMs, startTs, drops) => {
          const sent = sendSequence(digits, { durationMs, ptimeMs, startTs });
          const firstOf = new Set<number>();
          const kept = sent.filter((p) => {
            if (!firstOf.has(p.timestamp)) {
              firstOf.add(p.timestamp);
              return true;
            }
            return !drops.next().value;
          });
          const events = receiveAll(kept);
          expect(events.map((e) => e.digit)).toEqual(digits);
          for (const e of events) {
            expect(e.durationTs).toBeGreaterThan(0);
            expect(e.durationTs).toBeLessThanOrEqual(durationMs * 8);
            if (e.endReceived) expect(e.durationTs).toBe(durationMs * 8);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('duplication and local reordering still yield each sent digit once, in order by RTP timestamp (property)', () => {
    fc.assert(
      fc.property(
        fc.array(digitArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 60, max: 300 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 })), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (digits, durationMs, swaps, dups) => {
          const packets = sendSequence(digits, { durationMs });
          for (const d of dups) packets.splice(d % packets.length, 0, packets[d % packets.length]!);
          for (const [at, by] of swaps) {
            const i = at % packets.length;
            const j = Math.min(packets.length - 1, i + by);
            [packets[i], packets[j]] = [packets[j]!, packets[i]!];
          }
          const events = receiveAll(packets);
          // Reported as they complete: when an event's packets overtake a whole earlier event,
          // the earlier one comes late and is reported on its own after it, not lost. Its RTP
          // timestamp still places it (RFC 4733 §2.5.1: the timestamp identifies the event).
          const byTimestamp = [...events].sort((x, y) => x.timestamp - y.timestamp);
          expect(byTimestamp.map((e) => e.digit)).toEqual(digits);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('carries every digit with its duration and volume', () => {
    for (const digit of DTMF_DIGITS) {
      const packets: TelephoneEventPacket[] = telephoneEventPackets(digit, {
        startTimestamp: 77,
        durationMs: 250,
        volume: 6,
      });
      const events = receiveAll(packets.map((p, i) => ({ ...p, seq: i, arrivalMs: p.offsetMs })));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ digit, durationTs: 2000, durationMs: 250, volume: 6 });
    }
  });
});
