/**
 * JUnit XML, for CI dashboards: one <testsuite> per plan section (name and classname = the
 * section), one <testcase> per cell with its duration; NOK → <failure>, ERROR → <error>,
 * N/A → <skipped>, with the cell's comment as message and the failed checks as text. The run's
 * header goes into <properties>; with a baseline, a changed cell carries a "baseline" property.
 */
import type { RenderContext, ReportRenderer } from './renderer.ts';
import { engineerList, isRegression, type ReportModel, type ReportRow, wasLabel } from './report-model.ts';

/**
 * Text made safe for XML 1.0 content and attribute values: markup characters escaped, and
 * characters XML 1.0 cannot carry at all (most control characters, lone surrogates) replaced.
 */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/** Element text: like attributes, but line breaks kept as they are. */
function xmlText(text: string): string {
  return xmlEscape(text).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t');
}

/** A duration that can be summed: NaN, infinite or negative count as 0. */
const positive = (ms: number): number => (Number.isFinite(ms) && ms > 0 ? ms : 0);
const seconds = (ms: number) => (positive(ms) / 1000).toFixed(3);

function property(name: string, value: string): string {
  return `<property name="${xmlEscape(name)}" value="${xmlEscape(value)}"/>`;
}

function caseXml(model: ReportModel, sectionName: string, row: ReportRow): string[] {
  const cell = model.results.cells.find((c) => c.id === row.id);
  const failed = (cell?.checks ?? []).filter((k) => !k.ok);
  const details = failed
    .map(
      (k) =>
        `${k.name}${k.by === 'engineer' ? ' (judged by the engineer)' : ''}: expected ${k.expected}; observed ${k.observed}${k.failure ? ` — ${k.failure}` : ''}`,
    )
    .join('\n');
  const name = `${row.id} ${row.title}`;
  const lines = [
    `    <testcase name="${xmlEscape(name)}" classname="${xmlEscape(sectionName)}" time="${seconds(row.durationMs)}">`,
  ];
  const props: string[] = [];
  if (row.was !== undefined)
    props.push(
      property(
        'baseline',
        `${wasLabel(row.was)}${isRegression(row.was, row.verdict) ? ' (regression)' : ''}`,
      ),
    );
  if (row.verdict === 'OK' && row.comment.trim()) props.push(property('comment', row.comment));
  for (const j of row.judgedByEngineer ?? []) props.push(property('judgedByEngineer', engineerList([j])));
  if (props.length > 0)
    lines.push('      <properties>', ...props.map((p) => `        ${p}`), '      </properties>');
  const message = xmlEscape(row.comment.trim() || row.verdict);
  if (row.verdict === 'NOK')
    lines.push(`      <failure message="${message}" type="NOK">${xmlText(details || row.comment)}</failure>`);
  else if (row.verdict === 'ERROR')
    lines.push(`      <error message="${message}" type="ERROR">${xmlText(row.comment)}</error>`);
  else if (row.verdict === 'N/A') lines.push(`      <skipped message="${message}"/>`);
  else if (row.verdict === 'INCOMPLETE')
    lines.push(`      <skipped message="INCOMPLETE (not fully judged): ${message}"/>`);
  lines.push('    </testcase>');
  return lines;
}

/** Renders the model as JUnit XML. */
export function renderJunit(model: ReportModel): string {
  const h = model.header;
  const s = model.summary;
  const runProps = [
    property('run', h.runId),
    property('harnessVersion', h.harnessVersion),
    property('profile', h.profile),
    property('method', h.method),
    property('tester', h.tester),
    property('sbc', h.sbc.model),
    property('sbcFirmware', h.sbc.firmware),
    property('pbx', h.pbx.name),
    property('pbxRelease', h.pbx.release),
    property('provider', h.provider),
    property('quick', String(model.results.run.options.quick)),
    property('faults', model.results.run.options.faults.join(',')),
    ...(model.baseline ? [property('baselineRun', model.baseline.runId)] : []),
  ];
  const totalTime = model.results.cells.reduce((t, c) => t + positive(c.durationMs), 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sbc-harness ${xmlEscape(h.runId)}" tests="${s.total}" failures="${s.NOK}" errors="${s.ERROR}" skipped="${s['N/A'] + s.INCOMPLETE}" time="${seconds(totalTime)}">`,
  ];
  for (const sec of model.sections) {
    const count = (v: string) => sec.rows.filter((r) => r.verdict === v).length;
    const name = `${sec.id} ${sec.title}`;
    const time = sec.rows.reduce((t, r) => t + positive(r.durationMs), 0);
    out.push(
      `  <testsuite name="${xmlEscape(name)}" tests="${sec.rows.length}" failures="${count('NOK')}" errors="${count('ERROR')}" skipped="${count('N/A') + count('INCOMPLETE')}" time="${seconds(time)}" timestamp="${xmlEscape(h.startedAt)}">`,
      '    <properties>',
      ...runProps.map((p) => `      ${p}`),
      '    </properties>',
    );
    for (const row of sec.rows) out.push(...caseXml(model, name, row));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

/** The JUnit renderer (junit.xml). */
export const junitRenderer: ReportRenderer = {
  format: 'junit',
  fileName: 'junit.xml',
  description: 'JUnit XML for CI: NOK as failure, ERROR as error, N/A and INCOMPLETE as skipped',
  render: async (model: ReportModel, _ctx: RenderContext) => renderJunit(model),
};
