/**
 * `sbc-harness report DIR` and `sbc-harness diff A B`: reports written from a run's journal
 * (never from anything else), in every format or those `--format` names, optionally marked
 * against a baseline run; and the cell-by-cell comparison of two runs. `run` writes its
 * reports through {@link writeReports} too.
 */
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  buildReportModel,
  diffExitCode,
  diffRuns,
  formatDiff,
  normaliseResults,
  type PlanCase,
  type PlanSection,
  RENDERERS,
  REPORT_FORMATS,
  type ReportFormat,
  type ReportModel,
  type ReportRenderer,
} from '../../reports/index.ts';
import { PLAN, SECTIONS } from '../../scenarios/index.ts';
import { readJournal } from '../runner/journal.ts';
import { buildResults, type ResultsFile } from '../runner/results.ts';

/** A run read back from its folder, or why it could not be. */
export type LoadedRun =
  | { ok: true; dir: string; results: ResultsFile; problems: string[] }
  | { ok: false; dir: string; message: string };

/** Reads DIR/journal.jsonl and derives the run's results (cells in plan order). Never throws. */
export function loadRun(dir: string, plan: readonly PlanCase[] = PLAN): LoadedRun {
  const abs = resolve(dir);
  const journal = join(abs, 'journal.jsonl');
  if (!existsSync(abs) || !statSync(abs).isDirectory())
    return { ok: false, dir: abs, message: `${abs} is not a folder; give the --out folder of a run` };
  if (!existsSync(journal))
    return {
      ok: false,
      dir: abs,
      message: `${journal} does not exist; give the --out folder of a run (it holds journal.jsonl)`,
    };
  try {
    const read = readJournal(journal);
    const problems = [...read.problems];
    // A cell entry without a cell (a hand edit) is noted and left out rather than fatal.
    const entries = read.entries.filter((e, i) => {
      const ok =
        e.type !== 'cell' || (typeof e.cell === 'object' && e.cell !== null && typeof e.cell.id === 'string');
      if (!ok) problems.push(`entry ${i + 1} is a cell without an id, left out`);
      return ok;
    });
    const fixed = normaliseResults(
      buildResults(
        entries,
        plan.map((c) => c.id),
      ),
    );
    return { ok: true, dir: abs, results: fixed.results, problems: [...problems, ...fixed.problems] };
  } catch (err) {
    return { ok: false, dir: abs, message: `${journal}: ${(err as Error).message}` };
  }
}

/** Options of {@link writeReports}. */
export interface WriteReportsOptions {
  runDir: string;
  /** Formats to write (default: every registered one). */
  formats?: readonly ReportFormat[];
  /** Folder of a run to compare with. */
  baselineDir?: string;
  plan?: readonly PlanCase[];
  sections?: Readonly<Record<string, PlanSection>>;
  renderers?: Partial<Record<ReportFormat, ReportRenderer>>;
}

/** What {@link writeReports} did. */
export interface WriteReportsOutcome {
  /** Paths of the files written. */
  written: string[];
  /** One line per problem (a run that cannot be read, a renderer that failed). */
  errors: string[];
  /** What was wrong with the journal and left out or mended to write the reports (a cut line, a hand edit). */
  repaired: string[];
}

/** Writes the reports of the run in `runDir` into that folder. Never throws; failures are in `errors`. */
export async function writeReports(o: WriteReportsOptions): Promise<WriteReportsOutcome> {
  const plan = o.plan ?? PLAN;
  const renderers = o.renderers ?? RENDERERS;
  const run = loadRun(o.runDir, plan);
  if (!run.ok) return { written: [], errors: [run.message], repaired: [] };
  let baseline: ResultsFile | undefined;
  if (o.baselineDir) {
    const b = loadRun(o.baselineDir, plan);
    if (!b.ok) return { written: [], errors: [`baseline: ${b.message}`], repaired: [] };
    baseline = b.results;
  }
  let model: ReportModel;
  try {
    model = buildReportModel({
      results: run.results,
      plan,
      sections: o.sections ?? SECTIONS,
      journalProblems: run.problems,
      ...(baseline ? { baseline } : {}),
    });
  } catch (err) {
    return {
      written: [],
      errors: [`the report model could not be built: ${(err as Error).message}`],
      repaired: run.problems,
    };
  }
  const formats = o.formats ?? REPORT_FORMATS.filter((f) => renderers[f]);
  const outcome: WriteReportsOutcome = { written: [], errors: [], repaired: [...run.problems] };
  for (const f of formats) {
    const r = renderers[f];
    if (!r) {
      outcome.errors.push(`format ${f} is not available in this version`);
      continue;
    }
    const path = join(run.dir, r.fileName);
    try {
      const content = await r.render(model, { runDir: run.dir });
      writeFileSync(`${path}.tmp`, content);
      renameSync(`${path}.tmp`, path);
      outcome.written.push(path);
    } catch (err) {
      outcome.errors.push(`${f} report failed: ${(err as Error).message}`);
    }
  }
  return outcome;
}

/** Parses `--format md,junit`; undefined means every registered format. */
export function parseFormats(
  value: string | undefined,
  renderers: Partial<Record<ReportFormat, ReportRenderer>> = RENDERERS,
): { formats: ReportFormat[] } | { error: string } {
  const available = REPORT_FORMATS.filter((f) => renderers[f]);
  if (value === undefined) return { formats: available };
  const asked = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (asked.length === 0) return { error: `--format needs one or more of ${available.join(', ')}` };
  const formats: ReportFormat[] = [];
  for (const a of asked) {
    const f = (a === 'markdown' ? 'md' : a === 'xml' ? 'junit' : a) as ReportFormat;
    if (!REPORT_FORMATS.includes(f)) return { error: `unknown format "${a}"; use ${available.join(', ')}` };
    if (!renderers[f])
      return { error: `format "${a}" is not available in this version; use ${available.join(', ')}` };
    if (!formats.includes(f)) formats.push(f);
  }
  return { formats };
}

/** Options of `sbc-harness report`. */
export interface ReportCommandOptions {
  format?: string;
  baseline?: string;
}

/**
 * `sbc-harness report DIR`: 0 written, 1 written from a damaged journal (what was left out or
 * mended is printed on stderr), 2 bad input (no journal, unknown format) or a failed renderer.
 */
export async function reportCommand(
  dir: string,
  o: ReportCommandOptions,
  out: (s: string) => void,
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  const parsed = parseFormats(o.format);
  if ('error' in parsed) {
    err(`sbc-harness report: ${parsed.error}\n`);
    return 2;
  }
  const r = await writeReports({
    runDir: dir,
    formats: parsed.formats,
    ...(o.baseline ? { baselineDir: o.baseline } : {}),
  });
  for (const p of r.written) out(`${p}\n`);
  for (const p of r.repaired) err(`sbc-harness report: damaged journal: ${p}\n`);
  for (const e of r.errors) err(`sbc-harness report: ${e}\n`);
  if (r.errors.length > 0) return 2;
  if (r.repaired.length > 0) {
    err(
      `sbc-harness report: the reports were written from what could be read of the journal (${r.repaired.length} problem${r.repaired.length === 1 ? '' : 's'} above)\n`,
    );
    return 1;
  }
  return 0;
}

/** `sbc-harness diff A B`: prints the changes; 1 when a cell regressed, 2 on bad input, else 0. */
export function diffCommand(
  a: string,
  b: string,
  out: (s: string) => void,
  err: (s: string) => void = (s) => process.stderr.write(s),
): number {
  const before = loadRun(a);
  const after = loadRun(b);
  let bad = false;
  for (const r of [before, after])
    if (!r.ok) {
      err(`sbc-harness diff: ${r.message}\n`);
      bad = true;
    }
  if (bad || !before.ok || !after.ok) return 2;
  const d = diffRuns(before.results, after.results);
  out(formatDiff(d));
  return diffExitCode(d);
}
