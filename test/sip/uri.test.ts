/**
 * URIs: parse/format round trips, RFC 3261 §19.1.4 equality with the RFC's own example pairs,
 * IPv6 references, escaping, tel and other schemes, and rejection of malformed URIs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatHost,
  formatUri,
  getParam,
  isSipUri,
  isTelUri,
  parseHostPort,
  parseUri,
  setParam,
  type Uri,
  unescapeUri,
  uriEquals,
} from '../../harness/sip/uri.ts';

function uri(text: string): Uri {
  const r = parseUri(text);
  if (!r.ok) throw new Error(`"${text}" did not parse: ${r.reason}`);
  return r.value;
}

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const fcOpts = (numRuns: number) => (seed === undefined ? { numRuns } : { numRuns, seed });

describe('parseUri / formatUri', () => {
  it.each([
    'sip:alice@atlanta.example.com',
    'sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr',
    'sip:+4930123456;phone-context=example.test@gw.example.test;user=phone',
    'sip:[2001:db8::1]:5060;maddr=[2001:db8::2]',
    'sip:192.0.2.4',
    'sip:host.example.test.',
    'sip:alice@atlanta.example.com?subject=project%20x&priority=urgent',
    'sip:a%20b@h.example.test;x=%41',
    'sip:agent;par=u%40example.net@example.test',
    "sip:1_odd.USER~(!)&isn't+it$/wild?,/;;*:pw&=+$,@example.test",
    'tel:+1-201-555-0123;phone-context=example.test',
    'tel:7042;phone-context=example.test;ext=12',
    'urn:service:sos',
    'mailto:someone@example.test',
  ])('round-trips %s exactly', (text) => {
    expect(formatUri(uri(text))).toBe(text);
  });

  it('splits a SIP URI into its parts', () => {
    const u = uri(
      'sips:bob:pw@Biloxi.Example.COM:5071;transport=TLS;lr;maddr=10.0.0.1?Subject=hi%20there&X=1',
    );
    expect(isSipUri(u)).toBe(true);
    if (!isSipUri(u)) return;
    expect(u).toEqual({
      scheme: 'sips',
      user: 'bob',
      password: 'pw',
      host: 'Biloxi.Example.COM',
      port: 5071,
      params: [
        ['transport', 'TLS'],
        ['lr', null],
        ['maddr', '10.0.0.1'],
      ],
      headers: [
        ['Subject', 'hi%20there'],
        ['X', '1'],
      ],
    });
    expect(getParam(u.params, 'TRANSPORT')).toBe('TLS');
    expect(getParam(u.params, 'lr')).toBeNull();
    expect(getParam(u.params, 'ttl')).toBeUndefined();
  });

  it('keeps "?" and ";" of the user part out of headers and parameters (first "@" ends the userinfo)', () => {
    const u = uri('sip:who?;x@example.test;p=1?h=v');
    expect(isSipUri(u) && [u.user, u.host, u.params, u.headers]).toEqual([
      'who?;x',
      'example.test',
      [['p', '1']],
      [['h', 'v']],
    ]);
  });

  it('lower-cases the scheme, keeps everything else as written', () => {
    const u = uri('SIP:Alice@Example.TEST');
    expect(u.scheme).toBe('sip');
    expect(formatUri(u)).toBe('sip:Alice@Example.TEST');
  });

  it('parses tel and other schemes', () => {
    const t = uri('tel:+4930123456;isub=1411;phone-context=+49');
    expect(isTelUri(t) && t.number).toBe('+4930123456');
    expect(isTelUri(t) && t.params).toEqual([
      ['isub', '1411'],
      ['phone-context', '+49'],
    ]);
    expect(uri('soap.beep://192.0.2.103:3002')).toEqual({
      scheme: 'soap.beep',
      text: 'soap.beep://192.0.2.103:3002',
    });
  });

  it.each([
    ['', 'no scheme'],
    ['alice@example.test', 'no scheme'],
    ['1sip:alice@h', 'invalid scheme'],
    ['sip:alice@', 'empty host'],
    ['sip:@example.test', 'empty user'],
    ['sip:al ice@example.test', 'whitespace'],
    ['<sip:alice@example.test>', 'invalid scheme'],
    ['sip:alice@exa_mple.test', 'host'],
    ['sip:alice@example.test:5o60', 'port'],
    ['sip:alice@example.test:65536', 'port'],
    ['sip:alice@256.1.1.1', 'IPv4'],
    ['sip:alice@[2001:db8::1', 'unterminated IPv6'],
    ['sip:alice@[2001:db8:::1]', 'IPv6'],
    ['sip:alice@[1.2.3.4]', 'IPv6'],
    ['sip:alice@[::1]5060', 'after IPv6'],
    ['sip:alice@2001:db8::1', 'host'],
    ['sip:al%zzice@example.test', 'user'],
    ['sip:alice@example.test;a b', 'whitespace'],
    ['sip:alice@example.test;x="q"', 'whitespace, quotes'],
    ['sip:alice@example.test?noequals', 'header'],
    ['tel:not a number', 'whitespace'],
    ['tel:abc-xyz', 'number'],
  ])('rejects %j (%s)', (text, why) => {
    const r = parseUri(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('bad-uri');
      expect(r.reason.toLowerCase()).toContain(why.toLowerCase().split(',')[0]);
    }
  });
});

describe('IPv6 and host:port', () => {
  it('parses bracketed IPv6 with and without port, and formats the brackets back', () => {
    expect(parseHostPort('[2001:db8::9:1]:6050')).toEqual({
      ok: true,
      value: { host: '2001:db8::9:1', port: 6050 },
    });
    expect(parseHostPort('[::1]')).toEqual({ ok: true, value: { host: '::1' } });
    expect(parseHostPort('[::ffff:192.0.2.1]:5060')).toEqual({
      ok: true,
      value: { host: '::ffff:192.0.2.1', port: 5060 },
    });
    expect(formatHost('2001:db8::1')).toBe('[2001:db8::1]');
    expect(formatHost('[2001:db8::1]')).toBe('[2001:db8::1]');
    expect(formatHost('192.0.2.1')).toBe('192.0.2.1');
  });

  it('compares IPv6 hosts case-insensitively', () => {
    expect(uriEquals(uri('sip:a@[2001:DB8::A]'), uri('sip:a@[2001:db8::a]'))).toBe(true);
  });
});

describe('escaping', () => {
  it('unescapes %XX and leaves invalid escapes alone', () => {
    expect(unescapeUri('I%20have%20spaces')).toBe('I have spaces');
    expect(unescapeUri('null-%00-null')).toBe('null-\u0000-null');
    expect(unescapeUri('%Z%45%4')).toBe('%ZE%4');
    expect(unescapeUri('%25%34%31')).toBe('%41');
  });

  it('treats an escaped user equal to the plain one (RFC 3261 §19.1.4)', () => {
    expect(uriEquals(uri('sip:%61lice@h.example.test'), uri('sip:alice@h.example.test'))).toBe(true);
    expect(uriEquals(uri('sip:a%40b@h.example.test'), uri('sip:a%40B@h.example.test'))).toBe(false);
  });

  it('setParam replaces case-insensitively or appends', () => {
    const p = setParam(
      [
        ['Transport', 'udp'],
        ['lr', null],
      ],
      'transport',
      'tcp',
    );
    expect(p).toEqual([
      ['Transport', 'tcp'],
      ['lr', null],
    ]);
    expect(setParam(p, 'maddr', '10.0.0.1').at(-1)).toEqual(['maddr', '10.0.0.1']);
  });
});

describe('uriEquals: RFC 3261 §19.1.4 example pairs', () => {
  it.each([
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
    ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'],
    [
      'sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com',
      'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com',
    ],
    [
      'sip:alice@atlanta.com?subject=project%20x&priority=urgent',
      'sip:alice@atlanta.com?priority=urgent&subject=project%20x',
    ],
  ])('%s equals %s', (a, b) => {
    expect(uriEquals(uri(a), uri(b))).toBe(true);
    expect(uriEquals(uri(b), uri(a))).toBe(true);
  });

  it.each([
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
    ['sip:alice@atlanta.com', 'sips:alice@atlanta.com'],
    ['sip:alice@atlanta.com;user=phone', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com;maddr=10.0.0.1', 'sip:alice@atlanta.com;maddr=10.0.0.2'],
    ['sip:alice:pw1@atlanta.com', 'sip:alice:pw2@atlanta.com'],
  ])('%s differs from %s', (a, b) => {
    expect(uriEquals(uri(a), uri(b))).toBe(false);
    expect(uriEquals(uri(b), uri(a))).toBe(false);
  });

  it('repeated URI headers compare as a multiset (regression: was not even reflexive)', () => {
    const a = uri('sip:a@h.example.test?x=1&x=2');
    expect(uriEquals(a, a)).toBe(true);
    expect(uriEquals(a, uri('sip:a@h.example.test?x=2&X=1'))).toBe(true);
    expect(uriEquals(a, uri('sip:a@h.example.test?x=1&x=1'))).toBe(false);
  });

  it('tel URIs compare without visual separators; other schemes by text', () => {
    expect(uriEquals(uri('tel:+1-201-555-0123'), uri('tel:+1(201)5550123'))).toBe(true);
    expect(uriEquals(uri('tel:+1-201-555-0123'), uri('tel:+1-201-555-0124'))).toBe(false);
    expect(uriEquals(uri('urn:x:y'), uri('urn:x:y'))).toBe(true);
    expect(uriEquals(uri('urn:x:y'), uri('urn:x:z'))).toBe(false);
  });
});

describe('properties', () => {
  const alnum = fc.constantFrom(
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''),
  );
  const userChar = fc.oneof(
    alnum,
    fc.constantFrom(..."-_.!~*'()&=+$,;?/".split('')),
    fc.integer({ min: 0, max: 255 }).map((n) => `%${n.toString(16).padStart(2, '0').toUpperCase()}`),
  );
  const label = fc
    .tuple(
      fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'.split('')),
      fc.array(fc.oneof(alnum, fc.constant('-')), { maxLength: 8 }),
      alnum,
    )
    .map(([a, mid, z]) => `${a}${mid.join('')}${z}`);
  const host = fc.oneof(
    fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.')),
    fc.ipV4(),
    fc.ipV6().map((h) => `[${h}]`),
  );
  // paramchar / hnv chars of RFC 3261 §25.1 (unreserved plus a few; "`" is a token char but not a URI char).
  const pchar = fc.oneof(alnum, fc.constantFrom(..."-_.!~*'()[]/:&+$".split('')));
  const token = fc.array(pchar, { minLength: 1, maxLength: 8 }).map((a) => a.join(''));
  const hchar = fc.oneof(alnum, fc.constantFrom(..."-_.!~*'()[]/?:+$".split('')));
  const htoken = fc.array(hchar, { minLength: 1, maxLength: 8 }).map((a) => a.join(''));
  const param = fc
    .tuple(token, fc.option(token, { nil: null }))
    .map(([n, v]) => (v === null ? `;${n}` : `;${n}=${v}`));
  const header = fc.tuple(htoken, htoken).map(([n, v]) => `${n}=${v}`);
  const sipText = fc
    .record({
      scheme: fc.constantFrom('sip', 'sips'),
      user: fc.option(
        fc.array(userChar, { minLength: 1, maxLength: 12 }).map((a) => a.join('')),
        { nil: undefined },
      ),
      host,
      port: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
      params: fc.array(param, { maxLength: 4 }),
      headers: fc.array(header, { maxLength: 3 }),
    })
    .map(
      (r) =>
        `${r.scheme}:${r.user !== undefined ? `${r.user}@` : ''}${r.host}${r.port !== undefined ? `:${r.port}` : ''}${r.params.join('')}${r.headers.length ? `?${r.headers.join('&')}` : ''}`,
    );

  it('generated SIP/SIPS URIs parse and format back to the same text', () => {
    fc.assert(
      fc.property(sipText, (text) => {
        const r = parseUri(text);
        expect(r.ok, text).toBe(true);
        if (r.ok) expect(formatUri(r.value)).toBe(text);
      }),
      fcOpts(3000),
    );
  });

  it('uriEquals is reflexive and symmetric on generated URIs, and parse(format(u)) equals u', () => {
    fc.assert(
      fc.property(sipText, sipText, (a, b) => {
        const ua = uri(a);
        const ub = uri(b);
        expect(uriEquals(ua, ua)).toBe(true);
        expect(uriEquals(ua, ub)).toBe(uriEquals(ub, ua));
        expect(uriEquals(uri(formatUri(ua)), ua)).toBe(true);
      }),
      fcOpts(2000),
    );
  });
});
