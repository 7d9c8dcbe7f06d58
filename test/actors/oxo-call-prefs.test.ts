/**
 * One trunk call of an extension can have codecs of its own while the extension's other calls
 * keep its order: an outgoing call by `Extension.call(dialled, prefs)`, an incoming one by the
 * `incomingPrefs` hook, chosen by the INVITE's caller (the load's inband DTMF calls use both:
 * G.711 for that call alone, as the plan's 8-2-3, on extensions the load's slots share).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Call, Lab } from '../../harness/actors/index.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { requestCallerKeys } from '../../harness/runner/load-run.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

async function g729Lab(): Promise<Lab> {
  const profile = loadProfile();
  profile.oxo.extensions.deskphone1.codecs = ['G729', 'PCMA'];
  profile.sbc.codecOrder = ['G729', 'PCMA', 'PCMU', 'G722'];
  const lab = await Lab.start({ profile, ephemeralPorts: true });
  labs.push(lab);
  return lab;
}

describe('an extension call with codecs of its own', () => {
  it('incoming: the call the hook picks by its caller answers G.711, the other call at the same time G.729', async () => {
    const lab = await g729Lab();
    const desk = lab.oxo!.extension('deskphone1');
    desk.lines = 2;
    lab.oxo!.profile.multiLine = true;
    const p1 = lab.provider!.phone('pstn1');
    const p2 = lab.provider!.phone('pstn2');
    const key1 = `from:${p1.number.replace(/\D/g, '').slice(-7)}`;
    desk.incomingPrefs = (invite) =>
      requestCallerKeys(invite).includes(key1) ? { ...desk.prefs, codecs: ['PCMA'] } : undefined;
    const legs: Call[] = [];
    desk.on('incoming', (c) => legs.push(c));
    const [a, b] = await Promise.all([p1.call(desk.did), p2.call(desk.did)]);
    expect(await a.established()).toBe(true);
    expect(await b.established()).toBe(true);
    expect(legs).toHaveLength(2);
    const byCaller = (n: string) =>
      legs.find((l) => (l.assertedIdentity?.user ?? l.remoteParty?.user ?? '').endsWith(n.slice(-7)));
    expect(byCaller(p1.number)?.media.negotiated?.codec).toBe('PCMA');
    expect(byCaller(p2.number)?.media.negotiated?.codec).toBe('G729');
    expect(desk.prefs.codecs).toEqual(['G729', 'PCMA']);
    await Promise.all([a.hangup(), b.hangup()]);
  }, 30_000);

  it('outgoing: Extension.call with prefs offers them for that call; the next call offers the extension’s own', async () => {
    const lab = await g729Lab();
    const desk = lab.oxo!.extension('deskphone1');
    const p1 = lab.provider!.phone('pstn1');
    const dial = `${lab.profile.oxo.outgoingPrefix}${p1.number}`;
    const own = await desk.call(dial, { ...desk.prefs, codecs: ['PCMA'] });
    const plain = await desk.call(dial);
    if (!('media' in own) || !('media' in plain)) throw new Error('the PBX kept a call internal');
    expect(own.invite?.body.toString()).toMatch(/m=audio \d+ RTP\/AVP 8( 101)?\r\n/);
    expect(plain.invite?.body.toString()).toMatch(/m=audio \d+ RTP\/AVP 18 8/);
    await Promise.all([own.hangup(), plain.hangup()]);
  }, 30_000);
});
