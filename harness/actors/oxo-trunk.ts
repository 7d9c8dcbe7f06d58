/**
 * The simulated Alcatel-Lucent OXO Connect on the LAN side of the SBC. Its SIP trunk registers
 * to the SBC as OXO does (registrar = outbound proxy = domain = the SBC's LAN address, digest)
 * and refreshes before expiry. Incoming DIDs map to extensions; DND and unplugged extensions
 * send the call to the attendant ("incoming call handling, other cases: go to attendant");
 * busy ones answer 486 unless multi-line. Outgoing calls strip the outside-line prefix and
 * present the extension's DID or the main number. Internal calls put no SIP on the trunk (a
 * counter proves it). Hold with music on hold, switching between calls, a three-party
 * conference that really mixes audio, and transfers (unattended, semi-attended, attended),
 * either inside the PBX (media bridged between the two trunk legs) or by REFER (with Replaces
 * for attended) when the profile says `transferMode: 'refer'`.
 */

import {
  type Credentials,
  type IncomingInvite,
  parseNameAddr,
  referToValue,
  type SendTarget,
  sendRefer,
  sipfragStatus,
  type TimerConfig,
  type TlsOptions,
  type TransportProtocol,
  UserAgent,
} from '../sip/index.ts';
import { selfSignedCertificate } from '../support/certificate.ts';
import { type Clock, systemClock, type TimerHandle } from '../support/clock.ts';
import { type Logger, silentLogger } from '../support/log.ts';
import { mohSource } from './audio-sources.ts';
import { Call, type CallAudioSource, type CallMediaPrefs, type MediaFactory } from './call.ts';
import { CallRegistry } from './call-registry.ts';
import { ConferenceMixer } from './conference-mixer.ts';
import { type DisplayLine, type DisplayOptions, displayFor, normaliseNumber } from './display.ts';
import {
  Extension,
  type ExtensionHost,
  type ExtensionId,
  type ExtensionOptions,
  type InternalCall,
} from './extension.ts';
import { Handset } from './handset.ts';
import { MediaLeg, RECORD_SAMPLE_RATE } from './media-leg.ts';

/** What a real OXO installation is configured to do; one profile per test plan. */
export interface OxoProfile {
  /** The remote-worker deskphone exists (VPN through the SBC router). Default false. */
  remoteWorker: boolean;
  /** Dialled before an external number; stripped before the trunk. Default "0". */
  outsideLinePrefix: string;
  /** From user of outgoing calls: the extension's DID or the trunk's main number. Default 'extension'. */
  presentation: 'extension' | 'main';
  /** The installation's main number. */
  mainNumber: string;
  /** Add P-Asserted-Identity to outgoing calls. Default true. */
  assertIdentity: boolean;
  /** Answer to an incoming INFO with DTMF (OXO does not support it): status, and whether the digit counts. Default 415, ignored. */
  infoDtmf: { status: number; accept: boolean };
  /** Transfers inside the PBX (default) or by REFER toward the SBC. */
  transferMode: 'pbx' | 'refer';
  /** Several calls on one DID (each extension takes `lines` calls, at least 2). Default false. */
  multiLine: boolean;
  /** Number normalisation of the display. */
  display: DisplayOptions;
  /** Requested registration interval, seconds. Default 3600. */
  registerExpires: number;
  /** Refresh after this fraction of the granted interval. Default 0.5. */
  refreshFraction: number;
  /** Retry a failed registration after this many ms. Default 30 000. */
  registerRetryMs: number;
}

export const DEFAULT_OXO_PROFILE: OxoProfile = {
  remoteWorker: false,
  outsideLinePrefix: '0',
  presentation: 'extension',
  mainNumber: '0301234560',
  assertIdentity: true,
  infoDtmf: { status: 415, accept: false },
  transferMode: 'pbx',
  multiLine: false,
  display: { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' },
  registerExpires: 3600,
  refreshFraction: 0.5,
  registerRetryMs: 30_000,
};

/** The plan's extensions with DIDs under the default main number. */
export const DEFAULT_EXTENSIONS: ExtensionOptions[] = [
  { id: 'deskphone1', did: '0301234561', internalNumber: '101', name: 'Premium Deskphone 1' },
  { id: 'deskphone2', did: '0301234562', internalNumber: '102', name: 'Premium Deskphone 2' },
  { id: 'remote', did: '0301234563', internalNumber: '103', name: 'Remote Worker' },
  { id: 'fxs1', did: '0301234564', internalNumber: '104', name: 'FXS-1' },
  { id: 'attendant', did: '0301234569', internalNumber: '9', name: 'Attendant' },
];

/** Options of {@link OxoTrunk.start}. */
export interface OxoTrunkOptions {
  /** The OXO's address (SIP and media), e.g. 127.0.20.1. */
  address: string;
  protocol?: TransportProtocol;
  /** Local SIP port (default 0: ephemeral). */
  port?: number;
  tls?: TlsOptions;
  /** The SBC's LAN side: registrar, outbound proxy and target of every request. */
  sbc: SendTarget;
  /** Domain of the trunk (default: the SBC's LAN address). */
  domain?: string;
  credentials: Credentials;
  profile?: Partial<OxoProfile>;
  extensions?: ExtensionOptions[];
  /** Opens media legs; default {@link MediaLeg.open} on the trunk's clock. */
  openMedia?: MediaFactory;
  /** Music on hold; default the known melody ({@link mohSource}). */
  musicOnHold?: () => CallAudioSource;
  clock?: Clock;
  logger?: Logger;
  timers?: Partial<TimerConfig>;
}

/** The longest Min-Expires of a 423 the trunk follows, s (a week). */
const MAX_MIN_EXPIRES_S = 604_800;

/** One REGISTER sent by the trunk. */
export interface OxoRegistrationRecord {
  atMs: number;
  status: number;
  /** Interval granted by the registrar (seconds), on 2xx. */
  expires?: number;
  /** Whether a digest challenge was answered. */
  challenged: boolean;
  /**
   * The registrar's Min-Expires when it answered 423 Interval Too Brief to the interval asked
   * first; the registration was then asked again with it (RFC 3261 §10.2.8).
   */
  intervalTooBrief?: number;
}

/** How one incoming INVITE was routed. */
export interface OxoRouteRecord {
  atMs: number;
  /** The number from the Request-URI (or To). */
  did: string;
  /** The extension dialled, if the DID is known. */
  dialled?: ExtensionId;
  /** Where the call went. */
  deliveredTo?: ExtensionId;
  reason: 'direct' | 'dnd-to-attendant' | 'unplugged-to-attendant' | 'busy' | 'unknown-did' | 'no-media';
  status?: number;
}

/** One DTMF-over-INFO event (received and answered, or refused before sending). */
export interface OxoInfoRecord {
  atMs: number;
  extension: ExtensionId;
  direction: 'received' | 'send-refused';
  digit: string;
  /** Status answered to a received INFO. */
  status?: number;
}

/** One transfer, as evidence. */
export interface OxoTransferRecord {
  atMs: number;
  kind: 'unattended' | 'semi-attended' | 'attended';
  mode: 'pbx' | 'refer';
  /** REFER mode: the Refer-To sent, the REFER's status and the NOTIFY sipfrag statuses. */
  referTo?: string;
  referStatus?: number;
  notifyStatuses: number[];
  /** PBX mode: whether the two legs were bridged. */
  bridged?: boolean;
  /** A transferee inside the PBX: the extension that now holds the target's trunk call. */
  joined?: ExtensionId;
  ok: boolean;
  reason?: string;
}

function userOfUri(value: string | undefined): string {
  if (!value) return '';
  const na = parseNameAddr(value);
  if (!na.ok) return '';
  const u = na.value.uri;
  return 'user' in u ? (u.user ?? '') : 'number' in u ? u.number : '';
}

/** The OXO Connect trunk simulator. */
export class OxoTrunk implements ExtensionHost {
  readonly profile: OxoProfile;
  readonly domain: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly registrations: OxoRegistrationRecord[] = [];
  readonly routes: OxoRouteRecord[] = [];
  /**
   * Running totals since the start, kept even where the records are trimmed (a simulator that
   * runs on its own keeps only its latest records, lab.ts `keepStandalone`).
   */
  readonly counts = { registerTried: 0, registerAccepted: 0, routed: 0 };
  readonly infoEvents: OxoInfoRecord[] = [];
  readonly transfers: OxoTransferRecord[] = [];
  readonly internalCalls: InternalCall[] = [];
  /** INVITEs this trunk sent to the SBC (internal calls never add to it). */
  sipCallsSent = 0;
  /** Running bridges (PBX transfers) and conferences. */
  readonly mixers: ConferenceMixer[] = [];
  /** Every trunk call of the extensions, with its timeline (for the call invariants). */
  readonly callLog: CallRegistry;
  private readonly exts = new Map<ExtensionId, Extension>();
  private refreshTimer: TimerHandle | undefined;
  private running = true;
  private registeredUntil = 0;
  /** The registrar's Min-Expires after a 423, asked from then on instead of the profile's interval. */
  private minExpires: number | undefined;
  private readonly openMedia: MediaFactory;

  private constructor(
    readonly ua: UserAgent,
    readonly opts: OxoTrunkOptions,
  ) {
    this.profile = { ...DEFAULT_OXO_PROFILE, ...opts.profile };
    this.domain = opts.domain ?? opts.sbc.address;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
    // Deskphones send RTP from answer to hang-up, silence included (no VAD).
    this.openMedia = opts.openMedia ?? ((o) => MediaLeg.open({ ...o, clock: this.clock, continuous: true }));
    this.callLog = new CallRegistry('oxo', this.clock);
    for (const e of opts.extensions ?? DEFAULT_EXTENSIONS) {
      if (e.id === 'remote' && !this.profile.remoteWorker) continue;
      const lines = this.profile.multiLine ? Math.max(2, e.lines ?? 2) : 1;
      this.exts.set(e.id, new Extension(this, { ...e, lines }));
    }
    ua.on('invite', (inv) => void this.onInvite(inv));
  }

  /** Starts the trunk's listener (call {@link register} to register). */
  static async start(opts: OxoTrunkOptions): Promise<OxoTrunk> {
    const protocol = opts.protocol ?? opts.sbc.protocol;
    let tls = opts.tls;
    if (!tls && protocol === 'TLS') {
      // A TLS listener needs a certificate: a self-signed one, made now, like the provider's.
      const kc = await selfSignedCertificate('oxo.sbc-harness.test', [opts.address]);
      tls = { key: kc.key, cert: kc.cert };
    }
    const ua = await UserAgent.start({
      listen: [{ protocol, address: opts.address, port: opts.port ?? 0 }],
      ...(tls ? { tls } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.timers ? { timers: opts.timers } : {}),
      contactUser: opts.credentials.username,
      userAgent: 'sbc-harness OXO Connect trunk simulator',
    });
    return new OxoTrunk(ua, opts);
  }

  /** Stops refreshing, hangs up, and closes the listener. */
  async stop(): Promise<void> {
    this.running = false;
    this.refreshTimer?.cancel();
    for (const m of this.mixers) m.stop();
    for (const e of this.exts.values()) for (const c of e.calls) await c.hangup().catch(() => undefined);
    await this.ua.stop();
  }

  /**
   * Back to the state a case starts from, when the trunk outlives a case (an external SBC): no
   * conference running, multi-line as the case asks, each extension free with the given codec
   * preferences. The registration at the SBC is kept.
   */
  resetForCase(o: { multiLine: boolean; prefs: (id: ExtensionId) => CallMediaPrefs | undefined }): void {
    for (const m of this.mixers.splice(0)) m.stop();
    this.profile.multiLine = o.multiLine;
    for (const e of this.exts.values()) {
      const prefs = o.prefs(e.id);
      e.resetForCase({ ...(prefs ? { prefs } : {}), lines: o.multiLine ? Math.max(2, e.lines) : 1 });
    }
  }

  /** Every extension of the trunk. */
  allExtensions(): Extension[] {
    return [...this.exts.values()];
  }

  /** The extension with this id; throws for one the profile does not have (a test bug). */
  extension(id: ExtensionId): Extension {
    const e = this.exts.get(id);
    if (!e) throw new Error(`the OXO profile has no extension "${id}"`);
    return e;
  }

  /** Whether the profile has this extension (the remote worker only when enabled). */
  hasExtension(id: ExtensionId): boolean {
    return this.exts.has(id);
  }

  /** True while the last registration is valid. */
  get registered(): boolean {
    return this.clock.now() < this.registeredUntil;
  }

  /** Registers now (and keeps refreshing before expiry). Resolves with the final status. */
  async register(): Promise<number> {
    this.refreshTimer?.cancel();
    const sbc = this.opts.sbc;
    const host = sbc.address.includes(':') ? `[${sbc.address}]` : sbc.address;
    const tp = sbc.protocol === 'TCP' ? ';transport=tcp' : sbc.protocol === 'TLS' ? ';transport=tls' : '';
    const ask = (expires: number) =>
      this.ua.register({
        registrar: `sip:${host}:${sbc.port}${tp}`,
        aor: `sip:${this.opts.credentials.username}@${this.domain}`,
        expires,
        credentials: this.opts.credentials,
        target: sbc,
      });
    const first = this.minExpires ?? this.profile.registerExpires;
    let out = await ask(first);
    let challenged = out.responses.some((r) => r.status === 401 || r.status === 407);
    // 423 Interval Too Brief: asked again at once with the registrar's Min-Expires, as a PBX does
    // (RFC 3261 §10.2.8), and from then on. A Min-Expires no higher than asked, or past a week, is
    // not followed.
    let tooBrief: number | undefined;
    const min = out.status === 423 ? Number(out.response?.get('min-expires')) : Number.NaN;
    if (Number.isInteger(min) && min > first && min <= MAX_MIN_EXPIRES_S) {
      tooBrief = min;
      this.minExpires = min;
      out = await ask(min);
      challenged ||= out.responses.some((r) => r.status === 401 || r.status === 407);
    }
    const rec: OxoRegistrationRecord = {
      atMs: this.clock.now(),
      status: out.status,
      challenged,
      ...(tooBrief !== undefined ? { intervalTooBrief: tooBrief } : {}),
    };
    this.registrations.push(rec);
    this.counts.registerTried++;
    if (out.status >= 200 && out.status < 300) this.counts.registerAccepted++;
    if (!this.running) return out.status;
    if (out.status >= 200 && out.status < 300 && out.response) {
      const granted = this.grantedExpires(out.response);
      rec.expires = granted;
      this.registeredUntil = this.clock.now() + granted * 1000;
      const wait = Math.max(1000, granted * 1000 * this.profile.refreshFraction);
      this.refreshTimer = this.clock.setTimeout(() => void this.register().catch(() => undefined), wait);
    } else {
      this.registeredUntil = 0;
      this.refreshTimer = this.clock.setTimeout(
        () => void this.register().catch(() => undefined),
        this.profile.registerRetryMs,
      );
    }
    this.log.info({ status: out.status, expires: rec.expires }, 'OXO trunk registration');
    return out.status;
  }

  private grantedExpires(res: import('../sip/index.ts').SipResponse): number {
    const ours = this.ua.contact(this.opts.sbc.protocol, this.opts.sbc.address);
    const ourUser = userOfUri(ours);
    for (const c of res.contacts) {
      const u = c.uri;
      if ('user' in u && u.user === ourUser) {
        const e = c.params.find(([n]) => n.toLowerCase() === 'expires')?.[1];
        if (e && /^\d+$/.test(e)) return Number(e);
      }
    }
    return res.expires ?? this.minExpires ?? this.profile.registerExpires;
  }

  // ---------------------------------------------------------------------------------------
  // Incoming calls

  private findByDid(raw: string): Extension | undefined {
    const n = normaliseNumber(raw, this.profile.display);
    let best: Extension | undefined;
    let bestLen = 0;
    for (const e of this.exts.values()) {
      const d = normaliseNumber(e.did, this.profile.display);
      if (d === n) return e;
      // Short DDI forms: the provider may send only the last digits, or the full number.
      const shorter = d.length < n.length ? d : n;
      const longer = d.length < n.length ? n : d;
      if (shorter.length >= 2 && longer.endsWith(shorter) && shorter.length > bestLen) {
        best = e;
        bestLen = shorter.length;
      }
    }
    return best;
  }

  private async onInvite(inv: IncomingInvite): Promise<void> {
    const req = inv.request;
    const u = req.parsedUri;
    let did = u && 'user' in u ? (u.user ?? '') : u && 'number' in u ? u.number : '';
    let ext = this.findByDid(did);
    if (!ext) {
      const toUser = userOfUri(req.get('to'));
      const byTo = toUser ? this.findByDid(toUser) : undefined;
      if (byTo) {
        ext = byTo;
        did = toUser;
      }
    }
    const rec: OxoRouteRecord = { atMs: this.clock.now(), did, reason: 'direct' };
    this.routes.push(rec);
    this.counts.routed++;
    if (!ext) {
      rec.reason = 'unknown-did';
      rec.status = 404;
      inv.reject(404);
      return;
    }
    rec.dialled = ext.id;
    let target = ext;
    if (ext.state === 'dnd' || ext.state === 'unplugged') {
      rec.reason = ext.state === 'dnd' ? 'dnd-to-attendant' : 'unplugged-to-attendant';
      const att = this.exts.get('attendant');
      if (!att || att === ext || att.state === 'unplugged') {
        rec.status = 480;
        inv.reject(480);
        return;
      }
      target = att;
    }
    const busy =
      (target.state === 'busy' && !this.profile.multiLine) || target.activeCalls.length >= target.lines;
    if (busy) {
      rec.reason = 'busy';
      rec.status = 486;
      inv.reject(486);
      return;
    }
    rec.deliveredTo = target.id;
    let call: Call;
    try {
      const media = await this.openMedia({
        localAddress: this.opts.address,
        prefs: target.incomingPrefs?.(req) ?? target.prefs,
        name: `oxo-${target.id}-in`,
      });
      call = Call.incoming(this.ua, media, inv);
      this.callLog.track(call, target.id);
    } catch (e) {
      this.log.warn({ err: String(e) }, 'OXO media leg could not open');
      rec.reason = 'no-media';
      rec.status = 500;
      inv.reject(500);
      return;
    }
    this.applyInfoPolicy(call, target);
    const display = displayFor(
      {
        ...(req.get('from') ? { from: req.get('from') } : {}),
        ...(req.get('p-asserted-identity') ? { pAssertedIdentity: req.get('p-asserted-identity') } : {}),
        ...(req.get('privacy') ? { privacy: req.get('privacy') } : {}),
      },
      this.profile.display,
    );
    call.ring();
    target.deliver(call, display);
    if (target.answerMode === 'auto') {
      const t = target;
      const answer = () => {
        if (call.state === 'ringing') void call.answer();
      };
      if (t.answerDelayMs > 0) this.clock.setTimeout(answer, t.answerDelayMs);
      else answer();
    }
  }

  private applyInfoPolicy(call: Call, ext: Extension): void {
    call.infoPolicy = (digit) => {
      const p = this.profile.infoDtmf;
      this.infoEvents.push({
        atMs: this.clock.now(),
        extension: ext.id,
        direction: 'received',
        digit,
        status: p.status,
      });
      return { status: p.status, accept: p.accept };
    };
  }

  /** What deskphone `id` displayed for its last incoming call. */
  lastDisplay(id: ExtensionId): DisplayLine | undefined {
    const d = this.extension(id).displays;
    return d[d.length - 1];
  }

  // ---------------------------------------------------------------------------------------
  // ExtensionHost

  /** Monotonic ms of the trunk's clock (the handsets' time base). */
  now(): number {
    return this.clock.now();
  }

  musicOnHold(): CallAudioSource | undefined {
    return this.opts.musicOnHold ? this.opts.musicOnHold() : mohSource(RECORD_SAMPLE_RATE);
  }

  recordInfoRefused(ext: Extension, digit: string): void {
    this.infoEvents.push({ atMs: this.clock.now(), extension: ext.id, direction: 'send-refused', digit });
  }

  async placeCall(ext: Extension, dialled: string, prefs?: CallMediaPrefs): Promise<Call | InternalCall> {
    const internal = [...this.exts.values()].find((e) => e.internalNumber === dialled);
    if (internal) {
      const ic: InternalCall = {
        kind: 'internal',
        from: ext.id,
        to: internal.id,
        atMs: this.clock.now(),
        connected: internal.state === 'free' && internal !== ext,
      };
      this.internalCalls.push(ic);
      return ic;
    }
    const prefix = this.profile.outsideLinePrefix;
    const number = prefix && dialled.startsWith(prefix) ? dialled.slice(prefix.length) : dialled;
    return this.trunkCall(ext, number, prefs);
  }

  /**
   * An INVITE to the SBC for `number` (already without the outside-line prefix), with `prefs`
   * (default: the extension's).
   */
  async trunkCall(ext: Extension, number: string, prefs?: CallMediaPrefs): Promise<Call> {
    const media = await this.openMedia({
      localAddress: this.opts.address,
      prefs: prefs ?? ext.prefs,
      name: `oxo-${ext.id}-out`,
    });
    const user = this.profile.presentation === 'main' ? this.profile.mainNumber : ext.did;
    const name = ext.name.replace(/["\\]/g, '');
    const from = `"${name}" <sip:${user}@${this.domain}>`;
    const headers: Array<[string, string]> = [];
    if (this.profile.assertIdentity) headers.push(['P-Asserted-Identity', from]);
    this.sipCallsSent++;
    const call = Call.outgoing(this.ua, media, {
      uri: `sip:${number}@${this.domain}`,
      target: this.opts.sbc,
      from,
      to: `<sip:${number}@${this.domain}>`,
      headers,
      credentials: this.opts.credentials,
    });
    this.callLog.track(call, ext.id);
    this.applyInfoPolicy(call, ext);
    ext.keep(call);
    return call;
  }

  // ---------------------------------------------------------------------------------------
  // Conference and transfers

  /**
   * Mixes the parties so each hears the others: trunk calls (held ones are resumed first) and
   * handsets of sets inside the PBX (an internal call is a mix of two handsets). The mix stops
   * when any trunk call in it ends, or with {@link ConferenceMixer.stop}.
   */
  async conference(parties: Array<Call | Handset>): Promise<ConferenceMixer> {
    const calls = parties.filter((p): p is Call => !(p instanceof Handset));
    for (const c of calls) if (c.state === 'established' && c.localDirection !== 'sendrecv') await c.resume();
    const m = new ConferenceMixer(parties.map((p) => (p instanceof Handset ? p : p.media)));
    this.mixers.push(m);
    for (const c of calls) void c.ended().then(() => m.stop());
    return m;
  }

  /**
   * Transfers `transferee` (A). Unattended: to `target` (a number, without the outside-line
   * prefix). Semi-attended: to `consultation` (B→C, still ringing). Attended: to `consultation`
   * (B→C, established). PBX mode bridges A and C inside the OXO; REFER mode sends REFER on A's
   * dialog (with Replaces for attended) and ends A's leg on success.
   *
   * A transferee that is an extension (A inside the PBX, e.g. an internal call held by B) is
   * joined to the target's trunk call by the PBX in either mode (no REFER: the SBC sees only
   * the one call B placed): the call moves from B (`by`, default Premium Deskphone 1) to A, and
   * A's handset is mixed with it once the target answers (at once when it already has).
   *
   * `mode` overrides the profile's `transferMode` for this transfer only.
   */
  async transfer(
    kind: OxoTransferRecord['kind'],
    transferee: Call | Extension,
    opts: {
      target?: string;
      consultation?: Call;
      by?: ExtensionId;
      notifyTimeoutMs?: number;
      mode?: OxoProfile['transferMode'];
    },
  ): Promise<OxoTransferRecord> {
    const rec: OxoTransferRecord = {
      atMs: this.clock.now(),
      kind,
      mode: opts.mode ?? this.profile.transferMode,
      notifyStatuses: [],
      ok: false,
    };
    this.transfers.push(rec);
    try {
      if (transferee instanceof Extension) await this.joinTransfer(rec, transferee, opts);
      else if (rec.mode === 'refer') await this.referTransfer(rec, transferee, opts);
      else await this.pbxTransfer(rec, transferee, opts);
    } catch (e) {
      rec.ok = false;
      rec.reason = String(e);
    }
    return rec;
  }

  private async pbxTransfer(
    rec: OxoTransferRecord,
    a: Call,
    opts: { target?: string; consultation?: Call; by?: ExtensionId },
  ): Promise<void> {
    let c = opts.consultation;
    if (rec.kind === 'unattended') {
      if (!opts.target) throw new Error('an unattended transfer needs a target number');
      const by = this.extension(opts.by ?? 'deskphone1');
      c = await this.trunkCall(by, opts.target);
    }
    if (!c) throw new Error(`a ${rec.kind} transfer needs the consultation call`);
    const up = await c.established();
    if (!up) {
      rec.reason = `the target did not answer (status ${c.status})`;
      return;
    }
    const m = await this.conference([a, c]);
    void a.ended().then(() => c?.hangup());
    void c.ended().then(() => a.hangup());
    rec.bridged = m.active;
    rec.ok = true;
  }

  private async joinTransfer(
    rec: OxoTransferRecord,
    a: Extension,
    opts: { target?: string; consultation?: Call; by?: ExtensionId },
  ): Promise<void> {
    rec.mode = 'pbx';
    const b = this.extension(opts.by ?? 'deskphone1');
    let c = opts.consultation;
    if (rec.kind === 'unattended') {
      if (!opts.target) throw new Error('an unattended transfer needs a target number');
      c = await this.trunkCall(b, opts.target);
    }
    if (!c) throw new Error(`a ${rec.kind} transfer needs the consultation call`);
    if (c.state === 'ended' || c.state === 'failed') {
      rec.reason = `the consultation call is over (status ${c.status})`;
      return;
    }
    // B drops out: the trunk call is A's from now on.
    const i = b.calls.indexOf(c);
    if (i >= 0) b.calls.splice(i, 1);
    if (!a.calls.includes(c)) a.calls.push(c);
    rec.joined = a.id;
    const up = await c.established();
    if (!up) {
      rec.reason = `the target did not answer (status ${c.status})`;
      return;
    }
    const m = await this.conference([a.handset, c]);
    void c.ended().then(() => a.handset.stopPlaying());
    rec.bridged = m.active;
    rec.ok = true;
  }

  private async referTransfer(
    rec: OxoTransferRecord,
    a: Call,
    opts: { target?: string; consultation?: Call; notifyTimeoutMs?: number },
  ): Promise<void> {
    if (!a.dialog || a.state !== 'established') throw new Error('the transferee call is not established');
    let referTo: string;
    const c = opts.consultation;
    if (rec.kind === 'attended') {
      if (!c?.dialog || c.state !== 'established')
        throw new Error('attended transfer needs an established consultation');
      const d = c.dialog;
      const na = parseNameAddr(d.remoteUri);
      const u = na.ok ? na.value.uri : undefined;
      const user = u && 'user' in u ? u.user : undefined;
      const host = u && 'host' in u ? (u.host.includes(':') ? `[${u.host}]` : u.host) : this.domain;
      referTo = referToValue(`sip:${user ? `${user}@` : ''}${host}`, {
        callId: d.id.callId,
        toTag: d.id.remoteTag,
        fromTag: d.id.localTag,
        earlyOnly: false,
      });
    } else {
      let number = opts.target;
      if (rec.kind === 'semi-attended') {
        if (!c) throw new Error('semi-attended transfer needs the ringing consultation call');
        number = userOfUri(c.invite?.get('to'));
        c.cancel();
      }
      if (!number) throw new Error('no transfer target');
      referTo = referToValue(`sip:${number}@${this.domain}`);
    }
    rec.referTo = referTo;
    const finalNotify = new Promise<number | undefined>((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(undefined), opts.notifyTimeoutMs ?? 10_000);
      const onNotify = (req: import('../sip/index.ts').SipRequest) => {
        const s = sipfragStatus(req.bodyText);
        if (s !== undefined) rec.notifyStatuses.push(s);
        if (s !== undefined && s >= 200) {
          timer.cancel();
          a.off('notify', onNotify);
          resolve(s);
        }
      };
      a.on('notify', onNotify);
    });
    const local = parseNameAddr(a.dialog.localUri);
    const referredBy = local.ok
      ? `<${userOfUri(a.dialog.localUri) ? `sip:${userOfUri(a.dialog.localUri)}@${this.domain}` : `sip:${this.domain}`}>`
      : undefined;
    const out = await sendRefer(this.ua, a.dialog, referTo, referredBy);
    rec.referStatus = out.status;
    if (out.status >= 300) {
      rec.reason = `REFER answered ${out.status}`;
      return;
    }
    const final = await finalNotify;
    rec.ok = final !== undefined && final < 300;
    if (!rec.ok) rec.reason = final === undefined ? 'no final NOTIFY' : `referred call failed with ${final}`;
    else await a.hangup();
  }
}
