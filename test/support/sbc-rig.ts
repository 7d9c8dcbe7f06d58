/**
 * What the reference SBC's tests share around the loopback rig of harness/actors/sbc-stand-ins.ts:
 * rigs and media legs closed after each test, a LAN→WAN call with a media leg on each end, a
 * bounded wait for a condition, and the level of a tone in what a leg received.
 */
import { afterEach, expect } from 'vitest';
import { MediaLeg, type MediaPrefs } from '../../harness/actors/media-leg.ts';
import {
  answerNextCall,
  placeCall,
  RIG_ADDRESSES,
  type SbcRig,
  startSbcRig,
} from '../../harness/actors/sbc-stand-ins.ts';
import { goertzelAmplitude } from '../../harness/media/analysis/index.ts';

/** The rig's options (what `startSbcRig` takes). */
export type SbcRigOptions = Parameters<typeof startSbcRig>[0];

/** PCMA with telephone-event: the media preferences most of the SBC's tests use. */
export const PCMA_TE: MediaPrefs = { codecs: ['PCMA'], telephoneEvent: true };

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms for at most `ms`; whether it became true. */
export async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}

/** Amplitude of `hz` in the last `ms` of a leg's received audio, relative to full scale. */
export function toneLevel(leg: MediaLeg, hz: number, ms = 300): number {
  const { sampleRate, samples } = leg.receivedAudio();
  const n = Math.round((ms * sampleRate) / 1000);
  if (samples.length < n) return 0;
  return goertzelAmplitude(samples, sampleRate, hz, samples.length - n, samples.length) / 32768;
}

/**
 * The provider's next call: it rings (180 without SDP) and answers after `ringMs` with a PCMA
 * media leg of its own (pushed to `legs`, closed after the test); resolves with that leg.
 * `reliable`: instead of ringing, it gives its answer in a reliable 183 (RFC 3262) and sends the
 * 200, with the same SDP, once that is PRACKed.
 */
export function ringThenAnswer(
  r: SbcRig,
  legs: MediaLeg[],
  ringMs: number,
  opts: { reliable?: boolean } = {},
): Promise<MediaLeg> {
  return new Promise((resolve, reject) => {
    r.provider.ua.once('invite', (inv) => {
      void (async () => {
        const media = await MediaLeg.open({ localAddress: RIG_ADDRESSES.provider, prefs: PCMA_TE });
        legs.push(media);
        const a = media.acceptOffer(inv.offer ?? '');
        if (!a.ok) throw new Error(a.reason);
        if (opts.reliable) {
          if (!(await inv.progress(a.answer, { reliable: true, status: 183 })))
            throw new Error('the reliable 183 was never PRACKed');
        } else {
          inv.ring();
          await sleep(ringMs);
        }
        await inv.answer(a.answer);
        resolve(media);
      })().catch(reject);
    });
  });
}

/** The rig's helpers of one test file; what they start is stopped after each test. */
export interface SbcRigs {
  /** Media legs to close after the current test (push the ones a test opens itself). */
  legs: MediaLeg[];
  /** Starts a rig, stopped after the current test. */
  rig(opts?: SbcRigOptions): Promise<SbcRig>;
  /**
   * The OXO stand-in calls 0301234567 (from 200) through the SBC and the provider answers;
   * expects the 200. Both media legs are closed after the test.
   */
  lanToWan(r: SbcRig, oxoPrefs?: MediaPrefs, providerPrefs?: MediaPrefs): Promise<LanToWanCall>;
  /** A fresh rig with `opts`, then {@link SbcRigs.lanToWan} on it. */
  rigCall(
    opts: SbcRigOptions,
    oxoPrefs?: MediaPrefs,
    providerPrefs?: MediaPrefs,
  ): Promise<LanToWanCall & { r: SbcRig }>;
}

/** Both ends of a LAN→WAN call through the rig. */
export type LanToWanCall = Awaited<ReturnType<typeof lanToWanCall>>;

async function lanToWanCall(legs: MediaLeg[], r: SbcRig, oxoPrefs: MediaPrefs, providerPrefs: MediaPrefs) {
  const answered = answerNextCall(r.provider, RIG_ADDRESSES.provider, providerPrefs);
  const out = await placeCall(r.oxo, RIG_ADDRESSES.oxo, oxoPrefs, {
    uri: r.lanUri('0301234567'),
    from: `sip:200@${RIG_ADDRESSES.oxo}`,
  });
  legs.push(out.media);
  expect(out.outcome.status).toBe(200);
  const far = await answered;
  legs.push(far.media);
  return { oxo: out, provider: far, oxoDialog: out.outcome.dialog! };
}

/** Call at a test file's top level: registers the clean-up after each test and returns the helpers. */
export function useSbcRigs(): SbcRigs {
  const rigs: SbcRig[] = [];
  const legs: MediaLeg[] = [];
  afterEach(async () => {
    await Promise.all(legs.splice(0).map((l) => l.close()));
    await Promise.all(rigs.splice(0).map((r) => r.stop()));
  });
  const rig = async (opts: SbcRigOptions = {}): Promise<SbcRig> => {
    const r = await startSbcRig(opts);
    rigs.push(r);
    return r;
  };
  const lanToWan = (r: SbcRig, oxoPrefs = PCMA_TE, providerPrefs = PCMA_TE) =>
    lanToWanCall(legs, r, oxoPrefs, providerPrefs);
  return {
    legs,
    rig,
    lanToWan,
    async rigCall(opts, oxoPrefs, providerPrefs) {
      const r = await rig(opts);
      return { r, ...(await lanToWan(r, oxoPrefs, providerPrefs)) };
    },
  };
}
