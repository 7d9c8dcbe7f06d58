/**
 * Our user agent and reliable provisional responses (RFC 3262), against a peer made of a bare
 * UDP socket. As a UAC: the first reliable 183 is PRACKed once, its retransmission is not
 * PRACKed again, one whose RSeq leaves a gap is not PRACKed at all, and the next in order is
 * (§4). As a UAS: an INVITE that requires 100rel gets its 180 reliably (§3), and one that
 * requires an option-tag we do not support gets 420 naming it in Unsupported (RFC 3261 §8.2.2.3).
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMessage, type SipRequest, UserAgent } from '../../harness/sip/index.ts';

const UAC = '127.0.102.5';
const UAS = '127.0.102.6';
const TIMERS = { t1: 50, t2: 400, t4: 500 };

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

/** A reliable 183 to `inv` with RSeq `rseq`, as its UAS would send it. */
function reliable183(inv: SipRequest, rseq: number, port: number): string {
  return [
    'SIP/2.0 183 Session Progress',
    ...inv.getAll('via').map((v) => `Via: ${v}`),
    `From: ${inv.get('from')}`,
    `To: ${inv.get('to')};tag=uas1`,
    `Call-ID: ${inv.callId}`,
    `CSeq: ${inv.cseq?.seq} INVITE`,
    `Contact: <sip:uas@${UAS}:${port}>`,
    'Require: 100rel',
    `RSeq: ${rseq}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('reliable provisional responses (RFC 3262 §4)', () => {
  it('PRACKs the first and the next in order; not a retransmission again, not one after a gap', async () => {
    const ua = await UserAgent.start({
      listen: [{ protocol: 'UDP', address: UAC, port: 0 }],
      timers: TIMERS,
    });
    stops.push(() => ua.stop());
    const sock: Socket = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, UAS, () => r()));
    stops.push(() => new Promise<void>((r) => sock.close(() => r())));
    const port = sock.address().port;
    /** The RAck RSeq of each PRACK transaction, by its CSeq (a retransmission repeats both). */
    const pracks = new Map<number, number>();
    let invite: SipRequest | undefined;
    let from: { address: string; port: number } | undefined;
    sock.on('message', (data, rinfo) => {
      const m = parseMessage(data);
      if (!m.ok || !m.message.isRequest) return;
      const req = m.message;
      if (req.method === 'INVITE' && !invite) {
        invite = req;
        from = { address: rinfo.address, port: rinfo.port };
      }
      if (req.method === 'PRACK')
        pracks.set(req.cseq?.seq ?? -1, Number(req.get('rack')?.trim().split(/\s+/)[0]));
    });
    const out = ua.invite({ method: 'INVITE', uri: `sip:uas@${UAS}:${port}`, body: '' });
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
    };
    await until(() => invite !== undefined);
    const send = (text: string) => sock.send(text, from!.port, from!.address);
    const inv = invite as SipRequest;
    send(reliable183(inv, 7, port));
    await until(() => pracks.size >= 1);
    // The same 183 again (a retransmission), then RSeq 9 (8 missing), then 8 (in order).
    send(reliable183(inv, 7, port));
    send(reliable183(inv, 9, port));
    await new Promise((r) => setTimeout(r, 200));
    send(reliable183(inv, 8, port));
    await until(() => pracks.size >= 2);
    await new Promise((r) => setTimeout(r, 200));
    // Two PRACK transactions (their own retransmissions, unanswered here, counted once each).
    expect([...pracks.values()]).toEqual([7, 8]);
    out.cancel();
  });

  it('as a UAS: a 180 sent reliably when the INVITE requires 100rel; 420 with Unsupported for an option-tag it does not know', async () => {
    const ua = await UserAgent.start({
      listen: [{ protocol: 'UDP', address: UAC, port: 0 }],
      timers: TIMERS,
    });
    stops.push(() => ua.stop());
    ua.on('invite', (inv) => inv.ring());
    const sock: Socket = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, UAS, () => r()));
    stops.push(() => new Promise<void>((r) => sock.close(() => r())));
    const port = sock.address().port;
    const got: Array<{
      status: number;
      require: string;
      rseq?: string;
      unsupported?: string;
      callId: string;
    }> = [];
    sock.on('message', (data) => {
      const m = parseMessage(data);
      if (!m.ok || m.message.isRequest) return;
      const r = m.message;
      got.push({
        status: r.status,
        require: r.tokens('require').join(','),
        ...(r.get('rseq') ? { rseq: r.get('rseq') } : {}),
        ...(r.get('unsupported') ? { unsupported: r.get('unsupported') } : {}),
        callId: r.callId ?? '',
      });
    });
    const target = ua.transport.bound[0]!;
    const invite = (callId: string, require: string) =>
      [
        `INVITE sip:ua@${UAC}:${target.port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${UAS}:${port};branch=z9hG4bK-${callId}`,
        'Max-Forwards: 70',
        `From: <sip:peer@${UAS}>;tag=p-${callId}`,
        `To: <sip:ua@${UAC}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:peer@${UAS}:${port}>`,
        'Supported: 100rel',
        `Require: ${require}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    sock.send(invite('req-100rel', '100rel'), target.port, UAC);
    sock.send(invite('req-precondition', 'precondition'), target.port, UAC);
    for (let i = 0; i < 100 && got.filter((g) => g.status !== 100).length < 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    const ringing = got.find((g) => g.callId === 'req-100rel' && g.status === 180);
    expect(ringing).toMatchObject({ require: '100rel' });
    expect(ringing?.rseq).toMatch(/^\d+$/);
    expect(got.find((g) => g.callId === 'req-precondition' && g.status !== 100)).toMatchObject({
      status: 420,
      unsupported: 'precondition',
    });
  });
});
