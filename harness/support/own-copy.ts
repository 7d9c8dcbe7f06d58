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
 * Bytes kept long after they were sent (a final response for Timer J, an ACK for 64*T1), to be
 * sent again if asked: one string of one-byte characters (latin1, so every byte value comes
 * back as it was). A Buffer would be three objects and memory outside the heap, with a record
 * the garbage collector sweeps; a small one would also be a view of Node's shared 8 KiB pool,
 * keeping that whole slab alive.
 */
export type KeptBytes = string & { readonly __keptBytes: unique symbol };

/** `data` as KeptBytes (a copy). */
export function keepBytes(data: Buffer): KeptBytes {
  return data.toString('latin1') as KeptBytes;
}

/** The bytes kept, as a Buffer to send (a new one each time). */
export function keptBuffer(kept: KeptBytes): Buffer {
  return Buffer.from(kept, 'latin1');
}
