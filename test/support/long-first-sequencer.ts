/**
 * The order `npm test` starts its files in: the longest first, then vitest's own order. On two
 * workers the run ends when the last file does, and vitest's own order on a clean clone (no
 * timing cache: larger files first) started the longest file, the fault switches' whole-plan
 * runs (about 470 s), some 1000 s into a 1500 s run, leaving the other worker idle at the end.
 * Started first, the long files run beside the short ones and the run ends near half the sum
 * of its files' times. Durations from CI runs of December 2026 (`.ci/run` prints each file's);
 * a file renamed or gone only falls back to vitest's order.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Test files of over 90 s in CI, longest first (seconds in the CI run of 5de0c2f). */
export const LONG_TEST_FILES: readonly string[] = [
  'test/scenarios/faults.test.ts', // 468
  'test/scenarios/personalities.test.ts', // 403
  'test/lab/plan-verdicts.test.ts', // 308
  'test/lab/kamailio-alt.test.ts', // 158
  'test/runner/real-equipment.test.ts', // 98
  'test/scenarios/outgoing-incoming.test.ts', // 93
];

/** The files of `specs` named in `long` first, in that order; the others as `rest` had them. */
export function longFirst<T>(specs: readonly T[], pathOf: (s: T) => string, long: readonly string[]): T[] {
  const rank = (s: T) => {
    const p = pathOf(s);
    const i = long.findIndex((l) => p === l || p.endsWith(`/${l}`));
    return i < 0 ? long.length : i;
  };
  return specs
    .map((s, i) => ({ s, i, r: rank(s) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.s);
}

export class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return longFirst(sorted, (s) => s.moduleId.replaceAll('\\', '/'), LONG_TEST_FILES);
  }
}
