import { describe, expect, it } from 'vitest';
import {
  buildSdp,
  effectiveDirection,
  isHold,
  isRejected,
  mediaConnection,
  parseCryptoKeys,
  parseSdp,
  type SdpSession,
} from '../../harness/sip/sdp.ts';

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

/** An offer shaped like an OXO Connect / LANCOM trunk INVITE. */
const OXO_OFFER = crlf([
  'v=0',
  'o=OXO 1712345678 1712345679 IN IP4 192.168.10.20',
  's=SIP Call',
  'c=IN IP4 192.168.10.20',
  't=0 0',
  'm=audio 32004 RTP/AVP 8 0 9 18 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=maxptime:40',
  'a=silenceSupp:off - - - -',
  'a=sendrecv',
]);

/** RFC 2543-style hold, static payload types without rtpmap, LF line endings. */
const OLD_HOLD = [
  'v=0',
  'o=- 20518 20519 IN IP4 203.0.113.1',
  's=-',
  'c=IN IP4 0.0.0.0',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 9 18 4',
  '',
].join('\n');

const SRTP_OFFER = crlf([
  'v=0',
  'o=provider 99 1 IN IP4 10.0.0.1',
  's=-',
  't=0 0',
  'm=audio 40000 RTP/SAVP 0 101',
  'c=IN IP4 10.0.0.1',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32',
  'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32 KDR=1',
  'a=rtcp:40001',
  'a=rtcp-mux',
  'a=sendonly',
]);

const IPV6 = crlf([
  'v=0',
  'o=- 123 456 IN IP6 2001:db8::10',
  's=-',
  'c=IN IP6 2001:db8::10',
  't=0 0',
  'a=recvonly',
  'm=audio 5004 RTP/AVP 96 8',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 useinbandfec=1',
  'a=ice-ufrag:abcd',
  'm=video 0 RTP/AVP 31',
]);

function parsed(text: string): SdpSession {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`expected SDP to parse: ${r.error.reason} (line ${r.error.line})`);
  return r.value;
}

describe('parseSdp on realistic SDPs', () => {
  it('reads an OXO/LANCOM-like offer: formats in order, fmtp, ptime, silenceSupp, direction', () => {
    const s = parsed(OXO_OFFER);
    expect(s.origin).toEqual({
      username: 'OXO',
      sessionId: '1712345678',
      sessionVersion: '1712345679',
      addrType: 'IP4',
      address: '192.168.10.20',
    });
    expect(s.connection).toEqual({ addrType: 'IP4', address: '192.168.10.20' });
    const m = s.media[0];
    expect(m).toBeDefined();
    if (!m) return;
    expect(m.formats.map((f) => [f.pt, f.name, f.clockRate])).toEqual([
      [8, 'PCMA', 8000],
      [0, 'PCMU', 8000],
      [9, 'G722', 8000],
      [18, 'G729', 8000],
      [101, 'telephone-event', 8000],
    ]);
    expect(m.formats.find((f) => f.pt === 18)?.fmtp).toBe('annexb=no');
    expect(m.formats.find((f) => f.pt === 101)?.fmtp).toBe('0-16');
    expect(m.ptime).toBe(20);
    expect(m.maxptime).toBe(40);
    expect(m.silenceSupp).toBe('off - - - -');
    expect(m.direction).toBe('sendrecv');
    expect(m.attributes).toEqual([]);
    expect(isHold(s, m)).toBe(false);
  });

  it('knows static payload types without rtpmap (G722 at 8000) and detects c=0.0.0.0 hold', () => {
    const s = parsed(OLD_HOLD);
    const m = s.media[0];
    if (!m) throw new Error('no media');
    expect(m.formats.map((f) => `${f.pt}:${f.name}/${f.clockRate}:${f.rtpmap}`)).toEqual([
      '0:PCMU/8000:false',
      '8:PCMA/8000:false',
      '9:G722/8000:false',
      '18:G729/8000:false',
      '4:G723/8000:false',
    ]);
    expect(effectiveDirection(s, m)).toBe('sendrecv');
    expect(isHold(s, m)).toBe(true);
  });

  it('reads SDES crypto lines with lifetime, MKI and session params; rtcp and rtcp-mux', () => {
    const s = parsed(SRTP_OFFER);
    const m = s.media[0];
    if (!m) throw new Error('no media');
    expect(m.protocol).toBe('RTP/SAVP');
    expect(m.crypto).toEqual([
      {
        tag: 1,
        suite: 'AES_CM_128_HMAC_SHA1_80',
        keys: [
          {
            method: 'inline',
            key: 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz',
            lifetime: '2^20',
            mki: '1:32',
          },
        ],
      },
      {
        tag: 2,
        suite: 'AES_CM_128_HMAC_SHA1_32',
        keys: [
          {
            method: 'inline',
            key: 'NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj',
            lifetime: '2^20',
            mki: '1:32',
          },
        ],
        sessionParams: 'KDR=1',
      },
    ]);
    expect(m.rtcp).toEqual({ port: 40001 });
    expect(m.rtcpMux).toBe(true);
    expect(s.connection).toBeUndefined();
    expect(mediaConnection(s, m)).toEqual({ addrType: 'IP4', address: '10.0.0.1' });
    expect(isHold(s, m)).toBe(true);
  });

  it('reads IPv6, session-level direction, channels, unknown attributes and a rejected stream', () => {
    const s = parsed(IPV6);
    expect(s.origin.addrType).toBe('IP6');
    expect(s.connection).toEqual({ addrType: 'IP6', address: '2001:db8::10' });
    expect(s.direction).toBe('recvonly');
    const [audio, video] = s.media;
    if (!audio || !video) throw new Error('two m= lines expected');
    expect(effectiveDirection(s, audio)).toBe('recvonly');
    expect(audio.formats[0]).toMatchObject({
      pt: 96,
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      fmtp: 'useinbandfec=1',
    });
    expect(audio.attributes).toEqual(['ice-ufrag:abcd']);
    expect(isRejected(video)).toBe(true);
    expect(video.formats[0]?.name).toBe('H261');
  });

  it('keeps a 64-bit sess-version exact', () => {
    const text = OXO_OFFER.replace('1712345679', '18446744073709551615');
    const s = parsed(text);
    expect(s.origin.sessionVersion).toBe('18446744073709551615');
    expect(buildSdp(s)).toContain('o=OXO 1712345678 18446744073709551615 IN IP4 192.168.10.20\r\n');
  });

  it('returns typed errors for broken SDP', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['hello world', /letter/],
      ['v=1\r\n', /v=0/],
      [OXO_OFFER.replace(/o=.*\r\n/, ''), /o=/],
      [OXO_OFFER.replace('c=IN IP4 192.168.10.20', 'c=IN IP4'), /c=/],
      [OXO_OFFER.replace('m=audio 32004 RTP/AVP', 'm=audio port RTP/AVP'), /m=/],
      [OXO_OFFER.replace('m=audio 32004', 'm=audio 99999'), /port/],
      [OXO_OFFER.replace(/c=.*\r\n/, ''), /c=/],
    ];
    for (const [text, reason] of cases) {
      const r = parseSdp(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.error.reason).toMatch(reason);
    }
  });

  it('parseCryptoKeys reads several keys separated by ";"', () => {
    expect(parseCryptoKeys('inline:AAAA|2^31;inline:BBBB|1:4')).toEqual([
      { method: 'inline', key: 'AAAA', lifetime: '2^31' },
      { method: 'inline', key: 'BBBB', mki: '1:4' },
    ]);
  });
});

describe('buildSdp', () => {
  it('writes CRLF lines only, starting with v=0', () => {
    const text = buildSdp(parsed(OLD_HOLD));
    expect(text.startsWith('v=0\r\n')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  for (const [name, text] of [
    ['OXO offer', OXO_OFFER],
    ['old hold', OLD_HOLD],
    ['SRTP offer', SRTP_OFFER],
    ['IPv6', IPV6],
  ] as const) {
    it(`round trip is stable: ${name}`, () => {
      const once = parsed(text);
      const built = buildSdp(once);
      const twice = parsed(built);
      expect(twice).toEqual(once);
      expect(buildSdp(twice)).toBe(built);
    });
  }

  it('keeps the m= format order and writes rtpmap only where the model says so', () => {
    const text = buildSdp(parsed(OXO_OFFER));
    expect(text).toContain('m=audio 32004 RTP/AVP 8 0 9 18 101\r\n');
    expect(text).toContain('a=fmtp:18 annexb=no\r\n');
    expect(text).toContain('a=silenceSupp:off - - - -\r\n');
    const hold = buildSdp(parsed(OLD_HOLD));
    expect(hold).not.toContain('a=rtpmap');
    expect(hold).toContain('c=IN IP4 0.0.0.0\r\n');
  });
});
