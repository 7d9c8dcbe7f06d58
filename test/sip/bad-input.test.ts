/**
 * Bad input from the network is data: unparsable messages are counted, traced and answered
 * 400 (505 for a wrong version) where enough is readable; limits bound memory; nothing throws.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createResponse } from '../../harness/sip/message-factory.ts';
import type { TraceEvent } from '../../harness/sip/transport.ts';
import { UserAgent } from '../../harness/sip/user-agent.ts';

const agents: UserAgent[] = [];
const sockets: Array<{ close(): void }> = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(agents.splice(0).map((u) => u.stop()));
});

async function start(protocol: 'UDP' | 'TCP', extra: Record<string, unknown> = {}) {
  const ua = await UserAgent.start({ listen: [{ protocol, address: '127.0.0.1', port: 0 }], ...extra });
  agents.push(ua);
  return { ua, port: ua.transport.bound[0]!.port };
}

function request(method: string, branch: string, extra = ''): string {
  return `${method} sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.5:5099;branch=z9hG4bK${branch}\r\nMax-Forwards: 70\r\nFrom: <sip:t@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: bad-${branch}\r\nCSeq: 1 ${method}\r\n${extra}Content-Length: 0\r\n\r\n`;
}

async function udpExchange(port: number, payloads: string[], wantReplies: number): Promise<string[]> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(5099, '127.0.0.5', () => r()));
  const replies: string[] = [];
  const done = new Promise<void>((resolve) => {
    s.on('message', (m) => {
      replies.push(m.toString());
      if (replies.length >= wantReplies) resolve();
    });
    if (wantReplies === 0) setTimeout(resolve, 200);
  });
  for (const p of payloads) s.send(Buffer.from(p), port, '127.0.0.1');
  await done;
  return replies;
}

describe('bad input over UDP', () => {
  it('answers 400 with a Warning naming the fault, counts it and traces it', async () => {
    const { ua, port } = await start('UDP');
    const traces: TraceEvent[] = [];
    ua.transport.on('trace', (t) => traces.push(t));
    const bad = request('OPTIONS', 'cseq1').replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE');
    const [reply] = await udpExchange(port, [bad], 1);
    expect(reply).toMatch(/^SIP\/2\.0 400 Bad Request\r\n/);
    expect(reply).toMatch(/Warning: 399 sbc-harness "CSeq method INVITE differs/);
    expect(reply).toContain('Call-ID: bad-cseq1');
    expect(ua.transport.stats.parseErrors).toBe(1);
    expect(traces.find((t) => t.direction === 'in')?.error?.reason).toMatch(/CSeq method/);
  });

  it('answers 505 to SIP/3.0 and stays silent on garbage and on a malformed ACK', async () => {
    const { ua, port } = await start('UDP');
    const v3 = request('OPTIONS', 'v3').replace(
      'OPTIONS sip:x@127.0.0.1 SIP/2.0',
      'OPTIONS sip:x@127.0.0.1 SIP/3.0',
    );
    const garbage = '\u0000\u0001\u00ff not sip at all';
    const badAck = request('ACK', 'ack1').replace('CSeq: 1 ACK', 'CSeq: x ACK');
    const replies = await udpExchange(port, [garbage, badAck, v3], 1);
    expect(replies[0]).toMatch(/^SIP\/2\.0 505 Version Not Supported/);
    await new Promise((r) => setTimeout(r, 100));
    expect(ua.transport.stats.parseErrors).toBe(3);
    expect(ua.transport.stats.answered400).toBe(1);
  });

  it('refuses a message over the size limit without parsing it', async () => {
    const { ua, port } = await start('UDP', { maxMessageSize: 1500 });
    const big = request('OPTIONS', 'big', `X-Pad: ${'a'.repeat(3000)}\r\n`);
    await udpExchange(port, [big], 0);
    expect(ua.transport.stats.parseErrors).toBe(1);
    expect(ua.transport.stats.received).toBe(0);
  });

  it('answers 503 beyond the open-transaction limit', async () => {
    const { ua, port } = await start('UDP', { maxTransactions: 2 });
    ua.on('request', () => undefined); // never answers: transactions stay open
    const replies = await udpExchange(
      port,
      [request('OPTIONS', 'l1'), request('OPTIONS', 'l2'), request('OPTIONS', 'l3')],
      1,
    );
    expect(replies[0]).toMatch(/^SIP\/2\.0 503 /);
    expect(replies[0]).toContain('Call-ID: bad-l3');
    expect(ua.transactions.stats.rejectedOverload).toBe(1);
  });
});

describe('bad input over TCP', () => {
  it('a stream message without Content-Length closes that connection and is counted', async () => {
    const { ua, port } = await start('TCP');
    const s = net.connect({ host: '127.0.0.1', port });
    sockets.push({ close: () => s.destroy() });
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    s.write(request('OPTIONS', 'nocl').replace('Content-Length: 0\r\n', ''));
    await closed;
    expect(ua.transport.stats.framingErrors).toBe(1);
  });

  it('messages split across segments and glued together are framed one by one', async () => {
    const { ua, port } = await start('TCP');
    const got: string[] = [];
    ua.on('request', (req, tx) => {
      got.push(req.callId ?? '');
      tx.respond(createResponse(req, 200));
    });
    const s = net.connect({ host: '127.0.0.1', port });
    sockets.push({ close: () => s.destroy() });
    await new Promise<void>((r) => s.on('connect', () => r()));
    const two =
      request('OPTIONS', 's1').replace('UDP', 'TCP') + request('OPTIONS', 's2').replace('UDP', 'TCP');
    s.write(two.slice(0, 50));
    await new Promise((r) => setTimeout(r, 20));
    s.write(two.slice(50, 300));
    await new Promise((r) => setTimeout(r, 20));
    s.write(two.slice(300));
    for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['bad-s1', 'bad-s2']);
  });
});

describe('stream framing details', () => {
  it('frames a message whose Content-Length is folded onto the next line', async () => {
    const { StreamFramer } = await import('../../harness/sip/stream-framer.ts');
    const msg = request('OPTIONS', 'fold').replace(
      'Content-Length: 0\r\n\r\n',
      'Content-Length:\r\n 3\r\n\r\nabc',
    );
    const out = new StreamFramer(65535).push(Buffer.from(msg + msg));
    expect(out.map((f) => f.kind)).toEqual(['message', 'message']);
  });
});
