/**
 * The pure rules behind rows of docs/tolerances.md: what T-4 accepts as the refusal of a wrong
 * password, and how T-8 counts RTP continuity across a change of SSRC. The whole-plan proof is
 * test/scenarios/personalities.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { rtpContinuity, wrongPasswordRefusal } from '../../scenarios/trunk.ts';

function res(status: number, nonce?: string) {
  return {
    status,
    get: (name: string) =>
      name === 'www-authenticate' && nonce
        ? `Digest realm="sbc.lan", nonce="${nonce}", algorithm=MD5`
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

  it('refuses a second 401 that replays the nonce, a 401 without challenge, and a 2xx', () => {
    expect(wrongPasswordRefusal([res(401, 'a'), res(401, 'a')]).ok).toBe(false);
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
    expect(r).toEqual({ packets: 100, gaps: 0, cn: 0, lost: 0 });
  });

  it('a loss or a silence gap inside one SSRC still counts', () => {
    const s = stream(1, 100, 5000, 20);
    const lost = s.filter((p) => p.seq !== 110);
    expect(rtpContinuity(lost).lost).toBe(1);
    const gap = s.map((p, i) => (i >= 10 ? { ...p, ts: p.ts + 1600 } : p));
    expect(rtpContinuity(gap).gaps).toBe(1);
  });
});
