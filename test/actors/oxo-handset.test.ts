/**
 * Audio that stays inside the simulated OXO: the handset of a set (lazy by elapsed time, on a
 * virtual clock here), an internal call as a mix of two handsets, a handset in a conference
 * with a trunk call, and a transfer whose transferee is an extension (joined to the target's
 * trunk call, B out of the call) — over real RTP with a provider phone as the target.
 */
import { describe, expect, it } from 'vitest';
import { detectMoh, toneSource } from '../../harness/actors/audio-sources.ts';
import type { Call } from '../../harness/actors/call.ts';
import { ConferenceMixer } from '../../harness/actors/conference-mixer.ts';
import { Handset, MAX_PULL_MS } from '../../harness/actors/handset.ts';
import { goertzelAmplitude } from '../../harness/media/analysis/index.ts';
import { RATE, sleep, useOxoRig } from '../support/oxo-rig.ts';

const setup = useOxoRig();

function level(rec: { sampleRate: number; samples: Int16Array }, f: number, ms = 400): number {
  const n = Math.round((ms * rec.sampleRate) / 1000);
  const s = rec.samples;
  if (s.length < n) return 0;
  return goertzelAmplitude(s, rec.sampleRate, f, s.length - n, s.length);
}

describe('Handset (virtual time)', () => {
  it('produces audio by elapsed time: silence, then what is said, bounded per look', () => {
    let t = 0;
    const h = new Handset('set', () => t);
    expect(h.receivedAudio().samples.length).toBe(0);
    t = 100;
    const silent = h.receivedAudio().samples;
    expect(silent.length).toBe(1600);
    expect(silent.every((v) => v === 0)).toBe(true);
    h.say(toneSource(1000, RATE, -16));
    t = 600;
    const rec = h.receivedAudio();
    expect(rec.samples.length).toBe(1600 + 8000);
    expect(level(rec, 1000)).toBeGreaterThan(1000);
    // A long gap is cut to MAX_PULL_MS, not pulled in one go.
    t = 600 + 5 * MAX_PULL_MS;
    const after = h.receivedAudio().samples.length;
    expect(after - 9600).toBe((MAX_PULL_MS * RATE) / 1000);
  });

  it('the earpiece hears what the PBX plays; a source that throws or ends is silence', () => {
    let t = 0;
    const h = new Handset('set', () => t);
    h.play(toneSource(700, RATE, -16));
    t = 500;
    expect(level(h.heard(), 700)).toBeGreaterThan(1000);
    expect(h.hearing).toBe(true);
    h.clearHeard();
    h.play({
      sampleRate: RATE,
      next: () => {
        throw new Error('broken source');
      },
    });
    t = 900;
    const rec = h.heard();
    expect(rec.samples.length).toBe(6400);
    expect(rec.samples.every((v) => v === 0)).toBe(true);
    expect(h.hearing).toBe(false);
  });

  it('two handsets mixed hear each other and not themselves (an internal call)', () => {
    let t = 0;
    const a = new Handset('a', () => t);
    const b = new Handset('b', () => t);
    const m = new ConferenceMixer([a, b]);
    a.say(toneSource(600, RATE, -16));
    b.say(toneSource(1500, RATE, -16));
    for (let k = 0; k < 50; k++) {
      t += 20;
      a.heard();
      b.heard();
    }
    const ha = a.heard();
    const hb = b.heard();
    expect(level(ha, 1500)).toBeGreaterThan(1000);
    expect(level(hb, 600)).toBeGreaterThan(1000);
    expect(level(ha, 600)).toBeLessThan(level(ha, 1500) / 20);
    expect(level(hb, 1500)).toBeLessThan(level(hb, 600) / 20);
    m.stop();
    expect(a.hearing).toBe(false);
  });
});

describe('OXO: a transferee inside the PBX joined to the target trunk call', () => {
  it('attended: B drops out, A and C hear each other, A heard the music on hold before', async () => {
    const { sbc, oxo } = await setup();
    const carol = sbc.addPhone({ id: 'carol', number: '0303333333' });
    const a = oxo.extension('deskphone2');
    const b = oxo.extension('deskphone1');
    // A called B internally; B holds A (music on hold in A's handset) and calls C.
    a.hearMusicOnHold();
    a.handset.clearHeard();
    const consult = (await b.call('00303333333')) as Call;
    expect(await consult.established()).toBe(true);
    const c = await carol.nextIncoming();
    expect(await c.established()).toBe(true);
    await sleep(1000);
    const moh = a.handset.heard();
    expect(detectMoh(moh.samples, moh.sampleRate).present).toBe(true);
    const rec = await oxo.transfer('attended', a, { consultation: consult });
    expect(rec).toMatchObject({ mode: 'pbx', ok: true, bridged: true, joined: 'deskphone2' });
    expect(b.activeCalls).toHaveLength(0);
    expect(a.activeCalls).toEqual([consult]);
    a.handset.say(toneSource(700, RATE, -16));
    c.media.play(toneSource(1300, RATE, -16));
    a.handset.clearHeard();
    c.media.clearReceived();
    await sleep(1000);
    const heardByA = a.handset.heard();
    expect(level(heardByA, 1300)).toBeGreaterThan(1000);
    expect(level(heardByA, 440)).toBeLessThan(level(heardByA, 1300) / 20); // the music stopped
    expect(level(c.media.receivedAudio(), 700)).toBeGreaterThan(1000);
    await c.hangup();
    const deadline = Date.now() + 3000;
    while (a.handset.hearing && Date.now() < deadline) await sleep(20);
    expect(a.handset.hearing).toBe(false);
  });

  it('semi-attended in REFER mode: no REFER, the join waits for C to answer', async () => {
    const { sbc, oxo } = await setup({ transferMode: 'refer' });
    const carol = sbc.addPhone({ id: 'carol', number: '0303333333', behaviour: { kind: 'ring' } });
    const a = oxo.extension('deskphone2');
    const b = oxo.extension('deskphone1');
    const consult = (await b.call('00303333333')) as Call;
    const c = await carol.nextIncoming();
    const pending = oxo.transfer('semi-attended', a, { consultation: consult });
    await sleep(100);
    expect(b.activeCalls).toHaveLength(0);
    expect(oxo.transfers[0]?.ok).toBe(false);
    expect(await c.answer()).toBe(true);
    const rec = await pending;
    expect(rec).toMatchObject({ mode: 'pbx', ok: true, joined: 'deskphone2' });
    expect(rec.referTo).toBeUndefined();
    await c.hangup();
  });

  it('a consultation that failed is reported, not thrown', async () => {
    const { sbc, oxo } = await setup();
    sbc.addPhone({ id: 'carol', number: '0303333333', behaviour: { kind: 'busy' } });
    const consult = (await oxo.extension('deskphone1').call('00303333333')) as Call;
    const rec = await oxo.transfer('semi-attended', oxo.extension('deskphone2'), { consultation: consult });
    expect(rec.ok).toBe(false);
    expect(rec.reason).toMatch(/did not answer|is over/);
  });
});
