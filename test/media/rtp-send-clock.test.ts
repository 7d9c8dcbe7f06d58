import { afterEach, describe, expect, it } from 'vitest';
import type { Encoder } from '../../codecs/codec.ts';
import {
  parseRtp,
  RtpSession,
  SendClock,
  type SendStream,
  type SendTick,
} from '../../harness/media/rtp/index.ts';
import {
  configureProcessSendClock,
  PROCESS_SEND_CLOCK_OPTIONS,
  processSendClock,
} from '../../harness/media/rtp/send-clock.ts';
import { systemClock, VirtualClock } from '../../harness/support/clock.ts';

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

  it('by default the burst covers 200 ms at any packet time: a 10 ms stream rides out a 150 ms stall', () => {
    const vc = new VirtualClock();
    const sc = new SendClock(vc);
    const ten: number[] = [];
    const twenty: number[] = [];
    const a = sc.add({ ptimeMs: 10, clockRate: 8000, startMs: 0, onTick: (t) => void ten.push(t.index) });
    const b = sc.add({ ptimeMs: 20, clockRate: 8000, startMs: 0, onTick: (t) => void twenty.push(t.index) });
    vc.advance(0);
    (vc as unknown as { t: number }).t = 150;
    vc.advance(0);
    // 15 slots of 10 ms and 7 of 20 ms were due: all sent late, none skipped.
    expect(a.skipped).toBe(0);
    expect(ten).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(b.skipped).toBe(0);
    expect(twenty).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // A stall longer than 200 ms still skips the oldest slots of the 10 ms stream.
    (vc as unknown as { t: number }).t = 500;
    vc.advance(0);
    expect(a.skipped).toBeGreaterThan(0);
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

/** Seeded 32-bit LCG in [0, 1) for scattered start times. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    return x / 0x1_0000_0000;
  };
}

/** Number of streams per phase of a 20 ms period on a grid (start mod 20). */
function phases(streams: SendStream[], gridMs: number): Map<number, number> {
  const m = new Map<number, number>();
  for (const s of streams) {
    const p = Math.round((((s.startMs % 20) + 20) % 20) / gridMs);
    m.set(p, (m.get(p) ?? 0) + 1);
  }
  return m;
}

describe('SendClock phase grid on virtual time', () => {
  it('aligns a new stream to the next grid point of a free phase, within one ptime', () => {
    const vc = new VirtualClock();
    vc.advance(3.3);
    const sc = new SendClock(vc, { gridMs: 5 });
    const due: number[] = [];
    const s = sc.add({ ptimeMs: 20, clockRate: 8000, onTick: (t) => void due.push(t.dueMs) });
    expect(s.startMs % 5).toBe(0);
    expect(s.startMs).toBeGreaterThanOrEqual(3.3);
    expect(s.startMs).toBeLessThan(3.3 + 20);
    vc.advance(200);
    expect(due.length).toBeGreaterThan(5);
    for (const [n, d] of due.entries()) expect(d).toBe(s.startMs + n * 20);
    // An explicit start is kept exactly and takes no share of the grid.
    const before = sc.phaseLoad();
    const e = sc.add({ ptimeMs: 20, clockRate: 8000, startMs: vc.now() + 1.7, onTick: () => true });
    expect(e.startMs).toBe(vc.now() + 1.7);
    expect(sc.phaseLoad()).toEqual(before);
  });

  it('spreads streams arriving at scattered times evenly over the phases (least-loaded phase)', () => {
    const vc = new VirtualClock();
    const rnd = lcg(7);
    for (const grid of [5, 2.5]) {
      const sc = new SendClock(vc, { gridMs: grid });
      const streams: SendStream[] = [];
      for (let i = 0; i < 64; i++) {
        vc.advance(rnd() * 13);
        streams.push(sc.add({ ptimeMs: 20, clockRate: 8000, onTick: () => true }));
      }
      const per = phases(streams, grid);
      expect(per.size).toBe(20 / grid);
      for (const c of per.values()) expect(c).toBe(64 / (20 / grid));
      // The ring (120 ms of grid points) agrees: every 20 ms-phase slot carries the same load.
      const load = sc.phaseLoad();
      expect(load.length).toBe(120 / grid);
      expect(Math.max(...load)).toBe(Math.min(...load));
      // Emptying one phase sends the next arrivals there.
      const victim = [...per.keys()][0]!;
      const gone = streams.filter((s) => Math.round((s.startMs % 20) / grid) === victim);
      for (const s of gone) s.stop();
      const again: SendStream[] = [];
      for (let i = 0; i < gone.length; i++) {
        vc.advance(rnd() * 13);
        again.push(sc.add({ ptimeMs: 20, clockRate: 8000, onTick: () => true }));
      }
      expect([...phases(again, grid).keys()]).toEqual([victim]);
      sc.stopAll();
      expect(sc.phaseLoad().every((c) => c === 0)).toBe(true);
      expect(vc.pending).toBe(0);
    }
  });

  it('with a phase capacity, fills occupied phases first and balances once all are full', () => {
    const vc = new VirtualClock();
    const rnd = lcg(9);
    const sc = new SendClock(vc, { gridMs: 5, phaseCapacity: 10 });
    const streams: SendStream[] = [];
    const add = () => {
      vc.advance(rnd() * 13);
      streams.push(sc.add({ ptimeMs: 20, clockRate: 8000, onTick: () => true }));
    };
    for (let i = 0; i < 25; i++) add();
    // 25 streams, 10 per phase: three phases (10, 10, 5), the fourth stays free.
    expect([...phases(streams, 5).values()].sort((x, y) => x - y)).toEqual([5, 10, 10]);
    for (let i = 0; i < 23; i++) add();
    // 48 > 4 × 10: every phase full, then least-loaded: 12 each.
    expect([...phases(streams, 5).values()]).toEqual([12, 12, 12, 12]);
    sc.stopAll();
  });

  it('balances packets per grid point for streams of mixed ptime', () => {
    const vc = new VirtualClock();
    const rnd = lcg(11);
    const sc = new SendClock(vc, { gridMs: 10 });
    const ptimes = [20, 40, 20, 60, 10, 20, 30, 40, 20, 60, 30, 20];
    for (let i = 0; i < 48; i++) {
      vc.advance(rnd() * 9);
      sc.add({ ptimeMs: ptimes[i % ptimes.length]!, clockRate: 8000, onTick: () => true });
    }
    // The ring holds the packets per 10 ms grid point over one 120 ms hyperperiod.
    const load = sc.phaseLoad();
    expect(load.length).toBe(12);
    let expected = 0;
    for (let i = 0; i < 48; i++) expected += 120 / ptimes[i % ptimes.length]!;
    expect(load.reduce((x, y) => x + y, 0)).toBe(expected);
    // An even spread keeps every grid point within 1.5 packets of the mean.
    const mean = expected / load.length;
    for (const c of load) expect(Math.abs(c - mean)).toBeLessThanOrEqual(1.5);
  });

  it('keeps 10,000 packets drift-free, prepared ahead once each, fired exactly on time', () => {
    const vc = new VirtualClock();
    vc.advance(1.234);
    const sc = new SendClock(vc, { gridMs: 5, leadMs: 1.5 });
    const rnd = lcg(3);
    const log: { prep: SendTick[]; ticks: SendTick[]; s?: SendStream }[] = [];
    for (let i = 0; i < 10; i++) {
      const rec: (typeof log)[number] = { prep: [], ticks: [] };
      vc.advance(rnd() * 7);
      rec.s = sc.add({
        ptimeMs: 20,
        clockRate: 8000,
        firstTimestamp: 1000 * i,
        onPrepare: (t) => void rec.prep.push(t),
        onTick: (t) => void rec.ticks.push(t),
      });
      log.push(rec);
    }
    for (let i = 0; i < 40_000 && log.some((r) => r.ticks.length < 1000); i++) vc.advance(3.7);
    for (const [i, r] of log.entries()) {
      const start = r.s!.startMs;
      expect(start % 5).toBe(0);
      expect(r.ticks.length).toBeGreaterThanOrEqual(1000);
      for (const [n, t] of r.ticks.entries()) {
        expect(t.index).toBe(n);
        expect(t.dueMs).toBe(start + n * 20);
        expect(t.firedMs).toBe(t.dueMs);
        expect(t.rtpTimestamp).toBe(1000 * i + n * 160);
        // Prepared once, before the due time, at most max(lead, grid) ahead (the first slot
        // only if it was more than the lead away when the stream was added).
        const p = r.prep.find((x) => x.index === n);
        if (n === 0 && !p) continue;
        if (!p) throw new Error(`slot ${n} of stream ${i} was not prepared`);
        expect(p.rtpTimestamp).toBe(t.rtpTimestamp);
        expect(p.firedMs).toBeLessThan(t.dueMs);
        expect(t.dueMs - p.firedMs).toBeLessThanOrEqual(5);
      }
      expect(new Set(r.prep.map((p) => p.index)).size).toBe(r.prep.length);
      expect(r.prep.length - r.ticks.length).toBeLessThanOrEqual(1);
    }
  });

  it('wakes at most once per occupied phase per period, however many streams share it', () => {
    const vc = new VirtualClock();
    const rnd = lcg(5);
    const run = (gridMs: number) => {
      const sc = new SendClock(vc, gridMs > 0 ? { gridMs, leadMs: 1.5 } : {});
      for (let i = 0; i < 200; i++) {
        vc.advance(rnd() * 3);
        sc.add({ ptimeMs: 20, clockRate: 8000, onTick: () => true });
      }
      vc.advance(30);
      const w0 = sc.stats.wakes;
      const t0 = sc.stats.ticks;
      let maxPending = 0;
      for (let i = 0; i < 1000; i++) {
        vc.advance(1);
        maxPending = Math.max(maxPending, vc.pending);
      }
      const wakes = sc.stats.wakes - w0;
      const ticks = sc.stats.ticks - t0;
      sc.stopAll();
      return { wakes, ticks, maxPending };
    };
    const grid = run(5);
    // 1000 ms = 50 periods of 20 ms, 4 phases of 5 ms: ≤ 200 wakes (+1 for the window edge).
    expect(grid.ticks).toBe(200 * 50);
    expect(grid.wakes).toBeLessThanOrEqual(4 * 50 + 1);
    expect(grid.maxPending).toBe(1);
    // Without the grid the same streams keep their own phases: one wake per distinct due time.
    const free = run(0);
    expect(free.ticks).toBe(200 * 50);
    expect(free.wakes).toBeGreaterThan(10 * grid.wakes);
  });

  it('counts a throwing onPrepare as an error and still sends the slot', () => {
    const vc = new VirtualClock();
    const sc = new SendClock(vc, { leadMs: 2 });
    const sent: number[] = [];
    const s = sc.add({
      ptimeMs: 20,
      clockRate: 8000,
      startMs: 10,
      onPrepare: (t) => {
        if (t.index === 1) throw new Error('source failed');
      },
      onTick: (t) => void sent.push(t.index),
    });
    vc.advance(75);
    expect(sent).toEqual([0, 1, 2, 3]);
    expect(s.errors).toBe(1);
  });
});

describe('SendClock on the system clock', () => {
  for (const approach of ['spin', 'sleep', 'immediate'] as const) {
    it(`never sends before the due time and keeps the grid (${approach})`, async () => {
      const sc = new SendClock(systemClock, { gridMs: 5, leadMs: 1.5, approach });
      const ticks: SendTick[][] = [[], [], []];
      const streams = ticks.map((list) =>
        sc.add({ ptimeMs: 20, clockRate: 8000, onTick: (t) => void list.push(t) }),
      );
      // One long wait, nothing else on the event loop: the clock alone must keep itself going
      // (an unref'd setImmediate once stalled the final approach until the next timer).
      await new Promise((r) => setTimeout(r, 400));
      expect(sc.stats.wakes).toBeGreaterThanOrEqual(5);
      for (let i = 0; i < 300 && ticks.some((l) => l.length < 10); i++)
        await new Promise((r) => setTimeout(r, 5));
      sc.stopAll();
      for (const [k, list] of ticks.entries()) {
        expect(list.length).toBeGreaterThanOrEqual(10);
        for (const [n, t] of list.entries()) {
          expect(t.dueMs).toBe(streams[k]!.startMs + n * 20);
          expect(t.firedMs).toBeGreaterThanOrEqual(t.dueMs);
        }
      }
      // Three streams on a 5 ms grid of a 20 ms period take three different phases.
      expect(new Set(streams.map((s) => Math.round((s.startMs % 20) / 5))).size).toBe(3);
      expect(sc.stats.ticks).toBe(ticks.reduce((a, l) => a + l.length, 0));
    });
  }
});

describe('the process send clock', () => {
  it('uses the grid by default and can be reconfigured only while idle', () => {
    expect(processSendClock().grid).toBe(PROCESS_SEND_CLOCK_OPTIONS.gridMs);
    const s = processSendClock().add({ ptimeMs: 20, clockRate: 8000, onTick: () => true });
    expect(s.startMs % 5).toBe(0);
    expect(configureProcessSendClock({})).toBe(false);
    s.stop();
    expect(configureProcessSendClock({})).toBe(true);
    expect(processSendClock().grid).toBe(0);
    expect(configureProcessSendClock(PROCESS_SEND_CLOCK_OPTIONS)).toBe(true);
    expect(processSendClock().grid).toBe(5);
  });
});

describe('RtpSession audio made ahead on a leading send clock', () => {
  const sessions: RtpSession[] = [];
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
  });
  const encoder: Encoder = { encode: (pcm) => Uint8Array.from(pcm, (s) => s & 0xff) };

  it('sends prepared packets in order at their due time and gives back the sequence number of an unsent one', async () => {
    const vc = new VirtualClock();
    const sendClock = new SendClock(vc, { gridMs: 5, leadMs: 1.5 });
    const a = await RtpSession.open({
      localAddress: '127.0.0.1',
      rtcpMux: true,
      rtcpIntervalMs: 0,
      sendClock,
      clock: vc,
    });
    const b = await RtpSession.open({ localAddress: '127.0.0.1', rtcpMux: true, rtcpIntervalMs: 0 });
    sessions.push(a, b);
    a.setRemote('127.0.0.1', b.localPort);
    let pulled = 0;
    const sentAt: { due: number; at: number }[] = [];
    const start = () =>
      a.startAudio({
        encoder,
        payloadType: 8,
        clockRate: 8000,
        ptimeMs: 20,
        next: (k) => new Int16Array(k).fill(++pulled),
        onSent: (t, at) => void sentAt.push({ due: t.dueMs, at }),
      });
    const st = start();
    vc.advance(st.startMs - vc.now() + 20 * 9); // 10 packets
    expect(sentAt.length).toBe(10);
    for (const x of sentAt) expect(x.at).toBe(x.due);
    // Now the 11th is made ahead (pulled) but not due; stopping gives its number back.
    vc.advance(19);
    expect(pulled).toBe(11);
    a.stopAudio();
    const st2 = start();
    vc.advance(st2.startMs - vc.now() + 20 * 4); // 5 more
    expect(sentAt.length).toBe(15);
    const got = () =>
      b.evidence.records.filter((r) => r.direction === 'received').map((r) => parseRtp(r.bytes));
    for (let i = 0; i < 300 && got().length < 15; i++) await new Promise((r) => setTimeout(r, 10));
    const pkts = got();
    expect(pkts.length).toBe(15);
    const seqs = pkts.map((p) => (p.ok ? p.packet.sequenceNumber : -1));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[0]! + i) & 0xffff);
    const first = pkts.map((p) => (p.ok ? p.packet.payload[0] : -1));
    // Packet 11's PCM (value 11) was pulled and dropped with the stop; the restart pulls 12….
    expect(first).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16]);
    expect(pkts.filter((p) => p.ok && p.packet.marker).length).toBe(2);
  });
});
