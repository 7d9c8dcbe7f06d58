/** Section 8.2 of the eSBC plan: codec negotiation (cases 8-1-1 … 8-1-4). */
import { testCase } from '../harness/runner/index.ts';
import { callExtension, hangUp } from './call-helpers.ts';

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
    ctx.check.codec(c.pstn, ['PCMA', 'PCMU', 'G722', 'G729'], 'the provider leg');
    ctx.check.codec(c.desk, ['G722', 'PCMA', 'PCMU', 'G729'], 'the deskphone leg');
    await ctx.check.audio(
      { call: c.pstn, name: 'the PSTN phone' },
      { call: c.desk, name: 'Premium Deskphone 1' },
    );
    ctx.note(
      `Codecs: provider leg ${c.pstn.media.negotiated?.codec}, deskphone leg ${c.desk.media.negotiated?.codec}.`,
    );
    await hangUp(c);
  },
});

export const CODEC_CASES = [codecG711G722];
