import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codecLabel, sdpFacts } from '../../scenarios/sdp-facts.ts';

const SDP = (m: string, extra = '') =>
  `v=0\r\no=- 1 1 IN IP4 127.0.20.2\r\ns=-\r\nc=IN IP4 127.0.20.2\r\nt=0 0\r\n${m}\r\n${extra}`;

describe('sdpFacts', () => {
  it('lists audio codecs in m= order, leaving telephone-event and CN out', () => {
    const f = sdpFacts(
      SDP(
        'm=audio 4000 RTP/AVP 4 8 101 13',
        'a=rtpmap:4 G723/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:13 CN/8000\r\n',
      ),
    );
    expect(f.ok).toBe(true);
    if (!f.ok) return;
    expect(f.codecs).toEqual(['G723', 'PCMA']);
    expect(f.formats).toEqual(['G723', 'PCMA', 'TELEPHONE-EVENT', 'CN']);
    expect(f.comfortNoise).toBe(true);
    expect(f.address).toBe('127.0.20.2');
    expect(f.port).toBe(4000);
    expect(f.protocol).toBe('RTP/AVP');
  });

  it('reads static payload types without rtpmap, SAVP and crypto, silenceSupp', () => {
    const f = sdpFacts(
      SDP(
        'm=audio 4002 RTP/SAVP 0 9',
        'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzcyAoZ\r\na=silenceSupp:off - - - -\r\n',
      ),
    );
    expect(f.ok).toBe(true);
    if (!f.ok) return;
    expect(f.codecs).toEqual(['PCMU', 'G722']);
    expect(f.comfortNoise).toBe(false);
    expect(f.protocol).toBe('RTP/SAVP');
    expect(f.cryptoSuites).toEqual(['AES_CM_128_HMAC_SHA1_80']);
    expect(f.silenceSupp).toMatch(/^off/);
  });

  it('says why for missing or unreadable SDP, never throws', () => {
    expect(sdpFacts(undefined)).toEqual({ ok: false, reason: 'no SDP body' });
    expect(sdpFacts('garbage').ok).toBe(false);
    expect(sdpFacts(SDP('m=video 4000 RTP/AVP 96')).ok).toBe(false);
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const f = sdpFacts(s);
        expect(typeof f.ok).toBe('boolean');
      }),
      { numRuns: 200 },
    );
  });

  it('names codecs as an engineer writes them', () => {
    expect(codecLabel('PCMA')).toBe('G.711 A-law');
    expect(codecLabel('G723')).toBe('G.723.1');
    expect(codecLabel(undefined)).toBe('none');
  });
});
