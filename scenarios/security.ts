/**
 * The SBC security section (S-1 … S-8), not in the report: what a probe of our own reference SBC
 * found (issue 15), turned into cases that judge any SBC under test on what it does on the wire.
 * An intruder sends from a loopback address of its own (security.lanIntruder / wanIntruder);
 * every case is bounded in count and time, and N/A where the profile's sbc.securityClaims leaves
 * its item out. docs/security.md describes each case and what it accepts.
 */
import tls from 'node:tls';
import type { Call } from '../harness/actors/index.ts';
import { CALL_RELEASE_BOUND_MS, HarnessError, NotJudgedHere, testCase } from '../harness/runner/index.ts';
import { DigestClient, type SipResponse, type UserAgent } from '../harness/sip/index.ts';
import { selfSignedCertificate } from '../harness/support/certificate.ts';
import { releasedWithin } from './call-helpers.ts';
import { malformedBurst } from './malformed-sip.ts';
import {
  countInvites,
  dialogEndedWithin,
  finalWithin,
  intruderAddress,
  inviteFlood,
  PROTOCOLS,
  startIntruder,
  staticOffer,
  statusSummary,
} from './security-tools.ts';
import { hostPort, sbcTarget } from './trunk.ts';

const NOTE = 'Not in the report: added to judge the SBC’s own security (docs/security.md).';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** S-6: after the unACKed call's release, how long the next call waits for the SBC to see the last BYE answered, ms. */
const NEXT_CALL_SETTLE_MS = 250;

/** Resolves with `p`'s value, or undefined after `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    p,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]);
  clearTimeout(timer);
  return r;
}

const is2xx = (s: number | 'no answer') => typeof s === 'number' && s >= 200 && s < 300;

function answered(r: { status: number | 'no answer'; statuses: number[] }): string {
  return r.statuses.length > 0 ? r.statuses.join(', ') : String(r.status);
}

export const lanAccess = testCase({
  id: 'S-1',
  section: 'S',
  title: 'LAN access: no call to the provider from an unknown LAN address',
  steps: [
    'From a LAN address that never registered (security.lanIntruder), an INVITE to a PSTN number goes to the SBC’s LAN side without credentials, claiming to be Premium Deskphone 1',
    'A challenge, if any, is not answered',
    'Expected: no INVITE reaches the provider, and the intruder is refused (a 401/407 challenge, 403, 404, …) or not answered at all',
  ],
  needs: ['security:lan-access'],
  note: NOTE,
  async run(ctx) {
    const p = ctx.profile;
    const address = intruderAddress(ctx, 'lan');
    const protocol = PROTOCOLS[p.oxo.transport];
    const intruder = await startIntruder(ctx, address, protocol);
    const seen = countInvites(ctx.provider.ua);
    try {
      const number = ctx.provider.phone('pstn1').number;
      const domain = p.oxo.trunk.domain;
      const out = intruder.invite({
        method: 'INVITE',
        uri: `sip:${number}@${domain}`,
        target: sbcTarget(ctx, 'lan', protocol),
        from: `<sip:${ctx.oxo.extension('deskphone1').did}@${domain}>`,
        to: `<sip:${number}@${domain}>`,
        body: staticOffer(address),
      });
      const r = await finalWithin(out, 8000);
      if (r.dialog) await intruder.bye(r.dialog).catch(() => undefined);
      await sleep(500); // an INVITE the SBC sends on late still counts
      const reached = seen.count();
      ctx.check.that('an INVITE from an unknown LAN address does not reach the provider', reached === 0, {
        expected: 'no INVITE at the provider',
        observed: reached === 0 ? 'none' : `${reached} INVITE(s) at the provider`,
        failure: `An INVITE without credentials from ${address}, an address that never registered, went on to the provider (an open relay on the line’s credentials)`,
      });
      ctx.check.that('the intruder’s INVITE is refused', !is2xx(r.status), {
        expected: 'a refusal (401/407, 403, 404, …) or no answer',
        observed: answered(r),
        failure: `The SBC answered an INVITE from the unknown LAN address ${address} with ${r.status}`,
      });
      ctx.note(`The INVITE from ${address} was answered ${answered(r)}.`);
    } finally {
      seen.stop();
      await intruder.stop();
    }
  },
});

export const wanAccess = testCase({
  id: 'S-2',
  section: 'S',
  title: 'WAN access: no call to the PBX from a non-provider address',
  steps: [
    'From a WAN address that is not the provider’s (security.wanIntruder), an INVITE for Premium Deskphone 1’s DID goes to the SBC’s WAN side',
    'Expected: no INVITE reaches the OXO, and the intruder is refused (403, 404, …) or not answered at all',
  ],
  needs: ['security:wan-access'],
  note: NOTE,
  async run(ctx) {
    const p = ctx.profile;
    const address = intruderAddress(ctx, 'wan');
    const plain = p.sbc.wan.transports.filter((t) => t !== 'tls');
    const want = p.provider.transport === 'tls' ? plain[0] : p.provider.transport;
    if (!want || !p.sbc.wan.transports.includes(want))
      throw new NotJudgedHere('the intruder sends over UDP or TCP, and the SBC’s WAN side lists neither');
    const protocol = PROTOCOLS[want];
    const intruder = await startIntruder(ctx, address, protocol);
    const seen = countInvites(ctx.oxo.ua);
    try {
      const did = ctx.oxo.extension('deskphone1').did;
      const target = sbcTarget(ctx, 'wan', protocol);
      const out = intruder.invite({
        method: 'INVITE',
        uri: `sip:${did}@${hostPort(target)}`,
        target,
        from: `<sip:${ctx.provider.phone('pstn2').number}@${p.provider.domain}>`,
        to: `<sip:${did}@${p.provider.domain}>`,
        body: staticOffer(address),
      });
      const r = await finalWithin(out, 8000);
      if (r.dialog) await intruder.bye(r.dialog).catch(() => undefined);
      await sleep(500);
      const reached = seen.count();
      ctx.check.that('an INVITE from a non-provider WAN address does not reach the OXO', reached === 0, {
        expected: 'no INVITE at the OXO',
        observed: reached === 0 ? 'none' : `${reached} INVITE(s) at the OXO`,
        failure: `An INVITE from ${address}, which is not the provider, went on to the OXO trunk`,
      });
      ctx.check.that('the intruder’s INVITE is refused', !is2xx(r.status), {
        expected: 'a refusal (403, 404, …) or no answer',
        observed: answered(r),
        failure: `The SBC answered an INVITE from the non-provider address ${address} with ${r.status}`,
      });
      ctx.note(`The INVITE from ${address} was answered ${answered(r)}.`);
    } finally {
      seen.stop();
      await intruder.stop();
    }
  },
});

export const registerReplay = testCase({
  id: 'S-3',
  section: 'S',
  title: 'Digest replay: a replayed REGISTER is refused',
  steps: [
    'The OXO trunk registers at the SBC; the harness keeps the Authorization header it sent',
    'From another LAN address (security.lanIntruder), a REGISTER without credentials: expected a challenge (else the case is not judged: the SBC does not examine that address)',
    'From that address, a REGISTER of the trunk user with that same Authorization (same nonce, nc and cnonce), a new Call-ID and the intruder’s Contact',
    'Expected: refused (401 with a new challenge, stale or not, 403, …), never 2xx (RFC 7616 §3.4, RFC 3261 §22.4); with the embedded SBC, no binding for the intruder',
  ],
  needs: ['security:digest-replay'],
  note: NOTE,
  async run(ctx) {
    const p = ctx.profile;
    let registered: import('../harness/sip/index.ts').SipRequest | undefined;
    const grab = (t: import('../harness/sip/index.ts').TraceEvent) => {
      const m = t.message;
      if (t.direction === 'out' && m?.isRequest && m.method === 'REGISTER' && m.has('authorization'))
        registered = m;
    };
    ctx.oxo.ua.transport.on('trace', grab);
    const status = await ctx.oxo.register().finally(() => ctx.oxo.ua.transport.off('trace', grab));
    if (
      !ctx.check.that('the trunk registers', status >= 200 && status < 300, {
        expected: '200 OK',
        observed: String(status),
        failure: `The OXO trunk’s registration at the SBC ended with ${status}, so there was nothing to replay`,
      })
    )
      return;
    const auth = registered?.get('authorization');
    if (!registered || !auth) {
      ctx.check.that('the trunk’s REGISTER is authenticated', false, {
        expected: 'a 401 challenge, then a REGISTER with Authorization',
        observed: 'accepted without credentials',
        failure: 'The SBC registered the trunk user without asking for credentials',
      });
      return;
    }
    const address = intruderAddress(ctx, 'lan');
    const protocol = PROTOCOLS[p.oxo.transport];
    const intruder = await startIntruder(ctx, address, protocol, p.oxo.trunk.user);
    try {
      const target = sbcTarget(ctx, 'lan', protocol);
      const aor = `sip:${p.oxo.trunk.user}@${p.oxo.trunk.domain}`;
      const send = (expires: number) =>
        within(
          intruder.runWithAuth(
            intruder.buildRequest(
              {
                method: 'REGISTER',
                uri: registered!.uri,
                from: aor,
                to: aor,
                headers: [
                  ['Expires', String(expires)],
                  ['Authorization', auth],
                ],
              },
              target,
            ),
            target,
          ),
          10_000,
        );
      // Control: the SBC examines requests from this address at all (a source held off, e.g. by an
      // earlier run's S-4, would refuse the replay for another reason).
      const probe = await registerOnce(intruder, { uri: registered.uri, aor, target }, undefined);
      if (probe === 'no answer' || (probe.status !== 401 && probe.status !== 407))
        throw new NotJudgedHere(
          `the SBC did not challenge a REGISTER from ${address} (${probe === 'no answer' ? 'no answer' : probe.status}), so a refused replay would prove nothing: is that address held off?`,
        );
      const r = await send(60);
      const st = r?.response?.status;
      const stale = /stale\s*=\s*"?true/i.test(r?.response?.get('www-authenticate') ?? '');
      const observed = st === undefined ? 'no answer' : `${st}${stale ? ' (new challenge, stale=true)' : ''}`;
      ctx.check.that('a replayed Authorization is refused', st === undefined || st >= 300, {
        expected: 'a refusal (401 with a new challenge, 403, …) or no answer',
        observed,
        failure: `The SBC accepted a REGISTER from ${address} that replayed the trunk’s Authorization (same nonce, nc and cnonce) with ${st}: whoever captured one REGISTER can take the trunk’s calls`,
      });
      if (ctx.sbc) {
        const contact = hostPort(intruder.transport.bound[0] ?? { address, port: 0 });
        const live = ctx.sbc.registrar.current().filter((b) => b.contact.includes(contact));
        ctx.check.that('no binding for the replayed REGISTER', live.length === 0, {
          expected: `no binding to ${contact}`,
          observed: live.map((b) => b.contact).join('; ') || 'none',
          failure: `The SBC bound the trunk user to the intruder’s contact ${contact}`,
        });
      }
      if (st !== undefined && st < 300) {
        // Undo it: the same replay with Expires 0, then the trunk registers again.
        await send(0);
        await ctx.oxo.register().catch(() => undefined);
      }
      ctx.note(`The replayed REGISTER from ${address} was answered ${observed}.`);
    } finally {
      await intruder.stop();
    }
  },
});

/** One REGISTER without automatic authentication: its final answer, or 'no answer' within `ms`. */
async function registerOnce(
  ua: UserAgent,
  spec: { uri: string; aor: string; target: import('../harness/sip/index.ts').SendTarget },
  auth: string | undefined,
  ms = 4000,
): Promise<SipResponse | 'no answer'> {
  const req = ua.buildRequest(
    {
      method: 'REGISTER',
      uri: spec.uri,
      from: spec.aor,
      to: spec.aor,
      headers: [['Expires', '60'], ...(auth ? [['Authorization', auth] as [string, string]] : [])],
    },
    spec.target,
  );
  const out = await within(ua.runWithAuth(req, spec.target), ms);
  return out?.response ?? 'no answer';
}

/**
 * S-4's judgement: the source is blocked (the right password was refused after the guesses) or
 * the guessing was slowed (wrong passwords examined no faster than `maxPerS`). Both are legal
 * ways to stop brute force; an SBC that examines every guess at speed and then accepts the right
 * password does neither.
 */
export function bruteForceVerdict(m: {
  examined: number;
  seconds: number;
  rightStatus: number | undefined;
  maxPerS: number;
}): { ok: boolean; blocked: boolean; slowed: boolean; rate: number } {
  const rate = m.examined / Math.max(0.001, m.seconds);
  const blocked = !(m.rightStatus !== undefined && m.rightStatus >= 200 && m.rightStatus < 300);
  const slowed = rate <= m.maxPerS;
  return { ok: blocked || slowed, blocked, slowed, rate };
}

/** Most time the guessing of S-4 goes on, ms. */
const BRUTE_FORCE_MAX_MS = 30_000;

export const bruteForce = testCase({
  id: 'S-4',
  section: 'S',
  title: 'Brute force: password guessing is blocked or slowed',
  steps: [
    'From a LAN address (security.lanIntruder), REGISTERs of the trunk user with wrong passwords, one after the other, each on the latest challenge: at most security.bruteForceAttempts, at most 30 s',
    'Then the right password from the same address; then the trunk registers again from its own address',
    'Expected: the source is blocked (the right password is refused after the guesses) or slowed (wrong passwords examined no faster than security.bruteForceMaxPerS per second); no wrong password is accepted; the trunk itself still registers',
  ],
  needs: ['security:brute-force'],
  timeoutMs: 120_000,
  note: NOTE,
  async run(ctx) {
    const p = ctx.profile;
    const max = p.security.bruteForceAttempts;
    const address = intruderAddress(ctx, 'lan');
    const protocol = PROTOCOLS[p.oxo.transport];
    const intruder = await startIntruder(ctx, address, protocol, p.oxo.trunk.user);
    try {
      const target = sbcTarget(ctx, 'lan', protocol);
      const spec = {
        uri: `sip:${hostPort(target)}`,
        aor: `sip:${p.oxo.trunk.user}@${p.oxo.trunk.domain}`,
        target,
      };
      const counts = new Map<number, number>();
      const bump = (s: number | 'no answer') => {
        const k = s === 'no answer' ? 0 : s;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      };
      let guesses = 0;
      let examined = 0;
      let acceptedWrong = 0;
      let quiet = 0;
      let challenge: string[] | undefined;
      const salt = Math.random().toString(36).slice(2, 8);
      const t0 = performance.now();
      while (guesses < max && performance.now() - t0 < BRUTE_FORCE_MAX_MS && quiet < 3) {
        if (!challenge) {
          const r = await registerOnce(intruder, spec, undefined);
          const ch =
            r !== 'no answer' && (r.status === 401 || r.status === 407)
              ? r.getAll(r.status === 401 ? 'www-authenticate' : 'proxy-authenticate')
              : [];
          if (ch.length === 0) {
            bump(r === 'no answer' ? r : r.status);
            quiet++;
            continue;
          }
          challenge = ch;
        }
        const guess = new DigestClient({ username: p.oxo.trunk.user, password: `guess-${salt}-${guesses}` });
        const auth = guess.authorize(challenge, 'REGISTER', spec.uri);
        if (!auth) throw new HarnessError('the SBC’s digest challenge could not be answered');
        guesses++;
        const r = await registerOnce(intruder, spec, auth);
        challenge = undefined;
        if (r === 'no answer') {
          bump(r);
          quiet++;
          continue;
        }
        bump(r.status);
        if (r.status >= 200 && r.status < 300) acceptedWrong++;
        if (r.status === 401 || r.status === 403 || r.status === 407) {
          examined++;
          quiet = 0;
          const again = r.getAll(r.status === 407 ? 'proxy-authenticate' : 'www-authenticate');
          if (r.status !== 403 && again.length > 0) challenge = again;
        } else quiet++;
      }
      const seconds = Math.max(0.001, (performance.now() - t0) / 1000);
      const right = await within(
        intruder.register({
          registrar: spec.uri,
          aor: spec.aor,
          expires: 60,
          target,
          credentials: { username: p.oxo.trunk.user, password: p.oxo.trunk.password },
        }),
        10_000,
      );
      const rightStatus = right?.response?.status;
      const rightOk = rightStatus !== undefined && rightStatus >= 200 && rightStatus < 300;
      if (rightOk)
        await within(
          intruder.register({
            registrar: spec.uri,
            aor: spec.aor,
            expires: 0,
            target,
            credentials: { username: p.oxo.trunk.user, password: p.oxo.trunk.password },
          }),
          10_000,
        );
      const { ok, blocked, rate } = bruteForceVerdict({
        examined,
        seconds,
        rightStatus,
        maxPerS: p.security.bruteForceMaxPerS,
      });
      const summary = [...counts].map(([s, n]) => `${s === 0 ? 'no answer' : s} × ${n}`).join(', ');
      const measured = `${guesses} wrong passwords in ${seconds.toFixed(1)} s, ${examined} examined (${rate.toFixed(1)}/s); answers: ${summary}; the right password from ${address} afterwards: ${rightStatus ?? 'no answer'}`;
      ctx.note(`Brute force: ${measured}.`);
      if (ok) ctx.note(blocked ? 'The source was blocked.' : 'The guessing was slowed.');
      ctx.check.that('password guessing is blocked or slowed', ok, {
        expected: `the source blocked (the right password refused afterwards) or at most ${p.security.bruteForceMaxPerS} guesses examined per second`,
        observed: measured,
        failure: `The SBC examined ${examined} wrong passwords from ${address} at ${rate.toFixed(0)} per second without holding the source off, then accepted the right one (${rightStatus}): the trunk password can be guessed at full speed`,
      });
      ctx.check.that('no wrong password is accepted', acceptedWrong === 0, {
        expected: 'every wrong password refused',
        observed: `${acceptedWrong} accepted`,
        failure: `The SBC accepted ${acceptedWrong} REGISTERs with a wrong password`,
      });
      const trunk = await ctx.oxo.register();
      ctx.check.that('the trunk still registers from its own address', trunk >= 200 && trunk < 300, {
        expected: '200 OK',
        observed: String(trunk),
        failure: `After the guessing from ${address}, the OXO trunk’s own registration ended with ${trunk}: the attacker locked the trunk out`,
      });
    } finally {
      await intruder.stop();
    }
  },
});

/** What a TLS client sees of the SBC's certificate, checked against `ca` (the system's CAs when undefined). */
async function probeCertificate(
  address: string,
  port: number,
  ca: string | undefined,
): Promise<{ handshake: boolean; authorized: boolean; why?: string; subject?: string; issuer?: string }> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: address, port, ...(ca ? { ca } : {}), rejectUnauthorized: false });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ handshake: false, authorized: false, why: 'no TLS handshake within 5 s' });
    }, 5000);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = s.getPeerCertificate();
      const identity = tls.checkServerIdentity(address, cert);
      const why = s.authorizationError ? String(s.authorizationError) : identity?.message;
      resolve({
        handshake: true,
        authorized: s.authorized && !identity,
        ...(why ? { why } : {}),
        subject: String(cert.subject?.CN ?? '?'),
        issuer: String(cert.issuer?.CN ?? '?'),
      });
      s.destroy();
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      resolve({ handshake: false, authorized: false, why: e.message });
    });
  });
}

export const tlsCertificates = testCase({
  id: 'S-5',
  section: 'S',
  title: 'TLS certificates on the carrier side: the SBC’s verifies, a wrong provider’s is refused',
  steps: [
    'The SBC is set to SIP over TLS toward the provider',
    'A TLS client connects to the SBC’s WAN TLS port and checks its certificate against the profile’s CA (tls.ca; the lab’s own CA with the embedded SBC) and the SBC’s address',
    'The provider then presents a self-signed certificate (its open TLS connections are closed); Premium Deskphone 1 calls a PSTN phone',
    'Expected: the SBC’s certificate verifies; the SBC refuses the provider’s wrong certificate: no INVITE reaches the provider and the call is not established',
  ],
  needs: ['sbc:tls', 'security:tls-certificate'],
  sbc: { providerTransport: 'tls' },
  note: NOTE,
  async run(ctx) {
    const p = ctx.profile;
    const wan = sbcTarget(ctx, 'wan', 'TLS');
    const ca = ctx.lab.tlsCa;
    const probe = await probeCertificate(wan.address, wan.port, ca);
    const against = ca ? (ctx.sbc ? 'the lab’s CA' : 'the CA of tls.ca') : 'the system’s CAs';
    ctx.check.that('the SBC’s certificate verifies', probe.authorized, {
      expected: `a certificate for ${wan.address} that verifies against ${against}`,
      observed: probe.handshake
        ? `subject ${probe.subject}, issuer ${probe.issuer}${probe.why ? `: ${probe.why}` : ', verified'}`
        : `no handshake: ${probe.why}`,
      failure: probe.handshake
        ? `The SBC’s TLS certificate does not verify against ${against} (${probe.why})`
        : `No TLS handshake with the SBC at ${hostPort(wan)} (${probe.why})`,
    });
    const wrong = await selfSignedCertificate('wrong-provider.test', [p.provider.address]);
    const before = ctx.provider.ua.transport.replaceTlsCertificate(wrong);
    const seen = countInvites(ctx.provider.ua);
    try {
      // Let the SBC see its old connections close, so that its next request opens a new one.
      await sleep(500);
      const phone = ctx.provider.phone('pstn1');
      let far: Call | undefined;
      const onCall = (c: Call) => {
        far ??= c;
      };
      phone.on('call', onCall);
      const out = await ctx.oxo.extension('deskphone1').call(`${p.oxo.outgoingPrefix}${phone.number}`);
      if (!('media' in out)) throw new HarnessError('the call to the PSTN phone stayed inside the PBX');
      const up = (await within(out.established(), 15_000)) ?? false;
      phone.off('call', onCall);
      if (out.state === 'calling' || out.state === 'ringing' || up) await out.hangup().catch(() => undefined);
      // The SBC's BYE to the provider crosses the connection that is about to be closed.
      if (far) await releasedWithin(far, CALL_RELEASE_BOUND_MS);
      const reached = seen.count();
      ctx.check.that('the SBC refuses a provider whose certificate does not verify', reached === 0 && !up, {
        expected: 'no INVITE reaches the provider; the call fails',
        observed: `${reached} INVITE(s) at the provider; the call ${up ? 'was established' : `ended with ${out.status ?? 'no final response'}`}`,
        failure: `The SBC sent its INVITE over TLS to a provider presenting a self-signed certificate${up ? ' and the call was established' : ''}: it does not verify the provider’s certificate`,
        dependsOn: ['providerTransport'],
      });
    } finally {
      seen.stop();
      if (before) ctx.provider.ua.transport.replaceTlsCertificate(before);
    }
  },
});

export const noAckCleanup = testCase({
  id: 'S-6',
  section: 'S',
  title: 'A call never ACKed is cleaned up',
  steps: [
    'From the trunk’s address, with the trunk’s credentials if challenged, an INVITE to a PSTN phone that is answered, but whose 200 OK is never ACKed',
    'Expected: within 64×T1 (plus 8 s) the provider’s leg is released (a BYE from the SBC, or its own BYE where the SBC is a proxy; RFC 3261 §13.3.1.4)',
    'Then, once the unACKed caller’s own side is released too (at most 5 s; not judged) and 250 ms more, Premium Deskphone 1 calls the PSTN phone: expected established',
  ],
  needs: ['security:no-ack-cleanup'],
  waits: { fullMs: 45_000, quickMs: 45_000 },
  note: NOTE,
  async run(ctx) {
    const p = ctx.profile;
    const t1 = ctx.lab.opts.timers?.t1 ?? 500;
    const boundMs = 64 * t1 + 8000;
    const protocol = PROTOCOLS[p.oxo.transport];
    const rogue = await startIntruder(ctx, p.oxo.address, protocol, p.oxo.trunk.user);
    // This caller never ACKs a 2xx.
    rogue.sendAck = () => undefined;
    // So the provider may never see an ACK either: a B2BUA SBC ACKs the provider's 2xx itself,
    // a proxy relays the caller's ACK end to end and has none to relay. Both are legal.
    ctx.waiveSipRule(
      'ack-2xx',
      'provider',
      'the caller of S-6 never ACKs on purpose; a B2BUA SBC ACKs the provider’s 2xx itself, a proxy relays the caller’s ACK end to end (RFC 3261 §13.2.2.4, §16.6) and has none to relay',
    );
    const phone = ctx.provider.phone('pstn1');
    let pstn: Call | undefined;
    const onCall = (c: Call) => {
      pstn ??= c;
    };
    phone.on('call', onCall);
    try {
      const domain = p.oxo.trunk.domain;
      const out = rogue.invite({
        method: 'INVITE',
        uri: `sip:${phone.number}@${domain}`,
        target: sbcTarget(ctx, 'lan', protocol),
        from: `<sip:${ctx.oxo.extension('deskphone1').did}@${domain}>`,
        to: `<sip:${phone.number}@${domain}>`,
        body: staticOffer(p.oxo.address),
        credentials: { username: p.oxo.trunk.user, password: p.oxo.trunk.password },
      });
      const r = await finalWithin(out, 15_000);
      if (!is2xx(r.status) || !pstn)
        throw new NotJudgedHere(
          `the test call from the trunk’s address was not answered (${answered(r)}), so a missing ACK could not be tried`,
        );
      const leg = pstn;
      ctx.expectSilence(leg, 'the caller of S-6 never ACKs and sends no media');
      const t0 = performance.now();
      let by = '';
      leg.once('ended', (who) => {
        by = who === 'remote' ? 'a BYE from the SBC' : who === 'local' ? 'its own BYE' : 'a failure';
      });
      const released = await releasedWithin(leg, boundMs);
      const after = ((performance.now() - t0) / 1000).toFixed(1);
      ctx.check.that('the provider leg of the unACKed call is released', released, {
        expected: `released within ${(boundMs / 1000).toFixed(0)} s (64×T1 + 8 s)`,
        observed: released ? `released after ${after} s by ${by}` : `still ${leg.state}`,
        failure: `The provider leg of a call whose 200 OK was never ACKed was still ${leg.state} ${(boundMs / 1000).toFixed(0)} s later: the SBC never cleans it up`,
      });
      if (!released) await leg.hangup().catch(() => undefined);
      // The caller's side is owed a BYE too: the SBC's own as a B2BUA (RFC 3261 §13.3.1.4, a
      // SHOULD), the provider's relayed as a proxy. An SBC that counts the call (a licence of
      // sessions) until both of its BYEs are answered would refuse a next call sent before, so
      // that call waits for it, then a moment more for the answer to reach the SBC. Not judged.
      if (r.dialog) {
        const callerSide = await dialogEndedWithin(r.dialog, CALL_RELEASE_BOUND_MS);
        ctx.note(
          callerSide
            ? 'The unACKed caller’s own side was released too, before the next call.'
            : `The unACKed caller’s own side got no BYE within ${CALL_RELEASE_BOUND_MS / 1000} s of the provider leg’s release (RFC 3261 §13.3.1.4: SHOULD; not judged).`,
        );
      }
      await sleep(NEXT_CALL_SETTLE_MS);
      const ext = ctx.oxo.extension('deskphone1');
      const next = await ext.call(`${p.oxo.outgoingPrefix}${phone.number}`);
      if (!('media' in next)) throw new HarnessError('the call to the PSTN phone stayed inside the PBX');
      const ok = (await within(next.established(), 15_000)) ?? false;
      ctx.check.that('the next call works', ok, {
        expected: 'Premium Deskphone 1 to the PSTN phone established',
        observed: ok ? 'established' : `ended with ${next.status ?? 'no final response'}`,
        failure: `After the unACKed call, the next call from Premium Deskphone 1 ended with ${next.status ?? 'no final response'}`,
      });
      await next.hangup().catch(() => undefined);
    } finally {
      phone.off('call', onCall);
      await rogue.stop();
    }
  },
});

export const inviteFloodCase = testCase({
  id: 'S-7',
  section: 'S',
  title: 'INVITE flood from one source: the trunk still calls',
  steps: [
    'From a WAN address that is not the provider’s (security.wanIntruder), security.floodInvites INVITEs over UDP to the SBC’s WAN side, spread over security.floodSeconds',
    'A quarter into the flood, Premium Deskphone 1 calls a PSTN phone; after the flood, it calls again',
    'Expected: both calls are established',
  ],
  needs: ['security:invite-flood'],
  note: NOTE,
  async run(ctx) {
    const p = ctx.profile;
    if (!p.sbc.wan.transports.includes('udp'))
      throw new NotJudgedHere(
        'the flood is sent over UDP, and the SBC’s WAN side has no UDP (sbc.wan.transports)',
      );
    const address = intruderAddress(ctx, 'wan');
    const target = sbcTarget(ctx, 'wan', 'UDP');
    const ext = ctx.oxo.extension('deskphone1');
    const number = ctx.provider.phone('pstn1').number;
    const call = async (when: string) => {
      const out = await ext.call(`${p.oxo.outgoingPrefix}${number}`);
      if (!('media' in out)) throw new HarnessError('the call to the PSTN phone stayed inside the PBX');
      const ok = (await within(out.established(), 15_000)) ?? false;
      ctx.check.that(`the trunk calls out ${when}`, ok, {
        expected: 'Premium Deskphone 1 to the PSTN phone established',
        observed: ok ? 'established' : `ended with ${out.status ?? 'no final response'}`,
        failure: `${when === 'during the flood' ? 'During' : 'After'} an INVITE flood from ${address}, the trunk’s call to the PSTN ended with ${out.status ?? 'no final response'}`,
      });
      await out.hangup().catch(() => undefined);
    };
    const flood = inviteFlood({
      from: address,
      target,
      count: p.security.floodInvites,
      seconds: p.security.floodSeconds,
      user: '100',
    });
    await sleep(p.security.floodSeconds * 250);
    await call('during the flood');
    const f = await flood;
    await call('after the flood');
    ctx.note(
      `Flood: ${f.sent} INVITEs from ${address} in ${(f.durationMs / 1000).toFixed(1)} s; answers: ${statusSummary(f.finals)}${f.provisional > 0 ? `, ${f.provisional} provisional` : ''}.`,
    );
  },
});

export const malformedBurstCase = testCase({
  id: 'S-8',
  section: 'S',
  title: 'A burst of malformed SIP: the SBC keeps answering and a call still works',
  steps: [
    'From a WAN address that is not the provider’s (security.wanIntruder), security.malformedMessages malformed SIP messages over UDP to the SBC’s WAN side, at most security.malformedPerS per second (at most 60 s): cut, bytes flipped, broken request lines, wrong Content-Length, missing or mangled headers, over-long lines, raw noise',
    'Then the provider and the OXO each send OPTIONS to the SBC, and Premium Deskphone 1 calls a PSTN phone',
    'Expected: both OPTIONS are answered, and the call is established',
  ],
  needs: ['security:malformed-input'],
  timeoutMs: 120_000,
  note: NOTE,
  async run(ctx) {
    const p = ctx.profile;
    if (!p.sbc.wan.transports.includes('udp'))
      throw new NotJudgedHere(
        'the burst is sent over UDP, and the SBC’s WAN side has no UDP (sbc.wan.transports)',
      );
    const address = intruderAddress(ctx, 'wan');
    const b = await malformedBurst({
      from: address,
      target: sbcTarget(ctx, 'wan', 'UDP'),
      count: p.security.malformedMessages,
      perS: p.security.malformedPerS,
      seed: 15,
    });
    ctx.note(
      `Burst: ${b.sent} malformed messages from ${address} in ${(b.durationMs / 1000).toFixed(1)} s; ${b.answers} answers.`,
    );
    for (const [who, ua, side, protocol] of [
      [
        'the provider',
        ctx.provider.ua,
        'wan',
        PROTOCOLS[p.provider.transport === 'tls' ? 'udp' : p.provider.transport],
      ],
      ['the OXO', ctx.oxo.ua, 'lan', PROTOCOLS[p.oxo.transport]],
    ] as const) {
      const target = sbcTarget(ctx, side, protocol);
      const out = await within(
        ua.request({ method: 'OPTIONS', uri: `sip:${hostPort(target)}`, target }),
        5000,
      );
      const status = out?.response?.status;
      ctx.check.that(`the SBC answers OPTIONS from ${who} after the burst`, status !== undefined, {
        expected: 'a final answer within 5 s',
        observed: status === undefined ? 'no answer' : String(status),
        failure: `After a burst of malformed SIP from ${address}, the SBC did not answer an OPTIONS from ${who} within 5 s`,
      });
    }
    const out = await ctx.oxo
      .extension('deskphone1')
      .call(`${p.oxo.outgoingPrefix}${ctx.provider.phone('pstn1').number}`);
    if (!('media' in out)) throw new HarnessError('the call to the PSTN phone stayed inside the PBX');
    const ok = (await within(out.established(), 15_000)) ?? false;
    ctx.check.that('a call works after the burst', ok, {
      expected: 'Premium Deskphone 1 to the PSTN phone established',
      observed: ok ? 'established' : `ended with ${out.status ?? 'no final response'}`,
      failure: `After a burst of malformed SIP from ${address}, the trunk’s call to the PSTN ended with ${out.status ?? 'no final response'}`,
    });
    await out.hangup().catch(() => undefined);
  },
});

export const SECURITY_CASES = [
  lanAccess,
  wanAccess,
  registerReplay,
  bruteForce,
  tlsCertificates,
  noAckCleanup,
  inviteFloodCase,
  malformedBurstCase,
];

/** The section's title and objective, for the reports (scenarios/index.ts). */
export const SECURITY_SECTION = {
  title: 'SBC security (not in the report)',
  objective:
    'What an attacker or a broken peer does to the SBC: calls from unknown addresses on either side, replayed and guessed credentials, TLS certificates, calls never ACKed, an INVITE flood, malformed SIP. Judged on the SBC under test; docs/security.md.',
};
