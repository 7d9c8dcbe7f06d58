/**
 * Findings 5 (the crash) and 8 (EADDRINUSE) of issue 15, through the command as a user runs it:
 * - `oxo.transport: tls` used to pass the profile check and then crash every cell with a stack
 *   trace ("a TLS listener needs tls.key and tls.cert"). With the embedded SBC (no TLS on its
 *   LAN side) it is now a configuration error at load naming the keys; with an external SBC
 *   that lists tls on its LAN side, the OXO simulator listens on TLS with a certificate made at
 *   start-up and registers over TLS at sbc.lan.tlsPort.
 * - A listener whose port is taken stops the command with the profile key and the address.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Lab } from '../../harness/actors/lab.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';
import { selfSignedCertificate } from '../../harness/support/certificate.ts';

const BIN = fileURLToPath(new URL('../../bin/sbc-harness.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robust-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The default profile on this file's addresses, changed by `edit`, written to a file. */
function profileFile(name: string, edit: (p: Profile) => void): string {
  const p = loadProfile();
  p.provider.address = '127.0.89.5';
  p.sbc.wan.address = '127.0.89.6';
  p.sbc.lan.address = '127.0.89.7';
  p.oxo.address = '127.0.89.8';
  p.oxo.trunk.domain = '127.0.89.7';
  edit(p);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(p));
  return file;
}

function cli(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('oxo.transport: tls (issue 15, finding 5)', () => {
  it('with the embedded SBC: a configuration error at load naming oxo.transport, no stack trace', () => {
    const file = profileFile('oxo-tls-embedded', (p) => {
      p.oxo.transport = 'tls';
    });
    const r = cli(['run', '--profile', file, '--out', join(dir, 'run-embedded'), '--only', '8-1-1']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/oxo\.transport: "tls" is not available with the embedded SBC/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toMatch(/tls\.key and tls\.cert/);
  });

  it('with an external SBC that has no tls on its LAN side: the error names sbc.lan.transports', () => {
    const file = profileFile('oxo-tls-external-no-lan-tls', (p) => {
      p.sbc.kind = 'external';
      p.oxo.transport = 'tls';
    });
    const r = cli(['run', '--profile', file, '--out', join(dir, 'run-external'), '--only', '8-1-1']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/sbc\.lan\.transports/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('with an external SBC that takes TLS: the OXO listens on TLS and registers over TLS at sbc.lan.tlsPort', async () => {
    // A TLS server where the SBC's LAN TLS port would be; it records what arrives.
    const kc = await selfSignedCertificate('sbc-lan.test', ['127.0.89.7']);
    let received = '';
    const server = tls.createServer({ key: kc.key, cert: kc.cert }, (s) => {
      s.on('data', (d) => {
        received += d.toString('latin1');
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.89.7', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const file = profileFile('oxo-tls-external', (p) => {
      p.sbc.kind = 'external';
      p.sbc.lan.transports = ['udp', 'tcp', 'tls'];
      p.sbc.lan.tlsPort = port;
      p.oxo.transport = 'tls';
      p.oxo.port = 0;
    });
    const profile = loadProfile(file);
    const lab = await Lab.start({ profile, only: ['oxo'], register: false });
    cleanups.push(() => lab.stop());
    const l = lab.oxo!.ua.transport.listenerFor('TLS');
    expect(l.address).toBe('127.0.89.8');
    // Its own listener speaks TLS.
    const hello = tls.connect({ host: l.address, port: l.port, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      hello.once('secureConnect', () => resolve());
      hello.once('error', reject);
    });
    hello.destroy();
    void lab.oxo!.register().catch(() => undefined);
    const end = Date.now() + 10_000;
    while (!received.includes('REGISTER sip:') && Date.now() < end)
      await new Promise((r) => setTimeout(r, 50));
    expect(received).toMatch(/^REGISTER sip:/);
    expect(received).toMatch(/Via: SIP\/2\.0\/TLS /);
  });
});

describe('a listener that cannot be bound names the profile key (issue 15, finding 8)', () => {
  it('sim provider on a taken provider.port: exit 2, the key, the address and EADDRINUSE, no stack trace', async () => {
    const held = dgram.createSocket('udp4');
    await new Promise<void>((r) => held.bind(0, '127.0.89.5', () => r()));
    cleanups.push(() => new Promise<void>((r) => held.close(() => r())));
    const port = held.address().port;
    const file = profileFile('port-taken', (p) => {
      p.provider.port = port;
      p.provider.tlsPort = 0;
    });
    const r = cli(['sim', 'provider', '--profile', file]);
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/profile key provider\.address \/ provider\.port/);
    expect(r.stderr).toContain(`UDP 127.0.89.5:${port}`);
    expect(r.stderr).toMatch(/EADDRINUSE/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
