/**
 * Giving freed memory back (harness/support/memory-trim.ts), in a child process of its own so
 * that its RSS is its own: after 150 000 small buffers are freed and collected, glibc keeps
 * their pages; malloc_trim gives most of them back, and the idle trimmer does so only when the
 * actor says it is idle.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MiB = 1024 * 1024;

function child(mode: 'now' | 'idle' | 'busy'): { can: boolean; before: number; after: number } {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', 'bin/run-ts.js', 'test/support/fixtures/memory-trim-child.ts', mode],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
}

// Linux with glibc (Debian, CI): the allocator can be asked.
describe.runIf(process.platform === 'linux')('memory trim', () => {
  it('trimMemory gives the freed pages back', () => {
    const r = child('now');
    expect(r.can).toBe(true);
    expect(r.before - r.after, `RSS ${r.before / MiB} → ${r.after / MiB} MiB`).toBeGreaterThan(30 * MiB);
  });

  it('the idle trimmer trims while idle, and not while busy', () => {
    // Without a trim the freed pages stay (V8 may give back a few of its own): the busy
    // process ends far above the idle one.
    const idle = child('idle');
    const busy = child('busy');
    expect(
      busy.after - idle.after,
      `idle: RSS ${idle.before / MiB} → ${idle.after / MiB} MiB; busy: ${busy.before / MiB} → ${busy.after / MiB} MiB`,
    ).toBeGreaterThan(50 * MiB);
  });
});
