/**
 * WaitQueue on virtual time: entries expire in the order they came, each after its own full
 * wait, with one timer for the whole queue.
 */
import { describe, expect, it } from 'vitest';
import { WaitQueue } from '../../harness/sip/wait-queue.ts';
import { type Clock, VirtualClock } from '../../harness/support/clock.ts';

/** A virtual clock that counts the timers armed on it. */
function countingClock() {
  const clock = new VirtualClock();
  let armed = 0;
  const counted: Clock = {
    now: () => clock.now(),
    wallNow: () => clock.wallNow(),
    setTimeout: (fn, ms) => {
      armed++;
      return clock.setTimeout(fn, ms);
    },
  };
  return { clock, counted, armed: () => armed };
}

describe('WaitQueue', () => {
  it('expires each entry a full wait after it was added, in order, on one timer at a time', () => {
    const { clock, counted, armed } = countingClock();
    const out: Array<[string, number]> = [];
    const q = new WaitQueue<string>(counted, 1000, (x) => out.push([x, clock.now()]));
    q.add('a');
    clock.advance(300);
    q.add('b');
    q.add('c');
    clock.advance(400);
    q.add('d');
    expect(armed()).toBe(1);
    expect(q.size).toBe(4);
    clock.advance(299);
    expect(out).toEqual([]);
    clock.advance(1);
    expect(out).toEqual([['a', 1000]]);
    clock.advance(300);
    expect(out).toEqual([
      ['a', 1000],
      ['b', 1300],
      ['c', 1300],
    ]);
    clock.advance(400);
    expect(out.map(([x]) => x)).toEqual(['a', 'b', 'c', 'd']);
    expect(out[3]).toEqual(['d', 1700]);
    expect(q.size).toBe(0);
    // One timer for the first entry, then one per distinct due time still ahead.
    expect(armed()).toBe(3);
    clock.advance(5000);
    expect(armed()).toBe(3);
  });

  it('an entry added by an expire callback waits its full time; clear drops the rest unexpired', () => {
    const clock = new VirtualClock();
    const out: string[] = [];
    const q: WaitQueue<string> = new WaitQueue<string>(clock, 100, (x) => {
      out.push(`${x}@${clock.now()}`);
      if (x === 'a') q.add('again');
    });
    q.add('a');
    clock.advance(50);
    q.add('b');
    clock.advance(50);
    expect(out).toEqual(['a@100']);
    clock.advance(50);
    expect(out).toEqual(['a@100', 'b@150']);
    clock.advance(50);
    expect(out).toEqual(['a@100', 'b@150', 'again@200']);
    q.add('x');
    q.add('y');
    q.clear();
    clock.advance(1000);
    expect(out).toHaveLength(3);
    expect(q.size).toBe(0);
    q.add('z');
    clock.advance(100);
    expect(out[3]).toBe('z@1300');
  });

  it('keeps its order over many entries (the head is compacted away as it goes)', () => {
    const clock = new VirtualClock();
    const out: number[] = [];
    const q = new WaitQueue<number>(clock, 64, (x) => out.push(x));
    for (let i = 0; i < 5000; i++) {
      q.add(i);
      clock.advance(1);
    }
    expect(out).toHaveLength(5000 - 63); // entries 0..4936 are due by t = 5000
    clock.advance(64);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('an expire callback that clears the queue stops the round; what it adds after waits its full time', () => {
    const { clock, counted, armed } = countingClock();
    const out: string[] = [];
    const q: WaitQueue<string> = new WaitQueue<string>(counted, 100, (x) => {
      out.push(`${x}@${clock.now()}`);
      if (x === 'stop') q.clear();
      if (x === 'restart') {
        q.clear();
        q.add('after');
      }
    });
    q.add('stop');
    q.add('lost1');
    q.add('lost2');
    clock.advance(100);
    // 'stop' cleared the queue while 'lost1' and 'lost2' were due with it: neither expires.
    expect(out).toEqual(['stop@100']);
    expect(q.size).toBe(0);
    clock.advance(1000);
    expect(out).toEqual(['stop@100']);
    const armedBefore = armed();
    q.add('restart');
    q.add('lost3');
    clock.advance(100);
    expect(out).toEqual(['stop@100', 'restart@1200']);
    expect(q.size).toBe(1);
    // The entry added inside the callback got a timer of its own, for its full wait.
    expect(armed()).toBe(armedBefore + 2);
    clock.advance(99);
    expect(out).toHaveLength(2);
    clock.advance(1);
    expect(out).toEqual(['stop@100', 'restart@1200', 'after@1300']);
    expect(q.size).toBe(0);
  });
});
