/**
 * A map from strings to values for tables whose entries come and go all the time and that are
 * looked up with keys made anew for each lookup: the dialogs of a user agent under load (each
 * ACK and BYE finds its dialog by a key made from its Call-ID and tags), its 2xx waiting for
 * their ACK, its ended dialogs of the last 32 s.
 *
 * Why not a Map: V8 stores a Map in a hash table that it replaces when the table fills up with
 * deleted entries, and the table it replaces keeps a link to its successor (for iterators that
 * are still running). Once one of those tables has been promoted to the old generation, each
 * minor collection takes that dead table for live until the next full collection: the table
 * after it survives, is promoted in turn, and so does every entry the tables held. Under a
 * steady churn of calls, nearly every call's objects then go to the old generation
 * (bench/notes/call-rate.md, "Fifth round": what each minor collection kept under SIPp's load
 * fell from 3.1 MB to 0.65 MB once these tables stopped being Maps).
 *
 * Why not a dictionary object (what this class was until the eleventh round): V8 turns a string
 * used as a property name into an entry of its process-wide string table, so a key made anew is
 * hashed and looked up there, and an added one kept there until a full GC, before the object
 * is even read. In bench/table-lookups.ts ("dialogs": per call, a dialog added, found twice by
 * keys made anew, removed), a dictionary object costs 1.3× what a Map costs, this table about
 * what a Map costs.
 *
 * Here every slot's 32-bit hash lies in one typed array, in slot order (open addressing, linear
 * probing): a lookup mostly reads one cache line of it, and a key string only when its hash is
 * the one looked for. The hash is FNV-1a over the key's UTF-16 code units, from a random seed
 * per table (keys chosen to collide in one process do not collide in another), with a final
 * mix for the low bits that choose the slot. It is computed in JavaScript at every call, where
 * V8 keeps a string's own hash with the string: for a table of many entries looked up and
 * removed by the very strings it holds, a Map stays faster (the transaction layer's server
 * transactions are one, bench/table-lookups.ts "servers").
 *
 * Entries fill at most half the slots: a table about to fill more is rebuilt at four times its
 * entries, as is one whose entries fill less than a sixteenth. A deletion moves back the
 * entries that follow it, so no deleted-slot markers pile up and a table under a steady churn
 * is never rebuilt. Nothing links an old table to its successor.
 *
 * Iteration order is the slots' order, not insertion order. An entry added or deleted while
 * iterating can make the iteration miss or repeat others: iterate over a copy to change the
 * table (`[...m.values()]`). `clear()` and a rebuild end the iteration.
 */
import { randomBytes } from 'node:crypto';

/** A slot without an entry (ends a probe); no key hashes to it. */
const EMPTY = 0;
const MIN_CAPACITY = 16;

export class ChurnMap<V> {
  /** `seed`: the hash's, for a test to replay (default: random). */
  constructor(private readonly seed = randomBytes(4).readInt32LE(0)) {}

  /** Per slot: EMPTY, or the hash of its key. */
  private hashes = new Int32Array(MIN_CAPACITY);
  private keyAt: Array<string | undefined> = new Array(MIN_CAPACITY).fill(undefined);
  private valueAt: Array<V | undefined> = new Array(MIN_CAPACITY).fill(undefined);
  private mask = MIN_CAPACITY - 1;
  private count = 0;
  /** Changed by every rebuild and clear: an iterator stops when it sees a new one. */
  private generation = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    const i = this.find(key, this.hashOf(key));
    return i < 0 ? undefined : this.valueAt[i];
  }

  has(key: string): boolean {
    return this.find(key, this.hashOf(key)) >= 0;
  }

  set(key: string, value: V): this {
    const h = this.hashOf(key);
    const i = this.find(key, h);
    if (i >= 0) this.valueAt[i] = value;
    else this.insert(key, h, value);
    return this;
  }

  /** Sets `key` to `value` when it has no entry (one lookup less than `has` then `set`); false when it had one. */
  add(key: string, value: V): boolean {
    const h = this.hashOf(key);
    if (this.find(key, h) >= 0) return false;
    this.insert(key, h, value);
    return true;
  }

  /** Deletes `key` when its entry is `value` (one lookup less than `get`, compare, `delete`); false otherwise. */
  remove(key: string, value: V): boolean {
    const i = this.find(key, this.hashOf(key));
    if (i < 0 || this.valueAt[i] !== value) return false;
    this.free(i);
    return true;
  }

  delete(key: string): boolean {
    const i = this.find(key, this.hashOf(key));
    if (i < 0) return false;
    this.free(i);
    return true;
  }

  clear(): void {
    this.reset(MIN_CAPACITY);
    this.count = 0;
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  *entries(): IterableIterator<[string, V]> {
    const generation = this.generation;
    for (let i = 0; i < this.hashes.length; i++) {
      if (this.generation !== generation) return;
      const k = this.keyAt[i];
      if (k !== undefined) yield [k, this.valueAt[i] as V];
    }
  }

  /** The slot of `key` (whose hash is `h`), or -1. */
  private find(key: string, h: number): number {
    const hashes = this.hashes;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = hashes[i]!;
      if (s === EMPTY) return -1;
      if (s === h && this.keyAt[i] === key) return i;
    }
  }

  private insert(key: string, h: number, value: V): void {
    if ((this.count + 1) * 2 > this.hashes.length) this.rebuild(this.count + 1);
    const hashes = this.hashes;
    const mask = this.mask;
    let i = h & mask;
    while (hashes[i] !== EMPTY) i = (i + 1) & mask;
    hashes[i] = h;
    this.keyAt[i] = key;
    this.valueAt[i] = value;
    this.count++;
  }

  /**
   * Empties slot `i`, moving back the entries after it that a probe from their own slot would
   * no longer reach (deletion without markers, for linear probing): every run of entries
   * stays as insertions alone would have made it, so no table fills up with deleted slots.
   */
  private free(i: number): void {
    const { hashes, keyAt, valueAt, mask } = this;
    let hole = i;
    for (let j = (i + 1) & mask; hashes[j] !== EMPTY; j = (j + 1) & mask) {
      const home = hashes[j]! & mask;
      // The entry at j stays when its own slot lies in (hole, j], cyclically.
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      hashes[hole] = hashes[j]!;
      keyAt[hole] = keyAt[j];
      valueAt[hole] = valueAt[j];
      hole = j;
    }
    hashes[hole] = EMPTY;
    keyAt[hole] = undefined;
    valueAt[hole] = undefined;
    this.count--;
    const capacity = hashes.length;
    if (capacity > MIN_CAPACITY && this.count * 16 < capacity) this.rebuild(this.count);
  }

  /** Copies the entries into a table sized for `entries` (live entries at most a quarter of it). */
  private rebuild(entries: number): void {
    let capacity = MIN_CAPACITY;
    while (capacity < entries * 4) capacity *= 2;
    const { hashes, keyAt, valueAt } = this;
    this.reset(capacity);
    const mask = this.mask;
    for (let j = 0; j < hashes.length; j++) {
      const h = hashes[j]!;
      if (h === EMPTY) continue;
      let i = h & mask;
      while (this.hashes[i] !== EMPTY) i = (i + 1) & mask;
      this.hashes[i] = h;
      this.keyAt[i] = keyAt[j];
      this.valueAt[i] = valueAt[j];
    }
  }

  private reset(capacity: number): void {
    this.hashes = new Int32Array(capacity);
    this.keyAt = new Array(capacity).fill(undefined);
    this.valueAt = new Array(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.generation++;
  }

  private hashOf(key: string): number {
    let h = this.seed ^ 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    // 0 marks an empty slot.
    return h === EMPTY ? 1 : h;
  }
}
