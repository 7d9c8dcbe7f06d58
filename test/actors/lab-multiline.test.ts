/**
 * The lab's `oxoMultiLine` option: with it, the simulated OXO delivers a second external call
 * to a set that already has one (multi-line); without it, the second call is refused busy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../harness/actors/lab.ts';
import { loadProfile } from '../../harness/config/profile.ts';

const TIMERS = { t1: 100, t2: 800, t4: 1000 };
const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

async function twoCallsToDeskphone1(multi: boolean): Promise<{ first: boolean; second: number | undefined }> {
  const lab = await Lab.start({
    profile: loadProfile(),
    ephemeralPorts: true,
    timers: TIMERS,
    ...(multi ? { oxoMultiLine: true } : {}),
  });
  labs.push(lab);
  const desk = lab.oxo!.extension('deskphone1');
  expect(lab.oxo!.profile.multiLine).toBe(multi);
  expect(desk.lines).toBe(multi ? 2 : 1);
  const one = await lab.provider!.phone('pstn1').call(desk.did);
  const first = await one.established();
  const two = await lab.provider!.phone('pstn2').call(desk.did);
  await two.established();
  const second = two.status;
  await two.hangup();
  await one.hangup();
  return { first, second };
}

describe('lab option oxoMultiLine', () => {
  it('a second call to a busy Premium Deskphone 1 is answered with multi-line', async () => {
    const r = await twoCallsToDeskphone1(true);
    expect(r.first).toBe(true);
    expect(r.second).toBe(200);
  });

  it('without it, the second call is refused 486 Busy Here', async () => {
    const r = await twoCallsToDeskphone1(false);
    expect(r.first).toBe(true);
    expect(r.second).toBe(486);
  });
});
