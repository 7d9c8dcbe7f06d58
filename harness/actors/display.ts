/**
 * What an OXO deskphone would show for an incoming call: a name and a number, taken from
 * P-Asserted-Identity (preferred) or From, after the PBX's number normalisation: the country
 * code of the installation becomes the national prefix (+49 30… → 030…), other countries get
 * the international prefix (+44… → 0044…), and an optional outside-line prefix is added so the
 * number can be called back. A "check display" compares this with what the caller sent.
 */
import { parseNameAddr } from '../sip/index.ts';

/** Number normalisation of the PBX. */
export interface DisplayOptions {
  /** Country code of the installation, digits only (default "49"). */
  countryCode?: string;
  /** National (trunk) prefix (default "0"). */
  nationalPrefix?: string;
  /** International prefix (default "00"). */
  internationalPrefix?: string;
  /** Added in front of external numbers so the display can be dialled back (default "": none). */
  outsideLinePrefix?: string;
  /** Prefer P-Asserted-Identity over From (default true). */
  preferAssertedIdentity?: boolean;
  /** Numbers at most this long are internal and left alone (default 4). */
  internalMaxDigits?: number;
}

/** One line of the display. */
export interface DisplayLine {
  /** The display name, when the caller sent one. */
  name?: string;
  /** The number after normalisation ("" when anonymous / none). */
  number: string;
  /** The number as it came. */
  raw: string;
  /** Which header gave it. */
  source: 'p-asserted-identity' | 'from' | 'none';
  /** True when the caller asked for privacy or sent an anonymous identity. */
  anonymous: boolean;
}

/** The number of a SIP or tel URI's user part with visual separators removed. */
function userOf(value: string): { user: string; name?: string } | undefined {
  const na = parseNameAddr(value);
  if (!na.ok) return undefined;
  const u = na.value.uri;
  const raw = 'user' in u ? (u.user ?? '') : 'number' in u ? u.number : '';
  const user = raw.replace(/[-.() ]/g, '');
  return na.value.displayName !== undefined ? { user, name: na.value.displayName } : { user };
}

/** Normalises a dialable number per `opts` (see the module comment). Non-numbers are returned as is. */
export function normaliseNumber(raw: string, opts: DisplayOptions = {}): string {
  const cc = opts.countryCode ?? '49';
  const nat = opts.nationalPrefix ?? '0';
  const intl = opts.internationalPrefix ?? '00';
  const outside = opts.outsideLinePrefix ?? '';
  const internalMax = opts.internalMaxDigits ?? 4;
  const n = raw.replace(/[-.() ]/g, '');
  if (!/^\+?\d+$/.test(n)) return raw;
  let e164: string | undefined;
  if (n.startsWith('+')) e164 = n.slice(1);
  else if (intl && n.startsWith(intl)) e164 = n.slice(intl.length);
  let national: string;
  if (e164 !== undefined) national = e164.startsWith(cc) ? nat + e164.slice(cc.length) : intl + e164;
  else if (n.length <= internalMax) return n;
  else national = n;
  return outside + national;
}

/**
 * The display line for an incoming call with these header values. Never throws: unparsable
 * headers give an empty number with source 'none'.
 */
export function displayFor(
  headers: { from?: string; pAssertedIdentity?: string; privacy?: string },
  opts: DisplayOptions = {},
): DisplayLine {
  const preferPai = opts.preferAssertedIdentity ?? true;
  const order: Array<['p-asserted-identity' | 'from', string | undefined]> = preferPai
    ? [
        ['p-asserted-identity', headers.pAssertedIdentity],
        ['from', headers.from],
      ]
    : [
        ['from', headers.from],
        ['p-asserted-identity', headers.pAssertedIdentity],
      ];
  const privacy = (headers.privacy ?? '').toLowerCase();
  const askedPrivacy = /\b(id|user|header)\b/.test(privacy);
  for (const [source, value] of order) {
    if (!value) continue;
    const p = userOf(value);
    if (!p) continue;
    const anonymous = askedPrivacy || /^anonymous$/i.test(p.user) || /anonymous/i.test(p.name ?? '');
    if (anonymous) return { number: '', raw: p.user, source, anonymous: true };
    // The name comes from the same header, else from the other one.
    let name = p.name;
    if (name === undefined) {
      const other = order.find(([s]) => s !== source)?.[1];
      if (other) name = userOf(other)?.name;
    }
    return {
      ...(name !== undefined && name !== '' ? { name } : {}),
      number: normaliseNumber(p.user, opts),
      raw: p.user,
      source,
      anonymous: false,
    };
  }
  return { number: '', raw: '', source: 'none', anonymous: askedPrivacy };
}
