/**
 * Finding 3 of issue 15: one source could lock everyone out (fill the global transaction and
 * connection bounds, or hold a connection by trickling bytes). Per-source bounds, each over the
 * wire on loopback from raw sockets: transactions (503 with Retry-After beyond the bound, other
 * sources still served), stream connections (the extra ones closed), the time to complete a
 * message (a trickling or silent connection is cut off) and the size of a header section.
 * The bounds are set small here through the user agent's options; docs/limits.md gives the
 * defaults. Waits are bounds on the outcome, not timed assertions.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_TRANSACTIONS_PER_SOURCE,
  type SourceLimitOptions,
  UserAgent,
} from '../../harness/sip/index.ts';

const SERVER = '127.0.88.1';
const FLOODER = '127.0.88.2';
const OTHER = '127.0.88.3';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}

async function server(limits: SourceLimitOptions): Promise<UserAgent> {
  const ua = await UserAgent.start({
    listen: [
      { protocol: 'UDP', address: SERVER, port: 0 },
      { protocol: 'TCP', address: SERVER, port: 0 },
    ],
    sourceLimits: limits,
  });
  cleanups.push(() => ua.stop());
  return ua;
}

let seq = 0;
function options(from: string, port: number, protocol: 'UDP' | 'TCP', extra = ''): string {
  const n = ++seq;
  return [
    `OPTIONS sip:${SERVER} SIP/2.0`,
    `Via: SIP/2.0/${protocol} ${from}:${port};branch=z9hG4bK-limits-${n};rport`,
    'Max-Forwards: 70',
    `From: <sip:flood@${from}>;tag=f${n}`,
    `To: <sip:${SERVER}>`,
    `Call-ID: limits-${n}@${from}`,
    'CSeq: 1 OPTIONS',
    ...(extra ? [extra] : []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** A UDP socket on `address` that collects the status lines (and Retry-After) it receives. */
async function udpClient(address: string): Promise<{
  send(text: string, port: number): void;
  statuses: Array<{ status: number; retryAfter?: string }>;
  port: number;
}> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, () => r()));
  cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  const statuses: Array<{ status: number; retryAfter?: string }> = [];
  s.on('message', (m) => {
    const t = m.toString('latin1');
    const st = /^SIP\/2\.0 (\d{3})/.exec(t);
    if (!st) return;
    const ra = /\r\nRetry-After:\s*([^\r\n]+)/i.exec(t)?.[1];
    statuses.push({ status: Number(st[1]), ...(ra ? { retryAfter: ra } : {}) });
  });
  return {
    send: (text, port) => s.send(Buffer.from(text, 'latin1'), port, SERVER),
    statuses,
    port: s.address().port,
  };
}

/** A TCP connection from `address`; `closed` turns true when the server closes it. */
async function tcpClient(
  address: string,
  port: number,
): Promise<{ socket: net.Socket; closed: () => boolean; data: () => string }> {
  const socket = net.connect({ host: SERVER, port, localAddress: address });
  let closed = false;
  let data = '';
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => undefined);
  socket.on('data', (d) => {
    data += d.toString('latin1');
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  cleanups.push(() => {
    socket.destroy();
  });
  return { socket, closed: () => closed, data: () => data };
}

describe('per-source bounds of the SIP stack (issue 15, finding 3)', () => {
  it('transactions: one source beyond its bound gets 503 with Retry-After; another source is still served', async () => {
    expect(DEFAULT_MAX_TRANSACTIONS_PER_SOURCE).toBeLessThan(10_000);
    const ua = await server({ maxTransactionsPerSource: 20 });
    const port = ua.transport.listenerFor('UDP').port;
    const flood = await udpClient(FLOODER);
    // Each OPTIONS answered 200 keeps its transaction open for Timer J (64*T1 = 32 s).
    for (let i = 0; i < 30; i++) flood.send(options(FLOODER, flood.port, 'UDP'), port);
    expect(await until(() => flood.statuses.length >= 30, 10_000), 'every request answered').toBe(true);
    const ok = flood.statuses.filter((s) => s.status === 200);
    const busy = flood.statuses.filter((s) => s.status === 503);
    expect(ok.length).toBe(20);
    expect(busy.length).toBe(10);
    for (const b of busy) expect(Number(b.retryAfter), 'Retry-After on the 503').toBeGreaterThan(0);
    expect(ua.transactions.stats.rejectedSourceOverload).toBe(10);

    const other = await udpClient(OTHER);
    other.send(options(OTHER, other.port, 'UDP'), port);
    expect(await until(() => other.statuses.length > 0, 5000)).toBe(true);
    expect(other.statuses[0]?.status, 'another source is not locked out').toBe(200);
  });

  it('connections: one source beyond its bound has its new connections closed; another source connects', async () => {
    const ua = await server({ maxConnectionsPerSource: 5 });
    const port = ua.transport.listenerFor('TCP').port;
    const conns: Array<Awaited<ReturnType<typeof tcpClient>>> = [];
    for (let i = 0; i < 8; i++) conns.push(await tcpClient(FLOODER, port));
    expect(await until(() => conns.filter((c) => c.closed()).length >= 3, 5000), 'three closed').toBe(true);
    await sleep(100);
    expect(conns.filter((c) => c.closed()).length).toBe(3);
    expect(ua.transport.stats.connectionsRefusedPerSource).toBe(3);

    const other = await tcpClient(OTHER, port);
    other.socket.write(options(OTHER, other.socket.localPort ?? 0, 'TCP'));
    expect(await until(() => /^SIP\/2\.0 200/.test(other.data()), 5000), 'another source is served').toBe(
      true,
    );
  });

  it('a sender trickling one byte at a time is cut off at the deadline; one that completes its message is not', async () => {
    const ua = await server({ messageDeadlineMs: 600 });
    const port = ua.transport.listenerFor('TCP').port;
    const slow = await tcpClient(FLOODER, port);
    const good = await tcpClient(OTHER, port);
    good.socket.write(options(OTHER, good.socket.localPort ?? 0, 'TCP'));
    const bytes = Buffer.from(options(FLOODER, slow.socket.localPort ?? 0, 'TCP'), 'latin1');
    let i = 0;
    // One byte every 20 ms: the message would take several seconds; bounded by its length.
    while (!slow.closed() && i < bytes.length) {
      slow.socket.write(bytes.subarray(i, i + 1));
      i++;
      await sleep(20);
    }
    expect(slow.closed(), 'the trickling connection was closed').toBe(true);
    expect(i, 'before the whole message was sent').toBeLessThan(bytes.length);
    expect(slow.data(), 'nothing was answered to the partial message').toBe('');
    expect(ua.transport.stats.slowSenders).toBeGreaterThanOrEqual(1);
    expect(/^SIP\/2\.0 200/.test(good.data())).toBe(true);
    await sleep(1500);
    expect(good.closed(), 'a connection that completed its message stays open').toBe(false);
  });

  it('an accepted connection that never sends is closed at the deadline', async () => {
    const ua = await server({ messageDeadlineMs: 400 });
    const port = ua.transport.listenerFor('TCP').port;
    const silent = await tcpClient(FLOODER, port);
    expect(await until(() => silent.closed(), 10_000)).toBe(true);
    expect(ua.transport.stats.slowSenders).toBe(1);
  });

  it('a header section beyond the bound is refused (counted, traced), the next message is answered', async () => {
    const ua = await server({ maxHeaderBytes: 4096 });
    const port = ua.transport.listenerFor('UDP').port;
    const errors: string[] = [];
    ua.transport.on('trace', (t) => {
      if (t.error) errors.push(t.error.code);
    });
    const c = await udpClient(FLOODER);
    c.send(options(FLOODER, c.port, 'UDP', `X-Padding: ${'a'.repeat(8000)}`), port);
    c.send(options(FLOODER, c.port, 'UDP'), port);
    expect(await until(() => c.statuses.length > 0, 5000)).toBe(true);
    await sleep(100);
    expect(c.statuses.map((s) => s.status)).toEqual([200]);
    expect(ua.transport.stats.headersTooLarge).toBe(1);
    expect(errors).toContain('too-large');
  });
});
