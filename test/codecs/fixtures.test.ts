import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FIXTURE_SAMPLE_RATE,
  FIXTURE_SIGNAL,
  FIXTURES_DIR,
  loadCodecFixture,
  readFixtureManifest,
  s16leToInt16,
  synthesizeFixtureSource,
} from '../../codecs/fixtures/codec-fixtures.ts';
import { g729Bcg729 as g729 } from '../../codecs/g729-bcg729.ts';
import { alignSignals, bandShares } from '../../codecs/signal-metrics.ts';
import { describeWithPeers } from '../support/peers.ts';

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('committed codec fixtures', () => {
  const manifest = readFixtureManifest();

  it('match the SHA-256 sums and the signal parameters in manifest.json', () => {
    expect(manifest.signal).toEqual(FIXTURE_SIGNAL);
    expect(manifest.sampleRate).toBe(FIXTURE_SAMPLE_RATE);
    expect(manifest.fixtures.map((f) => f.codec).sort()).toEqual(['G723', 'G729']);
    for (const f of manifest.fixtures) {
      expect(sha256(join(FIXTURES_DIR, f.encodedFile))).toBe(f.sha256.encoded);
      expect(sha256(join(FIXTURES_DIR, f.decodedFile))).toBe(f.sha256.decoded);
    }
  });

  it('hold the source the generator describes (within rounding)', () => {
    const committed = s16leToInt16(new Uint8Array(readFileSync(join(FIXTURES_DIR, manifest.sourceFile))));
    const fresh = synthesizeFixtureSource();
    expect(committed.length).toBe((FIXTURE_SAMPLE_RATE * FIXTURE_SIGNAL.durationMs) / 1000);
    expect(fresh.length).toBe(committed.length);
    let worst = 0;
    for (let i = 0; i < fresh.length; i++) worst = Math.max(worst, Math.abs(fresh[i]! - committed[i]!));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('G.723.1: 80 frames of 24 bytes, all 6.3 kbit/s frames, covering the 2.4 s source', () => {
    const f = loadCodecFixture('G723');
    expect([f.payloadType, f.frameBytes, f.frameMs]).toEqual([4, 24, 30]);
    expect(f.frames.length).toBe(FIXTURE_SIGNAL.durationMs / 30);
    for (const frame of f.frames) {
      expect(frame.length).toBe(24);
      expect(frame[0]! & 3).toBe(0); // frame type bits: 0 = 6.3 kbit/s
    }
    expect(f.reference.length).toBe(f.source.length);
  });

  it('G.729: 240 frames of 10 bytes covering the 2.4 s source', () => {
    const f = loadCodecFixture('G729');
    expect([f.payloadType, f.frameBytes, f.frameMs]).toEqual([18, 10, 10]);
    expect(f.frames.length).toBe(FIXTURE_SIGNAL.durationMs / 10);
    expect(f.frames.every((fr) => fr.length === 10)).toBe(true);
    expect(f.reference.length).toBe(f.source.length);
  });

  for (const codec of ['G723', 'G729'] as const) {
    it(`${codec}: the reference decoding resembles the source (aligned, both tones present)`, () => {
      const f = loadCodecFixture(codec);
      const al = alignSignals(f.source, f.reference, f.source.length / 2);
      expect(al).toBeDefined();
      // A few ms of codec delay, no more.
      expect(al!.lag).toBeGreaterThanOrEqual(0);
      expect(al!.lag).toBeLessThan(160);
      expect(al!.correlation).toBeGreaterThan(0.85);
      const [s1, s2] = bandShares(f.reference, 8000, [1000, 2000]);
      expect(s1!).toBeGreaterThan(0.5);
      expect(s2!).toBeGreaterThan(0.1);
    });
  }
});

describeWithPeers(['ffmpeg'], 'G.723.1 fixture against ffmpeg', () => {
  it("ffmpeg's decoder reproduces the committed reference decoding", () => {
    const f = loadCodecFixture('G723');
    const dir = mkdtempSync(join(tmpdir(), 'g723-fixture-test-'));
    try {
      const out = join(dir, 'ref.s16le');
      execFileSync(
        'ffmpeg',
        [
          '-hide_banner',
          '-loglevel',
          'error',
          '-y',
          '-f',
          'g723_1',
          '-i',
          join(FIXTURES_DIR, f.manifest.encodedFile),
        ].concat(['-f', 's16le', '-ar', '8000', '-ac', '1', out]),
        { timeout: 20_000, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const again = s16leToInt16(new Uint8Array(readFileSync(out)));
      expect(again.length).toBe(f.reference.length);
      // Same bits through the same decoder family: identical, or all but identical across versions.
      const al = alignSignals(f.reference, again, f.reference.length);
      expect(al!.lag).toBe(0);
      expect(al!.correlation).toBeGreaterThan(0.999);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithPeers(['bcg729'], 'G.729 fixture against bcg729', () => {
  it('re-encoding the source gives the committed frames and decoding them the reference, bit for bit', () => {
    const f = loadCodecFixture('G729');
    const enc = g729.createEncoder();
    const dec = g729.createDecoder();
    try {
      const bits = enc.encode(f.source);
      const committed = new Uint8Array(f.frames.length * 10);
      f.frames.forEach((fr, i) => {
        committed.set(fr, i * 10);
      });
      expect(bits).toEqual(committed);
      expect(dec.decode(committed)).toEqual(f.reference);
    } finally {
      enc.close?.();
      dec.close?.();
    }
  });
});
