/**
 * The cells of a compose lab run (docker-compose.yml, .ci/compose-lab) against the expected
 * verdicts of docs/lab-verdicts.md, cell by cell, as test/lab/plan-verdicts.test.ts does for the
 * native lab. It reads the run's results.json named by SBC_HARNESS_COMPOSE_RESULTS; without it,
 * vitest.config.ts does not collect this file (npm test never lists it as skipped):
 *
 *   SBC_HARNESS_COMPOSE_RESULTS=results/run-…/results.json npx vitest run test/lab/compose-verdicts.test.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readVerdictTable, verdictDifferences } from './verdict-table.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = process.env.SBC_HARNESS_COMPOSE_RESULTS ?? '';

describe('the plan through the compose lab', () => {
  it('gives the verdicts of docs/lab-verdicts.md, cell by cell (SBC_HARNESS_COMPOSE_RESULTS)', () => {
    const table = readVerdictTable(readFileSync(join(ROOT, 'docs', 'lab-verdicts.md'), 'utf8'));
    expect(table.problems).toEqual([]);
    let cells: Array<{ id: string; verdict: string; comment?: string }>;
    try {
      cells = (JSON.parse(readFileSync(RESULTS, 'utf8')) as { cells: typeof cells }).cells;
    } catch (err) {
      throw new Error(`no readable results.json at ${RESULTS}: ${(err as Error).message}`);
    }
    expect(Array.isArray(cells), 'results.json has a cells array').toBe(true);
    expect(verdictDifferences(table.rows, cells)).toEqual([]);
  });
});
