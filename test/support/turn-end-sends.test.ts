/**
 * Sends held to the end of the event-loop turn (the SIP transport's UDP datagrams) leave before
 * any later send of the process: an RTP packet sent after a 183 or a 200 in the same turn does
 * not overtake it.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RtpSession } from '../../harness/media/rtp/index.ts';
import { SipRequest } from '../../harness/sip/message.ts';
import { TransportLayer } from '../../harness/sip/transport.ts';
import {
  heldSenders,
  holdUntilTurnEnd,
  released,
  sendHeldNow,
} from '../../harness/support/turn-end-sends.ts';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

describe('turn-end sends', () => {
  it('sendHeldNow runs each held flush once, in the order held; a released one is not run', () => {
    const ran: string[] = [];
    const a = () => ran.push('a');
    const b = () => ran.push('b');
    const c = () => ran.push('c');
    holdUntilTurnEnd(a);
    holdUntilTurnEnd(b);
    holdUntilTurnEnd(c);
    released(b);
    expect(heldSenders()).toBe(2);
    sendHeldNow();
    sendHeldNow();
    expect(ran).toEqual(['a', 'c']);
    expect(heldSenders()).toBe(0);
  });

  it('a SIP datagram sent before an RTP packet in the same turn arrives first', async () => {
    const transport = new TransportLayer({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    await transport.start();
    open.push({ close: () => transport.stop() });
    const rtp = await RtpSession.open({ localAddress: '127.0.0.1', rtcpIntervalMs: 0 });
    open.push(rtp);
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', () => resolve()));
    open.push(peer);
    const kinds: string[] = [];
    peer.on('message', (m) => kinds.push(m.subarray(0, 7).toString('latin1') === 'OPTIONS' ? 'sip' : 'rtp'));
    rtp.setRemote('127.0.0.1', peer.address().port);

    // The OPTIONS stands for the 183 or 200 an actor sends just before its first packet.
    const req = new SipRequest('OPTIONS', 'sip:x@127.0.0.1');
    req.append('Via', 'SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKturn1');
    req.append('From', '<sip:a@h>;tag=t1');
    req.append('To', '<sip:x@h>');
    req.append('Call-ID', 'turn-end');
    req.append('CSeq', '1 OPTIONS');
    const target = { protocol: 'UDP' as const, address: '127.0.0.1', port: peer.address().port };
    for (let round = 0; round < 5; round++) {
      transport.post(req, target);
      expect(rtp.sendPayload({ payloadType: 0, payload: new Uint8Array(160).fill(0xff) })).toBe(true);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(kinds).toEqual(['sip', 'rtp', 'sip', 'rtp', 'sip', 'rtp', 'sip', 'rtp', 'sip', 'rtp']);
    expect(heldSenders()).toBe(0);
  });
});
