/**
 * A provider that offers nothing but G.723.1 (which this host cannot encode): the embedded SBC
 * must offer the OXO only what it can bridge back, so the call goes through with G.723.1 relayed
 * as is on both legs (it used to offer G.722/G.711, get G.722 from the deskphone and fail 488).
 */
import { afterEach, expect, it } from 'vitest';
import { fixtureSource, Lab, MediaLeg } from '../../harness/actors/index.ts';
import { loadProfile } from '../../harness/config/profile.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

it('a G.723.1-only offer from the provider reaches Premium Deskphone 1 and G.723.1 crosses the SBC unchanged', async () => {
  const lab = await Lab.start({
    profile: loadProfile(),
    ephemeralPorts: true,
    timers: { t1: 100, t2: 800, t4: 1000 },
  });
  labs.push(lab);
  const desk = lab.oxo!.extension('deskphone1');
  const phone = lab.provider!.phone('pstn1');
  phone.prefs = { codecs: ['G723'], telephoneEvent: true };
  const incoming = desk.nextIncoming();
  const call = await phone.call(desk.did);
  expect(await call.established(), `call ended with ${call.status}`).toBe(true);
  const leg = await incoming;
  expect(call.media.negotiated?.codec).toBe('G723');
  expect(leg.media.negotiated?.codec).toBe('G723');
  const rec = lab.sbc!.calls().at(-1)!;
  expect(rec.transcoding).toBe(false);
  call.media.play(fixtureSource('G723'));
  await new Promise((r) => setTimeout(r, 1200));
  if (!(leg.media instanceof MediaLeg)) throw new Error('the deskphone leg has no MediaLeg');
  const v = leg.media.verifyFixture('G723');
  expect(v.ok, v.detail).toBe(true);
  expect(v.method).toBe('passthrough');
  await call.hangup();
});
