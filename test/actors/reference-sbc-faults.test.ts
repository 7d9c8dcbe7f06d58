/**
 * Each fault switch of the reference SBC, shown on the wire between the stand-ins, and the
 * fault documentation kept in step with the fault table. Also REFER in both policies.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pcmSource, toneSource } from '../../harness/actors/audio-sources.ts';
import { markedToneSource } from '../../harness/actors/marked-tone-source.ts';
import type { MediaLeg, MediaPrefs } from '../../harness/actors/media-leg.ts';
import { SBC_FAULTS } from '../../harness/actors/sbc-faults.ts';
import {
  answerNextCall,
  placeCall,
  RIG_ACCOUNTS,
  RIG_ADDRESSES,
} from '../../harness/actors/sbc-stand-ins.ts';
import { decodeTelephoneEvent } from '../../harness/media/dtmf/index.ts';
import { parseRtp } from '../../harness/media/rtp/index.ts';
import { findMediaGaps } from '../../harness/runner/call-invariants.ts';
import { DelayProbe } from '../../harness/runner/delay-probe.ts';
import { createResponse, parseSdp, sendRefer, sipfragStatus } from '../../harness/sip/index.ts';
import { systemClock } from '../../harness/support/clock.ts';
import { PCMA_TE, sleep, toneLevel, until, useSbcRigs } from '../support/sbc-rig.ts';

const { legs, rigCall: call, lanToWan } = useSbcRigs();

function receivedPts(leg: MediaLeg): Set<number> {
  const out = new Set<number>();
  for (const p of leg.evidence()) {
    if (p.direction !== 'received' || p.channel !== 'rtp') continue;
    const v = parseRtp(p.bytes);
    if (v.ok) out.add(v.packet.payloadType);
  }
  return out;
}

describe('reference SBC fault switches', () => {
  it('docs/sbc-faults.md documents every switch of the fault table', () => {
    const doc = readFileSync(new URL('../../docs/sbc-faults.md', import.meta.url), 'utf8');
    for (const f of SBC_FAULTS) expect(doc).toContain(`## ${f.name}`);
    expect(SBC_FAULTS).toHaveLength(29);
  });

  it('strip-telephone-event: no telephone-event in the SBC SDP on either side', async () => {
    const { oxo, provider } = await call({ faults: { 'strip-telephone-event': true } });
    expect(oxo.offer).toMatch(/telephone-event/);
    expect(provider.invite.offer).not.toMatch(/telephone-event/);
    expect(oxo.outcome.response!.bodyText).not.toMatch(/telephone-event/);
    expect(provider.media.negotiated?.telephoneEventPt).toBeUndefined();
  });

  it('force-narrowband: G.722 on the LAN leg, PCMA on the WAN leg, no energy above 4 kHz', async () => {
    const g722: MediaPrefs = { codecs: ['G722', 'PCMA'], telephoneEvent: true };
    const { r, oxo, provider } = await call({ faults: { 'force-narrowband': true } }, g722, g722);
    const wanOffer = parseSdp(provider.invite.offer ?? '');
    expect(wanOffer.ok && wanOffer.value.media[0]!.formats.map((f) => f.pt)).not.toContain(9);
    expect(oxo.media.negotiated?.codec).toBe('G722');
    expect(provider.media.negotiated?.codec).toBe('PCMA');
    oxo.media.play(toneSource([1000, 6000], 16000));
    expect(await until(() => toneLevel(provider.media, 1000) > 0.05)).toBe(true);
    expect(toneLevel(provider.media, 6000)).toBeLessThan(0.01);
    expect([...receivedPts(provider.media)]).toEqual([8]);
    expect(r.sbc.calls()[0]!.transcoding).toBe(true);
  });

  it('reject-reinvite: a hold re-INVITE gets 488 and never reaches the other side', async () => {
    const { r, oxo, oxoDialog } = await call({ faults: { 'reject-reinvite': true } });
    const out = await r.oxo.ua.reinvite(oxoDialog, oxo.media.createOffer('sendonly'));
    expect(out.status).toBe(488);
    await sleep(100);
    expect(r.provider.messages('in', 'INVITE')).toHaveLength(1);
  });

  it('no-sdp-in-reinvite-answer: the hold re-INVITE is relayed and answered 200 without SDP; media flows', async () => {
    const { r, oxo, provider, oxoDialog } = await call({ faults: { 'no-sdp-in-reinvite-answer': true } });
    const out = await r.oxo.ua.reinvite(oxoDialog, oxo.media.createOffer('sendonly'));
    expect(out.status).toBe(200);
    expect(out.response!.body.length).toBe(0);
    expect(r.provider.messages('in', 'INVITE')).toHaveLength(2);
    // The OXO holds (a=sendonly): media flows from it, and none toward it (RFC 3264 §6.1).
    oxo.media.play(toneSource(1500, 8000));
    provider.media.play(toneSource(1000, 8000));
    expect(await until(() => toneLevel(provider.media, 1500) > 0.05)).toBe(true);
    expect(toneLevel(oxo.media, 1000)).toBeLessThan(0.01);
  });

  it('one-way-audio: LAN→WAN RTP is dropped, WAN→LAN still flows', async () => {
    const { r, oxo, provider } = await call({ faults: { 'one-way-audio': true } });
    oxo.media.play(toneSource(1000, 8000));
    provider.media.play(toneSource(1500, 8000));
    expect(await until(() => toneLevel(oxo.media, 1500) > 0.05)).toBe(true);
    await sleep(200);
    expect(provider.media.stats().received).toBe(0);
    const rec = r.sbc.calls()[0]!;
    expect(rec.relay?.['lan->wan']?.dropped).toBeGreaterThan(5);
    expect(rec.relay?.['lan->wan']?.relayed).toBe(0);
  });

  it('drop-info: INFO is answered 200 but no digit reaches the other side', async () => {
    const { r, oxo, provider } = await call({ faults: { 'drop-info': true } });
    const out = await r.provider.ua.requestInDialog(provider.dialog, 'INFO', {
      body: 'Signal=9\r\nDuration=160\r\n',
      contentType: 'application/dtmf-relay',
    });
    expect(out.status).toBe(200);
    await sleep(400);
    expect(oxo.media.dtmfReceived).toHaveLength(0);
    expect(r.oxo.messages('in', 'INFO')).toHaveLength(0);
    expect(r.sbc.calls()[0]!.info[0]?.action).toBe('dropped');
  });

  it('refer-405: REFER is answered 405 and not relayed', async () => {
    const { r, oxoDialog } = await call({ faults: { 'refer-405': true } });
    const out = await sendRefer(r.oxo.ua, oxoDialog, '<sip:0309999@127.0.20.2>');
    expect(out.status).toBe(405);
    expect(r.provider.messages('in', 'REFER')).toHaveLength(0);
  });

  it('no-bye-relay: the BYE is answered 200 but the other leg stays up', async () => {
    const { r, provider, oxoDialog } = await call({ faults: { 'no-bye-relay': true } });
    const out = await r.oxo.ua.bye(oxoDialog);
    expect(out.status).toBe(200);
    await sleep(400);
    expect(r.provider.messages('in', 'BYE')).toHaveLength(0);
    expect(provider.dialog.state).toBe('confirmed');
    expect(r.sbc.calls()[0]!.byeNotRelayed).toBe('lan');
  });

  it('session-limit: with N calls up the next INVITE gets 503 and is not relayed; after a BYE a call goes through', async () => {
    const { r, oxoDialog } = await call({ faults: { 'session-limit': 1 } });
    expect(r.sbc.liveCalls).toBe(1);
    const refused = await placeCall(r.oxo, RIG_ADDRESSES.oxo, PCMA_TE, {
      uri: r.lanUri('0301234567'),
      from: `sip:200@${RIG_ADDRESSES.oxo}`,
    });
    legs.push(refused.media);
    expect(refused.outcome.status).toBe(503);
    // No Retry-After: when a call ends is not known.
    expect(refused.outcome.response?.get('retry-after')).toBeUndefined();
    expect(r.provider.messages('in', 'INVITE')).toHaveLength(1);
    expect(r.sbc.calls()).toHaveLength(1);
    expect((await r.oxo.ua.bye(oxoDialog)).status).toBe(200);
    expect(await until(() => r.sbc.liveCalls === 0)).toBe(true);
    // The limit counts the calls up, not the calls so far: the next one is carried.
    await lanToWan(r);
    expect(r.provider.messages('in', 'INVITE')).toHaveLength(2);
  });

  it('bye-500: a BYE from either side is answered 500 and not relayed; both legs and the call stay up', async () => {
    const { r, provider, oxoDialog } = await call({ faults: { 'bye-500': true } });
    const out = await r.oxo.ua.bye(oxoDialog);
    expect(out.status).toBe(500);
    await sleep(400);
    expect(r.provider.messages('in', 'BYE')).toHaveLength(0);
    expect(provider.dialog.state).toBe('confirmed');
    expect(r.sbc.liveCalls).toBe(1);
    // The provider's own BYE is refused too, and the OXO hears of none.
    expect((await r.provider.ua.bye(provider.dialog)).status).toBe(500);
    await sleep(200);
    expect(r.oxo.messages('in', 'BYE')).toHaveLength(0);
    expect(r.sbc.liveCalls).toBe(1);
    // Switched off, a BYE ends the call again.
    r.sbc.setFault('bye-500', undefined);
    const { oxoDialog: second } = await lanToWan(r);
    expect((await r.oxo.ua.bye(second)).status).toBe(200);
    expect(await until(() => r.provider.messages('in', 'BYE').length === 1)).toBe(true);
  });

  it('bye-cseq-backwards: the relayed BYE has a CSeq below the INVITE’s; the far UA answers 500', async () => {
    const { r, provider, oxoDialog } = await call({ faults: { 'bye-cseq-backwards': true } });
    await r.oxo.ua.bye(oxoDialog);
    expect(await until(() => r.provider.messages('in', 'BYE').length > 0)).toBe(true);
    const invite = r.provider.messages('in', 'INVITE')[0]!;
    const bye = r.provider.messages('in', 'BYE')[0]!;
    expect(bye.cseq!.seq).toBeLessThan(invite.cseq!.seq);
    expect(await until(() => r.provider.messages('out', 500).length > 0)).toBe(true);
    expect(provider.dialog.state).toBe('confirmed');
  });

  it('stop-rtp-after: RTP stops in both directions N seconds after the answer', async () => {
    const { oxo, provider } = await call({ faults: { 'stop-rtp-after': 0.3 } });
    oxo.media.play(toneSource(1000, 8000));
    provider.media.play(toneSource(1500, 8000));
    await sleep(700);
    const a = [provider.media.stats().received, oxo.media.stats().received];
    expect(a[0]).toBeGreaterThan(0);
    expect(a[1]).toBeGreaterThan(0);
    await sleep(400);
    expect([provider.media.stats().received, oxo.media.stats().received]).toEqual(a);
  });

  it('delay-media: RTP is held N ms in both directions, and the audio checks measure it (300 ms: −5/+60 ms)', async () => {
    const { r, oxo, provider } = await call({ faults: { 'delay-media': 300 } });
    const toProvider = new DelayProbe(systemClock, provider.media);
    const toOxo = new DelayProbe(systemClock, oxo.media);
    oxo.media.play(toProvider.wrap(markedToneSource(1000, 16000, 1)));
    provider.media.play(toOxo.wrap(markedToneSource(1500, 16000, 2)));
    expect(
      await until(() => toneLevel(provider.media, 1000) > 0.03 && toneLevel(oxo.media, 1500) > 0.03),
    ).toBe(true);
    await sleep(600);
    for (const [dir, probe] of [
      ['lan->wan', toProvider],
      ['wan->lan', toOxo],
    ] as const) {
      const d = probe.measure();
      probe.close();
      expect(d.found, dir).toBe(true);
      // The hold is a floor (timers never fire early by more than their 1 ms granularity);
      // the harness's own resampling adds about 4 ms and a loaded machine some more.
      expect(d.delayMs, dir).toBeGreaterThanOrEqual(295);
      expect(d.delayMs, dir).toBeLessThanOrEqual(360);
      expect(r.sbc.calls()[0]!.relay?.[dir]?.relayed, dir).toBeGreaterThan(10);
    }
  });

  it.each([
    ['silence-suppression', true],
    ['silence-suppression-unmarked', false],
  ] as const)(
    '%s: silence is not relayed; the first packet after it has M=%s, both ways',
    async (fault, marked) => {
      const { r, oxo, provider } = await call({ faults: { [fault]: true } });
      // Both phones send silence first.
      oxo.media.play(pcmSource(new Int16Array(8000), 8000, true));
      provider.media.play(pcmSource(new Int16Array(8000), 8000, true));
      const t0 = performance.now();
      await sleep(400);
      const t1 = performance.now();
      // What the call invariants read: silence packet after packet, then not once a tone plays.
      expect(oxo.media.sentSilenceThroughout(t0 + 100, t1 - 50)).toBe(true);
      expect(oxo.media.sentSoundBetween(t0 + 100, t1 - 50)).toBe(false);
      expect(oxo.media.sentSilenceThroughout(t0 - 1000, t1 - 50)).toBe(false);
      expect(oxo.media.stats().sent).toBeGreaterThan(10);
      expect(provider.media.stats().received).toBe(0);
      expect(oxo.media.stats().received).toBe(0);
      oxo.media.play(toneSource(1000, 8000));
      provider.media.play(toneSource(1500, 8000));
      expect(
        await until(() => toneLevel(provider.media, 1000) > 0.05 && toneLevel(oxo.media, 1500) > 0.05),
      ).toBe(true);
      const t2 = performance.now();
      expect(oxo.media.sentSilenceThroughout(t2 - 100, t2 - 20)).toBe(false);
      expect(oxo.media.sentSoundBetween(t2 - 100, t2 - 20)).toBe(true);
      for (const leg of [provider.media, oxo.media]) {
        const rtp = leg
          .evidence()
          .filter((p) => p.direction === 'received' && p.channel === 'rtp')
          .map((p) => parseRtp(p.bytes))
          .flatMap((v) => (v.ok ? [v.packet] : []));
        expect(rtp[0]!.marker).toBe(marked);
        expect(rtp.slice(1, 5).every((p) => !p.marker)).toBe(true);
      }
      expect(r.sbc.calls()[0]!.relay?.['lan->wan']?.dropped).toBeGreaterThan(10);
      // Mid-call: a tone, 700 ms of silence, a tone again. The packet after the silence goes on
      // numbering with its timestamp run on over the silence (RFC 3550 §5.1), M as the switch says,
      // and the call invariant takes the gap as suppressed silence.
      oxo.media.play(pcmSource(new Int16Array(8000), 8000, true));
      const s0 = performance.now();
      await sleep(700);
      const s1 = performance.now();
      oxo.media.play(toneSource(1000, 8000));
      await sleep(300);
      const arrived = provider.media
        .evidence()
        .filter((p) => p.direction === 'received' && p.channel === 'rtp')
        .flatMap((p) => {
          const v = parseRtp(p.bytes);
          return v.ok ? [{ at: p.atMs, ...v.packet }] : [];
        });
      const k = arrived.findIndex((p, i) => i > 0 && p.at > s0 && p.at - arrived[i - 1]!.at > 500);
      expect(k).toBeGreaterThan(0);
      const [before, after] = [arrived[k - 1]!, arrived[k]!];
      expect((after.sequenceNumber - before.sequenceNumber) & 0xffff).toBe(1);
      expect((after.timestamp - before.timestamp) >>> 0).toBeGreaterThanOrEqual(8 * 500);
      expect(after.marker).toBe(marked);
      const g = findMediaGaps({
        received: arrived.map((p) => ({
          at: p.at,
          pt: p.payloadType,
          version: 2,
          marker: p.marker,
          seq: p.sequenceNumber,
          ts: p.timestamp,
          ssrc: p.ssrc,
        })),
        spans: [{ from: s0 - 200, to: s1 + 250 }],
        boundMs: 500,
        comfortNoisePts: new Set([13]),
        silenceSupp: false,
        stalls: () => [],
        farSilentThroughout: (from, to) => oxo.media.sentSilenceThroughout(from, to),
      });
      expect(g.failures).toEqual([]);
      expect(g.legal).toHaveLength(1);
      expect(g.suppressionResumed).toBe(true);
    },
  );

  it('reorder-codecs: the offer lists codecs in reverse policy order', async () => {
    const all: MediaPrefs = { codecs: ['G722', 'PCMA', 'PCMU'], telephoneEvent: true };
    const { provider } = await call({ faults: { 'reorder-codecs': true } }, all, all);
    const wanOffer = parseSdp(provider.invite.offer ?? '');
    const names = wanOffer.ok ? wanOffer.value.media[0]!.formats.map((f) => f.name) : [];
    expect(names.filter((n) => n !== 'telephone-event')).toEqual(['PCMU', 'PCMA', 'G722']);
  });

  it('double-dtmf: one digit arrives both as RFC 4733 and as an inband tone', async () => {
    const { oxo, provider } = await call({ faults: { 'double-dtmf': true } });
    await oxo.media.sendDtmf('4', 'rfc2833', 120);
    expect(await until(() => provider.media.dtmfReceived.length >= 2)).toBe(true);
    const modes = provider.media.dtmfReceived.filter((d) => d.digit === '4').map((d) => d.mode);
    expect(modes.sort()).toEqual(['inband', 'rfc2833']);
  });

  it('te-wrong-pt: RFC 4733 reports reach the provider under PT 102, not the negotiated 101', async () => {
    const { oxo, provider } = await call({ faults: { 'te-wrong-pt': true } });
    expect(provider.media.negotiated?.telephoneEventPt).toBe(101);
    await oxo.media.sendDtmf('4', 'rfc2833', 120);
    expect(await until(() => receivedPts(provider.media).has(102))).toBe(true);
    expect(receivedPts(provider.media).has(101)).toBe(false);
    await sleep(300);
    expect(provider.media.dtmfReceived.filter((d) => d.mode === 'rfc2833')).toEqual([]);
  });

  it('te-no-end-bit: the reports of an RFC 4733 digit reach the provider, none with the E bit', async () => {
    const { oxo, provider } = await call({ faults: { 'te-no-end-bit': true } });
    await oxo.media.sendDtmf('4', 'rfc2833', 120);
    const reports = () =>
      provider.media.evidence().flatMap((p) => {
        const v = p.direction === 'received' && p.channel === 'rtp' ? parseRtp(p.bytes) : undefined;
        if (!v?.ok || v.packet.payloadType !== 101) return [];
        const r = decodeTelephoneEvent(v.packet.payload);
        return r.ok ? [r.value] : [];
      });
    // The digit lasts 120 ms: its reports and the three final ones have all gone out by 400 ms.
    expect(await until(() => reports().length >= 6)).toBe(true);
    await sleep(300);
    expect(reports().every((r) => r.event === 4 && !r.end)).toBe(true);
  });
});

describe('reference SBC: REFER', () => {
  it("policy 'pass': the REFER is relayed with the target in the provider's domain", async () => {
    const { r, provider, oxoDialog } = await call({ referPolicy: 'pass' });
    provider.dialog.on('request', (req, tx) =>
      tx.respond(createResponse(req, req.method === 'REFER' ? 202 : 200)),
    );
    const out = await sendRefer(r.oxo.ua, oxoDialog, `<sip:0309999@${RIG_ADDRESSES.sbcLan}>`);
    expect(out.status).toBe(202);
    const refer = r.provider.messages('in', 'REFER')[0];
    expect(refer?.get('refer-to')).toBe(`<sip:0309999@${RIG_ACCOUNTS.providerDomain}>`);
  });

  it("policy 'local': the SBC calls the target, bridges it to the transferee, and NOTIFYs 100 then 200", async () => {
    const { r, provider, oxoDialog } = await call({ referPolicy: 'local' });
    const notifies: number[] = [];
    oxoDialog.on('request', (req, tx) => {
      if (req.method === 'NOTIFY') notifies.push(sipfragStatus(req.bodyText) ?? 0);
      tx.respond(createResponse(req, 200));
    });
    const target = answerNextCall(r.provider, RIG_ADDRESSES.provider, PCMA_TE);
    const out = await sendRefer(r.oxo.ua, oxoDialog, `<sip:0309999@${RIG_ADDRESSES.sbcLan}>`);
    expect(out.status).toBe(202);
    const c = await target;
    legs.push(c.media);
    expect(c.invite.request.uri).toBe(`sip:0309999@${RIG_ACCOUNTS.providerDomain}`);
    expect(await until(() => notifies.includes(200))).toBe(true);
    expect(notifies[0]).toBe(100);
    // The transferee (the provider's first leg) and the target now talk through the SBC.
    provider.media.play(toneSource(1000, 8000));
    c.media.play(toneSource(1500, 8000));
    expect(await until(() => toneLevel(c.media, 1000) > 0.05 && toneLevel(provider.media, 1500) > 0.05)).toBe(
      true,
    );
    // The referrer hangs up; the transferred call stays up.
    await r.oxo.ua.bye(oxoDialog);
    await sleep(200);
    expect(provider.dialog.state).toBe('confirmed');
    expect(c.dialog.state).toBe('confirmed');
    const rec = r.sbc.calls()[0]!;
    expect(rec.refers[0]).toMatchObject({ policy: 'local', status: 202, outcome: 200 });
    expect(rec.extraLegs[0]?.callId).toBe(c.invite.request.callId);
  });
});
