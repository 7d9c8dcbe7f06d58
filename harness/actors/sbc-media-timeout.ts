/**
 * The reference SBC's media timeout: an answered call whose anchored ports receive nothing —
 * no RTP and no RTCP on any leg — for `limitMs` is ended by the SBC with BYE on every leg.
 * This is what ends a call whose peers vanished without a BYE (a crashed phone, a dead TCP
 * connection, a lost BYE), as real SBCs and rtpengine (`timeout`) do; without it such a call
 * would hold its dialogs and ports for ever (issue 15, finding 1).
 */
import type { Clock, TimerHandle } from '../support/clock.ts';

/** Default: 5 minutes without a single packet from either side. */
export const DEFAULT_MEDIA_TIMEOUT_MS = 300_000;

/**
 * Watches a counter of received packets; calls `onTimeout` once when it has not moved for
 * `limitMs`. Checked every quarter of the limit (at most every 10 s) while `active()` holds;
 * `stop()` ends the watch at once.
 */
export function watchMediaInactivity(
  clock: Clock,
  limitMs: number,
  received: () => number,
  onTimeout: () => void,
  active: () => boolean = () => true,
): { stop(): void } {
  const step = Math.min(10_000, Math.max(50, Math.floor(limitMs / 4)));
  let last = received();
  let since = clock.now();
  let timer: TimerHandle | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped || !active()) return;
    const n = received();
    const now = clock.now();
    if (n !== last) {
      last = n;
      since = now;
    } else if (now - since >= limitMs) {
      stopped = true;
      onTimeout();
      return;
    }
    timer = clock.setTimeout(tick, step);
  };
  timer = clock.setTimeout(tick, step);
  return {
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}
