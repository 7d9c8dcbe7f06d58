/**
 * Who may use the reference SBC, and what it does to a source that keeps failing: the secure
 * defaults of an SBC at the edge of a PBX (docs/security.md).
 *
 * - LAN: an INVITE is routed only from the address the OXO trunk registered from (a live
 *   binding's source), or with the trunk user's digest credentials (RFC 3261 §22.1: a UAS may
 *   challenge any request). An unknown address without credentials gets a 401 challenge.
 * - WAN: an INVITE is routed only from the provider's addresses; any other source gets 403.
 * - Authentication failures (a wrong password, an unknown user) are counted per source
 *   address; after `failures` of them within `windowS`, the source is held off for `holdS`:
 *   everything it sends outside a dialog is answered 503 with Retry-After (RFC 3261 §21.5.4,
 *   §20.33) without looking at its credentials, so a password cannot be guessed faster than
 *   `failures` per window.
 *
 * Each default has a switch that opens it (sbc-config.ts `security`), for labs that need it.
 */
import net from 'node:net';
import type { Clock } from '../support/clock.ts';

/** The SBC's access settings (sbc-config.ts `security`). */
export interface SbcSecurityConfig {
  /** 'trunk': LAN INVITEs from the registered trunk's address or with credentials; 'any': from anywhere (open). */
  lanInvites: 'trunk' | 'any';
  /** 'provider': WAN INVITEs only from the provider's addresses; 'any': from anywhere (open). */
  wanInvites: 'provider' | 'any';
  /** The provider's source addresses; empty means the provider's own address (wan.provider.address). */
  providerAddresses: string[];
  /** 'refuse': a digest nonce counts once per nc (RFC 7616 §3.4); 'accept': replays are accepted (open). */
  digestReplay: 'refuse' | 'accept';
  /** Hold-off of a source after repeated authentication failures. */
  holdOff: { enabled: boolean; failures: number; windowS: number; holdS: number };
}

/** An address in the form compared: IPv4-mapped IPv6 (::ffff:a.b.c.d) as plain IPv4, lower case. */
export function normalAddress(a: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (m) return m[1] as string;
  return net.isIPv6(a) ? a.toLowerCase() : a;
}

/** Whether `source` is one of `addresses` (compared as {@link normalAddress}). */
export function addressIn(source: string, addresses: readonly string[]): boolean {
  const s = normalAddress(source);
  return addresses.some((a) => normalAddress(a) === s);
}

/** Most sources tracked at once; the oldest is forgotten first (memory stays bounded). */
const MAX_SOURCES = 10_000;

/** Authentication failures per source address, and the hold-off they lead to. */
export class AuthHoldOff {
  private readonly failures = new Map<string, number[]>();
  private readonly heldUntil = new Map<string, number>();
  /** Sources held off so far (evidence). */
  heldCount = 0;

  constructor(
    private readonly opts: () => SbcSecurityConfig['holdOff'],
    private readonly isOff: () => boolean,
    private readonly clock: Clock,
  ) {}

  /** Seconds left of the source's hold-off, or undefined when it is not held off. */
  held(source: string): number | undefined {
    if (this.isOff() || !this.opts().enabled) return undefined;
    const s = normalAddress(source);
    const until = this.heldUntil.get(s);
    if (until === undefined) return undefined;
    const left = until - this.clock.now();
    if (left <= 0) {
      this.heldUntil.delete(s);
      return undefined;
    }
    return Math.max(1, Math.ceil(left / 1000));
  }

  /** Counts one failed authentication; true when it starts a hold-off. */
  failure(source: string): boolean {
    const o = this.opts();
    if (this.isOff() || !o.enabled) return false;
    const s = normalAddress(source);
    const now = this.clock.now();
    const recent = (this.failures.get(s) ?? []).filter((t) => now - t < o.windowS * 1000);
    recent.push(now);
    this.failures.delete(s);
    this.failures.set(s, recent);
    while (this.failures.size > MAX_SOURCES) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
    if (recent.length < o.failures) return false;
    this.failures.delete(s);
    this.heldUntil.set(s, now + o.holdS * 1000);
    while (this.heldUntil.size > MAX_SOURCES) {
      const oldest = this.heldUntil.keys().next().value;
      if (oldest === undefined) break;
      this.heldUntil.delete(oldest);
    }
    this.heldCount++;
    return true;
  }

  /** A successful authentication clears the source's count. */
  success(source: string): void {
    this.failures.delete(normalAddress(source));
  }
}

/** Fault flood-lockout: INVITEs (both sides) in this window, ms, ... */
const LOCKOUT_WINDOW_MS = 2000;
/** ... above this many, lock every INVITE out ... */
const LOCKOUT_THRESHOLD = 100;
/** ... for this long, ms. */
const LOCKOUT_MS = 10_000;

/**
 * The misbehaviour of fault flood-lockout: a global (not per-source) INVITE rate limit. More
 * than 100 INVITEs within 2 s from anywhere make the SBC answer every INVITE 503 for 10 s, the
 * trunk's included: one flooding source locks everyone out.
 */
export class GlobalInviteLockout {
  private readonly times: number[] = [];
  private lockedUntil = 0;

  constructor(private readonly clock: Clock) {}

  /** Counts an INVITE; true when INVITEs are locked out now. */
  locked(): boolean {
    const now = this.clock.now();
    if (now < this.lockedUntil) return true;
    this.times.push(now);
    while (this.times.length > 0 && now - (this.times[0] as number) > LOCKOUT_WINDOW_MS) this.times.shift();
    if (this.times.length > LOCKOUT_THRESHOLD) {
      this.times.length = 0;
      this.lockedUntil = now + LOCKOUT_MS;
      return true;
    }
    return false;
  }
}

/** Fault malformed-stall: unparsable messages (both sides) in this window, ms, ... */
const STALL_WINDOW_MS = 5000;
/** ... above this many, ... */
const STALL_THRESHOLD = 100;
/** ... make every new INVITE get 503 for this long, ms. */
const STALL_MS = 10_000;

/**
 * The misbehaviour of fault malformed-stall: an SBC that a burst of garbage knocks over. More
 * than 100 unparsable messages within 5 s, on either side, make it answer every new INVITE 503
 * for 10 s.
 */
export class MalformedStall {
  private readonly times: number[] = [];
  private stalledUntil = 0;

  constructor(private readonly clock: Clock) {}

  /** Counts one message that did not parse. */
  malformed(): void {
    const now = this.clock.now();
    this.times.push(now);
    while (this.times.length > 0 && now - (this.times[0] as number) > STALL_WINDOW_MS) this.times.shift();
    if (this.times.length > STALL_THRESHOLD) {
      this.times.length = 0;
      this.stalledUntil = now + STALL_MS;
    }
  }

  /** True while the SBC is knocked over. */
  stalled(): boolean {
    return this.clock.now() < this.stalledUntil;
  }
}
