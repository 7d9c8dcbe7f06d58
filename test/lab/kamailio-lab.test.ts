/**
 * The Kamailio + rtpengine lab as the SBC (lab/up, profiles/kamailio-lab.yaml): the simulated
 * provider sees Kamailio register its line, the simulated OXO registers its trunk at Kamailio,
 * calls cross it both ways with audio checked in both directions, and a call whose two legs
 * share no codec is transcoded by rtpengine (each side decodes the other's tone in its own codec).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import type { Call } from '../../harness/actors/call.ts';
import { Lab } from '../../harness/actors/lab.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';
import { goertzelAmplitude } from '../../harness/media/analysis/index.ts';
import {
  DEFAULT_LAB_POLICY,
  KamailioLabControl,
  kamailioLabAdapter,
} from '../../harness/runner/kamailio-adapter.ts';
import { describeWithPeers } from '../support/peers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PROFILE = join(ROOT, 'profiles', 'kamailio-lab.yaml');
const TIMERS = { t1: 100, t2: 800, t4: 1000 };
// This file's lab: its own run directory and RTP ports (the addresses of the profile).
const LAB_ENV = {
  ...process.env,
  LAB_RUN_DIR: join(process.env.TMPDIR ?? '/tmp', 'sbc-harness-lab-e2e'),
  LAB_RTP_MIN: '41000',
  LAB_RTP_MAX: '41499',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function heard(call: Call, f: number, ms = 400): number {
  const rec = call.media.receivedAudio();
  const n = Math.round((ms * rec.sampleRate) / 1000);
  if (rec.samples.length < n) return 0;
  return goertzelAmplitude(rec.samples, rec.sampleRate, f, rec.samples.length - n, rec.samples.length);
}

async function talk(a: Call, b: Call, fa: number, fb: number) {
  a.media.play(toneSource(fa, 16000));
  b.media.play(toneSource(fb, 16000));
  await sleep(1000);
  return { aHearsB: heard(a, fb), bHearsA: heard(b, fa), aHearsA: heard(a, fa) };
}

describeWithPeers(['kamailio', 'rtpengine'], 'Kamailio + rtpengine lab SBC', () => {
  const control = KamailioLabControl.forProfile(loadProfile(PROFILE), {});
  const adapter = kamailioLabAdapter(control);
  const labs: Lab[] = [];

  beforeAll(() => {
    execFileSync(join(ROOT, 'lab', 'up'), { env: LAB_ENV, stdio: 'pipe', timeout: 40_000 });
  }, 45_000);
  afterAll(() => {
    execFileSync(join(ROOT, 'lab', 'down'), { env: LAB_ENV, stdio: 'pipe', timeout: 20_000 });
  }, 25_000);
  afterEach(async () => {
    await Promise.all(labs.splice(0).map((l) => l.stop()));
    await control.setPolicy(DEFAULT_LAB_POLICY).catch(() => undefined);
  });

  async function startLab(edit?: (p: Profile) => void): Promise<Lab> {
    const profile = loadProfile(PROFILE);
    edit?.(profile);
    const lab = await Lab.start({ profile, timers: TIMERS });
    labs.push(lab);
    // each lab has a fresh provider simulator: the adapter makes Kamailio register its line there again
    expect(await adapter.prepare(lab, 15_000), 'the line registered after the refresh').toEqual([]);
    return lab;
  }

  it('registers its line at the provider and accepts the OXO trunk registration', async () => {
    const lab = await startLab();
    const p = lab.profile;
    const ok = lab.provider!.registrations.filter(
      (r) => r.status === 200 && r.username === p.provider.line.user,
    );
    expect(ok.length, 'a 200 to the line registration').toBeGreaterThan(0);
    expect(ok.at(-1)!.source.split(':')[0], 'registered from the SBC WAN address').toBe(p.sbc.wan.address);
    // uac_reg answered the provider's digest challenge: a 401 came before the 200
    expect(lab.provider!.registrations.some((r) => r.status === 401)).toBe(true);
    const regs = await control.lineRegistrations();
    expect(regs.map((r) => r.r_username)).toContain(p.provider.line.user);
    // the OXO's registration was answered 2xx (Lab.start throws otherwise), and so is a refresh
    const status = await lab.oxo!.register();
    expect(status).toBe(200);
  }, 30_000);

  it('PSTN → Premium Deskphone 1 and back through Kamailio + rtpengine, audio both ways', async () => {
    const lab = await startLab();
    const provider = lab.provider!;
    const desk = lab.oxo!.extension('deskphone1');
    const did = lab.profile.oxo.extensions.deskphone1.did;

    const incoming = desk.nextIncoming();
    const pstnCall = await provider.phone('pstn1').call(did);
    expect(await pstnCall.established(), `call ended with ${pstnCall.status}`).toBe(true);
    const deskLeg = await incoming;
    expect(await deskLeg.established()).toBe(true);
    // media anchored: each side sends RTP to the SBC's address on its side, not to the other actor
    expect(pstnCall.media.negotiated?.remote.address).toBe(lab.profile.sbc.wan.address);
    expect(deskLeg.media.negotiated?.remote.address).toBe(lab.profile.sbc.lan.address);
    const t1 = await talk(pstnCall, deskLeg, 700, 1300);
    expect(t1.aHearsB, 'the PSTN phone hears the deskphone').toBeGreaterThan(300);
    expect(t1.bHearsA, 'the deskphone hears the PSTN phone').toBeGreaterThan(300);
    expect(t1.aHearsA, 'no echo of the caller').toBeLessThan(100);
    await pstnCall.hangup();

    const pstn2 = provider.phone('pstn2');
    const ringing = pstn2.nextIncoming();
    const out = await desk.call(`${lab.profile.oxo.outgoingPrefix}${pstn2.number}`);
    if (!('media' in out)) throw new Error('an external number was routed as an internal call');
    expect(await out.established(), `call ended with ${out.status}`).toBe(true);
    const far = await ringing;
    expect(out.media.negotiated?.remote.address).toBe(lab.profile.sbc.lan.address);
    expect(far.media.negotiated?.remote.address).toBe(lab.profile.sbc.wan.address);
    const t2 = await talk(out, far, 900, 1500);
    expect(t2.aHearsB, 'the deskphone hears the PSTN phone').toBeGreaterThan(300);
    expect(t2.bHearsA, 'the PSTN phone hears the deskphone').toBeGreaterThan(300);
    await out.hangup();
  }, 40_000);

  it('transcodes G.722 (provider) ↔ PCMA (deskphone) when the policy asks', async () => {
    // the adapter's codec order for a case, then only PCMA toward the OXO for this call
    const applied = await adapter.apply({ codecOrder: ['PCMA', 'G722'] }, loadProfile(PROFILE));
    expect(applied.profile.sbc.codecOrder).toEqual(['PCMA', 'G722']);
    expect((await control.getPolicy()).towan).toBe(
      'codec-mask-all codec-transcode-PCMA codec-transcode-G722',
    );
    await control.setPolicy({ ...DEFAULT_LAB_POLICY, tolan: 'codec-mask-all codec-transcode-PCMA' });
    expect((await control.getPolicy()).tolan).toBe('codec-mask-all codec-transcode-PCMA');
    const lab = await startLab((p) => {
      p.provider.codecs = ['G722'];
      p.oxo.extensions.deskphone1.codecs = ['PCMA'];
    });
    const desk = lab.oxo!.extension('deskphone1');
    const incoming = desk.nextIncoming();
    const pstnCall = await lab.provider!.phone('pstn1').call(lab.profile.oxo.extensions.deskphone1.did);
    expect(await pstnCall.established(), `call ended with ${pstnCall.status}`).toBe(true);
    const deskLeg = await incoming;
    expect(await deskLeg.established()).toBe(true);
    expect(pstnCall.media.negotiated?.codec).toBe('G722');
    expect(deskLeg.media.negotiated?.codec).toBe('PCMA');
    // each side decodes what it receives in its own codec: the tones crossed the transcoder
    const t = await talk(pstnCall, deskLeg, 600, 1100);
    expect(t.aHearsB, 'the PSTN phone (G.722) hears the deskphone (PCMA)').toBeGreaterThan(300);
    expect(t.bHearsA, 'the deskphone (PCMA) hears the PSTN phone (G.722)').toBeGreaterThan(300);
    // and neither leg saw the other's codec on its wire
    expect(deskLeg.media.stats().codecs).toEqual(['PCMA']);
    expect(pstnCall.media.stats().codecs).toEqual(['G722']);
    await pstnCall.hangup();
  }, 40_000);
});
