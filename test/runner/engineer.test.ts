/**
 * The engineer in the loop at the runner level: instructions and observations become checks
 * judged by the engineer (with their words), an engineer's NOK makes the cell NOK, N/A to an
 * action makes it N/A, no one to ask makes it INCOMPLETE, the run's events tell the watchers
 * each step, and a resumed run takes the journaled answers to checks without asking again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import {
  type CaseDefinition,
  parseEngineerAnswer,
  type RunEvent,
  RunEvents,
  readJournal,
  runPlan,
  ScriptedPrompter,
  testCase,
} from '../../harness/runner/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'engineer-'));
  dirs.push(d);
  return d;
}

const PLAN: CaseDefinition[] = [
  testCase({
    id: '8-3-2',
    section: '8.4',
    title: 'display, judged by the engineer',
    steps: ['answer', 'look at the display'],
    async run(ctx) {
      ctx.step('calling the deskphone');
      await ctx.instruct('oxo', 'Answer on Premium Deskphone 1');
      await ctx.observe(
        'oxo',
        'display on Premium Deskphone 1',
        'Does the display show 040555001?',
        '040555001',
      );
    },
  }),
];
const base = {
  cases: PLAN,
  profile: loadProfile(),
  profileFile: 'profiles/embedded.yaml',
  harnessVersion: 'test',
  quick: true,
  caseTimeoutMs: 5000,
};

describe('the engineer in the loop', () => {
  it('parses typed answers', () => {
    expect(parseEngineerAnswer('ok')).toEqual({ verdict: 'ok', comment: '' });
    expect(parseEngineerAnswer('NOK display blank')).toEqual({ verdict: 'nok', comment: 'display blank' });
    expect(parseEngineerAnswer('n/a: no display')).toEqual({ verdict: 'na', comment: 'no display' });
    expect(parseEngineerAnswer('maybe')).toBeUndefined();
  });

  it('records answers as checks judged by the engineer and tells the watchers', async () => {
    const events = new RunEvents();
    const seen: RunEvent['type'][] = [];
    events.on((e) => seen.push(e.type));
    const out = tmp();
    const r = await runPlan({
      ...base,
      outDir: out,
      events,
      prompter: new ScriptedPrompter(['ok', 'ok shows 040555001']),
    });
    const cell = r.results.cells[0]!;
    expect(cell.verdict).toBe('OK');
    const byEngineer = cell.checks.filter((c) => c.by === 'engineer');
    expect(byEngineer.map((c) => c.name)).toEqual(['display on Premium Deskphone 1']);
    expect(byEngineer[0]?.comment).toBe('shows 040555001');
    expect(seen).toContain('plan');
    expect(seen).toContain('case-step');
    expect(seen.filter((t) => t === 'instruction')).toHaveLength(2);
    expect(seen.filter((t) => t === 'answer')).toHaveLength(2);
    expect(seen.at(-1)).toBe('run-end');
    const answers = readJournal(join(out, 'journal.jsonl')).entries.filter((e) => e.type === 'answer');
    expect(answers).toHaveLength(2);
  });

  it("makes the cell NOK with the engineer's words", async () => {
    const r = await runPlan({
      ...base,
      outDir: tmp(),
      prompter: new ScriptedPrompter(['ok', 'nok the display stays blank']),
    });
    const cell = r.results.cells[0]!;
    expect(cell.verdict).toBe('NOK');
    expect(cell.comment).toContain('the display stays blank');
  });

  it('makes the cell N/A when the engineer says an action does not apply', async () => {
    const r = await runPlan({ ...base, outDir: tmp(), prompter: new ScriptedPrompter(['na no such set']) });
    expect(r.results.cells[0]?.verdict).toBe('N/A');
    expect(r.results.cells[0]?.comment).toContain('no such set');
  });

  it('makes the cell INCOMPLETE when nobody can be asked', async () => {
    const r = await runPlan({ ...base, outDir: tmp() });
    expect(r.results.cells[0]?.verdict).toBe('INCOMPLETE');
    expect(r.results.cells[0]?.comment).toContain('--interactive or --ui');
  });

  it('does not ask a journaled check again on resume, but asks the action again', async () => {
    const out = tmp();
    // A first run journals both answers; removing its cell makes the journal that of a run that
    // died after the engineer answered.
    await runPlan({ ...base, outDir: out, prompter: new ScriptedPrompter(['ok', 'ok']) });
    const { writeFileSync, readFileSync } = await import('node:fs');
    const path = join(out, 'journal.jsonl');
    const kept = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l && !/"type":"(cell|end)"/.test(l));
    writeFileSync(path, `${kept.join('\n')}\n`);
    const prompter = new ScriptedPrompter(['ok']);
    const r = await runPlan({ ...base, outDir: out, resume: true, prompter });
    expect(prompter.asked).toEqual(['Answer on Premium Deskphone 1']);
    expect(r.results.cells[0]?.verdict).toBe('OK');
  });
});
