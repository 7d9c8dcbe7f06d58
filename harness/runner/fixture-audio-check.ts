/**
 * Audio both ways on a call where either leg negotiated G.723.1, which the harness can neither
 * encode nor decode. Both sides play the committed G.723.1 fixture (MediaLeg.play with
 * fixtureSource): G.723.1 passed through must arrive byte for byte, audio the SBC transcoded
 * from G.723.1 into a codec the harness decodes is compared decoded (codecs/fixture-verify.ts).
 * G.723.1 that the SBC encoded itself cannot be decoded here: that direction is judged on its
 * packets arriving, and its audio is recorded as not judged, a harness limit, never a verdict.
 *
 * Shared by the plan's codec cases (scenarios/codecs.ts, 8-1-3 and 8-1-4) and the load's audio
 * check (load-shape.ts), so a call that carries G.723.1 is judged the same way in both.
 */

import { codecLabel } from '../../codecs/index.ts';
import { type Call, fixtureSource, MediaLeg } from '../actors/index.ts';
import { voipQuality } from '../media/analysis/index.ts';
import { delayBound, delayFailure, delayText, delayWithin, payloadDelayAtLeast } from './audio-delay.ts';
import { HarnessError } from './case-context.ts';
import type { Checks } from './checks.ts';
import { PayloadDelayProbe } from './delay-probe.ts';

/** How long each side plays the G.723.1 fixture by default (the decoded comparison wants ≥ 1 s). */
export const FIXTURE_PLAY_MS = 1500;
/** After the play, how long the probes go on recording for its last frames to arrive. */
const AFTER_PLAY_MS = 100;
/** Up to a 90 ms packet before the first frame leaves, and 60 ms in the receiver's reorder window. */
const CHECK_SLACK_MS = 150;
/** A 6.3 kbit/s G.723.1 frame (the fixture's), bytes: the unit the delay is matched by (RFC 3551 §4.5.3). */
const G723_FRAME_BYTES = 24;

/** True when either leg's negotiated codec is G.723.1: its audio is checked by the fixture. */
export function carriesG723(a: { call: Call }, b: { call: Call }): boolean {
  return a.call.media.negotiated?.codec === 'G723' || b.call.media.negotiated?.codec === 'G723';
}

/** What the fixture check found in one direction. */
export interface FixtureDirection {
  from: string;
  to: string;
  /** The codec the receiving leg negotiated. */
  codec: string;
  /** Audio arrived: the fixture's frames, or (SBC-encoded G.723.1) packets at all. */
  heard: boolean;
  /** False: G.723.1 the SBC encoded itself, only its packets' arrival was judged. */
  judged: boolean;
  packets: number;
  lost: number;
  jitterMs: number;
  /** E-model MOS of the direction (G.107), with the one-way delay when it was measured. */
  mos: number;
  delayMs?: number;
  /** The failure sentence, when the direction failed. */
  failure?: string;
}

/**
 * The fixture check between `a` and `b`; both must carry a MediaLeg. Records its checks (and
 * the streams of the directions it judged) on `check`, and returns them per direction, `a` →
 * `b` first.
 */
export async function fixtureAudioCheck(
  check: Checks,
  a: { call: Call; name: string },
  b: { call: Call; name: string },
  opts: {
    /** How long each side plays the fixture, ms (default FIXTURE_PLAY_MS). */
    playMs?: number;
    /** False: the one-way delay is measured and shown but not judged (as Checks.audio). */
    judgeDelay?: boolean;
    /** Called when the play's time is up, before the fixture stops (as Checks.audio). */
    onTimeUp?: () => void;
    /**
     * True: G.723.1 passed through is compared frame by frame at the places its RTP timestamps
     * give (verifyPassthroughPlaced), so frames of lost packets may be missing and loss counts
     * through the MOS, as in the tone check. False (the plan's 8-1-4): one unbroken run.
     */
    allowLoss?: boolean;
  } = {},
): Promise<{ ok: boolean; directions: FixtureDirection[] }> {
  const playMs = opts.playMs ?? FIXTURE_PLAY_MS;
  const windowMs = playMs + AFTER_PLAY_MS;
  const judgeDelay = opts.judgeDelay ?? true;
  a.call.media.clearReceived();
  b.call.media.clearReceived();
  // What each side had received and lost before the check (stats count from the answer).
  const receivedBefore = new Map([a, b].map((x) => [x, x.call.media.stats().received]));
  const lostBefore = new Map([a, b].map((x) => [x, x.call.media.stats().lost]));
  // One-way delay of G.723.1 passed through: its fixture frames are identifiable, so each
  // arriving payload is timed against the moment the same frames left (delay-probe.ts).
  const probeAb = new PayloadDelayProbe(check.clock, b.call.media, a.call.media);
  const probeBa = new PayloadDelayProbe(check.clock, a.call.media, b.call.media);
  a.call.media.play(fixtureSource('G723'));
  b.call.media.play(fixtureSource('G723'));
  await new Promise((r) => setTimeout(r, playMs));
  opts.onTimeUp?.();
  a.call.media.stopPlaying();
  b.call.media.stopPlaying();
  await new Promise((r) => setTimeout(r, AFTER_PLAY_MS));
  probeAb.close();
  probeBa.close();
  let ok = true;
  const directions: FixtureDirection[] = [];
  for (const [src, dst, probe] of [
    [a, b, probeAb],
    [b, a, probeBa],
  ] as const) {
    const cs = src.call.media.negotiated?.codec;
    const cd = dst.call.media.negotiated?.codec;
    const st = dst.call.media.stats();
    const inWindow = {
      received: st.received - (receivedBefore.get(dst) ?? 0),
      lost: Math.max(0, st.lost - (lostBefore.get(dst) ?? 0)),
    };
    if (cd === 'G723' && cs !== 'G723') {
      const arrived = judgeSbcEncodedG723(check, src.name, dst.name, cs, inWindow, windowMs);
      ok = arrived && ok;
      const total = inWindow.received + inWindow.lost;
      directions.push({
        from: src.name,
        to: dst.name,
        codec: 'G723',
        heard: arrived,
        judged: false,
        packets: inWindow.received,
        lost: inWindow.lost,
        jitterMs: st.jitterMs,
        mos: voipQuality({
          codec: 'G723',
          packetLossPercent: total > 0 ? (100 * inWindow.lost) / total : 100,
          jitterMs: st.jitterMs,
          echo: 'none',
        }).mos,
        ...(arrived ? {} : { failure: noAudio(src.name, dst.name, windowMs) }),
      });
      continue;
    }
    const media = dst.call.media;
    if (!(media instanceof MediaLeg))
      throw new HarnessError(`${dst.name}'s media leg cannot judge the G.723.1 fixture`);
    const r = media.verifyFixture('G723', { allowLoss: opts.allowLoss ?? false });
    const nothing = /no audio payloads/.test(r.detail);
    // Both ends send the same fixture: the leg's own RTP sent back to it would pass for the
    // far end's. Its own SSRC tells it (MediaLeg.ownSsrcPackets).
    const own = media.ownSsrcPackets();
    const passthrough = cs === 'G723' && cd === 'G723';
    const delay = passthrough
      ? probe.measure(G723_FRAME_BYTES)
      : { ...probe.measure(), found: false, reason: 'transcoded-fixture' as const };
    const total = inWindow.received + inWindow.lost;
    const lossPercent = total > 0 ? (100 * inWindow.lost) / total : 100;
    const mos = voipQuality({
      codec: cd === 'G723' || cd === 'G729' || cd === 'G722' || cd === 'PCMU' ? cd : 'PCMA',
      packetLossPercent: lossPercent,
      jitterMs: st.jitterMs,
      ...(delay.found ? { networkDelayMs: Math.max(0, delay.delayMs) } : {}),
      echo: 'none',
    }).mos;
    const bound = delayBound(check.audioPolicy, cs ?? 'none', cd ?? 'none');
    // Passed through byte for byte, yet no frame sent during the check arrived within it: the
    // delay is at least about the check's length (payloadDelayAtLeast). At a whole fixture loop
    // or more it cannot be told from a shorter one: the loop repeats (docs/audio-delay.md).
    const atLeast =
      passthrough && judgeDelay
        ? payloadDelayAtLeast(delay, r.ok, bound, windowMs, CHECK_SLACK_MS)
        : undefined;
    const delayOk = !judgeDelay || (delayWithin(delay, bound) && atLeast === undefined);
    check.streams.push({
      from: src.name,
      to: dst.name,
      codec: cd ?? 'none',
      packets: inWindow.received,
      lost: inWindow.lost,
      jitterMs: st.jitterMs,
      mos,
      toneLevel: 0,
      ...(delay.found ? { delayMs: Math.round(delay.delayMs) } : {}),
    });
    const failure = nothing
      ? noAudio(src.name, dst.name, windowMs)
      : own > 0
        ? `${dst.name} got its own RTP back (${own} packet(s) with its own SSRC), not the audio from ${src.name}`
        : !r.ok
          ? `The G.723.1 audio from ${src.name} arrived altered at ${dst.name}: ${r.detail}`
          : atLeast !== undefined
            ? `Audio from ${src.name} to ${dst.name} is delayed ${atLeast} ms or more one-way: none of the G.723.1 frames sent during the ${windowMs} ms check arrived within it, only frames sent before it; more than the ${bound.boundMs} ms allowed (ITU-T G.114)`
            : delayFailure(src.name, dst.name, delay, bound, mos);
    const passed = check.that(
      `audio ${src.name} → ${dst.name} (G.723.1 fixture)`,
      r.ok && delayOk && own === 0,
      {
        expected: `${
          passthrough
            ? 'the G.723.1 frames sent, byte for byte (passed through)'
            : `the fixture's audio after transcoding ${codecLabel(cs)} → ${codecLabel(cd)}`
        }, ${judgeDelay ? `one-way delay ≤ ${bound.boundMs} ms (ITU-T G.114)` : 'one-way delay measured, not judged'}`,
        observed: `${r.method}: ${r.detail} (${inWindow.received} packets, ${inWindow.lost} lost), ${atLeast !== undefined ? `one-way delay ≥ ${atLeast} ms (no frame sent during the check arrived within it)` : delayText(delay)}, MOS ${mos.toFixed(2)} with delay`,
        failure,
      },
    );
    ok = passed && ok;
    directions.push({
      from: src.name,
      to: dst.name,
      codec: cd ?? 'none',
      heard: !nothing,
      judged: true,
      packets: inWindow.received,
      lost: inWindow.lost,
      jitterMs: st.jitterMs,
      mos,
      ...(delay.found ? { delayMs: Math.round(delay.delayMs) } : {}),
      ...(passed ? {} : { failure }),
    });
  }
  return { ok, directions };
}

function noAudio(from: string, to: string, windowMs: number): string {
  return `No audio from ${from} reached ${to} during the ${windowMs} ms check (one-way audio, or a delay longer than that)`;
}

/**
 * One direction whose G.723.1 the SBC encoded itself from `from` (a transcoding SBC): the
 * harness has no G.723.1 decoder, so only the packets' arrival is judged (none arrived: NOK);
 * their audio is recorded as not judged, which makes the cell INCOMPLETE unless another check
 * failed.
 */
export function judgeSbcEncodedG723(
  check: Checks,
  srcName: string,
  dstName: string,
  from: string | undefined,
  st: { received: number; lost: number },
  windowMs = FIXTURE_PLAY_MS + AFTER_PLAY_MS,
): boolean {
  const arrived = st.received > 0;
  return check.that(`audio ${srcName} → ${dstName} (G.723.1 encoded by the SBC)`, arrived, {
    expected: `G.723.1 packets arriving, transcoded by the SBC from ${codecLabel(from)}; their audio is not judged here`,
    observed: `${st.received} packets, ${st.lost} lost`,
    failure: noAudio(srcName, dstName, windowMs),
    ...(arrived
      ? {
          incomplete: `the audio that the SBC encoded into G.723.1 toward ${dstName} is not judged: the harness has no G.723.1 decoder (it checks G.723.1 by its fixture frames passed through)`,
        }
      : {}),
  });
}
