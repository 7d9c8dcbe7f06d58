/**
 * Comfort noise (RFC 3389) on a voice call is legal (docs/tolerances.md): a harness leg that
 * offered G.711 and receives CN packets (payload type 13) in the silences of the same stream
 * takes them as silence, keeps the stream's timing, and still hears the audio around them.
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { codecByName } from '../../codecs/index.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { analyseTone } from '../../harness/media/analysis/index.ts';
import { buildRtp } from '../../harness/media/rtp/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const legs: MediaLeg[] = [];
afterEach(async () => {
  await Promise.all(legs.splice(0).map((l) => l.close()));
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('MediaLeg and comfort noise', () => {
  it('CN packets between two bursts of tone are taken as silence; the tone is heard, nothing is lost', async () => {
    const vc = new VirtualClock();
    const peer = await MediaLeg.open({
      localAddress: '127.0.84.1',
      prefs: { codecs: ['PCMA'], telephoneEvent: true },
      clock: vc,
      name: 'SBC',
      rtcpIntervalMs: 0,
    });
    const leg = await MediaLeg.open({
      localAddress: '127.0.84.2',
      prefs: { codecs: ['PCMA'], telephoneEvent: true },
      clock: vc,
      name: 'phone',
      rtcpIntervalMs: 0,
    });
    legs.push(peer, leg);
    // An offer with CN, as an SBC that does comfort noise sends it (RFC 3389 §5).
    const offer = peer
      .createOffer('sendrecv')
      .replace(/^(m=audio \d+ RTP\/AVP 8)/m, '$1 13')
      .replace(/^(a=rtpmap:8 PCMA\/8000\r?\n)/m, '$1a=rtpmap:13 CN/8000\r\n');
    expect(offer).toMatch(/a=rtpmap:13 CN\/8000/);
    const answered = leg.acceptOffer(offer);
    expect(answered.ok).toBe(true);

    const enc = codecByName('PCMA')!.createEncoder();
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.84.1', () => r()));
    const ssrc = 0x1234_5678;
    let seq = 1000;
    let ts = 80_000;
    let phase = 0;
    const send = async (pt: number, payload: Uint8Array) => {
      const bytes = buildRtp({ payloadType: pt, sequenceNumber: seq++, timestamp: ts, ssrc, payload });
      ts += 160;
      await new Promise<void>((r) => sock.send(bytes, leg.local.port, leg.local.address, () => r()));
      await sleep(2);
    };
    const tone = async (packets: number) => {
      for (let i = 0; i < packets; i++) {
        const pcm = new Int16Array(160);
        for (let k = 0; k < 160; k++)
          pcm[k] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * phase++) / 8000));
        await send(8, enc.encode(pcm));
      }
    };
    await tone(30);
    // RFC 3389 §3: one byte, the noise level in -dBov (here -60 dBov); sent now and then in silence.
    for (let i = 0; i < 5; i++) await send(13, new Uint8Array([60]));
    ts += 160 * 20; // silence without packets between CN updates (RFC 3389 §4)
    await tone(30);
    sock.close();
    for (let i = 0; i < 100 && leg.stats().received < 65; i++) await sleep(10);

    const st = leg.stats();
    expect(st.received).toBe(65);
    expect(st.lost).toBe(0);
    expect(leg.details().unknownPayloadType, 'CN packets are counted, not decoded').toBe(5);
    const rx = leg.receivedAudio();
    // 60 tone packets + 5 CN packets + 20 packets of silence = 85 × 20 ms, at the recording rate.
    expect(rx.samples.length).toBe(Math.round((85 * 20 * rx.sampleRate) / 1000));
    const head = analyseTone(rx.samples, rx.sampleRate, {
      expectedHz: 1000,
      maxSamples: Math.round(0.5 * rx.sampleRate),
    });
    expect(head.present).toBe(true);
    const tailStart = Math.round(1.2 * rx.sampleRate);
    const tail = analyseTone(rx.samples, rx.sampleRate, { expectedHz: 1000, start: tailStart });
    expect(tail.present).toBe(true);
  });
});
