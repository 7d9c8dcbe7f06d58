/**
 * Pure parts of the reference SBC's media path: the 16↔8 kHz resampler of its transcoder
 * (passband kept, alias band removed, block-wise equal to one-shot), the per-side codec
 * policy (order, filter, fault switches), and the SDP it offers and answers on a leg.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Resampler as SbcResampler } from '../../harness/actors/resample.ts';
import type { SbcMediaPolicy } from '../../harness/actors/sbc-config.ts';
import { SbcLegSdp, sideCodecs } from '../../harness/actors/sbc-sdp.ts';
import { goertzelAmplitude } from '../../harness/media/analysis/index.ts';
import { parseSdp } from '../../harness/sip/index.ts';

function tone(hz: number, rate: number, n: number, amp = 10000): Int16Array {
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate));
  return x;
}

const POLICY: SbcMediaPolicy = {
  codecs: ['G722', 'PCMA', 'PCMU', 'G723'],
  telephoneEvent: true,
  dtmf: 'auto',
  infoFallback: false,
  detectInband: false,
  ptimeMs: 20,
};

describe('the resampler the SBC relay uses (resample.ts)', () => {
  it('16→8 kHz keeps a 1 kHz tone and removes a 6 kHz one (which would alias to 2 kHz)', () => {
    const r = new SbcResampler(16000, 8000);
    const x = tone(1000, 16000, 16000);
    const y = tone(6000, 16000, 16000);
    const mix = x.map((v, i) => v + y[i]!);
    const out = r.process(Int16Array.from(mix));
    expect(out.length).toBe(8000);
    const keep = goertzelAmplitude(out, 8000, 1000, 800, 8000);
    const alias = goertzelAmplitude(out, 8000, 2000, 800, 8000);
    expect(keep / 10000).toBeGreaterThan(0.95);
    expect(keep / 10000).toBeLessThan(1.05);
    expect(alias / 10000).toBeLessThan(0.01);
  });

  it('8→16 kHz keeps a 1 kHz tone and leaves no image at 7 kHz', () => {
    const r = new SbcResampler(8000, 16000);
    const out = r.process(tone(1000, 8000, 8000));
    expect(out.length).toBe(16000);
    expect(goertzelAmplitude(out, 16000, 1000, 1600, 16000) / 10000).toBeGreaterThan(0.95);
    expect(goertzelAmplitude(out, 16000, 7000, 1600, 16000) / 10000).toBeLessThan(0.01);
  });

  it('gives the same samples block by block as in one call, for any split', () => {
    const x = tone(700, 16000, 3200);
    const whole = new SbcResampler(16000, 8000).process(x);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const r = new SbcResampler(16000, 8000);
        const parts: number[] = [];
        let at = 0;
        for (const s of sizes) {
          const n = s * 2;
          if (at + n > x.length) break;
          parts.push(...r.process(x.subarray(at, at + n)));
          at += n;
        }
        expect(parts).toEqual([...whole.subarray(0, at / 2)]);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses rates it cannot convert', () => {
    expect(() => new SbcResampler(44100, 8000)).toThrow();
  });
});

describe('SBC codec policy and SDP', () => {
  it('filters codecs the host cannot transcode unless the other leg offers them, applies faults', () => {
    // G.723.1 is never encodable here: dropped unless the other leg offers it (relayed as is).
    expect(sideCodecs('lan', POLICY, {}, [])).toEqual(['G722', 'PCMA', 'PCMU']);
    // Only what can be bridged: a leg that has nothing but G.723.1 gets G.723.1 alone (relayed as is);
    // once it also has a codec this host transcodes, the others can be offered too.
    expect(sideCodecs('lan', POLICY, {}, ['G723'])).toEqual(['G723']);
    expect(sideCodecs('lan', POLICY, {}, ['G723', 'PCMA'])).toEqual(['G722', 'PCMA', 'PCMU', 'G723']);
    expect(sideCodecs('wan', POLICY, { 'force-narrowband': true }, [])).toEqual(['PCMA', 'PCMU']);
    expect(sideCodecs('lan', POLICY, { 'reorder-codecs': true }, [])).toEqual(['PCMU', 'PCMA', 'G722']);
    // The other leg's codec comes first, to avoid transcoding.
    expect(sideCodecs('wan', POLICY, {}, ['PCMU'], 'PCMU')).toEqual(['PCMU', 'G722', 'PCMA']);
  });

  it('offers RTP/SAVP with one crypto line when SRTP is set, and telephone-event unless stripped', () => {
    const leg = new SbcLegSdp('wan', '127.0.10.2', 40000, { ...POLICY, srtp: 'AES_CM_128_HMAC_SHA1_32' }, {});
    const offer = parseSdp(leg.createOffer(['PCMA']));
    expect(offer.ok).toBe(true);
    if (!offer.ok) return;
    const m = offer.value.media[0]!;
    expect([m.protocol, m.port, m.crypto.length, m.crypto[0]?.suite]).toEqual([
      'RTP/SAVP',
      40000,
      1,
      'AES_CM_128_HMAC_SHA1_32',
    ]);
    expect(m.formats.some((f) => f.name === 'telephone-event')).toBe(true);
    const stripped = new SbcLegSdp('lan', '127.0.20.2', 40002, POLICY, { 'strip-telephone-event': true });
    expect(stripped.createOffer([])).not.toMatch(/telephone-event/);
  });

  it('answers with the other leg codec when offered, and refuses offers with nothing in common or bad SDP', () => {
    const leg = new SbcLegSdp('lan', '127.0.20.2', 40004, POLICY, {});
    const offer =
      'v=0\r\no=- 1 1 IN IP4 127.0.20.1\r\ns=-\r\nc=IN IP4 127.0.20.1\r\nt=0 0\r\n' +
      'm=audio 5004 RTP/AVP 9 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n';
    const a = leg.answer(offer, 'PCMA');
    expect(a.ok).toBe(true);
    if (a.ok) {
      expect(a.negotiated.media.codec.name).toBe('PCMA');
      expect(a.negotiated.media.telephoneEventPt).toBe(101);
      expect(a.negotiated.remote).toEqual({ address: '127.0.20.1', port: 5004 });
    }
    const none = leg.answer(offer.replace('RTP/AVP 9 8 101', 'RTP/AVP 18 101'), undefined);
    expect(none.ok).toBe(false);
    expect(leg.answer('garbage', 'PCMA').ok).toBe(false);
    expect(leg.acceptAnswer('v=0\r\n').ok).toBe(false);
  });
});
