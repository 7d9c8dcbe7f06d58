/**
 * TransportLayer.post: sending without waiting (responses, ACKs, retransmissions). The bytes
 * are those of `send`, the message counts as sent, a trace listener gets the flow, and a
 * failure reaches the sender only after the sender's own step has returned.
 *
 * The datagrams sent in one turn of the event loop go to their sockets together, at the
 * turn's end: they leave in the order they were sent, a bad one fails alone, and what was
 * sent before stop() still leaves.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SipRequest } from '../../harness/sip/message.ts';
import { type TraceEvent, TransportLayer } from '../../harness/sip/transport.ts';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

function options(seq = 1): SipRequest {
  const m = new SipRequest('OPTIONS', 'sip:peer@127.0.0.1');
  m.append('Via', `SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpost${seq}`);
  m.append('From', '<sip:a@h>;tag=p1');
  m.append('To', '<sip:peer@h>');
  m.append('Call-ID', 'post-test');
  m.append('CSeq', `${seq} OPTIONS`);
  return m;
}

/** A started UDP transport and a raw peer socket that records the CSeq of what it receives. */
async function transportAndPeer(): Promise<{
  transport: TransportLayer;
  peer: dgram.Socket;
  received: string[];
  arrived: (n: number) => Promise<void>;
  target: { protocol: 'UDP'; address: string; port: number };
}> {
  const transport = new TransportLayer({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  await transport.start();
  open.push({ close: () => transport.stop() });
  const peer = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', () => resolve()));
  open.push(peer);
  const received: string[] = [];
  peer.on('message', (m) => received.push(/^CSeq: (\d+)/m.exec(m.toString('latin1'))?.[1] ?? '?'));
  const arrived = async (n: number) => {
    for (let i = 0; i < 200 && received.length < n; i++) await new Promise((r) => setTimeout(r, 5));
  };
  return {
    transport,
    peer,
    received,
    arrived,
    target: { protocol: 'UDP', address: '127.0.0.1', port: peer.address().port },
  };
}

describe('TransportLayer.post', () => {
  it('sends the bytes send would, counts them and traces them with their flow', async () => {
    const { transport, peer, target } = await transportAndPeer();
    const got = new Promise<Buffer>((resolve) => peer.once('message', (m) => resolve(m)));
    const traces: TraceEvent[] = [];
    transport.on('trace', (ev: TraceEvent) => traces.push(ev));
    const msg = options();
    const sent0 = transport.stats.sent;
    transport.post(msg, target, { onSendFailure: () => expect.unreachable('no failure') });
    expect((await got).equals(msg.toBuffer())).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(transport.stats.sent).toBe(sent0 + 1);
    expect(traces).toHaveLength(1);
    expect(traces[0]!.direction).toBe('out');
    expect(traces[0]!.message).toBe(msg);
    expect(traces[0]!.flow.remote).toEqual({ address: '127.0.0.1', port: target.port });
    expect(traces[0]!.flow.local.port).toBe(transport.bound[0]!.port);
  });

  it('traces bytes sent again without their message (a kept ACK) with the message read from them, over TCP too', async () => {
    const transport = new TransportLayer({ listen: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }] });
    await transport.start();
    open.push({ close: () => transport.stop() });
    const got: Buffer[] = [];
    const server = net.createServer((c) => c.on('data', (d) => got.push(Buffer.from(d))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    open.push({ close: () => new Promise((resolve) => server.close(resolve)) });
    const traced = new Promise<TraceEvent>((resolve) => transport.once('trace', resolve));
    const bytes = options(3).toBuffer();
    const port = (server.address() as net.AddressInfo).port;
    transport.postData(bytes, { protocol: 'TCP', address: '127.0.0.1', port });
    const ev = await traced;
    expect(ev.direction).toBe('out');
    expect(ev.flow.protocol).toBe('TCP');
    expect(ev.data.equals(bytes)).toBe(true);
    expect(ev.message?.isRequest && ev.message.method).toBe('OPTIONS');
    expect(ev.message?.cseq?.seq).toBe(3);
    for (let i = 0; i < 200 && Buffer.concat(got).length < bytes.length; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(Buffer.concat(got).equals(bytes)).toBe(true);
  });

  it('reports a failure after the sender returned, counted as a send error', async () => {
    // Only TCP is bound here: there is no UDP socket to send from.
    const transport = new TransportLayer({ listen: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }] });
    await transport.start();
    open.push({ close: () => transport.stop() });
    const errors0 = transport.stats.sendErrors;
    let failed: Error | undefined;
    transport.post(
      options(),
      { protocol: 'UDP', address: '127.0.0.1', port: 9 },
      {
        onSendFailure: (err) => {
          failed = err;
        },
      },
    );
    expect(failed).toBeUndefined(); // not from within post itself
    await new Promise((r) => setTimeout(r, 0));
    expect(failed).toBeInstanceOf(Error);
    expect(transport.stats.sendErrors).toBe(errors0 + 1);
  });
});

describe('UDP datagrams sent in one turn', () => {
  it('leave in the order they were sent, whether posted or sent', async () => {
    const { transport, received, arrived, target } = await transportAndPeer();
    const flows: Array<Promise<unknown>> = [];
    for (let seq = 1; seq <= 40; seq++) {
      if (seq % 3 === 0) flows.push(transport.send(options(seq), target));
      else transport.post(options(seq), target);
    }
    await Promise.all(flows);
    await arrived(40);
    expect(received).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
    expect(transport.stats.sent).toBe(40);
  });

  it('fail one by one: a datagram the socket refuses rejects, the next still leaves', async () => {
    const { transport, received, arrived, target } = await transportAndPeer();
    const errors0 = transport.stats.sendErrors;
    // Port 0 is refused by the socket itself (ERR_SOCKET_BAD_PORT), thrown inside the flush.
    const bad = transport.send(options(1), { ...target, port: 0 });
    transport.post(options(2), target);
    await expect(bad).rejects.toThrow(/port/i);
    await arrived(1);
    expect(received).toEqual(['2']);
    expect(transport.stats.sendErrors).toBe(errors0 + 1);
  });

  it('still leave when stop() comes in the same turn', async () => {
    const { transport, received, arrived, target } = await transportAndPeer();
    transport.post(options(7), target);
    const flow = transport.send(options(8), target);
    await transport.stop();
    await expect(flow).resolves.toMatchObject({ protocol: 'UDP' });
    await arrived(2);
    expect(received).toEqual(['7', '8']);
  });
});
