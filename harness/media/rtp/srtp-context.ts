/**
 * SRTP/SRTCP for SDES suites (RFC 3711, RFC 4568): AES_CM_128_HMAC_SHA1_80 and _32.
 *
 * What comes from werift-rtp: the key derivation (its `Context` computes the RFC 3711 §4.3
 * session keys, checked against Appendix B.3 in the tests) and SRTCP protect/unprotect (its
 * `SrtcpSession`). What is done here, and why: the SRTP transform of RTP packets, because
 * werift's cipher hard-codes the 80-bit tag (no _32 suite) and guesses the rollover counter
 * with its own heuristic inside `decrypt`, which leaves no place for the RFC 3711 §3.3
 * index estimation and replay check that must happen before authentication. The transform
 * is checked byte for byte against werift's `SrtpSession.encrypt` for the _80 suite.
 */
import {
  type Cipheriv,
  createCipheriv,
  createHmac,
  createSecretKey,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto';
import { ProtectionProfileAes128CmHmacSha1_80, SrtcpSession, SrtpSession } from 'werift-rtp';
import { commitIndex, estimateIndex, newRocState, ReplayWindow, type RocState } from './replay-window.ts';
import { type SrtpKeyMaterial, type SrtpSuite, srtpTagBytes } from './srtp-keys.ts';

/** Session keys for one direction of SRTP or SRTCP. */
export interface SrtpSessionKeys {
  /** 16-byte AES key. */
  encKey: Uint8Array;
  /** 14-byte session salt. */
  salt: Uint8Array;
  /** 20-byte HMAC-SHA1 key. */
  authKey: Uint8Array;
}

/** Derives the SRTP and SRTCP session keys from a master key (key derivation rate 0, index 0). */
export function deriveSessionKeys(
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
): { srtp: SrtpSessionKeys; srtcp: SrtpSessionKeys } {
  const k = Buffer.from(masterKey);
  const s = Buffer.from(masterSalt);
  const session = new SrtpSession({
    keys: { localMasterKey: k, localMasterSalt: s, remoteMasterKey: k, remoteMasterSalt: s },
    profile: ProtectionProfileAes128CmHmacSha1_80,
  });
  const c = session.localContext;
  return {
    srtp: {
      encKey: new Uint8Array(c.srtpSessionKey),
      salt: new Uint8Array(c.srtpSessionSalt),
      authKey: new Uint8Array(c.srtpSessionAuthTag),
    },
    srtcp: {
      encKey: new Uint8Array(c.srtcpSessionKey),
      salt: new Uint8Array(c.srtcpSessionSalt),
      authKey: new Uint8Array(c.srtcpSessionAuthTag),
    },
  };
}

/** The AES-CM IV of RFC 3711 §4.1.1: salt·2^16 XOR SSRC·2^64 XOR index·2^16. */
export function aesCmIv(salt: Uint8Array, ssrc: number, index: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.set(salt.subarray(0, 14), 0);
  iv[4]! ^= (ssrc >>> 24) & 0xff;
  iv[5]! ^= (ssrc >>> 16) & 0xff;
  iv[6]! ^= (ssrc >>> 8) & 0xff;
  iv[7]! ^= ssrc & 0xff;
  const hi = Math.floor(index / 0x1_0000_0000);
  const lo = index >>> 0;
  iv[8]! ^= (hi >>> 8) & 0xff;
  iv[9]! ^= hi & 0xff;
  iv[10]! ^= (lo >>> 24) & 0xff;
  iv[11]! ^= (lo >>> 16) & 0xff;
  iv[12]! ^= (lo >>> 8) & 0xff;
  iv[13]! ^= lo & 0xff;
  return iv;
}

/** XORs `data` with the AES-CM keystream for (ssrc, index). Also yields the raw keystream for zeros. */
export function aesCmXor(
  encKey: Uint8Array,
  salt: Uint8Array,
  ssrc: number,
  index: number,
  data: Uint8Array,
): Buffer {
  const c = createCipheriv('aes-128-ctr', encKey, aesCmIv(salt, ssrc, index));
  return Buffer.concat([c.update(data), c.final()]);
}

/** Packets whose keystream {@link AesCmKeystream} makes ahead in one call. */
const KEYSTREAM_AHEAD = 32;
/** SSRCs whose keystream ahead {@link AesCmKeystream} keeps (a leg's stream, one after a change). */
const KEYSTREAM_SSRCS = 4;

/** Keystream made ahead for one SSRC: packets start … start + count − 1, `blocks` each. */
interface KeystreamAhead {
  start: number;
  count: number;
  blocks: number;
  ks: Buffer;
}

/**
 * The AES-CM keystream of one session key (RFC 3711 §4.1.1), for the per-packet path. Block i
 * of a packet's keystream is AES(key, IV + i), and the IV of packet index n differs from that of
 * n + 1 only in the index, so one ECB cipher, made once per key, encrypts the counter blocks of
 * the next {@link KEYSTREAM_AHEAD} packets of an SSRC in one call; a stream's packets, sent or
 * received in order, then find theirs made. Node's cipher costs some microseconds a call
 * whatever its length, so a CTR cipher made per packet spent most of its time there. The
 * counter stays in the IV's last 16 bits, which are zero (index · 2^16): a packet of up to 2^16
 * blocks, more than any datagram, never carries out of them. {@link aesCmXor} is the reference
 * it is tested against.
 */
export class AesCmKeystream {
  readonly #ecb: Cipheriv;
  readonly #ahead = new Map<number, KeystreamAhead>();

  constructor(
    encKey: Uint8Array,
    private readonly salt: Uint8Array,
  ) {
    this.#ecb = createCipheriv('aes-128-ecb', encKey, null);
    this.#ecb.setAutoPadding(false);
  }

  /** `data` XOR the keystream for (ssrc, index), written to `out` at `offset`. */
  xorInto(ssrc: number, index: number, data: Uint8Array, out: Uint8Array, offset: number): void {
    const n = (data.length + 15) >>> 4;
    if (n === 0) return;
    if (n > 0x10000) throw new RangeError('AES-CM: more than 2^16 blocks in one packet');
    let a = this.#ahead.get(ssrc);
    if (!a || index < a.start || index >= a.start + a.count || n > a.blocks) {
      a = this.#make(ssrc, index, n);
      this.#ahead.delete(ssrc);
      if (this.#ahead.size >= KEYSTREAM_SSRCS) {
        const first = this.#ahead.keys().next();
        if (!first.done) this.#ahead.delete(first.value);
      }
      this.#ahead.set(ssrc, a);
    }
    const ks = a.ks;
    const at = (index - a.start) * a.blocks * 16;
    for (let i = 0; i < data.length; i++) out[offset + i] = (data[i] as number) ^ (ks[at + i] as number);
  }

  /** The keystream of packets index … index + KEYSTREAM_AHEAD − 1 of `ssrc`, `n` blocks each (fewer for a long packet). */
  #make(ssrc: number, index: number, n: number): KeystreamAhead {
    const count = Math.max(1, Math.min(KEYSTREAM_AHEAD, Math.floor(4096 / n)));
    const blocks = Buffer.allocUnsafe(count * n * 16);
    for (let p = 0; p < count; p++) {
      const iv = aesCmIv(this.salt, ssrc, index + p);
      for (let i = 0; i < n; i++) {
        const at = (p * n + i) * 16;
        for (let b = 0; b < 14; b++) blocks[at + b] = iv[b] as number;
        blocks[at + 14] = i >>> 8;
        blocks[at + 15] = i & 0xff;
      }
    }
    return { start: index, count, blocks: n, ks: this.#ecb.update(blocks) };
  }
}

/** Why an SRTP/SRTCP packet was not accepted. */
export type SrtpError = 'short' | 'malformed' | 'auth' | 'replayed' | 'too-old' | 'mki';

export type UnprotectResult =
  | { ok: true; packet: Uint8Array; index: number }
  | { ok: false; error: SrtpError };

export interface SrtpContextOptions {
  /** Replay window size in packets (RFC 3711 default 64). */
  replayWindow?: number;
  /** Most SSRCs tracked at once; the oldest is forgotten beyond this. */
  maxSsrcs?: number;
}

interface RecvState {
  roc: RocState;
  window: ReplayWindow;
}

interface SendState {
  roc: number;
  lastSeq: number;
  started: boolean;
}

/** Length of the RTP header (fixed + CSRC + extension) without looking at padding. */
function rtpHeaderLength(buf: Uint8Array, end: number): number {
  if (end < 12 || buf[0]! >> 6 !== 2) return -1;
  let off = 12 + (buf[0]! & 0x0f) * 4;
  if ((buf[0]! & 0x10) !== 0) {
    if (off + 4 > end) return -1;
    off += 4 + ((buf[off + 2]! << 8) | buf[off + 3]!) * 4;
  }
  return off <= end ? off : -1;
}

/**
 * One SRTP cryptographic context: the key of one sender (one a=crypto line). Use the local
 * key's context to protect what we send and the remote key's context to unprotect.
 */
export class SrtpContext {
  readonly tagBytes: number;
  private readonly rtpKeys: SrtpSessionKeys;
  private readonly keystream: AesCmKeystream;
  private readonly authKey: KeyObject;
  private readonly rocBytes = Buffer.alloc(4);
  private readonly rtcp: SrtcpSession;
  private readonly mki?: Buffer;
  private readonly sendStates = new Map<number, SendState>();
  private readonly recvStates = new Map<number, RecvState>();
  private readonly rtcpWindows = new Map<number, ReplayWindow>();
  private readonly windowSize: number;
  private readonly maxSsrcs: number;

  constructor(
    readonly suite: SrtpSuite,
    key: SrtpKeyMaterial,
    options: SrtpContextOptions = {},
  ) {
    if (key.masterKey.length !== 16 || key.masterSalt.length !== 14)
      throw new RangeError('SRTP key must be 16+14 bytes');
    this.tagBytes = srtpTagBytes(suite);
    this.rtpKeys = deriveSessionKeys(key.masterKey, key.masterSalt).srtp;
    this.keystream = new AesCmKeystream(this.rtpKeys.encKey, this.rtpKeys.salt);
    // A key object made once: createHmac with the raw bytes prepares a key per packet.
    this.authKey = createSecretKey(this.rtpKeys.authKey);
    const k = Buffer.from(key.masterKey);
    const s = Buffer.from(key.masterSalt);
    this.rtcp = new SrtcpSession({
      keys: { localMasterKey: k, localMasterSalt: s, remoteMasterKey: k, remoteMasterSalt: s },
      profile: ProtectionProfileAes128CmHmacSha1_80,
    });
    if (key.mki) {
      this.mki = Buffer.alloc(key.mki.length);
      this.mki.writeUIntBE(key.mki.value, 0, key.mki.length);
    }
    this.windowSize = options.replayWindow ?? 64;
    this.maxSsrcs = options.maxSsrcs ?? 256;
  }

  private tag(authenticated: Uint8Array, roc: number): Buffer {
    // The ROC's four bytes, in a buffer of the context's own: digest() has read it on return.
    this.rocBytes.writeUInt32BE(roc >>> 0);
    return createHmac('sha1', this.authKey)
      .update(authenticated)
      .update(this.rocBytes)
      .digest()
      .subarray(0, this.tagBytes);
  }

  private bound<T>(map: Map<number, T>): void {
    if (map.size > this.maxSsrcs) {
      const first = map.keys().next();
      if (!first.done) map.delete(first.value);
    }
  }

  /** Protects a plain RTP packet; returns null when the bytes are not RTP. */
  protectRtp(rtp: Uint8Array): Uint8Array | null {
    const hl = rtpHeaderLength(rtp, rtp.length);
    if (hl < 0) return null;
    const dv = new DataView(rtp.buffer, rtp.byteOffset, rtp.byteLength);
    const seq = dv.getUint16(2);
    const ssrc = dv.getUint32(8);
    let st = this.sendStates.get(ssrc);
    if (!st) {
      st = { roc: 0, lastSeq: seq, started: false };
      this.sendStates.set(ssrc, st);
      this.bound(this.sendStates);
    }
    if (st.started && seq < st.lastSeq && st.lastSeq - seq > 0x8000) st.roc = (st.roc + 1) >>> 0;
    if (!st.started || seq > st.lastSeq || st.lastSeq - seq > 0x8000) st.lastSeq = seq;
    st.started = true;
    const index = st.roc * 0x10000 + seq;
    // One buffer for the header, the encrypted payload, the MKI and the tag.
    const mkiLength = this.mki?.length ?? 0;
    const out = new Uint8Array(rtp.length + mkiLength + this.tagBytes);
    out.set(rtp.subarray(0, hl), 0);
    this.keystream.xorInto(ssrc, index, rtp.subarray(hl), out, hl);
    const body = out.subarray(0, rtp.length);
    const tag = this.tag(body, st.roc);
    if (this.mki) out.set(this.mki, rtp.length);
    out.set(tag, rtp.length + mkiLength);
    return out;
  }

  /**
   * Authenticates, replay-checks and decrypts an SRTP packet. Never throws; a packet is
   * entered into the replay window only once it authenticated.
   */
  unprotectRtp(srtp: Uint8Array): UnprotectResult {
    const trailer = this.tagBytes + (this.mki?.length ?? 0);
    const end = srtp.length - trailer;
    if (end < 12) return { ok: false, error: 'short' };
    const hl = rtpHeaderLength(srtp, end);
    if (hl < 0) return { ok: false, error: 'malformed' };
    if (this.mki && !this.mki.equals(srtp.subarray(end, end + this.mki.length)))
      return { ok: false, error: 'mki' };
    const dv = new DataView(srtp.buffer, srtp.byteOffset, srtp.byteLength);
    const seq = dv.getUint16(2);
    const ssrc = dv.getUint32(8);
    let st = this.recvStates.get(ssrc);
    const fresh = !st;
    if (!st) st = { roc: newRocState(), window: new ReplayWindow(this.windowSize) };
    const { v, index } = estimateIndex(st.roc, seq);
    const verdict = st.window.check(index);
    if (verdict !== 'new') return { ok: false, error: verdict };
    const body = srtp.subarray(0, end);
    const expected = this.tag(body, v);
    const actual = srtp.subarray(srtp.length - this.tagBytes);
    if (!timingSafeEqual(expected, actual)) return { ok: false, error: 'auth' };
    if (fresh) {
      this.recvStates.set(ssrc, st);
      this.bound(this.recvStates);
    }
    commitIndex(st.roc, v, seq);
    st.window.accept(index);
    const out = new Uint8Array(end);
    out.set(srtp.subarray(0, hl), 0);
    this.keystream.xorInto(ssrc, index, srtp.subarray(hl, end), out, hl);
    return { ok: true, packet: out, index };
  }

  /** Protects a plain (compound) RTCP packet with werift's SRTCP; null when too short. */
  protectRtcp(rtcp: Uint8Array): Uint8Array | null {
    if (rtcp.length < 8) return null;
    const out = this.rtcp.encrypt(Buffer.from(rtcp));
    if (!this.mki) return new Uint8Array(out);
    const cut = out.length - 10;
    return new Uint8Array(Buffer.concat([out.subarray(0, cut), this.mki, out.subarray(cut)]));
  }

  /** Authenticates, replay-checks (SRTCP index) and decrypts an SRTCP packet. Never throws. */
  unprotectRtcp(srtcp: Uint8Array): UnprotectResult {
    const mkiLen = this.mki?.length ?? 0;
    if (srtcp.length < 8 + 4 + mkiLen + 10) return { ok: false, error: 'short' };
    let buf = Buffer.from(srtcp);
    if (this.mki) {
      const at = buf.length - 10 - mkiLen;
      if (!this.mki.equals(buf.subarray(at, at + mkiLen))) return { ok: false, error: 'mki' };
      buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + mkiLen)]);
    }
    const ssrc = buf.readUInt32BE(4);
    const index = buf.readUInt32BE(buf.length - 14) & 0x7fffffff;
    let win = this.rtcpWindows.get(ssrc);
    const fresh = !win;
    if (!win) win = new ReplayWindow(this.windowSize);
    const verdict = win.check(index);
    if (verdict !== 'new') return { ok: false, error: verdict };
    let plain: Buffer;
    try {
      plain = this.rtcp.decrypt(buf);
    } catch {
      return { ok: false, error: 'auth' };
    }
    if (fresh) {
      this.rtcpWindows.set(ssrc, win);
      this.bound(this.rtcpWindows);
    }
    win.accept(index);
    return { ok: true, packet: new Uint8Array(plain), index };
  }
}
