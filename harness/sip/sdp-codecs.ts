/**
 * RTP payload formats: the static payload types of RFC 3551 §6 (known without a=rtpmap),
 * default dynamic payload types this harness uses in offers, and codec matching.
 */

/** Name, clock rate and channel count of a payload format. */
export interface PayloadFormatInfo {
  name: string;
  clockRate: number;
  channels: number;
}

/**
 * Static payload types (RFC 3551 Table 4 and 5). G.722 is listed at 8000 Hz although it samples
 * at 16 kHz: RFC 3551 §4.5.2 fixes its RTP clock rate at 8000 for historical reasons.
 */
export const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, PayloadFormatInfo> = new Map([
  [0, { name: 'PCMU', clockRate: 8000, channels: 1 }],
  [3, { name: 'GSM', clockRate: 8000, channels: 1 }],
  [4, { name: 'G723', clockRate: 8000, channels: 1 }],
  [5, { name: 'DVI4', clockRate: 8000, channels: 1 }],
  [6, { name: 'DVI4', clockRate: 16000, channels: 1 }],
  [7, { name: 'LPC', clockRate: 8000, channels: 1 }],
  [8, { name: 'PCMA', clockRate: 8000, channels: 1 }],
  [9, { name: 'G722', clockRate: 8000, channels: 1 }],
  [10, { name: 'L16', clockRate: 44100, channels: 2 }],
  [11, { name: 'L16', clockRate: 44100, channels: 1 }],
  [12, { name: 'QCELP', clockRate: 8000, channels: 1 }],
  [13, { name: 'CN', clockRate: 8000, channels: 1 }],
  [14, { name: 'MPA', clockRate: 90000, channels: 1 }],
  [15, { name: 'G728', clockRate: 8000, channels: 1 }],
  [16, { name: 'DVI4', clockRate: 11025, channels: 1 }],
  [17, { name: 'DVI4', clockRate: 22050, channels: 1 }],
  [18, { name: 'G729', clockRate: 8000, channels: 1 }],
  [25, { name: 'CelB', clockRate: 90000, channels: 1 }],
  [26, { name: 'JPEG', clockRate: 90000, channels: 1 }],
  [28, { name: 'nv', clockRate: 90000, channels: 1 }],
  [31, { name: 'H261', clockRate: 90000, channels: 1 }],
  [32, { name: 'MPV', clockRate: 90000, channels: 1 }],
  [33, { name: 'MP2T', clockRate: 90000, channels: 1 }],
  [34, { name: 'H263', clockRate: 90000, channels: 1 }],
]);

/** Dynamic codecs we know a default clock rate and channel count for (payload type assigned in offers). */
const DYNAMIC_DEFAULTS: ReadonlyMap<string, { clockRate: number; channels: number }> = new Map([
  ['telephone-event', { clockRate: 8000, channels: 1 }],
  ['opus', { clockRate: 48000, channels: 2 }],
  ['amr', { clockRate: 8000, channels: 1 }],
  ['amr-wb', { clockRate: 16000, channels: 1 }],
  ['ilbc', { clockRate: 8000, channels: 1 }],
  ['speex', { clockRate: 8000, channels: 1 }],
  ['g7221', { clockRate: 16000, channels: 1 }],
  ['l16', { clockRate: 8000, channels: 1 }],
]);

/** A codec as a local preference: a name, optionally narrowed by clock rate/channels, with our fmtp. */
export interface CodecPref {
  name: string;
  clockRate?: number;
  channels?: number;
  /** fmtp we put in our SDP for this codec (e.g. G.729 "annexb=no"). */
  fmtp?: string;
  /** Payload type to use in offers (static codecs default to their static PT). */
  pt?: number;
}

/** Normalises a codec given as a bare name ("PCMA", "G722") or as a {@link CodecPref}. */
export function toCodecPref(c: string | CodecPref): CodecPref {
  return typeof c === 'string' ? { name: c } : c;
}

/** The static payload type for a codec name at its static clock rate, if any. */
export function staticPayloadType(name: string, clockRate?: number, channels?: number): number | undefined {
  const n = name.toUpperCase();
  for (const [pt, info] of STATIC_PAYLOAD_TYPES) {
    if (info.name.toUpperCase() !== n) continue;
    if (clockRate !== undefined && info.clockRate !== clockRate) continue;
    if (channels !== undefined && info.channels !== channels) continue;
    return pt;
  }
  return undefined;
}

/** Clock rate and channels for a preference, filling defaults from the static table or known dynamic codecs. */
export function prefFormatInfo(pref: CodecPref): { clockRate: number; channels: number } {
  const spt = staticPayloadType(pref.name, pref.clockRate, pref.channels);
  const stat = spt === undefined ? undefined : STATIC_PAYLOAD_TYPES.get(spt);
  const dyn = DYNAMIC_DEFAULTS.get(pref.name.toLowerCase());
  return {
    clockRate: pref.clockRate ?? stat?.clockRate ?? dyn?.clockRate ?? 8000,
    channels: pref.channels ?? stat?.channels ?? dyn?.channels ?? 1,
  };
}

/** True when an SDP format is this codec preference (name case-insensitive; rate/channels when given). */
export function formatMatches(
  format: { name: string; clockRate: number; channels: number },
  pref: CodecPref,
): boolean {
  if (format.name.toLowerCase() !== pref.name.toLowerCase()) return false;
  const info = prefFormatInfo(pref);
  const knownRate =
    pref.clockRate !== undefined ||
    staticPayloadType(pref.name) !== undefined ||
    DYNAMIC_DEFAULTS.has(pref.name.toLowerCase());
  if (knownRate && format.clockRate !== info.clockRate) return false;
  if (pref.channels !== undefined && format.channels !== pref.channels) return false;
  return true;
}

/** True for formats that do not carry audio by themselves (telephone-event, comfort noise). */
export function isAuxiliaryFormat(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'telephone-event' || n === 'cn';
}
