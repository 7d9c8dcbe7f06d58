/**
 * The one-way delay bound of the audio checks (harness/runner/audio-delay.ts): the profile's
 * G.114 allowance, plus the declared network, plus what the codecs add inside the SBC path.
 */
import { describe, expect, it } from 'vitest';
import { profileSchema } from '../../harness/config/profile-schema.ts';
import { codecImpairment, measurePayloadDelay } from '../../harness/media/analysis/index.ts';
import {
  DEFAULT_AUDIO_DELAY_POLICY,
  delayBound,
  eModelCodec,
  payloadDelayAtLeast,
} from '../../harness/runner/audio-delay.ts';

describe('delay bound of the audio checks', () => {
  it('is 150 ms beyond one packet of the receiving codec when nothing is transcoded', () => {
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'PCMA', 'PCMA')).toEqual({
      boundMs: 170,
      maxOneWayDelayMs: 150,
      networkDelayMs: 0,
      codecMs: 20,
    });
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'G722', 'G722').boundMs).toBe(170);
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'G723', 'G723').boundMs).toBe(180);
  });

  it('adds the receiving codec’s frame and look-ahead when the SBC transcodes', () => {
    const g729 = codecImpairment('G729');
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'PCMA', 'G729').codecMs).toBe(
      2 * g729.ptimeMs + g729.lookaheadMs,
    );
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'PCMA', 'G729').boundMs).toBe(195);
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'G729', 'PCMA').boundMs).toBe(190);
  });

  it('allows one packet as it arrived when the SBC repacketized into longer ones (RFC 3551 §4.2)', () => {
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'PCMA', 'PCMA', 20).boundMs).toBe(170);
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'PCMA', 'PCMA', 10).boundMs).toBe(170);
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'G722', 'G722', 40).boundMs).toBe(190);
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'PCMU', 'PCMU', 60).codecMs).toBe(60);
    // At most 200 ms a packet counts; a figure that is not a number counts as none.
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'PCMU', 'PCMU', 5000).codecMs).toBe(200);
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'PCMU', 'PCMU', Number.NaN).codecMs).toBe(20);
    // Transcoded: the arrived packet, then the codec's frame and look-ahead.
    const g729 = codecImpairment('G729');
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'PCMA', 'G729', 40).codecMs).toBe(
      40 + g729.ptimeMs + g729.lookaheadMs,
    );
  });

  it('takes the profile’s bound and declared network delay; negative values count as 0', () => {
    expect(delayBound({ maxOneWayDelayMs: 100, networkDelayMs: 40 }, 'PCMU', 'PCMU').boundMs).toBe(160);
    expect(delayBound({ maxOneWayDelayMs: -5, networkDelayMs: -1 }, 'PCMU', 'PCMU').boundMs).toBe(20);
    // An unknown codec is rated as G.711.
    expect(eModelCodec('opus')).toBe('PCMA');
    expect(delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'opus', 'opus').boundMs).toBe(170);
  });

  it('the profile schema defaults to the same policy and checks its range', () => {
    const audio = profileSchema.shape.audio;
    expect(audio.parse(undefined)).toEqual(DEFAULT_AUDIO_DELAY_POLICY);
    expect(audio.parse({ networkDelayMs: 40 })).toEqual({ maxOneWayDelayMs: 150, networkDelayMs: 40 });
    expect(audio.safeParse({ maxOneWayDelayMs: -1 }).success).toBe(false);
    expect(audio.safeParse({ maxOneWayDelay: 100 }).success).toBe(false);
  });
});

describe('payloadDelayAtLeast', () => {
  const frame = (v: number) => Uint8Array.from({ length: 24 }, (_, i) => (v * 31 + i) & 0xff);
  /** A loop of 80 frames sent every 30 ms; recorded for 1.6 s; arriving `delayMs` later. */
  const probe = (delayMs: number) => {
    const sent = Array.from({ length: 54 }, (_, k) => ({ payload: frame(k % 80), atMs: 30 * k }));
    const received = Array.from({ length: 200 }, (_, j) => {
      const k = j - 150;
      return { payload: frame(((k % 80) + 80) % 80), atMs: 30 * k + delayMs };
    }).filter((p) => p.atMs >= 0 && p.atMs <= 1600);
    return measurePayloadDelay(sent, received);
  };
  const bound = delayBound(DEFAULT_AUDIO_DELAY_POLICY, 'G723', 'G723');

  it('nothing sent during the recording arrived within it: the delay is at least the window less the slack', () => {
    const d = probe(2000);
    expect(d.found).toBe(false);
    expect(payloadDelayAtLeast(d, true, bound, 1600, 150)).toBe(1450);
    // Frames not intact, a bound above the proven limit, or a delay that was measured: nothing proven.
    expect(payloadDelayAtLeast(d, false, bound, 1600, 150)).toBeUndefined();
    expect(payloadDelayAtLeast(d, true, { ...bound, boundMs: 1500 }, 1600, 150)).toBeUndefined();
    const short = probe(300);
    expect(short.found).toBe(true);
    expect(short.delayMs).toBe(300);
    expect(payloadDelayAtLeast(short, true, bound, 1600, 150)).toBeUndefined();
  });
});
