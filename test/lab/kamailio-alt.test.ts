/**
 * The whole plan through the second Kamailio + rtpengine lab configuration
 * (lab/kamailio/sbc-alt.cfg, `lab/up --config alt`), with profiles/kamailio-alt.yaml: an SBC the
 * harness has no control over (sbc.kind external, not the lab adapter), run non-interactively
 * with --quick, as a certification engineer would run an SBC of their own. It must give no NOK
 * cell, T-3 OK, and every cell whose SBC precondition nobody applied must say so and not be NOK.
 * The lab's own behaviours (topology hiding, Request-URI rewriting, one line registration of
 * 600 s, a new 401 challenge to a wrong password, UDP only, no control interface) are checked
 * too, so the test fails when the configuration stops playing them.
 *
 * Its addresses (127.0.52.x LAN / 127.0.42.x WAN, RTP 42000-42499) let it run beside the other
 * lab tests. CI runs it (CI=true); elsewhere it is opt-in:
 *
 *   SBC_HARNESS_LAB_ALT=1 npx vitest run test/lab/kamailio-alt.test.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterOf, loadProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';
import type { SbcPrecondition } from '../../harness/runner/case-definition.ts';
import { UserAgent } from '../../harness/sip/index.ts';
import { PLAN } from '../../scenarios/index.ts';
import { describeWithPeers } from '../support/peers.ts';
import { altFindings, headerValues, readRunSip, uriUser, type WireMessage } from './alt-lab-evidence.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PROFILE = join(ROOT, 'profiles', 'kamailio-alt.yaml');

function labEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, 'lab', 'lab.env'), 'utf8').split('\n')) {
    const m = /^(LAB_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe('profiles/kamailio-alt.yaml', () => {
  const env = labEnv();
  const p = loadProfile(PROFILE);

  it('agrees with lab/lab.env: addresses, ports, users, passwords and domain', () => {
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
    expect(p.oxo.trunk.domain).toBe(env.LAB_SBC_LAN);
  });

  it('describes an external SBC the harness does not control: the generic adapter, UDP only, no key without effect', () => {
    expect(p.sbc.kind).toBe('external');
    expect(adapterOf(p)).toBe('generic');
    const warnings: string[] = [];
    loadProfile(PROFILE, process.env, warnings);
    expect(warnings).toEqual([]);
    expect(p.sbc.lan.transports).toEqual(['udp']);
    expect(p.sbc.wan.transports).toEqual(['udp']);
  });
});

describe('lab scripts: the configuration choice', () => {
  const bare = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LAB_')));
  const settings = (extra: Record<string, string>) =>
    execFileSync('bash', ['-c', `source "${join(ROOT, 'lab', 'env.sh')}"; echo "$LAB_CONFIG $LAB_RUN_DIR"`], {
      env: { ...bare, TMPDIR: '/tmp', ...extra },
      encoding: 'utf8',
    }).trim();

  it('defaults to the main configuration and its run directory; alt has its own', () => {
    expect(settings({})).toBe('main /tmp/sbc-harness-lab');
    expect(settings({ LAB_CONFIG: 'alt' })).toBe('alt /tmp/sbc-harness-lab-alt');
    expect(settings({ LAB_CONFIG: 'alt', LAB_RUN_DIR: '/tmp/x' })).toBe('alt /tmp/x');
  });

  it('lab/sbc/start refuses a configuration that does not exist, before starting anything', () => {
    const r = spawnSync(
      'bash',
      ['-c', `source "${join(ROOT, 'lab', 'env.sh')}"; exec "${join(ROOT, 'lab', 'sbc', 'start')}"`],
      {
        env: { ...bare, LAB_CONFIG: 'nope', LAB_RUN_DIR: join(tmpdir(), 'sbc-harness-lab-nope') },
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('LAB_CONFIG=nope is neither main nor alt');
  });
});

describe('alt lab evidence reader', () => {
  const A = { lan: '10.0.0.2', wan: '10.1.0.2', oxo: '10.0.0.1', provider: '10.1.0.1', trunkUser: 'trunk' };
  const msg = (src: string, dst: string, text: string): WireMessage => ({
    src: { address: src, port: 5060 },
    dst: { address: dst, port: 5060 },
    summary: text.split('\r\n', 1)[0]!,
    text,
  });
  const invite = (extra: string) =>
    `INVITE sip:trunk@10.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1\r\n${extra}To: <sip:+49301@p.test>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:btpsh-1@10.0.0.2>\r\n\r\n`;

  it('reads header values, compact forms included, and URI users', () => {
    const t =
      'INVITE sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP x\r\nVia: SIP/2.0/UDP y\r\nt: <sip:+49@h>\r\n\r\nv: body';
    expect(headerValues(t, 'via')).toEqual(['SIP/2.0/UDP x', 'SIP/2.0/UDP y']);
    expect(uriUser(headerValues(t, 'to')[0]!)).toBe('+49');
  });

  it('accepts a hidden topology with the contact as Request-URI and the DID in To', () => {
    const f = altFindings(new Map([['c', [msg(A.lan, A.oxo, invite(''))]]]), A);
    expect(f.problems).toEqual([]);
    expect(f.toOxo).toBe(1);
  });

  it('names a Record-Route, a second Via and a DID Request-URI', () => {
    const rr = invite('Record-Route: <sip:10.0.0.2;lr>\r\nVia: SIP/2.0/UDP 10.1.0.1\r\n').replace(
      'INVITE sip:trunk@',
      'INVITE sip:+49301@',
    );
    const f = altFindings(new Map([['c', [msg(A.lan, A.oxo, rr)]]]), A);
    expect(f.problems).toEqual([
      'c: the INVITE to the OXO carries Record-Route (topology not hidden)',
      'c: the INVITE to the OXO carries 2 Via entries, not 1',
      "c: Request-URI INVITE sip:+49301@10.0.0.1:5060 SIP/2.0 is not the trunk's registered contact",
    ]);
  });

  it('counts the line registrations accepted once each, and names an interval other than 600 s', () => {
    const reg = (cseq: number, exp: number) =>
      msg(
        A.wan,
        A.provider,
        `REGISTER sip:p.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.0.2\r\nCall-ID: r1\r\nCSeq: ${cseq} REGISTER\r\nExpires: ${exp}\r\n\r\n`,
      );
    const ok = (cseq: number) =>
      msg(A.provider, A.wan, `SIP/2.0 200 OK\r\nCall-ID: r1\r\nCSeq: ${cseq} REGISTER\r\n\r\n`);
    const f = altFindings(
      new Map([
        ['a', [reg(1, 600), ok(1)]],
        ['b', [reg(1, 600), ok(1), reg(2, 3600)]],
      ]),
      A,
    );
    expect(f.lineRegisters).toBe(3);
    expect(f.lineAccepted).toBe(1);
    expect(f.problems).toEqual(["b: the line's REGISTER asks Expires 3600, not 600"]);
  });
});

/**
 * The settings of a case's SBC precondition that the profile does not already declare for the
 * SBC, in the runner's words ("codec order A, B", "SRTP toward the provider on", "TLS toward
 * the provider"): with the generic adapter and no engineer, nobody applies them.
 */
function unappliedSettings(pre: SbcPrecondition | undefined, p: Profile): string[] {
  const out: string[] = [];
  if (pre?.codecOrder) {
    const want = pre.codecOrder.filter((c) => p.sbc.codecOrder.includes(c as never));
    if (want.join(',') !== p.sbc.codecOrder.join(',')) out.push(`codec order ${pre.codecOrder.join(', ')}`);
  }
  if (pre?.srtpTowardProvider !== undefined && pre.srtpTowardProvider !== p.sbc.srtpTowardProvider)
    out.push(`SRTP toward the provider ${pre.srtpTowardProvider ? 'on' : 'off'}`);
  if (pre?.providerTransport && pre.providerTransport !== p.provider.transport)
    out.push(`${pre.providerTransport.toUpperCase()} toward the provider`);
  return out;
}

// CI runs it (CI=true, as .ci/run does); elsewhere it is opt-in, a whole plan run being slow.
const RUN = process.env.SBC_HARNESS_LAB_ALT === '1' || process.env.CI === 'true';
const ADDR = { lan: '127.0.52.2', wan: '127.0.42.2', provider: '127.0.42.1', oxo: '127.0.52.1' };

describeWithPeers(['kamailio', 'rtpengine'], 'the plan through the second Kamailio lab configuration', () => {
  let dir = '';
  const env = {
    ...process.env,
    LAB_CONFIG: 'alt',
    LAB_SBC_LAN: ADDR.lan,
    LAB_SBC_WAN: ADDR.wan,
    LAB_PROVIDER_ADDR: ADDR.provider,
    LAB_OXO_ADDR: ADDR.oxo,
    LAB_RTP_MIN: '42000',
    LAB_RTP_MAX: '42499',
    LAB_RUN_DIR: join(tmpdir(), 'sbc-harness-lab-alt-plan'),
  };
  const base = loadProfile(PROFILE);

  beforeAll(() => {
    if (!RUN) return;
    dir = mkdtempSync(join(tmpdir(), 'lab-alt-plan-'));
    execFileSync(join(ROOT, 'lab', 'up'), ['--config', 'alt'], { env, stdio: 'pipe', timeout: 40_000 });
  }, 45_000);
  afterAll(() => {
    if (!RUN) return;
    try {
      execFileSync(join(ROOT, 'lab', 'down'), ['--config', 'alt'], { env, stdio: 'pipe', timeout: 20_000 });
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, 25_000);

  it.skipIf(!RUN)(
    'plays its own legal behaviours: UDP only, no control interface, a new 401 to a wrong password',
    async () => {
      // no TCP SIP listener and no JSON-RPC over HTTP on the LAN address
      const tcpRefused = (port: number) =>
        new Promise<boolean>((resolve) => {
          const s = createConnection({ host: ADDR.lan, port });
          s.setTimeout(2000, () => {
            s.destroy();
            resolve(false);
          });
          s.once('connect', () => {
            s.destroy();
            resolve(false);
          });
          s.once('error', () => resolve(true));
        });
      expect(await tcpRefused(5060), 'TCP 5060 refused').toBe(true);
      expect(await tcpRefused(5080), 'no control interface on 5080').toBe(true);

      // A digest from a wrong trunk password: a new challenge (RFC 3261 22 / RFC 2617 1.2: a server
      // that does not accept the credentials answers 401 again), no binding made.
      const ua = await UserAgent.start({
        listen: [{ protocol: 'UDP', address: ADDR.oxo, port: 0 }],
        contactUser: base.oxo.trunk.user,
        timers: { t1: 100, t2: 800, t4: 1000 },
      });
      try {
        const out = await ua.register({
          registrar: `sip:${ADDR.lan}:5060`,
          aor: `sip:${base.oxo.trunk.user}@${ADDR.lan}`,
          expires: 60,
          target: { protocol: 'UDP', address: ADDR.lan, port: 5060 },
          credentials: { username: base.oxo.trunk.user, password: `${base.oxo.trunk.password}-wrong` },
        });
        expect(out.responses.map((r) => r.status)).toEqual([401, 401]);
        const nonce = /nonce="([^"]+)"/.exec(out.responses[1]?.get('www-authenticate') ?? '')?.[1];
        expect(nonce, 'the second 401 carries a new challenge').toBeTruthy();
        // stale absent: "the credentials are invalid" (RFC 7616 §3.3); the nonce may be the first
        // one again (Kamailio's stateless nonce changes once a second)
        expect(out.responses[1]?.get('www-authenticate') ?? '').not.toMatch(/stale\s*=\s*"?true/i);
      } finally {
        await ua.stop();
      }
    },
  );

  it.skipIf(!RUN)(
    'gives no NOK, T-3 OK, and says so for every cell whose SBC precondition nobody applied (SBC_HARNESS_LAB_ALT=1)',
    () => {
      // the alt profile moved to this test's addresses
      const profile = readFileSync(PROFILE, 'utf8')
        .replaceAll('127.0.50.2', ADDR.lan)
        .replaceAll('127.0.40.2', ADDR.wan)
        .replaceAll('127.0.40.1', ADDR.provider)
        .replaceAll('127.0.50.1', ADDR.oxo);
      const profileFile = join(dir, 'kamailio-alt.yaml');
      writeFileSync(profileFile, profile);
      const out = join(dir, 'out');
      const r = spawnSync(
        process.execPath,
        [join(ROOT, 'bin', 'sbc-harness.js'), 'run', '--quick', '--profile', profileFile, '--out', out],
        { cwd: ROOT, env, encoding: 'utf8', timeout: 420_000, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let cells: Array<{ id: string; verdict: string; comment?: string; incomplete?: string[] }>;
      try {
        cells = (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { cells: typeof cells })
          .cells;
      } catch {
        throw new Error(`the run wrote no results.json (exit ${r.status}): ${r.stderr.slice(-2000)}`);
      }
      const byId = new Map(cells.map((c) => [c.id, c]));
      const line = (c: { id: string; verdict: string; comment?: string }) =>
        `${c.id} ${c.verdict}: ${c.comment ?? ''}`;

      expect(cells.length, 'every case of the plan has a cell').toBe(PLAN.length);
      expect.soft(cells.filter((c) => c.verdict === 'NOK' || c.verdict === 'ERROR').map(line)).toEqual([]);
      expect
        .soft(byId.get('T-3')?.verdict, line(byId.get('T-3') ?? { id: 'T-3', verdict: 'none' }))
        .toBe('OK');

      // Cases with an SBC setting that the profile does not already declare: the generic adapter
      // applies none of them (docs/verdicts.md). Each such cell is N/A (the profile rules the
      // case out first) or INCOMPLETE, naming every setting that was not applied.
      const wrong = PLAN.flatMap((c) => {
        const cell = byId.get(c.id);
        const settings = unappliedSettings(c.sbc, base);
        if (!cell || settings.length === 0 || cell.verdict === 'N/A') return [];
        const said = (cell.incomplete ?? []).join(' ');
        const unsaid = settings.filter((s) => !said.includes(s));
        return cell.verdict !== 'INCOMPLETE' || !/not applied/i.test(said) || unsaid.length > 0
          ? [`${line(cell)} (not applied: ${settings.join('; ')}; incomplete: ${said || 'nothing'})`]
          : [];
      });
      expect
        .soft(wrong, 'cells whose SBC setting nobody applied, not INCOMPLETE or not saying so')
        .toEqual([]);
      expect
        .soft(cells.filter((c) => c.verdict === 'INCOMPLETE' && (c.incomplete ?? []).length === 0).map(line))
        .toEqual([]);
      expect
        .soft(cells.filter((c) => c.verdict === 'INCOMPLETE').length, 'some settings were not applied')
        .toBeGreaterThan(0);

      // The configuration really played its behaviours during the run.
      const f = altFindings(readRunSip(out), { ...ADDR, trunkUser: base.oxo.trunk.user });
      expect.soft(f.problems).toEqual([]);
      expect.soft(f.toOxo, 'calls from the provider reached the OXO').toBeGreaterThan(0);
      expect.soft(f.toProvider, 'calls from the OXO reached the provider').toBeGreaterThan(0);
      expect
        .soft(f.lineAccepted, 'the line is registered once for the whole run (600 s)')
        .toBeLessThanOrEqual(1);
    },
    450_000,
  );
});
