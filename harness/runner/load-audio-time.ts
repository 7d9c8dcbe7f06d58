/**
 * How much audio each direction of a load call sent and got across, judged as audio time, not
 * as packets (docs/load.md). The sender is the harness's own leg, so its packet time is known:
 * sent audio = packets sent × its ptime. The receiver counts the audio it decoded
 * (MediaLeg.details().audioReceivedMs), because an SBC may legally repacketize toward the other
 * leg: a=ptime is a preference (RFC 4566 §6, RFC 3264 §6.1) and receivers accept 0 to 200 ms
 * of audio per packet (RFC 3551 §4.2), so 20 ms packets may arrive as half as many 40 ms ones.
 */
import { MEDIA_SETTLE_MS } from './call-invariants.ts';

/** Share of a direction's tone time its sender must have sent (docs/load.md). */
export const MIN_SENT_SHARE = 0.9;
/**
 * Share of the tone time that must have arrived when the audio is judged. Lower: the receiver's
 * figure is read at once, and a process that falls behind reads its sockets late.
 */
export const MIN_ARRIVED_SHARE = 0.5;

/**
 * The tone time of a load call's audio check for a call held `holdMs`: the hold time less the
 * media's settle time after the answer, at least 500 ms (load-run.ts; the fault findings judge
 * `stop-rtp-after` by it).
 */
export function loadAudioMs(holdMs: number): number {
  return Math.max(500, holdMs - MEDIA_SETTLE_MS);
}

/** One direction's figures, over the audio check's window. */
export interface AudioTimeDirection {
  from: string;
  to: string;
  /** RTP packets the sending leg sent in the window. */
  sentPackets: number;
  /** Audio those packets carried, ms (packets × the sender's own ptime). */
  sentMs: number;
  /** Audio the receiving leg decoded in the window, the settle time included, ms (unknown: not judged). */
  arrivedMs?: number;
}

/**
 * The failure sentences of the directions that fall short. A process that falls behind skips
 * send slots (harness/media/rtp/send-clock.ts) and numbers the next packet on; an SBC that stops
 * relaying leaves no gap either: the receiver's loss figure sees neither. The sending window is
 * the whole audio check (its timer never fires early), so only skipped slots bring a side below
 * {@link MIN_SENT_SHARE}; whether the SBC sent the audio in 10, 20, 40 or 60 ms packets does not
 * change the arrived time.
 */
export function audioShortfall(dirs: readonly AudioTimeDirection[], audioMs: number): string[] {
  return dirs.flatMap((d) => {
    if (d.sentMs < MIN_SENT_SHARE * audioMs)
      return [
        `Only ${Math.round(d.sentMs)} ms of the ${audioMs} ms of audio (${d.sentPackets} packets) were sent from ${d.from} to ${d.to}: the harness's sender fell behind and skipped send slots (the audio of this direction was not judged in full)`,
      ];
    if (d.arrivedMs !== undefined && d.arrivedMs < MIN_ARRIVED_SHARE * audioMs)
      return [
        `Only ${Math.round(d.arrivedMs)} ms of the ${audioMs} ms of audio from ${d.from} had arrived at ${d.to} when it was judged, without a sequence gap: the SBC stopped relaying it, or this process fell far behind reading it`,
      ];
    return [];
  });
}
