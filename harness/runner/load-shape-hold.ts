/**
 * The hold shape of the load (`hold`), after the plan's case 8-4-1: the extension puts the PSTN
 * party on hold (a re-INVITE with a=sendonly, music on hold on its leg), waits
 * {@link HELD_MS}, and resumes (a re-INVITE with a=sendrecv); then the audio check of every call
 * runs, so the audio both ways is judged after the resume.
 *
 * Judged: each re-INVITE answered 2xx; while held, the PSTN phone's leg saw a=sendonly or
 * a=inactive (RFC 3264 §8.4: both put the stream on hold; an SBC may pass either on) within
 * {@link HOLD_RELAY_MS}, or was left at a=sendrecv and heard the music on hold in at least half
 * of that time (an SBC may answer the hold itself and keep the other leg as it is: each leg is
 * its own dialog), and within {@link HOLD_RELAY_MS} of the resume a=sendrecv again. The bound is
 * the plan's own (8-4-1), so the load asks no more of the SBC than the plan does. The extension holds whichever way the call was placed, as the
 * plan's hold cases have the deskphone hold.
 */
import { type Call, MediaLeg } from '../actors/index.ts';
import { analyseActivity } from '../media/analysis/index.ts';
import type { SdpDirection } from '../sip/index.ts';
import { HOLD_RELAY_MS } from './hold-relay.ts';
import { type LoadShape, type LoadShapeContext, loadAudioCheck, sleep, until } from './load-shape.ts';

/** How long the call stays on hold, ms. */
export const HELD_MS = 1000;

const HELD: readonly SdpDirection[] = ['sendonly', 'inactive'];
/** Frames at or above this level count as sound when the hold is judged by the music, dBFS. */
const MUSIC_DBFS = -45;

/**
 * The extension holds the PSTN party (a re-INVITE with a=sendonly, music on hold on its leg):
 * judged as {@link holdShape} says, each failure prefixed `label` and added to the call's
 * failures. True when the hold was answered 2xx (whatever the PSTN leg then saw).
 */
export async function loadHold(ctx: LoadShapeContext, label: string): Promise<boolean> {
  const { desk, pstn, ext, rec } = ctx;
  const holdStatus = await ext.hold(desk.call);
  if (holdStatus < 200 || holdStatus >= 300) {
    rec.failures.push(
      `${label}: the re-INVITE (a=sendonly) from ${desk.name} was answered ${holdStatus || 'nothing'}; ${pstn.name} was not put on hold`,
    );
    return false;
  }
  pstn.call.media.clearReceived();
  const arrivedBefore = pstn.call.media.audioReceivedMs?.();
  if (!(await until(() => HELD.includes(pstn.call.remoteDirection), HOLD_RELAY_MS))) {
    // Not told: legal when the SBC kept the PSTN leg as it was and carries the music on hold in it.
    const music = musicOnHoldHeard(pstn.call, arrivedBefore, desk.call.media.negotiated?.codec);
    if (pstn.call.remoteDirection !== 'sendrecv' || !music.heard)
      rec.failures.push(
        `${label}: ${pstn.name}'s leg saw a=${pstn.call.remoteDirection} instead of a=sendonly or a=inactive within ${HOLD_RELAY_MS / 1000} s, and heard no music on hold (${music.what})`,
      );
  }
  return true;
}

/**
 * Whether the music on hold reached a PSTN leg the SBC left at a=sendrecv, over the time since
 * its received audio was cleared: sound in at least half of its 20 ms frames. With G.723.1 on
 * that leg, which the harness cannot decode (and whose extension sends the committed fixture
 * for any audio, music included: MediaLeg.play), at least half of the wait's audio time must
 * arrive, not the leg's own RTP sent back to it (its own SSRC: both ends send the same
 * fixture). When the extension's leg sends G.723.1 too (`fromCodec`), it must be the fixture's
 * frames passed through byte for byte, each at the place its RTP timestamp gives (frames of
 * lost packets are then missing, not wrong). G.723.1 the SBC encoded itself from another codec
 * is judged on its audio time only.
 */
export function musicOnHoldHeard(
  call: Call,
  arrivedBefore: number | undefined,
  fromCodec: string | undefined,
): { heard: boolean; what: string } {
  const media = call.media;
  if (media.negotiated?.codec === 'G723') {
    const arrived = Math.round((media.audioReceivedMs?.() ?? 0) - (arrivedBefore ?? 0));
    const enough = arrived >= HOLD_RELAY_MS / 2;
    const own = media instanceof MediaLeg ? media.ownSsrcPackets() : 0;
    const ownText = own > 0 ? `; ${own} packet(s) were its own RTP sent back to it (its own SSRC)` : '';
    if (fromCodec !== 'G723' || !(media instanceof MediaLeg))
      return {
        heard: enough && own === 0,
        what: `G.723.1 encoded by the SBC: ${arrived} ms of audio arrived in ${HOLD_RELAY_MS} ms, its sound not judged (no G.723.1 decoder)${ownText}`,
      };
    const fixture = media.verifyFixture('G723', { allowLoss: true });
    return {
      heard: enough && fixture.ok && own === 0,
      what: `G.723.1 passed through: ${arrived} ms of audio arrived in ${HOLD_RELAY_MS} ms; ${fixture.detail}${ownText}`,
    };
  }
  const heard = media.receivedAudio();
  const act = analyseActivity(heard.samples, heard.sampleRate, { silenceThresholdDbfs: MUSIC_DBFS });
  return {
    heard: act.activeFraction >= 0.5,
    what: `${Math.round(100 * act.activeFraction)} % of 20 ms frames with sound`,
  };
}

export const holdShape: LoadShape = {
  name: 'hold',
  async run(ctx) {
    const { desk, pstn, ext, rec } = ctx;
    if (await loadHold(ctx, 'hold')) {
      await sleep(HELD_MS);
      const resumeStatus = await ext.resume(desk.call);
      if (resumeStatus < 200 || resumeStatus >= 300)
        rec.failures.push(
          `resume: the re-INVITE (a=sendrecv) from ${desk.name} was answered ${resumeStatus || 'nothing'}`,
        );
      else if (!(await until(() => pstn.call.remoteDirection === 'sendrecv', HOLD_RELAY_MS)))
        rec.failures.push(
          `resume: ${pstn.name}'s leg still sees a=${pstn.call.remoteDirection} ${HOLD_RELAY_MS / 1000} s after the resume`,
        );
    }
    rec.audio = await loadAudioCheck(
      ctx.caller,
      ctx.callee,
      ctx.audioMs,
      ctx,
      rec.failures,
      'after the resume',
    );
    return undefined;
  },
};
