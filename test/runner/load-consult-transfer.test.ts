/**
 * The load's attended transfer by REFER (`transfer-attended`, `oxo.transferMode: refer`) judges
 * the plan's outcome, not our SBC's way of carrying it (RFC 3891 §3: Replaces names a dialog and
 * its recipient decides how to honour it; RFC 3515 §2.4.5; docs/tolerances.md). The SBC may make
 * a new INVITE with Replaces to the target (the default, `referPolicy: local`), or, since the
 * Replaces names the consultation, a call it carries itself, join the transferee's leg to the
 * target's consultation leg with no new INVITE (personality replaces-local). Each passes, and
 * the SBC's call records show which way it went; a join that carries no audio still fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../harness/actors/lab.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import type { LoadCallRecord } from '../../harness/runner/load-figures.ts';
import { runLoad } from '../../harness/runner/load-run.ts';

const TIMERS = { t1: 100, t2: 800, t4: 1000 };
const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

/** The embedded SBC's methods, private ones too, to break one step of its join in a test. */
type Patchable = Record<string, (...args: unknown[]) => unknown>;

/** Wraps the SBC's method `name` on this instance: `wrap` gets the original and the arguments. */
function patch(
  sbc: Patchable,
  name: string,
  wrap: (orig: (...args: unknown[]) => unknown, args: unknown[]) => unknown,
): void {
  const orig = (sbc[name] as (...args: unknown[]) => unknown).bind(sbc);
  sbc[name] = (...args: unknown[]) => wrap(orig, args);
}

/** Failures that are not timing of this shared host (as in load-hold.test.ts). */
const notDelay = (c: LoadCallRecord) =>
  c.failures.filter((f) => !/is delayed .* one-way|^([\w][\w ,-]*: )?Only \d+ of the \d+ packets/.test(f));

async function attendedRun(personalities: string[], breakSbc?: (sbc: Patchable) => void) {
  const profile = loadProfile();
  profile.oxo.transferMode = 'refer';
  profile.sbc.referPolicy = 'local';
  const lab = await Lab.start({ profile, ephemeralPorts: true, timers: TIMERS, personalities });
  labs.push(lab);
  if (breakSbc) breakSbc(lab.sbc as unknown as Patchable);
  const r = await runLoad({
    lab,
    calls: 2,
    steps: [2],
    holdS: 1,
    direction: 'both',
    mix: { 'transfer-attended': 1 },
  });
  return { lab, r };
}

describe('load transfer-attended by REFER: every legal way of an SBC to honour the Replaces', () => {
  for (const personalities of [[], ['replaces-local']]) {
    const name = personalities[0] ?? 'default (new INVITE with Replaces to the target)';
    it(`${name}: every attended transfer passes`, { timeout: 90_000 }, async () => {
      const { lab, r } = await attendedRun(personalities);
      expect(r.calls).toHaveLength(2);
      for (const c of r.calls) {
        expect(c.shape).toBe('transfer-attended');
        expect(notDelay(c), `call ${c.index}`).toEqual([]);
        expect(c.released).toBe(true);
      }
      expect(r.sbcCallsLeftUp).toBe(0);
      expect(lab.oxo?.transfers.map((t) => [t.kind, t.mode, t.referStatus, t.ok])).toEqual([
        ['attended', 'refer', 202, true],
        ['attended', 'refer', 202, true],
      ]);
      // Which way the SBC went, from its call records: the referred call's new leg toward the
      // target is either a new dialog (its own INVITE) or the consultation's WAN leg, joined.
      const sbcCalls = lab.sbc?.calls() ?? [];
      const referred = sbcCalls.filter((c) => c.refers.length > 0);
      expect(referred).toHaveLength(2);
      for (const c of referred) {
        expect(c.refers.map((x) => [x.policy, x.status, x.outcome])).toEqual([['local', 202, 200]]);
        expect(c.extraLegs).toHaveLength(1);
        const joined = c.refers[0]?.joined;
        const consult = sbcCalls.find((x) => x.id === joined);
        const consultWan = sbcCalls.filter((x) => x !== c).map((x) => x.wan.callId);
        if (personalities.includes('replaces-local')) {
          // No INVITE toward the target: its leg is the consultation's own WAN dialog.
          expect(consult?.direction).toBe('lan-to-wan');
          expect(c.extraLegs[0]?.callId).toBe(consult?.wan.callId);
          expect(consult?.endedBy).toBe('sbc');
        } else {
          expect(joined).toBeUndefined();
          expect(consultWan).not.toContain(c.extraLegs[0]?.callId);
        }
        // B held A before the transfer; the SBC took A off hold afterwards.
        expect(c.reinvites.map((x) => `${x.from} ${x.direction} ${x.status}`)).toEqual([
          'lan sendonly 200',
          'sbc sendrecv 200',
        ]);
      }
    });
  }

  // Broken joins, made by wrapping one step of the embedded SBC's (no fault switch does this):
  // the shape must still fail them, named so.
  it('a join that relays no audio between A and C fails the audio after the transfer', {
    timeout: 90_000,
  }, async () => {
    const { r } = await attendedRun(['replaces-local'], (sbc) =>
      patch(sbc, 'joinReplaced', (orig, args) => {
        const done = orig(...args); // the re-bridge happens before its first await
        (args[0] as { relay: { close(): void } }).relay.close();
        return done;
      }),
    );
    for (const c of r.calls) {
      expect(c.failures.join(' | ')).toMatch(
        /(?:^| \| )transfer-attended, after the transfer: No audio from load-\d \(\+\d+\) reached load-t-\d \(\+\d+\) \(consultation leg\)/,
      );
      expect(c.released).toBe(true);
    }
  });

  it('a join that leaves B in the consultation fails: C got no new call and was not joined', {
    timeout: 90_000,
  }, async () => {
    const { r } = await attendedRun(['replaces-local'], (sbc) =>
      patch(sbc, 'joinable', (orig, args) => {
        const j = orig(...args) as { named: object } | undefined;
        // The consultation's trunk leg is never ended: its BYE has no dialog to go to.
        return j && { ...j, named: { ...j.named, dialog: undefined } };
      }),
    );
    for (const c of r.calls)
      expect(c.failures.join(' | ')).toMatch(
        /(?:^| \| )transfer-attended: reported done, but load-t-\d \(\+\d+\) got no new call, and its consultation was not joined to load-\d \(\+\d+\) either \(established at the OXO, established at load-t-\d/,
      );
  });
});
