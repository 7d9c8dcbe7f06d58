/**
 * Audio time of a G.723.1 payload the harness cannot decode, counted from the frame headers
 * (RFC 3551 §4.5.3): both rates, SID frames, a reserved header and a frame cut short. Estimated
 * from 24-octet frames before, a 5.3 kbit/s stream read as 17 % less audio than it carried.
 */
import { describe, expect, it } from 'vitest';
import { g723, g723FrameCount } from '../../codecs/index.ts';

/** A frame of `octets` whose first octet's two low bits are `kind`. */
const frame = (kind: number, octets: number) => {
  const f = new Uint8Array(octets).fill(0xa4);
  f[0] = 0xa4 | kind;
  return f;
};
const join = (...fs: Uint8Array[]) => Uint8Array.from(fs.flatMap((f) => [...f]));

describe('G.723.1 frames in a payload', () => {
  it('6.3 kbit/s (24 octets), 5.3 kbit/s (20 octets) and SID (4 octets) frames are 30 ms each', () => {
    expect(g723FrameCount(join(frame(0, 24), frame(0, 24)))).toBe(2);
    expect(g723FrameCount(join(frame(1, 20), frame(1, 20), frame(1, 20)))).toBe(3);
    expect(g723FrameCount(join(frame(0, 24), frame(1, 20), frame(2, 4)))).toBe(3);
    expect(g723.payloadMs?.(join(frame(1, 20), frame(1, 20)))).toBe(60);
    expect(g723.payloadMs?.(frame(2, 4))).toBe(30);
  });

  it('stops at a reserved header or a frame cut short', () => {
    expect(g723FrameCount(join(frame(0, 24), frame(3, 24)))).toBe(1);
    expect(g723FrameCount(join(frame(1, 20), frame(0, 10)))).toBe(1);
    expect(g723FrameCount(new Uint8Array(0))).toBe(0);
  });
});
