/**
 * DUT adapter for the Kamailio + rtpengine lab (lab/, profiles/kamailio-lab.yaml). A case's SBC
 * preconditions become rtpengine flags per side, written over Kamailio's JSON-RPC (xhttp +
 * jsonrpcs, `htable.sets policy …`) before the case starts; the lab's routing script copies
 * them into each new call, so re-INVITEs of that call get the same flags.
 */
import type { Lab } from '../actors/index.ts';
import type { Profile } from '../config/profile-schema.ts';
import type { SbcPrecondition } from './case-definition.ts';
import type { AdapterOutcome, DutAdapter } from './dut-adapter.ts';

/** rtpengine flags the lab applies to SDP it sends toward each side. */
export interface LabPolicy {
  /** Flags of offers sent toward the provider (WAN). */
  towan: string;
  /** Flags of offers sent toward the OXO (LAN). */
  tolan: string;
  /** Flags of answers sent toward the provider. */
  ans_towan: string;
  /** Flags of answers sent toward the OXO. */
  ans_tolan: string;
}

/** The policy with no precondition: media anchored, SDP passed through as offered. */
export const DEFAULT_LAB_POLICY: Readonly<LabPolicy> = { towan: '', tolan: '', ans_towan: '', ans_tolan: '' };

/** The lab's default JSON-RPC port (LAB_RPC_PORT in lab/lab.env). */
export const KAMAILIO_LAB_RPC_PORT = 5080;

/** The l_uuid of the lab's line registration (lab/sbc/start writes it into the uacreg table). */
export const KAMAILIO_LAB_LINE_UUID = 'line1';

/** rtpengine's codec names for the profile's codec ids. */
const RTPENGINE_CODEC: Record<string, string> = {
  G722: 'G722',
  PCMA: 'PCMA',
  PCMU: 'PCMU',
  G729: 'G729',
  G723: 'G723',
};

/** Maps a case's precondition (on the profile's SBC capabilities) to rtpengine flags per side. */
export function policyFor(pre: SbcPrecondition | undefined, profile: Profile): LabPolicy {
  const p: LabPolicy = { ...DEFAULT_LAB_POLICY };
  const add = (key: keyof LabPolicy, flags: string) => {
    p[key] = [p[key], flags].filter(Boolean).join(' ');
  };
  if (pre?.codecOrder) {
    const order = pre.codecOrder.filter(
      (c) => profile.sbc.codecOrder.includes(c as never) && RTPENGINE_CODEC[c] !== undefined,
    );
    if (order.length > 0) {
      // Mask every offered codec (still accepted from the offerer) and offer the order asked
      // for; rtpengine transcodes only when the answer picks a codec the offerer lacks.
      const flags = ['codec-mask-all', ...order.map((c) => `codec-transcode-${RTPENGINE_CODEC[c]}`)].join(
        ' ',
      );
      add('towan', flags);
      add('tolan', flags);
    }
  }
  if (pre?.srtpTowardProvider) {
    add('towan', 'RTP/SAVP DTLS=off');
    add('tolan', 'RTP/AVP');
  }
  return p;
}

/** A JSON-RPC failure or an unreachable lab. */
export class LabControlError extends Error {
  override name = 'LabControlError';
}

export interface KamailioLabControlOptions {
  /** JSON-RPC endpoint, default `http://<sbc.lan.address>:5080/RPC` (env SBC_HARNESS_LAB_RPC wins). */
  url: string;
  /** Per-request time limit, ms (default 3000). */
  timeoutMs?: number;
}

/** Kamailio's JSON-RPC endpoint of the lab. */
export class KamailioLabControl {
  private nextId = 1;
  constructor(readonly opts: KamailioLabControlOptions) {}

  /** The control of the lab a profile points at. */
  static forProfile(profile: Profile, env: NodeJS.ProcessEnv = process.env): KamailioLabControl {
    const url = env.SBC_HARNESS_LAB_RPC ?? `http://${profile.sbc.lan.address}:${KAMAILIO_LAB_RPC_PORT}/RPC`;
    return new KamailioLabControl({ url });
  }

  /** Calls one RPC method; resolves with its result, rejects with a {@link LabControlError}. */
  async rpc(method: string, params: unknown[] = []): Promise<unknown> {
    const id = this.nextId++;
    let res: Response;
    try {
      res = await fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method, params, id }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 3000),
      });
    } catch (err) {
      throw new LabControlError(
        `the lab SBC's control at ${this.opts.url} is not reachable (${(err as Error).message}); start it with lab/up`,
      );
    }
    const text = await res.text().catch(() => '');
    let body: { result?: unknown; error?: { message?: string } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new LabControlError(`${method}: HTTP ${res.status}, not JSON-RPC: ${text.slice(0, 120)}`);
    }
    if (body.error) throw new LabControlError(`${method}: ${body.error.message ?? 'error'}`);
    return body.result;
  }

  /** Sets the policy new calls start with. */
  async setPolicy(policy: LabPolicy): Promise<void> {
    for (const key of ['towan', 'tolan', 'ans_towan', 'ans_tolan'] as const) {
      await this.rpc('htable.sets', ['policy', key, policy[key]]);
    }
  }

  /** The policy new calls start with, as Kamailio holds it. */
  async getPolicy(): Promise<LabPolicy> {
    const out: LabPolicy = { ...DEFAULT_LAB_POLICY };
    for (const key of ['towan', 'tolan', 'ans_towan', 'ans_tolan'] as const) {
      try {
        const r = (await this.rpc('htable.get', ['policy', key])) as { item?: { value?: unknown } };
        const v = r?.item?.value;
        out[key] = typeof v === 'string' ? v : '';
      } catch {
        out[key] = ''; // a key never set reads as an error: no flags
      }
    }
    return out;
  }

  /**
   * Makes Kamailio register its line again now (uac_reg reloads the entry and registers on
   * its next timer tick, within a second or two), e.g. toward a provider simulator that
   * started after the last registration.
   */
  async refreshLine(luuid = KAMAILIO_LAB_LINE_UUID): Promise<void> {
    await this.rpc('uac.reg_refresh', [luuid]);
  }

  /** The line registration toward the provider, as uac_reg reports it (flags, expiry). */
  async lineRegistrations(): Promise<Array<Record<string, unknown>>> {
    const r = await this.rpc('uac.reg_dump');
    return Array.isArray(r) ? (r as Array<Record<string, unknown>>) : [];
  }
}

function describe(pre: SbcPrecondition): string {
  const parts: string[] = [];
  if (pre.codecOrder) parts.push(`codec order ${pre.codecOrder.join(', ')}`);
  if (pre.srtpTowardProvider !== undefined)
    parts.push(`SRTP toward the provider ${pre.srtpTowardProvider ? 'on' : 'off'}`);
  return parts.join('; ');
}

/** The lab adapter: {@link DutAdapter} plus a step for after the case's lab has started. */
export interface KamailioLabAdapter extends DutAdapter {
  /**
   * Run after `Lab.start`: the provider simulator is new, so Kamailio registers its line there
   * again; resolves once the provider holds the binding (or after `timeoutMs`, with a note).
   */
  prepare(lab: Lab, timeoutMs?: number): Promise<string[]>;
}

/**
 * The adapter: sets the lab's policy for the case (the default policy when the case asks for
 * nothing, so no case inherits the previous one's) and returns the profile the simulators use.
 */
export function kamailioLabAdapter(control?: KamailioLabControl): KamailioLabAdapter {
  return {
    name: 'kamailio-lab',
    async apply(pre, profile): Promise<AdapterOutcome> {
      const p: Profile = structuredClone(profile);
      const notes: string[] = [];
      const ctl = control ?? KamailioLabControl.forProfile(profile);
      if (pre?.codecOrder)
        p.sbc.codecOrder = pre.codecOrder.filter((c) =>
          profile.sbc.codecOrder.includes(c as never),
        ) as Profile['sbc']['codecOrder'];
      if (pre?.srtpTowardProvider !== undefined) {
        p.sbc.srtpTowardProvider = pre.srtpTowardProvider;
        p.provider.srtp = pre.srtpTowardProvider;
      }
      const unapplied: AdapterOutcome['unapplied'] = [];
      if (pre?.providerTransport && pre.providerTransport !== 'udp') {
        unapplied.push({
          key: 'providerTransport',
          sentence: `SBC setting not applied: ${pre.providerTransport.toUpperCase()} toward the provider (the lab SBC registers its line over UDP only)`,
        });
      }
      await ctl.setPolicy(policyFor(pre, profile));
      if (pre && (pre.codecOrder || pre.srtpTowardProvider !== undefined))
        notes.push(`Lab SBC set over JSON-RPC: ${describe(pre)}.`);
      return { profile: p, notes, answers: [], unapplied };
    },
    async prepare(lab, timeoutMs = 10_000): Promise<string[]> {
      const provider = lab.provider;
      if (!provider) return [];
      const ctl = control ?? KamailioLabControl.forProfile(lab.profile);
      const user = lab.profile.provider.line.user;
      await ctl.refreshLine();
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        provider.waitRegistered(user).then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        }),
      ]);
      if (timer) clearTimeout(timer);
      return done
        ? []
        : [`The lab SBC did not register line ${user} within ${timeoutMs / 1000} s of the refresh.`];
    },
  };
}
