/**
 * What a call shape of the load (load-mix.ts) gets and gives back, and the audio check every
 * shape ends with. A shape runs the middle of one call: from both legs established to the
 * moment the caller hangs up (load-run.ts does the set-up before and the release after).
 */
import type { Call, CallMediaPrefs, Extension, Lab, PstnPhone } from '../actors/index.ts';
import type { Clock } from '../support/clock.ts';
import { Checks } from './checks.ts';
import {
  carriesG723,
  FIXTURE_PLAY_MS,
  type FixtureDirection,
  fixtureAudioCheck,
} from './fixture-audio-check.ts';
import { audioShortfall } from './load-audio-time.ts';
import type { LoadAudioDirection, LoadCallRecord } from './load-figures.ts';
import type { LoadShapeName } from './load-mix.ts';

/** One side of a call, with the name the records and failures use. */
export interface LoadParty {
  call: Call;
  name: string;
}

/** What a shape gets for one call. */
export interface LoadShapeContext {
  lab: Lab;
  /** The call's record: the shape adds its failures (one sentence each) and its audio. */
  rec: LoadCallRecord;
  slot: number;
  caller: LoadParty;
  callee: LoadParty;
  /** The slot's provider phone and the extension of this call. */
  phone: PstnPhone;
  ext: Extension;
  /** Which party is the extension's leg and which the PSTN phone's. */
  desk: LoadParty;
  pstn: LoadParty;
  /** How long the audio check plays its tones, ms. */
  audioMs: number;
  clock: Clock;
  /**
   * Every leg the shape made or took for this call (a consultation, a transfer's new call),
   * whatever became of it: the call's SIP and RTP rules judge them too (load-rules.ts).
   */
  legs: Set<Call>;
}

/** The two parties the caller's hang-up is then judged on, when the shape changed them (transfer). */
export interface LoadShapeOutcome {
  /** The party that hangs up (its BYE's delay is the RFC 6076 SDD). */
  hangup: LoadParty;
  /** The party whose leg must then end within the release bound. */
  far: LoadParty;
  /** Other legs of the call that must have ended too by then (a consultation's PBX leg). */
  others?: LoadParty[];
}

/** One call shape. */
export interface LoadShape {
  name: LoadShapeName;
  /** Once per run, before the first call, when the mix has this shape (e.g. the transfer targets). */
  setup?(lab: Lab, slots: number, slotBase?: number): void;
  /** Before each call of this shape is placed; returns what undoes it after the call. */
  before?(phone: PstnPhone): () => void;
  /**
   * The codecs the call's extension offers or answers with for this call alone (default: its
   * own). Slots share the extensions: their other calls keep theirs.
   */
  extensionPrefs?(ext: Extension): CallMediaPrefs;
  /** The middle of the call. Never throws for a failed step: it goes in `ctx.rec.failures`. */
  run(ctx: LoadShapeContext): Promise<LoadShapeOutcome | undefined>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Fewest packets of the stream the jitter was estimated on for a direction to report it. The
 * RFC 3550 estimator (A.8) starts at 0 and moves 1/16 of the way per packet: after 32 packets its
 * zero start still weighs (15/16)^32, about 13 %; after 2 or 3 it is nearly all of it.
 */
export const MIN_JITTER_PACKETS = 32;

/**
 * This process's part of the marked tones' seeds (agents on one host, each its own process,
 * may load one external SBC together), then a count of the audio checks it ran.
 */
const SEED_SALT = Math.imul(process.pid, 0x9e3779b1) >>> 16;
let loadAudioChecks = 0;
/**
 * The caller's and the callee's tones, Hz, taken in turn by the load's audio checks: 150 Hz
 * apart, so that one heard in place of another is far outside the marks' ±100 Hz spread and
 * not heard (the plan's own pair, 700 and 1300 Hz, among them); none is the probe's 1020 Hz,
 * a fax tone (1100, 2100 Hz) or the noise floor's 2450 Hz.
 */
export const LOAD_CALLER_TONES_HZ = [700, 550, 850, 400] as const;
export const LOAD_CALLEE_TONES_HZ = [1300, 1450, 1600, 1750] as const;

/** The next audio check's own marks (its seed base) and tones, whatever runs beside it. */
export function nextLoadCheck(): { seedBase: number; tones: [number, number] } {
  loadAudioChecks = (loadAudioChecks + 1) & 0x3fff;
  const k = loadAudioChecks;
  return {
    seedBase: ((SEED_SALT << 16) | (k << 2)) >>> 0,
    tones: [
      LOAD_CALLER_TONES_HZ[k % LOAD_CALLER_TONES_HZ.length]!,
      LOAD_CALLEE_TONES_HZ[k % LOAD_CALLEE_TONES_HZ.length]!,
    ],
  };
}

/** Polls `done` every 50 ms until it holds or `ms` passed. Bounded in time and count. */
export async function until(done: () => boolean, ms: number): Promise<boolean> {
  const rounds = Math.ceil(ms / 50);
  for (let i = 0; i < rounds && !done(); i++) await sleep(50);
  return done();
}

/**
 * The plan's audio check (Checks.audio: a tone each way for `ms`, tone heard, loss, jitter,
 * E-model MOS with the one-way delay measured on one clock, G.114 bound) between `a` (the
 * caller side) and `b`. Returns the two directions, `a` → `b` first, and adds each failed
 * direction to `failures`, prefixed by `when` when given.
 */
export async function loadAudioCheck(
  a: LoadParty,
  b: LoadParty,
  ms: number,
  ctx: Pick<LoadShapeContext, 'clock' | 'lab'>,
  failures: string[],
  when?: string,
  /** False: the one-way delay is measured, not judged (see Checks.audio). */
  judgeDelay = true,
): Promise<LoadAudioDirection[]> {
  const senders = [a.call, b.call];
  const receivers = [b.call, a.call];
  const sentBefore = senders.map((c) => c.media.stats().sent);
  const heardBefore = receivers.map((c) => c.media.audioReceivedMs?.());
  // The profile's audio thresholds (its one-way delay bound and the network's own delay), as
  // the plan's checks take them (runner.ts).
  const checks = new Checks(ctx.clock, undefined, ctx.lab.profile.audio);
  // Tones and marks of this check's own: audio an SBC crossed from another call into this one
  // is then at another frequency (not heard), and is never timed as this call's.
  const own = nextLoadCheck();
  checks.seedBase = own.seedBase;
  // Read when the tones' time is up: the legs go on sending silence while the analysis waits.
  let sentAfter = sentBefore;
  let heardAfter = heardBefore;
  let jitterPackets = receivers.map(() => 0);
  const onTimeUp = () => {
    sentAfter = senders.map((c) => c.media.stats().sent);
    heardAfter = receivers.map((c) => c.media.audioReceivedMs?.());
    jitterPackets = receivers.map((c) => {
      const st = c.media.stats();
      return st.jitterPackets ?? st.received;
    });
  };
  if (carriesG723(a, b)) {
    // G.723.1 on either leg: no tone can be sent or heard there, so both sides play the
    // committed fixture and each direction is judged as the plan's 8-1-4 judges it.
    // Audio transcoded from G.723.1 is compared decoded, which needs a second of it at least:
    // a short hold's check plays the fixture that long (FIXTURE_PLAY_MS).
    const transcoded = a.call.media.negotiated?.codec !== b.call.media.negotiated?.codec;
    const playMs = transcoded ? Math.max(ms, FIXTURE_PLAY_MS) : ms;
    const { directions } = await fixtureAudioCheck(checks, a, b, {
      playMs,
      judgeDelay,
      onTimeUp,
      allowLoss: true,
    });
    const dirs = directions.map((d, i) =>
      fixtureDirection(d, i, { sentBefore, sentAfter, heardBefore, heardAfter, jitterPackets }, senders),
    );
    for (const d of directions) if (d.failure) failures.push(`${when ? `${when}: ` : ''}${d.failure}`);
    shortfall(dirs, ms, failures, when);
    return dirs;
  }
  await checks.audio(a, b, {
    both: true,
    ms,
    minMos: 1,
    judgeDelay,
    onTimeUp,
    tones: own.tones,
  });
  const dirs = checks.streams.map((s, i): LoadAudioDirection => {
    const r = checks.records[i];
    const total = s.packets + s.lost;
    const packetsSent = (sentAfter[i] ?? 0) - (sentBefore[i] ?? 0);
    const heard = !(r?.failure ?? '').startsWith('No audio');
    return {
      from: s.from,
      to: s.to,
      codec: s.codec,
      heard,
      toneLevel: s.toneLevel,
      lossPercent: total > 0 ? (100 * s.lost) / total : 100,
      // Jitter only of a stream heard, over enough of its packets (MIN_JITTER_PACKETS): a silent
      // direction's 0, or an estimate still near its zero start, would lower the run's figures.
      ...(heard && (jitterPackets[i] ?? 0) >= MIN_JITTER_PACKETS ? { jitterMs: s.jitterMs } : {}),
      mos: s.mos,
      ...(s.delayMs !== undefined ? { delayMs: s.delayMs } : {}),
      packetsSent,
      packetsArrived: s.packets,
      audioSentMs: packetsSent * (senders[i]?.media.negotiated?.ptimeMs ?? 20),
      ...(heardAfter[i] !== undefined && heardBefore[i] !== undefined
        ? { audioArrivedMs: Math.round((heardAfter[i] as number) - (heardBefore[i] as number)) }
        : {}),
    };
  });
  for (const r of checks.failed) failures.push(`${when ? `${when}: ` : ''}${r.failure ?? r.name}`);
  shortfall(dirs, ms, failures, when);
  return dirs;
}

/** Counters read around an audio check, per direction (`a` → `b` first). */
interface WindowCounts {
  sentBefore: number[];
  sentAfter: number[];
  heardBefore: Array<number | undefined>;
  heardAfter: Array<number | undefined>;
  jitterPackets: number[];
}

/** A direction of the G.723.1 fixture check as the load records it. */
function fixtureDirection(
  d: FixtureDirection,
  i: number,
  w: WindowCounts,
  senders: Call[],
): LoadAudioDirection {
  const packetsSent = (w.sentAfter[i] ?? 0) - (w.sentBefore[i] ?? 0);
  const total = d.packets + d.lost;
  const before = w.heardBefore[i];
  const after = w.heardAfter[i];
  return {
    from: d.from,
    to: d.to,
    codec: d.codec,
    heard: d.heard,
    // A G.723.1 fixture has no tone to measure a level of.
    toneLevel: 0,
    ...(d.judged ? {} : { notJudged: NOT_JUDGED_G723 }),
    lossPercent: total > 0 ? (100 * d.lost) / total : 100,
    ...(d.heard && (w.jitterPackets[i] ?? 0) >= MIN_JITTER_PACKETS ? { jitterMs: d.jitterMs } : {}),
    mos: d.mos,
    ...(d.delayMs !== undefined ? { delayMs: d.delayMs } : {}),
    packetsSent,
    packetsArrived: d.packets,
    audioSentMs: packetsSent * (senders[i]?.media.negotiated?.ptimeMs ?? 20),
    ...(after !== undefined && before !== undefined ? { audioArrivedMs: Math.round(after - before) } : {}),
  };
}

/** Why a direction's audio was not judged: G.723.1 that the SBC encoded itself. */
export const NOT_JUDGED_G723 =
  'G.723.1 encoded by the SBC: the harness has no G.723.1 decoder, only its packets arriving were judged';

/** The arrived-audio check (load-audio-time.ts) over the directions of one audio check. */
function shortfall(dirs: LoadAudioDirection[], ms: number, failures: string[], when?: string): void {
  const times = dirs.map((d) => ({
    from: d.from,
    to: d.to,
    sentPackets: d.packetsSent ?? 0,
    sentMs: d.audioSentMs ?? 0,
    ...(d.audioArrivedMs !== undefined ? { arrivedMs: d.audioArrivedMs } : {}),
  }));
  for (const f of audioShortfall(times, ms)) failures.push(`${when ? `${when}: ` : ''}${f}`);
}
