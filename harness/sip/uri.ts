/**
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966), and other absolute URIs kept as text.
 *
 * The user part, parameters and headers keep their escaped spelling, so a URI formats back
 * to the text it came from; `unescapeUri` gives the plain value when comparing.
 */
import { isIPv6 } from 'node:net';
import { ownCopy } from '../support/own-copy.ts';
import { type ParseResult, parsed, parseError } from './parse-result.ts';

/** Ordered URI or header parameters; a value of null is a flag parameter (`;lr`). */
export type Params = Array<[name: string, value: string | null]>;

export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  password?: string;
  /** Host name, IPv4 address, or IPv6 address without brackets. */
  host: string;
  port?: number;
  params: Params;
  /** `?name=value&...` headers, escaped as written. */
  headers: Params;
}

export interface TelUri {
  scheme: 'tel';
  /** The telephone-subscriber part, e.g. "+4930123456" or "1234". */
  number: string;
  params: Params;
}

/** Any other absolute URI (`mailto:`, `http:`, `urn:`): kept, not interpreted. */
export interface OtherUri {
  scheme: string;
  text: string;
}

export type Uri = SipUri | TelUri | OtherUri;

export function isSipUri(u: Uri): u is SipUri {
  return u.scheme === 'sip' || u.scheme === 'sips';
}

export function isTelUri(u: Uri): u is TelUri {
  return u.scheme === 'tel';
}

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;
// RFC 3261 user / password / param / header characters (unreserved, escaped, and their extra sets).
const USER_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;
const PARAM_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/:&+$]|%[0-9A-Fa-f]{2})+$/;
const HEADER_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$]|%[0-9A-Fa-f]{2})*$/;
const HOSTNAME_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+$/;
const TEL_RE = /^[+]?[0-9A-Fa-f*#().-]+$/;

/**
 * Parsed URIs by text, for the texts that recur: the same trunk, the same few numbers, the
 * same Contact in every request of a peer (a caller's From and Contact, a callee's Request-URI
 * and To). A direct-mapped table of URI_CACHE_SIZE entries, indexed by length and two
 * characters; an entry is replaced by the next text that falls on its index. A text is kept
 * parsed from its second sighting on (the first only notes the text), so texts that never
 * recur (a new number per call) cost a comparison, not a copy and a frozen parse;
 * a hit costs one string comparison instead of a parse (regular expressions, slices, two
 * arrays and an object). The URIs it holds are shared by every message that carried their
 * text, so they are frozen, with their parameter lists and pairs: code that would change a
 * parsed URI in place throws (in strict mode, as every module is) instead of changing it for
 * the others. To change one, make a new one with new lists (`setParam`, `copyParams`): a
 * spread copy still shares the frozen lists.
 */
const URI_CACHE_SIZE = 64;
const uriCacheText: Array<string | undefined> = new Array(URI_CACHE_SIZE).fill(undefined);
/** The parse of uriCacheText[i]; undefined while that text has been seen once only. */
const uriCacheResult: Array<ParseResult<Uri> | undefined> = new Array(URI_CACHE_SIZE).fill(undefined);

function uriCacheIndex(text: string): number {
  const n = text.length;
  return (n * 7 + text.charCodeAt(n - 1) + text.charCodeAt(n >> 1) * 3) & (URI_CACHE_SIZE - 1);
}

function freezeParams(p: Params): void {
  for (let i = 0; i < p.length; i++) Object.freeze(p[i]);
  Object.freeze(p);
}

/**
 * Parses a URI (RFC 3261 §19.1, RFC 3966, or any absolute URI kept as text). A URI whose text
 * was parsed before may come back as the same frozen object (see URI_CACHE_SIZE); errors are
 * not kept.
 */
export function parseUri(text: string): ParseResult<Uri> {
  if (text.length === 0) return parseUriText(text);
  const i = uriCacheIndex(text);
  const seen = uriCacheText[i];
  if (seen !== text) {
    // First sighting (here): the text is noted, the URI is the caller's (not kept, not frozen).
    // The note keeps the text it was cut from alive until another text takes its entry: at
    // most URI_CACHE_SIZE messages' header sections, none past its message once replaced.
    uriCacheText[i] = text;
    uriCacheResult[i] = undefined;
    return parseUriText(text);
  }
  const kept = uriCacheResult[i];
  if (kept !== undefined) return kept;
  // Second sighting: parsed from a copy of the text (the kept pieces then keep no message's
  // header text alive), frozen, kept.
  const own = ownCopy(text);
  uriCacheText[i] = own;
  const r = parseUriText(own);
  if (!r.ok) return r;
  const u = r.value;
  if ('params' in u) freezeParams(u.params);
  if ('headers' in u) freezeParams(u.headers);
  Object.freeze(u);
  uriCacheResult[i] = Object.freeze(r);
  return r;
}

function parseUriText(text: string): ParseResult<Uri> {
  const colon = text.indexOf(':');
  if (colon <= 0) return parseError('bad-uri', `URI "${clip(text)}" has no scheme`);
  const scheme = text.slice(0, colon).toLowerCase();
  if (!SCHEME_RE.test(scheme)) return parseError('bad-uri', `URI "${clip(text)}" has an invalid scheme`);
  if (/[\s<>"]/.test(text))
    return parseError('bad-uri', `URI "${clip(text)}" contains whitespace, quotes or angle brackets`);
  const rest = text.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') return parseSip(scheme, rest, text);
  if (scheme === 'tel') return parseTel(rest, text);
  return parsed({ scheme, text } satisfies OtherUri);
}

function parseSip(scheme: 'sip' | 'sips', rest: string, whole: string): ParseResult<SipUri> {
  let hostPart = rest;
  let user: string | undefined;
  let password: string | undefined;
  // The userinfo ends at the last "@" before any "?" headers; ";" and "?" may appear in the user part.
  const atIdx = findUserinfoEnd(rest);
  if (atIdx >= 0) {
    const userinfo = rest.slice(0, atIdx);
    hostPart = rest.slice(atIdx + 1);
    const pc = userinfo.indexOf(':');
    user = pc >= 0 ? userinfo.slice(0, pc) : userinfo;
    if (pc >= 0) password = userinfo.slice(pc + 1);
    if (user.length === 0) return parseError('bad-uri', `SIP URI "${clip(whole)}" has an empty user part`);
    if (!USER_RE.test(user))
      return parseError('bad-uri', `SIP URI "${clip(whole)}" has invalid characters in its user part`);
    if (password !== undefined && !PASSWORD_RE.test(password)) {
      return parseError('bad-uri', `SIP URI "${clip(whole)}" has invalid characters in its password`);
    }
  }
  let headersText: string | undefined;
  const q = hostPart.indexOf('?');
  if (q >= 0) {
    headersText = hostPart.slice(q + 1);
    hostPart = hostPart.slice(0, q);
  }
  const semi = hostPart.indexOf(';');
  const hostport = semi < 0 ? hostPart : hostPart.slice(0, semi);
  const hp = parseHostPort(hostport);
  if (!hp.ok) return parseError('bad-uri', `SIP URI "${clip(whole)}": ${hp.reason}`);
  const params: Params = [];
  for (let from = semi + 1; semi >= 0 && from <= hostPart.length; ) {
    let to = hostPart.indexOf(';', from);
    if (to < 0) to = hostPart.length;
    const seg = hostPart.slice(from, to);
    from = to + 1;
    const eq = seg.indexOf('=');
    const name = eq >= 0 ? seg.slice(0, eq) : seg;
    const value = eq >= 0 ? seg.slice(eq + 1) : null;
    if (!PARAM_RE.test(name) || (value !== null && value.length > 0 && !PARAM_RE.test(value))) {
      return parseError('bad-uri', `SIP URI "${clip(whole)}" has an invalid parameter "${clip(seg)}"`);
    }
    params.push([name, value]);
  }
  const headers: Params = [];
  if (headersText !== undefined) {
    for (const h of headersText.split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0)
        return parseError('bad-uri', `SIP URI "${clip(whole)}" has an invalid header "${clip(h)}"`);
      const name = h.slice(0, eq);
      const value = h.slice(eq + 1);
      if (!HEADER_RE.test(name) || !HEADER_RE.test(value)) {
        return parseError('bad-uri', `SIP URI "${clip(whole)}" has an invalid header "${clip(h)}"`);
      }
      headers.push([name, value]);
    }
  }
  const uri: SipUri = { scheme, host: hp.value.host, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (hp.value.port !== undefined) uri.port = hp.value.port;
  return parsed(uri);
}

/**
 * Index of the "@" that ends the userinfo. No part of a SIP URI but the userinfo separator may
 * hold an unescaped "@" (user, password, parameters and headers all exclude it), while the
 * user part may hold "?", ";", "/" and "," (RFC 3261 §25.1 user-unreserved; RFC 4475 §3.1.1.2),
 * so the first "@" is the one.
 */
function findUserinfoEnd(rest: string): number {
  return rest.indexOf('@');
}

export interface HostPort {
  host: string;
  port?: number;
}

/** Parses `host`, `host:port`, `[v6]` or `[v6]:port`. */
export function parseHostPort(text: string): ParseResult<HostPort> {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return parseError('bad-uri', `unterminated IPv6 reference "${clip(text)}"`);
    host = text.slice(1, end);
    if (!IPV6_RE.test(host) || !isIPv6(host))
      return parseError('bad-uri', `invalid IPv6 address "${clip(host)}"`);
    const after = text.slice(end + 1);
    if (after.length > 0) {
      if (!after.startsWith(':'))
        return parseError('bad-uri', `unexpected text after IPv6 reference "${clip(text)}"`);
      portText = after.slice(1);
    }
  } else {
    // The last ":" (by character code: String.prototype.lastIndexOf is a runtime call in V8).
    let c = text.length - 1;
    while (c >= 0 && text.charCodeAt(c) !== 0x3a) c--;
    if (c >= 0) {
      host = text.slice(0, c);
      portText = text.slice(c + 1);
    } else host = text;
    if (host.length === 0) return parseError('bad-uri', 'empty host');
    const v4 = ipv4Shape(host);
    if (v4 === 'valid') {
      // dotted quad, every octet at most 255
    } else if (v4 === 'octet-too-large') return parseError('bad-uri', `invalid IPv4 address "${host}"`);
    else if (!HOSTNAME_RE.test(host)) return parseError('bad-uri', `invalid host name "${clip(host)}"`);
  }
  const out: HostPort = { host };
  if (portText !== undefined) {
    const port = portNumber(portText);
    if (port < 0) return parseError('bad-uri', `invalid port "${clip(portText)}"`);
    out.port = port;
  }
  return parsed(out);
}

/**
 * Whether `host` has the shape of a dotted-quad IPv4 address (four groups of 1–3 ASCII digits),
 * and if so whether every group is at most 255.
 */
function ipv4Shape(host: string): 'valid' | 'octet-too-large' | 'not-ipv4' {
  let groups = 0;
  let digits = 0;
  let octet = 0;
  let tooLarge = false;
  for (let i = 0; i <= host.length; i++) {
    const c = i < host.length ? host.charCodeAt(i) : 0x2e;
    if (c >= 0x30 && c <= 0x39) {
      if (++digits > 3) return 'not-ipv4';
      octet = octet * 10 + (c - 0x30);
    } else if (c === 0x2e) {
      if (digits === 0 || ++groups > 4) return 'not-ipv4';
      if (octet > 255) tooLarge = true;
      digits = 0;
      octet = 0;
    } else return 'not-ipv4';
  }
  if (groups !== 4) return 'not-ipv4';
  return tooLarge ? 'octet-too-large' : 'valid';
}

/** A port of 1–5 ASCII digits, at most 65535; -1 when invalid. */
function portNumber(text: string): number {
  if (text.length === 0 || text.length > 5) return -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n > 65535 ? -1 : n;
}

function parseTel(rest: string, whole: string): ParseResult<TelUri> {
  const segments = rest.split(';');
  const number = segments.shift() ?? '';
  if (!TEL_RE.test(number)) return parseError('bad-uri', `tel URI "${clip(whole)}" has an invalid number`);
  const params: Params = [];
  for (const seg of segments) {
    const eq = seg.indexOf('=');
    params.push(eq >= 0 ? [seg.slice(0, eq), seg.slice(eq + 1)] : [seg, null]);
  }
  return parsed({ scheme: 'tel', number, params });
}

/** Formats a host for a URI or Via: IPv6 addresses get brackets. */
export function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function formatParams(params: Params, sep = ';'): string {
  return params.map(([n, v]) => `${sep}${n}${v === null ? '' : `=${v}`}`).join('');
}

export function formatUri(uri: Uri): string {
  if (isSipUri(uri)) {
    let s = `${uri.scheme}:`;
    if (uri.user !== undefined) s += `${uri.user}${uri.password !== undefined ? `:${uri.password}` : ''}@`;
    s += formatHost(uri.host);
    if (uri.port !== undefined) s += `:${uri.port}`;
    s += formatParams(uri.params);
    if (uri.headers.length > 0) s += `?${uri.headers.map(([n, v]) => `${n}=${v ?? ''}`).join('&')}`;
    return s;
  }
  if (isTelUri(uri)) return `tel:${uri.number}${formatParams(uri.params)}`;
  return (uri as OtherUri).text;
}

/** Replaces %XX escapes by the characters they stand for. Invalid escapes are left as written. */
export function unescapeUri(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/** A copy of `p` that shares no pair with it (for a value its holder may change). */
export function copyParams(p: Params): Params {
  const out: Params = [];
  for (let i = 0; i < p.length; i++) out.push([p[i]![0], p[i]![1]]);
  return out;
}

/** Looks a URI or header parameter up by name, case-insensitively. Undefined when absent; null for a flag. */
export function getParam(params: Params, name: string): string | null | undefined {
  // A name spelled as asked matches without a lower-case copy of either (the usual case: "tag",
  // "branch"); one of the same length is compared in lower case.
  let lower: string | undefined;
  for (let i = 0; i < params.length; i++) {
    const n = params[i]![0];
    if (n === name) return params[i]![1];
    if (n.length !== name.length) continue;
    lower ??= name.toLowerCase();
    if (n.toLowerCase() === lower) return params[i]![1];
  }
  return undefined;
}

/** Returns a copy of `params` with `name` set (replacing an existing one, or appended). */
export function setParam(params: Params, name: string, value: string | null): Params {
  const lower = name.toLowerCase();
  const out: Params = [];
  let done = false;
  for (const [n, v] of params) {
    if (n.toLowerCase() === lower) {
      if (!done) out.push([n, value]);
      done = true;
    } else out.push([n, v]);
  }
  if (!done) out.push([name, value]);
  return out;
}

/**
 * URI equality per RFC 3261 §19.1.4 (for SIP URIs): scheme, user (case-sensitive, unescaped),
 * host (case-insensitive), port, and the transport/user/ttl/method/maddr parameters when either
 * side has them; other parameters must agree when both sides have them. Headers must match.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (isSipUri(a) && isSipUri(b)) {
    if (unescapeUri(a.user ?? '') !== unescapeUri(b.user ?? '')) return false;
    if (unescapeUri(a.password ?? '') !== unescapeUri(b.password ?? '')) return false;
    if (a.host.toLowerCase() !== b.host.toLowerCase()) return false;
    if (a.port !== b.port) return false;
    for (const special of ['transport', 'user', 'ttl', 'method', 'maddr']) {
      const va = getParam(a.params, special);
      const vb = getParam(b.params, special);
      const norm = (v: string | null | undefined) =>
        v === undefined ? undefined : unescapeUri(v ?? '').toLowerCase();
      if (norm(va) !== norm(vb)) return false;
    }
    // A repeated parameter name counts by its first occurrence, on both sides.
    for (const [n] of a.params) {
      const mine = getParam(a.params, n);
      const other = getParam(b.params, n);
      if (
        other !== undefined &&
        unescapeUri(other ?? '').toLowerCase() !== unescapeUri(mine ?? '').toLowerCase()
      ) {
        return false;
      }
    }
    // Headers: the same multiset of (name case-insensitive, unescaped value) on both sides, in any order.
    const headerKeys = (u: SipUri) =>
      u.headers.map(([n, v]) => `${unescapeUri(n).toLowerCase()}\u0000${unescapeUri(v ?? '')}`).sort();
    const ha = headerKeys(a);
    const hb = headerKeys(b);
    return ha.length === hb.length && ha.every((k, i) => k === hb[i]);
  }
  if (isTelUri(a) && isTelUri(b)) return a.number.replace(/[().-]/g, '') === b.number.replace(/[().-]/g, '');
  return formatUri(a) === formatUri(b);
}

function clip(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
