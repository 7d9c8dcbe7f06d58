/**
 * Typed parsers for header values: lists, name-addr (From, To, Contact, Route, Refer-To, ...),
 * Via, CSeq, Replaces, Session-Expires, RAck, Subscription-State, token lists.
 * Every parser returns a ParseResult; none throws.
 */
import { type ParseResult, parsed, parseError } from './parse-result.ts';
import {
  formatHost,
  formatParams,
  formatUri,
  getParam,
  type Params,
  parseHostPort,
  parseUri,
  type Uri,
} from './uri.ts';

/** RFC 3261 token characters: alphanumerics and -.!%*_+`'~ (by char code, below 128). */
const TOKEN_CHARS = charTable("-.!%*_+`'~");
/** Unquoted parameter values: token characters, plus ":[]" for host-like values such as "[::1]". */
const PARAM_VALUE_CHARS = charTable("-.!%*_+`'~:[]");

function charTable(extra: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    if (/[A-Za-z0-9]/.test(ch) || extra.includes(ch)) t[c] = 1;
  }
  return t;
}

/** True when `s` is non-empty and every character is in `table`. */
function allIn(s: string, table: Uint8Array): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || table[c] === 0) return false;
  }
  return true;
}

export function isToken(s: string): boolean {
  return allIn(s, TOKEN_CHARS);
}

/**
 * True when `s` is tokens separated by runs of SP and HTAB, nothing before the first or after
 * the last (an unquoted display name): the same answer as `s.split(/[ \t]+/).every(isToken)`,
 * without cutting the words out.
 */
export function isTokenWords(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(n - 1);
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09) continue;
    if (c >= 128 || TOKEN_CHARS[c] === 0) return false;
  }
  return true;
}

const SP = 0x20;
const HTAB = 0x09;
const COMMA = 0x2c;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const SEMI = 0x3b;
const EQUALS = 0x3d;
const LT = 0x3c;
const GT = 0x3e;

/**
 * Splits a header value at top-level commas: not inside "quoted strings" (with \-escapes),
 * not inside <angle brackets>. Surrounding whitespace is trimmed; empty elements dropped.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  if (value.indexOf(',') < 0) {
    const t = value.trim();
    if (t) out.push(t);
    return out;
  }
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === BACKSLASH && i + 1 < value.length) i++;
      else if (c === DQUOTE) inQuote = false;
      continue;
    }
    if (c === DQUOTE) inQuote = true;
    else if (c === LT) inAngle = true;
    else if (c === GT) inAngle = false;
    else if (c === COMMA && !inAngle) {
      const t = value.slice(start, i).trim();
      if (t) out.push(t);
      start = i + 1;
    }
  }
  const t = value.slice(start).trim();
  if (t) out.push(t);
  return out;
}

/** The first element of a list value, as `splitList(value)[0]` (undefined when the list is empty). */
export function firstListElement(value: string): string | undefined {
  if (value.indexOf(',') < 0) {
    const t = value.trim();
    return t ? t : undefined;
  }
  return splitList(value)[0];
}

function isLws(c: number): boolean {
  return c === SP || c === HTAB;
}

/** Parses `;name=value;flag` parameters (values may be quoted strings). `text` starts at the first ";". */
export function parseParams(text: string): ParseResult<Params> {
  const params: Params = [];
  let i = 0;
  const s = text;
  const n = s.length;
  while (i < n) {
    while (i < n && isLws(s.charCodeAt(i))) i++;
    if (i >= n) break;
    if (s.charCodeAt(i) !== SEMI)
      return parseError('bad-value', `expected ";" before parameter in "${clip(s)}"`);
    i++;
    while (i < n && isLws(s.charCodeAt(i))) i++;
    const nameStart = i;
    // The name runs to "=", ";" or LWS, and must be a token: both checked in one scan.
    let nameOk = true;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === EQUALS || c === SEMI || c === SP || c === HTAB) break;
      if (c >= 128 || TOKEN_CHARS[c] === 0) nameOk = false;
    }
    const name = s.slice(nameStart, i);
    if (!nameOk || i === nameStart)
      return parseError('bad-value', `invalid parameter name "${clip(name)}" in "${clip(s)}"`);
    while (i < n && isLws(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) === EQUALS) {
      i++;
      while (i < n && isLws(s.charCodeAt(i))) i++;
      const valueStart = i;
      if (s.charCodeAt(i) === DQUOTE) {
        i++;
        let closed = false;
        while (i < n) {
          const c = s.charCodeAt(i++);
          if (c === BACKSLASH && i < n) i++;
          else if (c === DQUOTE) {
            closed = true;
            break;
          }
        }
        if (!closed) return parseError('bad-value', `unterminated quoted parameter value in "${clip(s)}"`);
      } else {
        // host-like values such as IPv6 references "[::1]" are allowed here; checked as scanned.
        let valueOk = true;
        for (; i < n; i++) {
          const c = s.charCodeAt(i);
          if (c === SEMI || c === SP || c === HTAB) break;
          if (c >= 128 || PARAM_VALUE_CHARS[c] === 0) valueOk = false;
        }
        if (!valueOk || i === valueStart) {
          return parseError('bad-value', `invalid value for parameter "${name}" in "${clip(s)}"`);
        }
      }
      params.push([name, s.slice(valueStart, i)]);
    } else params.push([name, null]);
  }
  return parsed(params);
}

/** A name-addr or addr-spec with header parameters: From, To, Contact, Route, Refer-To, P-Asserted-Identity... */
export interface NameAddr {
  /** Display name without quotes and escapes; undefined when absent. */
  displayName?: string;
  uri: Uri;
  /** Header parameters after the address (tag, expires, q, ...). */
  params: Params;
}

/** Parses one name-addr / addr-spec. For Contact, "*" is handled by `parseContactList`. */
export function parseNameAddr(value: string): ParseResult<NameAddr> {
  const s = value.trim();
  let i = 0;
  let displayName: string | undefined;
  let uriText: string;
  let rest: string;
  if (s.startsWith('"')) {
    i = 1;
    let name = '';
    let closed = false;
    while (i < s.length) {
      const ch = s[i++]!;
      if (ch === '\\' && i < s.length) name += s[i++];
      else if (ch === '"') {
        closed = true;
        break;
      } else name += ch;
    }
    if (!closed) return parseError('bad-value', `unterminated quoted display name in "${clip(s)}"`);
    displayName = name;
    while (i < s.length && isLws(s.charCodeAt(i))) i++;
    if (s[i] !== '<') return parseError('bad-value', `expected "<" after display name in "${clip(s)}"`);
  }
  const lt = s.indexOf('<', i);
  if (lt >= 0) {
    if (displayName === undefined) {
      const dn = s.slice(0, lt).trim();
      if (dn.length > 0) {
        if (!isTokenWords(dn)) return parseError('bad-value', `invalid display name "${clip(dn)}"`);
        displayName = dn;
      }
    }
    const gt = s.indexOf('>', lt);
    if (gt < 0) return parseError('bad-value', `unterminated "<" in "${clip(s)}"`);
    uriText = s.slice(lt + 1, gt);
    rest = s.slice(gt + 1);
  } else {
    // addr-spec: the URI ends at the first ";" (its parameters become header parameters, RFC 3261 §20).
    const semi = s.indexOf(';');
    uriText = semi >= 0 ? s.slice(0, semi) : s;
    rest = semi >= 0 ? s.slice(semi) : '';
    if (/[\s]/.test(uriText.trim())) return parseError('bad-value', `whitespace inside address "${clip(s)}"`);
    uriText = uriText.trim();
    // RFC 3261 §20.10: a URI holding a comma, question mark or semicolon must be in <> (RFC 4475 §3.1.2.13).
    if (/[?,]/.test(uriText)) {
      return parseError(
        'bad-value',
        `address "${clip(uriText)}" holds "?" or "," and must be enclosed in <>`,
      );
    }
  }
  const uri = parseUri(uriText);
  if (!uri.ok) return uri;
  const params = parseParams(rest);
  if (!params.ok) return params;
  const out: NameAddr = { uri: uri.value, params: params.value };
  if (displayName !== undefined) out.displayName = displayName;
  return parsed(out);
}

/** `values.flatMap(splitList)` without the intermediate arrays when each value is a single element. */
function splitAll(values: string[]): string[] {
  if (values.length === 1) return splitList(values[0]!);
  const out: string[] = [];
  for (const v of values) for (const e of splitList(v)) out.push(e);
  return out;
}

export function quoteString(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

export function formatNameAddr(na: NameAddr): string {
  const dn = na.displayName !== undefined ? `${quoteString(na.displayName)} ` : '';
  return `${dn}<${formatUri(na.uri)}>${formatParams(na.params)}`;
}

/** Parses a comma-separated list of name-addrs (Contact, Route, Record-Route, P-Asserted-Identity, Diversion). */
export function parseNameAddrList(values: string[]): ParseResult<NameAddr[]> {
  const out: NameAddr[] = [];
  for (const v of splitAll(values)) {
    const na = parseNameAddr(v);
    if (!na.ok) return na;
    out.push(na.value);
  }
  return parsed(out);
}

export interface Via {
  /** "SIP/2.0" */
  protocol: string;
  /** Upper-case transport: UDP, TCP, TLS, SCTP, WS, WSS. */
  transport: string;
  host: string;
  port?: number;
  params: Params;
}

/** Parses one Via value: `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport`. */
export function parseVia(value: string): ParseResult<Via> {
  return parseUsualVia(value) ?? parseViaByRule(value);
}

/** parseVia's general rule alone (exported for the test that holds parseUsualVia to it). */
export function parseViaByRule(value: string): ParseResult<Via> {
  const m =
    /^\s*([A-Za-z0-9\-.!%*_+`'~]+)\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+([^;]+?)\s*(;.*)?$/s.exec(
      value,
    );
  if (!m) return parseError('bad-value', `malformed Via "${clip(value)}"`);
  const hostPort = m[4]!;
  const hp = parseHostPort(/\s/.test(hostPort) ? hostPort.replace(/\s*:\s*/g, ':') : hostPort);
  if (!hp.ok) return parseError('bad-value', `Via "${clip(value)}": ${hp.reason}`);
  const params = parseParams(m[5] ?? '');
  if (!params.ok) return params;
  const via: Via = {
    protocol: `${m[1]}/${m[2]}`,
    transport: m[3]!.toUpperCase(),
    host: hp.value.host,
    params: params.value,
  };
  if (hp.value.port !== undefined) via.port = hp.value.port;
  return parsed(via);
}

/**
 * The usual shape, "SIP/2.0/" transport SP host[:port] [";" params], read by character code:
 * undefined for anything else (leading or other whitespace, a character outside printable
 * ASCII in the sent-by, no sent-by), which the general rule of parseVia then reads. Where this
 * answers, the general rule gives the same answer.
 */
function parseUsualVia(value: string): ParseResult<Via> | undefined {
  if (!value.startsWith('SIP/2.0/')) return undefined;
  const n = value.length;
  let i = 8;
  while (i < n && isTokenCode(value.charCodeAt(i))) i++;
  if (i === 8 || i >= n || value.charCodeAt(i) !== SP) return undefined;
  const transport = value.slice(8, i);
  const hostStart = i + 1;
  let j = hostStart;
  for (; j < n; j++) {
    const c = value.charCodeAt(j);
    if (c === SEMI) break;
    if (c <= 0x20 || c >= 0x7f) return undefined;
  }
  if (j === hostStart) return undefined;
  const hp = parseHostPort(value.slice(hostStart, j));
  if (!hp.ok) return parseError('bad-value', `Via "${clip(value)}": ${hp.reason}`);
  const params = parseParams(j < n ? value.slice(j) : '');
  if (!params.ok) return params;
  const via: Via = {
    protocol: 'SIP/2.0',
    transport: transport.toUpperCase(),
    host: hp.value.host,
    params: params.value,
  };
  if (hp.value.port !== undefined) via.port = hp.value.port;
  return parsed(via);
}

export function formatVia(via: Via): string {
  return `${via.protocol}/${via.transport} ${formatHost(via.host)}${via.port !== undefined ? `:${via.port}` : ''}${formatParams(via.params)}`;
}

export function viaBranch(via: Via): string | undefined {
  return getParam(via.params, 'branch') ?? undefined;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** CSeq: a 32-bit sequence number below 2^31 (RFC 3261 §8.1.1.5) and a method token. */
export function parseCSeq(value: string): ParseResult<CSeq> {
  // [ \t]* 1*DIGIT 1*[ \t] token [ \t]* — scanned by char code (the four runs are disjoint classes).
  const n = value.length;
  let i = skipSpTab(value, 0);
  const d0 = i;
  while (i < n && isDigit(value.charCodeAt(i))) i++;
  const d1 = i;
  i = skipSpTab(value, i);
  const m0 = i;
  while (i < n && isTokenCode(value.charCodeAt(i))) i++;
  const m1 = i;
  if (d1 === d0 || m0 === d1 || m1 === m0 || skipSpTab(value, i) !== n)
    return parseError('bad-value', `malformed CSeq "${clip(value)}"`);
  const number = value.slice(d0, d1);
  const digits = stripZeros(number);
  if (digits.length > 10 || Number(digits) > 2 ** 31 - 1) {
    return parseError('bad-value', `CSeq number ${clip(number, 40)} exceeds 2^31-1`);
  }
  const seq = Number(digits);
  return parsed({ seq, method: value.slice(m0, m1) });
}

export function parseUnsigned(value: string, max: number, what: string): ParseResult<number> {
  let a = 0;
  let b = value.length;
  while (a < b && isSpTabCode(value.charCodeAt(a))) a++;
  while (b > a && isSpTabCode(value.charCodeAt(b - 1))) b--;
  const t = a === 0 && b === value.length ? value : value.slice(a, b);
  let digitsOnly = t.length > 0;
  for (let i = 0; i < t.length && digitsOnly; i++) digitsOnly = isDigit(t.charCodeAt(i));
  if (!digitsOnly) return parseError('bad-value', `${what} "${clip(value)}" is not a non-negative integer`);
  // Leading zeros are allowed (1*DIGIT); the value is what counts.
  const digits = stripZeros(t);
  const n = Number(digits);
  if (digits.length > 16 || n > max) return parseError('bad-value', `${what} ${clip(t, 40)} exceeds ${max}`);
  return parsed(n);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isSpTabCode(c: number): boolean {
  return c === SP || c === HTAB;
}

function isTokenCode(c: number): boolean {
  return c < 128 && TOKEN_CHARS[c] === 1;
}

/** The index of the first character at or after `i` that is not SP or HTAB. */
function skipSpTab(s: string, i: number): number {
  while (i < s.length && isSpTabCode(s.charCodeAt(i))) i++;
  return i;
}

function stripZeros(digits: string): string {
  let i = 0;
  while (i < digits.length && digits.charCodeAt(i) === 0x30) i++;
  return i === digits.length ? '0' : i === 0 ? digits : digits.slice(i);
}

export interface Replaces {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
}

/** Replaces (RFC 3891): `call-id;to-tag=x;from-tag=y[;early-only]`. */
export function parseReplaces(value: string): ParseResult<Replaces> {
  const semi = value.indexOf(';');
  const callId = (semi >= 0 ? value.slice(0, semi) : value).trim();
  if (!callId) return parseError('bad-value', `Replaces "${clip(value)}" has no Call-ID`);
  const params = parseParams(semi >= 0 ? value.slice(semi) : '');
  if (!params.ok) return params;
  const toTag = getParam(params.value, 'to-tag');
  const fromTag = getParam(params.value, 'from-tag');
  if (!toTag || !fromTag)
    return parseError('bad-value', `Replaces "${clip(value)}" lacks to-tag or from-tag`);
  return parsed({ callId, toTag, fromTag, earlyOnly: getParam(params.value, 'early-only') !== undefined });
}

export function formatReplaces(r: Replaces): string {
  return `${r.callId};to-tag=${r.toTag};from-tag=${r.fromTag}${r.earlyOnly ? ';early-only' : ''}`;
}

export interface SessionExpires {
  deltaSeconds: number;
  refresher?: 'uac' | 'uas';
}

/** Session-Expires (RFC 4028): `1800;refresher=uac`. */
export function parseSessionExpires(value: string): ParseResult<SessionExpires> {
  const semi = value.indexOf(';');
  const n = parseUnsigned(semi >= 0 ? value.slice(0, semi) : value, 2 ** 32 - 1, 'Session-Expires');
  if (!n.ok) return n;
  const params = parseParams(semi >= 0 ? value.slice(semi) : '');
  if (!params.ok) return params;
  const r = getParam(params.value, 'refresher')?.toLowerCase();
  const out: SessionExpires = { deltaSeconds: n.value };
  if (r === 'uac' || r === 'uas') out.refresher = r;
  return parsed(out);
}

export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

/** RAck (RFC 3262): `response-num CSeq-num Method`. */
export function parseRAck(value: string): ParseResult<RAck> {
  const m = /^\s*(\d{1,10})\s+(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*$/.exec(value);
  if (!m) return parseError('bad-value', `malformed RAck "${clip(value)}"`);
  return parsed({ rseq: Number(m[1]), cseq: Number(m[2]), method: m[3]! });
}

export interface SubscriptionState {
  state: string;
  params: Params;
}

export function parseSubscriptionState(value: string): ParseResult<SubscriptionState> {
  const semi = value.indexOf(';');
  const state = (semi >= 0 ? value.slice(0, semi) : value).trim().toLowerCase();
  if (!isToken(state)) return parseError('bad-value', `malformed Subscription-State "${clip(value)}"`);
  const params = parseParams(semi >= 0 ? value.slice(semi) : '');
  if (!params.ok) return params;
  return parsed({ state, params: params.value });
}

/** Token lists: Allow, Supported, Require, Unsupported, Proxy-Require. */
export function parseTokenList(values: string[]): ParseResult<string[]> {
  const out: string[] = [];
  for (const v of splitAll(values)) {
    if (!isToken(v)) return parseError('bad-value', `"${clip(v)}" is not a token`);
    out.push(v);
  }
  return parsed(out);
}

export interface ContentType {
  type: string;
  subtype: string;
  params: Params;
}

export function parseContentType(value: string): ParseResult<ContentType> {
  const m = /^\s*([A-Za-z0-9\-.!%*_+`'~]+)\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s*(;.*)?$/s.exec(value);
  if (!m) return parseError('bad-value', `malformed Content-Type "${clip(value)}"`);
  const params = parseParams(m[3] ?? '');
  if (!params.ok) return params;
  return parsed({ type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), params: params.value });
}

export function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}

function clip(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
