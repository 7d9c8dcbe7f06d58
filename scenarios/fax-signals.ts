/**
 * The fax signals of ITU-T T.30 phase A/B that a G.711 fax call must carry unchanged, made
 * and recognised here so that case T-8 can send them through the SBC and judge what came out:
 *
 * - CNG, the calling tone: 1100 Hz (± 38 Hz), 0.5 s on, 3 s off, from the calling terminal;
 * - CED, the called station identification: 2100 Hz (± 15 Hz) for 2.6 s to 4 s, from the
 *   called terminal, followed by 75 ms of silence and
 * - the V.21 preamble: HDLC flags (0x7E) at 300 bit/s on V.21 channel 2, continuous-phase
 *   FSK with mark (binary 1) at 1650 Hz and space (binary 0) at 1850 Hz.
 *
 * Detection works on whatever sample rate the audio was recorded at (8 or 16 kHz). Bad input
 * (empty, silent, noisy, too short) gives empty results, never an exception.
 */
import {
  analyseTone,
  concatSignals,
  goertzel,
  meanSquare,
  type Samples,
  silence,
  sineAmplitudeForDbfs,
  sineTone,
} from '../harness/media/analysis/index.ts';

/** CNG frequency, Hz (T.30 §5.2: 1100 Hz ± 38 Hz). */
export const CNG_HZ = 1100;
export const CNG_TOLERANCE_HZ = 38;
/** CED frequency, Hz (T.30 §5.2, V.25: 2100 Hz ± 15 Hz). */
export const CED_HZ = 2100;
export const CED_TOLERANCE_HZ = 15;
/** V.21 channel 2: mark (1) and space (0) frequencies, Hz, and the modulation rate. */
export const V21_MARK_HZ = 1650;
export const V21_SPACE_HZ = 1850;
export const V21_BAUD = 300;
/** The HDLC flag octet. */
export const HDLC_FLAG = 0x7e;
/** Silence between the end of CED and the V.21 preamble, ms (T.30). */
export const CED_TO_PREAMBLE_MS = 75;
/** Level of the generated signals, dBFS (about −10 dBm0, a typical fax transmit level). */
export const FAX_LEVEL_DBFS = -13;

/** Options of the calling tone. */
export interface CngOptions {
  sampleRate: number;
  /** Number of on/off cycles (default 1). */
  cycles?: number;
  /** Tone on, ms (default 500). */
  onMs?: number;
  /** Silence after each tone, ms (default 3000). */
  offMs?: number;
}

/** CNG: 1100 Hz bursts with their cadence (5 ms ramps against clicks). */
export function cngSignal(o: CngOptions): Int16Array {
  const cycles = Math.max(1, Math.min(100, Math.floor(o.cycles ?? 1)));
  const on = sineTone(
    { frequencyHz: CNG_HZ, levelDbfs: FAX_LEVEL_DBFS },
    { sampleRate: o.sampleRate, durationMs: o.onMs ?? 500, rampMs: 5 },
  );
  const off = silence(o.offMs ?? 3000, o.sampleRate);
  const parts: Int16Array[] = [];
  for (let i = 0; i < cycles; i++) parts.push(on, off);
  return concatSignals(...parts);
}

/** CED: a 2100 Hz tone of `durationMs` (T.30 asks 2.6 s to 4 s). */
export function cedSignal(o: { sampleRate: number; durationMs?: number }): Int16Array {
  return sineTone(
    { frequencyHz: CED_HZ, levelDbfs: FAX_LEVEL_DBFS },
    { sampleRate: o.sampleRate, durationMs: o.durationMs ?? 3000, rampMs: 5 },
  );
}

/** The bits of `count` HDLC flags, in transmission order (the flag is a palindrome: 0 1 1 1 1 1 1 0). */
export function hdlcFlagBits(count: number): Uint8Array {
  const n = Math.max(0, Math.min(100_000, Math.floor(count)));
  const out = new Uint8Array(n * 8);
  for (let f = 0; f < n; f++) for (let b = 0; b < 8; b++) out[f * 8 + b] = (HDLC_FLAG >> b) & 1; // LSB first
  return out;
}

/**
 * V.21 channel 2 modulation: continuous-phase FSK at 300 bit/s, 1 → 1650 Hz, 0 → 1850 Hz.
 * Bit k occupies samples [round(k·fs/300), round((k+1)·fs/300)).
 */
export function v21Modulate(bits: ArrayLike<number>, sampleRate: number): Int16Array {
  const n = Math.round((bits.length * sampleRate) / V21_BAUD);
  const out = new Int16Array(n);
  const amp = sineAmplitudeForDbfs(FAX_LEVEL_DBFS);
  let phase = 0;
  let k = 0;
  let nextEdge = Math.round(sampleRate / V21_BAUD);
  for (let i = 0; i < n; i++) {
    while (i >= nextEdge && k < bits.length - 1) {
      k++;
      nextEdge = Math.round(((k + 1) * sampleRate) / V21_BAUD);
    }
    const f = bits[k] ? V21_MARK_HZ : V21_SPACE_HZ;
    out[i] = Math.round(amp * Math.sin(phase));
    phase += (2 * Math.PI * f) / sampleRate;
    if (phase > 2 * Math.PI) phase -= 2 * Math.PI;
  }
  return out;
}

/** Options of the called terminal's answer. */
export interface CalledFaxOptions {
  sampleRate: number;
  /** CED duration, ms (default 3000). */
  cedMs?: number;
  /** V.21 preamble duration, ms (default 1000, as T.30 asks: 1 s ± 15 %). */
  preambleMs?: number;
}

/** What the called terminal sends: CED, 75 ms silence, then the V.21 preamble; with its layout. */
export function calledFaxSignal(o: CalledFaxOptions): {
  samples: Int16Array;
  flags: number;
  cedMs: number;
  preambleStartMs: number;
} {
  const cedMs = o.cedMs ?? 3000;
  const flags = Math.max(1, Math.round(((o.preambleMs ?? 1000) / 1000) * (V21_BAUD / 8)));
  const samples = concatSignals(
    cedSignal({ sampleRate: o.sampleRate, durationMs: cedMs }),
    silence(CED_TO_PREAMBLE_MS, o.sampleRate),
    v21Modulate(hdlcFlagBits(flags), o.sampleRate),
  );
  return { samples, flags, cedMs, preambleStartMs: cedMs + CED_TO_PREAMBLE_MS };
}

/** One stretch where a tone dominates the audio. */
export interface ToneBurst {
  startMs: number;
  endMs: number;
  /** Measured frequency over the burst, Hz. */
  frequencyHz: number;
  levelDbfs: number;
}

/** Options of {@link findToneBursts}. */
export interface BurstOptions {
  /** Analysis frame, ms (default 10). */
  frameMs?: number;
  /** Share of a frame's power at the frequency for the frame to count (default 0.6). */
  minShare?: number;
  /** Quietest frame that counts, dBFS (default −45). */
  minLevelDbfs?: number;
  /** Shortest burst reported, ms (default 60). */
  minBurstMs?: number;
  /** Frames of dropout tolerated inside a burst (default 2). */
  bridgeFrames?: number;
}

/** Most samples analysed by the detectors (10 min at 16 kHz): longer input is cut. */
const MAX_SAMPLES = 16_000 * 600;

/**
 * Finds the stretches of `samples` where a sine near `hz` carries most of the power, frame
 * by frame (Goertzel at `hz` against the frame's mean square), then measures each burst's
 * frequency precisely. Frames at the edges are partial, so durations are exact to ± 1 frame.
 */
export function findToneBursts(
  samples: Samples,
  sampleRate: number,
  hz: number,
  o: BurstOptions = {},
): ToneBurst[] {
  if (!(sampleRate > 0) || !(hz > 0) || hz >= sampleRate / 2) return [];
  const total = Math.min(samples.length, MAX_SAMPLES);
  const frame = Math.max(8, Math.round(((o.frameMs ?? 10) * sampleRate) / 1000));
  const minShare = o.minShare ?? 0.6;
  const minMs = sineAmplitudeForDbfs(o.minLevelDbfs ?? -45) ** 2 / 2;
  const frames = Math.floor(total / frame);
  const on = new Uint8Array(frames);
  for (let f = 0; f < frames; f++) {
    const a = f * frame;
    const ms = meanSquare(samples, a, a + frame);
    if (!(ms >= minMs)) continue;
    const x = goertzel(samples, sampleRate, hz, a, a + frame);
    const amp = (2 * Math.hypot(x.re, x.im)) / frame;
    if ((amp * amp) / 2 >= minShare * ms) on[f] = 1;
  }
  const bridge = o.bridgeFrames ?? 2;
  const bursts: ToneBurst[] = [];
  const frameMs = (frame * 1000) / sampleRate;
  let f = 0;
  while (f < frames) {
    if (!on[f]) {
      f++;
      continue;
    }
    const first = f;
    let last = f;
    let g = f + 1;
    while (g < frames && g - last <= bridge + 1) {
      if (on[g]) last = g;
      g++;
    }
    f = last + 1;
    const startMs = first * frameMs;
    const endMs = (last + 1) * frameMs;
    if (endMs - startMs < (o.minBurstMs ?? 60)) continue;
    // Measure away from the edges (ramps, partial frames).
    const a = (first + 1) * frame;
    const b = Math.max(a + frame, last * frame);
    const t = analyseTone(samples, sampleRate, {
      start: a,
      maxSamples: Math.max(8, Math.min(b, total) - a),
      searchHz: [hz * 0.9, hz * 1.1],
    });
    bursts.push({ startMs, endMs, frequencyHz: t.frequencyHz, levelDbfs: t.levelDbfs });
  }
  return bursts;
}

/** What {@link demodulateV21} recovered. */
export interface V21Result {
  bits: Uint8Array;
  /** Longest run of back-to-back HDLC flags found. */
  flags: number;
  /** Where that run starts, ms from the start of the analysed audio. */
  flagsStartMs: number;
}

/**
 * Non-coherent V.21 channel 2 demodulator: per bit, Goertzel power at 1650 Hz against
 * 1850 Hz; the bit clock is found by trying 8 phases and keeping the one with the longest
 * run of flags. Silence and other tones give few or no flags.
 */
export function demodulateV21(samples: Samples, sampleRate: number, startMs = 0): V21Result {
  const none: V21Result = { bits: new Uint8Array(0), flags: 0, flagsStartMs: 0 };
  if (!(sampleRate >= 4000)) return none;
  const total = Math.min(samples.length, MAX_SAMPLES);
  const spb = sampleRate / V21_BAUD;
  const start = Math.max(0, Math.round((startMs * sampleRate) / 1000));
  let best = none;
  for (let p = 0; p < 8; p++) {
    const off = start + (p * spb) / 8;
    const nBits = Math.floor((total - off) / spb);
    if (nBits <= 0) continue;
    const bits = new Uint8Array(nBits);
    const minMs = sineAmplitudeForDbfs(-50) ** 2 / 2;
    const quiet = new Uint8Array(nBits);
    for (let k = 0; k < nBits; k++) {
      const a = Math.round(off + k * spb);
      const b = Math.round(off + (k + 1) * spb);
      if (meanSquare(samples, a, b) < minMs) quiet[k] = 1;
      const m = goertzel(samples, sampleRate, V21_MARK_HZ, a, b);
      const s = goertzel(samples, sampleRate, V21_SPACE_HZ, a, b);
      bits[k] = m.re * m.re + m.im * m.im >= s.re * s.re + s.im * s.im ? 1 : 0;
    }
    const run = longestFlagRun(bits, quiet);
    if (run.flags > best.flags)
      best = { bits, flags: run.flags, flagsStartMs: ((off + run.at * spb) * 1000) / sampleRate };
  }
  return best;
}

/** The longest run of consecutive HDLC flags in `bits` (skipping bits marked quiet). */
export function longestFlagRun(
  bits: ArrayLike<number>,
  quiet?: ArrayLike<number>,
): { flags: number; at: number } {
  const isFlag = (i: number): boolean => {
    for (let b = 0; b < 8; b++) {
      if (quiet?.[i + b]) return false;
      if (bits[i + b] !== ((HDLC_FLAG >> b) & 1)) return false;
    }
    return true;
  };
  let bestRun = 0;
  let bestAt = 0;
  // A run can start at any bit; a flag at i continues at i + 8.
  const seen = new Uint8Array(bits.length);
  for (let i = 0; i + 8 <= bits.length; i++) {
    if (seen[i] || !isFlag(i)) continue;
    let n = 0;
    let j = i;
    while (j + 8 <= bits.length && isFlag(j)) {
      seen[j] = 1;
      n++;
      j += 8;
    }
    if (n > bestRun) {
      bestRun = n;
      bestAt = i;
    }
  }
  return { flags: bestRun, at: bestAt };
}
