/**
 * The reference SBC's personality early-media on the wire, between the stand-ins: the caller
 * gets a 183 with the SBC's answer while the far side rings, hears a 425 Hz ringback in that
 * stream, then the 200 repeats the 183's SDP and the far side's audio goes on in the same RTP
 * stream (one SSRC, sequence numbers and timestamps going on).
 */
import { describe, expect, it } from 'vitest';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { RIG_ADDRESSES } from '../../harness/actors/sbc-stand-ins.ts';
import { parseRtp } from '../../harness/media/rtp/index.ts';
import { PCMA_TE, ringThenAnswer, sleep, toneLevel, until, useSbcRigs } from '../support/sbc-rig.ts';

const { legs, rig } = useSbcRigs();

async function callThrough(personalities: Array<'early-media'> | undefined) {
  const r = await rig(personalities ? { personalities } : {});
  const provider = ringThenAnswer(r, legs, 1200);
  const media = await MediaLeg.open({ localAddress: RIG_ADDRESSES.oxo, prefs: PCMA_TE });
  legs.push(media);
  const statuses: number[] = [];
  let early: string | undefined;
  let toneBeforeAnswer = 0;
  const inv = r.oxo.ua.invite({ method: 'INVITE', uri: r.lanUri('0301234567'), body: media.createOffer() });
  inv.on('response', (res) => {
    statuses.push(res.status);
    if (res.status === 183 && res.body.length > 0 && early === undefined) {
      early = res.bodyText;
      expect(media.acceptAnswer(early).ok).toBe(true);
    }
  });
  // Ringback while the far side rings, measured just before it answers.
  const sampled = sleep(1000).then(() => {
    toneBeforeAnswer = toneLevel(media, 425);
  });
  const out = await inv.result;
  await sampled;
  return { r, out, media, provider: await provider, statuses, early, toneBeforeAnswer };
}

describe('reference SBC personality early-media', () => {
  it('a 183 with the answer, ringback in it, the same SDP in the 200, and one RTP stream on into the call', async () => {
    const c = await callThrough(['early-media']);
    expect(c.statuses).toContain(183);
    expect(c.statuses).not.toContain(180);
    expect(c.early).toBeDefined();
    expect(c.out.status).toBe(200);
    expect(c.out.response?.bodyText).toBe(c.early);
    expect(c.toneBeforeAnswer).toBeGreaterThan(0.05);
    // After the answer: the far side's audio, in the stream the ringback started.
    c.provider.play(toneSource(1000, 8000));
    expect(await until(() => toneLevel(c.media, 1000) > 0.05)).toBe(true);
    await sleep(400); // the window past the tone's onset
    expect(toneLevel(c.media, 1000)).toBeGreaterThan(0.05);
    expect(toneLevel(c.media, 425)).toBeLessThan(0.01);
    const rtp = c.media
      .evidence()
      .filter((p) => p.direction === 'received' && p.channel === 'rtp')
      .flatMap((p) => {
        const v = parseRtp(p.bytes);
        return v.ok ? [v.packet] : [];
      });
    expect(new Set(rtp.map((p) => p.ssrc)).size).toBe(1);
    for (let i = 1; i < rtp.length; i++) {
      expect((rtp[i]!.sequenceNumber - rtp[i - 1]!.sequenceNumber) & 0xffff).toBe(1);
      const dt = (rtp[i]!.timestamp - rtp[i - 1]!.timestamp) >>> 0;
      expect(dt).toBeGreaterThan(0);
      expect(dt).toBeLessThan(0x8000_0000);
    }
    expect(c.r.sbc.calls()[0]!.relay?.['wan->lan']?.relayed).toBeGreaterThan(10);
  });

  it('without it the caller gets 180 Ringing without SDP and no RTP before the answer', async () => {
    const c = await callThrough(undefined);
    expect(c.statuses).toContain(180);
    expect(c.statuses).not.toContain(183);
    expect(c.early).toBeUndefined();
    expect(c.toneBeforeAnswer).toBe(0);
  });
});
