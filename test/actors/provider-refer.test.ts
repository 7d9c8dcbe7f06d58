/**
 * REFER at the provider simulator (RFC 3515, RFC 3891), driven by a UserAgent standing in for
 * an SBC that passes REFER on: 202 and NOTIFY 100 then 200 while the transferee calls the
 * target; an attended transfer with Replaces takes the place of the named dialog at the target
 * phone (which ends the replaced call), a Replaces naming no dialog ends in NOTIFY 481; a REFER
 * without Refer-To is 400; a provider configured without transfer answers 405 with Allow.
 * Real media legs on the provider side.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Provider } from '../../harness/actors/provider.ts';
import {
  createResponse,
  type Dialog,
  formatReplaces,
  type IncomingInvite,
  referToValue,
  sendRefer,
  sipfragStatus,
  UserAgent,
} from '../../harness/sip/index.ts';

const TIMERS = { t1: 50, t2: 400, t4: 500 };
const PROVIDER = '127.0.11.1';
const SBC = '127.0.11.2';

const started: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  // The provider first: it ends its calls with BYE while the stand-in SBC still answers.
  for (const s of started.splice(0)) await s.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  for (let i = 0; i < ms / 20 && !cond(); i++) await sleep(20);
  return cond();
}

const OFFER = [
  'v=0',
  `o=- 1 1 IN IP4 ${SBC}`,
  's=-',
  `c=IN IP4 ${SBC}`,
  't=0 0',
  'm=audio 41000 RTP/AVP 8 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
  '',
].join('\r\n');

async function rig(refer = true) {
  const p = await Provider.start({
    address: PROVIDER,
    lines: [{ username: 'line1', password: 's3cret', dids: ['+4930555000'] }],
    timers: TIMERS,
    refer,
  });
  started.push(p);
  p.addPhone({ id: 'pstn1', number: '+4930111111', displayName: 'Alice' });
  p.addPhone({ id: 'extnum', number: '+4930999999', displayName: 'Carol' });
  const u = await UserAgent.start({
    listen: [{ protocol: 'UDP', address: SBC, port: 0 }],
    timers: TIMERS,
    contactUser: 'line1',
  });
  started.push(u);
  /** The stand-in SBC calls a provider number and gets the dialog; it answers NOTIFYs and records their sipfrag. */
  const call = async (user: string) => {
    const out = await u.invite({
      method: 'INVITE',
      uri: `sip:${user}@${PROVIDER}:${p.port()}`,
      body: OFFER,
      contentType: 'application/sdp',
    }).result;
    expect(out.status).toBe(200);
    const d = out.dialog as Dialog;
    const notified: number[] = [];
    d.on('request', (req, tx) => {
      if (req.method === 'NOTIFY') notified.push(sipfragStatus(req.bodyText) ?? 0);
      tx.respond(createResponse(req, 200));
    });
    return { d, notified };
  };
  return { p, u, call };
}

describe('provider: REFER', () => {
  it('unattended: 202, NOTIFY 100 then 200, and the transferee calls the target', async () => {
    const { p, u, call } = await rig();
    const a = await call('+4930111111');
    const carol = p.phone('extnum').nextIncoming();
    const out = await sendRefer(u, a.d, '<sip:+4930999999@provider.test>', '<sip:200@oxo.test>');
    expect(out.status).toBe(202);
    const c = await carol;
    expect(await c.established()).toBe(true);
    expect(c.invite?.get('referred-by')).toBe('<sip:200@oxo.test>');
    expect(c.remoteParty?.user).toBe('+4930111111');
    expect(await until(() => a.notified.includes(200))).toBe(true);
    expect(a.notified).toEqual([100, 200]);
    const rec = p.refers[0]!;
    expect(rec).toMatchObject({ phone: 'pstn1', status: 202, targetKind: 'phone', notified: [100, 200] });
    expect(rec.call?.state).toBe('established');
  });

  it('attended: Replaces takes the place of the consultation dialog at the target, which ends it', async () => {
    const { p, u, call } = await rig();
    const a = await call('+4930111111');
    const consult = await call('+4930999999');
    const replaces = formatReplaces({
      callId: consult.d.id.callId,
      toTag: consult.d.id.remoteTag,
      fromTag: consult.d.id.localTag,
      earlyOnly: false,
    });
    const out = await sendRefer(
      u,
      a.d,
      referToValue('sip:+4930999999@provider.test', {
        callId: consult.d.id.callId,
        toTag: consult.d.id.remoteTag,
        fromTag: consult.d.id.localTag,
        earlyOnly: false,
      }),
    );
    expect(out.status).toBe(202);
    expect(await until(() => a.notified.includes(200))).toBe(true);
    // The target ended the replaced (consultation) call with BYE.
    expect(await until(() => consult.d.state === 'terminated')).toBe(true);
    const carol = p.phone('extnum');
    const replacing = carol.calls.find((c) => c.invite?.get('replaces') !== undefined);
    expect(replacing?.invite?.get('replaces')).toBe(replaces);
    expect(replacing?.state).toBe('established');
    expect(p.refers[0]?.replaces).toBe(replaces);
  });

  it('attended: a Replaces that names no dialog at the target ends in NOTIFY 481', async () => {
    const { u, call } = await rig();
    const a = await call('+4930111111');
    const out = await sendRefer(
      u,
      a.d,
      referToValue('sip:+4930999999@provider.test', {
        callId: 'nobody@example.test',
        toTag: 'x1',
        fromTag: 'y2',
        earlyOnly: false,
      }),
    );
    expect(out.status).toBe(202);
    expect(await until(() => a.notified.length >= 2)).toBe(true);
    expect(a.notified).toEqual([100, 481]);
  });

  it('a Refer-To naming a DID of the line: the transferee calls the SBC line again', async () => {
    const { p, u, call } = await rig();
    const reg = await u.register({
      registrar: `sip:${PROVIDER}:${p.port()}`,
      aor: `sip:line1@${p.domain}`,
      credentials: { username: 'line1', password: 's3cret' },
    });
    expect(reg.status).toBe(200);
    const a = await call('+4930111111');
    const back = new Promise<IncomingInvite>((r) => u.once('invite', r));
    // The DID in national form; the line's DID is written +4930555000.
    expect((await sendRefer(u, a.d, '<sip:030555000@provider.test>')).status).toBe(202);
    const inv = await back;
    expect(inv.request.uri).toMatch(/^sip:030555000@/);
    expect(inv.request.get('from')).toContain('+4930111111');
    await inv.answer(OFFER);
    expect(await until(() => a.notified.includes(200))).toBe(true);
    expect(p.refers[0]).toMatchObject({ targetKind: 'line', notified: [100, 200] });
  });

  it('an unknown target ends in NOTIFY 404; a REFER without Refer-To is 400', async () => {
    const { u, call } = await rig();
    const a = await call('+4930111111');
    expect((await sendRefer(u, a.d, '<sip:+4930000000@provider.test>')).status).toBe(202);
    expect(await until(() => a.notified.length >= 2)).toBe(true);
    expect(a.notified).toEqual([100, 404]);
    const bare = await u.requestInDialog(a.d, 'REFER', {});
    expect(bare.status).toBe(400);
  });

  it('a provider without transfer (provider.refer: false) answers 405 with Allow, and calls nobody', async () => {
    const { p, u, call } = await rig(false);
    const a = await call('+4930111111');
    const out = await sendRefer(u, a.d, '<sip:+4930999999@provider.test>');
    expect(out.status).toBe(405);
    expect(out.response?.get('allow')).toMatch(/INVITE/);
    expect(out.response?.get('allow')).not.toMatch(/REFER/);
    await sleep(200);
    expect(p.phone('extnum').calls).toEqual([]);
    expect(a.notified).toEqual([]);
  });

  it('keeps the newest 1000 REFERs, so that a long load still finds the REFER of a call it is transferring', async () => {
    const { p, u, call } = await rig(false);
    const a = await call('+4930111111');
    // Bounded: 1005 REFERs in one dialog, one after the other, 500 at a time: the provider keeps
    // each answered transaction for 64*T1 (3.2 s here), and answers 503 past 1000 of one source.
    for (let i = 0; i < 1005; i++) {
      if (i > 0 && i % 500 === 0) await sleep(64 * TIMERS.t1 + 300);
      const out = await sendRefer(u, a.d, `<sip:+49301${String(i).padStart(5, '0')}@provider.test>`);
      expect(out.status).toBe(405);
    }
    expect(p.refers).toHaveLength(1000);
    // The oldest five went; the newest is the last one sent.
    expect(p.refers[0]?.referTo).toContain('+4930100005');
    expect(p.refers[999]?.referTo).toContain('+4930101004');
  }, 60_000);
});
