/**
 * Invariants every call of every case must keep, checked by the runner without the case asking
 * and recorded as checks of the cell:
 *
 * 1. Media flows both ways from answer to hang-up. Each of our legs (the provider's phones and
 *    IVR, the OXO's extensions: all send RTP continuously, silence included) must receive RTP
 *    with no gap longer than {@link MEDIA_GAP_BOUND_MS} (plus four times the leg's jitter)
 *    whenever it expects media: its negotiated direction receives (sendrecv or recvonly, so
 *    sendonly, inactive and c=0.0.0.0 holds are windows without media), its partner leg on the
 *    other side of the SBC sends, no quiet window was declared by the case, and the first
 *    {@link MEDIA_SETTLE_MS} after the answer or a direction change are allowed to settle.
 *    Comfort noise is legal silence: a gap after a CN packet, or on a leg whose peer declared
 *    a=silenceSupp:on, is not a failure. So is silence suppressed without CN (RFC 3551 §4.1):
 *    a gap while the far phone sent only silence, when media came back after it, or when the
 *    case's streams showed suppression before (a talkspurt boundary, or media back after a
 *    silence); media that stopped never comes back, and a gap while the far phone sent audio
 *    stays a failure. A gap during which the harness itself was stalled (its own poll ran
 *    late) is reduced by the stall. The judge reads each leg's record of every RTP arrival of the
 *    call (MediaLeg.receivedRtp), not the packet log kept for the pcap (bounded: full after about
 *    250 s at 10 ms packets); past that record's own bound, the rest of the call is named as not
 *    judged, and the cell is INCOMPLETE unless a judged check failed.
 * 2. Both legs are released together: when one leg of a call through the SBC ends (our BYE,
 *    CANCEL or rejection, or one that reached us), its partner leg must end within
 *    {@link CALL_RELEASE_BOUND_MS} — by the SBC's BYE/CANCEL/final response or by the case's
 *    own hang-up.
 * 3. Nothing is left up at the end of the case: no call of the case still calling, ringing or
 *    established on our actors, and (with the embedded SBC) no call of the case still live on
 *    the SBC.
 *
 * Legs are paired by the number called (the last 7 digits, or the whole number when shorter),
 * opposite directions on the two sides, and creation within {@link PAIR_WINDOW_MS} of each other,
 * the closest first: what is the same call on both sides of a B2BUA whatever it does to Call-IDs.
 * The watch takes the calls created since the case started, so it works for actors that
 * outlive the case.
 */
import type { Call, CallRegistry, Lab, ReferenceSbc, TrackedCall } from '../actors/index.ts';
import type { Checks } from './checks.ts';

/** A leg must be released within this long after its partner, ms. */
export const CALL_RELEASE_BOUND_MS = 5000;
/** Longest silence allowed in a leg's received RTP outside hold/quiet windows, ms (plus 4 × jitter). */
export const MEDIA_GAP_BOUND_MS = 500;
/** Time allowed after the answer or a direction change before media must flow, ms. */
export const MEDIA_SETTLE_MS = 250;
/** Legs of one call are created within this long of each other, ms. */
export const PAIR_WINDOW_MS = 10_000;
/** How long the watch waits at the end of a case for releases in flight, ms. */
const SETTLE_END_MS = CALL_RELEASE_BOUND_MS + 500;

/** A period the case declared without media toward one call (a mute window). */
interface QuietWindow {
  call: Call;
  fromMs: number;
  toMs?: number;
  reason: string;
}

interface Interval {
  from: number;
  to: number;
}

/** A gap in one leg's received RTP. */
export interface Gap {
  fromMs: number;
  toMs: number;
  /** The gap as judged (stalls of the harness removed). */
  lengthMs: number;
  legal?: string;
  /**
   * A failure while the far phone sent only silence, to the end: silence suppression that the
   * call did not show before, which cannot be told from media that stopped.
   */
  farSilent?: boolean;
}

const RECEIVES = new Set(['sendrecv', 'recvonly']);
const SENDS = new Set(['sendrecv', 'sendonly']);

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function digits(s: string | undefined): string {
  return (s ?? '').replace(/\D/g, '');
}

function sameNumber(a: string, b: string): boolean {
  if (!a || !b) return false;
  const n = Math.min(a.length, b.length, 7);
  if (Math.min(a.length, b.length) < 7) return a === b;
  return a.slice(-n) === b.slice(-n);
}

/**
 * The numbers a leg was called at: the To user of an outgoing call; of an incoming one, the To
 * user (the logical recipient, RFC 3261 §8.1.1.2: the DID), and with `all` its Request-URI user
 * too. An SBC may send a call to the registered Contact (RFC 3261 §10.2.1, §16.5), whose user
 * is the trunk's (digits on many OXO trunks, the main number among them), with the DID in To
 * only; or put the number in the Request-URI, as the OXO trunk takes either (oxo-trunk.ts).
 */
function calledNumbers(t: TrackedCall, all: boolean): string[] {
  const c = t.call;
  if (c.direction === 'outgoing') return [digits(c.remoteParty?.user)];
  const to = digits(/sips?:([^@;>]+)/.exec(c.invite?.get('to') ?? '')?.[1]);
  const ruri = digits(c.requestUser);
  return (all || !to ? [to, ruri] : [to]).filter((n) => n !== '');
}

function sameCalledNumber(a: TrackedCall, b: TrackedCall, all: boolean): boolean {
  const bs = calledNumbers(b, all);
  return calledNumbers(a, all).some((x) => bs.some((y) => sameNumber(x, y)));
}

/** "the provider leg (pstn1)". */
function legName(t: TrackedCall): string {
  return `${t.side === 'provider' ? 'the provider leg' : 'the OXO leg'} (${t.party})`;
}

function sideName(t: TrackedCall): string {
  return t.side === 'provider' ? 'the provider side' : 'the OXO side';
}

/** The call registries of a lab's actors (provider, OXO). */
export function callRegistries(lab: Lab): CallRegistry[] {
  return [lab.provider?.callLog, lab.oxo?.callLog].filter((r): r is CallRegistry => r !== undefined);
}

/** Pairs legs on the two sides that are the same call through the SBC. */
export function pairCalls(calls: readonly TrackedCall[]): Array<[TrackedCall, TrackedCall]> {
  const provider = calls.filter((t) => t.side === 'provider');
  const oxo = calls.filter((t) => t.side === 'oxo');
  const used = new Set<TrackedCall>();
  const pairs: Array<[TrackedCall, TrackedCall]> = [];
  // By the To of an incoming leg first; then, for the legs left, by its Request-URI as well (a
  // trunk number there, the same on every call, must not take a leg another call's To names).
  for (const all of [false, true]) {
    const candidates: Array<{ p: TrackedCall; o: TrackedCall; d: number }> = [];
    for (const p of provider)
      for (const o of oxo) {
        if (used.has(p) || used.has(o) || p.call.direction === o.call.direction) continue;
        const [first, second] = p.call.direction === 'outgoing' ? [p, o] : [o, p];
        const d = second.createdMs - first.createdMs;
        if (d < -50 || d > PAIR_WINDOW_MS) continue;
        if (!sameCalledNumber(p, o, all)) continue;
        candidates.push({ p, o, d: Math.abs(d) });
      }
    candidates.sort((a, b) => a.d - b.d);
    for (const c of candidates) {
      if (used.has(c.p) || used.has(c.o)) continue;
      used.add(c.p);
      used.add(c.o);
      pairs.push([c.p, c.o]);
    }
  }
  return pairs;
}

/** Each leg's partner, both ways, from the pairs. */
function partners(pairs: ReadonlyArray<[TrackedCall, TrackedCall]>): Map<TrackedCall, TrackedCall> {
  const partner = new Map<TrackedCall, TrackedCall>();
  for (const [a, b] of pairs) {
    partner.set(a, b);
    partner.set(b, a);
  }
  return partner;
}

/** How a leg's release began, in words ("Premium Deskphone's BYE"). */
function releaseWords(t: TrackedCall): string {
  const e = t.events.find((x) => x.kind === 'releasing' || x.kind === 'ended' || x.kind === 'failed');
  if (!e) return 'no release';
  if (e.kind === 'releasing')
    return e.detail === 'bye'
      ? `the BYE of ${legName(t)}`
      : e.detail === 'cancel'
        ? `the CANCEL of ${legName(t)}`
        : `the rejection of ${legName(t)}`;
  if (e.kind === 'ended') return `the BYE that ended ${legName(t)}`;
  return `the ${e.detail ?? 'final'} answer that ended ${legName(t)}`;
}

/** Splits `spans` by removing `holes`. */
function subtract(spans: Interval[], holes: Interval[]): Interval[] {
  let out = spans;
  for (const h of holes) {
    const next: Interval[] = [];
    for (const s of out) {
      if (h.to <= s.from || h.from >= s.to) {
        next.push(s);
        continue;
      }
      if (h.from > s.from) next.push({ from: s.from, to: h.from });
      if (h.to < s.to) next.push({ from: h.to, to: s.to });
    }
    out = next;
  }
  return out;
}

/**
 * The RTP payload types of comfort noise (RFC 3389) in the peer's SDP (13 always, plus any
 * dynamic `CN` rtpmap), and whether it declared silence suppression (`a=silenceSupp:on`, RFC 3108).
 */
export function comfortNoiseOf(sdps: ReadonlyArray<string | undefined>): {
  pts: Set<number>;
  silenceSupp: boolean;
} {
  const pts = new Set<number>([13]);
  let silenceSupp = false;
  for (const s of sdps) {
    if (!s) continue;
    for (const m of s.matchAll(/^a=rtpmap:(\d+)\s+CN\//gim)) pts.add(Number(m[1]));
    if (/^a=silenceSupp:\s*on/im.test(s)) silenceSupp = true;
  }
  return { pts, silenceSupp };
}

/** The peer's SDPs of a call (its offer or answers). */
function comfortNoise(call: Call): { pts: Set<number>; silenceSupp: boolean } {
  const sdps = [call.dialog?.remoteSdp, call.answerResponse?.bodyText];
  // Incoming: the offer, and the ACK's answer to a late offer of ours (the dialog's remote SDP
  // may have moved on to a re-INVITE's).
  if (call.direction === 'incoming') sdps.push(call.invite?.bodyText, call.ackSdp);
  return comfortNoiseOf(sdps);
}

/**
 * One received RTP packet as the media judge reads it: arrival time (ms), payload type, and the
 * header fields that tell a talkspurt's first packet (RTP version, marker bit, sequence number,
 * timestamp, SSRC).
 */
export interface ReceivedPacket {
  at: number;
  pt: number;
  version?: number;
  marker?: boolean;
  seq?: number;
  ts?: number;
  ssrc?: number;
}

/**
 * Received packets in arrival order, read one at a time: a media leg's arrival log
 * (MediaLeg.receivedRtp: typed arrays, no object per packet until one is read).
 */
export interface ReceivedTimeline<P extends ReceivedPacket = ReceivedPacket> {
  readonly length: number;
  arrivalMs(i: number): number;
  packet(i: number): P;
}

/** An array of packets, or a timeline, as a timeline. */
function timelineOf<P extends ReceivedPacket>(
  r: ReadonlyArray<P> | ReceivedTimeline<P>,
): ReceivedTimeline<P> {
  if (isTimeline(r)) return r;
  return { length: r.length, arrivalMs: (i) => r[i]!.at, packet: (i) => r[i]! };
}

function isTimeline<P extends ReceivedPacket>(
  r: ReadonlyArray<P> | ReceivedTimeline<P>,
): r is ReceivedTimeline<P> {
  return typeof (r as Partial<ReceivedTimeline<P>>).arrivalMs === 'function';
}

/** What {@link findMediaGaps} is given: one leg's received RTP and when it expected media. */
export interface MediaGapInput {
  /** Received RTP packets in arrival order (an array, or a leg's arrival log). */
  received: ReadonlyArray<ReceivedPacket> | ReceivedTimeline;
  /** Periods (ms) in which the leg expects media, in order. */
  spans: ReadonlyArray<{ from: number; to: number }>;
  /** Longest silence allowed, ms. */
  boundMs: number;
  /** Payload types of comfort noise (13, or a dynamic CN of the peer's SDP). */
  comfortNoisePts: ReadonlySet<number>;
  /** The peer declared a=silenceSupp:on: any silence is legal. */
  silenceSupp: boolean;
  /** Periods within [from, to] when the harness itself was stalled. */
  stalls(from: number, to: number): ReadonlyArray<{ fromMs: number; toMs: number }>;
  /**
   * Whether the far phone (the partner leg across the SBC) sent silence, and only silence,
   * packet after packet between two times (MediaLeg.sentSilenceThroughout); absent when not
   * known, or when the leg's partner is not known for sure (a transfer moved the call).
   */
  farSilentThroughout?: (fromMs: number, toMs: number) => boolean;
  /** This call showed silence suppression (see {@link silenceSuppressionSeen}). */
  suppressionSeen?: boolean;
}

/** Margins of the window in which the far phone must have sent only silence, ms (see findMediaGaps). */
const VAD_WINDOW_START_MS = 20;
const VAD_WINDOW_END_MS = 100;
/** A timestamp step of at least this many 8 kHz ticks at consecutive sequence numbers is a talkspurt boundary. */
const TALKSPURT_TICKS = 800;

/**
 * True when `next`, the first packet after a gap of `gapMs`, starts a talkspurt without the
 * marker bit (a SHOULD in RFC 3551 §4.1): its timestamp ran on from `last`'s, the packet before
 * the gap, over the silence (RFC 3550 §5.1: it reflects the sampling instant), by at least half
 * the gap at 8000 ticks/s: the clock of every payload type of the plan's calls (its audio
 * codecs, G.722's included, RFC 3551 §4.5.2, and telephone-event/8000), so the packet before
 * may be a digit's. A sender that paused its clock with the media (a stream restarted) shows a
 * step of one packet.
 */
function clockRanOn(last: { ts?: number }, next: { ts?: number }, gapMs: number): boolean {
  if (last.ts === undefined || next.ts === undefined) return false;
  const dt = (next.ts - last.ts) >>> 0;
  return dt < 0x8000_0000 && dt >= Math.max(TALKSPURT_TICKS, 4 * gapMs);
}

/** A packet as {@link silenceSuppressionSeen} reads it: every header field known. */
type SuppressionPacket = { at: number; pt: number; seq: number; ts: number; ssrc: number; marker: boolean };

/**
 * True when received RTP shows silence suppression (RFC 3551 §4.1): two audio packets of the
 * same source and payload type at consecutive sequence numbers whose timestamps are at least
 * 100 ms apart (the sender left silence out and went on numbering, its clock running on: RFC
 * 3550 §5.1), while the far phone sent silence packet after packet (so not a hold, when it
 * sends nothing, nor telephone events turned into something else), and the second packet
 * starts a talkspurt: its marker bit, or, since RFC 3551 §4.1 asks for the marker without a
 * MUST, the far phone sent sound (audible audio or an event: `farSoundBetween`) in the 100 ms
 * before it arrived (a talkspurt is sound; the far phone's own skipped slots after a stall of
 * the harness also jump the timestamp at the next sequence number, but its next packet is
 * silence again; not known: no such boundary). A telephone event's packets are left out: after
 * an event the audio's timestamp legitimately jumps by its duration.
 */
export function silenceSuppressionSeen(
  packets: ReadonlyArray<SuppressionPacket> | ReceivedTimeline<SuppressionPacket>,
  eventPts: ReadonlySet<number>,
  farSilentThroughout: ((fromMs: number, toMs: number) => boolean) | undefined,
  farSoundBetween?: (fromMs: number, toMs: number) => boolean,
): boolean {
  if (!farSilentThroughout) return false;
  const rx = timelineOf(packets);
  const last = new Map<number, { at: number; pt: number; seq: number; ts: number }>();
  for (let i = 0; i < rx.length; i++) {
    const p = rx.packet(i);
    const prev = last.get(p.ssrc);
    last.set(p.ssrc, p);
    if (!prev || eventPts.has(p.pt) || prev.pt !== p.pt) continue;
    const dt = (p.ts - prev.ts) >>> 0;
    if (((p.seq - prev.seq) & 0xffff) !== 1 || dt < TALKSPURT_TICKS || dt >= 0x8000_0000) continue;
    const from = prev.at + VAD_WINDOW_START_MS;
    const to = p.at - VAD_WINDOW_END_MS;
    if (to > from && farSilentThroughout(from, to) && (p.marker || farSoundBetween?.(to, p.at) === true))
      return true;
  }
  return false;
}

/**
 * The gaps longer than the bound in one leg's received RTP, within the spans where it expects
 * media: a gap that follows a comfort-noise packet, or any gap when the peer declared silence
 * suppression, is legal; a harness stall inside a gap is taken out of its length.
 */
export function findMediaGaps(o: MediaGapInput): {
  failures: Gap[];
  legal: Gap[];
  longestMs: number;
  packets: number;
  expectedMs: number;
  /** A gap was taken as silence suppression because media came back after it. */
  suppressionResumed: boolean;
} {
  const failures: Gap[] = [];
  let suppressionResumed = false;
  const legal: Gap[] = [];
  let longest = 0;
  let packets = 0;
  let expectedMs = 0;
  const rx = timelineOf(o.received);
  for (const [si, s] of o.spans.entries()) {
    expectedMs += s.to - s.from;
    // The last packet before the span: what the first gap goes on from.
    let before: number | undefined;
    for (let k = 0; k < rx.length; k++) if (rx.arrivalMs(k) < s.from) before = k;
    // One gap between the span's start, each packet inside it and its end; `prev` is the packet
    // before the gap (for the first gap, the last one before the span).
    let prev = before;
    let g0 = s.from;
    const gapTo = (g1: number, next: number | undefined): void => {
      const raw = g1 - g0;
      if (raw <= o.boundMs) {
        longest = Math.max(longest, raw);
        return;
      }
      const stalled = o
        .stalls(g0, g1)
        .reduce((n, x) => n + Math.max(0, Math.min(x.toMs, g1) - Math.max(x.fromMs, g0)), 0);
      const length = raw - stalled;
      longest = Math.max(longest, length);
      if (length <= o.boundMs) return;
      judgeGap(si, g0, g1, length, prev === undefined ? undefined : rx.packet(prev), next);
    };
    for (let k = 0; k < rx.length; k++) {
      const at = rx.arrivalMs(k);
      if (at < s.from || at > s.to) continue;
      packets++;
      gapTo(at, k);
      prev = k;
      g0 = at;
    }
    gapTo(s.to, undefined);
  }

  /**
   * A gap longer than the bound, from `g0` to `g1` in span `si` (`length` without stalls):
   * `last` is the packet before it, `nextIdx` the index of the one that ended it (none at the
   * span's end).
   */
  function judgeGap(
    si: number,
    g0: number,
    g1: number,
    length: number,
    last: ReceivedPacket | undefined,
    nextIdx: number | undefined,
  ): void {
    const gap: Gap = { fromMs: g0, toMs: g1, lengthMs: length };
    // Silence suppression without comfort noise (RFC 3551 §4.1): the far phone sent silence,
    // packet after packet, while nothing came (its packets ride a few ms through the SBC: the
    // window starts a little after the gap and ends 100 ms before the packet that ended it),
    // and the packet that ended the gap starts a talkspurt or an event: the next sequence
    // number of the packet before the gap (the stream went on numbering; a jump in numbering
    // is packets sent and lost, not silence left out; what a dropped stream would have carried
    // was silence, since the far phone sent only that), with the marker bit, or, since RFC 3551
    // §4.1 makes that a SHOULD, a timestamp that ran on over the silence (clockRanOn). The
    // first packet of a stream (none before the gap, or a new source of the same payload
    // type: RFC 3550 §8.2 lets a sender change its SSRC) needs neither: nothing before it in
    // its own numbering. Whatever ends the gap must be RTP (version 2): a STUN keep-alive or
    // other datagram on the port is no stream coming back.
    // A gap that lasts to the hang-up is the SBC's silence suppression
    // only if this call showed it before and this leg received media before it; media that
    // stopped never comes back, and media lost while the far phone spoke is a failure. A gap
    // that runs into a hold (the end of a span that is not the last) is judged like one that
    // came back: whether media comes back is judged after the hold.
    const next = nextIdx === undefined ? undefined : rx.packet(nextIdx);
    const tail = nextIdx === undefined;
    const hangUp = tail && si === o.spans.length - 1;
    const resumed =
      !tail &&
      next !== undefined &&
      next.version === 2 &&
      (last === undefined ||
        (last.ssrc !== next.ssrc && last.pt === next.pt) ||
        (last.ssrc === next.ssrc &&
          last.seq !== undefined &&
          next.seq !== undefined &&
          ((next.seq - last.seq) & 0xffff) === 1 &&
          (next.marker === true || clockRanOn(last, next, length))));
    const farSilent = o.farSilentThroughout?.(g0 + VAD_WINDOW_START_MS, g1 - VAD_WINDOW_END_MS) === true;
    if (last && o.comfortNoisePts.has(last.pt)) legal.push({ ...gap, legal: 'after a comfort-noise packet' });
    else if (o.silenceSupp) legal.push({ ...gap, legal: 'the peer declared a=silenceSupp:on' });
    else if (
      farSilent &&
      (resumed ||
        (tail && !hangUp) ||
        (hangUp && last !== undefined && (o.suppressionSeen || suppressionResumed)))
    ) {
      if (resumed) suppressionResumed = true;
      legal.push({
        ...gap,
        legal: `the far phone sent only silence then: silence suppressed${hangUp ? ' (as seen earlier in this call)' : tail ? ' (until a hold)' : ''}, RFC 3551 §4.1`,
      });
    } else failures.push(farSilent && hangUp ? { ...gap, farSilent } : gap);
  }
  return { failures, legal, longestMs: longest, packets, expectedMs, suppressionResumed };
}

/** "not judged from +300.0 s (12 000 arrivals not kept: the leg's arrival log was full)". */
function notJudgedWords(l: LegMedia): string {
  const n = l.notJudged!;
  const answered = l.t.establishedMs ?? 0;
  return `not judged from +${secs(n.fromMs - answered)} after the answer (${n.dropped} RTP arrival(s) not kept: the leg's arrival log was full)`;
}

/** What the media judge saw on one leg. */
interface LegMedia {
  t: TrackedCall;
  packets: number;
  longestMs: number;
  bound: number;
  expectedMs: number;
  failures: Gap[];
  legal: Gap[];
  holds: Interval[];
  quiet: QuietWindow[];
  /** This leg's stream showed silence suppression (a talkspurt boundary, or media back after a silence). */
  showsSuppression: boolean;
  /** The leg's arrivals were not all kept (`dropped` of them): its media from `fromMs` on was not judged. */
  notJudged?: { fromMs: number; dropped: number };
}

/**
 * What a leg received on its RTP port, in arrival order: every datagram of 12 octets or more
 * counts as media arriving; the header fields only serve to recognise talkspurt boundaries, and
 * (the version) whether what ended a silence was RTP at all. From the leg's arrival log
 * (MediaLeg.receivedRtp: the whole call, up to its bound) or else, for a media object without
 * one, its packet log; `keptUntil` is the arrival of the last packet kept when `dropped` later
 * ones were not (the arrival log full), else undefined.
 */
function receivedOf(call: Call): {
  received: ReceivedTimeline<SuppressionPacket & ReceivedPacket> | Array<SuppressionPacket & ReceivedPacket>;
  keptUntil: number | undefined;
  dropped: number;
} {
  const log = call.media.receivedRtp?.();
  if (log) {
    const last = log.length > 0 ? log.arrivalMs(log.length - 1) : Number.NEGATIVE_INFINITY;
    return { received: log, keptUntil: log.dropped > 0 ? last : undefined, dropped: log.dropped };
  }
  const records = call.media.evidence();
  const received = records
    .filter((r) => r.direction === 'received' && r.channel === 'rtp' && r.bytes.length >= 12)
    .map((r) => {
      const b = r.bytes;
      return {
        at: r.atMs,
        pt: b[1]! & 0x7f,
        version: b[0]! >> 6,
        marker: (b[1]! & 0x80) !== 0,
        seq: (b[2]! << 8) | b[3]!,
        ts: ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0,
        ssrc: ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0,
      };
    });
  return { received, keptUntil: undefined, dropped: 0 };
}

/**
 * The comment of a cell whose failed checks may come from media or SIP the harness itself could
 * not send (CallWatch.ownSendFailures, SipSendWatch.own): an ERROR, never a NOK held against the
 * SBC. The failures are listed as seen, for the engineer who runs the case again.
 */
export function ownSendFailureComment(
  ownFailures: string[],
  failed: ReadonlyArray<{ failure?: string; name: string }>,
  what: 'media' | 'SIP' | 'media and SIP' = 'media',
): string {
  return `Harness error: our own ${what} could not be sent (${ownFailures.join('; ')}), so these failures are not held against the SBC: ${failed.map((f) => f.failure ?? f.name).join('; ')}.`;
}

/**
 * Follows the calls of one case: created at its start, judged at its end. `registries` are the
 * actors' call registries (provider, OXO); `sbc` the embedded SBC when there is one.
 */
export class CallWatch {
  private readonly starts: Map<CallRegistry, number>;
  private readonly sbcStart: number | undefined;
  private readonly quiet: QuietWindow[] = [];

  constructor(
    private readonly registries: readonly CallRegistry[],
    private readonly sbc?: ReferenceSbc,
  ) {
    this.starts = new Map(registries.map((r) => [r, r.now()]));
    // Calls of earlier cases that have ended are no longer needed (actors that outlive cases).
    for (const [r, start] of this.starts) r.forget(start);
    this.sbcStart = sbc?.clock.now();
  }

  /** The calls created since the case started, oldest first. */
  calls(): TrackedCall[] {
    return this.registries
      .flatMap((r) => r.since(this.starts.get(r) ?? 0))
      .sort((a, b) => a.createdMs - b.createdMs);
  }

  private registryOf(call: Call): CallRegistry | undefined {
    return this.registries.find((r) => r.since(this.starts.get(r) ?? 0).some((t) => t.call === call));
  }

  /**
   * Declares that `call` is not expected to receive media from now until the returned function
   * is called (or the call ends): a mute window of the case, named in the evidence.
   */
  expectSilence(call: Call, reason: string): () => void {
    const reg = this.registryOf(call);
    const now = () => reg?.now() ?? performance.now();
    const w: QuietWindow = { call, fromMs: now(), reason };
    this.quiet.push(w);
    return () => {
      if (w.toMs === undefined) w.toMs = now();
    };
  }

  /** SBC calls of the case still live (embedded SBC only). */
  private sbcLive(): Array<{ id: number; state: string; calling: string; called: string }> {
    if (!this.sbc || this.sbcStart === undefined) return [];
    const from = this.sbcStart;
    return this.sbc
      .calls()
      .filter(
        (r) => r.startedMs >= from && (r.state === 'setup' || r.state === 'early' || r.state === 'answered'),
      );
  }

  /** Waits (bounded) until every call of the case has ended on our actors and on the embedded SBC. */
  async settle(): Promise<void> {
    const until = performance.now() + SETTLE_END_MS;
    while (performance.now() < until) {
      if (!this.calls().some((t) => t.up) && this.sbcLive().length === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Our own media that could not be sent in the case: one line per leg whose socket refused or
   * failed to send RTP for a reason of this side ("the provider leg (pstn1): 12 RTP packets not
   * sent (EPERM)").
   * Audio missing on the far side is then ours, not the SBC's (the runner makes the cell ERROR).
   */
  ownSendFailures(): string[] {
    const out: string[] = [];
    for (const t of this.calls()) {
      const st = t.call.media.stats();
      if (!st.sendFailures) continue;
      out.push(
        `${legName(t)}: ${st.sendFailures} RTP packet${st.sendFailures === 1 ? '' : 's'} not sent${st.sendFailure ? ` (${st.sendFailure})` : ''}`,
      );
    }
    return out;
  }

  /**
   * Records the three invariants as checks (nothing when the case made no call). Returns notes
   * for the cell's comment: legal behaviour of the SBC a reader of the report should see (silence
   * left out of the RTP).
   */
  judge(check: Checks): string[] {
    const calls = this.calls();
    if (calls.length === 0) return [];
    const pairs = pairCalls(calls);
    const notes = this.judgeMedia(check, calls, partners(pairs));
    this.judgeMediaAddresses(check, calls);
    this.judgeRelease(check, pairs);
    this.judgeLeftovers(check, calls);
    return notes;
  }

  /**
   * RTP of ours that could not go where the SDP we received said (no route to that address, a
   * broadcast address): recorded, when it happened, as a failed check that names the address,
   * so that the media gap it left is not read as media the SBC dropped.
   */
  private judgeMediaAddresses(check: Checks, calls: TrackedCall[]): void {
    const lines: string[] = [];
    for (const t of calls) {
      const st = t.call.media.stats();
      if (st.unreachable)
        lines.push(
          `${legName(t)}: ${st.unreachable} datagram${st.unreachable === 1 ? '' : 's'}, ${st.unreachableDetail ?? 'no detail'}`,
        );
    }
    if (lines.length === 0) return;
    check.that('our RTP could be sent to the media address in the SDP', false, {
      expected: 'a media address (c= and m= lines) that this side can send to',
      observed: lines.join('; '),
      failure: `Our RTP could not be sent to the media address in the SDP we received (${lines.join('; ')})`,
    });
  }

  /**
   * The first invariant (RTP both ways from answer to hang-up) over these calls alone, paired
   * among themselves: the legs of one call of a load, judged while others run beside it.
   * Returns the notes, as {@link judge} does.
   */
  judgeMediaOf(
    check: Checks,
    calls: readonly TrackedCall[],
    /** The pairs when the caller knows them (a load's call without a transfer); else paired as a case's. */
    pairs?: ReadonlyArray<[TrackedCall, TrackedCall]>,
  ): string[] {
    const sorted = [...calls].sort((a, b) => a.createdMs - b.createdMs);
    return this.judgeMedia(check, sorted, partners(pairs ?? pairCalls(sorted)));
  }

  /** Hangs up whatever of the case is still up (actors that outlive the case start clean). */
  async cleanUp(): Promise<void> {
    for (const t of this.calls()) if (t.up) await t.call.hangup().catch(() => undefined);
  }

  private judgeMedia(check: Checks, calls: TrackedCall[], partner: Map<TrackedCall, TrackedCall>): string[] {
    // Twice when needed: once a call showed silence suppression (either of its legs), a silence
    // of the far phone's that lasts to the end of its legs is taken as suppressed too.
    let legs = this.mediaLegs(calls, partner, new Set());
    const shown = new Set<TrackedCall>();
    for (const l of legs) {
      if (!l.showsSuppression) continue;
      shown.add(l.t);
      const p = partner.get(l.t);
      if (p) shown.add(p);
    }
    if (shown.size > 0 && legs.some((l) => l.failures.length > 0))
      legs = this.mediaLegs(calls, partner, shown);
    if (legs.length === 0) return [];
    const failures = legs.flatMap((l) =>
      l.failures.map((g) => {
        const answered = l.t.establishedMs ?? 0;
        const p = partner.get(l.t);
        const from = p ? sideName(p) : 'the far side';
        const tail =
          Math.abs(g.toMs - (l.t.releaseMs ?? g.toMs)) < 5 || Math.abs(g.toMs - (p?.releaseMs ?? -1)) < 5;
        const why = g.farSilent
          ? ' (the far phone sent only silence then, and this call never showed silence suppression before: suppressed silence, RFC 3551 §4.1, cannot be told from media that stopped)'
          : '';
        return `RTP from ${from} stopped reaching ${legName(l.t)} ${secs(g.fromMs - answered)} after the answer, for ${secs(g.lengthMs)}${tail ? ' (until the hang-up)' : ''}${why}`;
      }),
    );
    const observed = legs
      .map(
        (l) =>
          `${legName(l.t)}: ${l.expectedMs < 1 ? 'too short to judge (answered and released within the settling time)' : `${l.packets} packets over ${secs(l.expectedMs)} expected`}, longest gap ${Math.round(l.longestMs)} ms${l.holds.length > 0 ? `, ${l.holds.length} hold window(s)` : ''}${l.quiet.length > 0 ? `, ${l.quiet.length} quiet window(s)` : ''}${l.legal.length > 0 ? `, ${l.legal.length} legal silence(s) (comfort noise or suppressed silence)` : ''}${l.notJudged ? `, ${notJudgedWords(l)}` : ''}`,
      )
      .join('; ');
    // A leg whose arrivals were not all kept: what was kept is judged (a gap there still fails),
    // the rest is not, and without a failure the cell cannot be OK (INCOMPLETE, saying why).
    const unjudged = legs.filter((l) => l.notJudged).map((l) => `${legName(l.t)}: ${notJudgedWords(l)}`);
    // The tone before our hang-up (hang-up-probe.ts) is named on every leg that sent one: a reader
    // of the capture sees a short tone and a BYE a little later, and here why.
    const evidence = legs.flatMap((l) => {
      const answered = l.t.establishedMs ?? 0;
      const rel = (ms: number) => `+${secs(ms - answered)}`;
      return [
        ...l.holds.map(
          (h) => `${legName(l.t)}: no media expected ${rel(h.from)} – ${rel(h.to)} (hold: SDP direction)`,
        ),
        ...l.quiet.map(
          (q) => `${legName(l.t)}: quiet window declared by the case from ${rel(q.fromMs)} (${q.reason})`,
        ),
        ...l.legal.map(
          (g) => `${legName(l.t)}: ${secs(g.lengthMs)} without RTP from ${rel(g.fromMs)} (${g.legal})`,
        ),
        ...l.failures.map(
          (g) =>
            `${legName(l.t)}: no RTP from ${rel(g.fromMs)} to ${rel(g.toMs)} (${secs(g.lengthMs)} > ${l.bound} ms)`,
        ),
        ...(l.t.probeMs !== undefined
          ? [
              `${legName(l.t)}: its phone, silent until then, sent a short 1020 Hz tone from ${rel(l.t.probeMs)} and our BYE waited for RTP to come back (at most 0.5 s): the harness's probe before its hang-up, which tells silence an SBC leaves out from media that stopped (docs/call-invariants.md)`,
            ]
          : []),
      ];
    });
    const suppressed = legs.filter((l) => l.legal.some((g) => /silence suppressed/.test(g.legal ?? '')));
    const cnLegs = legs.filter((l) => l.legal.some((g) => /comfort-noise/.test(g.legal ?? '')));
    const notes: string[] = [];
    if (suppressed.length > 0)
      notes.push(
        `The SBC left silence out of the RTP without comfort noise (VAD) toward ${suppressed.map((l) => legName(l.t)).join(', ')}: legal on a voice call (RFC 3551 §4.1), noted for the report.`,
      );
    if (cnLegs.length > 0)
      notes.push(
        `The SBC sent comfort noise during silence toward ${cnLegs.map((l) => legName(l.t)).join(', ')} (RFC 3389).`,
      );
    check.that('RTP flows both ways on every call from answer to hang-up', failures.length === 0, {
      expected: `no gap over ${MEDIA_GAP_BOUND_MS} ms (plus 4 × jitter) in the RTP any leg receives, outside hold and declared quiet windows`,
      observed,
      failure: failures.join('; '),
      ...(evidence.length > 0 ? { evidence: evidence.slice(0, 50) } : {}),
      ...(failures.length === 0 && unjudged.length > 0
        ? { incomplete: `the media of the call was not judged to the hang-up (${unjudged.join('; ')})` }
        : {}),
    });
    return notes;
  }

  private mediaLegs(
    calls: TrackedCall[],
    partner: Map<TrackedCall, TrackedCall>,
    suppressionShown: ReadonlySet<TrackedCall>,
  ): LegMedia[] {
    const legs: LegMedia[] = [];
    for (const t of calls) {
      const answered = t.establishedMs;
      if (answered === undefined) continue;
      const p = partner.get(t);
      const reg = this.registries.find((r) => r.side === t.side);
      const now = reg?.now() ?? performance.now();
      // After a REFER transfer the leg may have a new partner: its media runs to its own release.
      const transferred = t.transferMs !== undefined || p?.transferMs !== undefined;
      const end = Math.min(
        t.releaseMs ?? now,
        !transferred ? (p?.releaseMs ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY,
      );
      legs.push(this.legMedia(t, p, answered, end, reg, suppressionShown.has(t)));
    }
    return legs;
  }

  private legMedia(
    t: TrackedCall,
    p: TrackedCall | undefined,
    answered: number,
    end: number,
    reg: CallRegistry | undefined,
    suppressionSeen: boolean,
  ): LegMedia {
    const st = t.call.media.stats();
    const bound = Math.round(MEDIA_GAP_BOUND_MS + 4 * Math.min(st.jitterMs, 100));
    // When this leg expects media: its own direction receives and the partner's sends.
    const changes = new Set<number>([answered]);
    for (const d of t.directions) if (d.atMs > answered && d.atMs < end) changes.add(d.atMs);
    if (p) for (const d of p.directions) if (d.atMs > answered && d.atMs < end) changes.add(d.atMs);
    const marks = [...changes].sort((a, b) => a - b);
    const expected: Interval[] = [];
    const holds: Interval[] = [];
    for (let i = 0; i < marks.length; i++) {
      const from = marks[i]!;
      const to = marks[i + 1] ?? end;
      if (to <= from) continue;
      const mid = from + 1e-3;
      const receives = RECEIVES.has(t.directionAt(mid));
      const partnerSends = !p || SENDS.has(p.directionAt(mid)) || p.directionAt(mid) === 'none';
      if (receives && partnerSends) expected.push({ from: from + MEDIA_SETTLE_MS, to });
      else {
        const prev = holds[holds.length - 1];
        if (prev && prev.to >= from) prev.to = to;
        else holds.push({ from, to });
      }
    }
    const quiet = this.quiet.filter((q) => q.call === t.call);
    let spans = subtract(
      expected.filter((s) => s.to > s.from),
      quiet.map((q) => ({ from: q.fromMs, to: q.toMs ?? end })),
    );
    spans = spans.filter((s) => s.to > s.from);
    const cn = comfortNoise(t.call);
    const { received, keptUntil, dropped } = receivedOf(t.call);
    // Arrivals not kept (the leg's arrival log was full): the call is judged up to the last one
    // kept, and the rest is said to be not judged (never an OK, never a gap).
    let notJudged: LegMedia['notJudged'];
    if (keptUntil !== undefined && spans.some((s) => s.to > keptUntil)) {
      notJudged = { fromMs: Math.max(keptUntil, answered), dropped };
      spans = spans.flatMap((s) =>
        s.from >= keptUntil ? [] : [{ from: s.from, to: Math.min(s.to, keptUntil) }],
      );
    }
    // What the far phone sent is known only while the partner is sure: not after a transfer.
    const partnerMedia = p?.call.media;
    const sureUntil = Math.min(
      t.transferMs ?? Number.POSITIVE_INFINITY,
      p?.transferMs ?? Number.POSITIVE_INFINITY,
    );
    const farSilentThroughout = partnerMedia?.sentSilenceThroughout
      ? (from: number, to: number) => to <= sureUntil && partnerMedia.sentSilenceThroughout!(from, to)
      : undefined;
    const farSoundBetween = partnerMedia?.sentSoundBetween
      ? (from: number, to: number) => to <= sureUntil && partnerMedia.sentSoundBetween!(from, to)
      : undefined;
    const n = t.call.media.negotiated;
    const eventPt = n?.telephoneEventRxPt ?? n?.telephoneEventPt;
    const g = findMediaGaps({
      received,
      spans,
      boundMs: bound,
      comfortNoisePts: cn.pts,
      silenceSupp: cn.silenceSupp,
      stalls: (from, to) => reg?.stalls(from, to) ?? [],
      ...(farSilentThroughout ? { farSilentThroughout } : {}),
      suppressionSeen,
    });
    const { failures, legal, packets, expectedMs } = g;
    const longest = g.longestMs;
    const showsSuppression =
      g.suppressionResumed ||
      silenceSuppressionSeen(
        received,
        new Set(eventPt === undefined ? [] : [eventPt]),
        farSilentThroughout,
        farSoundBetween,
      );
    return {
      t,
      packets,
      longestMs: longest,
      bound,
      expectedMs,
      failures,
      legal,
      holds,
      quiet,
      showsSuppression,
      ...(notJudged ? { notJudged } : {}),
    };
  }

  private judgeRelease(check: Checks, pairs: Array<[TrackedCall, TrackedCall]>): void {
    const judged = pairs.filter(([a, b]) => a.releaseMs !== undefined || b.releaseMs !== undefined);
    if (judged.length === 0) return;
    const failures: string[] = [];
    const observed: string[] = [];
    for (const [a, b] of judged) {
      const [first, second] =
        b.releaseMs === undefined || (a.releaseMs !== undefined && a.releaseMs <= b.releaseMs)
          ? [a, b]
          : [b, a];
      const t1 = first.releaseMs!;
      const t2 = second.releaseMs;
      const xfer = [first, second].find((x) => x.transferMs !== undefined && x.transferMs <= t1);
      if (xfer) {
        // A REFER moved the call: the far leg now belongs to another call (the third check still applies).
        observed.push(
          `${legName(first)} and ${legName(second)} released separately after a REFER transfer (${legName(xfer)})`,
        );
        continue;
      }
      const by = second.releasedBy === 'local' ? 'by the case’s own hang-up' : 'by the SBC';
      if (t2 === undefined) {
        observed.push(`${legName(first)} released; ${legName(second)} still ${second.call.state}`);
        failures.push(
          `After ${releaseWords(first)}, ${legName(second)} stayed ${second.call.state}: the SBC did not release it (no BYE, CANCEL or final response within ${secs(CALL_RELEASE_BOUND_MS)})`,
        );
        continue;
      }
      const delay = t2 - t1;
      observed.push(
        `${legName(second)} released ${Math.round(delay)} ms after ${releaseWords(first)}, ${by}`,
      );
      if (delay > CALL_RELEASE_BOUND_MS)
        failures.push(
          `After ${releaseWords(first)}, ${legName(second)} stayed up ${secs(delay)} (not released by the SBC within ${secs(CALL_RELEASE_BOUND_MS)}; ended ${by})`,
        );
    }
    check.that('both legs of every call released together', failures.length === 0, {
      expected: `each leg released (BYE, CANCEL or final response) within ${secs(CALL_RELEASE_BOUND_MS)} of the other leg`,
      observed: observed.join('; '),
      failure: failures.join('; '),
    });
  }

  private judgeLeftovers(check: Checks, calls: TrackedCall[]): void {
    const up = calls.filter((t) => t.up);
    const sbc = this.sbcLive();
    const failures: string[] = [];
    if (up.length > 0)
      failures.push(
        `At the end of the case ${up.map((t) => `${legName(t)} was still ${t.call.state}`).join(', ')}`,
      );
    if (sbc.length > 0)
      failures.push(
        `At the end of the case the SBC still held ${sbc.map((r) => `call ${r.id} (${r.calling} → ${r.called}, ${r.state})`).join(', ')}`,
      );
    const sbcNote = this.sbc
      ? `; the SBC: ${sbc.length === 0 ? 'no call left' : `${sbc.length} call(s) live`}`
      : '';
    check.that('no call left up at the end of the case', failures.length === 0, {
      expected: 'every call of the case ended on the provider, the OXO and the SBC',
      observed: `${calls.length} call(s), ${up.length === 0 ? 'all ended' : `${up.length} still up`}${sbcNote}`,
      failure: failures.join('; '),
    });
  }
}
