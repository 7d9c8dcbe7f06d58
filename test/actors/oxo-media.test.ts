/**
 * The OXO simulator's media features over real RTP (MediaLeg on loopback), with provider
 * PSTN phones calling its DIDs: hold sends a=sendonly and the held party hears the music on
 * hold, resume returns to sendrecv and the music stops; switching between two calls; the
 * three-party conference, where each party hears the other two tones and not its own; and
 * the PBX-internal attended transfer, where the transferee and the target hear each other.
 */
import { describe, expect, it } from 'vitest';
import { detectMoh, toneSource } from '../../harness/actors/audio-sources.ts';
import type { Call } from '../../harness/actors/call.ts';
import { goertzelAmplitude } from '../../harness/media/analysis/index.ts';
import { RATE, sleep, useOxoRig } from '../support/oxo-rig.ts';

const setup = useOxoRig();

/** Amplitude of `f` in the last `ms` of what `call` received. */
function heard(call: Call, f: number, ms = 500): number {
  const rec = call.media.receivedAudio();
  const n = Math.round((ms * rec.sampleRate) / 1000);
  const s = rec.samples;
  if (s.length < n) return 0;
  return goertzelAmplitude(s, rec.sampleRate, f, s.length - n, s.length);
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(20);
}

describe('OXO hold with music on hold', () => {
  it('holds with a=sendonly, the held party hears the melody, resume stops it', async () => {
    const { sbc, oxo } = await setup();
    const alice = sbc.addPhone({ id: 'alice', number: '+4930111111' });
    const call = await alice.call('0301234561');
    expect(await call.established()).toBe(true);
    const desk = oxo.extension('deskphone1');
    const leg = await desk.nextIncoming();
    expect(await leg.established()).toBe(true);
    expect(await desk.hold(leg)).toBe(200);
    expect(leg.localDirection).toBe('sendonly');
    expect(call.remoteDirection).toBe('sendonly');
    call.media.clearReceived();
    await sleep(1300);
    const moh = detectMoh(call.media.receivedAudio().samples, call.media.receivedAudio().sampleRate);
    expect(moh.present, JSON.stringify(moh)).toBe(true);
    expect(await desk.resume(leg)).toBe(200);
    expect(call.remoteDirection).toBe('sendrecv');
    await sleep(150);
    call.media.clearReceived();
    await sleep(600);
    const after = detectMoh(call.media.receivedAudio().samples, call.media.receivedAudio().sampleRate);
    expect(after.present).toBe(false);
    await call.hangup();
  });

  it('switches between two calls: holds one, resumes the other', async () => {
    const { sbc, oxo } = await setup({ multiLine: true });
    const a = sbc.addPhone({ id: 'a', number: '0301000001' });
    const b = sbc.addPhone({ id: 'b', number: '0301000002' });
    const ca = await a.call('0301234561');
    expect(await ca.established()).toBe(true);
    const cb = await b.call('0301234561');
    expect(await cb.established()).toBe(true);
    const desk = oxo.extension('deskphone1');
    const la = await desk.nextIncoming();
    const lb = await desk.nextIncoming();
    await la.established();
    await lb.established();
    await desk.hold(lb);
    expect(cb.remoteDirection).toBe('sendonly');
    await desk.switchTo(lb);
    expect([ca.remoteDirection, cb.remoteDirection]).toEqual(['sendonly', 'sendrecv']);
    await desk.switchTo(la);
    expect([ca.remoteDirection, cb.remoteDirection]).toEqual(['sendrecv', 'sendonly']);
    await ca.hangup();
    await cb.hangup();
  });
});

describe('OXO three-party conference', () => {
  it('each party hears the other two tones and not its own', async () => {
    const { sbc, oxo } = await setup();
    const freqs = [600, 1100, 1700];
    const dids = ['0301234561', '0301234562', '0301234564'];
    const calls: Call[] = [];
    for (let i = 0; i < 3; i++) {
      const p = sbc.addPhone({ id: `p${i}`, number: `030200000${i}` });
      const c = await p.call(dids[i]!);
      expect(await c.established()).toBe(true);
      calls.push(c);
    }
    const legs = [
      await oxo.extension('deskphone1').nextIncoming(),
      await oxo.extension('deskphone2').nextIncoming(),
      await oxo.extension('fxs1').nextIncoming(),
    ];
    for (const l of legs) expect(await l.established()).toBe(true);
    calls.forEach((c, i) => {
      c.media.play(toneSource(freqs[i]!, RATE, -16));
    });
    const mixer = await oxo.conference(legs);
    await until(() => calls.every((c) => c.media.receivedAudio().samples.length > RATE), 4000);
    await sleep(300);
    for (let i = 0; i < 3; i++) {
      const own = heard(calls[i]!, freqs[i]!);
      const others = freqs.filter((_, k) => k !== i).map((f) => heard(calls[i]!, f));
      const msg = `party ${i}: own ${own.toFixed(0)}, others ${others.map((o) => o.toFixed(0))}`;
      for (const o of others) expect(o, msg).toBeGreaterThan(1000);
      expect(own, msg).toBeLessThan(Math.min(...others) / 20);
    }
    expect(mixer.delivered.every((d) => d > 0)).toBe(true);
    mixer.stop();
    for (const c of calls) await c.hangup();
  });
});

describe('OXO transfer inside the PBX', () => {
  it('attended: the transferee and the target hear each other after the bridge', async () => {
    const { sbc, oxo } = await setup();
    const alice = sbc.addPhone({ id: 'alice', number: '0301111111' });
    const carol = sbc.addPhone({ id: 'carol', number: '0303333333' });
    const a = await alice.call('0301234561');
    expect(await a.established()).toBe(true);
    const desk = oxo.extension('deskphone1');
    const fromA = await desk.nextIncoming();
    expect(await fromA.established()).toBe(true);
    expect(await desk.hold(fromA)).toBe(200);
    const consult = (await desk.call('00303333333')) as Call;
    expect(await consult.established()).toBe(true);
    const c = await carol.nextIncoming();
    expect(await c.established()).toBe(true);
    const rec = await oxo.transfer('attended', fromA, { consultation: consult });
    expect(rec).toMatchObject({ mode: 'pbx', ok: true, bridged: true });
    // Resumed: the transferee's leg is back to sendrecv.
    expect(a.remoteDirection).toBe('sendrecv');
    a.media.play(toneSource(700, RATE, -16));
    c.media.play(toneSource(1300, RATE, -16));
    a.media.clearReceived();
    c.media.clearReceived();
    await sleep(1200);
    expect(heard(a, 1300)).toBeGreaterThan(1000);
    expect(heard(c, 700)).toBeGreaterThan(1000);
    expect(heard(a, 700)).toBeLessThan(heard(a, 1300) / 20);
    // The bridge ends both legs together.
    await a.hangup();
    await until(() => c.state === 'ended');
    expect(c.state).toBe('ended');
  });
});
