/**
 * The whole chain of the default profile: PSTN phone → provider → embedded reference SBC →
 * OXO trunk → Premium Deskphone 1, and back the other way, with audio checked in both
 * directions, over UDP, TCP and TLS between provider and SBC, with RTP and with SRTP there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import type { Call } from '../../harness/actors/call.ts';
import { Lab } from '../../harness/actors/lab.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';
import { goertzelAmplitude } from '../../harness/media/analysis/index.ts';

const TIMERS = { t1: 100, t2: 800, t4: 1000 };
const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Amplitude of `f` Hz in the last `ms` of what `call` received. */
function heard(call: Call, f: number, ms = 400): number {
  const rec = call.media.receivedAudio();
  const n = Math.round((ms * rec.sampleRate) / 1000);
  if (rec.samples.length < n) return 0;
  return goertzelAmplitude(rec.samples, rec.sampleRate, f, rec.samples.length - n, rec.samples.length);
}

async function talk(
  a: Call,
  b: Call,
  fa: number,
  fb: number,
): Promise<{ aHearsB: number; bHearsA: number; aHearsA: number }> {
  a.media.play(toneSource(fa, 16000));
  b.media.play(toneSource(fb, 16000));
  await sleep(900);
  return { aHearsB: heard(a, fb), bHearsA: heard(b, fa), aHearsA: heard(a, fa) };
}

function profileWith(transport: 'udp' | 'tcp' | 'tls', srtp: boolean): Profile {
  const p = loadProfile();
  p.provider.transport = transport;
  p.provider.srtp = srtp;
  p.sbc.srtpTowardProvider = srtp;
  return p;
}

describe.each([
  ['udp', false],
  ['tcp', false],
  ['tls', false],
  ['udp', true],
  ['tls', true],
] as const)('embedded lab, provider–SBC over %s, SRTP %s', (transport, srtp) => {
  it('PSTN → Premium Deskphone 1 and Deskphone 1 → PSTN, audio both ways', async () => {
    const lab = await Lab.start({
      profile: profileWith(transport, srtp),
      ephemeralPorts: true,
      timers: TIMERS,
    });
    labs.push(lab);
    const provider = lab.provider!;
    const desk = lab.oxo!.extension('deskphone1');
    const did = lab.profile.oxo.extensions.deskphone1.did;

    const incoming = desk.nextIncoming();
    const pstnCall = await provider.phone('pstn1').call(did);
    expect(await pstnCall.established(), `call ended with ${pstnCall.status}`).toBe(true);
    const deskLeg = await incoming;
    expect(await deskLeg.established()).toBe(true);
    const sbcCall = lab.sbc!.calls().at(-1)!;
    expect(sbcCall.direction).toBe('wan-to-lan');
    expect(sbcCall.wan.srtpSuite !== undefined, 'SRTP on the WAN leg').toBe(srtp);
    expect(sbcCall.lan.srtpSuite, 'plain RTP on the LAN leg').toBeUndefined();
    const t1 = await talk(pstnCall, deskLeg, 700, 1300);
    expect(t1.aHearsB, 'the PSTN phone hears the deskphone').toBeGreaterThan(300);
    expect(t1.bHearsA, 'the deskphone hears the PSTN phone').toBeGreaterThan(300);
    expect(t1.aHearsA, 'no echo of the caller').toBeLessThan(100);
    await pstnCall.hangup();

    const pstn2 = provider.phone('pstn2');
    const ringing = pstn2.nextIncoming();
    const out = await desk.call(`${lab.profile.oxo.outgoingPrefix}${pstn2.number}`);
    if (!('media' in out)) throw new Error('an external number was routed as an internal call');
    expect(await out.established()).toBe(true);
    const far = await ringing;
    const t2 = await talk(out, far, 900, 1500);
    expect(t2.aHearsB).toBeGreaterThan(300);
    expect(t2.bHearsA).toBeGreaterThan(300);
    expect(lab.sbc!.calls().at(-1)!.direction).toBe('lan-to-wan');
    await out.hangup();
  });
});
