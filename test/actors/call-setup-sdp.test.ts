/**
 * The SDP that set a call up, as the trunk cases read it (T-5, T-7, T-8): an SBC may answer an
 * offer in a reliable 183 (RFC 3262) and send its 200 without SDP (RFC 3261 §13.2.1); the call
 * then takes its answer from the 183, and so must the checks of the SBC's SDP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Call } from '../../harness/actors/call.ts';
import { UserAgent } from '../../harness/sip/index.ts';
import { openMedia, sdp } from '../support/sdp-only-media.ts';

const CALLER = '127.0.85.5';
const SBC = '127.0.85.6';
const TIMERS = { t1: 50, t2: 400, t4: 500 };

const started: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

describe('Call.setupSdp', () => {
  it('is the reliable 183’s answer when the 200 carries no SDP, the 2xx’s otherwise', async () => {
    const a = await UserAgent.start({
      listen: [{ protocol: 'UDP', address: CALLER, port: 0 }],
      timers: TIMERS,
    });
    started.push(a);
    const u = await UserAgent.start({ listen: [{ protocol: 'UDP', address: SBC, port: 0 }], timers: TIMERS });
    started.push(u);
    const answer = sdp(SBC, 'sendrecv', 7);
    const final = sdp(SBC, 'sendrecv', 8);
    let withSdp = false;
    u.on('invite', (inv) => {
      inv.progress(answer, { reliable: true, status: 183 });
      // The 2xx only once the PRACK came (RFC 3262 §3), without SDP, or with one of its own.
      setTimeout(() => void inv.answer(withSdp ? final : undefined).catch(() => undefined), 300);
    });
    const media = await openMedia({
      localAddress: CALLER,
      prefs: { codecs: ['PCMA'], telephoneEvent: false },
    });
    const port = u.transport.bound[0]!.port;
    const call = Call.outgoing(a, media, { uri: `sip:+4940555001@${SBC}:${port}` });
    expect(await call.established()).toBe(true);
    expect(call.invite?.tokens('supported')).toContain('100rel');
    expect(call.answerResponse?.body.length).toBe(0);
    // Before: the trunk cases read answerResponse's body, empty here ("no readable SDP").
    expect(call.setupSdp).toBe(answer);
    await call.hangup();
    withSdp = true;
    const second = Call.outgoing(a, media, { uri: `sip:+4940555001@${SBC}:${port}` });
    expect(await second.established()).toBe(true);
    expect(second.setupSdp).toBe(final);
    await second.hangup();
  });
});
