/**
 * The over-the-wire fuzz (bench/wire-fuzz.ts): its message generator and mutator, its /proc
 * figures and its judgement. The CI-size run itself is test/bench/wire-fuzz-ci.test.ts.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fdKinds, judgeRecovery, sampleProc } from '../../bench/wire-fuzz-measure.ts';
import {
  applyMutation,
  type FuzzTarget,
  loopbackOnly,
  MUTATIONS,
  mutateMessage,
  Rng,
  seedMessage,
  TCP_LIMITS,
  UDP_LIMITS,
} from '../../bench/wire-fuzz-mutator.ts';
import { parseMessage } from '../../harness/sip/parser.ts';

const TARGET: FuzzTarget = {
  host: '127.0.0.1',
  port: 5060,
  users: ['+4930123456100', '100'],
  registrar: { user: 'oxo-trunk', realm: '127.0.0.1' },
};
const SRC = { transport: 'UDP' as const, address: '127.0.96.1', port: 40000 };

describe('wire-fuzz messages', () => {
  it('the seeds are well-formed SIP that our parser takes, and the same seed gives the same messages', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const methods = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const m = seedMessage(a, TARGET, i % 2 ? SRC : { ...SRC, transport: 'TCP' });
      expect(m.equals(seedMessage(b, TARGET, i % 2 ? SRC : { ...SRC, transport: 'TCP' }))).toBe(true);
      const r = parseMessage(m);
      if (!r.ok) throw new Error(`seed ${i} does not parse (${r.code}: ${r.reason}):\n${m.toString()}`);
      methods.add(r.message.isRequest ? (r.message.startLine().split(' ')[0] as string) : 'response');
      expect(loopbackOnly(m)).toBe(true);
    }
    for (const x of ['INVITE', 'REGISTER', 'BYE', 'ACK', 'CANCEL', 'OPTIONS', 'REFER', 'NOTIFY', 'response'])
      expect(methods).toContain(x);
    expect(seedMessage(new Rng(8), TARGET, SRC).equals(seedMessage(new Rng(7), TARGET, SRC))).toBe(false);
  });

  it('every mutation changes messages, the mutated ones are mostly refused, and sizes stay bounded', () => {
    const r = new Rng(11);
    for (const m of MUTATIONS) {
      let changed = 0;
      for (let i = 0; i < 100; i++) {
        const seed = seedMessage(r, TARGET, SRC);
        const out = applyMutation(r, seed, m, UDP_LIMITS);
        if (!out.equals(seed)) changed++;
        expect(out.length).toBeLessThan(seed.length * 61 + UDP_LIMITS.hugeHeaderBytes + 20_000);
      }
      expect(changed, m).toBeGreaterThan(50);
    }
    let refused = 0;
    let clean = 0;
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const { bytes, applied } = mutateMessage(r, seedMessage(r, TARGET, SRC), TCP_LIMITS, 0.05);
      if (applied.length === 0) clean++;
      if (!parseMessage(bytes).ok) refused++;
    }
    expect(clean).toBeGreaterThan(n * 0.02);
    expect(clean).toBeLessThan(n * 0.1);
    expect(refused).toBeGreaterThan(n * 0.3);
  });

  it('loopbackOnly refuses every host outside 127/8 in URIs, Via, maddr/received and SDP', () => {
    const base = seedMessage(new Rng(3), TARGET, SRC).toString('latin1');
    expect(loopbackOnly(Buffer.from(base, 'latin1'))).toBe(true);
    for (const [from, to] of [
      ['Contact: <sip:', 'Contact: <sip:x@10.0.0.1;a=<sip:'],
      ['SIP/2.0/UDP 127.0.96.1', 'SIP/2.0/UDP 192.0.2.1'],
      ['Via: SIP/2.0/UDP 127.0.96.1:40000', 'Via: SIP/2.0/UDP 127.0.96.1:40000;received=198.51.100.7'],
      ['Contact: <sip:', 'Contact: <SIP:u@host.example>, <sip:'],
      ['Contact: <sip:', 'Contact: <sip:u@127.0.0.1;maddr=203.0.113.9>, <sip:'],
    ] as const) {
      expect(base).toContain(from);
      expect(loopbackOnly(Buffer.from(base.replace(from, to), 'latin1')), to).toBe(false);
    }
    expect(loopbackOnly(Buffer.from('v=0\r\nc=IN IP4 8.8.8.8\r\n'))).toBe(false);
    expect(loopbackOnly(Buffer.from('INVITE sip:a@[::1] SIP/2.0\r\nc=IN IP4 127.0.0.5\r\n'))).toBe(true);
  });
});

describe('wire-fuzz figures and judgement', () => {
  it('reads RSS, fds and CPU of a live process, and "gone" for one that exited', async () => {
    const me = sampleProc(process.pid);
    expect(me.alive).toBe(true);
    expect(me.rssKb).toBeGreaterThan(1000);
    expect(me.fds).toBeGreaterThan(2);
    const kinds = fdKinds(process.pid);
    expect(Object.values(kinds).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid as number;
    await new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 50));
    expect(sampleProc(pid).alive).toBe(false);
  });

  it('judges growth beyond the tolerance, not a drop, and a dead process as failed', () => {
    const before = { alive: true, rssKb: 100_000, fds: 30, cpuMs: 0 };
    expect(judgeRecovery(before, { ...before, rssKb: 109_000, fds: 33 }, 0.1).ok).toBe(true);
    expect(judgeRecovery(before, { ...before, rssKb: 60_000, fds: 20 }, 0.1).ok).toBe(true);
    const fat = judgeRecovery(before, { ...before, rssKb: 111_000 }, 0.1);
    expect(fat.ok).toBe(false);
    expect(fat.failures.join()).toContain('RSS');
    const leaky = judgeRecovery(before, { ...before, fds: 34 }, 0.1);
    expect(leaky.ok).toBe(false);
    expect(leaky.failures.join()).toContain('34 open fds');
    expect(judgeRecovery({ ...before, fds: 5 }, { ...before, fds: 6 }, 0.1).ok).toBe(true);
    expect(judgeRecovery(before, { alive: false, rssKb: 0, fds: 0, cpuMs: 0 }, 0.1).failures).toEqual([
      'the process is gone',
    ]);
  });
});
