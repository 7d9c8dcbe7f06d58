/**
 * The reference SBC's LAN registrar: the OXO Connect trunk registers to it as a SIP user
 * with digest authentication (RFC 3261 §10.3, RFC 8760 digest). Bindings are kept per
 * contact with an expiry on the injected clock; `Expires: 0` (or `Contact: *`) removes them.
 * Wrong credentials get 403 (or, with `rechallenge`, a new 401 challenge: RFC 3261 §22.4 allows
 * either); requests without credentials or with a stale nonce get 401.
 */
import { EventEmitter } from 'node:events';
import {
  createResponse,
  DigestServer,
  type DigestVerdict,
  type Flow,
  formatUri,
  getParam,
  type SendTarget,
  type ServerTransaction,
  type SipRequest,
  targetFromUri,
} from '../sip/index.ts';
import type { Clock } from '../support/clock.ts';
import type { Logger } from '../support/log.ts';
import type { AuthHoldOff } from './sbc-access-policy.ts';

/** One registered contact of the trunk user. */
export interface SbcBinding {
  /** Address of record (To URI of the REGISTER). */
  aor: string;
  /** The contact URI, where calls for the trunk go. */
  contact: string;
  /** Monotonic ms when the binding lapses. */
  expiresAtMs: number;
  /** The flow the REGISTER came in on (for connection reuse over TCP). */
  flow: Flow;
  /** Call-ID and CSeq of the REGISTER (RFC 3261 §10.3 step 7 ordering). */
  callId: string;
  cseq: number;
}

/** One REGISTER attempt, for evidence. */
export interface SbcRegisterAttempt {
  atMs: number;
  status: number;
  /** Digest verdict ('ok', 'no-credentials', 'wrong-password', ...). */
  verdict: string;
  username?: string;
  expires?: number;
}

export interface SbcRegistrarEvents {
  /** A binding was added, refreshed or removed (expires 0). */
  binding: [SbcBinding, 'added' | 'refreshed' | 'removed'];
}

/** Registrar for the OXO trunk user on the LAN side. */
export class SbcRegistrar extends EventEmitter<SbcRegistrarEvents> {
  readonly attempts: SbcRegisterAttempt[] = [];
  private readonly bindings = new Map<string, SbcBinding>();
  readonly digest: DigestServer;

  constructor(
    private readonly opts: {
      realm: string;
      username: string;
      password: string;
      maxExpires: number;
      /**
       * The shortest registration it accepts, seconds: a contact asking less (not 0, and less than
       * an hour) gets 423 Interval Too Brief with Min-Expires (RFC 3261 §10.3 step 7; personality
       * min-expires).
       */
      minExpires?: number;
      /** Answer wrong credentials with a fresh 401 challenge instead of 403 (personality rechallenge-bad-password). */
      rechallenge?: boolean;
      /** Accept a replayed nonce/nc (security.digestReplay 'accept', fault digest-replay); read per request. */
      acceptReplay?: () => boolean;
      /** Failures per source and their hold-off (sbc-access-policy.ts). */
      holdOff?: AuthHoldOff;
      clock: Clock;
      logger: Logger;
    },
  ) {
    super();
    const { username, password } = opts;
    this.digest = new DigestServer({
      realm: opts.realm,
      clock: opts.clock,
      credentials: (user) => (user === username ? { password } : undefined),
      // Clients answer with the URI they sent; accept any, the registrar is the only target.
      uriMatches: () => true,
      // A nonce counts once per nc (RFC 7616 §3.4): a replayed Authorization is refused.
      replayCheck: true,
    });
  }

  /**
   * The digest verdict of a request, with the secure defaults: a replay is accepted only when
   * switched open, and answered with a fresh challenge saying stale=true otherwise (the response
   * was right, only its nonce count is used up: RFC 7616 §3.3, RFC 3261 §22.4); failures and
   * successes are counted per source for the hold-off.
   */
  private check(req: SipRequest, source: string): DigestVerdict {
    let v = this.digest.verify(req.getAll('authorization'), { method: req.method, uri: req.uri });
    if (v.kind === 'replay') {
      v = this.opts.acceptReplay?.()
        ? { kind: 'ok', username: v.username, algorithm: 'MD5' }
        : { ...v, challenges: this.digest.challenge(true) };
    }
    if (v.kind === 'wrong-password' || v.kind === 'unknown-user') this.opts.holdOff?.failure(source);
    else if (v.kind === 'ok') this.opts.holdOff?.success(source);
    return v;
  }

  /** Seconds of hold-off left for the source of a request (undefined when it may go on). */
  heldOff(source: string): number | undefined {
    return this.opts.holdOff?.held(source);
  }

  /** Live bindings (expired ones are dropped on the way). */
  current(): SbcBinding[] {
    const now = this.opts.clock.now();
    for (const [k, b] of this.bindings) if (b.expiresAtMs <= now) this.bindings.delete(k);
    return [...this.bindings.values()];
  }

  /** Where a call for the trunk goes: the most recently refreshed live binding, if any. */
  target(): { uri: string; target: SendTarget } | undefined {
    const b = this.current().sort((x, y) => y.expiresAtMs - x.expiresAtMs)[0];
    if (!b) return undefined;
    const t = targetFromUri(b.contact, b.flow.protocol === 'TLS' ? 'TLS' : b.flow.protocol);
    if (!t.ok) return undefined;
    const target: SendTarget = { ...t.value };
    if (b.flow.connectionId && b.flow.protocol !== 'UDP') target.connectionId = b.flow.connectionId;
    return { uri: b.contact, target };
  }

  /** Checks the digest credentials of a request (INVITE from the trunk); undefined when they are good. */
  challengeFor(
    req: SipRequest,
    source = '',
  ): { status: number; headers: Array<[string, string]> } | undefined {
    const v = this.check(req, source);
    if (v.kind === 'ok') return undefined;
    if (v.kind === 'wrong-password' || v.kind === 'unknown-user') {
      if (!this.opts.rechallenge) return { status: 403, headers: [] };
      return {
        status: 401,
        headers: this.digest.challenge().map((c) => ['WWW-Authenticate', c] as [string, string]),
      };
    }
    return { status: 401, headers: v.challenges.map((c) => ['WWW-Authenticate', c] as [string, string]) };
  }

  /** Answers a REGISTER. Never throws. */
  handle(req: SipRequest, tx: ServerTransaction): void {
    const now = this.opts.clock.now();
    const source = tx.flow.remote.address;
    const held = this.heldOff(source);
    if (held !== undefined) {
      if (this.attempts.length < 1000) this.attempts.push({ atMs: now, status: 503, verdict: 'held-off' });
      tx.respond(createResponse(req, 503, { headers: [['Retry-After', String(held)]] }));
      return;
    }
    const v = this.check(req, source);
    const record = (status: number, extra: Partial<SbcRegisterAttempt> = {}) => {
      if (this.attempts.length < 1000) this.attempts.push({ atMs: now, status, verdict: v.kind, ...extra });
      this.opts.logger.info({ status, verdict: v.kind, username: extra.username }, 'LAN REGISTER');
    };
    if (v.kind !== 'ok') {
      if ((v.kind === 'wrong-password' || v.kind === 'unknown-user') && this.opts.rechallenge) {
        record(401, { username: v.username });
        tx.respond(
          createResponse(req, 401, { headers: this.digest.challenge().map((c) => ['WWW-Authenticate', c]) }),
        );
        return;
      }
      if (v.kind === 'wrong-password' || v.kind === 'unknown-user') {
        record(403, { username: v.username });
        tx.respond(createResponse(req, 403));
        return;
      }
      record(401);
      tx.respond(createResponse(req, 401, { headers: v.challenges.map((c) => ['WWW-Authenticate', c]) }));
      return;
    }
    const to = req.to;
    if (!to || !req.callId || !req.cseq) {
      record(400, { username: v.username });
      tx.respond(createResponse(req, 400));
      return;
    }
    const aor = formatUri(to.uri);
    const headerExpires = req.expires;
    if (req.isWildcardContact) {
      if (headerExpires !== 0 || req.getAll('contact').length !== 1) {
        record(400, { username: v.username });
        tx.respond(createResponse(req, 400));
        return;
      }
      for (const [k, b] of this.bindings) {
        this.bindings.delete(k);
        this.emit('binding', b, 'removed');
      }
    }
    const askedOf = (c: (typeof req.contacts)[number]): number => {
      const raw = getParam(c.params, 'expires');
      return raw !== undefined && raw !== null && /^\d+$/.test(raw) ? Number(raw) : (headerExpires ?? 3600);
    };
    // RFC 3261 §10.3 step 7: 423 if and only if an interval is above 0 (0 removes), below one
    // hour and below the registrar's minimum; the request is refused as a whole, no binding changes.
    const min = this.opts.minExpires;
    const tooBrief = (e: number) => min !== undefined && e > 0 && e < 3600 && e < min;
    if (min !== undefined && req.contacts.some((c) => tooBrief(askedOf(c)))) {
      record(423, { username: v.username });
      tx.respond(createResponse(req, 423, { headers: [['Min-Expires', String(min)]] }));
      return;
    }
    for (const c of req.contacts) {
      const asked = askedOf(c);
      const expires = Math.min(asked, Math.max(this.opts.maxExpires, min ?? 0));
      const key = formatUri(c.uri);
      const old = this.bindings.get(key);
      if (old && old.callId === req.callId && old.cseq >= req.cseq.seq) continue;
      if (expires === 0) {
        if (old) {
          this.bindings.delete(key);
          this.emit('binding', old, 'removed');
        }
        continue;
      }
      const b: SbcBinding = {
        aor,
        contact: key,
        expiresAtMs: now + expires * 1000,
        flow: tx.flow,
        callId: req.callId,
        cseq: req.cseq.seq,
      };
      this.bindings.set(key, b);
      this.emit('binding', b, old ? 'refreshed' : 'added');
    }
    const live = this.current();
    const contacts: Array<[string, string]> = live.map((b) => [
      'Contact',
      `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAtMs - now) / 1000))}`,
    ]);
    record(200, {
      username: v.username,
      ...(live[0] ? { expires: Math.round((live[0].expiresAtMs - now) / 1000) } : {}),
    });
    tx.respond(
      createResponse(req, 200, {
        headers: [...contacts, ['Date', new Date(this.opts.clock.wallNow()).toUTCString()]],
      }),
    );
  }
}
