/**
 * A ringback tone sent as early media (personality early-media of the reference SBC): what an
 * SBC or gateway plays toward the caller while the far side rings, in the gateway model of
 * RFC 3960 §3 (the early media comes from the side that answers, in the stream its 183 Session
 * Progress set up). The tone is the European one of ITU-T E.180 and ETSI ES 201 970: 425 Hz,
 * 1 s on, 4 s off, sent at the leg's codec, payload type and packet time.
 *
 * It sends from the leg's anchored port (the same SSRC and sequence numbers as the relayed
 * audio after it): when the far side answers, the relay goes on from the tone's last timestamp,
 * so the caller sees one stream that carries ringing, then the call.
 */
import type { AudioCodec, Encoder } from '../../codecs/index.ts';
import type { Clock, TimerHandle } from '../support/clock.ts';
import type { SbcMediaEndpoint } from './sbc-media-endpoint.ts';

export const RINGBACK_HZ = 425;
export const RINGBACK_ON_MS = 1000;
export const RINGBACK_OFF_MS = 4000;
/** Peak amplitude (about −13 dBFS, the level of the harness's own tones). */
const AMPLITUDE = 7300;

export interface SbcRingbackOptions {
  endpoint: SbcMediaEndpoint;
  codec: AudioCodec;
  payloadType: number;
  ptimeMs: number;
  clock: Clock;
}

export class SbcRingback {
  #timer: TimerHandle | undefined;
  #encoder: Encoder | undefined;
  /** Samples generated so far (at the codec's sample rate). */
  #sample = 0;
  #ts = (Math.random() * 0x1_0000_0000) >>> 0;
  #stopped = false;
  /** Packets sent. */
  sent = 0;
  /** RTP timestamp of the last packet sent; undefined before the first. */
  lastTimestamp: number | undefined;

  constructor(private readonly o: SbcRingbackOptions) {}

  /** Starts sending; nothing happens when the codec cannot be encoded here (G.723.1). */
  start(): void {
    if (this.#stopped || this.#timer || !this.o.codec.available()) return;
    this.#encoder = this.o.codec.createEncoder();
    this.#tick(true);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#encoder?.close?.();
    this.#encoder = undefined;
  }

  #tick(first: boolean): void {
    this.#timer = undefined;
    const enc = this.#encoder;
    if (this.#stopped || !enc) return;
    const { codec, ptimeMs } = this.o;
    const rate = codec.sampleRate;
    let n = Math.round((ptimeMs * rate) / 1000);
    n -= n % codec.frameSamples;
    if (n <= 0) return;
    const pcm = new Int16Array(n);
    const cycle = ((RINGBACK_ON_MS + RINGBACK_OFF_MS) * rate) / 1000;
    const on = (RINGBACK_ON_MS * rate) / 1000;
    for (let i = 0; i < n; i++) {
      const s = this.#sample + i;
      if (s % cycle < on) pcm[i] = Math.round(AMPLITUDE * Math.sin((2 * Math.PI * RINGBACK_HZ * s) / rate));
    }
    this.#sample += n;
    try {
      const payload = enc.encode(pcm);
      if (
        this.o.endpoint.send({ payloadType: this.o.payloadType, payload, timestamp: this.#ts, marker: first })
      ) {
        this.sent++;
        this.lastTimestamp = this.#ts;
      }
    } catch {
      // An encoder that fails sends nothing more: the caller hears silence, as without the tone.
      this.stop();
      return;
    }
    this.#ts = (this.#ts + Math.round((n * codec.rtpClockRate) / rate)) >>> 0;
    this.#timer = this.o.clock.setTimeout(() => this.#tick(false), ptimeMs);
  }
}
