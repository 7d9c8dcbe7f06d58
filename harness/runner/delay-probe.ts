/**
 * One direction's one-way delay probe for the audio checks: it stamps each chunk of audio
 * as the sending leg pulls it from its source (the packet leaves right after) and each chunk
 * the receiving leg decodes as it arrives, both on the check's one clock, and hands the
 * two timed recordings to the media layer's estimator (harness/media/analysis/one-way-delay.ts).
 */
import type { AudioSource } from '../actors/index.ts';
import {
  measureOneWayDelay,
  measurePayloadDelay,
  type OneWayDelay,
  type TimedPayload,
  TimedRecorder,
} from '../media/analysis/index.ts';
import type { Clock } from '../support/clock.ts';

/** What a probe needs of the receiving media leg: its decoded audio (or payloads) as they arrive. */
export interface ProbeReceiver {
  onAudio?: (listener: (pcm: Int16Array, sampleRate: number) => void) => () => void;
  onPayload?: (listener: (codec: string, payload: Uint8Array) => void) => () => void;
}

/** Most audio a probe keeps per side, seconds. */
const PROBE_MAX_SECONDS = 20;

export class DelayProbe {
  private sent: TimedRecorder | undefined;
  private received: TimedRecorder | undefined;
  private readonly stop: (() => void) | undefined;
  /** False when the receiving leg gives no arrival times (the delay cannot be measured). */
  readonly listening: boolean;

  constructor(
    private readonly clock: Clock,
    receiver: ProbeReceiver,
  ) {
    this.stop = receiver.onAudio?.((pcm, rate) => {
      this.received ??= new TimedRecorder(rate, rate * PROBE_MAX_SECONDS);
      if (this.received.sampleRate === rate) this.received.push(pcm, this.clock.now());
    });
    this.listening = this.stop !== undefined;
  }

  /** `source`, with each chunk stamped as the sending leg takes it. */
  wrap(source: AudioSource): AudioSource {
    const rate = source.sampleRate;
    this.sent = new TimedRecorder(rate, rate * PROBE_MAX_SECONDS);
    const rec = this.sent;
    return {
      sampleRate: rate,
      next: (n) => {
        const pcm = source.next(n);
        if (pcm) rec.push(pcm, this.clock.now());
        return pcm;
      },
    };
  }

  /** The delay measured so far. */
  measure(): OneWayDelay {
    const empty = { sampleRate: 16000, samples: new Int16Array(0), chunks: [] };
    return measureOneWayDelay(this.sent?.signal() ?? empty, this.received?.signal() ?? empty);
  }

  /** Stops listening. */
  close(): void {
    this.stop?.();
  }
}

/** Most payloads a {@link PayloadDelayProbe} keeps per side. */
const PROBE_MAX_PAYLOADS = 2000;

/**
 * The delay probe for audio the harness sends as fixed payloads it cannot decode (the
 * G.723.1 fixture, MediaLeg.play): the sending leg pulls its source once per packet, so pull k
 * stamps packet k, whose payload `payloadOf(k)` tells; the receiving leg's payloads are
 * stamped as they arrive and matched to the sent ones (measurePayloadDelay).
 */
export class PayloadDelayProbe {
  private readonly pulls: number[] = [];
  private readonly received: TimedPayload[] = [];
  private readonly stop: (() => void) | undefined;
  readonly listening: boolean;

  constructor(
    private readonly clock: Clock,
    receiver: ProbeReceiver,
  ) {
    this.stop = receiver.onPayload?.((_codec, payload) => {
      if (this.received.length < PROBE_MAX_PAYLOADS)
        this.received.push({ payload: payload.slice(), atMs: this.clock.now() });
    });
    this.listening = this.stop !== undefined;
  }

  /** `source`, with each pull (one per packet sent) stamped. */
  wrap(source: AudioSource): AudioSource {
    return {
      sampleRate: source.sampleRate,
      next: (n) => {
        const pcm = source.next(n);
        if (pcm && this.pulls.length < PROBE_MAX_PAYLOADS) this.pulls.push(this.clock.now());
        return pcm;
      },
    };
  }

  /**
   * The delay measured so far; `payloadOf(k)` is the payload of the k-th packet sent. With
   * `frameBytes`, matched frame by frame (the SBC may repacketize, measurePayloadDelay).
   */
  measure(payloadOf: (k: number) => Uint8Array, frameBytes?: number): OneWayDelay {
    return measurePayloadDelay(
      this.pulls.map((atMs, k) => ({ payload: payloadOf(k), atMs })),
      this.received,
      frameBytes,
    );
  }

  close(): void {
    this.stop?.();
  }
}
