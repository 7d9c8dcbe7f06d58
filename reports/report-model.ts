/**
 * The report model: one pure function from a run's results (themselves a pure function of the
 * journal) and the plan to everything a report shows, in the shape of the IWR's results part:
 * the header block, section 6 ("Summary of test results", problems, limitations, notes) and
 * the per-section result tables of sections 7 and 8. Every renderer (Markdown, HTML, DOCX,
 * JUnit, JSON) draws this model and nothing else, so the formats cannot disagree.
 */
import type { ResultsFile } from '../harness/runner/results.ts';
import type { Cell, Verdict } from '../harness/runner/verdict.ts';

/** The column a verdict is marked in; ERROR has no column (a harness failure is neither OK nor NOK). */
export type Mark = 'N/A' | 'OK' | 'NOK';

/**
 * Result of a feature of the summary. OK, NOK and N/A as in the IWR; "partly" when some of the
 * feature's cells are OK and others could not be judged (ERROR: a harness failure; INCOMPLETE:
 * a setting nobody applied, a host limitation, or a stall of the harness in every window listened to; neither OK nor NOK); ERROR or INCOMPLETE when
 * none could be judged for that reason; "not tested" when the run has no cell for the feature.
 */
export type FeatureResult = 'OK' | 'NOK' | 'N/A' | 'partly' | 'ERROR' | 'INCOMPLETE' | 'not tested';

/** What a case of the plan looks like to a report (a subset of CaseDefinition). */
export interface PlanCase {
  id: string;
  section: string;
  title: string;
  steps: readonly string[];
}

/** A section of the plan: its title and test objectives (the IWR's "Test Objectives"). */
export interface PlanSection {
  title: string;
  objective: string;
}

/** One feature of the IWR's section 6 summary and the cases that decide it. */
export interface FeatureDefinition {
  feature: string;
  /** Case id patterns (`*` as wildcard, as `--only`). */
  cases: readonly string[];
}

/**
 * The IWR section 6.1 features and the cases behind each: the one place this mapping lives.
 * Codec cases (8-1-*) count toward VoIP and RTP support; transfers (8-5-*) toward features
 * during conversation; the VPN cases of outgoing and incoming calls also toward the remote
 * homeworker.
 */
export const FEATURES: readonly FeatureDefinition[] = [
  { feature: 'Initialisation and network configuration', cases: ['T-1'] },
  { feature: 'SIP registration', cases: ['T-2', 'T-3'] },
  { feature: 'SIP authentication', cases: ['T-4'] },
  { feature: 'VoIP and RTP support', cases: ['T-5', '8-1-*'] },
  { feature: 'TLS and SRTP support on carrier side', cases: ['T-6', 'T-7'] },
  { feature: 'Outgoing call', cases: ['8-2-*'] },
  { feature: 'Incoming call', cases: ['8-3-*'] },
  { feature: 'Features during conversation', cases: ['8-4-*', '8-5-*'] },
  { feature: 'Fax G711', cases: ['T-8'] },
  { feature: 'Fax T38', cases: ['T-9'] },
  {
    feature: 'Remote homeworker VPN',
    cases: ['8-2-4', '8-2-5', '8-2-6', '8-2-7', '8-3-4', '8-3-5', '8-3-6', '8-3-7'],
  },
];

/** The header block of the report: what was tested, by whom, how and when. */
export interface ReportHeader {
  runId: string;
  /** Day the run started (YYYY-MM-DD). */
  date: string;
  startedAt: string;
  endedAt?: string;
  sbc: { kind: string; model: string; firmware: string };
  pbx: { name: string; release: string };
  provider: string;
  harnessVersion: string;
  tester: string;
  /** "embedded", "lab" or "on site". */
  method: string;
  profile: string;
  description: string;
}

/** One line of the summary of test results (IWR 6.1). */
export interface FeatureSummary {
  feature: string;
  result: FeatureResult;
  remark: string;
  /** Ids of the cells that decided the result, in report order. */
  cases: string[];
}

/** One NOK cell, for the summary of problems (IWR 6.2). */
export interface Problem {
  id: string;
  section: string;
  title: string;
  comment: string;
}

/** One distinct N/A reason, for the summary of limitations (IWR 6.3). */
export interface Limitation {
  reason: string;
  cases: string[];
}

/** How a cell compares with the baseline run, when a baseline is given. */
export type BaselineChange = Verdict | 'absent';

/** One row of a section's result table: Test Case Id | Test Case | N/A | OK | NOK | Comment. */
export interface ReportRow {
  id: string;
  title: string;
  /** Actions and expected result, from the plan (empty for a case the plan no longer has). */
  steps: string[];
  /** False for a cell whose case is not in the plan (an old journal). */
  inPlan: boolean;
  verdict: Verdict;
  /** The column holding the mark; null for ERROR and INCOMPLETE (the comment says which). */
  mark: Mark | null;
  comment: string;
  durationMs: number;
  /** The baseline's verdict when it differs from this run's ("absent": a new cell). */
  was?: BaselineChange;
  /** The checks the engineer judged (real equipment, `--interactive` / `--ui`); absent when none. */
  judgedByEngineer?: EngineerJudgement[];
}

/** One check judged by the engineer, as every format shows it. */
export interface EngineerJudgement {
  check: string;
  /** The engineer's answer: OK, NOK, or N/A (recorded, not judged). */
  result: 'OK' | 'NOK' | 'N/A';
  /** The engineer's own words ('' when none). */
  comment: string;
}

/** The checks of a cell that the engineer judged (CheckRecord.by === 'engineer'), in order. */
export function engineerJudgements(cell: Pick<Cell, 'checks'>): EngineerJudgement[] {
  return (Array.isArray(cell.checks) ? cell.checks : []).flatMap((k) =>
    k && typeof k === 'object' && k.by === 'engineer'
      ? [
          {
            check: typeof k.name === 'string' ? k.name : '',
            result:
              k.judged === false ? ('N/A' as const) : k.ok === true ? ('OK' as const) : ('NOK' as const),
            comment: typeof k.comment === 'string' ? k.comment : '',
          },
        ]
      : [],
  );
}

/**
 * The sentence every format adds to a row's comment: "Judged by the engineer: display on
 * Premium Deskphone 1: OK (“shows 040555001”); …". Empty when the engineer judged nothing.
 */
export function engineerNote(judged: readonly EngineerJudgement[] | undefined): string {
  const list = engineerList(judged);
  return list ? `${ENGINEER_LABEL}: ${list}.` : '';
}

/** The marker every format puts before the checks the engineer judged. */
export const ENGINEER_LABEL = 'Judged by the engineer';

/** "display on Premium Deskphone 1: OK (“shows 040555001”); …" ('' when none). */
export function engineerList(judged: readonly EngineerJudgement[] | undefined): string {
  return (judged ?? [])
    .map((j) => `${j.check}: ${j.result}${j.comment ? ` (“${j.comment}”)` : ''}`)
    .join('; ');
}

/** A section's result table with its test objectives (IWR section 8). */
export interface ReportSection {
  id: string;
  title: string;
  objective: string;
  rows: ReportRow[];
}

/** The baseline a report was compared with. */
export interface BaselineSummary {
  runId: string;
  /** Cells whose verdict differs from the baseline's, counting new cells. */
  changed: number;
  /** Cells that went from OK or N/A to NOK or ERROR. */
  regressions: number;
  /** Cells of the baseline that this run does not have. */
  removed: string[];
}

/** Everything a report shows. */
export interface ReportModel {
  header: ReportHeader;
  summary: ResultsFile['summary'];
  features: FeatureSummary[];
  problems: Problem[];
  limitations: Limitation[];
  notes: string[];
  sections: ReportSection[];
  baseline?: BaselineSummary;
  /** The results the model was drawn from (cells with their checks and evidence). */
  results: ResultsFile;
}

/** Inputs of {@link buildReportModel}. */
export interface ReportInputs {
  results: ResultsFile;
  /** The plan, for steps, order and whether a case still exists. */
  plan: readonly PlanCase[];
  sections: Readonly<Record<string, PlanSection>>;
  /** Damaged journal lines (see readJournal), noted in the report. */
  journalProblems?: readonly string[];
  /** Results of an earlier run to compare with. */
  baseline?: ResultsFile;
}

const MARKS: Record<Verdict, Mark | null> = {
  OK: 'OK',
  NOK: 'NOK',
  'N/A': 'N/A',
  ERROR: null,
  INCOMPLETE: null,
};

const METHODS: Record<string, string> = { embedded: 'embedded', lab: 'lab', 'on-site': 'on site' };

/** The verdicts a cell can regress from, and to. */
const GOOD: ReadonlySet<string> = new Set(['OK', 'N/A']);
const BAD: ReadonlySet<string> = new Set(['NOK', 'ERROR']);

/**
 * True when a verdict change is a regression: OK or N/A before, NOK or ERROR now. (OK before and
 * INCOMPLETE now is no regression of the SBC: the second run judged less.)
 */
export function isRegression(was: BaselineChange | undefined, now: Verdict): boolean {
  return was !== undefined && GOOD.has(was) && BAD.has(now);
}

/** True when a case id matches a pattern with `*` as wildcard (as `--only`). */
export function idMatches(id: string, pattern: string): boolean {
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${re}$`).test(id);
}

/** A comment on one line, cut to at most `max` characters, for short remarks. */
export function brief(text: string, max = 120): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1).trimEnd()}…` : oneLine;
}

/** Why a NOK cell failed, in short: its first failed check's sentence, else its comment. */
function failureOf(c: Cell): string {
  const failed = (Array.isArray(c.checks) ? c.checks : []).find((k) => k && k.ok === false);
  if (failed?.failure?.trim()) return failed.failure;
  if (failed) return `${failed.name}: expected ${failed.expected}, observed ${failed.observed}`;
  return c.comment || c.title;
}

function featureSummary(def: FeatureDefinition, cells: readonly Cell[]): FeatureSummary {
  const mine = cells.filter((c) => def.cases.some((p) => idMatches(c.id, p)));
  const ids = mine.map((c) => c.id);
  const by = (v: Verdict) => mine.filter((c) => c.verdict === v);
  const [ok, nok, na, error, incomplete] = [by('OK'), by('NOK'), by('N/A'), by('ERROR'), by('INCOMPLETE')];
  let result: FeatureResult;
  if (mine.length === 0) result = 'not tested';
  else if (nok.length > 0) result = 'NOK';
  else if (error.length > 0 || incomplete.length > 0)
    result = ok.length > 0 ? 'partly' : error.length > 0 ? 'ERROR' : 'INCOMPLETE';
  else if (na.length === mine.length) result = 'N/A';
  else result = 'OK';
  const parts: string[] = [];
  for (const c of nok) parts.push(`${c.id} NOK: ${brief(failureOf(c))}`);
  for (const c of error) parts.push(`${c.id} ERROR (harness): ${brief(c.comment || c.title)}`);
  for (const c of incomplete)
    parts.push(`${c.id} INCOMPLETE: ${brief(c.incomplete?.join('; ') || c.comment || c.title)}`);
  // N/A reasons, once each, with the cells that share them.
  const naReasons = new Map<string, string[]>();
  for (const c of na) {
    const reason = brief(c.comment || 'not applicable');
    naReasons.set(reason, [...(naReasons.get(reason) ?? []), c.id]);
  }
  for (const [reason, which] of naReasons) parts.push(`${which.join(', ')} N/A: ${reason}`);
  if (mine.length === 0) parts.push('no case of this feature in the run');
  else if (ok.length > 0) parts.push(`${ok.map((c) => c.id).join(', ')} OK`);
  return { feature: def.feature, result, remark: parts.join('; '), cases: ids };
}

function planOrder(plan: readonly PlanCase[], sections: Readonly<Record<string, PlanSection>>): string[] {
  const order: string[] = [];
  for (const c of plan) if (!order.includes(c.section)) order.push(c.section);
  for (const s of Object.keys(sections)) if (!order.includes(s)) order.push(s);
  return order;
}

/** The notes of the report (IWR 6.4): how the run was made, and the harness's own failures. */
function runNotes(inputs: ReportInputs, cells: readonly Cell[]): string[] {
  const { run } = inputs.results;
  const notes: string[] = [
    `Results produced by sbc-harness ${run.harnessVersion} (run ${run.id}, profile ${run.profile.name}, ${run.host.node} on ${run.host.platform}).`,
  ];
  if (run.options.quick)
    notes.push(
      'Quick mode (--quick): long waits were shortened; each cell concerned says so in its comment.',
    );
  if (run.options.faults.length > 0)
    notes.push(
      `SBC faults switched on deliberately: ${run.options.faults.join(', ')} — NOK cells are expected.`,
    );
  if (run.options.personalities && run.options.personalities.length > 0)
    notes.push(
      `Embedded SBC personalities (legal behaviours, docs/sbc-personalities.md) switched on: ${run.options.personalities.join(', ')}.`,
    );
  const open = Array.isArray(run.options.openSwitches) ? run.options.openSwitches.map(String) : [];
  if (open.length > 0)
    notes.push(`Security switches open in the profile (docs/security.md): ${open.join('; ')}.`);
  if (run.options.only) notes.push(`Only the cases matching "${run.options.only}" were run.`);
  if (run.options.interactive) notes.push('Interactive run: some checks were answered by the engineer.');
  const byEngineer = cells.filter((c) => engineerJudgements(c).length > 0);
  if (byEngineer.length > 0)
    notes.push(
      `Checks judged by the engineer (by eye or by ear, on real equipment) rather than measured by the harness, marked "Judged by the engineer" in the comments: ${byEngineer
        .map((c) => `${c.id} (${engineerJudgements(c).length})`)
        .join(', ')}.`,
    );
  if (run.resumedAt && run.resumedAt.length > 0)
    notes.push(
      `The run was interrupted and resumed (${run.resumedAt.join(', ')}); finished cells were kept.`,
    );
  if (!run.endedAt) notes.push('The run has no end record: it was stopped before it finished.');
  const incomplete = cells.filter((c) => c.verdict === 'INCOMPLETE');
  if (incomplete.length > 0)
    notes.push(
      `The plan is incomplete: ${incomplete.length} cell(s) could not be fully judged here and count neither OK, NOK nor N/A (INCOMPLETE): ${incomplete
        .map((c) => `${c.id} (${brief(c.incomplete?.join('; ') || c.comment || 'no comment', 100)})`)
        .join('; ')}.`,
    );
  const errors = cells.filter((c) => c.verdict === 'ERROR');
  if (errors.length > 0)
    notes.push(
      `Harness failures (ERROR, counted neither OK nor NOK): ${errors
        .map((c) => `${c.id} (${brief(c.comment || 'no comment', 80)})`)
        .join('; ')}.`,
    );
  const notInPlan = cells.filter((c) => !inputs.plan.some((p) => p.id === c.id));
  if (notInPlan.length > 0)
    notes.push(
      `Cells of cases the current plan no longer has: ${notInPlan.map((c) => c.id).join(', ')} (shown with their recorded title).`,
    );
  for (const p of inputs.journalProblems ?? []) notes.push(`Journal: ${p}.`);
  return notes;
}

const VERDICT_SET: ReadonlySet<string> = new Set(['OK', 'NOK', 'N/A', 'ERROR', 'INCOMPLETE']);
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * Results as read from a journal may hold hand-edited or damaged cells (a missing comment, an
 * unknown verdict, no run options). This returns results every renderer can rely on: valid
 * cells untouched (same objects), damaged ones repaired (an unknown verdict becomes ERROR),
 * cells without an id dropped; each repair is named in `problems`.
 */
export function normaliseResults(results: ResultsFile): { results: ResultsFile; problems: string[] } {
  const problems: string[] = [];
  const r = obj(results);
  const run = obj(r.run);
  const opt = obj(run.options);
  const prof = obj(run.profile);
  const sbc = obj(run.sbc);
  const pbx = obj(run.pbx);
  const host = obj(run.host);
  const fixedRun: ResultsFile['run'] = {
    ...(run as unknown as ResultsFile['run']),
    id: str(run.id, '(unknown run)'),
    startedAt: str(run.startedAt),
    harnessVersion: str(run.harnessVersion, '(unknown)'),
    profile: {
      ...prof,
      name: str(prof.name),
      file: str(prof.file),
      method: str(prof.method),
      tester: str(prof.tester),
      description: str(prof.description),
    },
    sbc: { ...sbc, kind: str(sbc.kind), model: str(sbc.model), firmware: str(sbc.firmware) },
    pbx: { ...pbx, name: str(pbx.name), release: str(pbx.release) },
    provider: { ...obj(run.provider), name: str(obj(run.provider).name) },
    options: {
      ...(opt as unknown as ResultsFile['run']['options']),
      quick: opt.quick === true,
      workers: typeof opt.workers === 'number' ? opt.workers : 1,
      faults: Array.isArray(opt.faults) ? opt.faults.filter((f): f is string => typeof f === 'string') : [],
      interactive: opt.interactive === true,
      ...(typeof opt.only === 'string' ? { only: opt.only } : {}),
    },
    host: { ...host, node: str(host.node), platform: str(host.platform) },
    actors: obj(run.actors) as Record<string, string>,
  };
  const cells: Cell[] = [];
  for (const [i, raw] of (Array.isArray(r.cells) ? r.cells : []).entries()) {
    const c = obj(raw);
    if (typeof c.id !== 'string' || c.id === '') {
      problems.push(`cell ${i + 1} has no id and is left out`);
      continue;
    }
    const verdictOk = typeof c.verdict === 'string' && VERDICT_SET.has(c.verdict);
    const ok =
      verdictOk &&
      typeof c.section === 'string' &&
      typeof c.title === 'string' &&
      typeof c.comment === 'string' &&
      Array.isArray(c.checks) &&
      c.evidence !== null &&
      typeof c.evidence === 'object' &&
      typeof c.startedAt === 'string' &&
      typeof c.durationMs === 'number';
    if (ok) {
      cells.push(raw as Cell);
      continue;
    }
    problems.push(
      `cell ${c.id} is incomplete${verdictOk ? '' : ` (verdict ${JSON.stringify(c.verdict)} read as ERROR)`}`,
    );
    cells.push({
      ...(c as unknown as Cell),
      id: c.id,
      section: str(c.section, '?'),
      title: str(c.title, c.id),
      verdict: verdictOk ? (c.verdict as Verdict) : 'ERROR',
      comment: str(c.comment, verdictOk ? '' : 'The journal holds no readable verdict for this cell.'),
      checks: Array.isArray(c.checks) ? (c.checks as Cell['checks']) : [],
      evidence: obj(c.evidence) as Cell['evidence'],
      startedAt: str(c.startedAt),
      durationMs: typeof c.durationMs === 'number' ? c.durationMs : 0,
    });
  }
  const summary = {
    OK: 0,
    NOK: 0,
    'N/A': 0,
    ERROR: 0,
    INCOMPLETE: 0,
    total: cells.length,
  } as ResultsFile['summary'];
  for (const c of cells) summary[c.verdict]++;
  return { results: { ...(r as unknown as ResultsFile), run: fixedRun, summary, cells }, problems };
}

/**
 * Builds the report model from a run's results and the plan; pure and total: damaged results
 * (see {@link normaliseResults}) are repaired and noted, never thrown on.
 */
export function buildReportModel(raw: ReportInputs): ReportModel {
  const fixed = normaliseResults(raw.results);
  const inputs: ReportInputs = {
    ...raw,
    results: fixed.results,
    journalProblems: [...(raw.journalProblems ?? []), ...fixed.problems],
    ...(raw.baseline ? { baseline: normaliseResults(raw.baseline).results } : {}),
  };
  const { results, plan, sections } = inputs;
  const { run } = results;
  const cells = results.cells;
  const planById = new Map(plan.map((c) => [c.id, c]));
  const was = new Map<string, BaselineChange>();
  if (inputs.baseline) {
    const before = new Map(inputs.baseline.cells.map((c) => [c.id, c.verdict]));
    for (const c of cells) {
      const b = before.get(c.id);
      if (b === undefined) was.set(c.id, 'absent');
      else if (b !== c.verdict) was.set(c.id, b);
    }
  }

  const header: ReportHeader = {
    runId: run.id,
    date: run.startedAt.slice(0, 10),
    startedAt: run.startedAt,
    ...(run.endedAt ? { endedAt: run.endedAt } : {}),
    sbc: { kind: run.sbc.kind, model: run.sbc.model, firmware: run.sbc.firmware },
    pbx: { name: run.pbx.name, release: run.pbx.release },
    provider: run.provider.name,
    harnessVersion: run.harnessVersion,
    tester: run.profile.tester,
    method: METHODS[run.profile.method] ?? run.profile.method,
    profile: run.profile.name,
    description: run.profile.description,
  };

  const problems: Problem[] = cells
    .filter((c) => c.verdict === 'NOK')
    .map((c) => ({ id: c.id, section: c.section, title: c.title, comment: c.comment }));

  const limitationMap = new Map<string, string[]>();
  for (const c of cells.filter((x) => x.verdict === 'N/A')) {
    const reason = c.comment.trim() || 'not applicable';
    limitationMap.set(reason, [...(limitationMap.get(reason) ?? []), c.id]);
  }
  const limitations = [...limitationMap].map(([reason, ids]) => ({ reason, cases: ids }));

  const order = planOrder(plan, sections);
  const sectionIds = [...new Set(cells.map((c) => c.section))].sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib) || a.localeCompare(b);
  });
  const reportSections: ReportSection[] = sectionIds.map((id) => ({
    id,
    title: sections[id]?.title ?? `Section ${id}`,
    objective: sections[id]?.objective ?? '',
    rows: cells
      .filter((c) => c.section === id)
      .map((c): ReportRow => {
        const p = planById.get(c.id);
        const w = was.get(c.id);
        const judged = engineerJudgements(c);
        return {
          id: c.id,
          title: c.title || p?.title || c.id,
          steps: p ? [...p.steps] : [],
          inPlan: p !== undefined,
          verdict: c.verdict,
          mark: MARKS[c.verdict] ?? null,
          comment: c.comment,
          durationMs: c.durationMs,
          ...(w !== undefined ? { was: w } : {}),
          ...(judged.length > 0 ? { judgedByEngineer: judged } : {}),
        };
      }),
  }));

  const model: ReportModel = {
    header,
    summary: { ...results.summary },
    features: FEATURES.map((f) => featureSummary(f, cells)),
    problems,
    limitations,
    notes: runNotes(inputs, cells),
    sections: reportSections,
    results,
  };
  if (inputs.baseline) {
    const now = new Set(cells.map((c) => c.id));
    model.baseline = {
      runId: inputs.baseline.run.id,
      changed: was.size,
      regressions: cells.filter((c) => isRegression(was.get(c.id), c.verdict)).length,
      removed: inputs.baseline.cells.filter((c) => !now.has(c.id)).map((c) => c.id),
    };
    model.notes.push(
      `Compared with run ${inputs.baseline.run.id}: ${model.baseline.changed} cell(s) changed, ${model.baseline.regressions} regression(s)` +
        `${model.baseline.removed.length > 0 ? `, not in this run: ${model.baseline.removed.join(', ')}` : ''}.`,
    );
  }
  return model;
}

/** Label of a baseline change, as every format shows it ("was OK", "new"). */
export function wasLabel(was: BaselineChange): string {
  return was === 'absent' ? 'new' : `was ${was}`;
}
