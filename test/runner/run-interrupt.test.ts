/**
 * The order in which cases start (the longest first) and the waits an interrupt cuts short.
 */
import { describe, expect, it } from 'vitest';
import {
  atMost,
  longestFirst,
  RunInterrupted,
  sleepUnlessAborted,
} from '../../harness/runner/run-interrupt.ts';
import { PLAN } from '../../scenarios/index.ts';

describe('longestFirst', () => {
  it('starts the case with the longest wait first and keeps plan order among the others', () => {
    const cases = [
      { id: 'a' },
      { id: 'b', waits: { fullMs: 10_000, quickMs: 1_200 } },
      { id: 'c' },
      { id: 'd', waits: { fullMs: 300_000, quickMs: 35_000 } },
    ];
    expect(longestFirst(cases, false).map((c) => c.id)).toEqual(['d', 'b', 'a', 'c']);
    expect(longestFirst(cases, true).map((c) => c.id)).toEqual(['d', 'b', 'a', 'c']);
    expect(cases.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']); // the input is left as it was
  });

  it('puts the 5-minute call (8-3-1) first in the real plan', () => {
    expect(longestFirst(PLAN, false)[0]?.id).toBe('8-3-1');
    expect(longestFirst(PLAN, false)).toHaveLength(PLAN.length);
  });
});

describe('waits and interrupts', () => {
  it('a wait ends with RunInterrupted when the run is interrupted, long before its time', async () => {
    const ac = new AbortController();
    const wait = sleepUnlessAborted(300_000, ac.signal);
    setTimeout(() => ac.abort(), 10);
    await expect(wait).rejects.toBeInstanceOf(RunInterrupted);
  });

  it('a wait without a signal, or not interrupted, just waits', async () => {
    await expect(sleepUnlessAborted(5, undefined)).resolves.toBeUndefined();
    await expect(sleepUnlessAborted(5, new AbortController().signal)).resolves.toBeUndefined();
  });

  it('a clean-up that hangs is given up after its bound', async () => {
    let settled = false;
    await atMost(new Promise(() => {}), 20).then(() => {
      settled = true;
    });
    expect(settled).toBe(true);
    await atMost(Promise.reject(new Error('x')), 20); // a failing clean-up is not an error here
  });
});
