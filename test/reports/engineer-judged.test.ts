/**
 * The reports of an interactive run show which checks the engineer judged: a small plan with
 * instructions runs with scripted answers (one OK with a comment, one NOK with the engineer's
 * words), then `sbc-harness report`'s writer renders every format from the journal. Markdown,
 * HTML, DOCX and JUnit each carry "Judged by the engineer" with the check, the answer and the
 * comment; the JSON report carries `judgedByEngineer` on the row and `by: "engineer"` on the
 * check; a check the harness measured carries no such marker.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../harness/cli/report-command.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { type CaseDefinition, runPlan, ScriptedPrompter, testCase } from '../../harness/runner/index.ts';
import type { JsonReport } from '../../reports/index.ts';

const PLAN: CaseDefinition[] = [
  testCase({
    id: '8-3-2',
    section: '8.4',
    title: 'display, judged by the engineer',
    steps: ['answer', 'look at the display'],
    async run(ctx) {
      ctx.check.that('harness measured', true, { expected: 'x', observed: 'x' });
      await ctx.instruct('oxo', 'Answer on Premium Deskphone 1');
      await ctx.observe(
        'oxo',
        'display on Premium Deskphone 1',
        'Does the display show 040555001?',
        '040555001',
      );
    },
  }),
  testCase({
    id: '8-4-1',
    section: '8.5',
    title: 'music on hold, judged by ear',
    steps: ['hold', 'listen'],
    async run(ctx) {
      await ctx.observe('provider', 'music on hold at PSTN 1', 'Do you hear music on hold?', 'music');
    },
  }),
];

/** The text of word/document.xml of a DOCX (a ZIP: its central directory, stored or deflated). */
function documentXml(zip: Buffer): string {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  let at = zip.readUInt32LE(eocd + 16);
  for (let n = zip.readUInt16LE(eocd + 10); n > 0; n--) {
    const nameLen = zip.readUInt16LE(at + 28);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    if (name === 'word/document.xml') {
      const local = zip.readUInt32LE(at + 42);
      const from = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const raw = zip.subarray(from, from + zip.readUInt32LE(at + 20));
      return (zip.readUInt16LE(at + 10) === 8 ? inflateRawSync(raw) : raw).toString('utf8');
    }
    at += 46 + nameLen + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  throw new Error('no word/document.xml');
}

describe('reports of an interactive run', () => {
  let dir = '';
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engineer-reports-'));
    await runPlan({
      cases: PLAN,
      profile: loadProfile(),
      profileFile: 'profiles/embedded.yaml',
      outDir: dir,
      harnessVersion: 'test',
      quick: true,
      caseTimeoutMs: 10_000,
      prompter: new ScriptedPrompter(['ok', 'ok shows 040555001', 'nok only silence']),
    });
    const r = await writeReports({ runDir: dir });
    expect(r.errors).toEqual([]);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('Markdown: the row says what the engineer judged, with their words', () => {
    const md = read('report.md');
    // The row of the result table (a NOK cell's id also opens a row of 6.2, the problems).
    const row = md.split('\n').findLast((l) => l.startsWith('| 8-3-2 |')) ?? '';
    expect(row).toContain(
      '**Judged by the engineer:** display on Premium Deskphone 1: OK (“shows 040555001”).',
    );
    expect(row).not.toContain('harness measured');
    const nok = md.split('\n').findLast((l) => l.startsWith('| 8-4-1 |')) ?? '';
    expect(nok).toContain('**Judged by the engineer:** music on hold at PSTN 1: NOK (“only silence”).');
    expect(md).toMatch(/Checks judged by the engineer .*8-3-2 \(1\), 8-4-1 \(1\)/);
  });

  it('HTML: the row and the checks table mark the engineer’s checks', () => {
    const html = read('report.html');
    expect(html).toContain(
      '<div class="judged-by-engineer"><strong>Judged by the engineer:</strong> display on Premium Deskphone 1: OK (“shows 040555001”).</div>',
    );
    const rows = [...html.matchAll(/<tr class="[^"]*by-engineer"><td[^>]*>.<\/td><td>([^<]*)/g)].map(
      (m) => m[1],
    );
    expect(rows).toEqual(['display on Premium Deskphone 1', 'music on hold at PSTN 1']);
    expect(html).toContain('<strong>judged by the engineer</strong>: “only silence”');
  });

  it('DOCX: the comment cell carries the marker', () => {
    const xml = documentXml(readFileSync(join(dir, 'report.docx')));
    expect(xml).toContain('Judged by the engineer: ');
    expect(xml).toContain('music on hold at PSTN 1: NOK (“only silence”).');
  });

  it('JUnit: a property per judged check, and the failure names who judged it', () => {
    const xml = read('junit.xml');
    expect(xml).toContain(
      '<property name="judgedByEngineer" value="display on Premium Deskphone 1: OK (“shows 040555001”)"/>',
    );
    expect(xml).toMatch(/<failure [^>]*>music on hold at PSTN 1 \(judged by the engineer\): expected music/);
  });

  it('JSON: judgedByEngineer on the row, by and comment on the check', () => {
    const doc = JSON.parse(read('report.json')) as JsonReport;
    const rows = doc.model.sections.flatMap((s) => s.rows);
    expect(rows.find((r) => r.id === '8-3-2')?.judgedByEngineer).toEqual([
      { check: 'display on Premium Deskphone 1', result: 'OK', comment: 'shows 040555001' },
    ]);
    expect(rows.find((r) => r.id === '8-4-1')?.judgedByEngineer).toEqual([
      { check: 'music on hold at PSTN 1', result: 'NOK', comment: 'only silence' },
    ]);
    const checks = doc.results.cells.find((c) => c.id === '8-3-2')?.checks ?? [];
    expect(checks.find((c) => c.name === 'harness measured')?.by).toBeUndefined();
    expect(checks.find((c) => c.name === 'display on Premium Deskphone 1')).toMatchObject({
      by: 'engineer',
      comment: 'shows 040555001',
    });
  });
});
