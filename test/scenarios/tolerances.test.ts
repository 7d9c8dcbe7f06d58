/**
 * The pure rules behind rows of docs/tolerances.md: what T-4 accepts as the refusal of a wrong
 * password, and how T-8 counts RTP continuity across a change of SSRC. The whole-plan proof is
 * test/scenarios/personalities.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { faxContinuity, rtpContinuity, wrongPasswordRefusal } from '../../scenarios/trunk.ts';

function res(status: number, nonce?: string, stale?: string) {
  return {
    status,
    get: (name: string) =>
      name === (status === 407 ? 'proxy-authenticate' : 'www-authenticate') && nonce
        ? `Digest realm="sbc.lan", nonce="${nonce}", algorithm=MD5${stale ? `, stale=${stale}` : ''}`
        : undefined,
  };
}

describe('T-4: the refusal of a wrong password', () => {
  it('accepts 403 after the challenge', () => {
    expect(wrongPasswordRefusal([res(401, 'a'), res(403)])).toEqual({ ok: true });
  });

  it('accepts a second 401 with a fresh nonce, and says so', () => {
    const r = wrongPasswordRefusal([res(401, 'a'), res(401, 'b')]);
    expect(r.ok).toBe(true);
    expect(r.note).toMatch(/new 401 challenge/);
  });

  it('accepts the same from an SBC that challenges as a proxy: 407, then 403 or a new 407 (RFC 3261 §22.3)', () => {
    expect(wrongPasswordRefusal([res(407, 'a'), res(403)])).toEqual({ ok: true });
    const r = wrongPasswordRefusal([res(407, 'a'), res(407, 'b')]);
    expect(r.ok).toBe(true);
    expect(r.note).toMatch(/new 407 challenge/);
    expect(wrongPasswordRefusal([res(407, 'a'), res(407, 'b', 'true')]).ok).toBe(false);
  });

  it('accepts a second 401 that repeats the nonce, stale absent or false (RFC 7616 §3.3: the credentials are invalid)', () => {
    // Kamailio's stateless nonce repeats within the same second (test/lab/kamailio-alt.test.ts)
    expect(wrongPasswordRefusal([res(401, 'a'), res(401, 'a')]).ok).toBe(true);
    expect(wrongPasswordRefusal([res(401, 'a'), res(401, 'a', 'FALSE')]).ok).toBe(true);
  });

  it('refuses a second 401 with stale=true (right password, stale nonce), a 401 without challenge, and a 2xx', () => {
    const stale = wrongPasswordRefusal([res(401, 'a'), res(401, 'b', 'TRUE')]);
    expect(stale.ok).toBe(false);
    expect(stale.note).toMatch(/stale=true/);
    expect(wrongPasswordRefusal([res(401, 'a'), res(401, 'b', '"true"')]).ok).toBe(false);
    expect(wrongPasswordRefusal([res(401, 'a'), res(401)]).ok).toBe(false);
    expect(wrongPasswordRefusal([res(401, 'a'), res(200)]).ok).toBe(false);
    expect(wrongPasswordRefusal([res(401, 'a')]).ok).toBe(false);
    expect(wrongPasswordRefusal([]).ok).toBe(false);
  });
});

describe('T-8: RTP continuity per SSRC', () => {
  const stream = (ssrc: number, seq0: number, ts0: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      pt: 8,
      seq: (seq0 + i) & 0xffff,
      ts: ts0 + 160 * i,
      len: 160,
      ssrc,
    }));

  it('a new SSRC with new sequence numbers and timestamps is neither a loss nor a gap', () => {
    const r = rtpContinuity([...stream(1, 100, 5000, 50), ...stream(2, 40_000, 9_000_000, 50)]);
    expect(r).toEqual({ packets: 100, gaps: 0, gapTicks: [], cn: 0, lost: 0 });
  });

  it('a loss or a silence gap inside one SSRC still counts', () => {
    const s = stream(1, 100, 5000, 20);
    const lost = s.filter((p) => p.seq !== 110);
    expect(rtpContinuity(lost).lost).toBe(1);
    const gap = s.map((p, i) => (i >= 10 ? { ...p, ts: p.ts + 1600 } : p));
    expect(rtpContinuity(gap).gaps).toBe(1);
  });

  it("a gap the far phone's own sender made (slots skipped in a stall) is not the SBC's; one more is", () => {
    const withGapAt = (s: ReturnType<typeof stream>, at: number) =>
      s.map((p, i) => (i >= at ? { ...p, ts: p.ts + 1600 } : p));
    // The SBC relays the sender's gap: same sequence numbering, other SSRC and bases.
    const sent = withGapAt(stream(7, 1, 0, 40), 10);
    const relayed = withGapAt(stream(9, 500, 80_000, 40), 10);
    expect(faxContinuity(relayed, sent)).toMatchObject({ gaps: 1, farGaps: 1, sbcGaps: 0, lost: 0 });
    // A gap of the SBC's own (silence suppressed) beside it still counts.
    const both = withGapAt(relayed, 25);
    expect(faxContinuity(both, sent)).toMatchObject({ gaps: 2, farGaps: 1, sbcGaps: 1 });
    // And without a gap in what was sent, the relayed one is the SBC's.
    expect(faxContinuity(relayed, stream(7, 1, 0, 40)).sbcGaps).toBe(1);
    // A sent gap of another size (40 ms against 1 s) does not excuse it.
    const small = stream(7, 1, 0, 40).map((p, i) => (i >= 10 ? { ...p, ts: p.ts + 320 } : p));
    const big = stream(9, 500, 80_000, 40).map((p, i) => (i >= 10 ? { ...p, ts: p.ts + 8000 } : p));
    expect(faxContinuity(big, small)).toMatchObject({ gaps: 1, farGaps: 0, sbcGaps: 1 });
  });
});
