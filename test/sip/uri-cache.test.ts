/**
 * parseUri's table of parsed URIs (uri.ts, URI_CACHE_SIZE): a text parsed before comes back as
 * the same frozen object; texts that share an entry of the table replace each other without
 * being confused; errors are parsed again each time.
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
  it('the same text gives the same frozen URI, its parameter and header lists frozen too', () => {
    const text = `sip:alice@atlanta.example:5070;transport=udp;lr?subject=${Date.now()}`;
    const a = sip(text);
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

  it('a bad URI is an error each time, and does not take the place of a good one', () => {
    const good = 'sip:bob@biloxi.example';
    const a = sip(good);
    const bad = 'sip:bob@biloxi example';
    const first = parseUri(bad);
    const second = parseUri(bad);
    expect(first.ok).toBe(false);
    expect(second.ok).toBe(false);
    // Parsed again: not the result kept from the first time.
    expect(second).not.toBe(first);
    expect(sip(good)).toBe(a);
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
    const a = parseMessage(msg('one1'));
    const b = parseMessage(msg('two2'));
    if (!a.ok || !b.ok) throw new Error('parse failed');
    expect(b.message.from?.uri).toBe(a.message.from?.uri);
    expect(a.message.from?.params).toEqual([['tag', 'one1']]);
    expect(b.message.from?.params).toEqual([['tag', 'two2']]);
    expect(a.message.fromTag).toBe('one1');
    expect(b.message.fromTag).toBe('two2');
  });
});
