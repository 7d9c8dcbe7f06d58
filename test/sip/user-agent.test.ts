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

  it('an INVITE carries every field of its spec, and each answer every option given to it', async () => {
    const { a, b, bobUri } = await pair(protocol);
    const aTraces: TraceEvent[] = [];
    a.transport.on('trace', (t) => aTraces.push(t));
    const got: string[] = [];
    b.on('invite', (inv) => {
      const r = inv.request;
      got.push(r.get('from') ?? '', r.get('to') ?? '', r.get('x-case') ?? '', r.get('content-type') ?? '');
      got.push(r.bodyText, r.get('supported') ?? '', r.get('allow') ?? '');
      inv.progress('v=0\r\ns=early\r\n', { status: 183 });
      void inv.answer('v=0\r\ns=answer\r\n', [['X-Answer', 'yes']]).catch(() => undefined);
    });
    const out = await a.invite({
      method: 'INVITE',
      uri: bobUri,
      from: '"Caller" <sip:caller@example.test>',
      to: `"Bob" <${bobUri}>`,
      headers: [['X-Case', 'fields']],
      body: 'v=0\r\ns=offer\r\n',
      // Not the default type (application/sdp), so that a type left out would show.
      contentType: 'application/x-offer',
      support100rel: false,
    }).result;
    expect(out.status).toBe(200);
    expect(got[0]).toMatch(/^"Caller" <sip:caller@example\.test>;tag=\S+$/);
    expect(got.slice(1, 5)).toEqual([
      `"Bob" <${bobUri}>`,
      'fields',
      'application/x-offer',
      'v=0\r\ns=offer\r\n',
    ]);
    expect(got[5]).toBe('replaces');
    expect(got[6]).toContain('INVITE');
    // The outcome: every response up to the final one, no CANCEL, the dialog.
    expect(out.responses.map((r) => r.status)).toEqual(expect.arrayContaining([183, 200]));
    expect(out.cancelled).toBe(false);
    expect(out.response?.status).toBe(200);
    const early = out.responses.find((r) => r.status === 183)!;
    expect(early.bodyText).toBe('v=0\r\ns=early\r\n');
    expect(early.get('content-type')).toBe('application/sdp');
    expect(out.response?.get('x-answer')).toBe('yes');
    expect(out.response?.get('contact')).toMatch(/^<sips?:bob@127\.0\.0\.2:\d+/);
    expect(out.response?.bodyText).toBe('v=0\r\ns=answer\r\n');
    // A request in the dialog reaches the callee over the same flow, and its outcome has every field.
    const bye = await a.bye(out.dialog!);
    expect(bye.status).toBe(200);
    expect(bye.response?.status).toBe(200);
    expect(bye.request.method).toBe('BYE');
    expect(bye.responses.map((r) => r.status)).toEqual([200]);
    // Every trace event of ours has its two times.
    expect(aTraces.length).toBeGreaterThan(3);
    for (const t of aTraces) {
      expect(t.wallTime).toBeGreaterThan(0);
      expect(t.monoTime).toBeGreaterThanOrEqual(0);
    }
  });

  it('a rejection carries the reason phrase and headers given to it', async () => {
    const { a, b, bobUri } = await pair(protocol);
    b.on('invite', (inv) => inv.reject(480, { reason: 'Gone Fishing', headers: [['Retry-After', '60']] }));
    const out = await a.invite({ method: 'INVITE', uri: bobUri }).result;
    expect(out.status).toBe(480);
    expect(out.response?.reason).toBe('Gone Fishing');
    expect(out.response?.get('retry-after')).toBe('60');
    expect('dialog' in out).toBe(false);
  });

  it('a request that gets no answer resolves 408 with no response', async () => {
    const { a } = await pair(protocol);
    // Nobody listens on this port (UDP) or the connection is refused (TCP/TLS): 408 or 503.
    const out = await a.request({ method: 'OPTIONS', uri: 'sip:nobody@127.0.0.9:9', protocol });
    expect([408, 503]).toContain(out.status);
    expect('response' in out).toBe(false);
    expect(out.responses).toEqual([]);
    expect(out.request.method).toBe('OPTIONS');
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
