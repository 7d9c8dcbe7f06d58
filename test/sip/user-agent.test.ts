import { afterEach, describe, expect, it } from 'vitest';
import { DigestServer } from '../../harness/sip/digest.ts';
import { createResponse } from '../../harness/sip/message-factory.ts';
import type { TraceEvent, TransportProtocol } from '../../harness/sip/transport.ts';
import { UserAgent } from '../../harness/sip/user-agent.ts';
import { selfSignedCertificate } from '../../harness/support/certificate.ts';

const FAST = { t1: 50, t2: 400, t4: 500 };
const agents: UserAgent[] = [];

async function pair(protocol: TransportProtocol) {
  const tls = protocol === 'TLS' ? await selfSignedCertificate() : undefined;
  const a = await UserAgent.start({
    listen: [{ protocol, address: '127.0.0.1', port: 0 }],
    timers: FAST,
    contactUser: 'alice',
    ...(tls ? { tls } : {}),
  });
  const b = await UserAgent.start({
    listen: [{ protocol, address: '127.0.0.2', port: 0 }],
    timers: FAST,
    contactUser: 'bob',
    ...(tls ? { tls } : {}),
  });
  agents.push(a, b);
  const bl = b.transport.bound[0]!;
  const scheme = protocol === 'TLS' ? 'sips' : 'sip';
  const tp = protocol === 'TCP' ? ';transport=tcp' : '';
  return { a, b, bobUri: `${scheme}:bob@127.0.0.2:${bl.port}${tp}` };
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((u) => u.stop()));
});

describe.each(['UDP', 'TCP', 'TLS'] as const)('UserAgent to UserAgent over %s', (protocol) => {
  it('INVITE / 180 / 200 / ACK / BYE', async () => {
    const { a, b, bobUri } = await pair(protocol);
    const traces: TraceEvent[] = [];
    a.transport.on('trace', (t) => traces.push(t));
    b.on('invite', (inv) => {
      inv.ring();
      setTimeout(() => void inv.answer('v=0\r\n').catch(() => undefined), 20);
    });
    const call = a.invite({ method: 'INVITE', uri: bobUri, body: 'v=0\r\n' });
    const out = await call.result;
    expect(out.status).toBe(200);
    expect(out.responses.map((r) => r.status)).toEqual(expect.arrayContaining([100, 180, 200]));
    const d = out.dialog!;
    expect(d.state).toBe('confirmed');
    // Bob's side sees the ACK and then the BYE.
    const bobDialog = [...b.dialogs.values()][0]!;
    await new Promise<void>((resolve) => {
      if (bobDialog.state === 'confirmed') resolve();
      else bobDialog.once('ack', () => resolve());
    });
    const ended = new Promise<string>((resolve) => bobDialog.once('terminated', resolve));
    const bye = await a.bye(d);
    expect(bye.status).toBe(200);
    expect(await ended).toBe('remote');
    const sent = traces
      .filter((t) => t.direction === 'out')
      .map((t) => (t.message?.isRequest ? (t.message as { method: string }).method : ''));
    expect(sent).toEqual(expect.arrayContaining(['INVITE', 'ACK', 'BYE']));
    for (const t of traces) {
      expect(t.flow.protocol).toBe(protocol);
      expect(t.flow.local.port).toBeGreaterThan(0);
      expect(t.flow.remote.port).toBeGreaterThan(0);
    }
  });

  it('486 Busy Here ends the call with that status', async () => {
    const { a, b, bobUri } = await pair(protocol);
    b.on('invite', (inv) => inv.reject(486));
    const out = await a.invite({ method: 'INVITE', uri: bobUri }).result;
    expect(out.status).toBe(486);
    expect(out.dialog).toBeUndefined();
  });

  it('CANCEL while ringing yields 487 and a cancelled event at the callee', async () => {
    const { a, b, bobUri } = await pair(protocol);
    const cancelled = new Promise<void>((resolve) =>
      b.on('invite', (inv) => {
        inv.ring();
        inv.on('cancelled', () => resolve());
      }),
    );
    const call = a.invite({ method: 'INVITE', uri: bobUri });
    call.on('response', (r) => {
      if (r.status === 180) call.cancel();
    });
    const out = await call.result;
    await cancelled;
    expect(out.status).toBe(487);
    expect(out.cancelled).toBe(true);
  });
});

describe('digest authentication between two user agents', () => {
  it('REGISTER is challenged, answered, and accepted; a wrong password is refused', async () => {
    const { a, b, bobUri } = await pair('UDP');
    const server = new DigestServer({
      realm: 'lab.test',
      credentials: (user: string) => (user === 'oxo' ? 'secret' : undefined),
    });
    b.on('request', (req, tx) => {
      const verdict = server.verify(req.get('authorization'), { method: req.method, uri: req.uri });
      if (verdict.kind === 'ok')
        tx.respond(createResponse(req, 200, { headers: [['Contact', req.get('contact') ?? '']] }));
      else
        tx.respond(
          createResponse(req, 401, {
            headers: verdict.challenges.map((c) => ['WWW-Authenticate', c] as [string, string]),
          }),
        );
    });
    const ok = await a.register({
      registrar: bobUri,
      aor: 'sip:oxo@lab.test',
      credentials: { username: 'oxo', password: 'secret' },
    });
    expect(ok.responses.map((r) => r.status)).toEqual([401, 200]);
    expect(ok.request.get('authorization')).toMatch(/^Digest /);
    const bad = await a.register({
      registrar: bobUri,
      aor: 'sip:oxo@lab.test',
      credentials: { username: 'oxo', password: 'wrong' },
    });
    expect(bad.status).toBe(401);
    expect(bad.responses.length).toBe(2);
  });
});
