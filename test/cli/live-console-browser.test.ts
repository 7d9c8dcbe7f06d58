/**
 * The live console of `run --ui` in Debian's Chromium, with the test as the engineer: a small
 * plan with instructions runs on the embedded SBC (a real call through it, so the running case
 * has a live SIP ladder) while the page, opened at the printed address, shows each instruction;
 * the test reads it from the page and answers OK, NOK with a comment, or a question's choice by
 * clicking, as a person would. The terminal prompter runs side by side (nobody types there), as
 * with `--ui`. The cells come out as the answers say (NOK with the engineer's words), the
 * page's plan shows the finished cells with the checks the engineer judged, a page opened late
 * catches up from the history, and a screenshot of the console in the middle of a case is kept
 * as runs/console-screenshot.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConsolePrompter } from '../../harness/cli/console-prompter.ts';
import { consoleActors, type LiveConsole, startLiveConsole } from '../../harness/cli/live-console.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import {
  type CaseDefinition,
  FirstAnswerPrompter,
  RunEvents,
  type RunOutcome,
  runPlan,
  TerminalPrompter,
  testCase,
} from '../../harness/runner/index.ts';
import { callExtension, hangUp } from '../../scenarios/call-helpers.ts';
import { launchChromium, type TestBrowser } from '../support/browser.ts';
import { playEngineer } from '../support/console-engineer.ts';
import { describeWithPeers } from '../support/peers.ts';

const SCREENSHOT = join(import.meta.dirname, '..', '..', 'runs', 'console-screenshot.png');

/** Two cases in the plan's words: the display judged by eye, music on hold judged by ear. */
const PLAN: CaseDefinition[] = [
  testCase({
    id: '8-3-2',
    section: '8.4',
    title: 'ExtCall to Premium Deskphone Display',
    steps: ['PSTN 1 calls Premium Deskphone 1', 'Answer', 'Check the display', 'Hang up'],
    async run(ctx) {
      const desk = ctx.oxo.extension('deskphone1');
      ctx.step('PSTN 1 calls Premium Deskphone 1');
      const c = await callExtension(ctx, 'pstn1', desk);
      try {
        await ctx.instruct('oxo', 'Answer on Premium Deskphone 1');
        await ctx.observe(
          'oxo',
          'display on Premium Deskphone 1',
          'Does the display of Premium Deskphone 1 show 040555001?',
          '040555001',
        );
      } finally {
        ctx.step('hanging up');
        await hangUp(c);
      }
    },
  }),
  testCase({
    id: '8-4-1',
    section: '8.5',
    title: 'Hold and music on hold',
    steps: ['Premium Deskphone 1 holds the call', 'PSTN 1 hears music on hold'],
    async run(ctx) {
      const handset = await ctx.ask('Which handset is used for the PSTN side?', ['mobile', 'landline']);
      ctx.check.that('handset named', handset === 'mobile' || handset === 'landline', {
        expected: 'mobile or landline',
        observed: handset,
      });
      await ctx.instruct('oxo', 'Put the call on hold on Premium Deskphone 1');
      await ctx.observe(
        'provider',
        'music on hold at PSTN 1',
        'Do you hear music on hold on your mobile?',
        'music',
      );
    },
  }),
];

describeWithPeers(['chromium'], 'live console in Chromium', () => {
  let browser: TestBrowser | undefined;
  let live: LiveConsole | undefined;
  let out = '';
  const events = new RunEvents();
  const consoleP = new ConsolePrompter();
  const terminalIn = new PassThrough();
  const terminalOut = new PassThrough();
  terminalOut.resume();

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'live-console-'));
    const profile = loadProfile();
    live = await startLiveConsole({
      events,
      prompter: consoleP,
      listen: { host: '127.0.98.1', port: 0 },
      actors: consoleActors(profile),
      title: 'test plan',
    });
    browser = await launchChromium(30_000, { offline: false });
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    consoleP.shutdown();
    await live?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('shows the instructions, takes the answers by click, and fills in the cells', async () => {
    const page = await browser!.context.newPage();
    const errors: string[] = [];
    const elsewhere: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(`http://127.0.98.1:${live!.port}/`)) elsewhere.push(r.url());
    });
    await page.goto(live!.url, { timeout: 20_000 });
    await page.locator('#status.live').waitFor({ timeout: 10_000 });

    const running: Promise<RunOutcome> = runPlan({
      cases: PLAN,
      profile: loadProfile(),
      profileFile: 'profiles/embedded.yaml',
      outDir: out,
      harnessVersion: 'test',
      quick: true,
      workers: 1,
      caseTimeoutMs: 60_000,
      events,
      prompter: new FirstAnswerPrompter([
        { name: 'terminal', prompter: new TerminalPrompter(terminalIn, terminalOut) },
        { name: 'console', prompter: consoleP },
      ]),
    });
    running.catch(() => undefined);

    /** The open card of `kind` for `caseId`, once the page shows it; its text as read there. */
    const card = async (caseId: string, kind: string) => {
      const c = page.locator(`.question[data-case="${caseId}"][data-kind="${kind}"]`);
      await c.waitFor({ timeout: 30_000 });
      return { c, text: ((await c.locator('.text').textContent()) ?? '').trim() };
    };

    // 8-3-2: the plan is on the page, the case runs, the action is asked. The plan reaches the
    // page by its own event after runPlan starts, so it is read once the case asks.
    let q = await card('8-3-2', 'action');
    await page.locator('table.plan tbody tr').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('table.plan tbody tr').count()).toBe(2);
    expect(q.text).toBe('Answer on Premium Deskphone 1');
    const runningCard = page.locator('.running[data-case="8-3-2"]');
    await runningCard.waitFor({ timeout: 10_000 });
    expect(await runningCard.locator('.elapsed').textContent()).toMatch(/elapsed of about .* expected/);
    await q.c.locator('button[data-verdict="ok"]').click();

    // The check, with the call up: the ladder of the running case is live and opens a message.
    q = await card('8-3-2', 'check');
    expect(q.text).toBe('Does the display of Premium Deskphone 1 show 040555001?');
    expect(await q.c.locator('.expected').textContent()).toContain('040555001');
    const arrows = runningCard.locator('svg.ladder g.msg');
    await arrows.first().waitFor({ timeout: 10_000 });
    const invite = runningCard.locator('svg.ladder g.msg', { hasText: 'INVITE' }).first();
    await invite.click();
    await page.locator('#sip-dialog').waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.locator('#sip-dialog-text').textContent()).toMatch(/^INVITE sip:/);
    await page.locator('#sip-dialog-close').click();
    expect(await runningCard.locator('.step').textContent()).toContain('asking the engineer');
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await q.c.locator('textarea.comment').fill('shows 040555001 and the name');
    await q.c.locator('button[data-verdict="ok"]').click();

    // The first cell fills in while the second case runs.
    const row1 = page.locator('table.plan tr[data-case="8-3-2"]');
    await page.locator('table.plan tr[data-case="8-3-2"][data-verdict]').waitFor({ timeout: 30_000 });
    expect(await row1.getAttribute('data-verdict')).toBe('OK');
    expect(await row1.locator('.engineer').textContent()).toBe(
      'Judged by the engineer: display on Premium Deskphone 1 — OK (“shows 040555001 and the name”)',
    );

    // 8-4-1: a question with choices, an action, then the engineer's NOK with a comment, each
    // read from the page and answered there by the test's engineer.
    const answered = await playEngineer(
      page,
      (card) => {
        if (card.type === 'question') return { choice: card.choices.includes('mobile') ? 'mobile' : '?' };
        if (card.kind === 'action') return { verdict: 'ok' };
        return { verdict: 'nok', comment: 'silence while on hold' };
      },
      { until: running, timeoutMs: 60_000 },
    );
    expect(answered.map((a) => [a.card.caseId, a.card.kind, a.card.text, a.card.choices])).toEqual([
      ['', '', 'Which handset is used for the PSTN side?', ['mobile', 'landline']],
      ['8-4-1', 'action', 'Put the call on hold on Premium Deskphone 1', []],
      ['8-4-1', 'check', 'Do you hear music on hold on your mobile?', []],
    ]);
    expect(answered[2]?.card.expected).toBe('music');

    const r = await running;
    const cells = new Map(r.results.cells.map((c) => [c.id, c]));
    expect(cells.get('8-3-2')?.verdict).toBe('OK');
    expect(cells.get('8-4-1')?.verdict).toBe('NOK');
    expect(cells.get('8-4-1')?.comment).toContain('silence while on hold');
    expect(cells.get('8-4-1')?.answers).toContainEqual({
      question: 'Which handset is used for the PSTN side?',
      answer: 'mobile',
    });
    expect(
      cells
        .get('8-4-1')
        ?.checks.filter((c) => c.by === 'engineer')
        .map((c) => [c.name, c.ok, c.comment]),
    ).toEqual([['music on hold at PSTN 1', false, 'silence while on hold']]);

    // The page's plan: both cells, as the run recorded them.
    const row2 = page.locator('table.plan tr[data-case="8-4-1"]');
    await page.locator('table.plan tr[data-case="8-4-1"][data-verdict="NOK"]').waitFor({ timeout: 10_000 });
    expect(await row2.locator('td.comment').textContent()).toContain('silence while on hold');
    expect(await row2.locator('.engineer').textContent()).toBe(
      'Judged by the engineer: music on hold at PSTN 1 — NOK (“silence while on hold”)',
    );
    expect(await page.locator('.question').count()).toBe(0);
    await page.locator('#ended', { hasText: 'exit code 1' }).waitFor({ timeout: 10_000 });

    // A page opened after the fact catches up from the history.
    const late = await browser!.context.newPage();
    await late.goto(live!.url, { timeout: 20_000 });
    await late.locator('table.plan tr[data-case="8-4-1"][data-verdict="NOK"]').waitFor({ timeout: 10_000 });
    expect(await late.locator('table.plan tr[data-case="8-3-2"]').getAttribute('data-verdict')).toBe('OK');
    expect(await late.locator('.running').count()).toBe(0);
    await late.close();

    const png = readFileSync(SCREENSHOT);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 120_000);
});
