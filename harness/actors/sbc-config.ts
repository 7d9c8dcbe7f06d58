/**
 * Configuration of the embedded reference SBC: addresses and ports of both sides, the OXO
 * trunk user it registers, the provider SIP line it registers itself, the per-side media
 * policy (codec order and filter, telephone-event, DTMF mode, SRTP), the REFER policy and
 * the fault switches. One zod schema validates it; an error names the key path.
 *
 * The shape follows how a LANCOM eSBC is set up for an OXO Connect: a SIP user on the LAN
 * (the trunk registers to it), a SIP line on the WAN (registered at the provider), call
 * routes both ways, and per-line codec and DTMF settings ("fallback on SIP INFO").
 */
import { z } from 'zod';
import type { CodecName } from '../../codecs/index.ts';
import type { TimerConfig } from '../sip/index.ts';
import type { Clock } from '../support/clock.ts';
import type { Logger } from '../support/log.ts';
import type { SbcSecurityConfig } from './sbc-access-policy.ts';
import { MAX_FAULT_COUNT, MAX_FAULT_MS, type SbcFaults } from './sbc-faults.ts';
import { DEFAULT_MEDIA_TIMEOUT_MS } from './sbc-media-timeout.ts';
import { SBC_PERSONALITIES, type SbcPersonalityName } from './sbc-personalities.ts';

/**
 * How DTMF is delivered toward one side. 'auto': RFC 4733 when that leg negotiated
 * telephone-event, else SIP INFO when `infoFallback`, else inband tones.
 */
export type SbcDtmfMode = 'auto' | 'rfc2833' | 'inband' | 'info';

/** Media policy of one side (what the SBC offers and accepts there). */
export interface SbcMediaPolicy {
  /** Codecs in order of preference; codecs not listed are filtered out of offers and answers. */
  codecs: CodecName[];
  /** Offer and accept RFC 4733 telephone-event on this side. */
  telephoneEvent: boolean;
  /** How digits received on the other side are delivered here. */
  dtmf: SbcDtmfMode;
  /** LANCOM "fallback on SIP INFO": send INFO when this leg did not negotiate telephone-event. */
  infoFallback: boolean;
  /** Run an inband DTMF detector on audio received from this side and deliver the digits as events. */
  detectInband: boolean;
  /** Packet time of the SDP the SBC sends, in ms. */
  ptimeMs: number;
  /** SDES-SRTP toward this side (RTP/SAVP); plain RTP when absent. */
  srtp?: 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';
}

/** LAN side: where the OXO Connect trunk registers and sends its calls. */
export interface SbcLanConfig {
  address: string;
  /** Where its calls' RTP ports are bound and what its SDP names (default: `address`). */
  mediaAddress?: string;
  /** UDP and TCP port (0 = ephemeral; both listeners get their own when 0). */
  port: number;
  /** Domain of the LAN SIP user (default: the address). */
  domain?: string;
  /** The OXO trunk's SIP user at the SBC. */
  trunk: { username: string; password: string };
  /** Digest realm of the LAN registrar. */
  realm: string;
  /** Largest registration lifetime granted, in seconds. */
  maxExpires: number;
  /** Challenge INVITEs from the LAN with digest (the trunk user's credentials). */
  authenticateInvites: boolean;
  media: SbcMediaPolicy;
}

/** WAN side: the provider-facing SIP line. */
export interface SbcWanConfig {
  address: string;
  /** Where its calls' RTP ports are bound and what its SDP names (default: `address`). */
  mediaAddress?: string;
  /** Host name written in its Contact instead of `address` (one that resolves to it); default: the address. */
  contactHost?: string;
  /** UDP and TCP port (0 = ephemeral). */
  port: number;
  /** TLS listener port (0 = ephemeral); no TLS listener when undefined. */
  tlsPort?: number;
  /**
   * TLS of the WAN side: the listener's certificate (self-signed when absent) and how the SBC
   * checks the provider's certificate as a TLS client: against `ca` (PEM; the system's CAs when
   * absent) unless `verify` is false.
   */
  tls: { key?: string; cert?: string; ca?: string; verify: boolean };
  /** The provider's registrar/proxy: where REGISTER and calls go. */
  provider: { address: string; port: number; protocol: 'UDP' | 'TCP' | 'TLS'; domain: string };
  /** The SBC's own SIP line at the provider. */
  line: {
    username: string;
    password: string;
    /** Authentication user when different from the line user. */
    authUsername?: string;
    /** Numbers (DIDs) of this line; an empty list accepts any. */
    dids: string[];
    /** Register the line at start (default true). */
    register: boolean;
    /** Requested registration lifetime, in seconds. */
    expires: number;
    /** Wait after a failed registration before retrying, in ms. */
    retryMs: number;
  };
  media: SbcMediaPolicy;
}

/** The whole serialisable configuration. */
export interface ReferenceSbcConfig {
  lan: SbcLanConfig;
  wan: SbcWanConfig;
  /** REFER from a leg: relay it to the other leg ('pass') or make the new call here ('local'). */
  referPolicy: 'pass' | 'local';
  /** Who may send INVITEs, digest replay, hold-off after failures (sbc-access-policy.ts); secure by default. */
  security: SbcSecurityConfig;
  faults: SbcFaults;
  /** Legal behaviour switches (sbc-personalities.ts); none by default. */
  personalities: SbcPersonalityName[];
  /** SIP timers (tests shrink T1). */
  timers?: Partial<TimerConfig>;
  /**
   * Timer C (RFC 3261 §16.6 step 11, more than 3 minutes): an outgoing INVITE that has a
   * provisional but no final response this long is cancelled and the caller gets 408.
   */
  timerCMs: number;
  /**
   * An answered call whose ports receive no RTP or RTCP on any leg this long is ended with BYE
   * on both legs (sbc-media-timeout.ts); 0 turns the timeout off.
   */
  mediaTimeoutMs: number;
  /** User-Agent / Server header value. */
  userAgent: string;
}

/** Things that are not configuration but are injected (clock, logger). */
export interface ReferenceSbcRuntime {
  clock?: Clock;
  logger?: Logger;
}

const codecName = z.enum(['PCMA', 'PCMU', 'G722', 'G729', 'G723']);

const mediaPolicySchema = z.object({
  codecs: z.array(codecName).min(1).default(['G722', 'PCMA', 'PCMU', 'G729']),
  telephoneEvent: z.boolean().default(true),
  dtmf: z.enum(['auto', 'rfc2833', 'inband', 'info']).default('auto'),
  infoFallback: z.boolean().default(false),
  detectInband: z.boolean().default(false),
  ptimeMs: z.number().int().min(10).max(60).default(20),
  srtp: z.enum(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']).optional(),
});

const port = z.number().int().min(0).max(65535);

const faultsSchema = z
  .object({
    'strip-telephone-event': z.boolean(),
    'force-narrowband': z.boolean(),
    'reject-reinvite': z.boolean(),
    'one-way-audio': z.boolean(),
    'cross-media': z.boolean(),
    'drop-info': z.boolean(),
    'refer-405': z.boolean(),
    'no-bye-relay': z.boolean(),
    'bye-500': z.boolean(),
    'stop-rtp-after': z.number().min(0).max(86_400),
    'reorder-codecs': z.boolean(),
    'double-dtmf': z.boolean(),
    'no-sdp-in-reinvite-answer': z.boolean(),
    'bye-cseq-backwards': z.boolean(),
    'srtp-wrong-key': z.boolean(),
    'silence-suppression': z.boolean(),
    'silence-suppression-unmarked': z.boolean(),
    'delay-media': z.number().min(0).max(MAX_FAULT_MS),
    'te-wrong-pt': z.boolean(),
    'te-no-end-bit': z.boolean(),
    'open-lan': z.boolean(),
    'open-wan': z.boolean(),
    'digest-replay': z.boolean(),
    'no-auth-holdoff': z.boolean(),
    'tls-no-verify': z.boolean(),
    'no-ack-cleanup': z.boolean(),
    'flood-lockout': z.boolean(),
    'malformed-stall': z.boolean(),
    'session-limit': z.number().int().min(0).max(MAX_FAULT_COUNT),
  })
  .partial()
  .strict();

/** The schema of {@link ReferenceSbcConfig}; defaults fill what the input leaves out. */
export const referenceSbcConfigSchema = z.object({
  lan: z.object({
    address: z.string().min(1),
    mediaAddress: z.string().min(1).optional(),
    port: port.default(0),
    domain: z.string().min(1).optional(),
    trunk: z.object({ username: z.string().min(1), password: z.string() }),
    realm: z.string().min(1).default('sbc.lan'),
    maxExpires: z.number().int().min(60).default(3600),
    authenticateInvites: z.boolean().default(false),
    media: mediaPolicySchema.default(mediaPolicySchema.parse({})),
  }),
  wan: z.object({
    address: z.string().min(1),
    mediaAddress: z.string().min(1).optional(),
    contactHost: z.string().min(1).optional(),
    port: port.default(0),
    tlsPort: port.optional(),
    tls: z
      .object({
        key: z.string().min(1).optional(),
        cert: z.string().min(1).optional(),
        ca: z.string().min(1).optional(),
        verify: z.boolean().default(true),
      })
      .prefault({}),
    provider: z.object({
      address: z.string().min(1),
      port: port.default(5060),
      protocol: z.enum(['UDP', 'TCP', 'TLS']).default('UDP'),
      domain: z.string().min(1),
    }),
    line: z.object({
      username: z.string().min(1),
      password: z.string(),
      authUsername: z.string().min(1).optional(),
      dids: z.array(z.string().min(1)).default([]),
      register: z.boolean().default(true),
      expires: z.number().int().min(10).default(3600),
      retryMs: z.number().int().min(10).default(30_000),
    }),
    media: mediaPolicySchema.default(mediaPolicySchema.parse({})),
  }),
  referPolicy: z.enum(['pass', 'local']).default('pass'),
  security: z
    .object({
      lanInvites: z.enum(['trunk', 'any']).default('trunk'),
      wanInvites: z.enum(['provider', 'any']).default('provider'),
      providerAddresses: z.array(z.string().min(1)).default([]),
      digestReplay: z.enum(['refuse', 'accept']).default('refuse'),
      holdOff: z
        .object({
          enabled: z.boolean().default(true),
          failures: z.number().int().min(1).default(10),
          windowS: z.number().positive().default(60),
          holdS: z.number().positive().default(60),
        })
        .prefault({}),
    })
    .prefault({}),
  faults: faultsSchema.default({}),
  personalities: z
    .array(z.enum(SBC_PERSONALITIES.map((p) => p.name) as [SbcPersonalityName, ...SbcPersonalityName[]]))
    .default([]),
  timers: z
    .object({ t1: z.number().positive(), t2: z.number().positive(), t4: z.number().positive() })
    .partial()
    .optional(),
  timerCMs: z.number().int().positive().default(181_000),
  mediaTimeoutMs: z.number().int().min(0).default(DEFAULT_MEDIA_TIMEOUT_MS),
  userAgent: z.string().default('sbc-harness reference SBC'),
});

/** The input accepted by {@link parseSbcConfig}: the config with every defaulted key optional. */
export type ReferenceSbcConfigInput = z.input<typeof referenceSbcConfigSchema>;

/** Why a configuration was refused: one line per problem, each naming its key path. */
export interface SbcConfigError {
  issues: string[];
}

/** Validates and completes a configuration. Never throws. */
export function parseSbcConfig(
  input: unknown,
): { ok: true; config: ReferenceSbcConfig } | { ok: false; error: SbcConfigError } {
  const r = referenceSbcConfigSchema.safeParse(input);
  if (!r.success) {
    return {
      ok: false,
      error: {
        issues: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      },
    };
  }
  return { ok: true, config: r.data as ReferenceSbcConfig };
}
