/**
 * Where a request goes: the next hop from a URI (RFC 3263 reduced to what a lab needs:
 * numeric addresses or names resolved by the system, the transport parameter, sips → TLS,
 * default ports 5060/5061). No DNS SRV/NAPTR: the harness is pointed at addresses.
 */
import { type ParseResult, parsed, parseError } from './parse-result.ts';
import type { SendTarget } from './transaction.ts';
import type { TransportProtocol } from './transport.ts';
import { getParam, isSipUri, parseUri } from './uri.ts';

export function targetFromUri(
  uriText: string,
  defaultProtocol: TransportProtocol = 'UDP',
): ParseResult<SendTarget> {
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
