/**
 * DTMF carried in SIP INFO request bodies.
 *
 * `application/dtmf-relay` (the de-facto format, no RFC):
 * ```
 * Signal=5
 * Duration=160
 * ```
 * What the parser accepts:
 * - lines separated by CRLF, LF or CR; blank lines ignored; keys case-insensitive; spaces or
 *   tabs around the key, the `=` and the value;
 * - `Signal`: one of 0-9, `*`, `#`, A-D (a-d accepted), or the RFC 4733 event numbers 10-15
 *   that some implementations send instead of `*`, `#`, A-D (10 = `*`, 11 = `#`, 12-15 = A-D);
 * - `Duration`: optional, a non-negative integer in milliseconds (up to 3 600 000);
 * - other keys are kept in `extra` and otherwise ignored; a repeated `Signal` is an error.
 *
 * `application/dtmf`: the body is one digit (0-9, `*`, `#`, A-D, a-d), surrounding whitespace
 * allowed; the numbers 10-15 are accepted too, for the same reason as above.
 *
 * Parsers never throw: they return `{ ok: true, value }` or `{ ok: false, error }`.
 */
import { type DtmfDigit, dtmfDigitOfEvent, toDtmfDigit } from './dtmf-digit.ts';

/** A digit carried by a SIP INFO body. */
export interface SipInfoDtmf {
  digit: DtmfDigit;
  /** Duration in ms when the body gives one (dtmf-relay only). */
  durationMs?: number;
  /** Unknown `key=value` lines of a dtmf-relay body, keys lower-cased. */
  extra?: Record<string, string>;
}

/** Why a body was refused. */
export interface SipInfoDtmfError {
  code:
    | 'empty'
    | 'missing-signal'
    | 'bad-signal'
    | 'duplicate-signal'
    | 'bad-duration'
    | 'bad-line'
    | 'unsupported-content-type'
    | 'too-large';
  message: string;
}

/** Result of the parsers. */
export type SipInfoDtmfResult = { ok: true; value: SipInfoDtmf } | { ok: false; error: SipInfoDtmfError };

/** Content type of the Signal=/Duration= body. */
export const DTMF_RELAY_CONTENT_TYPE = 'application/dtmf-relay';
/** Content type of the single-digit body. */
export const DTMF_CONTENT_TYPE = 'application/dtmf';

const MAX_BODY = 4096;
const MAX_DURATION_MS = 3_600_000;

/** Parses a signal value: a digit character or an event number 0-15. */
export function parseDtmfSignal(raw: string): DtmfDigit | undefined {
  const value = raw.trim();
  if (value.length === 1) return toDtmfDigit(value);
  if (/^\d{1,2}$/.test(value)) return dtmfDigitOfEvent(Number(value));
  return undefined;
}

/** Parses an `application/dtmf-relay` body. */
export function parseDtmfRelayBody(body: string | Uint8Array): SipInfoDtmfResult {
  const text = asText(body);
  if (text === undefined) return fail('too-large', `body larger than ${MAX_BODY} bytes`);
  if (text.trim() === '') return fail('empty', 'empty dtmf-relay body');
  let digit: DtmfDigit | undefined;
  let durationMs: number | undefined;
  const extra: Record<string, string> = {};
  for (const rawLine of text.split(/\r\n|\n|\r/)) {
    const line = rawLine.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return fail('bad-line', `expected key=value, got ${JSON.stringify(line.slice(0, 40))}`);
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key === 'signal') {
      if (digit !== undefined) return fail('duplicate-signal', 'Signal given twice');
      digit = parseDtmfSignal(value);
      if (digit === undefined)
        return fail('bad-signal', `Signal=${JSON.stringify(value.slice(0, 20))} is not a DTMF digit`);
    } else if (key === 'duration') {
      if (!/^\d{1,7}$/.test(value) || Number(value) > MAX_DURATION_MS) {
        return fail(
          'bad-duration',
          `Duration=${JSON.stringify(value.slice(0, 20))} is not an integer 0..${MAX_DURATION_MS}`,
        );
      }
      durationMs = Number(value);
    } else {
      extra[key] = value;
    }
  }
  if (digit === undefined) return fail('missing-signal', 'no Signal= line');
  const value: SipInfoDtmf = { digit };
  if (durationMs !== undefined) value.durationMs = durationMs;
  if (Object.keys(extra).length > 0) value.extra = extra;
  return { ok: true, value };
}

/** Parses an `application/dtmf` body (one digit). */
export function parseDtmfBody(body: string | Uint8Array): SipInfoDtmfResult {
  const text = asText(body);
  if (text === undefined) return fail('too-large', `body larger than ${MAX_BODY} bytes`);
  const value = text.trim();
  if (value === '') return fail('empty', 'empty dtmf body');
  const digit = parseDtmfSignal(value);
  if (digit === undefined)
    return fail('bad-signal', `${JSON.stringify(value.slice(0, 20))} is not a DTMF digit`);
  return { ok: true, value: { digit } };
}

/**
 * Parses either body according to its Content-Type (case-insensitive, parameters such as
 * `;charset=...` ignored); any other type is an `unsupported-content-type` error.
 */
export function parseSipInfoDtmf(contentType: string, body: string | Uint8Array): SipInfoDtmfResult {
  const type = String(contentType ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type === DTMF_RELAY_CONTENT_TYPE) return parseDtmfRelayBody(body);
  if (type === DTMF_CONTENT_TYPE) return parseDtmfBody(body);
  return fail('unsupported-content-type', `not a DTMF body: ${JSON.stringify(type.slice(0, 60))}`);
}

/** Builds an `application/dtmf-relay` body: `Signal=<digit>\r\nDuration=<ms>\r\n`. */
export function buildDtmfRelayBody(digit: DtmfDigit, durationMs = 160): string {
  const duration = Number.isFinite(durationMs)
    ? Math.min(MAX_DURATION_MS, Math.max(0, Math.round(durationMs)))
    : 160;
  return `Signal=${digit}\r\nDuration=${duration}\r\n`;
}

/** Builds an `application/dtmf` body: the digit alone. */
export function buildDtmfBody(digit: DtmfDigit): string {
  return digit;
}

function asText(body: string | Uint8Array): string | undefined {
  if (body instanceof Uint8Array) {
    if (body.length > MAX_BODY) return undefined;
    return new TextDecoder('utf-8', { fatal: false }).decode(body);
  }
  const text = typeof body === 'string' ? body : String(body ?? '');
  return text.length > MAX_BODY ? undefined : text;
}

function fail(code: SipInfoDtmfError['code'], message: string): SipInfoDtmfResult {
  return { ok: false, error: { code, message } };
}
