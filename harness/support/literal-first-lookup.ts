/**
 * The address lookup of our UDP sockets (SIP and RTP). dgram looks up every destination before
 * each send, by default with dns.lookup, which answers even an IP literal on the next tick; here
 * an IP literal is answered at once (the same answer dns.lookup gives: the address and its
 * family) and anything else goes to dns.lookup. A datagram to an IP literal then leaves within
 * its `send` call, in the order of the calls. The last address each host name resolved to is
 * kept ({@link resolvedName}), so that a flow to a name (a Contact with a host name, RFC 3261
 * §19.1.1) is recorded with the address the datagram went to, as a capture needs it.
 */
import dns from 'node:dns';
import net from 'node:net';

export function literalFirstLookup(
  hostname: string,
  options: dns.LookupOneOptions | number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = net.isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dns.lookup(hostname, options as dns.LookupOneOptions, (err, address, fam) => {
    if (!err && typeof address === 'string') {
      const key = `${fam}|${hostname}`;
      if (resolved.size >= MAX_NAMES && !resolved.has(key)) resolved.clear();
      resolved.set(key, address);
    }
    callback(err, address, fam);
  });
}

/** Host names kept at most (a run talks to a handful). */
const MAX_NAMES = 256;
const resolved = new Map<string, string>();

/**
 * The address of `family` (4 or 6) that `host` last resolved to in a send of ours; undefined
 * for an IP literal or a name not yet resolved.
 */
export function resolvedName(host: string, family: number): string | undefined {
  return resolved.get(`${family}|${host}`);
}
