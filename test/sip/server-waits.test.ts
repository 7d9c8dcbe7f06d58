/**
 * The long waits of answered server transactions (RFC 3261 Timer J, RFC 6026 Timer L), which
 * the transaction layer keeps in a queue of small records instead of whole transactions: what
 * a peer sees during them and after them, over UDP on loopback, with T1 = 10 ms (64*T1 = 640 ms).
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { UserAgent } from '../../harness/sip/user-agent.ts';

const T1 = 10;
const WAIT = 64 * T1;
const agents: UserAgent[] = [];
const sockets: dgram.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(agents.splice(0).map((u) => u.stop()));
});

async function agentAndPeer(maxTransactionsPerSource?: number) {
  const ua = await UserAgent.start({
    listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
    timers: { t1: T1, t2: 40, t4: 50 },
    auto100: false,
    ...(maxTransactionsPerSource ? { sourceLimits: { maxTransactionsPerSource } } : {}),
  });
  agents.push(ua);
  const peer = dgram.createSocket('udp4');
  sockets.push(peer);
  await new Promise<void>((r) => peer.bind(0, '127.0.0.8', () => r()));
  const got: string[] = [];
  peer.on('message', (m) => got.push(m.toString('latin1')));
  const port = ua.transport.bound[0]!.port;
  const send = (text: string) => peer.send(text, port, '127.0.0.1');
  return { ua, peer, got, send, port, peerPort: peer.address().port };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds, polling, at most `ms` (a loaded machine delays datagrams and timers). */
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(10);
}

function request(method: string, peerPort: number, uaPort: number, branch: string): string {
  return (
    `${method} sip:uas@127.0.0.1:${uaPort} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.8:${peerPort};branch=z9hG4bK${branch}\r\n` +
    'Max-Forwards: 70\r\n' +
    'From: <sip:peer@127.0.0.8>;tag=p1\r\n' +
    'To: <sip:uas@127.0.0.1>\r\n' +
    `Call-ID: wait-${branch}\r\n` +
    `CSeq: 1 ${method}\r\n` +
    `Contact: <sip:peer@127.0.0.8:${peerPort}>\r\n` +
    'Content-Length: 0\r\n\r\n'
  );
}

describe('answered server transactions wait 64*T1 as small records', () => {
  it('a non-INVITE: a retransmission gets the very same final response again; after Timer J the request is new', async () => {
    const { ua, got, send, port, peerPort } = await agentAndPeer();
    const options = request('OPTIONS', peerPort, port, 'opt1');
    send(options);
    await until(() => got.length >= 1);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/^SIP\/2\.0 200 /);
    expect(ua.transactions.openTransactions).toBe(1);
    send(options);
    await until(() => got.length >= 2);
    expect(got).toHaveLength(2);
    expect(got[1]).toBe(got[0]);
    expect(ua.transactions.stats.retransmissionsAbsorbed).toBe(1);
    expect(ua.transactions.stats.serverStarted).toBe(1);
    await sleep(WAIT);
    await until(() => ua.transactions.openTransactions === 0);
    expect(ua.transactions.openTransactions).toBe(0);
    // The transaction is gone: the same request now starts a new one.
    send(options);
    await until(() => got.length >= 3);
    expect(got).toHaveLength(3);
    expect(ua.transactions.stats.serverStarted).toBe(2);
    expect(ua.transactions.stats.retransmissionsAbsorbed).toBe(1);
  });

  it('a waiting transaction still counts against its source until Timer J; then the source may start another', async () => {
    const { ua, got, send, port, peerPort } = await agentAndPeer(1);
    send(request('OPTIONS', peerPort, port, 'first'));
    await until(() => got.length >= 1);
    send(request('OPTIONS', peerPort, port, 'second'));
    await until(() => got.length >= 2);
    expect(got.map((t) => t.split('\r\n')[0])).toEqual(['SIP/2.0 200 OK', 'SIP/2.0 503 Service Unavailable']);
    await sleep(WAIT);
    await until(() => ua.transactions.openTransactions === 0);
    send(request('OPTIONS', peerPort, port, 'third'));
    await until(() => got.length >= 3);
    expect(got[2]?.split('\r\n')[0]).toBe('SIP/2.0 200 OK');
    expect(ua.transactions.stats.rejectedSourceOverload).toBe(1);
  });

  it('an INVITE in Accepted: its retransmission is absorbed, a CANCEL gets 200 without effect, the ACK reaches the dialog', async () => {
    const { ua, got, send, port, peerPort } = await agentAndPeer();
    const acked = new Promise<boolean>((resolve) => {
      ua.on('invite', (inv) => {
        inv.answer('v=0\r\n').then(
          () => resolve(true),
          () => resolve(false),
        );
      });
    });
    const invite = request('INVITE', peerPort, port, 'inv1');
    send(invite);
    await until(() => got.some((t) => t.startsWith('SIP/2.0 200 ')));
    const ok = got.find((t) => t.startsWith('SIP/2.0 200 '));
    expect(ok).toBeDefined();
    const toTag = /^To: .*;tag=([^;\r\n]+)/m.exec(ok!)?.[1];
    expect(toTag).toBeDefined();
    // The ACK for a 2xx is a transaction of its own (a new branch) in the INVITE's dialog.
    const ack = request('ACK', peerPort, port, 'ack1')
      .replace('Call-ID: wait-ack1', 'Call-ID: wait-inv1')
      .replace('To: <sip:uas@127.0.0.1>', `To: <sip:uas@127.0.0.1>;tag=${toTag}`);
    send(ack);
    expect(await acked).toBe(true);
    await sleep(50);
    const before = got.length;
    send(invite);
    await sleep(50);
    expect(got.length).toBe(before);
    expect(ua.transactions.stats.retransmissionsAbsorbed).toBe(1);
    // The CANCEL matches the INVITE's transaction (same branch and sent-by, RFC 3261 §9.2).
    send(request('CANCEL', peerPort, port, 'inv1'));
    await until(() => got.length > before);
    await sleep(50);
    expect(got.slice(before).map((t) => t.split('\r\n')[0])).toEqual(['SIP/2.0 200 OK']);
    expect(got[before]).toMatch(/^CSeq: 1 CANCEL/m);
    expect([...ua.dialogs.values()].map((d) => d.state)).toEqual(['confirmed']);
    await sleep(WAIT);
    await until(() => ua.transactions.openTransactions === 0);
    expect(ua.transactions.openTransactions).toBe(0);
  });

  it("a caller's INVITE (Accepted, Timer M) and BYE (Completed, Timer K) wait as records, then leave", async () => {
    const timers = { t1: T1, t2: 40, t4: 50 };
    const callee = await UserAgent.start({
      listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
      timers,
    });
    const caller = await UserAgent.start({
      listen: [{ protocol: 'UDP', address: '127.0.0.9', port: 0 }],
      timers,
    });
    agents.push(callee, caller);
    callee.on('invite', (inv) => void inv.answer('v=0\r\n').catch(() => undefined));
    const out = await caller.invite({
      method: 'INVITE',
      uri: `sip:uas@127.0.0.1:${callee.transport.bound[0]!.port}`,
      body: 'v=0\r\n',
    }).result;
    expect(out.status).toBe(200);
    expect((await caller.bye(out.dialog!)).status).toBe(200);
    // The INVITE waits out Timer M (640 ms) as a record; the BYE Timer K (50 ms).
    expect(caller.transactions.openTransactions).toBe(2);
    await sleep(WAIT);
    await until(() => caller.transactions.openTransactions === 0);
    expect(caller.transactions.openTransactions).toBe(0);
    expect(caller.transactions.stats.strayResponses).toBe(0);
  });
});
