/**
 * parseUri's table of parsed URIs (uri.ts, URI_CACHE_SIZE): a text seen before comes back, from
 * its second sighting on, as the same frozen object; texts that share an entry of the table
 * replace each other without being confused; errors are parsed again each time.
 */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../harness/sip/parser.ts';
import { isSipUri, parseUri, type SipUri } from '../../harness/sip/uri.ts';

function sip(text: string): SipUri {
  const r = parseUri(text);
  if (!r.ok || !isSipUri(r.value)) throw new Error(`not a SIP URI: ${text}`);
  return r.value;
}

describe('parseUri keeps what it parsed', () => {
  it('a text seen once is parsed for the caller alone; from its second sighting on it gives one frozen URI, its lists frozen too', () => {
    const text = `sip:alice@atlanta.example:5070;transport=udp;lr?subject=${Date.now()}`;
    const first = sip(text);
    // The first sighting is not kept: the caller's own URI, not frozen.
    expect(Object.isFrozen(first)).toBe(false);
    const a = sip(text);
    expect(a).not.toBe(first);
    expect(a).toEqual(first);
    // A copy of the text made apart (another string with the same characters) finds it too.
    const b = sip(` ${text}`.slice(1));
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.params)).toBe(true);
    expect(a.params.every((p) => Object.isFrozen(p))).toBe(true);
    expect(Object.isFrozen(a.headers)).toBe(true);
    expect(a.headers.every((p) => Object.isFrozen(p))).toBe(true);
    // Changing it in place throws (modules are strict) instead of changing it for every holder.
    expect(() => {
      (a as { host: string }).host = 'biloxi.example';
    }).toThrow(TypeError);
    expect(() => a.params.push(['maddr', '192.0.2.1'])).toThrow(TypeError);
    expect(() => {
      a.params[0]![1] = 'tcp';
    }).toThrow(TypeError);
    expect(a).toEqual({
      scheme: 'sip',
      user: 'alice',
      host: 'atlanta.example',
      port: 5070,
      params: [
        ['transport', 'udp'],
        ['lr', null],
      ],
      headers: [['subject', expect.any(String)]],
    });
  });

  it('many texts through a table of few entries: each comes back as what it says, however they take turns', () => {
    // 400 texts, many with the same length and the same last character, parsed in three orders.
    const texts: string[] = [];
    for (let i = 0; i < 400; i++) {
      const user = `u${String(i).padStart(4, '0')}`;
      const host = `10.0.${i % 7}.${i % 5}`;
      texts.push(i % 3 === 0 ? `sip:${user}@${host}` : `sip:${user}@${host}:${5000 + (i % 10)};x=${i % 4}`);
    }
    const orders = [
      texts,
      [...texts].reverse(),
      texts.filter((_, i) => i % 2 === 0).concat(texts.filter((_, i) => i % 2 === 1)),
    ];
    for (const order of orders) {
      for (const t of order) {
        const u = sip(t);
        const i = Number(t.slice(5, 9));
        expect(u.user).toBe(`u${String(i).padStart(4, '0')}`);
        expect(u.host).toBe(`10.0.${i % 7}.${i % 5}`);
        if (i % 3 === 0) {
          expect(u.port).toBeUndefined();
          expect(u.params).toEqual([]);
        } else {
          expect(u.port).toBe(5000 + (i % 10));
          expect(u.params).toEqual([['x', String(i % 4)]]);
        }
      }
    }
  });

  it('a bad URI is an error each time (never kept, however often seen); a good one on its entry comes back right', () => {
    // Same length, last and middle character: both texts fall on one entry of the table.
    const good = 'sip:bob@biloxi.example';
    const bad = 'sip:bob@biloxi example';
    sip(good);
    const a = sip(good);
    expect(Object.isFrozen(a)).toBe(true);
    const results = [parseUri(bad), parseUri(bad), parseUri(bad)];
    for (const r of results) expect(r.ok).toBe(false);
    // Parsed again each time: not a result kept from an earlier time.
    expect(new Set(results).size).toBe(3);
    // The bad text took the entry: the good one is parsed again, and right.
    const again = sip(good);
    expect(again).toEqual(a);
    expect(sip(good)).toBe(sip(good));
    expect(parseUri('').ok).toBe(false);
  });

  it('messages that carry the same URI text share one URI; their own parts (tags) stay their own', () => {
    const msg = (tag: string) =>
      'OPTIONS sip:carol@chicago.example SIP/2.0\r\n' +
      'Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK' +
      tag +
      '\r\nMax-Forwards: 70\r\n' +
      `From: <sip:dave@denver.example>;tag=${tag}\r\n` +
      'To: <sip:carol@chicago.example>\r\n' +
      `Call-ID: ${tag}@192.0.2.4\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
    // Each text is kept from its second sighting: the Request-URI's text comes again in To at
    // once, the From's in the second message.
    const a = parseMessage(msg('one1'));
    const b = parseMessage(msg('two2'));
    const c = parseMessage(msg('six6'));
    if (!a.ok || !b.ok || !c.ok) throw new Error('parse failed');
    expect(c.message.from?.uri).toBe(b.message.from?.uri);
    expect(Object.isFrozen(b.message.from?.uri)).toBe(true);
    expect(b.message.to?.uri).toBe(a.message.to?.uri);
    expect(a.message.from?.params).toEqual([['tag', 'one1']]);
    expect(b.message.from?.params).toEqual([['tag', 'two2']]);
    expect(a.message.fromTag).toBe('one1');
    expect(b.message.fromTag).toBe('two2');
  });
});
