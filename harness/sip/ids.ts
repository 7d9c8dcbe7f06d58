/** Random identifiers: tags, Call-IDs and RFC 3261 branch values (magic cookie "z9hG4bK"). */
import { randomFillSync } from 'node:crypto';

export const BRANCH_COOKIE = 'z9hG4bK';

/**
 * 64 symbols, one per 6 random bits: the base64url alphabet with "-" and "_" written as "x"
 * (tokens that any SIP header, URI or log can carry without quoting).
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789xx';

/**
 * Random bytes fetched from the CSPRNG in batches (one system call per ~1000 identifiers, not per
 * identifier), each turned at once into its ALPHABET character: an identifier is then one flat
 * string cut from the pool (`latin1` decoding), not a string grown one character at a time.
 */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;
const SYMBOL = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

/** `chars` random characters of ALPHABET, 6 bits of entropy each. */
function token(chars: number): string {
  if (poolUsed + chars > pool.length) {
    randomFillSync(pool);
    for (let i = 0; i < pool.length; i++) pool[i] = SYMBOL[pool[i]! & 63]!;
    poolUsed = 0;
  }
  const s = pool.toString('latin1', poolUsed, poolUsed + chars);
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
