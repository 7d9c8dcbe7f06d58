/**
 * The engineer in the loop through the live console, with real equipment on one side: the
 * harness runs with `oxo.kind: real` (then `provider.kind: real`) on the embedded SBC, the "real"
 * side is the project's own simulator started separately (`sim oxo|provider --manual`), and the
 * test plays the engineer in Debian's Chromium. It reads each instruction from the console page,
 * carries it out on that simulator (answer, dial, press digits, speak, hang up), and answers on
 * the page. The cells come out as in an all-simulated run, except where the engineer answers
 * NOK: that cell is NOK with the engineer's words. A screenshot of the console in the middle of
 * a case is kept as runs/real-oxo-console.png, and the report marks the checks the engineer
 * judged.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConsolePrompter } from '../../harness/cli/console-prompter.ts';
import { consoleActors, startLiveConsole } from '../../harness/cli/live-console.ts';
import { writeReports } from '../../harness/cli/report-command.ts';
import { type Instruction, RunEvents, runPlan } from '../../harness/runner/index.ts';
import { PLAN } from '../../scenarios/index.ts';
import { launchChromium, type TestBrowser } from '../support/browser.ts';
import { playEngineer } from '../support/console-engineer.ts';
import { describeWithPeers } from '../support/peers.ts';
import { ManualSim, realEquipmentProfile, SimEngineer, simProfileJson } from '../support/sim-engineer.ts';

const SCREENSHOT = join(import.meta.dirname, '..', '..', 'runs', 'real-oxo-console.png');

describeWithPeers(['chromium'], 'real equipment, the engineer on the live console', () => {
  let browser: TestBrowser | undefined;
  const cleanups: Array<() => Promise<void> | void> = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    browser = await launchChromium(30_000, { offline: false });
  }, 40_000);
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await browser?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /**
   * Runs `only` with real equipment on `side` and the test as the engineer on the page; the
   * simulator of that side starts when the run waits for it (a real OXO) or first (a provider).
   */
  async function runOnConsole(
    side: 'oxo' | 'provider',
    only: string,
    o: { overrides?: Array<{ re: RegExp; answer: string }>; screenshotAt?: string } = {},
  ) {
    const out = mkdtempSync(join(tmpdir(), `real-${side}-console-`));
    dirs.push(out);
    const profile = realEquipmentProfile(side, 'console');
    const simFile = join(out, `${side}-sim.yaml`);
    writeFileSync(simFile, simProfileJson(profile, side));
    const events = new RunEvents();
    let engineer: SimEngineer | undefined;
    const startSim = () => {
      const sim = new ManualSim(side, simFile);
      cleanups.push(() => sim.stop());
      engineer = new SimEngineer(sim, profile);
      engineer.overrides.push(...(o.overrides ?? []));
    };
    if (side === 'provider') startSim();
    events.on((e) => {
      if (e.type === 'run-step' && /real OXO/.test(e.step) && !engineer) startSim();
    });
    const consoleP = new ConsolePrompter();
    const live = await startLiveConsole({
      events,
      prompter: consoleP,
      listen: { host: '127.0.112.3', port: 0 },
      actors: consoleActors(profile),
      title: `real ${side}`,
    });
    cleanups.push(async () => {
      consoleP.shutdown();
      await live.close();
    });
    const page = await browser!.context.newPage();
    await page.goto(live.url, { timeout: 20_000 });
    await page.locator('#status.live').waitFor({ timeout: 10_000 });
    const running = runPlan({
      cases: PLAN,
      profile,
      profileFile: `real-${side}.yaml`,
      outDir: out,
      harnessVersion: 'test',
      quick: true,
      only,
      events,
      prompter: consoleP,
    });
    running.catch(() => undefined);
    let shot = false;
    const answered = await playEngineer(
      page,
      async (card) => {
        if (card.type !== 'instruction' || !engineer) return { verdict: 'na', comment: 'not for me' };
        if (!shot && card.caseId === o.screenshotAt) {
          mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
          await page.screenshot({ path: SCREENSHOT, fullPage: true });
          shot = true;
        }
        const i = { caseId: card.caseId, kind: card.kind, side, text: card.text } as Instruction;
        const typed = await engineer.carryOut(i);
        const [word, ...rest] = typed.split(' ');
        return { verdict: word === 'nok' ? 'nok' : word === 'na' ? 'na' : 'ok', comment: rest.join(' ') };
      },
      { until: running, timeoutMs: 280_000 },
    );
    const r = await running;
    // The "real" side's simulator holds the profile's fixed ports: the next run needs them.
    await engineer?.sim.stop();
    const cells = r.results.cells;
    return {
      out,
      page,
      answered,
      shot,
      v: Object.fromEntries(cells.map((c) => [c.id, c.verdict])),
      why: Object.fromEntries(cells.map((c) => [c.id, c.comment])),
    };
  }

  it('a real OXO: runs the cases from the instructions on the page', { timeout: 300_000 }, async () => {
    const { v, why, answered, shot, page, out } = await runOnConsole('oxo', 'T-2,8-1-1,8-2-1,8-3-2', {
      // The engineer sees a blank display in 8-3-2.
      overrides: [{ re: /does the display of/, answer: 'nok the display stays blank' }],
      screenshotAt: '8-2-1',
    });
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

  it('a real provider: the codec and DTMF rows from the instructions on the page', {
    timeout: 300_000,
  }, async () => {
    const { v, why, answered } = await runOnConsole('provider', '8-1-1,8-1-2,8-2-1,8-2-3');
    expect(v, JSON.stringify(why, null, 1)).toEqual({
      '8-1-1': 'OK',
      '8-1-2': 'OK',
      '8-2-1': 'OK',
      '8-2-3': 'OK',
    });
    expect(answered.every((a) => a.card.type === 'instruction')).toBe(true);
    expect(answered.length).toBeGreaterThan(6);
  });
});
