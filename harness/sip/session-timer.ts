/**
 * Session timers (RFC 4028). The refresher sends a refresh (UPDATE when the peer allows it,
 * else re-INVITE with the current SDP) at half the interval; the other side sends BYE when
 * no refresh arrives before the interval ends (less min(32 s, interval/3)).
 */
import type { Clock, TimerHandle } from '../support/clock.ts';
import type { Dialog } from './dialog.ts';
import { parseSessionExpires, parseUnsigned } from './header-values.ts';
import type { SipRequest, SipResponse } from './message.ts';

export const DEFAULT_MIN_SE = 90;

export interface SessionTimerTerms {
  /** Session interval in seconds. */
  interval: number;
  /** Which side refreshes. */
  refresher: 'uac' | 'uas';
}

/** Session-Expires of a request or response, with Min-SE, or undefined when absent or malformed. */
export function sessionExpiresOf(
  msg: SipRequest | SipResponse,
): { interval: number; refresher?: 'uac' | 'uas'; minSE?: number } | undefined {
  const se = msg.parseOne('session-expires', parseSessionExpires);
  if (!se?.ok) return undefined;
  const out: { interval: number; refresher?: 'uac' | 'uas'; minSE?: number } = {
    interval: se.value.deltaSeconds,
  };
  if (se.value.refresher) out.refresher = se.value.refresher;
  const min = msg.parseOne('min-se', (v) => parseUnsigned(v.split(';')[0] ?? '', 2 ** 32 - 1, 'Min-SE'));
  if (min?.ok) out.minSE = min.value;
  return out;
}

export interface SessionTimerHooks {
  /** Sends the refresh; resolves with its final status. */
  refresh(): Promise<number>;
  /** Ends the session (BYE). */
  expire(): void;
}

/**
 * Runs one dialog's session timer. `mode` comes from the negotiated refresher and our role. A refresh received from the peer (re-INVITE/UPDATE) calls `refreshed()`.
 */
export class SessionTimer {
  private handle: TimerHandle | undefined;
  private stopped = false;
  /** Refreshes sent and their final statuses, as evidence. */
  readonly refreshes: number[] = [];

  constructor(
    private readonly clock: Clock,
    readonly dialog: Dialog,
    readonly terms: SessionTimerTerms,
    /** refresher: we send refreshes; watcher: we end the session if none arrives; idle: neither (fault simulation). */
    readonly mode: 'refresher' | 'watcher' | 'idle',
    private readonly hooks: SessionTimerHooks,
  ) {
    dialog.once('terminated', () => this.stop());
    this.arm();
  }

  private arm(): void {
    this.handle?.cancel();
    if (this.stopped || this.mode === 'idle') return;
    const ms = this.terms.interval * 1000;
    if (this.mode === 'refresher') {
      this.handle = this.clock.setTimeout(() => {
        this.hooks.refresh().then(
          (status) => {
            this.refreshes.push(status);
            if (status >= 200 && status < 300) this.arm();
            else if (status === 408 || status === 481) this.hooks.expire();
            else this.arm();
          },
          () => this.hooks.expire(),
        );
      }, ms / 2);
    } else {
      const margin = Math.min(32_000, ms / 3);
      this.handle = this.clock.setTimeout(() => {
        if (!this.stopped) this.hooks.expire();
      }, ms - margin);
    }
  }

  /** The peer refreshed the session: restart the wait. */
  refreshed(): void {
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.handle?.cancel();
  }
}
