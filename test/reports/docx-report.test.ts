/**
 * The DOCX IWR results section: its result tables (read back from word/document.xml, unzipped
 * here with node:zlib) hold the mark of each cell in the column the header names, the same
 * columns as the Markdown report; hostile or control characters stay valid XML. With
 * LibreOffice, the document converts to PDF, and the PDF's words (pdftotext -bbox, when
 * poppler-utils is installed) put each "X" under the header of its column on every page.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../harness/runner/results.ts';
import type { Cell, Verdict } from '../../harness/runner/verdict.ts';
import { DOCX_MARK, docxRenderer, docxText, renderDocx } from '../../reports/docx-report.ts';
import { renderMarkdown } from '../../reports/markdown-report.ts';
import { buildReportModel, type ReportModel } from '../../reports/report-model.ts';
import { describeWithPeers, peer } from '../support/peers.ts';

const run = promisify(execFile);
const VERDICTS: Verdict[] = ['OK', 'NOK', 'N/A', 'ERROR'];
const HOSTILE = 'a <b> & "c" \u0001\u0007 ]]> </w:t>';

function cell(id: string, section: string, verdict: Verdict, comment = ''): Cell {
  return {
    id,
    section,
    title: `Title of ${id}`,
    verdict,
    comment,
    checks: [],
    evidence: {},
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 10,
  };
}

function model(cells: Cell[], steps = 2): ReportModel {
  const summary = { OK: 0, NOK: 0, 'N/A': 0, ERROR: 0, INCOMPLETE: 0, total: cells.length };
  for (const c of cells) summary[c.verdict]++;
  const results: ResultsFile = {
    run: {
      id: 'run-docx',
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:10:00.000Z',
      harnessVersion: 'test',
      profile: { name: 'embedded', file: 'p.yaml', method: 'embedded', tester: 'Tess Ter', description: '' },
      sbc: { kind: 'embedded', model: 'Ref SBC', firmware: '1.2' },
      pbx: { name: 'OXO Connect', release: 'R5' },
      provider: { name: 'Prov' },
      options: { quick: false, workers: 1, faults: [], interactive: false },
      host: { node: 'v20', platform: 'linux/x64' },
      actors: {},
    },
    summary,
    cells,
  };
  return buildReportModel({
    results,
    plan: cells.map((c) => ({
      id: c.id,
      section: c.section,
      title: c.title,
      steps: Array.from(
        { length: steps },
        (_, i) => `Step ${i + 1} of ${c.id}: the action and the expected result`,
      ),
    })),
    sections: {
      '8.2': { title: 'Codecs', objective: 'Codec objective' },
      '8.3': { title: 'Outgoing call', objective: 'Outgoing objective' },
    },
  });
}

/** The entries of a ZIP file (stored or deflated), from its central directory. */
function unzip(zip: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--)
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  expect(eocd).toBeGreaterThanOrEqual(0);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataAt, dataAt + size);
    out.set(name, method === 8 ? inflateRawSync(raw) : Buffer.from(raw));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}

/** Tables of document.xml as rows of cell texts. */
function docxTables(xml: string): string[][][] {
  return [...xml.matchAll(/<w:tbl>(.*?)<\/w:tbl>/gs)].map((t) =>
    [...(t[1] ?? '').matchAll(/<w:tr\b[^>]*>(.*?)<\/w:tr>/gs)].map((r) =>
      [...(r[1] ?? '').matchAll(/<w:tc>(.*?)<\/w:tc>/gs)].map((c) =>
        [...(c[1] ?? '').matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)]
          .map((x) => unescapeXml(x[1] ?? ''))
          .join(''),
      ),
    ),
  );
}

const RESULT_HEAD = ['Test Case Id', 'Test Case', 'N/A', 'OK', 'NOK', 'Comment'];

/** id → the column (by header) holding the mark, for every result table of the document. */
function docxMarks(docx: Buffer): Map<string, string | null> {
  const xml = unzip(docx).get('word/document.xml')?.toString('utf8') ?? '';
  const out = new Map<string, string | null>();
  for (const t of docxTables(xml)) {
    const [head, ...rows] = t;
    if (JSON.stringify(head) !== JSON.stringify(RESULT_HEAD)) continue;
    for (const r of rows) {
      const marked = r.flatMap((c, i) =>
        ['N/A', 'OK', 'NOK'].includes(head?.[i] ?? '') && c.trim() ? [head?.[i] ?? ''] : [],
      );
      expect(marked.length).toBeLessThanOrEqual(1);
      if (marked[0] !== undefined) expect(r[RESULT_HEAD.indexOf(marked[0])]).toBe(DOCX_MARK);
      out.set(r[0] ?? '', marked[0] ?? null);
    }
  }
  return out;
}

/** The same from the Markdown report. */
function markdownMarks(md: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  let head: string[] | undefined;
  for (const line of md.split('\n')) {
    if (!line.startsWith('|')) {
      head = undefined;
      continue;
    }
    const cols = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    if (!head) {
      head = cols;
      continue;
    }
    if (JSON.stringify(head) !== JSON.stringify(RESULT_HEAD) || cols[0]?.startsWith('---')) continue;
    const marked = cols.flatMap((c, i) =>
      ['N/A', 'OK', 'NOK'].includes(head?.[i] ?? '') && c ? [head?.[i] ?? ''] : [],
    );
    out.set(cols[0] ?? '', marked[0] ?? null);
  }
  return out;
}

const expectedMarks = (cells: Cell[]) =>
  Object.fromEntries(cells.map((c) => [c.id, c.verdict === 'ERROR' ? null : c.verdict]));

const MIXED = [
  cell('8-1-1', '8.2', 'OK'),
  cell('8-1-2', '8.2', 'NOK', `NOK because ${HOSTILE}\nsecond line`),
  cell('8-1-3', '8.2', 'N/A', 'no G.723 in the lab'),
  cell('8-2-1', '8.3', 'ERROR', 'harness timeout'),
  cell('8-2-2', '8.3', 'OK'),
];

describe('DOCX report', () => {
  it('marks each cell in its column, as results and the Markdown report do', async () => {
    const m = model(MIXED);
    const docx = await renderDocx(m);
    const marks = docxMarks(docx);
    expect(Object.fromEntries(marks)).toEqual(expectedMarks(MIXED));
    expect(Object.fromEntries(markdownMarks(renderMarkdown(m)))).toEqual(Object.fromEntries(marks));
  });

  it('carries the header block, the summary, problems, limitations, notes and objectives', async () => {
    const docx = (await docxRenderer.render(model(MIXED), { runDir: '.' })) as Buffer;
    const xml = unzip(docx).get('word/document.xml')?.toString('utf8') ?? '';
    const tables = docxTables(xml);
    const header = tables[0] ?? [];
    expect(header).toContainEqual(['SBC firmware', '1.2']);
    expect(header).toContainEqual(['Tester', 'Tess Ter']);
    const features = tables.find((t) => t[0]?.join('|') === 'Features|Results|Remarks');
    expect(features?.find((r) => r[0] === 'Outgoing call')?.[1]).toBe('partly');
    expect(features?.find((r) => r[0] === 'VoIP and RTP support')?.[1]).toBe('NOK');
    const problems = tables.find((t) => t[0]?.join('|') === 'Test Case Id|Test Case|Problem');
    expect(problems?.slice(1).map((r) => r[0])).toEqual(['8-1-2']);
    const text = unescapeXml(xml.replace(/<[^>]+>/g, ''));
    expect(text).toContain('6.3 Summary of limitations');
    expect(text).toContain('no G.723 in the lab (8-1-3)');
    expect(text).toContain('Codec objective');
    expect(text).toContain('ERROR (harness failure, neither OK nor NOK): harness timeout');
  });

  it('keeps hostile text and control characters valid XML', async () => {
    const xml =
      unzip(await renderDocx(model(MIXED)))
        .get('word/document.xml')
        ?.toString('utf8') ?? '';
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(xml).toContain('a &lt;b&gt; &amp;');
    expect(xml).not.toContain('<b>');
    expect(docxText('x\u0000y\ud800')).toBe('x\ufffdy\ufffd');
  });

  it('places random verdict mixes in the right columns', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...VERDICTS), { minLength: 1, maxLength: 12 }),
        async (vs) => {
          const cells = vs.map((v, i) => cell(`8-${i % 2 ? 2 : 1}-${i + 1}`, i % 2 ? '8.3' : '8.2', v));
          expect(Object.fromEntries(docxMarks(await renderDocx(model(cells, 1))))).toEqual(
            expectedMarks(cells),
          );
        },
      ),
      { numRuns: 15 },
    );
  });
});

describeWithPeers(['libreoffice', 'poppler'], 'DOCX report in LibreOffice', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('converts to PDF whose pages put each X under its column header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'docx-lo-'));
    dirs.push(dir);
    // Enough cases with enough steps for the result table to run over several pages.
    const cells = Array.from({ length: 36 }, (_, i) =>
      cell(
        `8-${i < 18 ? 1 : 2}-${i + 1}`,
        i < 18 ? '8.2' : '8.3',
        VERDICTS[(i * 7) % 4] as Verdict,
        i % 5 ? '' : HOSTILE,
      ),
    );
    const file = join(dir, 'report.docx');
    writeFileSync(file, await renderDocx(model(cells, 4)));
    const lo = peer('libreoffice').path ?? 'libreoffice';
    await run(
      lo,
      [
        `-env:UserInstallation=file://${join(dir, 'profile')}`,
        '--headless',
        '--convert-to',
        'pdf',
        '--outdir',
        dir,
        file,
      ],
      { timeout: 50_000, env: { ...process.env, HOME: dir } },
    );
    const pdfPath = join(dir, 'report.pdf');
    expect(existsSync(pdfPath)).toBe(true);
    const pdf = readFileSync(pdfPath);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page\b/g)?.length ?? 0;
    expect(pages).toBeGreaterThanOrEqual(3);

    const pdftotext = peer('poppler').path ?? 'pdftotext';
    const { stdout } = await run(pdftotext, ['-bbox', pdfPath, '-'], {
      timeout: 20_000,
      maxBuffer: 32 << 20,
    });
    const found = new Map<string, string | null>();
    const ids = new Set(cells.map((c) => c.id));
    for (const page of stdout.split('<page ').slice(1)) {
      const words = [
        ...page.matchAll(
          /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<\/word>/g,
        ),
      ].map((w) => ({
        x: (Number(w[1]) + Number(w[3])) / 2,
        left: Number(w[1]),
        y: Number(w[2]),
        text: unescapeXml(w[4] ?? ''),
      }));
      const heads = ['N/A', 'OK', 'NOK'].map((h) => ({
        h,
        w: words.find(
          (w) => w.text === h && words.some((o) => o.text === 'Comment' && Math.abs(o.y - w.y) < 3),
        ),
      }));
      const marks = words.filter((w) => w.text === DOCX_MARK);
      if (marks.length > 0)
        for (const { h, w } of heads)
          expect(w, `header "${h}" repeated on every page with marks`).toBeDefined();
      const leftmost = Math.min(...words.filter((w) => ids.has(w.text)).map((w) => w.left));
      for (const id of words.filter((w) => ids.has(w.text) && w.left < leftmost + 5)) {
        const x = marks.filter((m) => Math.abs(m.y - id.y) < 4);
        expect(x.length).toBeLessThanOrEqual(1);
        const col = x[0]
          ? heads.reduce((best, c) =>
              Math.abs((c.w?.x ?? 1e9) - x[0]!.x) < Math.abs((best.w?.x ?? 1e9) - x[0]!.x) ? c : best,
            ).h
          : null;
        if (!found.has(id.text) || col !== null) found.set(id.text, col);
      }
    }
    expect(Object.fromEntries(found)).toEqual(expectedMarks(cells));
  }, 60_000);
});
