/**
 * E-model codec values: equipment impairment Ie and packet-loss robustness Bpl from
 * ITU-T G.113 Appendix I (narrowband, R scale of G.107), with the usual packetisation and
 * the codec's look-ahead for the delay budget.
 *
 * | codec          | Ie | Bpl                          | ptime | look-ahead |
 * |----------------|----|------------------------------|-------|------------|
 * | G.711 (PCMA/U) |  0 | 4.3 without PLC, 25.1 with   | 20 ms | 0          |
 * | G.722 (*)      |  0 | 4.3 without PLC, 25.1 with   | 20 ms | 1.5 ms     |
 * | G.729A         | 11 | 19                           | 20 ms | 5 ms       |
 * | G.723.1 6.3k   | 15 | 16.1                         | 30 ms | 7.5 ms     |
 *
 * (*) G.722 is wideband; G.113's wideband values belong to the wideband E-model (G.107.1,
 * R up to 129) and are not on this scale. We use a narrowband-equivalent: G.722 is at least
 * as good as G.711 in the narrowband band, so Ie = 0, and its loss behaviour is assumed
 * equal to G.711's (with PLC: G.722 Appendix III/IV concealment). This under-rates G.722's
 * wideband advantage and is documented as an assumption, not a G.113 figure.
 * G.729/G.729A: G.113 gives G.729A(+VAD) Ie 11, Bpl 19; G.729 is rated with those values.
 * Bpl of G.729A and G.723.1 already includes their built-in concealment.
 */
import type { CodecName } from '../../../codecs/codec.ts';

/** Codec names the E-model table knows (the plan's SDP names). */
export type EModelCodec = CodecName;

/** E-model values of one codec configuration. */
export interface CodecImpairment {
  name: string;
  /** Equipment impairment factor. */
  ie: number;
  /** Packet-loss robustness factor. */
  bpl: number;
  /** Usual packetisation interval, ms. */
  ptimeMs: number;
  /** Algorithmic look-ahead, ms. */
  lookaheadMs: number;
}

/** G.113 Appendix I values for the plan's codecs (see the table above). */
export function codecImpairment(codec: EModelCodec, plc = false): CodecImpairment {
  switch (codec) {
    case 'PCMA':
    case 'PCMU':
      return {
        name: `${codec} (G.711${plc ? ', PLC' : ''})`,
        ie: 0,
        bpl: plc ? 25.1 : 4.3,
        ptimeMs: 20,
        lookaheadMs: 0,
      };
    case 'G722':
      return {
        name: `G722 (narrowband-equivalent${plc ? ', PLC' : ''})`,
        ie: 0,
        bpl: plc ? 25.1 : 4.3,
        ptimeMs: 20,
        lookaheadMs: 1.5,
      };
    case 'G729':
      return { name: 'G729 (G.729A)', ie: 11, bpl: 19, ptimeMs: 20, lookaheadMs: 5 };
    case 'G723':
      return { name: 'G723 (G.723.1 6.3 kbit/s)', ie: 15, bpl: 16.1, ptimeMs: 30, lookaheadMs: 7.5 };
    default:
      return { name: String(codec), ie: 0, bpl: 4.3, ptimeMs: 20, lookaheadMs: 0 };
  }
}
