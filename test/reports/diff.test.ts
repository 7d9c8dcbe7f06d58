/**
 * Run-to-run diff on hand-made results: regressions (OK/N/A → NOK/ERROR) listed first, then
 * other changes, added and removed cells; unchanged cells never listed; exit code 1 only for a
 * regression; and, for random pairs of runs, the listed cells are exactly those that differ.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../harness/runner/results.ts';
import type { Cell, Verdict } from '../../harness/runner/verdict.ts';
import { diffExitCode, diffRuns, formatDiff, isRegression, listedIds } from '../../reports/index.ts';

const VERDICTS: Verdict[] = ['OK', 'NOK', 'N/A', 'ERROR'];

function cell(id: string, verdict: Verdict, comment = ''): Cell {
  return {
    id,
    section: '8.3',
    title: `title ${id}`,
    verdict,
    comment,
    checks: [],
    evidence: {},
    startedAt: '2026-01-02T03:04:05.000Z',
    durationMs: 1,
  };
}

function run(id: string, cells: Array<[string, Verdict, string?]>): ResultsFile {
  return {
    run: {
      id,
      startedAt: '2026-01-02T03:04:05.000Z',
      harnessVersion: 'x',
      profile: { name: 'p', file: 'f', method: 'embedded', tester: '', description: '' },
      sbc: { kind: 'embedded', model: 'm', firmware: '' },
      pbx: { name: 'p', release: '' },
      provider: { name: 'p' },
      options: { quick: true, workers: 1, faults: [], interactive: false },
      host: { node: 'v20', platform: 'linux' },
      actors: {},
    },
    summary: { OK: 0, NOK: 0, 'N/A': 0, ERROR: 0, INCOMPLETE: 0, total: cells.length },
    cells: cells.map(([i, v, c]) => cell(i, v, c)),
  };
}

describe('diffRuns', () => {
  const a = run('run-a', [
    ['8-1-1', 'OK'],
    ['8-2-1', 'OK'],
    ['8-2-2', 'N/A'],
    ['8-2-3', 'NOK'],
    ['8-2-4', 'ERROR'],
    ['8-2-5', 'OK'],
    ['8-3-1', 'OK'],
  ]);
  const b = run('run-b', [
    ['8-1-1', 'OK'],
    ['8-2-1', 'NOK', 'DTMF 1 arrived twice'],
    ['8-2-2', 'ERROR', 'Harness error: boom'],
    ['8-2-3', 'OK'],
    ['8-2-4', 'NOK', 'now judged'],
    ['8-2-5', 'N/A', 'no VPN'],
    ['T-1', 'OK'],
  ]);
  const d = diffRuns(a, b);

  it('lists regressions first, then other changes, then added and removed cells', () => {
    expect(d.regressions.map((c) => [c.id, c.from, c.to])).toEqual([
      ['8-2-1', 'OK', 'NOK'],
      ['8-2-2', 'N/A', 'ERROR'],
    ]);
    expect(d.changes.map((c) => [c.id, c.from, c.to])).toEqual([
      ['8-2-3', 'NOK', 'OK'],
      ['8-2-4', 'ERROR', 'NOK'],
      ['8-2-5', 'OK', 'N/A'],
    ]);
    expect(d.added.map((c) => c.id)).toEqual(['T-1']);
    expect(d.removed.map((c) => [c.id, c.verdict])).toEqual([['8-3-1', 'OK']]);
    expect(d.unchanged).toBe(1);
    expect(diffExitCode(d)).toBe(1);
  });

  it('prints one line per listed cell, regressions on top, unchanged cells absent', () => {
    const text = formatDiff(d);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('Comparing run-a (before) with run-b (after):');
    expect(lines[1]).toMatch(/^ {2}REGRESSION 8-2-1 +OK → NOK .*DTMF 1 arrived twice/);
    expect(lines[2]).toMatch(/^ {2}REGRESSION 8-2-2 +N\/A → ERROR/);
    expect(lines.slice(3, 6).every((l) => l.startsWith('  changed'))).toBe(true);
    expect(lines[6]).toMatch(/^ {2}added +T-1 +OK/);
    expect(lines[7]).toMatch(/^ {2}removed +8-3-1 +\(was OK\)/);
    expect(lines[8]).toBe('2 regression(s), 3 other change(s), 1 added, 1 removed, 1 unchanged.');
    expect(text).not.toMatch(/8-1-1/);
  });

  it('exits 0 when nothing regressed, even with fixes and new cells', () => {
    const fixed = diffRuns(
      run('x', [['8-2-1', 'NOK']]),
      run('y', [
        ['8-2-1', 'OK'],
        ['8-2-2', 'NOK'],
      ]),
    );
    expect(fixed.regressions).toEqual([]);
    expect(diffExitCode(fixed)).toBe(0);
    expect(diffExitCode(diffRuns(a, a))).toBe(0);
    expect(listedIds(diffRuns(a, a))).toEqual([]);
  });

  it('lists exactly the cells that differ, for any two runs', () => {
    const spec = fc.dictionary(
      fc.constantFrom('8-1-1', '8-2-1', '8-2-2', '8-3-1', 'T-1', 'T-2'),
      fc.constantFrom(...VERDICTS),
    );
    fc.assert(
      fc.property(spec, spec, (x, y) => {
        const d2 = diffRuns(run('x', Object.entries(x)), run('y', Object.entries(y)));
        const ids = new Set([...Object.keys(x), ...Object.keys(y)]);
        const expected = [...ids].filter((i) => x[i] !== y[i]).sort();
        expect(listedIds(d2).sort()).toEqual(expected);
        expect(d2.regressions.every((c) => isRegression(c.from, c.to))).toBe(true);
        expect(d2.changes.every((c) => !isRegression(c.from, c.to))).toBe(true);
        expect(diffExitCode(d2)).toBe(
          [...ids].some((i) => ['OK', 'N/A'].includes(x[i] ?? '') && ['NOK', 'ERROR'].includes(y[i] ?? ''))
            ? 1
            : 0,
        );
      }),
      { numRuns: 200 },
    );
  });
});
