/**
 * Signalling through the reference SBC beyond the basic call: hold and resume re-INVITEs
 * relayed with their direction, CANCEL and busy relayed, bad SDP refused with 488, garbage
 * on its RTP ports counted without harm, challenged INVITEs from the LAN, the TLS listener
 * toward the provider, and G.729 transcoding when libbcg729 is installed.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { ReferenceSbc } from '../../harness/actors/reference-sbc.ts';
import {
  answerNextCall,
  placeCall,
  RIG_ACCOUNTS,
  RIG_ADDRESSES,
} from '../../harness/actors/sbc-stand-ins.ts';
import { createResponse, UserAgent } from '../../harness/sip/index.ts';
import { selfSignedCertificate } from '../../harness/support/certificate.ts';
import { VirtualClock } from '../../harness/support/clock.ts';
import { describeWithPeers } from '../support/peers.ts';
import { PCMA_TE as PCMA, sleep, toneLevel, until, useSbcRigs } from '../support/sbc-rig.ts';

const { legs, rig, lanToWan: call } = useSbcRigs();

describe('reference SBC: in-dialog and failure signalling', () => {
  it('relays hold (sendonly → recvonly) and resume re-INVITEs with rewritten SDP', async () => {
    const r = await rig();
    const { oxo, provider, oxoDialog } = await call(r);
    const reinvites: string[] = [];
    provider.dialog.on('request', (req, tx) => {
      if (req.method !== 'INVITE') return void tx.respond(createResponse(req, 200));
      reinvites.push(req.bodyText);
      const a = provider.media.acceptOffer(req.bodyText);
      const res = createResponse(req, a.ok ? 200 : 488, {
        headers: [['Contact', provider.dialog.localContact]],
        ...(a.ok ? { body: a.answer, contentType: 'application/sdp' } : {}),
      });
      tx.respond(res);
      if (a.ok) r.provider.ua.retransmit2xxUntilAck(provider.dialog, tx, res).catch(() => undefined);
    });
    const hold = await r.oxo.ua.reinvite(oxoDialog, oxo.media.createOffer('sendonly'));
    expect(hold.status).toBe(200);
    expect(hold.response?.bodyText).toMatch(/a=recvonly/);
    expect(reinvites[0]).toMatch(/a=sendonly/);
    expect(reinvites[0]).toMatch(new RegExp(`c=IN IP4 ${RIG_ADDRESSES.sbcWan.replace(/\./g, '\\.')}`));
    const resume = await r.oxo.ua.reinvite(oxoDialog, oxo.media.createOffer('sendrecv'));
    expect(resume.status).toBe(200);
    expect(reinvites[1]).toMatch(/a=sendrecv/);
    const rec = r.sbc.calls()[0]!;
    expect(rec.reinvites.map((x) => [x.from, x.status, x.direction])).toEqual([
      ['lan', 200, 'sendonly'],
      ['lan', 200, 'sendrecv'],
    ]);
    // Audio still flows after the resume.
    oxo.media.play(toneSource(1000, 8000));
    expect(await until(() => toneLevel(provider.media, 1000) > 0.05)).toBe(true);
  });

  it('relays ringing and CANCEL (the caller gets 487, the provider sees CANCEL)', async () => {
    const r = await rig();
    r.provider.ua.once('invite', (inv) => inv.ring());
    const media = await (await import('../../harness/actors/media-leg.ts')).MediaLeg.open({
      localAddress: RIG_ADDRESSES.oxo,
      prefs: PCMA,
    });
    legs.push(media);
    const inv = r.oxo.ua.invite({ method: 'INVITE', uri: r.lanUri('0301234567'), body: media.createOffer() });
    expect(await until(() => inv.responses.some((x) => x.status === 180))).toBe(true);
    inv.cancel();
    const out = await inv.result;
    expect(out.status).toBe(487);
    expect(await until(() => r.provider.messages('in', 'CANCEL').length === 1)).toBe(true);
    expect(await until(() => r.sbc.calls()[0]?.state === 'failed')).toBe(true);
  });

  it('relays a busy (486) from the provider and refuses an INVITE with bad SDP (488)', async () => {
    const r = await rig();
    r.provider.ua.once('invite', (inv) => inv.reject(486));
    const busy = await placeCall(r.oxo, RIG_ADDRESSES.oxo, PCMA, { uri: r.lanUri('0301234567') });
    legs.push(busy.media);
    expect(busy.outcome.status).toBe(486);
    const bad = await r.oxo.ua.invite({
      method: 'INVITE',
      uri: r.lanUri('0301234567'),
      body: 'v=0\r\nthis is not sdp\r\n',
    }).result;
    expect(bad.status).toBe(488);
    expect(r.sbc.calls().map((c) => [c.state, c.status])).toEqual([['failed', 486]]);
  });

  it('counts garbage on its RTP ports without harm; the call keeps working', async () => {
    const r = await rig();
    const { oxo, provider } = await call(r);
    const sbcLanPort = oxo.media.negotiated!.remote.port;
    const sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, RIG_ADDRESSES.oxo, () => res()));
    const junk = [
      Buffer.alloc(0),
      Buffer.from([0x80]),
      Buffer.alloc(11, 0x80),
      Buffer.from('hello world, not RTP at all'),
    ];
    for (const j of junk)
      await new Promise<void>((res) => sock.send(j, sbcLanPort, RIG_ADDRESSES.sbcLan, () => res()));
    sock.close();
    oxo.media.play(toneSource(1000, 8000));
    expect(await until(() => toneLevel(provider.media, 1000) > 0.05)).toBe(true);
    const rec = r.sbc.calls()[0]!;
    expect(rec.relay?.['lan->wan']?.relayed).toBeGreaterThan(0);
  });

  it('challenges INVITEs from the LAN when configured, and the trunk credentials pass', async () => {
    const r = await rig();
    r.sbc.config.lan.authenticateInvites = true;
    const noAuth = await placeCall(r.oxo, RIG_ADDRESSES.oxo, PCMA, { uri: r.lanUri('0301234567') });
    legs.push(noAuth.media);
    expect(noAuth.outcome.status).toBe(401);
    const answered = answerNextCall(r.provider, RIG_ADDRESSES.provider, PCMA);
    const ok = await placeCall(r.oxo, RIG_ADDRESSES.oxo, PCMA, {
      uri: r.lanUri('0301234567'),
      credentials: { ...RIG_ACCOUNTS.trunk },
    });
    legs.push(ok.media);
    expect(ok.outcome.status).toBe(200);
    legs.push((await answered).media);
  });
});

describe('reference SBC: a dialog of its own that ends ends the call', () => {
  it('a session timer of its own that expires (RFC 4028 §10): the expired leg gets the BYE with Reason 408, the other leg a BYE too', async () => {
    // The SBC on a clock of its own, so its session timer expires when the test says; the
    // stand-ins keep the system clock. The OXO asks for a 90 s session that it refreshes
    // itself (refresher=uac): the SBC only watches, and ends the leg 60 s in without a refresh.
    const vc = new VirtualClock(Date.now());
    const r = await rig({ clock: vc });
    const answered = answerNextCall(r.provider, RIG_ADDRESSES.provider, PCMA);
    const media = await MediaLeg.open({ localAddress: RIG_ADDRESSES.oxo, prefs: PCMA });
    legs.push(media);
    const out = await r.oxo.ua.invite({
      method: 'INVITE',
      uri: r.lanUri('0301234567'),
      from: `sip:200@${RIG_ADDRESSES.oxo}`,
      body: media.createOffer(),
      sessionExpires: 90,
    }).result;
    expect(out.status).toBe(200);
    expect(out.response?.get('session-expires')).toBe('90;refresher=uac');
    const far = await answered;
    legs.push(far.media);
    const oxoDialog = out.dialog!;
    // The OXO's ACK reaches the SBC before its clock moves (else 64*T1 of it would end the leg).
    expect(await until(() => r.sbc.lanUa.waitingAcks === 0)).toBe(true);
    // Time moves a second at a step, the event loop running between steps (the ACK of the
    // SBC's 2xx, its retransmissions' end).
    const step = async (seconds: number) => {
      for (let i = 0; i < seconds; i++) {
        vc.advance(1000);
        await sleep(10);
      }
    };
    await step(59);
    expect(oxoDialog.state).toBe('confirmed');
    expect(r.oxo.messages('in', 'BYE')).toHaveLength(0);
    await step(1);
    expect(await until(() => oxoDialog.state === 'terminated')).toBe(true);
    const bye = r.oxo.messages('in', 'BYE')[0];
    expect(bye?.get('reason')).toMatch(/cause=408/);
    // Before the fix the SBC took its own BYE for one it had relayed: the provider's leg
    // stayed up and the SBC kept the call.
    expect(await until(() => far.dialog.state === 'terminated')).toBe(true);
    expect(r.provider.messages('in', 'BYE')).toHaveLength(1);
    expect(await until(() => r.sbc.calls()[0]?.state === 'ended')).toBe(true);
    expect(r.sbc.calls()[0]?.endedBy).toBe('sbc');
  });

  it('a re-INVITE of its own answered 481 (RFC 3261 §12.2.1.2, §14.1) ends the call on both legs', async () => {
    // Personality session-refresh: the SBC re-INVITEs each leg 1.5 s after the ACK. The
    // provider no longer knows the dialog and answers 481.
    const r = await rig({ personalities: ['session-refresh'] });
    const { provider, oxoDialog } = await call(r);
    provider.dialog.on('request', (req, tx) => {
      if (req.method === 'INVITE') tx.respond(createResponse(req, 481));
      else tx.respond(createResponse(req, 200));
    });
    // Before the fix the call stayed up on both legs, its ports open.
    expect(await until(() => oxoDialog.state === 'terminated', 6000)).toBe(true);
    expect(r.oxo.messages('in', 'BYE')).toHaveLength(1);
    expect(await until(() => r.sbc.calls()[0]?.state === 'ended')).toBe(true);
    expect(r.sbc.calls()[0]?.endedBy).toBe('sbc');
    expect(r.sbc.calls()[0]?.reinvites.some((x) => x.from === 'sbc' && x.status === 481)).toBe(true);
  });
});

describe('reference SBC: TLS toward the provider', () => {
  it('listens for SIP over TLS on the WAN side with its self-signed certificate', async () => {
    const sbc = await ReferenceSbc.start({
      lan: { address: RIG_ADDRESSES.sbcLan, trunk: { ...RIG_ACCOUNTS.trunk } },
      wan: {
        address: RIG_ADDRESSES.sbcWan,
        tlsPort: 0,
        provider: { address: RIG_ADDRESSES.provider, port: 5999, protocol: 'TLS', domain: 'provider.test' },
        line: { ...RIG_ACCOUNTS.line, register: false },
      },
    });
    const client = await UserAgent.start({
      listen: [{ protocol: 'TLS', address: RIG_ADDRESSES.provider, port: 0 }],
      tls: await selfSignedCertificate('provider.test', [RIG_ADDRESSES.provider]),
    });
    try {
      const l = sbc.wanListener('TLS');
      expect(l.port).toBeGreaterThan(0);
      const out = await client.request({
        method: 'OPTIONS',
        uri: `sip:${l.address}:${l.port};transport=tls`,
        target: { protocol: 'TLS', address: l.address, port: l.port },
      });
      expect(out.status).toBe(200);
    } finally {
      await client.stop();
      await sbc.stop();
    }
  });
});

describeWithPeers(['bcg729'], 'reference SBC: G.729 transcoding (libbcg729)', () => {
  it('transcodes G.722 on the LAN to G.729 on the WAN, audio both ways', async () => {
    const r = await rig({ wanMedia: { codecs: ['G722', 'PCMA', 'G729'] } });
    const { oxo, provider } = await call(
      r,
      { codecs: ['G722'], telephoneEvent: true },
      { codecs: ['G729'], telephoneEvent: true },
    );
    expect(provider.media.negotiated?.codec).toBe('G729');
    expect(oxo.media.negotiated?.codec).toBe('G722');
    oxo.media.play(toneSource(800, 16000));
    provider.media.play(toneSource(1200, 8000));
    expect(
      await until(() => toneLevel(provider.media, 800) > 0.03 && toneLevel(oxo.media, 1200) > 0.03),
    ).toBe(true);
    expect(r.sbc.calls()[0]!.transcoding).toBe(true);
  });
});
