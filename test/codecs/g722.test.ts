/**
 * G.722 unit tests without a peer: the codec descriptor, round-trip quality, independence of
 * instances, and chunking/odd-length behaviour. Bit-exactness is checked against ffmpeg in
 * g722-ffmpeg.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { G722Decoder, G722Encoder, g722 } from '../../codecs/g722.ts';
import { quantlInterval } from '../../codecs/g722-quantl.ts';
import { ILB, NBL_MAX, Q6 } from '../../codecs/g722-tables.ts';

const RATE = 16000;
/** Delay of the analysis + synthesis QMF pair, in 16 kHz samples. */
const CODEC_DELAY = 22;

function tone(freq: number, amplitude: number, n = RATE): Int16Array {
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / RATE));
  return x;
}

/** SNR in dB of `y` delayed by `delay` against `x`, skipping the first `skip` samples (adaptation). */
function snrDb(x: Int16Array, y: Int16Array, delay: number, skip: number): number {
  let signal = 0;
  let noise = 0;
  for (let i = skip; i + delay < y.length && i < x.length; i++) {
    signal += x[i]! * x[i]!;
    const e = x[i]! - y[i + delay]!;
    noise += e * e;
  }
  return 10 * Math.log10(signal / noise);
}

function roundTrip(x: Int16Array): Int16Array {
  return new G722Decoder().decode(new G722Encoder().encode(x));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('g722 codec descriptor', () => {
  it('describes G.722 as RFC 3551 does (PT 9, 8000 Hz RTP clock, 16 kHz audio, 80-byte 10 ms frames)', () => {
    expect(g722.name).toBe('G722');
    expect(g722.payloadType).toBe(9);
    expect(g722.rtpClockRate).toBe(8000);
    expect(g722.sampleRate).toBe(16000);
    expect(g722.frameMs).toBe(10);
    expect(g722.frameSamples).toBe(160);
    expect(g722.frameBytes).toBe(80);
    expect(g722.available()).toBe(true);
  });

  it('encodes one frame to frameBytes and decodes it back to frameSamples', () => {
    const enc = g722.createEncoder();
    const dec = g722.createDecoder();
    const payload = enc.encode(tone(1000, 8000, g722.frameSamples));
    expect(payload.length).toBe(g722.frameBytes);
    expect(dec.decode(payload).length).toBe(g722.frameSamples);
  });
});

describe('G.722 round trip', () => {
  it('keeps a 1 kHz tone clean (SNR above 40 dB after the 22-sample codec delay)', () => {
    const x = tone(1000, 10000);
    expect(snrDb(x, roundTrip(x), CODEC_DELAY, 1000)).toBeGreaterThan(40);
  });

  it('keeps a 300 Hz tone clean, and the best alignment is the 22-sample QMF delay', () => {
    const x = tone(300, 5000);
    const y = roundTrip(x);
    let bestLag = -1;
    let best = -Infinity;
    for (let lag = 0; lag < 40; lag++) {
      const s = snrDb(x, y, lag, 1000);
      if (s > best) {
        best = s;
        bestLag = lag;
      }
    }
    expect(bestLag).toBe(CODEC_DELAY);
    expect(best).toBeGreaterThan(45);
  });

  it('carries a 6 kHz tone through the 2-bit higher sub-band (SNR above 20 dB)', () => {
    const x = tone(6000, 8000);
    expect(snrDb(x, roundTrip(x), CODEC_DELAY, 1000)).toBeGreaterThan(20);
  });

  it('keeps full scale: a loud tone comes back at about the same level', () => {
    const x = tone(1000, 30000);
    const y = roundTrip(x);
    let peak = 0;
    for (let i = 1000; i < y.length; i++) peak = Math.max(peak, Math.abs(y[i]!));
    expect(peak).toBeGreaterThan(28000);
    expect(snrDb(x, y, CODEC_DELAY, 1000)).toBeGreaterThan(40);
  });

  it('decodes encoded silence to near-silence', () => {
    const y = roundTrip(new Int16Array(RATE));
    let peak = 0;
    for (const v of y) peak = Math.max(peak, Math.abs(v));
    expect(peak).toBeLessThan(64);
  });
});

describe('G.722 instance state', () => {
  it('gives each encoder and decoder its own state (interleaved use = separate use)', () => {
    const a = tone(440, 9000, 3200);
    const b = tone(5000, 12000, 3200);
    const aloneA = new G722Encoder().encode(a);
    const aloneB = new G722Encoder().encode(b);
    expect(aloneA).not.toEqual(aloneB);

    const encA = new G722Encoder();
    const encB = new G722Encoder();
    const decA = new G722Decoder();
    const decB = new G722Decoder();
    const partsA: Uint8Array[] = [];
    const partsB: Uint8Array[] = [];
    const pcmA: number[] = [];
    const pcmB: number[] = [];
    for (let at = 0; at < a.length; at += 160) {
      const pa = encA.encode(a.subarray(at, at + 160));
      const pb = encB.encode(b.subarray(at, at + 160));
      partsA.push(pa);
      partsB.push(pb);
      pcmA.push(...decA.decode(pa));
      pcmB.push(...decB.decode(pb));
    }
    expect(concat(partsA)).toEqual(aloneA);
    expect(concat(partsB)).toEqual(aloneB);
    expect(pcmA).toEqual([...new G722Decoder().decode(aloneA)]);
    expect(pcmB).toEqual([...new G722Decoder().decode(aloneB)]);
  });

  it('starts every new encoder from the reset state', () => {
    const x = tone(2000, 7000, 1600);
    const first = new G722Encoder().encode(x);
    const used = new G722Encoder();
    used.encode(tone(700, 20000, 1600));
    expect(used.encode(x)).not.toEqual(first);
    expect(new G722Encoder().encode(x)).toEqual(first);
  });
});

describe('G.722 chunking and odd lengths', () => {
  it('holds an odd trailing sample and pairs it with the next call', () => {
    const x = tone(1000, 10000, 322);
    const whole = new G722Encoder().encode(x);
    const enc = new G722Encoder();
    const head = enc.encode(x.subarray(0, 161));
    expect(head.length).toBe(80);
    expect(enc.hasPendingSample).toBe(true);
    expect(enc.encode(new Int16Array(0)).length).toBe(0);
    expect(enc.hasPendingSample).toBe(true);
    const one = enc.encode(x.subarray(161, 162));
    expect(one.length).toBe(1);
    expect(enc.hasPendingSample).toBe(false);
    const tail = enc.encode(x.subarray(162));
    expect(concat([head, one, tail])).toEqual(whole);
  });

  it('produces the same bytes whatever the chunking of the input (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 0, maxLength: 600 }),
        fc.array(fc.integer({ min: 0, max: 97 }), { minLength: 1, maxLength: 20 }),
        (samples, cuts) => {
          const x = Int16Array.from(samples);
          const whole = new G722Encoder().encode(x);
          expect(whole.length).toBe(x.length >> 1);
          const enc = new G722Encoder();
          const parts: Uint8Array[] = [];
          let at = 0;
          for (let k = 0; at < x.length; k++) {
            const size = cuts[k % cuts.length]!;
            parts.push(enc.encode(x.subarray(at, at + size)));
            at += size;
            if (k > 10_000) break;
          }
          parts.push(enc.encode(x.subarray(at)));
          expect(concat(parts)).toEqual(whole);
          expect(enc.hasPendingSample).toBe(x.length % 2 === 1);
        },
      ),
      { numRuns: 200, seed: 722 },
    );
  });

  it('decodes any bytes, in any chunking, to two samples per byte without throwing (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.nat(400), (bytes, cut) => {
        const whole = new G722Decoder().decode(bytes);
        expect(whole.length).toBe(2 * bytes.length);
        const dec = new G722Decoder();
        const split = Math.min(cut, bytes.length);
        const a = dec.decode(bytes.subarray(0, split));
        const b = dec.decode(bytes.subarray(split));
        expect([...a, ...b]).toEqual([...whole]);
      }),
      { numRuns: 200, seed: 9 },
    );
  });
});

/** QUANTL as the Recommendation states it: a linear scan of the decision levels. */
function quantlScan(wd: number, det: number): number {
  let mil = 1;
  while (mil < 30 && wd >= (Q6[mil]! * det) >> 12) mil++;
  return mil;
}

describe('G.722 QUANTL interval search', () => {
  it('equals the linear scan for every magnitude at every reachable lower-band scale factor', () => {
    const dets = new Set<number>();
    for (let nb = 0; nb <= NBL_MAX; nb++) {
      const mant = ILB[(nb >> 6) & 31]!;
      const exp = 8 - (nb >> 11);
      dets.add((exp < 0 ? mant << -exp : mant >> exp) << 2);
    }
    expect(dets.size).toBeGreaterThan(100);
    let mismatches = 0;
    let checked = 0;
    for (const det of dets) {
      // Walk WD upwards with the scan's answer maintained incrementally (the levels only grow).
      let mil = quantlScan(0, det);
      for (let wd = 0; wd <= 32767; wd++) {
        while (mil < 30 && wd >= (Q6[mil]! * det) >> 12) mil++;
        if (quantlInterval(wd, det) !== mil) mismatches++;
        checked++;
      }
    }
    expect(checked).toBe(dets.size * 32768);
    expect(mismatches).toBe(0);
  });

  it('equals the linear scan for any magnitude and any positive 16-bit scale factor (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32767 }), fc.integer({ min: 1, max: 32767 }), (wd, det) => {
        expect(quantlInterval(wd, det)).toBe(quantlScan(wd, det));
      }),
      { numRuns: 5000, seed: 2919 },
    );
  });
});
