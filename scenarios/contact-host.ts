/**
 * Whether a registered Contact names a given address (T-3: the provider holds a binding to the
 * SBC's WAN address). The Contact's host may be the address itself or a host name (RFC 3261
 * §19.1.1: hostport is a host name or an IP address); the provider resolves a name (RFC 3263),
 * so a name that resolves to the address names it as well. A name that cannot be resolved here
 * is not judged: the provider may resolve it with a DNS this machine does not see.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isSipUri, parseNameAddr, parseUri } from '../harness/sip/index.ts';

/** Every address a host name resolves to. */
export type ResolveHost = (host: string) => Promise<string[]>;

/** The longest wait for a host name to resolve, ms. */
const RESOLVE_MS = 3000;

/** The system's resolver (the hosts file first, then DNS, as getaddrinfo does). */
export const systemResolve: ResolveHost = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export type ContactAt =
  | { verdict: 'same' | 'other'; host: string; resolved?: string[] }
  | { verdict: 'unresolved'; host: string; why: string }
  | { verdict: 'unreadable' };

/** An address in one spelling (IPv6 compressed, lower case); anything else as it is. */
function canonical(a: string): string {
  if (isIP(a) !== 6) return a;
  try {
    return new URL(`http://[${a}]/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return a.toLowerCase();
  }
}

/** The host of a SIP or SIPS Contact (a URI, or a name-addr), brackets of an IPv6 reference taken off. */
export function contactHostOf(contact: string): string | undefined {
  const t = contact.trim();
  const na = parseNameAddr(t);
  const p = na.ok ? undefined : parseUri(t);
  const u = na.ok ? na.value.uri : p?.ok ? p.value : undefined;
  if (!u || !isSipUri(u)) return undefined;
  return u.host.replace(/^\[|\]$/g, '');
}

/** Whether `contact` names `address`: by its IP address, or by a host name that resolves to it. */
export async function contactAt(
  contact: string,
  address: string,
  resolve: ResolveHost = systemResolve,
): Promise<ContactAt> {
  const host = contactHostOf(contact);
  if (!host) return { verdict: 'unreadable' };
  const want = canonical(address);
  if (isIP(host) !== 0) return { verdict: canonical(host) === want ? 'same' : 'other', host };
  let timer: NodeJS.Timeout | undefined;
  try {
    const resolved = await Promise.race([
      resolve(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${RESOLVE_MS / 1000} s`)), RESOLVE_MS);
      }),
    ]);
    if (resolved.length === 0) return { verdict: 'unresolved', host, why: 'no address' };
    return { verdict: resolved.map(canonical).includes(want) ? 'same' : 'other', host, resolved };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { verdict: 'unresolved', host, why: err.code ?? err.message };
  } finally {
    clearTimeout(timer);
  }
}
