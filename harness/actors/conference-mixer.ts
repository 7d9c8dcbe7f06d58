/**
 * The OXO's conference bridge: each party hears the sum of the others and never itself. The
 * media legs decode what they receive; the mixer reads each leg's decoded audio as it grows,
 * resamples it to the mix rate, sums the other parties per listener (saturating) and hands
 * the result to the listener's leg, which re-encodes it in that leg's codec. With two parties
 * it is a plain relay: the PBX-internal "bridge" of a transfer.
 */
import type { CallAudioSource } from './call.ts';
import type { MixerPort } from './handset.ts';

/** Options of a mixer. */
export interface ConferenceMixerOptions {
  /** Rate the mix is computed at (default 16000). */
  sampleRate?: number;
  /** Gain applied to each contribution (default 1). */
  gain?: number;
  /** Most audio a reader may fall behind before it skips ahead, ms (default 200). */
  maxLagMs?: number;
}

/** Linear interpolation of `src` (rate `from`) into `n` samples at rate `to`, starting at `src[0]`. */
function resampleInto(out: Float64Array, src: Int16Array, from: number, to: number, gain: number): number {
  const step = from / to;
  let used = 0;
  for (let i = 0; i < out.length; i++) {
    const pos = i * step;
    const k = Math.floor(pos);
    if (k >= src.length) break;
    const a = src[k]!;
    const b = k + 1 < src.length ? src[k + 1]! : a;
    out[i]! += (a + (b - a) * (pos - k)) * gain;
    used = k + 1;
  }
  return Math.min(src.length, Math.max(used, Math.round(out.length * step)));
}

/** Mixes N parties (media legs, or handsets of sets inside the PBX) so that each hears the others. */
export class ConferenceMixer {
  readonly sampleRate: number;
  private readonly gain: number;
  private readonly maxLagMs: number;
  /** cursor[i][j]: how far listener i has read party j's received audio (in j's samples). */
  private readonly cursors: number[][];
  private running = true;
  /** Samples delivered to each listener. */
  readonly delivered: number[];

  constructor(
    readonly legs: readonly MixerPort[],
    opts: ConferenceMixerOptions = {},
  ) {
    this.sampleRate = opts.sampleRate ?? 16000;
    this.gain = opts.gain ?? 1;
    this.maxLagMs = opts.maxLagMs ?? 200;
    const start = legs.map((l) => l.receivedAudio().samples.length);
    this.cursors = legs.map(() => [...start]);
    this.delivered = legs.map(() => 0);
    legs.forEach((leg, i) => {
      leg.play(this.sourceFor(i));
    });
  }

  /** True while mixing. */
  get active(): boolean {
    return this.running;
  }

  /** Stops the mix (each leg stops playing). */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const l of this.legs) l.stopPlaying();
  }

  private sourceFor(i: number): CallAudioSource {
    return {
      sampleRate: this.sampleRate,
      next: (n: number): Int16Array | null => {
        if (!this.running) return null;
        const count = Math.max(0, Math.min(Math.floor(n), this.sampleRate * 10));
        const acc = new Float64Array(count);
        for (let j = 0; j < this.legs.length; j++) {
          if (j === i) continue;
          this.mixFrom(i, j, acc);
        }
        const out = new Int16Array(count);
        for (let k = 0; k < count; k++) {
          const v = Math.round(acc[k]!);
          out[k] = Math.min(32767, Math.max(-32768, v));
        }
        this.delivered[i]! += count;
        return out;
      },
    };
  }

  private mixFrom(i: number, j: number, acc: Float64Array): void {
    let rec: { sampleRate: number; samples: Int16Array };
    try {
      rec = this.legs[j]!.receivedAudio();
    } catch {
      return;
    }
    const row = this.cursors[i]!;
    let cur = row[j]!;
    const len = rec.samples.length;
    if (cur > len) cur = 0; // the leg's buffer was cleared
    const rate = rec.sampleRate > 0 ? rec.sampleRate : 8000;
    const maxLag = Math.round((this.maxLagMs / 1000) * rate);
    const want = Math.ceil((acc.length * rate) / this.sampleRate);
    if (len - cur > maxLag + want) cur = len - want; // too far behind: skip ahead
    const src = rec.samples.subarray(cur, Math.min(len, cur + want));
    if (src.length > 0) cur += resampleInto(acc, src, rate, this.sampleRate, this.gain);
    row[j] = cur;
  }
}
