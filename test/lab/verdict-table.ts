/**
 * The expected-verdict table of docs/lab-verdicts.md: reading it, and comparing a run's cells
 * with it (one line per difference).
 */
export const VERDICTS = ['OK', 'NOK', 'N/A', 'ERROR', 'INCOMPLETE'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface ExpectedRow {
  id: string;
  verdict: Verdict;
  reason: string;
  line: number;
}

/** Reads the table between the lab-verdicts markers; problems name the line. */
export function readVerdictTable(text: string): { rows: ExpectedRow[]; problems: string[] } {
  const lines = text.split('\n');
  const begin = lines.findIndex((l) => l.includes('<!-- lab-verdicts:begin -->'));
  const end = lines.findIndex((l) => l.includes('<!-- lab-verdicts:end -->'));
  if (begin < 0 || end < begin) return { rows: [], problems: ['the lab-verdicts markers are missing'] };
  const rows: ExpectedRow[] = [];
  const problems: string[] = [];
  for (let i = begin + 1; i < end; i++) {
    const l = lines[i]!.trim();
    if (!l.startsWith('|') || /^\|\s*case\s*\|/.test(l) || /^\|[-\s|]+\|$/.test(l)) continue;
    const cols = l
      .slice(1, l.endsWith('|') ? -1 : undefined)
      .split('|')
      .map((c) => c.trim());
    const [id = '', verdict = '', reason = ''] = cols;
    const where = `docs/lab-verdicts.md line ${i + 1}`;
    if (!/^\d+-\d+-\d+$|^[TS]-\d+$/.test(id)) problems.push(`${where}: "${id}" is not a case id`);
    if (!VERDICTS.includes(verdict as Verdict))
      problems.push(`${where}: verdict "${verdict}" is not one of ${VERDICTS.join(', ')}`);
    if ((verdict === 'N/A' || verdict === 'NOK' || verdict === 'INCOMPLETE') && reason === '')
      problems.push(`${where}: ${id} ${verdict} needs a reason`);
    if (rows.some((r) => r.id === id)) problems.push(`${where}: ${id} appears twice`);
    rows.push({ id, verdict: verdict as Verdict, reason, line: i + 1 });
  }
  return { rows, problems };
}

/** Every difference between the table and the cells of a run, one sentence each. */
export function verdictDifferences(
  rows: readonly ExpectedRow[],
  cells: ReadonlyArray<{ id: string; verdict: string; comment?: string }>,
): string[] {
  const out: string[] = [];
  const expected = new Map(rows.map((r) => [r.id, r]));
  for (const c of cells) {
    const e = expected.get(c.id);
    if (!e) out.push(`${c.id}: ran ${c.verdict}, but docs/lab-verdicts.md has no row for it (add one)`);
    else if (e.verdict !== c.verdict)
      out.push(
        `${c.id}: expected ${e.verdict} (line ${e.line}), got ${c.verdict}: ${c.comment ?? ''}`.trim(),
      );
  }
  const ran = new Set(cells.map((c) => c.id));
  for (const r of rows)
    if (!ran.has(r.id)) out.push(`${r.id}: in docs/lab-verdicts.md (line ${r.line}) but not run`);
  return out;
}
