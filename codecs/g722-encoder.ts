/**
 * ITU-T G.722 encoder, 64 kbit/s (mode 1): 16 kHz linear PCM → one byte per pair of
 * samples, `(IH << 6) | IL` with the 2-bit higher sub-band code IH and the 6-bit lower
 * sub-band code IL. Written from the Recommendation's fixed-point description: transmit
 * QMF, then per sub-band SUBTRA, QUANTL/QUANTH, INVQAL/INVQAH, blocks 3 and 4.
 * The Recommendation's audio interfaces carry 14-bit uniform PCM; like ffmpeg's encoder
 * (which this one matches byte for byte), this one takes 16-bit PCM, the QMF scaling
 * absorbing the difference.
 */
import { G722Band, sat16 } from './g722-band.ts';
import { G722Qmf } from './g722-qmf.ts';
import { quantlInterval } from './g722-quantl.ts';
import { IHN, IHP, ILN, ILP, NBH_MAX, NBL_MAX, Q2, QM2, QM4, RH2, RL42, WH, WL } from './g722-tables.ts';

/**
 * A stateful G.722 encoder; use one per stream. Input may come in chunks of any length:
 * an odd trailing sample is held back and paired with the first sample of the next call,
 * so chunking never changes the output bytes.
 */
export class G722Encoder {
  private readonly low = new G722Band(32);
  private readonly high = new G722Band(8);
  private readonly qmf = new G722Qmf();
  /** A sample waiting for its partner, or null. */
  private pending: number | null = null;

  /** Encodes 16-bit PCM at 16 kHz; returns floor((held + pcm.length) / 2) bytes. */
  encode(pcm: Int16Array): Uint8Array {
    const total = pcm.length + (this.pending === null ? 0 : 1);
    const out = new Uint8Array(total >> 1);
    let i = 0;
    let o = 0;
    if (this.pending !== null && pcm.length > 0) {
      out[o++] = this.encodePair(this.pending, pcm[0]!);
      this.pending = null;
      i = 1;
    }
    for (; i + 1 < pcm.length; i += 2) out[o++] = this.encodePair(pcm[i]!, pcm[i + 1]!);
    if (i < pcm.length) this.pending = pcm[i]!;
    return out;
  }

  /** True when an odd sample is held back waiting for the next call. */
  get hasPendingSample(): boolean {
    return this.pending !== null;
  }

  /** Encodes two consecutive input samples (earlier first) into one code byte. */
  private encodePair(x0: number, x1: number): number {
    // Transmit QMF.
    const qmf = this.qmf;
    qmf.push(x0, x1);
    const xa = qmf.xa;
    const xb = qmf.xb;
    const xl = (xa + xb) >> 14;
    const xh = (xa - xb) >> 14;
    return (this.encodeHigh(xh) << 6) | this.encodeLow(xl);
  }

  /** Lower sub-band: returns the 6-bit code IL. */
  private encodeLow(xl: number): number {
    const band = this.low;
    // SUBTRA.
    const el = sat16(xl - band.s);
    // QUANTL: find the interval of |EL| (one's complement magnitude) among Q6 * DETL.
    const wd = el >= 0 ? el : -1 - el;
    const det = band.det;
    const mil = quantlInterval(wd, det);
    const il = el < 0 ? ILN[mil]! : ILP[mil]!;
    // INVQAL: the 4-bit quantised difference used for adaptation.
    const ril = il >> 2;
    const dlt = (det * QM4[ril]!) >> 15;
    // LOGSCL, SCALEL.
    band.adaptScale(WL[RL42[ril]!]!, NBL_MAX, 8);
    band.adaptPredictor(dlt);
    return il;
  }

  /** Higher sub-band: returns the 2-bit code IH. */
  private encodeHigh(xh: number): number {
    const band = this.high;
    // SUBTRA.
    const eh = sat16(xh - band.s);
    // QUANTH.
    const wd = eh >= 0 ? eh : -1 - eh;
    const det = band.det;
    const mih = wd >= (Q2 * det) >> 12 ? 2 : 1;
    const ih = eh < 0 ? IHN[mih]! : IHP[mih]!;
    // INVQAH.
    const dh = (det * QM2[ih]!) >> 15;
    // LOGSCH, SCALEH.
    band.adaptScale(WH[RH2[ih]!]!, NBH_MAX, 10);
    band.adaptPredictor(dh);
    return ih;
  }
}
