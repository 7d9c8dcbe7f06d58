/**
 * A harness phone's re-INVITE that meets one of the SBC's own (glare) is answered 491; the
 * phone sends it again after the wait RFC 3261 §14.1 gives, instead of failing the hold. An
 * SBC may re-INVITE at any time (a new media port, a session refresh: docs/tolerances.md).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Provider } from '../../harness/actors/provider.ts';
import { createResponse, UserAgent } from '../../harness/sip/index.ts';
import { openMedia, sdp } from '../support/sdp-only-media.ts';

const PROVIDER = '127.0.85.1';
const SBC = '127.0.85.2';
const TIMERS = { t1: 50, t2: 400, t4: 500 };

const started: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

describe('re-INVITE glare', () => {
  it('a hold answered 491 is sent again after the RFC 3261 §14.1 wait and then succeeds', async () => {
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
    const seen: number[] = [];
    d.on('request', (req, tx) => {
      if (req.method !== 'INVITE') return;
      // The first re-INVITE meets one of ours: 491 (RFC 3261 §14.2); the next one is accepted.
      const status = seen.length === 0 ? 491 : 200;
      seen.push(status);
      const res = createResponse(req, status, {
        headers: [['Contact', d.localContact]],
        ...(status === 200
          ? { body: sdp(SBC, 'recvonly', seen.length), contentType: 'application/sdp' }
          : {}),
      });
      tx.respond(res);
      if (status === 200) u.retransmit2xxUntilAck(d, tx, res).catch(() => undefined);
    });
    const phone = await p.phone('pstn1').nextIncoming();
    expect(await phone.established()).toBe(true);
    expect(await phone.hold()).toBe(200);
    expect(seen).toEqual([491, 200]);
    expect(phone.localDirection).toBe('sendonly');
    await u.bye(d);
  });
});
