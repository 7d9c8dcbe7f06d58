/**
 * The HTML evidence report: ONE self-contained file (inline CSS, script and SVG; no network, no
 * external font) holding the IWR results part — header block, summary of test results,
 * problems, limitations, notes, per-section result tables with the mark in its column — and,
 * per case, why the cell is what it is: its checks, the negotiated codec of each leg, the RTP
 * streams, the DTMF timeline, the SIP ladder (click an arrow for the full message), the
 * received audio as a waveform, and links to the pcap, SIP text and WAV files.
 *
 * Evidence files are read through an {@link EvidenceReader}; one that is missing, too large
 * or damaged is named in the page, never thrown.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Cell, CheckRecord, StreamRow } from '../harness/runner/verdict.ts';
import { dtmfTimelineHtml } from './html-dtmf-timeline.ts';
import { escapeHtml, htmlId, safeRelativeHref } from './html-escape.ts';
import { asSipMessage, buildLadder, DEFAULT_MAX_LADDER_MESSAGES } from './html-ladder.ts';
import { HTML_REPORT_CSS, HTML_REPORT_SCRIPT } from './html-styles.ts';
import { readWavPcm16, waveformSvg } from './html-waveform.ts';
import type { RenderContext, ReportRenderer } from './renderer.ts';
import {
  ENGINEER_LABEL,
  engineerList,
  isRegression,
  type ReportModel,
  type ReportRow,
  wasLabel,
} from './report-model.ts';

/** The mark put in a verdict's column (the same as the Markdown report's). */
export const HTML_MARK = '✔';

/** An evidence file's bytes, or why there are none. */
export type EvidenceFile = { ok: true; bytes: Uint8Array } | { ok: false; error: string };

/** Reads a file named by a cell, relative to the run folder. */
export type EvidenceReader = (relativePath: string) => EvidenceFile;

export interface HtmlReportOptions {
  /** SIP messages drawn per case (default 400); the others are counted. */
  maxLadderMessages?: number;
  /** Characters of one message's text kept in the page (default 64 Ki). */
  maxMessageChars?: number;
  /** Messages drawn in the whole page (default 8000): later ladders say they are left out. */
  maxPageMessages?: number;
  /** Characters of message text kept in the whole page (default 16 Mi); later texts point to the file. */
  maxPageChars?: number;
}

/** What is left of the page's budget for ladders. */
interface PageBudget {
  pageMessages: number;
  messages: number;
  chars: number;
}

/** Largest evidence file read into the page. */
const MAX_EVIDENCE_BYTES = 32 * 1024 * 1024;

/**
 * Reads evidence files below `runDir` only: absolute paths and paths leaving the folder are
 * refused (a journal is data, and could name any file).
 */
export function runDirReader(runDir: string): EvidenceReader {
  const root = resolve(runDir);
  return (rel) => {
    if (typeof rel !== 'string' || rel.length === 0) return { ok: false, error: 'no path' };
    if (isAbsolute(rel)) return { ok: false, error: 'absolute path refused' };
    const full = resolve(root, rel);
    const back = relative(root, full);
    if (back.startsWith('..') || isAbsolute(back))
      return { ok: false, error: 'path outside the run folder refused' };
    try {
      const st = statSync(full);
      if (!st.isFile()) return { ok: false, error: 'not a file' };
      if (st.size > MAX_EVIDENCE_BYTES) return { ok: false, error: `too large (${st.size} bytes)` };
      return { ok: true, bytes: readFileSync(full) };
    } catch (err) {
      return { ok: false, error: (err as NodeJS.ErrnoException).code ?? 'unreadable' };
    }
  };
}

const e = escapeHtml;

function verdictClass(v: string): string {
  return v.replace(/[^A-Za-z]/g, '_');
}

function badge(v: string): string {
  return `<span class="verdict ${verdictClass(v)}">${e(v)}</span>`;
}

function headerBlock(model: ReportModel): string {
  const h = model.header;
  const dash = (v: string) => (v.trim() ? e(v) : '—');
  const rows: Array<[string, string]> = [
    ['SBC', `${dash(h.sbc.model)} (${e(h.sbc.kind)})`],
    ['SBC firmware', dash(h.sbc.firmware)],
    ['PBX', dash(h.pbx.name)],
    ['PBX release', dash(h.pbx.release)],
    ['SIP provider', dash(h.provider)],
    ['Test method', dash(h.method)],
    ['Tester', dash(h.tester)],
    ['Date', dash(h.date)],
    ['Harness version', `sbc-harness ${e(h.harnessVersion)}`],
    ['Run', `${e(h.runId)} (profile ${e(h.profile)})`],
  ];
  const s = model.summary;
  return (
    `<table class="header-block"><tbody>${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</tbody></table>` +
    `<p class="counts" id="counts"><strong>${s.total} test cases:</strong> <span>${s.OK} OK</span><span>${s.NOK} NOK</span><span>${s['N/A']} N/A</span><span>${s.ERROR} ERROR (harness failure)</span>${s.INCOMPLETE ? `<span>${s.INCOMPLETE} INCOMPLETE (not fully judged: the plan is incomplete)</span>` : ''}</p>`
  );
}

function summarySection(model: ReportModel): string {
  const out: string[] = [
    '<h2 id="summary">6 Summary of test results</h2>',
    '<h3>6.1 Summary of main functions supported</h3>',
  ];
  out.push(
    '<table class="features"><thead><tr><th>Features</th><th>Results</th><th>Remarks</th></tr></thead><tbody>',
    ...model.features.map(
      (f) =>
        `<tr data-feature="${e(f.feature)}"><td>${e(f.feature)}</td><td class="result-${verdictClass(f.result)}">${e(f.result)}</td><td>${e(f.remark)}</td></tr>`,
    ),
    '</tbody></table>',
    '<h3 id="problems">6.2 Summary of problems</h3>',
  );
  if (model.problems.length === 0) out.push('<p>No problems were observed during the test plan.</p>');
  else
    out.push(
      '<table class="problems"><thead><tr><th>Test Case Id</th><th>Test Case</th><th>Problem</th></tr></thead><tbody>',
      ...model.problems.map(
        (p) =>
          `<tr><td><a href="#${htmlId('ev', p.id)}">${e(p.id)}</a></td><td>${e(p.title)}</td><td>${e(p.comment)}</td></tr>`,
      ),
      '</tbody></table>',
    );
  out.push('<h3 id="limitations">6.3 Summary of limitations</h3>');
  if (model.limitations.length === 0) out.push('<p>No limitations: no test case was N/A.</p>');
  else
    out.push(
      `<ul>${model.limitations.map((l) => `<li>${e(l.reason)} (${l.cases.map((id) => e(id)).join(', ')})</li>`).join('')}</ul>`,
    );
  out.push(
    '<h3 id="notes">6.4 Notes, remarks</h3>',
    `<ul>${model.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>`,
  );
  if (model.baseline) {
    const changed = model.sections.flatMap((sec) => sec.rows.filter((r) => r.was !== undefined));
    out.push(`<h3>Changes since run ${e(model.baseline.runId)}</h3>`);
    if (changed.length === 0 && model.baseline.removed.length === 0) out.push('<p>No cell changed.</p>');
    else
      out.push(
        `<ul>${[
          ...changed.map(
            (r) =>
              `<li>${isRegression(r.was, r.verdict) ? '<strong>regression</strong> ' : ''}${e(r.id)}: ${e(r.was === 'absent' ? 'new' : r.was)} → ${e(r.verdict)}</li>`,
          ),
          ...model.baseline.removed.map((id) => `<li>${e(id)}: not in this run</li>`),
        ].join('')}</ul>`,
      );
  }
  return out.join('\n');
}

function rowComment(row: ReportRow): string {
  const parts: string[] = [];
  if (row.was !== undefined)
    parts.push(
      `<strong>${e(wasLabel(row.was))}${isRegression(row.was, row.verdict) ? ', regression' : ''}</strong>`,
    );
  if (row.verdict === 'ERROR') parts.push('<strong>ERROR</strong> (harness failure, neither OK nor NOK):');
  if (row.verdict === 'INCOMPLETE')
    parts.push('<strong>INCOMPLETE</strong> (not fully judged here, neither OK nor NOK):');
  if (row.comment.trim()) parts.push(e(row.comment));
  const judged = engineerList(row.judgedByEngineer);
  if (judged)
    parts.push(`<div class="judged-by-engineer"><strong>${ENGINEER_LABEL}:</strong> ${e(judged)}.</div>`);
  return parts.join(' ');
}

function resultTables(model: ReportModel, withEvidence: ReadonlySet<string>): string {
  const out: string[] = ['<h2 id="results">8 Test results</h2>'];
  for (const sec of model.sections) {
    out.push(`<h3 id="${htmlId('sec', sec.id)}">${e(sec.id)} ${e(sec.title)}</h3>`);
    if (sec.objective.trim()) out.push('<h4>Test Objectives</h4>', `<p>${e(sec.objective)}</p>`);
    out.push(
      '<h4>Test Results</h4>',
      `<table class="results" data-section="${e(sec.id)}"><thead><tr><th>Test Case Id</th><th>Test Case</th><th>N/A</th><th>OK</th><th>NOK</th><th>Comment</th></tr></thead><tbody>`,
    );
    for (const r of sec.rows) {
      const cell = (m: 'N/A' | 'OK' | 'NOK') =>
        `<td class="mark${r.mark === m ? ` on ${verdictClass(m)}` : ''}" data-col="${m}">${r.mark === m ? HTML_MARK : ''}</td>`;
      const id = withEvidence.has(r.id) ? `<a href="#${htmlId('ev', r.id)}">${e(r.id)}</a>` : e(r.id);
      const steps =
        r.steps.length > 0 ? `<ul class="steps">${r.steps.map((s) => `<li>${e(s)}</li>`).join('')}</ul>` : '';
      out.push(
        `<tr data-case="${e(r.id)}" data-verdict="${e(r.verdict)}"><td>${id}</td><td><strong>${e(r.title)}</strong>${r.inPlan ? '' : ' <em>(case no longer in the plan)</em>'}${steps}</td>${cell('N/A')}${cell('OK')}${cell('NOK')}<td>${rowComment(r)}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  return out.join('\n');
}

function checksTable(checks: readonly CheckRecord[]): string {
  if (checks.length === 0) return '';
  return [
    '<h4>Checks</h4><table class="checks"><thead><tr><th></th><th>Check</th><th>Expected</th><th>Observed</th></tr></thead><tbody>',
    ...checks.map((c) => {
      // One-line evidence reads inline; a multi-line one (an offending SIP message) opens below.
      const lines = Array.isArray(c.evidence) ? c.evidence.filter((x) => !x.includes('\n')) : [];
      const blocks = Array.isArray(c.evidence) ? c.evidence.filter((x) => x.includes('\n')) : [];
      const ev =
        (lines.length > 0 ? `<div class="note">evidence: ${lines.map((x) => e(x)).join('; ')}</div>` : '') +
        blocks
          .map((x) => {
            const cut = x.indexOf('\n');
            return `<details class="evidence-message" open><summary>${e(x.slice(0, cut))}</summary><pre>${e(x.slice(cut + 1))}</pre></details>`;
          })
          .join('');
      const why = !c.ok && c.failure ? `<div><strong>${e(c.failure)}</strong></div>` : '';
      const who =
        c.by === 'engineer'
          ? `<div class="judged-by-engineer"><strong>judged by the engineer</strong>${typeof c.comment === 'string' && c.comment ? `: “${e(c.comment)}”` : ''}</div>`
          : '';
      return `<tr class="${c.ok ? '' : 'bad'}${c.by === 'engineer' ? ' by-engineer' : ''}"><td class="${c.ok ? 'check-ok' : 'check-nok'}">${c.ok ? '✔' : '✘'}</td><td>${e(c.name)}${who}</td><td>${e(c.expected)}</td><td>${e(c.observed)}${why}${ev}</td></tr>`;
    }),
    '</tbody></table>',
  ].join('');
}

/** The codec of each leg: the "codec on …" checks, then the codecs the measured streams carried. */
export function legCodecs(
  cell: Pick<Cell, 'checks' | 'data'>,
): Array<{ leg: string; codec: string; ok?: boolean }> {
  const out: Array<{ leg: string; codec: string; ok?: boolean }> = [];
  for (const c of Array.isArray(cell.checks) ? cell.checks : []) {
    const m = typeof c?.name === 'string' ? /^codec on (.+)$/i.exec(c.name) : null;
    if (m?.[1]) out.push({ leg: m[1], codec: String(c.observed ?? ''), ok: c.ok === true });
  }
  for (const s of streamRows(cell.data?.streams)) {
    const leg = `${s.from} → ${s.to}`;
    if (!out.some((o) => o.leg === leg)) out.push({ leg, codec: s.codec });
  }
  return out;
}

function streamRows(raw: unknown): StreamRow[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (s): s is StreamRow =>
      !!s &&
      typeof s === 'object' &&
      typeof (s as StreamRow).from === 'string' &&
      typeof (s as StreamRow).to === 'string',
  );
}

function num(v: unknown, digits: number): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}

function streamTable(raw: unknown): string {
  const rows = streamRows(raw);
  if (rows.length === 0) return '';
  return [
    '<h4>RTP streams</h4><table class="streams"><thead><tr><th>From</th><th>To</th><th>Codec</th><th>Packets</th><th>Lost</th><th>Loss</th><th>Jitter</th><th>One-way delay</th><th>MOS</th><th>Tone level</th></tr></thead><tbody>',
    ...rows.map((s) => {
      const total = (Number(s.packets) || 0) + (Number(s.lost) || 0);
      const loss = total > 0 ? `${((100 * (Number(s.lost) || 0)) / total).toFixed(1)} %` : '—';
      return `<tr><td>${e(s.from)}</td><td>${e(s.to)}</td><td>${e(s.codec)}</td><td>${num(s.packets, 0)}</td><td>${num(s.lost, 0)}</td><td>${loss}</td><td>${num(s.jitterMs, 1)} ms</td><td>${typeof s.delayMs === 'number' && Number.isFinite(s.delayMs) ? `${num(s.delayMs, 0)} ms` : '—'}</td><td>${num(s.mos, 2)}</td><td>${num(s.toneLevel, 0)}</td></tr>`;
    }),
    '</tbody></table>',
  ].join('');
}

function fileLinks(cell: Cell): string {
  const ev = cell.evidence ?? {};
  const items: Array<[string, string | undefined]> = [
    ['pcap (SIP and RTP)', ev.pcap],
    ['SIP messages (text)', ev.sip],
    ['SIP messages (JSON)', ev.sipJson],
    ...(Array.isArray(ev.audio) ? ev.audio.map((a): [string, string] => ['received audio (WAV)', a]) : []),
    ...(Array.isArray(ev.files) ? ev.files.map((f): [string, string] => ['file', f]) : []),
  ];
  const links = items
    .filter((i): i is [string, string] => typeof i[1] === 'string' && i[1].length > 0)
    .map(([what, path]) => {
      const href = safeRelativeHref(path);
      return `<li>${e(what)}: ${href ? `<a href="${e(href)}">${e(path)}</a>` : `${e(path)} <span class="note">(not linked)</span>`}</li>`;
    });
  return links.length > 0 ? `<h4>Files</h4><ul class="files">${links.join('')}</ul>` : '';
}

function ladderHtml(
  cell: Cell,
  actors: Record<string, string>,
  read: EvidenceReader,
  o: HtmlReportOptions,
  budget: PageBudget,
): { html: string; texts: string } {
  const path = cell.evidence?.sipJson;
  if (typeof path !== 'string' || !path) return { html: '', texts: '' };
  const file = read(path);
  if (!file.ok)
    return {
      html: `<h4>SIP ladder</h4><p class="note">${e(path)} could not be read: ${e(file.error)}.</p>`,
      texts: '',
    };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(file.bytes).toString('utf8'));
  } catch (err) {
    return {
      html: `<h4>SIP ladder</h4><p class="note">${e(path)} is not JSON: ${e((err as Error).message)}.</p>`,
      texts: '',
    };
  }
  const perCase = Math.max(0, o.maxLadderMessages ?? DEFAULT_MAX_LADDER_MESSAGES);
  const maxMessages = Math.min(perCase, budget.messages);
  if (maxMessages === 0 && Array.isArray(raw) && raw.length > 0)
    return {
      html: `<h4>SIP ladder</h4><p class="note">Not drawn: the page already holds ${e(budget.pageMessages)} messages, its limit; see ${e(path)}.</p>`,
      texts: '',
    };
  const maxChars = Math.max(0, o.maxMessageChars ?? 64 * 1024);
  // Only the messages that will be drawn carry their text; long ones are cut, within the page's budget.
  const list: unknown[] = Array.isArray(raw) ? raw : [];
  let end = 0;
  for (let valid = 0; end < list.length && valid < maxMessages; end++) if (asSipMessage(list[end])) valid++;
  const kept = list.slice(0, end).map((m) => {
    if (!m || typeof m !== 'object' || typeof (m as { text?: unknown }).text !== 'string') return m;
    const text = (m as { text: string }).text;
    const keep = Math.min(maxChars, budget.chars);
    budget.chars = Math.max(0, budget.chars - Math.min(text.length, keep));
    if (text.length <= keep) return m;
    return {
      ...m,
      text:
        keep === 0
          ? `(text left out to keep the page small; see ${path})`
          : `${text.slice(0, keep)}\n… (${text.length - keep} more characters in ${path})`,
    };
  });
  const ladder = buildLadder(Array.isArray(raw) ? kept : raw, actors, {
    idPrefix: htmlId('sip', cell.id),
    maxMessages,
  });
  budget.messages -= ladder.drawn;
  ladder.omitted += list.slice(end).filter((m) => asSipMessage(m) !== undefined).length;
  ladder.invalid += list.slice(end).filter((m) => asSipMessage(m) === undefined).length;
  const notes: string[] = [];
  if (ladder.omitted > 0)
    notes.push(`${ladder.omitted} more messages not drawn (the first ${ladder.drawn} are); see ${path}.`);
  if (ladder.invalid > 0)
    notes.push(`${ladder.invalid} entries of ${path} are not SIP messages and were skipped.`);
  if (ladder.drawn === 0)
    return {
      html: `<h4>SIP ladder</h4><p class="note">No SIP message in ${e(path)}.${notes.map((n) => ` ${e(n)}`).join('')}</p>`,
      texts: '',
    };
  return {
    html:
      `<h4>SIP ladder <span class="note">(${ladder.drawn} messages; click an arrow for the full message)</span></h4>` +
      `<div class="ladder-box">${ladder.svg}</div>${notes.map((n) => `<p class="note">${e(n)}</p>`).join('')}`,
    texts: ladder.texts,
  };
}

function audioHtml(cell: Cell, read: EvidenceReader): string {
  const files = Array.isArray(cell.evidence?.audio)
    ? cell.evidence.audio.filter((a) => typeof a === 'string')
    : [];
  if (files.length === 0) return '';
  const parts = files.slice(0, 20).map((path) => {
    const file = read(path);
    if (!file.ok) return `<p class="note">${e(path)} could not be read: ${e(file.error)}.</p>`;
    const wav = readWavPcm16(file.bytes);
    if (!wav.ok) return `<p class="note">${e(path)} is not a readable WAV file: ${e(wav.error)}.</p>`;
    return waveformSvg(wav.wav, { label: path });
  });
  return `<h4>Received audio</h4>${parts.join('')}`;
}

function evidenceSection(
  cell: Cell,
  model: ReportModel,
  read: EvidenceReader,
  o: HtmlReportOptions,
  budget: PageBudget,
): { html: string; texts: string } {
  const out: string[] = [
    `<section class="evidence" id="${htmlId('ev', cell.id)}" data-case="${e(cell.id)}">`,
    `<h3>${e(cell.id)} ${e(cell.title)} ${badge(cell.verdict)}</h3>`,
  ];
  const meta = [
    `section ${e(cell.section)}`,
    `started ${e(cell.startedAt)}`,
    `${num((cell.durationMs ?? 0) / 1000, 1)} s`,
  ];
  out.push(`<p class="note">${meta.join(' · ')}</p>`);
  if (typeof cell.comment === 'string' && cell.comment.trim()) out.push(`<p>${e(cell.comment)}</p>`);
  const codecs = legCodecs(cell);
  if (codecs.length > 0)
    out.push(
      `<h4>Negotiated codecs</h4><ul class="codecs">${codecs
        .map(
          (c) =>
            `<li>${e(c.leg)}: <strong>${e(c.codec)}</strong>${c.ok === undefined ? '' : c.ok ? ' <span class="check-ok">✔</span>' : ' <span class="check-nok">✘ not as expected</span>'}</li>`,
        )
        .join('')}</ul>`,
    );
  out.push(checksTable(Array.isArray(cell.checks) ? cell.checks : []));
  out.push(streamTable(cell.data?.streams));
  const dtmf = dtmfTimelineHtml(cell.data?.dtmf);
  if (dtmf) out.push(`<h4>DTMF: sent and received</h4>${dtmf}`);
  if (Array.isArray(cell.answers) && cell.answers.length > 0)
    out.push(
      `<h4>Engineer's answers</h4><ul>${cell.answers.map((a) => `<li>${e(a?.question)} — <strong>${e(a?.answer)}</strong></li>`).join('')}</ul>`,
    );
  const ladder = ladderHtml(cell, model.results.run.actors ?? {}, read, o, budget);
  out.push(ladder.html, audioHtml(cell, read), fileLinks(cell), '</section>');
  return { html: out.filter(Boolean).join('\n'), texts: ladder.texts };
}

/** Renders the model as one self-contained HTML page. */
export function renderHtml(model: ReportModel, read: EvidenceReader, o: HtmlReportOptions = {}): string {
  const cells = model.results.cells;
  const pageMessages = Math.max(0, o.maxPageMessages ?? 8000);
  const budget: PageBudget = {
    pageMessages,
    messages: pageMessages,
    chars: Math.max(0, o.maxPageChars ?? 16 * 1024 * 1024),
  };
  const evidence = cells.map((c) => evidenceSection(c, model, read, o, budget));
  const h = model.header;
  const title = `Interworking report — test results — ${h.sbc.model || h.sbc.kind} — ${h.date}`;
  const toc = [
    '<a href="#summary">6 Summary</a>',
    '<a href="#results">8 Test results</a>',
    ...model.sections.map((s) => `<a href="#${htmlId('sec', s.id)}">${e(s.id)}</a>`),
    '<a href="#evidence">Evidence</a>',
  ].join('');
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    `<title>${e(title)}</title>`,
    `<style>${HTML_REPORT_CSS}</style></head><body><main>`,
    '<h1>Interworking report — test results</h1>',
    headerBlock(model),
    `<nav class="toc">${toc}</nav>`,
    summarySection(model),
    resultTables(model, new Set(cells.map((c) => c.id))),
    '<h2 id="evidence">Evidence per test case</h2>',
    '<p class="note">Why each cell is what it is: its checks, measurements and SIP messages, drawn from the run folder. File links are relative to the folder this report is in.</p>',
    ...evidence.map((x) => x.html),
    '</main>',
    '<dialog id="sip-dialog" aria-labelledby="sip-dialog-title"><header><span id="sip-dialog-title"></span><button type="button" id="sip-dialog-close">Close</button></header><pre id="sip-dialog-text"></pre></dialog>',
    `<div class="sip-texts" hidden>${evidence.map((x) => x.texts).join('\n')}</div>`,
    `<script>${HTML_REPORT_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** The HTML renderer (report.html), reading evidence below the run folder. */
export const htmlRenderer: ReportRenderer = {
  format: 'html',
  fileName: 'report.html',
  description: 'results and evidence (SIP ladders, RTP streams, DTMF, audio) as one self-contained HTML page',
  render: async (model: ReportModel, ctx: RenderContext) => renderHtml(model, runDirReader(ctx.runDir)),
};
