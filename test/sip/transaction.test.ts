/**
 * The RFC 3261 §17 / RFC 6026 state machines on virtual time: which messages each
 * transaction sends, when, and in which state it ends.
 */
import { describe, expect, it } from 'vitest';
import type { SipRequest, SipResponse } from '../../harness/sip/message.ts';
import { createResponse } from '../../harness/sip/message-factory.ts';
import { parseMessage } from '../../harness/sip/parser.ts';
import { DEFAULT_TIMERS } from '../../harness/sip/timers.ts';
import {
  ClientTransaction,
  type SendTarget,
  ServerTransaction,
  type TransactionEnv,
} from '../../harness/sip/transaction.ts';
import type { Flow } from '../../harness/sip/transport.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const T = DEFAULT_TIMERS; // T1 500, T2 4000, T4 5000
const UDP: SendTarget = { protocol: 'UDP', address: '127.0.0.2', port: 5060 };
const TCP: SendTarget = { protocol: 'TCP', address: '127.0.0.2', port: 5060 };
const FLOW: Flow = {
  protocol: 'UDP',
  local: { address: '127.0.0.1', port: 5060 },
  remote: { address: '127.0.0.2', port: 5060 },
};

function env(clock: VirtualClock) {
  const sent: Array<{ at: number; what: string }> = [];
  const e: TransactionEnv = {
    clock,
    timers: T,
    send: async (msg) => {
      sent.push({
        at: clock.now(),
        what: msg.isRequest ? (msg as SipRequest).method : String((msg as SipResponse).status),
      });
      return FLOW;
    },
  };
  return { e, sent };
}

function request(method: string): SipRequest {
  const r = parseMessage(
    `${method} sip:bob@127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKtest1\r\nMax-Forwards: 70\r\nFrom: <sip:a@h>;tag=a1\r\nTo: <sip:bob@h>\r\nCall-ID: tx-test\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`,
  );
  if (!r.ok) throw new Error(r.reason);
  return r.message as SipRequest;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('INVITE client transaction', () => {
  it('retransmits on Timer A (T1 doubling) and times out on Timer B = 64*T1', async () => {
    const clock = new VirtualClock();
    const { e, sent } = env(clock);
    const tx = new ClientTransaction(e, request('INVITE'), UDP);
    let timedOut = false;
    tx.on('timeout', () => {
      timedOut = true;
    });
    tx.start();
    clock.advance(64 * T.t1 + 1);
    await settle();
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(timedOut).toBe(true);
    expect(tx.state).toBe('terminated');
  });

  it('does not retransmit over TCP', () => {
    const clock = new VirtualClock();
    const { e, sent } = env(clock);
    new ClientTransaction(e, request('INVITE'), TCP).start();
    clock.advance(10_000);
    expect(sent.length).toBe(1);
  });

  it('stops retransmitting on 1xx, ACKs a non-2xx itself and absorbs its retransmission in Completed (Timer D)', async () => {
    const clock = new VirtualClock();
    const { e, sent } = env(clock);
    const inv = request('INVITE');
    const tx = new ClientTransaction(e, inv, UDP);
    const seen: number[] = [];
    tx.on('response', (r) => seen.push(r.status));
    tx.start();
    clock.advance(600);
    tx.receive(createResponse(inv, 180, { toTag: 'b' }), FLOW);
    clock.advance(5000);
    expect(sent.filter((s) => s.what === 'INVITE').length).toBe(2);
    const busy = createResponse(inv, 486, { toTag: 'b' });
    tx.receive(busy, FLOW);
    // Only waiting now: the request, the provisional and the TU's listeners are let go.
    expect(tx.request).toBeUndefined();
    expect(tx.provisional).toBeUndefined();
    for (const ev of ['response', 'timeout', 'transport-error'] as const)
      expect(tx.emitter.listenerCount(ev)).toBe(0);
    tx.receive(busy, FLOW); // retransmitted final: ACK again, not passed up
    expect(tx.state).toBe('completed');
    expect(sent.filter((s) => s.what === 'ACK').length).toBe(2);
    expect(seen).toEqual([180, 486]);
    clock.advance(32_000);
    expect(tx.state).toBe('terminated');
  });

  it('runs Timer M even when the TU listener of the 2xx throws', () => {
    const clock = new VirtualClock();
    const { e } = env(clock);
    const inv = request('INVITE');
    const tx = new ClientTransaction(e, inv, UDP);
    tx.on('response', () => {
      throw new Error('TU bug');
    });
    tx.start();
    expect(() => tx.receive(createResponse(inv, 200, { toTag: 'b' }), FLOW)).toThrow('TU bug');
    expect(tx.state).toBe('accepted');
    clock.advance(64 * T.t1);
    expect(tx.state).toBe('terminated');
  });

  it('enters Accepted on 2xx, passes further 2xx up (RFC 6026) and ends on Timer M', () => {
    const clock = new VirtualClock();
    const { e } = env(clock);
    const inv = request('INVITE');
    const tx = new ClientTransaction(e, inv, UDP);
    const seen: number[] = [];
    tx.on('response', (r) => seen.push(r.status));
    tx.start();
    const ok = createResponse(inv, 200, { toTag: 'b' });
    tx.receive(ok, FLOW);
    expect(tx.request).toBeUndefined();
    expect(tx.emitter.listenerCount('timeout')).toBe(0);
    expect(tx.emitter.listenerCount('response')).toBe(1); // further 2xx still go to the TU
    tx.receive(ok, FLOW);
    expect(tx.state).toBe('accepted');
    expect(seen).toEqual([200, 200]);
    clock.advance(64 * T.t1);
    expect(tx.state).toBe('terminated');
  });
});

describe('non-INVITE client transaction', () => {
  it('retransmits on Timer E doubling up to T2, then every T2 after a provisional; Timer F ends it', () => {
    const clock = new VirtualClock();
    const { e, sent } = env(clock);
    const tx = new ClientTransaction(e, request('OPTIONS'), UDP);
    tx.start();
    clock.advance(12_000);
    // 0, 500, 1500, 3500, 7500 (interval capped at T2 = 4000), 11500
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    clock.advance(64 * T.t1);
    expect(tx.state).toBe('terminated');
  });

  it('waits Timer K = T4 in Completed over UDP, and ends at once over TCP', () => {
    const clock = new VirtualClock();
    const { e } = env(clock);
    const req = request('BYE');
    const udp = new ClientTransaction(e, req, UDP);
    udp.start();
    udp.receive(createResponse(req, 200), FLOW);
    expect(udp.state).toBe('completed');
    clock.advance(T.t4);
    expect(udp.state).toBe('terminated');
    const tcp = new ClientTransaction(e, req, TCP);
    tcp.start();
    tcp.receive(createResponse(req, 200), FLOW);
    expect(tcp.state).toBe('terminated');
  });

  it('hands Timer K and Timer M to env.retireClient, after the TU has its response; then runs no timer of its own', () => {
    const clock = new VirtualClock();
    const { e, sent } = env(clock);
    const retired: Array<{ ms: number; state: string; responseListeners: number }> = [];
    const taking: TransactionEnv = {
      ...e,
      retireClient: (tx, ms) => {
        retired.push({ ms, state: tx.state, responseListeners: tx.emitter.listenerCount('response') });
        return true;
      },
    };
    const bye = request('BYE');
    const nict = new ClientTransaction(taking, bye, UDP);
    const ends: string[] = [];
    nict.on('terminated', (r) => ends.push(`bye ${r}`));
    nict.start();
    nict.receive(createResponse(bye, 200), FLOW);
    const inv = request('INVITE');
    const ict = new ClientTransaction(taking, inv, UDP);
    const seen: number[] = [];
    ict.on('response', (r) => seen.push(r.status));
    ict.on('terminated', (r) => ends.push(`invite ${r}`));
    ict.start();
    ict.receive(createResponse(inv, 200, { toTag: 'b' }), FLOW);
    expect(seen).toEqual([200]);
    expect(retired).toEqual([
      { ms: T.t4, state: 'completed', responseListeners: 0 },
      // The TU's listener stays on the emitter the taker keeps (further 2xx go to it, RFC 6026).
      { ms: 64 * T.t1, state: 'accepted', responseListeners: 1 },
    ]);
    const before = sent.length;
    clock.advance(64 * T.t1 * 2);
    expect(sent.length).toBe(before); // no retransmission timer left either
    expect(ends).toEqual([]);
  });
});

describe('server transactions', () => {
  it('INVITE: retransmits a non-2xx final on Timer G until the ACK, then Confirmed and Timer I', () => {
    const clock = new VirtualClock();
    const { e, sent } = env(clock);
    const inv = request('INVITE');
    const tx = new ServerTransaction(e, inv, FLOW, UDP);
    tx.respond(createResponse(inv, 486, { toTag: 'b' }));
    clock.advance(2000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500]);
    tx.receiveAck(request('ACK'), FLOW);
    expect(tx.state).toBe('confirmed');
    clock.advance(10_000);
    expect(sent.length).toBe(3);
    expect(tx.state).toBe('terminated');
  });

  it('INVITE: Timer H ends it without an ACK, reporting no-ack', () => {
    const clock = new VirtualClock();
    const { e } = env(clock);
    const inv = request('INVITE');
    const tx = new ServerTransaction(e, inv, FLOW, UDP);
    let reason = '';
    tx.on('terminated', (r) => {
      reason = r;
    });
    tx.respond(createResponse(inv, 404, { toTag: 'b' }));
    clock.advance(64 * T.t1);
    expect(reason).toBe('no-ack');
  });

  it('INVITE: answers a request retransmission with the last provisional; 2xx moves to Accepted (Timer L)', () => {
    const clock = new VirtualClock();
    const { e, sent } = env(clock);
    const inv = request('INVITE');
    const tx = new ServerTransaction(e, inv, FLOW, UDP);
    tx.respond(createResponse(inv, 180, { toTag: 'b' }));
    tx.receiveRetransmission();
    expect(sent.map((s) => s.what)).toEqual(['180', '180']);
    tx.respond(createResponse(inv, 200, { toTag: 'b' }));
    expect(tx.state).toBe('accepted');
    tx.receiveRetransmission(); // absorbed in Accepted
    expect(sent.length).toBe(3);
    expect(tx.respond(createResponse(inv, 486, { toTag: 'b' }))).toBe(false);
    clock.advance(64 * T.t1);
    expect(tx.state).toBe('terminated');
  });

  it('INVITE: after the final response it lets go of the request and of the TU cancel handlers (RFC 3261 §9.2), still answered', () => {
    const clock = new VirtualClock();
    const { e, sent } = env(clock);
    const inv = request('INVITE');
    const tx = new ServerTransaction(e, inv, FLOW, UDP);
    let cancels = 0;
    tx.on('cancel', () => cancels++);
    tx.respond(createResponse(inv, 180, { toTag: 'b' }));
    expect(tx.request).toBe(inv);
    tx.receiveCancel(request('CANCEL'));
    expect(cancels).toBe(1);
    tx.respond(createResponse(inv, 200, { toTag: 'b' }));
    expect(tx.request).toBeUndefined();
    expect(tx.emitter.listenerCount('cancel')).toBe(0);
    tx.receiveCancel(request('CANCEL')); // too late: no effect on the TU
    expect(cancels).toBe(1);
    expect(tx.cancelled).toBe(true);
    // The 2xx is the TU's to retransmit in Accepted: not kept, yet the INVITE stays answered.
    expect(tx.lastResponse).toBeUndefined();
    expect(tx.answered).toBe(true);
    expect(tx.respond(createResponse(inv, 200, { toTag: 'b' }))).toBe(true);
    expect(tx.answered).toBe(true);
    expect(tx.lastResponse).toBeUndefined();
    tx.receiveRetransmission(); // absorbed
    expect(sent.map((s) => s.what)).toEqual(['180', '200', '200']);
  });

  it('INVITE: a non-2xx final is still retransmitted on Timer G and on a retransmitted INVITE after the request is let go', () => {
    const clock = new VirtualClock();
    const { e, sent } = env(clock);
    const inv = request('INVITE');
    const tx = new ServerTransaction(e, inv, FLOW, UDP);
    tx.respond(createResponse(inv, 486, { toTag: 'b' }));
    expect(tx.request).toBeUndefined();
    expect(tx.lastResponse?.status).toBe(486);
    tx.receiveRetransmission();
    clock.advance(600);
    expect(sent.map((s) => s.what)).toEqual(['486', '486', '486']);
  });

  it('a response the transport could not send ends the transaction (transport-error), after its step', async () => {
    const clock = new VirtualClock();
    const { e } = env(clock);
    const failing: TransactionEnv = {
      ...e,
      post: (_msg, _target, sink) => queueMicrotask(() => sink?.onSendFailure(new Error('EHOSTUNREACH'))),
    };
    const inv = request('INVITE');
    const tx = new ServerTransaction(failing, inv, FLOW, UDP);
    let reason = '';
    tx.on('terminated', (r) => {
      reason = r;
    });
    expect(tx.respond(createResponse(inv, 200, { toTag: 'b' }))).toBe(true);
    expect(tx.state).toBe('accepted');
    await settle();
    expect(tx.state).toBe('terminated');
    expect(reason).toBe('transport-error');
  });

  it('non-INVITE: answers retransmissions with the final response until Timer J', () => {
    const clock = new VirtualClock();
    const { e, sent } = env(clock);
    const req = request('OPTIONS');
    const tx = new ServerTransaction(e, req, FLOW, UDP);
    tx.receiveRetransmission(); // nothing sent yet: nothing to repeat
    tx.respond(createResponse(req, 200));
    expect(tx.request).toBeUndefined(); // only the response is needed from here
    tx.receiveRetransmission();
    expect(sent.map((s) => s.what)).toEqual(['200', '200']);
    clock.advance(64 * T.t1);
    expect(tx.state).toBe('terminated');
  });

  it('hands its long wait (Timer J over UDP, Timer L) to env.retire with the final as sent, then holds nothing', () => {
    const clock = new VirtualClock();
    const { e } = env(clock);
    const posted: Buffer[] = [];
    const retired: Array<{ ms: number; final: string | undefined }> = [];
    const failed: ServerTransaction[] = [];
    const taking: TransactionEnv = {
      ...e,
      postData: (data) => posted.push(data),
      retire: (_tx, ms, final) => {
        retired.push({ ms, final });
        return true;
      },
      retiredSendFailed: (tx) => failed.push(tx),
    };
    const req = request('OPTIONS');
    const tx = new ServerTransaction(taking, req, FLOW, UDP);
    let ended = false;
    tx.on('terminated', () => {
      ended = true;
    });
    tx.respond(createResponse(req, 200));
    expect(posted).toHaveLength(1);
    expect(retired).toEqual([{ ms: 64 * T.t1, final: posted[0]!.toString('latin1') }]);
    expect(tx.lastResponse).toBeUndefined();
    tx.receiveRetransmission(); // the taker answers these now
    expect(posted).toHaveLength(1);
    clock.advance(64 * T.t1 * 2);
    expect(ended).toBe(false); // no timer of its own left
    // Its final response could not be sent after all (the failure comes after the step): the
    // taker hears of it, to end the wait (RFC 3261 §17.2.4).
    tx.onSendFailure();
    expect(failed).toEqual([tx]);
    const inv = request('INVITE');
    const itx = new ServerTransaction(taking, inv, FLOW, UDP);
    itx.respond(createResponse(inv, 200, { toTag: 'b' }));
    expect(itx.state).toBe('accepted');
    expect(retired[1]).toEqual({ ms: 64 * T.t1, final: undefined });
  });

  it('runs Timer J itself, resending the response it sent as bytes, when env.retire does not take the wait', () => {
    const clock = new VirtualClock();
    const { e, sent } = env(clock);
    const posted: Buffer[] = [];
    const refusing: TransactionEnv = {
      ...e,
      postData: (data) => posted.push(data),
      retire: () => false,
    };
    const req = request('OPTIONS');
    const tx = new ServerTransaction(refusing, req, FLOW, UDP);
    tx.respond(createResponse(req, 200));
    expect(posted).toHaveLength(1);
    tx.receiveRetransmission();
    expect(sent.map((s) => s.what)).toEqual(['200']);
    clock.advance(64 * T.t1);
    expect(tx.state).toBe('terminated');
  });
});
