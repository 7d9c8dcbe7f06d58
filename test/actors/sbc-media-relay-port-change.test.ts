/**
 * The reference SBC's port change (personality port-change) as RFC 3264 §8.3.1 asks of an
 * offerer that moves a stream: it receives on the new port from the moment its offer is out, as
 * well as on the old one, because the peer may switch as soon as it has the offer. Before this
 * rule the relay dropped what reached the new port until the answer came back: under load the
 * first digit of an inband DTMF string lost a slice and was heard twice. Real UDP on loopback
 * into real endpoints of the relay.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { pcma } from '../../codecs/index.ts';
import { SbcMediaEndpoint } from '../../harness/actors/sbc-media-endpoint.ts';
import { type SbcLegMedia, SbcMediaRelay } from '../../harness/actors/sbc-media-relay.ts';
import { buildRtp } from '../../harness/media/rtp/index.ts';
import { systemClock } from '../../harness/support/clock.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const MEDIA: SbcLegMedia = {
  codec: pcma,
  payloadType: 8,
  ptimeMs: 20,
  dtmf: 'rfc2833',
  infoFallback: false,
  detectInband: false,
};

async function peer(address: string): Promise<{ sock: Socket; port: number; got: number[] }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, address, r));
  cleanup.push(() => new Promise<void>((r) => sock.close(() => r())));
  const got: number[] = [];
  sock.on('message', (m) => got.push(m.readUInt16BE(2)));
  return { sock, port: sock.address().port, got };
}

async function endpoint(address: string, name: string): Promise<SbcMediaEndpoint> {
  const ep = await SbcMediaEndpoint.open({ address, clock: systemClock, name });
  cleanup.push(() => ep.close());
  return ep;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('SBC relay: a leg moving to a new port (RFC 3264 §8.3.1)', () => {
  it('relays what reaches the new port from the offer on, and what still reaches the old one', async () => {
    const wanPeer = await peer('127.0.84.2');
    const lanPeer = await peer('127.0.84.4');
    const wan = await endpoint('127.0.84.1', 'wan');
    const lan = await endpoint('127.0.84.3', 'lan');
    wan.configure({ address: '127.0.84.2', port: wanPeer.port });
    lan.configure({ address: '127.0.84.4', port: lanPeer.port });
    const a = { side: 'wan' as const, endpoint: wan, media: MEDIA };
    const b = { side: 'lan' as const, endpoint: lan, media: MEDIA };
    const relay = new SbcMediaRelay(a, b, {}, systemClock, {});
    cleanup.push(() => relay.close());
    relay.answered();
    const moved = await endpoint('127.0.84.1', 'wan');
    moved.configure({ address: '127.0.84.2', port: wanPeer.port });

    const payload = new Uint8Array(160).fill(0xd5);
    const send = (seq: number, port: number) =>
      new Promise<void>((r) =>
        wanPeer.sock.send(
          buildRtp({ payloadType: 8, sequenceNumber: seq, timestamp: seq * 160, ssrc: 7, payload }),
          port,
          '127.0.84.1',
          () => r(),
        ),
      );
    // Offer out: the peer already sends to the new port (1, 2) and a late packet reaches the old one (3).
    relay.receiveOn(a, moved);
    await send(1, moved.localPort);
    await send(2, moved.localPort);
    await send(3, wan.localPort);
    for (let i = 0; i < 100 && (moved.counters.received < 2 || wan.counters.received < 1); i++)
      await sleep(5);
    expect(moved.counters.received, 'the new port got its two packets before the answer').toBe(2);
    // Answer in: the leg moves; both ports still feed the relay until the old one is closed.
    relay.moveLeg(a, moved);
    await send(4, moved.localPort);
    for (let i = 0; i < 100 && lanPeer.got.length < 4; i++) await sleep(5);
    expect(lanPeer.got).toHaveLength(4);
  });
});
