import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioCodec } from '../../codecs/codec.ts';
import {
  verifyDecoded,
  verifyFixtureEcho,
  verifyPassthrough,
  verifyPassthroughPlaced,
} from '../../codecs/fixture-verify.ts';
import {
  type CodecFixture,
  FIXTURE_SIGNAL,
  loadCodecFixture,
  s16leToInt16,
} from '../../codecs/fixtures/codec-fixtures.ts';
import { pcma, pcmu } from '../../codecs/g711.ts';
import { g722 } from '../../codecs/g722.ts';
import { g723 } from '../../codecs/g723.ts';
import { describeWithPeers } from '../support/peers.ts';

/** Splits bytes into payloads of `size` (the last may be shorter). */
function packetize(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Encodes 8 kHz PCM with a G.711 codec into 20 ms payloads. */
function g711Payloads(codec: AudioCodec, pcm: Int16Array): Uint8Array[] {
  return packetize(codec.createEncoder().encode(pcm), 160);
}

/** `times` loops of the fixture frames, as a call would send them. */
function looped(f: CodecFixture, times: number): Uint8Array[] {
  return Array.from({ length: times }, () => f.frames).flat();
}

/** The reference decoding looped and cut from `start`, `length` samples. */
function loopedReference(f: CodecFixture, start: number, length: number): Int16Array {
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) out[i] = f.reference[(start + i) % f.reference.length]!;
  return out;
}

describe('verifyPassthrough', () => {
  const g723f = loadCodecFixture('G723');
  const g729f = loadCodecFixture('G729');
  const sent = looped(g729f, 3);

  it('accepts identical frames repacketised (2 frames per packet) and starting mid-loop', () => {
    const received = packetize(concat(sent.slice(37, 37 + 400)), 20);
    const r = verifyPassthrough(sent, received, 10);
    expect(r.ok).toBe(true);
    expect(r.method).toBe('passthrough');
    expect(r.framesCompared).toBe(400);
    expect(r.detail).toContain('37..436');
  });

  it('reports the first differing frame', () => {
    const frames = sent.slice(10, 110).map((f) => f.slice());
    frames[42]![5]! ^= 0x10;
    const r = verifyPassthrough(sent, frames, 10);
    expect(r.ok).toBe(false);
    expect(r.firstMismatch).toEqual({ receivedFrame: 42, sentFrame: 52 });
    expect(r.detail).toMatch(/received frame 42 differs from sent frame 52/);
  });

  it('reports a lost frame in the middle as a mismatch at that point', () => {
    const frames = [...g723f.frames.slice(0, 30), ...g723f.frames.slice(31, 60)];
    const r = verifyPassthrough(g723f.frames, frames, 24);
    expect(r.ok).toBe(false);
    expect(r.firstMismatch).toEqual({ receivedFrame: 30, sentFrame: 30 });
  });

  it('placed by RTP timestamp: frames of lost packets missing pass; an altered, moved or repeated frame fails, whatever frames of the fixture repeat', () => {
    const loop = g723f.frames;
    // 14 of the fixture's 80 frames repeat another (21..25 are 71..75): a window that starts
    // in such a stretch and loses a frame must still be placed right.
    const stream = (start: number, n: number, drop: number[] = [], ts0 = 1000, ssrc = 7) =>
      Array.from({ length: n }, (_, i) => i)
        .filter((i) => !drop.includes(i))
        .map((i) => ({ payload: loop[(start + i) % loop.length]!, timestamp: ts0 + 240 * i, ssrc }));
    for (const start of [0, 21, 43, 51, 68, 71, 73])
      for (const drop of [[], [1], [2], [0, 3], [5, 6, 7]]) {
        const r = verifyPassthroughPlaced(loop, stream(start, 120, drop), 24, 240);
        expect(r.ok, `start ${start}, lost ${drop}: ${r.detail}`).toBe(true);
        expect(r.detail).toContain(`${drop.filter((d) => d > 0).length} frame(s) missing`);
      }
    // Two frames per packet (repacketized), one packet lost.
    const pairs = stream(10, 60).flatMap((x, i, all) =>
      i % 2 === 0 && all[i + 1]
        ? [
            {
              ...x,
              payload: new Uint8Array([...x.payload, ...(all[i + 1] as { payload: Uint8Array }).payload]),
            },
          ]
        : [],
    );
    expect(verifyPassthroughPlaced(loop, [...pairs.slice(0, 7), ...pairs.slice(8)], 24, 240).ok).toBe(true);
    // A new SSRC re-bases the stream: placed on its own.
    const rebased = [...stream(5, 40), ...stream(50, 40, [], 999_999, 8)];
    expect(verifyPassthroughPlaced(loop, rebased, 24, 240).ok).toBe(true);
    // Altered: one byte of one frame.
    const altered = stream(71, 100).map((x) => ({ ...x, payload: x.payload.slice() }));
    (altered[40] as { payload: Uint8Array }).payload[3]! ^= 0x40;
    const bad = verifyPassthroughPlaced(loop, altered, 24, 240);
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(
      /received frame 40 .* is not the fixture frame its RTP timestamp places it at: altered, not lost/,
    );
    // Two frames swapped in place (each with the other's timestamp), and one frame repeated at a later place.
    const swapped = stream(30, 60);
    const [x, y] = [swapped[10]!, swapped[11]!];
    swapped[10] = { ...x, payload: y.payload };
    swapped[11] = { ...y, payload: x.payload };
    expect(verifyPassthroughPlaced(loop, swapped, 24, 240).ok).toBe(false);
    const repeated = stream(30, 60);
    repeated[20] = { ...repeated[20]!, payload: repeated[19]!.payload };
    expect(verifyPassthroughPlaced(loop, repeated, 24, 240).ok).toBe(false);
  });

  it('rejects odd payload sizes, empty input, and frames that were never sent', () => {
    expect(verifyPassthrough(sent, [new Uint8Array(15)], 10).detail).toMatch(/not a whole number/);
    expect(verifyPassthrough(sent, [], 10).ok).toBe(false);
    expect(verifyPassthrough([], sent.slice(0, 2), 10).ok).toBe(false);
    const r = verifyPassthrough(sent, [new Uint8Array(10).fill(0xee)], 10);
    expect(r.ok).toBe(false);
    expect(r.firstMismatch).toEqual({ receivedFrame: 0, sentFrame: 0 });
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 20 }),
        fc.integer({ min: -2, max: 30 }),
        (p, n) => {
          const r = verifyPassthrough(sent, p, n);
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('verifyDecoded / verifyFixtureEcho', () => {
  const g729f = loadCodecFixture('G729');
  const g723f = loadCodecFixture('G723');

  it('accepts the reference decoding sent back as PCMA or PCMU from anywhere in the loop', () => {
    for (const [f, codec] of [
      [g729f, pcma],
      [g723f, pcmu],
    ] as const) {
      const pcm = loopedReference(f, 5123, 8000 * 4);
      const r = verifyFixtureEcho(f, looped(f, 3), {
        codec: codec.name.toLowerCase(),
        payloads: g711Payloads(codec, pcm),
      });
      expect(r.ok, r.detail).toBe(true);
      expect(r.method).toBe('decoded');
      expect(-r.alignment!.lag).toBe(5123);
      expect(r.alignment!.correlation).toBeGreaterThan(0.99);
    }
  });

  it('accepts it at a different level (gain is not judged)', () => {
    const pcm = loopedReference(g729f, 0, 8000 * 2).map((v) => Math.round(v * 0.3));
    const r = verifyDecoded(g729f, pcma, g711Payloads(pcma, pcm));
    expect(r.ok, r.detail).toBe(true);
    expect(r.alignment!.gain).toBeCloseTo(0.3, 1);
  });

  it('rejects noise, silence, another on/off pattern, and a stream that lost half its audio', () => {
    let seed = 7;
    const noise = Int16Array.from({ length: 16000 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 16) - 32768;
    });
    const silence = new Int16Array(16000);
    // Same tones, complementary on/off pattern.
    const other = loopedReference(g729f, 0, 19200).map((_, i) => {
      const on = FIXTURE_SIGNAL.pattern[Math.floor(i / 800)] !== '1';
      return on
        ? Math.round(
            6000 * Math.sin((2 * Math.PI * 1000 * i) / 8000) +
              3000 * Math.sin((2 * Math.PI * 2000 * i) / 8000),
          )
        : 0;
    });
    const halfLost = loopedReference(g729f, 0, 32000).map((v, i) => (i >= 16000 ? 0 : v));
    for (const [name, pcm] of [
      ['noise', noise],
      ['silence', silence],
      ['other pattern', other],
    ] as const) {
      const r = verifyDecoded(g729f, pcma, g711Payloads(pcma, pcm));
      expect(r.ok, `${name}: ${r.detail}`).toBe(false);
      expect(r.detail).toMatch(/correlation -?[\d.]+ < 0.85/);
    }
    const lost = verifyDecoded(g729f, pcma, g711Payloads(pcma, halfLost));
    expect(lost.ok).toBe(false);
    expect(lost.alignment!.correlation).toBeLessThan(0.8);
  });

  it('refuses to judge too little audio, unknown codecs, and codecs it cannot decode — without throwing', () => {
    const short = verifyDecoded(g729f, pcma, g711Payloads(pcma, g729f.reference.subarray(0, 4000)));
    expect(short.ok).toBe(false);
    expect(short.detail).toMatch(/need 1000 ms/);
    const opus = verifyFixtureEcho(g729f, g729f.frames, { codec: 'opus', payloads: [new Uint8Array(10)] });
    expect(opus.ok).toBe(false);
    expect(opus.detail).toMatch(/opus/);
    const g723back = verifyDecoded(g729f, g723, [new Uint8Array(24)]);
    expect(g723back.ok).toBe(false);
    expect(g723back.detail).toMatch(/cannot decode G723/);
  });

  it('sends G.723 frames back as G723 to the passthrough check', () => {
    const sent = looped(g723f, 2);
    const r = verifyFixtureEcho(g723f, sent, { codec: 'G723', payloads: sent.slice(3, 100) });
    expect(r.method).toBe('passthrough');
    expect(r.ok).toBe(true);
  });

  it('never throws on garbage payloads', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 30 }),
        fc.constantFrom('PCMA', 'PCMU', 'G722', 'G729', 'G723', 'x'),
        (p, c) => {
          const r = verifyFixtureEcho(g729f, g729f.frames, { codec: c, payloads: p });
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      { numRuns: 40 },
    );
  });
});

describeWithPeers(['ffmpeg'], 'verifyFixtureEcho on audio from another decoder (ffmpeg)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fixture-verify-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** ffmpeg decodes `frames` (format g729/g723_1) to s16le at `rate`. */
  function ffmpegDecode(format: string, frames: Uint8Array[], rate: number): Int16Array {
    const input = join(dir, `in.${format}`);
    const out = join(dir, `out-${rate}.s16`);
    writeFileSync(input, concat(frames));
    execFileSync(
      'ffmpeg',
      ['-hide_banner', '-loglevel', 'error', '-y', '-f', format, '-i', input].concat([
        '-f',
        's16le',
        '-ar',
        String(rate),
        '-ac',
        '1',
        out,
      ]),
      { timeout: 20_000, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return s16leToInt16(new Uint8Array(readFileSync(out)));
  }

  it('G.729 fixture decoded by ffmpeg (not bcg729) and sent back as PCMA passes', () => {
    const f = loadCodecFixture('G729');
    const sent = looped(f, 3);
    const pcm = ffmpegDecode('g729', sent, 8000).subarray(2960, 2960 + 8000 * 4);
    const r = verifyFixtureEcho(f, sent, { codec: 'PCMA', payloads: g711Payloads(pcma, pcm) });
    expect(r.ok, r.detail).toBe(true);
    expect(-r.alignment!.lag).toBe(2960);
  });

  it('G.723.1 fixture decoded by ffmpeg, resampled to 16 kHz and sent back as G.722 passes', () => {
    const f = loadCodecFixture('G723');
    const sent = looped(f, 2);
    const wide = ffmpegDecode('g723_1', sent, 16000).subarray(16000, 16000 + 16000 * 3);
    const payloads = packetize(g722.createEncoder().encode(wide), 160);
    const r = verifyFixtureEcho(f, sent, { codec: 'G722/8000', payloads });
    expect(r.ok, r.detail).toBe(true);
    // 16 kHz sample 16000 is 8 kHz sample 8000 (± the resampling filters' delay).
    expect(Math.abs(-r.alignment!.lag - 8000)).toBeLessThan(40);
  });
});
