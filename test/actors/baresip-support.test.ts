/**
 * The pieces of test/support/baresip.ts that need no baresip: ctrl_tcp's netstring framing
 * (whole, split at every byte, broken) and the WAV reader used on baresip's recording (round
 * trip with the harness's writer, stereo, truncated and garbage files).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../harness/media/capture/index.ts';
import { netstring, parseWav, splitNetstrings } from '../support/baresip.ts';

describe('ctrl_tcp netstrings', () => {
  it('frames a payload as <bytes>:<payload>, counting UTF-8 bytes', () => {
    expect(netstring('{"a":1}').toString()).toBe('7:{"a":1},');
    expect(netstring('é').toString()).toBe('2:é,');
  });

  it('splits back what it framed, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 6 }), fc.nat(200), (msgs, cut) => {
        const wire = Buffer.concat(msgs.map(netstring));
        const at = Math.min(cut, wire.length);
        const first = splitNetstrings(wire.subarray(0, at));
        expect(first.error).toBeUndefined();
        const second = splitNetstrings(Buffer.concat([first.rest, wire.subarray(at)]));
        expect(second.error).toBeUndefined();
        expect(second.rest.length).toBe(0);
        expect([...first.payloads, ...second.payloads].map((p) => p.toString('utf8'))).toEqual(msgs);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps an incomplete message for later', () => {
    const r = splitNetstrings(Buffer.from('5:hello,3:ab'));
    expect(r.payloads.map(String)).toEqual(['hello']);
    expect(r.rest.toString()).toBe('3:ab');
  });

  it('reports broken framing instead of throwing', () => {
    expect(splitNetstrings(Buffer.from('x:abc,')).error).toMatch(/bad length/);
    expect(splitNetstrings(Buffer.from('3:abcd')).error).toMatch(/comma/);
    expect(splitNetstrings(Buffer.from('12345678901234')).error).toMatch(/too long/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = splitNetstrings(Buffer.from(bytes));
        expect(r.payloads.length).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('WAV reader for baresip recordings', () => {
  it('reads back what the harness writer wrote', () => {
    const pcm = Int16Array.from({ length: 321 }, (_, i) => ((i * 977) % 65536) - 32768);
    const w = parseWav(encodeWav(pcm, 16000));
    expect(w?.sampleRate).toBe(16000);
    expect(Array.from(w?.samples ?? [])).toEqual(Array.from(pcm));
  });

  it('keeps the first channel of a stereo file', () => {
    const mono = encodeWav(new Int16Array(0), 8000);
    const b = Buffer.from(mono);
    b.writeUInt16LE(2, 22);
    const data = Buffer.alloc(8);
    data.writeInt16LE(100, 0);
    data.writeInt16LE(-1, 2);
    data.writeInt16LE(-200, 4);
    data.writeInt16LE(-1, 6);
    b.writeUInt32LE(8, 40);
    const w = parseWav(Buffer.concat([b, data]));
    expect(Array.from(w?.samples ?? [])).toEqual([100, -200]);
  });

  it('takes what is there when the data size was never written (killed recorder)', () => {
    const b = Buffer.from(encodeWav(Int16Array.of(1, 2, 3, 4), 8000));
    b.writeUInt32LE(0xffffffff, 40);
    expect(Array.from(parseWav(b)?.samples ?? [])).toEqual([1, 2, 3, 4]);
    b.writeUInt32LE(0, 40);
    expect(Array.from(parseWav(b)?.samples ?? [])).toEqual([1, 2, 3, 4]);
  });

  it('returns undefined for non-PCM, truncated or garbage files, never throws', () => {
    const good = Buffer.from(encodeWav(Int16Array.of(5, 6), 8000));
    const float = Buffer.from(good);
    float.writeUInt16LE(3, 20);
    expect(parseWav(float)).toBeUndefined();
    expect(parseWav(good.subarray(0, 30))).toBeUndefined();
    expect(parseWav(new Uint8Array(0))).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), fc.nat(44), (bytes, keep) => {
        const mixed = Buffer.concat([good.subarray(0, keep), Buffer.from(bytes)]);
        const w = parseWav(mixed);
        if (w) expect(w.samples.length * 2).toBeLessThanOrEqual(mixed.length);
      }),
      { numRuns: 500 },
    );
  });
});
