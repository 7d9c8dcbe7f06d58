/**
 * Loads a profile: YAML → ${ENV} substitution → schema. Errors name the file, the key path,
 * the bad value and what is allowed, so a user can fix the file without reading code.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Profile, profileSchema } from './profile-schema.ts';
import { transportProblems } from './transport-check.ts';

export class ProfileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`}`,
    );
    this.name = 'ProfileError';
  }
}

/** The profile used when none is given: the embedded SBC reproducing the eSBC report's lab. */
export const DEFAULT_PROFILE_PATH = fileURLToPath(new URL('../../profiles/embedded.yaml', import.meta.url));

export function loadProfile(
  file: string = DEFAULT_PROFILE_PATH,
  env: NodeJS.ProcessEnv = process.env,
  warnings?: string[],
): Profile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ProfileError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  const profile = parseProfile(text, file, env, warnings);
  // tls.ca is relative to the profile; it must be readable now, not when the first TLS case runs.
  if (profile.tls.ca) {
    const ca = resolve(dirname(file), profile.tls.ca);
    try {
      readFileSync(ca, 'utf8');
    } catch (err) {
      throw new ProfileError(file, [`tls.ca: cannot read ${ca}: ${(err as Error).message}`]);
    }
    profile.tls.ca = ca;
  }
  return profile;
}

/**
 * Parses and validates a profile. `warnings`, when given, receives a sentence for every key the
 * file sets that has no effect with its SBC kind (so no setting is silently ignored), and for a
 * combination the embedded SBC cannot carry calls with (embeddedMismatches).
 */
export function parseProfile(
  text: string,
  file = '<profile>',
  env: NodeJS.ProcessEnv = process.env,
  warnings?: string[],
): Profile {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ProfileError(
      file,
      doc.errors.map((e) => `YAML syntax error: ${e.message.split('\n')[0]}`),
    );
  }
  const raw: unknown = doc.toJS();
  const missingEnv: string[] = [];
  const substituted = substituteEnv(raw, env, missingEnv, '');
  if (missingEnv.length > 0) throw new ProfileError(file, missingEnv);
  const result = profileSchema.safeParse(substituted);
  if (!result.success)
    throw new ProfileError(
      file,
      result.error.issues.map((i) => describeIssue(i, substituted)),
    );
  const profile = result.data;
  const adapterProblem = checkAdapter(profile);
  if (adapterProblem) throw new ProfileError(file, [adapterProblem]);
  const transport = transportProblems(profile);
  if (transport.length > 0) throw new ProfileError(file, transport);
  warnings?.push(...ineffectiveKeys(substituted, profile), ...embeddedMismatches(profile));
  return profile;
}

/**
 * Settings the embedded SBC takes but that leave it unable to carry the calls the profile
 * describes. Legal to ask for (a misconfigured SBC is something to test), but never by accident.
 */
function embeddedMismatches(profile: Profile): string[] {
  if (profile.sbc.kind !== 'embedded') return [];
  if (profile.provider.srtp && !profile.sbc.srtpTowardProvider)
    return [
      'provider.srtp: true with sbc.srtpTowardProvider: false: the embedded SBC offers plain RTP to a provider that requires SRTP, so the provider side refuses every call (488) except in T-7, which switches SRTP on for itself; set sbc.srtpTowardProvider: true to play an SBC set up for this provider',
    ];
  return [];
}

/** Who applies a case's SBC settings (the `sbc.adapter` key, or its default for the SBC kind). */
export type SbcAdapterName = 'embedded' | 'generic' | 'kamailio-lab';

export function adapterOf(profile: Profile): SbcAdapterName {
  return profile.sbc.adapter ?? (profile.sbc.kind === 'embedded' ? 'embedded' : 'generic');
}

function checkAdapter(profile: Profile): string | undefined {
  for (const side of ['lan', 'wan'] as const) {
    const m = profile.sbc[side].mediaAddresses;
    if (profile.sbc.kind === 'embedded' && m && m.length > 1)
      return `sbc.${side}.mediaAddresses: the embedded SBC anchors its media on one address; give one`;
    const peer = m?.find((x) => x === profile.oxo.address || x === profile.provider.address);
    if (peer)
      return `sbc.${side}.mediaAddresses: ${peer} is the OXO's or the provider's own address, not the SBC's; media there would not be anchored`;
  }
  const a = profile.sbc.adapter;
  if (a === undefined) return undefined;
  if (profile.sbc.kind === 'embedded' && a !== 'embedded')
    return `sbc.adapter: "${a}" needs sbc.kind: external (the embedded SBC is configured by the harness itself; use adapter: embedded or leave the key out)`;
  if (profile.sbc.kind === 'external' && a === 'embedded')
    return 'sbc.adapter: "embedded" configures only the embedded SBC; for sbc.kind: external use "generic" (or "kamailio-lab" for the lab in lab/)';
  return undefined;
}

/**
 * Keys that only the embedded reference SBC reads: with an external SBC they change nothing
 * (the real SBC is configured by its own engineer), so a profile that sets them is told so.
 */
const EMBEDDED_ONLY_SBC_KEYS: ReadonlyArray<[string, string]> = [
  ['transcoding', 'whether the SBC transcodes is observed on the wire, not configured'],
  ['fallbackToInfo', 'set "fallback on SIP INFO" on the SBC itself'],
  ['referPolicy', "set the SBC's REFER handling on the SBC itself"],
  ['faults', 'fault switches exist only in the embedded reference SBC'],
  ['personality', 'personalities (legal behaviour switches) exist only in the embedded reference SBC'],
  ['open', "open the SBC's own access rules on the SBC itself (sbc.open switches only the embedded SBC)"],
];

function ineffectiveKeys(raw: unknown, profile: Profile): string[] {
  if (profile.sbc.kind !== 'external') return [];
  const sbc = (raw as { sbc?: Record<string, unknown> } | undefined)?.sbc ?? {};
  const out: string[] = [];
  for (const [key, why] of EMBEDDED_ONLY_SBC_KEYS) {
    if (!(key in sbc)) continue;
    if (
      (key === 'faults' || key === 'personality') &&
      Array.isArray(sbc[key]) &&
      (sbc[key] as unknown[]).length === 0
    )
      continue;
    out.push(`sbc.${key} has no effect with sbc.kind: external (${why})`);
  }
  const wan = sbc.wan as Record<string, unknown> | undefined;
  if (wan && typeof wan === 'object' && 'contactHost' in wan)
    out.push(
      'sbc.wan.contactHost has no effect with sbc.kind: external (set the name the SBC writes in its Contact on the SBC itself; T-3 accepts any name that resolves to sbc.wan.address)',
    );
  return out;
}

function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, missing: string[], path: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = env[name];
      if (v === undefined) {
        missing.push(
          `${path || '(root)'}: environment variable ${name} is not set (the profile refers to \${${name}})`,
        );
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, missing, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, missing, path ? `${path}.${k}` : k)]),
    );
  }
  return value;
}

function keyPath(path: ReadonlyArray<PropertyKey>): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(root)';
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = root;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

const SECRET_KEYS = /password|secret/i;

function show(v: unknown, path: ReadonlyArray<PropertyKey>): string {
  if (path.some((p) => SECRET_KEYS.test(String(p)))) return '[secret]';
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const at = keyPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys
        .map((k) => `${at === '(root)' ? k : `${at}.${k}`}: unknown key; remove it or check its spelling`)
        .join('; ');
    case 'invalid_value':
      return `${at}: ${show(valueAt(root, issue.path), issue.path)} is not allowed; use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type': {
      const got = valueAt(root, issue.path);
      if (got === undefined) return `${at}: missing; it is required (${issue.expected})`;
      return `${at}: expected ${issue.expected}, got ${show(got, issue.path)}`;
    }
    default:
      return `${at}: ${issue.message}${valueAt(root, issue.path) !== undefined ? ` (got ${show(valueAt(root, issue.path), issue.path)})` : ''}`;
  }
}
