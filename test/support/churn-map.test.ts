/**
 * ChurnMap (harness/support/churn-map.ts) answers as a Map does: the same sizes, lookups,
 * deletions and entries (in its own order) over long random runs of operations, from seeds that
 * can be replayed: with keys that an object could mistake for its own machinery ("__proto__",
 * "constructor", "toString", ""), through growth and shrinking, and with deletions inside runs
 * of slots that wrap around the end of the table (few keys in a small table: its runs are long).
 */
import { describe, expect, it } from 'vitest';
import { ChurnMap } from '../../harness/support/churn-map.ts';

/** A small deterministic generator (xorshift32), so that a failure can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const sorted = <T>(entries: Iterable<[string, T]>) => [...entries].sort((a, b) => (a[0] < b[0] ? -1 : 1));

const AWKWARD = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', 'length', 'size'];

describe('ChurnMap', () => {
  it('matches a Map over 20 000 random sets, adds, deletes, removes and lookups, in size, answers and entries', () => {
    const keys = [...AWKWARD, ...Array.from({ length: 60 }, (_, i) => `call-${i}@host|tag${i}|peer${i % 7}`)];
    againstMap(7, keys, 20_000, 997);
  });

  it('an awkward key is an entry like any other, and leaves no trace on the object machinery', () => {
    const m = new ChurnMap<string>();
    for (const k of AWKWARD) expect(m.get(k)).toBeUndefined();
    expect(m.has('__proto__')).toBe(false);
    m.set('__proto__', 'p');
    m.set('constructor', 'c');
    expect(m.get('__proto__')).toBe('p');
    expect(m.get('constructor')).toBe('c');
    expect(m.size).toBe(2);
    expect([...m.keys()].sort()).toEqual(['__proto__', 'constructor']);
    expect(m.delete('__proto__')).toBe(true);
    expect(m.delete('__proto__')).toBe(false);
    expect(m.has('__proto__')).toBe(false);
    expect(m.size).toBe(1);
  });

  it('an entry set to undefined is still there; clear empties it and it can be used again', () => {
    const m = new ChurnMap<number | undefined>();
    m.set('a|1', undefined);
    expect(m.has('a|1')).toBe(true);
    expect(m.size).toBe(1);
    m.set('a|1', 3);
    expect(m.size).toBe(1);
    m.set('b|2', 4);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.get('a|1')).toBeUndefined();
    expect([...m]).toEqual([]);
    m.set('c|3', 5);
    expect([...m]).toEqual([['c|3', 5]]);
  });

  it('keys that read as array indices are keys like any other', () => {
    const m = new ChurnMap<string>();
    m.set('x|y', 'a');
    m.set('42', 'b');
    m.set('7', 'c');
    expect(m.get('42')).toBe('b');
    expect(m.get('7')).toBe('c');
    expect(m.size).toBe(3);
    expect([...m.keys()].sort()).toEqual(['42', '7', 'x|y']);
  });

  it('clear() ends an iteration, as a rebuild does; iterating over a copy while deleting visits every entry once', () => {
    const fill = () => {
      const m = new ChurnMap<number>(9);
      for (let i = 0; i < 6; i++) m.set(`k|${i}`, i);
      return m;
    };
    const b = fill();
    const keys: string[] = [];
    for (const [k] of b) {
      keys.push(k);
      b.clear();
    }
    expect(keys).toHaveLength(1);
    expect(b.size).toBe(0);
    // Growing past half the slots rebuilds the table: the iteration that saw it ends.
    const c = fill();
    let visited = 0;
    for (const _ of c.keys()) {
      visited++;
      for (let i = 0; i < 100; i++) c.set(`grow|${i}`, i);
    }
    expect(visited).toBe(1);
    const d = fill();
    const seen: number[] = [];
    for (const v of [...d.values()]) {
      seen.push(v);
      d.delete(`k|${v}`);
    }
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(d.size).toBe(0);
  });

  it('matches a Map over random operations on few keys (long runs of slots, wrapping around), from eight seeds', () => {
    const keys = Array.from({ length: 12 }, (_, i) => `z9hG4bK-${i}`);
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) againstMap(seed, keys, 4000, 97);
  });

  it('matches a Map over random operations on many keys, through growth and shrinking', () => {
    againstMap(
      11,
      Array.from({ length: 600 }, (_, i) => `${i}-4242@127.0.0.1|tag${i}|${i % 7}`),
      30_000,
      1009,
    );
    againstMap(
      12,
      Array.from({ length: 3000 }, (_, i) => `z9hG4bK-4242-${i}-0`),
      20_000,
      4001,
    );
  });

  it('grows with its entries and shrinks back once they are deleted', () => {
    const t = new ChurnMap<number>(3);
    const capacity = () => (t as unknown as { hashes: Int32Array }).hashes.length;
    const keys = Array.from({ length: 10_000 }, (_, i) => `k${i}`);
    for (const [i, k] of keys.entries()) t.set(k, i);
    expect(t.size).toBe(10_000);
    // Rebuilt at four times its entries (a power of two up) when about to fill half its slots:
    // the last time at 8193 entries, to 65 536 slots.
    expect(capacity()).toBeGreaterThanOrEqual(20_000);
    expect(capacity()).toBe(65_536);
    for (const [i, k] of keys.entries()) expect(t.get(k)).toBe(i);
    for (const k of keys.slice(0, 9990)) expect(t.delete(k)).toBe(true);
    expect(t.size).toBe(10);
    expect(capacity()).toBeLessThanOrEqual(256);
    for (const k of keys.slice(9990)) expect(t.has(k)).toBe(true);
    expect(t.get('k0')).toBeUndefined();
  });

  it('keys that differ only in order, length or beyond Latin-1 are told apart', () => {
    const t = new ChurnMap<number>(5);
    for (const k of ['ab', 'ba', 'a', 'aa', '', '\u0100a', 'a\u0100']) t.set(k, k.length);
    expect(t.get('ab')).toBe(2);
    expect(t.get('ba')).toBe(2);
    expect(t.get('')).toBe(0);
    expect(t.get('\u0100a')).toBe(2);
    expect(t.get('abc')).toBeUndefined();
    expect(t.size).toBe(7);
  });

  it('two tables with different seeds place the same keys differently', () => {
    const order = (seed: number) => {
      const t = new ChurnMap<number>(seed);
      for (let i = 0; i < 12; i++) t.set(`z9hG4bK-${i}`, i);
      return [...t.keys()].join();
    };
    expect(order(1)).not.toBe(order(2));
  });
});

/** Runs `steps` random operations on `keys` against a Map, checking every answer, and every key each `checkEvery` steps. */
function againstMap(seed: number, keys: string[], steps: number, checkEvery: number): void {
  const next = rng(seed);
  const ours = new ChurnMap<number>(seed);
  const ref = new Map<string, number>();
  for (let step = 0; step < steps; step++) {
    const key = keys[next(keys.length)]!;
    const op = next(14);
    if (op < 4) {
      expect(ours.set(key, step)).toBe(ours);
      ref.set(key, step);
    } else if (op < 7) expect(ours.delete(key)).toBe(ref.delete(key));
    else if (op < 9) {
      const absent = !ref.has(key);
      expect(ours.add(key, step)).toBe(absent);
      if (absent) ref.set(key, step);
    } else if (op < 11) {
      const value = next(2) === 0 ? ref.get(key) : step - 1 - next(50);
      const its = ref.has(key) && value !== undefined && ref.get(key) === value;
      expect(ours.remove(key, value ?? -1)).toBe(its);
      if (its) ref.delete(key);
    } else {
      expect(ours.get(key)).toBe(ref.get(key));
      expect(ours.has(key)).toBe(ref.has(key));
    }
    expect(ours.size).toBe(ref.size);
    if (step % checkEvery === 0) {
      // Every key answers as the Map does (a deletion that broke a run of slots would lose one here).
      for (const k of keys) expect(ours.get(k)).toBe(ref.get(k));
      expect([...ours.keys()].sort()).toEqual([...ref.keys()].sort());
      expect([...ours.values()].sort()).toEqual([...ref.values()].sort());
      expect(sorted(ours.entries())).toEqual(sorted(ref.entries()));
    }
  }
  expect(sorted(ours)).toEqual(sorted(ref));
}
