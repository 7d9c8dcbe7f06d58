/**
 * The IWR results part as a Word document (IWRs are Word documents), through the `docx`
 * package: the header block, section 6 (summary of test results, problems, limitations,
 * notes) and the per-section result tables of section 8 — Test Case Id | Test Case | N/A | OK |
 * NOK | Comment — with "X" in the verdict's column. ERROR and INCOMPLETE cells have no mark and say so in
 * the comment; with a baseline, changed cells say "was OK" (or "new").
 */
import {
  AlignmentType,
  BorderStyle,
  Document,
  HeadingLevel,
  Packer,
  Paragraph,
  ShadingType,
  Table,
  TableCell,
  TableLayoutType,
  TableRow,
  TextRun,
  WidthType,
} from 'docx';
import type { RenderContext, ReportRenderer } from './renderer.ts';
import {
  ENGINEER_LABEL,
  engineerList,
  isRegression,
  type ReportModel,
  type ReportRow,
  wasLabel,
} from './report-model.ts';

/** The mark put in a verdict's column, as the IWR's tables have it. */
export const DOCX_MARK = 'X';

/** Column widths of the result tables (twentieths of a point; A4 with 2 cm margins holds 9638). */
export const RESULT_COLUMNS: readonly number[] = [1050, 3950, 620, 620, 620, 2760];

const PAGE_WIDTH = 9638;
const FONT = 'Arial';

/**
 * Text made safe for WordprocessingML: characters XML 1.0 forbids (control characters a SIP
 * message or a damaged journal may carry, lone surrogates) become U+FFFD.
 */
export function docxText(value: unknown): string {
  const s = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function run(
  text: string,
  o: { bold?: boolean; italics?: boolean; size?: number; color?: string } = {},
): TextRun {
  return new TextRun({
    text: docxText(text),
    font: FONT,
    size: o.size ?? 18,
    bold: o.bold,
    italics: o.italics,
    color: o.color,
  });
}

function para(
  children: TextRun[] | string,
  o: { align?: 'center'; spacingAfter?: number; spacingBefore?: number } = {},
): Paragraph {
  return new Paragraph({
    children: typeof children === 'string' ? [run(children)] : children,
    alignment: o.align === 'center' ? AlignmentType.CENTER : undefined,
    spacing: { after: o.spacingAfter ?? 0, before: o.spacingBefore ?? 0 },
  });
}

/** Several lines of a cell (a comment with line breaks) as paragraphs. */
function lines(text: string, o: { bold?: boolean } = {}): Paragraph[] {
  const parts = docxText(text).replace(/\r\n?/g, '\n').split('\n');
  return parts.map((p) => para([run(p, o)]));
}

function heading(text: string, level: 1 | 2 | 3): Paragraph {
  const h = { 1: HeadingLevel.HEADING_1, 2: HeadingLevel.HEADING_2, 3: HeadingLevel.HEADING_3 }[level];
  const size = { 1: 30, 2: 25, 3: 21 }[level];
  return new Paragraph({
    heading: h,
    children: [new TextRun({ text: docxText(text), font: FONT, bold: true, size, color: '000000' })],
    spacing: { before: level === 1 ? 360 : 240, after: 120 },
    keepNext: true,
  });
}

const BORDER = { style: BorderStyle.SINGLE, size: 4, color: '808080' };
const BORDERS = { top: BORDER, bottom: BORDER, left: BORDER, right: BORDER };

function cell(children: Paragraph[], width: number, o: { header?: boolean } = {}): TableCell {
  return new TableCell({
    children: children.length > 0 ? children : [para('')],
    width: { size: width, type: WidthType.DXA },
    borders: BORDERS,
    margins: { top: 40, bottom: 40, left: 80, right: 80 },
    shading: o.header ? { type: ShadingType.CLEAR, color: 'auto', fill: 'D9E2F3' } : undefined,
  });
}

function table(head: string[], rows: Paragraph[][][], widths: readonly number[]): Table {
  return new Table({
    width: { size: widths.reduce((a, b) => a + b, 0), type: WidthType.DXA },
    columnWidths: [...widths],
    layout: TableLayoutType.FIXED,
    rows: [
      new TableRow({
        tableHeader: true,
        cantSplit: true,
        children: head.map((h, i) =>
          cell([para([run(h, { bold: true })])], widths[i] ?? 1000, { header: true }),
        ),
      }),
      ...rows.map(
        (r) => new TableRow({ cantSplit: false, children: r.map((c, i) => cell(c, widths[i] ?? 1000)) }),
      ),
    ],
  });
}

function bullets(items: string[]): Paragraph[] {
  return items.map(
    (t) =>
      new Paragraph({
        children: [run(`•\u00a0${t}`)],
        indent: { left: 360, hanging: 240 },
        spacing: { after: 60 },
      }),
  );
}

function commentParagraphs(row: ReportRow): Paragraph[] {
  const head: TextRun[] = [];
  if (row.was !== undefined)
    head.push(
      run(`${wasLabel(row.was)}${isRegression(row.was, row.verdict) ? ', regression' : ''} `, { bold: true }),
    );
  if (row.verdict === 'ERROR')
    head.push(run('ERROR (harness failure, neither OK nor NOK): ', { bold: true }));
  if (row.verdict === 'INCOMPLETE')
    head.push(run('INCOMPLETE (not fully judged here, neither OK nor NOK): ', { bold: true }));
  const text = docxText(row.comment.trim()).replace(/\r\n?/g, '\n').split('\n');
  const [first = '', ...rest] = text;
  const judged = engineerList(row.judgedByEngineer);
  return [
    para([...head, run(first)]),
    ...rest.map((l) => para([run(l)])),
    ...(judged ? [para([run(`${ENGINEER_LABEL}: `, { bold: true }), run(`${judged}.`)])] : []),
  ];
}

function testCaseParagraphs(row: ReportRow): Paragraph[] {
  const out = [para([run(row.title, { bold: true })])];
  if (!row.inPlan) out.push(para([run('(case no longer in the plan)', { italics: true })]));
  for (const s of row.steps)
    out.push(
      new Paragraph({ children: [run(`•\u00a0${s}`, { size: 16 })], indent: { left: 200, hanging: 160 } }),
    );
  return out;
}

function markCell(row: ReportRow, column: 'N/A' | 'OK' | 'NOK'): Paragraph[] {
  return [para(row.mark === column ? [run(DOCX_MARK, { bold: true, size: 20 })] : [], { align: 'center' })];
}

/** Builds the document (exported for tests that inspect it before packing). */
export function buildDocx(model: ReportModel): Document {
  const h = model.header;
  const s = model.summary;
  const dash = (v: string) => (v.trim() ? v : '—');
  const body: Array<Paragraph | Table> = [
    new Paragraph({
      children: [
        new TextRun({ text: 'Interworking report — test results', font: FONT, bold: true, size: 36 }),
      ],
      spacing: { after: 240 },
    }),
    table(
      ['Item', 'Value'],
      [
        ['SBC', `${dash(h.sbc.model)} (${h.sbc.kind})`],
        ['SBC firmware', dash(h.sbc.firmware)],
        ['PBX', dash(h.pbx.name)],
        ['PBX release', dash(h.pbx.release)],
        ['SIP provider', dash(h.provider)],
        ['Test method', dash(h.method)],
        ['Tester', dash(h.tester)],
        ['Date', dash(h.date)],
        ['Harness version', `sbc-harness ${h.harnessVersion}`],
        ['Run', `${h.runId} (profile ${h.profile})`],
      ].map(([k, v]) => [[para([run(k ?? '', { bold: true })])], lines(v ?? '')]),
      [2600, 7038],
    ),
    para(
      `${s.total} test cases: ${s.OK} OK, ${s.NOK} NOK, ${s['N/A']} N/A, ${s.ERROR} ERROR (harness failure)${s.INCOMPLETE ? `, ${s.INCOMPLETE} INCOMPLETE (not fully judged: the plan is incomplete)` : ''}.`,
      { spacingAfter: 120, spacingBefore: 120 },
    ),
    heading('6 Summary of test results', 1),
    heading('6.1 Summary of main functions supported', 2),
    table(
      ['Features', 'Results', 'Remarks'],
      model.features.map((f) => [lines(f.feature), [para([run(f.result, { bold: true })])], lines(f.remark)]),
      [3000, 1200, PAGE_WIDTH - 4200],
    ),
    heading('6.2 Summary of problems', 2),
  ];
  if (model.problems.length === 0) body.push(para('No problems were observed during the test plan.'));
  else
    body.push(
      table(
        ['Test Case Id', 'Test Case', 'Problem'],
        model.problems.map((p) => [lines(p.id), lines(p.title), lines(p.comment)]),
        [1300, 3000, PAGE_WIDTH - 4300],
      ),
    );
  body.push(heading('6.3 Summary of limitations', 2));
  if (model.limitations.length === 0) body.push(para('No limitations: no test case was N/A.'));
  else body.push(...bullets(model.limitations.map((l) => `${l.reason} (${l.cases.join(', ')})`)));
  body.push(heading('6.4 Notes, remarks', 2), ...bullets(model.notes));
  if (model.baseline) {
    const changed = model.sections.flatMap((sec) => sec.rows.filter((r) => r.was !== undefined));
    body.push(heading(`Changes since run ${model.baseline.runId}`, 2));
    const items = [
      ...changed.map(
        (r) =>
          `${isRegression(r.was, r.verdict) ? 'regression ' : ''}${r.id}: ${r.was === 'absent' ? 'new' : r.was} → ${r.verdict}`,
      ),
      ...model.baseline.removed.map((id) => `${id}: not in this run`),
    ];
    if (items.length === 0) body.push(para('No cell changed.'));
    else body.push(...bullets(items));
  }
  body.push(heading('8 Test results', 1));
  for (const sec of model.sections) {
    body.push(heading(`${sec.id} ${sec.title}`, 2));
    if (sec.objective.trim())
      body.push(heading('Test Objectives', 3), para(sec.objective, { spacingAfter: 120 }));
    body.push(heading('Test Results', 3));
    body.push(
      table(
        ['Test Case Id', 'Test Case', 'N/A', 'OK', 'NOK', 'Comment'],
        sec.rows.map((r) => [
          [para([run(r.id, { bold: true })])],
          testCaseParagraphs(r),
          markCell(r, 'N/A'),
          markCell(r, 'OK'),
          markCell(r, 'NOK'),
          commentParagraphs(r),
        ]),
        RESULT_COLUMNS,
      ),
    );
  }
  return new Document({
    creator: 'sbc-harness',
    title: docxText(`Interworking report — test results — ${h.runId}`),
    description: 'Results section of the interworking report, generated from the run journal',
    styles: { default: { document: { run: { font: FONT, size: 18 } } } },
    sections: [
      {
        properties: {
          page: {
            size: { width: 11906, height: 16838 },
            margin: { top: 1134, bottom: 1134, left: 1134, right: 1134 },
          },
        },
        children: body,
      },
    ],
  });
}

/** Renders the model as DOCX bytes. */
export async function renderDocx(model: ReportModel): Promise<Buffer> {
  return Packer.toBuffer(buildDocx(model));
}

/** The DOCX renderer (report.docx). */
export const docxRenderer: ReportRenderer = {
  format: 'docx',
  fileName: 'report.docx',
  description: 'IWR results section as a Word document (header, summaries, result tables)',
  render: async (model: ReportModel, _ctx: RenderContext) => renderDocx(model),
};
