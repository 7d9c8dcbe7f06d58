/**
 * `sbc-harness merge DIR... --out DIR`: the results.json of several load runs (the agents of
 * `load --agents N`, the pods of the Kubernetes Indexed Job) merged into one, with the report
 * and the chart of a single run (harness/runner/load-merge.ts, docs/load.md).
 * Exit codes: 0 every step met the thresholds, 1 a step missed one, 2 a run cannot be read or
 * merged (the message names its file).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { asLoadResult, LoadMergeError, type LoadMergeInput, mergeLoadResults } from '../runner/index.ts';
import { writeLoadResult } from './load-output.ts';

/** Reads one run's results.json (a folder holding it, or the file itself); throws LoadMergeError. */
export function readLoadResult(where: string): LoadMergeInput {
  const p = resolve(where);
  const file = existsSync(p) && statSync(p).isDirectory() ? join(p, 'results.json') : p;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new LoadMergeError(
      `${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a load run's folder or its results.json`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new LoadMergeError(
      `${file}: not valid JSON (${(err as Error).message}); a truncated file, from an agent that was killed while writing?`,
    );
  }
  return { source: file, result: asLoadResult(file, parsed) };
}

export function mergeCommand(dirs: string[], o: { out?: string }, out: (s: string) => void): number {
  if (!o.out) {
    out('sbc-harness merge: --out DIR is required\n');
    return 2;
  }
  if (dirs.length === 0) {
    out('sbc-harness merge: give the folders (or results.json files) of the runs to merge\n');
    return 2;
  }
  try {
    const merged = mergeLoadResults(dirs.map(readLoadResult));
    out(`sbc-harness merge: ${dirs.length} run(s) merged\n`);
    return writeLoadResult(merged, resolve(o.out), out);
  } catch (err) {
    if (!(err instanceof LoadMergeError)) throw err;
    out(`sbc-harness merge: ${err.message}\n`);
    return 2;
  }
}
