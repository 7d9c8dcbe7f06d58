/**
 * A short tone before each hang-up of ours that would otherwise end a call in silence.
 *
 * An SBC may leave silence out of a stream (VAD without comfort noise, RFC 3551 §4.1: legal on
 * voice calls). The call invariant takes a silence as suppressed when the far phone sent only
 * silence and the media came back as a talkspurt (call-invariants.ts, findMediaGaps). A call
 * whose phones were silent until the hang-up gives it nothing to come back: a silence to the
 * hang-up then cannot be told from media that stopped, and a correct SBC with VAD turned hold
 * and transfer cases NOK. So before our BYE, each phone of the call that has sent only silence
 * for the last {@link PROBE_AFTER_SILENCE_MS} plays a {@link PROBE_TONE_HZ} Hz tone toward the
 * other, and the BYE waits until the other leg receives RTP again (at most
 * {@link PROBE_WAIT_MS}); then the tone stops. Media that stopped stays stopped: nothing
 * arrives, and since the far phone sent the tone inside the silence, the silence to the
 * hang-up is a failure without the doubt.
 *
 * Only for calls whose two legs are both ours (the provider's and the OXO's simulators, paired
 * as the call invariants pair them), only while the sending leg sends and the other receives
 * (not during a hold), and never for a leg that took part in a REFER transfer: its partner is
 * not known for sure then (the invariant does not take the far phone's silence as known
 * either), and the leg the tone would reach may already be talking to someone else.
 */
import type { CallRegistry, TrackedCall } from '../actors/index.ts';
import { toneSource } from '../actors/index.ts';
import { pairCalls } from './call-invariants.ts';

/** A phone silent this long before our hang-up plays the tone, ms. */
export const PROBE_AFTER_SILENCE_MS = 300;
/** The tone: a single sine (no DTMF pair, none of the music on hold's notes, nor a fax tone). */
export const PROBE_TONE_HZ = 1020;
const PROBE_LEVEL_DBFS = -20;
/** The longest the BYE waits for RTP to reach the other leg again, ms (the tone lasts as long). */
export const PROBE_WAIT_MS = 500;
const POLL_MS = 10;
/** How far a leg's record of what it sent may lag behind now, ms (a packet time and a turn). */
const SENT_LAG_MS = 60;

const SENDS = new Set(['sendrecv', 'sendonly']);
const RECEIVES = new Set(['sendrecv', 'recvonly']);

/** Makes every hang-up of ours on these registries' calls probe first (idempotent). */
export function installHangUpProbe(registries: readonly CallRegistry[]): void {
  for (const r of registries) r.beforeHangUp = (t) => probeBeforeHangUp(t, registries);
}

/**
 * Plays the tone on each leg of `t`'s call whose phone has been silent and waits for RTP to
 * arrive again; undefined (nothing to wait for) when no leg needs it.
 */
export function probeBeforeHangUp(
  t: TrackedCall,
  registries: readonly CallRegistry[],
): Promise<void> | undefined {
  const reg = registries.find((r) => r.side === t.side);
  if (!reg || t.transferMs !== undefined) return undefined;
  // Paired over the calls the registries hold (the case's, as the judge pairs them), then live ones only.
  const pair = pairCalls(registries.flatMap((r) => r.since(Number.NEGATIVE_INFINITY))).find(
    ([a, b]) => a === t || b === t,
  );
  const p = pair ? (pair[0] === t ? pair[1] : pair[0]) : undefined;
  return p ? probePair(t, p, reg) : undefined;
}

/**
 * The probe of {@link probeBeforeHangUp} for `t` and its partner `p` when the caller knows it
 * (a load's call knows its own two legs): undefined when neither phone needs it.
 */
export function probePair(t: TrackedCall, p: TrackedCall, reg: CallRegistry): Promise<void> | undefined {
  if (!t.up || !p.up || t.transferMs !== undefined || p.transferMs !== undefined) return undefined;
  const now = reg.now();
  const probes: Array<{ from: TrackedCall; to: TrackedCall }> = [];
  for (const [from, to] of [
    [t, p],
    [p, t],
  ] as const) {
    if (!SENDS.has(from.directionAt(now)) || !RECEIVES.has(to.directionAt(now))) continue;
    const silent = from.call.media.sentSilenceThroughout?.(now - PROBE_AFTER_SILENCE_MS, now - SENT_LAG_MS);
    if (silent !== true || !to.call.media.receivedRtp) continue;
    from.call.media.play(toneSource(PROBE_TONE_HZ, 8000, PROBE_LEVEL_DBFS, PROBE_WAIT_MS));
    from.probeMs = now;
    probes.push({ from, to });
  }
  if (probes.length === 0) return undefined;
  return new Promise<void>((resolve) => {
    const until = now + PROBE_WAIT_MS;
    const arrived = ({ to }: { to: TrackedCall }) => {
      const rx = to.call.media.receivedRtp?.();
      return rx !== undefined && rx.length > 0 && rx.arrivalMs(rx.length - 1) > now;
    };
    const poll = () => {
      const over = !t.up || !p.up || reg.now() >= until;
      if (!over && !probes.every(arrived)) {
        reg.clock.setTimeout(poll, POLL_MS);
        return;
      }
      for (const { from } of probes) if (from.up) from.call.media.stopPlaying();
      resolve();
    };
    reg.clock.setTimeout(poll, POLL_MS);
  });
}
