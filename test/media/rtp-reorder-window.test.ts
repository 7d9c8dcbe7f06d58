/**
 * The reorder window on its own: order restored, in-order packets never held, losses released
 * after the wait or when too many wait, sequence numbers across their wrap, restarts, flush.
 */
import { describe, expect, it } from 'vitest';
import { ReorderWindow, seqDelta } from '../../harness/media/rtp/index.ts';

function rig(opts = {}) {
  const out: Array<[number, number]> = [];
  const w = new ReorderWindow<number>((seq, at) => out.push([seq, at]), opts);
  const push = (seq: number, at: number) => w.push(seq, seq, at);
  const seqs = () => out.map(([s]) => s);
  return { w, push, out, seqs };
}

describe('ReorderWindow', () => {
  it('seqDelta is the signed distance modulo 2^16', () => {
    expect(seqDelta(5, 3)).toBe(2);
    expect(seqDelta(3, 5)).toBe(-2);
    expect(seqDelta(1, 65535)).toBe(2);
    expect(seqDelta(65535, 1)).toBe(-2);
    expect(seqDelta(32768, 0)).toBe(-32768);
  });

  it('hands packets in order on at once', () => {
    const { w, push, seqs } = rig();
    for (let s = 10; s < 20; s++) {
      push(s, s * 20);
      expect(seqs().at(-1)).toBe(s);
    }
    expect(w.held).toBe(0);
    expect(w.stats).toEqual({ reordered: 0, gapsReleased: 0, duplicates: 0 });
  });

  it('puts a swapped pair and a packet three places late back in order', () => {
    const { w, push, seqs } = rig();
    for (const s of [1, 3, 2, 4, 6, 7, 8, 5, 9]) push(s, 0);
    expect(seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(w.stats.reordered).toBe(2);
    expect(w.held).toBe(0);
  });

  it('keeps the arrival time of each packet', () => {
    const { push, out } = rig();
    push(1, 100);
    push(3, 140);
    push(2, 150);
    expect(out).toEqual([
      [1, 100],
      [2, 150],
      [3, 140],
    ]);
  });

  it('a loss: what waits goes on once the wait is over, not before', () => {
    const { w, push, seqs } = rig({ holdMs: 60 });
    push(1, 0);
    push(3, 40);
    push(4, 60);
    expect(w.dueAt).toBe(100);
    w.poll(99);
    expect(seqs()).toEqual([1]);
    w.poll(100);
    expect(seqs()).toEqual([1, 3, 4]);
    expect(w.stats.gapsReleased).toBe(1);
    expect(w.dueAt).toBeUndefined();
    // The missing packet after the wait: too late, handed on for the consumer to drop.
    push(2, 130);
    expect(seqs()).toEqual([1, 3, 4, 2]);
    push(5, 140);
    expect(seqs().at(-1)).toBe(5);
  });

  it('two gaps: each waits its own time from its first held packet', () => {
    const { w, push, seqs } = rig({ holdMs: 60 });
    push(1, 0);
    push(3, 20); // 2 missing
    push(5, 70); // 4 missing too
    w.poll(80);
    expect(seqs()).toEqual([1, 3]);
    expect(w.dueAt).toBe(130);
    w.poll(130);
    expect(seqs()).toEqual([1, 3, 5]);
  });

  it('more than maxHeld waiting ends the wait', () => {
    const { w, push, seqs } = rig({ maxHeld: 3 });
    push(1, 0);
    for (const s of [3, 4, 5]) push(s, 0);
    expect(seqs()).toEqual([1]);
    push(6, 0);
    expect(seqs()).toEqual([1, 3, 4, 5, 6]);
    expect(w.held).toBe(0);
  });

  it('across the wrap of the sequence number', () => {
    const { push, seqs } = rig();
    for (const s of [65533, 65534, 0, 65535, 1, 2]) push(s, 0);
    expect(seqs()).toEqual([65533, 65534, 65535, 0, 1, 2]);
  });

  it('a jump far ahead restarts the numbering at once: what waits goes on first', () => {
    const { w, push, seqs } = rig();
    push(100, 0);
    push(102, 0); // waits for 101
    push(3200, 0); // 3098 ahead: more than maxJump (3000)
    expect(seqs()).toEqual([100, 102, 3200]);
    push(3201, 0);
    expect(seqs().at(-1)).toBe(3201);
    expect(w.held).toBe(0);
  });

  it('far behind: one stray packet is late, two in sequence restart the numbering (RFC 3550 §A.1)', () => {
    const { w, push, seqs } = rig();
    push(1000, 0);
    push(800, 0); // stray: handed on as late, numbering kept
    push(1001, 0);
    expect(seqs()).toEqual([1000, 800, 1001]);
    push(700, 0);
    push(701, 0); // two in sequence: a restart
    push(703, 0); // so this waits for 702
    expect(seqs()).toEqual([1000, 800, 1001, 700, 701]);
    push(702, 0);
    expect(seqs()).toEqual([1000, 800, 1001, 700, 701, 702, 703]);
    expect(w.stats.reordered).toBe(1);
  });

  it('at the maxMisorder limit: 100 behind is late, the numbering stays', () => {
    const { w, push, seqs } = rig();
    push(500, 0); // next 501
    push(401, 0); // 100 behind next: late
    push(402, 0); // still within the limit: late, no restart
    push(502, 0); // waits for 501
    expect(seqs()).toEqual([500, 401, 402]);
    expect(w.held).toBe(1);
  });

  it('a duplicate of a waiting packet is counted once', () => {
    const { w, push, seqs } = rig();
    push(1, 0);
    push(3, 0);
    push(3, 0);
    push(2, 0);
    expect(seqs()).toEqual([1, 2, 3]);
    expect(w.stats.duplicates).toBe(1);
  });

  it('flush hands on what waits in order; reset forgets the numbering', () => {
    const { w, push, seqs } = rig();
    push(1, 0);
    push(5, 0);
    push(4, 0);
    w.flush();
    expect(seqs()).toEqual([1, 4, 5]);
    w.reset();
    push(900, 0);
    expect(seqs().at(-1)).toBe(900);
  });

  it('rejects a negative wait', () => {
    expect(() => new ReorderWindow(() => {}, { holdMs: -1 })).toThrow(RangeError);
  });
});
