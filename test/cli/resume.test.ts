/**
 * `sbc-harness run` killed with SIGKILL in the middle of the plan, then `--resume`: the cells
 * are the same as those of an uninterrupted run (the real plan, a few cases, --quick).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { readJournal } from '../../harness/runner/index.ts';

const BIN = fileURLToPath(new URL('../../bin/sbc-harness.js', import.meta.url));
const ONLY = '8-1-1,8-3-2,8-2-2,T-2,T-3,8-3-4';
const dir = mkdtempSync(join(tmpdir(), 'resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cellsOf = (out: string) =>
  (
    JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
      cells: Array<{ id: string; verdict: string; checks: Array<{ name: string }> }>;
    }
  ).cells.map((c) => ({ id: c.id, verdict: c.verdict, checks: c.checks.map((k) => k.name) }));

it('kill -9 in the middle of a run, then --resume, gives the cells of an uninterrupted run', {
  timeout: 180_000,
}, async () => {
  const killed = join(dir, 'killed');
  const child = spawn(process.execPath, [BIN, 'run', '--quick', '--only', ONLY, '--out', killed], {
    stdio: 'ignore',
  });
  const journal = join(killed, 'journal.jsonl');
  for (let i = 0; i < 1200; i++) {
    const cells = readJournal(journal).entries.filter((e) => e.type === 'cell').length;
    if (cells >= 2) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const before = readJournal(journal).entries.filter((e) => e.type === 'cell').length;
  expect(before).toBeGreaterThanOrEqual(2);
  expect(before).toBeLessThan(ONLY.split(',').length);

  const resumed = spawnSync(process.execPath, [BIN, 'run', '--resume', killed], {
    encoding: 'utf8',
    timeout: 150_000,
  });
  expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
  expect(resumed.stdout).toMatch(new RegExp(`${before} case\\(s\\) already finished in this run, kept`));
  const straight = join(dir, 'straight');
  const full = spawnSync(process.execPath, [BIN, 'run', '--quick', '--only', ONLY, '--out', straight], {
    encoding: 'utf8',
    timeout: 150_000,
  });
  expect(full.status, full.stdout + full.stderr).toBe(0);
  expect(cellsOf(killed)).toEqual(cellsOf(straight));
});
