/**
 * Parsing never throws in the SIP stack: every parser returns either a value or a typed
 * error that names what was wrong, so bad input from the network becomes evidence.
 */
export type ParseErrorCode =
  | 'empty'
  | 'too-large'
  | 'bad-start-line'
  | 'bad-version'
  | 'bad-status'
  | 'bad-uri'
  | 'bad-header'
  | 'missing-header'
  | 'bad-content-length'
  | 'truncated-body'
  | 'cseq-mismatch'
  | 'bad-value'
  | 'too-many-headers';

export interface ParseError {
  ok: false;
  code: ParseErrorCode;
  /** A sentence for a log or an evidence record: what was wrong, and where. */
  reason: string;
}

export type ParseResult<T> = { ok: true; value: T } | ParseError;

export function parseError(code: ParseErrorCode, reason: string): ParseError {
  return { ok: false, code, reason };
}

export function parsed<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}
