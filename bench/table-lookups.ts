/**
 * What the SIP stack's tables that churn by call cost per call, against V8's `Map` in the same
 * run:
 *
 *   node bin/run-ts.js bench/table-lookups.ts [calls=300000] [runs=5]
 *
 * Two workloads, each as a callee under load meets it:
 *   dialogs   50 calls in flight: per call, a dialog added under a new key, looked up twice by a
 *             key made anew from the message's Call-ID and tags (its ACK, its BYE), removed.
 *   servers   the server transactions of the last 32 s at 2000 calls/s (64 000 entries): per
 *             call, three lookups of a new request's branch that find nothing (INVITE, ACK,
 *             BYE), two insertions (INVITE, BYE), and the two oldest deleted.
 * Tables: `ChurnMap` (harness/support/churn-map.ts), `Map`, and a dictionary object (an
 * `Object.create(null)` record, what ChurnMap was before bench/notes/call-rate.md's eleventh
 * round). The keys of each call are made (as text cut from a longer string, as the parser cuts
 * them) in the timed loop for every table alike; a loop that makes them and uses no table is
 * timed too and subtracted. Configurations alternate run by run; medians of `runs`. Prints a
 * markdown table: ns per call for each, and the ratio to `Map`. The user agent keeps its
 * per-call tables (dialogs) in ChurnMaps and the transaction layer its server transactions in a
 * Map: see harness/support/churn-map.ts for why, and bench/RESULTS.md for the figures.
 */
import { ChurnMap } from '../harness/support/churn-map.ts';

const num = (v: string | undefined, dflt: number, lo: number, hi: number) => {
  const n = Math.round(Number(v ?? dflt));
  return Math.min(Math.max(Number.isFinite(n) ? n : dflt, lo), hi);
};
const CALLS = num(process.argv[2], 300_000, 10_000, 3_000_000);
const RUNS = num(process.argv[3], 5, 1, 15);

interface Table {
  add(key: string, value: object): boolean;
  get(key: string): object | undefined;
  remove(key: string, value: object): boolean;
}

const TABLES: Record<string, () => Table> = {
  ChurnMap: () => new ChurnMap<object>(),
  Map: () => {
    const m = new Map<string, object>();
    return {
      add: (k, v) => {
        if (m.has(k)) return false;
        m.set(k, v);
        return true;
      },
      get: (k) => m.get(k),
      remove: (k, v) => (m.get(k) === v ? m.delete(k) : false),
    };
  },
  'dictionary object': () => {
    const t: Record<string, object> = Object.create(null);
    return {
      add: (k, v) => {
        if (k in t) return false;
        t[k] = v;
        return true;
      },
      get: (k) => t[k],
      remove: (k, v) => (t[k] === v ? delete t[k] : false),
    };
  },
  none: () => ({ add: () => true, get: () => undefined, remove: () => true }),
};

/** Text a key is cut from, as a parser cuts it from a header line. */
const cut = (text: string, from: number) => text.slice(from);

/** The dialogs workload: ns per call. */
function dialogs(table: Table, calls: number): number {
  const live: Array<[string, object]> = [];
  let gone = 0;
  const t0 = process.hrtime.bigint();
  let found = 0;
  for (let r = 0; r < calls; r++) {
    const key = `${cut(`Call-ID: ${r}-4242@127.0.0.1`, 9)}|uas${r}|${cut(`;tag=4242SIPpTag00${r}`, 5)}`;
    const d = { r };
    table.add(key, d);
    live.push([key, d]);
    if (live.length > 25) {
      const q = live[live.length - 25]!;
      const n = q[1] as { r: number };
      // The ACK's and the BYE's lookups, by keys made anew from their messages.
      for (let i = 0; i < 2; i++) {
        const k = `${cut(`Call-ID: ${n.r}-4242@127.0.0.1`, 9)}|uas${n.r}|${cut(`;tag=4242SIPpTag00${n.r}`, 5)}`;
        if (table.get(k) === n) found++;
      }
    }
    if (live.length - gone > 50) {
      const [k, v] = live[gone]!;
      live[gone++] = undefined as unknown as [string, object];
      table.remove(k, v);
    }
  }
  const ns = Number(process.hrtime.bigint() - t0) / calls;
  if (found < 0) throw new Error('unreachable');
  return ns;
}

/** The servers workload: ns per call, in a table of `kept` entries. */
function servers(table: Table, calls: number, kept = 64_000): number {
  // Oldest first, from `head` on (an index, not shift(): that would cost more than the tables).
  const fifo: Array<[string, object]> = [];
  let head = 0;
  const branch = (call: number, leg: number) =>
    cut(`SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-4242-${call}-${leg}`, 34);
  for (let c = 0; c < kept / 2; c++)
    for (const leg of [0, 7]) {
      const k = branch(-1 - c, leg);
      const v = { c };
      table.add(k, v);
      fifo.push([k, v]);
    }
  const t0 = process.hrtime.bigint();
  let found = 0;
  for (let c = 0; c < calls; c++) {
    for (const leg of [0, 5, 7]) {
      const k = branch(c, leg);
      if (table.get(k) !== undefined) found++;
      if (leg !== 5) {
        const v = { c };
        table.add(k, v);
        fifo.push([k, v]);
      }
    }
    for (let i = 0; i < 2; i++) {
      const [k, v] = fifo[head]!;
      fifo[head++] = undefined as unknown as [string, object];
      table.remove(k, v);
    }
  }
  const ns = Number(process.hrtime.bigint() - t0) / calls;
  if (found !== 0) throw new Error(`${found} lookups of new branches found an entry`);
  return ns;
}

const WORKLOADS = { dialogs, servers };
const results = new Map<string, number[]>();
for (let run = 0; run < RUNS; run++) {
  for (const [w, f] of Object.entries(WORKLOADS)) {
    for (const name of Object.keys(TABLES)) {
      const ns = f(TABLES[name]!(), CALLS);
      const id = `${w}|${name}`;
      results.set(id, [...(results.get(id) ?? []), ns]);
    }
  }
  process.stderr.write(`run ${run + 1}/${RUNS} done\n`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`### Table work per call, ${CALLS} calls, medians of ${RUNS} alternated runs\n`);
console.log('| workload | table | ns per call (keys made: subtracted) | ratio to Map |');
console.log('| --- | --- | ---: | ---: |');
for (const w of Object.keys(WORKLOADS)) {
  const base = median(results.get(`${w}|none`)!);
  const map = median(results.get(`${w}|Map`)!) - base;
  for (const name of Object.keys(TABLES)) {
    if (name === 'none') continue;
    const ns = median(results.get(`${w}|${name}`)!) - base;
    console.log(`| ${w} | ${name} | ${ns.toFixed(0)} | ${(ns / map).toFixed(2)} |`);
  }
  console.log(`| ${w} | (keys made, no table) | ${base.toFixed(0)} | |`);
}
