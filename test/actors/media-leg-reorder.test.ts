/**
 * A MediaLeg puts a source's packets back in sequence order before decoding (RFC 3550 §5.1:
 * UDP may reorder, the sequence number lets the receiver restore the order). Decoding in
 * arrival order filled a late packet's slot with silence and then dropped the packet: at
 * ptime 30 that is a 30 ms hole in a tone, which splits a Q.24 digit in two (a false "digit
 * twice" against an SBC or a network that reorders one packet). Real UDP on loopback into a
 * real MediaLeg; packets hand-made, paced on a virtual clock. A timestamp that steps back on a
 * packet that is not late (the same SSRC's audio started afresh) restarts the timeline instead
 * of dropping what follows as late.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { g722, pcma } from '../../codecs/index.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { generateDtmfTone } from '../../harness/media/dtmf/index.ts';
import { buildRtp } from '../../harness/media/rtp/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Codec = 'PCMA' | 'G722';

async function rig(codec: Codec, ptime: number) {
  const vc = new VirtualClock();
  const leg = await MediaLeg.open({
    localAddress: '127.0.100.1',
    prefs: { codecs: [codec], telephoneEvent: false },
    clock: vc,
    name: 'deskphone',
    rtcpIntervalMs: 0,
  });
  cleanup.push(() => leg.close());
  const sock: Socket = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.100.2', r));
  cleanup.push(() => new Promise<void>((r) => sock.close(() => r())));
  const port = sock.address().port;
  const pt = codec === 'PCMA' ? 8 : 9;
  const offer = [
    'v=0',
    'o=sbc 1 1 IN IP4 127.0.100.2',
    's=-',
    'c=IN IP4 127.0.100.2',
    't=0 0',
    `m=audio ${port} RTP/AVP ${pt}`,
    `a=rtpmap:${pt} ${codec === 'PCMA' ? 'PCMA' : 'G722'}/8000`,
    `a=ptime:${ptime}`,
    'a=sendrecv',
    '',
  ].join('\r\n');
  const r = leg.acceptOffer(offer);
  if (!r.ok) throw new Error(r.reason);
  let received = 0;
  /** Sends one packet as it was numbered, waits (bounded) until the leg counted it. */
  const send = async (p: {
    seq: number;
    ts: number;
    payload: Uint8Array;
    marker?: boolean;
  }): Promise<void> => {
    const bytes = buildRtp({
      payloadType: pt,
      sequenceNumber: p.seq,
      timestamp: p.ts >>> 0,
      ssrc: 0x7777,
      marker: p.marker ?? false,
      payload: p.payload,
    });
    await new Promise<void>((res) => sock.send(bytes, leg.local.port, leg.local.address, () => res()));
    received++;
    for (let i = 0; i < 200 && leg.details().received < received; i++) await sleep(2);
  };
  /** Lets `ms` of virtual time pass (the leg's timers run). */
  const pause = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 10) {
      vc.advance(10);
      await sleep(1);
    }
  };
  return { vc, leg, send, pause };
}

/** Packets of `ms` of silence, a 210 ms tone of `digit`, 300 ms of silence, numbered from 1000. */
function packets(codec: Codec, ptime: number, digit: string) {
  const rate = codec === 'PCMA' ? 8000 : 16000;
  const per = (rate * ptime) / 1000;
  const tone = generateDtmfTone(digit as '1', { sampleRate: rate, durationMs: 210, levelDbm0: -7 });
  const pcm = new Int16Array(per * 5 + tone.length + (rate * 300) / 1000);
  pcm.set(tone, per * 5);
  const enc = codec === 'PCMA' ? pcma.createEncoder() : g722.createEncoder();
  const out: Array<{ seq: number; ts: number; payload: Uint8Array }> = [];
  const tsStep = (8000 * ptime) / 1000; // G.722's RTP clock is 8000 (RFC 3551 §4.5.2)
  for (let i = 0; i * per < pcm.length; i++)
    out.push({
      seq: 1000 + i,
      ts: 50_000 + i * tsStep,
      payload: enc.encode(pcm.subarray(i * per, (i + 1) * per)),
    });
  return out;
}

async function play(codec: Codec, ptime: number, order: (n: number) => number[], skip: number[] = []) {
  const { leg, send, pause, vc } = await rig(codec, ptime);
  const list = packets(codec, ptime, '5');
  for (const i of order(list.length)) {
    if (skip.includes(i)) continue;
    vc.advance(ptime);
    await send(list[i]!);
  }
  await pause(300);
  return { leg, audio: leg.receivedAudio().samples.slice(), digits: leg.dtmfReceived.map((d) => d.digit) };
}

const inOrder = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Packets 7 and 8 (inside the tone) swapped. */
const swapped = (n: number) => {
  const o = inOrder(n);
  [o[7], o[8]] = [o[8]!, o[7]!];
  return o;
};

describe('MediaLeg: packets put back in sequence order', () => {
  it('two packets swapped inside a tone at ptime 30: one digit, the same audio as in order', async () => {
    const straight = await play('PCMA', 30, inOrder);
    const crossed = await play('PCMA', 30, swapped);
    expect(straight.digits).toEqual(['5']);
    expect(crossed.digits).toEqual(['5']);
    expect(crossed.leg.details().reordered).toBe(1);
    expect(crossed.leg.details().lateDropped).toBe(0);
    expect(crossed.audio.length).toBe(straight.audio.length);
    expect(Buffer.from(crossed.audio.buffer).equals(Buffer.from(straight.audio.buffer))).toBe(true);
  });

  it('G.722 (a decoder with state) swapped: the recording equals the in-order one', async () => {
    const straight = await play('G722', 20, inOrder);
    const crossed = await play('G722', 20, swapped);
    expect(crossed.digits).toEqual(['5']);
    expect(crossed.leg.details().reordered).toBe(1);
    expect(Buffer.from(crossed.audio.buffer).equals(Buffer.from(straight.audio.buffer))).toBe(true);
  });

  it('a stream in order is recorded as each packet arrives, never held', async () => {
    const { leg, send, vc } = await rig('PCMA', 20);
    const list = packets('PCMA', 20, '1').slice(0, 6);
    for (let i = 0; i < list.length; i++) {
      vc.advance(20);
      await send(list[i]!);
      // 16 kHz recording: 320 samples per 20 ms packet, there as soon as the packet is.
      expect(leg.receivedAudio().samples.length).toBe(320 * (i + 1));
    }
    expect(leg.details().reordered).toBe(0);
  });

  it('a lost packet: the packets after it wait at most 60 ms, then go on with the gap filled', async () => {
    const { leg, send, pause, vc } = await rig('PCMA', 20);
    const list = packets('PCMA', 20, '1').slice(0, 6);
    for (const i of [0, 1, 3, 4]) {
      vc.advance(20);
      await send(list[i]!);
    }
    // 0 and 1 recorded; 3 and 4 wait for 2, which never comes.
    expect(leg.receivedAudio().samples.length).toBe(640);
    await pause(60);
    expect(leg.receivedAudio().samples.length).toBe(320 * 5); // 2 filled with silence, 3 and 4 recorded
    expect(leg.details().reordered).toBe(0);
    expect(leg.details().lateDropped).toBe(0);
    // A packet later than the wait is too late: counted, not decoded, not recorded.
    await send(list[2]!);
    expect(leg.details().lateDropped).toBe(1);
    expect(leg.receivedAudio().samples.length).toBe(320 * 5);
  });

  it('a digit found in packets that waited for a lost one is dated by their arrival, not by the end of the wait', async () => {
    const { leg, send, pause, vc } = await rig('PCMA', 20);
    // 5 packets of silence (0-4), the 210 ms tone from packet 5, then silence; packet 16 is lost.
    const list = packets('PCMA', 20, '7');
    const t0 = vc.now();
    for (let i = 0; i <= 18; i++) {
      vc.advance(20);
      if (i !== 16) await send(list[i]!);
    }
    // 17 and 18 wait for 16 until 60 ms after 17 arrived; the tone's end is found in them then.
    await pause(100);
    const d = leg.dtmfReceived.filter((x) => x.mode === 'inband');
    expect(d.map((x) => x.digit)).toEqual(['7']);
    // The tone starts 100 ms into the stream, and each packet arrives as its audio ends.
    expect(Math.abs(d[0]!.atMs - (t0 + 100))).toBeLessThan(15);
  });

  it('a digit reported at a pause in arrival is dated by when it arrived, not by the pause', async () => {
    // A stream that stops on the tone: reported once no audio came for 200 ms.
    const a = await rig('PCMA', 20);
    const list = packets('PCMA', 20, '3').slice(0, 15); // silence 0-4, the tone from 5, nothing after 14
    const t0 = a.vc.now();
    for (const p of list) {
      a.vc.advance(20);
      await a.send(p);
    }
    await a.pause(400);
    const d = a.leg.dtmfReceived.filter((x) => x.mode === 'inband');
    expect(d.map((x) => x.digit)).toEqual(['3']);
    expect(Math.abs(d[0]!.atMs - (t0 + 100))).toBeLessThan(15);
  });

  it('packets still waiting at close are recorded', async () => {
    const { leg, send, vc } = await rig('PCMA', 20);
    const list = packets('PCMA', 20, '1').slice(0, 4);
    for (const i of [0, 2, 3]) {
      vc.advance(20);
      await send(list[i]!);
    }
    expect(leg.receivedAudio().samples.length).toBe(320);
    await leg.close();
    expect(leg.receivedAudio().samples.length).toBe(320 * 4);
  });
});

describe('MediaLeg: a timestamp that steps back within one SSRC', () => {
  /**
   * Five packets of silence (1000–1004, `skip` withheld), then, numbered on from 1005 under the
   * same SSRC, the packets of a tone of digit 5 (five of silence first) whose timestamps start
   * `back` ticks behind where the first five ended (50 800): a B2BUA that switched from
   * ringback or music on hold to the party and kept its SSRC. `late` packets of the first five
   * are sent after the second part.
   */
  async function switched(o: { back: number; marker?: boolean; skip?: number[]; late?: number[] }) {
    const { leg, send, pause, vc } = await rig('PCMA', 20);
    const first = packets('PCMA', 20, '1').slice(0, 5);
    for (const [i, p] of first.entries()) {
      vc.advance(20);
      if (!o.skip?.includes(i)) await send(p);
    }
    await pause(100);
    const second = packets('PCMA', 20, '5').map((p, i) => ({
      seq: 1005 + i,
      ts: 50_800 - o.back + i * 160,
      payload: p.payload,
      marker: i === 0 && o.marker === true,
    }));
    for (const p of second) {
      vc.advance(20);
      await send(p);
    }
    for (const i of o.late ?? []) await send(first[i]!);
    await pause(400);
    const d = leg.details();
    return {
      d,
      // 16 kHz samples of the second part (PCMA: one octet a sample at 8 kHz; its last packet is short).
      second: second.reduce((n, p) => n + 2 * p.payload.length, 0),
      samples: leg.receivedAudio().samples.length,
      digits: leg.dtmfReceived.map((x) => x.digit),
    };
  }

  it('a step back of 5 s, unmarked, with the numbering going on: the timeline starts afresh, the audio after it is heard', async () => {
    // Before, every packet after the step was dropped as late until its timestamp caught up
    // (here 250 packets, 5 s; on a real call minutes): the digit was lost, and the call read as
    // one-way audio.
    const r = await switched({ back: 40_000 });
    expect(r.d.lateDropped).toBe(0);
    expect(r.d.timestampResyncs).toBe(1);
    expect(r.samples).toBe(320 * 5 + r.second);
    expect(r.digits).toEqual(['5']);
  });

  it('a marked packet stepping back one packet starts afresh; unmarked, that one packet is dropped as before', async () => {
    const marked = await switched({ back: 160, marker: true });
    expect(marked.d.lateDropped).toBe(0);
    expect(marked.d.timestampResyncs).toBe(1);
    expect(marked.samples).toBe(320 * 5 + marked.second);
    const unmarked = await switched({ back: 160 });
    expect(unmarked.d.lateDropped).toBe(1);
    expect(unmarked.d.timestampResyncs).toBe(0);
    expect(unmarked.samples).toBe(320 * 4 + unmarked.second);
    expect(unmarked.digits).toEqual(['5']);
  });

  it('late packets stay late: one of the audio before the step, and one behind in number even when marked', async () => {
    // Packet 3 withheld (its slot filled after the 60 ms wait), sent after the step: behind in
    // number, so late, although its timestamp is ahead of the new timeline.
    const r = await switched({ back: 40_000, skip: [3], late: [3] });
    expect(r.d.lateDropped).toBe(1);
    expect(r.d.timestampResyncs).toBe(1);
    expect(r.samples).toBe(320 * 5 + r.second);
    expect(r.digits).toEqual(['5']);
    // Without a step: a marked packet later than the wait is late, not a new timeline.
    const { leg, send, pause, vc } = await rig('PCMA', 20);
    const list = packets('PCMA', 20, '1').slice(0, 6);
    for (const i of [0, 1, 2, 4, 5]) {
      vc.advance(20);
      await send(list[i]!);
    }
    await pause(100);
    await send({ ...list[3]!, marker: true });
    expect(leg.details().lateDropped).toBe(1);
    expect(leg.details().timestampResyncs).toBe(0);
    expect(leg.receivedAudio().samples.length).toBe(320 * 6);
  });
});
