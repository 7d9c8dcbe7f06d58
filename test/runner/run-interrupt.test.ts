/**
 * The order in which cases start (the longest first), the waits an interrupt cuts short, and a
 * run interrupted through its signal (what `run` does on Ctrl-C) then resumed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import {
  type CaseDefinition,
  type RunEvent,
  RunEvents,
  readJournal,
  runPlan,
  testCase,
} from '../../harness/runner/index.ts';
import {
  atMost,
  longestFirst,
  RunInterrupted,
  sleepUnlessAborted,
} from '../../harness/runner/run-interrupt.ts';
import { PLAN } from '../../scenarios/index.ts';

describe('longestFirst', () => {
  it('starts the case with the longest wait first and keeps plan order among the others', () => {
    const cases = [
      { id: 'a' },
      { id: 'b', waits: { fullMs: 10_000, quickMs: 1_200 } },
      { id: 'c' },
      { id: 'd', waits: { fullMs: 300_000, quickMs: 35_000 } },
    ];
    expect(longestFirst(cases, false).map((c) => c.id)).toEqual(['d', 'b', 'a', 'c']);
    expect(longestFirst(cases, true).map((c) => c.id)).toEqual(['d', 'b', 'a', 'c']);
    expect(cases.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']); // the input is left as it was
  });

  it('puts the 5-minute call (8-3-1) first in the real plan', () => {
    expect(longestFirst(PLAN, false)[0]?.id).toBe('8-3-1');
    expect(longestFirst(PLAN, false)).toHaveLength(PLAN.length);
  });
});

describe('waits and interrupts', () => {
  it('a wait ends with RunInterrupted when the run is interrupted, long before its time', async () => {
    const ac = new AbortController();
    const wait = sleepUnlessAborted(300_000, ac.signal);
    setTimeout(() => ac.abort(), 10);
    await expect(wait).rejects.toBeInstanceOf(RunInterrupted);
  });

  it('a wait without a signal, or not interrupted, just waits', async () => {
    await expect(sleepUnlessAborted(5, undefined)).resolves.toBeUndefined();
    await expect(sleepUnlessAborted(5, new AbortController().signal)).resolves.toBeUndefined();
  });

  it('a clean-up that hangs is given up after its bound', async () => {
    let settled = false;
    await atMost(new Promise(() => {}), 20).then(() => {
      settled = true;
    });
    expect(settled).toBe(true);
    await atMost(Promise.reject(new Error('x')), 20); // a failing clean-up is not an error here
  });
});

describe('runPlan with a signal (Ctrl-C)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A long wait (L), a case that never looks at the signal (H, when `hang`), two quick ones. */
  const plan = (hang: boolean): CaseDefinition[] => [
    testCase({
      id: 'T-1',
      section: '6.1',
      title: 'quick',
      steps: ['a check'],
      async run(ctx) {
        ctx.check.that('one', true, { expected: '1', observed: '1' });
      },
    }),
    testCase({
      id: 'T-2',
      section: '6.1',
      title: 'hangs unless told otherwise',
      steps: ['waits on nothing'],
      waits: { fullMs: 1000, quickMs: 1000 },
      async run(ctx) {
        ctx.step('waiting for nothing');
        if (hang) await new Promise(() => undefined);
        ctx.check.that('two', true, { expected: '2', observed: '2' });
      },
    }),
    testCase({
      id: 'T-3',
      section: '6.1',
      title: 'long wait',
      steps: ['waits 5 minutes'],
      waits: { fullMs: 300_000, quickMs: 50 },
      async run(ctx) {
        await ctx.wait(300_000, 50, 'the long wait');
        ctx.check.that('three', true, { expected: '3', observed: '3' });
      },
    }),
    testCase({
      id: 'T-4',
      section: '6.1',
      title: 'quick too',
      steps: ['a check'],
      async run(ctx) {
        ctx.check.that('four', true, { expected: '4', observed: '4' });
      },
    }),
  ];

  it('stops the running cases (even one that never looks at the signal), journals no cell for them, and a resume runs them', {
    timeout: 60_000,
  }, async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'interrupt-'));
    dirs.push(outDir);
    const base = {
      profile: loadProfile(),
      profileFile: 'profiles/embedded.yaml',
      outDir,
      harnessVersion: 'test',
      workers: 2,
    };
    const events = new RunEvents();
    const seen: RunEvent[] = [];
    const ac = new AbortController();
    let waiting = 0;
    events.on((e) => {
      seen.push(e);
      // Both running cases at their step: the long wait (T-3) and the hanging case (T-2).
      if (e.type === 'case-step' && ++waiting === 2) setTimeout(() => ac.abort(), 50);
    });
    const r = await runPlan({ ...base, cases: plan(true), events, signal: ac.signal });
    expect(r.exitCode).toBe(130);
    expect(r.interrupted?.stopped.sort()).toEqual(['T-2', 'T-3']);
    expect(r.interrupted?.notStarted).toEqual(['T-1', 'T-4']);
    expect(r.results.cells).toEqual([]);
    const entries = readJournal(join(outDir, 'journal.jsonl')).entries;
    expect(entries.filter((e) => e.type === 'cell' || e.type === 'end')).toEqual([]);
    expect(seen.at(-1)).toEqual({ type: 'run-end', exitCode: 130 });
    // The longest case started first.
    expect(seen.find((e) => e.type === 'case-start')).toMatchObject({ id: 'T-3' });

    const resumed = await runPlan({ ...base, cases: plan(false), resume: true, quick: true });
    expect(resumed.exitCode).toBe(0);
    expect(resumed.interrupted).toBeUndefined();
    const cells = readJournal(join(outDir, 'journal.jsonl')).entries.flatMap((e) =>
      e.type === 'cell' ? [`${e.cell.id} ${e.cell.verdict}`] : [],
    );
    expect(cells.sort()).toEqual(['T-1 OK', 'T-2 OK', 'T-3 OK', 'T-4 OK']);
  });
});
