/**
 * Where RTP/RTCP port pairs come from, and binding one UDP socket so that a failed bind never
 * leaves its socket open.
 *
 * The default range, 20000–32766 (RTP on the even ports, RTCP on the odd one above), lies below
 * Linux's default ephemeral range (net.ipv4.ip_local_port_range, 32768–60999): a port the kernel
 * hands out to an outgoing connection or an unbound UDP socket can no longer collide with a
 * media port, and a bind failure (EADDRINUSE) stays rare. A host whose ephemeral range was
 * widened below 32768 should narrow one of the two (docs/limits.md).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { literalFirstLookup } from '../../support/literal-first-lookup.ts';

/** An inclusive range of UDP ports for RTP (even) and RTCP (RTP + 1). */
export interface RtpPortRange {
  min: number;
  max: number;
}

/** 20000–32766: outside Linux's default ephemeral ports (32768–60999). */
export const DEFAULT_RTP_PORT_RANGE: Readonly<RtpPortRange> = Object.freeze({ min: 20000, max: 32766 });

/** A random even port of `range` whose RTCP port (+1) is still inside it. */
export function randomRtpPort(range: RtpPortRange = DEFAULT_RTP_PORT_RANGE): number {
  const first = range.min + (range.min % 2);
  const pairs = Math.max(1, Math.floor((range.max - first + 1) / 2));
  return first + 2 * Math.floor(Math.random() * pairs);
}

/**
 * Binds one UDP socket exclusively on `address:port` (0 = ephemeral). On a failure the socket
 * is closed before the error is thrown, so nothing is left open.
 */
export async function bindUdpSocket(address: string, port: number): Promise<Socket> {
  // Sends to an IP literal leave within the send call (no lookup on the next tick): in order with
  // the SIP transport's, and a tick less per packet.
  const sock = createSocket({
    type: isIPv6(address) ? 'udp6' : 'udp4',
    reuseAddr: false,
    lookup: literalFirstLookup,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      sock.once('error', onError);
      sock.bind({ address, port, exclusive: true }, () => {
        sock.off('error', onError);
        resolve();
      });
    });
  } catch (e) {
    closeQuietly(sock);
    throw e;
  }
  return sock;
}

/** Closes a socket that may be half-open or closed already. */
export function closeQuietly(sock: Socket | undefined): void {
  if (!sock) return;
  try {
    sock.close();
  } catch {
    // already closed (ERR_SOCKET_DGRAM_NOT_RUNNING)
  }
}

/**
 * Binds an RTP socket on an even port of `range` and its RTCP socket on the next one, trying
 * up to `attempts` random pairs. Every socket of a failed attempt is closed.
 */
export async function bindRtpPair(
  address: string,
  range: RtpPortRange = DEFAULT_RTP_PORT_RANGE,
  attempts = 32,
): Promise<{ rtp: Socket; rtcp: Socket }> {
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = randomRtpPort(range);
    let rtp: Socket | undefined;
    try {
      rtp = await bindUdpSocket(address, port);
      const rtcp = await bindUdpSocket(address, port + 1);
      return { rtp, rtcp };
    } catch (e) {
      closeQuietly(rtp);
      last = e;
    }
  }
  throw last instanceof Error ? last : new Error('no free RTP port pair');
}
