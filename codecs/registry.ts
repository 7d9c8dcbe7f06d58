/**
 * The plan's codecs, looked up the ways SDP names them: by rtpmap encoding name
 * (case-insensitive, with or without "/rate/channels") or by static payload type.
 */
import type { AudioCodec, CodecName } from './codec.ts';
import { pcma, pcmu } from './g711.ts';
import { g722 } from './g722.ts';
import { g723 } from './g723.ts';
import { g729 } from './g729.ts';

/** Every codec of the plan, in the plan's usual preference order. */
export const PLAN_CODECS: readonly AudioCodec[] = Object.freeze([pcma, pcmu, g722, g729, g723]);

/** Encoding names SDP uses besides ours (RFC 3551 registers "G723"; some gear says "G723.1"). */
const ALIASES: Readonly<Record<string, CodecName>> = {
  'G723.1': 'G723',
  G7231: 'G723',
  G729A: 'G729',
};

/**
 * The codec for an SDP encoding name: "PCMA", "pcmu", "G722/8000", "G729a"... Returns
 * undefined for names the plan does not use (telephone-event, opus, ...).
 */
export function codecByName(encodingName: string): AudioCodec | undefined {
  const bare = encodingName.trim().split('/')[0]!.toUpperCase();
  const name = ALIASES[bare] ?? bare;
  return PLAN_CODECS.find((c) => c.name === name);
}

/** The codec with static RTP payload type `pt` (0, 4, 8, 9, 18), or undefined. */
export function codecByPayloadType(pt: number): AudioCodec | undefined {
  return PLAN_CODECS.find((c) => c.payloadType === pt);
}

/** The plan's codecs this host can encode and decode now (G.723.1 never). */
export function availableCodecs(): AudioCodec[] {
  return PLAN_CODECS.filter((c) => c.available());
}
