/**
 * Interop with SIPp, a real SIP peer: calls in both directions over UDP and TCP, CANCEL,
 * 486, INVITE retransmission when the first one is lost, and digest-authenticated REGISTER
 * and INVITE against SIPp scenarios that challenge.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import type { SipRequest } from '../../harness/sip/message.ts';
import type { TraceEvent } from '../../harness/sip/transport.ts';
import { UserAgent } from '../../harness/sip/user-agent.ts';
import { describeWithPeers } from '../support/peers.ts';
import { describeSipp, freePort, sippReady, startSipp } from '../support/sipp.ts';

const SCENARIOS = fileURLToPath(new URL('./sipp/', import.meta.url));
const TIMERS = { t1: 100, t2: 800, t4: 1000 };
const US = '127.0.0.1';
const SIPP = '127.0.0.3';
const agents: UserAgent[] = [];

async function ua(protocol: 'UDP' | 'TCP'): Promise<UserAgent> {
  const u = await UserAgent.start({
    listen: [{ protocol, address: US, port: 0 }],
    timers: TIMERS,
    contactUser: 'harness',
  });
  agents.push(u);
  return u;
}

/**
 * SIPp running `scenario` as the callee on a free port of SIPP, ready to receive, and our user
 * agent on US; `uri` addresses SIPp over `transport`.
 */
async function sippCallee(transport: 'UDP' | 'TCP', scenario: string) {
  const port = await freePort(SIPP, transport);
  const sipp = startSipp({ scenario, transport, localIp: SIPP, localPort: port });
  await sippReady(transport, SIPP, port);
  const u = await ua(transport);
  return { sipp, u, port, uri: `sip:service@${SIPP}:${port}${transport === 'TCP' ? ';transport=tcp' : ''}` };
}

function sentMethods(traces: TraceEvent[]): string[] {
  return traces
    .filter((t) => t.direction === 'out' && t.message?.isRequest)
    .map((t) => (t.message as SipRequest).method);
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

describeWithPeers(['sipp'], 'SIPp interop', () => {
  for (const transport of ['UDP', 'TCP'] as const) {
    it(`${transport}: our INVITE to SIPp's uas: 180, 200, ACK, BYE`, async () => {
      const { sipp, u, uri } = await sippCallee(transport, 'uas');
      const traces: TraceEvent[] = [];
      u.transport.on('trace', (t) => traces.push(t));
      const out = await u.invite({ method: 'INVITE', uri, body: sdp(US), contentType: 'application/sdp' })
        .result;
      expect(out.status).toBe(200);
      expect(out.responses.map((r) => r.status)).toContain(180);
      const bye = await u.bye(out.dialog!);
      expect(bye.status).toBe(200);
      const r = await sipp.done;
      expect(r.code, describeSipp(r)).toBe(0);
      expect(sentMethods(traces)).toEqual(['INVITE', 'ACK', 'BYE']);
    });

    it(`${transport}: SIPp's uac calls us: we answer, SIPp ACKs and sends BYE`, async () => {
      const u = await ua(transport);
      const port = u.transport.bound[0]!.port;
      let byeSeen = false;
      // Listen from the dialog's creation: over TCP the ACK and the BYE can arrive in one segment
      // and be handled before the answer's promise settles.
      u.on('dialog', (d) =>
        d.once('terminated', (by) => {
          byeSeen = by === 'remote';
        }),
      );
      u.on('invite', (inv) => {
        inv.ring();
        void inv.answer(sdp(US)).catch(() => undefined);
      });
      const sipp = startSipp({
        scenario: 'uac',
        transport,
        localIp: SIPP,
        localPort: await freePort(SIPP, transport),
        remote: `${US}:${port}`,
      });
      const r = await sipp.done;
      expect(r.code, describeSipp(r)).toBe(0);
      expect(byeSeen).toBe(true);
    });

    it(`${transport}: we CANCEL a ringing call; SIPp answers 200 to CANCEL, 487 to INVITE and gets our ACK`, async () => {
      const { sipp, u, uri } = await sippCallee(transport, `${SCENARIOS}uas-cancelled.xml`);
      const call = u.invite({
        method: 'INVITE',
        uri,
      });
      call.on('response', (res) => {
        if (res.status === 180) call.cancel();
      });
      const out = await call.result;
      expect(out.status).toBe(487);
      expect(out.cancelled).toBe(true);
      const r = await sipp.done;
      expect(r.code, describeSipp(r)).toBe(0);
    });

    it(`${transport}: SIPp cancels a call ringing at us; we answer 200 and 487`, async () => {
      const u = await ua(transport);
      const port = u.transport.bound[0]!.port;
      let cancelled = false;
      u.on('invite', (inv) => {
        inv.ring();
        inv.on('cancelled', () => {
          cancelled = true;
        });
      });
      const sipp = startSipp({
        scenario: `${SCENARIOS}uac-cancel.xml`,
        transport,
        localIp: SIPP,
        localPort: await freePort(SIPP, transport),
        remote: `${US}:${port}`,
      });
      const r = await sipp.done;
      expect(r.code, describeSipp(r)).toBe(0);
      expect(cancelled).toBe(true);
    });

    it(`${transport}: a 486 from SIPp ends our call, and SIPp receives the ACK`, async () => {
      const { sipp, u, uri } = await sippCallee(transport, `${SCENARIOS}uas-busy.xml`);
      const out = await u.invite({
        method: 'INVITE',
        uri,
      }).result;
      expect(out.status).toBe(486);
      const r = await sipp.done;
      expect(r.code, describeSipp(r)).toBe(0);
    });
  }

  it('UDP: the first INVITE is lost (SIPp not yet started); a retransmission reaches it and the call completes', async () => {
    const port = await freePort(SIPP, 'UDP');
    const u = await ua('UDP');
    const traces: TraceEvent[] = [];
    u.transport.on('trace', (t) => traces.push(t));
    const call = u.invite({ method: 'INVITE', uri: `sip:service@${SIPP}:${port}`, body: sdp(US) });
    await new Promise((r) => setTimeout(r, 250));
    const sentBefore = sentMethods(traces).filter((m) => m === 'INVITE').length;
    const sipp = startSipp({ scenario: 'uas', transport: 'UDP', localIp: SIPP, localPort: port });
    const out = await call.result;
    expect(out.status).toBe(200);
    await u.bye(out.dialog!);
    const r = await sipp.done;
    expect(r.code, describeSipp(r)).toBe(0);
    expect(sentBefore).toBeGreaterThanOrEqual(2); // T1 = 100 ms: sent at 0 and 100 ms before SIPp listened
    expect(sentMethods(traces).filter((m) => m === 'INVITE').length).toBeGreaterThan(sentBefore);
  });

  for (const transport of ['UDP', 'TCP'] as const) {
    it(`${transport}: digest REGISTER against a SIPp registrar that challenges (good and wrong password)`, async () => {
      for (const [password, expected] of [
        ['s3cret', 200],
        ['wrong', 403],
      ] as const) {
        const { sipp, u, port } = await sippCallee(transport, `${SCENARIOS}uas-register-auth.xml`);
        const out = await u.register({
          registrar: `sip:${SIPP}:${port}${transport === 'TCP' ? ';transport=tcp' : ''}`,
          aor: 'sip:oxo-trunk@sipp.test',
          credentials: { username: 'oxo-trunk', password },
        });
        expect(out.responses.map((x) => x.status)).toEqual([401, expected]);
        expect(out.request.get('authorization')).toMatch(/username="oxo-trunk".*qop=auth, nc=00000001/);
        const r = await sipp.done;
        expect(r.code, describeSipp(r)).toBe(0);
      }
    });

    it(`${transport}: digest INVITE against a SIPp callee that answers 401 (RFC 2069 form, no qop)`, async () => {
      const { sipp, u, uri } = await sippCallee(transport, `${SCENARIOS}uas-invite-auth.xml`);
      const out = await u.invite({
        method: 'INVITE',
        uri,
        credentials: { username: 'oxo-trunk', password: 's3cret' },
      }).result;
      expect(out.responses.filter((x) => x.status >= 200).map((x) => x.status)).toEqual([401, 200]);
      expect(out.dialog?.state).toBe('confirmed');
      await u.bye(out.dialog!);
      const r = await sipp.done;
      expect(r.code, describeSipp(r)).toBe(0);
    });
  }
});

function sdp(ip: string): string {
  return [
    'v=0',
    `o=harness 1 1 IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    'm=audio 40000 RTP/AVP 8 0',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');
}
