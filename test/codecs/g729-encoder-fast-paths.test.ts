/**
 * The encoder's bounded fast paths against the reference arithmetic they replace, on random
 * inputs that both meet and miss their bounds (so the fallbacks run too).
 */
import { describe, expect, it } from 'vitest';
import {
  abs_s,
  add,
  Div_32,
  L_abs,
  L_add,
  L_Comp,
  L_Extract_hi,
  L_Extract_lo,
  L_mac,
  L_negate,
  L_shl,
  L_shr,
  L_sub,
  Mpy_32,
  norm_l,
  round,
  shr,
} from '../../codecs/g729/basic-ops.ts';
import { searchInt32, searchPlain, searchReference } from '../../codecs/g729/gain-quantizer.ts';
import { autocorr, div32, Levinson, lagWindow } from '../../codecs/g729/lp-analysis.ts';
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

/** Levinson–Durbin as the Recommendation writes it, with the basic operators throughout. */
class LevinsonReference {
  readonly oldA = Int16Array.from([4096, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  readonly oldRc = new Int16Array(2);
  err = 0;
  run(rh: Int16Array, rl: Int16Array, a: Int16Array, rc: Int16Array): void {
    const ah = new Int16Array(11);
    const al = new Int16Array(11);
    const anh = new Int16Array(11);
    const anl = new Int16Array(11);
    const t1 = L_Comp(rh[1]!, rl[1]!);
    let t0 = Div_32(L_abs(t1), rh[0]!, rl[0]!);
    if (t1 > 0) t0 = L_negate(t0);
    let kh = L_Extract_hi(t0);
    let kl = L_Extract_lo(t0);
    rc[0] = kh;
    t0 = L_shr(t0, 4);
    ah[1] = L_Extract_hi(t0);
    al[1] = L_Extract_lo(t0);
    t0 = L_sub(0x7fffffff, L_abs(Mpy_32(kh, kl, kh, kl)));
    t0 = Mpy_32(rh[0]!, rl[0]!, L_Extract_hi(t0), L_Extract_lo(t0));
    let alpExp = norm_l(t0);
    t0 = L_shl(t0, alpExp);
    let alpH = L_Extract_hi(t0);
    let alpL = L_Extract_lo(t0);
    for (let i = 2; i <= 10; i++) {
      t0 = 0;
      for (let j = 1; j < i; j++) t0 = L_add(t0, Mpy_32(rh[j]!, rl[j]!, ah[i - j]!, al[i - j]!));
      t0 = L_add(L_shl(t0, 4), L_Comp(rh[i]!, rl[i]!));
      let t2 = Div_32(L_abs(t0), alpH, alpL);
      if (t0 > 0) t2 = L_negate(t2);
      t2 = L_shl(t2, alpExp);
      kh = L_Extract_hi(t2);
      kl = L_Extract_lo(t2);
      rc[i - 1] = kh;
      if (abs_s(kh) > 32750) {
        a.set(this.oldA);
        rc[0] = this.oldRc[0]!;
        rc[1] = this.oldRc[1]!;
        return;
      }
      for (let j = 1; j < i; j++) {
        t0 = L_add(Mpy_32(kh, kl, ah[i - j]!, al[i - j]!), L_Comp(ah[j]!, al[j]!));
        anh[j] = L_Extract_hi(t0);
        anl[j] = L_Extract_lo(t0);
      }
      t2 = L_shr(t2, 4);
      anh[i] = L_Extract_hi(t2);
      anl[i] = L_Extract_lo(t2);
      t0 = L_sub(0x7fffffff, L_abs(Mpy_32(kh, kl, kh, kl)));
      t0 = Mpy_32(alpH, alpL, L_Extract_hi(t0), L_Extract_lo(t0));
      const j = norm_l(t0);
      t0 = L_shl(t0, j);
      alpH = L_Extract_hi(t0);
      alpL = L_Extract_lo(t0);
      alpExp = add(alpExp, j);
      for (let k = 1; k <= i; k++) {
        ah[k] = anh[k]!;
        al[k] = anl[k]!;
      }
    }
    this.err = shr(alpH, alpExp);
    a[0] = 4096;
    for (let i = 1; i <= 10; i++) {
      a[i] = round(L_shl(L_Comp(ah[i]!, al[i]!), 1));
      this.oldA[i] = a[i]!;
    }
    this.oldRc[0] = rc[0]!;
    this.oldRc[1] = rc[1]!;
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

  it('Levinson without the Overflow flag against the basic operators: speech-like, tonal and perturbed autocorrelations', () => {
    const r = rng(1999);
    const ours = new Levinson();
    const ref = new LevinsonReference();
    const x = new Int16Array(240);
    const rh = new Int16Array(11);
    const rl = new Int16Array(11);
    const a1 = new Int16Array(11);
    const a2 = new Int16Array(11);
    const rc1 = new Int16Array(10);
    const rc2 = new Int16Array(10);
    let fallbacks = 0;
    for (let n = 0; n < 3000; n++) {
      // Noise, one or two tones (nearly singular), or tones with noise, at any level.
      const kind = n % 3;
      const amp = r(1, 32767);
      const f1 = r(1, 3999) / 8000;
      const f2 = r(1, 3999) / 8000;
      for (let i = 0; i < 240; i++) {
        const tone = Math.sin(2 * Math.PI * f1 * i) + (kind === 2 ? Math.sin(2 * Math.PI * f2 * i) : 0);
        const v = kind === 0 ? r(-amp, amp) : amp * 0.5 * tone + r(-8, 8);
        x[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
      }
      autocorr(x, 0, 10, rh, rl);
      lagWindow(10, rh, rl);
      // Every fourth set perturbed: larger correlations than a signal gives (unstable filters,
      // reflection coefficients beyond ±1 that saturate); every eighth set all random.
      if (n % 4 === 3) {
        for (let i = 1; i <= 10; i++) rh[i] = Math.max(-32768, Math.min(32767, rh[i]! + r(-8000, 8000)));
      }
      if (n % 8 === 7) {
        for (let i = 1; i <= 10; i++) {
          rh[i] = r(-rh[0]!, rh[0]!);
          rl[i] = r(0, 32767);
        }
      }
      ours.run(rh, rl, a1, rc1);
      ref.run(rh, rl, a2, rc2);
      expect([...a1]).toEqual([...a2]);
      expect([...rc1]).toEqual([...rc2]);
      expect(ours.err).toBe(ref.err);
      if (rc1.some((k) => Math.abs(k) > 32750)) fallbacks++;
    }
    expect(fallbacks).toBeGreaterThan(50);
  });
});
