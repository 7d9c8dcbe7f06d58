/**
 * ITU-T G.722 decoder, 64 kbit/s (mode 1): each byte `(IH << 6) | IL` becomes two 16-bit
 * samples at 16 kHz. Written from the Recommendation's fixed-point description: per sub-band
 * INVQBL/INVQAH, RECONS, LIMIT, blocks 3 and 4, then the receive QMF. Every byte value is a
 * valid code word, so no input is invalid.
 *
 * The Recommendation's audio interfaces carry 14-bit uniform PCM. Like ffmpeg's decoder (which
 * this one matches sample for sample), this one returns 16-bit PCM: the receive QMF output
 * is scaled so that full-scale input to the encoder comes back at full scale, and saturated.
 */
import { G722Band, sat16 } from './g722-band.ts';
import { G722Qmf } from './g722-qmf.ts';
import { NBH_MAX, NBL_MAX, QM2, QM4, QM6, RH2, RL42, WH, WL } from './g722-tables.ts';

/** Limits a reconstructed sub-band signal to 15 bits (the Recommendation's LIMIT block). */
function limit15(x: number): number {
  if (x > 16383) return 16383;
  if (x < -16384) return -16384;
  return x;
}

/** A stateful G.722 mode-1 decoder; use one per stream. */
export class G722Decoder {
  private readonly low = new G722Band(32);
  private readonly high = new G722Band(8);
  /** Receive QMF fed with the pairs (RL + RH, RL − RH). */
  private readonly qmf = new G722Qmf();

  /** Decodes any number of code bytes to twice as many samples. */
  decode(payload: Uint8Array): Int16Array {
    const out = new Int16Array(payload.length * 2);
    for (let n = 0; n < payload.length; n++) {
      const code = payload[n]!;
      const rl = this.decodeLow(code & 0x3f);
      const rh = this.decodeHigh(code >> 6);
      this.synthesize(rl, rh, out, 2 * n);
    }
    return out;
  }

  /** Lower sub-band: returns the reconstructed signal RL. */
  private decodeLow(il: number): number {
    const band = this.low;
    const det = band.det;
    // INVQBL (6-bit, mode 1), RECONS, LIMIT.
    const rl = limit15(band.s + ((det * QM6[il]!) >> 15));
    // INVQAL: the 4-bit quantised difference drives the adaptation, as in the encoder.
    const ril = il >> 2;
    const dlt = (det * QM4[ril]!) >> 15;
    band.adaptScale(WL[RL42[ril]!]!, NBL_MAX, 8);
    band.adaptPredictor(dlt);
    return rl;
  }

  /** Higher sub-band: returns the reconstructed signal RH. */
  private decodeHigh(ih: number): number {
    const band = this.high;
    // INVQAH, RECONS, LIMIT.
    const dh = (band.det * QM2[ih]!) >> 15;
    const rh = limit15(band.s + dh);
    band.adaptScale(WH[RH2[ih]!]!, NBH_MAX, 10);
    band.adaptPredictor(dh);
    return rh;
  }

  /** Receive QMF: one sample of each sub-band → two output samples written at `at`. */
  private synthesize(rl: number, rh: number, out: Int16Array, at: number): void {
    const qmf = this.qmf;
    qmf.push(rl + rh, rl - rh);
    out[at] = sat16(qmf.xa >> 11);
    out[at + 1] = sat16(qmf.xb >> 11);
  }
}
