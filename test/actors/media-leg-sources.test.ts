/**
 * The pieces under MediaLeg that need no sockets: the 8 ↔ 16 kHz resampler, the audio
 * sources (tone, music on hold and its detector, PCM, live queue), and MediaLeg's SDP
 * handling under arbitrary input (fast-check).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detectMoh,
  MOH_NOTES_HZ,
  mohSource,
  PcmQueueSource,
  pcmSource,
  speechSource,
  toneSource,
} from '../../harness/actors/audio-sources.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { canResample, Resampler, resample } from '../../harness/actors/resample.ts';
import { analyseTone, levelDbfs, sineTone } from '../../harness/media/analysis/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

function drain(src: { next(n: number): Int16Array | null }, block: number, max = 1_000_000): Int16Array {
  const parts: Int16Array[] = [];
  let total = 0;
  for (let i = 0; i < 10_000 && total < max; i++) {
    const p = src.next(block);
    if (!p) break;
    parts.push(p);
    total += p.length;
  }
  const out = new Int16Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('Resampler', () => {
  it('8 → 16 kHz keeps a 1 kHz tone at its frequency and level', () => {
    const x = sineTone({ frequencyHz: 1000, levelDbfs: -10 }, { sampleRate: 8000, durationMs: 500 });
    const y = resample(x, 8000, 16000);
    expect(y.length).toBe(2 * x.length);
    const t = analyseTone(y, 16000, { expectedHz: 1000, start: 800 });
    expect(t.present).toBe(true);
    expect(Math.abs(t.frequencyHz - 1000)).toBeLessThan(0.5);
    expect(Math.abs(t.levelDbfs - -10)).toBeLessThan(0.3);
    // No image of the tone at 7 kHz (16000 − 1000 would be 15 kHz; 8000 − 1000 is the image).
    const image = analyseTone(y, 16000, { start: 800, searchHz: [6000, 7900] });
    expect(image.levelDbfs).toBeLessThan(-60);
  });

  it('16 → 8 kHz passes 3 kHz and stops 6 kHz (which would alias to 2 kHz)', () => {
    const pass = resample(
      sineTone({ frequencyHz: 3000, levelDbfs: -10 }, { sampleRate: 16000, durationMs: 500 }),
      16000,
      8000,
    );
    expect(pass.length).toBe(4000);
    expect(Math.abs(levelDbfs(pass, 400) - -10)).toBeLessThan(1);
    const stop = resample(
      sineTone({ frequencyHz: 6000, levelDbfs: -10 }, { sampleRate: 16000, durationMs: 500 }),
      16000,
      8000,
    );
    expect(levelDbfs(stop, 400)).toBeLessThan(-60);
  });

  it('gives the same samples block by block as in one go', () => {
    const x = sineTone({ frequencyHz: 700, levelDbfs: -6 }, { sampleRate: 16000, durationMs: 200 });
    const whole = resample(x, 16000, 8000);
    const r = new Resampler(16000, 8000);
    const parts: number[] = [];
    for (let i = 0; i < x.length; i += 320) parts.push(...r.process(x.subarray(i, i + 320)));
    expect(Int16Array.from(parts)).toEqual(whole);
  });

  it('accepts integer ratios up to 6 only and treats non-finite input as silence', () => {
    expect(canResample(8000, 48000)).toBe(true);
    expect(canResample(44100, 8000)).toBe(false);
    expect(() => new Resampler(44100, 16000)).toThrow(RangeError);
    const y = new Resampler(8000, 16000).process([Number.NaN, Number.POSITIVE_INFINITY, 0]);
    expect(Array.from(y).every((v) => v === 0)).toBe(true);
  });
});

describe('audio sources', () => {
  it('toneSource lasts its duration and is phase-continuous across blocks', () => {
    const a = drain(toneSource(1000, 8000, -13, 250), 160);
    expect(a.length).toBe(2000);
    const b = drain(toneSource(1000, 8000, -13, 250), 2000);
    expect(a).toEqual(b);
    expect(Math.abs(levelDbfs(a) - -13)).toBeLessThan(0.2);
  });

  it('the music-on-hold melody is recognised, a steady tone and speech are not', () => {
    const moh = drain(mohSource(16000), 320, 16000 * 3);
    const d = detectMoh(moh, 16000);
    expect(d.present).toBe(true);
    expect(d.noteShares).toHaveLength(MOH_NOTES_HZ.length);
    const tone = drain(toneSource(440, 16000, -16, 3000), 320);
    expect(detectMoh(tone, 16000).present).toBe(false);
    const speech = drain(speechSource(16000, 3000), 320);
    expect(detectMoh(speech, 16000).present).toBe(false);
    expect(detectMoh(new Int16Array(16000), 16000).windows).toBe(0);
  });

  it('pcmSource plays once or loops', () => {
    const pcm = Int16Array.from([1, 2, 3]);
    expect(Array.from(drain(pcmSource(pcm, 8000), 2))).toEqual([1, 2, 3]);
    expect(Array.from(pcmSource(pcm, 8000, true).next(7)!)).toEqual([1, 2, 3, 1, 2, 3, 1]);
  });

  it('PcmQueueSource plays what was pushed, fills with silence, bounds its queue and ends', () => {
    const q = new PcmQueueSource(8000, 1);
    q.push(Int16Array.from([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]));
    expect(q.length).toBe(8);
    expect(q.dropped).toBe(2);
    expect(Array.from(q.next(10)!)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 0, 0]);
    expect(q.underruns).toBe(2);
    q.end();
    expect(q.next(4)).toBeNull();
  });
});

describe('MediaLeg SDP input never throws', () => {
  const vc = new VirtualClock();
  let leg: MediaLeg;
  beforeAll(async () => {
    leg = await MediaLeg.open({
      localAddress: '127.0.84.1',
      prefs: { codecs: ['PCMA', 'G722'], telephoneEvent: true },
      clock: vc,
      rtcpIntervalMs: 0,
    });
  });
  afterAll(async () => {
    await leg.close();
  });

  it('acceptOffer/acceptAnswer on arbitrary and mutated SDP return results', () => {
    const good = leg.createOffer();
    const lines = good.split('\r\n');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .array(fc.constantFrom(...lines, 'm=audio 0 RTP/AVP 8', 'a=rtpmap:8', 'c=IN IP4', 'a=crypto:x'))
            .map((ls) => ls.join('\r\n')),
        ),
        (sdp) => {
          const r = leg.acceptOffer(sdp);
          expect(typeof r.ok).toBe('boolean');
          leg.createOffer();
          const a = leg.acceptAnswer(sdp);
          expect(typeof a.ok).toBe('boolean');
        },
      ),
      { numRuns: 300 },
    );
  });
});
