/**
 * G.729 frame packing (RFC 3551 §4.5.6 bit order, G.729 Table 8): 80 bits, MSB first, as
 * L0 L1 L2 L3 P1 P0 C1 S1 GA1 GB1 P2 C2 S2 GA2 GB2. Parameters are held in the reference's
 * grouping: [L0L1 (8), L2L3 (10), P1 (8), P0 (1), C1 (13), S1 (4), G1 (7), P2 (5), C2 (13), S2 (4), G2 (7)].
 */
export const PRM_SIZE = 11;
export const BITS_PER_PARAM = [8, 10, 8, 1, 13, 4, 7, 5, 13, 4, 7] as const;

export function unpackFrame(bytes: Uint8Array, off: number, prm: Int32Array): void {
  // Bytes are shifted into acc (below 2^21: at most 12 bits left over plus 8) as needed.
  let acc = 0;
  let nbits = 0;
  let o = off;
  for (let p = 0; p < PRM_SIZE; p++) {
    const bits = BITS_PER_PARAM[p]!;
    while (nbits < bits) {
      acc = (acc << 8) | bytes[o++]!;
      nbits += 8;
    }
    nbits -= bits;
    prm[p] = (acc >> nbits) & ((1 << bits) - 1);
    acc &= (1 << nbits) - 1;
  }
}

export function packFrame(prm: Int32Array, bytes: Uint8Array, off: number): void {
  // Each parameter's low bits are shifted into acc (below 2^20), whole bytes written out.
  let acc = 0;
  let nbits = 0;
  let o = off;
  for (let p = 0; p < PRM_SIZE; p++) {
    const bits = BITS_PER_PARAM[p]!;
    acc = (acc << bits) | (prm[p]! & ((1 << bits) - 1));
    nbits += bits;
    while (nbits >= 8) {
      nbits -= 8;
      bytes[o++] = (acc >> nbits) & 0xff;
    }
    acc &= (1 << nbits) - 1;
  }
}

/** 1 when the parity bit P0 does not match the six most significant bits of P1. */
export function parityError(p1: number, p0: number): number {
  let sum = 1;
  let t = p1 >> 1;
  for (let i = 0; i < 6; i++) {
    t >>= 1;
    sum += t & 1;
  }
  return (sum + p0) & 1;
}

/** The parity bit the encoder sends for P1. */
export function parity(p1: number): number {
  return parityError(p1, 0);
}
