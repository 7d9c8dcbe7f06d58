/**
 * SDES key material (RFC 4568 §6.1): the `inline:` key parameter of an a=crypto line,
 * and the crypto suites the harness speaks.
 */

/** SDES crypto suites supported for SRTP. */
export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

/** All supported suites, strongest first. */
export const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

/** SRTP authentication tag bytes per suite (SRTCP always uses 10: RFC 4568 §6.2). */
export function srtpTagBytes(suite: SrtpSuite): number {
  return suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : 10;
}

/** A decoded SDES inline key. */
export interface SrtpKeyMaterial {
  masterKey: Uint8Array;
  masterSalt: Uint8Array;
  /** Master key lifetime in packets, when given. */
  lifetime?: number;
  /** MKI value and its length in bytes, when given ("|1:4"). */
  mki?: { value: number; length: number };
}

export type InlineKeyError = 'not-inline' | 'bad-base64' | 'bad-length' | 'bad-lifetime' | 'bad-mki';

/**
 * Parses `inline:<base64 key||salt>[|lifetime][|MKI:length]` (the "inline:" prefix is
 * optional). 128-bit suites need 16 key + 14 salt bytes. Never throws.
 */
export function parseInlineKey(
  param: string,
): { ok: true; key: SrtpKeyMaterial } | { ok: false; error: InlineKeyError } {
  const text = param.trim().replace(/^inline:/i, '');
  const [b64 = '', ...rest] = text.split('|');
  if (b64.length === 0) return { ok: false, error: 'not-inline' };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return { ok: false, error: 'bad-base64' };
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== 30) return { ok: false, error: 'bad-length' };
  const key: SrtpKeyMaterial = {
    masterKey: new Uint8Array(bytes.subarray(0, 16)),
    masterSalt: new Uint8Array(bytes.subarray(16, 30)),
  };
  for (const part of rest) {
    if (part.includes(':')) {
      const m = /^(\d+):(\d+)$/.exec(part);
      if (!m) return { ok: false, error: 'bad-mki' };
      const length = Number(m[2]);
      const value = Number(m[1]);
      if (length < 1 || length > 4 || value >= 2 ** (8 * length)) return { ok: false, error: 'bad-mki' };
      key.mki = { value, length };
    } else {
      const m = /^(?:2\^(\d+)|(\d+))$/.exec(part);
      if (!m) return { ok: false, error: 'bad-lifetime' };
      key.lifetime = m[1] !== undefined ? 2 ** Number(m[1]) : Number(m[2]);
    }
  }
  return { ok: true, key };
}

/** Formats key material as an inline key parameter (for our own a=crypto offers). */
export function formatInlineKey(key: SrtpKeyMaterial): string {
  let s = `inline:${Buffer.concat([key.masterKey, key.masterSalt]).toString('base64')}`;
  if (key.lifetime !== undefined) s += `|${key.lifetime}`;
  if (key.mki) s += `|${key.mki.value}:${key.mki.length}`;
  return s;
}

/** Fresh random key material (crypto-strength). */
export function randomKeyMaterial(): SrtpKeyMaterial {
  const b = crypto.getRandomValues(new Uint8Array(30));
  return { masterKey: b.subarray(0, 16), masterSalt: b.subarray(16, 30) };
}
