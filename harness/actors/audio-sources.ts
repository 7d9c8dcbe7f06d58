/**
 * Audio a media leg plays: test tones, the known music-on-hold melody, the speech-like
 * signal, a codec fixture's source, any PCM buffer, and a live queue fed by another leg
 * (bridging, conference mixing). Each is an {@link AudioSource}: `next(n)` gives the next
 * `n` samples at `sampleRate`, or null when the source has ended.
 */
import { type FixtureCodec, loadCodecFixture } from '../../codecs/index.ts';
import { goertzelAmplitude, speechLike } from '../media/analysis/index.ts';

/** PCM that a {@link MediaLeg} sends. */
export interface AudioSource {
  sampleRate: number;
  /** The next `samples` samples (fewer at the very end is fine), or null when the source has ended. */
  next(samples: number): Int16Array | null;
}

/** Default level of {@link toneSource} components: −13 dBFS ≈ −10 dBm0 (A-law reference). */
export const DEFAULT_TONE_DBFS = -13;

function countOf(samples: number): number {
  return Number.isFinite(samples) && samples > 0 ? Math.floor(samples) : 0;
}

function samplesFor(ms: number | undefined, sampleRate: number): number {
  return ms === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.round((ms * sampleRate) / 1000));
}

/** Longest period tabulated by {@link sineTable}, samples. */
const MAX_SINE_PERIOD = 48_000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * One period of sin(2π·f·n / sampleRate), n = 0…P−1, when an integer f repeats after
 * P = sampleRate / gcd(f, sampleRate) ≤ 48,000 samples; undefined otherwise. Sample n of the
 * tone is then `table[n % P]`: a lookup instead of a sine per sample, and no precision lost
 * to the argument growing over a long call (the values differ from a direct sine of the
 * grown argument by ~1e-12, below a 16-bit sample's rounding).
 */
export function sineTable(freqHz: number, sampleRate: number): Float64Array | undefined {
  if (!Number.isInteger(freqHz) || !Number.isInteger(sampleRate) || freqHz <= 0 || sampleRate <= 0)
    return undefined;
  const period = sampleRate / gcd(freqHz, sampleRate);
  if (period > MAX_SINE_PERIOD) return undefined;
  const table = new Float64Array(period);
  for (let k = 0; k < period; k++) table[k] = Math.sin((2 * Math.PI * freqHz * k) / sampleRate);
  return table;
}

/**
 * A steady tone (or sum of tones), phase-continuous across calls. Each component is at
 * `levelDbfs` (default −13 dBFS). Endless unless `durationMs` is given.
 */
export function toneSource(
  freqHz: number | number[],
  sampleRate: number,
  levelDbfs = DEFAULT_TONE_DBFS,
  durationMs?: number,
): AudioSource {
  const freqs = (Array.isArray(freqHz) ? freqHz : [freqHz]).filter((f) => Number.isFinite(f) && f > 0);
  const amp = 32767 * 10 ** (levelDbfs / 20);
  const total = samplesFor(durationMs, sampleRate);
  const table = freqs.length === 1 ? sineTable(freqs[0]!, sampleRate) : undefined;
  let pos = 0;
  return {
    sampleRate,
    next(samples) {
      if (pos >= total) return null;
      const n = Math.min(countOf(samples), total - pos);
      const out = new Int16Array(n);
      if (table) {
        const period = table.length;
        for (let i = 0, k = pos % period; i < n; i++, k = k + 1 === period ? 0 : k + 1)
          out[i] = Math.max(-32768, Math.min(32767, Math.round(amp * table[k]!)));
        pos += n;
        return out;
      }
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (const f of freqs) v += amp * Math.sin((2 * Math.PI * f * (pos + i)) / sampleRate);
        out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
      }
      pos += n;
      return out;
    },
  };
}

/**
 * The music on hold every simulated PBX plays: a three-note melody (A4, C♯5, E5 — an A major
 * arpeggio), each note {@link MOH_NOTE_MS} ms at −16 dBFS with 20 ms fades, looping forever.
 * Single sines, so no DTMF detector takes it for a digit; {@link detectMoh} recognises it.
 */
export const MOH_NOTES_HZ: readonly number[] = [440, 554.37, 659.26];
/** Length of one note of the melody, ms. */
export const MOH_NOTE_MS = 300;
const MOH_LEVEL_DBFS = -16;
const MOH_FADE_MS = 20;

/** The known music-on-hold signal (see {@link MOH_NOTES_HZ}). Endless. */
export function mohSource(sampleRate: number): AudioSource {
  const note = Math.max(1, Math.round((MOH_NOTE_MS * sampleRate) / 1000));
  const fade = Math.round((MOH_FADE_MS * sampleRate) / 1000);
  const amp = 32767 * 10 ** (MOH_LEVEL_DBFS / 20);
  let pos = 0;
  return {
    sampleRate,
    next(samples) {
      const n = countOf(samples);
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++, pos++) {
        const k = Math.floor(pos / note);
        const inNote = pos - k * note;
        const f = MOH_NOTES_HZ[k % MOH_NOTES_HZ.length]!;
        const edge = Math.min(inNote, note - 1 - inNote);
        const env = edge < fade ? 0.5 - 0.5 * Math.cos((Math.PI * edge) / fade) : 1;
        out[i] = Math.round(env * amp * Math.sin((2 * Math.PI * f * inNote) / sampleRate));
      }
      return out;
    },
  };
}

/** What {@link detectMoh} found. */
export interface MohDetection {
  present: boolean;
  /** For each melody note, the share of analysed 100 ms windows in which it dominated. */
  noteShares: number[];
  /** Windows analysed (those above −50 dBFS). */
  windows: number;
}

/**
 * Is the {@link mohSource} melody in `samples`? Splits the audio into 100 ms windows, and in
 * each loud enough window asks which melody note carries most of the energy (Goertzel). The
 * melody is present when every note dominates at least `minShare` (default 0.15) of the
 * windows and the notes together explain at least half of the window energy. Never throws.
 */
export function detectMoh(samples: ArrayLike<number>, sampleRate: number, minShare = 0.15): MohDetection {
  const win = Math.max(16, Math.round(sampleRate / 10));
  const counts = MOH_NOTES_HZ.map(() => 0);
  let windows = 0;
  let explained = 0;
  const floor = (32767 * 10 ** (-50 / 20)) ** 2 / 2;
  for (let start = 0; start + win <= samples.length && windows < 100_000; start += win) {
    const block = new Float64Array(win);
    let energy = 0;
    for (let i = 0; i < win; i++) {
      const v = Number(samples[start + i]);
      block[i] = Number.isFinite(v) ? v : 0;
      energy += block[i]! * block[i]!;
    }
    if (energy / win < floor) continue;
    windows++;
    let best = -1;
    let bestAmp = 0;
    MOH_NOTES_HZ.forEach((f, k) => {
      const a = goertzelAmplitude(block, sampleRate, f);
      if (a > bestAmp) {
        bestAmp = a;
        best = k;
      }
    });
    // A sine of amplitude A carries A²·N/2 of the block's energy.
    if (best >= 0 && (bestAmp * bestAmp * win) / 2 >= 0.5 * energy) {
      counts[best]!++;
      explained++;
    }
  }
  const noteShares = counts.map((c) => (windows > 0 ? c / windows : 0));
  return {
    present: windows > 0 && explained >= windows / 2 && noteShares.every((s) => s >= minShare),
    noteShares,
    windows,
  };
}

/** Plays `pcm` once (or in a loop). */
export function pcmSource(pcm: Int16Array, sampleRate: number, loop = false): AudioSource {
  let pos = 0;
  return {
    sampleRate,
    next(samples) {
      const n = countOf(samples);
      if (pcm.length === 0) return loop ? new Int16Array(n) : null;
      if (!loop) {
        if (pos >= pcm.length) return null;
        const out = pcm.slice(pos, Math.min(pcm.length, pos + n));
        pos += out.length;
        return out;
      }
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = pcm[pos]!;
        pos = pos + 1 === pcm.length ? 0 : pos + 1;
      }
      return out;
    },
  };
}

/**
 * The deterministic speech-like signal of the analysis layer (talkspurts and pauses, energy
 * up to 7 kHz at 16 kHz), `durationMs` long (default 10 s), looping when `loop` is set.
 */
export function speechSource(sampleRate: number, durationMs = 10_000, seed = 1, loop = false): AudioSource {
  return pcmSource(speechLike({ sampleRate, durationMs, seed }), sampleRate, loop);
}

/**
 * The source signal of a codec fixture (codecs/fixtures: the 8 kHz 1 kHz + 2 kHz two-tone
 * pattern), looped by default. @throws Error when the fixture files are missing (a broken checkout).
 */
export function fixtureSource(codec: FixtureCodec = 'G723', loop = true): AudioSource {
  const f = loadCodecFixture(codec);
  return pcmSource(f.source, 8000, loop);
}

/**
 * A live source: PCM pushed by someone else (another leg's received audio, a mixer) is
 * played in order; when the queue runs dry it plays silence, so the stream keeps its timing.
 * `end()` lets it finish once drained. The queue holds at most `maxQueueMs` (default 2 s);
 * older audio is dropped (counted in `dropped`) so a stalled consumer cannot grow it.
 */
export class PcmQueueSource implements AudioSource {
  dropped = 0;
  /** Samples of silence played because the queue was empty. */
  underruns = 0;
  private chunks: Int16Array[] = [];
  private queued = 0;
  private ended = false;
  private readonly max: number;

  constructor(
    readonly sampleRate: number,
    maxQueueMs = 2000,
  ) {
    this.max = Math.max(1, Math.round((maxQueueMs * sampleRate) / 1000));
  }

  /** Samples waiting to be played. */
  get length(): number {
    return this.queued;
  }

  /** Appends PCM (at `sampleRate`). */
  push(pcm: Int16Array): void {
    if (this.ended || pcm.length === 0) return;
    this.chunks.push(pcm.slice());
    this.queued += pcm.length;
    while (this.queued > this.max && this.chunks.length > 0) {
      const over = this.queued - this.max;
      const head = this.chunks[0]!;
      if (head.length <= over) {
        this.chunks.shift();
        this.queued -= head.length;
        this.dropped += head.length;
      } else {
        this.chunks[0] = head.subarray(over);
        this.queued -= over;
        this.dropped += over;
      }
    }
  }

  /** No more audio will be pushed: the source ends once the queue is empty. */
  end(): void {
    this.ended = true;
  }

  next(samples: number): Int16Array | null {
    const n = countOf(samples);
    if (this.ended && this.queued === 0) return null;
    const out = new Int16Array(n);
    let o = 0;
    while (o < n && this.chunks.length > 0) {
      const head = this.chunks[0]!;
      const take = Math.min(head.length, n - o);
      out.set(head.subarray(0, take), o);
      o += take;
      this.queued -= take;
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
    }
    if (o < n) this.underruns += n - o;
    return out;
  }
}
