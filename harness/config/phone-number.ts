/**
 * The forms a profile may give a phone number or a SIP line user in, as real SBCs and providers
 * write them, and the one form the harness puts on the wire.
 *
 * Numbers (`provider.line.number`, DIDs, PSTN phones, the IVR): E.164 with "+" ("+4930123456"),
 * international with "00" ("004930123456"), national with the trunk prefix ("030123456"), or
 * digits alone; "*" and "#" for service codes. Spaces, "-", "/", "." and parentheses may separate
 * groups ("+49 30 123456", "030/123 456", "(030) 123-456"), and "+49 (0)30 …" marks the trunk
 * prefix that is dropped after a country code. The profile keeps the number as digits with
 * its leading "+" or prefix (separators removed), which is a valid SIP URI user part.
 *
 * A line user is a SIP URI user part (RFC 3261 §25.1 `user`): a name ("sbc-line", "lancom01") or
 * a number, letters, digits, `-_.!~*'()&=+$,;?/` and %XX escapes; no spaces, no "@" or ":".
 */

/** The wire form of a number written as a profile may write it, or undefined when it is not a number. */
export function canonicalPhoneNumber(raw: string): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let s = raw.trim();
  // "+49 (0)30 …": the (0) is the national trunk prefix, not dialled after the country code.
  s = s.replace(/^(\+\d{1,3})\s*\(0\)\s*/, '$1');
  s = s.replace(/[\s\-/.()]/g, '');
  return /^\+?[0-9*#]{1,32}$/.test(s) ? s : undefined;
}

/** Explains what {@link canonicalPhoneNumber} accepts, for a profile error. */
export const PHONE_NUMBER_FORMS =
  'expected a phone number: digits with an optional leading + ("+4930123456", "030123456", "004930123456"); spaces, -, /, . and ( ) may separate groups';

const SIP_USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;

/** True when `user` may stand as the user part of a SIP URI (RFC 3261 §25.1). */
export function isSipUser(user: string): boolean {
  return typeof user === 'string' && user.length <= 128 && SIP_USER.test(user);
}

/** Explains what {@link isSipUser} accepts, for a profile error. */
export const SIP_USER_FORMS =
  "expected a SIP user: a name such as sbc-line or a number; letters, digits, -_.!~*'()&=+$,;?/ or %XX escapes, no spaces, @ or :";
