/**
 * One-way delay (harness/media/analysis/one-way-delay.ts) on short recordings where a window
 * of what a leg received matches the sent envelope by chance: the audio it heard before the
 * tones (a burst of another tone between silences, as a leg hears after a transfer, where the
 * path's delay is about 200 ms) and a lost packet that spoils every window it lies in. The load
 * judges a 500 ms tone per direction; before, such a chance match was taken for the alignment
 * and the audio was judged "heard before it was sent" (a false NOK), or no delay was measured.
 * The `heard` of measure() replaces what arrives (the sent tone by default).
 */
import { describe, expect, it } from 'vitest';
import { markedToneSource } from '../../harness/actors/marked-tone-source.ts';
import { createPrng, measureOneWayDelay, type TimedChunk } from '../../harness/media/analysis/index.ts';

const FS = 16000;
/** 20 ms of samples: one packet. */
const PACKET = 320;

function take(src: { next(n: number): Int16Array | null }, n: number): Int16Array {
  const out = new Int16Array(n);
  for (let p = 0; p < n; ) {
    const c = src.next(Math.min(PACKET, n - p));
    if (!c || c.length === 0) break;
    out.set(c, p);
    p += c.length;
  }
  return out;
}

function chunks(samples: number, firstAtMs: number): TimedChunk[] {
  const out: TimedChunk[] = [];
  for (let i = 0; i * PACKET < samples; i++) out.push({ index: i * PACKET, atMs: firstAtMs + 20 * i });
  return out;
}

/**
 * 500 ms of the marked tone sent in 20 ms packets from t = 0, received `delayMs` later after
 * `before` (what the receiving leg's recording holds before the tone reaches it; its recording
 * starts 10 ms before the first packet is sent). With `lost`, the packet of that index is lost
 * and the receiver fills its slot with silence. Returns the delay measured.
 */
function measure(seed: number, delayMs: number, before: Int16Array, lost?: number, heard?: Int16Array) {
  const sentN = FS / 2;
  const sent = take(markedToneSource(1300, FS, seed), sentN);
  const received = new Int16Array(before.length + sentN);
  received.set(before, 0);
  received.set(heard ?? sent, before.length);
  if (lost !== undefined)
    received.fill(0, before.length + lost * PACKET, before.length + (lost + 1) * PACKET);
  const rx = chunks(received.length, -10);
  // The tone's packets arrive `delayMs` after they left.
  for (const c of rx)
    if (c.index >= before.length) c.atMs = (20 * (c.index - before.length)) / PACKET + delayMs;
  return measureOneWayDelay(
    { sampleRate: FS, samples: sent, chunks: chunks(sentN, 0) },
    { sampleRate: FS, samples: received, chunks: rx },
  );
}

/** `delayMs` + 10 ms of recording before the tone: silence with a burst of another tone in it. */
function heardBefore(seed: number, delayMs: number): Int16Array {
  const prng = createPrng(seed + 99);
  const out = new Int16Array(((delayMs + 10) / 20) * PACKET);
  const start = PACKET * Math.floor(prng.uniform(0, 3));
  const len = PACKET * Math.floor(prng.uniform(1, 6));
  const amp = prng.uniform(2000, 8000);
  for (let i = start; i < Math.min(out.length, start + len); i++)
    out[i] = Math.round(Math.sin((2 * Math.PI * 700 * i) / FS) * amp);
  return out;
}

describe('one-way delay on short recordings, against chance matches', () => {
  it('what a leg heard before the tones (another tone between silences) is never aligned with them: 200 paths of 110–310 ms, each measured within 5 ms', () => {
    const wrong: string[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const delayMs = 110 + 20 * Math.floor(createPrng(seed + 99).uniform(0, 11));
      const d = measure(seed, delayMs, heardBefore(seed, delayMs - 10));
      if (!d.found || Math.abs(d.delayMs - delayMs) > 5)
        wrong.push(`seed ${seed}: ${delayMs} ms measured as ${d.found ? d.delayMs.toFixed(1) : d.reason}`);
    }
    expect(wrong).toEqual([]);
  });

  it('one lost packet in a short recording: the one window clear of it stands alone, 100 paths of 210 ms and 100 of 310 ms', () => {
    const wrong: string[] = [];
    for (const delayMs of [210, 310])
      for (let seed = 1; seed <= 100; seed++) {
        const d = measure(seed, delayMs, heardBefore(seed, delayMs - 10), 15);
        if (!d.found || Math.abs(d.delayMs - delayMs) > 5)
          wrong.push(`seed ${seed}: ${delayMs} ms measured as ${d.found ? d.delayMs.toFixed(1) : d.reason}`);
      }
    expect(wrong).toEqual([]);
  });

  it('another call’s marks at the same tone (crossed audio) are never timed as this call’s: 50 paths of 2 s', () => {
    // Before the rule that a new alignment be the sent envelope scaled (MAX_NEGATIVE_OFFSET),
    // 4 of these 50 were timed, and judged "heard before it was sent" or given a delay.
    const timed: string[] = [];
    for (let seed = 1; seed <= 50; seed++) {
      const sentN = 99 * PACKET;
      const sent = take(markedToneSource(1300, FS, seed), sentN);
      const lead = 8 * PACKET;
      const received = new Int16Array(lead + sentN);
      received.set(take(markedToneSource(1300, FS, seed + 100_000), sentN), lead);
      const d = measureOneWayDelay(
        { sampleRate: FS, samples: sent, chunks: chunks(sentN, 0) },
        { sampleRate: FS, samples: received, chunks: chunks(received.length, -10) },
      );
      if (d.found) timed.push(`seed ${seed}: ${d.delayMs.toFixed(1)} ms (peak ${d.peak.toFixed(3)})`);
    }
    expect(timed).toEqual([]);
  });

  it('a noise gate in the path (4 ms blocks under −22 dBFS muted, the tone’s soft parts among them) still lets 3 paths in 4 be timed, and none wrongly', () => {
    let timed = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const sentN = FS / 2;
      const sent = take(markedToneSource(1300, FS, seed), sentN);
      const gated = sent.slice();
      for (let i = 0; i + 64 <= gated.length; i += 64) {
        let e = 0;
        for (let k = 0; k < 64; k++) e += gated[i + k]! ** 2;
        if (Math.sqrt(e / 64) < 2600) gated.fill(0, i, i + 64);
      }
      const d = measure(seed, 150, new Int16Array(8 * PACKET), undefined, gated);
      if (!d.found) continue;
      timed++;
      expect(Math.abs(d.delayMs - 150), `seed ${seed}: ${d.delayMs}`).toBeLessThanOrEqual(5);
    }
    expect(timed).toBeGreaterThanOrEqual(30);
  });

  it('audio scaled down with noise added is still the sent audio (the offset allowed is below zero only)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const sentN = FS / 2;
      const sent = take(markedToneSource(1300, FS, seed), sentN);
      const noise = createPrng(seed);
      const lead = ((150 + 10) / 20) * PACKET;
      const received = new Int16Array(lead + sentN);
      for (let i = 0; i < received.length; i++) {
        const s = i >= lead ? 0.25 * sent[i - lead]! : 0;
        received[i] = Math.round(s + noise.uniform(-300, 300));
      }
      const rx = chunks(received.length, -10);
      for (const c of rx) if (c.index >= lead) c.atMs = (20 * (c.index - lead)) / PACKET + 150;
      const d = measureOneWayDelay(
        { sampleRate: FS, samples: sent, chunks: chunks(sentN, 0) },
        { sampleRate: FS, samples: received, chunks: rx },
      );
      expect(d.found, `seed ${seed}`).toBe(true);
      expect(Math.abs(d.delayMs - 150), `seed ${seed}: ${d.delayMs}`).toBeLessThanOrEqual(5);
    }
  });

  it('tone bursts and silences alone (a cadence the SBC played, not the sent audio) are never timed', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const prng = createPrng(seed + 7);
      const sentN = FS / 2;
      const sent = take(markedToneSource(1300, FS, seed), sentN);
      const received = new Int16Array((FS * 7) / 10);
      for (let i = 0, on = prng.next() < 0.5; i < received.length; on = !on) {
        const len = Math.round((prng.uniform(20, 60) * FS) / 1000);
        const amp = prng.uniform(2000, 8000);
        if (on)
          for (let k = i; k < Math.min(received.length, i + len); k++)
            received[k] = Math.round(Math.sin((2 * Math.PI * 700 * k) / FS) * amp);
        i += len;
      }
      const d = measureOneWayDelay(
        { sampleRate: FS, samples: sent, chunks: chunks(sentN, 0) },
        { sampleRate: FS, samples: received, chunks: chunks(received.length, -10) },
      );
      expect(d.found, `seed ${seed}: ${d.delayMs}`).toBe(false);
    }
  });
});
