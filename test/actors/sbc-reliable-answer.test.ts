/**
 * The reference SBC's personalities answer-in-reliable-183 and require-100rel on the wire,
 * between the stand-ins. answer-in-reliable-183:
 * once the far side answers, the caller gets the SBC's SDP answer in a reliable 183 (Require:
 * 100rel, RSeq), PRACKs it, and only then gets a 200 OK without SDP (RFC 3262 §3, RFC 3261
 * §13.2.1); the call carries audio both ways on the 183's answer. A caller without 100rel in
 * Supported gets the answer in the 200, as by default. require-100rel: the SBC's INVITE toward the
 * provider requires 100rel, the provider's 180 is then reliable and the SBC PRACKs it (RFC 3262).
 */
import { describe, expect, it } from 'vitest';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import { MediaLeg } from '../../harness/actors/media-leg.ts';
import { RIG_ADDRESSES } from '../../harness/actors/sbc-stand-ins.ts';
import type { TraceEvent } from '../../harness/sip/index.ts';
import { PCMA_TE, ringThenAnswer, toneLevel, until, useSbcRigs } from '../support/sbc-rig.ts';

const { legs, rig } = useSbcRigs();

async function callThrough(support100rel: boolean, farReliable = false) {
  const r = await rig({ personalities: ['answer-in-reliable-183'] });
  const provider = ringThenAnswer(r, legs, 200, { reliable: farReliable });
  const media = await MediaLeg.open({ localAddress: RIG_ADDRESSES.oxo, prefs: PCMA_TE });
  legs.push(media);
  // The caller's SIP as it left and arrived, in order.
  const wire: Array<{ dir: 'in' | 'out'; first: string; hasBody: boolean; require: string }> = [];
  r.oxo.ua.transport.on('trace', (t: TraceEvent) => {
    const m = t.message;
    if (!m) return;
    wire.push({
      dir: t.direction,
      first: m.isRequest ? `${m.method}` : `${m.status} ${m.cseq?.method ?? ''}`,
      hasBody: m.body.length > 0,
      require: m.tokens('require').join(','),
    });
  });
  const inv = r.oxo.ua.invite({
    method: 'INVITE',
    uri: r.lanUri('0301234567'),
    body: media.createOffer(),
    support100rel,
  });
  let early: string | undefined;
  inv.on('response', (res) => {
    if (res.status === 183 && res.body.length > 0 && early === undefined) {
      early = res.bodyText;
      expect(media.acceptAnswer(early).ok).toBe(true);
    }
  });
  const out = await inv.result;
  // The 2xx's SDP is the answer only when none came reliably before it (RFC 3261 §13.2.1).
  if (early === undefined && out.status === 200 && out.response && out.response.body.length > 0)
    expect(media.acceptAnswer(out.response.bodyText).ok).toBe(true);
  return { r, out, media, provider: await provider, early, wire };
}

describe('reference SBC personality answer-in-reliable-183', () => {
  it('the answer in a reliable 183, PRACKed before the 200, which has no SDP; audio both ways on it', async () => {
    const c = await callThrough(true);
    expect(c.out.status).toBe(200);
    expect(c.out.response?.body.length).toBe(0);
    expect(c.early).toMatch(/^m=audio \d+ RTP\/AVP 8/m);
    const reliable = c.wire.findIndex((w) => w.dir === 'in' && w.first === '183 INVITE');
    const prack = c.wire.findIndex((w) => w.dir === 'out' && w.first === 'PRACK');
    const ok = c.wire.findIndex((w) => w.dir === 'in' && w.first === '200 INVITE');
    expect(c.wire[reliable]).toMatchObject({ hasBody: true, require: '100rel' });
    // RFC 3262 §3: no 2xx before the PRACK of a reliable provisional response that carried SDP.
    expect(prack).toBeGreaterThan(reliable);
    expect(ok).toBeGreaterThan(prack);
    expect(c.wire.some((w) => w.dir === 'in' && w.first === '200 PRACK')).toBe(true);
    c.provider.play(toneSource(1000, 8000));
    c.media.play(toneSource(700, 8000));
    expect(await until(() => toneLevel(c.media, 1000) > 0.05)).toBe(true);
    expect(await until(() => toneLevel(c.provider, 700) > 0.05)).toBe(true);
  });

  it('the far side’s own reliable 183 with its answer: relayed reliably, one reliable 183 only, and the 200 only after its PRACK', async () => {
    const c = await callThrough(true, true);
    expect(c.out.status).toBe(200);
    const reliable = c.wire.filter(
      (w) => w.dir === 'in' && w.first === '183 INVITE' && w.require === '100rel',
    );
    // RFC 3262 §3: no second reliable provisional before the first is PRACKed (the personality
    // stands aside: the caller already has the answer reliably).
    expect(new Set(reliable.map((w) => w.hasBody))).toEqual(new Set([true]));
    const firstReliable = c.wire.findIndex((w) => w.dir === 'in' && w.first === '183 INVITE');
    const prack = c.wire.findIndex((w) => w.dir === 'out' && w.first === 'PRACK');
    const ok = c.wire.findIndex((w) => w.dir === 'in' && w.first === '200 INVITE');
    expect(prack).toBeGreaterThan(firstReliable);
    // No 2xx before the PRACK of a reliable provisional that carried SDP (RFC 3262 §3).
    expect(ok).toBeGreaterThan(prack);
    expect(c.wire.filter((w) => w.dir === 'out' && w.first === 'PRACK')).toHaveLength(1);
  });

  it('a caller without 100rel in Supported gets no 183 and the answer in the 200, as by default', async () => {
    const c = await callThrough(false);
    expect(c.out.status).toBe(200);
    expect(c.out.response?.body.length).toBeGreaterThan(0);
    expect(c.early).toBeUndefined();
    expect(c.wire.some((w) => w.first === 'PRACK')).toBe(false);
    c.provider.play(toneSource(1000, 8000));
    expect(await until(() => toneLevel(c.media, 1000) > 0.05)).toBe(true);
  });

  it('require-100rel: the SBC’s INVITE requires 100rel, the far side’s 180 comes reliably and the SBC PRACKs it', async () => {
    const r = await rig({ personalities: ['require-100rel'] });
    const seen: Array<{ dir: string; first: string; require: string; rseq: boolean }> = [];
    r.provider.ua.transport.on('trace', (t: TraceEvent) => {
      const m = t.message;
      if (!m) return;
      seen.push({
        dir: t.direction,
        first: m.isRequest ? m.method : `${m.status} ${m.cseq?.method ?? ''}`,
        require: m.tokens('require').join(','),
        rseq: m.get('rseq') !== undefined,
      });
    });
    const provider = ringThenAnswer(r, legs, 200);
    const media = await MediaLeg.open({ localAddress: RIG_ADDRESSES.oxo, prefs: PCMA_TE });
    legs.push(media);
    const out = await r.oxo.ua.invite({
      method: 'INVITE',
      uri: r.lanUri('0301234567'),
      body: media.createOffer(),
    }).result;
    expect(out.status).toBe(200);
    await provider;
    expect(seen.find((w) => w.dir === 'in' && w.first === 'INVITE')?.require).toBe('100rel');
    expect(seen.find((w) => w.dir === 'out' && w.first === '180 INVITE')).toMatchObject({
      require: '100rel',
      rseq: true,
    });
    expect(seen.filter((w) => w.dir === 'in' && w.first === 'PRACK')).toHaveLength(1);
  });
});
