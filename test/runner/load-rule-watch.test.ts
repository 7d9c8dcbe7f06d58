/**
 * The load's rule watch (harness/runner/load-rules.ts) on hand-made SIP traces: only a call's
 * first INVITE opens a watch (OPTIONS pings and registrations never do), a Call-ID let go over the
 * bound is never judged in part (its later messages ignored), a broken rule is named with the
 * offending message's start line, and an error while reading a trace never reaches the transport.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LoadRuleWatch } from '../../harness/runner/load-rules.ts';
import { parseMessage, type TraceEvent } from '../../harness/sip/index.ts';
import { systemClock } from '../../harness/support/clock.ts';

const FLOW = {
  protocol: 'UDP',
  local: { address: '127.0.0.1', port: 5060 },
  remote: { address: '127.0.0.1', port: 5070 },
};

function rig(opts: { maxOpen?: number } = {}) {
  const transport = new EventEmitter();
  const lab = { oxo: { ua: { transport } } } as unknown as ConstructorParameters<typeof LoadRuleWatch>[0];
  const watch = new LoadRuleWatch(lab, systemClock, opts);
  const emit = (direction: 'in' | 'out', text: string) => {
    const data = Buffer.from(text.replace(/\n/g, '\r\n'));
    const r = parseMessage(data);
    if (!r.ok) throw new Error(`does not parse: ${text}`);
    transport.emit('trace', {
      direction,
      wallTime: Date.now(),
      monoTime: 0,
      flow: FLOW,
      data,
      message: r.message,
    } as unknown as TraceEvent);
  };
  return { transport, watch, emit };
}

const invite = (id: string) => `INVITE sip:100@127.0.0.1:5070 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKinv-${id}
From: <sip:sbc@127.0.0.1>;tag=sbc-${id}
To: <sip:100@127.0.0.1>
Call-ID: ${id}
CSeq: 1 INVITE
Contact: <sip:sbc@127.0.0.1:5060>
Max-Forwards: 70
Content-Length: 0

`;
const ok = (id: string, toTag = ';tag=us1') => `SIP/2.0 200 OK
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKinv-${id}
From: <sip:sbc@127.0.0.1>;tag=sbc-${id}
To: <sip:100@127.0.0.1>${toTag}
Call-ID: ${id}
CSeq: 1 INVITE
Contact: <sip:100@127.0.0.1:5070>
Content-Length: 0

`;
const ack = (id: string) => `ACK sip:100@127.0.0.1:5070 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKack-${id}
From: <sip:sbc@127.0.0.1>;tag=sbc-${id}
To: <sip:100@127.0.0.1>;tag=us1
Call-ID: ${id}
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

`;
const options = (i: number) => `OPTIONS sip:127.0.0.1:5070 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKo${i}
From: <sip:sbc@127.0.0.1>;tag=o${i}
To: <sip:127.0.0.1>
Call-ID: ping-${i}
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

`;

describe('load rule watch', () => {
  it('OPTIONS pings open no watch; a call judged on its INVITE, 2xx and ACK breaks no rule', () => {
    const { watch, emit } = rig({ maxOpen: 2 });
    emit('in', invite('a'));
    emit('out', ok('a'));
    for (let i = 0; i < 10; i++) emit('in', options(i));
    expect(watch.watching).toBe(1);
    emit('in', ack('a'));
    expect(watch.judge(['a'], [])).toEqual([]);
    expect(watch.stats).toMatchObject({ calls: 1, callIdsDropped: 0, callsBreakingRules: 0 });
    expect(watch.stats.sipJudged).toBe(2);
  });

  it('a call whose Call-ID was let go over the bound is not judged on the rest of it (no false ACK finding)', () => {
    const { watch, emit } = rig({ maxOpen: 2 });
    emit('in', invite('a'));
    emit('out', ok('a'));
    // Two more calls start: "a" is the oldest and is let go.
    emit('in', invite('b'));
    emit('in', invite('c'));
    expect(watch.stats.callIdsDropped).toBe(1);
    // Its ACK, which matches an INVITE the watch no longer holds, is ignored, not judged alone.
    emit('in', ack('a'));
    expect(watch.watching).toBe(2);
    expect(watch.judge(['a'], [])).toEqual([]);
    expect(watch.stats.calls).toBe(0);
  });

  it('a rule broken is named with the plan’s sentence, the rule and the offending start line', () => {
    const { watch, emit } = rig();
    emit('out', invite('d'));
    // The SBC's 200 without a To tag (RFC 3261 §8.2.6.2).
    emit('in', ok('d', ''));
    const f = watch.judge(['d'], []);
    expect(f[0]).toMatch(
      /^SIP rules: The SBC sent a response without a To tag on the OXO leg \(SBC LAN side\): .*rule to-tag\] \(offending: SIP\/2\.0 200 OK\)$/,
    );
    expect(watch.stats.callsBreakingRules).toBe(1);
  });

  it('a trace it cannot read is counted, never thrown into the transport', () => {
    const { watch, transport } = rig();
    const bad = {
      direction: 'in',
      get message(): never {
        throw new Error('boom');
      },
    };
    expect(() => transport.emit('trace', bad)).not.toThrow();
    expect(watch.stats.skipped).toBe(1);
    watch.stop();
    expect(transport.listenerCount('trace')).toBe(0);
  });
});
