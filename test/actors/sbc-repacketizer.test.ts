/**
 * The reference SBC's re-framing of audio into fixed-length packets (personality
 * repacketize-40, harness/actors/sbc-repacketizer.ts): every unit goes out once and in order,
 * each packet's timestamp is that of its first unit (RFC 3550 §5.1), and a gap, a marker or a
 * new timestamp base sends what is buffered first instead of joining across it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Repacketizer } from '../../harness/actors/sbc-repacketizer.ts';

const octets = (per: number) => new Repacketizer(per, 1, (n) => new Uint8Array(n));

/** `count` contiguous G.711 packets of `ms` each from timestamp `ts0`, octet i = (offset + i) & 0xff. */
function g711(ms: number, count: number, ts0: number) {
  const n = ms * 8;
  return Array.from({ length: count }, (_, k) => ({
    data: Uint8Array.from({ length: n }, (_, i) => (k * n + i) & 0xff),
    ts: (ts0 + k * n) >>> 0,
  }));
}

describe('Repacketizer', () => {
  for (const inMs of [10, 20, 30]) {
    it(`${inMs} ms G.711 packets in, 40 ms (320 octets) out, timestamps stepping by 320`, () => {
      const r = octets(320);
      const pkts = g711(inMs, 24, 0xffff_ff00); // crosses the 32-bit wrap
      const out = pkts.flatMap((p, i) => r.push(p.data, p.ts, p.data.length, i === 0));
      const total = 24 * inMs * 8;
      expect(out.length).toBe(Math.floor(total / 320));
      for (const [i, c] of out.entries()) {
        expect(c.data.length).toBe(320);
        expect(c.inTs).toBe((0xffff_ff00 + i * 320) >>> 0);
        expect(c.marker).toBe(i === 0);
        expect(c.data[0]).toBe((i * 320) & 0xff);
      }
      expect(r.pending).toBe(total - out.length * 320);
      const rest = r.flush();
      expect(rest.reduce((n, c) => n + c.data.length, 0)).toBe(total - out.length * 320);
      expect(r.pending).toBe(0);
    });
  }

  it('a timestamp gap or a marker sends what is buffered as a shorter packet first', () => {
    const r = octets(320);
    const [a, b] = g711(20, 2, 1000);
    expect(r.push(a!.data, a!.ts, 160, false)).toEqual([]);
    // 20 ms missing: b arrives 160 ticks late, so a goes alone.
    const out = r.push(b!.data, b!.ts + 160, 160, false);
    expect(out.map((c) => [c.inTs, c.data.length])).toEqual([[1000, 160]]);
    expect(r.pending).toBe(160);
    const m = r.push(new Uint8Array(160), b!.ts + 320, 160, true);
    expect(m.map((c) => [c.inTs, c.data.length, c.marker])).toEqual([[b!.ts + 160, 160, false]]);
    expect(r.drop()).toBe(160);
    expect(r.flush()).toEqual([]);
  });

  it('16 kHz PCM for G.722 (8000 Hz RTP clock): 640 samples a packet, timestamps stepping by 320', () => {
    const r = new Repacketizer(640, 0.5, (n) => new Int16Array(n));
    const out = [];
    for (let k = 0; k < 6; k++) out.push(...r.push(new Int16Array(320), 5000 + k * 160, 160, false));
    expect(out.map((c) => c.inTs)).toEqual([5000, 5320, 5640]);
  });

  it('keeps every octet once and in order, for any packet sizes in', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        const r = octets(320);
        const seen: number[] = [];
        const sent: number[] = [];
        let ts = 77;
        let v = 0;
        for (const s of sizes) {
          const data = Uint8Array.from({ length: s }, () => v++ & 0xff);
          sent.push(...data);
          for (const c of r.push(data, ts, s, false)) {
            expect(c.inTs).toBe(77 + seen.length);
            seen.push(...c.data);
          }
          ts += s;
        }
        for (const c of r.flush()) seen.push(...c.data);
        expect(seen).toEqual(sent);
      }),
      { numRuns: 50 },
    );
  });
});
