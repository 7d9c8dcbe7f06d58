/**
 * `sbc-harness load`: many basic calls at once through the SBC of a profile (the embedded one
 * by default, started once on ephemeral ports), each checked on its own, and the capacity
 * figures written as results.json and load-report.md (harness/runner/load-run.ts,
 * docs/load.md).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Lab, LabConfigError, parseFaults, personalityNames } from '../actors/index.ts';
import { DEFAULT_PROFILE_PATH, loadProfile } from '../config/profile.ts';
import {
  DEFAULT_LOAD_MIX,
  type LoadMix,
  type LoadProgress,
  type LoadThresholds,
  loadOptionProblems,
  MIN_LOAD_RATE,
  mixProblems,
  mixText,
  parseMix,
  profileWithPortOffset,
  runLoad,
} from '../runner/index.ts';
import { agentPlan, LOAD_AGENT_OF_PARENT, loadAgentsCommand } from './load-agents-command.ts';
import { writeLoadResult } from './load-output.ts';

export interface LoadCommandOptions {
  profile?: string;
  calls?: string;
  concurrency?: string;
  ramp?: string;
  stepS?: string;
  holdS?: string;
  rate?: string;
  direction?: string;
  mix?: string;
  durationS?: string;
  out?: string;
  sbcFault?: string[];
  /** Legal behaviours of the embedded SBC, beside the profile's `sbc.personality`. */
  sbcPersonality?: string[];
  minMos?: string;
  maxSetupP95Ms?: string;
  maxFailedCalls?: string;
  /** Agents (load-agents-command.ts): spawn N, or be agent --agent-index of --agent-count. */
  agents?: string;
  agentIndex?: string;
  agentCount?: string;
  portOffset?: string;
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
    `  ${p.callsPerSecond.toFixed(1)} calls done/s  MOS p50 ${mos}\n`
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

/** '; faults: x; personalities: y': the embedded SBC's switches, the profile's and the flags'. */
function sbcSwitches(
  sbc: { faults: string[]; personality: string[] },
  o: Pick<LoadCommandOptions, 'sbcFault' | 'sbcPersonality'>,
): string {
  const faults = [...new Set([...sbc.faults, ...(o.sbcFault ?? [])])];
  const personalities = [...new Set([...sbc.personality, ...(o.sbcPersonality ?? [])])];
  return (
    (faults.length > 0 ? `; faults: ${faults.join(', ')}` : '') +
    (personalities.length > 0 ? `; personalities: ${personalities.join(', ')}` : '')
  );
}

export async function loadCommand(o: LoadCommandOptions, out: (s: string) => void): Promise<number> {
  const steps = o.ramp ? o.ramp.split(',').map((s) => Number(s.trim())) : [numberOf(o.concurrency, 5)];
  const calls = numberOf(o.calls, 20);
  const holdS = numberOf(o.holdS, 5);
  const stepS = o.stepS !== undefined ? Number(o.stepS) : undefined;
  const durationS = o.durationS !== undefined ? Number(o.durationS) : undefined;
  const direction = o.direction ?? 'both';
  const ratePerS = o.rate !== undefined ? Number(o.rate) : undefined;
  const problems = loadOptionProblems({ calls, steps, stepS, holdS, durationS, ratePerS });
  if (o.ramp && o.concurrency) problems.push('give --concurrency or --ramp, not both');
  if (direction !== 'in' && direction !== 'out' && direction !== 'both')
    problems.push('--direction must be in, out or both');
  // Flags given override the profile's `load` thresholds (read below, with the profile).
  const flagThresholds: Partial<LoadThresholds> = {
    ...(o.minMos !== undefined ? { minMos: Number(o.minMos) } : {}),
    ...(o.maxSetupP95Ms !== undefined ? { maxSetupP95Ms: Number(o.maxSetupP95Ms) } : {}),
    ...(o.maxFailedCalls !== undefined ? { maxFailedCalls: Number(o.maxFailedCalls) } : {}),
  };
  const ft = flagThresholds;
  if (ft.minMos !== undefined && !(ft.minMos >= 1 && ft.minMos <= 5))
    problems.push('--min-mos must be from 1 to 5');
  if (ft.maxSetupP95Ms !== undefined && !(ft.maxSetupP95Ms > 0))
    problems.push('--max-setup-p95-ms must be above 0');
  if (ft.maxFailedCalls !== undefined && !(Number.isInteger(ft.maxFailedCalls) && ft.maxFailedCalls >= 0))
    problems.push('--max-failed-calls must be a whole number, 0 or more');
  let mix: LoadMix = DEFAULT_LOAD_MIX;
  if (o.mix !== undefined) {
    const parsed = parseMix(o.mix);
    if (parsed.ok) mix = parsed.mix;
    else problems.push(...parsed.problems);
  }
  const plan = agentPlan(o, { calls, steps });
  problems.push(...plan.problems);
  // Each agent starts its share of --rate: that share must be a rate runLoad accepts too.
  const agentCount = plan.agents > 1 ? plan.agents : (plan.share?.count ?? 1);
  if (ratePerS !== undefined && agentCount > 1 && ratePerS / agentCount < MIN_LOAD_RATE)
    problems.push(
      `--rate ${ratePerS} split between ${agentCount} agents gives each ${ratePerS / agentCount} call(s)/s, below the ${MIN_LOAD_RATE} each needs`,
    );
  if (problems.length > 0) {
    for (const p of problems) out(`sbc-harness load: ${p}\n`);
    return 2;
  }
  const profileFile = o.profile ? resolve(o.profile) : DEFAULT_PROFILE_PATH;
  const warnings: string[] = [];
  const profile = profileWithPortOffset(loadProfile(profileFile, process.env, warnings), plan.portOffset);
  // An agent spawned by `--agents N` leaves them to its parent, which printed them once.
  if (!process.env[LOAD_AGENT_OF_PARENT])
    for (const w of warnings) out(`sbc-harness load: ${profileFile}: ${w}\n`);
  const embedded = profile.sbc.kind === 'embedded';
  const thresholds: LoadThresholds = { ...profile.load, ...flagThresholds };
  const shapeProblems = mixProblems(mix, profile, direction as 'in' | 'out' | 'both');
  if (shapeProblems.length > 0) {
    for (const p of shapeProblems) out(`sbc-harness load: ${p}\n`);
    return 2;
  }
  if (!embedded && (o.sbcFault ?? []).length > 0) {
    out(
      'sbc-harness load: --sbc-fault applies to the embedded SBC only; this profile names an external one\n',
    );
    return 2;
  }
  if (!embedded && (o.sbcPersonality ?? []).length > 0) {
    out(
      'sbc-harness load: --sbc-personality applies to the embedded SBC only; this profile names an external one\n',
    );
    return 2;
  }
  // An unknown fault stops here, before a header is printed or the --out folder is made. The
  // profile's own faults count only for the embedded SBC (the lab reads them for it alone).
  try {
    parseFaults([...(embedded ? profile.sbc.faults : []), ...(o.sbcFault ?? [])]);
    personalityNames([...(embedded ? profile.sbc.personality : []), ...(o.sbcPersonality ?? [])]);
  } catch (e) {
    if (!(e instanceof LabConfigError)) throw e;
    out(`sbc-harness load: ${e.message}\n`);
    return 2;
  }
  const outDir = resolve(o.out ?? join('runs', `load-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  mkdirSync(outDir, { recursive: true });
  if (plan.agents > 1) return loadAgentsCommand({ ...o, out: outDir }, plan.agents, !embedded, out);
  if (plan.share)
    out(
      `sbc-harness load: agent ${plan.share.index} of ${plan.share.count}, its share of the load: ${plan.share.calls} call(s), concurrency ${plan.share.steps.join(', ')}, slots from ${plan.share.slotBase}\n`,
    );
  out(
    `sbc-harness load: ${plan.share ? 'the whole load: ' : ''}${calls} call(s), ${steps.length > 1 ? `ramp ${steps.join(', ')} every ${stepS} s` : `concurrency ${steps[0]}${stepS !== undefined ? ` for ${stepS} s` : ''}`}, hold ${holdS} s, ${ratePerS !== undefined ? `at most ${ratePerS} call(s)/s` : 'paced at target/hold calls/s'}, direction ${direction}, mix ${mixText(mix)}, SBC ${embedded ? `embedded (ephemeral ports${sbcSwitches(profile.sbc, o)})` : profile.sbc.kind}\n`,
  );
  const lab = await Lab.start({
    profile,
    ephemeralPorts: embedded,
    ...(o.sbcFault && o.sbcFault.length > 0 ? { faults: o.sbcFault } : {}),
    ...(o.sbcPersonality && o.sbcPersonality.length > 0 ? { personalities: o.sbcPersonality } : {}),
  });
  const stop = loadSignals(out);
  try {
    const result = await runLoad({
      lab,
      calls: plan.share?.calls ?? calls,
      steps: plan.share?.steps ?? steps,
      ...(plan.share
        ? {
            slotBase: plan.share.slotBase,
            agent: { index: plan.share.index, count: plan.share.count },
            keepAllCalls: true,
          }
        : {}),
      ...(stepS !== undefined ? { stepS } : {}),
      holdS,
      // An agent starts its share of the rate (its share of the concurrency paces itself by default).
      ...(ratePerS !== undefined ? { ratePerS: plan.share ? ratePerS / plan.share.count : ratePerS } : {}),
      direction: direction as 'in' | 'out' | 'both',
      mix,
      ...(durationS !== undefined ? { durationS } : {}),
      thresholds,
      signal: stop.signal,
      onProgress: (p) => out(progressLine(p, steps.length)),
    });
    const code = writeLoadResult(result, outDir, out);
    if (stop.which()) return 130;
    return code;
  } finally {
    stop.dispose();
    await lab.stop();
  }
}
