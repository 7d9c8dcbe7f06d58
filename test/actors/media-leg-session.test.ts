/**
 * MediaLeg session behaviour on loopback: SRTP both ways (and a key mismatch), hold and
 * resume by re-offer with the direction semantics, retargeting to a new media address,
 * and bad input (malformed SDP, garbage datagrams).
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { detectMoh, mohSource, PcmQueueSource, toneSource } from '../../harness/actors/audio-sources.ts';
import { MediaLeg, type MediaPrefs } from '../../harness/actors/media-leg.ts';
import { analyseTone } from '../../harness/media/analysis/index.ts';
import { parseRtp } from '../../harness/media/rtp/index.ts';
import { parseSdp } from '../../harness/sip/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const legs: MediaLeg[] = [];
afterEach(async () => {
  await Promise.all(legs.splice(0).map((l) => l.close()));
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function pump(vc: VirtualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    vc.advance(10);
    await tick();
  }
  await sleep(20);
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
}

async function open(vc: VirtualClock, address: string, prefs: MediaPrefs, name: string): Promise<MediaLeg> {
  const leg = await MediaLeg.open({ localAddress: address, prefs, clock: vc, name, rtcpIntervalMs: 0 });
  legs.push(leg);
  return leg;
}

/** One offer/answer exchange from `offerer` to `answerer`; the answer may be rewritten. */
async function exchange(
  offerer: MediaLeg,
  answerer: MediaLeg,
  direction: 'sendrecv' | 'sendonly' | 'inactive' = 'sendrecv',
  rewriteAnswer: (sdp: string) => string = (s) => s,
): Promise<{ offer: string; answer: string }> {
  const offer = offerer.createOffer(direction);
  const r = answerer.acceptOffer(offer);
  if (!r.ok) throw new Error(r.reason);
  const answer = rewriteAnswer(r.answer);
  const done = offerer.acceptAnswer(answer);
  if (!done.ok) throw new Error(done.reason);
  await offerer.ready();
  await answerer.ready();
  return { offer, answer };
}

const plain: MediaPrefs = { codecs: ['PCMA'], telephoneEvent: true };
const tone = (leg: MediaLeg, hz: number) => {
  const rx = leg.receivedAudio();
  return analyseTone(rx.samples, rx.sampleRate, { expectedHz: hz, start: 1600 });
};

describe('MediaLeg SRTP', () => {
  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
    it(`${suite}: audio both ways over RTP/SAVP, nothing readable in clear`, async () => {
      const vc = new VirtualClock();
      const prefs: MediaPrefs = { ...plain, srtp: suite };
      const a = await open(vc, '127.0.83.1', prefs, 'A');
      const b = await open(vc, '127.0.83.2', prefs, 'B');
      const { offer, answer } = await exchange(a, b);
      expect(offer).toContain('RTP/SAVP');
      expect(answer).toContain(`a=crypto:1 ${suite} inline:`);
      expect(a.negotiated?.srtpSuite).toBe(suite);
      expect(b.negotiated?.srtpSuite).toBe(suite);
      a.play(toneSource(1000, 8000, -13, 600));
      b.play(toneSource(1500, 8000, -13, 600));
      await pump(vc, 700);
      await until(() => a.stats().received >= 30 && b.stats().received >= 30);
      expect(tone(b, 1000).present).toBe(true);
      expect(tone(a, 1500).present).toBe(true);
      for (const leg of [a, b]) {
        expect(leg.details().srtpAuthFailed).toBe(0);
        expect(leg.stats().received).toBe(30);
      }
      // On the wire the payload is longer by the auth tag and is not the A-law of the tone.
      const sent = a.evidence().find((r) => r.direction === 'sent' && r.channel === 'rtp');
      expect(sent).toBeDefined();
      const p = parseRtp(sent!.bytes);
      expect(p.ok).toBe(true);
      if (p.ok) expect(p.packet.payload.length).toBe(160 + (suite.endsWith('_80') ? 10 : 4));
    });
  }

  it('a key mismatch yields no decoded audio, only counted authentication failures', async () => {
    const vc = new VirtualClock();
    const prefs: MediaPrefs = { ...plain, srtp: 'AES_CM_128_HMAC_SHA1_80' };
    const a = await open(vc, '127.0.83.1', prefs, 'A');
    const b = await open(vc, '127.0.83.2', prefs, 'B');
    const wrongKey = Buffer.alloc(30, 7).toString('base64');
    // A is told a key B does not use: A cannot authenticate B's packets; B reads A's fine.
    await exchange(a, b, 'sendrecv', (sdp) => sdp.replace(/inline:[A-Za-z0-9+/=]+/, `inline:${wrongKey}`));
    a.play(toneSource(1000, 8000, -13, 400));
    b.play(toneSource(1500, 8000, -13, 400));
    await pump(vc, 500);
    await until(() => b.stats().received >= 20 && a.details().srtpAuthFailed >= 20);
    expect(a.details().srtpAuthFailed).toBe(20);
    expect(a.stats().received).toBe(0);
    expect(a.receivedAudio().samples.length).toBe(0);
    expect(b.details().srtpAuthFailed).toBe(0);
    expect(tone(b, 1000).present).toBe(true);
  });

  it('refuses SRTP offers without SRTP configured, and plain offers when SRTP is required', async () => {
    const vc = new VirtualClock();
    const s = await open(vc, '127.0.83.1', { ...plain, srtp: 'AES_CM_128_HMAC_SHA1_80' }, 'S');
    const p = await open(vc, '127.0.83.2', plain, 'P');
    const r1 = p.acceptOffer(s.createOffer());
    expect(r1.ok).toBe(false);
    if (!r1.ok) expect(r1.reason).toMatch(/SAVP/);
    const r2 = s.acceptOffer(p.createOffer());
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.reason).toMatch(/SRTP is required/);
  });
});

describe('MediaLeg hold, resume and retarget', () => {
  it('sendonly offer → recvonly answer: the holder keeps sending music, the held side stops', async () => {
    const vc = new VirtualClock();
    const a = await open(vc, '127.0.83.1', plain, 'A');
    const b = await open(vc, '127.0.83.2', plain, 'B');
    const first = await exchange(a, b);
    b.play(toneSource(1500, 8000, -13));
    // Packets leave at 0, 20, … 180 ms: ten of them.
    await pump(vc, 190);
    await until(() => a.stats().received >= 10);
    expect(a.stats().received).toBe(10);

    // A puts B on hold and plays music on hold.
    const hold = await exchange(a, b, 'sendonly');
    expect(hold.answer).toContain('a=recvonly');
    expect(a.negotiated?.direction).toBe('sendonly');
    expect(b.negotiated?.direction).toBe('recvonly');
    const v1 = parseSdp(first.offer);
    const v2 = parseSdp(hold.offer);
    expect(v1.ok && v2.ok).toBe(true);
    if (v1.ok && v2.ok) {
      expect(v2.value.origin.sessionId).toBe(v1.value.origin.sessionId);
      expect(BigInt(v2.value.origin.sessionVersion)).toBe(BigInt(v1.value.origin.sessionVersion) + 1n);
    }
    const beforeHold = a.stats().received;
    b.clearReceived();
    a.play(mohSource(8000));
    await pump(vc, 1500);
    await until(() => b.stats().received >= 75);
    expect(a.stats().received).toBe(beforeHold);
    expect(b.details().sendSuppressed).toBeGreaterThanOrEqual(70);
    const moh = b.receivedAudio();
    expect(detectMoh(moh.samples, moh.sampleRate).present).toBe(true);
    expect(b.details().unexpectedPackets).toBe(0);

    // Resume: both ways again; B's tone reaches A, A's music still reaches B.
    const resume = await exchange(a, b, 'sendrecv');
    expect(resume.answer).toContain('a=sendrecv');
    expect(b.negotiated?.direction).toBe('sendrecv');
    a.clearReceived();
    await pump(vc, 600);
    await until(() => a.stats().received >= beforeHold + 30);
    expect(a.stats().received).toBe(beforeHold + 30);
    expect(tone(a, 1500).present).toBe(true);
  });

  it('an inactive re-offer stops media both ways; a peer that ignores it is counted', async () => {
    const vc = new VirtualClock();
    const a = await open(vc, '127.0.83.1', plain, 'A');
    const b = await open(vc, '127.0.83.2', plain, 'B');
    await exchange(a, b);
    await exchange(a, b, 'inactive');
    expect(a.negotiated?.direction).toBe('inactive');
    expect(b.negotiated?.direction).toBe('inactive');
    a.play(toneSource(1000, 8000, -13, 200));
    await pump(vc, 300);
    expect(b.stats().received).toBe(0);
    // A misbehaving peer sends anyway: the packets are recorded and counted as unexpected.
    const rogue = createSocket('udp4');
    await new Promise<void>((r) => rogue.bind(0, '127.0.83.9', () => r()));
    const pkt = Buffer.from([0x80, 8, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, ...new Array(160).fill(0xd5)]);
    await new Promise<void>((r) => rogue.send(pkt, b.local.port, '127.0.83.2', () => r()));
    await until(() => b.stats().received >= 1);
    rogue.close();
    expect(b.stats().received).toBe(1);
    expect(b.details().unexpectedPackets).toBe(1);
  });

  it('a re-offer from a new media address retargets RTP', async () => {
    const vc = new VirtualClock();
    const a = await open(vc, '127.0.83.1', plain, 'A');
    const b = await open(vc, '127.0.83.2', plain, 'B');
    const c = await open(vc, '127.0.83.3', plain, 'C');
    await exchange(a, b);
    a.play(toneSource(1000, 8000, -13));
    await pump(vc, 390);
    await until(() => b.stats().received >= 20);
    const atB = b.stats().received;
    expect(atB).toBe(20);
    // The peer's media moves (e.g. after a transfer): the re-INVITE offer comes from C.
    await exchange(c, a);
    expect(a.negotiated?.remote).toEqual(c.local);
    await pump(vc, 400);
    await until(() => c.stats().received >= 20);
    a.stopPlaying();
    expect(c.stats().received).toBe(20);
    expect(b.stats().received).toBe(atB);
    expect(tone(c, 1000).present).toBe(true);
  });
});

describe('MediaLeg bridging', () => {
  it("onAudio feeds a PcmQueueSource: B's received audio, replayed by C, reaches D", async () => {
    const vc = new VirtualClock();
    const a = await open(vc, '127.0.83.1', plain, 'A');
    const b = await open(vc, '127.0.83.2', { codecs: ['G722', 'PCMA'], telephoneEvent: false }, 'B');
    const c = await open(vc, '127.0.83.3', { codecs: ['G722', 'PCMU'], telephoneEvent: false }, 'C');
    const d = await open(vc, '127.0.83.4', { codecs: ['PCMU'], telephoneEvent: false }, 'D');
    await exchange(a, b, 'sendrecv');
    expect(b.negotiated?.codec).toBe('PCMA');
    await exchange(c, d);
    expect(c.negotiated?.codec).toBe('PCMU');
    const relay = new PcmQueueSource(16000);
    const stop = b.onAudio((pcm, rate) => {
      expect(rate).toBe(16000);
      relay.push(pcm);
    });
    c.play(relay);
    a.play(toneSource(700, 8000, -13, 600));
    await pump(vc, 800);
    await until(() => d.stats().received >= 38);
    stop();
    expect(relay.dropped).toBe(0);
    const rx = d.receivedAudio();
    const t = analyseTone(rx.samples, rx.sampleRate, { expectedHz: 700, start: 3200 });
    expect(t.present).toBe(true);
    expect(Math.abs(t.frequencyHz - 700)).toBeLessThan(3);
  });
});

describe('MediaLeg bad input', () => {
  it('glare: after answering the peer, our own outstanding offer is forgotten', async () => {
    const vc = new VirtualClock();
    const a = await open(vc, '127.0.83.1', plain, 'A');
    const b = await open(vc, '127.0.83.2', plain, 'B');
    a.createOffer();
    const r = a.acceptOffer(b.createOffer());
    expect(r.ok).toBe(true);
    if (r.ok) expect(b.acceptAnswer(r.answer).ok).toBe(true);
    // An answer arriving for A's lost offer is refused as out of order.
    const stray = r.ok ? a.acceptAnswer(r.answer) : { ok: true as const };
    expect(stray.ok).toBe(false);
    if (!stray.ok) expect(stray.reason).toMatch(/no offer/);
  });

  it('malformed SDP and out-of-order calls return reasons instead of throwing', async () => {
    const vc = new VirtualClock();
    const a = await open(vc, '127.0.83.1', plain, 'A');
    const r1 = a.acceptOffer('this is not SDP');
    expect(r1.ok).toBe(false);
    const r2 = a.acceptAnswer('v=0\r\n');
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.reason).toMatch(/no offer/);
    a.createOffer();
    const r3 = a.acceptAnswer('garbage');
    expect(r3.ok).toBe(false);
    expect(a.negotiated).toBeUndefined();
  });

  it('garbage datagrams are counted, not thrown, and do not disturb audio', async () => {
    const vc = new VirtualClock();
    const a = await open(vc, '127.0.83.1', plain, 'A');
    const b = await open(vc, '127.0.83.2', plain, 'B');
    await exchange(a, b);
    const rogue = createSocket('udp4');
    await new Promise<void>((r) => rogue.bind(0, '127.0.83.9', () => r()));
    const junk = [
      Buffer.from([1, 2, 3]),
      Buffer.alloc(40, 0xff),
      Buffer.from([0x80, 0x7f, 0, 1, 0, 0, 0, 0]),
    ];
    for (const j of junk)
      await new Promise<void>((r) => rogue.send(j, b.local.port, '127.0.83.2', () => r()));
    a.play(toneSource(1000, 8000, -13, 400));
    await pump(vc, 500);
    await until(() => b.stats().received >= 20 && b.details().malformedPackets >= 3);
    rogue.close();
    expect(b.details().malformedPackets).toBe(3);
    expect(b.stats().received).toBe(20);
    expect(tone(b, 1000).present).toBe(true);
  });
});
