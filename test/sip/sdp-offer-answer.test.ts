import { describe, expect, it } from 'vitest';
import { buildSdp, parseSdp, type SdpDirection, type SdpSession } from '../../harness/sip/sdp.ts';
import { decodeCryptoKey } from '../../harness/sip/sdp-crypto.ts';
import { negotiate } from '../../harness/sip/sdp-negotiation.ts';
import {
  answerDirection,
  buildAnswer,
  buildOffer,
  intersectEvents,
  type LocalMediaPrefs,
  type LocalSdpPrefs,
  SdpEndpoint,
} from '../../harness/sip/sdp-offer-answer.ts';

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

function parsed(text: string): SdpSession {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`expected SDP to parse: ${r.error.reason}`);
  return r.value;
}

/** Deterministic "random" bytes: a counter, so keys are reproducible and distinct. */
function counterRandom(seed = 1): (n: number) => Uint8Array {
  let c = seed;
  return (n) => Uint8Array.from({ length: n }, () => c++ & 0xff);
}

function offerWith(
  direction: SdpDirection | undefined,
  extra: string[] = [],
  conn = '192.0.2.1',
): SdpSession {
  return parsed(
    crlf([
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.1',
      's=-',
      `c=IN IP4 ${conn}`,
      't=0 0',
      'm=audio 30000 RTP/AVP 18 8 0 96',
      'a=rtpmap:18 G729/8000',
      'a=fmtp:18 annexb=yes',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:96 telephone-event/8000',
      'a=fmtp:96 0-15',
      ...(direction ? [`a=${direction}`] : []),
      ...extra,
    ]),
  );
}

const ANSWERER: LocalSdpPrefs = {
  address: '198.51.100.7',
  media: [{ port: 40000, codecs: ['PCMA', { name: 'G729', fmtp: 'annexb=no' }], ptime: 20 }],
};

describe('offer builder', () => {
  it('assigns static and dynamic payload types, telephone-event, fmtp, ptime and direction', () => {
    const offer = buildOffer({
      address: '192.0.2.10',
      media: [
        {
          port: 10000,
          codecs: ['G722', 'PCMA', { name: 'G729', fmtp: 'annexb=no' }, 'opus', 'PCMU'],
          telephoneEvent: { pt: 101 },
          ptime: 20,
          direction: 'sendonly',
        },
      ],
    });
    const text = buildSdp(offer);
    expect(text).toContain('m=audio 10000 RTP/AVP 9 8 18 96 0 101\r\n');
    expect(text).toContain('a=rtpmap:9 G722/8000\r\n');
    expect(text).toContain('a=rtpmap:96 opus/48000/2\r\n');
    expect(text).toContain('a=fmtp:18 annexb=no\r\n');
    expect(text).toContain('a=rtpmap:101 telephone-event/8000\r\n');
    expect(text).toContain('a=fmtp:101 0-16\r\n');
    expect(text).toContain('a=ptime:20\r\n');
    expect(text).toContain('a=sendonly\r\n');
    expect(text).toContain('c=IN IP4 192.0.2.10\r\n');
  });

  it('offers RTP/SAVP with one crypto line per known suite and keys of the right size', () => {
    const offer = buildOffer(
      {
        address: '2001:db8::1',
        media: [
          {
            port: 10000,
            codecs: ['PCMA'],
            srtp: { suites: ['AES_CM_128_HMAC_SHA1_80', 'NOPE', 'AES_256_CM_HMAC_SHA1_80'] },
          },
        ],
      },
      (_i, suite) => ({
        method: 'inline',
        key: Buffer.alloc(suite.startsWith('AES_256') ? 46 : 30, 7).toString('base64'),
      }),
    );
    const m = offer.media[0];
    if (!m) throw new Error('no media');
    expect(m.protocol).toBe('RTP/SAVP');
    expect(m.crypto.map((c) => [c.tag, c.suite])).toEqual([
      [1, 'AES_CM_128_HMAC_SHA1_80'],
      [2, 'AES_256_CM_HMAC_SHA1_80'],
    ]);
    expect(decodeCryptoKey(m.crypto[0] ?? { tag: 0, suite: '', keys: [] })?.masterKey.length).toBe(16);
    expect(decodeCryptoKey(m.crypto[1] ?? { tag: 0, suite: '', keys: [] })?.masterSalt.length).toBe(14);
    expect(buildSdp(offer)).toContain('c=IN IP6 2001:db8::1\r\n');
  });
});

describe('o= line across re-offers (RFC 3264 §8)', () => {
  it('keeps sess-id, keeps the version for an unchanged re-offer and increments it on change', () => {
    const ep = new SdpEndpoint(
      {
        address: '192.0.2.10',
        media: [{ port: 10000, codecs: ['PCMA'], srtp: { suites: ['AES_CM_128_HMAC_SHA1_80'] } }],
      },
      { random: counterRandom(), initialVersion: '5' },
    );
    const first = ep.createOffer();
    const same = ep.createOffer();
    expect(first.origin.sessionVersion).toBe('5');
    expect(same.origin.sessionVersion).toBe('5');
    expect(buildSdp(same)).toBe(buildSdp(first));
    ep.prefs = { ...ep.prefs, media: [{ ...(ep.prefs.media[0] as LocalMediaPrefs), direction: 'sendonly' }] };
    const hold = ep.createOffer();
    expect(hold.origin.sessionVersion).toBe('6');
    expect(hold.origin.sessionId).toBe(first.origin.sessionId);
    // SDES keys stay the same across re-offers.
    expect(hold.media[0]?.crypto[0]?.keys[0]?.key).toBe(first.media[0]?.crypto[0]?.keys[0]?.key);
    const again = ep.createOffer();
    expect(again.origin.sessionVersion).toBe('6');
    ep.prefs = { ...ep.prefs, media: [{ ...(ep.prefs.media[0] as LocalMediaPrefs), direction: 'sendrecv' }] };
    expect(ep.createOffer().origin.sessionVersion).toBe('7');
  });

  it('an answer after an offer continues the same version sequence', () => {
    const ep = new SdpEndpoint(ANSWERER, { sessionId: '42' });
    const a1 = ep.createAnswer(offerWith('sendrecv')).answer;
    const a2 = ep.createAnswer(offerWith('sendrecv')).answer;
    const a3 = ep.createAnswer(offerWith('sendonly')).answer;
    expect([a1, a2, a3].map((a) => `${a.origin.sessionId}/${a.origin.sessionVersion}`)).toEqual([
      '42/1',
      '42/1',
      '42/2',
    ]);
  });
});

describe('answer rules (RFC 3264 §6)', () => {
  it('direction table: offer × local preference', () => {
    const table: [SdpDirection, SdpDirection, SdpDirection][] = [
      ['sendrecv', 'sendrecv', 'sendrecv'],
      ['sendrecv', 'sendonly', 'sendonly'],
      ['sendrecv', 'recvonly', 'recvonly'],
      ['sendrecv', 'inactive', 'inactive'],
      ['sendonly', 'sendrecv', 'recvonly'],
      ['sendonly', 'sendonly', 'inactive'],
      ['recvonly', 'sendrecv', 'sendonly'],
      ['recvonly', 'recvonly', 'inactive'],
      ['inactive', 'sendrecv', 'inactive'],
    ];
    for (const [offered, local, expected] of table) {
      expect(answerDirection(offered, local), `${offered}/${local}`).toBe(expected);
      const r = buildAnswer(offerWith(offered), {
        ...ANSWERER,
        media: [{ ...(ANSWERER.media[0] as LocalMediaPrefs), direction: local }],
      });
      expect(r.answer.media[0]?.direction, `${offered}/${local}`).toBe(expected);
    }
  });

  it('no direction attribute means sendrecv; c=0.0.0.0 hold is answered recvonly', () => {
    expect(buildAnswer(offerWith(undefined), ANSWERER).answer.media[0]?.direction).toBe('sendrecv');
    expect(buildAnswer(offerWith(undefined, [], '0.0.0.0'), ANSWERER).answer.media[0]?.direction).toBe(
      'recvonly',
    );
  });

  it("chooses common codecs in the answerer's order, or the offerer's, keeping the offered PTs", () => {
    const offer = offerWith('sendrecv');
    const ours = buildAnswer(offer, ANSWERER).answer.media[0];
    expect(ours?.formats.map((f) => `${f.pt} ${f.name} ${f.fmtp ?? ''}`.trim())).toEqual([
      '8 PCMA',
      '18 G729 annexb=no',
      '96 telephone-event 0-15',
    ]);
    const theirs = buildAnswer(offer, ANSWERER, { order: 'offerer' }).answer.media[0];
    expect(theirs?.formats.map((f) => f.pt)).toEqual([18, 8, 96]);
    const one = buildAnswer(offer, ANSWERER, { maxCodecs: 1 }).answer.media[0];
    expect(one?.formats.map((f) => f.pt)).toEqual([8, 96]);
    expect(ours?.port).toBe(40000);
    expect(ours?.ptime).toBe(20);
  });

  it('telephone-event is answered with the offered dynamic PT, and dropped when we disable it', () => {
    const offer = offerWith('sendrecv');
    const te = buildAnswer(offer, {
      ...ANSWERER,
      media: [{ ...(ANSWERER.media[0] as LocalMediaPrefs), telephoneEvent: { pt: 101 } }],
    }).answer.media[0]?.formats.find((f) => f.name === 'telephone-event');
    expect(te?.pt).toBe(96);
    const none = buildAnswer(offer, {
      ...ANSWERER,
      media: [{ ...(ANSWERER.media[0] as LocalMediaPrefs), telephoneEvent: false }],
    });
    expect(none.answer.media[0]?.formats.some((f) => f.name === 'telephone-event')).toBe(false);
  });

  it('telephone-event lists are intersected (offer without fmtp means 0-15)', () => {
    expect(intersectEvents('0-16', '0-15')).toBe('0-15');
    expect(intersectEvents('0-16', '0-15,66')).toBe('0-15');
    expect(intersectEvents('0-16,32-40', '5,7-9,16-35')).toBe('5,7-9,16,32-35');
    expect(intersectEvents('0-16', '32-40')).toBeUndefined();
    expect(intersectEvents('0-16', 'garbage,,')).toBeUndefined();
    const offer = offerWith('sendrecv', []);
    const fax = parsed(buildSdp(offer).replace('a=fmtp:96 0-15', 'a=fmtp:96 32-40'));
    expect(buildAnswer(fax, ANSWERER).answer.media[0]?.formats.some((f) => f.pt === 96)).toBe(false);
  });

  it('rejects with port 0 when nothing is in common, keeping the m= line count', () => {
    const offer = parsed(
      crlf([
        'v=0',
        'o=- 1 1 IN IP4 192.0.2.1',
        's=-',
        'c=IN IP4 192.0.2.1',
        't=0 0',
        'm=audio 30000 RTP/AVP 4 101',
        'a=rtpmap:101 telephone-event/8000',
        'm=video 30002 RTP/AVP 31',
        'm=audio 0 RTP/AVP 8',
        'm=audio 30004 RTP/AVP 8',
      ]),
    );
    const r = buildAnswer(offer, {
      address: '198.51.100.7',
      media: [
        { port: 40000, codecs: ['PCMA'] },
        { port: 40002, codecs: ['PCMA'] },
      ],
    });
    expect(r.answer.media.map((m) => `${m.type} ${m.port}`)).toEqual([
      'audio 0',
      'video 0',
      'audio 0',
      'audio 40002',
    ]);
    expect(r.media.map((m) => m.accepted)).toEqual([false, false, false, true]);
    expect(r.media[0]?.reason).toMatch(/no codec in common/);
    expect(r.acceptable).toBe(true);
    const text = buildSdp(r.answer);
    expect(text).toContain('m=audio 0 RTP/AVP 4 101\r\n');
    expect(parseSdp(text).ok).toBe(true);
    const none = buildAnswer(offerWith('sendrecv'), {
      address: '198.51.100.7',
      media: [{ port: 1, codecs: ['G722'] }],
    });
    expect(none.acceptable).toBe(false);
  });

  it('SRTP: picks the first offered suite we support, answers with our own key and the same tag', () => {
    const key80 = Buffer.alloc(30, 1).toString('base64');
    const key256 = Buffer.alloc(46, 2).toString('base64');
    const offer = parsed(
      crlf([
        'v=0',
        'o=- 1 1 IN IP4 192.0.2.1',
        's=-',
        'c=IN IP4 192.0.2.1',
        't=0 0',
        'm=audio 30000 RTP/SAVP 8',
        `a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:${key256}`,
        `a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:${key80}|2^20`,
        'a=crypto:9 AES_CM_128_HMAC_SHA1_32 inline:short',
      ]),
    );
    const ep = new SdpEndpoint(
      {
        address: '198.51.100.7',
        media: [
          {
            port: 4000,
            codecs: ['PCMA'],
            srtp: { suites: ['AES_CM_128_HMAC_SHA1_32', 'AES_CM_128_HMAC_SHA1_80'] },
          },
        ],
      },
      { random: counterRandom(50) },
    );
    const r = ep.createAnswer(offer);
    const m = r.answer.media[0];
    expect(m?.protocol).toBe('RTP/SAVP');
    expect(m?.crypto).toHaveLength(1);
    expect(m?.crypto[0]?.tag).toBe(7);
    expect(m?.crypto[0]?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(m?.crypto[0]?.keys[0]?.key).not.toBe(key80);
    expect(Buffer.from(m?.crypto[0]?.keys[0]?.key ?? '', 'base64').length).toBe(30);
    const n = negotiate(offer, r.answer).media[0];
    expect(n?.srtp).toMatchObject({
      suite: 'AES_CM_128_HMAC_SHA1_80',
      tag: 7,
      offererKey: { key: key80, lifetime: '2^20' },
    });
  });

  it('RTP/SAVP vs RTP/AVP mismatches are rejected', () => {
    const savp = parsed(
      crlf([
        'v=0',
        'o=- 1 1 IN IP4 192.0.2.1',
        's=-',
        'c=IN IP4 192.0.2.1',
        't=0 0',
        'm=audio 30000 RTP/SAVP 8',
        `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(30, 1).toString('base64')}`,
      ]),
    );
    const plainOnly = buildAnswer(savp, ANSWERER);
    expect(plainOnly.media[0]).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/SRTP is not enabled/),
    });
    expect(plainOnly.answer.media[0]?.port).toBe(0);
    const required = buildAnswer(offerWith('sendrecv'), {
      ...ANSWERER,
      media: [
        {
          ...(ANSWERER.media[0] as LocalMediaPrefs),
          srtp: { suites: ['AES_CM_128_HMAC_SHA1_80'], required: true },
        },
      ],
    });
    expect(required.media[0]).toMatchObject({ accepted: false, reason: expect.stringMatching(/required/) });
    const optional = buildAnswer(offerWith('sendrecv'), {
      ...ANSWERER,
      media: [{ ...(ANSWERER.media[0] as LocalMediaPrefs), srtp: { suites: ['AES_CM_128_HMAC_SHA1_80'] } }],
    });
    expect(optional.media[0]?.accepted).toBe(true);
    expect(optional.answer.media[0]?.protocol).toBe('RTP/AVP');
    expect(optional.answer.media[0]?.crypto).toEqual([]);
  });
});

describe('negotiation result', () => {
  it('end to end through text: codec, telephone-event PT, directions, flow and hold', () => {
    const caller = new SdpEndpoint(
      {
        address: '192.0.2.10',
        media: [{ port: 10000, codecs: ['G729', 'PCMA', 'PCMU'], telephoneEvent: { pt: 100 } }],
      },
      { random: counterRandom() },
    );
    const callee = new SdpEndpoint({
      address: '198.51.100.20',
      media: [{ port: 20000, codecs: ['PCMU', 'PCMA'] }],
    });
    const offer = parsed(buildSdp(caller.createOffer()));
    const answer = parsed(buildSdp(callee.createAnswer(offer).answer));
    const n = negotiate(offer, answer);
    expect(n.problems).toEqual([]);
    const m = n.media[0];
    expect(m?.codec?.name).toBe('PCMU');
    expect(m?.telephoneEvent).toEqual({ pt: 100, events: '0-16' });
    expect(m?.offerer).toMatchObject({
      direction: 'sendrecv',
      hold: false,
      address: '192.0.2.10',
      port: 10000,
    });
    expect(m?.answerer).toMatchObject({
      direction: 'sendrecv',
      hold: false,
      address: '198.51.100.20',
      port: 20000,
    });
    expect(m?.flow).toEqual({ offererToAnswerer: true, answererToOfferer: true });
    expect(m?.problems).toEqual([]);

    // The caller puts the call on hold with a re-offer; the callee answers recvonly.
    caller.prefs = {
      ...caller.prefs,
      media: [{ ...(caller.prefs.media[0] as LocalMediaPrefs), direction: 'sendonly' }],
    };
    const reoffer = parsed(buildSdp(caller.createOffer()));
    expect(BigInt(reoffer.origin.sessionVersion)).toBe(BigInt(offer.origin.sessionVersion) + 1n);
    const reanswer = parsed(buildSdp(callee.createAnswer(reoffer).answer));
    const h = negotiate(reoffer, reanswer).media[0];
    expect(h?.offerer.hold).toBe(true);
    expect(h?.answerer).toMatchObject({ direction: 'recvonly', hold: false });
    expect(h?.flow).toEqual({ offererToAnswerer: true, answererToOfferer: false });
  });

  it('c=0.0.0.0 hold: no media towards the holder', () => {
    const offer = offerWith(undefined, [], '0.0.0.0');
    const answer = buildAnswer(offer, ANSWERER).answer;
    const m = negotiate(offer, answer).media[0];
    expect(m?.offerer.hold).toBe(true);
    expect(m?.flow.answererToOfferer).toBe(false);
  });

  it('reports answers that break the rules instead of throwing', () => {
    const offer = offerWith('sendonly');
    const bad = parsed(
      crlf([
        'v=0',
        'o=- 2 2 IN IP4 198.51.100.7',
        's=-',
        'c=IN IP4 198.51.100.7',
        't=0 0',
        'm=audio 40000 RTP/AVP 9 96 8',
        'a=rtpmap:96 opus/48000/2',
        'a=sendrecv',
        'm=audio 40002 RTP/AVP 8',
      ]),
    );
    const n = negotiate(offer, bad);
    expect(n.problems[0]).toMatch(/m= lines/);
    const p = n.media[0]?.problems.join('\n') ?? '';
    expect(p).toMatch(/payload type 9 was not offered/);
    expect(p).toMatch(/maps PT 96 to opus/);
    expect(p).toMatch(/sends but the offer sendonly does not receive/);
    expect(n.media[0]?.codec?.name).toBe('PCMA');
  });
});
