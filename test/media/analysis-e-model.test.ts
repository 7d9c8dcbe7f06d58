import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codecImpairment,
  computeEModel,
  delayImpairmentIdd,
  effectiveEquipmentImpairment,
  G107_DEFAULTS,
  mosFromR,
  voipQuality,
} from '../../harness/media/analysis/index.ts';

describe('ITU-T G.107 E-model', () => {
  it('gives R = 93.2 with the Table 3 defaults', () => {
    const e = computeEModel();
    expect(e.R).toBeCloseTo(93.2, 1);
    // Term by term (hand-computed from the G.107 formulas with the defaults).
    expect(e.No).toBeCloseTo(-61.18, 2);
    expect(e.Ro).toBeCloseTo(94.77, 2);
    expect(e.Is).toBeCloseTo(1.41, 2);
    expect(e.Id).toBeCloseTo(0.15, 2);
    expect(e.IeEff).toBe(0);
    expect(e.parameters).toEqual(G107_DEFAULTS);
  });

  it('maps R to MOS-CQE per G.107 Annex B', () => {
    expect(mosFromR(-5)).toBe(1);
    expect(mosFromR(0)).toBe(1);
    expect(mosFromR(100)).toBe(4.5);
    expect(mosFromR(120)).toBe(4.5);
    expect(mosFromR(50)).toBeCloseTo(1 + 1.75 + 50 * -10 * 50 * 7e-6, 12);
    expect(mosFromR(80)).toBeCloseTo(4.024, 3);
    // The polynomial dips to 0.989 near R = 3; MOS-CQE is kept at its floor of 1.
    expect(mosFromR(3)).toBe(1);
    expect(mosFromR(10)).toBeCloseTo(1 + 0.35 + 10 * -50 * 90 * 7e-6, 12);
    expect(mosFromR(93.2)).toBeCloseTo(4.41, 2);
  });

  it('gives MOS ≈ 4.41 for G.711 without loss at low delay', () => {
    const q = voipQuality({ codec: 'PCMA', mouthToEarDelayMs: 0 });
    expect(q.mos).toBeCloseTo(4.41, 2);
    const typical = voipQuality({ codec: 'PCMU', networkDelayMs: 10, jitterMs: 2 });
    expect(typical.mos).toBeGreaterThan(4.35);
    expect(typical.mos).toBeLessThan(4.41);
  });

  it('applies Ie,eff = Ie + (95 − Ie)·Ppl/(Ppl/BurstR + Bpl) with G.113 codec values', () => {
    expect(effectiveEquipmentImpairment(0, 4.3, 1)).toBeCloseTo(95 / 5.3, 10);
    expect(effectiveEquipmentImpairment(11, 19, 2, 2)).toBeCloseTo(11 + (84 * 2) / (1 + 19), 10);
    expect(effectiveEquipmentImpairment(15, 16.1, 0)).toBe(15);
    expect(codecImpairment('PCMA')).toMatchObject({ ie: 0, bpl: 4.3 });
    expect(codecImpairment('PCMU', true)).toMatchObject({ ie: 0, bpl: 25.1 });
    expect(codecImpairment('G729')).toMatchObject({ ie: 11, bpl: 19 });
    expect(codecImpairment('G723')).toMatchObject({ ie: 15, bpl: 16.1 });
    expect(codecImpairment('G722', true)).toMatchObject({ ie: 0, bpl: 25.1 });
    // G.729A without loss: R drops by Ie = 11 against G.711 at the same delay.
    const g711 = voipQuality({ codec: 'PCMA', mouthToEarDelayMs: 50 });
    const g729 = voipQuality({ codec: 'G729', mouthToEarDelayMs: 50 });
    expect(g711.R - g729.R).toBeCloseTo(11, 10);
  });

  it('computes Idd from the mouth-to-ear delay: 0 up to 100 ms, ≈ 3.04 at 200 ms', () => {
    expect(delayImpairmentIdd(100)).toBe(0);
    expect(delayImpairmentIdd(150)).toBeCloseTo(0.164, 3);
    // X = 1: 25·(2^(1/6) − 3·(1 + 1/729)^(1/6) + 2)
    expect(delayImpairmentIdd(200)).toBeCloseTo(25 * (2 ** (1 / 6) - 3 * (1 + 1 / 729) ** (1 / 6) + 2), 10);
    expect(delayImpairmentIdd(400)).toBeGreaterThan(20);
  });

  it('builds the delay budget from network delay, ptime, look-ahead and jitter buffer', () => {
    const q = voipQuality({ codec: 'G729', networkDelayMs: 40, jitterMs: 15, ptimeMs: 20 });
    expect(q.delayBudget).toEqual({ network: 40, packetisation: 20, lookahead: 5, jitterBuffer: 30 });
    expect(q.mouthToEarDelayMs).toBe(95);
    expect(q.parameters.T).toBe(95);
    expect(q.parameters.Tr).toBe(190);
    const override = voipQuality({ codec: 'G729', networkDelayMs: 40, mouthToEarDelayMs: 250 });
    expect(override.mouthToEarDelayMs).toBe(250);
  });

  it('falls with packet loss, burstiness, delay and jitter (monotone, property)', () => {
    const codecs = ['PCMA', 'G722', 'G729', 'G723'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...codecs),
        fc.boolean(),
        fc.double({ min: 0, max: 20, noNaN: true }),
        fc.double({ min: 0, max: 400, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        (codec, plc, loss, delay, jitter, burst) => {
          const base = {
            codec,
            plc,
            packetLossPercent: loss,
            networkDelayMs: delay,
            jitterMs: jitter,
            burstRatio: burst,
          };
          const r = voipQuality(base).R;
          expect(voipQuality({ ...base, packetLossPercent: loss + 1 }).R).toBeLessThan(r);
          expect(voipQuality({ ...base, networkDelayMs: delay + 20 }).R).toBeLessThanOrEqual(r);
          expect(voipQuality({ ...base, jitterMs: jitter + 10 }).R).toBeLessThanOrEqual(r);
          if (loss >= 0.01) expect(voipQuality({ ...base, burstRatio: burst + 0.5 }).R).toBeLessThan(r);
          const m = voipQuality(base).mos;
          expect(m).toBeGreaterThanOrEqual(1);
          expect(m).toBeLessThanOrEqual(4.5);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rates PLC better than no PLC under loss, and G.711 with 1 % random loss as expected', () => {
    const noPlc = voipQuality({ codec: 'PCMA', packetLossPercent: 1, mouthToEarDelayMs: 0 });
    const plc = voipQuality({ codec: 'PCMA', plc: true, packetLossPercent: 1, mouthToEarDelayMs: 0 });
    expect(noPlc.IeEff).toBeCloseTo(95 / 5.3, 6);
    expect(plc.IeEff).toBeCloseTo(95 / 26.1, 6);
    expect(noPlc.R).toBeCloseTo(computeEModel().R - 95 / 5.3, 6);
    expect(plc.mos).toBeGreaterThan(noPlc.mos);
  });

  it('ignores non-finite inputs instead of producing NaN', () => {
    const q = voipQuality({
      packetLossPercent: Number.NaN,
      jitterMs: Number.POSITIVE_INFINITY,
      networkDelayMs: -5,
    });
    expect(Number.isFinite(q.R)).toBe(true);
    expect(q.R).toBeCloseTo(voipQuality({}).R, 10);
    expect(Number.isFinite(computeEModel({ Ta: Number.NaN }).R)).toBe(true);
  });

  it('takes the measured one-way delay as Ta: Ta = 0 gives the default R, Ta = 300 ms lowers R by Idd (G.107 §7.4)', () => {
    // Idd straight from the G.107 equation, X = log2(Ta/mT), mT = 100 ms, sT = 1.
    const idd = (Ta: number) => {
      const X = Math.log2(Ta / 100);
      return 25 * ((1 + X ** 6) ** (1 / 6) - 3 * (1 + (X / 3) ** 6) ** (1 / 6) + 2);
    };
    expect(idd(300)).toBeCloseTo(14.76, 2);
    const base = computeEModel();
    expect(computeEModel({ Ta: 0 }).R).toBe(base.R);
    expect(computeEModel({ Ta: 100 }).R).toBe(base.R);
    expect(computeEModel({ Ta: 300 }).R).toBeCloseTo(base.R - idd(300), 10);
    expect(computeEModel({ Ta: 300 }).Idd).toBeCloseTo(idd(300), 10);
    // With the echo terms at their defaults (echo: 'none'), only Idd moves with the delay.
    const at = (networkDelayMs: number) =>
      voipQuality({ codec: 'PCMA', networkDelayMs, echo: 'none', jitterMs: 0 });
    expect(at(0).R).toBeCloseTo(base.R, 10); // Ta = 20 ms of packetisation: no Idd yet
    expect(at(0).parameters.T).toBe(0);
    expect(at(0).parameters.Tr).toBe(0);
    expect(at(280).mouthToEarDelayMs).toBe(300);
    expect(at(280).R).toBeCloseTo(base.R - idd(300), 10);
    expect(at(280).mos).toBeCloseTo(mosFromR(base.R - idd(300)), 10);
    expect(at(280).mos).toBeLessThan(4.0);
    // The default echo model is unchanged: with no delay it gives today's R.
    expect(voipQuality({ codec: 'PCMA', networkDelayMs: 0 }).R).toBe(voipQuality({ codec: 'PCMA' }).R);
    expect(voipQuality({ codec: 'PCMA', networkDelayMs: 280 }).R).toBeLessThan(at(280).R);
  });
});
