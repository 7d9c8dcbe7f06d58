/**
 * Sends held back to the end of the current turn of the event loop. The SIP transport hands
 * the UDP datagrams sent in one turn to their sockets together, at its end (a peer woken by the
 * first finds the rest queued). Every other sender in the process (RTP, RTCP) calls
 * `sendHeldNow()` before it sends, so what one process sends still leaves in the order it was
 * sent: a 183 before the ringback it announces, a 200 before the answerer's first packet.
 *
 * An array, not a Set: it gains and loses an entry every turn, and a hash table that churns
 * keeps garbage for the young-generation collector (bench/notes/call-rate.md, fifth round).
 */
const held: Array<() => void> = [];

/** Registers `flush`, which sends what is held, until `released` (call once per turn, when the first send is held). */
export function holdUntilTurnEnd(flush: () => void): void {
  held.push(flush);
}

/** `flush` has sent what it held (from its end-of-turn callback or from `sendHeldNow`). */
export function released(flush: () => void): void {
  const i = held.indexOf(flush);
  if (i >= 0) held.splice(i, 1);
}

/** Sends everything held, now, in the order it was held. Cheap when nothing is held. */
export function sendHeldNow(): void {
  if (held.length === 0) return;
  for (const flush of held.splice(0)) flush();
}

/** How many senders hold sends now (tests). */
export function heldSenders(): number {
  return held.length;
}
