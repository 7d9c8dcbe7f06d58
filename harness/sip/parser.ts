/**
 * Parses SIP messages (RFC 3261 §7, with the RFC 4475 torture cases in mind). Never throws:
 * the result is a message or a typed error. An error carries what could be read of the
 * message (`partial`), so a server can still answer 400 with the right Via, From, To,
 * Call-ID and CSeq.
 */
import { headerKey } from './header-names.ts';
import { isToken, parseCSeq, parseNameAddr, parseUnsigned, parseVia, splitList } from './header-values.ts';
import { type HeaderField, type SipMessage, SipRequest, SipResponse } from './message.ts';
import { type ParseError, type ParseErrorCode, parseError } from './parse-result.ts';
import { parseUri } from './uri.ts';

export interface ParseOptions {
  /** Largest message accepted, in bytes (default 65535). */
  maxSize?: number;
  /** Most header lines accepted (default 256). */
  maxHeaders?: number;
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

/** Headers that must appear at most once (RFC 4475 §3.1.2.19 and RFC 3261 §7.3). */
const SINGLE = ['from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length', 'content-type'];
/** Headers every request and response must carry for the stack to process it. */
const REQUIRED = ['via', 'from', 'to', 'call-id', 'cseq'];

const METHOD_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/**
 * Finds the end of the header section: returns the index of the first body byte and the
 * length of the separator, or undefined when there is no empty line yet.
 */
export function findHeaderEnd(data: Buffer): { bodyStart: number; bareLf: boolean } | undefined {
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { bodyStart: crlf + 4, bareLf: false };
  if (lf >= 0) return { bodyStart: lf + 2, bareLf: true };
  return undefined;
}

export function parseMessage(input: Buffer | string, opts: ParseOptions = {}): MessageParseResult {
  const data = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const maxSize = opts.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const maxHeaders = opts.maxHeaders ?? DEFAULT_MAX_HEADERS;
  if (data.length > maxSize) return parseError('too-large', `message of ${data.length} bytes exceeds the limit of ${maxSize}`);
  // RFC 3261 §7.5: implementations should ignore CRLFs before the start line (keep-alives).
  let start = 0;
  while (start < data.length && (data[start] === 0x0d || data[start] === 0x0a)) start++;
  if (start >= data.length) return parseError('empty', 'empty message');

  const warnings: string[] = [];
  const end = findHeaderEnd(data.subarray(start));
  let headText: string;
  let bodyBytes: Buffer;
  if (end) {
    headText = data.subarray(start, start + end.bodyStart).toString('utf8');
    bodyBytes = data.subarray(start + end.bodyStart);
    if (end.bareLf) warnings.push('line ends are bare LF instead of CRLF');
  } else {
    headText = data.subarray(start).toString('utf8');
    bodyBytes = Buffer.alloc(0);
    warnings.push('no empty line after the header section');
  }

  const rawLines = headText.split(/\r?\n/);
  while (rawLines.length > 0 && rawLines[rawLines.length - 1] === '') rawLines.pop();
  if (!end || !end.bareLf) {
    if (/(^|[^\r])\n/.test(headText)) warnings.push('some line ends are bare LF');
  }
  const startLine = rawLines.shift() ?? '';
  const sl = parseStartLine(startLine);
  if (!sl.ok) return sl;
  const partial: PartialMessage = { isRequest: sl.isRequest, headers: [] };
  if (sl.isRequest) {
    partial.method = sl.method;
    partial.uri = sl.uri;
  } else partial.status = sl.status;

  // Unfold continuation lines into their header, keeping the raw text.
  const fail = (code: ParseErrorCode, reason: string): MessageParseError => ({ ...parseError(code, reason), partial });
  const headers: HeaderField[] = [];
  for (const line of rawLines) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = headers[headers.length - 1];
      if (!last) return fail('bad-header', 'the first header line starts with whitespace');
      last.value = `${last.value} ${line.trim()}`.trim();
      last.raw = `${last.raw}\r\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return fail('bad-header', `header line without a name and colon: "${clip(line)}"`);
    const name = line.slice(0, colon).replace(/[ \t]+$/, '');
    if (!isToken(name)) return fail('bad-header', `invalid header name "${clip(name)}"`);
    headers.push({ name, value: line.slice(colon + 1).trim(), raw: line });
    if (headers.length > maxHeaders) return fail('too-many-headers', `more than ${maxHeaders} header lines`);
  }
  partial.headers = headers;

  if (sl.version.toUpperCase() !== 'SIP/2.0') return fail('bad-version', `unsupported protocol version ${sl.version}`);
  if (sl.isRequest) {
    const u = parseUri(sl.uri);
    if (!u.ok) return fail('bad-uri', `Request-URI: ${u.reason}`);
  }

  const count = new Map<string, number>();
  for (const h of headers) {
    const k = headerKey(h.name);
    count.set(k, (count.get(k) ?? 0) + (k === 'via' ? splitList(h.value).length : 1));
  }
  for (const k of REQUIRED) {
    if (!count.has(k)) return fail('missing-header', `required header ${displayName(k)} is missing`);
  }
  for (const k of SINGLE) {
    if ((count.get(k) ?? 0) > 1) return fail('bad-header', `header ${displayName(k)} appears more than once`);
  }
  if (sl.isRequest && !count.has('max-forwards')) warnings.push('request has no Max-Forwards');

  const value = (k: string) => headers.find((h) => headerKey(h.name) === k)?.value ?? '';
  for (const v of headers.filter((h) => headerKey(h.name) === 'via').flatMap((h) => splitList(h.value))) {
    const via = parseVia(v);
    if (!via.ok) return fail('bad-header', via.reason);
  }
  for (const k of ['from', 'to']) {
    const na = parseNameAddr(value(k));
    if (!na.ok) return fail('bad-header', `${displayName(k)}: ${na.reason}`);
  }
  if (value('call-id').length === 0 || /\s/.test(value('call-id'))) {
    return fail('bad-header', `Call-ID "${clip(value('call-id'))}" is empty or contains whitespace`);
  }
  const cseq = parseCSeq(value('cseq'));
  if (!cseq.ok) return fail('bad-header', cseq.reason);
  if (sl.isRequest && cseq.value.method !== sl.method) {
    return fail('cseq-mismatch', `CSeq method ${cseq.value.method} differs from the request method ${sl.method}`);
  }
  if (count.has('max-forwards')) {
    const mf = parseUnsigned(value('max-forwards'), 255, 'Max-Forwards');
    if (!mf.ok) return fail('bad-header', mf.reason);
  }

  let body = bodyBytes;
  if (count.has('content-length')) {
    const cl = parseUnsigned(value('content-length'), maxSize, 'Content-Length');
    if (!cl.ok) return fail('bad-content-length', cl.reason);
    if (cl.value > bodyBytes.length) {
      return fail('truncated-body', `Content-Length is ${cl.value} but only ${bodyBytes.length} body bytes arrived`);
    }
    if (cl.value < bodyBytes.length) {
      // RFC 3261 §18.3: bytes beyond Content-Length in a datagram are discarded.
      warnings.push(`${bodyBytes.length - cl.value} bytes after the body discarded`);
      body = bodyBytes.subarray(0, cl.value);
    }
  }

  const message = sl.isRequest
    ? new SipRequest(sl.method, sl.uri, headers, Buffer.from(body))
    : new SipResponse(sl.status, sl.reason, headers, Buffer.from(body));
  message.warnings = warnings;
  return { ok: true, message };
}

type StartLine =
  | { ok: true; isRequest: true; method: string; uri: string; version: string }
  | { ok: true; isRequest: false; status: number; reason: string; version: string };

/** Structure only; the version and the Request-URI are checked once the headers are read. */
function parseStartLine(line: string): StartLine | MessageParseError {
  if (/^[A-Za-z]+\/\d/.test(line)) {
    const m = /^([A-Za-z]+\/\d+\.\d+) (\d+) ([^\r\n]*)$/.exec(line);
    if (!m) return parseError('bad-start-line', `malformed status line "${clip(line)}"`);
    const status = Number(m[2]);
    if (m[2]!.length !== 3 || status < 100 || status > 699) {
      return parseError('bad-status', `status code ${m[2]} is not between 100 and 699`);
    }
    return { ok: true, isRequest: false, status, reason: m[3]!, version: m[1]! };
  }
  const parts = line.split(' ');
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) {
    return parseError('bad-start-line', `request line "${clip(line)}" is not "Method SP Request-URI SP SIP-Version"`);
  }
  const [method, uri, version] = parts as [string, string, string];
  if (!METHOD_RE.test(method)) return parseError('bad-start-line', `invalid method "${clip(method)}"`);
  if (!/^[A-Za-z]+\/\d+\.\d+$/.test(version)) return parseError('bad-start-line', `invalid SIP version "${clip(version)}"`);
  return { ok: true, isRequest: true, method, uri, version };
}

function displayName(key: string): string {
  return key.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase()).replace('Cseq', 'CSeq').replace('Id', 'ID');
}

function clip(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
