/**
 * Turns for CPU-heavy work (harness/support/cpu-turns.ts): pieces of work that become ready
 * together run in turns of the event loop of at most TURN_BUDGET_MS, in order, with timers
 * served between two turns.
 */
import { describe, expect, it } from 'vitest';
import { cpuTurn, cpuTurnsWaiting, TURN_BUDGET_MS } from '../../harness/support/cpu-turns.ts';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: synchronous work, as an analysis is
  }
}

/** Four pieces of `ms` of work, each after `ready()`; the first arms a timer (a send slot). */
async function run(ready: () => Promise<void>, ms: number): Promise<string[]> {
  const order: string[] = [];
  let timer: Promise<void> | undefined;
  const pieces = [0, 1, 2, 3].map(async (i) => {
    await ready();
    order.push(`work ${i}`);
    if (i === 0)
      timer = new Promise<void>((resolve) =>
        setTimeout(() => {
          order.push('timer');
          resolve();
        }, 0),
      );
    busy(ms);
  });
  await Promise.all(pieces);
  await timer;
  return order;
}

describe('cpu turns', () => {
  it('work queued together runs in order, a turn each when a piece fills the budget, a timer due meanwhile served after the first', async () => {
    const pending = run(cpuTurn, TURN_BUDGET_MS + 1);
    expect(cpuTurnsWaiting()).toBe(4);
    expect(await pending).toEqual(['work 0', 'timer', 'work 1', 'work 2', 'work 3']);
    expect(cpuTurnsWaiting()).toBe(0);
  });

  it('short pieces share a turn up to the budget', async () => {
    expect(await run(cpuTurn, 0)).toEqual(['work 0', 'work 1', 'work 2', 'work 3', 'timer']);
    expect(cpuTurnsWaiting()).toBe(0);
  });

  it('without turns the same work holds the timer until all of it is done (what the turns prevent)', async () => {
    const gate = new Promise<void>((resolve) => setImmediate(resolve));
    expect(await run(() => gate, TURN_BUDGET_MS + 1)).toEqual([
      'work 0',
      'work 1',
      'work 2',
      'work 3',
      'timer',
    ]);
  });
});
