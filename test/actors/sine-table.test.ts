/**
 * Tones from one tabulated period (sineTable) against a sine of the grown argument per
 * sample: the same 16-bit samples, to within the rounding of the last one.
 */
import { describe, expect, it } from 'vitest';
import { sineTable, toneSource } from '../../harness/actors/audio-sources.ts';
import { markedToneSource } from '../../harness/actors/marked-tone-source.ts';

describe('sineTable', () => {
  it('holds one period of an integer frequency, as computed directly', () => {
    const t = sineTable(1500, 16000);
    expect(t?.length).toBe(32);
    for (let k = 0; k < 32; k++) expect(t![k]).toBe(Math.sin((2 * Math.PI * 1500 * k) / 16000));
    expect(sineTable(1000, 8000)?.length).toBe(8);
    expect(sineTable(1013, 16000)?.length).toBe(16000);
  });

  it('refuses what it cannot tabulate', () => {
    expect(sineTable(554.37, 16000)).toBeUndefined();
    expect(sineTable(1000, 0)).toBeUndefined();
    expect(sineTable(-5, 8000)).toBeUndefined();
    expect(sineTable(1, 96_001)).toBeUndefined(); // a period over 48,000 samples
  });

  it("toneSource's samples are those of a direct sine, within one step, over a minute", () => {
    for (const [f, rate] of [
      [1000, 16000],
      [1013, 8000],
      [440, 16000],
    ] as const) {
      const amp = 32767 * 10 ** (-13 / 20);
      const src = toneSource(f, rate);
      let differ = 0;
      let worst = 0;
      for (let pos = 0, chunk = 0; chunk < (60 * rate) / 160; chunk++) {
        const out = src.next(160)!;
        for (let i = 0; i < out.length; i++, pos++) {
          const d = Math.abs(out[i]! - Math.round(amp * Math.sin((2 * Math.PI * f * pos) / rate)));
          if (d > worst) worst = d;
          if (d) differ++;
        }
      }
      expect(worst).toBeLessThanOrEqual(1);
      // Rounding differs only where a sample lies within ~1e-7 of a half step.
      expect(differ).toBeLessThan(5);
    }
  });

  it('a marked tone: the same samples as with direct sines, within one step', () => {
    // 1000 + 1e-9 Hz is not tabulated (not an integer): direct sines, a phase apart of
    // 3e-8 rad after 5 s, far below a step.
    const a = markedToneSource(1000, 16000, 3).next(16000 * 5)!;
    const b = markedToneSource(1000 + 1e-9, 16000, 3).next(16000 * 5)!;
    expect(a.length).toBe(16000 * 5);
    let worst = 0;
    let differ = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      if (d > worst) worst = d;
      if (d) differ++;
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(differ).toBeLessThan(5);
    // And the pattern is there: 10 ms peaks vary between 0.4 and 1 of the amplitude.
    const peaks = Array.from({ length: 500 }, (_, k) => Math.max(...a.subarray(k * 160, (k + 1) * 160)));
    expect(Math.min(...peaks) / Math.max(...peaks)).toBeLessThan(0.6);
  });
});
