/**
 * Inband DTMF receiver after ITU-T Q.24 (as profiled e.g. in ETSI ES 201 235-3): streaming,
 * Goertzel-based, for linear 16-bit PCM at 8 or 16 kHz (other rates work too).
 *
 * Analysis: every 5 ms (the hop H) a 20 ms Hann window (L = 4H) is judged, from its energies
 * and from its bins at the eight Q.23 frequencies and at the second harmonics of the four
 * high-group ones (a bin is evaluated only when a check needs it: see `eagerBins`). A window
 * is VALID for digit d when all of these hold:
 * 1. steady: the signal energy of each of the window's four 5 ms sub-blocks is at least
 *    `minSubBlockRatio` (0.3) of the largest; this makes tone edges, dropouts and pauses
 *    invalid and gives the duration and pause rules below sharp edges;
 * 2. the strongest bin of each group gives the row and column of d;
 * 3. frequency: each tone's deviation from nominal, measured from the phase advance of its
 *    bin between this window and the previous one (unambiguous to ±100 Hz), is within
 *    `maxFrequencyDeviation` (2.5 %): Q.24 asks to accept ±1.5 % and reject ±3.5 %;
 * 4. level: each tone, with its amplitude corrected for the Hann response at the measured
 *    deviation, is at least `minLevelDbm0` (-30 dBm0): accept -25, reject -35;
 * 5. twist (high minus low level) within `-maxReverseTwistDb` (4 dB, low louder) and
 *    `+maxNormalTwistDb` (8 dB, high louder);
 * 6. talk-off: the two tones carry at least `minToneEnergyRatio` (0.8) of the windowed
 *    signal energy, and the second harmonic of the high tone is at least
 *    `minHarmonicRejectionDb` (15 dB) below it. (The low tone's second harmonic falls
 *    within the main lobe of the high-group bins at this window length, so it is only
 *    covered by the energy ratio.)
 *
 * Timing: a digit starts after `minValidWindows` (4) consecutive VALID windows of the same
 * digit, which needs about 28 ms of steady tone at the least (so 40 ms is always accepted
 * and 20-23 ms never); it ends after `endInvalidWindows` (8) consecutive windows that are
 * not VALID for it: a 10 ms dropout makes at most 6 such windows and is bridged, a 40 ms
 * pause makes at least 10 and ends the digit. A run of another digit also ends it.
 * One tone burst therefore yields exactly one {@link DetectedDtmfTone}, reported when it
 * ends, with its start and duration (accurate to about ±5 ms).
 *
 * Levels follow dtmf-level.ts (0 dBm0 = 3.14 dB below a full-scale sine).
 */
import { DTMF_HIGH_FREQUENCIES, DTMF_LOW_FREQUENCIES, type DtmfDigit, dtmfDigitAt } from './dtmf-digit.ts';
import { dbm0ToPeak, peakToDbm0 } from './dtmf-level.ts';
import { type Bin, GoertzelBin, GoertzelQuad, hannResponse, hannWindow } from './goertzel.ts';

/** Tunable limits; defaults follow the Q.24 figures quoted above. */
export interface DtmfToneDetectorOptions {
  /** Sample rate in Hz. Default 8000. */
  sampleRate?: number;
  /**
   * Evaluate all eight bins of every window, as the detector first did. Default false: the
   * bins are evaluated only when a check needs them. A window the energy gates reject
   * (silence, unsteady, or too quiet for any tone in it to reach `minLevelDbm0`, counted as
   * `level`) needs none; the high group is evaluated only once the low tone passed the
   * frequency check (a steady tone that is not DTMF seldom does); and of a previous window
   * whose bins were not evaluated, only the one bin the phase advance needs, from the extra
   * hop the ring keeps. The digits are the same either way; the option exists so tests can
   * compare the two.
   */
  eagerBins?: boolean;
  maxFrequencyDeviation?: number;
  minLevelDbm0?: number;
  maxNormalTwistDb?: number;
  maxReverseTwistDb?: number;
  minToneEnergyRatio?: number;
  minHarmonicRejectionDb?: number;
  minSubBlockRatio?: number;
  minValidWindows?: number;
  endInvalidWindows?: number;
}

/** One detected digit. */
export interface DetectedDtmfTone {
  digit: DtmfDigit;
  /** Start, in samples since the detector was created. */
  startSample: number;
  /** Start in ms since the detector was created. */
  startMs: number;
  /** Duration of the tone in ms. */
  durationMs: number;
  /** Mean measured low-tone level in dBm0. */
  lowLevelDbm0: number;
  /** Mean measured high-tone level in dBm0. */
  highLevelDbm0: number;
  /** Mean measured low-tone frequency in Hz. */
  lowFrequencyHz: number;
  /** Mean measured high-tone frequency in Hz. */
  highFrequencyHz: number;
}

/**
 * Why a window was not VALID; counted in {@link DtmfToneDetector.stats}. `level` also counts
 * the windows too quiet for any tone in them to reach the level floor, whatever their
 * frequencies (rejected before their bins are evaluated; see `eagerBins`).
 */
export type DtmfRejectReason =
  | 'silence'
  | 'unsteady'
  | 'frequency'
  | 'level'
  | 'twist'
  | 'energy-ratio'
  | 'harmonic';

interface WindowResult {
  digit: DtmfDigit;
  lowLevel: number;
  highLevel: number;
  lowFreq: number;
  highFreq: number;
}

interface Accumulator {
  digit: DtmfDigit;
  start: number;
  end: number;
  windows: number;
  lowLevel: number;
  highLevel: number;
  lowFreq: number;
  highFreq: number;
}

/**
 * Streaming detector: {@link feed} PCM blocks of any size (16-bit scale numbers: Int16Array,
 * Float32Array or number[]); each call returns the digits that ended within it.
 */
export class DtmfToneDetector {
  readonly sampleRate: number;
  private readonly hop: number;
  private readonly length: number;
  /**
   * Last L + H samples (the current window and the hop before it, so the previous window's
   * bins can still be evaluated); starts as silence so a stream that opens with a tone is
   * timed like any other.
   */
  private readonly ring: Float64Array;
  private readonly eager: boolean;
  /** Windowed energy below which no tone of the window can reach the level floor (see {@link gate}). */
  private readonly quietEnergy: number;
  private readonly lowBins: GoertzelBin[];
  private readonly highBins: GoertzelBin[];
  private readonly harmonicBins: GoertzelBin[];
  /** The low and the high group evaluated in one pass each. */
  private readonly lowQuad: GoertzelQuad;
  private readonly highQuad: GoertzelQuad;
  private readonly hannSum: number;
  private readonly hannSquareSum: number;
  private readonly window: Float64Array;
  private readonly o: Required<Omit<DtmfToneDetectorOptions, 'sampleRate' | 'eagerBins'>>;
  private readonly prevLow: Bin[];
  private readonly prevHigh: Bin[];
  private readonly curLow: Bin[];
  private readonly curHigh: Bin[];
  private readonly harmonic: Bin = { re: 0, im: 0 };
  private havePrev = false;
  /** Whether prevLow / prevHigh hold the previous window's bins (else evaluated when needed). */
  private prevLowFresh = false;
  private prevHighFresh = false;
  /** Whether judge() evaluated this window's high group. */
  private highDone = false;
  private writePos = 0;
  private sinceHop = 0;
  private samples = 0;
  private candidate: Accumulator | undefined;
  private active: Accumulator | undefined;
  private invalidRun = 0;
  private readonly rejects: Record<DtmfRejectReason, number> = {
    silence: 0,
    unsteady: 0,
    frequency: 0,
    level: 0,
    twist: 0,
    'energy-ratio': 0,
    harmonic: 0,
  };

  constructor(options: DtmfToneDetectorOptions = {}) {
    this.sampleRate = options.sampleRate && options.sampleRate >= 4000 ? options.sampleRate : 8000;
    this.hop = Math.max(8, Math.round(this.sampleRate * 0.005));
    this.length = this.hop * 4;
    this.o = {
      maxFrequencyDeviation: options.maxFrequencyDeviation ?? 0.025,
      minLevelDbm0: options.minLevelDbm0 ?? -30,
      maxNormalTwistDb: options.maxNormalTwistDb ?? 8,
      maxReverseTwistDb: options.maxReverseTwistDb ?? 4,
      minToneEnergyRatio: options.minToneEnergyRatio ?? 0.8,
      minHarmonicRejectionDb: options.minHarmonicRejectionDb ?? 15,
      minSubBlockRatio: options.minSubBlockRatio ?? 0.3,
      minValidWindows: Math.max(1, Math.round(options.minValidWindows ?? 4)),
      endInvalidWindows: Math.max(1, Math.round(options.endInvalidWindows ?? 8)),
    };
    this.window = hannWindow(this.length);
    this.hannSum = this.window.reduce((s, v) => s + v, 0);
    this.hannSquareSum = this.window.reduce((s, v) => s + v * v, 0);
    this.ring = new Float64Array(this.length + this.hop);
    this.eager = options.eagerBins === true;
    // A tone's peak is measured as 2|X| / (Σw · response), with the response at least 0.05
    // (tone()), and |X| ≤ Σ|x·w| ≤ √(L · windowed) (Cauchy–Schwarz). So when
    // 2√(L · windowed) / (0.05 Σw) is below the floor's peak, both tones fail the level
    // check. Kept 1 dB inside that bound against rounding.
    const floorPeak = dbm0ToPeak(this.o.minLevelDbm0 - 1);
    const quiet = (floorPeak * 0.05 * this.hannSum) / 2;
    const quietEnergy = (quiet * quiet) / this.length;
    this.quietEnergy = Number.isFinite(quietEnergy) && quietEnergy > 0 ? quietEnergy : 0;
    const make = (f: number): GoertzelBin => new GoertzelBin(f, this.sampleRate, this.window);
    this.lowBins = DTMF_LOW_FREQUENCIES.map(make);
    this.highBins = DTMF_HIGH_FREQUENCIES.map(make);
    this.lowQuad = new GoertzelQuad(this.lowBins);
    this.highQuad = new GoertzelQuad(this.highBins);
    this.harmonicBins = DTMF_HIGH_FREQUENCIES.filter((f) => 2 * f < this.sampleRate / 2).map((f) =>
      make(2 * f),
    );
    const bins = (): Bin[] => [0, 1, 2, 3].map(() => ({ re: 0, im: 0 }));
    this.prevLow = bins();
    this.prevHigh = bins();
    this.curLow = bins();
    this.curHigh = bins();
  }

  /** Samples consumed so far. */
  get samplesSeen(): number {
    return this.samples;
  }

  /** The digit currently sounding (detected, not yet ended), if any. */
  get pending(): DtmfDigit | undefined {
    return this.active?.digit;
  }

  /**
   * How many analysis windows were rejected, by reason (evidence and tuning). A window fails
   * at the first check that rejects it; a too-quiet window counts as `level` (see
   * {@link DtmfRejectReason}).
   */
  get stats(): Record<DtmfRejectReason, number> {
    return { ...this.rejects };
  }

  /** Consumes a block of samples; returns the digits that ended in it. Never throws. */
  feed(block: ArrayLike<number>): DetectedDtmfTone[] {
    const out: DetectedDtmfTone[] = [];
    if (block === null || typeof block !== 'object' || typeof block.length !== 'number') return out;
    const n = block.length;
    for (let i = 0; i < n; i++) {
      const v = Number(block[i]);
      this.ring[this.writePos] = Number.isFinite(v) ? v : 0;
      this.writePos = this.writePos + 1 === this.ring.length ? 0 : this.writePos + 1;
      this.samples++;
      this.sinceHop++;
      if (this.sinceHop >= this.hop) {
        this.sinceHop = 0;
        this.step(this.analyse(), out);
      }
    }
    return out;
  }

  /**
   * The digit in progress as {@link flush} would report it now, without ending it: the
   * detector's state is unchanged, so more of the same tone extends it.
   */
  peek(): DetectedDtmfTone | undefined {
    return this.active ? this.finish(this.active) : undefined;
  }

  /** Ends the digit in progress, if any (end of stream). */
  flush(): DetectedDtmfTone[] {
    const out: DetectedDtmfTone[] = [];
    if (this.active) out.push(this.finish(this.active));
    this.active = undefined;
    this.candidate = undefined;
    this.invalidRun = 0;
    return out;
  }

  /** Runs the segmentation state machine on one window's verdict. */
  private step(result: WindowResult | undefined, out: DetectedDtmfTone[]): void {
    const windowEnd = this.samples;
    const windowStart = windowEnd - this.length;
    // Candidate run of consecutive VALID windows of one digit.
    if (result === undefined) {
      this.candidate = undefined;
    } else if (this.candidate && this.candidate.digit === result.digit) {
      this.add(this.candidate, result, windowEnd);
    } else {
      this.candidate = {
        digit: result.digit,
        start: windowStart,
        end: windowEnd,
        windows: 0,
        lowLevel: 0,
        highLevel: 0,
        lowFreq: 0,
        highFreq: 0,
      };
      this.add(this.candidate, result, windowEnd);
    }

    const active = this.active;
    if (active) {
      if (result !== undefined && result.digit === active.digit) {
        this.add(active, result, windowEnd);
        this.invalidRun = 0;
        return;
      }
      this.invalidRun++;
      const switched = this.candidate !== undefined && this.candidate.windows >= this.o.minValidWindows;
      if (this.invalidRun >= this.o.endInvalidWindows || switched) {
        out.push(this.finish(active));
        this.active = undefined;
        this.invalidRun = 0;
      } else {
        return;
      }
    }
    if (this.candidate && this.candidate.windows >= this.o.minValidWindows) {
      this.active = this.candidate;
      this.candidate = undefined;
      this.invalidRun = 0;
    }
  }

  private add(acc: Accumulator, r: WindowResult, end: number): void {
    acc.end = end;
    acc.windows++;
    acc.lowLevel += r.lowLevel;
    acc.highLevel += r.highLevel;
    acc.lowFreq += r.lowFreq;
    acc.highFreq += r.highFreq;
  }

  private finish(acc: Accumulator): DetectedDtmfTone {
    const k = Math.max(1, acc.windows);
    // VALID windows may overhang each tone edge by up to about 70 % of a hop.
    const start = acc.start + Math.round(this.hop * 0.35);
    const end = Math.max(start, acc.end - Math.round(this.hop * 0.35));
    return {
      digit: acc.digit,
      startSample: start,
      startMs: (start * 1000) / this.sampleRate,
      durationMs: ((end - start) * 1000) / this.sampleRate,
      lowLevelDbm0: acc.lowLevel / k,
      highLevelDbm0: acc.highLevel / k,
      lowFrequencyHz: acc.lowFreq / k,
      highFrequencyHz: acc.highFreq / k,
    };
  }

  /** Evaluates the window now in the ring buffer; undefined when it is not VALID. */
  private analyse(): WindowResult | undefined {
    const ring = this.ring;
    const size = ring.length;
    const H = this.hop;
    // The oldest sample of the window; the ring's oldest (at writePos) is the hop before it.
    const start = this.writePos + H >= size ? this.writePos + H - size : this.writePos + H;
    // Energies: windowed total and the four raw sub-blocks.
    let windowed = 0;
    let maxSub = 0;
    let minSub = Number.POSITIVE_INFINITY;
    let idx = start;
    for (let b = 0; b < 4; b++) {
      let sub = 0;
      for (let m = b * H; m < (b + 1) * H; m++) {
        const v = ring[idx]!;
        sub += v * v;
        const vw = v * this.window[m]!;
        windowed += vw * vw;
        idx = idx + 1 === size ? 0 : idx + 1;
      }
      if (sub > maxSub) maxSub = sub;
      if (sub < minSub) minSub = sub;
    }
    const hadPrev = this.havePrev;
    this.havePrev = true;
    if (!hadPrev) {
      this.rejects.silence++;
      this.lowQuad.evaluate(ring, start, this.prevLow);
      this.highQuad.evaluate(ring, start, this.prevHigh);
      this.prevLowFresh = true;
      this.prevHighFresh = true;
      return undefined;
    }
    // The energy gates need no bins. Without `eagerBins`, a group's bins are evaluated only
    // when a check needs them: this window's low group past the gates, its high group once the
    // low tone passed the frequency check, and the one bin of the previous window that the
    // phase advance needs, from the hop the ring keeps, when that window's were not evaluated.
    const gate = this.gate(windowed, minSub, maxSub);
    if (gate !== undefined) {
      this.reject(gate);
      if (this.eager) {
        this.lowQuad.evaluate(ring, start, this.prevLow);
        this.highQuad.evaluate(ring, start, this.prevHigh);
      }
      this.prevLowFresh = this.eager;
      this.prevHighFresh = this.eager;
      return undefined;
    }
    this.lowQuad.evaluate(ring, start, this.curLow);
    if (this.eager) this.highQuad.evaluate(ring, start, this.curHigh);
    const verdict = this.judge(windowed, start, start >= H ? start - H : start - H + size);
    // Keep this window's bins as the previous ones (the high group's if it was evaluated).
    for (let i = 0; i < 4; i++) copyBin(this.curLow[i]!, this.prevLow[i]!);
    this.prevLowFresh = true;
    if (this.highDone) for (let i = 0; i < 4; i++) copyBin(this.curHigh[i]!, this.prevHigh[i]!);
    this.prevHighFresh = this.highDone;
    return verdict;
  }

  /**
   * The previous window's bin `i` of a group: kept from that window when it was evaluated,
   * else evaluated now over that window (oldest sample at `prevStart`) into `prev[i]`.
   */
  private prevBin(fresh: boolean, bins: GoertzelBin[], prev: Bin[], i: number, prevStart: number): Bin {
    const b = prev[i]!;
    if (!fresh) bins[i]!.evaluate(this.ring, prevStart, b);
    return b;
  }

  /** The reject reason of the checks that need only the window's energies, if one applies. */
  private gate(windowed: number, minSub: number, maxSub: number): DtmfRejectReason | undefined {
    // Silence: digital silence (a mean square below 0.01 over the window).
    if (windowed < 1e-2 * this.hannSquareSum) return 'silence';
    if (minSub < this.o.minSubBlockRatio * maxSub) return 'unsteady';
    // Too quiet for either tone to reach the level floor (about 31 dB below it: G.711's idle
    // pattern, comfort noise): what judge() would reject by level or earlier.
    if (!this.eager && windowed < this.quietEnergy) return 'level';
    return undefined;
  }

  /**
   * The checks past the energy gates (window at `start`, the previous one at `prevStart`), on
   * the low group's bins in curLow; the high group's are evaluated into curHigh once the low
   * tone passed the frequency check (already there with `eagerBins`). Sets `highDone`.
   */
  private judge(windowed: number, start: number, prevStart: number): WindowResult | undefined {
    this.highDone = this.eager;
    const row = strongest(this.curLow);
    const low = this.tone(
      this.lowBins[row]!,
      this.curLow[row]!,
      this.prevBin(this.prevLowFresh, this.lowBins, this.prevLow, row, prevStart),
    );
    // The frequency check, low tone first: when it fails, the window is rejected for
    // frequency whatever the high group holds.
    if (Math.abs(low.deviation) > this.o.maxFrequencyDeviation) return this.reject('frequency');
    if (!this.eager) {
      this.highQuad.evaluate(this.ring, start, this.curHigh);
      this.highDone = true;
    }
    const col = strongest(this.curHigh);
    const high = this.tone(
      this.highBins[col]!,
      this.curHigh[col]!,
      this.prevBin(this.prevHighFresh, this.highBins, this.prevHigh, col, prevStart),
    );
    if (Math.abs(high.deviation) > this.o.maxFrequencyDeviation) return this.reject('frequency');
    const lowLevel = peakToDbm0(low.peak);
    const highLevel = peakToDbm0(high.peak);
    if (!(lowLevel >= this.o.minLevelDbm0 && highLevel >= this.o.minLevelDbm0)) return this.reject('level');
    const twist = highLevel - lowLevel;
    if (twist > this.o.maxNormalTwistDb || twist < -this.o.maxReverseTwistDb) return this.reject('twist');
    // Windowed energy of a sine of peak A is A²/2 · Σw².
    const toneEnergy = ((low.peak * low.peak + high.peak * high.peak) / 2) * this.hannSquareSum;
    if (toneEnergy < this.o.minToneEnergyRatio * windowed) return this.reject('energy-ratio');
    const hBin = this.harmonicBins[col];
    if (hBin) {
      hBin.evaluate(this.ring, start, this.harmonic);
      const hPower = this.harmonic.re ** 2 + this.harmonic.im ** 2;
      const fPower = this.curHigh[col]!.re ** 2 + this.curHigh[col]!.im ** 2;
      if (hPower * 10 ** (this.o.minHarmonicRejectionDb / 10) > fPower) return this.reject('harmonic');
    }
    const digit = dtmfDigitAt(row, col)!;
    return {
      digit,
      lowLevel,
      highLevel,
      lowFreq: low.frequency,
      highFreq: high.frequency,
    };
  }

  /** Frequency (from the phase advance over one hop) and corrected peak amplitude of a bin. */
  private tone(
    bin: GoertzelBin,
    cur: Bin,
    prev: Bin,
  ): { deviation: number; frequency: number; peak: number } {
    // cur · conj(prev) · e^{-jωH}: its angle is (ω_tone − ω_bin)·H.
    const pr = cur.re * prev.re + cur.im * prev.im;
    const pi = cur.im * prev.re - cur.re * prev.im;
    const a = -bin.omega * this.hop;
    const c = Math.cos(a);
    const s = Math.sin(a);
    const angle = Math.atan2(pi * c + pr * s, pr * c - pi * s);
    const offsetHz = (angle * this.sampleRate) / (2 * Math.PI * this.hop);
    const response = Math.max(0.05, hannResponse((offsetHz * this.length) / this.sampleRate));
    const magnitude = Math.hypot(cur.re, cur.im);
    return {
      deviation: offsetHz / bin.frequency,
      frequency: bin.frequency + offsetHz,
      peak: (2 * magnitude) / (this.hannSum * response),
    };
  }

  private reject(reason: DtmfRejectReason): undefined {
    this.rejects[reason]++;
    return undefined;
  }
}

/** Runs a fresh detector over a whole buffer (flushing at the end). */
export function detectDtmfTones(
  pcm: ArrayLike<number>,
  options: DtmfToneDetectorOptions = {},
): DetectedDtmfTone[] {
  const detector = new DtmfToneDetector(options);
  return [...detector.feed(pcm), ...detector.flush()];
}

function strongest(bins: Bin[]): number {
  let best = 0;
  let bestPower = -1;
  for (let i = 0; i < bins.length; i++) {
    const p = bins[i]!.re ** 2 + bins[i]!.im ** 2;
    if (p > bestPower) {
      bestPower = p;
      best = i;
    }
  }
  return best;
}

function copyBin(from: Bin, to: Bin): void {
  to.re = from.re;
  to.im = from.im;
}
