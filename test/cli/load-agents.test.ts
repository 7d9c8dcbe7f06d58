/**
 * `sbc-harness load --agents 2` against the embedded SBC: two agent processes, each its own
 * share of the calls on its own slots, merged into one result whose figures are those of the
 * union of the agents' calls; and `sbc-harness merge` on their folders, with its refusals (a
 * missing file, a truncated one, another schema, another load) naming the file. Small, and
 * nothing asserts a duration.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentArgs, agentCountOf, agentPlan } from '../../harness/cli/load-agents-command.ts';
import { harnessBehind, knee, loadFigures } from '../../harness/runner/load-figures.ts';
import type { LoadResult } from '../../harness/runner/load-run.ts';
import { runCli } from '../support/run-cli.ts';

const root = mkdtempSync(join(tmpdir(), 'load-agents-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as LoadResult;

describe('load agents and merge', () => {
  it('--help of load and merge name the agent options', async () => {
    const load = (await runCli(['load', '--help'])).out;
    for (const o of ['--agents', '--agent-index', '--agent-count', '--port-offset', 'JOB_COMPLETION_INDEX'])
      expect(load).toContain(o);
    const merge = (await runCli(['merge', '--help'])).out;
    expect(merge).toContain('--out');
    expect(merge).toMatch(/Exit codes: 0 .* 2 a file/s);
  });

  it("gives each agent the parent's options, its index and folder, not the parent's own", () => {
    expect(
      agentArgs(
        {
          calls: '12',
          holdS: undefined,
          sbcFault: ['a', 'b=3'],
          minMos: '4.0',
          someFlag: true,
          agents: '2',
          out: '/x',
        },
        1,
        2,
        '/x/agent-1',
        10,
      ),
    ).toEqual([
      'load',
      '--calls',
      '12',
      '--sbc-fault',
      'a',
      'b=3',
      '--min-mos',
      '4.0',
      '--some-flag',
      '--agent-index',
      '1',
      '--agent-count',
      '2',
      '--out',
      '/x/agent-1',
      '--port-offset',
      '10',
    ]);
    expect(agentCountOf('auto', 3)).toBe(3);
    expect(agentCountOf(undefined)).toBe(1);
    expect(agentCountOf('0')).toBeUndefined();
    // An agent of an Indexed Job takes its index from JOB_COMPLETION_INDEX.
    const plan = agentPlan({ agentCount: '3' }, { calls: 10, steps: [6] }, { JOB_COMPLETION_INDEX: '2' });
    expect(plan.problems).toEqual([]);
    expect(plan.share).toMatchObject({ index: 2, count: 3, calls: 3, steps: [2], slotBase: 4 });
  });

  it('refuses agent options that cannot work', async () => {
    let r = await runCli(['load', '--agents', '3', '--concurrency', '2', '--calls', '6']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/a concurrency of 2 cannot be split between 3 agents/);
    r = await runCli(['load', '--agents', '2', '--agent-count', '2', '--agent-index', '0']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/not both/);
    r = await runCli(['load', '--agent-index', '1']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/--agent-index needs --agent-count/);
    r = await runCli(['load', '--agents', 'many']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/--agents must be auto or a whole number/);
    // Each agent starts its share of --rate, which must itself be a rate (refused before any lab starts).
    r = await runCli(['load', '--agents', '2', '--rate', '0.01', '--concurrency', '2', '--calls', '4']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(
      /--rate 0\.01 split between 2 agents gives each 0\.005 call\(s\)\/s, below the 0\.01 each needs/,
    );
    r = await runCli([
      'load',
      '--agent-count',
      '2',
      '--agent-index',
      '0',
      '--rate',
      '0.01',
      '--concurrency',
      '2',
      '--calls',
      '4',
    ]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/split between 2 agents/);
  });

  it('two agents × 6 calls, 2 at once each: every call judged, no slot shared, figures of the union', async () => {
    const out = join(root, 'two');
    const r = await runCli([
      'load',
      '--agents',
      '2',
      '--calls',
      '12',
      '--concurrency',
      '4',
      '--hold-s',
      '1',
      '--max-setup-p95-ms',
      '60000',
      '--out',
      out,
    ]);
    expect(r.out).toContain('[agent 0]');
    expect(r.out).toContain('[agent 1]');
    const agents = [0, 1].map((i) => read(join(out, `agent-${i}`, 'results.json')));
    const merged = read(join(out, 'results.json'));
    for (const [i, a] of agents.entries()) {
      expect(a.agent).toMatchObject({ index: i, count: 2 });
      expect(a.calls).toHaveLength(6);
      expect(a.options.steps).toEqual([2]);
      expect(a.steps[0]?.peakInFlight).toBeLessThanOrEqual(2);
    }
    // Total calls = the sum; each agent used its own provider phones (slots, numbers).
    expect(merged.calls).toHaveLength(12);
    expect(merged.options.calls).toBe(12);
    expect(merged.options.steps).toEqual([4]);
    const phones = agents.map(
      (a) => new Set(a.calls.map((c) => (c.direction === 'in' ? c.caller : c.callee).replace(/ .*/, ''))),
    );
    expect(phones[0]?.size).toBeGreaterThan(0);
    for (const p of phones[0] ?? []) expect(phones[1]?.has(p), p).toBe(false);
    // Each provider-side party names its phone and number: none appears in both agents.
    const party = (c: LoadResult['calls'][number]) => (c.direction === 'in' ? c.caller : c.callee);
    const numbers = agents.map((a) => new Set(a.calls.map((c) => party(c).match(/\+\d+/)?.[0])));
    expect(numbers.every((n) => !n.has(undefined))).toBe(true);
    for (const n of numbers[0] ?? []) expect(numbers[1]?.has(n), n).toBe(false);
    expect(new Set(merged.calls.map((c) => c.callIds.caller)).size).toBe(12);
    // Every call passed (a stalled host can push the measured one-way delay past the G.114
    // bound, a timed check this test does not make; everything else must hold).
    for (const c of merged.calls) {
      expect(
        c.failures.filter((f) => !/is delayed .* one-way/.test(f)),
        `call ${c.index} of agent ${c.agent}`,
      ).toEqual([]);
      expect(c.established).toBe(true);
      expect(c.released).toBe(true);
      expect(c.audio.every((d) => d.heard)).toBe(true);
    }
    // The merged figures are load-figures of the union of the agents' calls.
    const union = agents.flatMap((a) => a.calls);
    expect(merged.total).toEqual(loadFigures(union));
    expect(merged.steps[0]?.figures).toEqual(loadFigures(union));
    expect(merged.steps[0]?.concurrency).toBe(4);
    expect(merged.steps[0]?.peakInFlight).toBeLessThanOrEqual(4);
    expect(merged.knee).toBe(knee(merged.steps));
    expect(merged.agents?.map((a) => a.calls)).toEqual([6, 6]);
    expect(readFileSync(join(out, 'load-report.md'), 'utf8')).toMatch(/Merged from 2 run\(s\)/);
    expect(readFileSync(join(out, 'load-chart.svg'), 'utf8')).toMatch(/^<svg/);
    const failed = merged.calls.some((c) => c.failures.length > 0);
    expect(r.code).toBe(merged.steps.every((s) => s.verdict.met) ? 0 : 1);
    // No call failed and neither agent fell behind (a loaded host may make one): every step met.
    if (!failed && !harnessBehind(merged)) expect(r.code).toBe(0);

    // `merge` on the agents' folders gives the same result.
    const again = join(root, 'again');
    const m = await runCli([
      'merge',
      join(out, 'agent-0'),
      join(out, 'agent-1', 'results.json'),
      '--out',
      again,
    ]);
    expect(m.out).toContain('2 run(s) merged');
    expect(m.code).toBe(r.code);
    const remerged = read(join(again, 'results.json'));
    expect({ ...remerged, agents: undefined }).toEqual({ ...merged, agents: undefined });

    // Refusals, each naming its file, exit 2.
    const bad = join(root, 'bad');
    mkdirSync(bad, { recursive: true });
    const text = readFileSync(join(out, 'agent-1', 'results.json'), 'utf8');
    writeFileSync(join(bad, 'cut.json'), text.slice(0, Math.floor(text.length / 2)));
    writeFileSync(join(bad, 'run.json'), JSON.stringify({ schema: 'sbc-harness/results@1' }));
    writeFileSync(
      join(bad, 'other.json'),
      JSON.stringify({ ...agents[1], options: { ...agents[1]?.options, holdS: 9 } }),
    );
    const cases: Array<[string, RegExp]> = [
      [join(bad, 'missing'), /missing: cannot be read \(ENOENT\)/],
      [join(bad, 'cut.json'), /cut.json: not valid JSON .*truncated/],
      [join(bad, 'run.json'), /run.json: schema "sbc-harness\/results@1", expected/],
      [join(bad, 'other.json'), /other.json: holdS 9 differs from 1/],
    ];
    for (const [file, why] of cases) {
      const x = await runCli(['merge', join(out, 'agent-0'), file, '--out', join(root, 'never')]);
      expect(x.code, file).toBe(2);
      expect(x.out).toMatch(why);
    }
    expect((await runCli(['merge', join(out, 'agent-0')])).out).toMatch(/--out DIR is required/);
  }, 180_000);

  it('an agent killed by a signal the parent did not pass on failed (exit 2, nothing merged); it was not interrupted', async () => {
    const out = join(root, 'killed');
    const run = runCli([
      'load',
      '--agents',
      '2',
      '--calls',
      '40',
      '--concurrency',
      '2',
      '--hold-s',
      '2',
      '--out',
      out,
    ]);
    // Agent 1's process, found by its own folder in its arguments in /proc (bounded: 30 s).
    const mine = join(out, 'agent-1');
    const agentPid = (): number | undefined => {
      for (const d of readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
          if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(mine)) return Number(d);
        } catch {
          // gone meanwhile
        }
      }
      return undefined;
    };
    let pid: number | undefined;
    for (let t = 0; t < 300 && pid === undefined; t++) {
      await new Promise((r) => setTimeout(r, 100));
      pid = agentPid();
    }
    expect(pid).toBeGreaterThan(0);
    // Once it has started calls (its lab is up), as the OOM killer would.
    await new Promise((r) => setTimeout(r, 3000));
    process.kill(pid as number, 'SIGKILL');
    const r = await run;
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/\[agent 1\] killed by SIGKILL, which this process did not pass on/);
    expect(r.out).toMatch(/agent\(s\) 1 failed \(exit 2\); nothing merged/);
    expect(existsSync(join(out, 'results.json'))).toBe(false);
  }, 120_000);
});
