/**
 * A copy of a string that shares no memory with the string it was cut from.
 *
 * V8 keeps the whole parent of a substring alive: a tag or a branch cut out of a SIP message
 * keeps that message's header text, and a name built from such pieces keeps them all. A value
 * kept long after its message (a transaction's key for 64*T1, a dialog's id and addresses)
 * is copied with `ownCopy`, so the message's text can go. The copy costs one pass over the
 * characters; the result equals `s`.
 */
export function ownCopy(s: string): string {
  // Slicing a concatenation flattens it into a new string first: the result's parent is that
  // new string (one character longer), not the parent of `s`.
  return ` ${s}`.slice(1);
}

/**
 * A copy of `data` in memory of its own. A small Buffer from Node's `Buffer.from`, `toString`
 * or `allocUnsafe` is a view of a shared 8 KiB pool, which it keeps alive whole: bytes kept
 * long after they were sent (a final response for Timer J, an ACK for 64*T1) are copied out.
 */
export function ownBytes(data: Buffer): Buffer {
  const kept = Buffer.allocUnsafeSlow(data.length);
  data.copy(kept);
  return kept;
}
