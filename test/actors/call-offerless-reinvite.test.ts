/**
 * An SBC may tell a harness phone of a hold with a re-INVITE that carries no offer (RFC 3261
 * §14.1): the phone offers in its 2xx and the SBC's answer, with its direction, comes in the ACK
 * (RFC 3264 §4, §8.4). The phone must read the hold (and the resume) from that ACK, as it
 * reads it from an offer: the hold cases judge the direction the provider's phone saw.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Provider } from '../../harness/actors/provider.ts';
import { UserAgent } from '../../harness/sip/index.ts';
import { openMedia, sdp } from '../support/sdp-only-media.ts';

const PROVIDER = '127.0.85.3';
const SBC = '127.0.85.4';
const TIMERS = { t1: 50, t2: 400, t4: 500 };

const started: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function until(done: () => boolean, ms = 2000): Promise<boolean> {
  for (let i = 0; i < ms / 20 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
  return done();
}

describe('offerless re-INVITE', () => {
  it('the direction of the answer in the ACK is the hold the phone sees, then the resume', async () => {
    const p = await Provider.start({ address: PROVIDER, lines: [], openMedia, timers: TIMERS });
    started.push(p);
    p.addPhone({ id: 'pstn1', number: '+4930111111' });
    const u = await UserAgent.start({ listen: [{ protocol: 'UDP', address: SBC, port: 0 }], timers: TIMERS });
    started.push(u);
    const out = await u.invite({
      method: 'INVITE',
      uri: `sip:+4930111111@${PROVIDER}:${p.port()}`,
      body: sdp(SBC, 'sendrecv', 0),
      contentType: 'application/sdp',
    }).result;
    expect(out.status).toBe(200);
    const d = out.dialog!;
    const phone = await p.phone('pstn1').nextIncoming();
    expect(await phone.established()).toBe(true);
    expect(phone.remoteDirection).toBe('sendrecv');

    const offers: string[] = [];
    const hold = await u.reinvite(d, undefined, undefined, (offer) => {
      offers.push(offer);
      return sdp(SBC, 'sendonly', 1);
    });
    expect(hold.status).toBe(200);
    expect(hold.request?.body.length).toBe(0);
    expect(offers).toHaveLength(1);
    expect(offers[0]).toMatch(/^m=audio /m);
    expect(await until(() => phone.remoteDirection === 'sendonly')).toBe(true);

    const resume = await u.reinvite(d, undefined, undefined, () => sdp(SBC, 'sendrecv', 2));
    expect(resume.status).toBe(200);
    expect(await until(() => phone.remoteDirection === 'sendrecv')).toBe(true);
    await u.bye(d);
  });
});
