/**
 * `npm run bench -- NAME` runs what bench/RESULTS.md and the README name: every benchmark
 * file is in the list, and every command of RESULTS.md names a listed benchmark.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_PARTS, BENCHES } from '../../bench/bench-list.ts';

const BENCH = join(import.meta.dirname, '..', '..', 'bench');
const known = new Set<string>([...BENCHES, ...BENCH_PARTS]);

describe('benchmarks by name', () => {
  it('every bench/*.ts is a listed benchmark or a part of one', () => {
    const files = readdirSync(BENCH)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3));
    expect(files.filter((f) => !known.has(f))).toEqual([]);
    expect([...BENCHES].filter((b) => !files.includes(b))).toEqual([]);
  });

  it('every command in bench/RESULTS.md runs a listed benchmark', () => {
    const results = readFileSync(join(BENCH, 'RESULTS.md'), 'utf8');
    const named = [...results.matchAll(/bench\/([a-z0-9-]+)\.ts/g)].map((m) => m[1] as string);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((n) => !(BENCHES as readonly string[]).includes(n))).toEqual([]);
  });

  it('the README names every benchmark', () => {
    const readme = readFileSync(join(BENCH, '..', 'README.md'), 'utf8');
    expect([...BENCHES].filter((b) => !readme.includes(`\`${b}\``))).toEqual([]);
  });
});
