/**
 * The reference SBC's personality rtp-reorder at its media endpoint: every tenth packet leaves
 * right after the one that follows it, a packet held with nothing after it leaves alone after
 * 150 ms, and nothing is lost or added. Real UDP on loopback.
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  REORDER_EVERY,
  REORDER_HOLD_MAX_MS,
  SbcMediaEndpoint,
} from '../../harness/actors/sbc-media-endpoint.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function rig() {
  const vc = new VirtualClock();
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.101.2', r));
  cleanup.push(() => new Promise<void>((r) => sock.close(() => r())));
  const got: number[] = [];
  sock.on('message', (m) => got.push(m.readUInt16BE(2)));
  const ep = await SbcMediaEndpoint.open({ address: '127.0.101.1', clock: vc, name: 'lan' });
  cleanup.push(() => ep.close());
  ep.configure({ address: '127.0.101.2', port: sock.address().port });
  const send = (i: number) => ep.send({ payloadType: 8, payload: new Uint8Array(160), timestamp: i * 160 });
  const settle = async (n: number) => {
    for (let i = 0; i < 200 && got.length < n; i++) await sleep(2);
  };
  return { vc, ep, got, send, settle };
}

/** Arrival order as offsets from the first sequence number. */
const offsets = (got: number[]) => got.map((s) => (s - got[0]! + 0x10000) & 0xffff);

describe('SBC media endpoint: personality rtp-reorder', () => {
  it('every tenth packet goes after the next one; all arrive once', async () => {
    const { ep, got, send, settle } = await rig();
    ep.reorderEvery = REORDER_EVERY;
    for (let i = 0; i < 25; i++) send(i);
    await settle(25);
    // Sent in order from the 1st; the 10th (offset 9) and the 20th (offset 19) one place late.
    expect(offsets(got)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 9, 11, 12, 13, 14, 15, 16, 17, 18, 20, 19, 21, 22, 23, 24,
    ]);
    expect(ep.counters.sent).toBe(25);
  });

  it('a held packet with nothing after it leaves alone after the wait, in order', async () => {
    const { vc, ep, got, send, settle } = await rig();
    ep.reorderEvery = REORDER_EVERY;
    for (let i = 0; i < 10; i++) send(i);
    await settle(9);
    await sleep(20);
    expect(got.length).toBe(9);
    vc.advance(REORDER_HOLD_MAX_MS - 1);
    await sleep(20);
    expect(got.length).toBe(9);
    vc.advance(1);
    await settle(10);
    expect(offsets(got)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a new stream counts afresh: its first packets are not the one held', async () => {
    const { ep, got, send, settle } = await rig();
    ep.reorderEvery = REORDER_EVERY;
    for (let i = 0; i < 5; i++) send(i);
    ep.newStream();
    for (let i = 5; i < 14; i++) send(i);
    await settle(14);
    await sleep(20);
    expect(got.length).toBe(14); // nothing held: the new stream's 9 packets went as they came
  });

  it('close sends a held packet before the sockets close', async () => {
    const { ep, got, send, settle } = await rig();
    ep.reorderEvery = REORDER_EVERY;
    for (let i = 0; i < 10; i++) send(i);
    await ep.close();
    await settle(10);
    expect(offsets(got)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a new stream (ssrc-change) sends the held packet of the old one first', async () => {
    const { ep, got, send, settle } = await rig();
    ep.reorderEvery = REORDER_EVERY;
    for (let i = 0; i < 10; i++) send(i);
    const old = ep.ssrc;
    ep.newStream();
    expect(ep.ssrc).not.toBe(old);
    send(10);
    await settle(11);
    // The old stream's ten in order, then the new stream's first packet.
    expect(offsets(got.slice(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(got.length).toBe(11);
  });

  it('off by default: in order', async () => {
    const { got, send, settle } = await rig();
    for (let i = 0; i < 12; i++) send(i);
    await settle(12);
    expect(offsets(got)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});
