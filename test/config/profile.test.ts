import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROFILE_PATH,
  loadProfile,
  ProfileError,
  parseProfile,
} from '../../harness/config/profile.ts';

const base = readFileSync(DEFAULT_PROFILE_PATH, 'utf8');

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseProfile(text, 'p.yaml', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ProfileError);
    return (err as ProfileError).problems;
  }
  throw new Error('the profile was accepted');
}

describe('profiles', () => {
  it('the embedded profile loads with the plan defaults', () => {
    const p = loadProfile();
    expect(p.sbc.kind).toBe('embedded');
    expect(p.sbc.codecOrder).toEqual(['G722', 'PCMA', 'PCMU', 'G729', 'G723']);
    expect(p.oxo.dtmf.info).toBe(false);
    expect(p.oxo.extensions.deskphone1.codecs).toEqual(['G722', 'PCMA', 'PCMU', 'G729', 'G723']);
    expect(new Set([p.provider.address, p.sbc.wan.address, p.sbc.lan.address, p.oxo.address]).size).toBe(4);
  });

  it('names an unknown key with its path', () => {
    const out = problems(base.replace('  transcoding: true', '  transcodeing: true'));
    expect(out).toEqual(['sbc.transcodeing: unknown key; remove it or check its spelling']);
  });

  it('names a wrong type with its path and the value seen', () => {
    const out = problems(
      base.replace(
        'port: 5060\n  tlsPort: 5061\n  transport: udp',
        'port: "five"\n  tlsPort: 5061\n  transport: udp',
      ),
    );
    expect(out).toEqual(['provider.port: expected number, got "five"']);
  });

  it('names a bad enum value and lists what is allowed', () => {
    const out = problems(base.replace('transferMode: internal', 'transferMode: blind'));
    expect(out[0]).toBe('oxo.transferMode: "blind" is not allowed; use one of "internal", "refer"');
  });

  it('takes a media address per SBC side; the embedded SBC one only', () => {
    const lan = 'lan: { address: 127.0.20.2, port: 5060, transports: [udp, tcp] }';
    expect(base).toContain(lan);
    const one = base.replace(
      lan,
      'lan: { address: 127.0.20.2, port: 5060, transports: [udp, tcp], mediaAddresses: [127.0.20.3] }',
    );
    expect(parseProfile(one, 'p.yaml', {}).sbc.lan.mediaAddresses).toEqual(['127.0.20.3']);
    const two = base.replace(
      lan,
      'lan: { address: 127.0.20.2, port: 5060, transports: [udp, tcp], mediaAddresses: [127.0.20.3, 127.0.20.4] }',
    );
    expect(problems(two)[0]).toMatch(
      /^sbc\.lan\.mediaAddresses: the embedded SBC anchors its media on one address/,
    );
  });

  it('rejects an address that is not an IP address', () => {
    const out = problems(base.replace('address: 127.0.20.1', 'address: oxo.local'));
    expect(out[0]).toMatch(/^oxo\.address: expected an IPv4 or IPv6 address \(got "oxo\.local"\)$/);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the profile's ${ENV} syntax, written out literally
  it('substitutes ${ENV} and says which variable is missing, never echoing a password', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the profile's ${ENV} syntax, written out literally
    const withEnv = base.replace('password: trunk-secret', 'password: ${OXO_TRUNK_PASSWORD}');
    expect(parseProfile(withEnv, 'p.yaml', { OXO_TRUNK_PASSWORD: 'x1' }).oxo.trunk.password).toBe('x1');
    expect(problems(withEnv)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the profile's ${ENV} syntax, written out literally
      'oxo.trunk.password: environment variable OXO_TRUNK_PASSWORD is not set (the profile refers to ${OXO_TRUNK_PASSWORD})',
    ]);
    const empty = problems(base.replace('password: trunk-secret', "password: ''"));
    expect(empty[0]).toBe('oxo.trunk.password: must not be empty (got [secret])');
  });

  it('reports YAML syntax errors and unreadable files', () => {
    expect(problems('name: [unclosed')[0]).toMatch(/^YAML syntax error/);
    expect(() => loadProfile('/nonexistent/profile.yaml')).toThrow(/cannot read the file/);
  });

  it('reports a missing required section', () => {
    const out = problems(base.replace(/\noxo:[\s\S]*$/, '\n'));
    expect(out).toContain('oxo: missing; it is required (object)');
  });
});

describe('profiles: security keys', () => {
  it('defaults to the secure side: nothing open, TLS verified, every security item claimed', () => {
    const p = loadProfile();
    expect(p.sbc.open).toEqual({
      lanInvites: false,
      wanInvites: false,
      digestReplay: false,
      bruteForce: false,
    });
    expect(p.tls).toEqual({ verify: true });
    expect(p.sbc.securityClaims).toHaveLength(8);
    expect(p.security.bruteForceAttempts).toBe(200);
  });

  it('reads tls.ca relative to the profile, and names the key when the file cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-ca-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
      writeFileSync(join(dir, 'good.yaml'), `${base}\ntls: { ca: ca.pem }\n`);
      expect(loadProfile(join(dir, 'good.yaml')).tls.ca).toBe(join(dir, 'ca.pem'));
      writeFileSync(join(dir, 'bad.yaml'), `${base}\ntls: { ca: missing.pem }\n`);
      expect(() => loadProfile(join(dir, 'bad.yaml'))).toThrow(/tls\.ca: cannot read .*missing\.pem/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns when the embedded SBC would offer plain RTP to a provider that requires SRTP (every call 488), not when both agree or the SBC is external', () => {
    const srtp = (provider: boolean, toward: boolean, kind = 'kind: embedded') =>
      base
        .replace('kind: embedded', kind)
        .replace(/srtpTowardProvider: (true|false)/, `srtpTowardProvider: ${toward}`)
        .replace(/\n {2}srtp: (true|false)/, `\n  srtp: ${provider}`);
    const warned = (text: string) => {
      const w: string[] = [];
      parseProfile(text, 'x.yaml', {}, w);
      return w.filter((x) => /^provider\.srtp: true with sbc\.srtpTowardProvider: false/.test(x));
    };
    expect(srtp(true, false)).toMatch(/\n {2}srtp: true/);
    expect(warned(srtp(true, false))).toHaveLength(1);
    expect(warned(srtp(true, true))).toEqual([]);
    expect(warned(srtp(false, false))).toEqual([]);
    expect(warned(srtp(true, false, 'kind: external'))).toEqual([]);
  });

  it('says sbc.wan.contactHost has no effect on an external SBC, and takes it on the embedded one', () => {
    const warnings: string[] = [];
    const withName = (kind: string) =>
      base
        .replace('kind: embedded', kind)
        .replace(/(\n {2}wan: \{[^}]*)\}/, '$1, contactHost: sbc.example }');
    const external = parseProfile(withName('kind: external'), 'x.yaml', {}, warnings);
    expect(external.sbc.wan.contactHost).toBe('sbc.example');
    expect(
      warnings.some((w) => /^sbc\.wan\.contactHost has no effect with sbc\.kind: external/.test(w)),
    ).toBe(true);
    const quiet: string[] = [];
    expect(parseProfile(withName('kind: embedded'), 'x.yaml', {}, quiet).sbc.wan.contactHost).toBe(
      'sbc.example',
    );
    expect(quiet).toEqual([]);
    expect(() =>
      parseProfile(withName('kind: embedded').replace('sbc.example', '"bad name!"'), 'x.yaml'),
    ).toThrow(/contactHost/);
  });

  it('says sbc.open has no effect on an external SBC', () => {
    const warnings: string[] = [];
    parseProfile(
      base.replace('kind: embedded', 'kind: external\n  open: { lanInvites: true }'),
      'x.yaml',
      {},
      warnings,
    );
    expect(warnings.some((w) => /^sbc\.open has no effect with sbc\.kind: external/.test(w))).toBe(true);
  });
});

describe('docs/profile.md', () => {
  it('holds the key table generated from the schema (regenerate: node bin/run-ts.js harness/config/profile-docs.ts --write)', async () => {
    const { DOC_PATH, renderProfileDoc } = await import('../../harness/config/profile-docs.ts');
    const doc = readFileSync(DOC_PATH, 'utf8');
    expect(renderProfileDoc(doc)).toBe(doc);
    for (const key of [
      'sbc.lan.address',
      'provider.line.password',
      'oxo.extensions.deskphone1.did',
      'oxo.transferMode',
    ]) {
      expect(doc).toContain(`| \`${key}\` |`);
    }
  });
});
