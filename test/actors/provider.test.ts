/**
 * The provider simulator's signalling, driven by a UserAgent standing in for the SBC: the
 * registrar (digest challenge, refusal, expiry, 423, unregister; UDP, TCP and TLS), INVITE
 * routing by number to phone behaviours (answer, delayed answer, ring, busy, reject, 404),
 * calls from a PSTN phone to the registered contact with display name and P-Asserted-Identity,
 * and the IVR's SIP INFO echo. Media is an SDP-only stand-in here (real media: provider-media).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CallMedia, MediaFactory } from '../../harness/actors/call.ts';
import { Provider } from '../../harness/actors/provider.ts';
import {
  buildDtmfRelayBody,
  DTMF_RELAY_CONTENT_TYPE,
  parseSipInfoDtmf,
} from '../../harness/media/dtmf/index.ts';
import {
  createResponse,
  type IncomingInvite,
  type SdpDirection,
  type TransportProtocol,
  UserAgent,
} from '../../harness/sip/index.ts';
import { selfSignedCertificate } from '../../harness/support/certificate.ts';

const TIMERS = { t1: 50, t2: 400, t4: 500 };
const PROVIDER = '127.0.10.1';
const SBC = '127.0.10.2';

/** SDP-only media: offers/answers PCMA, remembers the directions it saw. */
function sdpOnlyMedia(address: string): CallMedia & { offers: string[] } {
  let version = 0;
  const port = 40000 + Math.floor(Math.random() * 10000) * 2;
  const sdp = (dir: SdpDirection) =>
    [
      'v=0',
      `o=- 1 ${version++} IN IP4 ${address}`,
      's=-',
      `c=IN IP4 ${address}`,
      't=0 0',
      `m=audio ${port} RTP/AVP 8 101`,
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      `a=${dir}`,
      '',
    ].join('\r\n');
  const answerDir = (offer: string, ours: SdpDirection): SdpDirection => {
    const m = /a=(sendonly|recvonly|inactive)/.exec(offer)?.[1];
    if (m === 'sendonly') return 'recvonly';
    if (m === 'recvonly') return 'sendonly';
    if (m === 'inactive') return 'inactive';
    return ours;
  };
  const offers: string[] = [];
  return {
    name: 'sdp-only',
    prefs: { codecs: ['PCMA'], telephoneEvent: true },
    offers,
    createOffer: (d = 'sendrecv') => sdp(d),
    acceptOffer(offer, d = 'sendrecv') {
      offers.push(offer);
      if (!/^m=audio /m.test(offer)) return { ok: false, reason: 'no audio' };
      return { ok: true, answer: sdp(answerDir(offer, d)) };
    },
    acceptAnswer: (a) => (/^m=audio /m.test(a) ? { ok: true } : { ok: false, reason: 'no audio' }),
    play: () => undefined,
    stopPlaying: () => undefined,
    sendDtmf: async () => undefined,
    dtmfReceived: [],
    receivedAudio: () => ({ sampleRate: 8000, samples: new Int16Array(0) }),
    clearReceived: () => undefined,
    stats: () => ({ sent: 0, received: 0, lost: 0, jitterMs: 0, codecs: [] }),
    evidence: () => [],
    close: async () => undefined,
  };
}

const openMedia: MediaFactory = async (o) => sdpOnlyMedia(o.localAddress);

const started: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function provider(
  transports?: Array<{ protocol: TransportProtocol; port: number }>,
): Promise<Provider> {
  const p = await Provider.start({
    address: PROVIDER,
    ...(transports ? { transports } : {}),
    lines: [{ username: 'line1', password: 's3cret', dids: ['+4930555000', '+4930555001'] }],
    openMedia,
    timers: TIMERS,
    minExpires: 60,
  });
  started.push(p);
  return p;
}

async function sbc(protocol: TransportProtocol = 'UDP'): Promise<UserAgent> {
  const tls = protocol === 'TLS' ? await selfSignedCertificate('sbc.test', [SBC]) : undefined;
  const u = await UserAgent.start({
    listen: [{ protocol, address: SBC, port: 0 }],
    ...(tls ? { tls } : {}),
    timers: TIMERS,
    contactUser: 'line1',
  });
  started.push(u);
  return u;
}

function registrarUri(p: Provider, protocol: TransportProtocol): string {
  const tp = protocol === 'UDP' ? '' : `;transport=${protocol.toLowerCase()}`;
  return `${protocol === 'TLS' ? 'sips' : 'sip'}:${PROVIDER}:${p.port(protocol)}${tp}`;
}

describe('provider registrar', () => {
  for (const protocol of ['UDP', 'TCP', 'TLS'] as const) {
    it(`${protocol}: challenges, then accepts the right password and records both`, async () => {
      const p = await provider([{ protocol, port: 0 }]);
      const u = await sbc(protocol);
      const out = await u.register({
        registrar: registrarUri(p, protocol),
        aor: `sip:line1@${p.domain}`,
        expires: 120,
        credentials: { username: 'line1', password: 's3cret' },
        protocol,
      });
      expect(out.status).toBe(200);
      expect(out.responses.map((r) => r.status)).toEqual([401, 200]);
      expect(p.registrations.map((r) => [r.status, r.verdict, r.protocol])).toEqual([
        [401, 'no-credentials', protocol],
        [200, 'ok', protocol],
      ]);
      expect(p.registrations[1]?.expires).toBe(120);
      const b = p.registered('line1');
      expect(b).toHaveLength(1);
      expect(b[0]?.contact).toContain(SBC);
      // The evidence never carries the password.
      expect(JSON.stringify(p.registrations)).not.toContain('s3cret');
    });
  }

  it('refuses a wrong password with 403 and keeps no binding', async () => {
    const p = await provider();
    const u = await sbc();
    const out = await u.register({
      registrar: registrarUri(p, 'UDP'),
      aor: `sip:line1@${p.domain}`,
      credentials: { username: 'line1', password: 'wrong' },
    });
    expect(out.status).toBe(403);
    expect(p.registrations.map((r) => r.verdict)).toEqual(['no-credentials', 'wrong-password']);
    expect(p.registered('line1')).toHaveLength(0);
  });

  it('answers 423 below Min-Expires, caps at the maximum, and unregisters with expires 0', async () => {
    const p = await provider();
    const u = await sbc();
    const reg = (expires: number) =>
      u.register({
        registrar: registrarUri(p, 'UDP'),
        aor: `sip:line1@${p.domain}`,
        expires,
        credentials: { username: 'line1', password: 's3cret' },
      });
    const brief = await reg(10);
    expect(brief.status).toBe(423);
    expect(brief.response?.get('min-expires')).toBe('60');
    const long = await reg(100_000);
    expect(long.status).toBe(200);
    expect(long.response?.get('contact')).toMatch(/expires=3600/);
    expect(p.registered('line1')).toHaveLength(1);
    const gone = await reg(0);
    expect(gone.status).toBe(200);
    expect(p.registered('line1')).toHaveLength(0);
  });
});

describe('provider routing and PSTN phones', () => {
  async function invite(u: UserAgent, p: Provider, user: string) {
    return u.invite({
      method: 'INVITE',
      uri: `sip:${user}@${PROVIDER}:${p.port()}`,
      body: sdpOnlyMedia(SBC).createOffer(),
      contentType: 'application/sdp',
    });
  }

  it('routes by number to each behaviour: answer, busy, reject, unknown', async () => {
    const p = await provider();
    p.addPhone({ id: 'pstn1', number: '+4930111111', displayName: 'Alice' });
    p.addPhone({ id: 'busy', number: '+4930222222', behaviour: { kind: 'busy' } });
    p.addPhone({ id: 'decline', number: '+4930333333', behaviour: { kind: 'reject', status: 603 } });
    const u = await sbc();
    const answered = await (await invite(u, p, '+4930111111')).result;
    expect(answered.status).toBe(200);
    expect(answered.response?.bodyText).toMatch(/^m=audio /m);
    const incoming = await p.phone('pstn1').nextIncoming();
    expect(await incoming.established()).toBe(true);
    expect((await (await invite(u, p, '4930222222')).result).status).toBe(486);
    expect((await (await invite(u, p, '+4930333333')).result).status).toBe(603);
    expect((await (await invite(u, p, '+4930999999')).result).status).toBe(404);
    expect(p.routes.map((r) => r.routedTo ?? r.status)).toEqual(['pstn1', 'busy', 'decline', 404]);
    await u.bye(answered.dialog!);
    await incoming.ended();
    expect(incoming.state).toBe('ended');
  });

  it('rings without answer until CANCEL (487), and answers after a delay (180 then 200)', async () => {
    const p = await provider();
    p.addPhone({ id: 'ring', number: '111', behaviour: { kind: 'ring' } });
    p.addPhone({ id: 'late', number: '222', behaviour: { kind: 'answer-after', delayMs: 150 } });
    const u = await sbc();
    const ringing = await invite(u, p, '111');
    await new Promise<void>((r) => ringing.on('response', (res) => res.status === 180 && r()));
    ringing.cancel();
    const r1 = await ringing.result;
    expect(r1.status).toBe(487);
    expect(r1.responses.map((r) => r.status)).toContain(180);
    const call = await p.phone('ring').nextIncoming();
    await call.ended();
    expect(call.state).toBe('failed');
    const late = await (await invite(u, p, '222')).result;
    expect(late.status).toBe(200);
    expect(late.responses.map((r) => r.status)).toEqual(expect.arrayContaining([180, 200]));
    await u.bye(late.dialog!);
  });

  it('calls the registered contact of the line with display name and P-Asserted-Identity', async () => {
    const p = await provider();
    const phone = p.addPhone({ id: 'pstn1', number: '+4930111111', displayName: 'Alice Example' });
    const u = await sbc();
    await u.register({
      registrar: registrarUri(p, 'UDP'),
      aor: `sip:line1@${p.domain}`,
      credentials: { username: 'line1', password: 's3cret' },
    });
    const got = new Promise<IncomingInvite>((r) => u.once('invite', r));
    const call = await phone.call('+4930555001');
    const inv = await got;
    expect(inv.request.uri).toMatch(/^sip:\+4930555001@127\.0\.10\.2:\d+$/);
    expect(inv.request.get('from')).toMatch(/^"Alice Example" <sip:\+4930111111@provider\.test>;tag=/);
    expect(inv.request.get('p-asserted-identity')).toBe('"Alice Example" <sip:+4930111111@provider.test>');
    expect(inv.request.get('to')).toBe('<sip:+4930555001@provider.test>');
    const answer = sdpOnlyMedia(SBC).acceptOffer(inv.offer ?? '');
    expect(answer.ok).toBe(true);
    inv.ring();
    const d = await Promise.all([inv.answer(answer.ok ? answer.answer : ''), call.established()]);
    expect(d[1]).toBe(true);
    expect(call.state).toBe('established');
    await call.hangup();
    expect(call.state).toBe('ended');
  });

  // RFC 3261 §19.1 and §18.2.2: a sips: Request-URI asks for TLS on every hop, so an SBC that
  // registered sip:…;transport=tls gets sip:, and once the REGISTER's connection is gone the
  // call goes to the Contact, not to that connection's ephemeral port. Before: sips:, and a
  // connection attempt to a port where nothing listened.
  it('TLS: calls a sip: Contact with transport=tls, over a new connection to it once the REGISTER’s closed', async () => {
    const p = await provider([{ protocol: 'TLS', port: 0 }]);
    const phone = p.addPhone({ id: 'pstn1', number: '+4930111111' });
    const u = await sbc('TLS');
    const port = u.transport.bound.find((b) => b.protocol === 'TLS')!.port;
    const reg = await u.register({
      registrar: registrarUri(p, 'TLS'),
      aor: `sip:line1@${p.domain}`,
      credentials: { username: 'line1', password: 's3cret' },
      protocol: 'TLS',
      headers: [['Contact', `<sip:line1@${SBC}:${port};transport=tls>`]],
    });
    expect(reg.status).toBe(200);
    expect(p.registered('line1')[0]?.contact).toContain(';transport=tls');
    // The SBC closes its connections (its certificate renewed).
    const tls = await selfSignedCertificate('sbc.test', [SBC]);
    u.transport.replaceTlsCertificate({ key: tls.key, cert: tls.cert });
    await new Promise((r) => setTimeout(r, 200));
    const got = new Promise<IncomingInvite>((r) => u.once('invite', r));
    const call = await phone.call('+4930555001');
    // The call arrives, or ends unanswered (408: sent where nothing listened).
    const inv = await Promise.race([got, call.ended().then(() => undefined)]);
    expect(inv, `the call ended with ${call.status}`).toBeDefined();
    if (!inv) return;
    expect(inv.request.uri).toBe(`sip:+4930555001@${SBC}:${port};transport=tls`);
    inv.reject(486);
    await call.ended();
  });

  it('refuses to call a line that is not registered and has no SBC WAN address', async () => {
    const p = await provider();
    const phone = p.addPhone({ id: 'pstn1', number: '+4930111111' });
    await expect(phone.call('+4930555001')).rejects.toThrow(/not registered/);
  });
});

describe('IVR over SIP INFO', () => {
  it('returns each INFO digit as an INFO and records both directions', async () => {
    const p = await provider();
    const ivr = p.addIvr({ id: 'ivr', number: '5000', echoDelayMs: 20 });
    const u = await sbc();
    const returned: string[] = [];
    const out = await (
      await u.invite({
        method: 'INVITE',
        uri: `sip:5000@${PROVIDER}:${p.port()}`,
        body: sdpOnlyMedia(SBC).createOffer(),
        contentType: 'application/sdp',
      })
    ).result;
    expect(out.status).toBe(200);
    const d = out.dialog!;
    d.on('request', (req, tx) => {
      const r = parseSipInfoDtmf(req.get('content-type') ?? '', req.body);
      if (req.method === 'INFO' && r.ok) returned.push(r.value.digit);
      tx.respond(createResponse(req, 200));
    });
    for (const digit of ['1', '#', '9']) {
      const s = await u.requestInDialog(d, 'INFO', {
        body: buildDtmfRelayBody(digit as '1', 100),
        contentType: DTMF_RELAY_CONTENT_TYPE,
      });
      expect(s.status).toBe(200);
    }
    const deadline = Date.now() + 3000;
    // The IVR records a digit as sent when its INFO leaves; the INFO reaches us a moment later.
    while ((ivr.sent.length < 3 || returned.length < 3) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(ivr.receivedDigits()).toBe('1#9');
    expect(ivr.sentDigits()).toBe('1#9');
    expect(ivr.sent.every((s) => s.mode === 'info')).toBe(true);
    expect(returned.join('')).toBe('1#9');
    await u.bye(d);
  });
});
