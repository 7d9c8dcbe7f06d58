/**
 * The trunk features of the report's summary (section 6.1) as cases T-1 … T-9: the SBC
 * reachable on both sides, the OXO trunk's registration at the SBC, the SBC's line at the
 * provider, digest authentication, media anchoring, TLS and SRTP toward the provider, fax
 * over G.711, and T.38 (not applicable in this lab, as in the report).
 */

import { codecByName } from '../codecs/index.ts';
import { type Call, MediaLeg, pcmSource, toneSource } from '../harness/actors/index.ts';
import { checkWideband } from '../harness/media/analysis/index.ts';
import { jitterOutsideStalls, parseRtp } from '../harness/media/rtp/index.ts';
import {
  type CaseContext,
  listenWindow,
  NotJudgedHere,
  stallText,
  testCase,
  unjudgedIfStalled,
} from '../harness/runner/index.ts';
import { type SendTarget, type TransportProtocol, UserAgent } from '../harness/sip/index.ts';
import { callExtension, callExternal, hangUp, mediaSettled } from './call-helpers.ts';
import { contactAt } from './contact-host.ts';
import {
  CED_HZ,
  CED_TOLERANCE_HZ,
  CNG_HZ,
  CNG_TOLERANCE_HZ,
  calledFaxSignal,
  cngSignal,
  demodulateV21,
  findToneBursts,
} from './fax-signals.ts';
import { codecLabel, sdpFacts } from './sdp-facts.ts';

const PROTOCOLS: Record<'udp' | 'tcp' | 'tls', TransportProtocol> = { udp: 'UDP', tcp: 'TCP', tls: 'TLS' };

/** Where the SBC listens on one side for one protocol (the embedded SBC's ports are ephemeral). */
export function sbcTarget(ctx: CaseContext, side: 'lan' | 'wan', protocol: TransportProtocol): SendTarget {
  if (ctx.sbc) {
    const l =
      side === 'lan'
        ? ctx.sbc.lanListener(protocol === 'TCP' ? 'TCP' : 'UDP')
        : ctx.sbc.wanListener(protocol);
    return { protocol, address: l.address, port: l.port };
  }
  const s = side === 'lan' ? ctx.profile.sbc.lan : ctx.profile.sbc.wan;
  const port = protocol === 'TLS' && side === 'wan' ? ctx.profile.sbc.wan.tlsPort : s.port;
  return { protocol, address: s.address, port };
}

export function hostPort(t: { address: string; port: number }): string {
  return `${t.address.includes(':') ? `[${t.address}]` : t.address}:${t.port}`;
}

function statusText(status: number): string {
  return status === 408
    ? '408 (no answer, timeout)'
    : status === 503
      ? '503 (transport error)'
      : String(status);
}

export const sbcReachable = testCase({
  id: 'T-1',
  section: '6.1',
  title: 'Initialisation and network configuration: SBC reachable on both sides',
  steps: [
    'The OXO trunk sends OPTIONS to the SBC’s LAN address over each LAN transport the profile lists',
    'The provider sends OPTIONS to the SBC’s WAN address over each WAN transport the profile lists',
    'Expected: every OPTIONS gets a final answer from the SBC: 200 OK, or what an INVITE to the same address would get (RFC 3261 §11.2: a 401/407 challenge, 404, 484, 416 or 405); a 403, 5xx or 6xx refuses or fails the side’s peer',
  ],
  async run(ctx) {
    const p = ctx.profile;
    // The OXO trunk talks to the SBC over its own transport only; the provider has every listener.
    const lan = p.sbc.lan.transports.filter((t) => t === p.oxo.transport);
    const sides: Array<{ side: 'lan' | 'wan'; ua: UserAgent; protocols: TransportProtocol[] }> = [
      { side: 'lan', ua: ctx.oxo.ua, protocols: lan.map((t) => PROTOCOLS[t]) },
      { side: 'wan', ua: ctx.provider.ua, protocols: p.sbc.wan.transports.map((t) => PROTOCOLS[t]) },
    ];
    const untried = p.sbc.lan.transports.filter((t) => t !== p.oxo.transport);
    if (untried.length > 0)
      ctx.note(
        `LAN ${untried.map((t) => t.toUpperCase()).join('/')} not tried: the OXO trunk uses ${p.oxo.transport.toUpperCase()}.`,
      );
    for (const s of sides) {
      for (const protocol of s.protocols) {
        const target = sbcTarget(ctx, s.side, protocol);
        const scheme = protocol === 'TLS' ? 'sips' : 'sip';
        const tp = protocol === 'UDP' ? '' : `;transport=${protocol.toLowerCase()}`;
        const out: { status: number; response?: unknown } = await s.ua
          .request({ method: 'OPTIONS', uri: `${scheme}:${hostPort(target)}${tp}`, target })
          .catch(() => ({ status: 503 }));
        const where = `the SBC’s ${s.side.toUpperCase()} side (${protocol} ${hostPort(target)})`;
        // Only a response that arrived counts: a 408 or 503 without one is our own stack's (no
        // answer, or a transport error). Of those, what an INVITE to an address without a user
        // may get (RFC 3261 §11.2) shows the SBC reachable and serving this side: 2xx, a
        // challenge (401/407), 404/484/416 (no one to route to), 405; a 403, 5xx or 6xx refuses
        // or fails this side's peer, which the plan's trunk cannot live with.
        const arrived = out.response !== undefined && out.status >= 200;
        const st = out.status;
        const serving = arrived && ((st >= 200 && st < 300) || [401, 404, 405, 407, 416, 484].includes(st));
        const code = arrived ? String(st) : `${statusText(st)}, from our own stack: nothing arrived`;
        ctx.check.that(`OPTIONS to ${where}`, serving, {
          expected:
            'a final answer from the SBC: 200 OK, or what an INVITE to its address would get (RFC 3261 §11.2: a 401/407 challenge, 404, 484, 416, 405)',
          observed: code,
          failure: arrived
            ? `The SBC answered OPTIONS on its ${s.side.toUpperCase()} side over ${protocol} with ${st}: it refuses or fails this side's peer`
            : `The SBC did not answer OPTIONS on its ${s.side.toUpperCase()} side over ${protocol} (${code})`,
        });
        if (serving && !(st >= 200 && st < 300))
          ctx.note(
            `The SBC answered OPTIONS on its ${s.side.toUpperCase()} side over ${protocol} with ${st} (RFC 3261 §11.2: the answer an INVITE there would get; reachable).`,
          );
      }
    }
  },
});

export const oxoRegistration = testCase({
  id: 'T-2',
  section: '6.1',
  title: 'SIP registration: the OXO trunk registers at the SBC',
  steps: [
    'The OXO trunk registers at the SBC’s LAN address (registrar = outbound proxy = the SBC) with its trunk user',
    'Expected: the SBC challenges the REGISTER (401), accepts it with the digest (200) and binds the OXO’s contact',
    'The OXO refreshes its registration; expected: 200 OK, the binding is refreshed, not duplicated',
    'A call from the PSTN reaches the OXO through the binding',
  ],
  async run(ctx) {
    const oxo = ctx.oxo;
    const first = oxo.registrations[0];
    ctx.check.that('the SBC challenges the OXO trunk’s REGISTER', first?.challenged === true, {
      expected: '401 with a digest challenge before 200',
      observed: first
        ? first.challenged
          ? 'challenged'
          : `answered ${first.status} without a challenge`
        : 'no REGISTER',
      failure: 'The SBC accepted the OXO trunk’s REGISTER without a digest challenge',
    });
    // A registrar may refuse an interval below its minimum with 423 and Min-Expires (RFC 3261
    // §10.3 step 7); the OXO then asks again with it (§10.2.8), and that is the interval asked.
    const asked = first?.intervalTooBrief ?? ctx.profile.oxo.trunk.expires;
    ctx.check.that('the SBC accepts the OXO trunk’s registration', first?.status === 200, {
      expected: `200 OK, expires ≤ ${asked} s`,
      observed: first
        ? `${first.status}, expires ${first.expires ?? '-'} s${first.intervalTooBrief !== undefined ? ` (asked again with ${first.intervalTooBrief} s after 423 Interval Too Brief to ${ctx.profile.oxo.trunk.expires} s)` : ''}`
        : 'no REGISTER',
      failure: `The SBC answered the OXO trunk’s REGISTER with ${first?.status ?? 'nothing'}`,
    });
    if (first?.intervalTooBrief !== undefined)
      ctx.note(
        `The SBC's registrar answered the OXO trunk's Expires: ${ctx.profile.oxo.trunk.expires} with 423 Interval Too Brief (Min-Expires: ${first.intervalTooBrief}); the OXO asked again with ${first.intervalTooBrief} s (RFC 3261 §10.3, §10.2.8).`,
      );
    const bound = oxo.ua.transport.bound[0];
    const oxoAt = bound ? hostPort(bound) : '?';
    const sbc = ctx.sbc;
    if (sbc) {
      const live = sbc.registrar.current();
      const mine = live.filter((b) => b.contact.includes(oxoAt));
      ctx.check.that('the SBC holds the OXO trunk’s binding', mine.length === 1, {
        expected: `one binding sip:${ctx.profile.oxo.trunk.user}@… → ${oxoAt}`,
        observed: live.length > 0 ? live.map((b) => `${b.aor} → ${b.contact}`).join('; ') : 'no binding',
        failure: `The SBC holds no binding for the OXO trunk at ${oxoAt}`,
      });
    }
    const before = sbc?.registrar.current()[0]?.expiresAtMs ?? 0;
    let refreshed = 0;
    const onBinding = (_b: unknown, what: string) => {
      if (what === 'refreshed') refreshed++;
    };
    sbc?.on('binding', onBinding);
    const status = await oxo.register();
    sbc?.off('binding', onBinding);
    ctx.note(
      `The OXO refreshes at half the granted interval (${Math.round((first?.expires ?? ctx.profile.oxo.trunk.expires) / 2)} s); the case triggers the refresh at once.`,
    );
    ctx.check.that('the SBC accepts the refresh', status === 200, {
      expected: '200 OK',
      observed: String(status),
      failure: `The SBC answered the OXO trunk’s refresh with ${status}`,
    });
    if (sbc) {
      const live = sbc.registrar.current();
      const after = live[0]?.expiresAtMs ?? 0;
      ctx.check.that(
        'the refresh renews the binding',
        refreshed >= 1 && live.length === 1 && after >= before,
        {
          expected: 'one binding, refreshed, expiry moved on',
          observed: `${live.length} binding(s), ${refreshed} refresh event(s), expiry ${after >= before ? 'moved on' : 'moved back'}`,
          failure:
            live.length > 1
              ? `The refresh added a second binding instead of renewing the first (${live.length} bindings)`
              : 'The refresh did not renew the OXO trunk’s binding at the SBC',
        },
      );
    }
    const c = await callExtension(ctx, 'pstn1', oxo.extension('deskphone1'));
    await hangUp(c);
  },
});

export const lineRegistration = testCase({
  id: 'T-3',
  section: '6.1',
  title: 'SIP registration: the SBC registers its line at the provider',
  steps: [
    'The SBC registers its SIP line at the provider’s registrar with the line’s credentials',
    'Expected: the provider challenges (401), accepts the digest (200) and holds a binding to the SBC’s WAN address',
  ],
  async run(ctx) {
    const line = ctx.profile.provider.line;
    if (!ctx.sbc && ctx.provider.registered(line.user).length === 0) {
      // A real SBC registers on its own timer: wait for it, counting from the run's start.
      const deadline = (ctx.runStartedAtMs ?? Date.now()) + line.registrationWaitS * 1000;
      const left = Math.max(0, deadline - Date.now());
      if (left > 0) {
        ctx.log.warn(
          `T-3: waiting up to ${Math.ceil(left / 1000)} s for the SBC to register line ${line.user} at ${ctx.profile.provider.address}:${ctx.profile.provider.port}; re-enable the SBC's line (or restart its registration) to make it register now`,
        );
        ctx.step(`waiting ${Math.ceil(left / 1000)} s: the SBC's registration of line ${line.user}`);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          ctx.provider.waitRegistered(line.user),
          new Promise<void>((r) => {
            timer = setTimeout(r, left);
          }),
        ]);
        if (timer) clearTimeout(timer);
      }
    }
    const regs = ctx.provider.registrations;
    if (!ctx.sbc && !regs.some((r) => r.username === line.user))
      // Nothing arrived to judge: the SBC registers on its own timer (it may have registered at
      // a provider of an earlier run, and refreshes only later). That is no fault of the SBC.
      throw new NotJudgedHere(
        `no REGISTER of line ${line.user} reached the provider simulator within ${line.registrationWaitS} s of the run's start, so the SBC's registration could not be judged; make the SBC register now (re-enable its line) or raise provider.line.registrationWaitS`,
      );
    const firstOk = regs.findIndex((r) => r.status === 200 && r.verdict === 'ok' && r.username === line.user);
    const challenged = regs.slice(0, Math.max(0, firstOk)).some((r) => r.status === 401);
    ctx.check.that(
      'the line’s REGISTER is challenged, then accepted with the digest',
      firstOk >= 0 && challenged,
      {
        expected: `401, then 200 for ${line.user}`,
        observed: regs.map((r) => `${r.status} (${r.verdict})`).join(', ') || 'no REGISTER',
        failure:
          firstOk < 0
            ? ctx.sbc
              ? `The provider never accepted the SBC’s registration of line ${line.user}`
              : `The provider accepted no registration of line ${line.user} from the SBC within ${line.registrationWaitS} s of the run’s start (make the SBC register sooner, e.g. by re-enabling its line, or raise provider.line.registrationWaitS)`
            : 'The SBC’s line was registered without a digest challenge',
      },
    );
    const b = ctx.provider.registered(line.user)[0];
    const wan = ctx.profile.sbc.wan.address;
    // The Contact's host: the WAN address, or a host name that resolves to it (RFC 3261 §19.1.1, RFC 3263).
    const at = b ? await contactAt(b.contact, wan) : undefined;
    const resolvedWords =
      at && at.verdict !== 'unreadable' && 'resolved' in at && at.resolved
        ? ` (${at.host} resolves to ${at.resolved.join(', ')}, as this machine resolves it: hosts file, then DNS)`
        : '';
    // A name that does not exist (ENOTFOUND, ENODATA) cannot be sent to: the binding is unusable.
    // A resolver that did not answer (a timeout, EAI_AGAIN) says nothing about the SBC.
    const missing = at?.verdict === 'unresolved' && /^(ENOTFOUND|ENODATA)$/.test(at.why);
    ctx.check.that('the provider holds a binding to the SBC’s WAN address', at?.verdict === 'same', {
      expected: `a contact at ${wan} (that address, or a host name that resolves to it)`,
      observed: b
        ? `${b.contact}${resolvedWords}${at?.verdict === 'unresolved' ? ` (${at.host}: ${at.why})` : ''}, ${Math.round((b.expiresAtMs - ctx.provider.clock.now()) / 1000)} s left`
        : 'no binding',
      failure: !b
        ? `The provider holds no binding for line ${line.user}`
        : missing && at?.verdict === 'unresolved'
          ? `The SBC registered contact ${b.contact}, whose host name ${at.host} does not resolve (${at.why}, as this machine's resolver sees it): a provider cannot send to it (RFC 3263)`
          : `The SBC registered contact ${b.contact}${resolvedWords}, not its WAN address ${wan}`,
      ...(at?.verdict === 'unresolved' && !missing
        ? {
            incomplete: `the registered contact names host ${at.host}, which this machine's resolver did not answer for (${at.why}): whether it is the SBC’s WAN address ${wan} was not judged; run T-3 again when the resolver answers. The provider simulator on this machine sends its in-dialog requests (ACK, BYE) to that name too, so calls may fail here for the same reason, not the SBC's`,
          }
        : {}),
    });
    if (ctx.sbc) {
      const state = ctx.sbc.lineState;
      ctx.check.equal(
        'the SBC’s line state',
        state,
        'registered',
        `The SBC reports its provider line as ${state}`,
      );
    }
  },
});

export const digestAuthentication = testCase({
  id: 'T-4',
  section: '6.1',
  title: 'SIP authentication: digest on the trunk',
  steps: [
    'The OXO trunk registers at the SBC with the right password: challenged, then accepted',
    'A second registration of the trunk user from another port, without credentials: expected 401 with a challenge',
    'The same with a wrong password: expected a refusal after the challenge — 403 Forbidden, or a new 401 challenge that does not say stale=true (RFC 3261 §22.2, §22.4, §21.4.2; RFC 7616 §3.3) — and no binding for it at the SBC',
  ],
  async run(ctx) {
    const first = ctx.oxo.registrations[0];
    ctx.check.that('the right password is accepted', first?.challenged === true && first.status === 200, {
      expected: '401 challenge, then 200 OK',
      observed: first ? `${first.challenged ? '401, then ' : ''}${first.status}` : 'no REGISTER',
      failure: `The OXO trunk’s registration with the right password ended with ${first?.status ?? 'nothing'}`,
    });
    const p = ctx.profile;
    const rogue = await UserAgent.start({
      listen: [{ protocol: PROTOCOLS[p.oxo.transport], address: p.oxo.address, port: 0 }],
      contactUser: p.oxo.trunk.user,
      userAgent: 'sbc-harness second trunk registration',
      ...(ctx.lab.opts.timers ? { timers: ctx.lab.opts.timers } : {}),
    });
    try {
      const target = sbcTarget(ctx, 'lan', PROTOCOLS[p.oxo.transport]);
      const spec = {
        registrar: `sip:${hostPort(target)}`,
        aor: `sip:${p.oxo.trunk.user}@${p.oxo.trunk.domain}`,
        expires: 60,
        target,
      };
      const none = await rogue.register(spec);
      // A registrar challenges with 401 (RFC 3261 §22.1, §10.3); an SBC that challenges as a proxy
      // (407, §22.3) still challenges, as T-2 accepts.
      ctx.check.that(
        'a REGISTER without credentials is challenged',
        none.status === 401 || none.status === 407,
        {
          expected: '401 Unauthorized with WWW-Authenticate (or 407 with Proxy-Authenticate)',
          observed: statusText(none.status),
          failure: `The SBC answered a REGISTER without credentials with ${statusText(none.status)} instead of a 401 or 407 challenge`,
        },
      );
      const wrong = await rogue.register({
        ...spec,
        credentials: { username: p.oxo.trunk.user, password: `${p.oxo.trunk.password}-wrong` },
      });
      const sawChallenge = wrong.responses.some((r) => r.status === 401 || r.status === 407);
      const refusal = wrongPasswordRefusal(wrong.responses);
      ctx.check.that('a wrong password is refused', refusal.ok && sawChallenge, {
        expected: '401 (or 407) challenge, then 403 Forbidden or a new challenge (not stale=true)',
        observed: `${wrong.responses.map((r) => r.status).join(', ') || statusText(wrong.status)}${refusal.note ? ` (${refusal.note})` : ''}`,
        failure:
          wrong.status >= 200 && wrong.status < 300
            ? 'The SBC accepted the trunk user’s REGISTER with a wrong password'
            : `The SBC answered a wrong password with ${statusText(wrong.status)}${refusal.note ? ` (${refusal.note})` : ''} instead of 403 or a new challenge`,
      });
      if (refusal.ok && refusal.note) ctx.note(`Wrong password: ${refusal.note}.`);
      if (ctx.sbc) {
        const at = rogue.transport.bound[0];
        const live = ctx.sbc.registrar.current();
        const leaked = at ? live.filter((b) => b.contact.includes(hostPort(at))) : [];
        ctx.check.that('no binding for the refused registration', leaked.length === 0, {
          expected: 'no binding to the second registration’s contact',
          observed: live.map((b) => b.contact).join('; ') || 'no binding',
          failure: 'The SBC bound the contact of a registration it refused',
        });
        if (wrong.status === 200) await rogue.register({ ...spec, expires: 0 }).catch(() => undefined);
      }
    } finally {
      await rogue.stop();
    }
  },
});

/**
 * Whether the answers to a REGISTER sent with a wrong password refuse it legally. A UAS that
 * does not accept the credentials answers 403 (RFC 3261 §21.4.4: the server understood and
 * refuses) or challenges again with 401 and a WWW-Authenticate (RFC 3261 §22.2, §21.4.2; the
 * UAC then must not retry with the same credentials, §22.4). A second 401 counts when it carries
 * a digest challenge that does not say stale=true: RFC 7616 §3.3 (RFC 2617 §3.2.1) makes stale
 * absent or false mean "the credentials are invalid", and stale=true mean "right credentials, only
 * the nonce expired" (the password was not refused). The nonce may repeat the first one: nothing
 * requires it to differ, and a stateless nonce (Kamailio's, one-second resolution) repeats when
 * both requests fall in the same second.
 */
export function wrongPasswordRefusal(
  responses: readonly { status: number; get(name: string): string | undefined }[],
): {
  ok: boolean;
  note?: string;
} {
  const finals = responses.filter((r) => r.status >= 200);
  const last = finals.at(-1);
  if (!last) return { ok: false, note: 'no final answer' };
  if (last.status === 403) return { ok: true };
  // A registrar's challenge is 401 (RFC 3261 §22.1); an SBC that challenges as a proxy, 407 (§22.3).
  if (last.status !== 401 && last.status !== 407) return { ok: false };
  const code = last.status;
  const challenges = finals.filter((r) => r.status === code);
  if (challenges.length < 2) return { ok: false, note: 'the credentials were never sent' };
  const again = last.get(code === 401 ? 'www-authenticate' : 'proxy-authenticate') ?? '';
  if (!/nonce="[^"]*"/i.test(again)) return { ok: false, note: `the second ${code} has no digest challenge` };
  if (/stale\s*=\s*"?true/i.test(again))
    return {
      ok: false,
      note: `the second ${code} says stale=true: the password was accepted, only the nonce refused`,
    };
  return {
    ok: true,
    note: `refused with a new ${code} challenge instead of 403, as RFC 3261 §22.2 allows`,
  };
}

/** Tone bursts as an observation reads them ("500 ms at 1100.2 Hz, ..."); empty when none. */
function burstsText(bursts: ReturnType<typeof findToneBursts>): string {
  return bursts
    .map((b) => `${Math.round(b.endMs - b.startMs)} ms at ${b.frequencyHz.toFixed(1)} Hz`)
    .join(', ');
}

/** RTP packets a leg received (or sent), parsed (garbage is skipped). */
function receivedRtp(
  call: Call,
  direction: 'received' | 'sent' = 'received',
): Array<{ atMs: number; src: string; pt: number; seq: number; ts: number; len: number; ssrc: number }> {
  const out: Array<{
    atMs: number;
    src: string;
    pt: number;
    seq: number;
    ts: number;
    len: number;
    ssrc: number;
  }> = [];
  for (const r of call.media.evidence()) {
    if (r.direction !== direction || r.channel !== 'rtp') continue;
    const p = parseRtp(r.bytes);
    if (!p.ok) continue;
    out.push({
      atMs: r.atMs,
      src: r.src.address,
      pt: p.packet.payloadType,
      seq: p.packet.sequenceNumber,
      ts: p.packet.timestamp,
      len: p.packet.payload.length,
      ssrc: p.packet.ssrc,
    });
  }
  return out;
}

/** Largest allowed interarrival jitter (RFC 3550) on loopback, ms: generous for a loaded machine. */
const MAX_JITTER_MS = 30;

/**
 * The jitter a leg received, as its receiver measured it; when that is over the bound and the
 * harness's own process stalled during the call (its call registries note late polls), the
 * jitter again without the arrivals those stalls stamped (jitter-outside-stalls.ts), so that the
 * SBC is not judged by the harness's pauses, with a note saying so.
 */
function jitterJudged(ctx: CaseContext, call: Call, measuredMs: number): { jitterMs: number; note: string } {
  if (measuredMs <= MAX_JITTER_MS) return { jitterMs: measuredMs, note: '' };
  const packets = receivedRtp(call).map((p) => ({ atMs: p.atMs, timestamp: p.ts, ssrc: p.ssrc }));
  const from = packets[0]?.atMs;
  const to = packets[packets.length - 1]?.atMs;
  if (from === undefined || to === undefined) return { jitterMs: measuredMs, note: '' };
  const stalls = [...ctx.provider.callLog.stalls(from, to), ...ctx.oxo.callLog.stalls(from, to)];
  if (stalls.length === 0) return { jitterMs: measuredMs, note: '' };
  const name = call.media.negotiated?.codec;
  const clockRate = (name ? codecByName(name)?.rtpClockRate : undefined) ?? 8000;
  const r = jitterOutsideStalls(packets, { clockRate, stalls });
  // Stalls over most of the call leave too little to judge by: the jitter as received stands.
  if (r.kept < r.leftOut) return { jitterMs: measuredMs, note: '' };
  const longest = Math.max(...stalls.map((s) => s.toMs - s.fromMs));
  return {
    jitterMs: r.jitterMs,
    note: ` (${measuredMs.toFixed(1)} ms as received; ${r.jitterMs.toFixed(1)} ms without the ${r.leftOut} arrivals stamped by a stall of the harness itself, the longest ${Math.round(longest)} ms)`,
  };
}

/** The addresses the SBC anchors RTP on, on one side: sbc.<side>.mediaAddresses, else its SIP address. */
export function sbcMediaAddresses(ctx: CaseContext, side: 'lan' | 'wan'): string[] {
  const s = ctx.profile.sbc[side];
  return s.mediaAddresses ? [...s.mediaAddresses] : [s.address];
}

export const rtpAnchoring = testCase({
  id: 'T-5',
  section: '6.1',
  title: 'VoIP and RTP support: media anchored by the SBC',
  steps: [
    'Call from a PSTN phone to Premium Deskphone 1',
    'Expected: the SDP each side receives points at the SBC’s own address on that side (media anchored)',
    'Expected: RTP arrives from the SBC on both sides, audio good both ways, no packet lost, jitter small',
    'After 10 s of call: audio still good both ways',
  ],
  waits: { fullMs: 10_000, quickMs: 1_200 },
  async run(ctx) {
    const c = await callExtension(ctx, 'pstn1', ctx.oxo.extension('deskphone1'));
    if (!c) return;
    // The SBC's media addresses on each side: its SIP address, or those the profile names (a
    // separate media interface is as anchored as the SIP one).
    const wan = sbcMediaAddresses(ctx, 'wan');
    const lan = sbcMediaAddresses(ctx, 'lan');
    for (const [call, sdp, side, addr, who] of [
      [c.pstn, c.pstn.setupSdp, 'WAN', wan, 'the provider'],
      [c.desk, c.desk.setupSdp, 'LAN', lan, 'the OXO'],
    ] as const) {
      const f = sdpFacts(sdp);
      const at = f.ok ? `${f.address}:${f.port}` : f.reason;
      const own = addr.join(' or ');
      ctx.check.that(
        `SDP toward ${who} points at the SBC’s ${side} address`,
        f.ok && addr.includes(f.address),
        {
          expected: `c= ${own}`,
          observed: at,
          failure: `The SBC’s SDP toward ${who} points at ${at}, not its own ${side} address ${own} (media not anchored)`,
        },
      );
      const r = call.media.negotiated?.remote;
      ctx.check.that(`${who}’s RTP goes to the SBC`, r !== undefined && addr.includes(r.address), {
        expected: own,
        observed: r ? `${r.address}:${r.port}` : 'not negotiated',
        failure: `${who} sends its RTP to ${r?.address ?? 'nowhere'}, not to the SBC’s ${side} address`,
      });
    }
    await ctx.check.audio(
      { call: c.pstn, name: 'the PSTN phone' },
      { call: c.desk, name: 'Premium Deskphone 1' },
    );
    for (const [call, side, addr, who] of [
      [c.pstn, 'WAN', wan, 'the PSTN phone'],
      [c.desk, 'LAN', lan, 'Premium Deskphone 1'],
    ] as const) {
      const pkts = receivedRtp(call);
      if (pkts.length === 0) {
        ctx.check.that(`RTP reaches ${who}`, false, {
          expected: `RTP from ${addr.join(' or ')}`,
          observed: 'no RTP packet',
          failure: `No RTP reached ${who}`,
        });
        continue;
      }
      const foreign = pkts.filter((p) => !addr.includes(p.src));
      ctx.check.that(`RTP to ${who} comes from the SBC`, foreign.length === 0, {
        expected: `RTP from ${addr.join(' or ')} only`,
        observed: `${pkts.length} packets, ${foreign.length} from elsewhere${foreign[0] ? ` (${foreign[0].src})` : ''}`,
        failure: `${foreign.length} RTP packets reached ${who} from ${foreign[0]?.src}, not from the SBC’s ${side} media address (media not anchored)`,
      });
      const st = call.media.stats();
      ctx.check.that(`no packet lost toward ${who}`, st.lost === 0, {
        expected: '0 lost',
        observed: `${st.received} received, ${st.lost} lost`,
        failure: `${st.lost} of ${st.received + st.lost} RTP packets toward ${who} were lost`,
      });
      const j = jitterJudged(ctx, call, st.jitterMs);
      ctx.check.that(`jitter toward ${who}`, j.jitterMs <= MAX_JITTER_MS, {
        expected: `≤ ${MAX_JITTER_MS} ms`,
        observed: `${j.jitterMs.toFixed(1)} ms${j.note}`,
        failure: `The jitter toward ${who} is ${j.jitterMs.toFixed(1)} ms (more than ${MAX_JITTER_MS} ms)${j.note}`,
      });
    }
    // RTP must keep flowing for the whole call, not only at its start.
    await ctx.wait(10_000, 1_200, 'the call before the second audio check');
    await ctx.check.audio(
      { call: c.pstn, name: 'the PSTN phone' },
      { call: c.desk, name: 'Premium Deskphone 1' },
      { tones: [900, 1500] },
    );
    const rec = ctx.sbc?.calls().at(-1);
    if (rec?.relay) {
      const w2l = rec.relay['wan->lan'];
      const l2w = rec.relay['lan->wan'];
      const moved = (d: typeof w2l) => (d ? d.relayed + d.transcoded : 0);
      ctx.check.that('the SBC relays RTP both ways', moved(w2l) > 0 && moved(l2w) > 0, {
        expected: 'packets relayed WAN → LAN and LAN → WAN',
        observed: `WAN → LAN ${moved(w2l)} (dropped ${w2l?.dropped ?? 0}), LAN → WAN ${moved(l2w)} (dropped ${l2w?.dropped ?? 0})`,
        failure: `The SBC relayed ${moved(w2l)} packets WAN → LAN and ${moved(l2w)} LAN → WAN (dropped ${(w2l?.dropped ?? 0) + (l2w?.dropped ?? 0)})`,
      });
    }
    await hangUp(c);
  },
});

export const tlsTowardProvider = testCase({
  id: 'T-6',
  section: '6.1',
  title: 'TLS support on carrier side',
  steps: [
    'The SBC is set to SIP over TLS toward the provider',
    'Expected: the SBC registers its line over TLS',
    'Call from Premium Deskphone 1 to a PSTN phone: the INVITE reaches the provider over TLS; audio good both ways',
    'Call from a PSTN phone to Premium Deskphone 1: the provider reaches the SBC over TLS; the call is established',
  ],
  needs: ['sbc:tls'],
  sbc: { providerTransport: 'tls' },
  async run(ctx) {
    const user = ctx.profile.provider.line.user;
    const ok = ctx.provider.registrations.filter((r) => r.status === 200 && r.username === user);
    const last = ok.at(-1);
    ctx.check.that('the SBC registers its line over TLS', last?.protocol === 'TLS', {
      expected: 'REGISTER over TLS, 200 OK',
      observed: last
        ? `REGISTER over ${last.protocol} from ${last.source}, ${last.status}`
        : 'no accepted REGISTER',
      failure: last
        ? `The SBC registered its line over ${last.protocol}, not TLS`
        : 'The SBC’s line was not registered at the provider',
      dependsOn: ['providerTransport'],
    });
    const out = await callExternal(ctx, ctx.oxo.extension('deskphone1'), 'pstn1');
    if (out) {
      if (await ctx.check.established(out.pstn, 'the PSTN phone answering')) {
        const proto = out.pstn.dialog?.protocol ?? 'none';
        ctx.check.that('the SBC’s INVITE reaches the provider over TLS', proto === 'TLS', {
          expected: 'TLS',
          observed: proto,
          failure: `The SBC sent the outgoing call’s INVITE to the provider over ${proto}, not TLS`,
          dependsOn: ['providerTransport'],
        });
        await ctx.check.audio(
          { call: out.desk, name: 'Premium Deskphone 1' },
          { call: out.pstn, name: 'the PSTN phone' },
        );
      }
      await hangUp(out);
    }
    const inc = await callExtension(ctx, 'pstn2', ctx.oxo.extension('deskphone1'));
    if (inc) {
      const proto = inc.pstn.dialog?.protocol ?? 'none';
      ctx.check.that('the provider’s INVITE reaches the SBC over TLS', proto === 'TLS', {
        expected: 'TLS',
        observed: proto,
        failure: `The incoming call reached the SBC over ${proto}, not TLS`,
        dependsOn: ['providerTransport'],
      });
    }
    await hangUp(inc);
  },
});

export const srtpTowardProvider = testCase({
  id: 'T-7',
  section: '6.1',
  title: 'SRTP support on carrier side',
  steps: [
    'The SBC is set to SDES-SRTP toward the provider, plain RTP toward the OXO',
    'Call from a PSTN phone to Premium Deskphone 1',
    'Expected: RTP/SAVP with a crypto key on the WAN leg, RTP/AVP without on the LAN leg; audio good both ways, no SRTP authentication failure',
  ],
  needs: ['sbc:srtp'],
  sbc: { srtpTowardProvider: true },
  async run(ctx) {
    const c = await callExtension(ctx, 'pstn1', ctx.oxo.extension('deskphone1'));
    if (!c) return;
    const w = sdpFacts(c.pstn.setupSdp);
    ctx.check.that(
      'WAN leg: RTP/SAVP with an SDES key',
      w.ok && w.protocol === 'RTP/SAVP' && w.cryptoSuites.length > 0,
      {
        expected: 'm=audio … RTP/SAVP with a=crypto',
        observed: w.ok ? `${w.protocol}, crypto ${w.cryptoSuites.join(', ') || 'none'}` : w.reason,
        failure: `The SBC answered the provider with ${w.ok ? w.protocol : 'no SDP'}${w.ok && w.cryptoSuites.length === 0 ? ' without a crypto key' : ''}: no SRTP on the WAN leg`,
        dependsOn: ['srtpTowardProvider'],
      },
    );
    const l = sdpFacts(c.desk.setupSdp);
    ctx.check.that('LAN leg: plain RTP', l.ok && l.protocol === 'RTP/AVP' && l.cryptoSuites.length === 0, {
      expected: 'm=audio … RTP/AVP, no a=crypto',
      observed: l.ok ? `${l.protocol}, crypto ${l.cryptoSuites.join(', ') || 'none'}` : l.reason,
      failure: `The SBC offered ${l.ok ? l.protocol : 'no SDP'} toward the OXO instead of plain RTP`,
      dependsOn: ['srtpTowardProvider'],
    });
    const suite = c.pstn.media.negotiated?.srtpSuite;
    ctx.check.that('the provider leg negotiated SRTP', suite !== undefined, {
      expected: 'an SRTP suite',
      observed: suite ?? 'plain RTP',
      failure: 'The provider leg runs plain RTP although SRTP toward the provider is set',
      dependsOn: ['srtpTowardProvider'],
    });
    await ctx.check.audio(
      { call: c.pstn, name: 'the PSTN phone' },
      { call: c.desk, name: 'Premium Deskphone 1' },
    );
    const media = c.pstn.media;
    if (media instanceof MediaLeg) {
      const d = media.details();
      ctx.check.that('no SRTP authentication failure at the provider', d.srtpAuthFailed === 0, {
        expected: '0 packets failing SRTP authentication',
        observed: `${d.srtpAuthFailed} failed, ${d.received} accepted`,
        failure: `${d.srtpAuthFailed} SRTP packets from the SBC failed the SRTP authentication check at the PSTN phone (RFC 3711 §3.3: protected with another key than the SDP's a=crypto) and were dropped`,
      });
    }
    ctx.note(`SRTP suite on the WAN leg: ${suite ?? 'none'}.`);
    await hangUp(c);
  },
});

/** Fax signal timing at full length and with --quick (ms). */
function faxPlan(quick: boolean) {
  return quick
    ? { cngCycles: 2, cngOffMs: 700, cedMs: 800, preambleMs: 600 }
    : { cngCycles: 2, cngOffMs: 3000, cedMs: 3000, preambleMs: 1000 };
}

/** One received RTP packet, as the continuity check reads it. */
export interface RtpSeen {
  pt: number;
  seq: number;
  ts: number;
  /** Payload bytes (= samples for G.711). */
  len: number;
  /** The stream's SSRC: a sender may start a new stream (RFC 3550 §8.2); each is judged alone. */
  ssrc?: number;
}

/**
 * Continuity of a G.711 stream as T-8 wants it: packets in sequence order, each timestamp
 * step equal to the previous packet's samples (a bigger step with the next sequence number is
 * a silence gap: VAD/DTX), no comfort-noise packet (PT 13), no sequence number missing. Each
 * SSRC is a stream of its own (RFC 3550 §5.1, §8.2: a new SSRC starts new sequence numbers and
 * timestamps), so a change of SSRC is neither a loss nor a gap.
 */
export function rtpContinuity(packets: readonly RtpSeen[]): {
  packets: number;
  gaps: number;
  /** Each gap's size: the ticks the timestamp moved beyond the previous packet's own length. */
  gapTicks: number[];
  cn: number;
  lost: number;
} {
  const streams = new Map<number, RtpSeen[]>();
  for (const p of packets) {
    const k = p.ssrc ?? 0;
    const list = streams.get(k);
    if (list) list.push(p);
    else streams.set(k, [p]);
  }
  const gapTicks: number[] = [];
  let lost = 0;
  for (const stream of streams.values()) {
    // Sequence numbers extended across their wrap at 65535 (RFC 3550 §A.1), step by step in
    // arrival order (a step of more than half the space is taken as backwards: reordering),
    // then sorted: sorting the 16-bit numbers put 0… before 65535 and read the wrap as 65 000 lost.
    const ext = new Map<RtpSeen, number>();
    let prev: RtpSeen | undefined;
    for (const p of stream) {
      const e =
        prev === undefined
          ? p.seq
          : (ext.get(prev) as number) + ((((p.seq - prev.seq) & 0xffff) ^ 0x8000) - 0x8000);
      ext.set(p, e);
      prev = p;
    }
    const pkts = stream.sort((a, b) => (ext.get(a) as number) - (ext.get(b) as number));
    for (let i = 1; i < pkts.length; i++) {
      const ds = (ext.get(pkts[i]!) as number) - (ext.get(pkts[i - 1]!) as number);
      const dt = (pkts[i]!.ts - pkts[i - 1]!.ts) >>> 0;
      if (ds > 1) lost += ds - 1;
      const step = pkts[i - 1]!.len > 0 ? pkts[i - 1]!.len : 160;
      if (ds === 1 && dt > step) gapTicks.push(dt - step);
    }
  }
  return {
    packets: packets.length,
    gaps: gapTicks.length,
    gapTicks,
    cn: packets.filter((p) => p.pt === 13).length,
    lost,
  };
}

/** A received gap is the far phone's own when a gap it sent is this close in size, ticks (40 ms at 8 kHz). */
const SAME_GAP_TICKS = 320;

/**
 * T-8's continuity of what one phone received, against what the far phone sent: a timestamp
 * gap the far phone's own sender made (slots skipped while the harness's process stalled) is
 * not the SBC's. Each received gap is matched to a gap of about the same size (within 40 ms, as
 * re-framing may move it by a packet) in what was sent, each sent gap used once; `sbcGaps`
 * counts the received gaps left unmatched. Losses and CN packets are counted on what was
 * received only.
 */
export function faxContinuity(
  received: readonly RtpSeen[],
  sentByFar: readonly RtpSeen[],
): { packets: number; gaps: number; farGaps: number; sbcGaps: number; cn: number; lost: number } {
  const r = rtpContinuity(received);
  const sent = [...rtpContinuity(sentByFar).gapTicks];
  let farGaps = 0;
  for (const g of r.gapTicks) {
    const k = sent.findIndex((x) => Math.abs(x - g) <= SAME_GAP_TICKS);
    if (k < 0) continue;
    sent.splice(k, 1);
    farGaps++;
  }
  return {
    packets: r.packets,
    gaps: r.gaps,
    farGaps,
    sbcGaps: r.gaps - farGaps,
    cn: r.cn,
    lost: r.lost,
  };
}

export const faxG711 = testCase({
  id: 'T-8',
  section: '6.1',
  title: 'Fax G711',
  steps: [
    'A fax on the PSTN calls the fax on FXS-1 (analog port of the OXO, G.711 only)',
    'The calling fax sends CNG (1100 Hz, 0.5 s on); the called fax answers with CED (2100 Hz) then the V.21 preamble (HDLC flags at 300 bit/s, 1650/1850 Hz)',
    'Expected: G.711 on both legs, no comfort noise offered (no CN, payload type 13), RTP continuous (no VAD)',
    'Expected: CNG, CED and the flags arrive at the other side at their frequencies',
  ],
  async run(ctx) {
    const plan = faxPlan(ctx.quick);
    const fxs = ctx.oxo.extension('fxs1').prefer(['PCMA', 'PCMU']);
    const c = await callExtension(ctx, 'pstn1', fxs);
    if (!c) return;
    for (const [sdp, who] of [
      [c.pstn.setupSdp, 'the provider'],
      [c.desk.setupSdp, 'the OXO'],
    ] as const) {
      const f = sdpFacts(sdp);
      const vad = f.ok && f.silenceSupp !== undefined && /^on\b/i.test(f.silenceSupp);
      ctx.check.that(
        `no comfort noise or VAD in the SBC’s SDP toward ${who}`,
        f.ok && !f.comfortNoise && !vad,
        {
          expected: 'no CN (payload type 13), no a=silenceSupp:on',
          observed: f.ok
            ? `${f.formats.join(' ')}${f.silenceSupp ? `, silenceSupp ${f.silenceSupp}` : ''}`
            : f.reason,
          failure: f.ok
            ? `The SBC’s SDP toward ${who} ${f.comfortNoise ? 'offers comfort noise (CN)' : 'turns silence suppression on'}, which breaks fax over G.711`
            : `The SBC sent no readable SDP toward ${who} (${f.reason})`,
        },
      );
    }
    const caller = cngSignal({ sampleRate: 8000, cycles: plan.cngCycles, onMs: 500, offMs: plan.cngOffMs });
    const called = calledFaxSignal({ sampleRate: 8000, cedMs: plan.cedMs, preambleMs: plan.preambleMs });
    const playMs = Math.max(caller.length, called.samples.length) / 8;
    const full = Math.ceil(faxPlan(false).cngCycles * (500 + faxPlan(false).cngOffMs)) + 300;
    // Both faxes play from the start of each window; a window in which this process stalled is
    // played again (harness/runner/listen-window.ts): its own senders skipped part of it.
    const listened = await listenWindow(ctx, 'the fax signals', {
      start: () => {
        c.pstn.media.clearReceived();
        c.desk.media.clearReceived();
        c.pstn.media.play(pcmSource(caller, 8000));
        c.desk.media.play(pcmSource(called.samples, 8000));
      },
      wait: () => ctx.wait(full, Math.ceil(playMs) + 300, 'the fax signals'),
      read: () => ({ atFxs: c.desk.media.receivedAudio(), atPstn: c.pstn.media.receivedAudio() }),
    });
    c.pstn.media.stopPlaying();
    c.desk.media.stopPlaying();
    const stalled = stallText(listened.judgedStallMs);
    // The codecs that carried the fax: an SBC may answer first with another codec and move the
    // leg to G.711 with a re-INVITE of its own (early media answered before the far side chose).
    const g711 = ['PCMA', 'PCMU'];
    ctx.check.codec(c.pstn, g711, 'the provider leg of the fax call');
    ctx.check.codec(c.desk, g711, 'the FXS-1 leg of the fax call');

    // CNG at FXS-1.
    const { atFxs, atPstn } = listened.heard;
    const cng = findToneBursts(atFxs.samples, atFxs.sampleRate, CNG_HZ);
    const cngOk = cng.filter(
      (b) => Math.abs(b.frequencyHz - CNG_HZ) <= CNG_TOLERANCE_HZ && b.endMs - b.startMs >= 400,
    );
    const cngAll = cngOk.length >= plan.cngCycles;
    ctx.check.that('CNG from the calling fax reaches FXS-1', cngAll, {
      expected: `${plan.cngCycles} × 1100 Hz (± ${CNG_TOLERANCE_HZ} Hz) for 0.5 s`,
      observed: `${burstsText(cng) || 'no 1100 Hz tone'}${stalled}`,
      failure:
        cng.length === 0
          ? 'No CNG (1100 Hz) from the calling fax reached FXS-1'
          : cngOk.length > 0
            ? `Only ${cngOk.length} of ${plan.cngCycles} CNG bursts from the calling fax reached FXS-1`
            : `CNG reached FXS-1 altered: ${burstsText(cng)}`,
      ...unjudgedIfStalled(listened, !cngAll),
    });
    // CED and the V.21 preamble at the PSTN fax.
    const ced = findToneBursts(atPstn.samples, atPstn.sampleRate, CED_HZ);
    const cedBurst = ced.find((b) => b.endMs - b.startMs >= plan.cedMs * 0.9);
    const cedOk = cedBurst !== undefined && Math.abs(cedBurst.frequencyHz - CED_HZ) <= CED_TOLERANCE_HZ;
    ctx.check.that('CED from the called fax reaches the PSTN fax', cedOk, {
      expected: `2100 Hz (± ${CED_TOLERANCE_HZ} Hz) for ${plan.cedMs} ms`,
      observed: `${burstsText(ced) || 'no 2100 Hz tone'}${stalled}`,
      failure:
        ced.length === 0
          ? 'No CED (2100 Hz) from the called fax reached the PSTN fax'
          : `CED reached the PSTN fax altered: ${burstsText(ced)}`,
      ...unjudgedIfStalled(listened, !cedOk),
    });
    const v21 = demodulateV21(atPstn.samples, atPstn.sampleRate, cedBurst?.endMs ?? 0);
    const v21Ok = v21.flags >= called.flags - 3;
    ctx.check.that('the V.21 preamble (HDLC flags) reaches the PSTN fax', v21Ok, {
      expected: `${called.flags} HDLC flags 0x7E at 300 bit/s (1650/1850 Hz)`,
      observed: `${v21.flags} flags demodulated${stalled}`,
      failure: `The V.21 preamble from the called fax arrived damaged: ${v21.flags} of ${called.flags} HDLC flags demodulated`,
      ...unjudgedIfStalled(listened, !v21Ok),
    });
    // RTP continuity both ways (no VAD, no comfort noise packets, nothing lost), judged against
    // what the far phone itself sent: when the harness's own process stalls, its sender skips
    // the slots it fell behind on (send-clock.ts), and an SBC that relays that gap is right.
    for (const [call, far, who, farName] of [
      [c.desk, c.pstn, 'FXS-1', 'the PSTN fax'],
      [c.pstn, c.desk, 'the PSTN fax', 'FXS-1'],
    ] as const) {
      const r = faxContinuity(receivedRtp(call), receivedRtp(far, 'sent'));
      const excused =
        r.farGaps > 0
          ? ` (${r.farGaps} already in what ${farName} sent: the harness's own sender skipped slots)`
          : '';
      ctx.check.that(
        `RTP toward ${who} is continuous`,
        r.packets > 0 && r.sbcGaps === 0 && r.cn === 0 && r.lost === 0,
        {
          expected:
            'one packet per 20 ms of signal, silence included: no timestamp gap that the sender did not make, no CN packet, none lost',
          observed: `${r.packets} packets, ${r.gaps} timestamp gaps${excused}, ${r.cn} CN packets, ${r.lost} lost`,
          failure:
            r.packets === 0
              ? `No RTP reached ${who} during the fax`
              : `RTP toward ${who} is not continuous during the fax: ${r.sbcGaps} silence gaps${excused}, ${r.cn} comfort-noise packets, ${r.lost} lost`,
        },
      );
    }
    ctx.note(
      `Fax codecs: provider leg ${codecLabel(c.pstn.media.negotiated?.codec)}, FXS-1 leg ${codecLabel(c.desk.media.negotiated?.codec)}.`,
    );
    await hangUp(c);
  },
});

export const faxT38 = testCase({
  id: 'T-9',
  section: '6.1',
  title: 'Fax T.38',
  steps: [
    'A fax call starts over G.711; the called side re-INVITEs to T.38 (image/t38 over UDPTL)',
    'Expected: the SBC relays the re-INVITE and the fax completes over T.38',
  ],
  needs: ['lab:t38'],
  async run() {
    // Not reached while lab:t38 is unmet (INCOMPLETE before the case runs).
    throw new NotJudgedHere('the harness’s simulated provider and PBX do not do T.38 yet');
  },
});

/**
 * Not a row of the report: G.722 from end to end. When the provider and the deskphone both
 * prefer G.722 and the SBC offers it, an SBC that transcodes to G.711 in the middle throws away
 * the band above 4 kHz without anyone noticing on the signalling alone.
 */
export const widebandEndToEnd = testCase({
  id: 'T-10',
  section: '6.1',
  title: 'VoIP and RTP support: G.722 wideband from end to end',
  steps: [
    'Provider, SBC and Premium Deskphone 1 all put G.722 first',
    'Call from a PSTN phone to Premium Deskphone 1; each side sends a signal with energy above 4 kHz',
    'Expected: G.722 on both legs, no transcoding in the SBC, and the band above 4 kHz arrives on both sides',
  ],
  needs: ['codec:G722'],
  sbc: { codecOrder: ['G722', 'PCMA', 'PCMU', 'G729', 'G723'] },
  lab: { providerCodecs: ['G722', 'PCMA', 'PCMU'], deskphoneCodecs: ['G722', 'PCMA', 'PCMU'] },
  note: 'Not in the report: added so that silent transcoding to narrowband is caught.',
  async run(ctx) {
    const c = await callExtension(ctx, 'pstn1', ctx.oxo.extension('deskphone1'));
    if (!c) return;
    await mediaSettled([c.pstn, c.desk]);
    const rec = ctx.sbc?.calls().at(-1);
    if (rec) {
      ctx.check.that('no transcoding in the SBC', !rec.transcoding, {
        expected: 'the same codec on both legs, relayed as is',
        observed: `WAN ${rec.wan.codec ?? '?'}, LAN ${rec.lan.codec ?? '?'}${rec.transcoding ? ', transcoded' : ''}`,
        failure: `The SBC transcodes G.722 (${rec.lan.codec}) to ${rec.wan.codec} toward the provider although both ends use G.722`,
      });
    }
    for (const [src, dst] of [
      [c.pstn, c.desk],
      [c.desk, c.pstn],
    ] as const) {
      dst.media.clearReceived();
      src.media.play(toneSource([1000, 6000], 16000));
    }
    await new Promise((r) => setTimeout(r, 900));
    for (const [call, who] of [
      [c.desk, 'Premium Deskphone 1'],
      [c.pstn, 'the PSTN phone'],
    ] as const) {
      const rec = call.media.receivedAudio();
      const n = Math.min(rec.samples.length, Math.round(0.5 * rec.sampleRate));
      const w = checkWideband(rec.samples.subarray(rec.samples.length - n), rec.sampleRate);
      ctx.check.that(`wideband audio at ${who}`, w.wideband, {
        expected: 'energy above 4.5 kHz (G.722 end to end)',
        observed: w.decided
          ? `high band ${w.highBandRatioDb.toFixed(1)} dB of the total`
          : `not judged (${w.reason})`,
        failure: !w.decided
          ? `No audio reached ${who} (${w.reason === 'silent' ? 'silence' : w.reason}), so the band above 4 kHz could not be judged`
          : `The audio reaching ${who} has no energy above 4 kHz (high band ${w.highBandRatioDb.toFixed(1)} dB): it was narrowed to G.711 on the way`,
      });
    }
    // After the audio: each leg's codec is judged with what the SBC sent on it as well.
    ctx.check.codec(c.pstn, 'G722', 'the provider leg', ['codecOrder']);
    ctx.check.codec(c.desk, 'G722', 'the deskphone leg', ['codecOrder']);
    await hangUp(c);
  },
});

export const TRUNK_CASES = [
  sbcReachable,
  oxoRegistration,
  lineRegistration,
  digestAuthentication,
  rtpAnchoring,
  tlsTowardProvider,
  srtpTowardProvider,
  faxG711,
  faxT38,
  widebandEndToEnd,
];
