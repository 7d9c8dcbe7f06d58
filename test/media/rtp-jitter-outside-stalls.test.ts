/**
 * Jitter without the arrivals a stall of the receiving process stamped: a steady stream read in
 * one burst after a 300 ms stall shows about 15 ms of RFC 3550 jitter (a longer stall, or two,
 * pass T-5's 30 ms bound), and none once the stall is left out; a stream that really jitters
 * keeps its jitter; a stall elsewhere changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { type JitterPacket, jitterOutsideStalls } from '../../harness/media/rtp/index.ts';

/** 20 ms G.711 packets (160 ticks), sent at 20 ms; `arrival(i)` says when packet i was stamped. */
function stream(n: number, arrival: (i: number) => number, ssrc = 1): JitterPacket[] {
  return Array.from({ length: n }, (_, i) => ({ atMs: arrival(i), timestamp: 1000 + i * 160, ssrc }));
}

/** A stall from 1000 to 1300 ms: packets due inside it are all stamped at 1300. */
const stalledArrival = (i: number) => {
  const due = i * 20;
  return due > 1000 && due < 1300 ? 1300 + (due - 1000) / 100 : due;
};
const STALL = [{ fromMs: 1000, toMs: 1300 }];

describe('jitter outside the harness’s stalls', () => {
  it('a steady stream stamped in a burst after a stall: high jitter as received, none without the stall', () => {
    const pk = stream(70, stalledArrival); // the check runs 1.4 s into the call
    const raw = jitterOutsideStalls(pk, { clockRate: 8000, stalls: [] });
    expect(raw.jitterMs).toBeGreaterThan(10);
    const judged = jitterOutsideStalls(pk, { clockRate: 8000, stalls: STALL });
    expect(judged.jitterMs).toBeLessThan(0.5);
    expect(judged.leftOut).toBeGreaterThan(10);
    expect(judged.kept).toBeGreaterThan(judged.leftOut); // enough left to judge by (T-5 asks for it)
    expect(judged.kept + judged.leftOut).toBe(69);
  });

  it('a stream that really jitters keeps its jitter with a stall elsewhere', () => {
    // ±15 ms around the due time, alternating: |D| = 30 ms for every pair.
    const pk = stream(200, (i) => i * 20 + (i % 2 === 0 ? 15 : -15) + 20);
    const raw = jitterOutsideStalls(pk, { clockRate: 8000, stalls: [] });
    const judged = jitterOutsideStalls(pk, { clockRate: 8000, stalls: [{ fromMs: 500, toMs: 600 }] });
    expect(raw.jitterMs).toBeGreaterThan(25);
    expect(judged.jitterMs).toBeGreaterThan(25);
  });

  it('per SSRC, the worst; a timestamp jump is not jitter', () => {
    const a = stream(50, (i) => i * 20, 1);
    const b = stream(50, (i) => 1000 + i * 20 + (i % 2 === 0 ? 10 : -10), 2);
    const r = jitterOutsideStalls([...a, ...b], { clockRate: 8000, stalls: [] });
    expect(r.jitterMs).toBeGreaterThan(10);
    const jump = stream(60, (i) => i * 20).map((p, i) =>
      i >= 30 ? { ...p, timestamp: p.timestamp + 800_000 } : p,
    );
    expect(jitterOutsideStalls(jump, { clockRate: 8000, stalls: [] }).jitterMs).toBeLessThan(0.5);
  });
});
