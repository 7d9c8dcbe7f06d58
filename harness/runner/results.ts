/**
 * results.json: the run and its cells, derived from the journal alone. For a case recorded
 * more than once (a resumed run), the last cell wins.
 */
import type { JournalEntry, RunInfo } from './journal.ts';
import { type Cell, exitCodeFor, type Verdict } from './verdict.ts';

export interface ResultsFile {
  run: RunInfo & { endedAt?: string; resumedAt?: string[] };
  summary: Record<Verdict, number> & { total: number };
  cells: Cell[];
}

export function buildResults(entries: readonly JournalEntry[], order: readonly string[] = []): ResultsFile {
  const runEntry = entries.find((e) => e.type === 'run');
  if (runEntry?.type !== 'run') throw new Error('the journal has no run entry');
  const run: ResultsFile['run'] = { ...runEntry.run };
  const resumes = entries.flatMap((e) => (e.type === 'resume' ? [e.at] : []));
  if (resumes.length > 0) run.resumedAt = resumes;
  const end = [...entries].reverse().find((e) => e.type === 'end');
  if (end && end.type === 'end') run.endedAt = end.at;
  const byId = new Map<string, Cell>();
  for (const e of entries) if (e.type === 'cell') byId.set(e.cell.id, e.cell);
  const rank = new Map(order.map((id, i) => [id, i]));
  const cells = [...byId.values()].sort(
    (a, b) => (rank.get(a.id) ?? 1e9) - (rank.get(b.id) ?? 1e9) || a.id.localeCompare(b.id),
  );
  const summary = {
    OK: 0,
    NOK: 0,
    'N/A': 0,
    ERROR: 0,
    INCOMPLETE: 0,
    total: cells.length,
  } as ResultsFile['summary'];
  for (const c of cells) summary[c.verdict]++;
  return { run, summary, cells };
}

export { exitCodeFor };
