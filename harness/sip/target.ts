/**
 * Where a request goes: the next hop from a URI (RFC 3263 reduced to what a lab needs:
 * numeric addresses or names resolved by the system, the transport parameter, sips → TLS,
 * default ports 5060/5061). No DNS SRV/NAPTR: the harness is pointed at addresses.
 */
import { type ParseResult, parsed, parseError } from './parse-result.ts';
import type { SendTarget } from './transaction.ts';
import type { TransportProtocol } from './transport.ts';
import { getParam, isSipUri, parseUri } from './uri.ts';

/** Targets already worked out, by default protocol and URI text (bounded; a lab has few next hops). */
const known = new Map<string, SendTarget>();
const MAX_KNOWN = 512;

/** The last target worked out: a run of calls to one next hop does not build and hash a key each time. */
let last: { uriText: string; protocol: TransportProtocol; target: SendTarget } | undefined;

export function targetFromUri(
  uriText: string,
  defaultProtocol: TransportProtocol = 'UDP',
): ParseResult<SendTarget> {
  const l = last;
  if (l !== undefined && l.uriText === uriText && l.protocol === defaultProtocol) {
    const t = l.target;
    return parsed({ protocol: t.protocol, address: t.address, port: t.port });
  }
  const key = `${defaultProtocol}|${uriText}`;
  const hit = known.get(key);
  if (hit) last = { uriText, protocol: defaultProtocol, target: hit };
  // A fresh object each time: callers may keep or extend the target they get.
  if (hit) return parsed({ protocol: hit.protocol, address: hit.address, port: hit.port });
  const r = computeTarget(uriText, defaultProtocol);
  if (r.ok) {
    if (known.size >= MAX_KNOWN) known.clear();
    const kept = { protocol: r.value.protocol, address: r.value.address, port: r.value.port };
    known.set(key, kept);
    last = { uriText, protocol: defaultProtocol, target: kept };
  }
  return r;
}

function computeTarget(uriText: string, defaultProtocol: TransportProtocol): ParseResult<SendTarget> {
  const u = parseUri(uriText.replace(/^<|>$/g, ''));
  if (!u.ok) return u;
  const uri = u.value;
  if (!isSipUri(uri)) return parseError('bad-uri', `cannot send to a ${uri.scheme}: URI without a proxy`);
  const maddr = getParam(uri.params, 'maddr');
  const t = getParam(uri.params, 'transport')?.toUpperCase();
  let protocol: TransportProtocol = uri.scheme === 'sips' ? 'TLS' : defaultProtocol;
  if (t === 'TCP') protocol = uri.scheme === 'sips' ? 'TLS' : 'TCP';
  else if (t === 'TLS') protocol = 'TLS';
  else if (t === 'UDP') protocol = 'UDP';
  const port = uri.port ?? (protocol === 'TLS' ? 5061 : 5060);
  return parsed({ protocol, address: maddr ?? uri.host, port });
}
