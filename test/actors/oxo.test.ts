/**
 * The OXO Connect trunk simulator against the provider simulator standing in for the SBC
 * (a UserAgent with a DigestServer registrar that routes INVITEs by number): registration
 * with digest and refresh before expiry, DID routing to extensions and to the attendant for
 * DND/unplugged, 486 when busy, 404 for the remote worker when the profile lacks it, the
 * display after number normalisation, outgoing presentation and prefix stripping, internal
 * calls that put no SIP on the trunk, the SIP INFO policy, and REFER-mode transfers (Replaces
 * for attended, plain Refer-To for unattended).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Call } from '../../harness/actors/call.ts';
import { type OxoProfile, OxoTrunk } from '../../harness/actors/oxo-trunk.ts';
import { Provider } from '../../harness/actors/provider.ts';
import {
  createResponse,
  notifyReferProgress,
  parseReplaces,
  replacesFromReferTo,
  type SipRequest,
} from '../../harness/sip/index.ts';

const TIMERS = { t1: 50, t2: 400, t4: 500 };
const SBC = '127.0.20.2';
const OXO = '127.0.20.1';
const CREDS = { username: 'oxo', password: 'trunk-pw' };

const started: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

/** The provider simulator at the SBC's LAN address: registrar for the trunk and PSTN phones. */
async function setup(profile: Partial<OxoProfile> = {}, maxExpires = 3600, minExpires = 1) {
  const sbc = await Provider.start({
    address: SBC,
    lines: [{ username: CREDS.username, password: CREDS.password }],
    timers: TIMERS,
    minExpires,
    maxExpires,
    // This provider stands in for the SBC: it does not carry out REFER itself (405).
    refer: false,
  });
  started.push(sbc);
  const oxo = await OxoTrunk.start({
    address: OXO,
    sbc: { protocol: 'UDP', address: SBC, port: sbc.port() },
    credentials: CREDS,
    profile,
    timers: TIMERS,
  });
  started.push(oxo);
  expect(await oxo.register()).toBe(200);
  const alice = sbc.addPhone({ id: 'alice', number: '+4930111111', displayName: 'Alice' });
  return { sbc, oxo, alice };
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('OXO trunk registration', () => {
  it('registers with digest as OXO does and refreshes before expiry', async () => {
    const { sbc, oxo } = await setup({ refreshFraction: 0.5 }, 2);
    expect(oxo.registered).toBe(true);
    expect(oxo.registrations[0]).toMatchObject({ status: 200, challenged: true, expires: 2 });
    const b = sbc.registered('oxo')[0];
    expect(b?.contact).toMatch(/^sip:oxo@127\.0\.20\.1:\d+$/);
    // AoR in the SBC's domain, registrar = SBC LAN address.
    const first = sbc.registrations.find((r) => r.status === 200);
    expect(first?.contacts[0]).toContain(OXO);
    await until(() => oxo.registrations.length >= 2, 4000);
    expect(oxo.registrations.length).toBeGreaterThanOrEqual(2);
    const second = oxo.registrations[1]!;
    expect(second.status).toBe(200);
    // The refresh came before the 2 s binding expired.
    expect(second.atMs - oxo.registrations[0]!.atMs).toBeLessThan(2000);
  });

  it('asks again with the Min-Expires of a 423 Interval Too Brief, and keeps it for its refreshes', async () => {
    // A registrar whose minimum (1800 s) is above the trunk's 600 s, both under an hour (RFC 3261
    // §10.3 step 7 allows a 423 then only).
    const { sbc, oxo } = await setup({ registerExpires: 600 }, 3600, 1800);
    expect(oxo.registered).toBe(true);
    expect(oxo.registrations[0]).toMatchObject({
      status: 200,
      challenged: true,
      expires: 1800,
      intervalTooBrief: 1800,
    });
    expect(sbc.registrations.map((r) => r.status)).toContain(423);
    expect(sbc.registered('oxo')).toHaveLength(1);
    // The refresh asks 1800 s at once: no 423 again.
    const refused = sbc.registrations.filter((r) => r.status === 423).length;
    expect(await oxo.register()).toBe(200);
    expect(sbc.registrations.filter((r) => r.status === 423)).toHaveLength(refused);
    expect(oxo.registrations[1]?.intervalTooBrief).toBeUndefined();
    // Without a minimum above its interval, the trunk never sees a 423; nor with one above an
    // hour, which may not refuse the trunk's 3600 s.
    const plain = await setup({}, 7200, 5000);
    expect(plain.oxo.registrations[0]?.intervalTooBrief).toBeUndefined();
    expect(plain.sbc.registrations.some((r) => r.status === 423)).toBe(false);
  });

  it('keeps retrying, unregistered, when the password is wrong', async () => {
    const sbc = await Provider.start({
      address: SBC,
      lines: [{ username: 'oxo', password: 'other' }],
      timers: TIMERS,
    });
    started.push(sbc);
    const oxo = await OxoTrunk.start({
      address: OXO,
      sbc: { protocol: 'UDP', address: SBC, port: sbc.port() },
      credentials: CREDS,
      timers: TIMERS,
    });
    started.push(oxo);
    expect(await oxo.register()).toBe(403);
    expect(oxo.registered).toBe(false);
    expect(sbc.registered('oxo')).toHaveLength(0);
  });
});

describe('OXO incoming call handling', () => {
  it('routes DIDs to extensions and shows the normalised caller on the display', async () => {
    const { oxo, alice } = await setup();
    const call = await alice.call('+49301234561');
    expect(await call.established()).toBe(true);
    const desk = await oxo.extension('deskphone1').nextIncoming();
    expect(await desk.established()).toBe(true);
    expect(oxo.routes[0]).toMatchObject({
      dialled: 'deskphone1',
      deliveredTo: 'deskphone1',
      reason: 'direct',
    });
    expect(oxo.lastDisplay('deskphone1')).toMatchObject({
      name: 'Alice',
      number: '030111111',
      source: 'p-asserted-identity',
    });
    // OXO's codec order, G.722 first, reaches the caller when both sides have it.
    expect(desk.media.negotiated?.codec).toBeDefined();
    await call.hangup();
    await desk.ended();
  });

  it('sends DND and unplugged extensions to the attendant; busy gets 486; unknown DID 404', async () => {
    const { oxo, alice } = await setup();
    oxo.extension('deskphone1').state = 'dnd';
    oxo.extension('deskphone2').state = 'unplugged';
    oxo.extension('fxs1').state = 'busy';
    const c1 = await alice.call('0301234561');
    expect(await c1.established()).toBe(true);
    await c1.hangup();
    const c2 = await alice.call('0301234562');
    expect(await c2.established()).toBe(true);
    await c2.hangup();
    const c3 = await alice.call('0301234564');
    expect(await c3.established()).toBe(false);
    expect(c3.status).toBe(486);
    const c4 = await alice.call('0301239999');
    expect(await c4.established()).toBe(false);
    expect(c4.status).toBe(404);
    // The remote-worker phone exists only when the profile enables it.
    const c5 = await alice.call('0301234563');
    expect(await c5.established()).toBe(false);
    expect(c5.status).toBe(404);
    expect(oxo.routes.map((r) => [r.reason, r.deliveredTo ?? r.status])).toEqual([
      ['dnd-to-attendant', 'attendant'],
      ['unplugged-to-attendant', 'attendant'],
      ['busy', 486],
      ['unknown-did', 404],
      ['unknown-did', 404],
    ]);
    expect(oxo.extension('attendant').calls).toHaveLength(2);
    expect(oxo.extension('deskphone1').calls).toHaveLength(0);
  });

  it('delivers to the remote worker when the profile enables it, and a second call when multi-line', async () => {
    const { oxo, alice } = await setup({ remoteWorker: true, multiLine: true });
    const a = await alice.call('0301234563');
    const b = await alice.call('0301234563');
    expect(await a.established()).toBe(true);
    expect(await b.established()).toBe(true);
    expect(oxo.extension('remote').activeCalls).toHaveLength(2);
    const c = await alice.call('0301234563');
    expect(await c.established()).toBe(false);
    expect(c.status).toBe(486);
    await a.hangup();
    await b.hangup();
  });

  it('answers incoming DTMF INFO per the profile (415 by default) and never sends INFO', async () => {
    const { oxo, alice } = await setup();
    const call = await alice.call('0301234561');
    expect(await call.established()).toBe(true);
    expect(await call.sendDtmf('5', 'info')).toBe(415);
    const desk = await oxo.extension('deskphone1').nextIncoming();
    expect(desk.infoReceived.map((i) => [i.digit, i.status])).toEqual([['5', 415]]);
    expect(await oxo.extension('deskphone1').sendDtmf(desk, '7', 'info')).toBe(0);
    expect(oxo.infoEvents.map((e) => [e.direction, e.digit, e.status])).toEqual([
      ['received', '5', 415],
      ['send-refused', '7', undefined],
    ]);
    await new Promise((r) => setTimeout(r, 100));
    expect(call.infoReceived).toHaveLength(0);
    await call.hangup();
  });

  it('answers INFO with 200 when the profile says so', async () => {
    const { oxo, alice } = await setup({ infoDtmf: { status: 200, accept: false } });
    const call = await alice.call('0301234561');
    expect(await call.established()).toBe(true);
    expect(await call.sendDtmf('9', 'info')).toBe(200);
    expect(oxo.infoEvents[0]).toMatchObject({ direction: 'received', digit: '9', status: 200 });
    await call.hangup();
  });
});

describe('OXO outgoing and internal calls', () => {
  it('strips the outside-line prefix and presents the extension DID or the main number', async () => {
    const { sbc, oxo } = await setup();
    const bob = sbc.addPhone({ id: 'bob', number: '0302222222' });
    const first = (await oxo.extension('deskphone2').call('00302222222')) as Call;
    expect(await first.established()).toBe(true);
    const atBob = await bob.nextIncoming();
    expect(atBob.requestUser).toBe('0302222222');
    expect(atBob.remoteParty).toMatchObject({ user: '0301234562', displayName: 'Premium Deskphone 2' });
    expect(atBob.assertedIdentity?.user).toBe('0301234562');
    await first.hangup();
    oxo.profile.presentation = 'main';
    const second = (await oxo.extension('deskphone2').call('00302222222')) as Call;
    expect(await second.established()).toBe(true);
    const atBob2 = await bob.nextIncoming();
    expect(atBob2.remoteParty?.user).toBe(oxo.profile.mainNumber);
    await second.hangup();
    expect(oxo.sipCallsSent).toBe(2);
  });

  it('internal calls between extensions put no SIP on the trunk', async () => {
    const { sbc, oxo } = await setup();
    const sent = () => oxo.ua.transport.stats.sent;
    const before = sent();
    const r = await oxo.extension('deskphone1').call('102');
    expect(r).toMatchObject({ kind: 'internal', from: 'deskphone1', to: 'deskphone2', connected: true });
    await new Promise((res) => setTimeout(res, 100));
    expect(sent()).toBe(before);
    expect(oxo.sipCallsSent).toBe(0);
    expect(oxo.internalCalls).toHaveLength(1);
    expect(sbc.routes).toHaveLength(0);
  });
});

describe('OXO transfers by REFER', () => {
  function answerRefer(call: Call, seen: SipRequest[]): void {
    call.on('refer', (req, tx) => {
      seen.push(req);
      tx.respond(createResponse(req, 202));
      const d = call.dialog!;
      void notifyReferProgress(call.ua, d, 100, 'Trying').then(() =>
        notifyReferProgress(call.ua, d, 200, 'OK'),
      );
    });
  }

  it('attended: REFER on the transferee dialog with Replaces naming the consultation dialog', async () => {
    const { sbc, oxo, alice } = await setup({ transferMode: 'refer' });
    const carol = sbc.addPhone({ id: 'carol', number: '0303333333', displayName: 'Carol' });
    const a = await alice.call('0301234561');
    expect(await a.established()).toBe(true);
    const refers: SipRequest[] = [];
    answerRefer(a, refers);
    const desk = oxo.extension('deskphone1');
    const fromA = await desk.nextIncoming();
    expect(await fromA.established()).toBe(true);
    expect(await desk.hold(fromA)).toBe(200);
    const consult = (await desk.call('00303333333')) as Call;
    expect(await consult.established()).toBe(true);
    const atCarol = await carol.nextIncoming();
    const rec = await oxo.transfer('attended', fromA, { consultation: consult });
    expect(rec).toMatchObject({ mode: 'refer', kind: 'attended', referStatus: 202, ok: true });
    expect(rec.notifyStatuses).toEqual([100, 200]);
    expect(refers).toHaveLength(1);
    const referTo = refers[0]!.get('refer-to') ?? '';
    expect(referTo).toMatch(/^<sip:0303333333@/);
    const rep = parseReplaces(replacesFromReferTo(referTo) ?? '');
    expect(rep.ok).toBe(true);
    if (rep.ok) {
      // As Carol will see it: her dialog's Call-ID, her tag as to-tag, the OXO's as from-tag.
      expect(rep.value.callId).toBe(atCarol.dialog!.id.callId);
      expect(rep.value.toTag).toBe(atCarol.dialog!.id.localTag);
      expect(rep.value.fromTag).toBe(atCarol.dialog!.id.remoteTag);
    }
    expect(refers[0]!.get('referred-by')).toBeDefined();
    await a.ended();
    expect(a.state).toBe('ended');
    await consult.hangup();
  });

  it('unattended: REFER with a plain Refer-To; a refused REFER is recorded, not thrown', async () => {
    const { oxo, alice } = await setup({ transferMode: 'refer' });
    const a = await alice.call('0301234561');
    expect(await a.established()).toBe(true);
    const fromA = await oxo.extension('deskphone1').nextIncoming();
    expect(await fromA.established()).toBe(true);
    // No listener on the stand-in's side, which does no transfer: the REFER is answered 405.
    const refused = await oxo.transfer('unattended', fromA, { target: '0304444444' });
    expect(refused).toMatchObject({ ok: false, referStatus: 405 });
    expect(refused.referTo).toBe('<sip:0304444444@127.0.20.2>');
    const refers: SipRequest[] = [];
    answerRefer(a, refers);
    const ok = await oxo.transfer('unattended', fromA, { target: '0304444444' });
    expect(ok).toMatchObject({ ok: true, referStatus: 202 });
    expect(replacesFromReferTo(refers[0]!.get('refer-to') ?? '')).toBeUndefined();
    expect(oxo.transfers).toHaveLength(2);
  });
});
