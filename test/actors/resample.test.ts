/**
 * The streaming resampler (harness/actors/resample.ts) against its documented method written
 * out directly: the Blackman-windowed sinc at 0.46 × the lower rate, zero-stuffing with gain L
 * for upsampling, filter-and-keep-every-M-th for downsampling, rounded and clipped to 16 bits.
 * Packet by packet, the stream must come out exactly as the whole signal filtered at once.
 */
import { describe, expect, it } from 'vitest';
import { RESAMPLER_TAPS_PER_PHASE, Resampler } from '../../harness/actors/resample.ts';
import { createPrng } from '../../harness/media/analysis/index.ts';

function taps(factor: number): Float64Array {
  const length = RESAMPLER_TAPS_PER_PHASE * factor;
  const cutoff = 0.46 / factor;
  const h = new Float64Array(length);
  const mid = (length - 1) / 2;
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const x = i - mid;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const w =
      0.42 -
      0.5 * Math.cos((2 * Math.PI * i) / (length - 1)) +
      0.08 * Math.cos((4 * Math.PI * i) / (length - 1));
    h[i] = sinc * w;
    sum += h[i]!;
  }
  for (let i = 0; i < length; i++) h[i]! /= sum;
  return h;
}

const clip = (v: number) => Math.min(32767, Math.max(-32768, Math.round(v)));

/** y[n] = L · Σ_k h[k] · x_up[n − k], x_up the input with L − 1 zeros after each sample. */
function upDirect(x: Int16Array, L: number): Int16Array {
  const h = taps(L);
  const out = new Int16Array(x.length * L);
  for (let n = 0; n < out.length; n++) {
    let acc = 0;
    for (let k = n % L; k < h.length; k += L) {
      const i = (n - k) / L;
      if (i >= 0) acc += h[k]! * x[i]!;
      else acc += h[k]! * 0;
    }
    out[n] = clip(acc * L);
  }
  return out;
}

/** y[m] = Σ_k h[k] · x[(m + 1)·M − 1 − k]. */
function downDirect(x: Int16Array, M: number): Int16Array {
  const h = taps(M);
  const out = new Int16Array(Math.floor(x.length / M));
  for (let m = 0; m < out.length; m++) {
    let acc = 0;
    for (let k = 0; k < h.length; k++) {
      const i = (m + 1) * M - 1 - k;
      acc += h[k]! * (i >= 0 ? x[i]! : 0);
    }
    out[m] = clip(acc);
  }
  return out;
}

function signal(n: number, seed: number): Int16Array {
  const prng = createPrng(seed);
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++)
    x[i] = clip(12000 * Math.sin(i * 0.37) + 9000 * Math.sin(i * 0.011) + prng.uniform(-6000, 6000));
  // Full scale at the end, so the clipping is exercised.
  for (let i = n - 200; i < n; i++) x[i] = i % 2 === 0 ? 32767 : -32768;
  return x;
}

function streamed(r: Resampler, x: Int16Array, prng: ReturnType<typeof createPrng>): Int16Array {
  const parts: Int16Array[] = [];
  for (let o = 0; o < x.length; ) {
    const len = Math.min(x.length - o, 1 + Math.floor(prng.uniform(0, 400)));
    parts.push(r.process(x.subarray(o, o + len)));
    o += len;
  }
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('resampler', () => {
  it.each([2, 3, 6])('up by %i, in blocks of any size, is the zero-stuffed filter sample for sample', (L) => {
    const x = signal(4000, L);
    const got = streamed(new Resampler(8000, 8000 * L), x, createPrng(10 + L));
    expect(got).toEqual(upDirect(x, L));
  });

  it.each([2, 3])('down by %i, in blocks of any size, is the filter kept every M-th sample', (M) => {
    const x = signal(6000, 20 + M);
    const got = streamed(new Resampler(8000 * M, 8000), x, createPrng(30 + M));
    expect(got).toEqual(downDirect(x, M));
  });
});
