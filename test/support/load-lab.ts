/**
 * The embedded lab a load test runs through: the default profile on ephemeral loopback ports,
 * short SIP timers, the given fault switches; every lab a test started is stopped after it.
 */
import { afterEach } from 'vitest';
import { Lab } from '../../harness/actors/lab.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';

const TIMERS = { t1: 100, t2: 800, t4: 1000 };

/**
 * Registers the clean-up in the calling test file; returns the function that starts a lab (on
 * `profile`, the default one when absent).
 */
export function loadLabs(): (faults?: string[], profile?: Profile) => Promise<Lab> {
  const labs: Lab[] = [];
  afterEach(async () => {
    await Promise.all(labs.splice(0).map((l) => l.stop()));
  });
  return async (faults: string[] = [], profile: Profile = loadProfile()) => {
    const l = await Lab.start({ profile, ephemeralPorts: true, timers: TIMERS, faults });
    labs.push(l);
    return l;
  };
}
