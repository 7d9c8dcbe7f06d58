/**
 * Checks: every one records what was expected, what was seen and, on failure, the sentence an
 * engineer would write in the NOK comment. Evidence is a value: a check never passes silently.
 */

import type { DisplayLine } from '../actors/display.ts';
import type { Call } from '../actors/index.ts';
import { markedToneSource } from '../actors/index.ts';
import { goertzelAmplitude, levelDbfs, type OneWayDelay, voipQuality } from '../media/analysis/index.ts';
import type { Clock } from '../support/clock.ts';
import { cpuTurn } from '../support/cpu-turns.ts';
import {
  type AudioDelayPolicy,
  DEFAULT_AUDIO_DELAY_POLICY,
  type DelayBound,
  delayBound,
  delayFailure,
  delayText,
  delayWithin,
  eModelCodec,
} from './audio-delay.ts';
import { DelayProbe } from './delay-probe.ts';
import type { CheckRecord, DtmfRow, StreamRow } from './verdict.ts';

/** An SBC setting a case can ask for (the keys of its `sbc` precondition). */
export type PreconditionKey = 'codecOrder' | 'srtpTowardProvider' | 'providerTransport';

export interface CheckDetail {
  expected: string;
  observed: string;
  failure?: string;
  evidence?: string[];
  /**
   * The SBC settings of the case's precondition this check judges. When any of them was not
   * applied (nobody could set it), the check is recorded but not judged.
   */
  dependsOn?: PreconditionKey[];
  /** Judged by the engineer (real equipment), with their words. */
  by?: 'engineer';
  comment?: string;
  /** Recorded but not judged, for this reason (e.g. the engineer answered N/A). */
  notJudgedBy?: string;
  /**
   * Recorded but not judged because this run could not judge it, for this reason (e.g. this
   * process stalled in every window listened to). Unless a judged check failed, the cell is
   * INCOMPLETE and its comment gives the reason.
   */
  incomplete?: string;
}

/** Result of one direction of an audio check. */
export interface AudioDirection {
  from: string;
  to: string;
  toneHz: number;
  /** Goertzel amplitude of the tone in what was received. */
  level: number;
  /** Amplitude at a frequency nothing sent (noise floor). */
  floor: number;
  lossPercent: number;
  jitterMs: number;
  /** E-model MOS-CQE with the measured one-way delay in Ta (G.107). */
  mos: number;
  codec: string;
  /** One-way delay measured between the legs (median over packets), or why it could not be. */
  delay: OneWayDelay;
  /** The G.114 bound on `delay` and its parts (audio-delay.ts). */
  bound: DelayBound;
}

export const MIN_TONE_LEVEL = 300;
export const MIN_MOS = 3.6;
/**
 * How far before its sending a tone's marks may seem to arrive, ms, before the audio is taken
 * for someone else's: the envelope's window and hop (delay-estimate.ts) and a packet's time.
 */
export const EARLY_AUDIO_TOLERANCE_MS = 25;

/**
 * Packets of a codec a leg must receive for the codec check to count it as sent by the far
 * side (100 ms at 20 ms): a few packets of the codec before a re-negotiation, still on their
 * way when it completed, do not count.
 */
export const RECEIVED_CODEC_MIN_PACKETS = 5;
/**
 * Above this level, what arrived instead of an expected tone that was not heard is other audio
 * (the tones play at about −13 dBFS), not silence or comfort noise, dBFS.
 */
const OTHER_AUDIO_DBFS = -30;

export class Checks {
  readonly records: CheckRecord[] = [];
  /** RTP streams measured by audio checks, for the evidence report. */
  readonly streams: StreamRow[] = [];
  /** Digits sent and received by DTMF checks (cases add rows with `dtmfRow`). */
  readonly dtmf: DtmfRow[] = [];

  /** Records one digit's journey for the DTMF timeline of the evidence report. */
  dtmfRow(row: DtmfRow): void {
    if (this.dtmf.length < 500) this.dtmf.push(row);
  }

  /**
   * Added to the seed of each marked tone: checks that run side by side (a load's calls) give
   * each its own marks, so that audio crossed from one call into another is never timed as
   * this call's (its delay would be the other call's offset).
   */
  seedBase = 0;
  /** Audio checks played so far (seeds each marked tone differently). */
  private audioChecks = 0;

  constructor(
    /** The one clock of the case's checks (delay probes stamp both legs on it). */
    readonly clock: Clock,
    private readonly onRecord: (r: CheckRecord) => void = () => undefined,
    /** The profile's audio thresholds (profile `audio`). */
    readonly audioPolicy: AudioDelayPolicy = DEFAULT_AUDIO_DELAY_POLICY,
  ) {}

  /**
   * SBC settings the case asked for that nobody applied, with the sentence that says so; checks
   * that depend on one of them are recorded as not judged.
   */
  readonly unapplied = new Map<PreconditionKey, string>();

  /** Judged checks that failed (a check not judged never fails a cell). */
  get failed(): CheckRecord[] {
    return this.records.filter((r) => !r.ok && r.judged !== false);
  }

  /** Checks recorded but not judged, because a setting they depend on was not applied. */
  get notJudged(): CheckRecord[] {
    return this.records.filter((r) => r.judged === false);
  }

  private readonly incompleteSet = new Set<string>();

  /** Why checks of this case could not be judged in this run (CheckDetail.incomplete), each once. */
  get incompleteReasons(): string[] {
    return [...this.incompleteSet];
  }

  /** The general check: records it, returns `ok`. */
  that(name: string, ok: boolean, d: CheckDetail): boolean {
    const r: CheckRecord = {
      name,
      ok,
      expected: d.expected,
      observed: d.observed,
      atMs: Math.round(this.clock.wallNow()),
    };
    if (!ok) r.failure = d.failure ?? `${name}: expected ${d.expected}, observed ${d.observed}`;
    if (d.evidence && d.evidence.length > 0) r.evidence = d.evidence;
    if (d.by) r.by = d.by;
    if (d.comment) r.comment = d.comment;
    const missing = (d.dependsOn ?? []).filter((k) => this.unapplied.has(k));
    if (missing.length > 0) {
      r.judged = false;
      r.notJudged = missing.map((k) => this.unapplied.get(k)).join('; ');
    } else if (d.notJudgedBy) {
      r.judged = false;
      r.notJudged = d.notJudgedBy;
    } else if (d.incomplete) {
      r.judged = false;
      r.notJudged = d.incomplete;
      this.incompleteSet.add(d.incomplete);
    }
    this.records.push(r);
    this.onRecord(r);
    return ok;
  }

  equal<T>(name: string, observed: T, expected: T, failure?: string): boolean {
    const o = JSON.stringify(observed) ?? String(observed);
    const e = JSON.stringify(expected) ?? String(expected);
    return this.that(name, o === e, { expected: e, observed: o, ...(failure ? { failure } : {}) });
  }

  /** The call reached the established state (a 2xx). */
  async established(call: Call, who: string): Promise<boolean> {
    const ok = await call.established();
    return this.that(`${who}: call established`, ok, {
      expected: '200 OK, call established',
      observed: ok ? 'established' : `ended with ${call.status ?? 'no final response'}`,
      failure: `The call from ${who} was not established (final response ${call.status ?? 'none'})`,
    });
  }

  /**
   * The codec a call leg negotiated is one of `expected`, and so is every codec that arrived on
   * it since, or since the last audio check began (clearReceived: early media and ringback before
   * the answer are not judged), in RECEIVED_CODEC_MIN_PACKETS packets or more. The negotiated codec is the
   * one this leg sends. The far side picks what it sends among the formats both the offer and
   * the answer list (RFC 3264 §6.1: it SHOULD be the offer's most preferred one, and an answer
   * may list several), so an SBC that answered "8 0" may legally send PCMU: the leg then carries
   * PCMU, which the case judges like any codec. A far side that sent nothing yet is judged on
   * the negotiated codec alone.
   */
  codec(
    call: { media: Pick<Call['media'], 'negotiated' | 'receivedSinceNegotiated'> },
    expected: string | string[],
    leg: string,
    dependsOn?: PreconditionKey[],
  ): boolean {
    const want = Array.isArray(expected) ? expected : [expected];
    const got = call.media.negotiated?.codec ?? 'none';
    const received = Object.entries(call.media.receivedSinceNegotiated?.() ?? {}).filter(
      ([, n]) => n >= RECEIVED_CODEC_MIN_PACKETS,
    );
    const foreign = received.filter(([c]) => !want.includes(c));
    const Leg = `${leg.charAt(0).toUpperCase()}${leg.slice(1)}`;
    // The codec alone when the far side sent it too (or nothing yet), as the report's codec
    // column shows it; both when they differ.
    const observed = received.some(([c]) => c !== got)
      ? `${got} sent, ${received.map(([c, n]) => `${c} received (${n} packets)`).join(', ')}`
      : got;
    return this.that(`codec on ${leg}`, want.includes(got) && foreign.length === 0, {
      expected: want.join(' or '),
      observed,
      failure: !want.includes(got)
        ? `${Leg} negotiated ${got}, expected ${want.join(' or ')}`
        : `${Leg} negotiated ${got}, but ${foreign.map(([c, n]) => `${c} (${n} packets)`).join(' and ')} arrived on it, expected ${want.join(' or ')} (RFC 3264 §6.1: the SBC may send any format of both the offer and its answer; the leg then carries it)`,
      ...(dependsOn ? { dependsOn } : {}),
    });
  }

  /**
   * Audio in both directions (or one): each side plays a distinct tone for `ms`; each must hear
   * the other's tone clearly, with an E-model MOS within limits and a one-way delay within the
   * G.114 bound of the profile (audio-delay.ts). The tones carry a pseudo-random loudness
   * pattern (marked-tone-source.ts) so the delay of each direction is measured by correlating
   * what one leg sent with what the other received, on this check's one clock (delay-probe.ts).
   */
  async audio(
    a: { call: Call; name: string },
    b: { call: Call; name: string },
    opts: {
      both?: boolean;
      ms?: number;
      minMos?: number;
      tones?: [number, number];
      /**
       * False: the one-way delay is measured and shown but not judged (a path the plan judges by
       * the tones heard only, such as a call the PBX joined, which crosses the SBC twice).
       */
      judgeDelay?: boolean;
      /**
       * Called when the check's time is up, before the tones stop: counters a caller reads
       * about the tone's window must be read here, as the legs may go on sending silence
       * while the analysis waits for its turn.
       */
      onTimeUp?: () => void;
    } = {},
  ): Promise<boolean> {
    const [fa, fb] = opts.tones ?? [700, 1300];
    const ms = opts.ms ?? 900;
    const both = opts.both ?? true;
    const seed = (this.seedBase + 2 * ++this.audioChecks) >>> 0;
    a.call.media.clearReceived();
    b.call.media.clearReceived();
    const rxAb = packetAudio(b.call);
    const rxBa = packetAudio(a.call);
    const probeAb = new DelayProbe(this.clock, b.call.media);
    const probeBa = both ? new DelayProbe(this.clock, a.call.media) : undefined;
    a.call.media.play(probeAb.wrap(markedToneSource(fa, 16000, seed)));
    if (probeBa) b.call.media.play(probeBa.wrap(markedToneSource(fb, 16000, seed + 1)));
    await new Promise((r) => setTimeout(r, ms));
    // When the check's time is up, what each side heard is read (tone, loss, jitter), the tones
    // stop and the probes stop recording; the delay analysis then waits for its turn of the
    // event loop (cpu-turns.ts): calls that end together (a load) must not hold up each other's
    // RTP senders, and a call waiting for its turn adds nothing to analyse.
    const seenAb = observe(a, b, fa, rxAb());
    const seenBa = probeBa ? observe(b, a, fb, rxBa()) : undefined;
    opts.onTimeUp?.();
    a.call.media.stopPlaying();
    b.call.media.stopPlaying();
    probeAb.close();
    probeBa?.close();
    await cpuTurn();
    const dirs: AudioDirection[] = [judgeDirection(seenAb, probeAb, this.audioPolicy)];
    if (probeBa && seenBa) {
      await cpuTurn();
      dirs.push(judgeDirection(seenBa, probeBa, this.audioPolicy));
    }
    let ok = true;
    for (const [i, d] of dirs.entries()) {
      const seen = i === 0 ? seenAb : (seenBa as HeardDirection);
      this.streams.push({
        from: d.from,
        to: d.to,
        codec: d.codec,
        packets: seen.received,
        lost: seen.lost,
        jitterMs: d.jitterMs,
        mos: d.mos,
        toneLevel: Math.round(d.level),
        ...(d.delay.found ? { delayMs: Math.round(d.delay.delayMs) } : {}),
      });
      const heard = d.level >= MIN_TONE_LEVEL && d.level > 8 * d.floor;
      const minMos = opts.minMos ?? MIN_MOS;
      const mosOk = d.mos >= minMos;
      const lim = d.bound;
      const judgeDelay = opts.judgeDelay ?? true;
      const delayOk = !judgeDelay || delayWithin(d.delay, lim);
      const delayTextOf = delayText(d.delay);
      // Audio never arrives before it leaves: what matches the sender's marks that early is
      // not the sender's (another call's, or the receiver's own sent back to it).
      const early = d.delay.found && d.delay.delayMs < -EARLY_AUDIO_TOLERANCE_MS;
      ok =
        this.that(`audio ${d.from} → ${d.to}`, heard && mosOk && delayOk && !early, {
          expected: `${d.toneHz} Hz tone heard (level ≥ ${MIN_TONE_LEVEL}), MOS ≥ ${minMos}, ${judgeDelay ? `one-way delay ≤ ${lim.boundMs} ms (ITU-T G.114)` : 'one-way delay measured, not judged'}`,
          observed: `level ${Math.round(d.level)} (floor ${Math.round(d.floor)}), ${d.codec}, loss ${d.lossPercent.toFixed(1)} %, jitter ${d.jitterMs.toFixed(1)} ms, ${delayTextOf}, MOS ${d.mos.toFixed(2)} with delay`,
          failure: !heard
            ? seen.arrivedDbfs > OTHER_AUDIO_DBFS
              ? `No audio from ${d.from} reached ${d.to} (its ${d.toneHz} Hz tone not heard: level ${Math.round(d.level)}), but other audio did (${seen.arrivedDbfs.toFixed(0)} dBFS): another call's audio, or a tone the SBC played`
              : `No audio from ${d.from} reached ${d.to} (one-way audio: tone level ${Math.round(d.level)})`
            : early
              ? `The audio ${d.to} heard is not ${d.from}'s: it matches ${d.from}'s tone ${Math.round(-d.delay.delayMs)} ms before ${d.from} sent it, and audio never arrives before it leaves (another call's audio, or ${d.to}'s own sent back)`
              : !delayOk
                ? delayFailure(d.from, d.to, d.delay, lim, d.mos)
                : `Audio from ${d.from} to ${d.to} is poor: MOS ${d.mos.toFixed(2)} with delay (loss ${d.lossPercent.toFixed(1)} %, ${delayTextOf})`,
        }) && ok;
    }
    return ok;
  }

  /** Digits received equal digits sent. */
  digits(sent: string, received: string, how: string): boolean {
    return this.that(`DTMF ${how}`, sent === received, {
      expected: sent,
      observed: received || '(none)',
      failure:
        received.length > sent.length && received.includes(sent)
          ? `DTMF ${sent} sent ${how} arrived more than once: ${received}`
          : `DTMF ${sent} sent ${how} arrived as "${received || 'nothing'}"`,
    });
  }

  /**
   * What a deskphone displays for a call: the number must be `expected.number`. A name shown
   * must be `expected.name`, or the number itself; no name at all is accepted too (with a
   * word in the observation), since an SBC, a back-to-back user agent, writes the From and
   * P-Asserted-Identity of its own leg and may leave the display-name out (RFC 3261 §20.20
   * and §25.1: it is optional; RFC 3325 §9.1), and the plan's "check display" asks for the
   * caller shown correctly, which the number is.
   */
  display(
    line: DisplayLine | undefined,
    expected: { number?: string; name?: string },
    where: string,
  ): boolean {
    const observed = line ? `${line.name ?? ''} ${line.number ?? ''}`.trim() : '(no call shown)';
    const wanted = `${expected.name ?? ''} ${expected.number ?? ''}`.trim();
    const shown = line?.name?.trim() ?? '';
    const nameOk =
      expected.name === undefined ||
      shown === expected.name ||
      shown === '' ||
      (line !== undefined && isTheNumber(shown, line));
    const ok =
      line !== undefined && (expected.number === undefined || line.number === expected.number) && nameOk;
    const why =
      ok && expected.name !== undefined && shown !== expected.name
        ? shown === ''
          ? ` (number only: the INVITE the OXO received carried no display-name; the caller sent "${expected.name}")`
          : ` (the number shown as the name: the INVITE the OXO received carried it as the display-name; the caller sent "${expected.name}")`
        : '';
    return this.that(`display on ${where}`, ok, {
      expected: wanted,
      observed: `${observed}${why}`,
      failure: `${where} displays "${observed}" instead of "${wanted}"`,
    });
  }
}

/**
 * A display name that is only the number of the line it is shown on: the number as the OXO
 * shows it (040555001), or as it came (+4940555001, also written 004940555001), separators
 * (spaces, dashes, dots, slashes, brackets) aside. Any other number is not the caller's.
 */
function isTheNumber(name: string, line: DisplayLine): boolean {
  const n = name.replace(/[\s\-()./]/g, '');
  if (!/^\+?\d+$/.test(n)) return false;
  const raw = line.raw.replace(/[\s\-()./]/g, '');
  const international = n.startsWith('00') ? `+${n.slice(2)}` : n;
  return n === line.number || n === raw || (raw.startsWith('+') && international === raw);
}

/**
 * From now on, the audio per packet a leg receives, ms (audio time over packets, so an SBC that
 * repacketizes shows its packet length), or undefined when nothing arrived or it is not known.
 */
function packetAudio(call: Call): () => number | undefined {
  const ms0 = call.media.audioReceivedMs?.();
  const n0 = call.media.stats().received;
  return () => {
    const ms = call.media.audioReceivedMs?.();
    const n = call.media.stats().received - n0;
    return ms === undefined || ms0 === undefined || n <= 0 ? undefined : (ms - ms0) / n;
  };
}

/** What one direction's receiver heard when the check's time was up (cheap; read at once). */
interface HeardDirection extends Omit<AudioDirection, 'mos' | 'delay' | 'bound'> {
  /** The level of all that arrived over the tone's window, dBFS (what else was heard). */
  arrivedDbfs: number;
  srcCodec: string;
  rxPacketMs: number | undefined;
  /** The receiving leg's RTP packets received and lost so far (RFC 3550 counts). */
  received: number;
  lost: number;
}

function observe(
  src: { call: Call; name: string },
  dst: { call: Call; name: string },
  hz: number,
  rxPacketMs?: number,
): HeardDirection {
  const rec = dst.call.media.receivedAudio();
  const n = Math.min(rec.samples.length, Math.round(0.4 * rec.sampleRate));
  const from = rec.samples.length - n;
  const level = n > 0 ? goertzelAmplitude(rec.samples, rec.sampleRate, hz, from, rec.samples.length) : 0;
  const floor = n > 0 ? goertzelAmplitude(rec.samples, rec.sampleRate, 2450, from, rec.samples.length) : 0;
  const arrivedDbfs = n > 0 ? levelDbfs(rec.samples, from, rec.samples.length) : -200;
  const st = dst.call.media.stats();
  const total = st.received + st.lost;
  const codec = dst.call.media.negotiated?.codec ?? 'none';
  return {
    from: src.name,
    to: dst.name,
    toneHz: hz,
    level,
    floor,
    arrivedDbfs,
    lossPercent: total > 0 ? (100 * st.lost) / total : 100,
    jitterMs: st.jitterMs,
    codec,
    srcCodec: src.call.media.negotiated?.codec ?? codec,
    rxPacketMs,
    received: st.received,
    lost: st.lost,
  };
}

/** The direction's one-way delay (the costly part), its MOS with that delay, and its bound. */
function judgeDirection(h: HeardDirection, probe: DelayProbe, policy: AudioDelayPolicy): AudioDirection {
  const delay: OneWayDelay = probe.listening
    ? probe.measure()
    : {
        found: false,
        delayMs: 0,
        minMs: 0,
        maxMs: 0,
        p5Ms: 0,
        p95Ms: 0,
        chunks: 0,
        contentLagMs: 0,
        peak: 0,
        windows: { matched: 0, tried: 0 },
        reason: 'no-arrival-times',
      };
  const q = voipQuality({
    codec: eModelCodec(h.codec),
    packetLossPercent: h.lossPercent,
    jitterMs: h.jitterMs,
    ...(delay.found ? { networkDelayMs: Math.max(0, delay.delayMs) } : {}),
    echo: 'none',
  });
  return {
    from: h.from,
    to: h.to,
    toneHz: h.toneHz,
    level: h.level,
    floor: h.floor,
    lossPercent: h.lossPercent,
    jitterMs: h.jitterMs,
    mos: q.mos,
    codec: h.codec,
    delay,
    bound: delayBound(policy, h.srcCodec, h.codec, h.rxPacketMs),
  };
}
