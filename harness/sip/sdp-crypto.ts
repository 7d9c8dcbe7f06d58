/**
 * SDES (RFC 4568) crypto suites: which ones we know, and master key generation for them.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import type { SdpCrypto, SdpCryptoKey } from './sdp.ts';

/** Master key and salt lengths in bytes per SDES suite (RFC 4568 §6.2, RFC 6188, RFC 7714 §12). */
export const SRTP_SUITES: ReadonlyMap<string, { keyBytes: number; saltBytes: number }> = new Map([
  ['AES_CM_128_HMAC_SHA1_80', { keyBytes: 16, saltBytes: 14 }],
  ['AES_CM_128_HMAC_SHA1_32', { keyBytes: 16, saltBytes: 14 }],
  ['AES_192_CM_HMAC_SHA1_80', { keyBytes: 24, saltBytes: 14 }],
  ['AES_192_CM_HMAC_SHA1_32', { keyBytes: 24, saltBytes: 14 }],
  ['AES_256_CM_HMAC_SHA1_80', { keyBytes: 32, saltBytes: 14 }],
  ['AES_256_CM_HMAC_SHA1_32', { keyBytes: 32, saltBytes: 14 }],
  ['AEAD_AES_128_GCM', { keyBytes: 16, saltBytes: 12 }],
  ['AEAD_AES_256_GCM', { keyBytes: 32, saltBytes: 12 }],
]);

/** A source of random bytes (injectable for tests). */
export type RandomBytes = (n: number) => Uint8Array;

/** Generates an inline key (base64 of key||salt) for a suite; undefined for an unknown suite. */
export function generateCryptoKey(
  suite: string,
  random: RandomBytes = nodeRandomBytes,
): SdpCryptoKey | undefined {
  const s = SRTP_SUITES.get(suite);
  if (!s) return undefined;
  const bytes = random(s.keyBytes + s.saltBytes);
  return { method: 'inline', key: Buffer.from(bytes).toString('base64') };
}

/** True when a crypto line names a known suite and carries an inline key of the right length. */
export function isUsableCrypto(c: SdpCrypto): boolean {
  const s = SRTP_SUITES.get(c.suite);
  const k = c.keys[0];
  if (!s || !k || k.method !== 'inline') return false;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(k.key)) return false;
  return Buffer.from(k.key, 'base64').length === s.keyBytes + s.saltBytes;
}

/** Decodes a crypto key's base64 into master key and salt for its suite, or undefined when unusable. */
export function decodeCryptoKey(c: SdpCrypto): { masterKey: Uint8Array; masterSalt: Uint8Array } | undefined {
  if (!isUsableCrypto(c)) return undefined;
  const s = SRTP_SUITES.get(c.suite) as { keyBytes: number; saltBytes: number };
  const raw = Buffer.from((c.keys[0] as SdpCryptoKey).key, 'base64');
  return { masterKey: raw.subarray(0, s.keyBytes), masterSalt: raw.subarray(s.keyBytes) };
}
