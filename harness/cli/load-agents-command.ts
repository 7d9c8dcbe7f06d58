/**
 * `sbc-harness load --agents N`: the load split between N agent processes, each the same CLI in
 * agent mode (`load ... --agent-index i --agent-count N --out DIR/agent-i`, JOB_COMPLETION_INDEX=i
 * in its environment as in a Kubernetes Indexed Job), then their results merged into DIR
 * (harness/runner/load-agents.ts says who owns what; docs/load.md "Agents").
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AGENT_PORT_STRIDE,
  type AgentShare,
  agentShare,
  agentShareProblems,
  LoadMergeError,
  MAX_LOAD_AGENTS,
  mergeLoadResults,
} from '../runner/index.ts';
import { writeLoadResult } from './load-output.ts';
import { readLoadResult } from './merge-command.ts';

const BIN = fileURLToPath(new URL('../../bin/sbc-harness.js', import.meta.url));

/** Options of the parent that the agents must not get as they are. */
/** Set in the environment of the agents `--agents N` spawns (their parent speaks for the run). */
export const LOAD_AGENT_OF_PARENT = 'SBC_HARNESS_LOAD_AGENT_OF_PARENT';

const PARENT_ONLY = new Set(['agents', 'out', 'agentIndex', 'agentCount', 'portOffset']);

/** `--agents` as a number: a whole number, or `auto` (one per core). */
export function agentCountOf(v: string | undefined, cores = availableParallelism()): number | undefined {
  if (v === undefined) return 1;
  if (v === 'auto') return Math.min(MAX_LOAD_AGENTS, Math.max(1, cores));
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= MAX_LOAD_AGENTS ? n : undefined;
}

/** The command line of agent `index`: every option of the parent but its own, then the agent's. */
export function agentArgs(
  o: Record<string, unknown>,
  index: number,
  count: number,
  outDir: string,
  portOffset: number,
): string[] {
  const args = ['load'];
  for (const [k, v] of Object.entries(o)) {
    if (PARENT_ONLY.has(k) || v === undefined || v === false) continue;
    const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (v === true) args.push(flag);
    else if (Array.isArray(v)) {
      if (v.length > 0) args.push(flag, ...v.map(String));
    } else args.push(flag, String(v));
  }
  args.push('--agent-index', String(index), '--agent-count', String(count), '--out', outDir);
  if (portOffset !== 0) args.push('--port-offset', String(portOffset));
  return args;
}

/** Prefixes each line a child prints with its agent. */
function relay(child: ChildProcess, index: number, out: (s: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) out(`[agent ${index}] ${l}\n`);
    });
    stream?.on('end', () => {
      if (rest) out(`[agent ${index}] ${rest}\n`);
    });
  }
}

export async function loadAgentsCommand(
  o: Record<string, unknown> & { out?: string },
  count: number,
  external: boolean,
  out: (s: string) => void,
): Promise<number> {
  const outDir = resolve(o.out ?? join('runs', `load-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  out(
    `sbc-harness load: ${count} agents, each its own process and share of the calls and concurrency${
      external
        ? `, provider and OXO ports shifted by ${AGENT_PORT_STRIDE} per agent`
        : ', each with its own embedded lab'
    }; results merged into ${outDir}\n`,
  );
  // The agents run in process groups of their own, so that a Ctrl-C on the terminal reaches
  // them once, through the parent: the first stops new calls (results still written), a
  // second quits at once, as for one process.
  const children: ChildProcess[] = [];
  // The signals passed on: an agent killed by another one (SIGKILL from the kernel's OOM killer
  // or by hand, which is never passed on) failed; it was not interrupted.
  const forwarded = new Set<NodeJS.Signals>();
  const forward = (sig: NodeJS.Signals) => () => {
    forwarded.add(sig);
    out(`${sig}: passed on to the agents (a second one quits at once)\n`);
    for (const c of children) if (c.exitCode === null) c.kill(sig);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const codes = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const args = agentArgs(o, i, count, join(outDir, `agent-${i}`), external ? i * AGENT_PORT_STRIDE : 0);
      const child = spawn(process.execPath, [BIN, ...args], {
        // LOAD_AGENT_OF_PARENT: the parent has printed the profile's warnings already.
        env: { ...process.env, JOB_COMPLETION_INDEX: String(i), [LOAD_AGENT_OF_PARENT]: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      children.push(child);
      relay(child, i, out);
      return new Promise<number>((res) => {
        child.on('error', (err) => {
          out(`[agent ${i}] cannot start: ${err.message}\n`);
          res(2);
        });
        child.on('exit', (code, sig) => {
          if (code !== null) return res(code);
          if (sig && forwarded.has(sig)) return res(130);
          out(`[agent ${i}] killed by ${sig ?? 'an unknown cause'}, which this process did not pass on\n`);
          res(2);
        });
      });
    }),
  ).finally(() => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  });
  const broken = codes.flatMap((c, i) => (c === 0 || c === 1 || c === 130 ? [] : [i]));
  if (broken.length > 0) {
    out(
      `sbc-harness load: agent(s) ${broken.join(', ')} failed (exit ${broken.map((i) => codes[i]).join(', ')}); nothing merged. The agents that finished left their results in ${outDir}/agent-<i>\n`,
    );
    return 2;
  }
  const early = codes.flatMap((c, i) =>
    c === 130 && !existsSync(join(outDir, `agent-${i}`, 'results.json')) ? [i] : [],
  );
  if (early.length > 0) {
    out(
      `sbc-harness load: agent(s) ${early.join(', ')} stopped before writing results (interrupted while starting?); nothing merged\n`,
    );
    return 130;
  }
  try {
    const merged = mergeLoadResults(codes.map((_, i) => readLoadResult(join(outDir, `agent-${i}`))));
    const code = writeLoadResult(merged, outDir, out);
    return codes.includes(130) ? 130 : code;
  } catch (err) {
    if (!(err instanceof LoadMergeError)) throw err;
    out(`sbc-harness load: the agents' results cannot be merged: ${err.message}\n`);
    return 2;
  }
}

/** What the agent options of `load` ask for. */
export interface AgentPlan {
  problems: string[];
  /** Agents to spawn (1: this process runs the load itself). */
  agents: number;
  /** This process is an agent: its share. */
  share?: AgentShare;
  /** Shift of the provider's and the OXO's SIP ports (an external SBC, agents on one host). */
  portOffset: number;
}

/**
 * Reads `--agents`, `--agent-index` (default: $JOB_COMPLETION_INDEX, as a Kubernetes Indexed
 * Job sets it), `--agent-count` and `--port-offset`.
 */
export function agentPlan(
  o: { agents?: string; agentIndex?: string; agentCount?: string; portOffset?: string },
  whole: { calls: number; steps: number[] },
  env: NodeJS.ProcessEnv = process.env,
): AgentPlan {
  const problems: string[] = [];
  const agents = agentCountOf(o.agents);
  if (agents === undefined)
    problems.push(`--agents must be auto or a whole number from 1 to ${MAX_LOAD_AGENTS}`);
  const portOffset = o.portOffset !== undefined ? Number(o.portOffset) : 0;
  if (!Number.isInteger(portOffset) || portOffset < 0 || portOffset > 60_000)
    problems.push('--port-offset must be a whole number from 0 to 60000');
  let share: AgentShare | undefined;
  if (o.agentCount !== undefined) {
    const count = Number(o.agentCount);
    const rawIndex = o.agentIndex ?? env.JOB_COMPLETION_INDEX;
    if (rawIndex === undefined)
      problems.push('--agent-count needs --agent-index (or JOB_COMPLETION_INDEX set)');
    else {
      const index = Number(rawIndex);
      const p = agentShareProblems(whole, index, count);
      problems.push(...p);
      if (p.length === 0) share = agentShare(whole, index, count);
    }
    if ((agents ?? 1) > 1) problems.push('give --agents (spawn agents) or --agent-count (be one), not both');
  } else if (o.agentIndex !== undefined) problems.push('--agent-index needs --agent-count');
  if (agents !== undefined && agents > 1) problems.push(...agentShareProblems(whole, 0, agents));
  return { problems, agents: agents ?? 1, ...(share ? { share } : {}), portOffset };
}
