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

/**
 * Slot numbers a branch can carry (see `slotBranch`): four characters of 5 bits each, written
 * from the first 32 symbols of ALPHABET ("A"–"Z", "a"–"f").
 */
export const BRANCH_SLOTS = 32 ** 4;
const SLOT_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) SLOT_VALUE[ALPHABET.charCodeAt(i)] = i;

/**
 * A branch that carries `slot` (0 ≤ slot < BRANCH_SLOTS) in the four characters after the magic
 * cookie, then 96 random bits as `newBranch`'s: the transaction layer finds the client
 * transaction of a response by that number, in an array, instead of hashing its whole key in a
 * table of every transaction of the last 32 s. The number only says where to look: the layer
 * still compares the whole branch, so a branch that merely looks like one (a peer's, a forged
 * one) finds nothing it does not equal.
 */
export function slotBranch(slot: number): string {
  const a = ALPHABET[(slot >>> 15) & 31]!;
  const b = ALPHABET[(slot >>> 10) & 31]!;
  const c = ALPHABET[(slot >>> 5) & 31]!;
  const d = ALPHABET[slot & 31]!;
  return `${BRANCH_COOKIE}${a}${b}${c}${d}${token(16)}`;
}

/** The slot a branch made by `slotBranch` carries; -1 when the branch cannot carry one. */
export function branchSlot(branch: string): number {
  if (branch.length < 11 || !branch.startsWith(BRANCH_COOKIE)) return -1;
  let slot = 0;
  for (let i = 7; i < 11; i++) {
    const c = branch.charCodeAt(i);
    const v = c < 128 ? SLOT_VALUE[c]! : -1;
    if (v < 0) return -1;
    slot = (slot << 5) | v;
  }
  return slot;
}

/** A From/To tag with 66 random bits. */
export function newTag(): string {
  return token(11);
}

/** A Call-ID with 132 random bits, `random@host` when a host is given. */
export function newCallId(host?: string): string {
  return host ? `${token(22)}@${host}` : token(22);
}
