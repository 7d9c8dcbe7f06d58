/**
 * Whether two phone numbers name the same line, whatever form each is written in: E.164 with
 * "+", international with "00", national with the trunk prefix "0", or digits alone; with or
 * without visual separators (RFC 3966 §5.1.1: "-", ".", "(", ")"; and spaces or "/" as people
 * write them). The provider simulator matches the Request-URI or To of a call from the SBC to
 * its phones, and a Refer-To to a DID of the line, this way: an SBC may send "030123456" for a
 * profile's "+4930123456", or the reverse.
 *
 * A user that is not a number (a line user such as "sbc-line") only matches itself, case and all
 * (RFC 3261 §19.1.4: the user part compares case-sensitively).
 */

/** The numbering plan a number is read in (the provider's country). */
export interface NumberingPlan {
  /** Country code without "+" (default "49"). */
  countryCode?: string;
  /** National trunk prefix (default "0"). */
  nationalPrefix?: string;
  /** International prefix (default "00"). */
  internationalPrefix?: string;
}

/**
 * A comparison key: the international digits (country code first) for a number in any form,
 * the digits alone when the form says nothing of the country, and the text itself for a user
 * that is not a number.
 */
export function numberKey(raw: string, plan: NumberingPlan = {}): string {
  const text = String(raw ?? '').trim();
  const n = text.replace(/[\s\-./()]/g, '');
  if (!/^\+?[0-9*#]+$/.test(n)) return text;
  const cc = plan.countryCode ?? '49';
  const nat = plan.nationalPrefix ?? '0';
  const intl = plan.internationalPrefix ?? '00';
  if (n.startsWith('+')) return n.slice(1);
  if (intl && n.startsWith(intl)) return n.slice(intl.length);
  if (nat && n.startsWith(nat) && n.length > nat.length) return cc + n.slice(nat.length);
  return n;
}

/** True when `a` and `b` name the same number in `plan` (see {@link numberKey}). */
export function sameNumber(a: string, b: string, plan: NumberingPlan = {}): boolean {
  return numberKey(a, plan) === numberKey(b, plan);
}
