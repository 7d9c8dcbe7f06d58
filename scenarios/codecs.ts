/** Section 8.2 of the eSBC plan: codec negotiation (cases 8-1-1 … 8-1-4). */
import type { Call } from '../harness/actors/index.ts';
import { type CaseContext, carriesG723, fixtureAudioCheck, testCase } from '../harness/runner/index.ts';
import { type Connected, callExtension, callExternal, hangUp, mediaSettled } from './call-helpers.ts';
import { codecLabel, sdpFacts } from './sdp-facts.ts';

/** The comment's sentence on what each leg negotiated, naming a transcoding. */
export function legsNote(what: string, legs: Array<[string, Call]>): string {
  const parts = legs.map(([name, call]) => `${name} ${codecLabel(call.media.negotiated?.codec)}`);
  const codecs = new Set(legs.map(([, call]) => call.media.negotiated?.codec));
  return `${what}: ${parts.join(', ')}${codecs.size > 1 ? ' (the SBC transcodes)' : ''}.`;
}

/**
 * The SBC's offer on one side lists its configured first codec first (the IWR's "select X as
 * first codec on SBC"). `sdp` is what the actor on that side received from the SBC. An INVITE
 * without an offer (RFC 3261 §13.2.1: the called side offers in its 2xx, the SBC answers in the
 * ACK) shows no order of the SBC's: the check is recorded, not judged (INCOMPLETE).
 */
export function checkSbcOfferOrder(
  ctx: CaseContext,
  sdp: string | undefined,
  first: string,
  toward: string,
): boolean {
  if (sdp === undefined || sdp.length === 0)
    return ctx.check.that(`the SBC's offer toward ${toward} lists ${codecLabel(first)} first`, false, {
      expected: `${codecLabel(first)} first (the SBC's configured order)`,
      observed: 'no offer: the SBC sent its INVITE without SDP',
      incomplete: `the SBC sent its INVITE toward ${toward} without an offer (RFC 3261 §13.2.1 allows it), so the order of its codecs was not seen`,
      dependsOn: ['codecOrder'],
    });
  const f = sdpFacts(sdp);
  const got = f.ok ? (f.codecs[0] ?? 'none') : 'none';
  return ctx.check.that(`the SBC's offer toward ${toward} lists ${codecLabel(first)} first`, got === first, {
    expected: `${codecLabel(first)} first (the SBC's configured order)`,
    observed: f.ok ? f.codecs.map(codecLabel).join(', ') : f.reason,
    failure: `The SBC offered ${codecLabel(got)} first toward ${toward} although ${codecLabel(first)} is its first codec`,
    dependsOn: ['codecOrder'],
  });
}

/**
 * Audio in both directions whatever the legs negotiated. Without G.723.1 on either leg it is
 * the tone check of the runner; with G.723.1 (which the harness cannot encode or decode) it is
 * the runner's fixture check (harness/runner/fixture-audio-check.ts), which the load's audio
 * check shares.
 */
export async function checkAudioAnyCodec(
  ctx: CaseContext,
  a: { call: Call; name: string },
  b: { call: Call; name: string },
): Promise<boolean> {
  if (!carriesG723(a, b)) return ctx.check.audio(a, b);
  return (await fixtureAudioCheck(ctx.check, a, b)).ok;
}

/** One leg of a codec row's call and the names its checks use. */
export interface CodecLeg {
  call: Call;
  /** The codec (or any of the codecs) this leg may negotiate: what both its ends offered. */
  codecs: string | string[];
  /** The leg in the codec check's name, e.g. 'the provider leg'. */
  leg: string;
  /** The party in the audio check's name, e.g. 'the PSTN phone'. */
  party: string;
}

/** What a codec row checks on an established call between the provider and the deskphone. */
export interface CodecRow {
  provider: CodecLeg;
  desk: CodecLeg;
  /** The side that placed the call: the audio and the comment name it first. */
  from: 'provider' | 'desk';
  /** The SBC's configured first codec, checked first in its offer to the called side. */
  sbcFirst?: string;
  /** Audio through {@link checkAudioAnyCodec} (G.723.1 fixture) instead of the tone check. */
  g723?: boolean;
  /** The comment sentence's lead, e.g. 'Codecs'. */
  note: string;
}

/**
 * The checks of a codec row: the SBC's offer to the called side lists its first codec first,
 * audio is good both ways, each leg negotiated a codec its ends offered and the SBC sent one of
 * them on it (judged after the audio, once the SBC has sent some: Checks.codec), and the comment
 * names what each leg negotiated.
 */
export async function checkCodecRow(ctx: CaseContext, row: CodecRow): Promise<void> {
  const [caller, callee] = row.from === 'provider' ? [row.provider, row.desk] : [row.desk, row.provider];
  if (row.sbcFirst !== undefined)
    checkSbcOfferOrder(
      ctx,
      callee.call.invite?.bodyText,
      row.sbcFirst,
      callee === row.desk ? 'the OXO' : 'the provider',
    );
  await mediaSettled([row.provider.call, row.desk.call]);
  const a = { call: caller.call, name: caller.party };
  const b = { call: callee.call, name: callee.party };
  if (row.g723) await checkAudioAnyCodec(ctx, a, b);
  else await ctx.check.audio(a, b);
  // After the audio: each leg's codec is judged with what the SBC sent on it as well.
  ctx.check.codec(row.provider.call, row.provider.codecs, row.provider.leg);
  ctx.check.codec(row.desk.call, row.desk.codecs, row.desk.leg);
  const label = (l: CodecLeg): [string, Call] => [l === row.desk ? 'deskphone leg' : 'provider leg', l.call];
  ctx.note(legsNote(row.note, [label(caller), label(callee)]));
}

/** The two legs of a call between the PSTN phone and Premium Deskphone 1, named as in most rows. */
function legs(c: Connected, providerCodecs: string | string[], deskCodecs: string | string[]) {
  return {
    provider: { call: c.pstn, codecs: providerCodecs, leg: 'the provider leg', party: 'the PSTN phone' },
    desk: { call: c.desk, codecs: deskCodecs, leg: 'the deskphone leg', party: 'Premium Deskphone 1' },
  };
}

export const codecG711G722 = testCase({
  id: '8-1-1',
  section: '8.2',
  title: 'Codec G711 / G722',
  steps: [
    'Provider offers G.711 first; the SBC offers G.711 first',
    'Premium Deskphone 1 prefers G.722, then G.711 A-law, G.711 µ-law, G.729',
    'Call from an external phone (PSTN) to Premium Deskphone 1',
    'Expected: the call is established and audio is good in both directions',
  ],
  sbc: { codecOrder: ['PCMA', 'PCMU', 'G722', 'G729', 'G723'] },
  lab: {
    providerCodecs: ['PCMA', 'PCMU', 'G722', 'G729'],
    deskphoneCodecs: ['G722', 'PCMA', 'PCMU', 'G729'],
  },
  async run(ctx) {
    const desk = ctx.oxo.extension('deskphone1');
    const c = await callExtension(ctx, 'pstn1', desk);
    if (!c) return;
    // Any codec both ends of a leg offered is a correct answer; the SBC may avoid transcoding.
    await checkCodecRow(ctx, {
      ...legs(c, ['PCMA', 'PCMU', 'G722', 'G729'], ['G722', 'PCMA', 'PCMU', 'G729']),
      from: 'provider',
      sbcFirst: 'PCMA',
      note: 'Codecs',
    });
    await hangUp(c);
  },
});

export const G729_PROVIDER = ['G729', 'G722', 'PCMA', 'PCMU', 'G723'];
export const G729_DESK = ['PCMA', 'PCMU', 'G729'];

export const codecG729G711 = testCase({
  id: '8-1-2',
  section: '8.2',
  title: 'Codec G729 / G711',
  steps: [
    'Provider offers G.729 first; the SBC offers G.729 first',
    'Premium Deskphone 1 prefers G.711 (A-law, µ-law), then G.729',
    'Call from an external phone (PSTN) to Premium Deskphone 1',
    'Expected: the call is established with a codec both ends of each leg support; audio good both ways',
    'Then the provider offers G.729 only (an operator that does not fall back to G.711): the SBC transcodes G.729 ↔ G.711 to the deskphone; audio good both ways',
  ],
  needs: ['codec:G729'],
  sbc: { codecOrder: ['G729', 'G722', 'PCMA', 'PCMU', 'G723'] },
  lab: { providerCodecs: G729_PROVIDER, deskphoneCodecs: G729_DESK },
  async run(ctx) {
    const desk = ctx.oxo.extension('deskphone1');
    const c = await callExtension(ctx, 'pstn1', desk);
    if (!c) return;
    await checkCodecRow(ctx, {
      ...legs(c, G729_PROVIDER, G729_DESK),
      from: 'provider',
      sbcFirst: 'G729',
      note: 'Codecs',
    });
    await hangUp(c);

    // The G.729 path itself: a provider leg that can only be G.729.
    const phone = ctx.provider.phone('pstn2');
    phone.prefs = { ...phone.prefs, codecs: ['G729'] };
    const g = await callExtension(ctx, 'pstn2', desk);
    if (!g) return;
    await checkCodecRow(ctx, {
      provider: {
        call: g.pstn,
        codecs: 'G729',
        leg: 'the provider leg (G.729 only)',
        party: 'the PSTN phone (G.729 only)',
      },
      desk: {
        call: g.desk,
        codecs: G729_DESK,
        leg: 'the deskphone leg (provider G.729 only)',
        party: 'Premium Deskphone 1',
      },
      from: 'provider',
      note: 'Provider G.729 only',
    });
    const rec = ctx.sbc?.calls().at(-1);
    if (rec && g.desk.media.negotiated?.codec !== 'G729') {
      ctx.check.that('the SBC transcodes G.729 to the deskphone’s codec', rec.transcoding, {
        expected: `transcoding G.729 ↔ ${codecLabel(g.desk.media.negotiated?.codec)}`,
        observed: `WAN ${rec.wan.codec ?? 'none'}, LAN ${rec.lan.codec ?? 'none'}, transcoding ${rec.transcoding}`,
        failure: 'The SBC did not transcode between the G.729 provider leg and the deskphone',
      });
    }
    await hangUp(g);
  },
});

export const G723_PROVIDER = ['G723', 'G722', 'PCMA', 'PCMU', 'G729'];
const G723_SBC = ['G723', 'G722', 'PCMA', 'PCMU', 'G729'];
export const G723_DESK = ['PCMA', 'PCMU', 'G722', 'G729', 'G723'];

export const codecG723G711 = testCase({
  id: '8-1-3',
  section: '8.2',
  title: 'Codec G723 / G711',
  steps: [
    'Provider offers G.723 first; the SBC offers G.723 first',
    'Premium Deskphone 1 prefers G.711 (A-law, µ-law), then G.722, G.729, G.723',
    'Call from an external phone (PSTN) to Premium Deskphone 1',
    'Expected: the call is established with a codec both ends of each leg support; audio good both ways (G.723.1 checked with the committed fixture where it is negotiated)',
  ],
  needs: ['codec:G723'],
  sbc: { codecOrder: G723_SBC },
  lab: { providerCodecs: G723_PROVIDER, deskphoneCodecs: G723_DESK },
  async run(ctx) {
    const desk = ctx.oxo.extension('deskphone1');
    const c = await callExtension(ctx, 'pstn1', desk);
    if (!c) return;
    await checkCodecRow(ctx, {
      ...legs(c, G723_PROVIDER, G723_DESK),
      from: 'provider',
      sbcFirst: 'G723',
      g723: true,
      note: 'Codecs',
    });
    await hangUp(c);
  },
});

export const codecG723G711Outgoing = testCase({
  id: '8-1-4',
  section: '8.2',
  title: 'Codec G723 / G711',
  steps: [
    'Provider with G.723 first; the SBC offers G.723 first',
    'Premium Deskphone 1 prefers G.711 (A-law, µ-law), then G.722, G.729, G.723',
    'Call from Premium Deskphone 1 to an external phone (PSTN): the SBC offers toward the provider, which answers with its first codec',
    'Expected: the call is established; G.723.1 chosen by the provider crosses the SBC (passed through or transcoded) and audio is good both ways',
  ],
  note: 'The report’s 8-1-4 repeats 8-1-3 word for word; here it is the other direction (deskphone to PSTN), so the provider answers the SBC’s G.723-first offer and G.723.1 really crosses the SBC (checked with the committed G.723.1 fixture).',
  needs: ['codec:G723'],
  sbc: { codecOrder: G723_SBC },
  lab: { providerCodecs: G723_PROVIDER, deskphoneCodecs: G723_DESK },
  async run(ctx) {
    const desk = ctx.oxo.extension('deskphone1');
    const c = await callExternal(ctx, desk, 'pstn1');
    if (!c) return;
    if (!(await ctx.check.established(c.pstn, 'the PSTN phone answering'))) return;
    await checkCodecRow(ctx, {
      ...legs(c, G723_PROVIDER, G723_DESK),
      from: 'desk',
      sbcFirst: 'G723',
      g723: true,
      note: 'Codecs',
    });
    await hangUp(c);
  },
});

export const CODEC_CASES = [codecG711G722, codecG729G711, codecG723G711, codecG723G711Outgoing];
