/**
 * Constant tables of ITU-T G.722 (11/88 and later editions), as numbered in the
 * Recommendation's detailed description of the fixed-point algorithm. Only what the
 * 64 kbit/s mode (mode 1: 6-bit lower sub-band, 2-bit higher sub-band) needs.
 */

/**
 * QUANTL: lower sub-band decision levels Q6(1..30) (index 0 unused), compared with the
 * magnitude of the prediction error after scaling by DETL / 2^12.
 */
export const Q6: Readonly<Int32Array> = Int32Array.of(
  0,
  35,
  72,
  110,
  150,
  190,
  233,
  276,
  323,
  370,
  422,
  473,
  530,
  587,
  650,
  714,
  786,
  858,
  940,
  1023,
  1121,
  1219,
  1339,
  1458,
  1612,
  1765,
  1980,
  2195,
  2557,
  2919,
);

/** QUANTL: 6-bit code word for quantiser interval MIL (1..30) when EL is negative. */
export const ILN: Readonly<Uint8Array> = Uint8Array.of(
  0,
  63,
  62,
  31,
  30,
  29,
  28,
  27,
  26,
  25,
  24,
  23,
  22,
  21,
  20,
  19,
  18,
  17,
  16,
  15,
  14,
  13,
  12,
  11,
  10,
  9,
  8,
  7,
  6,
  5,
  4,
);

/** QUANTL: 6-bit code word for quantiser interval MIL (1..30) when EL is zero or positive. */
export const ILP: Readonly<Uint8Array> = Uint8Array.of(
  0,
  61,
  60,
  59,
  58,
  57,
  56,
  55,
  54,
  53,
  52,
  51,
  50,
  49,
  48,
  47,
  46,
  45,
  44,
  43,
  42,
  41,
  40,
  39,
  38,
  37,
  36,
  35,
  34,
  33,
  32,
);

/** INVQAL: 4-bit inverse quantiser outputs QM4, indexed by the 4 MSBs of the 6-bit code. */
export const QM4: Readonly<Int32Array> = Int32Array.of(
  0,
  -20456,
  -12896,
  -8968,
  -6288,
  -4240,
  -2584,
  -1200,
  20456,
  12896,
  8968,
  6288,
  4240,
  2584,
  1200,
  0,
);

/** INVQBL: 6-bit inverse quantiser outputs QM6 (decoder, mode 1), indexed by the code word. */
export const QM6: Readonly<Int32Array> = Int32Array.of(
  -136,
  -136,
  -136,
  -136,
  -24808,
  -21904,
  -19008,
  -16704,
  -14984,
  -13512,
  -12280,
  -11192,
  -10232,
  -9360,
  -8576,
  -7856,
  -7192,
  -6576,
  -6000,
  -5456,
  -4944,
  -4464,
  -4008,
  -3576,
  -3168,
  -2776,
  -2400,
  -2032,
  -1688,
  -1360,
  -1040,
  -728,
  24808,
  21904,
  19008,
  16704,
  14984,
  13512,
  12280,
  11192,
  10232,
  9360,
  8576,
  7856,
  7192,
  6576,
  6000,
  5456,
  4944,
  4464,
  4008,
  3576,
  3168,
  2776,
  2400,
  2032,
  1688,
  1360,
  1040,
  728,
  432,
  136,
  -432,
  -136,
);

/** LOGSCL: lower sub-band log scale-factor multipliers WL, indexed through RL42. */
export const WL: Readonly<Int32Array> = Int32Array.of(-60, -30, 58, 172, 334, 538, 1198, 3042);

/** LOGSCL: maps the 4-bit lower sub-band code to its WL index (sign dropped). */
export const RL42: Readonly<Uint8Array> = Uint8Array.of(0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0);

/** SCALEL/SCALEH: 2^(i/32) scaled by 2^11, the mantissa of the inverse log of NBL/NBH. */
export const ILB: Readonly<Int32Array> = Int32Array.of(
  2048,
  2093,
  2139,
  2186,
  2233,
  2282,
  2332,
  2383,
  2435,
  2489,
  2543,
  2599,
  2656,
  2714,
  2774,
  2834,
  2896,
  2960,
  3025,
  3091,
  3158,
  3228,
  3298,
  3371,
  3444,
  3520,
  3597,
  3676,
  3756,
  3838,
  3922,
  4008,
);

/** INVQAH: higher sub-band inverse quantiser outputs QM2, indexed by the 2-bit code. */
export const QM2: Readonly<Int32Array> = Int32Array.of(-7408, -1616, 7408, 1616);

/** QUANTH: higher sub-band decision level Q2, scaled like Q6. */
export const Q2 = 564;

/** QUANTH: 2-bit code word for interval MIH (1..2) when EH is negative. */
export const IHN: Readonly<Uint8Array> = Uint8Array.of(0, 1, 0);

/** QUANTH: 2-bit code word for interval MIH (1..2) when EH is zero or positive. */
export const IHP: Readonly<Uint8Array> = Uint8Array.of(0, 3, 2);

/** LOGSCH: higher sub-band log scale-factor multipliers WH, indexed through RH2. */
export const WH: Readonly<Int32Array> = Int32Array.of(0, -214, 798);

/** LOGSCH: maps the 2-bit higher sub-band code to its WH index. */
export const RH2: Readonly<Uint8Array> = Uint8Array.of(2, 1, 2, 1);

/** LOGSCL/LOGSCH upper limits of NBL and NBH. */
export const NBL_MAX = 18432;
export const NBH_MAX = 22528;
