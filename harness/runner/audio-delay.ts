/**
 * The one-way delay bound of the audio checks (ITU-T G.114). G.114 finds up to 150 ms of
 * mouth-to-ear delay acceptable to most applications. The harness measures the transit
 * delay between its two legs — what the SBC path adds — so the bound on it is the profile's
 * `audio.maxOneWayDelayMs` (default 150) beyond what the codecs and the declared network
 * legitimately add inside that path:
 *
 *   bound = maxOneWayDelayMs + networkDelayMs + codec allowance
 *   codec allowance = one packet of the receiving leg (an SBC that re-times or
 *     repacketises may hold audio that long: the codec's usual packet, or the audio per
 *     packet that really arrived when that is longer, up to RFC 3551 §4.2's 200 ms), plus,
 *     when the SBC transcodes, the receiving codec's frame (ptime) and look-ahead (the G.113
 *     values of codec-impairment.ts).
 *
 * The sender's own packetisation and look-ahead and the receiver's jitter buffer are outside
 * the measured path: they enter the mouth-to-ear delay Ta of the E-model, not the bound.
 */
import { codecImpairment, type EModelCodec, type OneWayDelay } from '../media/analysis/index.ts';

/** The profile's audio thresholds (profile `audio` section). */
export interface AudioDelayPolicy {
  maxOneWayDelayMs: number;
  networkDelayMs: number;
}

export const DEFAULT_AUDIO_DELAY_POLICY: Readonly<AudioDelayPolicy> = Object.freeze({
  maxOneWayDelayMs: 150,
  networkDelayMs: 0,
});

const KNOWN: readonly string[] = ['PCMA', 'PCMU', 'G722', 'G729', 'G723'];

/** The E-model codec for a negotiated codec name (PCMA for anything else). */
export function eModelCodec(name: string): EModelCodec {
  return (KNOWN.includes(name) ? name : 'PCMA') as EModelCodec;
}

/** The bound on one direction's measured one-way delay, with its parts. */
export interface DelayBound {
  boundMs: number;
  maxOneWayDelayMs: number;
  networkDelayMs: number;
  codecMs: number;
}

/** Longest audio per packet a receiver accepts (RFC 3551 §4.2), ms. */
const MAX_PACKET_MS = 200;

/**
 * Bound for audio sent in `fromCodec` and received in `toCodec`; `rxPacketMs` is the audio per
 * packet that arrived (an SBC may repacketize, RFC 3551 §4.2), when measured.
 */
export function delayBound(
  policy: AudioDelayPolicy,
  fromCodec: string,
  toCodec: string,
  rxPacketMs?: number,
): DelayBound {
  const rx = codecImpairment(eModelCodec(toCodec));
  const transcoded = fromCodec !== toCodec;
  const arrived =
    rxPacketMs !== undefined && Number.isFinite(rxPacketMs)
      ? Math.min(MAX_PACKET_MS, Math.round(rxPacketMs))
      : 0;
  const packetMs = Math.max(rx.ptimeMs, arrived);
  const codecMs = packetMs + (transcoded ? rx.ptimeMs + rx.lookaheadMs : 0);
  const max = Math.max(0, policy.maxOneWayDelayMs);
  const net = Math.max(0, policy.networkDelayMs);
  return { boundMs: max + net + codecMs, maxOneWayDelayMs: max, networkDelayMs: net, codecMs };
}

/** How a direction's delay reads in a check's observed text. */
export function delayText(d: OneWayDelay): string {
  return d.found
    ? `one-way delay ${Math.round(d.delayMs)} ms (median of ${d.chunks} packets, 90 % within ${Math.round(d.p5Ms)}–${Math.round(d.p95Ms)} ms)`
    : `one-way delay not measured (${d.reason ?? 'unknown'})`;
}

/**
 * What a payload delay probe (identifiable frames passed through, PayloadDelayProbe) proves
 * when it matched nothing although the frames arrived byte for byte (`intact`): a frame never
 * arrives before it left, so everything that arrived left before the recording began, and the
 * delay is at least the recording's `windowMs` less `slackMs` (the first frame may leave up to
 * a packet after the recording began, and a packet may wait in the receiver's reorder window).
 * That lower limit, when it is over the bound (a NOK); undefined otherwise (the delay then
 * stays not measured).
 */
export function payloadDelayAtLeast(
  d: OneWayDelay,
  intact: boolean,
  bound: DelayBound,
  windowMs: number,
  slackMs: number,
): number | undefined {
  if (!intact || d.found || d.reason !== 'no-content-match') return undefined;
  const atLeast = windowMs - slackMs;
  return atLeast > bound.boundMs ? atLeast : undefined;
}

/** True unless the delay was measured and exceeds the bound. */
export function delayWithin(d: OneWayDelay, bound: DelayBound): boolean {
  return !d.found || d.delayMs <= bound.boundMs;
}

/** The failure sentence of a direction whose delay exceeds its bound. */
export function delayFailure(
  from: string,
  to: string,
  d: OneWayDelay,
  bound: DelayBound,
  mos: number,
): string {
  return `Audio from ${from} to ${to} is delayed ${Math.round(d.delayMs)} ms one-way, more than the ${bound.boundMs} ms allowed (ITU-T G.114: ${bound.maxOneWayDelayMs} ms beyond ${bound.codecMs} ms for the codecs and ${bound.networkDelayMs} ms of declared network); MOS with delay ${mos.toFixed(2)}`;
}
