/**
 * What the security cases (security.ts) share: where an intruder sits (a loopback address of
 * its own, from the profile), a user agent there, a count of the INVITEs that reach one of our
 * actors, a bounded wait for an INVITE's final answer, and a bounded flood of INVITEs over raw
 * UDP. Every loop here is bounded in count and time.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { CaseContext } from '../harness/runner/index.ts';
import { NotJudgedHere } from '../harness/runner/index.ts';
import {
  type Dialog,
  newBranch,
  newCallId,
  newTag,
  type OutgoingInvite,
  type SipRequest,
  type TraceEvent,
  type TransportProtocol,
  UserAgent,
} from '../harness/sip/index.ts';

export const PROTOCOLS: Record<'udp' | 'tcp' | 'tls', TransportProtocol> = {
  udp: 'UDP',
  tcp: 'TCP',
  tls: 'TLS',
};

/**
 * The intruder's address on one side: `security.lanIntruder` / `security.wanIntruder`, or the
 * OXO's (LAN) or provider's (WAN) IPv4 address with its last byte 250 (251 when that is taken).
 * An IPv6 profile must name it: the case is then not judged here (INCOMPLETE), never N/A.
 */
export function intruderAddress(ctx: CaseContext, side: 'lan' | 'wan'): string {
  const p = ctx.profile;
  const set = side === 'lan' ? p.security.lanIntruder : p.security.wanIntruder;
  if (set) return set;
  const base = side === 'lan' ? p.oxo.address : p.provider.address;
  if (!net.isIPv4(base))
    throw new NotJudgedHere(
      `no ${side.toUpperCase()} intruder address: set security.${side}Intruder (an address of this host the SBC can reach that is not ${base})`,
    );
  const taken = new Set([p.oxo.address, p.provider.address, p.sbc.lan.address, p.sbc.wan.address]);
  const prefix = base.split('.').slice(0, 3).join('.');
  return taken.has(`${prefix}.250`) ? `${prefix}.251` : `${prefix}.250`;
}

/** A user agent on the intruder's address (ephemeral port), with the lab's SIP timers. */
export async function startIntruder(
  ctx: CaseContext,
  address: string,
  protocol: TransportProtocol,
  contactUser = 'intruder',
): Promise<UserAgent> {
  return UserAgent.start({
    listen: [{ protocol: protocol === 'TLS' ? 'TCP' : protocol, address, port: 0 }],
    contactUser,
    userAgent: 'sbc-harness security case',
    ...(ctx.lab.opts.timers ? { timers: ctx.lab.opts.timers } : {}),
  });
}

/** Resolves true when `d` has ended, false after `ms`. */
export async function dialogEndedWithin(d: Dialog, ms: number): Promise<boolean> {
  if (d.state === 'terminated') return true;
  return new Promise<boolean>((resolve) => {
    const onEnd = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      d.off('terminated', onEnd);
      resolve(false);
    }, ms);
    d.once('terminated', onEnd);
  });
}

/** Counts the INVITEs (out of dialog: no To tag) that reach `ua` from the moment it is made. */
export function countInvites(ua: UserAgent): { count(): number; stop(): void; last?: SipRequest } {
  let n = 0;
  const out: { count(): number; stop(): void; last?: SipRequest } = {
    count: () => n,
    stop: () => ua.transport.off('trace', on),
  };
  const on = (t: TraceEvent) => {
    const m = t.message;
    if (t.direction !== 'in' || !m?.isRequest) return;
    const r = m as SipRequest;
    if (r.method === 'INVITE' && !r.toTag) {
      n++;
      out.last = r;
    }
  };
  ua.transport.on('trace', on);
  return out;
}

/** A plain SDP offer: PCMA, PCMU, telephone-event, at `address` on a port nobody listens on. */
export function staticOffer(address: string, port = 9): string {
  const ip = net.isIPv6(address) ? 'IP6' : 'IP4';
  return [
    'v=0',
    `o=- ${Date.now()} 1 IN ${ip} ${address}`,
    's=-',
    `c=IN ${ip} ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 8 0 101`,
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/**
 * Waits at most `ms` for an INVITE's final answer; without one it is cancelled and 'no answer'
 * is reported. A 2xx dialog is returned so that the caller can end it.
 */
export async function finalWithin(
  out: OutgoingInvite,
  ms: number,
): Promise<{ status: number | 'no answer'; dialog?: Dialog; statuses: number[] }> {
  const statuses: number[] = [];
  out.on('response', (r) => statuses.push(r.status));
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    out.result.then((o) => o),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]);
  clearTimeout(timer);
  if (!r) {
    out.cancel();
    // The CANCEL's own answer, or the INVITE's 487, ends it; a peer that never answers is left to
    // the transaction layer's timers (the user agent is stopped at the end of the case).
    const late = await Promise.race([
      out.result,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000)),
    ]);
    if (late?.dialog) return { status: late.status, dialog: late.dialog, statuses };
    return { status: 'no answer', statuses };
  }
  return { status: r.status, ...(r.dialog ? { dialog: r.dialog } : {}), statuses };
}

/** What a flood got back. */
export interface FloodOutcome {
  sent: number;
  /** Final answers received, by status. */
  finals: Map<number, number>;
  /** Provisional answers received. */
  provisional: number;
  durationMs: number;
}

/**
 * A UDP socket bound to an ephemeral port of `from` (an intruder's address), for the bounded
 * bursts of the security section; errors after binding are dropped (the burst judges answers).
 */
export async function bindUdpFrom(from: string): Promise<dgram.Socket> {
  const sock = dgram.createSocket(net.isIPv6(from) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, from, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  sock.on('error', () => undefined);
  return sock;
}

/**
 * Sends `count` INVITEs from `from` (one UDP socket, one source) to `target`, spread evenly
 * over `seconds`, each a new call (its own Call-ID, tag and branch) to `sip:<user>@host`. Final
 * answers of 300 and above are ACKed (RFC 3261 §17.1.1.3) so that the SBC stops repeating them.
 * Resolves once every INVITE was sent and a second more has passed for the answers.
 */
export async function inviteFlood(opts: {
  from: string;
  target: { address: string; port: number };
  count: number;
  seconds: number;
  user: string;
  onStart?: () => void;
}): Promise<FloodOutcome> {
  const sock = await bindUdpFrom(opts.from);
  const port = sock.address().port;
  const host = (a: string) => (a.includes(':') ? `[${a}]` : a);
  const ruri = `sip:${opts.user}@${host(opts.target.address)}:${opts.target.port}`;
  const sentById = new Map<string, { via: string; from: string }>();
  const finals = new Map<number, number>();
  let provisional = 0;
  sock.on('message', (buf) => {
    const text = buf.toString('latin1');
    const m = /^SIP\/2\.0 (\d{3})/.exec(text);
    if (!m) return;
    const status = Number(m[1]);
    if (status < 200) {
      provisional++;
      return;
    }
    const callId = /^(?:Call-ID|i)\s*:\s*(.+)$/im.exec(text)?.[1]?.trim() ?? '';
    const sent = sentById.get(callId);
    if (!sent) return; // a retransmission after the ACK, or not ours
    finals.set(status, (finals.get(status) ?? 0) + 1);
    if (status >= 300) {
      const to = /^(?:To|t)\s*:\s*(.+)$/im.exec(text)?.[1]?.trim() ?? `<${ruri}>`;
      const ack = [
        `ACK ${ruri} SIP/2.0`,
        `Via: ${sent.via}`,
        'Max-Forwards: 70',
        `From: ${sent.from}`,
        `To: ${to}`,
        `Call-ID: ${callId}`,
        'CSeq: 1 ACK',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(ack, opts.target.port, opts.target.address);
    }
    sentById.delete(callId);
  });
  const t0 = performance.now();
  const ticks = Math.max(1, Math.round((opts.seconds * 1000) / 20));
  let sent = 0;
  opts.onStart?.();
  for (let i = 0; i < ticks && sent < opts.count; i++) {
    const due = Math.round(((i + 1) * opts.count) / ticks);
    while (sent < due) {
      const callId = newCallId();
      const via = `SIP/2.0/UDP ${host(opts.from)}:${port};branch=${newBranch()};rport`;
      const from = `<sip:scanner@${host(opts.from)}>;tag=${newTag()}`;
      const sdp = staticOffer(opts.from);
      const msg = [
        `INVITE ${ruri} SIP/2.0`,
        `Via: ${via}`,
        'Max-Forwards: 70',
        `From: ${from}`,
        `To: <${ruri}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:scanner@${host(opts.from)}:${port}>`,
        'User-Agent: sbc-harness flood',
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(sdp)}`,
        '',
        sdp,
      ].join('\r\n');
      sentById.set(callId, { via, from });
      sock.send(msg, opts.target.port, opts.target.address);
      sent++;
    }
    const next = t0 + (i + 1) * 20;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const durationMs = Math.round(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 1000));
  sock.close();
  return { sent, finals, provisional, durationMs };
}

/** "403 × 480, 503 × 20" from a status count. */
export function statusSummary(finals: Map<number, number>): string {
  return (
    [...finals]
      .sort((a, b) => b[1] - a[1])
      .map(([s, n]) => `${s} × ${n}`)
      .join(', ') || 'no final answer'
  );
}
