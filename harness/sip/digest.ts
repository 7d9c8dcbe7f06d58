/**
 * SIP Digest authentication (RFC 3261 §22, RFC 7616, RFC 8760): challenge and credential
 * parsing, the client's Authorization value, and a stateless-nonce {@link DigestServer}
 * for registrar roles. Everything works on header VALUES (strings), so any SIP layer can use it.
 *
 * Nothing here throws on bad input: parsers return `{ ok: false, error }`, the server returns
 * a typed verdict. Passwords, HA1s and responses never appear in errors, toString or JSON;
 * use {@link redactAuthorization} before logging a header value.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { type Clock, systemClock } from '../support/clock.ts';
import { parseAuthHeaderValue, quote } from './digest-params.ts';

/** The digest algorithms this module computes. */
export type DigestAlgorithm =
  | 'MD5'
  | 'MD5-sess'
  | 'SHA-256'
  | 'SHA-256-sess'
  | 'SHA-512-256'
  | 'SHA-512-256-sess';

/** Quality of protection. */
export type DigestQop = 'auth' | 'auth-int';

const ALGORITHMS: readonly DigestAlgorithm[] = [
  'MD5',
  'MD5-sess',
  'SHA-256',
  'SHA-256-sess',
  'SHA-512-256',
  'SHA-512-256-sess',
];

/** Maps an `algorithm=` token (any case) to a known algorithm, or undefined. */
export function toDigestAlgorithm(token: string): DigestAlgorithm | undefined {
  const t = token.toUpperCase();
  return ALGORITHMS.find((a) => a.toUpperCase() === t);
}

function isSess(a: DigestAlgorithm): boolean {
  return a.endsWith('-sess');
}

/** The hash underlying an algorithm, without the -sess suffix. */
export function baseAlgorithm(a: DigestAlgorithm): 'MD5' | 'SHA-256' | 'SHA-512-256' {
  return a.replace(/-sess$/, '') as 'MD5' | 'SHA-256' | 'SHA-512-256';
}

function hashHex(a: DigestAlgorithm, data: string | Uint8Array): string {
  const node = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' }[baseAlgorithm(a)];
  return createHash(node).update(data).digest('hex');
}

/** A parsed WWW-Authenticate / Proxy-Authenticate Digest challenge. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: DigestAlgorithm;
  /** True when the challenge carried an explicit algorithm= parameter. */
  algorithmExplicit: boolean;
  /** qop options offered, lower-cased, in order (empty: RFC 2069 form). */
  qop: string[];
  stale: boolean;
  domain?: string;
  /** RFC 7616 userhash=true (not used by SIP; kept for completeness). */
  userhash: boolean;
}

/** Why a challenge or credentials value was refused. */
export type DigestParseError =
  | { kind: 'malformed'; reason: string }
  | { kind: 'not-digest'; scheme: string }
  | { kind: 'unsupported-algorithm'; algorithm: string };

/** A success or a typed error. */
export type DigestResult<T> = { ok: true; value: T } | { ok: false; error: DigestParseError };

function err<T>(error: DigestParseError): DigestResult<T> {
  return { ok: false, error };
}

function toChallenge(params: Map<string, string>): DigestResult<DigestChallenge> {
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined) return err({ kind: 'malformed', reason: 'challenge without realm' });
  if (nonce === undefined) return err({ kind: 'malformed', reason: 'challenge without nonce' });
  const algToken = params.get('algorithm');
  let algorithm: DigestAlgorithm = 'MD5';
  if (algToken !== undefined) {
    const a = toDigestAlgorithm(algToken);
    if (!a) return err({ kind: 'unsupported-algorithm', algorithm: algToken.slice(0, 64) });
    algorithm = a;
  }
  const qopRaw = params.get('qop');
  const qop =
    qopRaw === undefined
      ? []
      : qopRaw
          .split(',')
          .map((q) => q.trim().toLowerCase())
          .filter((q) => q !== '');
  const c: DigestChallenge = {
    realm,
    nonce,
    algorithm,
    algorithmExplicit: algToken !== undefined,
    qop,
    stale: (params.get('stale') ?? '').toLowerCase() === 'true',
    userhash: (params.get('userhash') ?? '').toLowerCase() === 'true',
  };
  const opaque = params.get('opaque');
  if (opaque !== undefined) c.opaque = opaque;
  const domain = params.get('domain');
  if (domain !== undefined) c.domain = domain;
  return { ok: true, value: c };
}

/**
 * Parses every challenge in a WWW-Authenticate / Proxy-Authenticate value. Non-Digest schemes
 * are skipped; Digest challenges with an unknown algorithm are skipped too when at least one
 * usable challenge remains.
 */
export function parseChallenges(value: string): DigestResult<DigestChallenge[]> {
  const parsed = parseAuthHeaderValue(value);
  if (!parsed.ok) return err(parsed.error);
  const out: DigestChallenge[] = [];
  let firstError: DigestParseError | undefined;
  for (const g of parsed.value) {
    if (g.scheme.toLowerCase() !== 'digest') {
      firstError ??= { kind: 'not-digest', scheme: g.scheme.slice(0, 64) };
      continue;
    }
    const c = toChallenge(g.params);
    if (c.ok) out.push(c.value);
    else if (!firstError || firstError.kind === 'not-digest') firstError = c.error;
  }
  if (out.length === 0) return err(firstError ?? { kind: 'malformed', reason: 'no Digest challenge' });
  return { ok: true, value: out };
}

/** Parses the first usable Digest challenge of a header value. */
export function parseChallenge(value: string): DigestResult<DigestChallenge> {
  const all = parseChallenges(value);
  if (!all.ok) return all;
  return { ok: true, value: all.value[0] as DigestChallenge };
}

const STRENGTH: Record<ReturnType<typeof baseAlgorithm>, number> = { MD5: 1, 'SHA-256': 2, 'SHA-512-256': 3 };

/**
 * Picks the challenge to answer among several (one per header, or several in one value):
 * the strongest hash wins (SHA-512-256 > SHA-256 > MD5, RFC 8760 §2.4), then the earliest.
 * Unparseable values are ignored. Returns undefined when none is usable.
 */
export function chooseChallenge(values: readonly (string | DigestChallenge)[]): DigestChallenge | undefined {
  let best: DigestChallenge | undefined;
  for (const v of values) {
    const list = typeof v === 'string' ? parseChallenges(v) : { ok: true as const, value: [v] };
    if (!list.ok) continue;
    for (const c of list.value) {
      if (!best || STRENGTH[baseAlgorithm(c.algorithm)] > STRENGTH[baseAlgorithm(best.algorithm)]) best = c;
    }
  }
  return best;
}

/** Credentials parsed from an Authorization / Proxy-Authorization value. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  algorithmExplicit: boolean;
  cnonce?: string;
  opaque?: string;
  qop?: string;
  /** nc as written (8 hex digits), and its numeric value. */
  ncText?: string;
  nc?: number;
}

/** Parses an Authorization / Proxy-Authorization Digest value. */
export function parseCredentials(value: string): DigestResult<DigestCredentials> {
  const parsed = parseAuthHeaderValue(value);
  if (!parsed.ok) return err(parsed.error);
  const g = parsed.value.find((x) => x.scheme.toLowerCase() === 'digest');
  if (!g) return err({ kind: 'not-digest', scheme: (parsed.value[0]?.scheme ?? '').slice(0, 64) });
  const p = g.params;
  for (const name of ['username', 'realm', 'nonce', 'uri', 'response'] as const) {
    if (p.get(name) === undefined) return err({ kind: 'malformed', reason: `credentials without ${name}` });
  }
  const algToken = p.get('algorithm');
  let algorithm: DigestAlgorithm = 'MD5';
  if (algToken !== undefined) {
    const a = toDigestAlgorithm(algToken);
    if (!a) return err({ kind: 'unsupported-algorithm', algorithm: algToken.slice(0, 64) });
    algorithm = a;
  }
  const c: DigestCredentials = {
    username: p.get('username') as string,
    realm: p.get('realm') as string,
    nonce: p.get('nonce') as string,
    uri: p.get('uri') as string,
    response: p.get('response') as string,
    algorithm,
    algorithmExplicit: algToken !== undefined,
  };
  const qop = p.get('qop');
  if (qop !== undefined) {
    c.qop = qop.toLowerCase();
    const nc = p.get('nc');
    const cnonce = p.get('cnonce');
    if (nc === undefined || !/^[0-9a-fA-F]{8}$/.test(nc))
      return err({ kind: 'malformed', reason: 'qop without an 8-hex-digit nc' });
    if (cnonce === undefined) return err({ kind: 'malformed', reason: 'qop without cnonce' });
    c.ncText = nc;
    c.nc = Number.parseInt(nc, 16);
  }
  const cnonce = p.get('cnonce');
  if (cnonce !== undefined) c.cnonce = cnonce;
  const opaque = p.get('opaque');
  if (opaque !== undefined) c.opaque = opaque;
  return { ok: true, value: c };
}

/** Inputs to the digest computation. `ha1` replaces `password` when the secret is stored hashed. */
export interface DigestComputeInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password?: string;
  /** H(username:realm:password) for the algorithm's base hash. */
  ha1?: string;
  nonce: string;
  method: string;
  uri: string;
  qop?: DigestQop;
  nc?: string;
  cnonce?: string;
  /** Message body, for qop=auth-int (empty when absent). */
  body?: string | Uint8Array;
}

/** Computes H(username:realm:password) for an algorithm (the storable secret). */
export function computeHa1(
  algorithm: DigestAlgorithm,
  username: string,
  realm: string,
  password: string,
): string {
  return hashHex(algorithm, `${username}:${realm}:${password}`);
}

/** Computes the request-digest (the `response=` value) per RFC 7616 §3.4.1–3.4.3 / RFC 2617 §3.2.2. */
export function computeResponse(input: DigestComputeInput): string {
  const a = input.algorithm;
  let ha1 = input.ha1 ?? computeHa1(a, input.username, input.realm, input.password ?? '');
  if (isSess(a)) ha1 = hashHex(a, `${ha1}:${input.nonce}:${input.cnonce ?? ''}`);
  const ha2 =
    input.qop === 'auth-int'
      ? hashHex(a, `${input.method}:${input.uri}:${hashHex(a, input.body ?? '')}`)
      : hashHex(a, `${input.method}:${input.uri}`);
  if (input.qop) {
    return hashHex(a, `${ha1}:${input.nonce}:${input.nc ?? ''}:${input.cnonce ?? ''}:${input.qop}:${ha2}`);
  }
  return hashHex(a, `${ha1}:${input.nonce}:${ha2}`);
}

/** Formats a nonce count as the 8 lower-case hex digits the grammar requires. */
export function formatNc(n: number): string {
  return (Math.max(0, Math.floor(n)) >>> 0).toString(16).padStart(8, '0');
}

/** A fresh client nonce: 16 random bytes, hex. */
export function randomCnonce(): string {
  return randomBytes(16).toString('hex');
}

/** Everything needed to answer one challenge. */
export interface AuthorizationInput {
  challenge: DigestChallenge;
  method: string;
  uri: string;
  username: string;
  /** The password, or `ha1` (for the challenge's base algorithm). */
  password?: string;
  ha1?: string;
  /** Body for qop=auth-int. */
  body?: string | Uint8Array;
  /** Nonce count for this nonce, starting at 1. Default 1. */
  nc?: number;
  /** The client nonce, or a generator of one. Default: {@link randomCnonce}. */
  cnonce?: string | (() => string);
  /** Prefer auth-int when both are offered (default false: auth). */
  preferAuthInt?: boolean;
}

function chooseQop(offered: readonly string[], preferAuthInt: boolean): DigestQop | undefined {
  const hasAuth = offered.includes('auth');
  const hasInt = offered.includes('auth-int');
  if (preferAuthInt && hasInt) return 'auth-int';
  if (hasAuth) return 'auth';
  if (hasInt) return 'auth-int';
  return undefined;
}

/**
 * Builds an Authorization / Proxy-Authorization value for a challenge. With qop offered it
 * answers qop=auth (or auth-int) with nc and cnonce; without qop it uses the RFC 2069 form.
 */
export function buildAuthorization(input: AuthorizationInput): string {
  const c = input.challenge;
  const qop = chooseQop(c.qop, input.preferAuthInt ?? false);
  const needCnonce = qop !== undefined || isSess(c.algorithm);
  const cn = input.cnonce ?? randomCnonce;
  const cnonce = needCnonce ? (typeof cn === 'function' ? cn() : cn) : undefined;
  const nc = qop ? formatNc(input.nc ?? 1) : undefined;
  const response = computeResponse({
    algorithm: c.algorithm,
    username: input.username,
    realm: c.realm,
    password: input.password,
    ha1: input.ha1,
    nonce: c.nonce,
    method: input.method,
    uri: input.uri,
    qop,
    nc,
    cnonce,
    body: input.body,
  });
  const parts = [
    `username=${quote(input.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(input.uri)}`,
    `response=${quote(response)}`,
  ];
  if (c.algorithmExplicit || c.algorithm !== 'MD5') parts.push(`algorithm=${c.algorithm}`);
  if (cnonce !== undefined) parts.push(`cnonce=${quote(cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`);
  return `Digest ${parts.join(', ')}`;
}

/** Options of a {@link DigestClient}. */
export interface DigestClientOptions {
  username: string;
  password: string;
  /** Client nonce generator (tests inject a fixed one). */
  cnonce?: () => string;
  preferAuthInt?: boolean;
}

/**
 * Answers challenges for one identity, counting nc per nonce (a new nonce restarts at 1).
 * The password lives in a private field: it never shows in JSON, toString or inspect.
 */
export class DigestClient {
  readonly username: string;
  readonly #password: string;
  readonly #cnonce: () => string;
  readonly #preferAuthInt: boolean;
  #nonce: string | undefined;
  #nc = 0;

  constructor(opts: DigestClientOptions) {
    this.username = opts.username;
    this.#password = opts.password;
    this.#cnonce = opts.cnonce ?? randomCnonce;
    this.#preferAuthInt = opts.preferAuthInt ?? false;
  }

  /**
   * Authorization value for the best challenge among `challenges` (header values or parsed),
   * or undefined when none is usable.
   */
  authorize(
    challenges: string | DigestChallenge | readonly (string | DigestChallenge)[],
    method: string,
    uri: string,
    body?: string | Uint8Array,
  ): string | undefined {
    const list = Array.isArray(challenges) ? challenges : [challenges as string | DigestChallenge];
    const c = chooseChallenge(list);
    if (!c) return undefined;
    if (c.nonce !== this.#nonce) {
      this.#nonce = c.nonce;
      this.#nc = 0;
    }
    this.#nc++;
    return buildAuthorization({
      challenge: c,
      method,
      uri,
      username: this.username,
      password: this.#password,
      body,
      nc: this.#nc,
      cnonce: this.#cnonce,
      preferAuthInt: this.#preferAuthInt,
    });
  }

  toJSON(): { username: string } {
    return { username: this.username };
  }

  toString(): string {
    return `DigestClient(${this.username})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Replaces secret parts of an Authorization / Proxy-Authorization / Authentication-Info value
 * (response=, rspauth=) with `[secret]`, for logs and evidence. Never throws.
 */
export function redactAuthorization(value: string): string {
  if (typeof value !== 'string') return '';
  return value.replace(
    /(\b(?:response|rspauth)\s*=\s*)("(?:[^"\\]|\\.)*"?|[^\s,]*)/gi,
    (_m, head: string) => `${head}"[secret]"`,
  );
}

// ---------------------------------------------------------------------------------------
// Server

/** What the credentials lookup may return for a user: a password, or an HA1 for the asked algorithm. */
export type DigestSecret = string | { password: string } | { ha1: string };

/** Looks up a user's secret; `undefined` means unknown user. */
export type DigestCredentialsLookup = (
  username: string,
  ctx: { realm: string; algorithm: DigestAlgorithm },
) => DigestSecret | undefined;

/** Options of a {@link DigestServer}. */
export interface DigestServerOptions {
  realm: string;
  credentials: DigestCredentialsLookup;
  /** Algorithms to challenge with, one challenge each, strongest first is customary. Default ['MD5']. */
  algorithms?: DigestAlgorithm[];
  /** Nonce lifetime in ms (default 300 000). */
  nonceLifetimeMs?: number;
  clock?: Clock;
  /** HMAC key for nonces (default: 32 random bytes). */
  secret?: Uint8Array;
  /** Opaque value echoed by clients (default: random). */
  opaque?: string;
  /** Offer qop=auth (default true). */
  qop?: boolean;
  /** Refuse credentials without qop when qop was offered (default false: accept RFC 2069 clients). */
  requireQop?: boolean;
  /** Track the highest nc per nonce and refuse replays (default false). */
  replayCheck?: boolean;
  /** Bound on nonces tracked by the replay check (default 10 000, oldest dropped). */
  replayTrackLimit?: number;
  /** Compare the credentials' uri with the request-URI (default: exact string equality). */
  uriMatches?: (credentialsUri: string, requestUri: string) => boolean;
}

/** The request being authenticated. */
export interface DigestRequest {
  method: string;
  /** The Request-URI of the request, as a string. */
  uri: string;
  body?: string | Uint8Array;
}

/** Verdict of {@link DigestServer.verify}. Failures carry the challenge value(s) to send back. */
export type DigestVerdict =
  | { kind: 'ok'; username: string; algorithm: DigestAlgorithm; qop?: string; nc?: number }
  | { kind: 'no-credentials'; challenges: string[] }
  | { kind: 'unknown-user'; username: string; challenges: string[] }
  | { kind: 'wrong-password'; username: string; challenges: string[] }
  | { kind: 'stale'; username: string; challenges: string[] }
  | { kind: 'bad-nonce'; reason: string; challenges: string[] }
  | { kind: 'malformed'; reason: string; challenges: string[] }
  | { kind: 'uri-mismatch'; username: string; uri: string; challenges: string[] }
  | { kind: 'replay'; username: string; nc: number; challenges: string[] };

const NONCE_PAYLOAD = 12; // 8 bytes issue time (ms) + 4 random bytes
const NONCE_MAC = 16;

/**
 * A registrar-side digest authenticator. Nonces are `base64url(time || random || HMAC)`,
 * so they verify without server state; an expired but otherwise valid nonce yields `stale`.
 */
export class DigestServer {
  readonly realm: string;
  readonly #secret: Uint8Array;
  readonly #opaque: string;
  readonly #clock: Clock;
  readonly #lifetime: number;
  readonly #algorithms: DigestAlgorithm[];
  readonly #lookup: DigestCredentialsLookup;
  readonly #qop: boolean;
  readonly #requireQop: boolean;
  readonly #replay: boolean;
  readonly #replayLimit: number;
  readonly #uriMatches: (a: string, b: string) => boolean;
  readonly #ncSeen = new Map<string, number>();

  constructor(opts: DigestServerOptions) {
    this.realm = opts.realm;
    this.#secret = opts.secret ?? randomBytes(32);
    this.#opaque = opts.opaque ?? randomBytes(12).toString('base64url');
    this.#clock = opts.clock ?? systemClock;
    this.#lifetime = opts.nonceLifetimeMs ?? 300_000;
    this.#algorithms = opts.algorithms && opts.algorithms.length > 0 ? [...opts.algorithms] : ['MD5'];
    this.#lookup = opts.credentials;
    this.#qop = opts.qop ?? true;
    this.#requireQop = opts.requireQop ?? false;
    this.#replay = opts.replayCheck ?? false;
    this.#replayLimit = Math.max(1, opts.replayTrackLimit ?? 10_000);
    this.#uriMatches = opts.uriMatches ?? ((a, b) => a === b);
  }

  #mac(payload: Uint8Array): Buffer {
    return createHmac('sha256', this.#secret)
      .update(payload)
      .update(this.realm)
      .digest()
      .subarray(0, NONCE_MAC);
  }

  /** A fresh nonce bound to the current clock time. */
  issueNonce(): string {
    const payload = Buffer.alloc(NONCE_PAYLOAD);
    payload.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.#clock.now()))), 0);
    randomBytes(4).copy(payload, 8);
    return Buffer.concat([payload, this.#mac(payload)]).toString('base64url');
  }

  /** Checks a nonce: `valid`, `stale` (genuine but expired) or `bad` (not ours / tampered). */
  checkNonce(nonce: string): 'valid' | 'stale' | 'bad' {
    if (typeof nonce !== 'string' || !/^[A-Za-z0-9_-]+$/.test(nonce)) return 'bad';
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_PAYLOAD + NONCE_MAC || raw.toString('base64url') !== nonce) return 'bad';
    const payload = raw.subarray(0, NONCE_PAYLOAD);
    if (!timingSafeEqual(raw.subarray(NONCE_PAYLOAD), this.#mac(payload))) return 'bad';
    const issued = Number(payload.readBigUInt64BE(0));
    const now = this.#clock.now();
    if (issued > now + 1) return 'bad';
    return now - issued > this.#lifetime ? 'stale' : 'valid';
  }

  /** WWW-Authenticate values to send (one per configured algorithm), sharing one fresh nonce. */
  challenge(stale = false): string[] {
    const nonce = this.issueNonce();
    return this.#algorithms.map((a) => {
      const parts = [`realm=${quote(this.realm)}`, `nonce=${quote(nonce)}`, `opaque=${quote(this.#opaque)}`];
      parts.push(`algorithm=${a}`);
      if (this.#qop) parts.push('qop="auth"');
      if (stale) parts.push('stale=TRUE');
      return `Digest ${parts.join(', ')}`;
    });
  }

  /**
   * Verifies Authorization value(s) from a request. With several values, the one for this
   * realm is used. Never throws.
   */
  verify(authorization: string | readonly string[] | undefined, request: DigestRequest): DigestVerdict {
    try {
      return this.#verify(authorization, request);
    } catch {
      return { kind: 'malformed', reason: 'internal error while verifying', challenges: this.challenge() };
    }
  }

  #verify(authorization: string | readonly string[] | undefined, request: DigestRequest): DigestVerdict {
    const values =
      authorization === undefined ? [] : typeof authorization === 'string' ? [authorization] : authorization;
    if (values.length === 0) return { kind: 'no-credentials', challenges: this.challenge() };
    let creds: DigestCredentials | undefined;
    let firstError: DigestParseError | undefined;
    for (const v of values) {
      const p = parseCredentials(v);
      if (p.ok) {
        if (p.value.realm === this.realm) {
          creds = p.value;
          break;
        }
        firstError ??= { kind: 'malformed', reason: 'credentials for another realm' };
      } else firstError ??= p.error;
    }
    if (!creds) {
      const e = firstError ?? { kind: 'malformed' as const, reason: 'no credentials' };
      if (e.kind === 'malformed' && e.reason === 'credentials for another realm')
        return { kind: 'no-credentials', challenges: this.challenge() };
      const reason =
        e.kind === 'malformed'
          ? e.reason
          : e.kind === 'not-digest'
            ? `scheme ${e.scheme} is not Digest`
            : `unsupported algorithm ${e.algorithm}`;
      return { kind: 'malformed', reason, challenges: this.challenge() };
    }
    if (!this.#algorithms.includes(creds.algorithm))
      return {
        kind: 'malformed',
        reason: `algorithm ${creds.algorithm} was not offered`,
        challenges: this.challenge(),
      };
    if (creds.qop !== undefined && creds.qop !== 'auth' && creds.qop !== 'auth-int')
      return {
        kind: 'malformed',
        reason: `unknown qop ${creds.qop.slice(0, 32)}`,
        challenges: this.challenge(),
      };
    if (creds.qop === undefined && this.#qop && this.#requireQop)
      return { kind: 'malformed', reason: 'qop=auth was offered but not used', challenges: this.challenge() };
    if (creds.qop !== undefined && !this.#qop)
      return { kind: 'malformed', reason: 'qop used but not offered', challenges: this.challenge() };
    const nonceState = this.checkNonce(creds.nonce);
    if (nonceState === 'bad')
      return { kind: 'bad-nonce', reason: 'nonce not issued here', challenges: this.challenge() };
    if (creds.opaque !== undefined && creds.opaque !== this.#opaque)
      return { kind: 'bad-nonce', reason: 'opaque does not match', challenges: this.challenge() };
    if (!this.#uriMatches(creds.uri, request.uri))
      return { kind: 'uri-mismatch', username: creds.username, uri: creds.uri, challenges: this.challenge() };
    const secret = this.#lookup(creds.username, { realm: this.realm, algorithm: creds.algorithm });
    if (secret === undefined)
      return { kind: 'unknown-user', username: creds.username, challenges: this.challenge() };
    const password = typeof secret === 'string' ? secret : 'password' in secret ? secret.password : undefined;
    const ha1 = typeof secret === 'object' && 'ha1' in secret ? secret.ha1 : undefined;
    const expected = computeResponse({
      algorithm: creds.algorithm,
      username: creds.username,
      realm: creds.realm,
      password,
      ha1,
      nonce: creds.nonce,
      method: request.method,
      uri: creds.uri,
      qop: creds.qop as DigestQop | undefined,
      nc: creds.ncText,
      cnonce: creds.cnonce,
      body: request.body,
    });
    const a = Buffer.from(expected, 'utf8');
    const b = Buffer.from(creds.response.toLowerCase(), 'utf8');
    if (a.length !== b.length || !timingSafeEqual(a, b))
      return { kind: 'wrong-password', username: creds.username, challenges: this.challenge() };
    if (nonceState === 'stale')
      return { kind: 'stale', username: creds.username, challenges: this.challenge(true) };
    if (this.#replay && creds.nc !== undefined) {
      const seen = this.#ncSeen.get(creds.nonce);
      if (seen !== undefined && creds.nc <= seen)
        return { kind: 'replay', username: creds.username, nc: creds.nc, challenges: this.challenge() };
      this.#ncSeen.delete(creds.nonce);
      this.#ncSeen.set(creds.nonce, creds.nc);
      while (this.#ncSeen.size > this.#replayLimit) {
        const oldest = this.#ncSeen.keys().next().value;
        if (oldest === undefined) break;
        this.#ncSeen.delete(oldest);
      }
    }
    const ok: DigestVerdict = { kind: 'ok', username: creds.username, algorithm: creds.algorithm };
    if (creds.qop !== undefined) ok.qop = creds.qop;
    if (creds.nc !== undefined) ok.nc = creds.nc;
    return ok;
  }

  toJSON(): { realm: string; algorithms: DigestAlgorithm[] } {
    return { realm: this.realm, algorithms: [...this.#algorithms] };
  }

  toString(): string {
    return `DigestServer(${this.realm})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
