/**
 * The event-loop lateness sampler (harness/support/loop-lateness.ts): an idle loop is a few ms
 * late at most; stalls show in the maximum and, weighted by their length, in the stalled share,
 * which a tick percentile misses; take() starts a new period.
 */
import { describe, expect, it } from 'vitest';
import { LoopLateness, STALL_MS } from '../../harness/support/loop-lateness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: a stalled event loop
  }
}

describe('loop lateness', () => {
  it('one stall of 300 ms in 3.3 s: the max and the stalled share see it, the p99 of the ticks does not', async () => {
    const l = new LoopLateness();
    l.start();
    await sleep(300);
    busy(STALL_MS + 100);
    await sleep(2700);
    const f = l.take();
    l.stop();
    expect(f.maxMs).toBeGreaterThanOrEqual(STALL_MS + 80);
    // The stall is one tick of about 300: not at the 99th percentile ...
    expect(f.p99Ms).toBeLessThan(STALL_MS);
    // ... but about 9 % of the time.
    expect(f.stalledShare).toBeGreaterThan(0.05);
    expect(f.stalledShare).toBeLessThan(0.25);
  });

  it('take() starts a new period', async () => {
    const l = new LoopLateness();
    l.start();
    await sleep(50);
    busy(STALL_MS + 50);
    await sleep(50);
    expect(l.take().stalledShare).toBeGreaterThan(0);
    await sleep(200);
    const next = l.take();
    l.stop();
    expect(next.maxMs).toBeLessThan(STALL_MS);
    expect(next.stalledShare).toBe(0);
  });
});
