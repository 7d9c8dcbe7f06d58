/**
 * The lab's configuration without running it: docker-compose.yml against the essentials of the
 * Compose schema and the compose lab's rules (host network, loopback only; .ci/compose-lab runs
 * it), profiles/kamailio-lab.yaml against lab/lab.env (the shared addresses and secrets), the lab's bash scripts' syntax, and the DUT adapter's mapping
 * of case preconditions to rtpengine flags.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { adapterOf, loadProfile } from '../../harness/config/profile.ts';
import {
  KamailioLabControl,
  kamailioLabAdapter,
  LabControlError,
  policyFor,
} from '../../harness/runner/kamailio-adapter.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PROFILE = join(ROOT, 'profiles', 'kamailio-lab.yaml');

function labEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, 'lab', 'lab.env'), 'utf8').split('\n')) {
    const m = /^(LAB_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

// --- the essentials of the Compose file format, written for this lab -------------------------
const service = z
  .object({
    image: z.string().optional(),
    build: z
      .union([z.string(), z.object({ context: z.string(), dockerfile: z.string().optional() }).loose()])
      .optional(),
    network_mode: z.string().optional(),
    networks: z.unknown().optional(),
    env_file: z.union([z.string(), z.array(z.string())]).optional(),
    environment: z
      .union([z.record(z.string(), z.union([z.string(), z.number()])), z.array(z.string())])
      .optional(),
    command: z.union([z.string(), z.array(z.string())]).optional(),
    volumes: z.array(z.string()).optional(),
    depends_on: z
      .union([z.array(z.string()), z.record(z.string(), z.object({ condition: z.string() }).loose())])
      .optional(),
    healthcheck: z
      .object({ test: z.union([z.string(), z.array(z.string())]) })
      .loose()
      .optional(),
  })
  .loose()
  .refine((s) => s.image !== undefined || s.build !== undefined, 'a service needs an image or a build');
const composeSchema = z
  .object({
    services: z.record(z.string(), service),
    networks: z.unknown().optional(),
    volumes: z.record(z.string(), z.object({}).loose().nullable()).optional(),
  })
  .loose();
type Compose = z.infer<typeof composeSchema>;

function loadCompose(): Compose {
  const raw: unknown = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
  return composeSchema.parse(raw);
}

/** KEY=value lines of an env file (lab/lab.env's form). */
function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** A service's environment as Compose makes it: its env files in order, then `environment`. */
function envOf(s: Compose['services'][string]): Record<string, string> {
  const files = s.env_file === undefined ? [] : Array.isArray(s.env_file) ? s.env_file : [s.env_file];
  const out: Record<string, string> = {};
  for (const f of files) Object.assign(out, envFile(f));
  if (Array.isArray(s.environment)) {
    for (const kv of s.environment) {
      const [k, ...v] = kv.split('=');
      out[k!] = v.join('=');
    }
  } else if (s.environment) {
    for (const [k, v] of Object.entries(s.environment)) out[k] = String(v);
  }
  return out;
}

const IPV4 = /\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b/g;
/** RFC 1918 private ranges and RFC 6598 shared space: what a bridge network would take. */
function isPrivate(a: string): boolean {
  const [o1, o2] = a.split('.').map(Number) as [number, number];
  return (
    o1 === 10 ||
    (o1 === 172 && o2 >= 16 && o2 <= 31) ||
    (o1 === 192 && o2 === 168) ||
    (o1 === 100 && o2 >= 64 && o2 <= 127)
  );
}

describe('docker-compose.yml', () => {
  const compose = loadCompose();
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');

  it('declares an SBC and a harness service, each built from a Dockerfile that exists', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['harness', 'sbc']);
    for (const [name, s] of Object.entries(compose.services)) {
      const b = s.build;
      if (b === undefined) continue;
      const dockerfile =
        typeof b === 'string' ? join(b, 'Dockerfile') : join(b.context, b.dockerfile ?? 'Dockerfile');
      expect(existsSync(join(ROOT, dockerfile)), `${name}: ${dockerfile}`).toBe(true);
    }
  });

  it('has no top-level name (docker-compose 1.29 rejects it) and declares the named volumes and services it uses', () => {
    expect(Object.keys(compose)).not.toContain('name');
    const volumes = new Set(Object.keys(compose.volumes ?? {}));
    const problems: string[] = [];
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (/^[.$/]/.test(v)) continue; // a bind mount (maybe from a variable)
        if (!volumes.has(source)) problems.push(`${name}: volume ${source} not declared`);
      }
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) if (!compose.services[d]) problems.push(`${name}: depends on unknown ${d}`);
    }
    expect(problems).toEqual([]);
  });

  it('uses the host network only: no networks, no bridge, no private-range address', () => {
    expect(compose.networks).toBeUndefined();
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.network_mode, name).toBe('host');
      expect(s.networks, name).toBeUndefined();
    }
    const files = ['docker-compose.yml', 'lab/lab.env', 'lab/docker/compose.env'];
    const found = files.flatMap((f) =>
      [...readFileSync(join(ROOT, f), 'utf8').matchAll(IPV4)].map((m) => `${f}: ${m[0]}`),
    );
    expect(found.filter((a) => isPrivate(a.split(': ')[1]!))).toEqual([]);
    const settings = text
      .split('\n')
      .filter((l) => !l.trim().startsWith('#'))
      .join('\n');
    expect(settings).not.toMatch(/\bbridge\b|ipv4_address|subnet|driver/);
  });

  it('gives both services the same loopback lab, apart from the other labs of this repository', () => {
    const sbc = envOf(compose.services.sbc!);
    const harness = envOf(compose.services.harness!);
    const keys = ['LAB_SBC_LAN', 'LAB_SBC_WAN', 'LAB_PROVIDER_ADDR', 'LAB_OXO_ADDR'];
    for (const k of keys) {
      expect(sbc[k], `${k} is the same for both services`).toBe(harness[k]);
      expect(sbc[k], k).toMatch(/^127\./);
      // the native lab (lab/lab.env), the plan test, another lab
      expect(sbc[k], k).not.toMatch(/^127\.0\.(50|40|51|41|52|42)\./);
    }
    expect(Number(sbc.LAB_RTP_MIN)).toBeLessThan(Number(sbc.LAB_RTP_MAX));
    expect(Number(sbc.LAB_RTP_MAX) < 41000 || Number(sbc.LAB_RTP_MIN) > 41999, 'RTP range apart').toBe(true);
  });

  it('mounts the lab configuration into the SBC and waits for rtpengine and Kamailio before the harness', () => {
    const sbc = compose.services.sbc!;
    expect(sbc.volumes ?? []).toContain('./lab:/opt/sbc-harness/lab:ro');
    const check = JSON.stringify(sbc.healthcheck?.test ?? '');
    for (const k of ['LAB_NG_PORT', 'LAB_SIP_PORT', 'LAB_RPC_PORT', 'LAB_SBC_WAN'])
      expect(check).toContain(k);
    const h = compose.services.harness!;
    expect((h.volumes ?? []).some((v) => v.endsWith(':/results'))).toBe(true);
    const deps = h.depends_on && !Array.isArray(h.depends_on) ? h.depends_on : {};
    expect(deps.sbc?.condition).toBe('service_healthy');
  });

  it('the harness entry rewrites exactly the four lab addresses of the profile', () => {
    const entry = readFileSync(join(ROOT, 'lab', 'docker', 'harness-entry'), 'utf8');
    const p = loadProfile(PROFILE);
    for (const a of [p.sbc.lan.address, p.sbc.wan.address, p.provider.address, p.oxo.address])
      expect(entry).toContain(`s/${a.replace(/\./g, '\\.')}/`);
  });
});

describe('profiles/kamailio-lab.yaml agrees with lab/lab.env', () => {
  const env = labEnv();
  const p = loadProfile(PROFILE);

  it('addresses, ports, users, passwords and domain', () => {
    expect(p.sbc.kind).toBe('external');
    expect(adapterOf(p)).toBe('kamailio-lab');
    expect(p.sbc.lan.address).toBe(env.LAB_SBC_LAN);
    expect(p.sbc.wan.address).toBe(env.LAB_SBC_WAN);
    expect(String(p.sbc.lan.port)).toBe(env.LAB_SIP_PORT);
    expect(String(p.sbc.wan.port)).toBe(env.LAB_SIP_PORT);
    expect(p.provider.address).toBe(env.LAB_PROVIDER_ADDR);
    expect(String(p.provider.port)).toBe(env.LAB_PROVIDER_PORT);
    expect(p.provider.domain).toBe(env.LAB_PROVIDER_DOMAIN);
    expect(p.oxo.address).toBe(env.LAB_OXO_ADDR);
    expect(p.provider.line.user).toBe(env.LAB_LINE_USER);
    expect(p.provider.line.password).toBe(env.LAB_LINE_PASSWORD);
    expect(p.oxo.trunk.user).toBe(env.LAB_TRUNK_USER);
    expect(p.oxo.trunk.password).toBe(env.LAB_TRUNK_PASSWORD);
    expect(p.oxo.trunk.domain, 'the trunk AOR domain is the SBC LAN address').toBe(env.LAB_SBC_LAN);
    expect(String(KamailioLabControl.forProfile(p, {}).opts.url)).toBe(
      `http://${env.LAB_SBC_LAN}:${env.LAB_RPC_PORT}/RPC`,
    );
  });
});

describe('lab scripts', () => {
  it.each([
    'up',
    'down',
    'env.sh',
    'sbc/start',
    'docker/harness-entry',
    'docker/build-images',
    'docker/engine',
  ])('lab/%s is valid bash', (f) => {
    expect(() => execFileSync('bash', ['-n', join(ROOT, 'lab', f)], { stdio: 'pipe' })).not.toThrow();
  });
});

describe('kamailio-lab DUT adapter', () => {
  const p = loadProfile(PROFILE);

  it('maps no precondition to no flags', () => {
    expect(policyFor(undefined, p)).toEqual({ towan: '', tolan: '', ans_towan: '', ans_tolan: '' });
  });

  it('maps a codec order to masked codecs offered in that order, toward both sides, without codecs the lab lacks', () => {
    const pol = policyFor({ codecOrder: ['PCMA', 'G723', 'G722'] }, p);
    expect(pol.towan).toBe('codec-mask-all codec-transcode-PCMA codec-transcode-G722');
    expect(pol.tolan).toBe(pol.towan);
  });

  it('maps SRTP toward the provider to SDES toward the WAN and plain RTP toward the LAN', () => {
    const pol = policyFor({ srtpTowardProvider: true }, p);
    expect(pol.towan).toContain('RTP/SAVP');
    expect(pol.towan).toContain('DTLS=off');
    expect(pol.tolan).toBe('RTP/AVP');
  });

  it('reports an unreachable lab as a LabControlError naming lab/up', async () => {
    const ctl = new KamailioLabControl({ url: 'http://127.0.0.1:9/RPC', timeoutMs: 2000 });
    await expect(ctl.setPolicy(policyFor(undefined, p))).rejects.toThrow(LabControlError);
    await expect(kamailioLabAdapter(ctl).apply(undefined, p)).rejects.toThrow(/lab\/up/);
  });
});
