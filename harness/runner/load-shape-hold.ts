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
  if (!(await until(() => HELD.includes(pstn.call.remoteDirection), HOLD_RELAY_MS))) {
    // Not told: legal when the SBC kept the PSTN leg as it was and carries the music on hold in it.
    const heard = pstn.call.media.receivedAudio();
    const act = analyseActivity(heard.samples, heard.sampleRate, { silenceThresholdDbfs: MUSIC_DBFS });
    if (pstn.call.remoteDirection !== 'sendrecv' || act.activeFraction < 0.5)
      rec.failures.push(
        `${label}: ${pstn.name}'s leg saw a=${pstn.call.remoteDirection} instead of a=sendonly or a=inactive within ${HOLD_RELAY_MS / 1000} s, and heard no music on hold (${Math.round(100 * act.activeFraction)} % of 20 ms frames with sound)`,
      );
  }
  return true;
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
