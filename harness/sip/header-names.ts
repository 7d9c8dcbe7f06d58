/**
 * Header names: compact forms (RFC 3261 §7.3.3 and later RFCs), canonical spelling, and which
 * headers may carry a comma-separated list of values (RFC 3261 §7.3.1).
 */

const COMPACT: Record<string, string> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

const CANONICAL = new Map<string, string>();
for (const name of [
  ...Object.values(COMPACT),
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Authentication-Info',
  'Authorization',
  'Call-Info',
  'CSeq',
  'Date',
  'Diversion',
  'Error-Info',
  'Expires',
  'In-Reply-To',
  'Max-Forwards',
  'Min-Expires',
  'Min-SE',
  'MIME-Version',
  'Organization',
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Path',
  'Priority',
  'Privacy',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'RAck',
  'Reason',
  'Record-Route',
  'Replaces',
  'Reply-To',
  'Require',
  'Retry-After',
  'Route',
  'RSeq',
  'Server',
  'Service-Route',
  'Subscription-State',
  'Timestamp',
  'Unsupported',
  'User-Agent',
  'Warning',
  'WWW-Authenticate',
]) {
  CANONICAL.set(name.toLowerCase(), name);
}

/** A usual spelling of a header name (or a compact form) and its key (headerKey), computed once. */
export interface UsualHeader {
  readonly name: string;
  readonly key: string;
  /** The name's first character code (compared before the whole name). */
  readonly first: number;
  /** Its place in USUAL_HEADERS (for tables indexed by it). */
  readonly index: number;
}

/**
 * The usual spellings (and the compact forms) by length, to recognise a header line's name
 * without cutting it out of the line: most lines of most messages use one of them.
 */
const SPELLINGS_BY_LENGTH: UsualHeader[][] = [];

/**
 * The header name of `line` when its first `length` characters are exactly one of the usual
 * spellings or compact forms ("Via", "Call-ID", "v"), as a shared string with its key;
 * undefined otherwise (other spellings, other case, whitespace before the colon), for the
 * caller to cut it out. A parser that keeps every header name then keeps one string per
 * spelling, not one per line, and knows its key without looking it up.
 */
export function usualHeader(line: string, length: number): UsualHeader | undefined {
  const list = SPELLINGS_BY_LENGTH[length];
  if (!list) return undefined;
  const c0 = line.charCodeAt(0);
  for (let i = 0; i < list.length; i++) {
    const u = list[i]!;
    if (u.first === c0 && line.startsWith(u.name)) return u;
  }
  return undefined;
}

/** The name part of `usualHeader`. */
export function usualHeaderName(line: string, length: number): string | undefined {
  return usualHeader(line, length)?.name;
}

/**
 * Keys of the spellings seen so far. Every message looks its headers up many times, and the
 * same few spellings ("Via", "v", "CSeq") recur, so a map lookup replaces a toLowerCase each
 * time. Bounded: cleared when it grows past KEY_CACHE_MAX (odd names from fuzzing or attacks).
 */
const keyCache = new Map<string, string>();
const KEY_CACHE_MAX = 2048;

function computeKey(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length === 1) {
    const full = COMPACT[lower];
    if (full) return full.toLowerCase();
  }
  return lower;
}

/** Every usual spelling and compact form, each at its `index`. */
export const USUAL_HEADERS: readonly UsualHeader[] = [...CANONICAL.values(), ...Object.keys(COMPACT)].map(
  (name, index) => ({ name, key: computeKey(name), first: name.charCodeAt(0), index }),
);
for (const u of USUAL_HEADERS) {
  const list = SPELLINGS_BY_LENGTH[u.name.length] ?? [];
  list.push(u);
  SPELLINGS_BY_LENGTH[u.name.length] = list;
}

/** Lower-case full name for any spelling or compact form: "v" → "via", "CALL-ID" → "call-id". */
export function headerKey(name: string): string {
  let key = keyCache.get(name);
  if (key === undefined) {
    key = computeKey(name);
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    keyCache.set(name, key);
  }
  return key;
}

/**
 * The key of a header line: the one the parser stored on it (`key`), else headerKey of its
 * name. Messages look their lines up many times (a hundred and more per call), so the parser's
 * lines carry it.
 */
export function fieldKey(h: { name: string; key?: string }): string {
  return h.key ?? headerKey(h.name);
}

/** The usual spelling of a header name ("call-id" → "Call-ID"); unknown names keep their case. */
export function canonicalName(name: string): string {
  return CANONICAL.get(headerKey(name)) ?? name;
}

/** The compact form of a header, if it has one ("Via" → "v"). */
export function compactName(name: string): string | undefined {
  const key = headerKey(name);
  for (const [c, full] of Object.entries(COMPACT)) if (full.toLowerCase() === key) return c;
  return undefined;
}

const LIST_HEADERS = new Set(
  [
    'Accept',
    'Accept-Encoding',
    'Accept-Language',
    'Alert-Info',
    'Allow',
    'Allow-Events',
    'Call-Info',
    'Contact',
    'Content-Encoding',
    'Content-Language',
    'Diversion',
    'Error-Info',
    'In-Reply-To',
    'P-Asserted-Identity',
    'P-Preferred-Identity',
    'Path',
    'Proxy-Require',
    'Reason',
    'Record-Route',
    'Require',
    'Route',
    'Service-Route',
    'Supported',
    'Unsupported',
    'Via',
    'Warning',
  ].map((n) => n.toLowerCase()),
);

/** True for headers whose value may be a comma-separated list (and may be split or combined). */
export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerKey(name));
}
