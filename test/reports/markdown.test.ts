/**
 * The report model and the Markdown IWR results part, from hand-made results: each feature of
 * the section-6 summary derived from its cells (NOK wins, all N/A is N/A, ERROR distinct, no
 * cell is "not tested"), problems from NOK cells, limitations deduplicated, notes, per-section
 * tables with the mark in the verdict's column (read back from the Markdown), comments escaped
 * so any text survives a table cell, unknown cases kept, baseline markers; damaged results (a
 * hand-edited journal) repaired and noted, never thrown on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../harness/runner/results.ts';
import type { Cell, Verdict } from '../../harness/runner/verdict.ts';
import {
  buildReportModel,
  FEATURES,
  idMatches,
  MD_MARK,
  mdCell,
  normaliseResults,
  type PlanCase,
  renderJson,
  renderJunit,
  renderMarkdown,
} from '../../reports/index.ts';

const VERDICTS: Verdict[] = ['OK', 'NOK', 'N/A', 'ERROR'];

function cell(id: string, section: string, verdict: Verdict, comment = ''): Cell {
  return {
    id,
    section,
    title: `title of ${id}`,
    verdict,
    comment,
    checks: [],
    evidence: {},
    startedAt: '2026-01-02T03:04:05.000Z',
    durationMs: 1234,
  };
}

function results(cells: Cell[], options: Partial<ResultsFile['run']['options']> = {}): ResultsFile {
  const summary = { OK: 0, NOK: 0, 'N/A': 0, ERROR: 0, INCOMPLETE: 0, total: cells.length };
  for (const c of cells) summary[c.verdict]++;
  return {
    run: {
      id: 'run-test',
      startedAt: '2026-01-02T03:04:05.000Z',
      endedAt: '2026-01-02T03:05:05.000Z',
      harnessVersion: '9.9.9',
      profile: { name: 'lab-x', file: 'x.yaml', method: 'on-site', tester: 'A. Tester', description: 'd' },
      sbc: { kind: 'external', model: 'Box 1000', firmware: 'fw 1.2' },
      pbx: { name: 'OXO Connect', release: 'R5.0' },
      provider: { name: 'Telco' },
      options: { quick: false, workers: 1, faults: [], interactive: false, ...options },
      host: { node: 'v20', platform: 'linux/x64' },
      actors: {},
    },
    summary,
    cells,
  };
}

const PLAN: PlanCase[] = [
  { id: '8-1-1', section: '8.2', title: 'Codec', steps: ['Call from PSTN', 'Expected: audio good'] },
  { id: '8-2-1', section: '8.3', title: 'Outgoing 1', steps: ['Dial out'] },
  { id: '8-2-2', section: '8.3', title: 'Outgoing 2', steps: ['Dial out with INFO'] },
  { id: '8-2-4', section: '8.3', title: 'Outgoing VPN', steps: ['Dial out from VPN'] },
  { id: '8-3-1', section: '8.4', title: 'Incoming', steps: ['Dial in'] },
  { id: 'T-2', section: '6.1', title: 'Registration', steps: ['Register'] },
];
const SECTIONS = {
  '8.2': { title: 'eSBC Tests: codecs', objective: 'Codecs | in order' },
  '8.3': { title: 'Outgoing call', objective: 'Calls out' },
  '8.4': { title: 'Incoming call', objective: 'Calls in' },
  '6.1': { title: 'Trunk features', objective: 'Trunk' },
};

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

/** Inverse of mdCell. */
function unescapeCell(s: string): string {
  return s
    .replace(/<br>/g, '\n')
    .replace(/\\(.)/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Result rows (6 columns, id first) of every "Test Results" table, by id. */
function resultRows(md: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of md.split('\n')) {
    if (!line.startsWith('| ')) continue;
    const cells = splitRow(line);
    if (cells.length === 6 && cells[0] !== 'Test Case Id') rows.set(unescapeCell(cells[0] as string), cells);
  }
  return rows;
}

/** The section-6 summary rows (Features | Results | Remarks), by feature. */
function featureRows(md: string): Map<string, string[]> {
  const part = md.slice(md.indexOf('### 6.1'), md.indexOf('### 6.2'));
  const rows = new Map<string, string[]>();
  for (const line of part.split('\n'))
    if (line.startsWith('| ')) {
      const cells = splitRow(line);
      rows.set(cells[0] as string, cells);
    }
  return rows;
}

describe('report model', () => {
  const cells = [
    cell('8-1-1', '8.2', 'OK', 'Codecs: G722'),
    cell('8-2-1', '8.3', 'NOK', 'No DTMF | digit reached the IVR'),
    cell('8-2-2', '8.3', 'N/A', 'OXO does not support SIP INFO'),
    cell('8-2-4', '8.3', 'N/A', 'OXO does not support SIP INFO'),
    cell('8-3-1', '8.4', 'ERROR', 'Harness error: boom'),
    cell('9-9-9', '8.9', 'OK', 'an old case'),
  ];
  const model = buildReportModel({
    results: results(cells, { quick: true, faults: ['one-way-audio'], only: '8-*' }),
    plan: PLAN,
    sections: SECTIONS,
    journalProblems: ['line 7 is not a journal entry (garbage)'],
  });
  const feature = (name: string) => model.features.find((f) => f.feature === name);

  it('derives each summary feature from its cells', () => {
    expect(feature('VoIP and RTP support')).toMatchObject({ result: 'OK', cases: ['8-1-1'] });
    // One NOK makes the feature NOK; its remark names the cell and the reason.
    expect(feature('Outgoing call')?.result).toBe('NOK');
    expect(feature('Outgoing call')?.cases).toEqual(['8-2-1', '8-2-2', '8-2-4']);
    expect(feature('Outgoing call')?.remark).toMatch(/8-2-1 NOK: No DTMF/);
    expect(feature('Outgoing call')?.remark).toMatch(/8-2-2, 8-2-4 N\/A: OXO does not support SIP INFO/);
    // Every cell N/A: N/A.
    expect(feature('Remote homeworker VPN')?.result).toBe('N/A');
    // Only an ERROR: shown as ERROR, not OK or NOK.
    expect(feature('Incoming call')?.result).toBe('ERROR');
    expect(feature('Incoming call')?.remark).toMatch(/8-3-1 ERROR/);
    // No cell in the run.
    expect(feature('Fax T38')).toMatchObject({ result: 'not tested', cases: [] });
    expect(model.features.map((f) => f.feature)).toEqual(FEATURES.map((f) => f.feature));
  });

  it('lists NOK cells as problems, N/A reasons once each as limitations, and the run in the notes', () => {
    expect(model.problems).toEqual([
      { id: '8-2-1', section: '8.3', title: 'title of 8-2-1', comment: 'No DTMF | digit reached the IVR' },
    ]);
    expect(model.limitations).toEqual([
      { reason: 'OXO does not support SIP INFO', cases: ['8-2-2', '8-2-4'] },
    ]);
    const notes = model.notes.join('\n');
    expect(notes).toMatch(/sbc-harness 9\.9\.9/);
    expect(notes).toMatch(/--quick/);
    expect(notes).toMatch(/one-way-audio/);
    expect(notes).toMatch(/Only the cases matching "8-\*"/);
    expect(notes).toMatch(/Harness failures \(ERROR.*8-3-1/);
    expect(notes).toMatch(/no longer has: 9-9-9/);
    expect(notes).toMatch(/line 7 is not a journal entry/);
    expect(notes).not.toMatch(/resumed/);
  });

  it('keeps plan order of sections, the header from the run, and unknown cases under their own section', () => {
    expect(model.sections.map((s) => s.id)).toEqual(['8.2', '8.3', '8.4', '8.9']);
    expect(model.sections[0]).toMatchObject({ title: 'eSBC Tests: codecs', objective: 'Codecs | in order' });
    const old = model.sections[3]?.rows[0];
    expect(old).toMatchObject({ id: '9-9-9', inPlan: false, steps: [], mark: 'OK' });
    expect(model.sections[1]?.rows.map((r) => r.mark)).toEqual(['NOK', 'N/A', 'N/A']);
    expect(model.sections[2]?.rows[0]).toMatchObject({ verdict: 'ERROR', mark: null });
    expect(model.header).toMatchObject({
      method: 'on site',
      tester: 'A. Tester',
      sbc: { model: 'Box 1000', firmware: 'fw 1.2' },
      pbx: { name: 'OXO Connect', release: 'R5.0' },
      provider: 'Telco',
      harnessVersion: '9.9.9',
      date: '2026-01-02',
    });
  });

  it('is OK when some cells are N/A and the rest OK; partly when OK cells sit beside ERROR cells', () => {
    const m = buildReportModel({
      results: results([
        cell('8-2-1', '8.3', 'OK'),
        cell('8-2-2', '8.3', 'N/A', 'no INFO'),
        cell('8-3-1', '8.4', 'OK'),
        cell('8-3-2', '8.4', 'ERROR', 'Harness error: x'),
        cell('T-2', '6.1', 'NOK', 'no binding'),
        cell('T-3', '6.1', 'ERROR', 'Harness error: y'),
      ]),
      plan: PLAN,
      sections: SECTIONS,
    });
    const result = (name: string) => m.features.find((f) => f.feature === name)?.result;
    expect(result('Outgoing call')).toBe('OK');
    expect(result('Incoming call')).toBe('partly');
    expect(result('SIP registration')).toBe('NOK');
  });

  it('matches case id patterns as --only does', () => {
    expect(idMatches('8-2-7', '8-2-*')).toBe(true);
    expect(idMatches('8-22-7', '8-2-*')).toBe(false);
    expect(idMatches('T-10', 'T-1')).toBe(false);
  });
});

describe('Markdown report', () => {
  it('puts the mark in the verdict column of every cell, with comments carried over', () => {
    const cells = VERDICTS.map((v, i) => cell(`8-2-${i + 1}`, '8.3', v, `comment ${i} for ${v}`));
    const md = renderMarkdown(buildReportModel({ results: results(cells), plan: PLAN, sections: SECTIONS }));
    const rows = resultRows(md);
    expect(rows.size).toBe(cells.length);
    const column = { 'N/A': 2, OK: 3, NOK: 4 } as const;
    for (const c of cells) {
      const row = rows.get(c.id) as string[];
      for (const [v, col] of Object.entries(column))
        expect(row[col], `${c.id} ${v} column`).toBe(c.verdict === v ? MD_MARK : '');
      expect(unescapeCell(row[5] as string)).toContain(c.comment);
      if (c.verdict === 'ERROR') expect(row[5]).toMatch(/^\*\*ERROR\*\*/);
    }
    // Steps of the plan under the title; the header block and the summaries are there.
    expect(rows.get('8-2-1')?.[1]).toContain('• Dial out');
    expect(md).toMatch(/\| Tester \| A\. Tester \|/);
    expect(md).toMatch(/\| SBC firmware \| fw 1\.2 \|/);
    expect(md).toMatch(/#### Test Objectives\n\nCalls out/);
    expect(featureRows(md).get('Outgoing call')?.[1]).toBe('NOK');
    expect(md.slice(md.indexOf('### 6.2'), md.indexOf('### 6.3'))).toContain('comment 1 for NOK');
    expect(md.slice(md.indexOf('### 6.3'), md.indexOf('### 6.4'))).toContain('comment 2 for N/A (8-2-3)');
  });

  it('says so when there are no problems and no limitations', () => {
    const md = renderMarkdown(
      buildReportModel({ results: results([cell('8-1-1', '8.2', 'OK')]), plan: PLAN, sections: SECTIONS }),
    );
    expect(md).toMatch(/No problems were observed/);
    expect(md).toMatch(/No limitations/);
  });

  it('escapes any comment so it stays inside its table cell and reads back unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => {
        const escaped = mdCell(text);
        expect(escaped).not.toMatch(/[\r\n]/);
        expect(splitRow(`| ${escaped} | x |`)).toHaveLength(2);
        expect(unescapeCell(escaped)).toBe(text.replace(/\r\n?/g, '\n').trim());
      }),
      { numRuns: 300 },
    );
    const tricky = 'a | b\nsecond line <script> & `code` *bold* [link] back\\slash';
    const md = renderMarkdown(
      buildReportModel({
        results: results([cell('8-2-1', '8.3', 'NOK', tricky)]),
        plan: PLAN,
        sections: SECTIONS,
      }),
    );
    expect(unescapeCell(resultRows(md).get('8-2-1')?.[5] as string)).toBe(tricky);
  });

  it('places random verdicts in the right column for any mix of cells', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            n: fc.integer({ min: 1, max: 40 }),
            verdict: fc.constantFrom(...VERDICTS),
            comment: fc.string({ maxLength: 20 }),
          }),
          { selector: (r) => r.n, maxLength: 12 },
        ),
        (specs) => {
          const cells = specs.map((s) =>
            cell(`8-${1 + (s.n % 4)}-${s.n}`, `8.${2 + (s.n % 4)}`, s.verdict, s.comment),
          );
          const model = buildReportModel({ results: results(cells), plan: PLAN, sections: SECTIONS });
          const rows = resultRows(renderMarkdown(model));
          expect(rows.size).toBe(cells.length);
          for (const c of cells) {
            const row = rows.get(c.id) as string[];
            const marked = [2, 3, 4].filter((i) => row[i] === MD_MARK);
            expect(marked).toEqual(
              c.verdict === 'ERROR' || c.verdict === 'INCOMPLETE'
                ? []
                : [{ 'N/A': 2, OK: 3, NOK: 4 }[c.verdict]],
            );
          }
          expect(model.problems.map((p) => p.id).sort()).toEqual(
            cells
              .filter((c) => c.verdict === 'NOK')
              .map((c) => c.id)
              .sort(),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('marks cells whose verdict changed since the baseline, regressions first in the changes list', () => {
    const before = results([
      cell('8-1-1', '8.2', 'OK'),
      cell('8-2-1', '8.3', 'NOK'),
      cell('8-2-2', '8.3', 'N/A'),
      cell('8-3-1', '8.4', 'OK'),
    ]);
    const after = results([
      cell('8-1-1', '8.2', 'OK'),
      cell('8-2-1', '8.3', 'OK'),
      cell('8-2-2', '8.3', 'NOK', 'broke'),
      cell('T-2', '6.1', 'OK'),
    ]);
    after.run.id = 'run-after';
    before.run.id = 'run-before';
    const model = buildReportModel({ results: after, plan: PLAN, sections: SECTIONS, baseline: before });
    expect(model.baseline).toEqual({ runId: 'run-before', changed: 3, regressions: 1, removed: ['8-3-1'] });
    const md = renderMarkdown(model);
    const rows = resultRows(md);
    expect(rows.get('8-2-2')?.[5]).toMatch(/^\*\*was N\/A, regression\*\* broke/);
    expect(rows.get('8-2-1')?.[5]).toMatch(/^\*\*was NOK\*\*/);
    expect(rows.get('T-2')?.[5]).toMatch(/^\*\*new\*\*/);
    expect(rows.get('8-1-1')?.[5]).toBe('');
    const changes = md.slice(md.indexOf('### Changes since run run-before'), md.indexOf('## 8 '));
    const lines = changes.split('\n').filter((l) => l.startsWith('- '));
    expect(lines).toEqual([
      '- **regression** 8-2-2: N/A → NOK',
      '- 8-2-1: NOK → OK',
      '- T-2: new → OK',
      '- 8-3-1: not in this run',
    ]);
  });
});

describe('damaged results', () => {
  it('repairs cells with missing fields or unknown verdicts, and notes each repair', () => {
    const good = cell('8-1-1', '8.2', 'OK', 'fine');
    const r = results([good]);
    (r.cells as unknown[]).push(
      { id: '8-2-1', verdict: 'PASS' },
      { id: '8-2-2', verdict: 'NOK', section: '8.3' },
      { verdict: 'OK' },
      null,
    );
    const fixed = normaliseResults(r);
    expect(fixed.results.cells[0]).toBe(good);
    expect(fixed.results.cells.map((c) => [c.id, c.verdict])).toEqual([
      ['8-1-1', 'OK'],
      ['8-2-1', 'ERROR'],
      ['8-2-2', 'NOK'],
    ]);
    expect(fixed.results.summary).toMatchObject({ OK: 1, NOK: 1, ERROR: 1, total: 3 });
    expect(fixed.problems).toHaveLength(4);
    const model = buildReportModel({ results: r, plan: PLAN, sections: SECTIONS });
    expect(model.notes.join('\n')).toMatch(/cell 8-2-1 is incomplete \(verdict "PASS" read as ERROR\)/);
    const rows = resultRows(renderMarkdown(model));
    expect(rows.get('8-2-1')?.[5]).toMatch(/ERROR/);
    expect(rows.get('8-2-2')?.[4]).toBe(MD_MARK);
    // A valid run passes through unchanged.
    const clean = results([good]);
    expect(normaliseResults(clean)).toEqual({ results: clean, problems: [] });
  });

  it('never throws on arbitrary JSON in place of the run and the cells', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), fc.array(fc.anything(), { maxLength: 5 }), async (run, cells) => {
        const r = { run, summary: {}, cells } as unknown as ResultsFile;
        const model = buildReportModel({ results: r, plan: PLAN, sections: SECTIONS, baseline: r });
        expect(typeof renderMarkdown(model)).toBe('string');
        expect(renderJunit(model)).toMatch(/^<\?xml/);
        expect(JSON.parse(renderJson(model)).format).toBe('sbc-harness-report');
      }),
      { numRuns: 150 },
    );
  });
});
