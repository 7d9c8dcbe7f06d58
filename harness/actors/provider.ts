/**
 * The simulated SIP provider (WAN side): a registrar for the SBC's SIP line(s) with digest
 * authentication and binding expiry, PSTN phones that INVITEs are routed to by number, an
 * IVR that returns DTMF, and calls from the PSTN toward the registered contact of the line
 * (or a configured SBC WAN address). Listens on UDP, TCP and TLS. Every REGISTER is recorded
 * as evidence; passwords never leave the digest server.
 */

import {
  createResponse,
  DigestServer,
  type Flow,
  type IncomingInvite,
  type ListenSpec,
  type SendTarget,
  type ServerTransaction,
  type SipRequest,
  type TimerConfig,
  type TlsOptions,
  type TransportProtocol,
  targetFromUri,
  UserAgent,
} from '../sip/index.ts';
import { selfSignedCertificate } from '../support/certificate.ts';
import { type Clock, systemClock } from '../support/clock.ts';
import { type Logger, silentLogger } from '../support/log.ts';
import type { Call, MediaFactory } from './call.ts';
import { CallRegistry } from './call-registry.ts';
import { Ivr, type IvrOptions } from './ivr.ts';
import { MediaLeg } from './media-leg.ts';
import { type NumberingPlan, numberKey } from './number-match.ts';
import { handleProviderRefer, type ReferHost, type ReferRecord } from './provider-refer.ts';
import { type PhoneHost, PstnPhone, type PstnPhoneOptions } from './pstn-phone.ts';

/** One SIP line (account) the SBC registers. */
export interface ProviderLine {
  username: string;
  password: string;
  /** DIDs (numbers) that belong to this line; calls to them go to its registered contact. */
  dids?: string[];
}

/** Options of {@link Provider.start}. */
export interface ProviderOptions {
  /** SIP and media address (loopback in tests, e.g. 127.0.10.1). */
  address: string;
  /** Listeners; default one UDP listener on an ephemeral port. */
  transports?: Array<{ protocol: TransportProtocol; port: number }>;
  /** TLS key and certificate; default: a self-signed one when a TLS listener is asked for. */
  tls?: TlsOptions;
  /** SIP domain / realm (default "provider.test"). */
  domain?: string;
  lines: ProviderLine[];
  /** Where calls to the SBC go when no registration is known (e.g. an SBC that does not register). */
  sbcWan?: SendTarget;
  /** Smallest accepted registration interval, seconds (default 60; 423 below it). */
  minExpires?: number;
  /** Largest granted interval, seconds (default 3600). */
  maxExpires?: number;
  /**
   * Handle REFER on the phones' calls as a provider offering transfer does (default true): 202,
   * NOTIFY progress, the transferee calls the target. False: 405 (see provider-refer.ts).
   */
  refer?: boolean;
  /**
   * How numbers are read when the provider matches a Request-URI, To or Refer-To to its phones
   * and to the line's DIDs (default Germany: 49, trunk prefix 0, international 00).
   */
  numbering?: NumberingPlan;
  /** Challenge INVITEs from the SBC with 407 (default false). */
  authenticateInvites?: boolean;
  /** Opens media legs; default {@link MediaLeg.open} on the provider's clock. */
  openMedia?: MediaFactory;
  clock?: Clock;
  logger?: Logger;
  timers?: Partial<TimerConfig>;
}

/** One REGISTER as the provider saw it. */
export interface RegistrationRecord {
  atMs: number;
  wallTime: number;
  /** Status we answered. */
  status: number;
  /** The digest verdict ("ok", "no-credentials", "wrong-password", ...). */
  verdict: string;
  username?: string;
  /** Contacts as sent. */
  contacts: string[];
  /** The interval granted (0 for an unregistration). */
  expires?: number;
  protocol: TransportProtocol;
  source: string;
  callId?: string;
}

/** A live registration binding of a line. */
export interface Binding {
  username: string;
  contact: string;
  expiresAtMs: number;
  flow: Flow;
}

/** One routed INVITE, as evidence. */
export interface RouteRecord {
  atMs: number;
  requestUser: string;
  /** The phone/IVR id, or undefined when not found (404). */
  routedTo?: string;
  status?: number;
}

/** The provider simulator. */
export class Provider implements PhoneHost, ReferHost {
  /** The numbering plan numbers are compared in (see number-match.ts). */
  readonly numbering: NumberingPlan;
  readonly digest: DigestServer;
  /** The REFERs the phones received, as evidence: the newest MAX_REFER_RECORDS (provider-refer.ts). */
  readonly refers: ReferRecord[] = [];
  readonly referSupported: boolean;
  readonly registrations: RegistrationRecord[] = [];
  readonly routes: RouteRecord[] = [];
  /**
   * Running totals since the start, kept even where the records above are trimmed (a simulator
   * that runs on its own keeps only its latest records, lab.ts `keepStandalone`).
   */
  readonly counts = { register: 0, registerAccepted: 0, routed: 0 };
  readonly bindings = new Map<string, Binding[]>();
  readonly domain: string;
  readonly mediaAddress: string;
  readonly log: Logger;
  readonly clock: Clock;
  readonly openMedia: MediaFactory;
  /** Every call of the phones and the IVR, with its timeline (for the call invariants). */
  readonly callLog: CallRegistry;
  private readonly phones = new Map<string, PstnPhone>();
  private readonly lines: ProviderLine[];
  private readonly regWaiters: Array<{ username: string; resolve: (b: Binding) => void }> = [];

  private constructor(
    readonly ua: UserAgent,
    readonly opts: ProviderOptions,
  ) {
    this.domain = opts.domain ?? 'provider.test';
    this.mediaAddress = opts.address;
    this.log = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    // PSTN phones send RTP from answer to hang-up, silence included (no VAD).
    this.openMedia = opts.openMedia ?? ((o) => MediaLeg.open({ ...o, clock: this.clock, continuous: true }));
    this.callLog = new CallRegistry('provider', this.clock);
    this.lines = opts.lines.map((l) => ({ ...l }));
    this.referSupported = opts.refer ?? true;
    this.numbering = opts.numbering ?? {};
    this.digest = new DigestServer({
      realm: this.domain,
      clock: this.clock,
      credentials: (username) => this.lines.find((l) => l.username === username)?.password,
      // SIPp and some SBCs put a slightly different form of the URI in the credentials.
      uriMatches: () => true,
    });
    ua.on('request', (req, tx) => this.onRequest(req, tx));
    ua.on('invite', (inv) => void this.onInvite(inv));
  }

  /** Starts the listeners. */
  static async start(opts: ProviderOptions): Promise<Provider> {
    const transports = opts.transports ?? [{ protocol: 'UDP' as const, port: 0 }];
    const listen: ListenSpec[] = transports.map((t) => ({ ...t, address: opts.address }));
    let tls = opts.tls;
    if (!tls && transports.some((t) => t.protocol === 'TLS')) {
      const kc = await selfSignedCertificate('provider.sbc-harness.test', [opts.address]);
      tls = { key: kc.key, cert: kc.cert };
    }
    const ua = await UserAgent.start({
      listen,
      ...(tls ? { tls } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.timers ? { timers: opts.timers } : {}),
      contactUser: 'provider',
      userAgent: 'sbc-harness provider simulator',
    });
    return new Provider(ua, opts);
  }

  async stop(): Promise<void> {
    for (const p of this.phones.values()) for (const c of p.calls) await c.hangup().catch(() => undefined);
    await this.ua.stop();
  }

  track(call: Call, party: string): void {
    this.callLog.track(call, party);
  }

  /** The bound port of a listener. */
  port(protocol: TransportProtocol = 'UDP'): number {
    const l = this.ua.transport.bound.find((b) => b.protocol === protocol);
    if (!l) throw new Error(`the provider has no ${protocol} listener`);
    return l.port;
  }

  /** Adds a PSTN phone. */
  addPhone(opts: PstnPhoneOptions): PstnPhone {
    const p = new PstnPhone(this, opts);
    this.phones.set(opts.id, p);
    return p;
  }

  /** Adds the IVR with DTMF return. */
  addIvr(opts: IvrOptions): Ivr {
    const ivr = new Ivr(this, opts);
    this.phones.set(opts.id, ivr);
    return ivr;
  }

  /** Every phone, the IVR included. */
  allPhones(): PstnPhone[] {
    return [...this.phones.values()];
  }

  /** A phone (or the IVR) by id; throws for an unknown id (a test bug). */
  phone(id: string): PstnPhone {
    const p = this.phones.get(id);
    if (!p) throw new Error(`no PSTN phone "${id}"`);
    return p;
  }

  /** Live bindings of a line (expired ones are dropped). */
  registered(username: string): Binding[] {
    const now = this.clock.now();
    const list = (this.bindings.get(username) ?? []).filter((b) => b.expiresAtMs > now);
    if (list.length > 0) this.bindings.set(username, list);
    else this.bindings.delete(username);
    return list;
  }

  /** Resolves with the binding once the line has registered (at once when it already has). */
  waitRegistered(username: string): Promise<Binding> {
    const b = this.registered(username)[0];
    if (b) return Promise.resolve(b);
    return new Promise((resolve) => this.regWaiters.push({ username, resolve }));
  }

  /** The comparison key of a number (or user) in the provider's numbering plan. */
  private key(n: string): string {
    return numberKey(n, this.numbering);
  }

  /** REFER on one of the phones' calls: handled as provider-refer.ts describes. */
  handleRefer(
    phone: PstnPhone,
    call: import('./call.ts').Call,
    req: SipRequest,
    tx: ServerTransaction,
  ): void {
    void handleProviderRefer(this, phone, call, req, tx);
  }

  /** Where a referred call to `user` goes: one of our phones (through our own listener), or a DID of a line. */
  referTarget(
    user: string,
  ): { kind: 'phone'; uri: string; target: SendTarget } | { kind: 'line'; did: string } | undefined {
    const key = this.key(user);
    const phone = [...this.phones.values()].find((p) => this.key(p.number) === key);
    if (phone) {
      const address = this.opts.address;
      const port = this.port('UDP');
      const host = address.includes(':') ? `[${address}]` : address;
      return {
        kind: 'phone',
        uri: `sip:${phone.number}@${host}:${port}`,
        target: { protocol: 'UDP', address, port },
      };
    }
    if (this.lines.some((l) => (l.dids ?? []).some((d) => this.key(d) === key)))
      return { kind: 'line', did: user };
    return undefined;
  }

  lineTarget(did: string): { ok: true; uri: string; target: SendTarget } | { ok: false; reason: string } {
    const key = this.key(did);
    const line =
      this.lines.find((l) => (l.dids ?? []).some((d) => this.key(d) === key)) ??
      (this.lines.length === 1 ? this.lines[0] : undefined);
    const binding = line ? this.registered(line.username)[0] : undefined;
    if (binding) {
      const t = targetFromUri(binding.contact, binding.flow.protocol);
      if (!t.ok) return { ok: false, reason: `registered contact unusable: ${t.reason}` };
      const udp = binding.flow.protocol === 'UDP';
      const target: SendTarget = {
        protocol: binding.flow.protocol,
        // UDP: where the REGISTER came from (the SBC may sit behind its contact's address).
        // TCP and TLS: the REGISTER's connection while it is open, else a new one to the
        // Contact (RFC 3261 §18.2.2 and RFC 3263): the connection's far port is the SBC's
        // ephemeral one, where nothing listens once it closed (RFC 5626 is not assumed).
        address: udp ? binding.flow.remote.address : t.value.address,
        port: udp ? binding.flow.remote.port : t.value.port,
        ...(binding.flow.connectionId ? { connectionId: binding.flow.connectionId } : {}),
      };
      const host = t.value.address.includes(':') ? `[${t.value.address}]` : t.value.address;
      // The scheme of the Contact the SBC registered: sips: only for a sips: Contact (RFC 3261
      // §19.1: sips asks for TLS on every hop); over TLS to a sip: Contact, transport=tls.
      const sips = /^\s*<?\s*sips:/i.test(binding.contact);
      const tp =
        target.protocol === 'UDP'
          ? ''
          : target.protocol === 'TCP'
            ? ';transport=tcp'
            : sips
              ? ''
              : ';transport=tls';
      return { ok: true, uri: `${sips ? 'sips' : 'sip'}:${did}@${host}:${t.value.port}${tp}`, target };
    }
    const w = this.opts.sbcWan;
    if (w) {
      const host = w.address.includes(':') ? `[${w.address}]` : w.address;
      const tp = w.protocol === 'UDP' ? '' : w.protocol === 'TCP' ? ';transport=tcp' : '';
      const scheme = w.protocol === 'TLS' ? 'sips' : 'sip';
      return { ok: true, uri: `${scheme}:${did}@${host}:${w.port}${tp}`, target: w };
    }
    return { ok: false, reason: line ? `line ${line.username} is not registered` : 'no line for this DID' };
  }

  private onRequest(req: SipRequest, tx: ServerTransaction): void {
    if (req.method === 'REGISTER') {
      this.onRegister(req, tx);
      return;
    }
    if (req.method === 'OPTIONS') {
      tx.respond(createResponse(req, 200));
      return;
    }
    tx.respond(
      createResponse(req, 405, { headers: [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER']] }),
    );
  }

  private record(
    req: SipRequest,
    tx: ServerTransaction,
    r: Omit<RegistrationRecord, 'atMs' | 'wallTime' | 'contacts' | 'protocol' | 'source'>,
  ): void {
    const f = tx.flow;
    this.counts.register++;
    if (r.status === 200) this.counts.registerAccepted++;
    this.registrations.push({
      atMs: this.clock.now(),
      wallTime: this.clock.wallNow(),
      contacts: req.getAll('contact'),
      protocol: f.protocol,
      source: `${f.remote.address}:${f.remote.port}`,
      ...(req.callId ? { callId: req.callId } : {}),
      ...r,
    });
  }

  private onRegister(req: SipRequest, tx: ServerTransaction): void {
    const v = this.digest.verify(req.getAll('authorization'), {
      method: 'REGISTER',
      uri: req.uri,
      body: req.body,
    });
    if (v.kind !== 'ok') {
      // Wrong credentials are refused outright; missing or stale ones are challenged.
      const refuse = v.kind === 'wrong-password' || v.kind === 'unknown-user';
      const status = refuse ? 403 : 401;
      tx.respond(
        createResponse(
          req,
          status,
          refuse ? {} : { headers: v.challenges.map((c) => ['WWW-Authenticate', c]) },
        ),
      );
      this.record(req, tx, {
        status,
        verdict: v.kind,
        ...('username' in v && typeof v.username === 'string' ? { username: v.username } : {}),
      });
      return;
    }
    const username = v.username;
    const min = this.opts.minExpires ?? 60;
    const max = this.opts.maxExpires ?? 3600;
    const headerExpires = req.expires;
    const now = this.clock.now();
    let list = this.registered(username);
    if (req.isWildcardContact) {
      list = [];
      this.bindings.delete(username);
      tx.respond(createResponse(req, 200));
      this.record(req, tx, { status: 200, verdict: 'ok', username, expires: 0 });
      return;
    }
    let granted: number | undefined;
    for (const c of req.contacts) {
      const contactText = this.contactUri(c);
      const pe = c.params.find(([n]) => n.toLowerCase() === 'expires')?.[1];
      let exp = pe !== undefined && pe !== null && /^\d+$/.test(pe) ? Number(pe) : (headerExpires ?? 3600);
      // RFC 3261 §10.3 step 7: 423 if and only if the interval is above 0, below an hour and
      // below the registrar's minimum.
      if (exp > 0 && exp < 3600 && exp < min) {
        tx.respond(createResponse(req, 423, { headers: [['Min-Expires', String(min)]] }));
        this.record(req, tx, { status: 423, verdict: 'ok', username, expires: exp });
        return;
      }
      exp = Math.min(exp, max);
      list = list.filter((b) => b.contact !== contactText);
      if (exp > 0)
        list.push({ username, contact: contactText, expiresAtMs: now + exp * 1000, flow: tx.flow });
      granted = exp;
    }
    if (list.length > 0) this.bindings.set(username, list);
    else this.bindings.delete(username);
    const res = createResponse(req, 200, {
      headers: list.map((b) => [
        'Contact',
        `<${b.contact}>;expires=${Math.round((b.expiresAtMs - now) / 1000)}`,
      ]),
    });
    tx.respond(res);
    this.record(req, tx, {
      status: 200,
      verdict: 'ok',
      username,
      ...(granted !== undefined ? { expires: granted } : {}),
    });
    this.log.info({ line: username, expires: granted }, 'line registered');
    for (let i = this.regWaiters.length - 1; i >= 0; i--) {
      const w = this.regWaiters[i]!;
      const b = list[0];
      if (w.username === username && b) {
        this.regWaiters.splice(i, 1);
        w.resolve(b);
      }
    }
  }

  private contactUri(c: { uri: import('../sip/index.ts').Uri }): string {
    const u = c.uri;
    if ('text' in u) return u.text;
    if ('number' in u) return `tel:${u.number}`;
    const host = u.host.includes(':') ? `[${u.host}]` : u.host;
    const params = u.params.map(([n, v]) => (v === null ? `;${n}` : `;${n}=${v}`)).join('');
    return `${u.scheme}:${u.user !== undefined ? `${u.user}@` : ''}${host}${u.port !== undefined ? `:${u.port}` : ''}${params}`;
  }

  private async onInvite(inv: IncomingInvite): Promise<void> {
    const req = inv.request;
    if (this.opts.authenticateInvites) {
      const v = this.digest.verify(req.getAll('proxy-authorization'), { method: 'INVITE', uri: req.uri });
      if (v.kind !== 'ok') {
        inv.reject(407, { headers: v.challenges.map((c) => ['Proxy-Authenticate', c]) });
        return;
      }
    }
    const u = req.parsedUri;
    let user = u && 'user' in u ? (u.user ?? '') : u && 'number' in u ? u.number : '';
    const key = this.key(user);
    let phone = [...this.phones.values()].find((p) => this.key(p.number) === key);
    if (!phone) {
      const to = req.to?.uri;
      const toUser = to && 'user' in to ? (to.user ?? '') : to && 'number' in to ? to.number : '';
      phone = [...this.phones.values()].find((p) => this.key(p.number) === this.key(toUser));
      if (phone) user = toUser;
    }
    const rec: RouteRecord = { atMs: this.clock.now(), requestUser: user };
    this.routes.push(rec);
    this.counts.routed++;
    if (!phone) {
      rec.status = 404;
      inv.reject(404);
      return;
    }
    rec.routedTo = phone.id;
    try {
      await phone.handleInvite(inv);
    } catch (e) {
      this.log.warn({ err: String(e) }, 'phone failed on an INVITE');
      inv.reject(500);
    }
  }
}
