/**
 * The provider simulator matches numbers across the forms an SBC may send them in: a call to
 * "030111111" or "004930111111" reaches the phone "+4930111111"; a Request-URI that names the
 * line's user ("sbc-line") is routed by its To; another number is 404. Driven by a UserAgent
 * standing in for the SBC; real media legs on the provider side.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Provider } from '../../harness/actors/provider.ts';
import { UserAgent } from '../../harness/sip/index.ts';

const TIMERS = { t1: 50, t2: 400, t4: 500 };
const PROVIDER = '127.0.12.1';
const SBC = '127.0.12.2';

const started: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

const OFFER = [
  'v=0',
  `o=- 1 1 IN IP4 ${SBC}`,
  's=-',
  `c=IN IP4 ${SBC}`,
  't=0 0',
  'm=audio 41000 RTP/AVP 8',
  'a=rtpmap:8 PCMA/8000',
  'a=sendrecv',
  '',
].join('\r\n');

describe('provider: numbers in other forms', () => {
  it('routes national, 00 and E.164 forms of a number to the same phone; a name R-URI by its To', async () => {
    const p = await Provider.start({
      address: PROVIDER,
      lines: [{ username: 'sbc-line', password: 's3cret', dids: ['030555000'] }],
      timers: TIMERS,
    });
    started.push(p);
    p.addPhone({ id: 'pstn1', number: '+4930111111' });
    const u = await UserAgent.start({
      listen: [{ protocol: 'UDP', address: SBC, port: 0 }],
      timers: TIMERS,
      contactUser: 'sbc-line',
    });
    started.push(u);
    const call = async (user: string, to?: string) => {
      const out = await u.invite({
        method: 'INVITE',
        uri: `sip:${user}@${PROVIDER}:${p.port()}`,
        ...(to ? { to: `<sip:${to}@provider.test>` } : {}),
        body: OFFER,
        contentType: 'application/sdp',
      }).result;
      if (out.dialog) await u.bye(out.dialog).catch(() => undefined);
      return out.status;
    };
    expect(await call('030111111')).toBe(200);
    expect(await call('004930111111')).toBe(200);
    expect(await call('+49-30-111111')).toBe(200);
    expect(await call('sbc-line', '030111111')).toBe(200);
    expect(await call('030111112')).toBe(404);
    expect(p.routes.map((r) => r.routedTo ?? r.status)).toEqual(['pstn1', 'pstn1', 'pstn1', 'pstn1', 404]);
    // A Refer-To in E.164 form names the line's DID written nationally.
    expect(p.referTarget('+4930555000')).toEqual({ kind: 'line', did: '+4930555000' });
    expect(p.referTarget('+4930555001')).toBeUndefined();
  });
});
