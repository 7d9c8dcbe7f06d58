/**
 * What a transport keeps of the SIP messages it could not send (TransportLayer.sendFailuresSince):
 * the error's code, where the message went, its start line and Call-ID, numbered so that a
 * reader can take those after a mark; bounded, the count going on. The failures are real ones
 * of this host's kernel and of Node: a broadcast address without SO_BROADCAST (EACCES, nothing
 * leaves) and a closed socket (ERR_SOCKET_DGRAM_NOT_RUNNING).
 */
import type { Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { SipRequest } from '../../harness/sip/message.ts';
import { MAX_KEPT_SEND_FAILURES, TransportLayer } from '../../harness/sip/transport.ts';

const open: TransportLayer[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.stop();
});

function options(callId: string, seq = 1): SipRequest {
  const m = new SipRequest('OPTIONS', 'sip:peer@255.255.255.255');
  m.append('Via', `SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKfail${seq}`);
  m.append('From', '<sip:a@h>;tag=f1');
  m.append('To', '<sip:peer@h>');
  m.append('Call-ID', callId);
  m.append('CSeq', `${seq} OPTIONS`);
  return m;
}

async function transport(): Promise<TransportLayer> {
  const t = new TransportLayer({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  await t.start();
  open.push(t);
  return t;
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const BROADCAST = { protocol: 'UDP' as const, address: '255.255.255.255', port: 5060 };

describe('TransportLayer send failures', () => {
  it('keeps a refused datagram with its code, destination, start line and Call-ID', async () => {
    const t = await transport();
    const failed: Error[] = [];
    t.post(options('call-a'), BROADCAST, { onSendFailure: (e) => failed.push(e) });
    await t.send(options('call-b', 2), BROADCAST).catch((e: Error) => failed.push(e));
    await settle();
    expect(failed).toHaveLength(2);
    expect(t.stats.sendErrors).toBe(2);
    expect(t.sendFailuresSince(0)).toEqual([
      expect.objectContaining({
        seq: 1,
        code: 'EACCES',
        protocol: 'UDP',
        address: '255.255.255.255',
        port: 5060,
        what: 'OPTIONS sip:peer@255.255.255.255 SIP/2.0',
        callId: 'call-a',
      }),
      expect.objectContaining({ seq: 2, code: 'EACCES', callId: 'call-b' }),
    ]);
    // After a mark, only what came after it.
    expect(t.sendFailuresSince(1).map((f) => f.callId)).toEqual(['call-b']);
  });

  it('bytes sent again without their message are read for the start line and Call-ID', async () => {
    const t = await transport();
    t.postData(options('call-bytes').toBuffer(), BROADCAST);
    await settle();
    expect(t.sendFailuresSince(0)).toEqual([
      expect.objectContaining({
        code: 'EACCES',
        what: 'OPTIONS sip:peer@255.255.255.255 SIP/2.0',
        callId: 'call-bytes',
      }),
    ]);
  });

  it('a closed socket: the code is Node’s, and nothing is thrown at the sender', async () => {
    const t = await transport();
    for (const u of (t as unknown as { udp: Array<{ socket: Socket }> }).udp) u.socket.close();
    t.post(options('call-closed'), { protocol: 'UDP', address: '127.0.0.1', port: 9 });
    await settle();
    expect(t.sendFailuresSince(0).map((f) => [f.code, f.callId])).toEqual([
      ['ERR_SOCKET_DGRAM_NOT_RUNNING', 'call-closed'],
    ]);
  });

  it('a call’s failures stay at hand by its Call-ID after the list moved on', async () => {
    const t = await transport();
    t.post(options('the-call', 1), BROADCAST);
    for (let i = 2; i <= MAX_KEPT_SEND_FAILURES + 10; i++) t.post(options(`other-${i}`, i), BROADCAST);
    for (let i = 0; i < 100 && t.stats.sendErrors < MAX_KEPT_SEND_FAILURES + 10; i++) await settle();
    expect(t.sendFailuresSince(0).some((f) => f.callId === 'the-call')).toBe(false);
    expect(t.sendFailuresOfCall('the-call')).toEqual([expect.objectContaining({ seq: 1, code: 'EACCES' })]);
    expect(t.sendFailuresOfCall('no-such-call')).toEqual([]);
  });

  it('an error with no system code is the harness’s own (no listener to send from)', async () => {
    const t = new TransportLayer({ listen: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }] });
    await t.start();
    open.push(t);
    t.post(options('no-udp'), { protocol: 'UDP', address: '127.0.0.1', port: 9 });
    await settle();
    expect(t.sendFailuresSince(0)).toEqual([
      expect.objectContaining({ code: 'no UDP listener is configured', harness: true, callId: 'no-udp' }),
    ]);
    // A refused datagram has a system code: not the harness's by itself.
    const u = await transport();
    u.post(options('refused'), BROADCAST);
    await settle();
    expect(u.sendFailuresSince(0)[0]?.harness).toBeUndefined();
  });

  it('keeps the latest failures only, numbered on', async () => {
    const t = await transport();
    const n = MAX_KEPT_SEND_FAILURES + 10;
    for (let i = 1; i <= n; i++) t.post(options(`call-${i}`, i), BROADCAST);
    for (let i = 0; i < 100 && t.stats.sendErrors < n; i++) await settle();
    expect(t.stats.sendErrors).toBe(n);
    const kept = t.sendFailuresSince(0);
    expect(kept).toHaveLength(MAX_KEPT_SEND_FAILURES);
    expect(kept[0]?.seq).toBe(11);
    expect(kept.at(-1)?.callId).toBe(`call-${n}`);
  });
});
