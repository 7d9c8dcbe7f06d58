/**
 * The provider's IVR over real RTP: a MediaLeg-based test caller (its own UserAgent at the
 * SBC's WAN address) hears the prompt tone, sends digits as RFC 4733 events and as inband
 * tones, and gets each digit back in the mode it sent it; the IVR records both directions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Call } from '../../harness/actors/call.ts';
import { IVR_PROMPT_HZ, IVR_PROMPT_MS } from '../../harness/actors/ivr.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { Provider } from '../../harness/actors/provider.ts';
import { goertzelAmplitude } from '../../harness/media/analysis/index.ts';
import { UserAgent } from '../../harness/sip/index.ts';

const TIMERS = { t1: 50, t2: 400, t4: 500 };
const PROVIDER = '127.0.10.1';
const CALLER = '127.0.10.2';

const started: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function callIvr() {
  const p = await Provider.start({
    address: PROVIDER,
    lines: [{ username: 'l', password: 'p' }],
    timers: TIMERS,
  });
  started.push(p);
  const ivr = p.addIvr({ id: 'ivr', number: '+4930999000', echoDelayMs: 150 });
  const ua = await UserAgent.start({
    listen: [{ protocol: 'UDP', address: CALLER, port: 0 }],
    timers: TIMERS,
  });
  started.push(ua);
  const media = await MediaLeg.open({
    localAddress: CALLER,
    prefs: { codecs: ['PCMA'], telephoneEvent: true },
  });
  const call = Call.outgoing(ua, media, { uri: `sip:+4930999000@${PROVIDER}:${p.port()}` });
  expect(await call.established()).toBe(true);
  return { ivr, call };
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(20);
}

describe('IVR with DTMF return over RTP', () => {
  for (const mode of ['rfc2833', 'inband'] as const) {
    it(`${mode}: every digit comes back in ${mode}`, async () => {
      const { ivr, call } = await callIvr();
      // Let the prompt finish, and check it was heard.
      await sleep(IVR_PROMPT_MS + 200);
      const rec = call.media.receivedAudio();
      expect(goertzelAmplitude(rec.samples, rec.sampleRate, IVR_PROMPT_HZ)).toBeGreaterThan(500);
      const digits = ['1', '5', '#'];
      for (const d of digits) await call.sendDtmf(d, mode, 120);
      await until(
        () => call.media.dtmfReceived.length >= digits.length && ivr.sent.length >= digits.length,
        8000,
      );
      expect(ivr.receivedDigits(), JSON.stringify(ivr.received)).toBe('15#');
      expect(ivr.received.every((r) => r.mode === mode)).toBe(true);
      expect(ivr.sentDigits()).toBe('15#');
      expect(call.media.dtmfReceived.map((r) => r.digit).join('')).toBe('15#');
      expect(call.media.dtmfReceived.every((r) => r.mode === mode)).toBe(true);
      await call.hangup();
    });
  }
});
