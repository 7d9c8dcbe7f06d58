/**
 * The SDP of an unreliable provisional response is a preview, not the answer (RFC 3261 §13.2.1:
 * the answer is in the 2xx, or in a reliable provisional, RFC 3262). Our caller applies it, so
 * that early media flows, and takes the 2xx's SDP as the answer, whether it repeats the preview
 * or not: a ringback stream a=sendonly on one port in the 183, then the call a=sendrecv on
 * another in the 200, as docs/sip-rules.md accepts. Before, the preview settled the offer, the
 * 200's SDP was refused ("no offer is outstanding"), and the leg stayed receive-only, sending
 * nothing, to the ringback's port. The peer is a bare UDP socket, the SBC's side of the call.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Call } from '../../harness/actors/call.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { parseMessage, type SipRequest, UserAgent } from '../../harness/sip/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const HOST = '127.0.0.1';
const TIMERS = { t1: 50, t2: 400, t4: 500 };

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sdp(port: number, direction: string, version: number): string {
  return [
    'v=0',
    `o=sbc 7 ${version} IN IP4 ${HOST}`,
    's=-',
    `c=IN IP4 ${HOST}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 8 101`,
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    `a=${direction}`,
    '',
  ].join('\r\n');
}

function response(
  inv: SipRequest,
  status: string,
  port: number,
  body: string,
  tag = 'sbc1',
  extra: string[] = [],
): string {
  return [
    `SIP/2.0 ${status}`,
    ...inv.getAll('via').map((v) => `Via: ${v}`),
    `From: ${inv.get('from')}`,
    `To: ${inv.get('to')};tag=${tag}`,
    ...extra,
    `Call-ID: ${inv.callId}`,
    `CSeq: ${inv.cseq?.seq} INVITE`,
    `Contact: <sip:sbc@${HOST}:${port}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** Our caller's INVITE to a bare socket; `answer(inv, send)` plays the SBC's responses. */
async function call(
  answer: (inv: SipRequest, send: (text: string) => void, port: number, media: MediaLeg) => Promise<void>,
) {
  const ua = await UserAgent.start({ listen: [{ protocol: 'UDP', address: HOST, port: 0 }], timers: TIMERS });
  stops.push(() => ua.stop());
  const media = await MediaLeg.open({
    localAddress: HOST,
    prefs: { codecs: ['PCMA'], telephoneEvent: true },
    clock: new VirtualClock(),
    name: 'phone',
    rtcpIntervalMs: 0,
  });
  stops.push(() => media.close());
  const sock: Socket = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, HOST, () => r()));
  stops.push(() => new Promise<void>((r) => sock.close(() => r())));
  const port = sock.address().port;
  let invite: SipRequest | undefined;
  let from: { address: string; port: number } | undefined;
  let acked = false;
  sock.on('message', (data, rinfo) => {
    const m = parseMessage(data);
    if (!m.ok || !m.message.isRequest) return;
    if (m.message.method === 'INVITE' && !invite) {
      invite = m.message;
      from = { address: rinfo.address, port: rinfo.port };
    }
    if (m.message.method === 'ACK') acked = true;
    if (m.message.method === 'BYE' || m.message.method === 'PRACK') {
      const bye = m.message;
      const ok = [
        'SIP/2.0 200 OK',
        ...bye.getAll('via').map((v) => `Via: ${v}`),
        `From: ${bye.get('from')}`,
        `To: ${bye.get('to')}`,
        `Call-ID: ${bye.callId}`,
        `CSeq: ${bye.cseq?.seq} ${bye.method}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(ok, rinfo.port, rinfo.address);
    }
  });
  const c = Call.outgoing(ua, media, { uri: `sip:+4940555003@${HOST}:${port}` });
  stops.push(() =>
    c
      .hangup()
      .then(() => undefined)
      .catch(() => undefined),
  );
  for (let i = 0; i < 100 && !invite; i++) await sleep(10);
  expect(invite).toBeDefined();
  await answer(invite as SipRequest, (text) => sock.send(text, from!.port, from!.address), port, media);
  for (let i = 0; i < 100 && !acked; i++) await sleep(10);
  expect(await c.established()).toBe(true);
  return { c, media };
}

describe('an unreliable provisional response’s SDP is a preview; the 2xx’s is the answer', () => {
  it('ringback a=sendonly on one port in the 183, the call a=sendrecv on another in the 200: the leg sends, to the 200’s port', async () => {
    const { c, media } = await call(async (inv, send, port, media) => {
      send(response(inv, '183 Session Progress', port, sdp(41000, 'sendonly', 1)));
      for (let i = 0; i < 50 && media.negotiated?.remote.port !== 41000; i++) await sleep(10);
      // The preview is applied: the ringback stream is received, nothing sent.
      expect(media.negotiated).toMatchObject({ remote: { port: 41000 }, direction: 'recvonly' });
      send(response(inv, '200 OK', port, sdp(41002, 'sendrecv', 2)));
    });
    expect(media.negotiated).toMatchObject({ remote: { port: 41002 }, direction: 'sendrecv' });
    expect(c.setupSdp).toContain('m=audio 41002');
  });

  // Each early dialog has its own exchange (RFC 3261 §13.2.1): another fork's reliable 183 must
  // not keep the answering fork's 200 from setting the call's media.
  it('forks: A’s 183 unreliable, B’s reliable, then A answers: the leg sends to A’s port', async () => {
    const { c, media } = await call(async (inv, send, port, media) => {
      send(response(inv, '183 Session Progress', port, sdp(41010, 'sendrecv', 1), 'forkA'));
      await sleep(100);
      send(
        response(inv, '183 Session Progress', port, sdp(42010, 'sendrecv', 1), 'forkB', [
          'Require: 100rel',
          'RSeq: 1',
        ]),
      );
      for (let i = 0; i < 50 && media.negotiated?.remote.port !== 42010; i++) await sleep(10);
      send(response(inv, '200 OK', port, sdp(41010, 'sendrecv', 1), 'forkA'));
    });
    expect(media.negotiated?.remote.port).toBe(41010);
    expect(c.badInput).toBe(0);
  });

  it('a 200 that repeats the 183’s SDP changes nothing, and settles the offer: a later answer is refused', async () => {
    const { media } = await call(async (inv, send, port, media) => {
      send(response(inv, '183 Session Progress', port, sdp(41004, 'sendrecv', 1)));
      for (let i = 0; i < 50 && media.negotiated?.remote.port !== 41004; i++) await sleep(10);
      send(response(inv, '200 OK', port, sdp(41004, 'sendrecv', 1)));
    });
    expect(media.negotiated).toMatchObject({ remote: { port: 41004 }, direction: 'sendrecv' });
    expect(media.acceptAnswer(sdp(41006, 'sendrecv', 2))).toEqual({
      ok: false,
      reason: 'no offer is outstanding',
    });
  });
});
