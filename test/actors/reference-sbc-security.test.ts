/**
 * The reference SBC's secure defaults, over the wire on loopback (issue 15, findings 4, 5, 6):
 * LAN INVITEs only from the registered trunk's address or with its credentials, WAN INVITEs only
 * from the provider, a replayed digest Authorization refused, a source held off after repeated
 * wrong passwords, the provider's TLS certificate verified against a CA; and the fault of each
 * (docs/sbc-faults.md) opening it again. Intruders sit on 127.0.90.1 (LAN) and 127.0.91.1 (WAN).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReferenceSbc } from '../../harness/actors/reference-sbc.ts';
import {
  answerNextCall,
  placeCall,
  RIG_ACCOUNTS,
  RIG_ADDRESSES,
  StandInAgent,
  StandInRegistrar,
} from '../../harness/actors/sbc-stand-ins.ts';
import type { SipRequest } from '../../harness/sip/index.ts';
import { selfSignedCertificate } from '../../harness/support/certificate.ts';
import { certificateSignedBy, labCertificateAuthority } from '../../harness/support/lab-ca.ts';
import { inviteFlood } from '../../scenarios/security-tools.ts';
import { PCMA_TE, until, useSbcRigs } from '../support/sbc-rig.ts';

const LAN_INTRUDER = '127.0.90.1';
const WAN_INTRUDER = '127.0.91.1';
const TLS_PROVIDER = '127.0.92.1';
const TLS_SBC_WAN = '127.0.92.2';
const TLS_SBC_LAN = '127.0.92.3';

const agents: StandInAgent[] = [];
// Registered before the rigs' clean-up, so it runs after it (hooks run in reverse): the SBC's
// BYEs on stopping still find the intruders.
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});
const { rig, legs } = useSbcRigs();

async function agent(address: string, user = 'intruder'): Promise<StandInAgent> {
  const a = await StandInAgent.start({ address, contactUser: user });
  agents.push(a);
  return a;
}

/** The SBC's secure LAN side (the rig opens it unless told). */
const SECURE = { security: { lanInvites: 'trunk' as const } };

describe('reference SBC: who may call', () => {
  it('LAN: an unregistered address without credentials gets 401 and nothing reaches the provider; the trunk’s address and the trunk’s credentials pass', async () => {
    const r = await rig(SECURE);
    const intruder = await agent(LAN_INTRUDER);
    const none = await placeCall(intruder, LAN_INTRUDER, PCMA_TE, { uri: r.lanUri('0301234567') });
    legs.push(none.media);
    expect(none.outcome.status).toBe(401);
    expect(r.provider.messages('in', 'INVITE')).toHaveLength(0);

    // The same address with the trunk user's credentials is let through.
    const far = answerNextCall(r.provider, RIG_ADDRESSES.provider, PCMA_TE);
    const creds = await placeCall(intruder, LAN_INTRUDER, PCMA_TE, {
      uri: r.lanUri('0301234567'),
      credentials: { ...RIG_ACCOUNTS.trunk },
    });
    legs.push(creds.media);
    expect(creds.outcome.status).toBe(200);
    legs.push((await far).media);

    // The registered trunk's own address needs no credentials.
    expect(await r.registerOxo()).toBe(200);
    const far2 = answerNextCall(r.provider, RIG_ADDRESSES.provider, PCMA_TE);
    const trunk = await placeCall(r.oxo, RIG_ADDRESSES.oxo, PCMA_TE, { uri: r.lanUri('0301234567') });
    legs.push(trunk.media);
    expect(trunk.outcome.status).toBe(200);
    legs.push((await far2).media);
  });

  it('open-lan: an unregistered LAN address reaches the provider without credentials', async () => {
    const r = await rig({ ...SECURE, faults: { 'open-lan': true } });
    const intruder = await agent(LAN_INTRUDER);
    const far = answerNextCall(r.provider, RIG_ADDRESSES.provider, PCMA_TE);
    const out = await placeCall(intruder, LAN_INTRUDER, PCMA_TE, { uri: r.lanUri('0301234567') });
    legs.push(out.media);
    expect(out.outcome.status).toBe(200);
    legs.push((await far).media);
  });

  it('WAN: an INVITE from a non-provider address gets 403 and nothing reaches the OXO', async () => {
    const r = await rig();
    expect(await r.registerOxo()).toBe(200);
    const intruder = await agent(WAN_INTRUDER);
    const out = await placeCall(intruder, WAN_INTRUDER, PCMA_TE, { uri: r.wanUri() });
    legs.push(out.media);
    expect(out.outcome.status).toBe(403);
    expect(r.oxo.messages('in', 'INVITE')).toHaveLength(0);
  });

  it('open-wan: an INVITE from a non-provider address reaches the OXO', async () => {
    const r = await rig({ faults: { 'open-wan': true } });
    expect(await r.registerOxo()).toBe(200);
    const intruder = await agent(WAN_INTRUDER);
    const oxoAnswers = answerNextCall(r.oxo, RIG_ADDRESSES.oxo, PCMA_TE);
    const out = await placeCall(intruder, WAN_INTRUDER, PCMA_TE, { uri: r.wanUri() });
    legs.push(out.media);
    expect(out.outcome.status).toBe(200);
    legs.push((await oxoAnswers).media);
  });
});

describe('reference SBC: digest replay and hold-off', () => {
  /** Registers the OXO stand-in and replays its authorized REGISTER from the LAN intruder. */
  async function replay(faults: Record<string, boolean>) {
    const r = await rig({ ...SECURE, faults });
    expect(await r.registerOxo()).toBe(200);
    const sent = r.oxo.messages('out', 'REGISTER') as SipRequest[];
    const authorized = sent.filter((m) => m.has('authorization')).at(-1)!;
    const intruder = await agent(LAN_INTRUDER, RIG_ACCOUNTS.trunk.username);
    const lan = r.sbc.lanListener('UDP');
    const target = { protocol: 'UDP' as const, ...lan };
    const aor = `sip:${RIG_ACCOUNTS.trunk.username}@${lan.address}`;
    const req = intruder.ua.buildRequest(
      {
        method: 'REGISTER',
        uri: authorized.uri,
        from: aor,
        to: aor,
        headers: [
          ['Expires', '60'],
          ['Authorization', authorized.get('authorization')!],
        ],
      },
      target,
    );
    expect(req.callId).not.toBe(authorized.callId);
    const out = await intruder.ua.runWithAuth(req, target);
    return { r, out, bound: r.sbc.registrar.current().filter((b) => b.contact.includes(LAN_INTRUDER)) };
  }

  it('a replayed Authorization (same nonce, nc, cnonce; new Call-ID) gets 401 stale=true and no binding', async () => {
    const { out, bound } = await replay({});
    expect(out.status).toBe(401);
    expect(out.response!.get('www-authenticate')).toMatch(/stale=TRUE/i);
    expect(bound).toHaveLength(0);
  });

  it('digest-replay: the replay is accepted and binds the intruder’s contact', async () => {
    const { out, bound } = await replay({ 'digest-replay': true });
    expect(out.status).toBe(200);
    expect(bound).toHaveLength(1);
  });

  it('holds a source off after 10 wrong passwords (503 Retry-After, even for the right one); the trunk’s own address still registers', async () => {
    const r = await rig(SECURE);
    const intruder = await agent(LAN_INTRUDER, RIG_ACCOUNTS.trunk.username);
    const lan = r.sbc.lanListener('UDP');
    const spec = {
      registrar: `sip:${lan.address}:${lan.port}`,
      aor: `sip:oxo-trunk@${lan.address}`,
      expires: 60,
    };
    const wrong = { username: RIG_ACCOUNTS.trunk.username, password: 'not-the-password' };
    for (let i = 0; i < 10; i++) {
      const out = await intruder.ua.register({ ...spec, credentials: wrong });
      expect(out.status).toBe(403);
    }
    const held = await intruder.ua.register({ ...spec, credentials: { ...RIG_ACCOUNTS.trunk } });
    expect(held.status).toBe(503);
    expect(Number(held.response!.get('retry-after'))).toBeGreaterThan(0);
    // An INVITE from the held-off source is refused the same way.
    const call = await placeCall(intruder, LAN_INTRUDER, PCMA_TE, {
      uri: r.lanUri('0301234567'),
      credentials: { ...RIG_ACCOUNTS.trunk },
    });
    legs.push(call.media);
    expect(call.outcome.status).toBe(503);
    expect(await r.registerOxo()).toBe(200);
    expect(r.sbc.holdOff.heldCount).toBe(1);
  });

  it('no-auth-holdoff: 30 wrong passwords are each examined, then the right one is accepted', async () => {
    const r = await rig({ ...SECURE, faults: { 'no-auth-holdoff': true } });
    const intruder = await agent(LAN_INTRUDER, RIG_ACCOUNTS.trunk.username);
    const lan = r.sbc.lanListener('UDP');
    const spec = {
      registrar: `sip:${lan.address}:${lan.port}`,
      aor: `sip:oxo-trunk@${lan.address}`,
      expires: 60,
    };
    for (let i = 0; i < 30; i++) {
      const out = await intruder.ua.register({
        ...spec,
        credentials: { username: RIG_ACCOUNTS.trunk.username, password: `guess-${i}` },
      });
      expect(out.status).toBe(403);
    }
    const right = await intruder.ua.register({ ...spec, credentials: { ...RIG_ACCOUNTS.trunk } });
    expect(right.status).toBe(200);
    expect(r.sbc.holdOff.heldCount).toBe(0);
  });
});

describe('reference SBC: INVITE flood', () => {
  /** 150 INVITEs from the WAN intruder in 0.5 s, then the OXO stand-in calls out. */
  async function floodThenCall(faults: Record<string, boolean>) {
    const r = await rig({ ...SECURE, faults });
    expect(await r.registerOxo()).toBe(200);
    const f = await inviteFlood({
      from: WAN_INTRUDER,
      target: r.sbc.wanListener('UDP'),
      count: 150,
      seconds: 0.5,
      user: '100',
    });
    expect(f.sent).toBe(150);
    return { r, f };
  }

  it('a flood from one WAN address is refused per source (403) and the trunk still calls', async () => {
    const { r, f } = await floodThenCall({});
    expect(f.finals.get(403)).toBe(150);
    const far = answerNextCall(r.provider, RIG_ADDRESSES.provider, PCMA_TE);
    const out = await placeCall(r.oxo, RIG_ADDRESSES.oxo, PCMA_TE, { uri: r.lanUri('0301234567') });
    legs.push(out.media);
    expect(out.outcome.status).toBe(200);
    legs.push((await far).media);
  });

  it('flood-lockout: after the flood the trunk’s own INVITE gets 503', async () => {
    const { r } = await floodThenCall({ 'flood-lockout': true });
    const out = await placeCall(r.oxo, RIG_ADDRESSES.oxo, PCMA_TE, { uri: r.lanUri('0301234567') });
    legs.push(out.media);
    expect(out.outcome.status).toBe(503);
  });
});

describe('reference SBC: the provider’s TLS certificate', () => {
  /**
   * An SBC registering its line over TLS at a provider stand-in that presents `cert`; resolves
   * with the REGISTERs the provider received (none when the SBC refused the handshake).
   */
  async function registerOverTls(cert: 'signed' | 'self-signed', faults: Record<string, boolean> = {}) {
    const ca = await labCertificateAuthority();
    const kc =
      cert === 'signed'
        ? await certificateSignedBy(ca, 'provider.test', [TLS_PROVIDER])
        : await selfSignedCertificate('provider.test', [TLS_PROVIDER]);
    const tlsProvider = await StandInAgent.start({ address: TLS_PROVIDER, contactUser: 'provider', tls: kc });
    agents.push(tlsProvider);
    const registrar = new StandInRegistrar(tlsProvider, {
      realm: RIG_ACCOUNTS.realm,
      username: RIG_ACCOUNTS.line.username,
      password: RIG_ACCOUNTS.line.password,
    });
    const port = tlsProvider.ua.transport.listenerFor('TLS').port;
    const sbc = await ReferenceSbc.start({
      lan: { address: TLS_SBC_LAN, trunk: { ...RIG_ACCOUNTS.trunk } },
      wan: {
        address: TLS_SBC_WAN,
        tlsPort: 0,
        tls: { ca: ca.cert },
        provider: { address: TLS_PROVIDER, port, protocol: 'TLS', domain: RIG_ACCOUNTS.providerDomain },
        line: { ...RIG_ACCOUNTS.line, register: true, retryMs: 200 },
      },
      faults,
      timers: { t1: 100, t2: 800, t4: 1000 },
    });
    try {
      // A refused handshake never reaches the registrar; a verified one registers within moments.
      // (up to 10 s where it should register; a 3 s window where it should not)
      const expectRegistered = cert === 'signed' || faults['tls-no-verify'] === true;
      await until(() => sbc.line.state === 'registered', expectRegistered ? 10_000 : 3000);
      return { registers: registrar.registers.length, line: sbc.line.state };
    } finally {
      await sbc.stop();
    }
  }

  it('registers over TLS at a provider whose certificate the CA signed for its address', async () => {
    const r = await registerOverTls('signed');
    expect(r.registers).toBeGreaterThan(0);
  });

  it('refuses a provider with a self-signed certificate: no REGISTER reaches it', async () => {
    const r = await registerOverTls('self-signed');
    expect(r.registers).toBe(0);
  });

  it('tls-no-verify: registers at the provider with the self-signed certificate', async () => {
    const r = await registerOverTls('self-signed', { 'tls-no-verify': true });
    expect(r.registers).toBeGreaterThan(0);
  });
});
