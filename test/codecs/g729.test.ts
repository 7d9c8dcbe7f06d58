import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s16leToInt16 } from '../../codecs/fixtures/codec-fixtures.ts';
import { BCG729_INSTALL_HINT, g729, g729Bcg729 } from '../../codecs/g729.ts';
import { alignSignals, toneSinadDb } from '../../codecs/signal-metrics.ts';
import { describeWithPeers } from '../support/peers.ts';

const RATE = 8000;
const SECONDS = 2;
/** Skip the codec's start-up (the first frames decode to near silence): 200 ms. */
const SKIP = 1600;

function tone(freq: number, amplitude: number, samples: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / RATE)),
  );
}

describe('G.729 codec object', () => {
  it('describes PT 18, 8 kHz, 10 ms frames of 10 bytes', () => {
    expect([g729.name, g729.payloadType, g729.rtpClockRate, g729.sampleRate]).toEqual([
      'G729',
      18,
      8000,
      8000,
    ]);
    expect([g729.frameMs, g729.frameSamples, g729.frameBytes]).toEqual([10, 80, 10]);
  });

  it('is available on every host (TypeScript, no system library)', () => {
    expect(g729.available()).toBe(true);
    expect(g729.unavailableReason?.()).toBe('');
  });

  it('says how to install libbcg729 (the oracle) whenever that is unavailable', () => {
    const reason = g729Bcg729.unavailableReason?.() ?? '';
    if (g729Bcg729.available()) expect(reason).toBe('');
    else expect(reason).toContain(BCG729_INSTALL_HINT);
  });

  it('never loads libbcg729 to encode or decode', () => {
    // A fresh process: use G.729 through the public surface, then look at the mapped libraries.
    const script = [
      "import { existsSync, readFileSync } from 'node:fs';",
      "const m = await import('./codecs/index.ts');",
      'const e = m.g729.createEncoder();',
      'const d = m.g729.createDecoder();',
      'const n = d.decode(e.encode(new Int16Array(800))).length;',
      "const mapped = existsSync('/proc/self/maps') && readFileSync('/proc/self/maps', 'utf8').includes('libbcg729');",
      'console.log(JSON.stringify({ n, mapped }));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
      cwd: new URL('../..', import.meta.url),
    });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ n: 800, mapped: false });
  });
});

describeWithPeers(
  ['bcg729', 'ffmpeg'],
  'G.729 (TypeScript), checked against ffmpeg and the bcg729 oracle',
  () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'g729-test-'));
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it.runIf(existsSync('/proc/self/maps'))(
      'loads libbcg729 (the oracle) on first use, not when codecs/ is imported',
      () => {
        // A fresh process: import the public surface, look at the mapped libraries, then use bcg729.
        const script = [
          "import { readFileSync } from 'node:fs';",
          "const m = await import('./codecs/index.ts');",
          "const mapped = () => readFileSync('/proc/self/maps', 'utf8').includes('libbcg729');",
          'const before = mapped();',
          'const ok = m.g729Bcg729.available();',
          'console.log(JSON.stringify({ before, ok, after: mapped() }));',
        ].join('\n');
        const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          encoding: 'utf8',
          timeout: 20_000,
          cwd: new URL('../..', import.meta.url),
        });
        expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ before: false, ok: true, after: true });
      },
    );

    it('encodes a 1 kHz tone that both our decoder and ffmpeg decode with SINAD > 20 dB', () => {
      const pcm = tone(1000, 8000, RATE * SECONDS);
      const enc = g729.createEncoder();
      const dec = g729.createDecoder();
      const bits = enc.encode(pcm);
      enc.close?.();
      // 10-byte frame per 10 ms, VAD off: exactly 200 frames.
      expect(bits.length).toBe((RATE * SECONDS * 10) / 80);

      const ours = dec.decode(bits);
      dec.close?.();
      expect(ours.length).toBe(pcm.length);

      const file = join(dir, 'tone.g729');
      const out = join(dir, 'tone.s16');
      writeFileSync(file, bits);
      execFileSync(
        'ffmpeg',
        ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'g729', '-i', file].concat([
          '-f',
          's16le',
          '-ar',
          '8000',
          '-ac',
          '1',
          out,
        ]),
        { timeout: 20_000, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const theirs = s16leToInt16(new Uint8Array(readFileSync(out)));
      expect(theirs.length).toBe(pcm.length);

      const sinadOurs = toneSinadDb(ours.subarray(SKIP), RATE, 1000);
      const sinadTheirs = toneSinadDb(theirs.subarray(SKIP), RATE, 1000);
      expect(sinadOurs).toBeGreaterThan(20);
      expect(sinadTheirs).toBeGreaterThan(20);
      // The first decoded frame is near silence; the tone is there after the start-up.
      expect(Math.max(...ours.subarray(0, 40).map(Math.abs))).toBeLessThan(2000);

      // Two independent decoders of one bitstream agree, sample-aligned.
      const al = alignSignals(ours.subarray(SKIP), theirs.subarray(SKIP), RATE);
      expect(al).toBeDefined();
      expect(Math.abs(al!.lag) % 8).toBe(0); // the tone's period is 8 samples
      expect(al!.correlation).toBeGreaterThan(0.98);
    });

    it('encodes the input with the codec delay and a tone level close to the input', () => {
      const pcm = tone(700, 6000, RATE);
      const enc = g729.createEncoder();
      const dec = g729.createDecoder();
      const out = dec.decode(enc.encode(pcm));
      enc.close?.();
      dec.close?.();
      const rms = (x: Int16Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
      const ratio = rms(out.subarray(SKIP)) / rms(pcm.subarray(SKIP));
      expect(ratio).toBeGreaterThan(0.7);
      expect(ratio).toBeLessThan(1.3);
      expect(toneSinadDb(out.subarray(SKIP), RATE, 700)).toBeGreaterThan(20);
    });

    it('counts malformed payloads instead of throwing, and decodes a trailing SID frame', () => {
      const dec = g729.createDecoder();
      expect(dec.decode(new Uint8Array(0)).length).toBe(0);
      expect(dec.decode(new Uint8Array([1, 2, 3])).length).toBe(0);
      expect(dec.malformedBytes).toBe(3);
      expect(dec.malformedPayloads).toBe(1);
      // One voice frame plus a 2-byte SID frame (RFC 3551 §4.5.6): two frames of output.
      expect(dec.decode(new Uint8Array(12)).length).toBe(160);
      expect(dec.sidFrames).toBe(1);
      expect(dec.decode(new Uint8Array(25)).length).toBe(160);
      expect(dec.malformedBytes).toBe(8);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
          const out = dec.decode(bytes);
          expect(out.length % 80).toBe(0);
        }),
        { numRuns: 200 },
      );
      dec.close?.();
    });

    it('rejects partial frames, survives double close, and refuses use after close', () => {
      const enc = g729.createEncoder();
      expect(() => enc.encode(new Int16Array(79))).toThrow(RangeError);
      expect(enc.encode(new Int16Array(0)).length).toBe(0);
      enc.close?.();
      enc.close?.();
      expect(() => enc.encode(new Int16Array(80))).toThrow(/after close/);
      const dec = g729.createDecoder();
      dec.close?.();
      dec.close?.();
      expect(() => dec.decode(new Uint8Array(10))).toThrow(/after close/);
    });

    it('keeps channels independent: two encoders given the same input give the same bits', () => {
      const pcm = tone(440, 5000, 800);
      const a = g729.createEncoder();
      const b = g729.createEncoder();
      const first = a.encode(pcm);
      b.encode(tone(1500, 9000, 800)); // b has a different history...
      const again = g729.createEncoder();
      expect(again.encode(pcm)).toEqual(first); // ...which does not leak into a fresh channel
      expect(b.encode(pcm)).not.toEqual(first); // while b's own state does matter
      for (const e of [a, b, again]) e.close?.();
    });
  },
);
