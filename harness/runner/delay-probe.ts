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

/** What a payload probe needs of the sending media leg: its payloads as they leave. */
export interface ProbeSender {
  onSentPayload?: (listener: (codec: string, payload: Uint8Array) => void) => () => void;
}

/**
 * The delay probe for audio the harness sends as fixed payloads it cannot decode (the
 * G.723.1 fixture, MediaLeg.play): each payload the sending leg sends is stamped as it leaves,
 * each payload the receiving leg receives as it arrives, and the two are matched
 * (measurePayloadDelay). The sent payloads are taken as sent, not rebuilt from the fixture: a
 * continuous leg goes on from wherever its fixture loop stood when the play began.
 */
export class PayloadDelayProbe {
  private readonly sent: TimedPayload[] = [];
  private readonly received: TimedPayload[] = [];
  private readonly stops: Array<() => void> = [];
  /** False when either leg gives no payload times (the delay cannot be measured). */
  readonly listening: boolean;

  constructor(
    private readonly clock: Clock,
    receiver: ProbeReceiver,
    sender: ProbeSender,
  ) {
    const stamp = (into: TimedPayload[]) => (_codec: string, payload: Uint8Array) => {
      if (into.length < PROBE_MAX_PAYLOADS) into.push({ payload: payload.slice(), atMs: this.clock.now() });
    };
    const stopRx = receiver.onPayload?.(stamp(this.received));
    const stopTx = sender.onSentPayload?.(stamp(this.sent));
    if (stopRx) this.stops.push(stopRx);
    if (stopTx) this.stops.push(stopTx);
    this.listening = stopRx !== undefined && stopTx !== undefined;
  }

  /**
   * The delay measured so far. With `frameBytes`, matched frame by frame (the SBC may
   * repacketize, measurePayloadDelay).
   */
  measure(frameBytes?: number): OneWayDelay {
    return measurePayloadDelay(this.sent, this.received, frameBytes);
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
  }
}
