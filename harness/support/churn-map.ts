/**
 * A map from strings to values for entries that come and go all the time (the dialogs of a user
 * agent under load), kept in a dictionary object rather than a `Map`.
 *
 * Why not a Map: V8 stores a Map in a hash table that it replaces when the table fills up with
 * deleted entries, and the table it replaces keeps a link to its successor (for iterators that
 * are still running). Once one of those tables has been promoted to the old generation, each
 * minor collection takes that dead table for live until the next full collection: the table
 * after it survives, is promoted in turn, and so does every entry the tables held. Under a
 * steady churn of calls, nearly every call's objects then go to the old generation. Measured on
 * a callee under SIPp's load (bench/call-rate-layers.ts; bench/notes/call-rate.md, "Fifth
 * round"): what each minor collection kept fell from 3.1 MB to 0.65 MB when the maps of the
 * user agent that churn by call became dictionaries. A dictionary that outgrows its table
 * copies it too, but the old table keeps no link to the new one.
 *
 * Iteration follows insertion order for keys that are not array indices (as every key of ours
 * is: dialog and transaction keys hold a "|"), which is a Map's order. While iterating, an
 * entry deleted before it is reached is not visited (as with a Map), an entry added is not
 * visited either (a Map would visit it), and `clear()` ends the iteration.
 *
 * V8 keeps a string used as a property name in its string table (a copy, in the old
 * generation, until a full GC): about 100 bytes per key, for what the Map's chain cost.
 */
export class ChurnMap<V> {
  private table: Record<string, V> = Object.create(null);
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.table[key];
  }

  has(key: string): boolean {
    return key in this.table;
  }

  set(key: string, value: V): this {
    if (!(key in this.table)) this.count++;
    this.table[key] = value;
    return this;
  }

  /** Sets `key` to `value` when it has no entry (one lookup less than `has` then `set`); false when it had one. */
  add(key: string, value: V): boolean {
    if (key in this.table) return false;
    this.table[key] = value;
    this.count++;
    return true;
  }

  /**
   * Deletes `key` when its entry is `value` (one lookup less than `get`, compare, `delete`);
   * false otherwise. `value` must not be undefined.
   */
  remove(key: string, value: V): boolean {
    if (this.table[key] !== value) return false;
    delete this.table[key];
    this.count--;
    return true;
  }

  delete(key: string): boolean {
    if (!(key in this.table)) return false;
    delete this.table[key];
    this.count--;
    return true;
  }

  clear(): void {
    this.table = Object.create(null);
    this.count = 0;
  }

  *keys(): IterableIterator<string> {
    const t = this.table;
    for (const k in t) {
      if (this.table !== t) return;
      yield k;
    }
  }

  *values(): IterableIterator<V> {
    const t = this.table;
    for (const k in t) {
      if (this.table !== t) return;
      yield t[k] as V;
    }
  }

  *entries(): IterableIterator<[string, V]> {
    const t = this.table;
    for (const k in t) {
      if (this.table !== t) return;
      yield [k, t[k] as V];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}
