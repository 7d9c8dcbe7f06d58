/**
 * The reference SBC between stand-ins on loopback: the OXO trunk registers to it (good and
 * wrong password), it registers its own line at a provider registrar (challenge, refresh,
 * retry), calls both ways carry audio through its anchored ports, G.722↔PCMA transcoding
 * is shown by decoding what arrives, and the WAN leg can be SRTP while the LAN stays RTP.
 */
import { describe, expect, it } from 'vitest';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import { parseSbcConfig } from '../../harness/actors/sbc-config.ts';
import {
  answerNextCall,
  placeCall,
  RIG_ACCOUNTS,
  RIG_ADDRESSES,
} from '../../harness/actors/sbc-stand-ins.ts';
import { parseRtp } from '../../harness/media/rtp/index.ts';
import { parseSdp } from '../../harness/sip/index.ts';
import { toneLevel, until, useSbcRigs } from '../support/sbc-rig.ts';

const { legs, rig, lanToWan } = useSbcRigs();

describe('reference SBC: registration', () => {
  it('the OXO trunk registers with the right password (401 then 200) and is refused with a wrong one (403)', async () => {
    const r = await rig();
    expect(await r.registerOxo('wrong-password')).toBe(403);
    expect(r.sbc.registrar.current()).toHaveLength(0);
    expect(await r.registerOxo()).toBe(200);
    const b = r.sbc.registrar.current();
    expect(b).toHaveLength(1);
    expect(b[0]!.contact).toContain(RIG_ADDRESSES.oxo);
    const statuses = r.sbc.registrar.attempts.map((a) => a.status);
    expect(statuses).toEqual([401, 403, 401, 200]);
    // The 200 lists the binding with the lifetime granted.
    const ok = r.oxo.messages('in', 200).find((m) => m.cseq?.method === 'REGISTER');
    expect(ok?.get('contact')).toMatch(/expires=(29\d|300)/);
  });

  it('registers its own line at the provider with digest, refreshes before expiry, and retries after a refusal', async () => {
    const r = await rig({ register: false, grantSeconds: 1, retryMs: 150 });
    r.registrar.refuseNext = 1;
    r.sbc.line.start();
    expect(await r.sbc.line.waitRegistered(4000)).toBe(true);
    // First authenticated attempt was refused (403), the retry succeeded.
    expect(r.sbc.line.attempts[0]?.status).toBe(403);
    expect(r.sbc.line.attempts.some((a) => a.status === 200 && a.expires === 1)).toBe(true);
    const auth = r.registrar.authenticated[0]!.get('authorization') ?? '';
    expect(auth).toContain(`username="${RIG_ACCOUNTS.line.username}"`);
    expect(auth).not.toContain(RIG_ACCOUNTS.line.password);
    // Granted 1 s: a refresh follows about 0.5 s later.
    const before = r.sbc.line.attempts.filter((a) => a.status === 200).length;
    expect(await until(() => r.sbc.line.attempts.filter((a) => a.status === 200).length > before, 3000)).toBe(
      true,
    );
    expect(r.sbc.lineState).toBe('registered');
  });

  it('refuses an invalid configuration with the key path', () => {
    const bad = parseSbcConfig({ lan: { address: '127.0.0.1' }, wan: {} });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.issues.some((i) => i.startsWith('lan.trunk'))).toBe(true);
      expect(bad.error.issues.some((i) => i.startsWith('wan.address'))).toBe(true);
    }
  });
});

describe('reference SBC: calls', () => {
  it('relays a LAN→WAN call with audio both ways through its own ports, identity rewritten, BYE relayed', async () => {
    const r = await rig();
    const pcma = { codecs: ['PCMA' as const], telephoneEvent: true };
    const { oxo, provider } = await lanToWan(r, pcma, pcma);
    // Signalling: the provider sees the line's domain and the calling number, not the OXO.
    const inv = provider.invite.request;
    expect(inv.uri).toBe(`sip:0301234567@${RIG_ACCOUNTS.providerDomain}`);
    expect(inv.get('from')).toContain(`sip:200@${RIG_ACCOUNTS.providerDomain}`);
    expect(inv.get('p-asserted-identity')).toContain(`sip:200@${RIG_ACCOUNTS.providerDomain}`);
    // Media anchored: each side's SDP points at the SBC's address on that side.
    expect(oxo.media.negotiated?.remote.address).toBe(RIG_ADDRESSES.sbcLan);
    expect(provider.media.negotiated?.remote.address).toBe(RIG_ADDRESSES.sbcWan);
    oxo.media.play(toneSource(1000, 8000));
    provider.media.play(toneSource(1500, 8000));
    expect(
      await until(() => toneLevel(provider.media, 1000) > 0.05 && toneLevel(oxo.media, 1500) > 0.05),
    ).toBe(true);
    const rec = r.sbc.calls()[0]!;
    expect(rec.direction).toBe('lan-to-wan');
    expect(rec.lan.callId).toBe(oxo.outcome.dialog!.id.callId);
    expect(rec.wan.callId).toBe(inv.callId);
    expect(rec.lan.callId).not.toBe(rec.wan.callId);
    expect([rec.lan.codec, rec.wan.codec, rec.transcoding]).toEqual(['PCMA', 'PCMA', false]);
    expect(rec.relay?.['lan->wan']?.relayed).toBeGreaterThan(5);
    const ended = new Promise<void>((res) => provider.dialog.once('terminated', () => res()));
    await r.oxo.ua.bye(oxo.outcome.dialog!);
    await ended;
    expect(await until(() => r.sbc.calls()[0]!.state === 'ended')).toBe(true);
    expect(r.sbc.calls()[0]!.endedBy).toBe('lan');
  });

  it('routes a WAN→LAN call to the registered OXO contact (To = DID) and transcodes PCMA ↔ G.722', async () => {
    const r = await rig();
    expect(await r.registerOxo()).toBe(200);
    const answered = answerNextCall(r.oxo, RIG_ADDRESSES.oxo, {
      codecs: ['G722', 'PCMA'],
      telephoneEvent: true,
    });
    const call = await placeCall(
      r.provider,
      RIG_ADDRESSES.provider,
      { codecs: ['PCMA'], telephoneEvent: true },
      {
        uri: r.wanUri(),
        from: `sip:0301234567@${RIG_ACCOUNTS.providerDomain}`,
      },
    );
    legs.push(call.media);
    expect(call.outcome.status).toBe(200);
    const oxo = await answered;
    legs.push(oxo.media);
    expect(oxo.invite.request.uri).toContain(`oxo@${RIG_ADDRESSES.oxo}`);
    expect(oxo.invite.request.get('to')).toContain(`sip:${RIG_ACCOUNTS.did}@`);
    expect(oxo.media.negotiated?.codec).toBe('G722');
    expect(call.media.negotiated?.codec).toBe('PCMA');
    // A 1 kHz tone from the provider (PCMA) arrives at the OXO as G.722, and back.
    call.media.play(toneSource(1000, 8000));
    oxo.media.play(toneSource(700, 16000));
    expect(await until(() => toneLevel(oxo.media, 1000) > 0.05 && toneLevel(call.media, 700) > 0.05)).toBe(
      true,
    );
    const g722Packets = oxo.media.evidence().filter((p) => {
      const v = p.direction === 'received' && p.channel === 'rtp' ? parseRtp(p.bytes) : undefined;
      return v?.ok && v.packet.payloadType === 9;
    });
    expect(g722Packets.length).toBeGreaterThan(5);
    const rec = r.sbc.calls()[0]!;
    expect([rec.direction, rec.lan.codec, rec.wan.codec, rec.transcoding]).toEqual([
      'wan-to-lan',
      'G722',
      'PCMA',
      true,
    ]);
    expect(rec.relay?.['wan->lan']?.transcoded).toBeGreaterThan(5);
  });

  it('answers 480 for the DID when no OXO is registered, 404 for a number not on the line', async () => {
    const r = await rig();
    const a = await placeCall(
      r.provider,
      RIG_ADDRESSES.provider,
      { codecs: ['PCMA'], telephoneEvent: false },
      {
        uri: r.wanUri(),
      },
    );
    legs.push(a.media);
    expect(a.outcome.status).toBe(480);
    const b = await placeCall(
      r.provider,
      RIG_ADDRESSES.provider,
      { codecs: ['PCMA'], telephoneEvent: false },
      {
        uri: r.wanUri('4930999999'),
      },
    );
    legs.push(b.media);
    expect(b.outcome.status).toBe(404);
  });

  it('uses SDES-SRTP toward the WAN while the LAN leg stays plain RTP', async () => {
    const r = await rig({ wanMedia: { srtp: 'AES_CM_128_HMAC_SHA1_80' } });
    const { oxo, provider } = await lanToWan(
      r,
      { codecs: ['PCMA'], telephoneEvent: true },
      { codecs: ['PCMA'], telephoneEvent: true, srtp: 'AES_CM_128_HMAC_SHA1_80' },
    );
    const wanOffer = parseSdp(provider.invite.offer ?? '');
    expect(wanOffer.ok && wanOffer.value.media[0]!.protocol).toBe('RTP/SAVP');
    expect(wanOffer.ok && wanOffer.value.media[0]!.crypto[0]?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    const lanAnswer = parseSdp(oxo.outcome.response!.bodyText);
    expect(lanAnswer.ok && lanAnswer.value.media[0]!.protocol).toBe('RTP/AVP');
    expect(provider.media.negotiated?.srtpSuite).toBe('AES_CM_128_HMAC_SHA1_80');
    oxo.media.play(toneSource(1000, 8000));
    provider.media.play(toneSource(1500, 8000));
    expect(
      await until(() => toneLevel(provider.media, 1000) > 0.05 && toneLevel(oxo.media, 1500) > 0.05),
    ).toBe(true);
    expect(provider.media.details().srtpAuthFailed).toBe(0);
    // On the wire, the WAN packets are longer than the plain LAN ones by the 10-byte auth tag.
    const lanSizes = oxo.media.evidence().filter((p) => p.direction === 'received' && p.channel === 'rtp');
    const wanSizes = provider.media
      .evidence()
      .filter((p) => p.direction === 'received' && p.channel === 'rtp');
    expect(wanSizes[0]!.bytes.length - lanSizes[0]!.bytes.length).toBe(10);
    expect(r.sbc.calls()[0]!.wan.srtpSuite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(r.sbc.calls()[0]!.lan.srtpSuite).toBeUndefined();
  });
});
