/**
 * The media judge of the call invariants on hand-made packet timelines (findMediaGaps,
 * comfortNoiseOf): a silence longer than the bound is a failure with its start and length,
 * comfort noise and declared silence suppression make it legal, a stall of the harness is
 * taken out of it, and only the spans where media is expected count.
 */
import { describe, expect, it } from 'vitest';
import {
  comfortNoiseOf,
  findMediaGaps,
  type MediaGapInput,
  silenceSuppressionSeen,
} from '../../harness/runner/index.ts';

/** Packets every 20 ms in [from, to), payload type `pt`. */
function stream(from: number, to: number, pt = 8): Array<{ at: number; pt: number }> {
  const out: Array<{ at: number; pt: number }> = [];
  for (let t = from; t < to; t += 20) out.push({ at: t, pt });
  return out;
}

function input(o: Partial<MediaGapInput>): MediaGapInput {
  return {
    received: [],
    spans: [{ from: 0, to: 10_000 }],
    boundMs: 500,
    comfortNoisePts: new Set([13]),
    silenceSupp: false,
    stalls: () => [],
    ...o,
  };
}

describe('findMediaGaps', () => {
  it('a steady stream has no gap; its longest interval is the packet time', () => {
    const r = findMediaGaps(input({ received: stream(0, 10_000) }));
    expect(r.failures).toEqual([]);
    expect(r.longestMs).toBe(20);
    expect(r.packets).toBe(500);
  });

  it('media stopping at 8 s is a failure from the last packet to the end of the span', () => {
    const r = findMediaGaps(input({ received: stream(0, 8000) }));
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatchObject({ fromMs: 7980, toMs: 10_000, lengthMs: 2020 });
  });

  it('a silence within the bound is not a failure; one beyond it is', () => {
    const short = [...stream(0, 4000), ...stream(4400, 10_000)];
    expect(findMediaGaps(input({ received: short })).failures).toEqual([]);
    const long = [...stream(0, 4000), ...stream(4600, 10_000)];
    expect(findMediaGaps(input({ received: long })).failures).toHaveLength(1);
  });

  it('a silence after a comfort-noise packet is legal, one after audio is not', () => {
    const cn = [...stream(0, 4000), { at: 4000, pt: 13 }, ...stream(6000, 10_000)];
    const r = findMediaGaps(input({ received: cn }));
    expect(r.failures).toEqual([]);
    expect(r.legal[0]?.legal).toMatch(/comfort-noise/);
    const dyn = [...stream(0, 4000), { at: 4000, pt: 105 }, ...stream(6000, 10_000)];
    expect(findMediaGaps(input({ received: dyn })).failures).toHaveLength(1);
    expect(findMediaGaps(input({ received: dyn, comfortNoisePts: new Set([13, 105]) })).failures).toEqual([]);
  });

  it('declared silence suppression makes any silence legal', () => {
    const r = findMediaGaps(input({ received: stream(0, 3000), silenceSupp: true }));
    expect(r.failures).toEqual([]);
    expect(r.legal[0]?.legal).toMatch(/silenceSupp/);
  });

  it('silence suppression without CN (RFC 3551 §4.1): legal while the far phone sent only silence, not while it sent audio', () => {
    const received = [...stream(0, 4000), ...stream(5000, 10_000)];
    // The far phone was silent from 3990 to 5000 ms: the SBC left its silence out.
    const silentThen = (from: number, to: number) =>
      !(from >= 3990 && to <= 5000) && (to < 3990 || from > 4990);
    const legal = findMediaGaps(input({ received, partnerAudible: silentThen }));
    expect(legal.failures).toEqual([]);
    expect(legal.legal[0]?.legal).toMatch(/sent only silence.*RFC 3551 §4\.1/);
    // It played a tone at 4500 ms that never arrived: media was lost, not silence.
    const tone = (from: number, to: number) => silentThen(from, to) || (from <= 4520 && to >= 4500);
    expect(findMediaGaps(input({ received, partnerAudible: tone })).failures).toHaveLength(1);
    // Not known what the far phone sent: a failure, as before.
    expect(findMediaGaps(input({ received })).failures).toHaveLength(1);
  });

  it('a gap to the end of the span while the far phone was silent is suppression only if the stream showed it before', () => {
    const received = stream(0, 8000);
    const silentAfter = (_from: number, to: number) => to < 7990;
    const unknown = findMediaGaps(input({ received, partnerAudible: silentAfter }));
    expect(unknown.failures).toHaveLength(1);
    expect(unknown.failures[0]?.farSilent).toBe(true);
    expect(findMediaGaps(input({ received })).failures[0]?.farSilent).toBeUndefined();
    const r = findMediaGaps(input({ received, partnerAudible: silentAfter, suppressionSeen: true }));
    expect(r.failures).toEqual([]);
    expect(r.legal[0]?.legal).toMatch(/as seen earlier in this case/);
  });

  it('a stall of the harness inside the gap is taken out of its length', () => {
    const received = [...stream(0, 4000), ...stream(5200, 10_000)];
    expect(findMediaGaps(input({ received })).failures).toHaveLength(1);
    const r = findMediaGaps(input({ received, stalls: () => [{ fromMs: 4100, toMs: 5000 }] }));
    expect(r.failures).toEqual([]);
  });

  it('only the spans where media is expected count (hold windows are left out)', () => {
    const received = [...stream(0, 3000), ...stream(6000, 10_000)];
    const spans = [
      { from: 0, to: 3000 },
      { from: 6250, to: 10_000 },
    ];
    expect(findMediaGaps(input({ received, spans })).failures).toEqual([]);
    expect(findMediaGaps(input({ received })).failures).toHaveLength(1);
  });
});

describe('comfortNoiseOf', () => {
  it('reads dynamic CN payload types and a=silenceSupp:on from the peer SDP', () => {
    const sdp = 'v=0\r\nm=audio 4000 RTP/AVP 8 105\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:105 CN/8000\r\n';
    expect([...comfortNoiseOf([sdp]).pts].sort()).toEqual([105, 13]);
    expect(comfortNoiseOf([sdp]).silenceSupp).toBe(false);
    expect(comfortNoiseOf([`${sdp}a=silenceSupp:on - - - -\r\n`, undefined]).silenceSupp).toBe(true);
    expect(comfortNoiseOf([`${sdp}a=silenceSupp:off - - - -\r\n`]).silenceSupp).toBe(false);
  });
});

describe('silenceSuppressionSeen', () => {
  const rtp = (n: number, o: { seq0?: number; ts0?: number; pt?: number; ssrc?: number } = {}) =>
    Array.from({ length: n }, (_, i) => ({
      pt: o.pt ?? 8,
      seq: ((o.seq0 ?? 100) + i) & 0xffff,
      ts: ((o.ts0 ?? 0) + 160 * i) >>> 0,
      ssrc: o.ssrc ?? 1,
    }));

  it('a timestamp jump at consecutive sequence numbers is a talkspurt boundary', () => {
    const a = rtp(10);
    const b = rtp(10, { seq0: 110, ts0: 1600 + 4000 });
    expect(silenceSuppressionSeen([...a, ...b], new Set([101]))).toBe(true);
    expect(silenceSuppressionSeen([...a, ...rtp(10, { seq0: 110, ts0: 1600 })], new Set([101]))).toBe(false);
  });

  it('a loss (sequence numbers skipped), a new source, or audio after a telephone event is not', () => {
    const a = rtp(10);
    expect(silenceSuppressionSeen([...a, ...rtp(10, { seq0: 112, ts0: 1600 + 4000 })], new Set())).toBe(
      false,
    );
    expect(silenceSuppressionSeen([...a, ...rtp(10, { seq0: 110, ts0: 90_000, ssrc: 2 })], new Set())).toBe(
      false,
    );
    const event = rtp(8, { seq0: 110, ts0: 1600, pt: 101 }).map((p) => ({ ...p, ts: 1600 }));
    const after = rtp(10, { seq0: 118, ts0: 1600 + 1600 });
    expect(silenceSuppressionSeen([...a, ...event, ...after], new Set([101]))).toBe(false);
  });
});
