/**
 * DTMF between two MediaLegs on loopback: RFC 4733 telephone-events and inband tones, each
 * way, received exactly in order; inband over wideband G.722; refusals for bad requests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CodecName } from '../../codecs/index.ts';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const legs: MediaLeg[] = [];
afterEach(async () => {
  await Promise.all(legs.splice(0).map((l) => l.close()));
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
}

async function pair(codec: CodecName, telephoneEvent = true) {
  const vc = new VirtualClock();
  const prefs = { codecs: [codec], telephoneEvent };
  const a = await MediaLeg.open({
    localAddress: '127.0.82.1',
    prefs,
    clock: vc,
    name: 'A',
    rtcpIntervalMs: 0,
  });
  legs.push(a);
  const b = await MediaLeg.open({
    localAddress: '127.0.82.2',
    prefs,
    clock: vc,
    name: 'B',
    rtcpIntervalMs: 0,
  });
  legs.push(b);
  const r = b.acceptOffer(a.createOffer());
  if (!r.ok) throw new Error(r.reason);
  const done = a.acceptAnswer(r.answer);
  if (!done.ok) throw new Error(done.reason);
  return { a, b, vc };
}

/** Sends `digits` one after the other while virtual time runs (bounded to 10 s of it). */
async function sendDigits(
  vc: VirtualClock,
  from: MediaLeg,
  digits: string,
  mode: 'rfc2833' | 'inband',
): Promise<void> {
  let finished = false;
  const job = (async () => {
    for (const d of digits) await from.sendDtmf(d, mode, 100);
    finished = true;
  })();
  for (let t = 0; t < 10_000 && !finished; t += 10) {
    vc.advance(10);
    await tick();
  }
  await job;
  // Let the last packets arrive, then run the receivers' idle timers.
  await sleep(30);
  for (let t = 0; t < 400; t += 10) {
    vc.advance(10);
    await tick();
  }
}

const received = (leg: MediaLeg): string => leg.dtmfReceived.map((d) => d.digit).join('');

describe('MediaLeg DTMF', () => {
  it('rfc2833 "159#" A→B and B→A arrive exactly, in order, as telephone-events', async () => {
    const { a, b, vc } = await pair('PCMA');
    expect(a.negotiated?.telephoneEventPt).toBe(101);
    const heard: string[] = [];
    b.onDtmf((d) => heard.push(`${d.digit}/${d.mode}`));
    await sendDigits(vc, a, '159#', 'rfc2833');
    await until(() => b.dtmfReceived.length >= 4);
    expect(received(b)).toBe('159#');
    expect(heard).toEqual(['1/rfc2833', '5/rfc2833', '9/rfc2833', '#/rfc2833']);
    expect(b.dtmfReceived.every((d) => d.mode === 'rfc2833')).toBe(true);
    expect(b.dtmfReceived.every((d) => Math.abs(d.durationMs - 100) <= 20)).toBe(true);
    expect(a.dtmfSent.map((d) => `${d.digit}:${d.status}`)).toEqual(['1:sent', '5:sent', '9:sent', '#:sent']);
    // 100 ms at 20 ms: 5 reports, the last sent 3 times → 7 packets per digit.
    expect(a.details().telephoneEventsSent).toBe(28);

    await sendDigits(vc, b, '159#', 'rfc2833');
    await until(() => a.dtmfReceived.length >= 4);
    expect(received(a)).toBe('159#');
  });

  it('rfc2833 digits sent while a tone plays replace the audio and are not heard inband', async () => {
    const { a, b, vc } = await pair('PCMU');
    a.play(toneSource(1000, 8000, -13));
    await sendDigits(vc, a, '159#', 'rfc2833');
    a.stopPlaying();
    await until(() => b.dtmfReceived.length >= 4);
    expect(received(b)).toBe('159#');
    expect(b.dtmfReceived.map((d) => d.mode)).toEqual(['rfc2833', 'rfc2833', 'rfc2833', 'rfc2833']);
    // Audio packets and events share one sequence: nothing is lost, audio arrived too.
    expect(b.stats().lost).toBe(0);
    expect(b.details().receivedCodecs).toEqual(['PCMU']);
  });

  for (const codec of ['PCMA', 'G722'] as const) {
    it(`inband "159#" over ${codec} A→B and B→A is detected exactly, in order`, async () => {
      const { a, b, vc } = await pair(codec);
      await sendDigits(vc, a, '159#', 'inband');
      await until(() => b.dtmfReceived.length >= 4);
      expect(received(b)).toBe('159#');
      expect(b.dtmfReceived.every((d) => d.mode === 'inband')).toBe(true);
      expect(b.dtmfReceived.every((d) => Math.abs(d.durationMs - 100) <= 15)).toBe(true);
      expect(b.details().telephoneEventsSent + a.details().telephoneEventsSent).toBe(0);

      await sendDigits(vc, b, '159#', 'inband');
      await until(() => a.dtmfReceived.length >= 4);
      expect(received(a)).toBe('159#');
    });
  }

  it('inband digits replace a playing tone, and "11" stays two digits', async () => {
    const { a, b, vc } = await pair('PCMA');
    a.play(toneSource(440, 8000, -20));
    await sendDigits(vc, a, '11', 'inband');
    a.stopPlaying();
    await until(() => b.dtmfReceived.length >= 2);
    expect(received(b)).toBe('11');
  });

  it('refuses digits it cannot send', async () => {
    const { a } = await pair('PCMA', false);
    await expect(a.sendDtmf('x', 'inband')).rejects.toThrow(/not a DTMF digit/);
    await expect(a.sendDtmf('1', 'rfc2833')).rejects.toThrow(/telephone-event/);
    const lone = await MediaLeg.open({
      localAddress: '127.0.82.3',
      prefs: { codecs: ['PCMA'], telephoneEvent: true },
      rtcpIntervalMs: 0,
    });
    legs.push(lone);
    await expect(lone.sendDtmf('1', 'inband')).rejects.toThrow(/negotiated/);
  });

  it('digits still queued when the leg closes resolve as aborted', async () => {
    const { a, vc } = await pair('PCMA');
    const p = [a.sendDtmf('1', 'inband'), a.sendDtmf('2', 'inband')];
    vc.advance(40);
    await a.close();
    await Promise.all(p);
    expect(a.dtmfSent.map((d) => d.status)).toEqual(['aborted', 'aborted']);
  });
});
