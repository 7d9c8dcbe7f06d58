/**
 * The load pairs each incoming OXO leg with its call by the caller's number (load-run.ts), which
 * an SBC may carry in P-Asserted-Identity only, with another or an anonymous From (RFC 3325
 * §9.1, RFC 3261 §8.1.1.3, RFC 3323 §4.1.1.3; personality caller-in-pai), or in From only,
 * with no P-Asserted-Identity (personality caller-in-from). Both pair; docs/tolerances.md.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../harness/actors/lab.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import type { LoadCallRecord } from '../../harness/runner/load-figures.ts';
import { callerKeys, runLoad } from '../../harness/runner/load-run.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

/** Failures that are not timing of this shared host (as in load-mix.test.ts). */
const notDelay = (c: LoadCallRecord) =>
  c.failures.filter((f) => !/is delayed .* one-way|^([\w][\w ,-]*: )?Only \d+ of the \d+ packets/.test(f));

describe('load pairing of incoming legs', () => {
  it('keys: P-Asserted-Identity first, then From; no key without 7 digits', () => {
    const party = (uri: string, user?: string) => ({ uri, ...(user !== undefined ? { user } : {}) });
    expect(
      callerKeys({
        assertedIdentity: party('sip:+4940556000@x', '+4940556000'),
        remoteParty: party('sip:anonymous@anonymous.invalid', 'anonymous'),
      }),
    ).toEqual(['from:0556000']);
    expect(
      callerKeys({ assertedIdentity: undefined, remoteParty: party('sip:+4940556000@x', '+4940556000') }),
    ).toEqual(['from:0556000']);
    expect(
      callerKeys({
        assertedIdentity: party('sip:+493012345678@x', '+493012345678'),
        remoteParty: party('sip:+4940556000@x', '+4940556000'),
      }),
    ).toEqual(['from:2345678', 'from:0556000']);
    expect(callerKeys({ assertedIdentity: undefined, remoteParty: party('sip:123@x', '123') })).toEqual([]);
  });

  it('an SBC that carries the caller only in P-Asserted-Identity (anonymous From): every call pairs and passes', {
    timeout: 90_000,
  }, async () => {
    const lab = await Lab.start({
      profile: loadProfile(),
      ephemeralPorts: true,
      timers: { t1: 100, t2: 800, t4: 1000 },
      personalities: ['caller-in-pai'],
    });
    labs.push(lab);
    const froms: string[] = [];
    for (const id of ['deskphone1', 'deskphone2'] as const)
      lab.oxo?.extension(id).on('incoming', (call) => froms.push(call.invite?.get('from') ?? ''));
    const r = await runLoad({ lab, calls: 2, steps: [2], holdS: 2, direction: 'in' });
    expect(r.calls).toHaveLength(2);
    for (const c of r.calls) {
      expect(notDelay(c), `call ${c.index}`).toEqual([]);
      expect(c.released).toBe(true);
    }
    // The personality was on the wire: the OXO's legs saw the anonymous From.
    expect(froms).toHaveLength(2);
    for (const f of froms) expect(f).toMatch(/^<sip:anonymous@anonymous\.invalid>/);
  });

  it('an SBC that carries the caller only in From (no P-Asserted-Identity): every call pairs and passes', {
    timeout: 90_000,
  }, async () => {
    const lab = await Lab.start({
      profile: loadProfile(),
      ephemeralPorts: true,
      timers: { t1: 100, t2: 800, t4: 1000 },
      personalities: ['caller-in-from'],
    });
    labs.push(lab);
    const seen: Array<{ from: string; pai: string | undefined }> = [];
    for (const id of ['deskphone1', 'deskphone2'] as const)
      lab.oxo
        ?.extension(id)
        .on('incoming', (call) =>
          seen.push({ from: call.invite?.get('from') ?? '', pai: call.invite?.get('p-asserted-identity') }),
        );
    const r = await runLoad({ lab, calls: 2, steps: [2], holdS: 2, direction: 'in' });
    expect(r.calls).toHaveLength(2);
    for (const c of r.calls) {
      expect(notDelay(c), `call ${c.index}`).toEqual([]);
      expect(c.released).toBe(true);
    }
    // The personality was on the wire: no asserted identity, the caller's number in From.
    expect(seen).toHaveLength(2);
    for (const s of seen) {
      expect(s.pai).toBeUndefined();
      expect(s.from).toMatch(/<sip:\+?\d{7,}@/);
    }
  });

  it('caller-in-from keeps a caller who asked for privacy hidden: anonymous From, no asserted identity', {
    timeout: 60_000,
  }, async () => {
    const lab = await Lab.start({
      profile: loadProfile(),
      ephemeralPorts: true,
      timers: { t1: 100, t2: 800, t4: 1000 },
      personalities: ['caller-in-from'],
    });
    labs.push(lab);
    const desk = lab.oxo!.extension('deskphone1');
    const incoming = desk.nextIncoming();
    const call = await lab
      .provider!.phone('pstn1')
      .call(lab.profile.oxo.extensions.deskphone1.did, { privacy: 'id' });
    const leg = await incoming;
    expect(leg.invite?.get('p-asserted-identity')).toBeUndefined();
    expect(leg.invite?.get('from')).toMatch(/^<sip:anonymous@anonymous\.invalid>/);
    await call.hangup();
  });
});
