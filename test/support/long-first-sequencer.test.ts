import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LONG_TEST_FILES, longFirst } from './long-first-sequencer.ts';

describe('npm test starts its longest files first', () => {
  it('puts the named files first, in the named order, and keeps the order of the rest', () => {
    const specs = [
      '/r/test/a.test.ts',
      '/r/test/x/long2.test.ts',
      '/r/test/b.test.ts',
      '/r/test/long1.test.ts',
    ];
    expect(longFirst(specs, (s) => s, ['test/long1.test.ts', 'test/x/long2.test.ts'])).toEqual([
      '/r/test/long1.test.ts',
      '/r/test/x/long2.test.ts',
      '/r/test/a.test.ts',
      '/r/test/b.test.ts',
    ]);
    // A name that is only a suffix of another file's name does not match it.
    expect(longFirst(['/r/test/xlong1.test.ts', '/r/test/a.test.ts'], (s) => s, ['long1.test.ts'])).toEqual([
      '/r/test/xlong1.test.ts',
      '/r/test/a.test.ts',
    ]);
  });

  it('names only files that exist (a renamed file would silently lose its place)', () => {
    for (const f of LONG_TEST_FILES) expect(existsSync(f), f).toBe(true);
  });
});
