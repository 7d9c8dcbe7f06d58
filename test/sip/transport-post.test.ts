/**
 * TransportLayer.post: sending without waiting (responses, ACKs, retransmissions). The bytes
 * are those of `send`, the message counts as sent, a trace listener gets the flow, and a
 * failure reaches the sender only after the sender's own step has returned.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { SipRequest } from '../../harness/sip/message.ts';
import { type TraceEvent, TransportLayer } from '../../harness/sip/transport.ts';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

function options(): SipRequest {
  const m = new SipRequest('OPTIONS', 'sip:peer@127.0.0.1');
  m.append('Via', 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpost1');
  m.append('From', '<sip:a@h>;tag=p1');
  m.append('To', '<sip:peer@h>');
  m.append('Call-ID', 'post-test');
  m.append('CSeq', '1 OPTIONS');
  return m;
}

describe('TransportLayer.post', () => {
  it('sends the bytes send would, counts them and traces them with their flow', async () => {
    const transport = new TransportLayer({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    await transport.start();
    open.push({ close: () => transport.stop() });
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', () => resolve()));
    open.push(peer);
    const got = new Promise<Buffer>((resolve) => peer.once('message', (m) => resolve(m)));
    const traces: TraceEvent[] = [];
    transport.on('trace', (ev: TraceEvent) => traces.push(ev));
    const msg = options();
    const target = { protocol: 'UDP' as const, address: '127.0.0.1', port: peer.address().port };
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
