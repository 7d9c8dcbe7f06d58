/**
 * Judges what came back from a call that sent a codec fixture (codecs/fixtures/) — the way
 * the harness checks G.723.1, which it cannot encode itself (and G.729 the same way when asked).
 *
 * - Same codec came back: the SBC must have passed it through, so the frames must be
 *   byte-identical to a contiguous run of the frames sent (repacketisation is fine; loss at
 *   the start or end is fine; anything else is reported at the first differing frame).
 * - Another codec we can decode came back (PCMA, PCMU, G.722): the SBC transcoded, so the
 *   decoded audio must resemble the fixture's reference decoding: aligned by
 *   cross-correlation, correlated above a threshold, with both test tones present.
 *
 * Nothing here throws on bad input (odd payload sizes, noise, silence, too little audio):
 * the result says what was wrong.
 */
import type { AudioCodec } from './codec.ts';
import { type CodecFixture, FIXTURE_SIGNAL } from './fixtures/codec-fixtures.ts';
import { codecByName } from './registry.ts';
import { type Alignment, alignSignals, bandShares, decimateBy2 } from './signal-metrics.ts';

export interface FixtureVerifyResult {
  ok: boolean;
  method: 'passthrough' | 'decoded';
  /** One human-readable sentence or two: what was compared and what was found. */
  detail: string;
  /** Passthrough: received frames compared (all of them when ok). */
  framesCompared?: number;
  /** Passthrough: where the first mismatch is, counted in received and sent frames. */
  firstMismatch?: { receivedFrame: number; sentFrame: number };
  /** Decoded: alignment and similarity against the reference decoding. */
  alignment?: Alignment;
  /** Decoded: share of the received power around each fixture tone, and the reference's. */
  toneShares?: { freq: number; received: number; reference: number }[];
}

/** What arrived: the RTP payloads in arrival (or sequence) order, and their codec. */
export interface ReceivedMedia {
  /** The codec object, or an SDP encoding name looked up in the registry. */
  codec: AudioCodec | string;
  payloads: readonly Uint8Array[];
}

export interface DecodedCheckOptions {
  /** Minimum normalised correlation with the reference decoding. Default 0.85. */
  minCorrelation?: number;
  /**
   * Minimum signal-to-difference ratio against the gain-matched reference, dB. Not checked
   * unless given: it is a function of the correlation ρ (ρ²/(1−ρ²)), 0.85 ≈ 4.2 dB.
   */
  minSnrDb?: number;
  /** Each tone's share must be at least this fraction of the reference's share. Default 0.5. */
  minToneShareRatio?: number;
  /** Least decoded audio worth judging, ms. Default 1000. */
  minDurationMs?: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Most start positions tried when the first received frame occurs many times in what was sent. */
const MAX_START_CANDIDATES = 64;

/** A failed byte-exact check, with what was compared. */
function passthroughFail(detail: string, extra: Partial<FixtureVerifyResult> = {}): FixtureVerifyResult {
  return { ok: false, method: 'passthrough', detail, ...extra };
}

/**
 * Byte-exact check: splits the received payloads into `frameBytes` frames and requires them
 * to equal a contiguous run of `sent`, reporting the first frame that differs.
 */
export function verifyPassthrough(
  sent: readonly Uint8Array[],
  payloads: readonly Uint8Array[],
  frameBytes: number,
): FixtureVerifyResult {
  const fail = passthroughFail;
  if (!(frameBytes > 0)) return fail(`invalid frame size ${frameBytes}`);
  const received: Uint8Array[] = [];
  for (let p = 0; p < payloads.length; p++) {
    const payload = payloads[p]!;
    if (payload.length === 0 || payload.length % frameBytes !== 0) {
      return fail(
        `payload ${p} is ${payload.length} bytes, not a whole number of ${frameBytes}-byte frames`,
        { framesCompared: received.length },
      );
    }
    for (let off = 0; off < payload.length; off += frameBytes) {
      received.push(payload.subarray(off, off + frameBytes));
    }
  }
  if (received.length === 0) return fail('no frames received', { framesCompared: 0 });
  if (sent.length === 0) return fail('no frames were sent', { framesCompared: 0 });

  // Where in the sent sequence does the received one start? Take the candidate with the
  // longest matching run (a looped fixture repeats frames).
  let bestStart = -1;
  let bestRun = -1;
  let candidates = 0;
  for (let s = 0; s < sent.length && candidates < MAX_START_CANDIDATES; s++) {
    if (!sameBytes(sent[s]!, received[0]!)) continue;
    candidates++;
    let run = 0;
    while (run < received.length && s + run < sent.length && sameBytes(sent[s + run]!, received[run]!)) run++;
    if (run > bestRun) {
      bestRun = run;
      bestStart = s;
    }
    if (run === received.length) break;
  }
  if (bestStart < 0) {
    return fail(
      `received frame 0 (of ${received.length}) matches none of the ${sent.length} frames sent: ` +
        'not a passthrough of the fixture',
      { framesCompared: 1, firstMismatch: { receivedFrame: 0, sentFrame: 0 } },
    );
  }
  if (bestRun === received.length) {
    return {
      ok: true,
      method: 'passthrough',
      detail:
        `${received.length} received frames are byte-identical to sent frames ` +
        `${bestStart}..${bestStart + received.length - 1} (of ${sent.length})`,
      framesCompared: received.length,
    };
  }
  const sentFrame = bestStart + bestRun;
  const why =
    sentFrame >= sent.length
      ? `more frames arrived than were sent after frame ${bestStart}`
      : `received frame ${bestRun} differs from sent frame ${sentFrame}`;
  return fail(`${why}; the first ${bestRun} received frames matched sent frames from ${bestStart}`, {
    framesCompared: bestRun + 1,
    firstMismatch: { receivedFrame: bestRun, sentFrame },
  });
}

/** A payload as it arrived, with the RTP timestamp and SSRC that place it in its stream. */
export interface PlacedPayload {
  payload: Uint8Array;
  timestamp: number;
  ssrc: number;
}

/** A timestamp step past this many frames starts a new run (a re-based stream, not a loss). */
const MAX_PLACED_GAP_FRAMES = 100;

/**
 * Byte-exact check that allows loss: each received frame is compared with the fixture frame
 * its place in the stream calls for, its place being its RTP timestamp's distance from the
 * run's first (in `frameSamples` steps; a payload of several frames covers as many places).
 * Frames of lost packets are then simply missing, while a frame altered, out of place or
 * duplicated at another place fails, whatever frames of the fixture repeat elsewhere (the
 * loop's start in each run is the one that places every frame right). A new SSRC, or a
 * timestamp step that is no whole number of frames or over MAX_PLACED_GAP_FRAMES, starts a
 * new run, placed on its own (an SBC may re-base the stream it relays).
 */
export function verifyPassthroughPlaced(
  loop: readonly Uint8Array[],
  items: readonly PlacedPayload[],
  frameBytes: number,
  frameSamples: number,
): FixtureVerifyResult {
  const fail = passthroughFail;
  if (!(frameBytes > 0) || !(frameSamples > 0)) return fail(`invalid frame size ${frameBytes}`);
  if (loop.length === 0) return fail('no frames were sent', { framesCompared: 0 });
  // Runs of frames, each frame at its place (frames from the run's first).
  const runs: Array<Array<{ place: number; frame: Uint8Array }>> = [];
  let run: Array<{ place: number; frame: Uint8Array }> = [];
  let first: PlacedPayload | undefined;
  let last: PlacedPayload | undefined;
  for (const [p, item] of items.entries()) {
    const payload = item.payload;
    if (payload.length === 0 || payload.length % frameBytes !== 0)
      return fail(`payload ${p} is ${payload.length} bytes, not a whole number of ${frameBytes}-byte frames`);
    const step = last ? (item.timestamp - last.timestamp) >>> 0 : 0;
    const fresh =
      !first ||
      !last ||
      item.ssrc !== last.ssrc ||
      step % frameSamples !== 0 ||
      step / frameSamples > MAX_PLACED_GAP_FRAMES + last.payload.length / frameBytes;
    if (fresh) {
      if (run.length > 0) runs.push(run);
      run = [];
      first = item;
    }
    const base = ((item.timestamp - (first as PlacedPayload).timestamp) >>> 0) / frameSamples;
    for (let off = 0, k = 0; off < payload.length; off += frameBytes, k++)
      run.push({ place: base + k, frame: payload.subarray(off, off + frameBytes) });
    last = item;
  }
  if (run.length > 0) runs.push(run);
  if (runs.length === 0) return fail('no frames received', { framesCompared: 0 });
  let frames = 0;
  let missing = 0;
  for (const [r, frs] of runs.entries()) {
    // The loop's start that places every frame of the run right; else the one placing most.
    let best = { start: -1, matched: -1, firstBad: 0 };
    for (let start = 0; start < loop.length; start++) {
      let matched = 0;
      let firstBad = -1;
      for (const [i, f] of frs.entries()) {
        if (sameBytes(loop[(start + f.place) % loop.length]!, f.frame)) matched++;
        else if (firstBad < 0) firstBad = i;
      }
      if (matched > best.matched) best = { start, matched, firstBad };
      if (matched === frs.length) break;
    }
    if (best.matched < frs.length)
      return fail(
        `received frame ${frames + best.firstBad} (run ${r + 1} of ${runs.length}, place ${frs[best.firstBad]?.place}) is not the fixture frame its RTP timestamp places it at: altered, not lost (${best.matched} of the run's ${frs.length} frames in place)`,
        { framesCompared: frames + best.firstBad + 1 },
      );
    const places = new Set(frs.map((f) => f.place));
    missing += Math.max(...places) + 1 - places.size;
    frames += frs.length;
  }
  return {
    ok: true,
    method: 'passthrough',
    detail: `${frames} received frames are byte-identical to the fixture frames their RTP timestamps place them at (${runs.length} run(s)), ${missing} frame(s) missing (lost)`,
    framesCompared: frames,
  };
}

/** Repeats `x` until it is at least `length` long (the fixture is sent in a loop). */
function tile(x: Int16Array, length: number): Int16Array {
  const copies = Math.max(1, Math.ceil(length / x.length));
  const out = new Int16Array(copies * x.length);
  for (let i = 0; i < copies; i++) out.set(x, i * x.length);
  return out;
}

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

/**
 * Transcoded check: decodes `payloads` with `codec` and compares the audio with the
 * fixture's reference decoding (see the module comment). The fixture may have been sent in
 * a loop and the received audio may start anywhere in it.
 */
export function verifyDecoded(
  fixture: CodecFixture,
  codec: AudioCodec,
  payloads: readonly Uint8Array[],
  options: DecodedCheckOptions = {},
): FixtureVerifyResult {
  const minCorrelation = options.minCorrelation ?? 0.85;
  const minSnrDb = options.minSnrDb ?? Number.NEGATIVE_INFINITY;
  const minToneShareRatio = options.minToneShareRatio ?? 0.5;
  const minDurationMs = options.minDurationMs ?? 1000;
  const fail = (detail: string, extra: Partial<FixtureVerifyResult> = {}): FixtureVerifyResult => ({
    ok: false,
    method: 'decoded',
    detail,
    ...extra,
  });
  if (!codec.available()) return fail(`cannot decode ${codec.name}: ${codec.unavailableReason?.() ?? ''}`);
  if (codec.sampleRate !== 8000 && codec.sampleRate !== 16000) {
    return fail(`cannot compare ${codec.name} audio at ${codec.sampleRate} Hz with the 8 kHz reference`);
  }

  let pcm: Int16Array;
  try {
    const decoder = codec.createDecoder();
    try {
      const parts = payloads.map((p) => decoder.decode(p));
      pcm = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
      let off = 0;
      for (const p of parts) {
        pcm.set(p, off);
        off += p.length;
      }
    } finally {
      decoder.close?.();
    }
  } catch (err) {
    return fail(`decoding ${codec.name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (codec.sampleRate === 16000) pcm = decimateBy2(pcm);

  const ms = (pcm.length * 1000) / 8000;
  if (ms < minDurationMs) {
    return fail(`only ${fmt(ms, 0)} ms of ${codec.name} audio decoded; need ${minDurationMs} ms to judge`);
  }
  // Reference long enough to contain the received audio wherever in the loop it starts.
  const reference = tile(fixture.reference, pcm.length + fixture.reference.length);
  const alignment = alignSignals(reference, pcm, pcm.length);
  if (!alignment) return fail('could not align the received audio with the reference');

  const aligned = reference.subarray(-alignment.lag, -alignment.lag + pcm.length);
  const freqs = FIXTURE_SIGNAL.tones.map((t) => t.freq);
  const recShares = bandShares(pcm, 8000, freqs);
  const refShares = bandShares(aligned, 8000, freqs);
  const toneShares = freqs.map((freq, i) => ({ freq, received: recShares[i]!, reference: refShares[i]! }));

  const problems: string[] = [];
  if (!(alignment.correlation >= minCorrelation)) {
    problems.push(`correlation ${fmt(alignment.correlation)} < ${minCorrelation}`);
  }
  if (!(alignment.snrDb >= minSnrDb)) problems.push(`SNR ${fmt(alignment.snrDb, 1)} dB < ${minSnrDb} dB`);
  for (const t of toneShares) {
    if (!(t.received >= t.reference * minToneShareRatio)) {
      problems.push(
        `${t.freq} Hz share ${fmt(t.received)} < ${minToneShareRatio} × reference ${fmt(t.reference)}`,
      );
    }
  }
  const summary =
    `${fixture.codec} fixture transcoded to ${codec.name}: ${fmt(ms, 0)} ms aligned at reference sample ` +
    `${-alignment.lag}, correlation ${fmt(alignment.correlation)}, SNR ${fmt(alignment.snrDb, 1)} dB, gain ` +
    `${fmt(alignment.gain, 2)}, tone shares ${toneShares.map((t) => `${t.freq} Hz ${fmt(t.received)}`).join(', ')}`;
  return {
    ok: problems.length === 0,
    method: 'decoded',
    detail: problems.length === 0 ? summary : `${summary} — ${problems.join('; ')}`,
    alignment,
    toneShares,
  };
}

/**
 * Checks the media that came back for a call that sent `fixture` frames (`sent`, in the
 * order sent, loops included): passthrough when it came back in the fixture's codec,
 * decoded comparison otherwise. An unknown codec name gives ok: false, never an exception.
 */
export function verifyFixtureEcho(
  fixture: CodecFixture,
  sent: readonly Uint8Array[],
  received: ReceivedMedia,
  options: DecodedCheckOptions = {},
): FixtureVerifyResult {
  const codec = typeof received.codec === 'string' ? codecByName(received.codec) : received.codec;
  if (!codec) {
    return {
      ok: false,
      method: 'decoded',
      detail: `received codec "${String(received.codec)}" is not one the harness can decode`,
    };
  }
  if (codec.name === fixture.codec) return verifyPassthrough(sent, received.payloads, fixture.frameBytes);
  return verifyDecoded(fixture, codec, received.payloads, options);
}
