/**
 * The reference SBC's own SIP line at the provider: REGISTER with digest credentials,
 * refresh at half the granted lifetime, retry after a failure, and unregister on stop.
 * Its state is observable for checks and reports. Passwords never reach a log.
 *
 *   idle --start--> registering --2xx--> registered --(half lifetime)--> registering
 *                        \--failure--> failed --(retryMs)--> registering
 *   any --stop--> stopped (REGISTER Expires: 0 when it was registered)
 */
import { EventEmitter } from 'node:events';
import { getParam, type SendTarget, type SipResponse, type UserAgent } from '../sip/index.ts';
import type { Clock, TimerHandle } from '../support/clock.ts';
import type { Logger } from '../support/log.ts';

/** State of the line registration. */
export type SbcLineState = 'idle' | 'registering' | 'registered' | 'failed' | 'stopped';

/** One REGISTER outcome, for evidence. */
export interface SbcLineAttempt {
  atMs: number;
  status: number;
  /** Lifetime granted by the registrar, in seconds (on 2xx). */
  expires?: number;
}

export interface SbcLineRegistrationEvents {
  state: [SbcLineState];
}

/** Options of {@link SbcLineRegistration}. */
export interface SbcLineRegistrationOptions {
  ua: UserAgent;
  registrar: string;
  aor: string;
  target: SendTarget;
  username: string;
  password: string;
  expires: number;
  retryMs: number;
  clock: Clock;
  logger: Logger;
}

/** Keeps the SBC's provider line registered. */
export class SbcLineRegistration extends EventEmitter<SbcLineRegistrationEvents> {
  state: SbcLineState = 'idle';
  readonly attempts: SbcLineAttempt[] = [];
  /** Monotonic ms at which the current registration lapses. */
  expiresAtMs: number | undefined;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(private readonly opts: SbcLineRegistrationOptions) {
    super();
  }

  private set(state: SbcLineState): void {
    if (this.state === state) return;
    this.state = state;
    this.opts.logger.info({ state, aor: this.opts.aor }, 'provider line registration');
    this.emit('state', state);
  }

  /** Starts registering (and keeps at it until stop). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.attempt();
  }

  /** Resolves when the line is registered, or false after `timeoutMs`. */
  waitRegistered(timeoutMs: number): Promise<boolean> {
    if (this.state === 'registered') return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = this.opts.clock.setTimeout(() => {
        this.off('state', on);
        resolve(false);
      }, timeoutMs);
      const on = (s: SbcLineState) => {
        if (s !== 'registered') return;
        t.cancel();
        this.off('state', on);
        resolve(true);
      };
      this.on('state', on);
    });
  }

  private grantedExpires(res: SipResponse | undefined): number {
    if (!res) return this.opts.expires;
    const ours = this.opts.ua.transport.bound;
    for (const c of res.contacts) {
      const raw = getParam(c.params, 'expires');
      const host = 'host' in c.uri ? c.uri.host : undefined;
      const port = 'port' in c.uri ? c.uri.port : undefined;
      if (ours.some((l) => l.address === host && l.port === port) && raw && /^\d+$/.test(raw))
        return Number(raw);
    }
    return res.expires ?? this.opts.expires;
  }

  private async attempt(): Promise<void> {
    if (!this.running) return;
    this.set('registering');
    const o = this.opts;
    let status = 500;
    let response: SipResponse | undefined;
    try {
      const out = await o.ua.register({
        registrar: o.registrar,
        aor: o.aor,
        expires: o.expires,
        credentials: { username: o.username, password: o.password },
        target: o.target,
      });
      status = out.status;
      response = out.response;
    } catch {
      status = 503;
    }
    if (!this.running) return;
    const now = o.clock.now();
    if (status >= 200 && status < 300) {
      const granted = Math.max(1, this.grantedExpires(response));
      this.attempts.push({ atMs: now, status, expires: granted });
      this.expiresAtMs = now + granted * 1000;
      this.set('registered');
      this.schedule(Math.max(500, (granted * 1000) / 2));
    } else {
      if (this.attempts.length < 1000) this.attempts.push({ atMs: now, status });
      this.expiresAtMs = undefined;
      this.set('failed');
      this.schedule(o.retryMs);
    }
  }

  private schedule(ms: number): void {
    this.timer?.cancel();
    this.timer = this.opts.clock.setTimeout(() => void this.attempt(), ms);
  }

  /** Stops refreshing; unregisters (Expires: 0) when registered, waiting at most `timeoutMs`. */
  async stop(timeoutMs = 2000): Promise<void> {
    const wasRegistered = this.state === 'registered';
    this.running = false;
    this.timer?.cancel();
    this.set('stopped');
    if (!wasRegistered) return;
    const o = this.opts;
    const un = o.ua
      .register({
        registrar: o.registrar,
        aor: o.aor,
        expires: 0,
        credentials: { username: o.username, password: o.password },
        target: o.target,
      })
      .catch(() => undefined);
    await Promise.race([un, new Promise<void>((r) => o.clock.setTimeout(r, timeoutMs))]);
  }
}
