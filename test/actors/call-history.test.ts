/**
 * What the simulators keep of ended calls, and how long a call may ring (call-history.ts), over
 * the wire on loopback with real media legs: after many ended calls a phone keeps only its most
 * recent ones (never a live one), the media ports of dropped calls are closed, a call registry
 * and the reference SBC's records stay bounded, and a call nobody answers is given up with 480
 * after the phone's ring bound.
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import type { Call } from '../../harness/actors/call.ts';
import { boundHistory } from '../../harness/actors/call-history.ts';
import { CallRegistry } from '../../harness/actors/call-registry.ts';
import { Provider } from '../../harness/actors/provider.ts';
import { STANDALONE_SBC_RETENTION } from '../../harness/actors/reference-sbc.ts';
import { UserAgent } from '../../harness/sip/index.ts';
import { systemClock } from '../../harness/support/clock.ts';
import { toneLevel, until, useSbcRigs } from '../support/sbc-rig.ts';

const TIMERS = { t1: 50, t2: 400, t4: 500 };
const PROVIDER = '127.0.10.1';
const SBC = '127.0.10.2';

const { rig, lanToWan } = useSbcRigs();

const started: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

function offer(port: number): string {
  return [
    'v=0',
    `o=- 1 1 IN IP4 ${SBC}`,
    's=-',
    `c=IN IP4 ${SBC}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 8`,
    'a=rtpmap:8 PCMA/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** The RTP port a leg answered with (the m= line of its SDP). */
function mediaPort(call: Call): number {
  const m = /^m=audio (\d+)/m.exec(call.media.createOffer());
  return Number(m?.[1]);
}

/** Whether a UDP port on the provider's address can be bound (its leg released it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, PROVIDER, () => s.close(() => resolve(true)));
  });
}

async function setup(): Promise<{ p: Provider; u: UserAgent }> {
  const p = await Provider.start({
    address: PROVIDER,
    lines: [{ username: 'line1', password: 's3cret', dids: ['+4930555000'] }],
    timers: TIMERS,
  });
  started.push(p);
  const u = await UserAgent.start({
    listen: [{ protocol: 'UDP', address: SBC, port: 0 }],
    timers: TIMERS,
    contactUser: 'line1',
  });
  started.push(u);
  return { p, u };
}

describe('bounded history of ended calls', () => {
  it('keeps the field order and drops only ended entries, oldest first', () => {
    const list = [1, 2, 3, 4, 5, 6, 7];
    // Odd numbers are "live": never dropped.
    expect(boundHistory(list, 3, (n) => n % 2 === 0)).toBe(3);
    expect(list).toEqual([1, 3, 5, 7]);
    expect(boundHistory(list, 10, () => true)).toBe(0);
  });

  it('a phone keeps its most recent calls (never a live one) and the dropped calls’ media ports are closed', async () => {
    const { p, u } = await setup();
    const phone = p.addPhone({ id: 'pstn1', number: '+4930111111', history: 4 });
    const invite = () =>
      u.invite({
        method: 'INVITE',
        uri: `sip:+4930111111@${PROVIDER}:${p.port()}`,
        body: offer(40_000),
        contentType: 'application/sdp',
      });
    // One call stays up for the whole test.
    const live = await (await invite()).result;
    expect(live.status).toBe(200);
    const first = await phone.nextIncoming();
    expect(await first.established()).toBe(true);
    const ports: number[] = [];
    const calls: Call[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await (await invite()).result;
      expect(r.status).toBe(200);
      const c = await phone.nextIncoming();
      expect(await c.established()).toBe(true);
      const port = mediaPort(c);
      expect(port).toBeGreaterThan(0);
      ports.push(port);
      calls.push(c);
      await u.bye(r.dialog!);
      await c.ended();
    }
    expect(phone.calls).toHaveLength(4);
    expect(phone.calls[0]).toBe(first);
    expect(phone.calls.slice(1)).toEqual(calls.slice(-3));
    // The registry (default history, 200) still has all of them; one with a small bound does not.
    expect(p.callLog.since(0)).toHaveLength(11);
    const small = new CallRegistry('provider', systemClock, 3);
    for (const c of [first, ...calls]) small.track(c, 'pstn1');
    expect(small.since(0).map((t) => t.call)).toEqual([first, ...calls.slice(-2)]);
    // Every dropped call's port is free again (its leg was closed when the call ended).
    for (const port of ports.slice(0, 7)) {
      let free = false;
      for (let i = 0; i < 50 && !free; i++) {
        free = await portFree(port);
        if (!free) await new Promise((r) => setTimeout(r, 20));
      }
      expect(free, `port ${port}`).toBe(true);
    }
    await u.bye(live.dialog!);
  });
});

describe('calls that end after newer ones came', () => {
  it('are dropped when they end, not at the next call', async () => {
    const { p, u } = await setup();
    const phone = p.addPhone({ id: 'ring', number: '111', behaviour: { kind: 'ring' }, history: 2 });
    p.callLog.history = 2;
    const txs = [];
    for (let i = 0; i < 4; i++) {
      const tx = await u.invite({
        method: 'INVITE',
        uri: `sip:111@${PROVIDER}:${p.port()}`,
        body: offer(40_004),
        contentType: 'application/sdp',
      });
      await new Promise<void>((r) => tx.on('response', (res) => res.status === 180 && r()));
      txs.push(tx);
    }
    // All four ring: none can be dropped.
    expect(phone.calls).toHaveLength(4);
    for (const tx of txs) tx.cancel();
    for (const tx of txs) expect((await tx.result).status).toBe(487);
    expect(await until(() => phone.calls.every((c) => c.state === 'failed'))).toBe(true);
    expect(phone.calls).toHaveLength(2);
    expect(p.callLog.since(0)).toHaveLength(2);
  });
});

describe('the reference SBC keeps a bounded part of ended calls', () => {
  it('keeps the most recent ended calls’ records and datagrams within its retention', async () => {
    const r = await rig();
    expect(r.sbc.retention.closedEvidence).toBeGreaterThan(STANDALONE_SBC_RETENTION.closedEvidence);
    r.sbc.retention = { closedEvidence: 40, endedRecords: 2 };
    for (let i = 0; i < 4; i++) {
      const { oxo, provider } = await lanToWan(r);
      oxo.media.play(toneSource(1000, 8000));
      provider.media.play(toneSource(1500, 8000));
      expect(await until(() => toneLevel(provider.media, 1000) > 0.05)).toBe(true);
      const ended = new Promise<void>((res) => provider.dialog.once('terminated', () => res()));
      await r.oxo.ua.bye(oxo.outcome.dialog!);
      await ended;
      expect(await until(() => r.sbc.calls().every((c) => c.state === 'ended'))).toBe(true);
    }
    const calls = r.sbc.calls();
    expect(calls.map((c) => c.id)).toEqual([3, 4]);
    // Four calls of RTP both ways through two ports each: far more than 40 datagrams were seen.
    expect(r.sbc.evidence().length).toBeLessThanOrEqual(40);
    expect(r.sbc.evidenceDropped).toBeGreaterThan(40);
    const last = r.sbc.evidence().at(-1)?.atMs ?? 0;
    expect(last).toBeGreaterThanOrEqual(calls[1]?.startedMs ?? Number.POSITIVE_INFINITY);
  });
});

describe('ringing is bounded', () => {
  it('a phone that nobody answers gives up with 480 after its ring bound', async () => {
    const { p, u } = await setup();
    p.addPhone({ id: 'ring', number: '111', behaviour: { kind: 'ring' }, ringTimeoutMs: 300 });
    const tx = await u.invite({
      method: 'INVITE',
      uri: `sip:111@${PROVIDER}:${p.port()}`,
      body: offer(40_002),
      contentType: 'application/sdp',
    });
    const r = await tx.result;
    expect(r.responses.map((x) => x.status)).toContain(180);
    expect(r.status).toBe(480);
    const call = await p.phone('ring').nextIncoming();
    await call.ended();
    expect(call.state).toBe('failed');
    expect(call.status).toBe(480);
    const t = p.callLog.since(0)[0];
    expect(t?.up).toBe(false);
  });

  it('defaults to 3 minutes (no limit with 0)', async () => {
    const { p } = await setup();
    expect(p.addPhone({ id: 'a', number: '1' }).ringTimeoutMs).toBe(180_000);
    expect(p.addPhone({ id: 'b', number: '2', ringTimeoutMs: 0 }).ringTimeoutMs).toBe(0);
  });
});
