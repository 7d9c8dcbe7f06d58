/**
 * A run with a real OXO (`oxo.kind: real`): the OXO is the project's own simulator, started
 * separately with `sim oxo --manual` as a real one would stand in the lab, and a test plays the
 * engineer: it reads each instruction, carries it out on that OXO (answer, dial, press digits,
 * speak, hold, hang up) and answers as the engineer would after looking. The cases that have
 * engineer steps come out as an all-simulated run gives them; one without is INCOMPLETE, saying
 * so; an engineer's NOK gives NOK with the engineer's words.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type EngineerAnswer,
  type Instruction,
  type Prompter,
  parseEngineerAnswer,
  RunEvents,
  runPlan,
} from '../../harness/runner/index.ts';
import { PLAN } from '../../scenarios/index.ts';
import { ManualSim, realEquipmentProfile, SimEngineer, simProfileJson } from '../support/sim-engineer.ts';

const dirs: string[] = [];
const sims: ManualSim[] = [];
afterAll(async () => {
  for (const s of sims) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'real-oxo-'));
  dirs.push(d);
  return d;
}

/**
 * Runs `only` with real equipment on `side`: starts that side's simulator as the real one (a
 * real OXO when the run waits for it to register at the SBC; a real provider first, as it is
 * always there), and answers each instruction through the test engineer.
 */
async function runWithReal(
  side: 'oxo' | 'provider',
  only: string,
  overrides: Array<{ re: RegExp; answer: string }> = [],
) {
  const out = tmp();
  const profile = realEquipmentProfile(side);
  const simFile = join(out, `${side}-sim.yaml`);
  writeFileSync(simFile, simProfileJson(profile, side));
  const events = new RunEvents();
  const asked: Instruction[] = [];
  let engineer: SimEngineer | undefined;
  const startSim = () => {
    const sim = new ManualSim(side, simFile);
    sims.push(sim);
    engineer = new SimEngineer(sim, profile);
    engineer.overrides.push(...overrides);
  };
  if (side === 'provider') startSim();
  events.on((e) => {
    if (e.type === 'run-step' && /real OXO/.test(e.step) && !engineer) startSim();
  });
  const prompter: Prompter = {
    ask: async (q) => {
      throw new Error(`unexpected question "${q}"`);
    },
    instruct: async (i): Promise<EngineerAnswer> => {
      asked.push(i);
      if (!engineer) throw new Error(`the ${side} simulator was never started`);
      const typed = await engineer.carryOut(i);
      const a = parseEngineerAnswer(typed);
      if (!a) throw new Error(`bad typed answer ${typed}`);
      return { ...a, at: new Date().toISOString(), via: 'script' };
    },
  };
  const r = await runPlan({
    cases: PLAN,
    profile,
    profileFile: `real-${side}.yaml`,
    outDir: out,
    harnessVersion: 'test',
    quick: true,
    only,
    events,
    prompter,
  });
  await engineer?.sim.stop();
  return { r, asked, cells: r.results.cells };
}

describe('a run with a real OXO and the engineer in the loop', () => {
  it('gives the cells of an all-simulated run for the cases with engineer steps', {
    timeout: 360_000,
  }, async () => {
    const { cells, asked } = await runWithReal(
      'oxo',
      'T-2,T-3,T-5,8-1-1,8-1-2,8-1-3,8-1-4,8-2-1,8-2-3,8-3-1,8-3-2,8-4-1,8-3-3',
    );
    const v = Object.fromEntries(cells.map((c) => [c.id, c.verdict]));
    const why = Object.fromEntries(cells.map((c) => [c.id, c.comment]));
    expect(v, JSON.stringify(why, null, 1)).toEqual({
      'T-2': 'OK',
      'T-3': 'OK',
      'T-5': 'OK',
      '8-1-1': 'OK',
      '8-1-2': 'OK',
      '8-1-3': 'OK',
      '8-1-4': 'OK',
      '8-2-1': 'OK',
      '8-2-3': 'OK',
      '8-3-1': 'OK',
      '8-3-2': 'OK',
      '8-4-1': 'OK',
      '8-3-3': 'INCOMPLETE',
    });
    expect(why['8-3-3']).toContain('no engineer steps for a real OXO');
    // Every instruction was about the OXO side, and checks were judged by both.
    expect(asked.every((i) => i.side === 'oxo')).toBe(true);
    const dtmf = cells.find((c) => c.id === '8-2-1')!;
    expect(dtmf.checks.some((c) => c.by === 'engineer')).toBe(true);
    expect(
      dtmf.checks.some((c) => c.name.startsWith('DTMF RFC 2833 from') && c.by === undefined && c.ok),
    ).toBe(true);
  });

  it("makes the cell NOK with the engineer's words", { timeout: 120_000 }, async () => {
    const { cells } = await runWithReal('oxo', '8-3-2', [
      { re: /does the display of/, answer: 'nok the display stays blank' },
    ]);
    expect(cells[0]?.verdict).toBe('NOK');
    expect(cells[0]?.comment).toContain('the display stays blank');
    const judged = cells[0]?.checks.find((c) => c.by === 'engineer' && !c.ok);
    expect(judged?.comment).toBe('the display stays blank');
  });

  it('gives the codec and DTMF rows with a real provider', { timeout: 180_000 }, async () => {
    const { cells, asked } = await runWithReal('provider', '8-1-1,8-1-2,8-1-3,8-1-4,8-2-1,8-2-3,8-3-2');
    const v = Object.fromEntries(cells.map((c) => [c.id, c.verdict]));
    const why = Object.fromEntries(cells.map((c) => [c.id, c.comment]));
    expect(v, JSON.stringify(why, null, 1)).toEqual({
      '8-1-1': 'OK',
      '8-1-2': 'OK',
      '8-1-3': 'OK',
      '8-1-4': 'OK',
      '8-2-1': 'OK',
      '8-2-3': 'OK',
      '8-3-2': 'INCOMPLETE',
    });
    expect(asked.every((i) => i.side === 'provider')).toBe(true);
    // The deskphone leg is the harness's own: its codec is judged by the harness.
    const codec = cells.find((c) => c.id === '8-1-1')!;
    expect(
      codec.checks.some((c) => c.name === 'codec on the deskphone leg' && c.ok && c.by === undefined),
    ).toBe(true);
  });
});
