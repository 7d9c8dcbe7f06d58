/**
 * The OXO trunk simulator registered at a stand-in SBC (a provider simulator with the trunk's
 * line), as the OXO actor tests use it; each test file calls `useOxoRig()` once.
 */
import { afterEach, expect } from 'vitest';
import { type OxoProfile, OxoTrunk } from '../../harness/actors/oxo-trunk.ts';
import { Provider } from '../../harness/actors/provider.ts';

export const TIMERS = { t1: 50, t2: 400, t4: 500 };
export const SBC = '127.0.20.2';
export const OXO = '127.0.20.1';
export const CREDS = { username: 'oxo', password: 'trunk-pw' };
export const RATE = 16000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Registers the clean-up and returns `setup(profile)`, which starts and registers the trunk. */
export function useOxoRig(): (profile?: Partial<OxoProfile>) => Promise<{ sbc: Provider; oxo: OxoTrunk }> {
  const started: Array<{ stop(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });
  return async (profile = {}) => {
    const sbc = await Provider.start({ address: SBC, lines: [CREDS], timers: TIMERS });
    started.push(sbc);
    const oxo = await OxoTrunk.start({
      address: OXO,
      sbc: { protocol: 'UDP', address: SBC, port: sbc.port() },
      credentials: CREDS,
      profile,
      timers: TIMERS,
    });
    started.push(oxo);
    expect(await oxo.register()).toBe(200);
    return { sbc, oxo };
  };
}
