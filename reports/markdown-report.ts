/**
 * The IWR results part as Markdown, ready to paste: the header block, section 6 (summary of
 * test results, problems, limitations, notes) and the per-section result tables (Test Case Id |
 * Test Case | N/A | OK | NOK | Comment) with ✔ in the verdict's column. ERROR and INCOMPLETE
 * cells have no mark and say so in the comment; with a baseline, changed cells say "was OK" (or "new").
 */
import type { RenderContext, ReportRenderer } from './renderer.ts';
import {
  ENGINEER_LABEL,
  engineerList,
  isRegression,
  type ReportModel,
  type ReportRow,
  wasLabel,
} from './report-model.ts';

/** The mark put in a verdict's column. */
export const MD_MARK = '✔';

/**
 * Text made safe for one Markdown table cell: pipes, backslashes and emphasis characters
 * escaped, angle brackets as entities, line breaks as <br>.
 */
export function mdCell(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\\|*_`[\]]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .trim()
    .replace(/\n/g, '<br>');
}

/** Text made safe for a Markdown paragraph or list item (no table, one line). */
function mdText(text: string): string {
  return mdCell(text).replace(/<br>/g, ' ');
}

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/** The Comment column of a row: the ERROR and baseline markers, then the cell's comment. */
export function rowComment(row: ReportRow): string {
  const parts: string[] = [];
  if (row.was !== undefined)
    parts.push(`**${wasLabel(row.was)}${isRegression(row.was, row.verdict) ? ', regression' : ''}**`);
  if (row.verdict === 'ERROR') parts.push('**ERROR** (harness failure, neither OK nor NOK):');
  if (row.verdict === 'INCOMPLETE') parts.push('**INCOMPLETE** (not fully judged here, neither OK nor NOK):');
  if (row.comment.trim()) parts.push(mdCell(row.comment));
  const judged = engineerList(row.judgedByEngineer);
  if (judged) parts.push(`${parts.length > 0 ? '<br>' : ''}**${ENGINEER_LABEL}:** ${mdCell(judged)}.`);
  return parts.join(' ');
}

function testCaseCell(row: ReportRow): string {
  const lines = [`**${mdCell(row.title)}**`];
  if (!row.inPlan) lines.push('*(case no longer in the plan)*');
  for (const s of row.steps) lines.push(`• ${mdCell(s)}`);
  return lines.join('<br>');
}

/** Renders the model as Markdown. */
export function renderMarkdown(model: ReportModel): string {
  const h = model.header;
  const s = model.summary;
  const orDash = (v: string) => (v.trim() ? mdCell(v) : '—');
  const out: string[] = [
    '# Interworking report — test results',
    '',
    ...table(
      ['Item', 'Value'],
      [
        ['SBC', `${orDash(h.sbc.model)} (${h.sbc.kind})`],
        ['SBC firmware', orDash(h.sbc.firmware)],
        ['PBX', orDash(h.pbx.name)],
        ['PBX release', orDash(h.pbx.release)],
        ['SIP provider', orDash(h.provider)],
        ['Test method', orDash(h.method)],
        ['Tester', orDash(h.tester)],
        ['Date', orDash(h.date)],
        ['Harness version', `sbc-harness ${mdCell(h.harnessVersion)}`],
        ['Run', `${mdCell(h.runId)} (profile ${mdCell(h.profile)})`],
      ],
    ),
    '',
    `${s.total} test cases: ${s.OK} OK, ${s.NOK} NOK, ${s['N/A']} N/A, ${s.ERROR} ERROR (harness failure)${s.INCOMPLETE ? `, ${s.INCOMPLETE} INCOMPLETE (not fully judged: the plan is incomplete)` : ''}.`,
    '',
    '## 6 Summary of test results',
    '',
    '### 6.1 Summary of main functions supported',
    '',
    ...table(
      ['Features', 'Results', 'Remarks'],
      model.features.map((f) => [mdCell(f.feature), f.result, mdCell(f.remark)]),
    ),
    '',
    '### 6.2 Summary of problems',
    '',
  ];
  if (model.problems.length === 0) out.push('No problems were observed during the test plan.');
  else
    out.push(
      ...table(
        ['Test Case Id', 'Test Case', 'Problem'],
        model.problems.map((p) => [mdCell(p.id), mdCell(p.title), mdCell(p.comment)]),
      ),
    );
  out.push('', '### 6.3 Summary of limitations', '');
  if (model.limitations.length === 0) out.push('No limitations: no test case was N/A.');
  else for (const l of model.limitations) out.push(`- ${mdText(l.reason)} (${l.cases.join(', ')})`);
  out.push('', '### 6.4 Notes, remarks', '');
  for (const n of model.notes) out.push(`- ${mdText(n)}`);

  const changed = model.sections.flatMap((sec) => sec.rows.filter((r) => r.was !== undefined));
  if (model.baseline) {
    out.push('', `### Changes since run ${mdText(model.baseline.runId)}`, '');
    if (changed.length === 0 && model.baseline.removed.length === 0) out.push('No cell changed.');
    const ordered = [
      ...changed.filter((r) => isRegression(r.was, r.verdict)),
      ...changed.filter((r) => !isRegression(r.was, r.verdict)),
    ];
    for (const r of ordered)
      out.push(
        `- ${isRegression(r.was, r.verdict) ? '**regression** ' : ''}${mdText(r.id)}: ${r.was === 'absent' ? 'new' : r.was} → ${r.verdict}`,
      );
    for (const id of model.baseline.removed) out.push(`- ${mdText(id)}: not in this run`);
  }

  out.push('', '## 8 Test results');
  for (const sec of model.sections) {
    out.push('', `### ${mdText(sec.id)} ${mdText(sec.title)}`, '');
    if (sec.objective.trim()) out.push('#### Test Objectives', '', mdText(sec.objective), '');
    out.push('#### Test Results', '');
    out.push(
      ...table(
        ['Test Case Id', 'Test Case', 'N/A', 'OK', 'NOK', 'Comment'],
        sec.rows.map((r) => [
          mdCell(r.id),
          testCaseCell(r),
          r.mark === 'N/A' ? MD_MARK : '',
          r.mark === 'OK' ? MD_MARK : '',
          r.mark === 'NOK' ? MD_MARK : '',
          rowComment(r),
        ]),
      ),
    );
  }
  out.push('');
  return out.join('\n');
}

/** The Markdown renderer (report.md). */
export const markdownRenderer: ReportRenderer = {
  format: 'md',
  fileName: 'report.md',
  description: 'IWR results section as Markdown, ready to paste',
  render: async (model: ReportModel, _ctx: RenderContext) => renderMarkdown(model),
};
