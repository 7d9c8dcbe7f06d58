/**
 * Inband DTMF at a MediaLeg when the audio's arrival pauses. The leg reports a digit still
 * sounding once no audio came for 200 ms (a stream may end on a tone), but it judges the tone's
 * length in RTP time: when the rest of the tone then arrives, right after what came in RTP time
 * (a stall of the host or of the network, not a gap in the audio), it is the same digit, not a
 * second one. Found under load through the embedded SBC, where the first digit was reported
 * twice. The rest of the tone on a new SSRC (an SBC that moved to a new port during the stall)
 * is the same digit too; silence in the audio, not the stream's identity, separates two presses.
 * Real UDP on loopback into a real MediaLeg; packets hand-made, paced on a virtual clock.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { pcma } from '../../codecs/index.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { generateDtmfTone } from '../../harness/media/dtmf/index.ts';
import { buildRtp } from '../../harness/media/rtp/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function rig() {
  const vc = new VirtualClock();
  const leg = await MediaLeg.open({
    localAddress: '127.0.85.1',
    prefs: { codecs: ['PCMA'], telephoneEvent: false },
    clock: vc,
    name: 'deskphone',
    rtcpIntervalMs: 0,
  });
  cleanup.push(() => leg.close());
  const sock: Socket = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.85.2', r));
  cleanup.push(() => new Promise<void>((r) => sock.close(() => r())));
  const port = sock.address().port;
  const offer = [
    'v=0',
    'o=sbc 1 1 IN IP4 127.0.85.2',
    's=-',
    'c=IN IP4 127.0.85.2',
    't=0 0',
    `m=audio ${port} RTP/AVP 8`,
    'a=rtpmap:8 PCMA/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
  const r = leg.acceptOffer(offer);
  if (!r.ok) throw new Error(r.reason);
  const enc = pcma.createEncoder();
  let received = 0;
  let seq = 1;
  /** Sends one 20 ms frame, waits (bounded) until the leg counted it. */
  const send = async (frame: Int16Array, ssrc: number, timestamp: number): Promise<void> => {
    const bytes = buildRtp({
      payloadType: 8,
      sequenceNumber: seq++,
      timestamp,
      ssrc,
      payload: enc.encode(frame),
    });
    await new Promise<void>((res) => sock.send(bytes, leg.local.port, leg.local.address, () => res()));
    received++;
    for (let i = 0; i < 200 && leg.details().received < received; i++) await sleep(2);
  };
  /** Lets `ms` of virtual time pass with no audio arriving (the leg's idle timers run). */
  const pause = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 20) {
      vc.advance(20);
      await sleep(1);
    }
  };
  return { vc, leg, send, pause };
}

/** 20 ms frames: 100 ms of silence, a 200 ms tone of `digit`, 200 ms of silence. */
function frames(digit: string): Int16Array[] {
  const tone = generateDtmfTone(digit as '1', { sampleRate: 8000, durationMs: 200, levelDbm0: -7 });
  const out: Int16Array[] = [];
  for (let i = 0; i < 5; i++) out.push(new Int16Array(160));
  for (let i = 0; i < 10; i++) out.push(tone.subarray(i * 160, (i + 1) * 160));
  for (let i = 0; i < 10; i++) out.push(new Int16Array(160));
  return out;
}

describe('MediaLeg inband DTMF across a pause in arrival', () => {
  it('a tone whose packets stall for 400 ms mid-tone, contiguous in RTP time, is one digit', async () => {
    const { vc, leg, send, pause } = await rig();
    const f = frames('1');
    for (let i = 0; i < f.length; i++) {
      if (i === 10) await pause(400); // half-way through the tone
      vc.advance(20);
      await send(f[i]!, 0x1111, 8000 + i * 160);
    }
    await pause(400);
    const inband = leg.dtmfReceived.filter((d) => d.mode === 'inband');
    expect(inband.map((d) => d.digit)).toEqual(['1']);
    // Reported at the pause, its length brought up to date when the tone ended.
    expect(inband[0]!.durationMs).toBeGreaterThan(170);
  });

  it('a stream that ends on a tone: the digit is reported after 200 ms without audio', async () => {
    const { vc, leg, send, pause } = await rig();
    const f = frames('5').slice(0, 15); // silence, then the tone, and nothing after it
    for (let i = 0; i < f.length; i++) {
      vc.advance(20);
      await send(f[i]!, 0x2222, 16000 + i * 160);
    }
    await pause(400);
    expect(leg.dtmfReceived.map((d) => d.digit)).toEqual(['5']);
  });

  it('the rest of the tone on a new SSRC after the pause (an SBC moving to a new port) is the same digit', async () => {
    const { vc, leg, send, pause } = await rig();
    const f = frames('9');
    for (let i = 0; i < 10; i++) {
      vc.advance(20);
      await send(f[i]!, 0x3333, 24000 + i * 160);
    }
    await pause(400);
    // A new stream (new SSRC, new timestamp base) that carries the rest of the tone.
    for (let i = 10; i < f.length; i++) {
      vc.advance(20);
      await send(f[i]!, 0x4444, 900_000 + i * 160);
    }
    await pause(400);
    expect(leg.dtmfReceived.map((d) => d.digit)).toEqual(['9']);
  });

  it('the same digit again after silence, on a new SSRC after the pause, is a second digit', async () => {
    const { vc, leg, send, pause } = await rig();
    const f = frames('9');
    for (let i = 0; i < 15; i++) {
      vc.advance(20);
      await send(f[i]!, 0x5555, 24000 + i * 160);
    }
    await pause(400);
    // A new stream that starts with 100 ms of silence, then the same tone: a second press.
    for (let i = 0; i < f.length; i++) {
      vc.advance(20);
      await send(f[i]!, 0x6666, 900_000 + i * 160);
    }
    await pause(400);
    expect(leg.dtmfReceived.map((d) => d.digit)).toEqual(['9', '9']);
  });

  it('a digit reported at the pause is not reported again when the leg closes', async () => {
    const { vc, leg, send, pause } = await rig();
    const f = frames('7').slice(0, 15);
    for (let i = 0; i < f.length; i++) {
      vc.advance(20);
      await send(f[i]!, 0x7777, 16000 + i * 160);
    }
    await pause(400);
    expect(leg.dtmfReceived.map((d) => d.digit)).toEqual(['7']);
    await leg.close();
    expect(leg.dtmfReceived.map((d) => d.digit)).toEqual(['7']);
  });
});
