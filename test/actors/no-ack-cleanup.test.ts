/**
 * Finding 1 of issue 15: a call whose 2xx is never ACKed is cleaned up, whatever side the
 * silent caller is on. RFC 3261 §13.3.1.4: the UAS retransmits its 2xx until the ACK and, after
 * 64*T1 without one, ends the dialog with BYE. A B2BUA that does so on one leg must also end the
 * other: before the fix the reference SBC's own BYE after 64*T1 never reached its relay, so the
 * OXO extension stayed in the call (the next call got 486) and the provider leg stayed up.
 *
 * The silent caller sends its INVITE from a real actor's own listener (the provider's or the
 * OXO trunk's address and port, statelessly, so nothing ACKs the 2xx) over loopback. T1 is
 * 50 ms, so 64*T1 is 3.2 s; the waits below are bounds on the outcome, not timed assertions.
 */
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../harness/actors/lab.ts';
import { ReferenceSbc } from '../../harness/actors/reference-sbc.ts';
import { StandInAgent } from '../../harness/actors/sbc-stand-ins.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';
import {
  type IncomingInvite,
  type SendTarget,
  SipRequest,
  type SipResponse,
  type TraceEvent,
  UserAgent,
} from '../../harness/sip/index.ts';

const TIMERS = { t1: 50, t2: 400, t4: 500 };
const labs: Lab[] = [];
const agents: UserAgent[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

const openFds = (): number => readdirSync('/proc/self/fd').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

/** The default profile on this file's own loopback addresses. */
function profile(): Profile {
  const p = loadProfile();
  p.provider.address = '127.0.87.1';
  p.sbc.wan.address = '127.0.87.2';
  p.sbc.lan.address = '127.0.86.2';
  p.oxo.address = '127.0.86.1';
  p.oxo.trunk.domain = '127.0.86.2';
  return p;
}

const OFFER = (address: string) =>
  [
    'v=0',
    `o=- 1 1 IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    'm=audio 40000 RTP/AVP 8 101',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');

/**
 * Sends an INVITE from `ua`'s own listener without a transaction: its responses reach `ua` as
 * stray responses, which it does not ACK. Returns the request and what `ua` received for it.
 */
function inviteWithoutAck(
  ua: UserAgent,
  target: SendTarget,
  spec: { uri: string; from: string; to: string; headers?: Array<[string, string]> },
): { request: SipRequest; received: () => Array<SipRequest | SipResponse> } {
  const request = ua.buildRequest(
    {
      method: 'INVITE',
      uri: spec.uri,
      from: spec.from,
      to: spec.to,
      body: OFFER(target.address === '127.0.87.2' ? '127.0.87.1' : '127.0.86.1'),
      ...(spec.headers ? { headers: spec.headers } : {}),
    },
    target,
  );
  const callId = request.callId;
  const seen: Array<SipRequest | SipResponse> = [];
  ua.transport.on('trace', (t: TraceEvent) => {
    if (t.direction === 'in' && t.message && t.message.callId === callId) seen.push(t.message);
  });
  void ua.transport.send(request, target);
  return { request, received: () => seen };
}

const byes = (msgs: Array<SipRequest | SipResponse>) =>
  msgs.filter((m) => m.isRequest && (m as SipRequest).method === 'BYE');
const oks = (msgs: Array<SipRequest | SipResponse>) =>
  msgs.filter((m) => !m.isRequest && (m as SipResponse).status === 200);

describe('a 2xx never ACKed is cleaned up (RFC 3261 §13.3.1.4)', () => {
  it('provider side: the SBC ends both legs, the extension is free again, the next call is answered', async () => {
    const lab = await Lab.start({ profile: profile(), ephemeralPorts: true, timers: TIMERS });
    labs.push(lab);
    const provider = lab.provider!;
    const sbc = lab.sbc!;
    const desk = lab.oxo!.extension('deskphone1');
    const did = lab.profile.oxo.extensions.deskphone1.did;
    const wan = sbc.wanListener('UDP');

    // A call before, so that lazily opened things (sockets, the TLS context) are open already.
    const warm = desk.nextIncoming();
    const first = await provider.phone('pstn1').call(did);
    expect(await first.established()).toBe(true);
    await (await warm).established();
    await first.hangup();
    expect(
      await until(
        () => desk.activeCalls.length === 0 && sbc.calls().every((c) => c.state === 'ended'),
        10_000,
      ),
    ).toBe(true);
    await sleep(200);
    const fdsBefore = openFds();

    const rogueLeg = desk.nextIncoming();
    const rogue = inviteWithoutAck(
      provider.ua,
      { protocol: 'UDP', address: wan.address, port: wan.port },
      {
        uri: `sip:${did}@${wan.address}:${wan.port}`,
        from: `<sip:+4940555001@${lab.profile.provider.domain}>`,
        to: `<sip:${did}@${lab.profile.provider.domain}>`,
      },
    );
    expect(await until(() => oks(rogue.received()).length > 0, 10_000), 'the SBC answers 200').toBe(true);
    expect(desk.activeCalls.length, 'the deskphone took the call').toBe(1);

    // No ACK: the SBC sends its BYE toward the silent caller and ends the OXO leg too.
    expect(await until(() => byes(rogue.received()).length > 0, 15_000), 'BYE toward the caller').toBe(true);
    expect(await until(() => desk.activeCalls.length === 0, 10_000), 'the deskphone is free again').toBe(
      true,
    );
    expect(
      await until(() => sbc.calls().every((c) => c.state === 'ended' || c.state === 'failed'), 10_000),
      'no call left up in the SBC',
    ).toBe(true);
    expect((await rogueLeg).state, 'the OXO leg got a BYE').toBe('ended');
    // Its sockets (about six per call: two RTP/RTCP pairs in the SBC, a media leg in the OXO) are closed.
    expect(await until(() => openFds() <= fdsBefore, 10_000), `fds ${openFds()} vs ${fdsBefore} before`).toBe(
      true,
    );

    // The next call to the same DID is answered (it was 486 before the fix).
    const incoming = desk.nextIncoming();
    const next = await provider.phone('pstn1').call(did);
    expect(await next.established(), `next call ended with ${next.status}`).toBe(true);
    expect(await (await incoming).established()).toBe(true);
    await next.hangup();
  }, 60_000);

  it('OXO side: the SBC ends both legs, the provider phone is free again, the next call is answered', async () => {
    const lab = await Lab.start({ profile: profile(), ephemeralPorts: true, timers: TIMERS });
    labs.push(lab);
    const provider = lab.provider!;
    const sbc = lab.sbc!;
    const oxo = lab.oxo!;
    const pstn2 = provider.phone('pstn2');
    const lan = sbc.lanListener('UDP');
    const domain = lab.profile.oxo.trunk.domain;

    const ringing = pstn2.nextIncoming();
    const rogue = inviteWithoutAck(
      oxo.ua,
      { protocol: 'UDP', address: lan.address, port: lan.port },
      {
        uri: `sip:${pstn2.number}@${domain}`,
        from: `<sip:${lab.profile.oxo.extensions.deskphone1.did}@${domain}>`,
        to: `<sip:${pstn2.number}@${domain}>`,
      },
    );
    const farCall = await ringing;
    expect(await until(() => oks(rogue.received()).length > 0, 10_000), 'the SBC answers 200').toBe(true);
    expect(await farCall.established(), 'the PSTN phone answered').toBe(true);

    expect(await until(() => byes(rogue.received()).length > 0, 15_000), 'BYE toward the caller').toBe(true);
    expect(await until(() => farCall.state === 'ended', 10_000), 'the provider leg got a BYE').toBe(true);
    expect(
      await until(() => sbc.calls().every((c) => c.state === 'ended' || c.state === 'failed'), 10_000),
      'no call left up in the SBC',
    ).toBe(true);

    const desk = oxo.extension('deskphone1');
    const ringing2 = pstn2.nextIncoming();
    const out = await desk.call(`${lab.profile.oxo.outgoingPrefix}${pstn2.number}`);
    if (!('media' in out)) throw new Error('an external number was routed as an internal call');
    expect(await out.established(), `next call ended with ${out.status}`).toBe(true);
    expect(await (await ringing2).established()).toBe(true);
    await out.hangup();
  }, 60_000);

  it('the OXO extension and the provider phone free themselves when their own 2xx is not ACKed', async () => {
    const lab = await Lab.start({ profile: profile(), ephemeralPorts: true, timers: TIMERS });
    labs.push(lab);
    const provider = lab.provider!;
    const sbc = lab.sbc!;
    const oxo = lab.oxo!;
    const desk = oxo.extension('deskphone1');
    const did = lab.profile.oxo.extensions.deskphone1.did;
    const pstn1 = provider.phone('pstn1');

    // Straight to the OXO from the SBC's LAN listener, and to the provider from its WAN one.
    const oxoL = oxo.ua.transport.listenerFor('UDP');
    const toOxo = inviteWithoutAck(
      sbc.lanUa,
      { protocol: 'UDP', address: oxoL.address, port: oxoL.port },
      {
        uri: `sip:${did}@${oxoL.address}:${oxoL.port}`,
        from: `<sip:+4940555001@${lab.profile.oxo.trunk.domain}>`,
        to: `<sip:${did}@${lab.profile.oxo.trunk.domain}>`,
      },
    );
    const deskRings = desk.nextIncoming();
    const phoneRings = pstn1.nextIncoming();
    const provL = provider.ua.transport.listenerFor('UDP');
    const toPhone = inviteWithoutAck(
      sbc.wanUa,
      { protocol: 'UDP', address: provL.address, port: provL.port },
      {
        uri: `sip:${pstn1.number}@${lab.profile.provider.domain}`,
        from: `<sip:${lab.profile.provider.line.user}@${lab.profile.provider.domain}>`,
        to: `<sip:${pstn1.number}@${lab.profile.provider.domain}>`,
      },
    );
    const phoneCall = await phoneRings;
    const deskCall = await deskRings;
    expect(await until(() => oks(toOxo.received()).length > 0, 10_000), 'the OXO answers 200').toBe(true);
    expect(await until(() => oks(toPhone.received()).length > 0, 10_000), 'the phone answers 200').toBe(true);

    // §13.3.1.4 on both simulators: BYE after 64*T1, the call over, the set free.
    expect(await until(() => byes(toOxo.received()).length > 0, 15_000), 'the OXO sends BYE').toBe(true);
    expect(await until(() => byes(toPhone.received()).length > 0, 15_000), 'the phone sends BYE').toBe(true);
    expect(await until(() => desk.activeCalls.length === 0, 10_000), 'the deskphone is free').toBe(true);
    expect(await until(() => phoneCall.state === 'failed', 10_000), 'the phone call is over').toBe(true);
    expect(deskCall.state, 'the deskphone call is over').toBe('failed');

    const incoming = desk.nextIncoming();
    const next = await pstn1.call(did);
    expect(await next.established(), `next call ended with ${next.status}`).toBe(true);
    expect(await (await incoming).established()).toBe(true);
    await next.hangup();
  }, 60_000);

  it('a BYE before the ACK stops the 2xx retransmissions at once; answer() rejects', async () => {
    const [uas, uac] = await twoAgents();
    const got = new Promise<IncomingInvite>((r) => uas.once('invite', r));
    const l = uas.transport.listenerFor('UDP');
    const target: SendTarget = { protocol: 'UDP', address: l.address, port: l.port };
    const rogue = inviteWithoutAck(uac, target, {
      uri: `sip:100@${l.address}:${l.port}`,
      from: '<sip:caller@127.0.86.11>',
      to: '<sip:100@127.0.86.10>',
    });
    const inv = await got;
    const answered = inv.answer(OFFER('127.0.86.10')).then(
      () => 'acked',
      (e: Error) => e.message,
    );
    expect(await until(() => oks(rogue.received()).length > 0, 5000)).toBe(true);
    // BYE in the dialog the 2xx created, with no ACK first.
    const ok = oks(rogue.received())[0] as SipResponse;
    const bye = new SipRequest('BYE', rogue.request.uri);
    bye.append('Via', uac.via(target));
    bye.append('Max-Forwards', '70');
    bye.append('From', rogue.request.get('from') ?? '');
    bye.append('To', ok.get('to') ?? '');
    bye.append('Call-ID', rogue.request.callId ?? '');
    bye.append('CSeq', '2 BYE');
    await uac.transport.send(bye, target);
    expect(await answered).toMatch(/ended before the ACK/);
    const after = oks(rogue.received()).length;
    await sleep(20 * TIMERS.t1);
    expect(oks(rogue.received()).length, 'no 2xx retransmitted after the BYE').toBeLessThanOrEqual(after + 1);
    expect(uas.waitingAcks).toBe(0);
  }, 30_000);

  it('a reliable provisional never PRACKed: the INVITE is rejected with 500 after 64*T1 (RFC 3262 §3)', async () => {
    const [uas, uac] = await twoAgents();
    const got = new Promise<IncomingInvite>((r) => uas.once('invite', r));
    const l = uas.transport.listenerFor('UDP');
    const rogue = inviteWithoutAck(
      uac,
      { protocol: 'UDP', address: l.address, port: l.port },
      {
        uri: `sip:100@${l.address}:${l.port}`,
        from: '<sip:caller@127.0.86.11>',
        to: '<sip:100@127.0.86.10>',
        headers: [['Supported', '100rel']],
      },
    );
    const inv = await got;
    inv.progress(OFFER('127.0.86.10'), { reliable: true });
    const finals = () => rogue.received().filter((m) => !m.isRequest && (m as SipResponse).status >= 200);
    expect(await until(() => finals().length > 0, 15_000), 'a final response').toBe(true);
    expect((finals()[0] as SipResponse).status).toBe(500);
    expect(uas.pendingPracks.size).toBe(0);
  }, 30_000);
});

async function twoAgents(): Promise<[UserAgent, UserAgent]> {
  const uas = await UserAgent.start({
    listen: [{ protocol: 'UDP', address: '127.0.86.10', port: 0 }],
    timers: TIMERS,
  });
  agents.push(uas);
  const uac = await UserAgent.start({
    listen: [{ protocol: 'UDP', address: '127.0.86.11', port: 0 }],
    timers: TIMERS,
  });
  agents.push(uac);
  return [uas, uac];
}

describe('a caller whose TCP connection dies after the 2xx', () => {
  it('the SBC ends both legs and the extension is free again', async () => {
    const lab = await Lab.start({ profile: profile(), ephemeralPorts: true, timers: TIMERS });
    labs.push(lab);
    const sbc = lab.sbc!;
    const desk = lab.oxo!.extension('deskphone1');
    const did = lab.profile.oxo.extensions.deskphone1.did;
    const domain = lab.profile.provider.domain;
    const wan = sbc.wanListener('TCP');
    // From the provider's address, over TCP, by hand: an INVITE, then the connection is dropped.
    const sock = net.connect({ host: wan.address, port: wan.port, localAddress: '127.0.87.1' });
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    sock.on('error', () => undefined);
    const body = OFFER('127.0.87.1');
    const invite = [
      `INVITE sip:${did}@${wan.address}:${wan.port};transport=tcp SIP/2.0`,
      `Via: SIP/2.0/TCP 127.0.87.1:${sock.localPort};branch=z9hG4bK-deadtcp-1;rport`,
      'Max-Forwards: 70',
      `From: <sip:+4940555001@${domain}>;tag=dead1`,
      `To: <sip:${did}@${domain}>`,
      'Call-ID: dead-tcp-1@127.0.87.1',
      'CSeq: 1 INVITE',
      `Contact: <sip:caller@127.0.87.1:${sock.localPort};transport=tcp>`,
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    let got = '';
    sock.on('data', (d) => {
      got += d.toString('latin1');
    });
    const rogueLeg = desk.nextIncoming();
    sock.write(invite);
    expect(await until(() => /SIP\/2\.0 200 /.test(got), 10_000), 'the SBC answers 200').toBe(true);
    sock.destroy();
    expect(await until(() => desk.activeCalls.length === 0, 15_000), 'the deskphone is free again').toBe(
      true,
    );
    expect((await rogueLeg).state, 'the OXO leg got a BYE').toBe('ended');
    expect(
      await until(() => sbc.calls().every((c) => c.state === 'ended' || c.state === 'failed'), 10_000),
      'no call left up in the SBC',
    ).toBe(true);
  }, 60_000);
});

describe('a far side that rings for ever (RFC 3261 §16.6, Timer C)', () => {
  it('the reference SBC cancels its INVITE and answers the caller 408; nothing of the call is left', async () => {
    const provider = await StandInAgent.start({ address: '127.0.87.20', contactUser: 'provider' });
    const oxo = await StandInAgent.start({ address: '127.0.86.20', contactUser: 'oxo' });
    const sbc = await ReferenceSbc.start({
      lan: { address: '127.0.86.21', trunk: { username: 'oxo-trunk', password: 'trunk-secret' } },
      wan: {
        address: '127.0.87.21',
        provider: {
          address: '127.0.87.20',
          port: provider.udp.port,
          protocol: 'UDP',
          domain: 'provider.test',
        },
        line: { username: '4930111', password: 'line-secret', dids: [], register: false },
      },
      timers: { t1: 50, t2: 400, t4: 500 },
      timerCMs: 1500,
    });
    cleanupsTimerC.push(
      () => sbc.stop(),
      () => provider.stop(),
      () => oxo.stop(),
    );
    // The OXO stand-in rings and never answers; the caller never cancels.
    const ringing = new Promise<IncomingInvite>((r) =>
      oxo.ua.once('invite', (inv) => {
        inv.ring();
        r(inv);
      }),
    );
    const registered = await oxo.ua.register({
      registrar: `sip:127.0.86.21:${sbc.lanListener('UDP').port}`,
      aor: 'sip:oxo-trunk@127.0.86.21',
      credentials: { username: 'oxo-trunk', password: 'trunk-secret' },
      expires: 300,
    });
    expect(registered.status).toBe(200);
    const wan = sbc.wanListener('UDP');
    const call = provider.ua.invite({
      method: 'INVITE',
      uri: `sip:4930111200@127.0.87.21:${wan.port}`,
      body: OFFER('127.0.87.20'),
    });
    const inv = await ringing;
    const cancelled = new Promise<void>((r) => inv.once('cancelled', () => r()));
    const out = await call.result;
    expect(out.status, 'the caller gets 408 Request Timeout').toBe(408);
    await cancelled;
    expect(inv.cancelled, 'the far side got a CANCEL').toBe(true);
    expect(sbc.calls().map((c) => [c.state, c.status])).toEqual([['failed', 408]]);
  }, 30_000);
});

describe('peers that vanish without a BYE (the SBC media timeout)', () => {
  it('an answered call with no RTP or RTCP on either leg is ended with BYE on both legs', async () => {
    const provider = await StandInAgent.start({ address: '127.0.87.30', contactUser: 'provider' });
    const oxo = await StandInAgent.start({ address: '127.0.86.30', contactUser: 'oxo' });
    const sbc = await ReferenceSbc.start({
      lan: { address: '127.0.86.31', trunk: { username: 'oxo-trunk', password: 'trunk-secret' } },
      wan: {
        address: '127.0.87.31',
        provider: {
          address: '127.0.87.30',
          port: provider.udp.port,
          protocol: 'UDP',
          domain: 'provider.test',
        },
        line: { username: '4930111', password: 'line-secret', dids: [], register: false },
      },
      timers: { t1: 50, t2: 400, t4: 500 },
      mediaTimeoutMs: 1000,
    });
    cleanupsTimerC.push(
      () => sbc.stop(),
      () => provider.stop(),
      () => oxo.stop(),
    );
    const answered = new Promise<IncomingInvite>((r) =>
      oxo.ua.once('invite', (inv) => {
        void inv.answer(OFFER('127.0.86.30')).catch(() => undefined);
        r(inv);
      }),
    );
    expect(
      (
        await oxo.ua.register({
          registrar: `sip:127.0.86.31:${sbc.lanListener('UDP').port}`,
          aor: 'sip:oxo-trunk@127.0.86.31',
          credentials: { username: 'oxo-trunk', password: 'trunk-secret' },
          expires: 300,
        })
      ).status,
    ).toBe(200);
    const out = await provider.ua.invite({
      method: 'INVITE',
      uri: `sip:4930111200@127.0.87.31:${sbc.wanListener('UDP').port}`,
      body: OFFER('127.0.87.30'),
    }).result;
    expect(out.status).toBe(200);
    const lanDialog = (await answered).dialog!;
    // Neither side sends a packet, and neither sends BYE: the SBC's media timeout ends the call.
    expect(await until(() => out.dialog!.state === 'terminated', 15_000), 'BYE to the provider').toBe(true);
    expect(await until(() => lanDialog.state === 'terminated', 15_000), 'BYE to the OXO').toBe(true);
    expect(provider.messages('in', 'BYE').length).toBe(1);
    expect(oxo.messages('in', 'BYE').length).toBe(1);
    // The SBC records the end once its BYEs are answered, a moment after the dialogs ended.
    await until(() => sbc.calls()[0]?.state === 'ended', 5000);
    expect(sbc.calls().map((c) => [c.state, c.endedBy])).toEqual([['ended', 'sbc']]);
  }, 30_000);
});

const cleanupsTimerC: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanupsTimerC.splice(0)) await c();
});
