/**
 * The features-during-a-call cases (8-4-1 … 8-4-3) and the transfer cases (8-5-1 … 8-5-3) run
 * through the plan runner on the default profile (embedded SBC, --quick): every cell OK, each
 * backed by its checks. Then with SBC faults switched on, the affected cases turn NOK with a
 * comment naming the symptom: reject-reinvite (the hold is refused), one-way-audio (the far
 * party hears nothing of the PBX side), no-bye-relay (the target's hang-up does not release
 * the transferee).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import type { Cell } from '../../harness/runner/index.ts';
import { RunEvents, runPlan } from '../../harness/runner/index.ts';
import { FEATURES_CASES } from '../../scenarios/features.ts';
import { TRANSFERS_CASES } from '../../scenarios/transfers.ts';

const CASES = [...FEATURES_CASES, ...TRANSFERS_CASES];
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function run(
  only: string,
  faults: string[] = [],
  workers = 1,
  events?: RunEvents,
): Promise<Map<string, Cell>> {
  const outDir = mkdtempSync(join(tmpdir(), 'features-transfers-'));
  dirs.push(outDir);
  const out = await runPlan({
    cases: CASES,
    profile: loadProfile(),
    profileFile: 'profiles/embedded.yaml',
    outDir,
    harnessVersion: 'test',
    only,
    quick: true,
    workers,
    faults,
    timers: { t1: 100, t2: 800, t4: 1000 },
    ...(events ? { events } : {}),
  });
  return new Map(out.results.cells.map((c) => [c.id, c]));
}

describe('features during a call and transfers on the default profile', () => {
  it('every case is OK, backed by checks that all passed', async () => {
    const cells = await run('8-4-*,8-5-1,8-5-2,8-5-3', [], 2);
    expect([...cells.keys()].sort()).toEqual(['8-4-1', '8-4-2', '8-4-3', '8-5-1', '8-5-2', '8-5-3']);
    for (const [id, c] of cells) {
      expect(c.verdict, `${id}: ${c.comment}`).toBe('OK');
      expect(c.checks.length, id).toBeGreaterThan(8);
      expect(c.checks.every((k) => k.ok)).toBe(true);
    }
    // The hold reached the provider and the music on hold was heard there.
    const hold = cells.get('8-4-1')!.checks;
    expect(hold.find((k) => k.name === 'hold direction at the provider')?.observed).toBe('a=sendonly');
    expect(hold.some((k) => /hears music on hold/.test(k.name))).toBe(true);
    // Each conference party was checked for the other two and for its own echo.
    const conf = cells.get('8-4-3')!.checks.filter((k) => k.name.startsWith('conference: '));
    expect(conf.filter((k) => / hears /.test(k.name))).toHaveLength(6);
    expect(conf.filter((k) => /does not hear itself/.test(k.name))).toHaveLength(3);
    // C shows Premium Deskphone 1 after every transfer.
    for (const id of ['8-5-1', '8-5-2', '8-5-3']) {
      const d = cells.get(id)!.checks.find((k) => k.name.startsWith('display on C'));
      expect(d?.observed, id).toMatch(/Premium Deskphone 1/);
    }
  }, 60_000);
});

describe('features and transfers under SBC faults', () => {
  it('reject-reinvite: hold and resume is NOK, the hold was answered 488', async () => {
    const cells = await run('8-4-1', ['reject-reinvite']);
    const c = cells.get('8-4-1')!;
    expect(c.verdict).toBe('NOK');
    expect(c.comment).toMatch(/hold re-INVITE \(a=sendonly\) from Premium Deskphone 1 was answered 488/);
  }, 30_000);

  it('one-way-audio: the attended transfer is NOK, C does not hear A', async () => {
    const cells = await run('8-5-3', ['one-way-audio']);
    const c = cells.get('8-5-3')!;
    expect(c.verdict).toBe('NOK');
    expect(c.comment).toMatch(/C did not hear Premium Deskphone 2/);
  }, 30_000);

  it('no-bye-relay: the unattended transfer is NOK, C hanging up does not release A', async () => {
    const cells = await run('8-5-1', ['no-bye-relay']);
    const c = cells.get('8-5-1')!;
    expect(c.verdict).toBe('NOK');
    expect(c.comment).toMatch(/C hung up but Premium Deskphone 2's call stayed established/);
  }, 30_000);
});

describe('a stall of the harness itself while it listens', () => {
  it('is not held against the SBC: the window is listened to again, and the comment says so', async () => {
    // Premium Deskphone 2 hears C through the simulated OXO's mixer, by the clock: a stall of
    // this process over the end of the window used to leave its last 400 ms silent ("did not
    // hear C (tone level 0)", a flake seen on a loaded CI host). Here a 600 ms stall is made
    // from 500 ms into that window, once.
    const events = new RunEvents();
    let stalled = false;
    events.on((e) => {
      if (stalled || e.type !== 'case-step' || e.step !== 'listening (after the transfer)') return;
      stalled = true;
      setTimeout(() => {
        const end = performance.now() + 600;
        while (performance.now() < end) {
          // spin: this process's event loop held up
        }
      }, 500);
    });
    const cells = await run('8-5-1', [], 1, events);
    const c = cells.get('8-5-1')!;
    expect(stalled).toBe(true);
    expect(c.verdict, c.comment).toBe('OK');
    expect(c.comment).toMatch(
      /after the transfer: listened again (once|twice), this process itself having stalled \d+(, \d+)? ms in the windows? before/,
    );
    const heard = c.checks.find((k) => k.name === 'after the transfer: Premium Deskphone 2 hears C');
    expect(heard?.ok).toBe(true);
  }, 30_000);
});
