/**
 * ChurnMap (harness/support/churn-map.ts) answers as a Map does: the same sizes, lookups,
 * deletions and iteration order over a long random run of operations, with keys that an object
 * could mistake for its own machinery ("__proto__", "constructor", "toString", "").
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

const AWKWARD = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', 'length', 'size'];

describe('ChurnMap', () => {
  it('matches a Map over 20 000 random sets, adds, deletes, removes and lookups, in size, answers and order', () => {
    const next = rng(7);
    const keys = [...AWKWARD, ...Array.from({ length: 60 }, (_, i) => `call-${i}@host|tag${i}|peer${i % 7}`)];
    const ours = new ChurnMap<number>();
    const ref = new Map<string, number>();
    for (let step = 0; step < 20_000; step++) {
      const key = keys[next(keys.length)]!;
      const op = next(14);
      if (op < 4) {
        expect(ours.set(key, step)).toBe(ours);
        ref.set(key, step);
      } else if (op < 7) expect(ours.delete(key)).toBe(ref.delete(key));
      else if (op < 9) {
        // add: set only when absent.
        const absent = !ref.has(key);
        expect(ours.add(key, step)).toBe(absent);
        if (absent) ref.set(key, step);
      } else if (op < 11) {
        // remove: delete only when the entry is that value (the current one, or an older one).
        const value = next(2) === 0 ? ref.get(key) : step - 1 - next(50);
        const its = ref.has(key) && value !== undefined && ref.get(key) === value;
        expect(ours.remove(key, value ?? -1)).toBe(its);
        if (its) ref.delete(key);
      } else {
        expect(ours.get(key)).toBe(ref.get(key));
        expect(ours.has(key)).toBe(ref.has(key));
      }
      expect(ours.size).toBe(ref.size);
      if (step % 997 === 0) {
        expect([...ours]).toEqual([...ref]);
        expect([...ours.keys()]).toEqual([...ref.keys()]);
        expect([...ours.values()]).toEqual([...ref.values()]);
        expect([...ours.entries()]).toEqual([...ref.entries()]);
      }
    }
    expect([...ours]).toEqual([...ref]);
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
    expect([...m.keys()]).toEqual(['__proto__', 'constructor']);
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

  it('keys that read as array indices are kept too, though they iterate first (not in insertion order)', () => {
    const m = new ChurnMap<string>();
    m.set('x|y', 'a');
    m.set('42', 'b');
    m.set('7', 'c');
    expect(m.get('42')).toBe('b');
    expect(m.size).toBe(3);
    expect([...m.keys()]).toEqual(['7', '42', 'x|y']);
  });

  it('while iterating: a deleted entry not yet reached is skipped, an added one is not visited, clear() ends it', () => {
    const fill = () => {
      const m = new ChurnMap<number>();
      for (let i = 0; i < 6; i++) m.set(`k|${i}`, i);
      return m;
    };
    const seen: number[] = [];
    const a = fill();
    for (const v of a.values()) {
      seen.push(v);
      if (v === 1) {
        a.delete('k|1'); // the current one
        a.delete('k|3'); // one not reached yet
        a.set('k|new', 99);
      }
    }
    expect(seen).toEqual([0, 1, 2, 4, 5]);
    expect(a.size).toBe(5);
    const b = fill();
    const keys: string[] = [];
    for (const [k] of b) {
      keys.push(k);
      if (k === 'k|1') b.clear();
    }
    expect(keys).toEqual(['k|0', 'k|1']);
    expect(b.size).toBe(0);
    const c = fill();
    const ks: string[] = [];
    for (const k of c.keys()) {
      ks.push(k);
      c.clear();
    }
    expect(ks).toEqual(['k|0']);
  });
});
