/**
 * `sbc-harness sbc` and `sbc-harness sim ...` as a user runs them: a real child process, a
 * real REGISTER against the started provider, then Ctrl-C (SIGINT) and a clean exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE_PATH } from '../../harness/config/profile.ts';
import { UserAgent } from '../../harness/sip/index.ts';

const BIN = fileURLToPath(new URL('../../bin/sbc-harness.js', import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The default profile moved to 127.0.33.x (provider side) / 127.0.34.x (PBX side), which no other test uses. */
function profileFile(edit: (text: string) => string = (t) => t): string {
  const dir = mkdtempSync(join(tmpdir(), 'profile-'));
  dirs.push(dir);
  const text = readFileSync(DEFAULT_PROFILE_PATH, 'utf8').replace(
    /127\.0\.(10|20)\./g,
    (_, n: string) => `127.0.${n === '10' ? 33 : 34}.`,
  );
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, edit(text));
  return file;
}

function run(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  waitFor: (s: string) => Promise<void>;
} {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (s: string) => {
    const deadline = Date.now() + 20_000;
    while (!out.includes(s)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "${s}" in:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, output: () => out, exited, waitFor };
}

describe('sbc-harness sim / sbc', () => {
  it('sim provider accepts the line registration from the profile, and Ctrl-C stops it cleanly', async () => {
    const p = run(['sim', 'provider', '--profile', profileFile()]);
    await p.waitFor('ready; Ctrl-C stops');
    expect(p.output()).toContain('provider: 127.0.33.1 UDP/TCP 5060');
    const ua = await UserAgent.start({ listen: [{ protocol: 'UDP', address: '127.0.33.9', port: 0 }] });
    try {
      const r = await ua.register({
        registrar: 'sip:127.0.33.1:5060',
        aor: 'sip:+4930123456@provider.test',
        credentials: { username: '+4930123456', password: 'line-secret' },
      });
      expect(r.responses.map((x) => x.status)).toEqual([401, 200]);
    } finally {
      await ua.stop();
    }
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/provider: 1 registrations accepted \(of 2 REGISTER\)[\s\S]*stopped/);
    expect(p.output()).not.toContain('line-secret');
  });

  it('sim all brings up provider, SBC and OXO, with the trunk registered', async () => {
    const p = run(['sim', 'all', '--profile', profileFile()]);
    await p.waitFor('ready; Ctrl-C stops');
    expect(p.output()).toContain('oxo: registration at the SBC 127.0.34.2:5060 → 200');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('sim oxo with no SBC says what it waits for, stops at once on Ctrl-C, and counts no registration', async () => {
    const p = run(['sim', 'oxo', '--profile', profileFile()]);
    await p.waitFor(
      'oxo: registering at the SBC 127.0.34.2:5060 (its answer may take up to 32 s; Ctrl-C stops)',
    );
    await p.waitFor('oxo: still waiting for the SBC at 127.0.34.2:5060 to answer (5 s)');
    const t0 = Date.now();
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
    // Well before the REGISTER transaction's own 32 s time-out (no timing claim beyond that).
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(p.output()).toMatch(/SIGINT: stopping\noxo: 0 registrations accepted \(of \d+ tried\)\nstopped/);
    expect(p.output()).not.toContain('ready; Ctrl-C stops');
  }, 40_000);

  it('sbc refuses a profile that points at an external SBC, and a bad profile names the key (exit 2)', async () => {
    const ext = run(['sbc', '--profile', profileFile((t) => t.replace('kind: embedded', 'kind: external'))]);
    expect(await ext.exited).toBe(2);
    expect(ext.output()).toContain('external SBC');
    const bad = run([
      'sbc',
      '--profile',
      profileFile((t) => t.replace('referPolicy: local', 'referPolicy: maybe')),
    ]);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('sbc.referPolicy: "maybe" is not allowed; use one of "local", "pass"');
    expect(bad.output()).not.toMatch(/\n\s+at /);
  });

  it('an unknown SBC fault is refused with the list of known ones', async () => {
    const p = run(['sbc', '--profile', profileFile(), '--sbc-fault', 'no-such-fault']);
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/unknown SBC fault "no-such-fault"; known faults: strip-telephone-event/);
    expect(p.output()).not.toMatch(/\n\s+at /);
  });
});

describe('sbc-harness run: a bad profile stops before any case (exit 2, the key named)', () => {
  it('unknown key, wrong type, an address this host does not have', async () => {
    const cases: Array<[(t: string) => string, RegExp]> = [
      [(t) => t.replace('  transcoding: true', '  transcodeing: true'), /sbc\.transcodeing: unknown key/],
      [
        (t) =>
          t.replace(
            /port: 5060\n {2}tlsPort: 5061\n {2}transport: udp/,
            'port: "five"\n  tlsPort: 5061\n  transport: udp',
          ),
        /provider\.port: expected number, got "five"/,
      ],
      [
        (t) => t.replace('address: 127.0.34.1', 'address: 192.0.2.44'),
        /oxo\.address: 192\.0\.2\.44 is not an address of this host .*use a loopback address/,
      ],
      [
        (t) =>
          t.replace('transports: [udp, tcp] }', 'transports: [udp, tcp], mediaAddresses: [192.0.2.45] }'),
        /sbc\.lan\.mediaAddresses: 192\.0\.2\.45 is not an address of this host/,
      ],
    ];
    for (const [edit, message] of cases) {
      const r = run([
        'run',
        '--quick',
        '--profile',
        profileFile(edit),
        '--out',
        join(mkdtempSync(join(tmpdir(), 'run-')), 'out'),
      ]);
      expect(await r.exited).toBe(2);
      expect(r.output()).toMatch(message);
      expect(r.output()).not.toMatch(/\n\s+at /);
    }
  });
});
