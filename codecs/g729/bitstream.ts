/**
 * G.729 frame packing (RFC 3551 §4.5.6 bit order, G.729 Table 8): 80 bits, MSB first, as
 * L0 L1 L2 L3 P1 P0 C1 S1 GA1 GB1 P2 C2 S2 GA2 GB2. Parameters are held in the reference's
 * grouping: [L0L1 (8), L2L3 (10), P1 (8), P0 (1), C1 (13), S1 (4), G1 (7), P2 (5), C2 (13), S2 (4), G2 (7)].
 */
export const PRM_SIZE = 11;
export const BITS_PER_PARAM = [8, 10, 8, 1, 13, 4, 7, 5, 13, 4, 7] as const;

export function unpackFrame(bytes: Uint8Array, off: number, prm: Int32Array): void {
  let bit = 0;
  for (let p = 0; p < PRM_SIZE; p++) {
    let v = 0;
    for (let n = BITS_PER_PARAM[p]!; n > 0; n--, bit++) {
      v = (v << 1) | ((bytes[off + (bit >> 3)]! >> (7 - (bit & 7))) & 1);
    }
    prm[p] = v;
  }
}

export function packFrame(prm: Int32Array, bytes: Uint8Array, off: number): void {
  bytes.fill(0, off, off + 10);
  let bit = 0;
  for (let p = 0; p < PRM_SIZE; p++) {
    const v = prm[p]!;
    for (let n = BITS_PER_PARAM[p]! - 1; n >= 0; n--, bit++) {
      if ((v >> n) & 1) bytes[off + (bit >> 3)]! |= 0x80 >> (bit & 7);
    }
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
