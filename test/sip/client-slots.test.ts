/**
 * The client transactions the transaction layer keeps at the slot their branch carries
 * (TransactionLayer.newBranch, ids.ts slotBranch), and those it keeps by key: a response finds
 * its transaction only with the whole branch and method, wherever the transaction is kept, and
 * the slots give what one table by key gave (the newer of two with one key wins; a slot is
 * free again when its transaction has ended). Over UDP on loopback, against a bare socket that
 * answers what we choose.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNameAddr, parseVia } from '../../harness/sip/header-values.ts';
import { BRANCH_COOKIE, branchSlot, newBranch, slotBranch } from '../../harness/sip/ids.ts';
import { SipRequest, type SipResponse } from '../../harness/sip/message.ts';
import { parseMessage } from '../../harness/sip/parser.ts';
import { targetFromUri } from '../../harness/sip/target.ts';
import type { ClientTransaction, SendTarget } from '../../harness/sip/transaction.ts';
import type { TraceEvent, TransportProtocol } from '../../harness/sip/transport.ts';
import { isSipUri } from '../../harness/sip/uri.ts';
import { UserAgent } from '../../harness/sip/user-agent.ts';
import { selfSignedCertificate } from '../../harness/support/certificate.ts';

const T1 = 10;
const agents: UserAgent[] = [];
const sockets: dgram.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(agents.splice(0).map((u) => u.stop()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(5);
}

/** Our agent on 127.0.0.1 and a bare UDP peer on 127.0.0.8 that records what it gets. */
async function agentAndPeer(t1 = T1) {
  const ua = await UserAgent.start({
    listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
    timers: { t1, t2: 4 * t1, t4: 5 * t1 },
  });
  agents.push(ua);
  const peer = dgram.createSocket('udp4');
  sockets.push(peer);
  await new Promise<void>((r) => peer.bind(0, '127.0.0.8', () => r()));
  const got: SipRequest[] = [];
  peer.on('message', (m) => {
    const r = parseMessage(m);
    if (r.ok && r.message.isRequest) got.push(r.message);
  });
  const uaPort = ua.transport.bound[0]!.port;
  const target: SendTarget = { protocol: 'UDP', address: '127.0.0.8', port: peer.address().port };
  /** The peer answers `req` with `status`, its top Via's branch replaced by `branch` when given. */
  const answer = (req: SipRequest, status: number, branch?: string) => {
    const via = req.get('via')!;
    const lines = [
      `SIP/2.0 ${status} Whatever`,
      `Via: ${branch === undefined ? via : via.replace(/branch=[^;]+/, `branch=${branch}`)}`,
      `From: ${req.get('from')}`,
      `To: ${req.get('to')};tag=peer`,
      `Call-ID: ${req.callId}`,
      `CSeq: ${req.get('cseq')}`,
      'Content-Length: 0',
      '',
      '',
    ];
    peer.send(lines.join('\r\n'), uaPort, '127.0.0.1');
  };
  return { ua, got, target, answer };
}

/** An OPTIONS to `target` with the top Via branch `branch`, built by hand. */
function options(ua: UserAgent, target: SendTarget, branch: string): SipRequest {
  const l = ua.transport.bound[0]!;
  const req = new SipRequest('OPTIONS', `sip:peer@${target.address}:${target.port}`);
  req.append('Via', `SIP/2.0/UDP ${l.address}:${l.port};branch=${branch};rport`);
  req.append('Max-Forwards', '70');
  req.append('From', `<sip:us@${l.address}>;tag=${branch.slice(-6)}`);
  req.append('To', `<sip:peer@${target.address}>`);
  req.append('Call-ID', `slots-${branch}`);
  req.append('CSeq', '1 OPTIONS');
  return req;
}

/** A branch made elsewhere that cannot carry a slot ("x" is not one of the slot symbols). */
const unslotted = () => `${BRANCH_COOKIE}x${newBranch().slice(BRANCH_COOKIE.length)}`;

/** The responses `tx` hands on. */
function heard(tx: ClientTransaction): SipResponse[] {
  const out: SipResponse[] = [];
  tx.on('response', (r) => out.push(r));
  return out;
}

describe('branches that carry a slot', () => {
  it('carry the slot they were made with, after the magic cookie, and are otherwise random', () => {
    for (const slot of [0, 1, 31, 32, 1023, 1024, 32 ** 4 - 1, 123_456]) {
      const b = slotBranch(slot);
      expect(b.startsWith(BRANCH_COOKIE)).toBe(true);
      expect(b).toHaveLength(BRANCH_COOKIE.length + 4 + 16);
      expect(branchSlot(b)).toBe(slot);
      expect(slotBranch(slot)).not.toBe(b);
    }
    // Branches that cannot carry one: no cookie, too short, a character outside the 32 symbols.
    expect(branchSlot('abcdefghijklmnop')).toBe(-1);
    expect(branchSlot('z9hG4bKAB')).toBe(-1);
    expect(branchSlot('z9hG4bKAB-Cxyz')).toBe(-1);
    expect(branchSlot('z9hG4bKABgCxyz')).toBe(-1);
  });
});

describe('client transactions kept at the slot their branch carries', () => {
  it('a response finds its transaction only with the whole branch; a branch with the same slot is stray', async () => {
    const { ua, got, target, answer } = await agentAndPeer();
    const branch = ua.transactions.newBranch();
    const slot = branchSlot(branch);
    expect(slot).toBeGreaterThanOrEqual(0);
    const tx = ua.transactions.sendRequest(options(ua, target, branch), target);
    const responses = heard(tx);
    await until(() => got.length > 0);
    expect(got[0]!.branch).toBe(branch);
    // The same slot, another random part: not this transaction's response.
    const lookalike = `${branch.slice(0, 11)}${'Q'.repeat(16)}`;
    expect(branchSlot(lookalike)).toBe(slot);
    answer(got[0]!, 200, lookalike);
    await until(() => ua.transactions.stats.strayResponses > 0);
    expect(ua.transactions.stats.strayResponses).toBe(1);
    expect(responses).toHaveLength(0);
    expect(ua.transactions.findClient(branch, 'OPTIONS')).toBe(tx);
    expect(ua.transactions.findClient(branch, 'INVITE')).toBeUndefined();
    expect(ua.transactions.findClient(lookalike, 'OPTIONS')).toBeUndefined();
    answer(got[0]!, 200);
    await until(() => responses.length > 0);
    expect(responses.map((r) => r.status)).toEqual([200]);
  });

  it('two transactions offered one slot: the second is kept by key, both get their responses, both count', async () => {
    const { ua, got, target, answer } = await agentAndPeer();
    const b1 = ua.transactions.newBranch();
    const b2 = ua.transactions.newBranch();
    expect(branchSlot(b2)).toBe(branchSlot(b1));
    const before = ua.transactions.openTransactions;
    const tx1 = ua.transactions.sendRequest(options(ua, target, b1), target);
    const tx2 = ua.transactions.sendRequest(options(ua, target, b2), target);
    // And one whose branch was made elsewhere, with no slot in mind.
    const b3 = unslotted();
    const tx3 = ua.transactions.sendRequest(options(ua, target, b3), target);
    expect(ua.transactions.openTransactions).toBe(before + 3);
    const [r1, r2, r3] = [heard(tx1), heard(tx2), heard(tx3)];
    await until(() => got.length >= 3);
    for (const req of got.slice(0, 3)) answer(req, 200);
    await until(() => r1.length + r2.length + r3.length >= 3);
    expect([r1.length, r2.length, r3.length]).toEqual([1, 1, 1]);
    expect(r2[0]!.branch).toBe(b2);
    expect(ua.transactions.stats.strayResponses).toBe(0);
    // Timer K (T4 = 50 ms) ends all three; then no transaction is left, in slots or by key.
    await until(() => ua.transactions.openTransactions === 0);
    expect(ua.transactions.openTransactions).toBe(0);
  });

  it.each([
    ['a slot', (ua: UserAgent) => ua.transactions.newBranch()],
    ['no slot', () => unslotted()],
  ])(
    'a request sent again with the key of an open transaction (branch with %s): the newer transaction gets the response',
    async (_, branchOf) => {
      const { ua, got, target, answer } = await agentAndPeer();
      const req = options(ua, target, branchOf(ua));
      const older = ua.transactions.sendRequest(req, target);
      const newer = ua.transactions.sendRequest(req, target);
      const [ro, rn] = [heard(older), heard(newer)];
      expect(ua.transactions.findClient(req.branch!, 'OPTIONS')).toBe(newer);
      older.terminate();
      // The older one ending does not take the newer one's place away.
      expect(ua.transactions.findClient(req.branch!, 'OPTIONS')).toBe(newer);
      await until(() => got.length > 0);
      answer(got[0]!, 200);
      await until(() => rn.length > 0);
      await sleep(20);
      expect(rn.map((r) => r.status)).toEqual([200]);
      expect(ro).toHaveLength(0);
    },
  );

  it('a transaction that takes a slot replaces one of its key kept by key (which is not found again when it ends)', async () => {
    const { ua, target } = await agentAndPeer();
    const b1 = ua.transactions.newBranch();
    const b2 = ua.transactions.newBranch();
    const first = ua.transactions.sendRequest(options(ua, target, b1), target);
    const req = options(ua, target, b2);
    const byKey = ua.transactions.sendRequest(req, target);
    expect(ua.transactions.findClient(b2, 'OPTIONS')).toBe(byKey);
    // Its slot comes free: the same request sent again takes it.
    first.terminate();
    const inSlot = ua.transactions.sendRequest(req, target);
    expect(inSlot.slot).toBe(branchSlot(b2));
    expect(ua.transactions.findClient(b2, 'OPTIONS')).toBe(inSlot);
    inSlot.terminate();
    expect(ua.transactions.findClient(b2, 'OPTIONS')).toBeUndefined();
    byKey.terminate();
    expect(ua.transactions.openTransactions).toBe(0);
  });

  it('a slot is offered again once its transaction has ended, and a late response for the old branch is stray', async () => {
    const { ua, got, target, answer } = await agentAndPeer();
    const b1 = ua.transactions.newBranch();
    const tx = ua.transactions.sendRequest(options(ua, target, b1), target);
    const r1 = heard(tx);
    await until(() => got.length > 0);
    answer(got[0]!, 200);
    await until(() => r1.length > 0);
    // While it waits out Timer K in its slot, that slot is not offered.
    expect(branchSlot(ua.transactions.newBranch())).not.toBe(branchSlot(b1));
    await until(() => ua.transactions.openTransactions === 0);
    const b2 = ua.transactions.newBranch();
    expect(branchSlot(b2)).toBe(branchSlot(b1));
    const tx2 = ua.transactions.sendRequest(options(ua, target, b2), target);
    const r2 = heard(tx2);
    const stray = ua.transactions.stats.strayResponses;
    answer(got[0]!, 200);
    await until(() => ua.transactions.stats.strayResponses > stray);
    expect(ua.transactions.stats.strayResponses).toBe(stray + 1);
    expect(r2).toHaveLength(0);
  });
});

describe('a client transaction over UDP, sent without a Promise', () => {
  it('knows its flow at once, the one a send would give', async () => {
    // T1 of 1 s: no retransmission adds to the count of datagrams sent below.
    const { ua, target, got } = await agentAndPeer(1000);
    const tx = ua.transactions.sendRequest(options(ua, target, ua.transactions.newBranch()), target);
    const l = ua.transport.bound[0]!;
    expect(tx.flow).toEqual({
      protocol: 'UDP',
      local: { address: l.address, port: l.port },
      remote: { address: target.address, port: target.port },
    });
    expect(await ua.transport.send(options(ua, target, newBranch()), target)).toEqual(tx.flow);
    await until(() => got.length >= 2);
    expect(ua.transport.stats.sent).toBe(2);
  });

  it('ends with transport-error, after its step, when its request cannot be sent; the failure is counted', async () => {
    const { ua } = await agentAndPeer();
    const nowhere: SendTarget = { protocol: 'UDP', address: '127.0.0.8', port: 0 };
    const tx = ua.transactions.sendRequest(options(ua, nowhere, ua.transactions.newBranch()), nowhere);
    const events: string[] = [];
    tx.on('transport-error', () => events.push('transport-error'));
    tx.on('terminated', (why) => events.push(`terminated:${why}`));
    // Nothing yet: the failure comes after the step that sent it.
    expect(events).toEqual([]);
    await until(() => events.length >= 2);
    expect(events).toEqual(['transport-error', 'terminated:transport-error']);
    expect(ua.transport.stats.sendErrors).toBe(1);
    expect(ua.transactions.openTransactions).toBe(0);
  });
});

describe('requests our user agent builds carry their Via parsed, as the parser reads it', () => {
  const cases: Array<[TransportProtocol, string]> = [
    ['UDP', '127.0.0.1'],
    ['TCP', '127.0.0.1'],
    ['TLS', '127.0.0.1'],
    ['UDP', '::1'],
    ['TCP', '::1'],
  ];
  it.each(cases)('INVITE, ACK and BYE over %s on %s', async (protocol, address) => {
    const tls = protocol === 'TLS' ? await selfSignedCertificate() : undefined;
    const start = () =>
      UserAgent.start({
        listen: [{ protocol, address, port: 0 }],
        timers: { t1: 50, t2: 400, t4: 500 },
        ...(tls ? { tls } : {}),
      });
    const a = await start();
    const b = await start();
    agents.push(a, b);
    const sent: SipRequest[] = [];
    a.transport.on('trace', (t: TraceEvent) => {
      if (t.direction === 'out' && t.message?.isRequest) sent.push(t.message);
    });
    b.on('invite', (inv) => void inv.answer('v=0\r\n').catch(() => undefined));
    const bl = b.transport.bound[0]!;
    const host = address.includes(':') ? `[${address}]` : address;
    const scheme = protocol === 'TLS' ? 'sips' : 'sip';
    const tp = protocol === 'TCP' ? ';transport=tcp' : '';
    const out = await a.invite({
      method: 'INVITE',
      uri: `${scheme}:b@${host}:${bl.port}${tp}`,
      body: 'v=0\r\n',
    }).result;
    expect(out.status).toBe(200);
    expect((await a.bye(out.dialog!)).status).toBe(200);
    expect(sent.map((r) => r.method)).toEqual(['INVITE', 'ACK', 'BYE']);
    for (const req of sent) {
      const lines = req.getAll('via');
      expect(lines).toHaveLength(1);
      const fresh = parseVia(lines[0]!);
      expect(fresh.ok).toBe(true);
      // The value the request holds is the one the parser reads from its text, field by field.
      expect(req.vias).toEqual([fresh.ok ? fresh.value : undefined]);
      expect(req.branch).toBe(fresh.ok ? fresh.value.params.find(([n]) => n === 'branch')?.[1] : undefined);
    }
  });

  it('a listener address the parser does not read in a Via (scoped IPv6): the request is built, not primed', async () => {
    const ua = await UserAgent.start({ listen: [{ protocol: 'UDP', address: '::1%lo', port: 0 }] });
    agents.push(ua);
    const req = ua.buildRequest(
      { method: 'OPTIONS', uri: 'sip:x@[::1]:5060' },
      {
        protocol: 'UDP',
        address: '::1',
        port: 5060,
      },
    );
    expect(req.get('via')).toContain('%lo');
    const fresh = parseVia(req.get('via')!);
    expect(req.vias).toEqual(fresh.ok ? [fresh.value] : undefined);
  });
});

describe('requests our user agent builds carry their From parsed, as the parser reads it', () => {
  it.each([
    [undefined],
    ['sip:alice@example.com'],
    ['<sips:alice:pw@[::1]:5061;transport=tls?x=y>'],
    ['"Alice \\"A\\"" <sip:alice@example.com;user=phone>;expires=3'],
    ['Alice Smith <sip:+4930123@10.1.2.3>'],
    ['<tel:+4930123>'],
    ['<sip:alice@example.com>\u00a0'],
  ])('From %s', async (from) => {
    const ua = await UserAgent.start({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    agents.push(ua);
    const target: SendTarget = { protocol: 'UDP', address: '127.0.0.9', port: 5060 };
    for (let i = 0; i < 3; i++) {
      const req = ua.buildRequest(
        { method: 'OPTIONS', uri: 'sip:x@127.0.0.9', ...(from !== undefined ? { from } : {}) },
        target,
      );
      // (A head that ends in a no-break space makes a From the parser does not read: none then.)
      const fresh = parseNameAddr(req.get('from')!);
      expect(fresh.ok).toBe(!from?.endsWith('\u00a0'));
      expect(req.from).toEqual(fresh.ok ? fresh.value : undefined);
      if (fresh.ok) expect(req.fromTag).toMatch(/^[A-Za-z0-9x]{11}$/);
      // Each request its own value: changing one leaves the next as parsed.
      req.from?.params.push(['x', null]);
      if (req.from?.params[0]) req.from.params[0][1] = 'changed';
      if (req.from && isSipUri(req.from.uri)) {
        req.from.uri.params.push(['y', null]);
        if (req.from.uri.params[0]) req.from.uri.params[0][1] = 'changed';
      }
    }
  });

  it.each([[''], ['a b'], ['t\u00e4g']])(
    'a From tag given that is no token (%j): the request reads its From as written',
    async (tag) => {
      const ua = await UserAgent.start({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
      agents.push(ua);
      const target: SendTarget = { protocol: 'UDP', address: '127.0.0.9', port: 5060 };
      const req = ua.buildRequest({ method: 'OPTIONS', uri: 'sip:x@127.0.0.9' }, target, {
        callId: 'c1',
        fromTag: tag,
        cseq: 1,
      });
      const fresh = parseNameAddr(req.get('from')!);
      expect(req.from).toEqual(fresh.ok ? fresh.value : undefined);
      expect(req.fromTag).toBe(fresh.ok ? fresh.value.params.find(([n]) => n === 'tag')?.[1] : undefined);
    },
  );
});

describe('targetFromUri', () => {
  it('gives the target of each URI and protocol when they alternate, each time a fresh object', () => {
    const a = 'sip:a@127.0.0.5:5070';
    const b = '<sip:b@127.0.0.6;transport=tcp>';
    const want = {
      a: { protocol: 'UDP', address: '127.0.0.5', port: 5070 },
      aTcp: { protocol: 'TCP', address: '127.0.0.5', port: 5070 },
      b: { protocol: 'TCP', address: '127.0.0.6', port: 5060 },
    };
    for (let i = 0; i < 3; i++) {
      const ta = targetFromUri(a);
      expect(ta).toEqual({ ok: true, value: want.a });
      if (ta.ok) ta.value.port = 1; // a caller may change what it got
      expect(targetFromUri(a)).toEqual({ ok: true, value: want.a });
      expect(targetFromUri(a, 'TCP')).toEqual({ ok: true, value: want.aTcp });
      expect(targetFromUri(b)).toEqual({ ok: true, value: want.b });
      expect(targetFromUri(` ${a}`.slice(1))).toEqual({ ok: true, value: want.a });
    }
  });
});
