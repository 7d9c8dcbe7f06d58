import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtectionProfileAes128CmHmacSha1_80, RtpHeader, SrtpSession } from 'werift-rtp';
import {
  AesCmKeystream,
  aesCmXor,
  buildRtp,
  deriveSessionKeys,
  estimateIndex,
  formatInlineKey,
  newRocState,
  parseInlineKey,
  ReplayWindow,
  RtpReceiver,
  SrtpContext,
  type SrtpSuite,
} from '../../harness/media/rtp/index.ts';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

describe('RFC 3711 Appendix B test vectors', () => {
  it('B.2 AES-CM keystream', () => {
    const ks = aesCmXor(
      hex('2B7E151628AED2A6ABF7158809CF4F3C'),
      hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'),
      0,
      0,
      new Uint8Array(48),
    );
    expect(toHex(ks.subarray(0, 48))).toBe(
      'E03EAD0935C95E80E166B16DD92B4EB4' +
        'D23513162B02D0F72A43A2FE4A5F97AB' +
        '41E95B3BB0A2E8DD477901E4FCA894C0',
    );
    // The last three blocks of the vector are at counter 0xFEFF..0xFF01, reached with a full-length run.
    const full = aesCmXor(
      hex('2B7E151628AED2A6ABF7158809CF4F3C'),
      hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'),
      0,
      0,
      new Uint8Array(0xff02 * 16),
    );
    expect(toHex(full.subarray(0xfeff * 16, 0xff02 * 16))).toBe(
      'EC8CDF7398607CB0F2D21675EA9EA1E4' +
        '362B7C3C6773516318A077D7FC5073AE' +
        '6A2CC3787889374FBEB4C81B17BA6C44',
    );
  });

  it('the keystream made ahead for a stream equals the reference, in any order of SSRCs, indices and lengths (property)', () => {
    const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
    const salt = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD');
    const step = fc.record({
      ssrc: fc.constantFrom(0, 0x1234_5678, 0xffff_ffff, 7, 9, 11),
      // Mostly the next packet, sometimes back (reordered), far ahead, or past a ROC.
      jump: fc.oneof(fc.constant(1), fc.integer({ min: -40, max: 80 }), fc.constant(0x1_0000)),
      length: fc.oneof(fc.constant(160), fc.integer({ min: 0, max: 1500 })),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 120 }), (steps) => {
        const ks = new AesCmKeystream(key, salt);
        const next = new Map<number, number>();
        for (const { ssrc, jump, length } of steps) {
          const index = Math.max(0, (next.get(ssrc) ?? 100) + jump);
          next.set(ssrc, index);
          const data = new Uint8Array(length).map((_, i) => (i * 31 + index) & 0xff);
          const out = new Uint8Array(length + 12).fill(0xaa);
          ks.xorInto(ssrc, index, data, out, 12);
          expect(toHex(out.subarray(0, 12))).toBe('AA'.repeat(12));
          expect(toHex(out.subarray(12))).toBe(toHex(aesCmXor(key, salt, ssrc, index, data)));
        }
      }),
      { numRuns: 60 },
    );
    // Near the top of the 48-bit index (ROC · 2^16 + SEQ), where the IV's index bytes are all set.
    const ks = new AesCmKeystream(key, salt);
    for (const index of [2 ** 48 - 40, 2 ** 48 - 2, 2 ** 48 - 1, 2 ** 32, 2 ** 32 - 1]) {
      const data = new Uint8Array(172).map((_, i) => i);
      const out = new Uint8Array(172);
      ks.xorInto(0xdead_beef, index, data, out, 0);
      expect(toHex(out)).toBe(toHex(aesCmXor(key, salt, 0xdead_beef, index, data)));
    }
  });

  it('B.3 key derivation', () => {
    const k = deriveSessionKeys(hex('E1F97A0D3E018BE0D64FA32C06DE4139'), hex('0EC675AD498AFEEBB6960B3AABE6'));
    expect(toHex(k.srtp.encKey)).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(toHex(k.srtp.salt)).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(toHex(k.srtp.authKey)).toBe('CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  });
});

const master = {
  masterKey: hex('E1F97A0D3E018BE0D64FA32C06DE4139'),
  masterSalt: hex('0EC675AD498AFEEBB6960B3AABE6'),
};

describe('SRTP protect/unprotect', () => {
  it('matches werift-rtp byte for byte for AES_CM_128_HMAC_SHA1_80, across a sequence wrap', () => {
    const ours = new SrtpContext('AES_CM_128_HMAC_SHA1_80', master);
    const k = Buffer.from(master.masterKey);
    const s = Buffer.from(master.masterSalt);
    const ref = new SrtpSession({
      keys: { localMasterKey: k, localMasterSalt: s, remoteMasterKey: k, remoteMasterSalt: s },
      profile: ProtectionProfileAes128CmHmacSha1_80,
    });
    for (let i = 0; i < 40; i++) {
      const seq = (65520 + i) & 0xffff;
      const payload = new Uint8Array(160).fill(i);
      const a = ours.protectRtp(
        buildRtp({ payloadType: 8, sequenceNumber: seq, timestamp: i * 160, ssrc: 0xcafe, payload }),
      )!;
      const b = ref.encrypt(
        Buffer.from(payload),
        new RtpHeader({ payloadType: 8, sequenceNumber: seq, timestamp: i * 160, ssrc: 0xcafe }),
      );
      expect(toHex(a)).toBe(toHex(b));
    }
  });

  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as SrtpSuite[]) {
    it(`round-trips ${suite} through a rollover and rejects a replay`, () => {
      const key = parseInlineKey(formatInlineKey(master));
      expect(key.ok).toBe(true);
      if (!key.ok) return;
      const tx = new SrtpContext(suite, key.key);
      const rx = new SrtpContext(suite, key.key);
      const tag = suite.endsWith('_32') ? 4 : 10;
      let last: Uint8Array | undefined;
      for (let i = 0; i < 200; i++) {
        const plain = buildRtp({
          payloadType: 0,
          sequenceNumber: (65436 + i) & 0xffff,
          timestamp: i * 160,
          ssrc: 7,
          payload: new Uint8Array(160).fill(i),
        });
        const wire = tx.protectRtp(plain)!;
        expect(wire.length).toBe(plain.length + tag);
        const r = rx.unprotectRtp(wire);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(toHex(r.packet)).toBe(toHex(plain));
          expect(r.index).toBe(65436 + i);
        }
        last = wire;
      }
      const again = rx.unprotectRtp(last!);
      expect(again).toEqual({ ok: false, error: 'replayed' });
      const flipped = last!.slice();
      flipped[20]! ^= 1;
      expect(rx.unprotectRtp(flipped)).toEqual({ ok: false, error: 'replayed' });
    });
  }

  it('rejects a tampered packet as an authentication failure and does not move the window', () => {
    const tx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', master);
    const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', master);
    const p1 = tx.protectRtp(
      buildRtp({ payloadType: 0, sequenceNumber: 10, timestamp: 0, ssrc: 1, payload: new Uint8Array(20) }),
    )!;
    const p2 = tx.protectRtp(
      buildRtp({ payloadType: 0, sequenceNumber: 11, timestamp: 160, ssrc: 1, payload: new Uint8Array(20) }),
    )!;
    const bad = p2.slice();
    bad[15]! ^= 0x80;
    expect(rx.unprotectRtp(bad)).toEqual({ ok: false, error: 'auth' });
    expect(rx.unprotectRtp(p2).ok).toBe(true);
    // Out of order but inside the window: accepted once.
    expect(rx.unprotectRtp(p1).ok).toBe(true);
    expect(rx.unprotectRtp(p1)).toEqual({ ok: false, error: 'replayed' });
  });

  it('SRTCP round trip (werift) with its own replay check', () => {
    const tx = new SrtpContext('AES_CM_128_HMAC_SHA1_32', master);
    const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_32', master);
    const rr = hex('81c90007 000004d2 00000007 05000003 0000ffff 00000010 00000000 00000000');
    const w = tx.protectRtcp(rr)!;
    expect(w.length).toBe(rr.length + 4 + 10);
    const r = rx.unprotectRtcp(w);
    expect(r.ok && toHex(r.packet)).toBe(toHex(rr));
    expect(rx.unprotectRtcp(w)).toEqual({ ok: false, error: 'replayed' });
    const bad = tx.protectRtcp(rr)!;
    bad[9]! ^= 1;
    expect(rx.unprotectRtcp(bad)).toEqual({ ok: false, error: 'auth' });
  });

  it('counts replayed and unauthenticated packets in the receiver instead of throwing', () => {
    const tx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', master);
    const rx = new RtpReceiver({ srtp: new SrtpContext('AES_CM_128_HMAC_SHA1_80', master) });
    const w = tx.protectRtp(
      buildRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: new Uint8Array(160) }),
    )!;
    rx.receive(w, 0);
    rx.receive(w, 1);
    rx.receive(w.slice(0, 20), 2);
    const other = new SrtpContext('AES_CM_128_HMAC_SHA1_80', {
      masterKey: new Uint8Array(16),
      masterSalt: new Uint8Array(14),
    });
    rx.receive(
      other.protectRtp(
        buildRtp({
          payloadType: 0,
          sequenceNumber: 2,
          timestamp: 160,
          ssrc: 1,
          payload: new Uint8Array(160),
        }),
      )!,
      3,
    );
    expect(rx.counters).toMatchObject({
      datagrams: 4,
      accepted: 1,
      srtpReplayed: 1,
      srtpMalformed: 1,
      srtpAuthFailed: 1,
    });
  });
});

describe('replay window and index estimation', () => {
  it('behaves like a set of the last 64 indices (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 300 }), (indices) => {
        const w = new ReplayWindow(64);
        const seen = new Set<number>();
        let highest = -1;
        for (const i of indices) {
          const v = w.check(i);
          const model = highest >= 0 && i <= highest - 64 ? 'too-old' : seen.has(i) ? 'replayed' : 'new';
          expect(v).toBe(model);
          if (v === 'new') {
            w.accept(i);
            seen.add(i);
            highest = Math.max(highest, i);
          }
        }
      }),
    );
  });

  it('estimates the ROC around a wrap (RFC 3711 §3.3.1)', () => {
    const st = newRocState();
    st.initialised = true;
    st.roc = 5;
    st.sl = 65500;
    expect(estimateIndex(st, 10)).toEqual({ v: 6, index: 6 * 65536 + 10 });
    expect(estimateIndex(st, 65000)).toEqual({ v: 5, index: 5 * 65536 + 65000 });
    st.sl = 20;
    expect(estimateIndex(st, 65530)).toEqual({ v: 4, index: 4 * 65536 + 65530 });
    expect(estimateIndex(st, 30)).toEqual({ v: 5, index: 5 * 65536 + 30 });
  });

  it('parses a=crypto inline keys and refuses malformed ones', () => {
    const r = parseInlineKey('inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4');
    expect(r.ok && r.key.lifetime).toBe(2 ** 20);
    expect(r.ok && r.key.mki).toEqual({ value: 1, length: 4 });
    expect(parseInlineKey('inline:abc')).toEqual({ ok: false, error: 'bad-length' });
    expect(parseInlineKey('inline:!!!')).toEqual({ ok: false, error: 'bad-base64' });
    expect(parseInlineKey('inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|x')).toEqual({
      ok: false,
      error: 'bad-lifetime',
    });
  });
});
