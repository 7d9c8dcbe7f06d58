/**
 * Header value parsers: lists, parameters, name-addr, Via, CSeq, scalars, Replaces,
 * Session-Expires, RAck, Subscription-State, token lists, Content-Type; round trips of the
 * formatters through the parsers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatNameAddr,
  formatReplaces,
  formatVia,
  isToken,
  parseContentType,
  parseCSeq,
  parseNameAddr,
  parseNameAddrList,
  parseParams,
  parseRAck,
  parseReplaces,
  parseSessionExpires,
  parseSubscriptionState,
  parseTokenList,
  parseUnsigned,
  parseVia,
  quoteString,
  splitList,
  unquote,
  viaBranch,
} from '../../harness/sip/header-values.ts';
import type { ParseResult } from '../../harness/sip/parse-result.ts';
import { formatUri, isSipUri } from '../../harness/sip/uri.ts';

function ok<T>(r: ParseResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.code}: ${r.reason}`);
  return r.value;
}

function bad<T>(r: ParseResult<T>): string {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.value)}`);
  expect(['bad-value', 'bad-uri']).toContain(r.code);
  return r.reason;
}

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const fcOpts = (numRuns: number) => (seed === undefined ? { numRuns } : { numRuns, seed });

describe('splitList', () => {
  it('splits at top-level commas only', () => {
    expect(splitList('a, b ,c')).toEqual(['a', 'b', 'c']);
    expect(splitList('"Doe, John" <sip:j@h>, <sip:x@h;p=1,2>')).toEqual([
      '"Doe, John" <sip:j@h>',
      '<sip:x@h;p=1,2>',
    ]);
    expect(splitList('"esc \\", still" <sip:a@h>, b')).toEqual(['"esc \\", still" <sip:a@h>', 'b']);
    expect(splitList(' , ,, ')).toEqual([]);
    expect(splitList('"unterminated, x')).toEqual(['"unterminated, x']);
  });
});

describe('parseParams', () => {
  it('reads flags, values, quoted values with escapes, LWS, and host values', () => {
    expect(
      ok(parseParams(' ; tag = abc ;lr; q=0.7;x="a \\"b\\"; c";received=[2001:db8::1];maddr=10.0.0.1')),
    ).toEqual([
      ['tag', 'abc'],
      ['lr', null],
      ['q', '0.7'],
      ['x', '"a \\"b\\"; c"'],
      ['received', '[2001:db8::1]'],
      ['maddr', '10.0.0.1'],
    ]);
    expect(ok(parseParams(''))).toEqual([]);
  });

  it.each(['tag=1', ';;', ';=v', ';a=', ';a="open', ';a=b c', ';a=<x>', ';a b=c'])('rejects %j', (t) => {
    bad(parseParams(t));
  });
});

describe('parseNameAddr / formatNameAddr', () => {
  it('parses quoted, token and absent display names', () => {
    const a = ok(parseNameAddr('"Alice \\"A\\" Smith" <sip:alice@example.test>;tag=1'));
    expect(a.displayName).toBe('Alice "A" Smith');
    expect(a.params).toEqual([['tag', '1']]);
    expect(ok(parseNameAddr('Bob  Smith <sip:bob@example.test>')).displayName).toBe('Bob  Smith');
    expect(ok(parseNameAddr('<sip:c@example.test>')).displayName).toBeUndefined();
    expect(ok(parseNameAddr('"" <sip:c@example.test>')).displayName).toBe('');
  });

  it('addr-spec: parameters after the URI are header parameters (RFC 3261 §20.10)', () => {
    const a = ok(parseNameAddr('sip:alice@example.test;tag=88;transport=tcp'));
    expect(isSipUri(a.uri) && a.uri.params).toEqual([]);
    expect(a.params).toEqual([
      ['tag', '88'],
      ['transport', 'tcp'],
    ]);
    const b = ok(parseNameAddr('<sip:alice@example.test;transport=tcp>;tag=88'));
    expect(isSipUri(b.uri) && b.uri.params).toEqual([['transport', 'tcp']]);
    expect(b.params).toEqual([['tag', '88']]);
  });

  it('rejects malformed addresses', () => {
    expect(bad(parseNameAddr('"open <sip:a@h>'))).toMatch(/unterminated/);
    expect(bad(parseNameAddr('"name" sip:a@h'))).toMatch(/expected "<"/);
    expect(bad(parseNameAddr('<sip:a@h'))).toMatch(/unterminated/);
    expect(bad(parseNameAddr('Bell, Alexander <sip:a@h>'))).toMatch(/display name/);
    expect(bad(parseNameAddr('sip:a@h?subject=x'))).toMatch(/<>/);
    bad(parseNameAddr('< sip:a@h >'));
    bad(parseNameAddr('sip:a @h'));
    bad(parseNameAddr('<sip:a@h> junk'));
    bad(parseNameAddr(''));
  });

  it('formats and re-parses to the same value', () => {
    const text = '"Q \\"uote\\" \\\\ back" <sip:a@[2001:db8::1]:5070;lr>;tag=x;expires=60';
    const na = ok(parseNameAddr(text));
    expect(formatNameAddr(na)).toBe(text);
    expect(ok(parseNameAddr(formatNameAddr(na)))).toEqual(na);
  });

  it('parses a Contact list with commas inside quotes', () => {
    const l = ok(parseNameAddrList(['"A, B" <sip:a@h>;q=0.5, sip:b@h', '<sip:c@h>']));
    expect(l.map((x) => (isSipUri(x.uri) ? x.uri.user : ''))).toEqual(['a', 'b', 'c']);
    bad(parseNameAddrList(['<sip:a@h>, garbage here']));
  });

  it('property: format(parse) of generated name-addrs is a fixed point', () => {
    const name = fc.string({ maxLength: 12 }).filter((s) => !/[\r\n]/.test(s));
    const tok = fc.stringMatching(/^[A-Za-z0-9\-.!*_+~]{1,8}$/);
    fc.assert(
      fc.property(
        fc.option(name, { nil: undefined }),
        tok,
        tok,
        fc.array(fc.tuple(tok, fc.option(tok, { nil: null })), { maxLength: 3 }),
        (dn, user, tag, params) => {
          const text = formatNameAddr({
            ...(dn !== undefined ? { displayName: dn } : {}),
            uri: { scheme: 'sip', user, host: 'example.test', params: [], headers: [] },
            params: [['tag', tag], ...params],
          });
          const na = ok(parseNameAddr(text));
          expect(na.displayName).toBe(dn);
          expect(formatNameAddr(na)).toBe(text);
        },
      ),
      fcOpts(2000),
    );
  });
});

describe('parseVia / formatVia', () => {
  it('reads protocol, transport, host, port and params with LWS anywhere the grammar allows', () => {
    const v = ok(
      parseVia(' SIP / 2.0 / udp  host.example.test : 5062 ; branch = z9hG4bK1 ;rport;received=192.0.2.1'),
    );
    expect(v).toEqual({
      protocol: 'SIP/2.0',
      transport: 'UDP',
      host: 'host.example.test',
      port: 5062,
      params: [
        ['branch', 'z9hG4bK1'],
        ['rport', null],
        ['received', '192.0.2.1'],
      ],
    });
    expect(viaBranch(v)).toBe('z9hG4bK1');
  });

  it('reads IPv6 sent-by and formats it back with brackets', () => {
    const text = 'SIP/2.0/TLS [2001:db8::9:1]:5061;branch=z9hG4bKv6;received=[2001:db8::9:255]';
    const v = ok(parseVia(text));
    expect(v.host).toBe('2001:db8::9:1');
    expect(formatVia(v)).toBe(text);
  });

  it.each([
    'SIP/2.0 host',
    'SIP/2.0/UDP',
    'SIP/2.0/UDP host;;',
    'SIP/2.0/UDP host;branch=',
    'SIP/2.0/UDP ho st',
    'SIP/2.0/UDP host:port',
    'SIP/2.0/UDP [2001:db8::1',
    'SIP/2.0/UDP ;branch=x',
  ])('rejects %j', (t) => {
    bad(parseVia(t));
  });
});

describe('scalars', () => {
  it('CSeq: number below 2^31 with leading zeros and LWS; method token', () => {
    expect(ok(parseCSeq('  0000000000000000042   INVITE '))).toEqual({ seq: 42, method: 'INVITE' });
    expect(ok(parseCSeq('2147483647 BYE')).seq).toBe(2147483647);
    expect(bad(parseCSeq('2147483648 BYE'))).toMatch(/2\^31/);
    bad(parseCSeq('36893488147419103232 REGISTER'));
    bad(parseCSeq('-1 BYE'));
    bad(parseCSeq('1'));
    bad(parseCSeq('1 IN VITE'));
    bad(parseCSeq('x INVITE'));
  });

  it('unsigned: bounds, leading zeros, garbage', () => {
    expect(ok(parseUnsigned('0068', 255, 'Max-Forwards'))).toBe(68);
    expect(ok(parseUnsigned('255', 255, 'Max-Forwards'))).toBe(255);
    expect(bad(parseUnsigned('256', 255, 'Max-Forwards'))).toContain('Max-Forwards');
    expect(ok(parseUnsigned(' 00000000000000000000000007 ', 10, 'X'))).toBe(7);
    for (const t of ['', '-1', '+1', '1.5', '1e3', '0x10', '12 34', '99999999999999999999999'])
      bad(parseUnsigned(t, 2 ** 32, 'X'));
  });
});

describe('other header values', () => {
  it('Replaces parses and round-trips', () => {
    const r = ok(parseReplaces('abc@h;to-tag=t1;from-tag=f1;early-only'));
    expect(r).toEqual({ callId: 'abc@h', toTag: 't1', fromTag: 'f1', earlyOnly: true });
    expect(ok(parseReplaces(formatReplaces(r)))).toEqual(r);
    bad(parseReplaces('abc@h;to-tag=t1'));
    bad(parseReplaces(';to-tag=t1;from-tag=f1'));
  });

  it('Session-Expires, RAck, Subscription-State', () => {
    expect(ok(parseSessionExpires('1800;refresher=UAC'))).toEqual({ deltaSeconds: 1800, refresher: 'uac' });
    expect(ok(parseSessionExpires('90'))).toEqual({ deltaSeconds: 90 });
    bad(parseSessionExpires('soon'));
    expect(ok(parseRAck(' 776656 1 INVITE '))).toEqual({ rseq: 776656, cseq: 1, method: 'INVITE' });
    bad(parseRAck('1 INVITE'));
    expect(ok(parseSubscriptionState('Active;expires=600'))).toEqual({
      state: 'active',
      params: [['expires', '600']],
    });
    bad(parseSubscriptionState('act ive'));
  });

  it('token lists and Content-Type', () => {
    expect(ok(parseTokenList(['timer, 100rel', 'replaces']))).toEqual(['timer', '100rel', 'replaces']);
    bad(parseTokenList(['timer, not a token']));
    expect(ok(parseContentType('Multipart/Mixed ; boundary="x y"'))).toEqual({
      type: 'multipart',
      subtype: 'mixed',
      params: [['boundary', '"x y"']],
    });
    bad(parseContentType('application'));
    bad(parseContentType('a/b/c'));
  });

  it('quoteString/unquote invert each other; isToken matches RFC 3261 token', () => {
    for (const s of ['plain', 'with "quotes"', 'back\\slash', '']) expect(unquote(quoteString(s))).toBe(s);
    expect(isToken("a-.!%*_+`'~Z9")).toBe(true);
    for (const s of ['', 'a b', 'a,b', 'a:b', 'a"b', 'a<b', 'é']) expect(isToken(s)).toBe(false);
  });

  it('formatted URIs inside name-addrs keep IPv6 brackets', () => {
    const na = ok(parseNameAddr('<sip:[::1]:5060>'));
    expect(formatUri(na.uri)).toBe('sip:[::1]:5060');
  });
});
