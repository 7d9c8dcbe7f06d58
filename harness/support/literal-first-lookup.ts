/**
 * The address lookup of our UDP sockets (SIP and RTP). dgram looks up every destination before
 * each send, by default with dns.lookup, which answers even an IP literal on the next tick; here
 * an IP literal is answered at once (the same answer dns.lookup gives: the address and its
 * family) and anything else goes to dns.lookup. A datagram to an IP literal then leaves within
 * its `send` call, in the order of the calls.
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
  dns.lookup(hostname, options as dns.LookupOneOptions, callback);
}
