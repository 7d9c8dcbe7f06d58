/**
 * The SIP message model: a start line, header fields in their original order and spelling,
 * and a body. Parsed messages keep each header's raw text, so an untouched message serializes
 * back byte for byte; typed accessors read the common headers on demand.
 */
import { ownCopy } from '../support/own-copy.ts';
import { canonicalName, fieldKey, headerKey, isListHeader } from './header-names.ts';
import {
  type ContentType,
  type CSeq,
  firstListElement,
  type NameAddr,
  parseContentType,
  parseCSeq,
  parseNameAddr,
  parseNameAddrList,
  parseTokenList,
  parseUnsigned,
  parseVia,
  splitList,
  type Via,
} from './header-values.ts';
import type { ParseResult } from './parse-result.ts';
import { getParam, parseUri, type Uri } from './uri.ts';

export interface HeaderField {
  /** The name as written ("Via", "v", "CALL-ID"). */
  name: string;
  /** The value with line folding replaced by a single space, trimmed. */
  value: string;
  /** The exact text of the header line(s) as received, for byte-exact re-serialization. */
  raw?: string;
  /**
   * headerKey(name), stored by the parser and by the message's own setters (append, set,
   * prepend, replaceField, removeFirst) so that lookups need not compute it; absent on lines
   * made otherwise (fieldKey computes it then). Must match `name`: a line renamed is a new line.
   */
  key?: string;
}

export interface SerializeOptions {
  /**
   * "auto" (default): Content-Length is set to the body's length (added when absent).
   * "as-is": headers are written exactly as they are, for deliberately malformed messages.
   */
  contentLength?: 'auto' | 'as-is';
}

/** A shared empty body (zero bytes cannot be written to), so bodiless messages allocate none. */
const EMPTY_BODY = Buffer.alloc(0);

/** Marks a cache slot not computed yet (undefined is a valid cached result). */
const UNSET: unique symbol = Symbol('unset');

type CacheKey = 'via' | 'from' | 'to' | 'call-id' | 'cseq' | 'contact' | 'route' | 'record-route';
const CACHE_SLOT: Record<string, number | undefined> = Object.assign(Object.create(null), {
  via: 0,
  from: 1,
  to: 2,
  'call-id': 3,
  cseq: 4,
  contact: 5,
  route: 6,
  'record-route': 7,
});

function okOrUndefined<T>(r: ParseResult<T> | undefined): T | undefined {
  return r?.ok ? r.value : undefined;
}

const computeFrom = (m: SipMessageBase) => okOrUndefined(m.parseOne('from', parseNameAddr));
const computeTo = (m: SipMessageBase) => okOrUndefined(m.parseOne('to', parseNameAddr));
const computeCallId = (m: SipMessageBase) => m.get('call-id');
const computeCSeq = (m: SipMessageBase) => okOrUndefined(m.parseOne('cseq', parseCSeq));

/** The warnings of a message that has none (shared: nothing is added to a message's warnings later). */
const NO_WARNINGS: readonly string[] = Object.freeze([]);

abstract class SipMessageBase {
  headers: HeaderField[];
  body: Buffer;
  /** Deviations the parser tolerated (bare LF line ends, missing Max-Forwards, ...); none: a shared empty list. */
  warnings: readonly string[] = NO_WARNINGS;
  /** Typed values computed from the headers, one slot per header key (CACHE_SLOT); created on first use. */
  private cache: unknown[] | undefined;

  constructor(headers: HeaderField[] = [], body: Buffer = EMPTY_BODY) {
    this.headers = headers;
    this.body = body;
  }

  abstract get isRequest(): boolean;
  abstract startLine(): string;

  /** The first value of a header (compact forms and case ignored); for list headers, the first element. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const h of this.headers) {
      if (fieldKey(h) === key) return isListHeader(key) ? firstListElement(h.value) : h.value;
    }
    return undefined;
  }

  /** Every value of a header, list headers split into their elements, in order. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const list = isListHeader(key);
    const out: string[] = [];
    for (const h of this.headers) {
      if (fieldKey(h) !== key) continue;
      if (list) out.push(...splitList(h.value));
      else out.push(h.value);
    }
    return out;
  }

  /** The header lines with this name, unsplit. */
  fields(name: string): HeaderField[] {
    const key = headerKey(name);
    const out: HeaderField[] = [];
    for (const h of this.headers) if (fieldKey(h) === key) out.push(h);
    return out;
  }

  /** The first header line with this name, unsplit. */
  field(name: string): HeaderField | undefined {
    const key = headerKey(name);
    for (const h of this.headers) if (fieldKey(h) === key) return h;
    return undefined;
  }

  has(name: string): boolean {
    return this.field(name) !== undefined;
  }

  /** Replaces every line of this header by one line with `value`, where the first one stood (or at the end). */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const idx = this.headers.findIndex((h) => fieldKey(h) === key);
    const spelled = idx >= 0 ? this.headers[idx]!.name : canonicalName(name);
    this.headers = this.headers.filter((h, i) => i === idx || fieldKey(h) !== key);
    if (idx >= 0)
      this.headers[this.headers.findIndex((h) => fieldKey(h) === key)] = { name: spelled, value, key };
    else this.headers.push({ name: spelled, value, key });
    this.invalidate(key);
    return this;
  }

  /** Adds a header line after the existing ones. */
  append(name: string, value: string): this {
    // The line carries its key, as the parser's lines do: the message's lookups then read it
    // instead of looking the name up (fieldKey), a hundred times and more per call.
    const key = headerKey(name);
    this.headers.push({ name, value, key });
    this.invalidate(key);
    return this;
  }

  /** Adds a header line before the first line of the same header (Via, Record-Route), or at the top. */
  prepend(name: string, value: string): this {
    const key = headerKey(name);
    const idx = this.headers.findIndex((h) => fieldKey(h) === key);
    this.headers.splice(Math.max(idx, 0), 0, { name, value, key });
    this.invalidate(key);
    return this;
  }

  remove(name: string): this {
    const key = headerKey(name);
    this.headers = this.headers.filter((h) => fieldKey(h) !== key);
    this.invalidate(key);
    return this;
  }

  /** Replaces one header line (by object identity) with a new value; its raw text is dropped. */
  replaceField(field: HeaderField, value: string): this {
    const idx = this.headers.indexOf(field);
    const key = fieldKey(field);
    if (idx >= 0) this.headers[idx] = { name: field.name, value, key };
    this.invalidate(key);
    return this;
  }

  /** Removes the first element of a list header (the top Via when a response goes upstream). */
  removeFirst(name: string): this {
    const key = headerKey(name);
    const idx = this.headers.findIndex((h) => fieldKey(h) === key);
    if (idx < 0) return this;
    const h = this.headers[idx]!;
    const rest = splitList(h.value).slice(1);
    if (rest.length === 0) this.headers.splice(idx, 1);
    else this.headers[idx] = { name: h.name, value: rest.join(', '), key };
    this.invalidate(key);
    return this;
  }

  /** Every cached value derives from the header lines of one key; a change to them drops it. */
  private invalidate(key: string): void {
    const slot = CACHE_SLOT[key];
    if (slot !== undefined && this.cache) this.cache[slot] = UNSET;
  }

  private cached<T>(key: CacheKey, compute: (m: this) => T): T {
    const slot = CACHE_SLOT[key]!;
    if (!this.cache) this.cache = [UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET];
    const v = this.cache[slot];
    if (v !== UNSET) return v as T;
    const computed = compute(this);
    this.cache[slot] = computed;
    return computed;
  }

  /**
   * For the SIP stack itself (parser, transport): stores the typed value of a header that is
   * already parsed, so the accessor does not parse it again. `key` is a header key ("via",
   * "from", "to", "cseq", "contact", "call-id"), and `value` what that accessor would compute
   * from the current header lines.
   * @internal
   */
  primeCache(key: 'via' | 'from' | 'to' | 'cseq' | 'contact' | 'call-id', value: unknown): void {
    if (!this.cache) this.cache = [UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET];
    this.cache[CACHE_SLOT[key]!] = value;
  }

  /**
   * For the SIP stack itself (transport): drops the typed values computed so far. They are
   * recomputed from the header lines on the next access, with the same result, so nothing
   * changes for a reader; a message kept after it was handled (by the TU, by a dialog) then
   * holds its header lines only, not their parsed form too.
   * @internal
   */
  releaseCache(): void {
    this.cache = undefined;
  }

  /**
   * For the SIP stack itself (transactions): makes the text of the header lines the message's
   * own, so that a message kept long (a final response a transaction may send again for 64*T1)
   * does not keep the whole header text of the message its values were copied from (V8 keeps
   * the parent of a substring). The lines read and serialize exactly as before.
   * @internal
   */
  ownHeaderText(): void {
    const hs = this.headers;
    for (let i = 0; i < hs.length; i++) {
      const h = hs[i]!;
      hs[i] =
        h.raw === undefined
          ? { name: h.name, value: ownCopy(h.value) }
          : { name: h.name, value: ownCopy(h.value), raw: ownCopy(h.raw) };
    }
    this.cache = undefined;
  }

  private okOrUndefined<T>(r: ParseResult<T> | undefined): T | undefined {
    return okOrUndefined(r);
  }

  /** All Via values, top first. Undefined when one is malformed. */
  get vias(): Via[] | undefined {
    return this.cached('via', (m) => {
      const out: Via[] = [];
      for (const v of m.getAll('via')) {
        const p = parseVia(v);
        if (!p.ok) return undefined;
        out.push(p.value);
      }
      return out;
    });
  }

  get topVia(): Via | undefined {
    return this.vias?.[0];
  }

  /** The branch parameter of the top Via. */
  get branch(): string | undefined {
    const v = this.topVia;
    return v ? (getParam(v.params, 'branch') ?? undefined) : undefined;
  }

  get from(): NameAddr | undefined {
    return this.cached('from', computeFrom);
  }

  get to(): NameAddr | undefined {
    return this.cached('to', computeTo);
  }

  get fromTag(): string | undefined {
    const f = this.from;
    return f ? (getParam(f.params, 'tag') ?? undefined) : undefined;
  }

  get toTag(): string | undefined {
    const t = this.to;
    return t ? (getParam(t.params, 'tag') ?? undefined) : undefined;
  }

  get callId(): string | undefined {
    return this.cached('call-id', computeCallId);
  }

  get cseq(): CSeq | undefined {
    return this.cached('cseq', computeCSeq);
  }

  /** Contact addresses; `[]` when absent or "*" (see `isWildcardContact`). */
  get contacts(): NameAddr[] {
    return this.cached('contact', (m) => {
      if (m.isWildcardContact) return [];
      return okOrUndefined(parseNameAddrList(m.getAll('contact'))) ?? [];
    });
  }

  get isWildcardContact(): boolean {
    return this.getAll('contact').some((c) => c.trim() === '*');
  }

  get routes(): NameAddr[] {
    return this.cached('route', (m) => okOrUndefined(parseNameAddrList(m.getAll('route'))) ?? []);
  }

  get recordRoutes(): NameAddr[] {
    return this.cached(
      'record-route',
      (m) => okOrUndefined(parseNameAddrList(m.getAll('record-route'))) ?? [],
    );
  }

  get maxForwards(): number | undefined {
    return this.okOrUndefined(this.parseOne('max-forwards', (v) => parseUnsigned(v, 255, 'Max-Forwards')));
  }

  get contentType(): ContentType | undefined {
    return this.okOrUndefined(this.parseOne('content-type', parseContentType));
  }

  get contentLength(): number | undefined {
    return this.okOrUndefined(
      this.parseOne('content-length', (v) => parseUnsigned(v, 2 ** 31 - 1, 'Content-Length')),
    );
  }

  get expires(): number | undefined {
    return this.okOrUndefined(this.parseOne('expires', (v) => parseUnsigned(v, 2 ** 32 - 1, 'Expires')));
  }

  get referTo(): NameAddr | undefined {
    return this.okOrUndefined(this.parseOne('refer-to', parseNameAddr));
  }

  get referredBy(): NameAddr | undefined {
    return this.okOrUndefined(this.parseOne('referred-by', parseNameAddr));
  }

  get pAssertedIdentities(): NameAddr[] {
    return this.okOrUndefined(parseNameAddrList(this.getAll('p-asserted-identity'))) ?? [];
  }

  get diversions(): NameAddr[] {
    return this.okOrUndefined(parseNameAddrList(this.getAll('diversion'))) ?? [];
  }

  /** Option tags and method lists: `tokens('supported')`, `tokens('allow')`. */
  tokens(name: 'supported' | 'require' | 'allow' | 'unsupported' | 'proxy-require' | string): string[] {
    return this.okOrUndefined(parseTokenList(this.getAll(name))) ?? [];
  }

  /** Parses the first value of a header with `parser`; undefined when the header is absent. */
  parseOne<T>(name: string, parser: (v: string) => ParseResult<T>): ParseResult<T> | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : parser(v);
  }

  /** The body as UTF-8 text. */
  get bodyText(): string {
    return this.body.toString('utf8');
  }

  toBuffer(opts: SerializeOptions = {}): Buffer {
    const auto = (opts.contentLength ?? 'auto') === 'auto';
    const bodyLength = this.body.length;
    let head = `${this.startLine()}\r\n`;
    let sawLength = false;
    for (const h of this.headers) {
      if (auto && !sawLength && fieldKey(h) === 'content-length') {
        // The first Content-Length states the body's length; its text stays when it already does.
        sawLength = true;
        if (!sameLength(h.value, bodyLength)) {
          head += `${h.name}: ${bodyLength}\r\n`;
          continue;
        }
      }
      head += `${h.raw ?? `${h.name}: ${h.value}`}\r\n`;
    }
    if (auto && !sawLength) head += `Content-Length: ${bodyLength}\r\n`;
    head += '\r\n';
    if (bodyLength === 0) return Buffer.from(head, 'utf8');
    const headLength = Buffer.byteLength(head, 'utf8');
    const out = Buffer.allocUnsafe(headLength + bodyLength);
    out.write(head, 0, 'utf8');
    this.body.copy(out, headLength);
    return out;
  }

  toString(): string {
    return this.toBuffer().toString('utf8');
  }
}

/** True when a Content-Length value states `length` (leading zeros and LWS allowed), so its raw text can stay. */
function sameLength(value: string, length: number): boolean {
  if (value.length < 12 && value === String(length)) return true;
  const r = parseUnsigned(value, 2 ** 53 - 1, 'Content-Length');
  return r.ok && r.value === length;
}

export class SipRequest extends SipMessageBase {
  method: string;
  /** The Request-URI as text. */
  uri: string;
  version = 'SIP/2.0';

  constructor(method: string, uri: string, headers: HeaderField[] = [], body?: Buffer) {
    super(headers, body);
    this.method = method;
    this.uri = uri;
  }

  get isRequest(): true {
    return true;
  }

  get parsedUri(): Uri | undefined {
    const r = parseUri(this.uri);
    return r.ok ? r.value : undefined;
  }

  startLine(): string {
    return `${this.method} ${this.uri} ${this.version}`;
  }

  /** A deep copy (headers and body), e.g. for a retransmission that must not change. */
  clone(): SipRequest {
    const c = new SipRequest(
      this.method,
      this.uri,
      this.headers.map((h) => ({ ...h })),
      Buffer.from(this.body),
    );
    c.version = this.version;
    return c;
  }
}

export class SipResponse extends SipMessageBase {
  status: number;
  reason: string;
  version = 'SIP/2.0';

  constructor(status: number, reason: string, headers: HeaderField[] = [], body?: Buffer) {
    super(headers, body);
    this.status = status;
    this.reason = reason;
  }

  get isRequest(): false {
    return false;
  }

  startLine(): string {
    return `${this.version} ${this.status} ${this.reason}`;
  }

  clone(): SipResponse {
    const c = new SipResponse(
      this.status,
      this.reason,
      this.headers.map((h) => ({ ...h })),
      Buffer.from(this.body),
    );
    c.version = this.version;
    return c;
  }
}

export type SipMessage = SipRequest | SipResponse;
