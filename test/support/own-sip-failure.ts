/**
 * Makes a simulator's SIP fail the way a host failure would, for tests of how the harness tells
 * its own failures from the SBC's: every UDP socket of the user agent's transport is closed
 * under it, so each later datagram fails with ERR_SOCKET_DGRAM_NOT_RUNNING (one of this side's
 * errors, harness/support/send-errors.ts). Nothing it sends leaves, and nothing reaches it.
 */
import type { Socket } from 'node:dgram';
import type { UserAgent } from '../../harness/sip/index.ts';

export function closeSipSocketsUnder(ua: UserAgent): void {
  for (const u of (ua.transport as unknown as { udp: Array<{ socket: Socket }> }).udp) u.socket.close();
}
