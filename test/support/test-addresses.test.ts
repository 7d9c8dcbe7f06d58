/**
 * Every loopback address a test or lab file names comes from test/support/test-addresses.ts:
 * blocks with fixed ports have one owner, and no file names a block not handed to it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADDRESS_BLOCKS } from './test-addresses.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The third octets of the 127.0.N.x literals in a text (also written with escaped dots). */
function octetsIn(text: string): number[] {
  return [...new Set([...text.matchAll(/127\\?\.0\\?\.(\d{1,3})\b/g)].map((m) => Number(m[1])))];
}

describe('test addresses', () => {
  it('fixed-port blocks do not overlap any other block', () => {
    const seen = new Map<number, string>();
    for (const b of ADDRESS_BLOCKS)
      for (const o of b.octets) {
        expect(seen.get(o), `127.0.${o}.x handed out twice`).toBeUndefined();
        seen.set(o, b.owner);
      }
  });

  it('every file names only addresses handed to it', () => {
    const checked = [
      ...files(join(ROOT, 'test')),
      join(ROOT, 'lab', 'lab.env'),
      join(ROOT, 'lab', 'docker', 'compose.env'),
    ].filter((p) => !p.endsWith('test-addresses.ts') && !p.endsWith('test-addresses.test.ts'));
    const wrong: string[] = [];
    for (const p of checked) {
      const rel = relative(ROOT, p);
      for (const o of octetsIn(readFileSync(p, 'utf8'))) {
        const b = ADDRESS_BLOCKS.find((x) => x.octets.includes(o));
        if (!b)
          wrong.push(
            `${rel}: 127.0.${o}.x is handed out to nobody (add it to test/support/test-addresses.ts)`,
          );
        else if (!b.files.includes('*') && !b.files.includes(rel))
          wrong.push(`${rel}: 127.0.${o}.x belongs to ${b.owner}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('reads the forms tests write addresses in', () => {
    expect(octetsIn("'127.0.41.2' /127\\.0\\.33\\./ 127.0.0.1")).toEqual([41, 33, 0]);
  });
});
