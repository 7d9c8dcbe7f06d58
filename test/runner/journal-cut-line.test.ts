/**
 * Finding 8 of issue 15, the journal: a run killed in the middle of writing a line leaves that
 * line cut. `--resume` used to append its `resume` entry right after the cut bytes, so the two
 * became one unreadable line and the resume entry was lost; and `sbc-harness report` on such a
 * journal exited 0 and printed nothing. Now the resume starts on a line of its own and `report`
 * prints what it left out and exits 1.
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { reportCommand } from '../../harness/cli/report-command.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { readJournal, runPlan } from '../../harness/runner/index.ts';
import { FAKE_PLAN } from './fake-plan.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('a journal whose last line was cut: the resume entry starts a new line; report prints the damage and exits 1', async () => {
  const out = mkdtempSync(join(tmpdir(), 'cut-'));
  dirs.push(out);
  const base = {
    cases: FAKE_PLAN,
    profile: loadProfile(),
    profileFile: 'profiles/embedded.yaml',
    harnessVersion: 'test',
    quick: true,
    caseTimeoutMs: 1500,
    outDir: out,
    only: 'T-5',
  };
  await runPlan(base);
  const journal = join(out, 'journal.jsonl');
  const text = readFileSync(journal, 'utf8');
  const lines = text.split('\n').filter(Boolean);
  const last = lines.at(-1) ?? '';
  // Cut the last line in its middle, as a kill during the write would.
  truncateSync(journal, text.length - 1 - Math.floor(last.length / 2));
  expect(readFileSync(journal, 'utf8').endsWith('\n')).toBe(false);

  await runPlan({ ...base, resume: true });
  const read = readJournal(journal);
  expect(read.problems.length, read.problems.join('; ')).toBe(1);
  expect(read.entries.filter((e) => e.type === 'resume').length, 'the resume entry was read').toBe(1);

  let err = '';
  const code = await reportCommand(
    out,
    { format: 'json' },
    () => undefined,
    (s) => {
      err += s;
    },
  );
  expect(code).toBe(1);
  expect(err).toMatch(/damaged journal: line \d+ is not a journal entry/);
});
