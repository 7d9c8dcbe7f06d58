/**
 * `sbc-harness load`: many basic calls at once through the SBC of a profile (the embedded one
 * by default, started once on ephemeral ports), each checked on its own, and the capacity
 * figures written as results.json and load-report.md (harness/runner/load-run.ts,
 * docs/load.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadChartSvg, loadMarkdown } from '../../reports/index.ts';
import { Lab } from '../actors/index.ts';
import { DEFAULT_PROFILE_PATH, loadProfile } from '../config/profile.ts';
import {
  DEFAULT_LOAD_THRESHOLDS,
  type LoadProgress,
  type LoadThresholds,
  loadOptionProblems,
  runLoad,
} from '../runner/index.ts';

export interface LoadCommandOptions {
  profile?: string;
  calls?: string;
  concurrency?: string;
  ramp?: string;
  stepS?: string;
  holdS?: string;
  direction?: string;
  durationS?: string;
  out?: string;
  sbcFault?: string[];
  minMos?: string;
  maxSetupP95Ms?: string;
  maxFailedCalls?: string;
}

function numberOf(v: string | undefined, fallback: number): number {
  return v === undefined ? fallback : Number(v);
}

/** One plain progress line. */
export function progressLine(p: LoadProgress, steps: number): string {
  const mos = p.mosP50 !== undefined ? p.mosP50.toFixed(2) : '–';
  return (
    `[${p.elapsedS.toFixed(1).padStart(6)} s] step ${p.step + 1}/${steps} target ${p.concurrency}` +
    `  in flight ${p.inFlight}  started ${p.started}  done ${p.finished}  failed ${p.failed}` +
    `  ${p.callsPerSecond.toFixed(1)} calls/s  MOS p50 ${mos}\n`
  );
}

/**
 * Ctrl-C / SIGTERM for a load: the first stops starting calls, and the calls in flight finish
 * (each is bounded by its hold time and timeouts), so that results.json is still written; a
 * second one quits at once. (The `run` command's stopOnSignal exits 5 s after the first, too
 * soon for calls held longer.)
 */
function loadSignals(out: (s: string) => void): {
  signal: AbortSignal;
  which(): string | undefined;
  dispose(): void;
} {
  const ac = new AbortController();
  let got: string | undefined;
  const on = (sig: string) => () => {
    if (got !== undefined) {
      process.stderr.write(`${sig} again: quitting at once, no results written\n`);
      process.exit(130);
    }
    got = sig;
    ac.abort();
    out(
      `${sig}: no new calls; the calls in flight finish, then the results are written (${sig} again quits)\n`,
    );
  };
  const onInt = on('SIGINT');
  const onTerm = on('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: ac.signal,
    which: () => got,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

export async function loadCommand(o: LoadCommandOptions, out: (s: string) => void): Promise<number> {
  const steps = o.ramp ? o.ramp.split(',').map((s) => Number(s.trim())) : [numberOf(o.concurrency, 5)];
  const calls = numberOf(o.calls, 20);
  const holdS = numberOf(o.holdS, 5);
  const stepS = o.stepS !== undefined ? Number(o.stepS) : undefined;
  const durationS = o.durationS !== undefined ? Number(o.durationS) : undefined;
  const direction = o.direction ?? 'both';
  const problems = loadOptionProblems({ calls, steps, stepS, holdS, durationS });
  if (o.ramp && o.concurrency) problems.push('give --concurrency or --ramp, not both');
  if (direction !== 'in' && direction !== 'out' && direction !== 'both')
    problems.push('--direction must be in, out or both');
  const thresholds: LoadThresholds = {
    minMos: numberOf(o.minMos, DEFAULT_LOAD_THRESHOLDS.minMos),
    maxSetupP95Ms: numberOf(o.maxSetupP95Ms, DEFAULT_LOAD_THRESHOLDS.maxSetupP95Ms),
    maxFailedCalls: numberOf(o.maxFailedCalls, DEFAULT_LOAD_THRESHOLDS.maxFailedCalls),
  };
  if (!(thresholds.minMos >= 1 && thresholds.minMos <= 5)) problems.push('--min-mos must be from 1 to 5');
  if (!(thresholds.maxSetupP95Ms > 0)) problems.push('--max-setup-p95-ms must be above 0');
  if (!Number.isInteger(thresholds.maxFailedCalls) || thresholds.maxFailedCalls < 0)
    problems.push('--max-failed-calls must be a whole number, 0 or more');
  if (problems.length > 0) {
    for (const p of problems) out(`sbc-harness load: ${p}\n`);
    return 2;
  }
  const profileFile = o.profile ? resolve(o.profile) : DEFAULT_PROFILE_PATH;
  const profile = loadProfile(profileFile);
  const embedded = profile.sbc.kind === 'embedded';
  const outDir = resolve(o.out ?? join('runs', `load-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  mkdirSync(outDir, { recursive: true });
  if (!embedded && (o.sbcFault ?? []).length > 0) {
    out(
      'sbc-harness load: --sbc-fault applies to the embedded SBC only; this profile names an external one\n',
    );
    return 2;
  }
  out(
    `sbc-harness load: ${calls} call(s), ${steps.length > 1 ? `ramp ${steps.join(', ')} every ${stepS} s` : `concurrency ${steps[0]}`}, hold ${holdS} s, direction ${direction}, SBC ${embedded ? 'embedded (ephemeral ports)' : profile.sbc.kind}\n`,
  );
  const lab = await Lab.start({
    profile,
    ephemeralPorts: embedded,
    ...(o.sbcFault && o.sbcFault.length > 0 ? { faults: o.sbcFault } : {}),
  });
  const stop = loadSignals(out);
  try {
    const result = await runLoad({
      lab,
      calls,
      steps,
      ...(stepS !== undefined ? { stepS } : {}),
      holdS,
      direction: direction as 'in' | 'out' | 'both',
      ...(durationS !== undefined ? { durationS } : {}),
      thresholds,
      signal: stop.signal,
      onProgress: (p) => out(progressLine(p, steps.length)),
    });
    writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(outDir, 'load-report.md'), loadMarkdown(result));
    writeFileSync(join(outDir, 'load-chart.svg'), loadChartSvg(result));
    const t = result.total;
    const mosMins = [t.audio.callerToCallee.mos?.min, t.audio.calleeToCaller.mos?.min].filter(
      (x): x is number => x !== undefined,
    );
    const mosMin = mosMins.length > 0 ? Math.min(...mosMins) : undefined;
    out(
      `${t.calls} call(s), ${t.failedCalls} failed; SER ${t.rfc6076.sessionEstablishmentRatio.toFixed(1)} %; ` +
        `setup p95 ${t.setupMs ? Math.round(t.setupMs.p95) : '–'} ms; ` +
        `MOS min ${mosMin !== undefined ? mosMin.toFixed(2) : '–'}; ` +
        `${result.knee !== undefined ? `knee (highest concurrency before a step missed the thresholds): ${result.knee}` : 'knee: none, the first step missed the thresholds'}` +
        `${result.highestMet !== undefined && result.highestMet !== result.knee ? `; a later step met them again at ${result.highestMet}` : ''}\n`,
    );
    for (const b of result.breakage) out(`  broke: ${b.kind}: ${b.figure}\n`);
    for (const f of result.faultFindings)
      out(
        `  fault ${f.fault}: ${f.caught ? `caught (${f.seen.join(', ')})` : f.expects.length > 0 ? `not caught (no ${f.expects.join(' or ')})` : 'not exercised by the basic call'}\n`,
      );
    for (const w of result.worst.filter((c) => c.failures.length > 0))
      out(`  worst: call ${w.index} (${w.caller} → ${w.callee}): ${w.failures.join('; ')}\n`);
    out(
      `Results: ${join(outDir, 'results.json')}, ${join(outDir, 'load-report.md')}, ${join(outDir, 'load-chart.svg')}\n`,
    );
    if (stop.which()) return 130;
    return result.steps.every((s) => s.verdict.met) ? 0 : 1;
  } finally {
    stop.dispose();
    await lab.stop();
  }
}
