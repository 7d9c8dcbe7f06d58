/**
 * The lab: the three actors built from a profile and started in the order the plan needs —
 * the provider first (the SBC registers its line there), then the embedded reference SBC (or
 * nothing, when the profile points at an external one), then the OXO trunk, which registers
 * at the SBC. `stop()` ends them in reverse order.
 */

import { readFileSync } from 'node:fs';
import type { Profile } from '../config/profile-schema.ts';
import type { PacketRecord } from '../media/rtp/index.ts';
import type { TimerConfig, TraceEvent, TransportProtocol, UserAgent } from '../sip/index.ts';
import { selfSignedCertificate } from '../support/certificate.ts';
import { type Clock, systemClock } from '../support/clock.ts';
import { certificateSignedBy, labCertificateAuthority } from '../support/lab-ca.ts';
import { type Logger, silentLogger } from '../support/log.ts';
import { startIdleTrim } from '../support/memory-trim.ts';
import type { Call, CallMediaPrefs, MediaFactory } from './call.ts';
import { callOver, keepStandaloneHistory } from './call-history.ts';
import type { ExtensionId, ExtensionOptions } from './extension.ts';
import { Ivr } from './ivr.ts';
import { type ListenKeys, listenErrorMessage } from './listen-keys.ts';
import { MediaEvidence, mergeMediaEvidence } from './media-evidence.ts';
import { MediaLeg } from './media-leg.ts';
import { OxoTrunk } from './oxo-trunk.ts';
import { Provider } from './provider.ts';
import { ReferenceSbc, STANDALONE_SBC_RETENTION } from './reference-sbc.ts';
import type { ReferenceSbcConfigInput } from './sbc-config.ts';
import { MAX_FAULT_COUNT, MAX_FAULT_MS, SBC_FAULTS, type SbcFaults } from './sbc-faults.ts';
import { parsePersonalities, SBC_PERSONALITIES, type SbcPersonalityName } from './sbc-personalities.ts';

export interface LabOptions {
  profile: Profile;
  /** Bind every listener to an ephemeral port instead of the profile's (tests run labs side by side). */
  ephemeralPorts?: boolean;
  /** Fault switches of the embedded SBC, added to the profile's (`name` or `name=value`). */
  faults?: string[];
  /** Personalities (legal behaviour switches) of the embedded SBC, added to the profile's. */
  personalities?: string[];
  /** Start only these actors (for `sbc-harness sim`); default all. */
  only?: Array<'provider' | 'sbc' | 'oxo'>;
  /** Register the OXO trunk at start and wait for the SBC's line registration (default true). */
  register?: boolean;
  timers?: Partial<TimerConfig>;
  /** The simulated OXO takes several calls per extension (its `multiLine` profile); default false. */
  oxoMultiLine?: boolean;
  /**
   * Bounds of every media leg the provider and the OXO open: datagrams kept as evidence (default
   * 50 000 per RTP session) and RTP arrivals kept for the media judge (default four hours at
   * 10 ms packets; media-leg.ts). {@link Lab.keepStandalone} lowers both.
   */
  legLimits?: { maxEvidence?: number; maxArrivals?: number };
  clock?: Clock;
  logger?: Logger;
  /** Receives every SIP message of every actor from its start on (evidence), with the actor's name. */
  trace?: (t: TraceEvent, actor: LabActorName) => void;
}

/** Whose transport traced a message: our provider, the embedded SBC's LAN or WAN side, our OXO. */
export type LabActorName = 'provider' | 'sbc-lan' | 'sbc-wan' | 'oxo';

const PROTOCOL: Record<'udp' | 'tcp' | 'tls', TransportProtocol> = { udp: 'UDP', tcp: 'TCP', tls: 'TLS' };

/** A lab that cannot be built as configured (unknown fault, missing piece): the user's to fix. */
export class LabConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses `--sbc-fault` values into the SBC's fault switches; throws with the list of known names. */
export function parseFaults(names: string[]): SbcFaults {
  const out: Record<string, boolean | number> = {};
  for (const raw of names) {
    const [name, value] = raw.split('=', 2) as [string, string | undefined];
    const info = SBC_FAULTS.find((f) => f.name === name);
    if (!info) {
      throw new LabConfigError(
        `unknown SBC fault "${name}"; known faults: ${SBC_FAULTS.map((f) => f.name).join(', ')}`,
      );
    }
    if (info.value === 'flag') {
      if (value !== undefined) throw new LabConfigError(`SBC fault "${name}" takes no value`);
      out[name] = true;
    } else if (info.value === 'ms') {
      const n = numberOrNaN(value);
      if (!Number.isFinite(n) || n < 0 || n > MAX_FAULT_MS) {
        throw new LabConfigError(
          `SBC fault "${name}" needs a number of milliseconds from 0 to ${MAX_FAULT_MS}, e.g. ${name}=300`,
        );
      }
      out[name] = n;
    } else if (info.value === 'count') {
      // Digits only: no sign, exponent, hex or spaces.
      const n = value !== undefined && /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isInteger(n) || n > MAX_FAULT_COUNT) {
        throw new LabConfigError(
          `SBC fault "${name}" needs a whole number from 0 to ${MAX_FAULT_COUNT}, e.g. ${name}=10`,
        );
      }
      out[name] = n;
    } else {
      const n = numberOrNaN(value);
      if (!Number.isFinite(n) || n < 0) {
        throw new LabConfigError(`SBC fault "${name}" needs a number of seconds, e.g. ${name}=10`);
      }
      out[name] = n;
    }
  }
  return out as SbcFaults;
}

/** The number a switch's value spells; NaN when there is none (`name`, `name=`, `name= `). */
function numberOrNaN(value: string | undefined): number {
  return value === undefined || value.trim() === '' ? Number.NaN : Number(value);
}

/** Checks `--sbc-personality` names; throws with the list of known names. */
export function personalityNames(names: string[]): SbcPersonalityName[] {
  const r = parsePersonalities(names);
  if (!r.ok)
    throw new LabConfigError(
      `unknown SBC personality "${r.unknown[0]}"; known personalities: ${SBC_PERSONALITIES.map((p) => p.name).join(', ')}`,
    );
  return [...r.value];
}

/** Latest records a standalone lab keeps per evidence list ({@link Lab.keepStandalone}). */
export const STANDALONE_RECORDS = 100;
/** Media legs a standalone lab tracks as evidence. */
export const STANDALONE_MEDIA_LEGS = 8;
/** Datagrams each media leg of a standalone lab keeps as evidence (a run's keep 50 000). */
export const STANDALONE_LEG_EVIDENCE = 1000;
/** RTP arrivals each media leg of a standalone lab keeps (nobody judges its calls' media). */
export const STANDALONE_LEG_ARRIVALS = 1000;
/** How often a standalone lab trims its evidence lists, ms. */
const STANDALONE_TRIM_MS = 5000;

const EXTENSION_IDS: ExtensionId[] = ['deskphone1', 'deskphone2', 'remote', 'fxs1', 'attendant'];

export class Lab {
  provider: Provider | undefined;
  sbc: ReferenceSbc | undefined;
  oxo: OxoTrunk | undefined;
  readonly profile: Profile;
  /** The RTP/RTCP of every media leg the provider and the OXO open (case pcap evidence). */
  readonly media = new MediaEvidence();
  /**
   * The CA certificate (PEM) the harness's TLS clients trust: the lab's own CA with the
   * embedded SBC (it signs the provider's and the SBC's certificates), the profile's tls.ca
   * with an external SBC (undefined: the system's CAs).
   */
  tlsCa: string | undefined;
  private readonly log: Logger;
  /** Bounds of the media legs opened from now on ({@link keepStandalone} lowers them). */
  private legLimits: { maxEvidence?: number; maxArrivals?: number };
  /** Stops what {@link keepStandalone} started. */
  private stopStandalone: (() => void) | undefined;
  /** The actor being started (a bind error is told in terms of its profile keys). */
  private starting: 'provider' | 'sbc' | 'oxo' | undefined;

  private constructor(readonly opts: LabOptions) {
    this.profile = opts.profile;
    this.log = opts.logger ?? silentLogger;
    this.legLimits = { ...opts.legLimits };
  }

  /**
   * The case's RTP and RTCP for its pcap: what the provider's and the OXO's legs sent and
   * received since the previous call (bounded, see media-evidence.ts), and what the embedded
   * SBC's ports logged, each datagram once.
   */
  caseMediaEvidence(): PacketRecord[] {
    return mergeMediaEvidence(this.media.take(), this.sbc?.evidence() ?? []);
  }

  /**
   * The RTP and RTCP our legs received in the running case so far, unbounded, as on the wire
   * (the RTP validator judges it); {@link caseMediaEvidence} still takes it afterwards.
   */
  caseReceivedMedia(): PacketRecord[] {
    return this.media.peekReceived();
  }

  /** Builds and starts the actors. On a failure, whatever started is stopped before the error is thrown. */
  static async start(opts: LabOptions): Promise<Lab> {
    const lab = new Lab(opts);
    try {
      await lab.startAll();
    } catch (err) {
      await lab.stop();
      // A listener that cannot be bound is the profile's to fix: say which key chose it.
      const named = listenErrorMessage(err, lab.listenKeys(lab.starting));
      if (named) throw new LabConfigError(named, { cause: err });
      throw err;
    }
    return lab;
  }

  /** The profile keys of an actor's listeners (for the message of a bind error). */
  private listenKeys(actor: 'provider' | 'sbc' | 'oxo' | undefined): ListenKeys[] {
    const p = this.profile;
    const all: Array<ListenKeys & { actor: string; port?: number }> = [
      {
        actor: 'provider',
        addressKey: 'provider.address',
        address: p.provider.address,
        portKeys: { UDP: 'provider.port', TCP: 'provider.port', TLS: 'provider.tlsPort' },
      },
      {
        actor: 'sbc',
        addressKey: 'sbc.lan.address',
        address: p.sbc.lan.address,
        port: p.sbc.lan.port,
        portKeys: { UDP: 'sbc.lan.port', TCP: 'sbc.lan.port' },
      },
      {
        actor: 'sbc',
        addressKey: 'sbc.wan.address',
        address: p.sbc.wan.address,
        port: p.sbc.wan.port,
        portKeys: { UDP: 'sbc.wan.port', TCP: 'sbc.wan.port', TLS: 'sbc.wan.tlsPort' },
      },
      {
        actor: 'oxo',
        addressKey: 'oxo.address',
        address: p.oxo.address,
        portKeys: { UDP: 'oxo.port', TCP: 'oxo.port' },
      },
    ];
    return all.filter((k) => !actor || k.actor === actor);
  }

  private wants(actor: 'provider' | 'sbc' | 'oxo'): boolean {
    return !this.opts.only || this.opts.only.includes(actor);
  }

  private traced(actor: LabActorName, ua: UserAgent): void {
    const t = this.opts.trace;
    if (t) ua.transport.on('trace', (ev) => t(ev, actor));
  }

  private port(p: number): number {
    return this.opts.ephemeralPorts ? 0 : p;
  }

  private async startAll(): Promise<void> {
    const p = this.profile;
    const clock = this.opts.clock ?? systemClock;
    // Phones and deskphones send RTP from answer to hang-up, silence included (no VAD).
    const openMedia: MediaFactory = async (o) =>
      this.media.track(await MediaLeg.open({ ...o, clock, continuous: true, ...this.legLimits }));
    const timers = this.opts.timers;
    const embedded = p.sbc.kind === 'embedded';
    const providerProtocol = PROTOCOL[p.provider.transport];
    const dids = [
      p.provider.line.number,
      ...EXTENSION_IDS.flatMap((id) => (p.oxo.extensions[id] ? [p.oxo.extensions[id].did] : [])),
    ];

    // TLS: with the embedded SBC the lab makes its own CA and signs both listeners' certificates
    // with it; the clients (the SBC toward the provider, the provider toward the SBC) verify
    // against it unless tls.verify is false. With an external SBC, the provider trusts tls.ca.
    const labCa = embedded ? await labCertificateAuthority() : undefined;
    this.tlsCa = labCa?.cert ?? (p.tls.ca ? readFileSync(p.tls.ca, 'utf8') : undefined);
    const providerCert = labCa
      ? await certificateSignedBy(labCa, 'provider.sbc-harness.test', [p.provider.address])
      : await selfSignedCertificate('provider.sbc-harness.test', [p.provider.address]);

    if (this.wants('provider')) {
      this.starting = 'provider';
      const transports: Array<{ protocol: TransportProtocol; port: number }> = [
        { protocol: 'UDP', port: this.port(p.provider.port) },
        { protocol: 'TCP', port: this.port(p.provider.port) },
        { protocol: 'TLS', port: this.port(p.provider.tlsPort) },
      ];
      this.provider = await Provider.start({
        address: p.provider.address,
        transports,
        domain: p.provider.domain,
        lines: [{ username: p.provider.line.user, password: p.provider.line.password, dids }],
        refer: p.provider.refer,
        tls: {
          ...providerCert,
          ...(this.tlsCa ? { ca: this.tlsCa } : {}),
          rejectUnauthorized: p.tls.verify,
        },
        openMedia,
        numbering: { countryCode: p.oxo.countryCode },
        ...(embedded
          ? {}
          : {
              sbcWan: {
                protocol: providerProtocol,
                address: p.sbc.wan.address,
                port: providerProtocol === 'TLS' ? p.sbc.wan.tlsPort : p.sbc.wan.port,
              },
            }),
        clock,
        logger: this.log.child({ actor: 'provider' }),
        ...(timers ? { timers } : {}),
      });
      this.traced('provider', this.provider.ua);
      for (const ph of p.provider.phones)
        this.provider.addPhone({
          id: ph.id,
          number: ph.number,
          displayName: ph.name,
          prefs: providerPhonePrefs(p),
        });
      this.provider.addIvr({
        id: 'ivr',
        number: p.provider.ivrNumber,
        displayName: 'IVR',
        prefs: providerPhonePrefs(p),
      });
    }

    if (embedded && this.wants('sbc')) {
      this.starting = 'sbc';
      const provider = this.provider;
      const providerPort = provider
        ? provider.port(providerProtocol)
        : providerProtocol === 'TLS'
          ? p.provider.tlsPort
          : p.provider.port;
      const faults = parseFaults([...p.sbc.faults, ...(this.opts.faults ?? [])]);
      const personalities = personalityNames([...p.sbc.personality, ...(this.opts.personalities ?? [])]);
      const sbcCert = labCa
        ? await certificateSignedBy(labCa, 'reference-sbc.test', [p.sbc.wan.address])
        : undefined;
      const config: ReferenceSbcConfigInput = {
        lan: {
          address: p.sbc.lan.address,
          ...(p.sbc.lan.mediaAddresses ? { mediaAddress: p.sbc.lan.mediaAddresses[0] } : {}),
          port: this.port(p.sbc.lan.port),
          trunk: { username: p.oxo.trunk.user, password: p.oxo.trunk.password },
          media: {
            codecs: [...p.sbc.codecOrder],
            telephoneEvent: true,
            dtmf: 'auto',
            infoFallback: false,
            detectInband: false,
          },
        },
        wan: {
          address: p.sbc.wan.address,
          ...(p.sbc.wan.mediaAddresses ? { mediaAddress: p.sbc.wan.mediaAddresses[0] } : {}),
          ...(p.sbc.wan.contactHost ? { contactHost: p.sbc.wan.contactHost } : {}),
          port: this.port(p.sbc.wan.port),
          ...(p.sbc.wan.transports.includes('tls') ? { tlsPort: this.port(p.sbc.wan.tlsPort) } : {}),
          tls: { ...sbcCert, ...(this.tlsCa ? { ca: this.tlsCa } : {}), verify: p.tls.verify },
          provider: {
            address: p.provider.address,
            port: providerPort,
            protocol: providerProtocol,
            domain: p.provider.domain,
          },
          line: {
            username: p.provider.line.user,
            password: p.provider.line.password,
            dids,
            register: true,
            expires: 3600,
            retryMs: 5000,
          },
          media: {
            codecs: [...p.sbc.codecOrder],
            telephoneEvent: true,
            dtmf: 'auto',
            infoFallback: p.sbc.fallbackToInfo,
            detectInband: false,
            ...(p.sbc.srtpTowardProvider ? { srtp: 'AES_CM_128_HMAC_SHA1_80' as const } : {}),
          },
        },
        referPolicy: p.sbc.referPolicy,
        security: {
          lanInvites: p.sbc.open.lanInvites ? 'any' : 'trunk',
          wanInvites: p.sbc.open.wanInvites ? 'any' : 'provider',
          providerAddresses: p.provider.sourceAddresses,
          digestReplay: p.sbc.open.digestReplay ? 'accept' : 'refuse',
          holdOff: { enabled: !p.sbc.open.bruteForce },
        },
        faults,
        personalities,
        ...(timers ? { timers } : {}),
      };
      this.sbc = await ReferenceSbc.start(config, { clock, logger: this.log });
      this.traced('sbc-lan', this.sbc.lanUa);
      this.traced('sbc-wan', this.sbc.wanUa);
    }

    if (this.wants('oxo')) {
      this.starting = 'oxo';
      const lan = this.sbc?.lanListener(p.oxo.transport === 'tcp' ? 'TCP' : 'UDP') ?? {
        address: p.sbc.lan.address,
        port: p.oxo.transport === 'tls' ? p.sbc.lan.tlsPort : p.sbc.lan.port,
      };
      const extensions: ExtensionOptions[] = [];
      for (const id of EXTENSION_IDS) {
        const e = p.oxo.extensions[id];
        if (!e) continue;
        extensions.push({
          id,
          did: e.did,
          internalNumber: e.number,
          name: e.name,
          prefs: { codecs: [...e.codecs], telephoneEvent: p.oxo.dtmf.rfc2833 },
        });
      }
      this.oxo = await OxoTrunk.start({
        address: p.oxo.address,
        protocol: PROTOCOL[p.oxo.transport],
        port: this.port(p.oxo.port),
        sbc: { protocol: PROTOCOL[p.oxo.transport], address: lan.address, port: lan.port },
        domain: p.oxo.trunk.domain,
        credentials: { username: p.oxo.trunk.user, password: p.oxo.trunk.password },
        profile: {
          remoteWorker: p.oxo.extensions.remote !== undefined,
          outsideLinePrefix: p.oxo.outgoingPrefix,
          mainNumber: p.provider.line.number,
          infoDtmf: p.oxo.dtmf.info ? { status: 200, accept: true } : { status: 415, accept: false },
          transferMode: p.oxo.transferMode === 'refer' ? 'refer' : 'pbx',
          display: { countryCode: p.oxo.countryCode, nationalPrefix: '0', internationalPrefix: '00' },
          registerExpires: p.oxo.trunk.expires,
          ...(this.opts.oxoMultiLine ? { multiLine: true } : {}),
        },
        extensions,
        openMedia,
        clock,
        logger: this.log.child({ actor: 'oxo' }),
        ...(timers ? { timers } : {}),
      });
    }

    if (this.oxo) this.traced('oxo', this.oxo.ua);
    if (this.opts.register ?? true) await this.register();
  }

  /**
   * Readies a lab that outlives its cases (an external SBC keeps its state between cases) for
   * the next case: the phones, the IVR and the extensions get the case's codec preferences and
   * their configured behaviour back, and the OXO takes one or several calls per set as the case
   * asks. Registrations and their records are kept: a registration the SBC made at any time of
   * the run counts.
   */
  prepareCase(profile: Profile, opts: { oxoMultiLine?: boolean } = {}): void {
    for (const ph of this.provider?.allPhones() ?? []) ph.resetForCase(providerPhonePrefs(profile));
    this.oxo?.resetForCase({
      multiLine: opts.oxoMultiLine ?? false,
      prefs: (id) => {
        const e = profile.oxo.extensions[id];
        return e ? { codecs: [...e.codecs], telephoneEvent: profile.oxo.dtmf.rfc2833 } : undefined;
      },
    });
  }

  /**
   * With a lab that outlives its cases (real equipment on a side): puts a case's settings of the
   * embedded SBC in place for the calls that follow. Its codec order changes between calls; SRTP
   * and the transport toward the provider are fixed by how it was started. Returns the settings
   * the case asked for that it could not apply.
   */
  applySbcSettings(p: Profile): Array<'srtpTowardProvider' | 'providerTransport'> {
    const sbc = this.sbc;
    if (!sbc) return [];
    sbc.config.lan.media.codecs = [...p.sbc.codecOrder];
    sbc.config.wan.media.codecs = [...p.sbc.codecOrder];
    const fixed: Array<'srtpTowardProvider' | 'providerTransport'> = [];
    if (p.sbc.srtpTowardProvider !== this.profile.sbc.srtpTowardProvider) fixed.push('srtpTowardProvider');
    if (p.provider.transport !== this.profile.provider.transport) fixed.push('providerTransport');
    return fixed;
  }

  /**
   * Ends every call of the simulators that is still up or ringing (BYE, CANCEL or a final
   * response), and waits up to `timeoutMs` for each to end. Returns a line for each call that
   * was still up before, and for each that did not end in time.
   */
  async endCalls(timeoutMs = 5000): Promise<{ leftUp: string[]; notEnded: string[] }> {
    const live: Array<{ who: string; call: Call }> = [];
    const isLive = (c: Call) => c.state === 'established' || c.state === 'ringing' || c.state === 'calling';
    for (const ph of this.provider?.allPhones() ?? [])
      for (const c of ph.calls) if (isLive(c)) live.push({ who: ph.id, call: c });
    for (const e of this.oxo?.allExtensions() ?? [])
      for (const c of e.calls) if (isLive(c)) live.push({ who: e.name, call: c });
    const leftUp = live.map(({ who, call }) => `${who}: ${call.direction} call ${call.state}`);
    await Promise.all(live.map(({ call }) => call.hangup().catch(() => undefined)));
    const notEnded: string[] = [];
    await Promise.all(
      live.map(async ({ who, call }) => {
        let t: NodeJS.Timeout | undefined;
        const ended = await Promise.race([
          call.ended().then(() => true),
          new Promise<false>((r) => {
            t = setTimeout(() => r(false), timeoutMs);
          }),
        ]);
        if (t) clearTimeout(t);
        if (!ended)
          notEnded.push(
            `${who}: ${call.direction} call still ${call.state} ${timeoutMs / 1000} s after hanging up`,
          );
      }),
    );
    return { leftUp, notEnded };
  }

  /** Every user agent of the lab (provider, SBC LAN and WAN, OXO), e.g. to trace their SIP. */
  userAgents(): UserAgent[] {
    return [this.provider?.ua, this.sbc?.lanUa, this.sbc?.wanUa, this.oxo?.ua].filter(
      (u): u is UserAgent => u !== undefined,
    );
  }

  /** Waits for the SBC's line registration at the provider and registers the OXO trunk at the SBC. */
  async register(timeoutMs = 10_000): Promise<void> {
    const p = this.profile;
    if (this.provider && this.sbc) {
      await withTimeout(
        this.provider.waitRegistered(p.provider.line.user),
        timeoutMs,
        `the SBC did not register its line ${p.provider.line.user} at the provider`,
      );
    }
    if (this.oxo) {
      const status = await this.oxo.register();
      if (status < 200 || status >= 300)
        throw new Error(`the OXO trunk's registration at the SBC ended with ${status}`);
    }
  }

  /**
   * Bounds for a lab whose actors run on their own for hours (`sbc-harness sbc` and `sim`, and the
   * wire fuzz that starts them the same way), where nobody takes a case's evidence: the SBC keeps
   * little of ended calls (STANDALONE_SBC_RETENTION), the simulators few ended calls
   * (STANDALONE_CALL_HISTORY), the media evidence a few legs and each new leg a few datagrams
   * and RTP arrivals ({@link STANDALONE_LEG_EVIDENCE}, {@link STANDALONE_LEG_ARRIVALS}), and every
   * evidence list of the provider and the OXO (registrations, routed INVITEs, REFERs, INFOs,
   * transfers, IVR digits) its latest {@link STANDALONE_RECORDS} entries, trimmed every few seconds; their running
   * totals stay in `counts`. When no call is up and the process has grown, the allocator is
   * asked to give freed memory back (support/memory-trim.ts).
   */
  keepStandalone(opts: { trimEveryMs?: number } = {}): void {
    this.stopStandalone?.();
    if (this.sbc) this.sbc.retention = { ...STANDALONE_SBC_RETENTION };
    keepStandaloneHistory({
      parties: [...(this.provider?.allPhones() ?? []), ...(this.oxo?.allExtensions() ?? [])],
      registries: [this.provider?.callLog, this.oxo?.callLog].filter((r) => r !== undefined),
    });
    this.media.limit(STANDALONE_MEDIA_LEGS);
    this.legLimits = { maxEvidence: STANDALONE_LEG_EVIDENCE, maxArrivals: STANDALONE_LEG_ARRIVALS };
    const lists = (): unknown[][] => {
      const out: unknown[][] = [];
      if (this.provider) {
        const p = this.provider;
        out.push(p.registrations, p.routes, p.refers);
        for (const ph of p.allPhones()) if (ph instanceof Ivr) out.push(ph.received, ph.sent);
      }
      if (this.oxo) {
        const o = this.oxo;
        out.push(o.registrations, o.routes, o.infoEvents, o.transfers, o.internalCalls);
      }
      return out;
    };
    const trim = setInterval(() => {
      for (const list of lists())
        if (list.length > STANDALONE_RECORDS) list.splice(0, list.length - STANDALONE_RECORDS);
    }, opts.trimEveryMs ?? STANDALONE_TRIM_MS);
    trim.unref();
    const stopIdleTrim = startIdleTrim({ idle: () => this.callsUp() === 0 });
    this.stopStandalone = () => {
      clearInterval(trim);
      stopIdleTrim();
    };
  }

  /** Calls up now at the simulators and the embedded SBC (ringing or established). */
  callsUp(): number {
    let n = this.sbc?.liveCalls ?? 0;
    for (const ph of this.provider?.allPhones() ?? []) n += ph.calls.filter((c) => !callOver(c)).length;
    for (const ext of this.oxo?.allExtensions() ?? []) n += ext.calls.filter((c) => !callOver(c)).length;
    return n;
  }

  async stop(): Promise<void> {
    this.stopStandalone?.();
    this.stopStandalone = undefined;
    await this.oxo?.stop().catch(() => undefined);
    await this.sbc?.stop().catch(() => undefined);
    await this.provider?.stop().catch(() => undefined);
  }
}

/**
 * What a simulated provider phone offers and accepts, as the profile describes the provider: its
 * codecs in order, telephone-events or none (`provider.telephoneEvent`), SDES-SRTP when it
 * requires it (`provider.srtp`). A fresh object each time (a phone may change its own).
 */
export function providerPhonePrefs(profile: Profile): CallMediaPrefs {
  return {
    codecs: [...profile.provider.codecs],
    telephoneEvent: profile.provider.telephoneEvent,
    ...(profile.provider.srtp ? { srtp: 'AES_CM_128_HMAC_SHA1_80' as const } : {}),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
