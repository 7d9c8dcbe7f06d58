/**
 * The terminal and the live console side by side (`run --ui`): each question goes to both, the
 * first answer wins and the other side's question is cancelled (the console's card leaves its
 * list, the terminal's readline stops waiting); a console answer is checked as data from the
 * network; a run of a small plan with instructions takes answers from both sides.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsolePrompter } from '../../harness/cli/console-prompter.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import {
  type CaseDefinition,
  FirstAnswerPrompter,
  type Instruction,
  readJournal,
  runPlan,
  ScriptedPrompter,
  TerminalPrompter,
  testCase,
} from '../../harness/runner/index.ts';

/** Waits (bounded) until `cond` holds. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return { input, output, prompter: new TerminalPrompter(input, output), text: () => text };
}

const instruction = (n: number, kind: Instruction['kind'] = 'check'): Instruction => ({
  id: `8-3-2#${n}`,
  caseId: '8-3-2',
  kind,
  side: 'oxo',
  text: `Does the display show 040555001? (${n})`,
  expected: '040555001',
  askedAtMs: Date.now(),
});

describe('first answer wins between the terminal and the console', () => {
  it('takes the console’s answer and cancels the terminal’s question', async () => {
    const t = terminal();
    const consoleP = new ConsolePrompter();
    const winners: string[] = [];
    const both = new FirstAnswerPrompter(
      [
        { name: 'terminal', prompter: t.prompter },
        { name: 'console', prompter: consoleP },
      ],
      (who) => winners.push(who),
    );
    const pending = both.instruct(instruction(1));
    await until(() => consoleP.open.length === 1 && t.text().includes('> '), 'both sides asking');
    const q = consoleP.open[0]!;
    expect(q.kind).toBe('instruction');
    expect(consoleP.answer(q.id, { verdict: 'nok', comment: 'the display stays blank' })).toEqual({
      ok: true,
    });
    const a = await pending;
    expect(a).toMatchObject({ verdict: 'nok', comment: 'the display stays blank', via: 'console' });
    expect(winners).toEqual(['console']);
    expect(consoleP.open).toEqual([]);
    // The terminal no longer waits: the next question is answered by the next line typed.
    const next = both.instruct(instruction(2));
    await until(() => consoleP.open.length === 1, 'the second question');
    await until(() => (t.text().match(/> /g) ?? []).length === 2, 'the terminal asking again');
    t.input.write('ok shows 040555001\n');
    expect(await next).toMatchObject({ verdict: 'ok', comment: 'shows 040555001', via: 'terminal' });
    expect(winners).toEqual(['console', 'terminal']);
  });

  it('takes the terminal’s answer and withdraws the console’s question', async () => {
    const t = terminal();
    const consoleP = new ConsolePrompter();
    const changes: number[] = [];
    consoleP.onChange(() => changes.push(consoleP.open.length));
    const both = new FirstAnswerPrompter([
      { name: 'terminal', prompter: t.prompter },
      { name: 'console', prompter: consoleP },
    ]);
    const pending = both.instruct(instruction(1, 'action'));
    await until(() => consoleP.open.length === 1 && t.text().includes('> '), 'both sides asking');
    const id = consoleP.open[0]!.id;
    t.input.write('n/a no such set here\n');
    expect(await pending).toMatchObject({ verdict: 'na', comment: 'no such set here', via: 'terminal' });
    expect(consoleP.open).toEqual([]);
    expect(changes).toEqual([1, 0]);
    // A late click on the page is refused, not taken for the next question.
    expect(consoleP.answer(id, { verdict: 'ok', comment: '' })).toMatchObject({ ok: false, status: 409 });
  });

  it('waits for the console when the terminal has nothing to read', async () => {
    const t = terminal();
    t.input.end(); // stdin closed (a run under nohup): the terminal cannot answer
    const consoleP = new ConsolePrompter();
    const both = new FirstAnswerPrompter([
      { name: 'terminal', prompter: t.prompter },
      { name: 'console', prompter: consoleP },
    ]);
    // The terminal fails at once on its ended input (InputEndedError); the console still answers.
    const pending = both.ask('Is the codec order G.729, PCMA set on the SBC?', ['yes', 'no']);
    await until(() => consoleP.open.length === 1, 'the console asking');
    const q = consoleP.open[0]!;
    expect(q).toMatchObject({ kind: 'question', choices: ['yes', 'no'] });
    expect(consoleP.answer(q.id, { answer: 'maybe' })).toMatchObject({ ok: false, status: 400 });
    expect(consoleP.answer(q.id, { answer: 'YES' })).toEqual({ ok: true });
    expect(await pending).toBe('yes');

    consoleP.shutdown();
  });

  it('fails a question only when every side failed', async () => {
    const consoleP = new ConsolePrompter();
    consoleP.shutdown(); // the console has stopped
    const both = new FirstAnswerPrompter([
      { name: 'script', prompter: new ScriptedPrompter([]) }, // has no answer left
      { name: 'console', prompter: consoleP },
    ]);
    await expect(both.instruct(instruction(3))).rejects.toThrow('no scripted answer');
    const one = new FirstAnswerPrompter([
      { name: 'script', prompter: new ScriptedPrompter(['ok fine']) },
      { name: 'console', prompter: consoleP },
    ]);
    expect(await one.instruct(instruction(4))).toMatchObject({ verdict: 'ok', via: 'script' });
  });

  it('cancels both sides when the case ends first', async () => {
    const t = terminal();
    const consoleP = new ConsolePrompter();
    const both = new FirstAnswerPrompter([
      { name: 'terminal', prompter: t.prompter },
      { name: 'console', prompter: consoleP },
    ]);
    const ac = new AbortController();
    const pending = both.instruct(instruction(1), ac.signal);
    await until(() => consoleP.open.length === 1, 'the console asking');
    ac.abort(new Error('case timed out'));
    await expect(pending).rejects.toThrow('case timed out');
    expect(consoleP.open).toEqual([]);
  });

  it('refuses malformed answers from the page', () => {
    const consoleP = new ConsolePrompter();
    void consoleP.instruct(instruction(1)).catch(() => undefined);
    const id = consoleP.open[0]!.id;
    expect(consoleP.answer(undefined, {})).toMatchObject({ ok: false, status: 400 });
    expect(consoleP.answer('999', { verdict: 'ok' })).toMatchObject({ ok: false, status: 409 });
    expect(consoleP.answer(id, { verdict: 'maybe' })).toMatchObject({ ok: false, status: 400 });
    expect(consoleP.answer(id, null)).toMatchObject({ ok: false, status: 400 });
    expect(consoleP.open).toHaveLength(1);
    consoleP.shutdown();
  });
});

describe('a run answered from both sides', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('withdraws an unanswered question from the console when its case ends', async () => {
    const out = mkdtempSync(join(tmpdir(), 'first-answer-'));
    dirs.push(out);
    const consoleP = new ConsolePrompter();
    const seen: number[] = [];
    consoleP.onChange(() => seen.push(consoleP.open.length));
    const r = await runPlan({
      cases: [
        testCase({
          id: '8-3-2',
          section: '8.4',
          title: 'nobody answers',
          steps: ['ask'],
          async run(ctx) {
            await ctx.ask('Is the codec order set?', ['yes', 'no']);
          },
        }),
      ],
      profile: loadProfile(),
      profileFile: 'profiles/embedded.yaml',
      harnessVersion: 'test',
      quick: true,
      caseTimeoutMs: 1500,
      outDir: out,
      prompter: new FirstAnswerPrompter([{ name: 'console', prompter: consoleP }]),
    });
    expect(r.results.cells[0]?.verdict).toBe('ERROR');
    expect(seen).toEqual([1, 0]);
    expect(consoleP.open).toEqual([]);
  }, 30_000);

  it('journals each answer with the side that gave it, and the cell follows the answers', async () => {
    const PLAN: CaseDefinition[] = [
      testCase({
        id: '8-3-2',
        section: '8.4',
        title: 'display, judged by the engineer',
        steps: ['answer', 'look at the display'],
        async run(ctx) {
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
    const out = mkdtempSync(join(tmpdir(), 'first-answer-'));
    dirs.push(out);
    const t = terminal();
    const consoleP = new ConsolePrompter();
    const both = new FirstAnswerPrompter([
      { name: 'terminal', prompter: t.prompter },
      { name: 'console', prompter: consoleP },
    ]);
    // The engineer: the action on the terminal, the check on the page.
    const engineer = (async () => {
      await until(
        () => t.text().includes('Answer on Premium Deskphone 1') && t.text().includes('> '),
        'the action',
      );
      t.input.write('ok\n');
      await until(
        () => consoleP.open.some((q) => q.kind === 'instruction' && q.instruction.kind === 'check'),
        'the check',
      );
      consoleP.answer(consoleP.open[0]!.id, { verdict: 'nok', comment: 'only the name, no number' });
    })();
    const r = await runPlan({
      cases: PLAN,
      profile: loadProfile(),
      profileFile: 'profiles/embedded.yaml',
      harnessVersion: 'test',
      quick: true,
      caseTimeoutMs: 10_000,
      outDir: out,
      prompter: both,
    });
    await engineer;
    const cell = r.results.cells[0]!;
    expect(cell.verdict).toBe('NOK');
    expect(cell.comment).toContain('only the name, no number');
    const judged = cell.checks.filter((c) => c.by === 'engineer');
    expect(judged.map((c) => [c.name, c.ok, c.comment])).toEqual([
      ['display on Premium Deskphone 1', false, 'only the name, no number'],
    ]);
    const answers = readJournal(join(out, 'journal.jsonl')).entries.flatMap((e) =>
      e.type === 'answer' ? [e.answer.via] : [],
    );
    expect(answers).toEqual(['terminal', 'console']);
  }, 30_000);
});
