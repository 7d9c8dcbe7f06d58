/**
 * The HTML evidence report of a real small run (the first cases of the plan, --quick, on the
 * embedded SBC) opened in Debian's Chromium: the result tables hold the marks of results.json
 * in the right columns, clicking a ladder arrow shows that message's full text as
 * cases/<id>.sip.json has it, the page fetches nothing and raises no script error, and a
 * screenshot is taken into the run folder.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import { buildResults, readJournal, runPlan } from '../../harness/runner/index.ts';
import type { ResultsFile } from '../../harness/runner/results.ts';
import type { SipEvidenceMessage } from '../../harness/runner/verdict.ts';
import { htmlRenderer } from '../../reports/html-report.ts';
import { buildReportModel } from '../../reports/report-model.ts';
import { PLAN, SECTIONS } from '../../scenarios/index.ts';
import { launchChromium, type TestBrowser } from '../support/browser.ts';
import { describeWithPeers } from '../support/peers.ts';

describeWithPeers(['chromium'], 'HTML report in Chromium', () => {
  let dir = '';
  let browser: TestBrowser | undefined;
  let results: ResultsFile;
  let reportPath = '';

  beforeAll(async () => {
    // In CI the run folder is kept under runs/ci-html-report (report.html and its screenshot) as
    // the artifact a person can open; elsewhere it is a temporary folder.
    if (process.env.CI === 'true') {
      dir = join(import.meta.dirname, '..', '..', 'runs', 'ci-html-report');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    } else dir = mkdtempSync(join(tmpdir(), 'html-browser-'));
    // The first two cases the lab can run as it is, whichever they are.
    const cases = PLAN.filter((c) => !c.needs || c.needs.length === 0).slice(0, 2);
    await runPlan({
      cases,
      profile: loadProfile(),
      profileFile: 'profiles/embedded.yaml',
      outDir: dir,
      harnessVersion: 'test',
      quick: true,
      workers: 1,
    });
    results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsFile;
    const j = readJournal(join(dir, 'journal.jsonl'));
    const model = buildReportModel({
      results: buildResults(
        j.entries,
        PLAN.map((c) => c.id),
      ),
      plan: PLAN,
      sections: SECTIONS,
      journalProblems: j.problems,
    });
    reportPath = join(dir, htmlRenderer.fileName);
    writeFileSync(reportPath, await htmlRenderer.render(model, { runDir: dir }));
    browser = await launchChromium();
  }, 50_000);

  afterAll(async () => {
    await browser?.close();
    // HTML_REPORT_KEEP=1 keeps the run folder (report.html, report-screenshot.png) to look at.
    if (dir && (process.env.HTML_REPORT_KEEP || process.env.CI === 'true'))
      process.stderr.write(`[html-browser] kept ${dir}\n`);
    else if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows each cell’s mark of results.json in its column, ladders that open messages, and fetches nothing', async () => {
    expect(results.cells.length).toBeGreaterThan(0);
    const page = await browser!.context.newPage();
    const errors: string[] = [];
    const fetched: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) fetched.push(r.url());
    });
    await page.goto(`file://${reportPath}`, { timeout: 20_000 });

    // Marks: read back from the rendered tables, column named by its header.
    const rows = await page.$$eval('table.results', (tables) =>
      tables.flatMap((t) => {
        const head = [...t.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? '');
        return [...t.querySelectorAll('tbody tr')].map((tr) => {
          const tds = [...tr.querySelectorAll('td')];
          const marked = tds.flatMap((td, i) =>
            ['N/A', 'OK', 'NOK'].includes(head[i] ?? '') && (td.textContent ?? '').trim() !== ''
              ? [head[i]]
              : [],
          );
          return { id: tds[0]?.textContent?.trim() ?? '', marked };
        });
      }),
    );
    const want = results.cells.map((c) => ({ id: c.id, marked: c.verdict === 'ERROR' ? [] : [c.verdict] }));
    expect(rows).toEqual(want);

    // A ladder arrow opens its message, as the run recorded it.
    const withSip = results.cells.find((c) => c.evidence.sipJson);
    expect(withSip, 'a real call case records its SIP messages').toBeDefined();
    const messages = JSON.parse(
      readFileSync(join(dir, withSip!.evidence.sipJson!), 'utf8'),
    ) as SipEvidenceMessage[];
    const section = page.locator(`section.evidence[data-case="${withSip!.id}"]`);
    const arrows = section.locator('svg.ladder g.msg');
    expect(await arrows.count()).toBe(Math.min(messages.length, 400));
    const k = Math.min(2, messages.length - 1);
    await arrows.nth(k).scrollIntoViewIfNeeded();
    await arrows.nth(k).click();
    const dialog = page.locator('#sip-dialog');
    await dialog.waitFor({ state: 'visible', timeout: 5000 });
    const shown = await page.locator('#sip-dialog-text').textContent();
    const expected = messages[k]!.text.replace(/\r\n?/g, '\n');
    expect(shown?.replace(/\r\n?/g, '\n')).toBe(expected);
    expect(await page.locator('#sip-dialog-title').textContent()).toContain(messages[k]!.src.address);
    const shot = join(dir, 'report-screenshot.png');
    await page.screenshot({ path: shot });
    await page.locator('#sip-dialog-close').click();
    await dialog.waitFor({ state: 'hidden', timeout: 5000 });

    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThan(100); // width from the IHDR chunk
    expect(statSync(shot).size).toBeGreaterThan(5000);
    expect(errors).toEqual([]);
    expect(fetched).toEqual([]);
    await page.close();
  }, 40_000);
});
