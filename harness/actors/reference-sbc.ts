/**
 * The embedded reference SBC: a back-to-back user agent between the provider (WAN) and the
 * OXO Connect trunk (LAN), the default device under test when the user has no SBC of their
 * own. Like a LANCOM eSBC it is the registrar of the OXO trunk user, registers its own SIP
 * line at the provider, routes calls both ways with the line's identity, anchors media on
 * its own ports (transcoding when the legs' codecs differ, SRTP toward the WAN when set),
 * interworks DTMF (RFC 4733, inband, SIP INFO with "fallback on SIP INFO"), relays or
 * handles REFER, and has named fault switches (sbc-faults.ts) to prove that checks fail.
 *
 * Every call leaves a {@link SbcCallRecord}: Call-IDs and codecs of both legs, whether it
 * transcoded, the digits that crossed, re-INVITEs, REFERs, and the relay counters.
 *
 * Call states: setup --18x--> early --2xx--> answered --BYE--> ended
 *                 \--------------non-2xx / CANCEL-------------> failed
 */
import { EventEmitter } from 'node:events';
import type { CodecName } from '../../codecs/index.ts';
import {
  buildDtmfRelayBody,
  DTMF_RELAY_CONTENT_TYPE,
  type DtmfDigit,
  parseSipInfoDtmf,
} from '../media/dtmf/index.ts';
import type { PacketRecord } from '../media/rtp/index.ts';
import {
  AckTimeoutError,
  createResponse,
  type Dialog,
  type IncomingInvite,
  isSipUri,
  type NameAddr,
  notifyReferProgress,
  type SdpDirection,
  type SdpSession,
  type SendTarget,
  type ServerTransaction,
  SipRequest,
  type SipResponse,
  type TransportProtocol,
  UserAgent,
} from '../sip/index.ts';
import { selfSignedCertificate } from '../support/certificate.ts';
import { type Clock, systemClock } from '../support/clock.ts';
import { type Logger, silentLogger } from '../support/log.ts';
import { boundHistory } from './call-history.ts';
import { AuthHoldOff, GlobalInviteLockout, MalformedStall } from './sbc-access-policy.ts';
import {
  parseSbcConfig,
  type ReferenceSbcConfig,
  type ReferenceSbcConfigInput,
  type ReferenceSbcRuntime,
  type SbcMediaPolicy,
} from './sbc-config.ts';
import { faultOn, SBC_FAULTS, type SbcFaultName, type SbcFaults } from './sbc-faults.ts';
import { inviteRefusal } from './sbc-invite-gate.ts';
import { SbcLineRegistration, type SbcLineState } from './sbc-line-registration.ts';
import { REORDER_EVERY, SbcMediaEndpoint } from './sbc-media-endpoint.ts';
import {
  type SbcDirectionStats,
  type SbcDtmfRecord,
  SbcMediaRelay,
  type SbcRelayLeg,
  type SbcSide,
} from './sbc-media-relay.ts';
import { watchMediaInactivity } from './sbc-media-timeout.ts';
import type { SbcPersonalityName } from './sbc-personalities.ts';
import { type SbcBinding, SbcRegistrar } from './sbc-registrar.ts';
import { type ReplacesMatch, replacesAcross, replacesNamed } from './sbc-replaces.ts';
import { offeredCodecs, parseOrUndefined, peerDirection, SbcLegSdp, type SbcNegotiated } from './sbc-sdp.ts';

/** RTCP report interval with personality rtcp-reports, ms (first report after half of it). */
const RTCP_INTERVAL_MS = 2500;

/** With personality ssrc-change: the first new stream starts this long after the answer, ms. */
const SSRC_CHANGE_AFTER_MS = 1000;
/**
 * The shortest registration of the OXO trunk the registrar takes under personality min-expires,
 * s: below an hour, as RFC 3261 §10.3 step 7 allows a 423 only for an interval under one hour.
 */
export const MIN_EXPIRES_PERSONALITY_S = 1800;

/** With personality port-change: each leg gets its re-INVITE with a new port this long after the answer, ms. */
const PORT_CHANGE_AFTER_MS = 300;

/** With personality port-change: the old port keeps relaying what is already on its way this long, ms. */
const OLD_PORT_GRACE_MS = 1000;

/** With personality answer-then-relay: a re-INVITE goes on to the other leg this long after its own leg's ACK, ms. */
const RELAY_AFTER_ANSWER_MS = 300;

/** With personality session-refresh: the first refresh this long after the answer, then every REFRESH_EVERY_MS, ms. */
const REFRESH_FIRST_MS = 1500;
const REFRESH_EVERY_MS = 10_000;

/** Most RTP datagrams kept as evidence from ended calls' ports (the most recent), by default. */
const MAX_CLOSED_EVIDENCE = 500_000;

/** Most records of ended calls kept (the most recent), by default. */
const MAX_ENDED_RECORDS = 1000;

/**
 * What the SBC keeps of ended calls: their ports' datagrams as evidence and their call records
 * (the most recent; live calls are always kept). A run takes them per case; an SBC that runs on
 * its own (`sbc-harness sbc`) has nobody who takes them, and keeps much less (lab-commands.ts).
 */
export interface SbcRetention {
  closedEvidence: number;
  endedRecords: number;
}

/**
 * What an SBC running on its own keeps (`sbc-harness sbc` and `sim`): about a minute and a half of
 * one call's datagrams, and the last 100 ended calls' records.
 */
export const STANDALONE_SBC_RETENTION: Readonly<SbcRetention> = { closedEvidence: 5000, endedRecords: 100 };

/** One call leg as evidence. */
export interface SbcLegRecord {
  side: SbcSide;
  callId?: string;
  codec?: CodecName;
  payloadType?: number;
  telephoneEventPt?: number;
  srtpSuite?: string;
  /** The SBC's anchored RTP address on this leg. */
  local: { address: string; port: number };
  /** Where the SBC sends this leg's RTP. */
  remote?: { address: string; port: number };
}

/** One SIP INFO seen by the SBC. */
export interface SbcInfoRecord {
  from: SbcSide;
  digit?: string;
  action: 'converted' | 'relayed' | 'dropped' | 'sent';
  status: number;
}

/** Everything the SBC knows about one call, for later checks. */
export interface SbcCallRecord {
  id: number;
  direction: 'lan-to-wan' | 'wan-to-lan';
  state: 'setup' | 'early' | 'answered' | 'ended' | 'failed';
  /** Final status of the INVITE relayed to the caller. */
  status?: number;
  /** Calling and called numbers as routed. */
  calling: string;
  called: string;
  /** The caller's leg and the callee's leg of the original call. */
  lan: SbcLegRecord;
  wan: SbcLegRecord;
  /** Legs added by a locally handled REFER. */
  extraLegs: SbcLegRecord[];
  transcoding: boolean;
  dtmf: SbcDtmfRecord[];
  info: SbcInfoRecord[];
  reinvites: Array<{
    /** Who sent it: a leg's peer, or the SBC itself (personality port-change). */
    from: SbcSide | 'sbc';
    method: 'INVITE' | 'UPDATE';
    status: number;
    direction?: SdpDirection;
    /**
     * How it went on to the other leg when not as the same request: an UPDATE (personality
     * update-for-hold) or a re-INVITE without an offer (personality offerless-reinvite); or
     * not at all, answered on the leg that sent it (personality hold-local); or answered on
     * that leg first and sent on after its ACK (personality answer-then-relay).
     */
    relayedAs?: 'UPDATE' | 'offerless INVITE' | 'answered here' | 'answered first';
  }>;
  refers: Array<{
    from: SbcSide;
    referTo: string;
    policy: 'pass' | 'local' | 'refused';
    status: number;
    outcome?: number;
    /**
     * Personality replaces-local: the id of the SBC call whose leg toward the target the
     * transferee was joined to, in place of a new INVITE (the consultation the Replaces named).
     */
    joined?: number;
  }>;
  /** Faults switched on when the call started. */
  faults: SbcFaultName[];
  /** Personalities (legal behaviour switches) on when the call started. */
  personalities: SbcPersonalityName[];
  /** A BYE that the SBC answered but did not relay (no-bye-relay). */
  byeNotRelayed?: SbcSide;
  startedMs: number;
  answeredMs?: number;
  endedMs?: number;
  endedBy?: SbcSide | 'sbc';
  relay?: Record<string, SbcDirectionStats>;
}

export interface ReferenceSbcEvents {
  call: [SbcCallRecord];
  answered: [SbcCallRecord];
  ended: [SbcCallRecord];
  binding: [SbcBinding, 'added' | 'refreshed' | 'removed'];
  'line-state': [SbcLineState];
}

class Leg {
  dialog: Dialog | undefined;
  readonly relayLeg: SbcRelayLeg;
  readonly sdp: SbcLegSdp;
  negotiated: SbcNegotiated | undefined;

  constructor(
    readonly side: SbcSide,
    readonly ua: UserAgent,
    public endpoint: SbcMediaEndpoint,
    policy: SbcMediaPolicy,
    faults: SbcFaults,
    readonly record: SbcLegRecord,
    telephoneEventPt = 101,
  ) {
    this.relayLeg = { side, endpoint };
    this.sdp = new SbcLegSdp(
      side,
      endpoint.localAddress,
      endpoint.localPort,
      policy,
      faults,
      telephoneEventPt,
    );
  }

  get codec(): CodecName | undefined {
    return this.negotiated?.media.codec.name;
  }
}

class Call {
  relay: SbcMediaRelay;
  ended = false;
  busy = false;
  readonly retired: Leg[] = [];
  /** Legs that a locally honoured Replaces moved into another call (personality replaces-local). */
  readonly movedOut = new Set<Leg>();

  constructor(
    readonly record: SbcCallRecord,
    public legs: [Leg, Leg],
    relay: SbcMediaRelay,
  ) {
    this.relay = relay;
  }

  partner(leg: Leg): Leg | undefined {
    const p = this.legs[0] === leg ? this.legs[1] : this.legs[1] === leg ? this.legs[0] : undefined;
    return p && !this.movedOut.has(p) ? p : undefined;
  }

  /** The legs whose ports and dialogs this call still owns (current, retired, not moved out). */
  owned(): Leg[] {
    return [...this.legs, ...this.retired].filter((l) => !this.movedOut.has(l));
  }

  legOf(r: SbcRelayLeg): Leg | undefined {
    return this.legs.find((l) => l.relayLeg === r);
  }
}

interface Route {
  uri: string;
  target: SendTarget;
  from: string;
  to: string;
  headers: Array<[string, string]>;
  credentials?: { username: string; password: string };
  calling: string;
  called: string;
}

function userOf(na: NameAddr | undefined): string | undefined {
  return na && isSipUri(na.uri)
    ? na.uri.user
    : na && na.uri.scheme === 'tel'
      ? (na.uri as { number: string }).number
      : undefined;
}

function display(na: NameAddr | undefined): string {
  return na?.displayName ? `"${na.displayName.replace(/"/g, '')}" ` : '';
}

/** An SDES inline key (RFC 4568 §6.1) with the first byte of its master key changed: fault srtp-wrong-key. */
function otherInlineKey(inline: string): string {
  const m = /^(inline:)?([A-Za-z0-9+/]+={0,2})(.*)$/i.exec(inline.trim());
  if (!m) return inline;
  const bytes = Buffer.from(m[2]!, 'base64');
  if (bytes.length === 0) return inline;
  bytes[0] = bytes[0]! ^ 0xff;
  return `${m[1] ?? ''}${bytes.toString('base64')}${m[3] ?? ''}`;
}

function hostPort(address: string, port?: number): string {
  const h = address.includes(':') ? `[${address}]` : address;
  return port ? `${h}:${port}` : h;
}

/** The embedded reference SBC. Create with {@link ReferenceSbc.start}. */
export class ReferenceSbc extends EventEmitter<ReferenceSbcEvents> {
  readonly registrar: SbcRegistrar;
  readonly line: SbcLineRegistration;
  private readonly records: SbcCallRecord[] = [];
  private readonly live = new Set<Call>();
  /** New calls admitted whose ports are still being opened (counted by session-limit). */
  private admitting = 0;
  /** The call each wired leg belongs to now (a locally honoured Replaces moves a leg). */
  private readonly owner = new WeakMap<Leg, Call>();
  private readonly endpoints = new Set<SbcMediaEndpoint>();
  private readonly closedEvidence: PacketRecord[] = [];
  private nextId = 1;
  private stopped = false;
  /** Authentication failures per source and their hold-off (sbc-access-policy.ts). */
  readonly holdOff: AuthHoldOff;
  private readonly lockout: GlobalInviteLockout;
  private readonly stall: MalformedStall;
  /** Datagrams not kept as evidence (per-port limit or the limit for ended calls). */
  evidenceDropped = 0;
  /** What is kept of ended calls (mutable: takes effect at the next call end or new call). */
  retention: SbcRetention = { closedEvidence: MAX_CLOSED_EVIDENCE, endedRecords: MAX_ENDED_RECORDS };
  /**
   * With personality answer-then-relay: how long after its own leg's ACK a re-INVITE goes on to
   * the other leg, ms (mutable: a test sets a slower SBC, still inside the plan's bounds).
   */
  relayAfterAnswerMs = RELAY_AFTER_ANSWER_MS;

  private constructor(
    readonly config: ReferenceSbcConfig,
    readonly lanUa: UserAgent,
    readonly wanUa: UserAgent,
    readonly clock: Clock,
    private readonly log: Logger,
  ) {
    super();
    const c = config;
    this.holdOff = new AuthHoldOff(
      () => c.security.holdOff,
      () => faultOn(c.faults, 'no-auth-holdoff'),
      clock,
    );
    this.lockout = new GlobalInviteLockout(clock);
    this.stall = new MalformedStall(clock);
    for (const ua of [lanUa, wanUa])
      ua.transport.on('trace', (t) => {
        if (t.direction === 'in' && t.error && faultOn(c.faults, 'malformed-stall')) this.stall.malformed();
      });
    this.registrar = new SbcRegistrar({
      acceptReplay: () => c.security.digestReplay === 'accept' || faultOn(c.faults, 'digest-replay'),
      holdOff: this.holdOff,
      realm: c.lan.realm,
      username: c.lan.trunk.username,
      password: c.lan.trunk.password,
      maxExpires: c.lan.maxExpires,
      ...(c.personalities.includes('min-expires') ? { minExpires: MIN_EXPIRES_PERSONALITY_S } : {}),
      rechallenge: c.personalities.includes('rechallenge-bad-password'),
      clock,
      logger: log.child({ side: 'lan' }),
    });
    this.registrar.on('binding', (b, what) => this.emit('binding', b, what));
    const p = c.wan.provider;
    this.line = new SbcLineRegistration({
      ua: wanUa,
      registrar: `sip:${p.domain}`,
      aor: `sip:${c.wan.line.username}@${p.domain}`,
      target: { protocol: p.protocol, address: p.address, port: p.port },
      username: c.wan.line.authUsername ?? c.wan.line.username,
      password: c.wan.line.password,
      expires: c.wan.line.expires,
      retryMs: c.wan.line.retryMs,
      clock,
      logger: log.child({ side: 'wan' }),
    });
    this.line.on('state', (s) => this.emit('line-state', s));
    lanUa.on('request', (req, tx) => this.onLanRequest(req, tx));
    wanUa.on('request', (req, tx) => {
      if (req.method === 'OPTIONS') tx.respond(createResponse(req, this.optionsStatus(req)));
      else
        tx.respond(
          createResponse(req, 405, {
            headers: [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, UPDATE, PRACK']],
          }),
        );
    });
    lanUa.on('invite', (inv) => void this.onInvite('lan', inv));
    wanUa.on('invite', (inv) => void this.onInvite('wan', inv));
  }

  /**
   * Validates the configuration, binds both sides and (unless `wan.line.register` is false)
   * starts registering the provider line. Throws on an invalid configuration or when an
   * address cannot be bound (configuration errors, not network input).
   */
  static async start(
    input: ReferenceSbcConfigInput,
    runtime: ReferenceSbcRuntime = {},
  ): Promise<ReferenceSbc> {
    const parsed = parseSbcConfig(input);
    if (!parsed.ok)
      throw new Error(`invalid reference SBC configuration:\n${parsed.error.issues.join('\n')}`);
    const c = parsed.config;
    const clock = runtime.clock ?? systemClock;
    const log = (runtime.logger ?? silentLogger).child({ actor: 'reference-sbc' });
    // Fault bye-500, read at each BYE: c.faults is the object setFault changes.
    const byeStatus = () => (faultOn(c.faults, 'bye-500') ? 500 : undefined);
    const lanUa = await UserAgent.start({
      listen: [
        { protocol: 'UDP', address: c.lan.address, port: c.lan.port },
        { protocol: 'TCP', address: c.lan.address, port: c.lan.port },
      ],
      clock,
      logger: log.child({ side: 'lan' }),
      contactUser: 'sbc',
      userAgent: c.userAgent,
      byeStatus,
      ...(c.timers ? { timers: c.timers } : {}),
    });
    let wanUa: UserAgent;
    try {
      const listen: Array<{ protocol: TransportProtocol; address: string; port: number }> = [
        { protocol: 'UDP', address: c.wan.address, port: c.wan.port },
        { protocol: 'TCP', address: c.wan.address, port: c.wan.port },
      ];
      if (c.wan.tlsPort !== undefined)
        listen.push({ protocol: 'TLS', address: c.wan.address, port: c.wan.tlsPort });
      // The listener's certificate (self-signed unless given); as a client, the provider's
      // certificate is verified against wan.tls.ca unless wan.tls.verify is false (or fault tls-no-verify).
      const own =
        c.wan.tls.key && c.wan.tls.cert
          ? { key: c.wan.tls.key, cert: c.wan.tls.cert }
          : c.wan.tlsPort !== undefined || c.wan.provider.protocol === 'TLS'
            ? await selfSignedCertificate('reference-sbc.test', [c.wan.address])
            : undefined;
      const tls = own
        ? {
            ...own,
            ...(c.wan.tls.ca ? { ca: c.wan.tls.ca } : {}),
            rejectUnauthorized: c.wan.tls.verify && !faultOn(c.faults, 'tls-no-verify'),
          }
        : undefined;
      wanUa = await UserAgent.start({
        listen,
        ...(tls ? { tls } : {}),
        clock,
        logger: log.child({ side: 'wan' }),
        contactUser: c.wan.line.username,
        ...(c.wan.contactHost ? { contactHost: c.wan.contactHost } : {}),
        userAgent: c.userAgent,
        byeStatus,
        ...(c.timers ? { timers: c.timers } : {}),
      });
    } catch (e) {
      await lanUa.stop();
      throw e;
    }
    const sbc = new ReferenceSbc(c, lanUa, wanUa, clock, log);
    if (c.wan.line.register) sbc.line.start();
    return sbc;
  }

  /** True when a personality (legal behaviour switch) is on. */
  has(name: SbcPersonalityName): boolean {
    return this.config.personalities.includes(name);
  }

  /** The LAN listener for a protocol: where the OXO trunk registers and sends calls. */
  lanListener(protocol: 'UDP' | 'TCP' = 'UDP'): { address: string; port: number } {
    const l = this.lanUa.transport.listenerFor(protocol);
    return { address: l.address, port: l.port };
  }

  /** The WAN listener for a protocol: where the provider sends calls. */
  wanListener(protocol: TransportProtocol = 'UDP'): { address: string; port: number } {
    const l = this.wanUa.transport.listenerFor(protocol);
    return { address: l.address, port: l.port };
  }

  /** The registrar URI the OXO trunk registers to (sip:address:port). */
  get lanRegistrarUri(): string {
    const l = this.lanListener('UDP');
    return `sip:${hostPort(l.address, l.port)}`;
  }

  /** State of the SBC's own provider line. */
  get lineState(): SbcLineState {
    return this.line.state;
  }

  /** Turns a fault switch on or off (takes effect for packets and requests from now on). */
  setFault<K extends SbcFaultName>(name: K, value: SbcFaults[K] | undefined): void {
    if (!SBC_FAULTS.some((f) => f.name === name)) return;
    if (value === undefined || value === false) delete this.config.faults[name];
    else this.config.faults[name] = value;
  }

  /** How many calls the SBC holds up now (ringing or established). */
  get liveCalls(): number {
    return this.live.size;
  }

  /** Copies of every call record so far, oldest first. */
  calls(): SbcCallRecord[] {
    for (const c of this.live) this.refresh(c);
    return this.records.map((r) => structuredClone(r));
  }

  /** Every RTP datagram the SBC's media ports sent or received (closed calls included). */
  evidence(): PacketRecord[] {
    const out = [...this.closedEvidence];
    for (const e of this.endpoints) out.push(...e.evidence.records);
    return out.sort((a, b) => a.atMs - b.atMs);
  }

  /** Ends every call, unregisters the line and closes all sockets. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const call of [...this.live]) await this.hangupAll(call, 'sbc');
    await this.line.stop(1000);
    await Promise.all([this.lanUa.stop(), this.wanUa.stop()]);
    await Promise.all([...this.endpoints].map((e) => e.close()));
    this.endpoints.clear();
  }

  // ---------------------------------------------------------------- LAN registrar

  private onLanRequest(req: SipRequest, tx: ServerTransaction): void {
    if (req.method === 'REGISTER') {
      this.registrar.handle(req, tx);
      return;
    }
    if (req.method === 'OPTIONS') tx.respond(createResponse(req, this.optionsStatus(req)));
    else tx.respond(createResponse(req, 405));
  }

  /**
   * The answer to an OPTIONS outside a dialog: 200, or with personality options-404 a 404 to
   * one whose Request-URI names no user (RFC 3261 §11.2: the answer an INVITE there would get,
   * and there is no one to route such an INVITE to).
   */
  private optionsStatus(req: SipRequest): number {
    const u = req.parsedUri;
    const user = u && isSipUri(u) ? u.user : undefined;
    return this.has('options-404') && !user ? 404 : 200;
  }

  // ---------------------------------------------------------------- routing

  private routeToWan(req: SipRequest): Route | number {
    const c = this.config.wan;
    const ruri = req.parsedUri;
    const dialled = (ruri && isSipUri(ruri) ? ruri.user : undefined) ?? userOf(req.to);
    if (!dialled) return 404;
    // called-00: an E.164 number with the international prefix instead of "+".
    const called = this.has('called-00') && /^\+\d+$/.test(dialled) ? `00${dialled.slice(1)}` : dialled;
    const pai = req.pAssertedIdentities[0];
    const calling = userOf(pai) ?? userOf(req.from) ?? c.line.username;
    const domain = c.provider.domain;
    const headers: Array<[string, string]> = [
      ['P-Asserted-Identity', `${this.displayOf(pai ?? req.from)}<sip:${calling}@${domain}>`],
    ];
    const privacy = req.get('privacy');
    if (privacy) headers.push(['Privacy', privacy]);
    return {
      uri: `sip:${called}@${domain}`,
      target: { protocol: c.provider.protocol, address: c.provider.address, port: c.provider.port },
      from: `${this.displayOf(req.from)}<sip:${calling}@${domain}>`,
      to: `<sip:${called}@${domain}>`,
      headers,
      credentials: { username: c.line.authUsername ?? c.line.username, password: c.line.password },
      calling,
      called,
    };
  }

  /** The display-name part of a caller's name-addr as this SBC writes it (none with no-display-name). */
  private displayOf(na: NameAddr | undefined): string {
    return this.has('no-display-name') ? '' : display(na);
  }

  private routeToLan(req: SipRequest): Route | number {
    const line = this.config.wan.line;
    const ruri = req.parsedUri;
    let did = ruri && isSipUri(ruri) ? ruri.user : undefined;
    if (!did || did === line.username) did = userOf(req.to);
    if (!did) return 404;
    if (line.dids.length > 0 && !line.dids.includes(did)) return 404;
    const binding = this.registrar.target();
    if (!binding) return 480;
    const domain = this.config.lan.domain ?? this.config.lan.address;
    const pai = req.pAssertedIdentities[0];
    const calling = userOf(pai) ?? userOf(req.from) ?? 'anonymous';
    // caller-in-from: no asserted identity; the caller only in From, unless they asked for
    // privacy of their identity (RFC 3323 §4.1.1.3: then an anonymous From, and no caller).
    const fromOnly = this.has('caller-in-from') && !this.has('caller-in-pai');
    const hidden = fromOnly && /\b(id|header|user)\b/i.test(req.getAll('privacy').join(','));
    const headers: Array<[string, string]> = fromOnly
      ? []
      : [['P-Asserted-Identity', `${this.displayOf(pai ?? req.from)}<sip:${calling}@${domain}>`]];
    for (const h of ['diversion', 'privacy'])
      for (const v of req.getAll(h)) headers.push([h === 'privacy' ? 'Privacy' : 'Diversion', v]);
    return {
      // Default: the registered contact as Request-URI, the DID in To (RFC 3261 §16.5, §10.2).
      uri: this.has('ruri-did') ? withUser(binding.uri, did) : binding.uri,
      target: binding.target,
      from:
        this.has('caller-in-pai') || hidden
          ? `<sip:anonymous@anonymous.invalid>`
          : `${this.displayOf(req.from)}<sip:${calling}@${domain}>`,
      to: `<sip:${did}@${domain}>`,
      headers,
      calling,
      called: did,
    };
  }

  // ---------------------------------------------------------------- calls

  private policy(side: SbcSide): SbcMediaPolicy {
    const p = side === 'lan' ? this.config.lan.media : this.config.wan.media;
    if (this.has('ptime-30')) return { ...p, ptimeMs: 30 };
    return this.has('ptime-10') ? { ...p, ptimeMs: 10 } : p;
  }

  private ua(side: SbcSide): UserAgent {
    return side === 'lan' ? this.lanUa : this.wanUa;
  }

  private async newLeg(side: SbcSide): Promise<Leg> {
    const s = side === 'lan' ? this.config.lan : this.config.wan;
    const address = s.mediaAddress ?? s.address;
    const ep = await SbcMediaEndpoint.open({ address, clock: this.clock, name: side });
    this.endpoints.add(ep);
    const record: SbcLegRecord = { side, local: { address, port: ep.localPort } };
    if (this.has('rtcp-reports')) ep.startRtcp(RTCP_INTERVAL_MS);
    if (this.has('rtp-reorder')) ep.reorderEvery = REORDER_EVERY;
    const tePt = this.has('te-pt-96') ? 96 : 101;
    return new Leg(side, this.ua(side), ep, this.policy(side), this.config.faults, record, tePt);
  }

  private async closeLeg(leg: Leg): Promise<void> {
    await this.closeEndpoint(leg.endpoint);
  }

  /** Closes an anchored port, keeping its datagrams as evidence. */
  private async closeEndpoint(ep: SbcMediaEndpoint): Promise<void> {
    if (!this.endpoints.has(ep)) return;
    this.endpoints.delete(ep);
    const max = Math.max(0, this.retention.closedEvidence);
    const recs = ep.evidence.records;
    const kept = recs.length > max ? recs.slice(recs.length - max) : recs;
    for (const r of kept) this.closedEvidence.push(r);
    // The oldest go first; trimmed in chunks (an eighth of the limit) so that a call end costs little.
    const over = this.closedEvidence.length - max;
    const chunk = over > 0 ? Math.min(this.closedEvidence.length, over + Math.floor(max / 8)) : 0;
    if (chunk > 0) this.closedEvidence.splice(0, chunk);
    this.evidenceDropped += recs.length - kept.length + chunk + ep.evidence.dropped;
    await ep.close();
  }

  private apply(call: Call, leg: Leg, n: SbcNegotiated): void {
    leg.negotiated = n;
    // srtp-wrong-key: what it sends is protected with another key than its SDP announced.
    const srtp =
      n.srtp && faultOn(this.config.faults, 'srtp-wrong-key')
        ? { ...n.srtp, localKey: otherInlineKey(n.srtp.localKey) }
        : n.srtp;
    leg.endpoint.configure(n.remote, srtp);
    call.relay.setMedia(leg.relayLeg, n.media);
    leg.relayLeg.receives = n.peerDirection === 'sendrecv' || n.peerDirection === 'recvonly';
    const r = leg.record;
    r.codec = n.media.codec.name;
    r.payloadType = n.media.payloadType;
    if (n.media.telephoneEventPt !== undefined) r.telephoneEventPt = n.media.telephoneEventPt;
    else delete r.telephoneEventPt;
    if (n.srtp) r.srtpSuite = n.srtp.suite;
    if (n.remote) r.remote = n.remote;
    call.record.transcoding = call.relay.transcoding;
  }

  private refresh(call: Call): void {
    call.record.relay = call.relay.stats();
    call.record.dtmf = [...call.relay.dtmf];
    call.record.transcoding = call.record.transcoding || call.relay.transcoding;
  }

  private async onInvite(side: SbcSide, inv: IncomingInvite): Promise<void> {
    if (this.stopped) {
      inv.reject(503);
      return;
    }
    const req = inv.request;
    // Who may call through the SBC (sbc-access-policy.ts, sbc-invite-gate.ts).
    const refusal = inviteRefusal(this, side, req, inv.tx.flow.remote.address, this.lockout, this.stall);
    if (refusal) {
      inv.reject(refusal.status, { headers: refusal.headers });
      return;
    }
    if (side === 'lan' && this.config.lan.authenticateInvites) {
      const ch = this.registrar.challengeFor(req, inv.tx.flow.remote.address);
      if (ch) {
        inv.reject(ch.status, { headers: ch.headers });
        return;
      }
    }
    const route = side === 'lan' ? this.routeToWan(req) : this.routeToLan(req);
    if (typeof route === 'number') {
      inv.reject(route);
      return;
    }
    const offerText = inv.offer;
    const offer = parseOrUndefined(offerText);
    if (offerText && !offer) {
      inv.reject(488, { reason: 'Bad SDP' });
      return;
    }
    // session-limit=N: a call admitted (its source allowed, its number routed, its offer read)
    // is refused while N calls are up or being set up, as a licence of N concurrent sessions
    // does. No Retry-After: when a call ends is not known (RFC 3261 §21.5.4 makes it optional).
    const limit = this.config.faults['session-limit'];
    if (
      limit !== undefined &&
      faultOn(this.config.faults, 'session-limit') &&
      this.live.size + this.admitting >= limit
    ) {
      inv.reject(503);
      return;
    }
    const farSide: SbcSide = side === 'lan' ? 'wan' : 'lan';
    let near: Leg | undefined;
    let far: Leg;
    // Counted while its ports are opened; from there to `live` nothing waits.
    this.admitting++;
    try {
      near = await this.newLeg(side);
      far = await this.newLeg(farSide);
    } catch (e) {
      // No port pair on one side: the other side's pair is released too.
      if (near) await this.closeLeg(near);
      this.log.warn({ err: String(e) }, 'no RTP port pair for a call; answering 503');
      inv.reject(503, { headers: [['Retry-After', '5']] });
      return;
    } finally {
      this.admitting--;
    }
    near.record.callId = req.callId;
    const record: SbcCallRecord = {
      id: this.nextId++,
      direction: side === 'lan' ? 'lan-to-wan' : 'wan-to-lan',
      state: 'setup',
      calling: route.calling,
      called: route.called,
      lan: side === 'lan' ? near.record : far.record,
      wan: side === 'wan' ? near.record : far.record,
      extraLegs: [],
      transcoding: false,
      dtmf: [],
      info: [],
      reinvites: [],
      refers: [],
      faults: SBC_FAULTS.filter((f) => faultOn(this.config.faults, f.name)).map((f) => f.name),
      personalities: [...this.config.personalities],
      startedMs: this.clock.now(),
    };
    this.records.push(record);
    boundHistory(this.records, this.retention.endedRecords + this.live.size, (r) => r.endedMs !== undefined);
    const relay = new SbcMediaRelay(near.relayLeg, far.relayLeg, this.config.faults, this.clock, {});
    const call = new Call(record, [near, far], relay);
    this.attachRelay(call, relay);
    this.live.add(call);
    this.emit('call', record);

    const farOffer = far.sdp.createOffer(offeredCodecs(offer), peerDirection(offer));
    const out = far.ua.invite({
      method: 'INVITE',
      uri: route.uri,
      target: route.target,
      from: route.from,
      to: route.to,
      // Personality require-100rel: every provisional response of the far side must be reliable
      // (RFC 3262 §3), which the SBC's own user agent PRACKs.
      headers: this.has('require-100rel') ? [...route.headers, ['Require', '100rel']] : route.headers,
      body: farOffer,
      ...(route.credentials ? { credentials: route.credentials } : {}),
      support100rel: this.has('require-100rel') || req.tokens('supported').includes('100rel'),
    });
    far.record.callId = out.request.callId;
    let nearAnswer: string | undefined;
    let lastFarSdp: string | undefined;
    // A reliable provisional with the answer relayed to the caller (the far side's own): its
    // PRACK, which the 2xx must wait for (RFC 3262 §3).
    let nearReliable: Promise<boolean> | undefined;
    // Personality early-media: the answer the caller got in the SBC's own 183, which the 2xx
    // must repeat (RFC 3261 §13.2.1: one answer per offer).
    let earlyAnswer = false;
    const onFarSdp = (text: string): boolean => {
      if (text === lastFarSdp) return true;
      lastFarSdp = text;
      const a = far.sdp.acceptAnswer(text);
      if (!a.ok) return false;
      this.apply(call, far, a.negotiated);
      call.relay.stopRingback();
      if (!offerText) return true;
      if (earlyAnswer) return true;
      const dir = answerDirectionFor(a.negotiated.peerDirection);
      const b = near.sdp.answer(offerText, far.codec, dir);
      if (!b.ok) return false;
      this.apply(call, near, b.negotiated);
      nearAnswer = b.answer;
      return true;
    };
    inv.on('cancelled', () => {
      out.cancel();
      record.state = 'failed';
      record.status = 487;
    });
    out.on('response', (res: SipResponse) => {
      if (res.status <= 100 || res.status >= 200 || inv.cancelled) return;
      record.state = 'early';
      const sdp = isSdp(res) ? res.bodyText : undefined;
      if (sdp && offerText && onFarSdp(sdp) && nearAnswer) {
        const reliable = res.tokens('require').includes('100rel');
        const sent = inv.progress(nearAnswer, { reliable, status: res.status });
        // The first reliable one with the answer is the one the 2xx waits for (reliable when the
        // far side's was and the caller supports 100rel, or whenever the caller requires it).
        if ((reliable && inv.request.tokens('supported').includes('100rel')) || inv.requires100rel)
          nearReliable ??= sent;
      } else if (earlyAnswer) {
        // The caller has the SBC's 183 and hears ringback: a further 180 changes nothing.
      } else if (res.status === 180 && offerText && !nearAnswer && this.has('early-media')) {
        // The far side rings: a 183 with the SBC's own answer, and ringback in that stream.
        const b = near.sdp.answer(offerText, far.codec, 'sendrecv');
        if (b.ok) {
          earlyAnswer = true;
          nearAnswer = b.answer;
          this.apply(call, near, b.negotiated);
          const sent = inv.progress(nearAnswer, { status: 183 });
          // A caller that requires 100rel gets it reliably: the 2xx waits for its PRACK.
          if (inv.requires100rel) nearReliable ??= sent;
          call.relay.startRingback(near.relayLeg);
        } else inv.ring();
      } else if (res.status === 180) inv.ring();
      else inv.progress(undefined, { status: res.status });
    });
    // Timer C: a far side that rings for ever (and a caller that never cancels) holds nothing for ever.
    let timedOut = false;
    const timerC = this.clock.setTimeout(() => {
      timedOut = true;
      this.lanUa.transport.netLog.warn(
        'timer-c',
        { call: record.id, afterMs: this.config.timerCMs },
        'no final response within Timer C; cancelling the outgoing INVITE',
      );
      out.cancel();
    }, this.config.timerCMs);
    const result = await out.result;
    timerC.cancel();
    if (result.status >= 200 && result.status < 300 && result.dialog) {
      far.dialog = result.dialog;
      if (inv.cancelled || this.stopped) {
        await far.ua.bye(result.dialog).catch(() => undefined);
        await this.finish(call, 'sbc');
        return;
      }
      const farSdp = result.response && isSdp(result.response) ? result.response.bodyText : lastFarSdp;
      if (!farSdp || !onFarSdp(farSdp)) {
        inv.reject(488);
        await far.ua.bye(result.dialog).catch(() => undefined);
        record.status = 488;
        record.state = 'failed';
        await this.finish(call, 'sbc');
        return;
      }
      // Personality answer-in-reliable-183: the answer in a reliable 183, the 200 after its PRACK
      // and without SDP (RFC 3262 §3, RFC 3261 §13.2.1); not when the caller already has it
      // reliably (a second reliable provisional must wait for the first's PRACK, §3).
      const answerReliably =
        offerText !== undefined &&
        nearAnswer !== undefined &&
        !earlyAnswer &&
        nearReliable === undefined &&
        this.has('answer-in-reliable-183') &&
        inv.request.tokens('supported').includes('100rel');
      if (answerReliably) nearReliable = inv.progress(nearAnswer, { reliable: true, status: 183 });
      // No 2xx before the PRACK of a reliable provisional that carried the answer (RFC 3262 §3).
      // Meanwhile the caller may cancel, and the far side may hang up (its BYE is answered by its
      // user agent: the call is not wired yet).
      if (nearReliable) {
        const pracked = await nearReliable;
        if (!pracked || inv.cancelled || this.stopped || far.dialog.state === 'terminated') {
          // No PRACK within 64*T1 (the INVITE was refused 500), the caller gave up (487), the
          // far side hung up (480 to the caller), or the SBC stops.
          if (far.dialog.state === 'terminated' && !inv.cancelled) inv.reject(480);
          else if (this.stopped) inv.reject(503);
          await far.ua.bye(result.dialog).catch(() => undefined);
          record.status = inv.cancelled
            ? 487
            : far.dialog.state === 'terminated'
              ? 480
              : (record.status ?? 500);
          record.state = 'failed';
          await this.finish(call, 'sbc');
          return;
        }
      }
      this.wire(call, far);
      let acked: Promise<Dialog>;
      // Our offer in the 2xx (a late offer): the answer comes in the ACK.
      let nearOffered = false;
      if (answerReliably) acked = inv.answer();
      else if (offerText && nearAnswer) acked = inv.answer(nearAnswer);
      else {
        nearOffered = true;
        acked = inv.answer(near.sdp.createOffer(far.codec ? [far.codec] : [], 'sendrecv', far.codec));
      }
      near.dialog = inv.dialog;
      if (near.dialog) this.wire(call, near);
      record.state = 'answered';
      record.status = result.status;
      record.answeredMs = this.clock.now();
      relay.answered();
      this.watchMedia(call);
      if (this.has('ssrc-change'))
        this.clock.setTimeout(() => {
          if (!call.ended) call.relay.restartStreams();
        }, SSRC_CHANGE_AFTER_MS);
      if (this.has('port-change'))
        this.clock.setTimeout(() => this.whenIdle(call, () => this.changePorts(call)), PORT_CHANGE_AFTER_MS);
      this.emit('answered', record);
      const d = await acked.catch((e: unknown) => void this.onAckLost(call, near, e));
      // A late offer (ours, in the 2xx): the answer is in the ACK, unless a re-INVITE of the
      // caller with an offer came first and the SBC's answer to it settled the near leg on a
      // newer exchange (no offer of ours outstanding any more).
      if (d && nearOffered && near.sdp.pendingOffer !== undefined && inv.ack && inv.ack.body.length > 0) {
        const a = near.sdp.acceptAnswer(inv.ack.bodyText);
        if (a.ok) this.apply(call, near, a.negotiated);
      }
      // early-media answered the caller before the far side chose its codec: when the two
      // differ and the caller offered the far side's, a re-INVITE of the SBC's own moves the
      // caller to it (RFC 3264 §8: a new offer may change the codec), so nothing stays transcoded.
      if (
        d &&
        earlyAnswer &&
        far.codec &&
        near.codec !== far.codec &&
        offeredCodecs(offer).includes(far.codec) &&
        near.sdp.allows(far.codec)
      ) {
        const codec = far.codec;
        this.whenIdle(call, () => this.moveToCodec(call, near, codec));
      }
      // Refreshes start once the caller's dialog is confirmed (its ACK came).
      if (d && this.has('session-refresh')) this.scheduleRefresh(call, REFRESH_FIRST_MS);
      return;
    }
    if (!inv.tx.answered) {
      const status =
        timedOut && !inv.cancelled
          ? 408
          : result.status === 401 || result.status === 407
            ? 403
            : result.status;
      inv.reject(
        status,
        result.response && status === result.status ? { reason: result.response.reason } : {},
      );
    }
    record.status = inv.cancelled ? 487 : timedOut ? 408 : result.status;
    record.state = 'failed';
    await this.finish(call, inv.cancelled ? side : farSide);
  }

  private attachRelay(call: Call, relay: SbcMediaRelay): void {
    // Fault cross-media: LAN audio goes to the WAN leg of the next live call, in turn.
    relay.hooks.crossTo = (from) => {
      if (from.side !== 'lan') return undefined;
      const live = [...this.live].filter((c) => !c.ended);
      const at = live.indexOf(call);
      if (at < 0 || live.length < 2) return undefined;
      const other = live[(at + 1) % live.length]!.relay;
      return other.a.side === 'wan' ? other.a : other.b.side === 'wan' ? other.b : undefined;
    };
    if (this.has('repacketize-60')) relay.repacketizeMs = 60;
    else if (this.has('repacketize-40')) relay.repacketizeMs = 40;
    relay.hooks.sendInfo = (to: SbcRelayLeg, digit: DtmfDigit, durationMs: number) => {
      const leg = call.legOf(to);
      if (!leg?.dialog || leg.dialog.state === 'terminated') return;
      call.record.info.push({ from: leg.side === 'lan' ? 'wan' : 'lan', digit, action: 'sent', status: 0 });
      const rec = call.record.info[call.record.info.length - 1]!;
      leg.ua
        .requestInDialog(leg.dialog, 'INFO', {
          body: buildDtmfRelayBody(digit, durationMs),
          contentType: DTMF_RELAY_CONTENT_TYPE,
        })
        .then((o) => {
          rec.status = o.status;
        })
        .catch(() => undefined);
    };
  }

  private wire(call: Call, leg: Leg): void {
    const d = leg.dialog;
    if (!d) return;
    this.owner.set(leg, call);
    // The call that owns the leg now: a locally honoured Replaces moves a leg into another call.
    const at = () => this.owner.get(leg) ?? call;
    d.on('request', (req, tx) => void this.onInDialog(at(), leg, req, tx));
    d.once('terminated', (by) => void this.onTerminated(at(), leg, by));
  }

  private async onTerminated(call: Call, leg: Leg, by: 'local' | 'remote' | 'failure'): Promise<void> {
    const other = call.partner(leg);
    if (!other) {
      // A leg that a local REFER replaced: only its media port is left.
      await this.closeLeg(leg);
      return;
    }
    if (call.ended) return;
    // A leg our own user agent ended: by the SBC's own BYE (a relay, hangupAll), which sees to
    // the other legs itself, or by the ACK timeout, which onAckLost sees to; but a session timer
    // that expired (RFC 4028 §10) ended only its own leg, and the whole call ends with it.
    if (by === 'local' && leg.dialog?.localEndCause === 'session-expired') {
      await this.hangupAll(call, 'sbc');
      return;
    }
    if (by === 'local') return;
    if (faultOn(this.config.faults, 'no-bye-relay') && by === 'remote') {
      call.record.byeNotRelayed = leg.side;
      return;
    }
    if (other.dialog && other.dialog.state !== 'terminated') {
      // bye-cseq-backwards: the relayed BYE gets a CSeq below the leg's last request.
      if (faultOn(this.config.faults, 'bye-cseq-backwards')) other.dialog.localSeq -= 2;
      await other.ua.bye(other.dialog).catch(() => undefined);
    }
    await this.finish(call, leg.side);
  }

  /**
   * A re-INVITE of the SBC's own answered 481 or 408 (a timeout too): the peer has no such
   * dialog any more, or cannot be reached, and the dialog ends (RFC 3261 §12.2.1.2, §14.1), so
   * the call ends on every leg. Before, the call stayed up and its ports open.
   */
  private endIfDialogGone(call: Call, leg: Leg, status: number): void {
    if ((status !== 481 && status !== 408) || call.ended || this.stopped) return;
    leg.ua.transport.netLog.warn(
      'reinvite-dialog-gone',
      { call: call.record.id, side: leg.side, status },
      'a re-INVITE of the SBC was answered 481 or 408: ending the call',
    );
    void this.hangupAll(call, 'sbc').catch((e: unknown) =>
      this.log.error({ err: String(e), call: call.record.id }, 'could not end a call whose dialog is gone'),
    );
  }

  /**
   * A 2xx of ours on `leg` was never ACKed (RFC 3261 §13.3.1.4: the user agent has sent that
   * leg its BYE after 64*T1), or its dialog ended before the ACK: the SBC's own BYE does not
   * reach {@link onTerminated}'s relay, so the other legs are ended here and the call's ports
   * freed. Nothing to do when the call ended already or the SBC is stopping.
   */
  private onAckLost(call: Call, leg: Leg, err: unknown): void {
    if (call.ended || this.stopped) return;
    // no-ack-cleanup: the call is kept, the other leg gets no BYE (the fault S-6 must catch).
    if (faultOn(this.config.faults, 'no-ack-cleanup')) return;
    if (!(err instanceof AckTimeoutError) && leg.dialog?.state === 'terminated') return;
    leg.ua.transport.netLog.warn(
      'call-no-ack',
      { call: call.record.id, side: leg.side, err: err instanceof Error ? err.message : String(err) },
      'call ended: no ACK for its 2xx',
    );
    void this.hangupAll(call, 'sbc').catch((e: unknown) =>
      this.log.error(
        { err: String(e), call: call.record.id },
        'could not end a call whose 2xx was not ACKed',
      ),
    );
  }

  /** Ends the call when its ports receive nothing for `mediaTimeoutMs` (sbc-media-timeout.ts). */
  private watchMedia(call: Call): void {
    const limit = this.config.mediaTimeoutMs;
    if (limit <= 0) return;
    const received = () => {
      let n = 0;
      for (const l of call.owned()) n += l.endpoint.counters.received + l.endpoint.counters.rtcpReceived;
      return n;
    };
    const active = () => !call.ended && !this.stopped;
    watchMediaInactivity(
      this.clock,
      limit,
      received,
      () => {
        if (!active()) return;
        this.lanUa.transport.netLog.warn(
          'media-timeout',
          { call: call.record.id, afterMs: limit },
          'no RTP or RTCP on any leg; ending the call with BYE',
        );
        void this.hangupAll(call, 'sbc').catch((e: unknown) =>
          this.log.error({ err: String(e), call: call.record.id }, 'could not end a call without media'),
        );
      },
      active,
    );
  }

  private async hangupAll(call: Call, by: SbcSide | 'sbc'): Promise<void> {
    for (const leg of call.owned())
      if (leg.dialog && leg.dialog.state !== 'terminated')
        await leg.ua.bye(leg.dialog).catch(() => undefined);
    await this.finish(call, by);
  }

  private async finish(call: Call, by: SbcSide | 'sbc'): Promise<void> {
    if (call.ended) return;
    call.ended = true;
    this.refresh(call);
    call.relay.close();
    const r = call.record;
    if (r.state === 'answered' || r.state === 'early')
      r.state = r.answeredMs !== undefined ? 'ended' : 'failed';
    if (r.state === 'setup') r.state = 'failed';
    r.endedMs = this.clock.now();
    r.endedBy = by;
    this.live.delete(call);
    for (const leg of call.owned()) await this.closeLeg(leg);
    this.emit('ended', structuredClone(r));
  }

  // ---------------------------------------------------------------- in-dialog requests

  private respond(
    tx: ServerTransaction,
    req: SipRequest,
    status: number,
    leg: Leg,
    body?: string,
  ): SipResponse {
    const res = createResponse(req, status, {
      headers: leg.dialog && status < 300 ? [['Contact', leg.dialog.localContact]] : [],
      ...(body ? { body, contentType: 'application/sdp' } : {}),
    });
    tx.respond(res);
    return res;
  }

  private async onInDialog(call: Call, leg: Leg, req: SipRequest, tx: ServerTransaction): Promise<void> {
    const other = call.partner(leg);
    if (!other?.dialog || other.dialog.state === 'terminated') {
      this.respond(tx, req, req.method === 'OPTIONS' ? 200 : 481, leg);
      return;
    }
    switch (req.method) {
      case 'INVITE':
      case 'UPDATE':
        return this.onOffer(call, leg, other, req, tx);
      case 'INFO':
        return this.onInfo(call, leg, other, req, tx);
      case 'REFER':
        return this.onRefer(call, leg, other, req, tx);
      case 'OPTIONS':
        this.respond(tx, req, 200, leg);
        return;
      default:
        await this.relayRequest(leg, other, req, tx);
    }
  }

  /** Relays an in-dialog request (NOTIFY, MESSAGE, INFO without DTMF) and its final status. */
  private async relayRequest(leg: Leg, other: Leg, req: SipRequest, tx: ServerTransaction): Promise<number> {
    const headers: Array<[string, string]> = [];
    for (const h of ['event', 'subscription-state', 'refer-to', 'referred-by', 'replaces'])
      for (const v of req.getAll(h)) headers.push([canonical(h), v]);
    const ct = req.get('content-type');
    const out = await other.ua
      .requestInDialog(other.dialog as Dialog, req.method, {
        headers,
        ...(req.body.length > 0 ? { body: req.body } : {}),
        ...(ct ? { contentType: ct } : {}),
      })
      .catch(() => undefined);
    const status = out?.status ?? 500;
    this.respond(tx, req, status, leg);
    return status;
  }

  private async onOffer(
    call: Call,
    leg: Leg,
    other: Leg,
    req: SipRequest,
    tx: ServerTransaction,
  ): Promise<void> {
    const method = req.method as 'INVITE' | 'UPDATE';
    const isInvite = method === 'INVITE';
    const rec = { from: leg.side, method, status: 0 } as SbcCallRecord['reinvites'][number];
    call.record.reinvites.push(rec);
    if (isInvite && faultOn(this.config.faults, 'reject-reinvite')) {
      rec.status = 488;
      this.respond(tx, req, 488, leg);
      return;
    }
    const offerText = req.body.length > 0 ? req.bodyText : undefined;
    const offer = parseOrUndefined(offerText);
    if (!offerText || !offer) {
      // A refresh without SDP (session timer): answer here with our current SDP.
      const last = leg.sdp.endpoint.lastSent;
      rec.status = offerText ? 488 : 200;
      const res = this.respond(
        tx,
        req,
        rec.status,
        leg,
        isInvite && last && !offerText
          ? leg.sdp.createOffer([], peerDirection(undefined), leg.codec)
          : undefined,
      );
      if (isInvite && rec.status === 200 && leg.dialog)
        leg.ua.retransmit2xxUntilAck(leg.dialog, tx, res).catch((e) => this.onAckLost(call, leg, e));
      return;
    }
    if (call.busy) {
      rec.status = 491;
      this.respond(tx, req, 491, leg);
      return;
    }
    if (isInvite && leg.side === 'lan' && this.has('hold-local')) {
      this.answerHoldHere(call, leg, other, rec, offerText, req, tx);
      return;
    }
    if (isInvite && this.has('answer-then-relay')) {
      this.answerThenRelay(call, leg, other, rec, offer, offerText, req, tx);
      return;
    }
    call.busy = true;
    try {
      rec.direction = peerDirection(offer);
      const farOffer = other.sdp.createOffer(offeredCodecs(offer), peerDirection(offer), other.codec);
      // update-for-hold: an UPDATE (RFC 3311 §5.1) where the other leg's peer allows it.
      const asUpdate =
        isInvite && this.has('update-for-hold') && (other.dialog as Dialog).remoteAllow.includes('UPDATE');
      if (asUpdate) rec.relayedAs = 'UPDATE';
      // offerless-reinvite: no offer toward the other leg (RFC 3261 §14.1); its peer offers in
      // the 2xx and our answer, with the direction asked for, goes in the ACK (RFC 3264 §4).
      const offerless = isInvite && !asUpdate && this.has('offerless-reinvite');
      if (offerless) rec.relayedAs = 'offerless INVITE';
      let inAck: ReturnType<SbcLegSdp['answer']> | undefined;
      const out = offerless
        ? await other.ua.reinvite(other.dialog as Dialog, undefined, undefined, (peerOffer) => {
            inAck = other.sdp.answer(peerOffer, other.codec, peerDirection(offer));
            return inAck.ok ? inAck.answer : '';
          })
        : isInvite && !asUpdate
          ? await other.ua.reinvite(other.dialog as Dialog, farOffer)
          : await other.ua.requestInDialog(other.dialog as Dialog, 'UPDATE', {
              body: farOffer,
              contentType: 'application/sdp',
            });
      if (out.status < 200 || out.status >= 300 || !out.response || !isSdp(out.response)) {
        rec.status = out.status >= 300 ? out.status : 488;
        this.respond(tx, req, rec.status, leg);
        return;
      }
      const a = inAck ?? other.sdp.acceptAnswer(out.response.bodyText);
      if (!a.ok) {
        rec.status = 488;
        this.respond(tx, req, 488, leg);
        return;
      }
      this.apply(call, other, a.negotiated);
      const b = leg.sdp.answer(offerText, other.codec, answerDirectionFor(a.negotiated.peerDirection));
      if (!b.ok) {
        rec.status = 488;
        this.respond(tx, req, 488, leg);
        return;
      }
      this.apply(call, leg, b.negotiated);
      if (this.has('ssrc-change')) call.relay.restartStreams();
      rec.status = 200;
      // no-sdp-in-reinvite-answer: the session changes on both legs, but the 2xx carries no answer.
      const noAnswer = isInvite && faultOn(this.config.faults, 'no-sdp-in-reinvite-answer');
      const res = this.respond(tx, req, 200, leg, noAnswer ? undefined : b.answer);
      if (isInvite && leg.dialog)
        leg.ua.retransmit2xxUntilAck(leg.dialog, tx, res).catch((e) => this.onAckLost(call, leg, e));
    } finally {
      call.busy = false;
    }
  }

  /**
   * Personality hold-local: the OXO's re-INVITE (hold, resume) is answered on its own leg and
   * the provider's leg stays as it is (each leg of a back-to-back SBC is its own dialog, RFC 3261
   * §6; the OXO's offer binds only its own session, RFC 3264 §8.4). The relay carries what the
   * OXO sends, its music on hold too, and nothing toward it while it holds.
   */
  private answerHoldHere(
    call: Call,
    leg: Leg,
    other: Leg,
    rec: SbcCallRecord['reinvites'][number],
    offerText: string,
    req: SipRequest,
    tx: ServerTransaction,
  ): void {
    const res = this.answerOnLeg(call, leg, other, rec, 'answered here', offerText, req, tx);
    if (res && leg.dialog)
      leg.ua.retransmit2xxUntilAck(leg.dialog, tx, res).catch((e) => this.onAckLost(call, leg, e));
  }

  /**
   * Answers an in-dialog offer on its own leg with the SBC's own media (hold-local,
   * answer-then-relay): 200 with the answer, or 488 when none can be made. The 200, or undefined.
   */
  private answerOnLeg(
    call: Call,
    leg: Leg,
    other: Leg,
    rec: SbcCallRecord['reinvites'][number],
    relayedAs: 'answered here' | 'answered first',
    offerText: string,
    req: SipRequest,
    tx: ServerTransaction,
  ): SipResponse | undefined {
    rec.direction = peerDirection(parseOrUndefined(offerText));
    rec.relayedAs = relayedAs;
    const b = leg.sdp.answer(offerText, other.codec ?? leg.codec, 'sendrecv');
    if (!b.ok || !leg.dialog) {
      rec.status = 488;
      this.respond(tx, req, 488, leg);
      return undefined;
    }
    this.apply(call, leg, b.negotiated);
    rec.status = 200;
    return this.respond(tx, req, 200, leg, b.answer);
  }

  /**
   * Personality answer-then-relay: a re-INVITE's offer is answered on its own leg at once (the
   * SBC anchors the media, so it can), and goes on to the other leg in a re-INVITE of its own
   * once that leg's ACK has come, {@link relayAfterAnswerMs} later: the two legs of a back-to-back
   * SBC are two dialogs (RFC 3261 §6), each with its own offer and answer (RFC 3264 §8), as
   * Asterisk's chan_pjsip does. The call is busy until the other leg has answered.
   */
  private answerThenRelay(
    call: Call,
    leg: Leg,
    other: Leg,
    rec: SbcCallRecord['reinvites'][number],
    offer: SdpSession,
    offerText: string,
    req: SipRequest,
    tx: ServerTransaction,
  ): void {
    const res = this.answerOnLeg(call, leg, other, rec, 'answered first', offerText, req, tx);
    const d = leg.dialog;
    if (!res || !d) return;
    call.busy = true;
    leg.ua
      .retransmit2xxUntilAck(d, tx, res)
      .then(
        async () => {
          await new Promise<void>((r) => this.clock.setTimeout(r, this.relayAfterAnswerMs));
          await this.offerOn(call, other, offer);
        },
        (e: unknown) => this.onAckLost(call, leg, e),
      )
      .catch((e: unknown) =>
        this.log.error({ err: String(e), call: call.record.id }, 'could not relay an answered re-INVITE'),
      )
      .finally(() => {
        call.busy = false;
      });
  }

  /** A re-INVITE of the SBC's own carrying `offer`'s codecs and direction on `leg`; its answer applied. */
  private async offerOn(call: Call, leg: Leg, offer: SdpSession): Promise<void> {
    const d = leg.dialog;
    if (call.ended || this.stopped || !d || d.state === 'terminated') return;
    const out = await leg.ua.reinvite(
      d,
      leg.sdp.createOffer(offeredCodecs(offer), peerDirection(offer), leg.codec),
    );
    const a =
      out.status >= 200 && out.status < 300 && out.response && isSdp(out.response)
        ? leg.sdp.acceptAnswer(out.response.bodyText)
        : undefined;
    if (a?.ok && !call.ended) this.apply(call, leg, a.negotiated);
    else this.endIfDialogGone(call, leg, out.status);
  }

  /**
   * Personality port-change: moves each leg of the call to a new anchored port, announced to
   * its peer in a re-INVITE that keeps the codec (RFC 3264 §8.3.1). Skipped for a leg that is
   * busy with another offer or on hold; a leg whose peer refuses keeps its old port.
   */
  private async changePorts(call: Call): Promise<void> {
    for (const leg of [...call.legs]) {
      if (call.ended || call.busy || this.stopped) return;
      const d = this.reofferable(call, leg);
      if (!d) continue;
      call.busy = true;
      const old = leg.endpoint;
      let ep: SbcMediaEndpoint | undefined;
      try {
        ep = await SbcMediaEndpoint.open({ address: old.localAddress, clock: this.clock, name: leg.side });
        this.endpoints.add(ep);
        if (this.has('rtcp-reports')) ep.startRtcp(RTCP_INTERVAL_MS);
        if (this.has('rtp-reorder')) ep.reorderEvery = REORDER_EVERY;
        leg.sdp.setPort(ep.localPort);
        call.relay.receiveOn(leg.relayLeg, ep);
        const out = await leg.ua.reinvite(d, this.sameMediaOffer(leg));
        const a =
          out.status >= 200 && out.status < 300 && out.response && isSdp(out.response)
            ? leg.sdp.acceptAnswer(out.response.bodyText)
            : undefined;
        if (!a?.ok || call.ended) {
          leg.sdp.setPort(old.localPort);
          await this.closeEndpoint(ep);
          this.endIfDialogGone(call, leg, out.status);
          continue;
        }
        call.record.reinvites.push({
          from: 'sbc',
          method: 'INVITE',
          status: out.status,
          direction: 'sendrecv',
        });
        old.releaseHeld(); // rtp-reorder: the old port's last packet goes before the new port's first
        call.relay.moveLeg(leg.relayLeg, ep);
        leg.endpoint = ep;
        leg.record.local = { address: old.localAddress, port: ep.localPort };
        this.apply(call, leg, a.negotiated);
        this.clock.setTimeout(() => void this.closeEndpoint(old), OLD_PORT_GRACE_MS);
      } catch {
        leg.sdp.setPort(old.localPort);
        if (ep) await this.closeEndpoint(ep);
      } finally {
        call.busy = false;
      }
    }
  }

  /**
   * The dialog of a leg that an offer of the SBC's own (port-change, session-refresh) may go to:
   * up, with a codec, its peer sending and receiving (not on hold), and still this call's (a leg
   * a transfer moved to another call is that call's). Undefined otherwise.
   */
  private reofferable(call: Call, leg: Leg): Dialog | undefined {
    const d = leg.dialog;
    if (!d || d.state === 'terminated' || !leg.codec || leg.negotiated?.peerDirection !== 'sendrecv') return;
    if (call.movedOut.has(leg)) return;
    return d;
  }

  /**
   * A re-offer of the leg's media as it is, or moved to `codec`: that one codec, the negotiated
   * telephone-event payload type, sendrecv (the port is the one the leg's SDP holds).
   */
  private sameMediaOffer(leg: Leg, codec: CodecName | undefined = leg.codec): string {
    return leg.sdp.createOfferOnly(codec ? [codec] : [], 'sendrecv', leg.negotiated?.media.telephoneEventPt);
  }

  /**
   * Runs an offer of the SBC's own once the call is not busy with another: at once, or retried
   * every 200 ms, at most 10 times (port-change and early-media's codec move may fall due
   * together, or while a re-INVITE of the PBX's is relayed); then it is given up.
   */
  private whenIdle(call: Call, fn: () => Promise<void>, tries = 10): void {
    if (call.ended || this.stopped) return;
    if (!call.busy) {
      void fn();
      return;
    }
    if (tries > 0) this.clock.setTimeout(() => this.whenIdle(call, fn, tries - 1), 200);
  }

  /**
   * A re-INVITE of the SBC's own offering only `codec` on the leg (personality early-media, after
   * the answer); a refusal leaves the leg as it was, transcoded.
   */
  private async moveToCodec(call: Call, leg: Leg, codec: CodecName): Promise<void> {
    const d = this.reofferable(call, leg);
    if (!d || call.busy || call.ended || this.stopped || leg.codec === codec) return;
    await this.reofferLeg(call, leg, d, this.sameMediaOffer(leg, codec));
  }

  /**
   * Sends `offer` in a re-INVITE of the SBC's own on the leg and applies the answer while the
   * leg is still this call's; the call is busy meanwhile. A refusal or a failure (a transaction
   * timeout) leaves the leg as it was.
   */
  private async reofferLeg(call: Call, leg: Leg, d: Dialog, offer: string): Promise<void> {
    call.busy = true;
    try {
      const out = await leg.ua.reinvite(d, offer);
      call.record.reinvites.push({
        from: 'sbc',
        method: 'INVITE',
        status: out.status,
        direction: 'sendrecv',
      });
      const a =
        out.status >= 200 && out.status < 300 && out.response && isSdp(out.response)
          ? leg.sdp.acceptAnswer(out.response.bodyText)
          : undefined;
      if (a?.ok && !call.ended && call.legs.includes(leg) && !call.movedOut.has(leg))
        this.apply(call, leg, a.negotiated);
      else this.endIfDialogGone(call, leg, out.status);
    } catch {
      // Left as it was.
    } finally {
      call.busy = false;
    }
  }

  /** Personality session-refresh: the next refresh of `call` in `ms`, while it lasts. */
  private scheduleRefresh(call: Call, ms: number): void {
    this.clock.setTimeout(() => {
      if (call.ended || this.stopped) return;
      void this.refreshLegs(call).finally(() => this.scheduleRefresh(call, REFRESH_EVERY_MS));
    }, ms);
  }

  /**
   * Personality session-refresh: a re-INVITE on each leg whose offer is the leg's media as it is
   * (same codec, port and direction; the o= version stays when the SDP text does, RFC 3264 §8),
   * as a session timer (RFC 4028 §7.4, §8.2) or a keep-alive re-INVITE does. Skipped for a leg
   * on hold or while the call is busy with another offer; a refused refresh changes nothing.
   */
  private async refreshLegs(call: Call): Promise<void> {
    for (const leg of [...call.legs]) {
      if (call.ended || call.busy || this.stopped) return;
      const d = this.reofferable(call, leg);
      if (!d) continue;
      await this.reofferLeg(call, leg, d, this.sameMediaOffer(leg));
    }
  }

  private async onInfo(
    call: Call,
    leg: Leg,
    other: Leg,
    req: SipRequest,
    tx: ServerTransaction,
  ): Promise<void> {
    const ct = req.get('content-type') ?? '';
    const dtmf = /dtmf/i.test(ct) ? parseSipInfoDtmf(ct, req.body) : undefined;
    if (faultOn(this.config.faults, 'drop-info')) {
      call.record.info.push({
        from: leg.side,
        action: 'dropped',
        status: 200,
        ...(dtmf?.ok ? { digit: dtmf.value.digit } : {}),
      });
      this.respond(tx, req, 200, leg);
      return;
    }
    if (dtmf?.ok) {
      this.respond(tx, req, 200, leg);
      call.record.info.push({ from: leg.side, digit: dtmf.value.digit, action: 'converted', status: 200 });
      call.relay.deliverDigit(leg.relayLeg, dtmf.value.digit, dtmf.value.durationMs ?? 160, 'info');
      return;
    }
    const status = await this.relayRequest(leg, other, req, tx);
    call.record.info.push({ from: leg.side, action: 'relayed', status });
  }

  /** A Refer-To's escaped Replaces value, renamed for the other side (sbc-replaces.ts), or as it was. */
  private replacesOut(escaped: string, from: SbcSide): string {
    let mapped: string | undefined;
    try {
      mapped = replacesAcross(decodeURIComponent(escaped), from, this.live);
    } catch {
      mapped = undefined;
    }
    return mapped ? encodeURIComponent(mapped) : escaped;
  }

  /** The Replaces header of the SBC's own INVITE for a Refer-To carried out here, when it names one of its calls. */
  private replacesFor(target: NameAddr, from: SbcSide): Array<[string, string]> {
    const v = isSipUri(target.uri)
      ? target.uri.headers.find(([k]) => k.toLowerCase() === 'replaces')?.[1]
      : undefined;
    if (!v) return [];
    let mapped: string | undefined;
    try {
      mapped = replacesAcross(decodeURIComponent(v), from, this.live);
    } catch {
      mapped = undefined;
    }
    return mapped ? [['Replaces', mapped]] : [];
  }

  private async onRefer(
    call: Call,
    leg: Leg,
    other: Leg,
    req: SipRequest,
    tx: ServerTransaction,
  ): Promise<void> {
    const referTo = req.get('refer-to') ?? '';
    const target = req.referTo;
    const rec: SbcCallRecord['refers'][number] = {
      from: leg.side,
      referTo,
      policy: this.config.referPolicy,
      status: 0,
    };
    call.record.refers.push(rec);
    if (faultOn(this.config.faults, 'refer-405')) {
      rec.policy = 'refused';
      rec.status = 405;
      this.respond(tx, req, 405, leg);
      return;
    }
    const user = target && isSipUri(target.uri) ? target.uri.user : target ? userOf(target) : undefined;
    if (!target || !user) {
      rec.status = 400;
      this.respond(tx, req, 400, leg);
      return;
    }
    if (this.config.referPolicy === 'pass') {
      const host =
        other.side === 'wan'
          ? this.config.wan.provider.domain
          : (this.registrar.target()?.target.address ?? this.config.lan.address);
      const query =
        isSipUri(target.uri) && target.uri.headers.length > 0
          ? `?${target.uri.headers.map(([k, v]) => `${k}=${k.toLowerCase() === 'replaces' && v ? this.replacesOut(v, leg.side) : (v ?? '')}`).join('&')}`
          : '';
      const headers: Array<[string, string]> = [['Refer-To', `<sip:${user}@${hostPort(host)}${query}>`]];
      const by = req.get('referred-by');
      if (by) headers.push(['Referred-By', by]);
      const out = await other.ua
        .requestInDialog(other.dialog as Dialog, 'REFER', { headers })
        .catch(() => undefined);
      rec.status = out?.status ?? 500;
      this.respond(tx, req, rec.status, leg);
      return;
    }
    // replaces-local: the Replaces names a call of ours; join its other leg, no new INVITE.
    const join = this.has('replaces-local') ? this.joinable(call, leg, other, target) : undefined;
    if (join) return this.joinReplaced(call, leg, other, req, tx, rec, join);
    // Local: accept, then make the new call from the referrer's side and bridge it to the transferee.
    rec.status = 202;
    this.respond(tx, req, 202, leg);
    const referrer = leg.dialog as Dialog;
    await notifyReferProgress(leg.ua, referrer, 100, 'Trying').catch(() => undefined);
    const fake = new SipRequest(
      'INVITE',
      `sip:${user}@${hostPort(leg.side === 'lan' ? this.config.lan.address : this.config.wan.address)}`,
    );
    fake.append('From', req.get('from') ?? '');
    fake.append('To', `<sip:${user}@${hostPort(this.config.lan.address)}>`);
    const route = leg.side === 'lan' ? this.routeToWan(fake) : this.routeToLan(fake);
    if (typeof route === 'number') {
      rec.outcome = route;
      await notifyReferProgress(leg.ua, referrer, route, 'Not Found').catch(() => undefined);
      return;
    }
    const side: SbcSide = leg.side === 'lan' ? 'wan' : 'lan';
    let z: Leg;
    try {
      z = await this.newLeg(side);
    } catch {
      rec.outcome = 503;
      await notifyReferProgress(leg.ua, referrer, 503, 'Service Unavailable').catch(() => undefined);
      return;
    }
    call.record.extraLegs.push(z.record);
    const offer = z.sdp.createOffer(other.codec ? [other.codec] : [], 'sendrecv', other.codec);
    const outgoing = z.ua.invite({
      method: 'INVITE',
      uri: route.uri,
      target: route.target,
      from: route.from,
      to: route.to,
      headers: [...route.headers, ...this.replacesFor(target, leg.side)],
      body: offer,
      ...(route.credentials ? { credentials: route.credentials } : {}),
    });
    z.record.callId = outgoing.request.callId;
    const out = await outgoing.result.catch(() => undefined);
    const status = out?.status ?? 500;
    rec.outcome = status;
    const answer = out?.response && isSdp(out.response) ? out.response.bodyText : undefined;
    const a = answer ? z.sdp.acceptAnswer(answer) : undefined;
    if (status < 200 || status >= 300 || !out?.dialog || !a?.ok || call.ended) {
      if (out?.dialog) await z.ua.bye(out.dialog).catch(() => undefined);
      await this.closeLeg(z);
      await notifyReferProgress(leg.ua, referrer, status >= 300 ? status : 500, 'Failed').catch(
        () => undefined,
      );
      return;
    }
    z.dialog = out.dialog;
    // Re-bridge: the transferee keeps its anchored port; the referrer's leg is retired. What the
    // transferee now receives comes from another source with its own timing, so it starts a new
    // stream (new SSRC, sequence and timestamp base, RFC 3550 §8.2) instead of carrying on the
    // old one's sequence numbers with unrelated timestamps.
    call.relay.close();
    other.relayLeg.endpoint.newStream();
    const relay = new SbcMediaRelay(other.relayLeg, z.relayLeg, this.config.faults, this.clock, {});
    this.refresh(call);
    call.relay = relay;
    this.attachRelay(call, relay);
    call.legs = [other, z];
    call.retired.push(leg);
    relay.setMedia(other.relayLeg, other.negotiated?.media);
    this.apply(call, z, a.negotiated);
    relay.answered();
    this.wire(call, z);
    await this.resumeTransferee(call, other);
    await notifyReferProgress(leg.ua, referrer, 200, 'OK').catch(() => undefined);
  }

  /**
   * Personality replaces-local: what a Refer-To's Replaces names when the SBC can honour it by
   * joining legs it already has: a confirmed dialog, on the referrer's side, of another answered
   * call of the SBC (the consultation), whose leg on the transferee's side is up and negotiated.
   * Undefined otherwise (no Replaces, early-only, another SBC's dialog, a call busy with an offer):
   * the REFER is then carried out with a new INVITE, as without the personality.
   */
  private joinable(
    call: Call,
    leg: Leg,
    other: Leg,
    target: NameAddr,
  ): { consult: Call; named: Leg; far: Leg } | undefined {
    const v = isSipUri(target.uri)
      ? target.uri.headers.find(([k]) => k.toLowerCase() === 'replaces')?.[1]
      : undefined;
    if (!v) return undefined;
    let m: ReplacesMatch<Call, Leg> | undefined;
    try {
      m = replacesNamed<Leg, Call>(decodeURIComponent(v), leg.side, this.live);
    } catch {
      return undefined;
    }
    const far = m?.other;
    if (!m || !far || m.earlyOnly || m.call === call || m.call.ended || m.call.busy || call.busy)
      return undefined;
    if (
      m.call.record.state !== 'answered' ||
      far.side !== other.side ||
      m.call.movedOut.has(far) ||
      !far.negotiated ||
      far.dialog?.state !== 'confirmed' ||
      m.named.dialog?.state !== 'confirmed'
    )
      return undefined;
    return { consult: m.call, named: m.named, far };
  }

  /**
   * Personality replaces-local: an attended transfer carried out without a new INVITE. The
   * Replaces names the referrer's dialog with the SBC in another call the SBC carries (the
   * consultation), so the SBC already holds a dialog with the target: that call's leg on the
   * transferee's side. RFC 3891 §3 names a dialog and leaves to the REFER's recipient how to
   * honour it, and a media-relay B2BUA terminates each dialog on its own (RFC 7092 §3), so the
   * SBC joins the transferee's leg to the target's leg in its relay: the transferee keeps its
   * dialog and port, the target keeps its dialog and port, and both get a new RTP stream (another
   * source, RFC 3550 §8.2). Then it ends the consultation's leg on the referrer's side (BYE: the
   * dialog the Replaces named is replaced), takes the transferee off hold (RFC 5589 §7), reports
   * the REFER done (NOTIFY sipfrag 200, RFC 3515 §2.4.5) and ends the referrer's leg (BYE, when
   * the referrer has not hung up first). The call record's REFER names the joined call.
   */
  private async joinReplaced(
    call: Call,
    leg: Leg,
    other: Leg,
    req: SipRequest,
    tx: ServerTransaction,
    rec: SbcCallRecord['refers'][number],
    j: { consult: Call; named: Leg; far: Leg },
  ): Promise<void> {
    const { consult, named, far } = j;
    rec.status = 202;
    rec.joined = consult.record.id;
    this.respond(tx, req, 202, leg);
    // Re-bridge at once (no await before it): both old relays let go of the ports first, so that
    // closing them later cannot detach the new one.
    this.refresh(consult);
    consult.relay.close();
    consult.movedOut.add(far);
    this.refresh(call);
    call.relay.close();
    other.relayLeg.endpoint.newStream();
    far.relayLeg.endpoint.newStream();
    const relay = new SbcMediaRelay(other.relayLeg, far.relayLeg, this.config.faults, this.clock, {});
    call.relay = relay;
    this.attachRelay(call, relay);
    call.legs = [other, far];
    call.retired.push(leg);
    this.owner.set(far, call);
    call.record.extraLegs.push(far.record);
    relay.setMedia(other.relayLeg, other.negotiated?.media);
    relay.setMedia(far.relayLeg, far.negotiated?.media);
    call.record.transcoding = call.record.transcoding || relay.transcoding;
    relay.answered();
    const referrer = leg.dialog as Dialog;
    await notifyReferProgress(leg.ua, referrer, 100, 'Trying').catch(() => undefined);
    if (named.dialog && named.dialog.state !== 'terminated')
      await named.ua.bye(named.dialog).catch(() => undefined);
    await this.finish(consult, 'sbc');
    await this.resumeTransferee(call, other);
    await this.resumeTransferee(call, far);
    rec.outcome = 200;
    await notifyReferProgress(leg.ua, referrer, 200, 'OK').catch(() => undefined);
    if (referrer.state !== 'terminated') await leg.ua.bye(referrer).catch(() => undefined);
  }

  /**
   * A transferee that the referrer held before it referred (RFC 5589 §7, transfer with
   * consultation hold) is taken off hold once the referrer's leg is retired: a re-INVITE with
   * a=sendrecv, as the new call the transferee would have placed itself is sendrecv.
   */
  private async resumeTransferee(call: Call, leg: Leg): Promise<void> {
    const d = leg.dialog;
    const codec = leg.codec;
    const dir = leg.negotiated?.peerDirection;
    if (!d || d.state === 'terminated' || !codec || dir === undefined || dir === 'sendrecv' || call.ended)
      return;
    const out = await leg.ua.reinvite(d, leg.sdp.createOfferOnly([codec], 'sendrecv')).catch(() => undefined);
    const a =
      out && out.status >= 200 && out.status < 300 && out.response && isSdp(out.response)
        ? leg.sdp.acceptAnswer(out.response.bodyText)
        : undefined;
    call.record.reinvites.push({
      from: 'sbc',
      method: 'INVITE',
      status: out?.status ?? 0,
      direction: 'sendrecv',
    });
    if (a?.ok && !call.ended) this.apply(call, leg, a.negotiated);
    else if (out) this.endIfDialogGone(call, leg, out.status);
  }
}

/** A SIP URI with its user part replaced (sip:old@host;params → sip:user@host;params). */
function withUser(uri: string, user: string): string {
  const m = /^(sips?:)(?:[^@]*@)?(.*)$/i.exec(uri);
  return m ? `${m[1]}${user}@${m[2]}` : uri;
}

function isSdp(m: SipRequest | SipResponse): boolean {
  return m.body.length > 0 && /application\/sdp/i.test(m.get('content-type') ?? 'application/sdp');
}

/** The direction the SBC answers with on one leg, from what the other leg's peer answered. */
function answerDirectionFor(peerAnswered: SdpDirection): SdpDirection {
  return peerAnswered;
}

function canonical(h: string): string {
  return h.replace(/(^|-)([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase());
}
