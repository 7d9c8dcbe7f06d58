/**
 * The sixteen DTMF digits and the numbers RFC 4733 gives them (§3.2, table 3: events 0-9 are
 * the digits, 10 is `*`, 11 is `#`, 12-15 are A-D), plus the ITU-T Q.23 frequency pair of each.
 */

/** One DTMF digit as written: 0-9, `*`, `#`, A-D (upper case). */
export type DtmfDigit =
  | '0'
  | '1'
  | '2'
  | '3'
  | '4'
  | '5'
  | '6'
  | '7'
  | '8'
  | '9'
  | '*'
  | '#'
  | 'A'
  | 'B'
  | 'C'
  | 'D';

/** Digits in RFC 4733 event-code order: `DTMF_DIGITS[code]` is the digit of event `code`. */
export const DTMF_DIGITS: readonly DtmfDigit[] = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  '*',
  '#',
  'A',
  'B',
  'C',
  'D',
];

/** ITU-T Q.23 low-group (row) frequencies in Hz. */
export const DTMF_LOW_FREQUENCIES: readonly number[] = [697, 770, 852, 941];
/** ITU-T Q.23 high-group (column) frequencies in Hz. */
export const DTMF_HIGH_FREQUENCIES: readonly number[] = [1209, 1336, 1477, 1633];

/** Keypad layout of Q.23: row = low-group index, column = high-group index. */
const KEYPAD: readonly (readonly DtmfDigit[])[] = [
  ['1', '2', '3', 'A'],
  ['4', '5', '6', 'B'],
  ['7', '8', '9', 'C'],
  ['*', '0', '#', 'D'],
];

/** True when `value` is one of the sixteen digits (upper case only). */
export function isDtmfDigit(value: string): value is DtmfDigit {
  return value.length === 1 && (DTMF_DIGITS as readonly string[]).includes(value);
}

/** Normalises a single character (a-d accepted as A-D) to a digit, or undefined. */
export function toDtmfDigit(value: string): DtmfDigit | undefined {
  const upper = value.toUpperCase();
  return isDtmfDigit(upper) ? upper : undefined;
}

/** RFC 4733 event code (0-15) of a digit. */
export function dtmfEventCode(digit: DtmfDigit): number {
  return DTMF_DIGITS.indexOf(digit);
}

/** Digit of an RFC 4733 event code, or undefined when the code is not 0-15. */
export function dtmfDigitOfEvent(code: number): DtmfDigit | undefined {
  return Number.isInteger(code) && code >= 0 && code < 16 ? DTMF_DIGITS[code] : undefined;
}

/** The Q.23 frequency pair of a digit. */
export function dtmfFrequencies(digit: DtmfDigit): { low: number; high: number } {
  for (let row = 0; row < 4; row++) {
    const col = KEYPAD[row]!.indexOf(digit);
    if (col >= 0) return { low: DTMF_LOW_FREQUENCIES[row]!, high: DTMF_HIGH_FREQUENCIES[col]! };
  }
  // Unreachable for a DtmfDigit; kept total for the type checker.
  throw new RangeError(`not a DTMF digit: ${digit}`);
}

/** Digit at a (row, column) position of the keypad, both 0-3. */
export function dtmfDigitAt(row: number, col: number): DtmfDigit | undefined {
  return KEYPAD[row]?.[col];
}
