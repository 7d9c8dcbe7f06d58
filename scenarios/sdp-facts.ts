/**
 * What the cases read from an SDP body that an actor received from the SBC: the audio codecs
 * in m= line order, where the media goes, whether it is RTP/AVP or RTP/SAVP, and whether it
 * offers comfort noise or silence suppression. Bad SDP gives `ok: false`, never an exception.
 */
import { codecByName, codecByPayloadType, codecLabel } from '../codecs/index.ts';

export { codecLabel };

import { mediaConnection, parseSdp } from '../harness/sip/index.ts';

/** Static payload type of comfort noise (RFC 3389). */
export const CN_PAYLOAD_TYPE = 13;

export type SdpFacts =
  | {
      ok: true;
      /** Audio codecs (PCMA, G722, ...) in m= order; other formats (telephone-event, CN) left out. */
      codecs: string[];
      /** Every format name in m= order, upper case (e.g. "PCMA", "TELEPHONE-EVENT", "CN"). */
      formats: string[];
      address: string;
      port: number;
      /** m= transport, e.g. "RTP/AVP" or "RTP/SAVP". */
      protocol: string;
      /** SDES crypto suites offered or answered. */
      cryptoSuites: string[];
      /** Comfort noise (PT 13 or an rtpmap CN) is offered. */
      comfortNoise: boolean;
      /** a=silenceSupp value, if any (RFC 3108). */
      silenceSupp?: string;
    }
  | { ok: false; reason: string };

/** Reads the first audio m= section of `text`. */
export function sdpFacts(text: string | undefined): SdpFacts {
  if (!text) return { ok: false, reason: 'no SDP body' };
  const p = parseSdp(text);
  if (!p.ok) return { ok: false, reason: `unreadable SDP: ${p.error.reason}` };
  const m = p.value.media.find((x) => x.type === 'audio');
  if (!m) return { ok: false, reason: 'no audio m= line' };
  const formats: string[] = [];
  const codecs: string[] = [];
  let comfortNoise = false;
  for (const f of m.formats) {
    const name = (f.name || codecByPayloadType(f.pt)?.name || String(f.pt)).toUpperCase();
    formats.push(name);
    if (f.pt === CN_PAYLOAD_TYPE || name === 'CN') comfortNoise = true;
    const codec = f.name ? codecByName(f.name) : codecByPayloadType(f.pt);
    if (codec) codecs.push(codec.name);
  }
  const c = mediaConnection(p.value, m);
  return {
    ok: true,
    codecs,
    formats,
    address: c?.address ?? '',
    port: m.port,
    protocol: m.protocol,
    cryptoSuites: m.crypto.map((k) => k.suite),
    comfortNoise,
    ...(m.silenceSupp !== undefined ? { silenceSupp: m.silenceSupp } : {}),
  };
}
