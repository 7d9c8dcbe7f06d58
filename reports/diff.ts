/**
 * Comparing two runs cell by cell (by case id): regressions first (OK or N/A before, NOK or
 * ERROR now), then the other verdict changes, then cells added and removed. `sbc-harness diff`
 * prints it; `--baseline` marks the same changes in every report.
 */
import type { ResultsFile } from '../harness/runner/results.ts';
import type { Verdict } from '../harness/runner/verdict.ts';
import { isRegression } from './report-model.ts';

/** One cell whose verdict differs between the runs. */
export interface CellChange {
  id: string;
  title: string;
  from: Verdict;
  to: Verdict;
  /** The newer run's comment. */
  comment: string;
}

/** A cell present in one run only. */
export interface CellPresence {
  id: string;
  title: string;
  verdict: Verdict;
}

/** What changed from run A (before) to run B (after). */
export interface RunDiff {
  before: string;
  after: string;
  /** OK or N/A → NOK or ERROR. */
  regressions: CellChange[];
  /** Every other verdict change (fixes, NOK ↔ ERROR, OK ↔ N/A). */
  changes: CellChange[];
  /** In B only. */
  added: CellPresence[];
  /** In A only. */
  removed: CellPresence[];
  /** Cells with the same verdict in both. */
  unchanged: number;
}

/** Compares the cells of two runs by id; cells keep the order of the newer run. */
export function diffRuns(before: ResultsFile, after: ResultsFile): RunDiff {
  const a = new Map(before.cells.map((c) => [c.id, c]));
  const bIds = new Set(after.cells.map((c) => c.id));
  const d: RunDiff = {
    before: before.run.id,
    after: after.run.id,
    regressions: [],
    changes: [],
    added: [],
    removed: [],
    unchanged: 0,
  };
  for (const c of after.cells) {
    const old = a.get(c.id);
    if (!old) {
      d.added.push({ id: c.id, title: c.title, verdict: c.verdict });
      continue;
    }
    if (old.verdict === c.verdict) {
      d.unchanged++;
      continue;
    }
    const change = { id: c.id, title: c.title, from: old.verdict, to: c.verdict, comment: c.comment };
    (isRegression(old.verdict, c.verdict) ? d.regressions : d.changes).push(change);
  }
  for (const c of before.cells)
    if (!bIds.has(c.id)) d.removed.push({ id: c.id, title: c.title, verdict: c.verdict });
  return d;
}

/** Ids of every cell the diff lists (changed, added, removed). */
export function listedIds(d: RunDiff): string[] {
  return [...d.regressions, ...d.changes, ...d.added, ...d.removed].map((c) => c.id);
}

/** Exit code of `sbc-harness diff`: 1 when a cell regressed, 0 otherwise. */
export function diffExitCode(d: RunDiff): number {
  return d.regressions.length > 0 ? 1 : 0;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The diff as text, one line per cell, regressions first. */
export function formatDiff(d: RunDiff): string {
  const lines = [`Comparing ${d.before} (before) with ${d.after} (after):`];
  for (const c of d.regressions)
    lines.push(
      `  REGRESSION ${c.id.padEnd(6)} ${c.from} → ${c.to}  ${c.title}${c.comment ? ` — ${oneLine(c.comment)}` : ''}`,
    );
  for (const c of d.changes)
    lines.push(
      `  changed    ${c.id.padEnd(6)} ${c.from} → ${c.to}  ${c.title}${c.comment ? ` — ${oneLine(c.comment)}` : ''}`,
    );
  for (const c of d.added) lines.push(`  added      ${c.id.padEnd(6)} ${c.verdict}  ${c.title}`);
  for (const c of d.removed) lines.push(`  removed    ${c.id.padEnd(6)} (was ${c.verdict})  ${c.title}`);
  lines.push(
    `${d.regressions.length} regression(s), ${d.changes.length} other change(s), ${d.added.length} added, ${d.removed.length} removed, ${d.unchanged} unchanged.`,
  );
  return `${lines.join('\n')}\n`;
}
