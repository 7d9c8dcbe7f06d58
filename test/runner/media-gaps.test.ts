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

  /**
   * The SBC's stream with its silence from 4000 to 5000 ms left out: one source, numbering on;
   * its RTP clock runs on over the silence (8 ticks a ms), or with `clockPaused` it stopped with
   * the media and goes on one packet (160 ticks) later.
   */
  const vadStream = (o: { marker?: boolean; pt?: number; ssrc?: number; clockPaused?: boolean } = {}) => {
    const a = stream(0, 4000).map((p, k) => ({
      ...p,
      version: 2,
      seq: k,
      ts: 8 * p.at,
      ssrc: 1,
      marker: false,
    }));
    const b = stream(5000, 10_000).map((p, k) => ({
      ...p,
      version: 2,
      seq: a.length + k,
      ts: o.clockPaused ? 8 * (p.at - 1000) : 8 * p.at,
      ssrc: 1,
      marker: false,
    }));
    b[0] = { ...b[0]!, marker: o.marker ?? true, pt: o.pt ?? 8, ssrc: o.ssrc ?? 1 };
    return [...a, ...b];
  };
  // The far phone sent silence, packet after packet, from 3990 to 5000 ms only.
  const silentMid = (from: number, to: number) => from >= 3990 && to <= 5000;

  it('silence suppression without CN (RFC 3551 §4.1): legal while the far phone sent silence packet after packet and audio comes back as a talkspurt', () => {
    const legal = findMediaGaps(input({ received: vadStream(), farSilentThroughout: silentMid }));
    expect(legal.failures).toEqual([]);
    expect(legal.legal[0]?.legal).toMatch(/sent only silence.*RFC 3551 §4\.1/);
    expect(legal.suppressionResumed).toBe(true);
    const judge = (received: ReturnType<typeof vadStream>, far = silentMid) =>
      findMediaGaps(input({ received, farSilentThroughout: far })).failures;
    // A digit's first event packet (marked, numbered on) is the stream going on too.
    expect(judge(vadStream({ pt: 101 }))).toEqual([]);
    // Without the marker (a SHOULD, RFC 3551 §4.1) the timestamp that ran on over the silence
    // tells the talkspurt (RFC 3550 §5.1).
    const unmarked = findMediaGaps(
      input({ received: vadStream({ marker: false }), farSilentThroughout: silentMid }),
    );
    expect(unmarked.failures).toEqual([]);
    expect(unmarked.suppressionResumed).toBe(true);
    // What comes back starts no talkspurt: no marker, and a clock that stopped with the media.
    expect(judge(vadStream({ marker: false, clockPaused: true }))).toHaveLength(1);
    expect(judge(vadStream({ clockPaused: true }))).toEqual([]);
    // A new source (RFC 3550 §8.2) is a stream's first packet: nothing in its numbering to go
    // on from, marked or not; after audio from the far phone it stays a failure.
    expect(judge(vadStream({ ssrc: 2 }))).toEqual([]);
    expect(judge(vadStream({ ssrc: 2, marker: false, clockPaused: true }))).toEqual([]);
    expect(judge(vadStream({ ssrc: 2 }), () => false)).toHaveLength(1);
    // A new source of another payload type, or a datagram that is not RTP (a STUN keep-alive,
    // RFC 6263 §4.4: version 0, random bytes where the SSRC would be), is no stream coming back.
    expect(judge(vadStream({ ssrc: 2, pt: 0 }))).toHaveLength(1);
    const stun = vadStream({ ssrc: 0x5a3c9e01 }).map((p, k) => (k === 200 ? { ...p, version: 0 } : p));
    expect(judge(stun)).toHaveLength(1);
    expect(judge(vadStream().map((p, k) => (k === 200 ? { ...p, version: 0 } : p)))).toHaveLength(1);
    // The packet before the silence was a digit's (telephone-event/8000, its timestamp the
    // digit's start): unmarked audio after it whose clock ran on is a talkspurt too.
    const afterDigit = vadStream({ marker: false }).map((p, k) =>
      k >= 195 && k < 200 ? { ...p, pt: 101, ts: 8 * 3900 } : p,
    );
    expect(judge(afterDigit)).toEqual([]);
    const renumbered = vadStream().map((p, k) => (k >= 200 ? { ...p, seq: p.seq + 5 } : p));
    expect(judge(renumbered)).toHaveLength(1);
    // It played a tone at 4500 ms, or sent nothing (on hold, released): not silence.
    expect(judge(vadStream(), (from, to) => silentMid(from, to) && (to < 4500 || from > 4520))).toHaveLength(
      1,
    );
    expect(judge(vadStream(), () => false)).toHaveLength(1);
    // Not known what the far phone sent: a failure, as before.
    expect(findMediaGaps(input({ received: vadStream() })).failures).toHaveLength(1);
  });

  it('a stream that starts after the far phone sent only silence from the start: suppressed, marked or not', () => {
    const late = (marker: boolean) =>
      stream(1000, 10_000).map((p, k) => ({
        ...p,
        version: 2,
        seq: k,
        ts: 8 * p.at,
        ssrc: 1,
        marker: marker && k === 0,
      }));
    const silentStart = (_from: number, to: number) => to <= 1000;
    for (const marker of [true, false]) {
      const r = findMediaGaps(input({ received: late(marker), farSilentThroughout: silentStart }));
      expect(r.failures, `marker ${marker}`).toEqual([]);
      expect(r.legal[0]?.legal).toMatch(/sent only silence/);
      // The far phone sent audio then, or it is not known: media that started late.
      expect(
        findMediaGaps(input({ received: late(marker), farSilentThroughout: () => false })).failures,
      ).toHaveLength(1);
      expect(findMediaGaps(input({ received: late(marker) })).failures).toHaveLength(1);
    }
  });

  it('a silence to the hang-up is suppression only if the call showed it before and media had arrived', () => {
    const received = stream(0, 8000);
    const silentAfter = (from: number) => from >= 7990;
    const unknown = findMediaGaps(input({ received, farSilentThroughout: silentAfter }));
    expect(unknown.failures).toHaveLength(1);
    expect(unknown.failures[0]?.farSilent).toBe(true);
    expect(findMediaGaps(input({ received })).failures[0]?.farSilent).toBeUndefined();
    const r = findMediaGaps(input({ received, farSilentThroughout: silentAfter, suppressionSeen: true }));
    expect(r.failures).toEqual([]);
    expect(r.legal[0]?.legal).toMatch(/as seen earlier in this call/);
    // Nothing ever arrived (one-way audio): not excused, whatever the call showed.
    const none = findMediaGaps(
      input({ received: [], farSilentThroughout: () => true, suppressionSeen: true }),
    );
    expect(none.failures).toHaveLength(1);
    // A gap that ends without a talkspurt is no suppression, whatever the call showed.
    const r2 = findMediaGaps(
      input({
        received: vadStream({ marker: false, clockPaused: true }),
        farSilentThroughout: silentMid,
        suppressionSeen: true,
      }),
    );
    expect(r2.failures).toHaveLength(1);
    expect(r2.failures[0]?.farSilent).toBeUndefined();
  });

  it('a silence that runs into a hold is judged as one that came back; the media after the hold is judged again', () => {
    const received = [...stream(0, 3000), ...stream(6000, 10_000)];
    const spans = [
      { from: 0, to: 4000 },
      { from: 6250, to: 10_000 },
    ];
    const silentBeforeHold = (from: number, to: number) => from >= 2990 && to <= 4000;
    const r = findMediaGaps(input({ received, spans, farSilentThroughout: silentBeforeHold }));
    expect(r.failures).toEqual([]);
    expect(r.legal[0]?.legal).toMatch(/until a hold/);
    expect(findMediaGaps(input({ received, spans })).failures).toHaveLength(1);
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
  /** Packets every 20 ms from `at0`, with their RTP header fields; the first marked when asked. */
  const rtp = (
    n: number,
    o: { at0?: number; seq0?: number; ts0?: number; pt?: number; ssrc?: number; marker?: boolean } = {},
  ) =>
    Array.from({ length: n }, (_, i) => ({
      at: (o.at0 ?? 0) + 20 * i,
      pt: o.pt ?? 8,
      seq: ((o.seq0 ?? 100) + i) & 0xffff,
      ts: ((o.ts0 ?? 0) + 160 * i) >>> 0,
      ssrc: o.ssrc ?? 1,
      marker: i === 0 && o.marker === true,
    }));
  const silent = () => true;
  const te = new Set([101]);

  it('a talkspurt after a timestamp jump at consecutive sequence numbers, the far phone sending silence', () => {
    const a = rtp(10);
    const b = rtp(10, { at0: 700, seq0: 110, ts0: 1600 + 4000, marker: true });
    expect(silenceSuppressionSeen([...a, ...b], te, silent)).toBe(true);
    // The marker is a SHOULD (RFC 3551 §4.1): without it, the far phone must have sent sound in
    // the 100 ms before the packet arrived (a talkspurt is sound). Its own skipped slots after
    // a stall of the harness jump the timestamp too, but what it sent next was silence again.
    const silentUntil680 = (_from: number, to: number) => to <= 680;
    const soundFrom685 = (_from: number, to: number) => to >= 685;
    const unmarked = [...a, ...rtp(10, { at0: 700, seq0: 110, ts0: 5600 })];
    expect(silenceSuppressionSeen(unmarked, te, silentUntil680, soundFrom685)).toBe(true);
    expect(silenceSuppressionSeen(unmarked, te, silent, () => false)).toBe(false);
    expect(silenceSuppressionSeen(unmarked, te, silentUntil680)).toBe(false);
    // No jump (marked or not), or nothing known of the far phone: not seen.
    expect(
      silenceSuppressionSeen(
        [...a, ...rtp(10, { at0: 200, seq0: 110, ts0: 1600, marker: true })],
        te,
        silent,
      ),
    ).toBe(false);
    expect(silenceSuppressionSeen([...a, ...rtp(10, { at0: 700, seq0: 110, ts0: 1600 })], te, silent)).toBe(
      false,
    );
    expect(silenceSuppressionSeen([...a, ...b], te, undefined)).toBe(false);
  });

  it('a hold or a sender that skipped slots (the far phone not sending silence throughout) is not', () => {
    const a = rtp(10);
    const b = rtp(10, { at0: 700, seq0: 110, ts0: 5600, marker: true });
    expect(silenceSuppressionSeen([...a, ...b], te, () => false)).toBe(false);
  });

  it('a loss (sequence numbers skipped), a new source, or audio after a telephone event is not', () => {
    const a = rtp(10);
    expect(
      silenceSuppressionSeen(
        [...a, ...rtp(10, { at0: 700, seq0: 112, ts0: 5600, marker: true })],
        te,
        silent,
      ),
    ).toBe(false);
    expect(
      silenceSuppressionSeen(
        [...a, ...rtp(10, { at0: 700, seq0: 110, ts0: 90_000, ssrc: 2, marker: true })],
        te,
        silent,
      ),
    ).toBe(false);
    const event = rtp(8, { at0: 200, seq0: 110, ts0: 1600, pt: 101, marker: true }).map((p) => ({
      ...p,
      ts: 1600,
    }));
    const after = rtp(10, { at0: 360, seq0: 118, ts0: 3200, marker: true });
    expect(silenceSuppressionSeen([...a, ...event, ...after], te, silent)).toBe(false);
  });
});
