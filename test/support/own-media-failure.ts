/**
 * Makes a call's own RTP fail the way a host failure would, for tests of how the harness tells
 * its own failures from the SBC's: the RTP socket under the call's current session is closed,
 * so each later send throws ERR_SOCKET_DGRAM_NOT_RUNNING (one of this side's errors).
 */
import type { Socket } from 'node:dgram';
import type { Call } from '../../harness/actors/call.ts';
import type { MediaLeg } from '../../harness/actors/media-leg.ts';

export function closeRtpSocketUnder(call: Call): void {
  const session = (call.media as MediaLeg).session;
  if (!session) throw new Error(`${call.media.name} has no RTP session`);
  (session as unknown as { rtpSock: Socket }).rtpSock.close();
}
