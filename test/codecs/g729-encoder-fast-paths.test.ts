/**
 * The encoder's bounded fast paths against the reference arithmetic they replace, on random
 * inputs that both meet and miss their bounds (so the fallbacks run too).
 */
import { describe, expect, it } from 'vitest';
import { Div_32, L_mac, round } from '../../codecs/g729/basic-ops.ts';
import { searchInt32, searchPlain, searchReference } from '../../codecs/g729/gain-quantizer.ts';
import { div32 } from '../../codecs/g729/lp-analysis.ts';
import { predLt3 } from '../../codecs/g729/pitch.ts';
import { INTER_3L } from '../../codecs/g729/tables.ts';

/** A seeded LCG: uniform integers in [lo, hi]. */
function rng(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + Math.floor((s / 2 ** 32) * (hi - lo + 1));
  };
}

/** Pred_lt_3 as the Recommendation writes it: every output a chain of L_mac, then round. */
function predLt3Reference(exc: Int16Array, off: number, T0: number, frac: number, len: number): void {
  let x0 = off - T0;
  frac = -frac;
  if (frac < 0) {
    frac += 3;
    x0--;
  }
  for (let j = 0; j < len; j++) {
    const x1 = x0++;
    const x2 = x0;
    let s = 0;
    for (let i = 0, k = 0; i < 10; i++, k += 3) {
      s = L_mac(s, exc[x1 - i]!, INTER_3L[frac + k]!);
      s = L_mac(s, exc[x2 + i]!, INTER_3L[3 - frac + k]!);
    }
    exc[off + j] = round(s);
  }
}

describe('G.729 encoder fast paths give the reference arithmetic', () => {
  it('gain codebook search: int32 (within its bound) and doubles against the basic operators', () => {
    const r = rng(729);
    const cHi = new Int32Array(5);
    const cLo = new Int32Array(5);
    const ref = new Int32Array(2);
    const fast = new Int32Array(2);
    let int32 = 0;
    let fallback = 0;
    for (let n = 0; n < 20000; n++) {
      // Terms from full scale down to tiny, either sign (every fourth case all at full scale,
      // mostly beyond the int32 bound); the low parts as L_Extract_lo gives them.
      const full = n % 4 === 0;
      for (let i = 0; i < 5; i++) {
        if (full) cHi[i] = r(0, 1) ? r(16384, 32767) : r(-32768, -16384);
        else cHi[i] = r(-32768, 32767) >> (r(0, 1) ? 0 : r(0, 15));
        cLo[i] = r(0, 32767);
      }
      const gcode0 = full ? r(16384, 32767) : r(0, 32767) >> (r(0, 1) ? 0 : r(0, 14));
      const tame = r(0, 1);
      const cand1 = r(0, 4);
      const cand2 = r(0, 8);
      searchReference(cand1, cand2, gcode0, tame, cHi, cLo, ref);
      searchPlain(cand1, cand2, gcode0, tame, cHi, cLo, fast);
      expect([...fast]).toEqual([...ref]);
      fast.fill(-1);
      if (searchInt32(cand1, cand2, gcode0, tame, cHi, cLo, fast)) {
        int32++;
        expect([...fast]).toEqual([...ref]);
      } else {
        fallback++;
        expect([...fast]).toEqual([-1, -1]);
      }
    }
    expect(int32).toBeGreaterThan(2000);
    expect(fallback).toBeGreaterThan(1500);
  });

  it("Levinson's Div_32 written out, and its fallback for a denominator that is not normalised", () => {
    const r = rng(4711);
    for (let n = 0; n < 50000; n++) {
      // Mostly normalised denominators (hi > 0x3fff) with num below them, as Levinson has;
      // every eighth case a small hi, which takes the basic operators.
      const dh = n % 8 === 0 ? r(1, 0x3fff) : r(0x4000, 32767);
      const dl = r(0, 32767);
      const den = dh * 65536 + 2 * dl;
      const num = r(0, 1) ? r(0, den - 1) : r(0, 0xffff);
      expect(div32(num, dh, dl)).toBe(Div_32(num, dh, dl));
    }
  });

  it('Pred_lt_3: four outputs per pass, and the checked steps when the int32 bound fails (at the start or part-way)', () => {
    const r = rng(3);
    const off = 200;
    const ours = new Int16Array(off + 40);
    const ref = new Int16Array(off + 40);
    for (let n = 0; n < 6000; n++) {
      // Past excitation from quiet to full scale around the int32 bound (2^30 / Σ|taps|, about
      // 16000): with short delays the outputs are read again and can grow past it part-way.
      const amp = r(0, 3) === 0 ? 32767 : r(1000, 24000);
      for (let i = 0; i < off; i++) ours[i] = r(-amp, Math.min(amp, 32767));
      if (r(0, 3) === 0) for (let i = off - 60; i < off; i += r(1, 4)) ours[i] = r(0, 1) ? 32767 : -32768;
      ref.set(ours);
      const T0 = r(0, 1) ? r(20, 45) : r(20, 143);
      const frac = r(-1, 1);
      predLt3(ours, off, T0, frac, 40);
      predLt3Reference(ref, off, T0, frac, 40);
      expect(ours).toEqual(ref);
    }
  });
});
