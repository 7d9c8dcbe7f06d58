/**
 * DTMF at a MediaLeg when the SBC sends on two SSRCs: the issue-10 case of one RFC 2833 digit
 * whose packets (with their repeated end packets) are interleaved with audio on a second SSRC
 * that carries the same digit as an inband tone. Real UDP on loopback into a real MediaLeg; the
 * packets are hand-made, paced on a virtual clock. The leg must see the digit exactly twice,
 * once per mode, and the plan's judgement must say exactly that.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { pcma } from '../../codecs/index.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { generateDtmfTone, telephoneEventPackets } from '../../harness/media/dtmf/index.ts';
import { buildRtp } from '../../harness/media/rtp/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';
import { judgeDtmf } from '../../scenarios/outgoing.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const EVENT_SSRC = 0x0a0a_0a0a;
const AUDIO_SSRC = 0x0b0b_0b0b;

async function rig() {
  const vc = new VirtualClock();
  const leg = await MediaLeg.open({
    localAddress: '127.0.83.1',
    prefs: { codecs: ['PCMA'], telephoneEvent: true },
    clock: vc,
    name: 'deskphone',
    rtcpIntervalMs: 0,
  });
  cleanup.push(() => leg.close());
  const sock: Socket = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.83.2', r));
  cleanup.push(() => new Promise<void>((r) => sock.close(() => r())));
  const port = sock.address().port;
  const offer = [
    'v=0',
    'o=sbc 1 1 IN IP4 127.0.83.2',
    's=-',
    'c=IN IP4 127.0.83.2',
    't=0 0',
    `m=audio ${port} RTP/AVP 8 101`,
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
  const r = leg.acceptOffer(offer);
  if (!r.ok) throw new Error(r.reason);
  let received = 0;
  /** Sends one packet, waits (bounded) until the leg counted it, then lets 20 ms of virtual time pass. */
  const send = async (bytes: Uint8Array): Promise<void> => {
    await new Promise<void>((res) => sock.send(bytes, leg.local.port, leg.local.address, () => res()));
    received++;
    for (let i = 0; i < 200 && leg.details().received < received; i++) await sleep(2);
  };
  return { vc, leg, send };
}

describe('MediaLeg DTMF across SSRCs', () => {
  it('an RFC 2833 digit plus the same digit inband on a second SSRC is reported as exactly that', async () => {
    const { vc, leg, send } = await rig();
    const events = telephoneEventPackets('5', { startTimestamp: 40_000, durationMs: 100, ptimeMs: 20 });
    const enc = pcma.createEncoder();
    const tone = generateDtmfTone('5', { sampleRate: 8000, durationMs: 100, levelDbm0: -7 });
    // Audio on the second SSRC: 100 ms silence, the 100 ms tone, 300 ms silence.
    const frames: Int16Array[] = [];
    for (let i = 0; i < 5; i++) frames.push(new Int16Array(160));
    for (let i = 0; i < 5; i++) frames.push(tone.subarray(i * 160, (i + 1) * 160));
    for (let i = 0; i < 15; i++) frames.push(new Int16Array(160));
    let eseq = 1;
    let aseq = 1000;
    for (let i = 0; i < frames.length; i++) {
      vc.advance(20);
      await send(
        buildRtp({
          payloadType: 8,
          sequenceNumber: aseq++,
          timestamp: 90_000 + i * 160,
          ssrc: AUDIO_SSRC,
          marker: i === 0,
          payload: enc.encode(frames[i]!),
        }),
      );
      // The events run alongside the tone, their end packet repeated three times, interleaved.
      const e = events[i - 5];
      if (e)
        await send(
          buildRtp({
            payloadType: 101,
            sequenceNumber: eseq++,
            timestamp: e.timestamp,
            ssrc: EVENT_SSRC,
            marker: e.marker,
            payload: e.payload,
          }),
        );
    }
    // Let the idle timers close anything still open.
    for (let t = 0; t < 600; t += 20) {
      vc.advance(20);
      await sleep(1);
    }
    const seen = leg.dtmfReceived.map((d) => ({ digit: d.digit, mode: d.mode }));
    expect(seen.filter((d) => d.mode === 'rfc2833')).toEqual([{ digit: '5', mode: 'rfc2833' }]);
    expect(seen.filter((d) => d.mode === 'inband')).toEqual([{ digit: '5', mode: 'inband' }]);
    const j = judgeDtmf('5', seen, 'rfc2833', 'the IVR', 'Premium Deskphone 1');
    expect(j.ok).toBe(false);
    expect(j.failure).toBe(
      'DTMF 5 sent as RFC 2833 from the IVR arrived twice at Premium Deskphone 1: once as RFC 2833, once inband',
    );
  });

  it('a digit whose repeated end packets come on a new SSRC is one digit; a later press on it is another', async () => {
    const { vc, leg, send } = await rig();
    const first = telephoneEventPackets('9', { startTimestamp: 1000, durationMs: 100, ptimeMs: 20 });
    const second = telephoneEventPackets('9', { startTimestamp: 5000, durationMs: 100, ptimeMs: 20 });
    const firstEnd = first.findIndex((p) => p.end);
    let seq = 1;
    for (const [i, p] of first.entries()) {
      vc.advance(20);
      // The SBC changed SSRC (and timestamp base) right after the first end packet.
      const moved = i > firstEnd;
      await send(
        buildRtp({
          payloadType: 101,
          sequenceNumber: seq++,
          timestamp: moved ? (p.timestamp + 123_456) >>> 0 : p.timestamp,
          ssrc: moved ? AUDIO_SSRC : EVENT_SSRC,
          marker: p.marker,
          payload: p.payload,
        }),
      );
    }
    vc.advance(60);
    for (const p of second) {
      vc.advance(20);
      await send(
        buildRtp({
          payloadType: 101,
          sequenceNumber: seq++,
          timestamp: (p.timestamp + 123_456) >>> 0,
          ssrc: AUDIO_SSRC,
          marker: p.marker,
          payload: p.payload,
        }),
      );
    }
    for (let t = 0; t < 600; t += 20) {
      vc.advance(20);
      await sleep(1);
    }
    expect(leg.dtmfReceived.map((d) => `${d.digit}/${d.mode}`)).toEqual(['9/rfc2833', '9/rfc2833']);
    // The repeated end packets on the new SSRC are counted, as evidence, not reported.
    expect(leg.details()).toMatchObject({ telephoneEventSources: 2, telephoneEventCrossSourceDuplicates: 1 });
    expect(judgeDtmf('99', leg.dtmfReceived, 'rfc2833', 'A', 'B').ok).toBe(true);
  });
});
