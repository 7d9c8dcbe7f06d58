/**
 * DTMF interworking through the reference SBC: RFC 4733 relayed with the other leg's
 * payload type, RFC 4733 turned into SIP INFO ("fallback on SIP INFO") or into inband tones
 * when the other leg has no telephone-event, SIP INFO turned into RFC 4733, and inband
 * tones detected on the LAN delivered as RFC 4733 on the WAN.
 */
import { describe, expect, it } from 'vitest';
import type { MediaLeg, MediaPrefs } from '../../harness/actors/media-leg.ts';
import { parseRtp } from '../../harness/media/rtp/index.ts';
import { until, useSbcRigs } from '../support/sbc-rig.ts';

const { rigCall: call } = useSbcRigs();

/** Telephone-event payload types of RTP packets a leg received. */
function eventPts(leg: MediaLeg, pt: number): number {
  return leg
    .evidence()
    .filter((p) => p.direction === 'received' && p.channel === 'rtp')
    .filter((p) => {
      const v = parseRtp(p.bytes);
      return v.ok && v.packet.payloadType === pt;
    }).length;
}

const WITH_TE: MediaPrefs = { codecs: ['PCMA'], telephoneEvent: true };
const NO_TE: MediaPrefs = { codecs: ['PCMA'], telephoneEvent: false };

describe('reference SBC: DTMF interworking', () => {
  it('relays RFC 4733 from LAN to WAN as RFC 4733 (one digit, the WAN payload type)', async () => {
    const { r, oxo, provider } = await call({}, WITH_TE, WITH_TE);
    await oxo.media.sendDtmf('5', 'rfc2833', 120);
    expect(await until(() => provider.media.dtmfReceived.some((d) => d.digit === '5'))).toBe(true);
    expect(provider.media.dtmfReceived.map((d) => [d.digit, d.mode])).toEqual([['5', 'rfc2833']]);
    const pt = provider.media.negotiated?.telephoneEventPt ?? -1;
    expect(eventPts(provider.media, pt)).toBeGreaterThan(2);
    expect(await until(() => r.sbc.calls()[0]!.dtmf.length === 1)).toBe(true);
    expect(r.sbc.calls()[0]!.dtmf[0]).toMatchObject({
      from: 'lan',
      to: 'wan',
      digit: '5',
      received: 'rfc2833',
      delivered: ['rfc2833'],
    });
  });

  it('falls back to SIP INFO (application/dtmf-relay) when the WAN leg has no telephone-event', async () => {
    const { r, oxo, provider } = await call({ wanMedia: { infoFallback: true } }, WITH_TE, NO_TE);
    expect(provider.media.negotiated?.telephoneEventPt).toBeUndefined();
    await oxo.media.sendDtmf('7', 'rfc2833', 160);
    expect(await until(() => r.provider.messages('in', 'INFO').length > 0)).toBe(true);
    const info = r.provider.messages('in', 'INFO')[0]!;
    expect(info.get('content-type')).toBe('application/dtmf-relay');
    expect(info.bodyText).toMatch(/Signal=7/);
    expect(info.bodyText).toMatch(/Duration=\d+/);
    expect(provider.media.dtmfReceived).toHaveLength(0);
  });

  it('converts RFC 4733 to inband tones when the WAN leg has no telephone-event and no INFO fallback', async () => {
    const { r, oxo, provider } = await call({}, WITH_TE, NO_TE);
    await oxo.media.sendDtmf('3', 'rfc2833', 120);
    expect(await until(() => provider.media.dtmfReceived.some((d) => d.digit === '3'))).toBe(true);
    expect(provider.media.dtmfReceived[0]!.mode).toBe('inband');
    expect(r.provider.messages('in', 'INFO')).toHaveLength(0);
    expect(r.sbc.calls()[0]!.dtmf[0]?.delivered).toEqual(['inband']);
  });

  it('converts SIP INFO from the provider into RFC 4733 toward the OXO', async () => {
    const { r, oxo, provider } = await call({}, WITH_TE, WITH_TE);
    const out = await r.provider.ua.requestInDialog(provider.dialog, 'INFO', {
      body: 'Signal=9\r\nDuration=160\r\n',
      contentType: 'application/dtmf-relay',
    });
    expect(out.status).toBe(200);
    expect(await until(() => oxo.media.dtmfReceived.some((d) => d.digit === '9'))).toBe(true);
    expect(oxo.media.dtmfReceived[0]!.mode).toBe('rfc2833');
    expect(r.oxo.messages('in', 'INFO')).toHaveLength(0);
    expect(r.sbc.calls()[0]!.info[0]).toMatchObject({ from: 'wan', digit: '9', action: 'converted' });
  });

  it('detects inband DTMF from the LAN (when configured) and delivers it as RFC 4733 on the WAN', async () => {
    const { r, oxo, provider } = await call({ lanMedia: { detectInband: true } }, NO_TE, WITH_TE);
    await oxo.media.sendDtmf('1', 'inband', 150);
    expect(
      await until(() => provider.media.dtmfReceived.some((d) => d.digit === '1' && d.mode === 'rfc2833')),
    ).toBe(true);
    expect(
      r.sbc.calls()[0]!.dtmf.some((d) => d.received === 'inband' && d.delivered.includes('rfc2833')),
    ).toBe(true);
    // The tone itself was held back: the provider hears the digit once, as an event.
    await new Promise((res) => setTimeout(res, 300));
    expect(provider.media.dtmfReceived.map((d) => [d.digit, d.mode])).toEqual([['1', 'rfc2833']]);
  });
});
