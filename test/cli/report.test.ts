/**
 * Reports of real runs on the embedded SBC (a small --only subset, --quick): `run` writes the
 * Markdown, JUnit and JSON reports, and they hold every cell of results.json in the right
 * column with its comment; a run with an SBC fault switched on puts its NOK cells in the
 * summary of problems and makes their features NOK; `diff` against the clean run lists exactly
 * the cells whose verdict changed (computed from the two results.json) and exits 1 on a
 * regression; `report --baseline` marks the changed cells in every format; bad input exits 2.
 */
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../harness/cli/main.ts';
import { diffCommand, loadRun, reportCommand } from '../../harness/cli/report-command.ts';
import { runCommand } from '../../harness/cli/run-command.ts';
import type { ResultsFile } from '../../harness/runner/results.ts';
import type { Cell } from '../../harness/runner/verdict.ts';
import { FEATURES, idMatches, isRegression, type JsonReport } from '../../reports/index.ts';

/** A DTMF case the double-dtmf fault breaks, one it cannot touch (no DTMF), and an N/A one. */
const ONLY = '8-1-1,8-2-1,8-2-2';
const FAULT = 'double-dtmf';

const root = mkdtempSync(join(tmpdir(), 'report-cli-'));
const clean = join(root, 'clean');
const faulty = join(root, 'faulty');
const sink = { out: '', err: '' };
const out = (s: string) => {
  sink.out += s;
};
const err = (s: string) => {
  sink.err += s;
};

const readResults = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsFile;

/** Splits a Markdown table row on unescaped pipes. */
function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === '\\') {
      cur += ch + (line[i + 1] ?? '');
      i++;
    } else if (ch === '|') {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  cells.push(cur);
  return cells.slice(1, -1).map((c) => c.trim());
}

const unescapeCell = (s: string) =>
  s
    .replace(/<br>/g, '\n')
    .replace(/\\(.)/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Rows of the Markdown tables with `width` columns, keyed by their first cell. */
function mdRows(md: string, width: number): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of md.split('\n'))
    if (line.startsWith('| ')) {
      const cells = splitRow(line);
      if (cells.length === width) rows.set(unescapeCell(cells[0] as string), cells);
    }
  return rows;
}

/** Checks that report.md holds every cell in its verdict's column with its comment. */
function expectMarkdownMatches(md: string, cells: readonly Cell[]): void {
  const rows = mdRows(md, 6);
  for (const c of cells) {
    const row = rows.get(c.id);
    expect(row, `row of ${c.id}`).toBeDefined();
    const marks = { 'N/A': row?.[2], OK: row?.[3], NOK: row?.[4] };
    for (const [v, m] of Object.entries(marks))
      expect(m, `${c.id} column ${v}`).toBe(c.verdict === v ? '✔' : '');
    expect(unescapeCell(row?.[5] ?? '')).toContain(c.comment.trim());
  }
}

/** The testcase elements of junit.xml: name → the element's text. */
function junitCases(xml: string): Map<string, string> {
  const cases = new Map<string, string>();
  for (const m of xml.matchAll(/<testcase name="([^"]*)"[\s\S]*?<\/testcase>/g))
    cases.set((m[1] as string).split(' ')[0] as string, m[0]);
  return cases;
}

beforeAll(async () => {
  const a = await runCommand({ out: clean, only: ONLY, quick: true }, out);
  const b = await runCommand({ out: faulty, only: ONLY, quick: true, sbcFault: [FAULT] }, out);
  expect([a, b].every((code) => code === 0 || code === 1)).toBe(true);
}, 120_000);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('reports of real runs on the embedded SBC', () => {
  it('run writes the Markdown, JUnit and JSON reports, matching results.json cell by cell', () => {
    for (const dir of [clean, faulty]) {
      const results = readResults(dir);
      expect(results.cells.length).toBeGreaterThan(0);
      for (const f of ['report.md', 'junit.xml', 'report.json'])
        expect(existsSync(join(dir, f)), f).toBe(true);
      expectMarkdownMatches(readFileSync(join(dir, 'report.md'), 'utf8'), results.cells);

      const cases = junitCases(readFileSync(join(dir, 'junit.xml'), 'utf8'));
      expect([...cases.keys()].sort()).toEqual(results.cells.map((c) => c.id).sort());
      for (const c of results.cells) {
        const el = cases.get(c.id) as string;
        expect(el.includes('<failure '), `${c.id} failure`).toBe(c.verdict === 'NOK');
        expect(el.includes('<skipped '), `${c.id} skipped`).toBe(c.verdict === 'N/A');
        expect(el.includes('<error '), `${c.id} error`).toBe(c.verdict === 'ERROR');
        expect(el).toContain(`time="${(c.durationMs / 1000).toFixed(3)}"`);
      }

      // report.json carries the results exactly: both are functions of the journal alone.
      const doc = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as JsonReport;
      expect(doc.results).toEqual(results);
      expect(doc.model.summary).toEqual(results.summary);
      const rows = doc.model.sections.flatMap((s) => s.rows);
      expect(rows.map((r) => [r.id, r.verdict, r.comment])).toEqual(
        results.cells.map((c) => [c.id, c.verdict, c.comment]),
      );
    }
  });

  it('a run with an SBC fault has NOK cells in the summary of problems, and their features NOK', () => {
    const results = readResults(faulty);
    const nok = results.cells.filter((c) => c.verdict === 'NOK');
    expect(nok.length, `${FAULT} should turn a cell of ${ONLY} NOK`).toBeGreaterThan(0);
    const md = readFileSync(join(faulty, 'report.md'), 'utf8');
    const problems = mdRows(md.slice(md.indexOf('### 6.2'), md.indexOf('### 6.3')), 3);
    expect([...problems.keys()].filter((k) => k !== 'Test Case Id').sort()).toEqual(
      nok.map((c) => c.id).sort(),
    );
    for (const c of nok) expect(unescapeCell(problems.get(c.id)?.[2] ?? '')).toBe(c.comment.trim());
    const features = mdRows(md.slice(md.indexOf('### 6.1'), md.indexOf('### 6.2')), 3);
    for (const f of FEATURES) {
      const mine = results.cells.filter((c) => f.cases.some((p) => idMatches(c.id, p)));
      const result = features.get(f.feature)?.[1];
      if (mine.some((c) => c.verdict === 'NOK')) expect(result, f.feature).toBe('NOK');
      else if (mine.length === 0) expect(result, f.feature).toBe('not tested');
      else expect(result, f.feature).not.toBe('NOK');
    }
    expect(md).toContain(`SBC faults switched on deliberately: ${FAULT}`);
  });

  it('diff lists exactly the cells whose verdict changed, regressions first, and exits 1 on a regression', async () => {
    const a = readResults(clean);
    const b = readResults(faulty);
    const before = new Map(a.cells.map((c) => [c.id, c.verdict]));
    const changed = b.cells.filter((c) => before.get(c.id) !== c.verdict);
    const unchanged = b.cells.filter((c) => before.get(c.id) === c.verdict);
    expect(changed.length, 'the fault changed at least one cell').toBeGreaterThan(0);
    const regressed = changed.filter((c) => isRegression(before.get(c.id), c.verdict));

    sink.out = '';
    const code = diffCommand(clean, faulty, out, err);
    expect(code).toBe(regressed.length > 0 ? 1 : 0);
    const listed = sink.out
      .split('\n')
      .filter((l) => /^ {2}(REGRESSION|changed|added|removed) /.test(l))
      .map((l) => l.trim().split(/\s+/)[1]);
    expect([...listed].sort()).toEqual(changed.map((c) => c.id).sort());
    expect(listed.slice(0, regressed.length).sort()).toEqual(regressed.map((c) => c.id).sort());
    for (const c of unchanged) expect(listed).not.toContain(c.id);
    // The same through the command line; the clean run compared with itself is no regression.
    expect(await main(['node', 'sbc-harness', 'diff', clean, clean])).toBe(0);
    expect(await main(['node', 'sbc-harness', 'diff', clean, faulty])).toBe(code);
  });

  it('report --baseline marks the changed cells in every format', async () => {
    const a = readResults(clean);
    const b = readResults(faulty);
    const before = new Map(a.cells.map((c) => [c.id, c.verdict]));
    sink.out = '';
    expect(await reportCommand(faulty, { baseline: clean, format: 'md,junit,json' }, out, err)).toBe(0);
    expect(sink.out.trim().split('\n')).toEqual(
      ['report.md', 'junit.xml', 'report.json'].map((f) => join(faulty, f)),
    );
    const md = mdRows(readFileSync(join(faulty, 'report.md'), 'utf8'), 6);
    const junit = junitCases(readFileSync(join(faulty, 'junit.xml'), 'utf8'));
    const doc = JSON.parse(readFileSync(join(faulty, 'report.json'), 'utf8')) as JsonReport;
    const rows = new Map(doc.model.sections.flatMap((s) => s.rows).map((r) => [r.id, r]));
    for (const c of b.cells) {
      const was = before.get(c.id);
      if (was !== c.verdict) {
        expect(md.get(c.id)?.[5], c.id).toContain(`was ${was}`);
        expect(junit.get(c.id), c.id).toContain(`name="baseline" value="was ${was}`);
        expect(rows.get(c.id)?.was).toBe(was);
      } else {
        expect(md.get(c.id)?.[5], c.id).not.toMatch(/was (OK|NOK|N\/A|ERROR)/);
        expect(junit.get(c.id), c.id).not.toContain('name="baseline"');
        expect(rows.get(c.id)?.was).toBeUndefined();
      }
    }
    expect(doc.model.baseline?.runId).toBe(a.run.id);
  });

  it('writes the reports from the journal alone, noting damaged lines, printing them and exiting 1', async () => {
    const copy = join(root, 'copy');
    cpSync(clean, copy, { recursive: true });
    rmSync(join(copy, 'results.json'));
    appendFileSync(join(copy, 'journal.jsonl'), '{"type":"cell"}\n{"type":"cell","cell":{"id":"8-1\n');
    sink.err = '';
    // Written from what could be read, and said so: the repairs on stderr, exit 1 (issue 15).
    expect(await reportCommand(copy, { format: 'json,md' }, out, err)).toBe(1);
    expect(sink.err).toMatch(/damaged journal: line \d+ is not a journal entry/);
    expect(sink.err).toMatch(/damaged journal: entry \d+ is a cell without an id, left out/);
    const doc = JSON.parse(readFileSync(join(copy, 'report.json'), 'utf8')) as JsonReport;
    expect(doc.results.cells).toEqual(readResults(clean).cells);
    expect(doc.model.notes.some((n) => /Journal: line \d+ is not a journal entry/.test(n))).toBe(true);
    expect(readFileSync(join(copy, 'report.md'), 'utf8')).toMatch(/Journal: line \d+ is not a journal entry/);
    const loaded = loadRun(copy);
    expect(loaded.ok && loaded.problems.length).toBe(2);
    expect(doc.model.notes.some((n) => /a cell without an id, left out/.test(n))).toBe(true);
  });

  it('exits 2 with a clear message on a missing journal or an unknown format', async () => {
    const missing = join(root, 'nothing-here');
    sink.err = '';
    expect(diffCommand(missing, clean, out, err)).toBe(2);
    expect(sink.err).toContain(missing);
    sink.err = '';
    expect(await reportCommand(clean, { baseline: missing }, out, err)).toBe(2);
    expect(sink.err).toMatch(/baseline: .*nothing-here/);
    sink.err = '';
    expect(await reportCommand(root, {}, out, err)).toBe(2);
    expect(sink.err).toMatch(/journal\.jsonl does not exist/);
    sink.err = '';
    expect(await reportCommand(clean, { format: 'md,pdf' }, out, err)).toBe(2);
    expect(sink.err).toMatch(/unknown format "pdf"/);
    expect(await main(['node', 'sbc-harness', 'diff', missing, clean])).toBe(2);
  });
});
