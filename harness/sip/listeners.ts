/**
 * A minimal typed event list for objects the stack creates per message or per transaction,
 * where a full EventEmitter (its constructor, its listener bookkeeping) is measurable cost:
 * listeners are called in the order they were added, synchronously; a throwing listener
 * throws out of `emit`, as with EventEmitter. No 'error' special case, no once().
 */
// biome-ignore lint/suspicious/noExplicitAny: storage of listeners of differently typed events
type AnyListener = (...a: any[]) => void;

export class Listeners<Events extends { [K in keyof Events]: unknown[] }> {
  /** Listeners by event name, created on the first `on`. */
  private byEvent: { [name: string | number | symbol]: AnyListener[] | undefined } | undefined;

  on<K extends keyof Events>(ev: K, fn: (...a: Events[K]) => void): void {
    if (!this.byEvent) this.byEvent = {};
    const all = this.byEvent;
    const list = all[ev];
    if (list) list.push(fn);
    else all[ev] = [fn];
  }

  emit<K extends keyof Events>(ev: K, ...args: Events[K]): boolean {
    const list = this.byEvent?.[ev] as Array<(...a: Events[K]) => void> | undefined;
    if (!list) return false;
    if (list.length === 1) {
      list[0]!(...args);
      return true;
    }
    // A copy, so that a listener added while emitting waits for the next event (EventEmitter does the same).
    for (const fn of list.slice()) fn(...args);
    return true;
  }

  /** Drops every listener of `ev` (what they hold is no longer kept alive by this list). */
  clear<K extends keyof Events>(ev: K): void {
    if (this.byEvent) this.byEvent[ev] = undefined;
  }

  listenerCount<K extends keyof Events>(ev: K): number {
    return this.byEvent?.[ev]?.length ?? 0;
  }
}
