/**
 * Minimal peers for exercising the reference SBC on loopback without the full provider and
 * OXO simulators: a provider-side registrar with digest (which can refuse on demand), a
 * plain user agent per side, and calls that carry a {@link MediaLeg} on each end. Used by
 * the SBC's tests and by a self-check of a fresh machine.
 */

import type { CodecName } from '../../codecs/index.ts';
import {
  createResponse,
  type Dialog,
  DigestServer,
  type IncomingInvite,
  type InviteOutcome,
  type SipRequest,
  type SipResponse,
  type TraceEvent,
  UserAgent,
} from '../sip/index.ts';
import type { Clock } from '../support/clock.ts';
import { MediaLeg, type MediaPrefs } from './media-leg.ts';
import { ReferenceSbc } from './reference-sbc.ts';
import type { ReferenceSbcConfigInput, SbcMediaPolicy } from './sbc-config.ts';
import type { SbcFaults } from './sbc-faults.ts';
import type { SbcPersonalityName } from './sbc-personalities.ts';

/** A plain user agent on one address that records every SIP message it sends and receives. */
export class StandInAgent {
  readonly trace: TraceEvent[] = [];

  private constructor(readonly ua: UserAgent) {
    ua.transport.on('trace', (t) => {
      if (this.trace.length < 5000) this.trace.push(t);
    });
  }

  static async start(opts: {
    address: string;
    contactUser: string;
    clock?: Clock;
    timers?: { t1?: number; t2?: number; t4?: number };
    /** Also listen for TLS with this certificate. */
    tls?: { key: string; cert: string };
  }): Promise<StandInAgent> {
    const ua = await UserAgent.start({
      listen: [
        { protocol: 'UDP', address: opts.address, port: 0 },
        { protocol: 'TCP', address: opts.address, port: 0 },
        ...(opts.tls ? [{ protocol: 'TLS' as const, address: opts.address, port: 0 }] : []),
      ],
      ...(opts.tls ? { tls: opts.tls } : {}),
      contactUser: opts.contactUser,
      ...(opts.clock ? { clock: opts.clock } : {}),
      timers: { t1: 100, t2: 800, t4: 1000, ...opts.timers },
    });
    return new StandInAgent(ua);
  }

  /** The UDP listener. */
  get udp(): { address: string; port: number } {
    const l = this.ua.transport.listenerFor('UDP');
    return { address: l.address, port: l.port };
  }

  /** Requests (or responses) seen on the wire, optionally filtered by method or status. */
  messages(dir: 'in' | 'out', what?: string | number): Array<SipRequest | SipResponse> {
    const out: Array<SipRequest | SipResponse> = [];
    for (const t of this.trace) {
      const m = t.message;
      if (!m || t.direction !== dir) continue;
      if (what === undefined) out.push(m);
      else if (typeof what === 'string' && m.isRequest && (m as SipRequest).method === what) out.push(m);
      else if (typeof what === 'number' && !m.isRequest && (m as SipResponse).status === what) out.push(m);
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.ua.stop();
  }
}

/** A provider registrar stub: digest-authenticated REGISTER, a granted lifetime, refusals on demand. */
export class StandInRegistrar {
  readonly registers: SipRequest[] = [];
  /** Answer the next N authenticated REGISTERs with 403. */
  refuseNext = 0;
  /** Lifetime granted in the Contact's expires parameter, in seconds. */
  grantSeconds: number;
  private readonly digest: DigestServer;

  constructor(
    agent: StandInAgent,
    opts: { realm: string; username: string; password: string; grantSeconds?: number; clock?: Clock },
  ) {
    this.grantSeconds = opts.grantSeconds ?? 3600;
    this.digest = new DigestServer({
      realm: opts.realm,
      credentials: (u) => (u === opts.username ? { password: opts.password } : undefined),
      uriMatches: () => true,
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    agent.ua.on('request', (req, tx) => {
      if (req.method !== 'REGISTER') {
        tx.respond(createResponse(req, 405));
        return;
      }
      this.registers.push(req);
      const v = this.digest.verify(req.getAll('authorization'), { method: req.method, uri: req.uri });
      if (v.kind !== 'ok') {
        const status = v.kind === 'wrong-password' || v.kind === 'unknown-user' ? 403 : 401;
        tx.respond(
          createResponse(req, status, { headers: v.challenges.map((c) => ['WWW-Authenticate', c]) }),
        );
        return;
      }
      if (this.refuseNext > 0) {
        this.refuseNext--;
        tx.respond(createResponse(req, 403));
        return;
      }
      const contact = req.get('contact') ?? '';
      const expires = req.expires === 0 ? 0 : this.grantSeconds;
      tx.respond(createResponse(req, 200, { headers: [['Contact', `${contact};expires=${expires}`]] }));
    });
  }

  /** REGISTERs that carried credentials and were accepted or refused after the challenge. */
  get authenticated(): SipRequest[] {
    return this.registers.filter((r) => r.has('authorization'));
  }
}

/** One end of a call: the dialog and its media leg. */
export interface StandInCallEnd {
  dialog: Dialog;
  media: MediaLeg;
}

/**
 * Answers the next INVITE on `agent` with a media leg of `prefs` on `address`. Resolves when
 * the ACK came (the dialog is confirmed), or with the rejection status when the offer is refused.
 */
export function answerNextCall(
  agent: StandInAgent,
  address: string,
  prefs: MediaPrefs,
  opts: { ring?: boolean; onInvite?: (inv: IncomingInvite) => void } = {},
): Promise<StandInCallEnd & { invite: IncomingInvite }> {
  return new Promise((resolve, reject) => {
    agent.ua.once('invite', (inv) => {
      opts.onInvite?.(inv);
      void (async () => {
        const media = await MediaLeg.open({ localAddress: address, prefs });
        const a = media.acceptOffer(inv.offer ?? '');
        if (!a.ok) {
          inv.reject(488);
          await media.close();
          reject(new Error(`offer refused: ${a.reason}`));
          return;
        }
        if (opts.ring) inv.ring();
        const dialog = await inv.answer(a.answer);
        await media.ready();
        resolve({ dialog, media, invite: inv });
      })().catch(reject);
    });
  });
}

/** Places a call from `agent` with a media leg of `prefs`; resolves on the final response. */
export async function placeCall(
  agent: StandInAgent,
  address: string,
  prefs: MediaPrefs,
  spec: { uri: string; from?: string; credentials?: { username: string; password: string } },
): Promise<{ outcome: InviteOutcome; media: MediaLeg; offer: string }> {
  const media = await MediaLeg.open({ localAddress: address, prefs });
  const offer = media.createOffer();
  const outcome = await agent.ua.invite({
    method: 'INVITE',
    uri: spec.uri,
    body: offer,
    ...(spec.from ? { from: spec.from } : {}),
    ...(spec.credentials ? { credentials: spec.credentials } : {}),
  }).result;
  if (outcome.status >= 200 && outcome.status < 300 && outcome.response) {
    media.acceptAnswer(outcome.response.bodyText);
    await media.ready();
  }
  return { outcome, media, offer };
}

/** Addresses of the loopback rig: provider, SBC WAN, SBC LAN, OXO. */
export const RIG_ADDRESSES = {
  provider: '127.0.10.1',
  sbcWan: '127.0.10.2',
  sbcLan: '127.0.20.2',
  oxo: '127.0.20.1',
} as const;

/** Credentials and numbers of the rig. */
export const RIG_ACCOUNTS = {
  trunk: { username: 'oxo-trunk', password: 'trunk-secret' },
  line: { username: '4930111', password: 'line-secret' },
  did: '4930111200',
  providerDomain: 'provider.test',
  realm: 'provider.test',
} as const;

/** A provider, an OXO stand-in and a reference SBC between them, on loopback. */
export interface SbcRig {
  sbc: ReferenceSbc;
  provider: StandInAgent;
  registrar: StandInRegistrar;
  oxo: StandInAgent;
  /** Registers the OXO stand-in at the SBC (status of the REGISTER). */
  registerOxo(password?: string): Promise<number>;
  /** Request-URI for a call from the OXO to `number` through the SBC. */
  lanUri(number: string): string;
  /** Request-URI for a call from the provider to the SBC's line (the DID). */
  wanUri(did?: string): string;
  stop(): Promise<void>;
}

/** Starts the rig; `sbcConfig` overrides parts of the SBC configuration. */
export async function startSbcRig(
  sbcConfig: {
    lanMedia?: Partial<SbcMediaPolicy>;
    wanMedia?: Partial<SbcMediaPolicy>;
    faults?: SbcFaults;
    /** Personalities of the SBC (sbc-personalities.ts). */
    personalities?: SbcPersonalityName[];
    referPolicy?: 'pass' | 'local';
    register?: boolean;
    grantSeconds?: number;
    retryMs?: number;
    /**
     * The SBC's access settings. The rig's OXO stand-in mostly calls without registering, so
     * the rig opens the LAN side (`lanInvites: 'any'`) unless this says otherwise.
     */
    security?: ReferenceSbcConfigInput['security'];
    /** The SBC's clock (its SIP timers, session timers and media watch); the system's by default. */
    clock?: Clock;
  } = {},
): Promise<SbcRig> {
  const A = RIG_ADDRESSES;
  const provider = await StandInAgent.start({ address: A.provider, contactUser: 'provider' });
  const registrar = new StandInRegistrar(provider, {
    realm: RIG_ACCOUNTS.realm,
    username: RIG_ACCOUNTS.line.username,
    password: RIG_ACCOUNTS.line.password,
    ...(sbcConfig.grantSeconds !== undefined ? { grantSeconds: sbcConfig.grantSeconds } : {}),
  });
  const oxo = await StandInAgent.start({ address: A.oxo, contactUser: 'oxo' });
  const base = { codecs: ['G722', 'PCMA', 'PCMU'] as CodecName[], telephoneEvent: true };
  const sbc = await ReferenceSbc.start(
    {
      lan: {
        address: A.sbcLan,
        trunk: { ...RIG_ACCOUNTS.trunk },
        media: { ...base, ...sbcConfig.lanMedia },
      },
      wan: {
        address: A.sbcWan,
        provider: {
          address: A.provider,
          port: provider.udp.port,
          protocol: 'UDP',
          domain: RIG_ACCOUNTS.providerDomain,
        },
        line: {
          ...RIG_ACCOUNTS.line,
          dids: [RIG_ACCOUNTS.did],
          register: sbcConfig.register ?? false,
          retryMs: sbcConfig.retryMs ?? 200,
        },
        media: { ...base, ...sbcConfig.wanMedia },
      },
      referPolicy: sbcConfig.referPolicy ?? 'pass',
      security: { lanInvites: 'any', ...sbcConfig.security },
      faults: { ...sbcConfig.faults },
      ...(sbcConfig.personalities ? { personalities: [...sbcConfig.personalities] } : {}),
      timers: { t1: 100, t2: 800, t4: 1000 },
    },
    sbcConfig.clock ? { clock: sbcConfig.clock } : {},
  );
  const lan = sbc.lanListener('UDP');
  const wan = sbc.wanListener('UDP');
  return {
    sbc,
    provider,
    registrar,
    oxo,
    async registerOxo(password: string = RIG_ACCOUNTS.trunk.password) {
      const out = await oxo.ua.register({
        registrar: `sip:${lan.address}:${lan.port}`,
        aor: `sip:${RIG_ACCOUNTS.trunk.username}@${lan.address}`,
        credentials: { username: RIG_ACCOUNTS.trunk.username, password },
        expires: 300,
      });
      return out.status;
    },
    lanUri: (n) => `sip:${n}@${lan.address}:${lan.port}`,
    wanUri: (did = RIG_ACCOUNTS.did) => `sip:${did}@${wan.address}:${wan.port}`,
    async stop() {
      await sbc.stop();
      await Promise.all([provider.stop(), oxo.stop()]);
    },
  };
}
