import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  buildAuthorization,
  chooseChallenge,
  computeHa1,
  computeResponse,
  type DigestAlgorithm,
  type DigestChallenge,
  DigestClient,
  DigestServer,
  parseChallenge,
  parseChallenges,
  parseCredentials,
  redactAuthorization,
} from '../../harness/sip/digest.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

// RFC 7616 §3.9.1 inputs.
const RFC7616 = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  uri: '/dir/index.html',
  method: 'GET',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
};

function param(value: string, name: string): string | undefined {
  const c = parseCredentials(value);
  if (!c.ok) return undefined;
  return (c.value as unknown as Record<string, string>)[name];
}

describe('digest challenge parsing', () => {
  it('reads the RFC 7616 challenge with quoted qop list and token algorithm', () => {
    const r = parseChallenge(
      `Digest realm="${RFC7616.realm}", qop="auth, auth-int", algorithm=SHA-256, nonce="${RFC7616.nonce}", opaque="${RFC7616.opaque}"`,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      realm: RFC7616.realm,
      nonce: RFC7616.nonce,
      opaque: RFC7616.opaque,
      algorithm: 'SHA-256',
      qop: ['auth', 'auth-int'],
      stale: false,
    });
  });

  it('tolerates case of scheme and names, odd whitespace, unquoted tokens and stale=TRUE', () => {
    const r = parseChallenge(
      'dIgEsT   REALM = "biloxi.com" ,NONCE=abc/def+1 ,\tAlgorithm = md5-SESS , Stale=TRUE,qop=auth',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.realm).toBe('biloxi.com');
    expect(r.value.nonce).toBe('abc/def+1');
    expect(r.value.algorithm).toBe('MD5-sess');
    expect(r.value.stale).toBe(true);
    expect(r.value.qop).toEqual(['auth']);
  });

  it('keeps commas and escaped quotes inside quoted strings', () => {
    const r = parseChallenge('Digest realm="a, b \\"c\\", d=e", nonce="n,1"');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.realm).toBe('a, b "c", d=e');
    expect(r.value.nonce).toBe('n,1');
  });

  it('splits several challenges in one value and skips other schemes', () => {
    const r = parseChallenges(
      'Basic realm="x", Digest realm="r", nonce="1", algorithm=MD5, Digest realm="r", nonce="2", algorithm=SHA-256',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((c) => [c.nonce, c.algorithm])).toEqual([
      ['1', 'MD5'],
      ['2', 'SHA-256'],
    ]);
  });

  it('returns typed errors for missing nonce, unknown algorithm, other scheme and garbage', () => {
    const noNonce = parseChallenge('Digest realm="r"');
    expect(noNonce).toEqual({ ok: false, error: { kind: 'malformed', reason: 'challenge without nonce' } });
    const alg = parseChallenge('Digest realm="r", nonce="n", algorithm=SHA-1');
    expect(alg).toEqual({ ok: false, error: { kind: 'unsupported-algorithm', algorithm: 'SHA-1' } });
    const basic = parseChallenge('Basic realm="r"');
    expect(basic.ok === false && basic.error.kind).toBe('not-digest');
    for (const bad of ['', '   ', '"', 'Digest realm="unterminated', '=x', 'Digest realm="r\\']) {
      const r = parseChallenge(bad);
      expect(r.ok, bad).toBe(false);
    }
  });

  it('chooses SHA-256 over MD5 whatever the order of the challenges', () => {
    const md5 = 'Digest realm="r", nonce="n1", algorithm=MD5, qop="auth"';
    const sha = 'Digest realm="r", nonce="n2", algorithm=SHA-256, qop="auth"';
    expect(chooseChallenge([md5, sha])?.nonce).toBe('n2');
    expect(chooseChallenge([sha, md5])?.nonce).toBe('n2');
    expect(chooseChallenge([md5, 'garbage"'])?.nonce).toBe('n1');
    expect(chooseChallenge(['garbage"'])).toBeUndefined();
  });
});

describe('digest client responses against published vectors', () => {
  for (const [algorithm, expected] of [
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const) {
    it(`RFC 7616 §3.9.1 ${algorithm}`, () => {
      const ch = parseChallenge(
        `Digest realm="${RFC7616.realm}", qop="auth, auth-int", algorithm=${algorithm}, nonce="${RFC7616.nonce}", opaque="${RFC7616.opaque}"`,
      );
      expect(ch.ok).toBe(true);
      if (!ch.ok) return;
      const value = buildAuthorization({
        challenge: ch.value,
        method: RFC7616.method,
        uri: RFC7616.uri,
        username: RFC7616.username,
        password: RFC7616.password,
        nc: 1,
        cnonce: RFC7616.cnonce,
      });
      expect(param(value, 'response')).toBe(expected);
      expect(value).toContain('qop=auth,');
      expect(value).toContain('nc=00000001');
      expect(value).toContain(`opaque="${RFC7616.opaque}"`);
      expect(value).toContain(`algorithm=${algorithm}`);
    });
  }

  it('RFC 2617 §3.5 MD5 (and the same value in RFC 3261 §22 style)', () => {
    const ch = parseChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    expect(ch.ok).toBe(true);
    if (!ch.ok) return;
    const value = buildAuthorization({
      challenge: ch.value,
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      cnonce: () => '0a4f113b',
    });
    expect(param(value, 'response')).toBe('6629fae49393a05397450978507c4ef1');
    // No algorithm= in the challenge: none echoed.
    expect(value).not.toMatch(/algorithm=/);
  });

  it('RFC 2069 form without qop: H(HA1:nonce:HA2), no nc, no cnonce', () => {
    const ch: DigestChallenge = {
      realm: 'r',
      nonce: 'n',
      algorithm: 'MD5',
      algorithmExplicit: false,
      qop: [],
      stale: false,
      userhash: false,
    };
    const value = buildAuthorization({
      challenge: ch,
      method: 'REGISTER',
      uri: 'sip:r',
      username: 'u',
      password: 'p',
    });
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    expect(param(value, 'response')).toBe(md5(`${md5('u:r:p')}:n:${md5('REGISTER:sip:r')}`));
    expect(value).not.toMatch(/nc=|cnonce=|qop=/);
  });

  it('auth-int hashes the body; -sess folds nonce and cnonce into HA1', () => {
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const body = 'v=0\r\n';
    const got = computeResponse({
      algorithm: 'SHA-256-sess',
      username: 'u',
      realm: 'r',
      password: 'p',
      nonce: 'N',
      method: 'INVITE',
      uri: 'sip:b@r',
      qop: 'auth-int',
      nc: '00000002',
      cnonce: 'C',
      body,
    });
    const ha1 = sha(`${sha('u:r:p')}:N:C`);
    const ha2 = sha(`INVITE:sip:b@r:${sha(body)}`);
    expect(got).toBe(sha(`${ha1}:N:00000002:C:auth-int:${ha2}`));
  });

  it('DigestClient counts nc per nonce and restarts on a new nonce', () => {
    const client = new DigestClient({ username: 'alice', password: 'pw', cnonce: () => 'fixed' });
    const ch1 = 'Digest realm="r", nonce="one", qop="auth"';
    const ch2 = 'Digest realm="r", nonce="two", qop="auth"';
    expect(param(client.authorize(ch1, 'REGISTER', 'sip:r') ?? '', 'ncText')).toBe('00000001');
    expect(param(client.authorize(ch1, 'REGISTER', 'sip:r') ?? '', 'ncText')).toBe('00000002');
    expect(param(client.authorize(ch2, 'REGISTER', 'sip:r') ?? '', 'ncText')).toBe('00000001');
    expect(client.authorize('Basic realm="x"', 'REGISTER', 'sip:r')).toBeUndefined();
  });
});

describe('secrets stay out of logs', () => {
  it('redactAuthorization hides response= and rspauth= but keeps cnonce', () => {
    const v =
      'Digest username="u", realm="r", nonce="n", uri="sip:r", response="0123abcd", cnonce="cn", RESPONSE = deadbeef, rspauth="x\\"y"';
    const out = redactAuthorization(v);
    expect(out).not.toContain('0123abcd');
    expect(out).not.toContain('deadbeef');
    expect(out).not.toContain('x\\"y');
    expect(out).toContain('cnonce="cn"');
    expect(out.match(/\[secret\]/g)?.length).toBe(3);
  });

  it('client and server do not reveal the password or HMAC secret', () => {
    const client = new DigestClient({ username: 'alice', password: 'hunter2-secret' });
    const server = new DigestServer({
      realm: 'r',
      credentials: () => 'hunter2-secret',
      secret: Buffer.from('k3y-material'),
    });
    for (const text of [
      JSON.stringify(client),
      String(client),
      inspect(client),
      JSON.stringify(server),
      inspect(server),
    ]) {
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('k3y');
    }
  });
});

function serverFor(
  algorithms: DigestAlgorithm[],
  clock = new VirtualClock(),
  extra: Partial<ConstructorParameters<typeof DigestServer>[0]> = {},
) {
  const users: Record<string, string> = { alice: 'wonderland', bob: 'builder' };
  return new DigestServer({
    realm: 'sbc.test',
    algorithms,
    clock,
    nonceLifetimeMs: 60_000,
    credentials: (u) => users[u],
    ...extra,
  });
}

describe('DigestServer', () => {
  const algorithms: DigestAlgorithm[] = [
    'MD5',
    'MD5-sess',
    'SHA-256',
    'SHA-256-sess',
    'SHA-512-256',
    'SHA-512-256-sess',
  ];
  for (const alg of algorithms) {
    it(`round trip with ${alg}`, () => {
      const server = serverFor([alg]);
      const first = server.verify(undefined, { method: 'REGISTER', uri: 'sip:sbc.test' });
      expect(first.kind).toBe('no-credentials');
      if (first.kind !== 'no-credentials') return;
      expect(first.challenges[0]).toContain(`algorithm=${alg}`);
      const client = new DigestClient({ username: 'alice', password: 'wonderland' });
      const auth = client.authorize(first.challenges, 'REGISTER', 'sip:sbc.test');
      expect(auth).toBeDefined();
      const v = server.verify(auth, { method: 'REGISTER', uri: 'sip:sbc.test' });
      expect(v).toMatchObject({ kind: 'ok', username: 'alice', algorithm: alg, qop: 'auth', nc: 1 });
    });
  }

  it('round trip with an HA1 store, auth-int and no qop', () => {
    const ha1Server = new DigestServer({
      realm: 'sbc.test',
      algorithms: ['SHA-256'],
      credentials: (u, ctx) =>
        u === 'alice' ? { ha1: computeHa1(ctx.algorithm, u, ctx.realm, 'wonderland') } : undefined,
    });
    const ch = ha1Server.challenge();
    const client = new DigestClient({ username: 'alice', password: 'wonderland', preferAuthInt: true });
    const body = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n';
    // qop="auth" only is offered, so the client answers auth even though it prefers auth-int.
    const auth = client.authorize(ch, 'INVITE', 'sip:bob@sbc.test', body) ?? '';
    expect(ha1Server.verify(auth, { method: 'INVITE', uri: 'sip:bob@sbc.test', body }).kind).toBe('ok');
    const noQop = new DigestServer({ realm: 'sbc.test', qop: false, credentials: () => 'pw' });
    const a2 =
      new DigestClient({ username: 'x', password: 'pw' }).authorize(noQop.challenge(), 'REGISTER', 'sip:s') ??
      '';
    expect(a2).not.toContain('qop=');
    expect(noQop.verify(a2, { method: 'REGISTER', uri: 'sip:s' })).toMatchObject({
      kind: 'ok',
      username: 'x',
    });
  });

  it('wrong password → wrong-password; unknown user → unknown-user', () => {
    const server = serverFor(['SHA-256']);
    const ch = server.challenge();
    const bad = new DigestClient({ username: 'alice', password: 'nope' }).authorize(
      ch,
      'REGISTER',
      'sip:sbc.test',
    );
    expect(server.verify(bad, { method: 'REGISTER', uri: 'sip:sbc.test' }).kind).toBe('wrong-password');
    const who = new DigestClient({ username: 'mallory', password: 'x' }).authorize(
      ch,
      'REGISTER',
      'sip:sbc.test',
    );
    expect(server.verify(who, { method: 'REGISTER', uri: 'sip:sbc.test' })).toMatchObject({
      kind: 'unknown-user',
      username: 'mallory',
    });
  });

  it('a different method or body than signed fails as wrong-password', () => {
    const server = serverFor(['MD5']);
    const auth = new DigestClient({ username: 'bob', password: 'builder' }).authorize(
      server.challenge(),
      'INVITE',
      'sip:x',
    );
    expect(server.verify(auth, { method: 'INVITE', uri: 'sip:x' }).kind).toBe('ok');
    expect(server.verify(auth, { method: 'BYE', uri: 'sip:x' }).kind).toBe('wrong-password');
  });

  it('expired nonce with a correct response → stale, with a stale=TRUE challenge', () => {
    const clock = new VirtualClock();
    const server = serverFor(['MD5'], clock);
    const ch = server.challenge();
    clock.advance(60_001);
    const auth = new DigestClient({ username: 'alice', password: 'wonderland' }).authorize(
      ch,
      'REGISTER',
      'sip:sbc.test',
    );
    const v = server.verify(auth, { method: 'REGISTER', uri: 'sip:sbc.test' });
    expect(v.kind).toBe('stale');
    if (v.kind !== 'stale') return;
    const again = parseChallenge(v.challenges[0] ?? '');
    expect(again.ok && again.value.stale).toBe(true);
    // Answering the new challenge works.
    const auth2 = new DigestClient({ username: 'alice', password: 'wonderland' }).authorize(
      v.challenges,
      'REGISTER',
      'sip:sbc.test',
    );
    expect(server.verify(auth2, { method: 'REGISTER', uri: 'sip:sbc.test' }).kind).toBe('ok');
    // Expired nonce with a wrong password is wrong-password, not stale.
    clock.advance(60_001);
    const bad = new DigestClient({ username: 'alice', password: 'x' }).authorize(
      v.challenges,
      'REGISTER',
      'sip:sbc.test',
    );
    expect(server.verify(bad, { method: 'REGISTER', uri: 'sip:sbc.test' }).kind).toBe('wrong-password');
  });

  it('tampered or foreign nonces → bad-nonce', () => {
    const server = serverFor(['MD5']);
    const other = serverFor(['MD5']);
    const ch = parseChallenge(server.challenge()[0] ?? '');
    expect(ch.ok).toBe(true);
    if (!ch.ok) return;
    const n = ch.value.nonce;
    const flipped = (n[0] === 'A' ? 'B' : 'A') + n.slice(1);
    for (const nonce of [flipped, `${n}x`, 'short', other.issueNonce()]) {
      const auth = buildAuthorization({
        challenge: { ...ch.value, nonce },
        method: 'REGISTER',
        uri: 'sip:sbc.test',
        username: 'alice',
        password: 'wonderland',
      });
      expect(server.verify(auth, { method: 'REGISTER', uri: 'sip:sbc.test' }).kind, nonce).toBe('bad-nonce');
    }
  });

  it('uri-mismatch, malformed and replay verdicts', () => {
    const server = serverFor(['MD5'], new VirtualClock(), { replayCheck: true, replayTrackLimit: 2 });
    const ch = server.challenge();
    const mk = (nc: number) =>
      buildAuthorization({
        challenge: (parseChallenge(ch[0] ?? '') as { ok: true; value: DigestChallenge }).value,
        method: 'REGISTER',
        uri: 'sip:sbc.test',
        username: 'alice',
        password: 'wonderland',
        nc,
      });
    expect(server.verify(mk(1), { method: 'REGISTER', uri: 'sip:other.test' }).kind).toBe('uri-mismatch');
    expect(server.verify(mk(1), { method: 'REGISTER', uri: 'sip:sbc.test' }).kind).toBe('ok');
    expect(server.verify(mk(1), { method: 'REGISTER', uri: 'sip:sbc.test' })).toMatchObject({
      kind: 'replay',
      nc: 1,
    });
    expect(server.verify(mk(3), { method: 'REGISTER', uri: 'sip:sbc.test' }).kind).toBe('ok');
    const malformed = server.verify('Digest username="alice", realm="sbc.test"', {
      method: 'REGISTER',
      uri: 'sip:sbc.test',
    });
    expect(malformed).toMatchObject({ kind: 'malformed', reason: 'credentials without nonce' });
    expect(server.verify('garbage "', { method: 'REGISTER', uri: 'x' }).kind).toBe('malformed');
    const sha = new DigestClient({ username: 'alice', password: 'wonderland' }).authorize(
      'Digest realm="sbc.test", nonce="x", algorithm=SHA-256',
      'REGISTER',
      'sip:sbc.test',
    );
    expect(server.verify(sha, { method: 'REGISTER', uri: 'sip:sbc.test' })).toMatchObject({
      kind: 'malformed',
    });
  });
});
