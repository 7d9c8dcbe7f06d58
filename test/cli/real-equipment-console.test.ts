/**
 * The engineer in the loop through the live console, with a real OXO: the harness runs with
 * `oxo.kind: real` on the embedded SBC, the "real" OXO is the project's OXO simulator started
 * separately (`sim oxo --manual`), and the test plays the engineer in Debian's Chromium. It reads
 * each instruction from the console page, carries it out on that OXO (answer, dial, press
 * digits, speak, hang up), and answers on the page. The cells come out as in an all-simulated
 * run, except where the engineer answers NOK: that cell is NOK with the engineer's words. A
 * screenshot of the console in the middle of a case is kept as runs/real-oxo-console.png, and
 * the report marks the checks the engineer judged.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ConsolePrompter } from '../../harness/cli/console-prompter.ts';
import { consoleActors, type LiveConsole, startLiveConsole } from '../../harness/cli/live-console.ts';
import { writeReports } from '../../harness/cli/report-command.ts';
import { type Instruction, RunEvents, runPlan } from '../../harness/runner/index.ts';
import { PLAN } from '../../scenarios/index.ts';
import { launchChromium, type TestBrowser } from '../support/browser.ts';
import { playEngineer } from '../support/console-engineer.ts';
import { describeWithPeers } from '../support/peers.ts';
import { ManualSim, realEquipmentProfile, SimEngineer, simProfileJson } from '../support/sim-engineer.ts';

const SCREENSHOT = join(import.meta.dirname, '..', '..', 'runs', 'real-oxo-console.png');

describeWithPeers(['chromium'], 'real OXO, the engineer on the live console', () => {
  let browser: TestBrowser | undefined;
  let live: LiveConsole | undefined;
  let sim: ManualSim | undefined;
  const consoleP = new ConsolePrompter();
  const out = mkdtempSync(join(tmpdir(), 'real-oxo-console-'));
  afterAll(async () => {
    await browser?.close();
    consoleP.shutdown();
    await live?.close();
    await sim?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('runs the cases from the instructions on the page', { timeout: 300_000 }, async () => {
    const profile = realEquipmentProfile('oxo');
    const simFile = join(out, 'oxo-sim.yaml');
    writeFileSync(simFile, simProfileJson(profile, 'oxo'));
    const events = new RunEvents();
    let engineer: SimEngineer | undefined;
    events.on((e) => {
      if (e.type === 'run-step' && /real OXO/.test(e.step) && !engineer) {
        sim = new ManualSim('oxo', simFile);
        engineer = new SimEngineer(sim, profile);
        // The engineer sees a blank display in 8-3-2.
        engineer.overrides.push({ re: /does the display of/, answer: 'nok the display stays blank' });
      }
    });
    live = await startLiveConsole({
      events,
      prompter: consoleP,
      listen: { host: '127.0.110.3', port: 0 },
      actors: consoleActors(profile),
      title: 'real OXO',
    });
    browser = await launchChromium(30_000, { offline: false });
    const page = await browser.context.newPage();
    await page.goto(live.url, { timeout: 20_000 });
    await page.locator('#status.live').waitFor({ timeout: 10_000 });

    const running = runPlan({
      cases: PLAN,
      profile,
      profileFile: 'real-oxo.yaml',
      outDir: out,
      harnessVersion: 'test',
      quick: true,
      only: 'T-2,8-1-1,8-2-1,8-3-2',
      events,
      prompter: consoleP,
    });
    running.catch(() => undefined);
    let shot = false;
    const answered = await playEngineer(
      page,
      async (card) => {
        if (card.type !== 'instruction' || !engineer) return { verdict: 'na', comment: 'not for me' };
        if (!shot && card.caseId === '8-2-1') {
          mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
          await page.screenshot({ path: SCREENSHOT, fullPage: true });
          shot = true;
        }
        const i = { caseId: card.caseId, kind: card.kind, side: 'oxo', text: card.text } as Instruction;
        const typed = await engineer.carryOut(i);
        const [word, ...rest] = typed.split(' ');
        return { verdict: word === 'nok' ? 'nok' : word === 'na' ? 'na' : 'ok', comment: rest.join(' ') };
      },
      { until: running, timeoutMs: 280_000 },
    );
    const r = await running;
    const v = Object.fromEntries(r.results.cells.map((c) => [c.id, c.verdict]));
    const why = Object.fromEntries(r.results.cells.map((c) => [c.id, c.comment]));
    expect(v, JSON.stringify(why, null, 1)).toEqual({
      'T-2': 'OK',
      '8-1-1': 'OK',
      '8-2-1': 'OK',
      '8-3-2': 'NOK',
    });
    expect(why['8-3-2']).toContain('the display stays blank');
    expect(answered.length).toBeGreaterThan(8);
    expect(shot).toBe(true);
    // The page's plan shows the engineer's NOK; the report marks what the engineer judged.
    const row = page.locator('table.plan tr[data-case="8-3-2"][data-verdict="NOK"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('the display stays blank');
    await writeReports({ runDir: out });
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/Judged by the engineer/);
  });
});
