/**
 * One-way delay from timed send and arrival recordings (harness/media/analysis/one-way-delay.ts):
 * known delays on a clean path, through G.711/G.722/G.729 with resampling and repacketisation,
 * with jitter and loss, and "no match" when what arrived is not what was sent.
 */
import { describe, expect, it } from 'vitest';
import type { AudioCodec } from '../../codecs/index.ts';
import { g722, g729, pcma } from '../../codecs/index.ts';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import { markedToneSource } from '../../harness/actors/marked-tone-source.ts';
import { Resampler } from '../../harness/actors/resample.ts';
import {
  createPrng,
  goertzelAmplitude,
  measureOneWayDelay,
  measurePayloadDelay,
  rmsEnvelope,
  TimedRecorder,
} from '../../harness/media/analysis/index.ts';

interface PathOptions {
  delayMs: number;
  /** Codec between the two 16 kHz ends (default none: the PCM itself). */
  codec?: AudioCodec;
  /** Packetisation of the far leg (repacketised at the "SBC"), ms (default = near). */
  farPtimeMs?: number;
  /** Uniform jitter ±ms added to each arrival. */
  jitterMs?: number;
  /** Fraction of far packets lost. */
  loss?: number;
  /** Audio the receiver records before anything arrives, ms. */
  leadMs?: number;
  /** Send slots the sender skips (a stalled event loop): [first, count]; the receiver fills the timestamp gap. */
  skip?: [number, number];
  /** A second skip, as `skip`. */
  skip2?: [number, number];
  /** 20 ms packets sent (default 60). */
  packets?: number;
  seed?: number;
}

const FS = 16000;

/**
 * Simulates a leg sending 20 ms packets of a marked tone at t = 1000 + 20k ms, a path that
 * transcodes/resamples/repacketises, and a receiver that records what arrives with its time.
 */
function simulate(o: PathOptions) {
  const src = markedToneSource(900, FS, o.seed ?? 7);
  const sent = new TimedRecorder(FS);
  const received = new TimedRecorder(FS);
  const prng = createPrng(o.seed ?? 3);
  const nearPtime = 20;
  const farPtime = o.farPtimeMs ?? nearPtime;
  const codecRate = o.codec?.sampleRate ?? FS;
  const down = codecRate === FS ? undefined : new Resampler(FS, codecRate);
  const up = codecRate === FS ? undefined : new Resampler(codecRate, FS);
  const enc = o.codec?.createEncoder();
  const dec = o.codec?.createDecoder();
  if (o.leadMs) received.push(new Int16Array((o.leadMs * FS) / 1000), 990);
  // The "SBC" collects far-leg frames and sends one when it has a whole far packet.
  let pending: number[] = [];
  const farSamples = (farPtime * codecRate) / 1000;
  let lastArrival = 0;
  let gap = 0;
  const skipped = (k: number) =>
    [o.skip, o.skip2].some((sk) => sk !== undefined && k >= sk[0] && k < sk[0] + sk[1]);
  for (let k = 0; k < (o.packets ?? 60); k++) {
    const t = 1000 + k * nearPtime;
    if (skipped(k)) {
      gap += (nearPtime * FS) / 1000;
      continue;
    }
    const pcm = src.next((nearPtime * FS) / 1000)!;
    sent.push(pcm, t);
    const atCodec = down ? down.process(pcm) : pcm;
    pending.push(...atCodec);
    while (pending.length >= farSamples) {
      const frame = Int16Array.from(pending.slice(0, farSamples));
      pending = pending.slice(farSamples);
      if (o.loss && prng.next() < o.loss) {
        // Lost: the receiver fills the gap with silence when the next packet comes.
        gap += (farPtime * FS) / 1000;
        continue;
      }
      const coded = enc && dec ? dec.decode(enc.encode(frame)) : frame;
      const wide = up ? up.process(coded) : coded;
      const j = o.jitterMs ? prng.uniform(-o.jitterMs, o.jitterMs) : 0;
      const at = Math.max(lastArrival, t + o.delayMs + j);
      lastArrival = at;
      if (gap > 0) received.push(new Int16Array(gap), at);
      gap = 0;
      received.push(wide, at);
    }
  }
  return { sent: sent.signal(), received: received.signal() };
}

describe('one-way delay from timed recordings', () => {
  it.each([0, 3, 37, 150, 300, 612])('measures a clean %i ms path to the millisecond', (delayMs) => {
    const { sent, received } = simulate({ delayMs, leadMs: 40 });
    const d = measureOneWayDelay(sent, received);
    expect(d.found).toBe(true);
    expect(Math.abs(d.delayMs - delayMs)).toBeLessThanOrEqual(1);
    expect(d.maxMs - d.minMs).toBeLessThanOrEqual(2);
    expect(d.peak).toBeGreaterThan(0.95);
  });

  it('measures through G.711 A-law at 8 kHz (resampled both ways) within 6 ms', () => {
    const { sent, received } = simulate({ delayMs: 300, codec: pcma, leadMs: 100 });
    const d = measureOneWayDelay(sent, received);
    expect(d.found).toBe(true);
    // The two resampling filters (16 → 8 → 16 kHz) add about 2 ms each.
    expect(d.delayMs).toBeGreaterThanOrEqual(299);
    expect(d.delayMs).toBeLessThanOrEqual(306);
  });

  it('measures through G.722 and through G.729 (if libbcg729 is present) repacketised to 30 ms', () => {
    const codecs = [g722, ...(g729.available() ? [g729] : [])];
    for (const codec of codecs) {
      const { sent, received } = simulate({ delayMs: 120, codec, farPtimeMs: 30 });
      const d = measureOneWayDelay(sent, received);
      expect(d.found, codec.name).toBe(true);
      // Repacketising 20 ms into 30 ms packets holds samples up to one near packet longer.
      expect(d.delayMs, codec.name).toBeGreaterThanOrEqual(118);
      expect(d.delayMs, codec.name).toBeLessThanOrEqual(120 + 20 + 8);
    }
  });

  it('takes the median under ±15 ms of jitter and 5 % loss', () => {
    const { sent, received } = simulate({ delayMs: 200, codec: pcma, jitterMs: 15, loss: 0.05, seed: 11 });
    const d = measureOneWayDelay(sent, received);
    expect(d.found).toBe(true);
    expect(Math.abs(d.delayMs - 200)).toBeLessThanOrEqual(6);
    expect(d.minMs).toBeLessThan(d.delayMs);
    expect(d.maxMs).toBeGreaterThan(d.delayMs);
  });

  it('follows the alignment across a sender that skipped 150 ms of send slots (the receiver fills the gap)', () => {
    const { sent, received } = simulate({ delayMs: 80, skip: [20, 8], leadMs: 20 });
    const d = measureOneWayDelay(sent, received);
    expect(d.found).toBe(true);
    expect(Math.abs(d.delayMs - 80)).toBeLessThanOrEqual(1);
    expect(d.p95Ms - d.p5Ms).toBeLessThanOrEqual(2);
    expect(d.windows.matched).toBeLessThan(d.windows.tried);
  });

  it('a long stream: the search near the known lag finds what the whole search finds, across shifts larger than it, at a tenth of the cost', () => {
    // 20 s through A-law with jitter and loss; the sender skips 160 ms at 8 s and 600 ms at 14 s
    // (beyond the 250 ms of the near search), and the receiver fills both gaps.
    const { sent, received } = simulate({
      delayMs: 140,
      codec: pcma,
      jitterMs: 5,
      loss: 0.02,
      skip: [400, 8],
      skip2: [700, 30],
      packets: 1000,
      seed: 5,
    });
    const near = measureOneWayDelay(sent, received);
    const whole = measureOneWayDelay(sent, received, { nearMs: 0 });
    for (const d of [near, whole]) {
      expect(d.found).toBe(true);
      expect(Math.abs(d.delayMs - 140)).toBeLessThanOrEqual(6);
      expect(d.p5Ms).toBeGreaterThan(130);
      expect(d.p95Ms).toBeLessThan(155);
      expect(d.windows.tried).toBeGreaterThan(300);
    }
    // Where the whole search finds a chance match that correlates better somewhere else in
    // 20 s of envelope (A-law, jitter, a lost packet in the window), the near search keeps the
    // true lag: its extremes are no further from the path's delay.
    expect(near.minMs).toBeGreaterThanOrEqual(whole.minMs);
    expect(near.maxMs).toBeLessThanOrEqual(whole.maxMs);
    expect(near.windows.matched).toBeGreaterThan(0.7 * near.windows.tried);
    expect(Math.abs(near.delayMs - whole.delayMs)).toBeLessThanOrEqual(1);
    expect(Math.abs(near.contentLagMs - whole.contentLagMs)).toBeLessThanOrEqual(1);
    // At a fraction of the cost: the whole search correlates every lag of 20 s for each window.
    expect(near.windows.lags).toBeLessThan((whole.windows.lags ?? 0) / 10);
  });

  it('finds no match when what arrived is not what was sent (a steady tone, silence, nothing)', () => {
    const { sent } = simulate({ delayMs: 50 });
    const steady = new TimedRecorder(FS);
    const tone = toneSource(900, FS);
    for (let k = 0; k < 50; k++) steady.push(tone.next(320)!, 1050 + 20 * k);
    expect(measureOneWayDelay(sent, steady.signal())).toMatchObject({
      found: false,
      reason: 'no-content-match',
    });
    const silent = new TimedRecorder(FS);
    for (let k = 0; k < 50; k++) silent.push(new Int16Array(320), 1050 + 20 * k);
    expect(measureOneWayDelay(sent, silent.signal()).found).toBe(false);
    expect(measureOneWayDelay(sent, new TimedRecorder(FS).signal()).reason).toBe('no-audio-received');
    expect(measureOneWayDelay(new TimedRecorder(FS).signal(), sent).reason).toBe('no-audio-sent');
  });

  it('the marked tone keeps its tone: most energy within ±100 Hz, about −3 dB against a steady tone', () => {
    const pcm = markedToneSource(1300, FS, 5).next(FS)!;
    const steady = toneSource(1300, FS).next(FS)!;
    const a = goertzelAmplitude(pcm, FS, 1300);
    const s = goertzelAmplitude(steady, FS, 1300);
    expect(20 * Math.log10(a / s)).toBeGreaterThan(-5);
    expect(20 * Math.log10(a / s)).toBeLessThan(-1.5);
    expect(goertzelAmplitude(pcm, FS, 2450)).toBeLessThan(a / 100);
  });

  it('times identifiable payloads passed through (G.723.1 fixture frames), repeats kept in order, strays ignored', () => {
    const frame = (v: number) => Uint8Array.from({ length: 24 }, (_, i) => (v * 31 + i) & 0xff);
    // Frames 0..9, then 0..9 again (a looping fixture): identical payloads repeat.
    const sent = Array.from({ length: 20 }, (_, k) => ({ payload: frame(k % 10), atMs: 1000 + 30 * k }));
    const received = sent
      .filter((_, k) => k !== 4) // one lost
      .map((p, k) => ({ payload: p.payload.slice(), atMs: p.atMs + 250 + (k % 3) }));
    received.splice(7, 0, { payload: frame(99), atMs: 1500 }); // a stray payload
    const d = measurePayloadDelay(sent, received);
    expect(d.found).toBe(true);
    expect(d.chunks).toBe(19);
    expect(d.delayMs).toBe(251);
    expect(d.minMs).toBe(250);
    expect(d.maxMs).toBe(252);
    expect(d.windows).toEqual({ matched: 19, tried: 20 });
    expect(measurePayloadDelay(sent, [{ payload: frame(99), atMs: 1 }])).toMatchObject({
      found: false,
      reason: 'no-content-match',
    });
    expect(measurePayloadDelay([], received).reason).toBe('no-audio-sent');
    expect(measurePayloadDelay(sent, []).reason).toBe('no-audio-received');
  });

  it('matches frame by frame when the SBC put two frames in a packet (RFC 3551 §4.2)', () => {
    const frame = (v: number) => Uint8Array.from({ length: 24 }, (_, i) => (v * 31 + i) & 0xff);
    const sent = Array.from({ length: 20 }, (_, k) => ({ payload: frame(k % 10), atMs: 1000 + 30 * k }));
    // The SBC holds each even frame until the odd one arrives and sends both 5 ms later.
    const received = Array.from({ length: 10 }, (_, j) => {
      const payload = new Uint8Array(48);
      payload.set(sent[2 * j]!.payload, 0);
      payload.set(sent[2 * j + 1]!.payload, 24);
      return { payload, atMs: sent[2 * j + 1]!.atMs + 5 };
    });
    // Whole payloads never match: the old way found no delay at all.
    expect(measurePayloadDelay(sent, received).reason).toBe('no-content-match');
    const d = measurePayloadDelay(sent, received, 24);
    expect(d.found).toBe(true);
    expect(d.chunks).toBe(20);
    expect([d.minMs, d.maxMs]).toEqual([5, 35]);
    expect(d.windows).toEqual({ matched: 20, tried: 20 });
    // Packets of one frame each match as before.
    expect(measurePayloadDelay(sent, sent, 24).delayMs).toBe(0);
  });

  it('leaves unmatched a payload that arrived before its twin left: one sent before the recording began', () => {
    const frame = (v: number) => Uint8Array.from({ length: 24 }, (_, i) => (v * 31 + i) & 0xff);
    // A looping fixture of 10 frames; the recording of what was sent begins at frame 3 of a loop,
    // while frames 0..2 of that loop, sent just before, are still on their way (delay 250 ms).
    const DELAY = 250;
    const sent = Array.from({ length: 30 }, (_, k) => ({
      payload: frame((k + 3) % 10),
      atMs: 1000 + 30 * k,
    }));
    const stale = [0, 1, 2].map((v) => ({ payload: frame(v), atMs: 1000 - 30 * (3 - v) + DELAY }));
    const received = [...stale, ...sent.map((p) => ({ payload: p.payload.slice(), atMs: p.atMs + DELAY }))];
    received.sort((x, y) => x.atMs - y.atMs);
    const d = measurePayloadDelay(sent, received);
    expect(d.found).toBe(true);
    // Matched without regard to time, the stale frames 0..2 took the sent frames 0..2 of the
    // next loop (300 ms later) and pushed every later match one loop on: a median of −50 ms.
    expect(d.delayMs).toBe(DELAY);
    expect([d.minMs, d.maxMs]).toEqual([DELAY, DELAY]);
    expect(d.windows).toEqual({ matched: 30, tried: 33 });
  });

  it('a delay longer than the recording, under one loop: only frames sent before it arrived, none matched', () => {
    const frame = (v: number) => Uint8Array.from({ length: 24 }, (_, i) => (v * 31 + i) & 0xff);
    // A loop of 80 frames (2.4 s, as the G.723.1 fixture's) sent on and on; the recording is
    // 1.6 s from frame 0 of a loop; the delay 2 s, so what arrives in it left 0.4 s before it.
    const at = (k: number) => 30 * k;
    const sent = Array.from({ length: 54 }, (_, k) => ({ payload: frame(k % 80), atMs: at(k) }));
    const received = Array.from({ length: 54 }, (_, j) => {
      const k = j - 67; // sent 2000 ms before it arrives: frames of the loop before
      return { payload: frame(((k % 80) + 80) % 80), atMs: at(k) + 2000 };
    });
    const d = measurePayloadDelay(sent, received);
    expect(d.found).toBe(false);
    expect(d.reason).toBe('no-content-match');
  });
});

describe('rmsEnvelope of 16-bit samples', () => {
  it('is bit-for-bit the prefix-sum envelope of the same samples as doubles', () => {
    const prng = createPrng(99);
    for (const [length, rate, hopMs, windowMs] of [
      [0, 16000, 1, 4],
      [3, 16000, 1, 4],
      [63, 8000, 1, 4],
      [16000, 16000, 1, 4],
      [24001, 8000, 2, 7],
      [50000, 16000, 1, 4],
      [30000, 8000, 10, 4], // a hop longer than the window: the window moves past samples never summed
    ] as const) {
      const pcm = new Int16Array(length);
      for (let i = 0; i < length; i++) {
        // Full scale, quiet stretches and silence, so the running sum goes up and down.
        const part = Math.floor(i / 997) % 3;
        pcm[i] = part === 2 ? 0 : Math.round((prng.uniform(-1, 1) * (part === 0 ? 32767 : 40)) | 0);
      }
      pcm[0] = -32768;
      const fast = rmsEnvelope(pcm, rate, hopMs, windowMs);
      const reference = rmsEnvelope(Float64Array.from(pcm), rate, hopMs, windowMs);
      expect(fast.length).toBe(reference.length);
      expect(Array.from(fast)).toEqual(Array.from(reference));
    }
  });
});
