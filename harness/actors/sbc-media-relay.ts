/**
 * The reference SBC's media bridge between two anchored ports (one per call leg): relays
 * RTP, transcodes when the legs negotiated different codecs (decode, 16↔8 kHz, encode),
 * and interworks DTMF: RFC 4733 events are forwarded with the other leg's payload type, or
 * turned into SIP INFO (through a callback to the signalling side) or inband tones; digits
 * from SIP INFO or from an inband detector are delivered the same way. Fault switches
 * (one-way audio, stop RTP after N s, strip telephone-event, double DTMF, delay media,
 * telephone-events with a wrong payload type or without the end bit) act here.
 *
 * Each leg's outgoing stream has the SBC's own SSRC and sequence numbers; RTP timestamps
 * follow the incoming stream (gaps stay visible) and advance by ptime while the SBC inserts
 * packets of its own (DTMF tones, events), during which the other leg's audio is held back.
 * With {@link SbcMediaRelay.repacketizeMs} set (personality repacketize-40) the audio toward
 * each leg is re-framed into packets of that length (sbc-repacketizer.ts); telephone-events
 * pass unchanged, and what is buffered goes first.
 */
import type { AudioCodec, Decoder, Encoder } from '../../codecs/index.ts';
import { isSilence } from '../media/analysis/index.ts';
import {
  type DtmfDigit,
  DtmfToneDetector,
  generateDtmfTone,
  type TelephoneEventPacket,
  TelephoneEventReceiver,
  telephoneEventPackets,
} from '../media/dtmf/index.ts';
import type { RtpView } from '../media/rtp/index.ts';
import type { Clock, TimerHandle } from '../support/clock.ts';
import { Resampler } from './resample.ts';
import type { SbcDtmfMode } from './sbc-config.ts';
import { faultOn, type SbcFaults } from './sbc-faults.ts';
import type { SbcMediaEndpoint } from './sbc-media-endpoint.ts';
import { OCTET_PER_TICK_CODECS, type RepackChunk, Repacketizer } from './sbc-repacketizer.ts';
import { SbcRingback } from './sbc-ringback.ts';

/** Which side of the SBC a leg is on. */
export type SbcSide = 'lan' | 'wan';

/** How a DTMF digit travelled. */
export type SbcDtmfTransport = 'rfc2833' | 'inband' | 'info';

/** What one leg negotiated, as the relay needs it. */
export interface SbcLegMedia {
  codec: AudioCodec;
  payloadType: number;
  telephoneEventPt?: number;
  ptimeMs: number;
  dtmf: SbcDtmfMode;
  infoFallback: boolean;
  detectInband: boolean;
}

/** One leg of the bridge: its side, its anchored port, and what it negotiated (once known). */
export interface SbcRelayLeg {
  side: SbcSide;
  endpoint: SbcMediaEndpoint;
  media?: SbcLegMedia;
  /**
   * False while the leg's peer said it receives nothing (its SDP a=sendonly or a=inactive, or
   * c=0.0.0.0): nothing is relayed toward it then (RFC 3264 §6.1, §8.4).
   */
  receives?: boolean;
}

/** One digit that crossed the SBC. */
export interface SbcDtmfRecord {
  from: SbcSide;
  to: SbcSide;
  digit: DtmfDigit;
  received: SbcDtmfTransport;
  delivered: SbcDtmfTransport[];
  durationMs: number;
  atMs: number;
}

/** Counters of one direction of the bridge. */
export interface SbcDirectionStats {
  /** Audio packets sent on as they came (same codec). */
  relayed: number;
  /** Audio packets decoded and encoded to the other codec. */
  transcoded: number;
  /** Packets dropped by a fault switch or because the other leg has no media yet. */
  dropped: number;
  /** Telephone-event packets forwarded with the other leg's payload type. */
  eventsForwarded: number;
  /** Packets the SBC made itself (tones, converted events). */
  inserted: number;
  /** Packets whose payload could not be decoded or encoded. */
  codecErrors: number;
}

/**
 * Packets of audio held back when inband DTMF detection feeds events to the other side: the
 * detector needs about 30 ms of steady tone, so 60 ms of delay keeps the tone's start from
 * leaking through before the SBC knows it is a digit.
 */
const INBAND_HOLD_PACKETS = 3;

/** Most packets the delay-media fault holds per direction (10 s of 20 ms packets, and room for DTMF timers). */
const MAX_HELD_PACKETS = 1000;

function emptyStats(): SbcDirectionStats {
  return { relayed: 0, transcoded: 0, dropped: 0, eventsForwarded: 0, inserted: 0, codecErrors: 0 };
}

interface Direction {
  from: SbcRelayLeg;
  to: SbcRelayLeg;
  stats: SbcDirectionStats;
  decoder?: Decoder;
  encoder?: Encoder;
  resampler?: Resampler;
  codecKey?: string;
  /** Added to incoming timestamps to give outgoing ones. */
  tsOffset?: number;
  lastOutTs?: number;
  /** Ticks of audio in the last re-framed packet (repacketizeMs), the step to the next one. */
  lastOutTicks?: number;
  /** While the SBC sends its own packets toward `to`, audio from `from` is held back. */
  busyUntilMs: number;
  toneQueue: Int16Array[];
  ticker?: TimerHandle;
  teReceiver: TelephoneEventReceiver;
  /** Outgoing timestamp of each forwarded event (by incoming timestamp), so repeats keep theirs. */
  eventTs: Map<number, number>;
  /** Audio held back while inband detection runs (see INBAND_HOLD_PACKETS). */
  delay: Array<{ p: RtpView; pcm?: Int16Array; busy: boolean }>;
  detector?: DtmfToneDetector;
  detectorRate?: number;
  timers: Set<TimerHandle>;
  /** A new outgoing stream (SSRC) is due toward `to` at the next audio packet outside a DTMF event. */
  restartDue: boolean;
  /** When the last telephone-event packet went toward `to`, ms. */
  lastEventMs: number;
  /** Re-framing toward `to` (repacketizeMs): octets as relayed, or PCM before encoding. */
  repack?: { key: string; octets?: Repacketizer<Uint8Array>; pcm?: Repacketizer<Int16Array> };
  /** Sends what the re-framing holds when the next packet is late. */
  repackTimer?: TimerHandle;
  repackSinceMs: number;
  /** Personality early-media: the ringback tone going toward `to` while the far side rings. */
  ringback?: SbcRingback;
  /** Fault silence-suppression: a silent packet was left out, the next one sent carries the marker. */
  suppressed?: boolean;
}

/** Quiet time after a telephone-event packet before a new stream may start (no SSRC change mid-digit). */
const EVENT_QUIET_MS = 300;

/** Callbacks from the relay to the signalling side. */
export interface SbcRelayHooks {
  /** Send a digit as SIP INFO toward `to`. */
  sendInfo?: (to: SbcRelayLeg, digit: DtmfDigit, durationMs: number) => void;
  /** Fault cross-media: the leg of another call that audio arriving from `from` goes to instead. */
  crossTo?: (from: SbcRelayLeg) => SbcRelayLeg | undefined;
}

/** The media bridge of one call. */
export class SbcMediaRelay {
  readonly dtmf: SbcDtmfRecord[] = [];
  private readonly ab: Direction;
  private readonly ba: Direction;
  private answeredAtMs: number | undefined;
  private closed = false;
  /**
   * Audio per packet toward each leg, ms (personality repacketize-40); undefined relays each
   * packet as it came. Applies to same-codec relaying of PCMU, PCMA and G.722, and to every
   * transcoded stream; G.729 and G.723.1 relayed as they are keep their packets.
   */
  repacketizeMs: number | undefined;

  constructor(
    readonly a: SbcRelayLeg,
    readonly b: SbcRelayLeg,
    private readonly faults: SbcFaults,
    private readonly clock: Clock,
    /** Callbacks to the signalling side; may be set after construction. */
    readonly hooks: SbcRelayHooks = {},
  ) {
    this.ab = this.direction(a, b);
    this.ba = this.direction(b, a);
    a.endpoint.onPacket = (p, at) => this.arrive(this.ab, p, at);
    b.endpoint.onPacket = (p, at) => this.arrive(this.ba, p, at);
  }

  /**
   * Hands an arriving packet to the bridge: at once, or — with the delay-media fault — after
   * holding a copy that many ms (in order: equal holds fire in arrival order). At most
   * {@link MAX_HELD_PACKETS} wait per direction; past that packets are dropped and counted.
   */
  private arrive(d: Direction, p: RtpView, at: number): void {
    const hold = this.faults['delay-media'];
    if (typeof hold !== 'number' || !(hold > 0) || this.closed) {
      this.onPacket(d, p, at);
      return;
    }
    if (d.timers.size >= MAX_HELD_PACKETS) {
      d.stats.dropped++;
      return;
    }
    const held: RtpView = { ...p, csrcs: [...p.csrcs], payload: p.payload.slice() };
    const h = this.clock.setTimeout(() => {
      d.timers.delete(h);
      this.onPacket(d, held, at + hold);
    }, hold);
    d.timers.add(h);
  }

  private direction(from: SbcRelayLeg, to: SbcRelayLeg): Direction {
    return {
      from,
      to,
      stats: emptyStats(),
      busyUntilMs: 0,
      toneQueue: [],
      teReceiver: new TelephoneEventReceiver(),
      eventTs: new Map(),
      delay: [],
      timers: new Set(),
      restartDue: false,
      lastEventMs: Number.NEGATIVE_INFINITY,
      repackSinceMs: 0,
    };
  }

  /** Counters per direction, keyed "lan->wan" style. */
  stats(): Record<string, SbcDirectionStats> {
    return {
      [`${this.a.side}->${this.b.side}`]: { ...this.ab.stats },
      [`${this.b.side}->${this.a.side}`]: { ...this.ba.stats },
    };
  }

  /** True when both legs negotiated media and their codecs differ. */
  get transcoding(): boolean {
    const x = this.a.media;
    const y = this.b.media;
    return x !== undefined && y !== undefined && x.codec.name !== y.codec.name;
  }

  /** Marks the call answered (starts the stop-rtp-after countdown; ends a ringback tone). */
  answered(): void {
    this.answeredAtMs ??= this.clock.now();
    this.stopRingback();
  }

  /**
   * Personality early-media: a ringback tone toward `leg` in its negotiated codec, from its
   * anchored port, until {@link stopRingback} or the answer (sbc-ringback.ts). Nothing when the
   * leg has no media yet or the codec cannot be encoded here.
   */
  startRingback(leg: SbcRelayLeg): void {
    if (this.closed || (leg !== this.a && leg !== this.b)) return;
    const d = leg === this.a ? this.ba : this.ab;
    const m = leg.media;
    if (!m || d.ringback) return;
    d.ringback = new SbcRingback({
      endpoint: leg.endpoint,
      codec: m.codec,
      payloadType: m.payloadType,
      ptimeMs: m.ptimeMs,
      clock: this.clock,
    });
    d.ringback.start();
  }

  /**
   * Ends a ringback tone: the audio relayed next goes on from the tone's last timestamp (one
   * stream toward the caller, RFC 3550 §5.1).
   */
  stopRingback(): void {
    for (const d of [this.ab, this.ba]) {
      const r = d.ringback;
      if (!r) continue;
      r.stop();
      d.ringback = undefined;
      if (r.lastTimestamp !== undefined) {
        d.lastOutTs = r.lastTimestamp;
        d.tsOffset = undefined;
      }
    }
  }

  /**
   * Asks for a new outgoing stream (new SSRC, sequence and timestamp base: RFC 3550 §8.2) on
   * both legs, started at the next audio packet each way that is not part of a DTMF event
   * (personality ssrc-change).
   */
  restartStreams(): void {
    this.ab.restartDue = true;
    this.ba.restartDue = true;
  }

  private maybeRestart(d: Direction, at: number): void {
    if (!d.restartDue || at < d.busyUntilMs || at - d.lastEventMs < EVENT_QUIET_MS) return;
    d.restartDue = false;
    this.flushRepack(d);
    d.to.endpoint.newStream();
    d.tsOffset = undefined;
    d.lastOutTs = undefined;
  }

  /**
   * Moves a leg to another anchored port (personality port-change): what arrives there feeds
   * the same direction, and what goes to the leg leaves from there. The old port keeps feeding
   * the relay until its owner closes it (packets already on their way).
   */
  moveLeg(leg: SbcRelayLeg, endpoint: SbcMediaEndpoint): void {
    if (leg !== this.a && leg !== this.b) return;
    const d = leg === this.a ? this.ab : this.ba;
    leg.endpoint = endpoint;
    endpoint.onPacket = (p, at) => this.onPacket(d, p, at);
  }

  /**
   * Feeds what arrives at `endpoint` into the leg's direction as well, while the leg still sends
   * from its current port (personality port-change, from the re-INVITE's offer on): a peer may
   * send to the new port as soon as it has the offer, and the offerer must then receive on both
   * ports (RFC 3264 §8.3.1).
   */
  receiveOn(leg: SbcRelayLeg, endpoint: SbcMediaEndpoint): void {
    if (leg !== this.a && leg !== this.b) return;
    const d = leg === this.a ? this.ab : this.ba;
    endpoint.onPacket = (p, at) => this.onPacket(d, p, at);
  }

  /** Replaces a leg's negotiated media (answer, re-INVITE). */
  setMedia(leg: SbcRelayLeg, media: SbcLegMedia | undefined): void {
    leg.media = media;
  }

  private stopped(): boolean {
    const after = this.faults['stop-rtp-after'];
    if (typeof after !== 'number' || this.answeredAtMs === undefined) return false;
    return this.clock.now() - this.answeredAtMs >= after * 1000;
  }

  private prepare(d: Direction): boolean {
    const fm = d.from.media;
    const tm = d.to.media;
    if (!fm || !tm) return false;
    const key = `${fm.codec.name}/${tm.codec.name}`;
    if (d.codecKey !== key) {
      d.decoder?.close?.();
      d.encoder?.close?.();
      d.codecKey = key;
      d.decoder = fm.codec.available() ? fm.codec.createDecoder() : undefined;
      d.encoder = tm.codec.available() ? tm.codec.createEncoder() : undefined;
      d.resampler =
        fm.codec.sampleRate === tm.codec.sampleRate
          ? undefined
          : new Resampler(fm.codec.sampleRate, tm.codec.sampleRate);
    }
    return true;
  }

  private onPacket(d: Direction, p: RtpView, at: number): void {
    if (this.closed) return;
    for (const ev of d.teReceiver.poll(at)) this.eventDone(d, ev.digit, ev.durationMs, at);
    const fm = d.from.media;
    const tm = d.to.media;
    if (!this.prepare(d) || !fm || !tm) {
      d.stats.dropped++;
      return;
    }
    if (
      this.stopped() ||
      d.to.receives === false ||
      (faultOn(this.faults, 'one-way-audio') && d.from.side === 'lan' && d.to.side === 'wan')
    ) {
      d.stats.dropped++;
      return;
    }
    if (fm.telephoneEventPt !== undefined && p.payloadType === fm.telephoneEventPt) {
      this.onEventPacket(d, p, at);
      return;
    }
    if (p.payloadType !== fm.payloadType) {
      d.stats.dropped++;
      return;
    }
    const busy = at < d.busyUntilMs || d.toneQueue.length > 0;
    const needPcm = fm.codec.name !== tm.codec.name || fm.detectInband || this.suppressesSilence();
    let pcm: Int16Array | undefined;
    if (needPcm && d.decoder) {
      try {
        pcm = d.decoder.decode(p.payload);
      } catch {
        d.stats.codecErrors++;
      }
    }
    if (pcm && fm.detectInband) {
      this.detectInband(d, pcm, fm.codec.sampleRate);
      if (this.targetTransport(tm) !== 'inband') {
        // Hold audio back a few packets, and drop it while a digit sounds: the digit goes
        // on as an event, so its tone must not reach the other side as well.
        if (d.detector?.pending !== undefined) {
          d.stats.dropped += d.delay.length + 1;
          d.delay.length = 0;
          return;
        }
        d.delay.push({ p, pcm, busy });
        if (d.delay.length <= INBAND_HOLD_PACKETS) return;
        const first = d.delay.shift() as { p: RtpView; pcm?: Int16Array; busy: boolean };
        this.forwardAudio(d, first.p, first.pcm, first.busy);
        return;
      }
    }
    this.forwardAudio(d, p, pcm, busy);
  }

  /**
   * Fault cross-media: the other call's leg this direction's audio goes to instead of its own,
   * when that leg has media in the same codec; undefined otherwise (relayed as usual).
   */
  private crossed(d: Direction): SbcRelayLeg | undefined {
    if (!faultOn(this.faults, 'cross-media')) return undefined;
    const other = this.hooks.crossTo?.(d.from);
    return other?.media?.codec.name === d.to.media?.codec.name ? other : undefined;
  }

  /** Fault silence-suppression or silence-suppression-unmarked is on. */
  private suppressesSilence(): boolean {
    return (
      faultOn(this.faults, 'silence-suppression') || faultOn(this.faults, 'silence-suppression-unmarked')
    );
  }

  /** Sends one audio packet on, as it is or transcoded. */
  private forwardAudio(d: Direction, p: RtpView, pcm: Int16Array | undefined, busy: boolean): void {
    const fm = d.from.media;
    const tm = d.to.media;
    if (!fm || !tm) return;
    if (busy) {
      d.stats.dropped++;
      this.dropRepack(d);
      return;
    }
    // Fault silence-suppression (VAD without CN): silence is not sent; the first packet after it
    // carries the marker bit (RFC 3551 §4.1; not with silence-suppression-unmarked, since that
    // is a SHOULD), its timestamp keeps the time that passed.
    if (pcm && this.suppressesSilence() && isSilence(pcm)) {
      d.stats.dropped++;
      d.suppressed = true;
      return;
    }
    const marker =
      p.marker || (d.suppressed === true && !faultOn(this.faults, 'silence-suppression-unmarked'));
    d.suppressed = false;
    this.maybeRestart(d, this.clock.now());
    if (
      this.repacketizeMs !== undefined &&
      this.repackAudio(d, marker === p.marker ? p : { ...p, marker }, pcm)
    )
      return;
    d.lastOutTicks = undefined;
    const ts = this.outTimestamp(d, p.timestamp);
    const to = this.crossed(d) ?? d.to;
    if (fm.codec.name === tm.codec.name) {
      if (
        to.endpoint.send({
          payloadType: to.media?.payloadType ?? tm.payloadType,
          payload: p.payload,
          timestamp: ts,
          marker,
        })
      )
        d.stats.relayed++;
      return;
    }
    if (!pcm || !d.encoder) {
      d.stats.codecErrors++;
      return;
    }
    let out = d.resampler ? d.resampler.process(pcm) : pcm;
    const frame = tm.codec.frameSamples;
    if (out.length % frame !== 0) out = out.subarray(0, out.length - (out.length % frame));
    try {
      const payload = d.encoder.encode(out);
      if (
        to.endpoint.send({
          payloadType: to.media?.payloadType ?? tm.payloadType,
          payload,
          timestamp: ts,
          marker,
        })
      )
        d.stats.transcoded++;
    } catch {
      d.stats.codecErrors++;
    }
  }

  /**
   * Re-frames one audio packet toward `d.to` (repacketizeMs). False when this stream is not
   * re-framed (a frame-based codec relayed as it is): the caller relays it. Sends the packets
   * that are complete; a timer sends a partial one when the next packet is late.
   */
  private repackAudio(d: Direction, p: RtpView, pcm: Int16Array | undefined): boolean {
    const fm = d.from.media;
    const tm = d.to.media;
    const ms = this.repacketizeMs;
    if (!fm || !tm || ms === undefined) return false;
    const same = fm.codec.name === tm.codec.name;
    if (same && !OCTET_PER_TICK_CODECS.includes(tm.codec.name)) return false;
    const key = `${fm.codec.name}/${tm.codec.name}/${ms}`;
    if (d.repack?.key !== key) {
      // A codec change (re-INVITE): what was buffered is in the old codec; it is dropped.
      if (this.repackPending(d) > 0) d.stats.dropped++;
      this.dropRepack(d);
      const rate = tm.codec.rtpClockRate;
      d.repack = same
        ? { key, octets: new Repacketizer((ms * rate) / 1000, 1, (n) => new Uint8Array(n)) }
        : {
            key,
            pcm: new Repacketizer(
              Math.round((ms * tm.codec.sampleRate) / 1000),
              rate / tm.codec.sampleRate,
              (n) => new Int16Array(n),
            ),
          };
    }
    const wasEmpty = this.repackPending(d) === 0;
    let sent = 0;
    if (d.repack.octets) {
      const out = d.repack.octets.push(p.payload, p.timestamp, p.payload.length, p.marker);
      sent = out.length;
      this.sendOctets(d, out);
    } else if (d.repack.pcm) {
      if (!pcm || !d.encoder) {
        d.stats.codecErrors++;
        return true;
      }
      const inTicks = Math.round((pcm.length * fm.codec.rtpClockRate) / fm.codec.sampleRate);
      const out = d.repack.pcm.push(
        d.resampler ? d.resampler.process(pcm) : pcm,
        p.timestamp,
        inTicks,
        p.marker,
      );
      sent = out.length;
      this.sendPcm(d, out);
    }
    if (this.repackPending(d) > 0) {
      // What is left arrived with this packet when packets just went out (or the buffer was empty).
      if (wasEmpty || sent > 0) d.repackSinceMs = this.clock.now();
      this.armRepackTimer(d, ms);
    }
    return true;
  }

  private repackPending(d: Direction): number {
    return d.repack?.octets?.pending ?? d.repack?.pcm?.pending ?? 0;
  }

  /** Sends what the re-framing holds toward `d.to` at once, as a shorter packet. */
  private flushRepack(d: Direction): void {
    if (!d.repack) return;
    if (d.repack.octets) this.sendOctets(d, d.repack.octets.flush());
    if (d.repack.pcm) this.sendPcm(d, d.repack.pcm.flush());
  }

  /** Drops what the re-framing holds (the SBC's own packets take its place). */
  private dropRepack(d: Direction): void {
    d.repack?.octets?.drop();
    d.repack?.pcm?.drop();
  }

  /** One timer per direction: sends the partial packet once it has waited a whole packet time. */
  private armRepackTimer(d: Direction, ms: number): void {
    if (d.repackTimer || this.closed) return;
    const wait = Math.max(1, d.repackSinceMs + ms - this.clock.now());
    d.repackTimer = this.clock.setTimeout(() => {
      d.repackTimer = undefined;
      if (this.closed || this.repackPending(d) === 0) return;
      if (this.clock.now() - d.repackSinceMs >= ms - 1) this.flushRepack(d);
      if (this.repackPending(d) > 0) this.armRepackTimer(d, ms);
    }, wait);
  }

  private sendOctets(d: Direction, chunks: RepackChunk<Uint8Array>[]): void {
    const tm = d.to.media;
    if (!tm) return;
    for (const c of chunks) {
      const ts = this.outTimestamp(d, c.inTs);
      d.lastOutTicks = c.data.length;
      if (
        d.to.endpoint.send({ payloadType: tm.payloadType, payload: c.data, timestamp: ts, marker: c.marker })
      )
        d.stats.relayed++;
    }
  }

  private sendPcm(d: Direction, chunks: RepackChunk<Int16Array>[]): void {
    const tm = d.to.media;
    if (!tm || !d.encoder) return;
    const frame = tm.codec.frameSamples;
    for (const c of chunks) {
      const pcm =
        c.data.length % frame === 0 ? c.data : c.data.subarray(0, c.data.length - (c.data.length % frame));
      if (pcm.length === 0) continue;
      const ts = this.outTimestamp(d, c.inTs);
      d.lastOutTicks = Math.round((pcm.length * tm.codec.rtpClockRate) / tm.codec.sampleRate);
      try {
        const payload = d.encoder.encode(pcm);
        if (d.to.endpoint.send({ payloadType: tm.payloadType, payload, timestamp: ts, marker: c.marker }))
          d.stats.transcoded++;
      } catch {
        d.stats.codecErrors++;
      }
    }
  }

  private outTimestamp(d: Direction, inTs: number): number {
    if (d.tsOffset === undefined) {
      d.tsOffset = d.lastOutTs === undefined ? (Math.random() * 0x1_0000_0000) >>> 0 : 0;
      if (d.lastOutTs !== undefined) d.tsOffset = (d.lastOutTs + this.samplesPerPacket(d) - inTs) >>> 0;
    }
    const ts = (inTs + d.tsOffset) >>> 0;
    d.lastOutTs = ts;
    return ts;
  }

  private samplesPerPacket(d: Direction): number {
    if (d.lastOutTicks !== undefined) return d.lastOutTicks;
    return Math.round(((d.to.media?.ptimeMs ?? 20) * 8000) / 1000);
  }

  private onEventPacket(d: Direction, p: RtpView, at: number): void {
    if (faultOn(this.faults, 'strip-telephone-event')) {
      d.stats.dropped++;
      return;
    }
    const done = d.teReceiver.push({
      payload: p.payload,
      timestamp: p.timestamp,
      seq: p.sequenceNumber,
      marker: p.marker,
      arrivalMs: at,
    });
    const tm = d.to.media;
    if (tm && this.targetTransport(tm) === 'rfc2833' && tm.telephoneEventPt !== undefined) {
      this.flushRepack(d);
      let ts = d.eventTs.get(p.timestamp);
      if (ts === undefined) {
        ts = this.outTimestamp(d, p.timestamp);
        d.eventTs.set(p.timestamp, ts);
        if (d.eventTs.size > 16) d.eventTs.delete(d.eventTs.keys().next().value as number);
      }
      d.lastEventMs = at;
      if (
        d.to.endpoint.send({
          payloadType: this.eventPt(tm.telephoneEventPt),
          payload: this.eventPayload(p.payload),
          timestamp: ts,
          marker: p.marker,
        })
      )
        d.stats.eventsForwarded++;
    }
    for (const ev of done) this.eventDone(d, ev.digit, ev.durationMs, at);
  }

  /** A telephone-event digit from `d.from` completed: record it, convert it if the other leg needs that. */
  private eventDone(d: Direction, digit: DtmfDigit, durationMs: number, at: number): void {
    const tm = d.to.media;
    if (!tm) return;
    const target = this.targetTransport(tm);
    const delivered: SbcDtmfTransport[] = [];
    if (target === 'rfc2833') delivered.push('rfc2833');
    else this.deliverAs(d, target, digit, durationMs, delivered);
    if (faultOn(this.faults, 'double-dtmf') && target !== 'inband')
      this.deliverAs(d, 'inband', digit, durationMs, delivered);
    this.dtmf.push({
      from: d.from.side,
      to: d.to.side,
      digit,
      received: 'rfc2833',
      delivered,
      durationMs,
      atMs: at,
    });
  }

  /** Where digits toward a leg go, from its DTMF mode and what it negotiated. */
  private targetTransport(m: SbcLegMedia): SbcDtmfTransport | 'none' {
    const te = m.telephoneEventPt !== undefined && !faultOn(this.faults, 'strip-telephone-event');
    const info = faultOn(this.faults, 'drop-info') ? 'none' : 'info';
    switch (m.dtmf) {
      case 'inband':
        return 'inband';
      case 'info':
        return info;
      default:
        if (te) return 'rfc2833';
        return m.infoFallback ? info : 'inband';
    }
  }

  /**
   * Delivers a digit that arrived as SIP INFO (or from the inband detector) on `from` to
   * the other leg, in that leg's DTMF mode. Returns how it was delivered.
   */
  deliverDigit(
    from: SbcRelayLeg,
    digit: DtmfDigit,
    durationMs: number,
    received: SbcDtmfTransport,
  ): SbcDtmfTransport[] {
    const d = from === this.a ? this.ab : this.ba;
    const tm = d.to.media;
    const delivered: SbcDtmfTransport[] = [];
    if (this.closed || !tm) return delivered;
    const target = this.targetTransport(tm);
    // A digit detected inband already travels in the audio toward an inband leg.
    if (!(received === 'inband' && target === 'inband'))
      this.deliverAs(d, target, digit, durationMs, delivered);
    if (faultOn(this.faults, 'double-dtmf')) {
      if (target !== 'inband') this.deliverAs(d, 'inband', digit, durationMs, delivered);
      else if (tm.telephoneEventPt !== undefined) this.deliverAs(d, 'rfc2833', digit, durationMs, delivered);
    }
    this.dtmf.push({
      from: d.from.side,
      to: d.to.side,
      digit,
      received,
      delivered,
      durationMs,
      atMs: this.clock.now(),
    });
    return delivered;
  }

  private deliverAs(
    d: Direction,
    how: SbcDtmfTransport | 'none',
    digit: DtmfDigit,
    durationMs: number,
    delivered: SbcDtmfTransport[],
  ): void {
    if (how === 'none') return;
    if (how === 'info') {
      if (this.hooks.sendInfo) {
        this.hooks.sendInfo(d.to, digit, durationMs);
        delivered.push('info');
      }
      return;
    }
    if (how === 'rfc2833') {
      if (this.sendEvent(d, digit, durationMs)) delivered.push('rfc2833');
      return;
    }
    if (this.queueTone(d, digit, durationMs)) delivered.push('inband');
  }

  private sendEvent(d: Direction, digit: DtmfDigit, durationMs: number): boolean {
    const tm = d.to.media;
    if (!tm || tm.telephoneEventPt === undefined || faultOn(this.faults, 'strip-telephone-event'))
      return false;
    const pt = tm.telephoneEventPt;
    this.flushRepack(d);
    const step = this.samplesPerPacket(d);
    d.lastOutTicks = undefined;
    const start = ((d.lastOutTs ?? (Math.random() * 0x1_0000_0000) >>> 0) + step) >>> 0;
    const packets = telephoneEventPackets(digit, {
      startTimestamp: start,
      durationMs: Math.max(40, durationMs),
      ptimeMs: tm.ptimeMs,
    });
    const last = packets[packets.length - 1] as TelephoneEventPacket;
    const span = last.offsetMs + tm.ptimeMs;
    d.busyUntilMs = Math.max(d.busyUntilMs, this.clock.now() + span);
    d.lastOutTs = (start + Math.round((span * 8000) / 1000)) >>> 0;
    d.tsOffset = undefined;
    for (const pk of packets) {
      const h = this.clock.setTimeout(() => {
        d.timers.delete(h);
        if (this.closed) return;
        if (
          d.to.endpoint.send({
            payloadType: this.eventPt(pt),
            payload: this.eventPayload(pk.payload),
            timestamp: pk.timestamp,
            marker: pk.marker,
          })
        )
          d.stats.inserted++;
      }, pk.offsetMs);
      d.timers.add(h);
    }
    return true;
  }

  /** The payload type events go out with: the leg's, or one it did not negotiate (te-wrong-pt). */
  private eventPt(negotiated: number): number {
    if (!faultOn(this.faults, 'te-wrong-pt')) return negotiated;
    return negotiated >= 127 ? 96 : Math.max(96, negotiated + 1);
  }

  /** An event report as it goes out: as it is, or with the E bit cleared (te-no-end-bit). */
  private eventPayload(payload: Uint8Array): Uint8Array {
    if (!faultOn(this.faults, 'te-no-end-bit') || payload.length < 2) return payload;
    const out = Uint8Array.from(payload);
    out[1] = (out[1] as number) & 0x7f;
    return out;
  }

  private queueTone(d: Direction, digit: DtmfDigit, durationMs: number): boolean {
    const tm = d.to.media;
    if (!tm?.codec.available() || !this.prepare(d) || !d.encoder) return false;
    this.flushRepack(d);
    const rate = tm.codec.sampleRate;
    const per = Math.round((tm.ptimeMs * rate) / 1000);
    const tone = generateDtmfTone(digit, {
      sampleRate: rate,
      durationMs: Math.max(60, durationMs),
      levelDbm0: -8,
    });
    const total = Math.ceil((tone.length + Math.round(0.06 * rate)) / per) * per;
    const padded = new Int16Array(total);
    padded.set(tone);
    for (let i = 0; i < total; i += per) d.toneQueue.push(padded.subarray(i, i + per));
    if (!d.ticker) this.tick(d);
    return true;
  }

  private tick(d: Direction): void {
    d.ticker = undefined;
    const tm = d.to.media;
    const chunk = d.toneQueue.shift();
    if (this.closed || !chunk || !tm || !d.encoder) {
      d.toneQueue.length = 0;
      return;
    }
    const step = this.samplesPerPacket(d);
    d.lastOutTicks = undefined;
    const ts = ((d.lastOutTs ?? (Math.random() * 0x1_0000_0000) >>> 0) + step) >>> 0;
    d.lastOutTs = ts;
    d.tsOffset = undefined;
    try {
      if (
        d.to.endpoint.send({ payloadType: tm.payloadType, payload: d.encoder.encode(chunk), timestamp: ts })
      )
        d.stats.inserted++;
    } catch {
      d.stats.codecErrors++;
    }
    if (d.toneQueue.length > 0) d.ticker = this.clock.setTimeout(() => this.tick(d), tm.ptimeMs);
  }

  private detectInband(d: Direction, pcm: Int16Array, rate: number): void {
    if (!d.detector || d.detectorRate !== rate) {
      d.detector = new DtmfToneDetector({ sampleRate: rate });
      d.detectorRate = rate;
    }
    for (const t of d.detector.feed(pcm))
      this.deliverDigit(d.from, t.digit, Math.round(t.durationMs), 'inband');
  }

  /** Stops every timer and detaches from the endpoints (which the call closes). */
  close(): void {
    if (this.closed) return;
    this.stopRingback();
    this.closed = true;
    for (const d of [this.ab, this.ba]) {
      d.ticker?.cancel();
      d.repackTimer?.cancel();
      for (const t of d.timers) t.cancel();
      d.timers.clear();
      d.decoder?.close?.();
      d.encoder?.close?.();
    }
    if (this.a.endpoint.onPacket) this.a.endpoint.onPacket = undefined;
    if (this.b.endpoint.onPacket) this.b.endpoint.onPacket = undefined;
  }
}
