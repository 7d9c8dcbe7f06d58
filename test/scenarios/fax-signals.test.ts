import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pcma } from '../../codecs/index.ts';
import { concatSignals, silence, sineTone, whiteNoise } from '../../harness/media/analysis/index.ts';
import {
  CED_HZ,
  CED_TOLERANCE_HZ,
  CNG_HZ,
  CNG_TOLERANCE_HZ,
  calledFaxSignal,
  cedSignal,
  cngSignal,
  demodulateV21,
  findToneBursts,
  HDLC_FLAG,
  hdlcFlagBits,
  longestFlagRun,
  V21_BAUD,
  v21Modulate,
} from '../../scenarios/fax-signals.ts';

/** A-law round trip, as a G.711 call would carry the signal. */
function throughPcma(x: Int16Array): Int16Array {
  const enc = pcma.createEncoder();
  const dec = pcma.createDecoder();
  const out = new Int16Array(x.length);
  for (let i = 0; i + 160 <= x.length; i += 160) out.set(dec.decode(enc.encode(x.subarray(i, i + 160))), i);
  return out;
}

describe('fax signals: CNG', () => {
  it('keeps its cadence and frequency through G.711 A-law', () => {
    const x = throughPcma(cngSignal({ sampleRate: 8000, cycles: 2, onMs: 500, offMs: 700 }));
    const b = findToneBursts(x, 8000, CNG_HZ);
    expect(b).toHaveLength(2);
    for (const burst of b) {
      expect(burst.endMs - burst.startMs).toBeGreaterThanOrEqual(480);
      expect(burst.endMs - burst.startMs).toBeLessThanOrEqual(520);
      expect(Math.abs(burst.frequencyHz - CNG_HZ)).toBeLessThan(1);
    }
    expect(b[1]!.startMs - b[0]!.endMs).toBeGreaterThanOrEqual(680);
    expect(b[1]!.startMs - b[0]!.endMs).toBeLessThanOrEqual(720);
    // Nothing at the CED frequency.
    expect(findToneBursts(x, 8000, CED_HZ)).toHaveLength(0);
  });

  it('reports a calling tone off its frequency as off (a check on it can fail)', () => {
    const wrong = sineTone({ frequencyHz: 1180, levelDbfs: -13 }, { sampleRate: 8000, durationMs: 500 });
    const b = findToneBursts(wrong, 8000, CNG_HZ);
    // Either no burst at 1100 Hz, or one whose measured frequency is outside T.30's tolerance.
    expect(b.every((x) => Math.abs(x.frequencyHz - CNG_HZ) > CNG_TOLERANCE_HZ)).toBe(true);
  });
});

describe('fax signals: CED and the V.21 preamble', () => {
  it('the called terminal’s answer survives G.711: CED duration and frequency, flags demodulated', () => {
    const called = calledFaxSignal({ sampleRate: 8000, cedMs: 800, preambleMs: 600 });
    expect(called.flags).toBe(Math.round(0.6 * (V21_BAUD / 8)));
    const x = throughPcma(concatSignals(silence(120, 8000), called.samples));
    const ced = findToneBursts(x, 8000, CED_HZ);
    expect(ced).toHaveLength(1);
    expect(ced[0]!.endMs - ced[0]!.startMs).toBeGreaterThanOrEqual(780);
    expect(Math.abs(ced[0]!.frequencyHz - CED_HZ)).toBeLessThan(CED_TOLERANCE_HZ / 5);
    const v = demodulateV21(x, 8000, ced[0]!.endMs);
    expect(v.flags).toBeGreaterThanOrEqual(called.flags - 2);
    // The flags start 75 ms after CED ends (± a bit of the first flag).
    expect(v.flagsStartMs - ced[0]!.endMs).toBeGreaterThan(50);
    expect(v.flagsStartMs - ced[0]!.endMs).toBeLessThan(150);
  });

  it('works at 16 kHz (the rate the media leg records at)', () => {
    const called = calledFaxSignal({ sampleRate: 16000, cedMs: 500, preambleMs: 400 });
    expect(findToneBursts(called.samples, 16000, CED_HZ)).toHaveLength(1);
    expect(demodulateV21(called.samples, 16000).flags).toBeGreaterThanOrEqual(called.flags - 2);
  });

  it('recovers the bits between two runs of flags', () => {
    const data = [1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1];
    const bits = [...hdlcFlagBits(12), ...data, ...hdlcFlagBits(4)];
    const x = throughPcma(v21Modulate(bits, 8000));
    const v = demodulateV21(x, 8000);
    expect(v.flags).toBeGreaterThanOrEqual(11);
    const i = v.bits.findIndex(
      (_b, k) =>
        k >= 8 &&
        longestFlagRun(v.bits.subarray(k - 8, k)).flags === 1 &&
        longestFlagRun(v.bits.subarray(k, k + 8)).flags === 0,
    );
    expect(i).toBeGreaterThan(0);
    expect([...v.bits.subarray(i, i + data.length)]).toEqual(data);
  });

  it('finds no flags in a steady mark tone, silence, a CED tone or noise', () => {
    const mark = sineTone({ frequencyHz: 1650, levelDbfs: -13 }, { sampleRate: 8000, durationMs: 500 });
    expect(demodulateV21(mark, 8000).flags).toBe(0);
    expect(demodulateV21(silence(500, 8000), 8000).flags).toBe(0);
    expect(demodulateV21(cedSignal({ sampleRate: 8000, durationMs: 500 }), 8000).flags).toBe(0);
    expect(
      demodulateV21(whiteNoise({ sampleRate: 8000, durationMs: 500, seed: 7, levelDbfs: -15 }), 8000).flags,
    ).toBeLessThan(3);
  });

  it('the flag is 0x7E sent LSB first', () => {
    expect([...hdlcFlagBits(1)]).toEqual([0, 1, 1, 1, 1, 1, 1, 0]);
    expect(HDLC_FLAG).toBe(0x7e);
    expect(longestFlagRun(hdlcFlagBits(9)).flags).toBe(9);
  });
});

describe('fax signals: bad input', () => {
  it('empty, short and odd inputs give empty results without throwing', () => {
    expect(findToneBursts(new Int16Array(0), 8000, CNG_HZ)).toEqual([]);
    expect(findToneBursts(new Int16Array(10), 0, CNG_HZ)).toEqual([]);
    expect(findToneBursts(new Int16Array(100), 8000, 5000)).toEqual([]);
    expect(demodulateV21(new Int16Array(3), 8000).flags).toBe(0);
    expect(demodulateV21(new Int16Array(100), Number.NaN).flags).toBe(0);
  });

  it('any 16-bit audio is analysed without throwing (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 2000 }), (arr) => {
        const x = Int16Array.from(arr);
        const b = findToneBursts(x, 8000, CNG_HZ, { minBurstMs: 10 });
        for (const burst of b) expect(burst.endMs).toBeGreaterThan(burst.startMs);
        expect(demodulateV21(x, 8000).flags).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 60 },
    );
  });
});
