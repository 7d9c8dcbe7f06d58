/**
 * Writes a load result (a run's, an agent's or a merged one) as results.json, load-report.md and
 * load-chart.svg, and prints its summary; returns the exit code of a finished load (0 every step
 * met the thresholds, 1 a step missed one). Used by `load` (one process or agents) and `merge`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadChartSvg, loadMarkdown } from '../../reports/index.ts';
import {
  harnessBehind,
  kneeNotReached,
  type LoadResult,
  loadRulesText,
  lowestMos,
  notJudgedText,
  notSeenText,
} from '../runner/index.ts';

export function writeLoadResult(result: LoadResult, outDir: string, out: (s: string) => void): number {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(outDir, 'load-report.md'), loadMarkdown(result));
  writeFileSync(join(outDir, 'load-chart.svg'), loadChartSvg(result));
  const t = result.total;
  const mosMin = lowestMos(t.audio);
  const agents = result.agents ? ` from ${result.agents.length} agent(s)` : '';
  const notReached = kneeNotReached(result.steps, result.options.steps, result.stoppedBy);
  out(
    `${t.calls} call(s)${agents}, ${t.failedCalls} failed; SER ${t.rfc6076.sessionEstablishmentRatio.toFixed(1)} %; ` +
      `setup p95 ${t.setupMs ? Math.round(t.setupMs.p95) : '–'} ms; ` +
      `MOS min ${mosMin !== undefined ? mosMin.toFixed(2) : '–'}; ` +
      `${
        notReached !== undefined
          ? `knee not reached: ${notReached}`
          : result.knee !== undefined
            ? `knee (highest concurrency before a step missed the thresholds): ${result.knee}`
            : 'knee: none, the first step missed the thresholds'
      }` +
      `${result.highestMet !== undefined && result.highestMet !== result.knee ? `; a later step met them again at ${result.highestMet}` : ''}` +
      `${result.stoppedBy === 'interrupted' ? '; interrupted: the figures cover the calls started before it' : ''}\n`,
  );
  // Why the first step that missed did: a knee is worth only its reason (the report's step
  // table has every step's).
  const missed = result.steps.find((st) => !st.verdict.met);
  if (missed)
    out(
      `  step ${missed.step + 1} (target ${missed.concurrency}) missed: ${missed.verdict.missed.join('; ') || 'no reason recorded'}\n`,
    );
  for (const b of result.breakage) out(`  broke: ${b.kind}: ${b.figure}\n`);
  if (result.rules) out(`  rules: ${loadRulesText(result.rules)}\n`);
  const notJudged = notJudgedText(t.audio);
  if (notJudged) out(`  not judged: ${notJudged}\n`);
  const behind = harnessBehind(result);
  if (behind) out(`  harness: ${behind}\n`);
  for (const f of result.faultFindings)
    out(
      `  fault ${f.fault}: ${f.caught ? `caught (${f.seen.join(', ')})` : f.expects.length > 0 ? `not caught (no ${notSeenText(f)})` : f.notExercised ? `not exercised (${f.notExercised})` : (f.shapes ?? f.ruleShapes) ? `not exercised (no call of ${(f.shapes ?? f.ruleShapes ?? []).join(', ')} in the mix)` : "not exercised by the load's calls"}\n`,
    );
  if (Object.keys(result.shapes).length > 1 || !result.shapes.basic)
    out(
      `per shape: ${Object.entries(result.shapes)
        .map(([name, f]) => `${name} ${f.calls} call(s), ${f.failedCalls} failed`)
        .join('; ')}\n`,
    );
  for (const w of result.worst.filter((c) => c.failures.length > 0))
    out(
      `  worst: call ${w.index} ${w.shape}${w.agent !== undefined ? ` (agent ${w.agent})` : ''} (${w.caller} → ${w.callee}): ${w.failures.join('; ')}\n`,
    );
  out(
    `Results: ${join(outDir, 'results.json')}, ${join(outDir, 'load-report.md')}, ${join(outDir, 'load-chart.svg')}\n`,
  );
  return result.steps.length > 0 && result.steps.every((s) => s.verdict.met) ? 0 : 1;
}
