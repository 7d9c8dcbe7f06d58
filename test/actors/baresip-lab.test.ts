/**
 * baresip, an independent SIP user agent, places a call into the embedded lab: it dials the
 * DID of Premium Deskphone 1 at the reference SBC's WAN listener; the SBC routes it to the
 * OXO trunk, whose extension answers. Audio is checked both ways: baresip's recording holds
 * the extension's tone, and the extension heard baresip's own tone (a different frequency).
 */
import { afterEach, expect, it } from 'vitest';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import { Lab } from '../../harness/actors/lab.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { goertzelAmplitude } from '../../harness/media/analysis/index.ts';
import { Baresip } from '../support/baresip.ts';
import { describeWithPeers } from '../support/peers.ts';

const TIMERS = { t1: 100, t2: 800, t4: 1000 };
const BARESIP_ADDRESS = '127.0.30.1';
const DESK_HZ = 1000;
const BARESIP_HZ = 600;
/** Frequencies where neither tone (nor an obvious product of them) sits: the noise reference. */
const OTHER_HZ = [450, 800, 1400, 2200];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Amplitudes of `f` and of the noise reference over `samples[start..end)`. */
function tone(samples: Int16Array, rate: number, f: number, start: number, end: number) {
  const at = goertzelAmplitude(samples, rate, f, start, end);
  const noise = Math.max(...OTHER_HZ.map((g) => goertzelAmplitude(samples, rate, g, start, end)));
  return { at, noise };
}

describeWithPeers(['baresip'], 'baresip → embedded SBC → OXO Premium Deskphone 1', () => {
  it.each([
    { codec: 'g711', rate: 8000, wanCodecs: ['PCMU', 'PCMA'], transcoding: true },
    { codec: 'g722', rate: 16000, wanCodecs: ['G722'], transcoding: false },
  ] as const)(
    'baresip with $codec: answered by the extension, both tones cross',
    { timeout: 15_000 },
    async (v) => {
      // baresip plays a second provider address: the SBC takes WAN calls only from those listed.
      const profile = loadProfile();
      profile.provider.sourceAddresses = [profile.provider.address, BARESIP_ADDRESS];
      const lab = await Lab.start({ profile, ephemeralPorts: true, timers: TIMERS });
      cleanups.push(() => lab.stop());
      const bs = await Baresip.start({ address: BARESIP_ADDRESS, codec: v.codec, toneHz: BARESIP_HZ });
      cleanups.push(() => bs.stop());
      const desk = lab.oxo!.extension('deskphone1');
      const did = lab.profile.oxo.extensions.deskphone1.did;
      const wan = lab.sbc!.wanListener('UDP');

      const incoming = desk.nextIncoming();
      const dial = await bs.command('dial', `sip:${did}@${wan.address}:${wan.port}`);
      expect(dial.ok, `dial refused: ${dial.data}\n${bs.log()}`).toBe(true);
      const established = await bs.waitEvent('CALL_ESTABLISHED').catch((e: Error) => {
        throw new Error(`${e.message}\n${bs.log()}`);
      });
      expect(established.class).toBe('call');
      expect(established.peeruri).toContain(did);
      const deskCall = await incoming;
      expect(await deskCall.established()).toBe(true);
      expect(desk.calls).toHaveLength(1);
      deskCall.media.play(toneSource(DESK_HZ, 16000));

      await sleep(1500);
      // What the extension heard, taken before the hang-up closes its media.
      const got = deskCall.media.receivedAudio();
      const hangup = await bs.command('hangup');
      expect(hangup.ok, `hangup refused: ${hangup.data}`).toBe(true);
      await bs.waitEvent('CALL_CLOSED');
      await deskCall.ended();
      expect(deskCall.state).toBe('ended');

      // What baresip heard: its sndfile dump of the decoded audio.
      const heard = bs.receivedAudio();
      expect(heard, `no recording in ${bs.dir}\n${bs.log()}`).toBeDefined();
      const rec = heard!;
      expect(rec.sampleRate).toBe(v.rate);
      const last = Math.min(rec.samples.length, Math.round(rec.sampleRate * 0.8));
      expect(last, 'at least 0.4 s recorded').toBeGreaterThan(rec.sampleRate * 0.4);
      const b = tone(rec.samples, rec.sampleRate, DESK_HZ, rec.samples.length - last, rec.samples.length);
      expect(b.at, "baresip hears the extension's 1 kHz tone").toBeGreaterThan(1000);
      expect(b.at, 'well above the other frequencies').toBeGreaterThan(10 * b.noise);
      const own = goertzelAmplitude(rec.samples, rec.sampleRate, BARESIP_HZ, rec.samples.length - last);
      expect(own, 'no echo of its own tone').toBeLessThan(b.at / 10);

      // What the extension heard: baresip's 600 Hz tone.
      const n = Math.round(got.sampleRate * 0.8);
      expect(got.samples.length).toBeGreaterThan(n);
      const d = tone(got.samples, got.sampleRate, BARESIP_HZ, got.samples.length - n, got.samples.length);
      expect(d.at, "the extension hears baresip's 600 Hz tone").toBeGreaterThan(1000);
      expect(d.at).toBeGreaterThan(10 * d.noise);

      // What the SBC recorded.
      const calls = lab.sbc!.calls();
      expect(calls).toHaveLength(1);
      const c = calls[0]!;
      expect(c.direction).toBe('wan-to-lan');
      expect(c.called).toBe(did);
      expect(c.wan.remote?.address).toBe(BARESIP_ADDRESS);
      expect(v.wanCodecs).toContain(c.wan.codec);
      expect(c.lan.codec).toBe('G722');
      expect(c.transcoding).toBe(v.transcoding);
      expect(bs.protocolErrors).toEqual([]);
    },
  );
});
