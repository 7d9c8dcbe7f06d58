import { describe, expect, it } from 'vitest';
import { SendClock, type SendTick } from '../../harness/media/rtp/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

describe('SendClock on virtual time', () => {
  it('fires packet n exactly at start + n·ptime with no drift after 10,000 packets', () => {
    const vc = new VirtualClock();
    vc.advance(3.25);
    const sc = new SendClock(vc);
    const ticks: SendTick[] = [];
    sc.add({
      ptimeMs: 20,
      clockRate: 8000,
      firstTimestamp: 4_294_967_000,
      onTick: (t) => void ticks.push(t),
    });
    // Advance in awkward steps so timer granularity cannot line up with the ptime.
    for (let i = 0; i < 10_000 && ticks.length < 10_000; i++) vc.advance(7.3);
    while (ticks.length < 10_000) vc.advance(20);
    for (let n = 0; n < 10_000; n++) {
      const t = ticks[n]!;
      expect(t.index).toBe(n);
      expect(t.dueMs).toBe(3.25 + n * 20);
      expect(t.firedMs).toBe(t.dueMs);
      expect(t.rtpTimestamp).toBe((4_294_967_000 + n * 160) >>> 0);
    }
    expect(ticks.filter((t) => t.marker).map((t) => t.index)).toEqual([0]);
  });

  it('services several streams of different ptime from one timer', () => {
    const vc = new VirtualClock();
    const sc = new SendClock(vc);
    const a: number[] = [];
    const b: number[] = [];
    sc.add({ ptimeMs: 20, clockRate: 8000, onTick: (t) => void a.push(t.firedMs) });
    sc.add({ ptimeMs: 30, clockRate: 8000, onTick: (t) => void b.push(t.firedMs) });
    vc.advance(600);
    expect(vc.pending).toBe(1);
    expect(a).toEqual(Array.from({ length: 31 }, (_, i) => i * 20));
    expect(b).toEqual(Array.from({ length: 21 }, (_, i) => i * 30));
    sc.stopAll();
    expect(vc.pending).toBe(0);
  });

  it('marks the first packet of each talk-spurt, also after a suppressed slot', () => {
    const vc = new VirtualClock();
    const sc = new SendClock(vc);
    const marks: boolean[] = [];
    const s = sc.add({
      ptimeMs: 10,
      clockRate: 8000,
      onTick: (t) => {
        if (t.index === 3) return false; // silence
        marks.push(t.marker);
        return true;
      },
    });
    vc.advance(55);
    s.talkSpurt();
    vc.advance(10);
    // Slots 0..5 by 55 ms (3 suppressed), slot 6 at 60 ms after talkSpurt().
    expect(marks).toEqual([true, false, false, true, false, true]);
    expect(s.sent).toBe(marks.length);
  });

  it('catches up a late wake-up with a bounded burst and counts skipped slots', () => {
    const vc = new VirtualClock();
    const sc = new SendClock(vc, { maxCatchUp: 5 });
    const idx: number[] = [];
    const s = sc.add({ ptimeMs: 20, clockRate: 8000, startMs: 0, onTick: (t) => void idx.push(t.index) });
    vc.advance(0);
    // Simulate a stalled process: the virtual clock jumps past many due times at once.
    (vc as unknown as { t: number }).t = 400;
    vc.advance(0);
    // Slot 1 was due at 20 ms; at 400 ms it is 19 slots behind: the oldest 15 are skipped
    // and the last 5 (due 320..400) go out in one burst.
    expect(s.skipped).toBe(15);
    expect(idx).toEqual([0, 16, 17, 18, 19, 20]);
    expect(s.sent + s.skipped).toBe(idx.at(-1)! + 1);
  });

  it('counts a throwing sender as an error and keeps the schedule', () => {
    const vc = new VirtualClock();
    const sc = new SendClock(vc);
    const due: number[] = [];
    const s = sc.add({
      ptimeMs: 20,
      clockRate: 8000,
      onTick: (t) => {
        due.push(t.dueMs);
        if (t.index % 2 === 1) throw new Error('encoder failed');
        return true;
      },
    });
    vc.advance(100);
    expect(due).toEqual([0, 20, 40, 60, 80, 100]);
    expect(s.errors).toBe(3);
    expect(s.sent).toBe(3);
  });

  it('rejects a ptime outside 10–60 ms', () => {
    const sc = new SendClock(new VirtualClock());
    expect(() => sc.add({ ptimeMs: 5, clockRate: 8000, onTick: () => true })).toThrow(RangeError);
    expect(() => sc.add({ ptimeMs: 61, clockRate: 8000, onTick: () => true })).toThrow(RangeError);
  });
});
