/**
 * The ITU-T G.107 E-model (narrowband), from its transmission parameters to the rating R
 * and MOS-CQE, plus a VoIP-oriented front end (codec, loss, burstiness, jitter, delay).
 *
 *   R = Ro − Is − Id − Ie,eff + A
 *
 * with the G.107 formulas for the basic signal-to-noise ratio Ro, the simultaneous
 * impairments Is (Iolr, Ist, Iq), the delay impairments Id (talker echo Idte, listener echo
 * Idle, absolute delay Idd with its mT/sT parameters) and the effective equipment impairment
 *   Ie,eff = Ie + (95 − Ie)·Ppl / (Ppl/BurstR + Bpl).
 * All parameters default to G.107 Table 3 ("default values"), which give R ≈ 93.2.
 * MOS-CQE (G.107 Annex B): 1 for R < 0, 4.5 for R > 100, else
 *   1 + 0.035R + R(R − 60)(100 − R)·7·10⁻⁶ (not below 1, see `mosFromR`).
 */
import { type CodecImpairment, codecImpairment, type EModelCodec } from './codec-impairment.ts';

/** The G.107 transmission parameters. Units as in G.107 (dB, dBm0p, dBmp, dB(A), ms). */
export interface EModelParameters {
  /** Send loudness rating, dB (default 8). */
  SLR: number;
  /** Receive loudness rating, dB (default 2). */
  RLR: number;
  /** Sidetone masking rating, dB (default 15). */
  STMR: number;
  /** Listener sidetone rating, dB (default 18). */
  LSTR: number;
  /** D-value of the telephone, send side (default 3). */
  Ds: number;
  /** D-value of the telephone, receive side (default 3). */
  Dr: number;
  /** Talker echo loudness rating, dB (default 65). */
  TELR: number;
  /** Weighted echo path loss, dB (default 110). */
  WEPL: number;
  /** Mean one-way delay of the echo path, ms (default 0). */
  T: number;
  /** Round-trip delay in a 4-wire loop, ms (default 0). */
  Tr: number;
  /** Absolute delay in echo-free connections (mouth to ear), ms (default 0). */
  Ta: number;
  /** Number of quantisation distortion units (default 1). */
  qdu: number;
  /** Equipment impairment factor (default 0). */
  Ie: number;
  /** Packet-loss robustness factor (default 1). */
  Bpl: number;
  /** Random packet-loss probability, % (default 0). */
  Ppl: number;
  /** Burst ratio (default 1: random loss). */
  BurstR: number;
  /** Circuit noise referred to the 0 dBr point, dBm0p (default −70). */
  Nc: number;
  /** Noise floor at the receive side, dBmp (default −64). */
  Nfor: number;
  /** Room noise at the send side, dB(A) (default 35). */
  Ps: number;
  /** Room noise at the receive side, dB(A) (default 35). */
  Pr: number;
  /** Advantage factor (default 0). */
  A: number;
  /** Minimum perceivable delay, ms (default 100). */
  mT: number;
  /** Delay sensitivity (default 1). */
  sT: number;
}

/** G.107 Table 3 default values. */
export const G107_DEFAULTS: Readonly<EModelParameters> = Object.freeze({
  SLR: 8,
  RLR: 2,
  STMR: 15,
  LSTR: 18,
  Ds: 3,
  Dr: 3,
  TELR: 65,
  WEPL: 110,
  T: 0,
  Tr: 0,
  Ta: 0,
  qdu: 1,
  Ie: 0,
  Bpl: 1,
  Ppl: 0,
  BurstR: 1,
  Nc: -70,
  Nfor: -64,
  Ps: 35,
  Pr: 35,
  A: 0,
  mT: 100,
  sT: 1,
});

/** Every term of the E-model computation, for evidence. */
export interface EModelBreakdown {
  R: number;
  mos: number;
  Ro: number;
  Is: number;
  Iolr: number;
  Ist: number;
  Iq: number;
  Id: number;
  Idte: number;
  Idle: number;
  Idd: number;
  IeEff: number;
  A: number;
  /** Total noise No, dBm0p. */
  No: number;
  parameters: EModelParameters;
}

const log10 = Math.log10;

/** Absolute-delay impairment Idd for mouth-to-ear delay `Ta` (G.107, with mT and sT). */
export function delayImpairmentIdd(Ta: number, mT = 100, sT = 1): number {
  if (!(Ta > mT)) return 0;
  const X = log10(Ta / mT) / log10(2);
  const p = 6 * sT;
  return 25 * ((1 + X ** p) ** (1 / p) - 3 * (1 + (X / 3) ** p) ** (1 / p) + 2);
}

/** Effective equipment impairment Ie,eff from Ie, Bpl, loss % and burst ratio. */
export function effectiveEquipmentImpairment(Ie: number, Bpl: number, Ppl: number, BurstR = 1): number {
  const ppl = Math.max(0, Math.min(100, Ppl));
  const burst = BurstR > 0 ? BurstR : 1;
  if (ppl === 0) return Ie;
  return Ie + ((95 - Ie) * ppl) / (ppl / burst + Bpl);
}

/**
 * MOS-CQE from R (G.107 Annex B). The Annex B polynomial dips slightly below 1 for
 * 0 < R < 6.5 (to 0.989 at R ≈ 3); the result is clamped to 1 there, so MOS stays in 1..4.5.
 */
export function mosFromR(R: number): number {
  if (!(R > 0)) return 1;
  if (R >= 100) return 4.5;
  return Math.max(1, 1 + 0.035 * R + R * (R - 60) * (100 - R) * 7e-6);
}

/** The full G.107 computation. Missing parameters take their Table 3 defaults. */
export function computeEModel(overrides: Partial<EModelParameters> = {}): EModelBreakdown {
  const p: EModelParameters = { ...G107_DEFAULTS };
  for (const [k, v] of Object.entries(overrides)) {
    if (typeof v === 'number' && Number.isFinite(v)) (p as unknown as Record<string, number>)[k] = v;
  }
  const { SLR, RLR, STMR, LSTR, Ds, TELR, WEPL, T, Tr, Ta, qdu, Nc, Nfor, Ps, Pr } = p;
  const OLR = SLR + RLR;

  // Basic signal-to-noise ratio.
  const Nos = Ps - SLR - Ds - 100 + 0.004 * (Ps - OLR - Ds - 14) ** 2;
  const Pre = Pr + 10 * log10(1 + 10 ** ((10 - LSTR) / 10));
  const Nor = RLR - 121 + Pre + 0.008 * (Pre - 35) ** 2;
  const Nfo = Nfor + RLR;
  const No = 10 * log10(10 ** (Nc / 10) + 10 ** (Nos / 10) + 10 ** (Nor / 10) + 10 ** (Nfo / 10));
  const Ro = 15 - 1.5 * (SLR + No);

  // Simultaneous impairments.
  const Xolr = OLR + 0.2 * (64 + No - RLR);
  const Iolr = 20 * ((1 + (Xolr / 8) ** 8) ** (1 / 8) - Xolr / 8);
  const STMRo = -10 * log10(10 ** (-STMR / 10) + Math.exp(-T / 4) * 10 ** (-TELR / 10));
  const Ist =
    12 * (1 + ((STMRo - 13) / 6) ** 8) ** (1 / 8) -
    28 * (1 + ((STMRo + 1) / 19.4) ** 35) ** (1 / 35) -
    13 * (1 + ((STMRo - 3) / 33) ** 13) ** (1 / 13) +
    29;
  const Q = 37 - 15 * log10(qdu);
  const G = 1.07 + 0.258 * Q + 0.0602 * Q * Q;
  const Y = (Ro - 100) / 15 + 46 / 8.4 - G / 9;
  const Z = 46 / 30 - G / 40;
  const Iq = 15 * log10(1 + 10 ** Y + 10 ** Z);
  const Is = Iolr + Ist + Iq;

  // Delay impairments.
  let TERV = TELR - 40 * log10((1 + T / 10) / (1 + T / 150)) + 6 * Math.exp(-0.3 * T * T);
  if (STMR < 9) TERV += Ist / 2;
  const Roe = -1.5 * (No - RLR);
  const Re = 80 + 2.5 * (TERV - 14);
  const Idte = ((Roe - Re) / 2 + Math.sqrt((Roe - Re) ** 2 / 4 + 100) - 1) * (1 - Math.exp(-T));
  const Rle = 10.5 * (WEPL + 7) * (Tr + 1) ** -0.25;
  const Idle = (Ro - Rle) / 2 + Math.sqrt((Ro - Rle) ** 2 / 4 + 169);
  const Idd = delayImpairmentIdd(Ta, p.mT, p.sT);
  const Id = Idte + Idle + Idd;

  const IeEff = effectiveEquipmentImpairment(p.Ie, p.Bpl, p.Ppl, p.BurstR);
  const R = Ro - Is - Id - IeEff + p.A;
  return {
    R,
    mos: mosFromR(R),
    Ro,
    Is,
    Iolr,
    Ist,
    Iq,
    Id,
    Idte,
    Idle,
    Idd,
    IeEff,
    A: p.A,
    No,
    parameters: p,
  };
}

/** A VoIP call leg as the harness measures it. */
export interface VoipQualityInput {
  /** Codec of the leg (SDP name) or explicit impairment values. Default PCMA. */
  codec?: EModelCodec | CodecImpairment;
  /** Whether the receiver conceals lost packets (default false: the conservative choice). */
  plc?: boolean;
  /** Packet loss, % (0..100). */
  packetLossPercent?: number;
  /** Burst ratio (1 = random loss, > 1 burstier). */
  burstRatio?: number;
  /** Interarrival jitter (RFC 3550), ms. */
  jitterMs?: number;
  /** Jitter buffer depth as a multiple of the jitter (default 2). */
  jitterBufferFactor?: number;
  /** One-way network (transport) delay, ms (default 0). */
  networkDelayMs?: number;
  /** Packetisation interval, ms (default: the codec's usual ptime, 20 or 30). */
  ptimeMs?: number;
  /** Known mouth-to-ear delay, ms: replaces the budget below when given. */
  mouthToEarDelayMs?: number;
  /**
   * Echo path: 'speech-path' (default) takes the talker-echo path to be as long as the
   * speech path (T = Ta, Tr = 2·Ta, with G.107's default TELR and WEPL); 'none' leaves T and
   * Tr at their G.107 defaults (0), an echo-free connection in which the delay enters R only
   * through the absolute-delay impairment Idd(Ta). The audio checks use 'none': their
   * endpoints are 4-wire digital terminals with no echo source, and the SBC is judged on the
   * delay it adds, not on echo control nobody measured.
   */
  echo?: 'speech-path' | 'none';
  /** Any G.107 parameter to override (T, Tr and Ta here win over the derived values). */
  parameters?: Partial<EModelParameters>;
}

/** R and MOS of a VoIP leg with the delay budget that was assumed. */
export interface VoipQuality extends EModelBreakdown {
  codec: CodecImpairment;
  /** Mouth-to-ear delay used as Ta, ms. */
  mouthToEarDelayMs: number;
  /** Parts of the delay budget, ms. */
  delayBudget: { network: number; packetisation: number; lookahead: number; jitterBuffer: number };
}

/**
 * R and MOS-CQE for a VoIP leg.
 *
 * Delay budget (unless `mouthToEarDelayMs` is given):
 *   Ta = network delay + packetisation (ptime) + codec look-ahead + jitter buffer,
 * where the jitter buffer holds `jitterBufferFactor` × jitter (default 2 × the RFC 3550
 * interarrival jitter, a common adaptive-buffer target). Packets the buffer discards are
 * not modelled: count them in `packetLossPercent`.
 * Echo: the echo path is taken to be as long as the speech path, T = Ta and Tr = 2·Ta, with
 * G.107's default TELR 65 dB and WEPL 110 dB (echo well controlled), unless overridden or
 * `echo: 'none'` (T and Tr at their defaults: Ta alone carries the delay, through Idd).
 * Loss: Ppl = `packetLossPercent`, BurstR = `burstRatio`, with the codec's Ie and Bpl.
 */
export function voipQuality(input: VoipQualityInput = {}): VoipQuality {
  const plc = input.plc ?? false;
  const codec =
    typeof input.codec === 'object' && input.codec !== null
      ? input.codec
      : codecImpairment(input.codec ?? 'PCMA', plc);
  const finite = (v: number | undefined, d: number) => (v !== undefined && Number.isFinite(v) ? v : d);
  const network = Math.max(0, finite(input.networkDelayMs, 0));
  const packetisation = Math.max(0, finite(input.ptimeMs, codec.ptimeMs));
  const lookahead = codec.lookaheadMs;
  const jitterBuffer =
    Math.max(0, finite(input.jitterMs, 0)) * Math.max(0, finite(input.jitterBufferFactor, 2));
  const Ta =
    input.mouthToEarDelayMs !== undefined && Number.isFinite(input.mouthToEarDelayMs)
      ? Math.max(0, input.mouthToEarDelayMs)
      : network + packetisation + lookahead + jitterBuffer;
  const echoPath = input.echo !== 'none';
  const breakdown = computeEModel({
    T: echoPath ? Ta : G107_DEFAULTS.T,
    Tr: echoPath ? 2 * Ta : G107_DEFAULTS.Tr,
    Ta,
    Ie: codec.ie,
    Bpl: codec.bpl,
    Ppl: Math.max(0, Math.min(100, finite(input.packetLossPercent, 0))),
    BurstR: Math.max(1, finite(input.burstRatio, 1)),
    ...input.parameters,
  });
  return {
    ...breakdown,
    codec,
    mouthToEarDelayMs: breakdown.parameters.Ta,
    delayBudget: { network, packetisation, lookahead, jitterBuffer },
  };
}
