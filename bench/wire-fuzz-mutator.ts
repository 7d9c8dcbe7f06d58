/**
 * The messages of the over-the-wire fuzz (bench/wire-fuzz.ts): a seeded generator of SIP
 * messages aimed at one listening actor (well-formed seeds of every method and some responses,
 * with SDP, digest and sipfrag bodies), and a seeded mutator of the kinds a broken or hostile
 * peer sends: bit flips, inserted and deleted bytes, truncation, CR/LF and NUL junk, duplicated,
 * dropped and swapped lines, huge headers, many headers, bad Content-Length, random methods and
 * random bytes. Same seed, same messages. Pure: no I/O.
 *
 * `loopbackOnly` tells whether every host a message names is a 127.x literal: outside a network
 * namespace the bench sends only such messages, so that no actor is led to send anywhere else.
 */

/** A small, fast, seeded PRNG (mulberry32): uniform 32-bit values. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  token(n: number): string {
    const A = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += A[this.int(A.length)];
    return s;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

/** Where a message goes and what it may name: the actor's address, numbers it knows, its peer. */
export interface FuzzTarget {
  /** The actor's listening address and port. */
  host: string;
  port: number;
  /** Request-URI users that reach something behind the actor (DIDs, phone numbers, extensions). */
  users: readonly string[];
  /** A user that may register here (the trunk or the line), with its digest realm. */
  registrar?: { user: string; realm: string };
}

/** Where the message claims to come from (Via, Contact, SDP). */
export interface FuzzSource {
  transport: 'UDP' | 'TCP';
  address: string;
  port: number;
}

const METHODS = [
  'INVITE',
  'INVITE',
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'REGISTER',
  'INFO',
  'PRACK',
  'UPDATE',
  'REFER',
  'NOTIFY',
  'SUBSCRIBE',
  'MESSAGE',
  'PUBLISH',
] as const;

const RESPONSES = [
  '100 Trying',
  '180 Ringing',
  '183 Session Progress',
  '200 OK',
  '401 Unauthorized',
  '407 Proxy Authentication Required',
  '486 Busy Here',
  '487 Request Terminated',
  '503 Service Unavailable',
];

function sdp(r: Rng, address: string): string {
  const port = 2 * r.range(20000, 29999);
  const codecs = r.pick(['8 0 101', '9 8 0 18 101', '0', '18 101', '4 8', '8 101 13', '96 8']);
  const lines = [
    'v=0',
    `o=- ${r.u32()} ${r.range(1, 9)} IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP ${codecs}`,
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    r.pick(['a=sendrecv', 'a=sendonly', 'a=recvonly', 'a=inactive']),
    ...(r.chance(0.2) ? ['a=ptime:20', `a=rtcp:${port + 1} IN IP4 ${address}`] : []),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** One well-formed SIP message for `target` from `src`, as a UA, a proxy or a peer would send it. */
export function seedMessage(r: Rng, target: FuzzTarget, src: FuzzSource): Buffer {
  const callId = `${r.token(12)}@${src.address}`;
  const fromTag = r.token(8);
  const branch = `z9hG4bK${r.token(10)}`;
  const via = `SIP/2.0/${src.transport} ${src.address}:${src.port};branch=${branch}${r.chance(0.5) ? ';rport' : ''}`;
  const srcUri = `sip:${r.pick(['oxo-trunk', '+4930123456', '200', r.token(6)])}@${src.address}:${src.port}`;
  if (r.chance(0.1)) {
    // A stray or forged response: no transaction of the actor matches it (or one does, by chance).
    const status = r.pick(RESPONSES);
    const method = r.pick(METHODS);
    const head = [
      `SIP/2.0 ${status}`,
      `Via: SIP/2.0/${src.transport} ${target.host}:${target.port};branch=z9hG4bK${r.token(10)}`,
      `From: <sip:${r.pick(target.users)}@${target.host}>;tag=${fromTag}`,
      `To: <${srcUri}>;tag=${r.token(8)}`,
      `Call-ID: ${callId}`,
      `CSeq: ${r.range(1, 5)} ${method}`,
      `Contact: <${srcUri}>`,
    ];
    const body = status.startsWith('200') && method === 'INVITE' ? sdp(r, src.address) : '';
    return message(head, body, body ? 'application/sdp' : undefined);
  }
  const method = r.pick(METHODS);
  const user = r.pick(target.users);
  const ruriUser = method === 'REGISTER' ? undefined : user;
  const ruri = `sip:${ruriUser !== undefined ? `${ruriUser}@` : ''}${target.host}:${target.port}${src.transport === 'TCP' ? ';transport=tcp' : ''}`;
  const inDialog = ['ACK', 'BYE', 'INFO', 'PRACK', 'UPDATE', 'NOTIFY'].includes(method) || r.chance(0.1);
  const seq = method === 'ACK' || method === 'CANCEL' ? 1 : r.range(1, 40);
  const reg = target.registrar;
  const toUser = method === 'REGISTER' && reg ? reg.user : user;
  const head = [
    `${method} ${ruri} SIP/2.0`,
    `Via: ${via}`,
    'Max-Forwards: 70',
    `From: <${method === 'REGISTER' ? `sip:${toUser}@${target.host}` : srcUri}>;tag=${fromTag}`,
    `To: <sip:${toUser}@${target.host}>${inDialog ? `;tag=${r.token(8)}` : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${seq} ${method}`,
    `Contact: <${srcUri}${src.transport === 'TCP' ? ';transport=tcp' : ''}>`,
    'User-Agent: wire-fuzz',
  ];
  let body = '';
  let type: string | undefined;
  switch (method) {
    case 'INVITE':
    case 'UPDATE':
      head.push(
        'Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, REFER, INFO',
        'Supported: timer, replaces',
      );
      if (r.chance(0.3)) head.push(`Session-Expires: ${r.range(60, 3600)}`);
      if (r.chance(0.3)) head.push(`P-Asserted-Identity: <sip:+4940555${r.range(100, 999)}@${src.address}>`);
      if (method === 'INVITE' || r.chance(0.5)) {
        body = sdp(r, src.address);
        type = 'application/sdp';
      }
      break;
    case 'REGISTER':
      head.push(`Expires: ${r.pick([0, 60, 3600, 4294967296])}`);
      if (reg && r.chance(0.6)) {
        head.push(
          `Authorization: Digest username="${reg.user}", realm="${reg.realm}", nonce="${r.token(16)}", uri="sip:${target.host}", response="${r.token(32)}", algorithm=${r.pick(['MD5', 'SHA-256', 'MD5-sess'])}${r.chance(0.5) ? `, qop=auth, nc=${r.range(1, 99).toString(16).padStart(8, '0')}, cnonce="${r.token(8)}"` : ''}`,
        );
      }
      break;
    case 'INFO':
      body = `Signal=${r.pick(['1', '5', '#', '*', 'A', '99'])}\r\nDuration=${r.range(0, 5000)}\r\n`;
      type = 'application/dtmf-relay';
      break;
    case 'REFER':
      head.push(`Refer-To: <sip:${r.pick(target.users)}@${target.host}>`, `Referred-By: <${srcUri}>`);
      break;
    case 'NOTIFY':
      head.push('Event: refer', 'Subscription-State: active;expires=60');
      body = `SIP/2.0 ${r.pick(['100 Trying', '200 OK', '503 Service Unavailable'])}\r\n`;
      type = 'message/sipfrag;version=2.0';
      break;
    case 'SUBSCRIBE':
    case 'PUBLISH':
      head.push(`Event: ${r.pick(['presence', 'dialog', 'message-summary', 'refer'])}`, 'Expires: 60');
      break;
    case 'MESSAGE':
      body = `hello ${r.token(20)}`;
      type = 'text/plain';
      break;
    case 'PRACK':
      head.push(`RAck: ${r.range(1, 9)} 1 INVITE`);
      break;
    case 'CANCEL':
    case 'ACK':
      break;
  }
  return message(head, body, type);
}

function message(head: string[], body: string, type: string | undefined): Buffer {
  const b = Buffer.from(body, 'utf8');
  const lines = type ? [...head, `Content-Type: ${type}`] : head;
  return Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: ${b.length}\r\n\r\n${body}`, 'utf8');
}

/** Text that breaks parsers in places where they split or quote. */
const NASTY = [
  ':',
  ';',
  ',',
  '"',
  '<',
  '>',
  '\\',
  '%',
  '%0',
  '@',
  '[',
  ']',
  ' ',
  '\t',
  '\0',
  '\u00ff',
  '\ufffd',
  '\r',
  '\n',
  '\r\n',
  '\r\n\r\n',
  '\r\n ',
  'sip:',
  'SIP/2.0',
  ';tag=',
  ';branch=',
  '=',
  '?',
  '&',
  '*',
  '\u202e',
  '\ud83d\ude00',
];

/** The names of the mutations, for counts in the bench's summary. */
export const MUTATIONS = [
  'flip',
  'insert',
  'delete',
  'truncate',
  'nasty',
  'dupLine',
  'dropLine',
  'swapLines',
  'hugeHeader',
  'manyHeaders',
  'badContentLength',
  'randomMethod',
  'dupCritical',
  'lfOnly',
  'randomBytes',
] as const;
export type MutationName = (typeof MUTATIONS)[number];

/** Upper bounds of what a mutation adds: UDP datagrams stay sendable, TCP messages bounded. */
export interface MutateLimits {
  /** Largest header a huge-header mutation adds (bytes). */
  hugeHeaderBytes: number;
}

export const UDP_LIMITS: MutateLimits = { hugeHeaderBytes: 60_000 };
export const TCP_LIMITS: MutateLimits = { hugeHeaderBytes: 200_000 };

function splitLines(b: Buffer): string[] {
  return b.toString('latin1').split('\r\n');
}

function joinLines(lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** Applies one mutation; returns the new bytes. */
export function applyMutation(r: Rng, b: Buffer, m: MutationName, limits: MutateLimits): Buffer {
  const n = Math.max(b.length, 1);
  switch (m) {
    case 'flip': {
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      const i = r.int(c.length);
      c[i] = (c[i] as number) ^ (1 << r.int(8));
      return c;
    }
    case 'insert': {
      const p = r.int(n);
      return Buffer.concat([b.subarray(0, p), r.bytes(r.range(1, 8)), b.subarray(p)]);
    }
    case 'delete': {
      const p = r.int(n);
      return Buffer.concat([b.subarray(0, p), b.subarray(p + r.range(1, 24))]);
    }
    case 'truncate':
      return b.subarray(0, r.int(n));
    case 'nasty': {
      const p = r.int(n);
      return Buffer.concat([b.subarray(0, p), Buffer.from(r.pick(NASTY), 'utf8'), b.subarray(p)]);
    }
    case 'dupLine': {
      const lines = splitLines(b);
      const i = r.int(lines.length);
      const times = r.chance(0.1) ? r.range(2, 60) : 1;
      for (let k = 0; k < times; k++) lines.splice(i, 0, lines[i] as string);
      return joinLines(lines);
    }
    case 'dropLine': {
      const lines = splitLines(b);
      lines.splice(r.int(lines.length), 1);
      return joinLines(lines);
    }
    case 'swapLines': {
      const lines = splitLines(b);
      const i = r.int(lines.length);
      const j = r.int(lines.length);
      [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
      return joinLines(lines);
    }
    case 'hugeHeader': {
      const lines = splitLines(b);
      const size = r.chance(0.5) ? r.range(1000, 8000) : r.range(8000, limits.hugeHeaderBytes);
      const name = r.pick(['X-Fuzz', 'Via', 'Contact', 'Route', 'Subject', 'Call-ID', 'Authorization']);
      const value = r.chance(0.5) ? 'a'.repeat(size) : `<sip:${'9'.repeat(size)}@127.0.0.1>`;
      lines.splice(Math.max(1, r.int(lines.length)), 0, `${name}: ${value}`);
      return joinLines(lines);
    }
    case 'manyHeaders': {
      const lines = splitLines(b);
      const extra: string[] = [];
      const count = r.range(50, 600);
      for (let k = 0; k < count; k++) extra.push(`X-H${k}: ${r.token(4)}`);
      lines.splice(Math.max(1, r.int(lines.length)), 0, ...extra);
      return joinLines(lines);
    }
    case 'badContentLength': {
      const v = r.pick([
        '-1',
        '99999999',
        'abc',
        '0',
        '1',
        '5000',
        '65536',
        '1e3',
        ' 12 ',
        '0x10',
        '18446744073709551616',
      ]);
      const text = b.toString('latin1');
      const re = /\r\n(Content-Length|l):[^\r]*/i;
      const replaced = re.test(text)
        ? text.replace(re, `\r\nContent-Length: ${v}`)
        : text.replace('\r\n', `\r\nContent-Length: ${v}\r\n`);
      const twice = r.chance(0.2) ? replaced.replace('\r\n', `\r\nl: ${r.range(0, 400)}\r\n`) : replaced;
      return Buffer.from(twice, 'latin1');
    }
    case 'randomMethod': {
      const lines = splitLines(b);
      const first = lines[0] ?? '';
      const sp = first.indexOf(' ');
      const method = r.chance(0.7)
        ? r.token(r.range(1, 12)).toUpperCase()
        : r.bytes(r.range(1, 12)).toString('latin1');
      lines[0] = `${method}${sp >= 0 ? first.slice(sp) : ' sip:x@127.0.0.1 SIP/2.0'}`;
      return joinLines(lines);
    }
    case 'dupCritical': {
      const lines = splitLines(b);
      const names = ['Call-ID', 'CSeq', 'From', 'To', 'Via', 'Max-Forwards', 'Content-Type', 'Contact'];
      const name = r.pick(names);
      const i = lines.findIndex((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
      const value =
        name === 'CSeq'
          ? `${r.range(0, 2 ** 32)} ${r.pick(METHODS)}`
          : name === 'Max-Forwards'
            ? String(r.pick([0, 1, 255, 256, -1]))
            : name === 'Via'
              ? `SIP/2.0/UDP 127.0.0.1:${r.range(1, 65535)};branch=z9hG4bK${r.token(6)}`
              : `<sip:${r.token(5)}@127.0.0.1>;tag=${r.token(6)}`;
      lines.splice(i >= 0 ? i + 1 : 1, 0, `${name}: ${value}`);
      return joinLines(lines);
    }
    case 'lfOnly':
      return Buffer.from(b.toString('latin1').replace(/\r\n/g, r.chance(0.5) ? '\n' : '\r'), 'latin1');
    case 'randomBytes':
      return r.bytes(r.range(0, 1400));
  }
}

/**
 * A mutated copy of `seed`: with probability `cleanShare` unchanged (the deeper paths need
 * well-formed requests too: a broken peer's INVITE that it never ACKs), otherwise one to four
 * mutations. Returns the bytes and the mutations applied.
 */
export function mutateMessage(
  r: Rng,
  seed: Buffer,
  limits: MutateLimits,
  cleanShare = 0.05,
): { bytes: Buffer; applied: MutationName[] } {
  if (r.chance(cleanShare)) return { bytes: seed, applied: [] };
  const applied: MutationName[] = [];
  let b = seed;
  const count = r.chance(0.6) ? 1 : r.range(2, 4);
  for (let k = 0; k < count; k++) {
    // Byte-level mutations are the most common; whole-message rewrites the rarest.
    const m = r.chance(0.55)
      ? r.pick(['flip', 'insert', 'delete', 'truncate', 'nasty'] as const)
      : r.chance(0.97)
        ? r.pick([
            'dupLine',
            'dropLine',
            'swapLines',
            'hugeHeader',
            'manyHeaders',
            'badContentLength',
            'badContentLength',
            'randomMethod',
            'dupCritical',
            'dupCritical',
            'lfOnly',
          ] as const)
        : 'randomBytes';
    b = applyMutation(r, b, m, limits);
    applied.push(m);
  }
  return { bytes: b, applied };
}

/**
 * Whether every host the message names (SIP URIs, Via sent-by, maddr/received, SDP c=/o=)
 * is an IPv4 literal in 127.0.0.0/8 or [::1]. Looks at every place that could be read as a
 * host, with the same case-insensitivity as the parsers, so a mutated message that could lead
 * an actor to another address is caught (it may also refuse some harmless ones).
 */
export function loopbackOnly(b: Buffer): boolean {
  const text = b.toString('latin1');
  const loop = (h: string) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '[::1]' || h === '::1';
  const hostRes = [
    /sips?:(?:[^@\s<>;,"]*@)?(\[[^\]]*\]|[^\s:;,>?"@]*)/gi,
    /SIP\s*\/\s*2\.0\s*\/\s*[^\s]+\s+(\[[^\]]*\]|[^\s:;,]*)/gi,
    /(?:maddr|received)\s*=\s*(\[[^\]]*\]|[^\s:;,>]*)/gi,
    /IN\s+IP[46]\s+([^\s/]*)/gi,
  ];
  for (const re of hostRes) for (const m of text.matchAll(re)) if (!loop(m[1] ?? '')) return false;
  return true;
}
