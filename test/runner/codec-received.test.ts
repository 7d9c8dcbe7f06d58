/**
 * The codec check (Checks.codec) judges what the far side sends on a leg as well as what the leg
 * negotiated. RFC 3264 §6.1 lets the answerer send any format that both the offer and its answer
 * list, so an SBC that answers "8 0" may send PCMU: the leg then carries PCMU. Before, the check
 * looked at the answer's first codec only and passed such a leg as PCMA.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { codecByName } from '../../codecs/index.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { buildRtp } from '../../harness/media/rtp/index.ts';
import { Checks, RECEIVED_CODEC_MIN_PACKETS } from '../../harness/runner/checks.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const legs: MediaLeg[] = [];
const socks: Socket[] = [];
afterEach(async () => {
  for (const s of socks.splice(0)) s.close();
  await Promise.all(legs.splice(0).map((l) => l.close()));
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A deskphone leg that offered PCMA and PCMU and got the answer "8 0" (both codecs, A-law
 * first, as an SBC may answer), and a bare socket that sends it RTP as that SBC would.
 */
async function answeredBoth() {
  const clock = new VirtualClock();
  const phone = await MediaLeg.open({
    localAddress: '127.0.0.1',
    prefs: { codecs: ['PCMA', 'PCMU'], telephoneEvent: true },
    clock,
    name: 'deskphone',
    rtcpIntervalMs: 0,
  });
  legs.push(phone);
  const sock = createSocket('udp4');
  socks.push(sock);
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const offer = phone.createOffer('sendrecv');
  expect(offer).toMatch(/^m=audio \d+ RTP\/AVP 8 0/m);
  const answer = [
    'v=0',
    'o=sbc 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${sock.address().port} RTP/AVP 8 0 101`,
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=sendrecv',
    '',
  ].join('\r\n');
  expect(phone.acceptAnswer(answer)).toEqual({ ok: true });
  let seq = 1;
  let ts = 0;
  const send = async (codec: 'PCMA' | 'PCMU', packets: number) => {
    const enc = codecByName(codec)!.createEncoder();
    for (let i = 0; i < packets; i++) {
      const pcm = new Int16Array(160);
      for (let k = 0; k < 160; k++)
        pcm[k] = Math.round(4000 * Math.sin((2 * Math.PI * 700 * (ts + k)) / 8000));
      const bytes = buildRtp({
        payloadType: codec === 'PCMA' ? 8 : 0,
        sequenceNumber: seq++,
        timestamp: ts,
        ssrc: 0x5bc0_0001,
        payload: enc.encode(pcm),
      });
      ts += 160;
      await new Promise<void>((r) => sock.send(bytes, phone.local.port, phone.local.address, () => r()));
      await sleep(1);
    }
  };
  const arrived = async (n: number) => {
    for (let i = 0; i < 200 && phone.stats().received < n; i++) await sleep(5);
    expect(phone.stats().received).toBe(n);
  };
  return { phone, send, arrived, answer, checks: new Checks(clock) };
}

describe('the codec check judges what the far side sends', () => {
  it('an SBC that answered "8 0" and sends PCMU: NOK where PCMA is asked, OK where either G.711 is', async () => {
    const { phone, send, arrived, checks } = await answeredBoth();
    expect(phone.negotiated?.codec).toBe('PCMA');
    await send('PCMU', 20);
    await arrived(20);
    expect(checks.codec({ media: phone }, 'PCMA', 'the deskphone leg')).toBe(false);
    expect(checks.records.at(-1)).toMatchObject({
      observed: 'PCMA sent, PCMU received (20 packets)',
      failure: expect.stringMatching(
        /^The deskphone leg negotiated PCMA, but PCMU \(20 packets\) arrived on it, expected PCMA \(RFC 3264 §6\.1/,
      ),
    });
    expect(checks.codec({ media: phone }, ['PCMA', 'PCMU'], 'the deskphone leg')).toBe(true);
  });

  it('an SBC that answered "8 0" and sends PCMA: OK, observed as the codec alone', async () => {
    const { phone, send, arrived, checks } = await answeredBoth();
    await send('PCMA', 20);
    await arrived(20);
    expect(checks.codec({ media: phone }, 'PCMA', 'the deskphone leg')).toBe(true);
    expect(checks.records.at(-1)?.observed).toBe('PCMA');
  });

  it('ringback before the answer in another codec both SDPs list is not judged: the count starts again with the audio check (clearReceived)', async () => {
    const { phone, send, arrived, checks } = await answeredBoth();
    // Early media in PCMU (a 183 whose SDP the 200 repeats: no new exchange), then the call's audio.
    await send('PCMU', 30);
    await arrived(30);
    phone.clearReceived();
    await send('PCMA', 20);
    await arrived(50);
    expect(checks.codec({ media: phone }, 'PCMA', 'the deskphone leg')).toBe(true);
    expect(phone.receivedSinceNegotiated()).toEqual({ PCMA: 20 });
  });

  it(`fewer than ${RECEIVED_CODEC_MIN_PACKETS} packets of another codec (still on their way from before a re-negotiation) do not count; a new negotiation starts the count again`, async () => {
    const { phone, send, arrived, answer, checks } = await answeredBoth();
    await send('PCMU', RECEIVED_CODEC_MIN_PACKETS - 1);
    await send('PCMA', 10);
    await arrived(RECEIVED_CODEC_MIN_PACKETS + 9);
    expect(checks.codec({ media: phone }, 'PCMA', 'the deskphone leg')).toBe(true);
    expect(phone.receivedSinceNegotiated()).toEqual({ PCMU: RECEIVED_CODEC_MIN_PACKETS - 1, PCMA: 10 });
    // A new exchange (a re-offer answered the same way) starts a new count.
    phone.createOffer('sendrecv');
    expect(phone.acceptAnswer(answer.replace('o=sbc 1 1', 'o=sbc 1 2'))).toEqual({ ok: true });
    expect(phone.receivedSinceNegotiated()).toEqual({});
    await send('PCMU', RECEIVED_CODEC_MIN_PACKETS);
    await arrived(2 * RECEIVED_CODEC_MIN_PACKETS + 9);
    expect(checks.codec({ media: phone }, 'PCMA', 'the deskphone leg')).toBe(false);
  });
});
