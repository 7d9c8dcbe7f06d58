/**
 * The media judge of the call invariants on hand-made packet timelines (findMediaGaps,
 * comfortNoiseOf): a silence longer than the bound is a failure with its start and length,
 * comfort noise and declared silence suppression make it legal, a stall of the harness is
 * taken out of it, and only the spans where media is expected count.
 */
import { describe, expect, it } from 'vitest';
import { comfortNoiseOf, findMediaGaps, type MediaGapInput } from '../../harness/runner/index.ts';

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
