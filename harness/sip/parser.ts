/**
 * Parses SIP messages (RFC 3261 §7, with the RFC 4475 torture cases in mind). Never throws:
 * the result is a message or a typed error. An error carries what could be read of the
 * message (`partial`), so a server can still answer 400 with the right Via, From, To,
 * Call-ID and CSeq.
 */
import { headerKey, USUAL_HEADERS, usualHeader } from './header-names.ts';
import {
  isToken,
  type NameAddr,
  parseCSeq,
  parseNameAddr,
  parseUnsigned,
  parseVia,
  splitList,
  type Via,
} from './header-values.ts';
import { type HeaderField, type SipMessage, SipRequest, SipResponse } from './message.ts';
import { type ParseError, type ParseErrorCode, parseError } from './parse-result.ts';
import { isSipUri, parseUri } from './uri.ts';

export interface ParseOptions {
  /** Largest message accepted, in bytes (default 65535). */
  maxSize?: number;
  /** Most header lines accepted (default 256). */
  maxHeaders?: number;
  /**
   * What findHeaderEnd said of this very input, when the caller asked it already (null: no
   * end); used when the message starts at the first byte, so the search is not made twice.
   */
  headerEnd?: HeaderEnd | null;
}

/** Where the header section ends: see findHeaderEnd. */
export interface HeaderEnd {
  bodyStart: number;
  bareLf: boolean;
}

export interface PartialMessage {
  isRequest: boolean;
  method?: string;
  uri?: string;
  status?: number;
  headers: HeaderField[];
}

export interface MessageParseError extends ParseError {
  /** What was read before the error, when the start line and headers were readable. */
  partial?: PartialMessage;
}

export type MessageParseResult = { ok: true; message: SipMessage } | MessageParseError;

export const DEFAULT_MAX_MESSAGE_SIZE = 65535;
export const DEFAULT_MAX_HEADERS = 256;

const METHOD_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/**
 * Finds the end of the header section: returns the index of the first body byte and the
 * length of the separator, or undefined when there is no empty line yet.
 */
export function findHeaderEnd(data: Buffer): HeaderEnd | undefined {
  const crlf = data.indexOf(CRLFCRLF);
  // A bare "\n\n" counts only before the first "\r\n\r\n" (ending at its "\r\n" at the latest);
  // the first one anywhere is that one when it lies there (no view of the buffer is made). When
  // none starts before crlf (a search backward from there says so without reading the body),
  // there is none to find.
  if (crlf >= 0 && data.lastIndexOf(LFLF, crlf) < 0) return { bodyStart: crlf + 4, bareLf: false };
  const lfAny = data.indexOf(LFLF);
  const lf = crlf >= 0 && lfAny > crlf - 1 ? -1 : lfAny;
  if (crlf >= 0 && lf < 0) return { bodyStart: crlf + 4, bareLf: false };
  if (lf >= 0) return { bodyStart: lf + 2, bareLf: true };
  return undefined;
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
/** An empty body (zero bytes: nothing can be written to it). */
const NO_BYTES = Buffer.alloc(0);
const LFLF = Buffer.from('\n\n', 'latin1');

/** Slots of the headers the parser counts or reads (index into `counts` and `firsts`). */
const SLOT = new Map<string, number>([
  ['via', 0],
  ['from', 1],
  ['to', 2],
  ['call-id', 3],
  ['cseq', 4],
  ['max-forwards', 5],
  ['content-length', 6],
  ['content-type', 7],
  ['contact', 8],
]);
/** Headers that must appear at most once (RFC 4475 §3.1.2.19 and RFC 3261 §7.3), by slot. */
const SINGLE = ['from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length', 'content-type'].map(
  (k) => [k, SLOT.get(k)!] as const,
);
/** Headers every request and response must carry for the stack to process it, by slot. */
const REQUIRED = ['via', 'from', 'to', 'call-id', 'cseq'].map((k) => [k, SLOT.get(k)!] as const);
const VIA = 0;
const FROM = 1;
const TO = 2;
const CALL_ID = 3;
const CSEQ = 4;
const CONTACT = 8;
const MAX_FORWARDS = 5;
const CONTENT_LENGTH = 6;
/** SLOT of each usual spelling, by its index (-1: not a slot), so that those lines skip the map. */
const USUAL_SLOT = Int8Array.from(USUAL_HEADERS, (u) => SLOT.get(u.key) ?? -1);

export function parseMessage(input: Buffer | string, opts: ParseOptions = {}): MessageParseResult {
  const data = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const maxSize = opts.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const maxHeaders = opts.maxHeaders ?? DEFAULT_MAX_HEADERS;
  if (data.length > maxSize)
    return parseError('too-large', `message of ${data.length} bytes exceeds the limit of ${maxSize}`);
  // RFC 3261 §7.5: implementations should ignore CRLFs before the start line (keep-alives).
  let start = 0;
  while (start < data.length && (data[start] === 0x0d || data[start] === 0x0a)) start++;
  if (start >= data.length) return parseError('empty', 'empty message');

  const warnings: string[] = [];
  // Views of the buffer (subarray) cost an object each: made only where needed.
  const end =
    start === 0 && opts.headerEnd !== undefined
      ? (opts.headerEnd ?? undefined)
      : findHeaderEnd(start === 0 ? data : data.subarray(start));
  let headText: string;
  let bodyBytes: Buffer;
  if (end) {
    const bodyStart = start + end.bodyStart;
    headText = data.toString('utf8', start, bodyStart);
    bodyBytes = bodyStart < data.length ? data.subarray(bodyStart) : NO_BYTES;
    if (end.bareLf) warnings.push('line ends are bare LF instead of CRLF');
  } else {
    headText = data.toString('utf8', start);
    bodyBytes = NO_BYTES;
    warnings.push('no empty line after the header section');
  }

  // Lines end at LF; a CR before the LF belongs to the line end (CRLF). A line other than the
  // last that has no CR before its LF ended with a bare LF. The first line is the start line;
  // every other line is read as it is cut out (one pass, no list of lines). Empty lines count
  // only when a line follows them: those at the end are the end of the header section.
  let someBareLf = false;
  let sl: StartLine | undefined;
  const headers: HeaderField[] = [];
  const partial: PartialMessage = { isRequest: false, headers };
  // Every readable header line is collected, even past a bad one, so that a 400 can still
  // copy Via, From, To, Call-ID and CSeq; the first problem found is the one reported.
  let firstError: MessageParseError | undefined;
  let skipping = false;
  let emptyLines = 0;
  // What the checks below need, counted as the lines go by: per slot, how many lines, and the
  // first line's index; the indexes of the Via and Contact lines (their values are lists, read
  // once folding is done).
  const counts = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const firstAt = [-1, -1, -1, -1, -1, -1, -1, -1, -1];
  const viaAt: number[] = [];
  const contactAt: number[] = [];
  for (let from = 0; from < headText.length || sl === undefined; ) {
    const lf = headText.indexOf('\n', from);
    let line: string;
    if (lf < 0) {
      line = headText.slice(from);
      from = headText.length;
    } else {
      if (lf > from && headText.charCodeAt(lf - 1) === 0x0d) line = headText.slice(from, lf - 1);
      else {
        someBareLf = true;
        line = headText.slice(from, lf);
      }
      from = lf + 1;
    }
    if (sl === undefined) {
      sl = parseStartLine(line);
      partial.isRequest = sl.isRequest;
      if (sl.isRequest) {
        if (sl.method !== undefined) partial.method = sl.method;
        if (sl.uri !== undefined) partial.uri = sl.uri;
      } else if (sl.status !== undefined) partial.status = sl.status;
      if (!sl.ok) firstError = failWith(partial, sl.code, sl.reason);
      continue;
    }
    if (line.length === 0) {
      emptyLines++;
      continue;
    }
    for (; emptyLines > 0; emptyLines--) {
      // An empty line inside the header section: a line without a name and colon.
      firstError ??= failWith(partial, 'bad-header', `header line without a name and colon: "${clip('')}"`);
      skipping = true;
    }
    if (line.charCodeAt(0) === 0x20 || line.charCodeAt(0) === 0x09) {
      // A continuation line (RFC 3261 §7.3.1 folding): unfold into the header above, keeping the raw text.
      if (skipping) continue;
      const last = headers[headers.length - 1];
      if (!last) {
        firstError ??= failWith(partial, 'bad-header', 'the first header line starts with whitespace');
        continue;
      }
      last.value = trimLws(`${last.value} ${trimLws(line)}`);
      last.raw = `${last.raw}\r\n${line}`;
      continue;
    }
    skipping = false;
    const colon = line.indexOf(':');
    const usual = colon > 0 ? usualHeader(line, colon) : undefined;
    const name = usual ? usual.name : colon > 0 ? trimLwsEnd(line.slice(0, colon)) : '';
    if (colon <= 0 || (usual === undefined && !isToken(name))) {
      firstError ??= failWith(
        partial,
        'bad-header',
        colon <= 0
          ? `header line without a name and colon: "${clip(line)}"`
          : `invalid header name "${clip(name)}"`,
      );
      skipping = true;
      continue;
    }
    // The value without the LWS around it, cut once (as trimLws(line.slice(colon + 1))).
    let a = colon + 1;
    let b = line.length;
    while (a < b && (line.charCodeAt(a) === 0x20 || line.charCodeAt(a) === 0x09)) a++;
    while (b > a && (line.charCodeAt(b - 1) === 0x20 || line.charCodeAt(b - 1) === 0x09)) b--;
    const key = usual ? usual.key : headerKey(name);
    const hi = headers.length;
    headers.push({ name, value: line.slice(a, b), raw: line, key });
    if (headers.length > maxHeaders)
      return failWith(partial, 'too-many-headers', `more than ${maxHeaders} header lines`);
    const slot = usual ? USUAL_SLOT[usual.index]! : (SLOT.get(key) ?? -1);
    if (slot < 0) continue;
    if (slot === VIA) viaAt.push(hi);
    else {
      counts[slot]!++;
      if (slot === CONTACT) contactAt.push(hi);
    }
    if (firstAt[slot] === -1) firstAt[slot] = hi;
  }
  if (!end?.bareLf && someBareLf) warnings.push('some line ends are bare LF');
  if (!end && !/\n$/.test(headText)) {
    // RFC 3261 §7: the empty line ending the header section is mandatory. A datagram that ends
    // with a complete header line is accepted (with a warning); one that ends inside a line was cut.
    firstError ??= failWith(
      partial,
      'bad-header',
      'message ends inside a header line (no CRLF, no empty line)',
    );
  }
  if (firstError) return firstError;
  if (!sl?.ok) return failWith(partial, 'bad-start-line', 'unreadable start line');

  if (sl.version !== 'SIP/2.0' && sl.version.toUpperCase() !== 'SIP/2.0')
    return failWith(partial, 'bad-version', `unsupported protocol version ${sl.version}`);
  if (sl.isRequest) {
    const u = parseUri(sl.uri);
    if (!u.ok) return failWith(partial, 'bad-uri', `Request-URI: ${u.reason}`);
    // RFC 3261 §19.1.1 (table): headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
    if (isSipUri(u.value) && u.value.headers.length > 0) {
      return failWith(
        partial,
        'bad-uri',
        `Request-URI "${clip(sl.uri)}" carries URI headers, which a Request-URI must not`,
      );
    }
  }

  // The values of the lines counted above, as folding left them: Via by element (a line with
  // an empty list counts as present), Contact by element, and the first value of each slot.
  const viaValues: string[] = [];
  for (let i = 0; i < viaAt.length; i++) {
    const list = splitList(headers[viaAt[i]!]!.value);
    for (let vi = 0; vi < list.length; vi++) viaValues.push(list[vi]!);
    counts[VIA]! += list.length;
  }
  const contactValues: string[] = [];
  for (let i = 0; i < contactAt.length; i++)
    for (const c of splitList(headers[contactAt[i]!]!.value)) contactValues.push(c);
  const firsts: Array<string | undefined> = [];
  for (let slot = 0; slot < firstAt.length; slot++)
    firsts[slot] = firstAt[slot]! >= 0 ? headers[firstAt[slot]!]!.value : undefined;
  for (let r = 0; r < REQUIRED.length; r++) {
    const [k, slot] = REQUIRED[r]!;
    if (firstAt[slot]! < 0)
      return failWith(partial, 'missing-header', `required header ${displayName(k)} is missing`);
  }
  if (counts[CONTENT_LENGTH]! > 1) {
    return failWith(partial, 'bad-content-length', 'Content-Length appears more than once (RFC 4475 §3.3.9)');
  }
  for (let r = 0; r < SINGLE.length; r++) {
    const [k, slot] = SINGLE[r]!;
    if (counts[slot]! > 1)
      return failWith(partial, 'bad-header', `header ${displayName(k)} appears more than once`);
  }
  if (sl.isRequest && firstAt[MAX_FORWARDS]! < 0) warnings.push('request has no Max-Forwards');

  // The values parsed here are handed to the message, so that its accessors do not parse them again.
  const vias: Via[] = [];
  for (let vi = 0; vi < viaValues.length; vi++) {
    const v = viaValues[vi]!;
    const via = parseVia(v);
    if (!via.ok) return failWith(partial, 'bad-header', via.reason);
    if (via.value.protocol !== 'SIP/2.0' && via.value.protocol.toUpperCase() !== 'SIP/2.0') {
      return failWith(
        partial,
        'bad-version',
        `Via "${clip(v)}" names protocol ${via.value.protocol}, not SIP/2.0`,
      );
    }
    vias.push(via.value);
  }
  const from = parseNameAddr(firsts[FROM] ?? '');
  if (!from.ok) return failWith(partial, 'bad-header', `From: ${from.reason}`);
  const to = parseNameAddr(firsts[TO] ?? '');
  if (!to.ok) return failWith(partial, 'bad-header', `To: ${to.reason}`);
  const contacts = contactValues;
  const parsedContacts: NameAddr[] = [];
  for (let ci = 0; ci < contacts.length; ci++) {
    const c = contacts[ci]!;
    if (c === '*') {
      if (contacts.length > 1)
        return failWith(partial, 'bad-header', 'Contact "*" must be the only Contact value');
      continue;
    }
    const na = parseNameAddr(c);
    if (!na.ok) return failWith(partial, 'bad-header', `Contact: ${na.reason}`);
    parsedContacts.push(na.value);
  }
  const callId = firsts[CALL_ID] ?? '';
  if (callId.length === 0 || /\s/.test(callId)) {
    return failWith(partial, 'bad-header', `Call-ID "${clip(callId)}" is empty or contains whitespace`);
  }
  const cseq = parseCSeq(firsts[CSEQ] ?? '');
  if (!cseq.ok) return failWith(partial, 'bad-header', cseq.reason);
  if (sl.isRequest && cseq.value.method !== sl.method) {
    return failWith(
      partial,
      'cseq-mismatch',
      `CSeq method ${cseq.value.method} differs from the request method ${sl.method}`,
    );
  }
  if (firstAt[MAX_FORWARDS]! >= 0) {
    const mf = parseUnsigned(firsts[MAX_FORWARDS] ?? '', 255, 'Max-Forwards');
    if (!mf.ok) return failWith(partial, 'bad-header', mf.reason);
  }

  let body = bodyBytes;
  if (firstAt[CONTENT_LENGTH]! >= 0) {
    const cl = parseUnsigned(firsts[CONTENT_LENGTH] ?? '', maxSize, 'Content-Length');
    if (!cl.ok) return failWith(partial, 'bad-content-length', cl.reason);
    if (cl.value > bodyBytes.length) {
      return failWith(
        partial,
        'truncated-body',
        `Content-Length is ${cl.value} but only ${bodyBytes.length} body bytes arrived`,
      );
    }
    if (cl.value < bodyBytes.length) {
      // RFC 3261 §18.3: bytes beyond Content-Length in a datagram are discarded.
      warnings.push(`${bodyBytes.length - cl.value} bytes after the body discarded`);
      body = bodyBytes.subarray(0, cl.value);
    }
  }

  const message = sl.isRequest
    ? new SipRequest(sl.method, sl.uri, headers, body.length > 0 ? Buffer.from(body) : undefined)
    : new SipResponse(sl.status, sl.reason, headers, body.length > 0 ? Buffer.from(body) : undefined);
  if (warnings.length > 0) message.warnings = warnings;
  message.primeCache('via', vias);
  message.primeCache('from', from.value);
  message.primeCache('to', to.value);
  message.primeCache('cseq', cseq.value);
  message.primeCache('call-id', callId);
  message.primeCache('contact', parsedContacts);
  return { ok: true, message };
}

/** A parse error that carries what was read of the message. */
function failWith(partial: PartialMessage, code: ParseErrorCode, reason: string): MessageParseError {
  return { ...parseError(code, reason), partial };
}

type StartLine =
  | { ok: true; isRequest: true; method: string; uri: string; version: string }
  | { ok: true; isRequest: false; status: number; reason: string; version: string }
  | {
      ok: false;
      code: ParseErrorCode;
      reason: string;
      isRequest: boolean;
      method?: string;
      uri?: string;
      status?: number;
    };

/**
 * Structure only; the version and the Request-URI are checked once the headers are read.
 * Request-Line = Method SP Request-URI SP SIP-Version, with exactly one SP each (RFC 3261 §7.1):
 * extra SP between the elements or after the version (RFC 4475 §3.1.2.9, §3.1.2.10) is
 * 'bad-start-line'; whitespace inside the Request-URI (§3.1.2.8) is 'bad-uri'.
 */
function parseStartLine(line: string): StartLine {
  // The usual status line, "SIP/2.0 DDD reason" (reason without CR or LF), read by character
  // code; anything else takes the general path below, which reads this shape the same way.
  if (line.length >= 12 && line.startsWith('SIP/2.0 ') && line.charCodeAt(11) === 0x20) {
    const d0 = line.charCodeAt(8) - 0x30;
    const d1 = line.charCodeAt(9) - 0x30;
    const d2 = line.charCodeAt(10) - 0x30;
    if (d0 >= 1 && d0 <= 6 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) {
      const reason = line.slice(12);
      if (reason.indexOf('\r') < 0 && reason.indexOf('\n') < 0)
        return { ok: true, isRequest: false, status: d0 * 100 + d1 * 10 + d2, reason, version: 'SIP/2.0' };
    }
  }
  if (/^[A-Za-z]+\/\d/.test(line)) {
    const m = /^([A-Za-z]+\/\d+\.\d+) (\d+) ([^\r\n]*)$/.exec(line);
    if (!m)
      return {
        ok: false,
        isRequest: false,
        code: 'bad-start-line',
        reason: `malformed status line "${clip(line)}"`,
      };
    const status = Number(m[2]);
    if (m[2]!.length !== 3 || status < 100 || status > 699) {
      return {
        ok: false,
        isRequest: false,
        code: 'bad-status',
        reason: `status code ${clip(m[2]!, 20)} is not between 100 and 699`,
      };
    }
    return { ok: true, isRequest: false, status, reason: m[3]!, version: m[1]! };
  }
  const first = line.indexOf(' ');
  // The last SP, by character code (String.prototype.lastIndexOf is a runtime call in V8).
  let last = line.length - 1;
  while (last >= 0 && line.charCodeAt(last) !== 0x20) last--;
  if (first <= 0 || last === first) return badRequestLine('bad-start-line', requestLineShape(line));
  const method = line.slice(0, first);
  const middle = line.slice(first + 1, last);
  const version = line.slice(last + 1);
  if (!METHOD_RE.test(method)) return badRequestLine('bad-start-line', `invalid method "${clip(method)}"`);
  if (version.length === 0 || middle.length === 0 || middle.startsWith(' ') || middle.endsWith(' ')) {
    return badRequestLine('bad-start-line', `${requestLineShape(line)} (extra SP)`, method);
  }
  if (!/^[A-Za-z]+\/\d+\.\d+$/.test(version))
    return badRequestLine('bad-start-line', `invalid SIP version "${clip(version)}"`, method);
  if (/[\s]/.test(middle))
    return badRequestLine('bad-uri', `Request-URI "${clip(middle)}" contains whitespace`, method, middle);
  return { ok: true, isRequest: true, method, uri: middle, version };
}

function badRequestLine(code: ParseErrorCode, reason: string, method?: string, uri?: string): StartLine {
  const out: StartLine = { ok: false, isRequest: true, code, reason };
  if (method !== undefined && METHOD_RE.test(method)) out.method = method;
  if (uri !== undefined) out.uri = uri;
  return out;
}

function requestLineShape(line: string): string {
  return `request line "${clip(line)}" is not "Method SP Request-URI SP SIP-Version"`;
}

/** Trims SP and HTAB only (LWS, RFC 3261 §25.1); other characters such as U+FEFF are content. */
function trimLws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Drops trailing SP and HTAB. */
function trimLwsEnd(s: string): string {
  let b = s.length;
  while (b > 0 && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return b === s.length ? s : s.slice(0, b);
}

function displayName(key: string): string {
  return key
    .replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase())
    .replace('Cseq', 'CSeq')
    .replace('Id', 'ID');
}

function clip(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
