/**
 * The profile: one YAML file that says where every actor lives and what each side supports,
 * validated by this one schema. Every option is declared once here, with its meaning; the
 * docs (docs/profile.md) are checked against these declarations by a test.
 */
import net from 'node:net';
import { z } from 'zod';
import { canonicalPhoneNumber, isSipUser, PHONE_NUMBER_FORMS, SIP_USER_FORMS } from './phone-number.ts';

const ipAddress = z
  .string()
  .refine((s) => net.isIP(s) !== 0, { message: 'expected an IPv4 or IPv6 address' });
const port = z.number().int().min(0).max(65535);
const transport = z.enum(['udp', 'tcp', 'tls']);
const codec = z.enum(['G722', 'PCMA', 'PCMU', 'G729', 'G723']);
/** A phone number in any form phone-number.ts accepts; the profile holds its wire form. */
const number = z.string().transform((raw, ctx) => {
  const n = canonicalPhoneNumber(raw);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: PHONE_NUMBER_FORMS, input: raw });
    return z.NEVER;
  }
  return n;
});
const secret = z.string().min(1, { message: 'must not be empty' });

/** What an SBC can claim of its security; the cases of the security section (scenarios/security.ts) judge each. */
export const SECURITY_CLAIMS = [
  'lan-access',
  'wan-access',
  'digest-replay',
  'brute-force',
  'tls-certificate',
  'no-ack-cleanup',
  'invite-flood',
  'malformed-input',
] as const;
export type SecurityClaim = (typeof SECURITY_CLAIMS)[number];

export const DEFAULT_CODEC_ORDER = ['G722', 'PCMA', 'PCMU', 'G729', 'G723'] as const;

const endpoint = z.strictObject({
  address: ipAddress.describe('address the side listens on'),
  port: port.default(5060).describe('SIP port for UDP and TCP'),
  tlsPort: port.default(5061).describe('SIP port for TLS'),
  transports: z.array(transport).min(1).default(['udp', 'tcp']).describe('transports the side listens on'),
  mediaAddresses: z
    .array(ipAddress)
    .min(1)
    .optional()
    .describe(
      'addresses the SBC anchors RTP on, on this side, when not its SIP address (a separate media interface or realm); default: the side’s address. The embedded SBC takes one and binds its RTP ports there',
    ),
});

export const sbcSchema = z.strictObject({
  kind: z
    .enum(['embedded', 'external'])
    .default('embedded')
    .describe('embedded: the harness runs its reference SBC; external: a real SBC at the addresses below'),
  adapter: z
    .enum(['embedded', 'generic', 'kamailio-lab'])
    .optional()
    .describe(
      "who applies each case's SBC settings: embedded (the reference SBC), generic (nobody: asked of the engineer with --interactive, else the cell is INCOMPLETE), kamailio-lab (the lab over JSON-RPC); default embedded for kind embedded, generic for kind external",
    ),
  model: z.string().default('sbc-harness reference SBC').describe('SBC model, for the report header'),
  firmware: z.string().default('').describe('SBC firmware, for the report header'),
  lan: endpoint.describe('the SBC side facing the OXO trunk'),
  wan: endpoint
    .extend({
      contactHost: z
        .string()
        .regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/, {
          message: 'expected a host name (letters, digits, hyphens and dots)',
        })
        .optional()
        .describe(
          'host name the embedded SBC writes in its Contact toward the provider instead of its address (a real SBC’s FQDN setting); T-3 takes a Contact whose host name resolves to wan.address as a binding to it',
        ),
    })
    .describe('the SBC side facing the provider'),
  codecOrder: z
    .array(codec)
    .min(1)
    .default([...DEFAULT_CODEC_ORDER])
    .describe(
      'codecs the SBC offers, in order (external SBC: as it is configured; a case asking for this order needs nobody to set it)',
    ),
  transcoding: z
    .boolean()
    .default(true)
    .describe(
      'embedded SBC: whether it transcodes between legs that negotiated different codecs (an external SBC is observed, and the key is reported as having no effect)',
    ),
  fallbackToInfo: z
    .boolean()
    .default(true)
    .describe(
      'embedded SBC: LANCOM "fallback on SIP INFO", convert RFC 2833 to INFO toward a peer without telephone-event (no effect on an external SBC)',
    ),
  srtpTowardProvider: z.boolean().default(false).describe('SDES-SRTP on the provider side'),
  referPolicy: z
    .enum(['local', 'pass'])
    .default('local')
    .describe(
      "embedded SBC: REFER handled by the SBC (local: it calls the target itself and takes a held transferee off hold) or passed to the provider (pass); either way a Replaces in the Refer-To is renamed to the SBC's own dialog with the target (RFC 3891) (no effect on an external SBC)",
    ),
  faults: z
    .array(z.string())
    .default([])
    .describe('fault switches of the embedded SBC (see docs/sbc-faults.md)'),
  personality: z
    .array(z.string())
    .default([])
    .describe('legal behaviour switches of the embedded SBC (see docs/sbc-personalities.md)'),
  open: z
    .strictObject({
      lanInvites: z
        .boolean()
        .default(false)
        .describe(
          'embedded SBC: route LAN INVITEs from any address without credentials (default: only from the registered trunk’s address, or with its credentials)',
        ),
      wanInvites: z
        .boolean()
        .default(false)
        .describe(
          'embedded SBC: route WAN INVITEs from any address (default: only from provider.sourceAddresses)',
        ),
      digestReplay: z
        .boolean()
        .default(false)
        .describe(
          'embedded SBC: accept a digest Authorization again with the same nonce and nc (default: refused, RFC 7616 §3.4)',
        ),
      bruteForce: z
        .boolean()
        .default(false)
        .describe(
          'embedded SBC: never hold off a source after failed authentications (default: 10 failures in 60 s hold it off for 60 s)',
        ),
    })
    .default({ lanInvites: false, wanInvites: false, digestReplay: false, bruteForce: false })
    .describe(
      'switches that open a secure default of the embedded SBC, for labs that need it (each one that is on is named in the report’s notes; docs/security.md)',
    ),
  securityClaims: z
    .array(z.enum(SECURITY_CLAIMS))
    .default([...SECURITY_CLAIMS])
    .describe(
      'what the SBC claims of its security: each case of the security section (S-*) whose item is left out is N/A (docs/security.md)',
    ),
});

export const phoneSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, { message: 'expected a lower-case id such as pstn1' })
    .describe('how cases name the phone'),
  number: number.describe('its number'),
  name: z.string().default('').describe('its display name'),
});

/** Whether the harness simulates a side, or real equipment stands there with an engineer (docs/real-equipment.md). */
const sideKind = z.enum(['simulated', 'real']).default('simulated');

export const providerSchema = z.strictObject({
  kind: sideKind.describe(
    'simulated: the harness plays the provider (registrar, PSTN phones, IVR); real: a real SIP trunk, whose phones (provider.phones) the engineer holds and operates on instruction (needs --interactive or --ui)',
  ),
  name: z.string().default('Simulated SIP provider').describe('provider name, for the report header'),
  address: ipAddress.describe('address of the provider simulator (or of the real provider)'),
  port: port.default(5060).describe('SIP port for UDP and TCP'),
  tlsPort: port.default(5061).describe('SIP port for TLS'),
  transport: transport.default('udp').describe('transport between provider and SBC'),
  domain: z.string().default('provider.test').describe('SIP domain of the provider'),
  sourceAddresses: z
    .array(ipAddress)
    .default([])
    .describe(
      'addresses the provider sends its requests from; the embedded SBC routes WAN INVITEs only from these (empty: provider.address)',
    ),
  line: z
    .strictObject({
      user: z
        .string()
        .refine(isSipUser, { message: SIP_USER_FORMS })
        .describe('SIP user of the SBC line at the provider: a name (sbc-line) or a number'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the profile's ${ENV} syntax, written out literally
      password: secret.describe('password of the SBC line (use ${ENV_VAR} to keep it out of the file)'),
      number: number.describe(
        'main number of the line; DIDs extend it (+4930123456, 030 123456, 0049-30-123456: separators are dropped)',
      ),
      registrationWaitS: z
        .number()
        .int()
        .min(0)
        .max(3600)
        .default(60)
        .describe(
          'external SBC: how long after the run starts T-3 waits for the SBC to register this line at the provider simulator (a real SBC registers on its own timer)',
        ),
    })
    .describe('the SIP line the SBC registers at the provider'),
  codecs: z
    .array(codec)
    .min(1)
    .default([...DEFAULT_CODEC_ORDER])
    .describe('codecs the provider offers, in order'),
  srtp: z.boolean().default(false).describe('provider requires SDES-SRTP'),
  telephoneEvent: z
    .boolean()
    .default(true)
    .describe(
      'provider offers and accepts DTMF as RFC 2833/4733 telephone-events; false: it has none, and an SBC carries DTMF to it as SIP INFO (sbc.fallbackToInfo) or inband tones',
    ),
  refer: z
    .boolean()
    .default(true)
    .describe(
      'provider carries out a REFER (transfer) on its calls: 202, NOTIFY, call to the target; false: 405 Method Not Allowed',
    ),
  phones: z.array(phoneSchema).min(1).describe('simulated PSTN phones'),
  ivrNumber: number.describe('number of the IVR that returns DTMF'),
});

export const extensionSchema = z.strictObject({
  number: z
    .string()
    .regex(/^[0-9]{1,8}$/, { message: 'expected an internal number of 1 to 8 digits' })
    .describe('internal number'),
  did: number.describe('external number the provider sends for this extension'),
  name: z.string().default('').describe('display name'),
  codecs: z
    .array(codec)
    .min(1)
    .default([...DEFAULT_CODEC_ORDER])
    .describe('codec preference, in order (the plan: no VAD)'),
});

export const oxoSchema = z.strictObject({
  kind: sideKind.describe(
    'simulated: the harness plays the OXO trunk and its extensions; real: a real OXO Connect registers at the SBC (oxo.address is its trunk address) and the engineer operates its deskphones on instruction (needs --interactive or --ui)',
  ),
  name: z.string().default('OXO Connect (simulated)').describe('PBX name, for the report header'),
  release: z.string().default('').describe('PBX release, for the report header'),
  address: ipAddress.describe('address of the OXO trunk simulator (or of the real OXO)'),
  port: port.default(5060).describe('SIP port of the OXO trunk'),
  transport: transport.default('udp').describe('transport between OXO and SBC'),
  trunk: z
    .strictObject({
      user: z.string().min(1).describe('SIP user the OXO trunk registers with at the SBC'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the profile's ${ENV} syntax, written out literally
      password: secret.describe('its password (use ${ENV_VAR} to keep it out of the file)'),
      domain: z
        .string()
        .default('oxo.test')
        .describe('domain of the trunk AOR (OXO sets it to the SBC LAN address)'),
      expires: z
        .number()
        .int()
        .min(60)
        .max(86400)
        .default(3600)
        .describe(
          "registration expiry in seconds, as the OXO asks it; after a 423 Interval Too Brief the trunk asks again with the registrar's Min-Expires and keeps it for its refreshes (RFC 3261 §10.2.8)",
        ),
    })
    .describe('the trunk registration of the OXO at the SBC'),
  outgoingPrefix: z
    .string()
    .regex(/^[0-9]*$/)
    .default('0')
    .describe('digit dialled before an external number'),
  countryCode: z
    .string()
    .regex(/^[0-9]{1,3}$/)
    .default('49')
    .describe('for number normalisation on displays'),
  extensions: z
    .strictObject({
      deskphone1: extensionSchema,
      deskphone2: extensionSchema,
      remote: extensionSchema.optional().describe('remote-worker deskphone (VPN); cases need it'),
      fxs1: extensionSchema,
      attendant: extensionSchema,
    })
    .describe('the extensions of the plan'),
  dtmf: z
    .strictObject({
      rfc2833: z.boolean().default(true).describe('DTMF as RFC 2833/4733 telephone-event'),
      inband: z.boolean().default(true).describe('DTMF as inband tones'),
      info: z.boolean().default(false).describe('OXO Connect does not support DTMF via SIP INFO'),
    })
    .default({ rfc2833: true, inband: true, info: false })
    .describe('DTMF modes the PBX supports'),
  transferMode: z
    .enum(['internal', 'refer'])
    .default('internal')
    .describe('transfers inside the PBX (re-INVITE) or by REFER toward the SBC'),
});

export const audioSchema = z.strictObject({
  maxOneWayDelayMs: z
    .number()
    .min(0)
    .max(10_000)
    .default(150)
    .describe(
      'ITU-T G.114: one-way delay, ms, that the SBC path may add beyond what the codecs and the declared network add before an audio check fails',
    ),
  networkDelayMs: z
    .number()
    .min(0)
    .max(10_000)
    .default(0)
    .describe(
      'declared one-way network delay, ms, between the harness and the SBC in each direction (a WAN link or emulator); added to the bound',
    ),
});

export const tlsSchema = z.strictObject({
  ca: z
    .string()
    .min(1)
    .optional()
    .describe(
      'PEM file of the CA the harness’s TLS clients verify the SBC’s certificate against (relative to the profile); the embedded lab makes its own CA and ignores it; without it an external SBC is verified against the system’s CAs',
    ),
  verify: z
    .boolean()
    .default(true)
    .describe(
      'the harness’s TLS clients (provider simulator, embedded SBC) verify the peer’s certificate; false turns the check off (named in the report’s notes)',
    ),
});

export const securityTestsSchema = z.strictObject({
  lanIntruder: ipAddress
    .optional()
    .describe(
      'address on the LAN side that never registers, for the security cases (default: oxo.address with its last byte 250; IPv4 only)',
    ),
  wanIntruder: ipAddress
    .optional()
    .describe(
      'address on the WAN side that is not the provider’s, for the security cases (default: provider.address with its last byte 250; IPv4 only)',
    ),
  bruteForceAttempts: z
    .number()
    .int()
    .min(10)
    .max(2000)
    .default(200)
    .describe('S-4: wrong passwords tried at most (the case also stops after 30 s)'),
  bruteForceMaxPerS: z
    .number()
    .positive()
    .default(2)
    .describe(
      'S-4: guesses answered per second above which an SBC that does not block counts as not slowing brute force',
    ),
  floodInvites: z
    .number()
    .int()
    .min(10)
    .max(5000)
    .default(500)
    .describe('S-7: INVITEs the flood sends from one address'),
  floodSeconds: z
    .number()
    .min(0.5)
    .max(10)
    .default(2)
    .describe('S-7: over how many seconds the flood is spread'),
  malformedMessages: z
    .number()
    .int()
    .min(10)
    .max(20_000)
    .default(2000)
    .describe('S-8: malformed SIP messages sent from one address'),
  malformedPerS: z
    .number()
    .min(100)
    .max(10_000)
    .default(1000)
    .describe('S-8: at most this many malformed messages per second'),
});

export const loadThresholdsSchema = z.strictObject({
  minMos: z
    .number()
    .min(1)
    .max(5)
    .default(4)
    .describe(
      'sbc-harness load: lowest MOS of any direction of any call for a step to pass (--min-mos overrides); each direction held to the lower of this and the best E-model MOS of its codec less 0.1 (G.723.1: 3.85)',
    ),
  maxSetupP95Ms: z
    .number()
    .positive()
    .default(1000)
    .describe(
      'sbc-harness load: setup time p95 of a step must be below this, ms (--max-setup-p95-ms overrides)',
    ),
  maxFailedCalls: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('sbc-harness load: failed calls allowed in a step (--max-failed-calls overrides)'),
});

export const profileSchema = z.strictObject({
  name: z.string().min(1).describe('profile name'),
  description: z.string().default('').describe('free text, shown in reports'),
  method: z
    .enum(['embedded', 'lab', 'on-site'])
    .default('embedded')
    .describe('test method, for the report header'),
  tester: z.string().default('').describe('who ran the tests, for the report header'),
  sbc: sbcSchema.describe('the device under test'),
  provider: providerSchema.describe('the SIP provider side (WAN)'),
  oxo: oxoSchema.describe('the OXO Connect trunk side (LAN)'),
  audio: audioSchema
    .default({ maxOneWayDelayMs: 150, networkDelayMs: 0 })
    .describe('thresholds of the audio checks'),
  tls: tlsSchema
    .default({ verify: true })
    .describe('how the harness checks TLS certificates (docs/security.md)'),
  security: securityTestsSchema
    .default({
      bruteForceAttempts: 200,
      bruteForceMaxPerS: 2,
      floodInvites: 500,
      floodSeconds: 2,
      malformedMessages: 2000,
      malformedPerS: 1000,
    })
    .describe('addresses and bounds of the security section S-* (docs/security.md)'),
  load: loadThresholdsSchema
    .default({ minMos: 4, maxSetupP95Ms: 1000, maxFailedCalls: 0 })
    .describe(
      'thresholds of the steps of `sbc-harness load` (docs/load.md); the knee is judged against them',
    ),
});

export type Profile = z.infer<typeof profileSchema>;
export type SbcProfile = z.infer<typeof sbcSchema>;
export type ProviderProfile = z.infer<typeof providerSchema>;
export type OxoProfile = z.infer<typeof oxoSchema>;
export type ExtensionProfile = z.infer<typeof extensionSchema>;
export type CodecId = z.infer<typeof codec>;
export type AudioProfile = z.infer<typeof audioSchema>;
export type TlsProfile = z.infer<typeof tlsSchema>;
export type SecurityTestsProfile = z.infer<typeof securityTestsSchema>;
export type LoadThresholdsProfile = z.infer<typeof loadThresholdsSchema>;
