/**
 * SDP-only media for a harness phone in tests that look at signalling alone (re-INVITEs, holds):
 * it offers and answers a fixed PCMA stream with the direction asked for, and sends no RTP.
 */
import type { CallMedia, MediaFactory } from '../../harness/actors/call.ts';
import type { SdpDirection } from '../../harness/sip/index.ts';

/** A one-stream PCMA SDP from `address` with direction `dir`, session version `version`. */
export function sdp(address: string, dir: SdpDirection, version: number): string {
  return [
    'v=0',
    `o=- 1 ${version} IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    'm=audio 40000 RTP/AVP 8',
    'a=rtpmap:8 PCMA/8000',
    `a=${dir}`,
    '',
  ].join('\r\n');
}

/** The media factory: each leg offers and answers {@link sdp}, from its own address. */
export const openMedia: MediaFactory = async (o) => {
  let v = 0;
  const media: CallMedia = {
    name: 'sdp-only',
    prefs: { codecs: ['PCMA'], telephoneEvent: false },
    createOffer: (d: SdpDirection = 'sendrecv') => sdp(o.localAddress, d, v++),
    acceptOffer: (_offer: string, d: SdpDirection = 'sendrecv') => ({
      ok: true,
      answer: sdp(o.localAddress, d, v++),
    }),
    acceptAnswer: () => ({ ok: true }),
    play: () => undefined,
    stopPlaying: () => undefined,
    sendDtmf: async () => undefined,
    dtmfReceived: [],
    receivedAudio: () => ({ sampleRate: 8000, samples: new Int16Array(0) }),
    clearReceived: () => undefined,
    stats: () => ({ sent: 0, received: 0, lost: 0, jitterMs: 0, codecs: [] }),
    evidence: () => [],
    close: async () => undefined,
  };
  return media;
};
