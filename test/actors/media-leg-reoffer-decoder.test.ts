/**
 * A re-offer that keeps the codec keeps the MediaLeg's decoder. An SBC may re-INVITE a leg in
 * the middle of a call (a new port: RFC 3264 §8.3.1; personality port-change) while its encoder
 * for that leg goes on: a stateful decoder (G.722's ADPCM) reset at that moment decodes the next
 * packets wrongly for tens of ms. Found under load through the embedded SBC with port-change:
 * the first inband digit, sounding across the re-INVITE, was split in two (1159# for 159#).
 * Real UDP on loopback into a real MediaLeg; G.722 packets from one encoder, as the embedded SBC
 * sends, and from an encoder restarted at the move, as another SBC may (one digit as well).
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { g722 } from '../../codecs/index.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { generateDtmfTone } from '../../harness/media/dtmf/index.ts';
import { buildRtp } from '../../harness/media/rtp/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function offer(port: number, version: number): string {
  return [
    'v=0',
    `o=sbc 1 ${version} IN IP4 127.0.85.4`,
    's=-',
    'c=IN IP4 127.0.85.4',
    't=0 0',
    `m=audio ${port} RTP/AVP 9`,
    'a=rtpmap:9 G722/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

describe('MediaLeg: a re-offer with the same codec in the middle of a stream', () => {
  // An SBC may keep its encoder across the move (the embedded one) or start a new one with the
  // new stream: both are legal, and either way the tone is one digit.
  for (const restart of [false, true])
    it(`keeps the G.722 decoder: a tone sounding across it is one digit${restart ? ', the sender restarting its encoder too' : ', decoded as sent'}`, async () => {
      const vc = new VirtualClock();
      const leg = await MediaLeg.open({
        localAddress: '127.0.85.3',
        prefs: { codecs: ['G722'], telephoneEvent: false },
        clock: vc,
        name: 'deskphone',
        rtcpIntervalMs: 0,
      });
      cleanup.push(() => leg.close());
      const socks: Socket[] = [];
      for (let i = 0; i < 2; i++) {
        const s = createSocket('udp4');
        await new Promise<void>((r) => s.bind(0, '127.0.85.4', r));
        cleanup.push(() => new Promise<void>((r) => s.close(() => r())));
        socks.push(s);
      }
      const [first, second] = socks as [Socket, Socket];
      const r = leg.acceptOffer(offer(first.address().port, 1));
      expect(r.ok).toBe(true);
      // 100 ms silence, a 200 ms tone, 200 ms silence: 20 ms frames at 16 kHz, one encoder.
      const tone = generateDtmfTone('1', { sampleRate: 16000, durationMs: 200, levelDbm0: -7 });
      const frames: Int16Array[] = [];
      for (let i = 0; i < 5; i++) frames.push(new Int16Array(320));
      for (let i = 0; i < 10; i++) frames.push(tone.subarray(i * 320, (i + 1) * 320));
      for (let i = 0; i < 10; i++) frames.push(new Int16Array(320));
      let enc = g722.createEncoder();
      const payloads = frames.map((f, i) => {
        if (restart && i === 10) enc = g722.createEncoder();
        return enc.encode(f);
      });
      let received = 0;
      for (let i = 0; i < frames.length; i++) {
        // Half-way through the tone the SBC moves to a new port: a re-offer, same codec.
        if (i === 10) expect(leg.acceptOffer(offer(second.address().port, 2)).ok).toBe(true);
        const sock = i < 10 ? first : second;
        const bytes = buildRtp({
          payloadType: 9,
          sequenceNumber: 100 + i,
          timestamp: 5000 + i * 160,
          ssrc: i < 10 ? 0x1234 : 0x5678,
          payload: payloads[i]!,
        });
        vc.advance(20);
        await new Promise<void>((res) => sock.send(bytes, leg.local.port, leg.local.address, () => res()));
        received++;
        for (let k = 0; k < 200 && leg.details().received < received; k++) await sleep(2);
      }
      for (let t = 0; t < 400; t += 20) {
        vc.advance(20);
        await sleep(1);
      }
      expect(leg.dtmfReceived.map((d) => d.digit)).toEqual(['1']);
      // What was recorded is what one decoder, kept across the re-offer, gives for the stream.
      const dec = g722.createDecoder();
      const expected = payloads.flatMap((p) => [...dec.decode(p)]);
      expect([...leg.receivedAudio().samples]).toEqual(expected);
    });
});
