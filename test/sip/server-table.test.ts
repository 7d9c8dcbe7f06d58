/**
 * Server transactions found by branch (transaction-layer.ts `servers`) with the rest of the
 * RFC 3261 §17.2.3 key (sent-by, method) compared on the record, and the second table by whole
 * key for the requests that share a branch with a kept one: what a peer sees, over UDP on
 * loopback, in each case the key tells apart or together.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { SipRequest } from '../../harness/sip/message.ts';
import { createResponse } from '../../harness/sip/message-factory.ts';
import type { ServerTransaction } from '../../harness/sip/transaction.ts';
import { TransactionLayer } from '../../harness/sip/transaction-layer.ts';
import { TransportLayer } from '../../harness/sip/transport.ts';

const T1 = 10;
const layers: TransportLayer[] = [];
const sockets: dgram.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(layers.splice(0).map((t) => t.stop()));
});

interface Seen {
  req: SipRequest;
  tx: ServerTransaction;
}

/**
 * A transaction layer on 127.0.0.1 that records every new request and answers none by itself
 * (the test answers), and a raw UDP peer on 127.0.0.8.
 */
async function layerAndPeer() {
  const transport = new TransportLayer({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  layers.push(transport);
  const layer = new TransactionLayer(transport, { timers: { t1: T1, t2: 40, t4: 50 } });
  const seen: Seen[] = [];
  const acks: SipRequest[] = [];
  layer.on('request', (req, tx) => seen.push({ req, tx }));
  layer.on('ack', (req) => acks.push(req));
  await transport.start();
  const peer = dgram.createSocket('udp4');
  sockets.push(peer);
  await new Promise<void>((r) => peer.bind(0, '127.0.0.8', () => r()));
  const got: string[] = [];
  peer.on('message', (m) => got.push(m.toString('latin1')));
  const port = transport.bound[0]!.port;
  const send = (text: string) => new Promise<void>((r) => peer.send(text, port, '127.0.0.1', () => r()));
  return { layer, seen, acks, got, send, port, peerPort: peer.address().port };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(5);
}

/**
 * A request from the peer; `host` and `port` are its Via's sent-by. The peer sends from
 * 127.0.0.8 whatever they say, and asks for rport (RFC 3581), so every response comes back to it.
 */
function request(method: string, branch: string, host: string, port: number, cseqMethod = method): string {
  return (
    `${method} sip:uas@127.0.0.1 SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${host}:${port};branch=${branch};rport\r\n` +
    'Max-Forwards: 70\r\n' +
    'From: <sip:peer@127.0.0.8>;tag=p1\r\n' +
    'To: <sip:uas@127.0.0.1>\r\n' +
    `Call-ID: table-${branch}\r\n` +
    `CSeq: 1 ${cseqMethod}\r\n` +
    'Content-Length: 0\r\n\r\n'
  );
}

const statusLines = (got: string[]) => got.map((t) => t.split('\r\n')[0]);

describe('server transactions by branch, the rest of the key compared on the record', () => {
  it('the same branch from another sent-by, or with another method, is another transaction; a retransmission of each is absorbed', async () => {
    const { layer, seen, got, send, peerPort } = await layerAndPeer();
    const b = 'z9hG4bKsame1';
    const a = request('OPTIONS', b, '127.0.0.8', peerPort);
    await send(a);
    await until(() => seen.length >= 1);
    // Same branch, other sent-by host; then other sent-by port; then other method.
    await send(request('OPTIONS', b, '127.0.0.9', peerPort));
    await send(request('OPTIONS', b, '127.0.0.8', peerPort + 1));
    await send(request('INFO', b, '127.0.0.8', peerPort));
    await until(() => seen.length >= 4);
    expect(seen.map((s) => [s.req.method, s.req.topVia?.host, s.req.topVia?.port])).toEqual([
      ['OPTIONS', '127.0.0.8', peerPort],
      ['OPTIONS', '127.0.0.9', peerPort],
      ['OPTIONS', '127.0.0.8', peerPort + 1],
      ['INFO', '127.0.0.8', peerPort],
    ]);
    expect(layer.openTransactions).toBe(4);
    // Each answered with its own status: a retransmission of each gets its own answer back.
    const statuses = [200, 202, 486, 488];
    for (const [i, s] of seen.entries()) s.tx.respond(createResponse(s.req, statuses[i]!));
    await until(() => got.length >= 4);
    expect(statusLines(got).map((l) => l?.split(' ')[1])).toEqual(['200', '202', '486', '488']);
    await send(request('INFO', b, '127.0.0.8', peerPort));
    await send(request('OPTIONS', b, '127.0.0.8', peerPort + 1));
    await send(request('OPTIONS', b, '127.0.0.9', peerPort));
    await send(a);
    await until(() => got.length >= 8);
    await sleep(30);
    expect(seen).toHaveLength(4);
    expect(layer.stats.retransmissionsAbsorbed).toBe(4);
    expect(layer.stats.serverStarted).toBe(4);
    expect(got.slice(4)).toEqual([got[3], got[2], got[1], got[0]]);
  });

  it('sent-by hosts compare without case; ports compare as numbers, an absent port apart from 5060', async () => {
    const { seen, send, peerPort } = await layerAndPeer();
    const b = 'z9hG4bKcase1';
    await send(request('OPTIONS', b, 'Peer.Example', peerPort));
    await until(() => seen.length >= 1);
    await send(request('OPTIONS', b, 'peer.example', peerPort));
    await send(request('OPTIONS', b, 'PEER.EXAMPLE', peerPort));
    await sleep(60);
    expect(seen).toHaveLength(1);
    // "host" and "host:5060" are different sent-bys in the key (serverKey spells the port as written).
    const c = 'z9hG4bKport1';
    await send(request('OPTIONS', c, '127.0.0.8', 5060));
    await until(() => seen.length >= 2);
    await send(request('OPTIONS', c, '127.0.0.8', 5060).replace('127.0.0.8:5060;', '127.0.0.8;'));
    await until(() => seen.length >= 3);
    expect(seen.map((s) => s.req.topVia?.port)).toEqual([peerPort, 5060, undefined]);
  });

  it('a CANCEL beside its INVITE: kept by whole key, found again after the INVITE has gone, and the INVITE found by the CANCEL', async () => {
    const { layer, seen, got, send, peerPort } = await layerAndPeer();
    const b = 'z9hG4bKinv1';
    const invite = request('INVITE', b, '127.0.0.8', peerPort);
    await send(invite);
    await until(() => seen.length >= 1);
    const inv = seen[0]!;
    let cancelled = 0;
    inv.tx.on('cancel', () => cancelled++);
    const cancel = request('CANCEL', b, '127.0.0.8', peerPort);
    await send(cancel);
    await until(() => got.length >= 1);
    expect(statusLines(got)).toEqual(['SIP/2.0 200 OK']);
    expect(got[0]).toMatch(/^CSeq: 1 CANCEL/m);
    expect(cancelled).toBe(1);
    expect(layer.openTransactions).toBe(2);
    // A retransmitted CANCEL is absorbed (its 200 sent again), not a new CANCEL.
    await send(cancel);
    await until(() => got.length >= 2);
    expect(got[1]).toBe(got[0]);
    expect(cancelled).toBe(1);
    // The INVITE ends (487, then its ACK ends Completed); the CANCEL still waits by whole key.
    inv.tx.respond(createResponse(inv.req, 487));
    await until(() => got.length >= 3);
    expect(got[2]).toMatch(/^SIP\/2\.0 487 /);
    const ack = request('ACK', b, '127.0.0.8', peerPort, 'ACK');
    await send(ack);
    // Confirmed, then gone after Timer I (T4 = 50 ms): only the CANCEL is left, by whole key.
    await until(() => inv.tx.state === 'terminated');
    expect(inv.tx.state).toBe('terminated');
    expect(layer.openTransactions).toBe(1);
    // A CANCEL retransmission after that is still the CANCEL's transaction. (Its 200 is looked
    // for by CSeq: a 487 retransmitted before the ACK came may arrive in between on a busy host.)
    const before = layer.stats.retransmissionsAbsorbed;
    const from = got.length;
    await send(cancel);
    const cancelAnswer = () => got.slice(from).find((m) => /^CSeq: 1 CANCEL/m.test(m));
    await until(() => cancelAnswer() !== undefined);
    expect(cancelAnswer()).toBe(got[0]);
    expect(layer.stats.retransmissionsAbsorbed).toBe(before + 1);
    expect(layer.stats.serverStarted).toBe(2);
    // Everything leaves after its wait.
    await until(() => layer.openTransactions === 0, 5000);
    expect(layer.openTransactions).toBe(0);
  });

  it('an INVITE arriving after the CANCEL of its branch (which found no INVITE: 481) starts its transaction', async () => {
    const { layer, seen, got, send, peerPort } = await layerAndPeer();
    const b = 'z9hG4bKlate1';
    await send(request('CANCEL', b, '127.0.0.8', peerPort));
    await until(() => got.length >= 1);
    expect(got[0]).toMatch(/^SIP\/2\.0 481 /);
    await send(request('INVITE', b, '127.0.0.8', peerPort));
    await until(() => seen.length >= 1);
    expect(seen.map((s) => s.req.method)).toEqual(['INVITE']);
    expect(layer.openTransactions).toBe(2);
    // Its CANCEL retransmission is the CANCEL's (kept by branch), not a new one that would cancel the INVITE.
    let cancelled = 0;
    seen[0]!.tx.on('cancel', () => cancelled++);
    await send(request('CANCEL', b, '127.0.0.8', peerPort));
    await until(() => got.length >= 2);
    expect(got[1]).toBe(got[0]);
    expect(cancelled).toBe(0);
  });

  it('RFC 2543 requests (no magic cookie) are matched by Call-ID, CSeq, From tag and top Via', async () => {
    const { layer, seen, got, send, peerPort } = await layerAndPeer();
    const old = request('OPTIONS', 'oldstyle1', '127.0.0.8', peerPort);
    await send(old);
    await until(() => seen.length >= 1);
    seen[0]!.tx.respond(createResponse(seen[0]!.req, 200));
    await until(() => got.length >= 1);
    await send(old);
    await until(() => got.length >= 2);
    expect(got[1]).toBe(got[0]);
    expect(layer.stats.retransmissionsAbsorbed).toBe(1);
    await send(old.replace('CSeq: 1 OPTIONS', 'CSeq: 2 OPTIONS'));
    await until(() => seen.length >= 2);
    expect(seen).toHaveLength(2);
  });
});
