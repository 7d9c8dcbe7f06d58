/**
 * The call shapes of the load by name (load-mix.ts names them): the basic call here, the others
 * in a file each (load-shape-dtmf.ts, load-shape-hold.ts, load-shape-transfer.ts,
 * load-shape-consult-transfer.ts), and what a
 * profile allows of them.
 */
import type { Profile } from '../config/profile-schema.ts';
import type { LoadMix, LoadShapeName } from './load-mix.ts';
import { mixShapes } from './load-mix.ts';
import { type LoadShape, loadAudioCheck } from './load-shape.ts';
import { transferAttendedShape, transferSemiShape } from './load-shape-consult-transfer.ts';
import { dtmfInbandShape, dtmfInfoShape, dtmfRfc4733Shape } from './load-shape-dtmf.ts';
import { holdShape } from './load-shape-hold.ts';
import { TRANSFER_NEEDS_REFER, transferShape } from './load-shape-transfer.ts';

/** The plan's basic call: the audio check both ways, nothing else. */
export const basicShape: LoadShape = {
  name: 'basic',
  async run(ctx) {
    ctx.rec.audio = await loadAudioCheck(ctx.caller, ctx.callee, ctx.audioMs, ctx, ctx.rec.failures);
    return undefined;
  },
};

export const LOAD_SHAPE_BY_NAME: Record<LoadShapeName, LoadShape> = {
  basic: basicShape,
  'dtmf-rfc4733': dtmfRfc4733Shape,
  'dtmf-inband': dtmfInbandShape,
  'dtmf-info': dtmfInfoShape,
  hold: holdShape,
  transfer: transferShape,
  'transfer-semi': transferSemiShape,
  'transfer-attended': transferAttendedShape,
};

/**
 * Directions a profile forces on a shape: SIP INFO digits come from the provider's phone when
 * the OXO has no DTMF via SIP INFO (`oxo.dtmf.info: false`, OXO Connect's own case), so those
 * calls run `in`; RFC 4733 digits come from the extension when the provider has no
 * telephone-events (`provider.telephoneEvent: false`), so those calls run `out`.
 */
export function shapeDirections(profile: Profile): Partial<Record<LoadShapeName, 'in' | 'out'>> {
  return {
    ...(profile.oxo.dtmf.info ? {} : { 'dtmf-info': 'in' as const }),
    ...(profile.provider.telephoneEvent ? {} : { 'dtmf-rfc4733': 'out' as const }),
  };
}

/** Why a profile cannot run a mix (one sentence per shape), empty when it can. */
export function mixProblems(mix: LoadMix, profile: Profile, direction: 'in' | 'out' | 'both'): string[] {
  const p: string[] = [];
  const shapes = mixShapes(mix);
  if (shapes.includes('dtmf-rfc4733') && !profile.oxo.dtmf.rfc2833)
    p.push('--mix dtmf-rfc4733: the profile says the OXO has no RFC 4733 DTMF (oxo.dtmf.rfc2833: false)');
  if (shapes.includes('dtmf-rfc4733') && direction === 'in' && !profile.provider.telephoneEvent)
    p.push(
      "--mix dtmf-rfc4733 with --direction in: the provider's phone would send the events, and the profile says the provider has none (provider.telephoneEvent: false); use --direction out or both",
    );
  if (shapes.includes('dtmf-inband') && !profile.oxo.dtmf.inband)
    p.push('--mix dtmf-inband: the profile says the OXO has no inband DTMF (oxo.dtmf.inband: false)');
  if (shapes.includes('dtmf-info') && direction === 'out' && !profile.oxo.dtmf.info)
    p.push(
      '--mix dtmf-info with --direction out: the OXO would send the SIP INFO, and the profile says it has none (oxo.dtmf.info: false); use --direction in or both',
    );
  // As the plan: it judges SIP INFO digits where the OXO sends them (8-2-2, 8-2-6, not applicable
  // otherwise) or where the provider has nothing else (8-2-1's digits returned as INFO by a
  // provider without telephone-events). Otherwise an SBC may relay the provider's INFO as it is
  // (RFC 6086) to an OXO that refuses it: a behaviour the plan leaves alone.
  if (shapes.includes('dtmf-info') && !profile.oxo.dtmf.info && profile.provider.telephoneEvent)
    p.push(
      "--mix dtmf-info: the profile says the OXO has no SIP INFO (oxo.dtmf.info: false) and the provider has telephone-events, so no SIP INFO digits cross the SBC (the plan's 8-2-2 and 8-2-6 are not applicable); SIP INFO digits are loaded with an OXO that sends them or a provider without telephone-events (provider.telephoneEvent: false)",
    );
  if (shapes.includes('transfer') && profile.oxo.transferMode !== 'refer') p.push(TRANSFER_NEEDS_REFER);
  return p;
}
