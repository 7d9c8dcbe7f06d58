/**
 * The handset of an OXO set for audio that stays inside the PBX: internal calls, a held
 * internal party hearing the music on hold, an internal party in a conference or joined to a
 * trunk call by a transfer. No SIP and no RTP: the PBX (a {@link ConferenceMixer}) feeds its
 * earpiece and reads its microphone.
 *
 * Two views of one handset:
 * - the user's: {@link Handset.say} what the microphone picks up, {@link Handset.heard} what
 *   reached the earpiece;
 * - the PBX's (a {@link MixerPort}, like a media leg): `play(source)` feeds the earpiece,
 *   `receivedAudio()` is what the microphone produced so far.
 *
 * Audio is produced lazily, by elapsed time on the given clock: each look at the microphone
 * or the earpiece pulls the samples due since the last look (at most {@link MAX_PULL_MS} at
 * once). No timer runs, so an idle handset costs nothing.
 */
import type { CallAudioSource } from './call.ts';

/** What a mixer needs of a party: a media leg or a handset. */
export interface MixerPort {
  /** Feeds `source` to the party (what it hears). */
  play(source: CallAudioSource): void;
  stopPlaying(): void;
  /** What the party produced so far (what it says). */
  receivedAudio(): { sampleRate: number; samples: Int16Array };
}

/** Most audio pulled from a source in one look, ms (a longer gap is skipped). */
export const MAX_PULL_MS = 10_000;
/** Most audio a handset keeps per direction, ms (older audio is dropped). */
export const HANDSET_KEEP_MS = 30_000;

/** Pulls `n` samples at `rate` from `src` (converting its rate by nearest sample). */
function pull(src: CallAudioSource, n: number, rate: number): Int16Array | null {
  const srcRate = src.sampleRate > 0 ? src.sampleRate : rate;
  if (srcRate === rate) return src.next(n);
  const m = Math.max(1, Math.round((n * srcRate) / rate));
  const got = src.next(m);
  if (!got) return null;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = got[Math.min(got.length - 1, Math.floor((i * srcRate) / rate))] ?? 0;
  return out;
}

/** A growing PCM buffer that keeps at most `max` samples (restarting empty beyond). */
class PcmBuffer {
  private data = new Int16Array(0);
  private length = 0;

  constructor(private readonly max: number) {}

  append(block: Int16Array): void {
    if (block.length === 0) return;
    if (this.length + block.length > this.max) this.length = 0;
    if (this.length + block.length > this.data.length) {
      const grown = new Int16Array(
        Math.min(this.max, Math.max(2 * this.data.length, this.length + block.length)),
      );
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(block.subarray(0, Math.min(block.length, this.data.length - this.length)), this.length);
    this.length = Math.min(this.data.length, this.length + block.length);
  }

  clear(): void {
    this.length = 0;
  }

  /** A view of the samples (valid until the next append or clear). */
  view(): Int16Array {
    return this.data.subarray(0, this.length);
  }
}

/** One side of the handset: a source pulled by elapsed time into a buffer. */
class Direction {
  source: CallAudioSource | undefined;
  readonly buffer: PcmBuffer;
  private pulledUntilMs: number;

  constructor(
    private readonly rate: number,
    private readonly now: () => number,
  ) {
    this.buffer = new PcmBuffer(Math.round((HANDSET_KEEP_MS * rate) / 1000));
    this.pulledUntilMs = now();
  }

  /** Pulls what is due since the last look; silence when no source plays. */
  advance(): void {
    const t = this.now();
    let ms = t - this.pulledUntilMs;
    if (!(ms > 0)) return;
    if (ms > MAX_PULL_MS) ms = MAX_PULL_MS;
    const n = Math.floor((ms * this.rate) / 1000);
    if (n <= 0) return;
    this.pulledUntilMs += (n * 1000) / this.rate;
    if (t - this.pulledUntilMs > MAX_PULL_MS) this.pulledUntilMs = t;
    let block: Int16Array | null = null;
    if (this.source) {
      try {
        block = pull(this.source, n, this.rate);
      } catch {
        block = null;
      }
      if (block === null) this.source = undefined;
    }
    const out = new Int16Array(n);
    if (block) out.set(block.subarray(0, n));
    this.buffer.append(out);
  }
}

/** The handset of one OXO set (see the module comment). */
export class Handset implements MixerPort {
  readonly sampleRate: number;
  private readonly mic: Direction;
  private readonly ear: Direction;

  constructor(
    readonly name: string,
    now: () => number,
    sampleRate = 16000,
  ) {
    this.sampleRate = sampleRate;
    this.mic = new Direction(sampleRate, now);
    this.ear = new Direction(sampleRate, now);
  }

  // The user's view

  /** The microphone picks up `source` from now on (until it ends or {@link stopSaying}). */
  say(source: CallAudioSource): void {
    this.mic.advance();
    this.mic.source = source;
  }

  /** Silence at the microphone. */
  stopSaying(): void {
    this.mic.advance();
    this.mic.source = undefined;
  }

  /** What reached the earpiece since the last {@link clearHeard} (at most {@link HANDSET_KEEP_MS}). */
  heard(): { sampleRate: number; samples: Int16Array } {
    this.ear.advance();
    return { sampleRate: this.sampleRate, samples: this.ear.buffer.view().slice() };
  }

  /** Forgets what the earpiece received so far. */
  clearHeard(): void {
    this.ear.advance();
    this.ear.buffer.clear();
  }

  /** True while the PBX feeds the earpiece (a call, the music on hold, a conference). */
  get hearing(): boolean {
    return this.ear.source !== undefined;
  }

  // The PBX's view (MixerPort)

  /** The PBX feeds `source` to the earpiece (replacing what it fed before). */
  play(source: CallAudioSource): void {
    this.ear.advance();
    this.ear.source = source;
  }

  /** The PBX stops feeding the earpiece. */
  stopPlaying(): void {
    this.ear.advance();
    this.ear.source = undefined;
  }

  /** What the microphone produced so far (silence while nothing is said); a view, valid until the next look. */
  receivedAudio(): { sampleRate: number; samples: Int16Array } {
    this.mic.advance();
    return { sampleRate: this.sampleRate, samples: this.mic.buffer.view() };
  }
}
