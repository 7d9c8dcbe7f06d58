import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSdp, parseSdp, type SdpDirection } from '../../harness/sip/sdp.ts';
import { negotiate } from '../../harness/sip/sdp-negotiation.ts';
import { buildAnswer, buildOffer, type LocalMediaPrefs } from '../../harness/sip/sdp-offer-answer.ts';

const SEED = [
  'v=0',
  'o=OXO 1712345678 1712345679 IN IP4 192.168.10.20',
  's=SIP Call',
  'c=IN IP4 192.168.10.20',
  't=0 0',
  'm=audio 32004 RTP/SAVP 8 0 9 18 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32',
  'a=ptime:20',
  'a=rtcp:32005 IN IP4 192.168.10.20',
  'a=silenceSupp:off - - - -',
  'a=sendrecv',
  'm=video 0 RTP/AVP 31',
];

const lineNoise = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    'a=rtpmap:',
    'a=fmtp:x',
    'm=audio',
    'c=IN IP6 ::',
    'a=crypto:1 X',
    'a=rtcp:',
    'o=',
    'v=0',
    'a=ptime:abc',
  ),
);

/** Valid SDP with lines dropped, replaced, duplicated or cut. */
const mutatedSdp = fc
  .tuple(
    fc.array(fc.tuple(fc.nat(SEED.length - 1), fc.nat(3), lineNoise), { maxLength: 6 }),
    fc.constantFrom('\r\n', '\n', '\r'),
    fc.option(fc.nat(600)),
  )
  .map(([edits, eol, cut]) => {
    const lines = [...SEED];
    for (const [at, op, noise] of edits) {
      if (op === 0) lines.splice(at, 1);
      else if (op === 1) lines[at] = noise;
      else if (op === 2) lines.splice(at, 0, lines[at] ?? '');
      else lines[at] = `${lines[at] ?? ''}${noise}`;
    }
    const text = lines.join(eol) + eol;
    return cut === null ? text : text.slice(0, cut);
  });

describe('SDP parser never throws (fast-check)', () => {
  it('on arbitrary strings and on mutated valid SDP', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), mutatedSdp), (text) => {
        const r = parseSdp(text);
        expect(typeof r.ok).toBe('boolean');
        if (r.ok) {
          // Whatever parsed must write back and parse again to the same model.
          const again = parseSdp(buildSdp(r.value));
          expect(again.ok).toBe(true);
          if (again.ok) expect(again.value).toEqual(r.value);
        }
      }),
      { numRuns: 2500 },
    );
  });
});

const CODECS = ['PCMA', 'PCMU', 'G722', 'G729', 'G723', 'opus', 'iLBC', 'CN'];
const DIRS: SdpDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

const mediaPrefs: fc.Arbitrary<LocalMediaPrefs> = fc.record({
  port: fc.integer({ min: 1024, max: 65534 }),
  codecs: fc.uniqueArray(fc.constantFrom(...CODECS), { minLength: 1, maxLength: 5 }),
  ptime: fc.constantFrom(10, 20, 30, 40),
  direction: fc.constantFrom(...DIRS),
  telephoneEvent: fc.oneof(fc.constant(false as const), fc.record({ pt: fc.integer({ min: 96, max: 127 }) })),
  srtp: fc.option(
    fc.record({ suites: fc.constant(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']) }),
    {
      nil: undefined,
    },
  ),
  nullConnectionHold: fc.boolean(),
});

describe('offer/answer properties (fast-check)', () => {
  it('parse(build(offer)) is stable and every answer is consistent with its offer', () => {
    fc.assert(
      fc.property(
        fc.array(mediaPrefs, { minLength: 1, maxLength: 3 }),
        fc.array(mediaPrefs, { minLength: 0, maxLength: 3 }),
        fc.constantFrom('192.0.2.1', '2001:db8::5'),
        fc.constantFrom('answerer' as const, 'offerer' as const),
        (offerer, answerer, address, order) => {
          const offer = buildOffer({ address, media: offerer });
          const text = buildSdp(offer);
          const parsedOffer = parseSdp(text);
          expect(parsedOffer.ok).toBe(true);
          if (!parsedOffer.ok) return;
          expect(parsedOffer.value).toEqual(offer);
          const r = buildAnswer(parsedOffer.value, { address: '198.51.100.9', media: answerer }, { order });
          const parsedAnswer = parseSdp(buildSdp(r.answer));
          expect(parsedAnswer.ok).toBe(true);
          if (!parsedAnswer.ok) return;
          expect(parsedAnswer.value.media).toHaveLength(offer.media.length);
          const n = negotiate(parsedOffer.value, parsedAnswer.value);
          expect(n.problems).toEqual([]);
          for (const m of n.media) {
            expect(m.problems).toEqual([]);
            expect(m.rejected).toBe(!r.media[m.index]?.accepted);
            if (!m.rejected) expect(m.codec).toBeDefined();
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
