/** Random identifiers: tags, Call-IDs and RFC 3261 branch values (magic cookie "z9hG4bK"). */
import { randomFillSync } from 'node:crypto';

export const BRANCH_COOKIE = 'z9hG4bK';

/**
 * 64 symbols, one per 6 random bits: the base64url alphabet with "-" and "_" written as "x"
 * (tokens that any SIP header, URI or log can carry without quoting).
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789xx';

/** Random bytes fetched from the CSPRNG in batches: one system call per ~1000 identifiers, not per identifier. */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

/** `chars` random characters of ALPHABET, 6 bits of entropy each. */
function token(chars: number): string {
  if (poolUsed + chars > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  let s = '';
  for (let i = 0; i < chars; i++) s += ALPHABET[pool[poolUsed + i]! & 63];
  // Spent bytes are overwritten at the next refill; none is used twice.
  poolUsed += chars;
  return s;
}

/** A branch with the RFC 3261 magic cookie and 96 random bits. */
export function newBranch(): string {
  return `${BRANCH_COOKIE}${token(16)}`;
}

/** A From/To tag with 66 random bits. */
export function newTag(): string {
  return token(11);
}

/** A Call-ID with 132 random bits, `random@host` when a host is given. */
export function newCallId(host?: string): string {
  return host ? `${token(22)}@${host}` : token(22);
}
