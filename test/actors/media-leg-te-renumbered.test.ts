/**
 * An answer that gives telephone-event another payload type than the offer did (offer 101,
 * answer 96). RFC 3264 §6.1 asks for the same number only with a SHOULD, and in RTP/AVP each
 * side's SDP names the number it receives with: our leg sends the events with 96 and takes
 * them with 101. Before, the answer's 96 was dropped as "not offered", no telephone-event was
 * negotiated, and the DTMF cases were NOK ("The SBC's SDP answer … has no telephone-event").
 * The SBC's side is a bare UDP socket.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { buildRtp, parseRtp } from '../../harness/media/rtp/index.ts';
import { negotiate, parseSdp } from '../../harness/sip/index.ts';
import { systemClock } from '../../harness/support/clock.ts';

const HOST = '127.0.0.1';
const legs: MediaLeg[] = [];
const socks: Socket[] = [];
afterEach(async () => {
  for (const s of socks.splice(0)) s.close();
  await Promise.all(legs.splice(0).map((l) => l.close()));
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function answer(port: number, tePt: number): string {
  return [
    'v=0',
    `o=sbc 1 1 IN IP4 ${HOST}`,
    's=-',
    `c=IN IP4 ${HOST}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 8 ${tePt}`,
    'a=rtpmap:8 PCMA/8000',
    `a=rtpmap:${tePt} telephone-event/8000`,
    `a=fmtp:${tePt} 0-15`,
    'a=sendrecv',
    '',
  ].join('\r\n');
}

describe('telephone-event renumbered in the answer', () => {
  it('negotiation keeps it, with both numbers; an answer with a number for an encoding never offered is still refused', () => {
    const offer = parseSdp(
      `v=0\r\no=a 1 1 IN IP4 ${HOST}\r\ns=-\r\nc=IN IP4 ${HOST}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n`,
    );
    const renumbered = parseSdp(answer(4002, 96));
    const unknown = parseSdp(answer(4002, 96).replaceAll('telephone-event', 'CN'));
    if (!offer.ok || !renumbered.ok || !unknown.ok) throw new Error('test SDP does not parse');
    const n = negotiate(offer.value, renumbered.value).media[0]!;
    expect(n.telephoneEvent).toEqual({ pt: 96, events: '0-15', offerPt: 101 });
    expect(n.problems).toEqual([]);
    const u = negotiate(offer.value, unknown.value).media[0]!;
    expect(u.telephoneEvent).toBeUndefined();
    expect(u.problems).toEqual(['answer payload type 96 was not offered']);
  });

  it('our leg sends the events with the answer’s 96 and takes the SBC’s with its own 101, not with 96', async () => {
    const leg = await MediaLeg.open({
      localAddress: HOST,
      prefs: { codecs: ['PCMA'], telephoneEvent: true },
      clock: systemClock,
      name: 'deskphone',
      rtcpIntervalMs: 0,
    });
    legs.push(leg);
    const sock = createSocket('udp4');
    socks.push(sock);
    await new Promise<void>((r) => sock.bind(0, HOST, () => r()));
    const sentPts = new Set<number>();
    sock.on('message', (data) => {
      const p = parseRtp(data);
      if (p.ok) sentPts.add(p.packet.payloadType);
    });
    expect(leg.createOffer('sendrecv')).toMatch(/^m=audio \d+ RTP\/AVP 8 101/m);
    expect(leg.acceptAnswer(answer(sock.address().port, 96))).toEqual({ ok: true });
    expect(leg.negotiated?.telephoneEventPt).toBe(96);

    await leg.sendDtmf('5', 'rfc2833', 100);
    for (let i = 0; i < 100 && !sentPts.has(96); i++) await sleep(10);
    expect([...sentPts]).toContain(96);
    expect([...sentPts]).not.toContain(101);

    // The SBC sends digit 7 with our 101, then digit 9 with its own 96 (wrong: not ours).
    let seq = 1;
    const event = async (pt: number, digit: number, ts: number) => {
      for (let k = 1; k <= 6; k++) {
        const end = k >= 4;
        const payload = new Uint8Array([digit, (end ? 0x80 : 0) | 10, 0, Math.min(k, 4) * 160]);
        const bytes = buildRtp({
          payloadType: pt,
          sequenceNumber: seq++,
          timestamp: ts,
          ssrc: 0x5bc,
          payload,
          marker: k === 1,
        });
        await new Promise<void>((r) => sock.send(bytes, leg.local.port, leg.local.address, () => r()));
        await sleep(2);
      }
    };
    await event(101, 7, 8000);
    await event(96, 9, 16000);
    for (let i = 0; i < 100 && leg.dtmfReceived.length < 1; i++) await sleep(10);
    await sleep(100);
    expect(leg.dtmfReceived.map((d) => [d.digit, d.mode])).toEqual([['7', 'rfc2833']]);
  });
});
