/**
 * The first part of the G.729 Annex A encoder: per 10 ms frame, pre-processing, LP analysis
 * over the 240-sample window (with 40 samples of look-ahead) and LSP quantisation, giving the
 * L0..L3 indices of the frame. The rest of the encoder (pitch, algebraic codebook, gains) is
 * not written yet (docs/g729.md).
 */
import { autocorr, azToLsp, L_WINDOW, Levinson, lagWindow, PreProcess } from './lp-analysis.ts';
import { M, MP1 } from './lsp.ts';
import { LspQuantizer } from './lsp-quantizer.ts';

const L_FRAME = 80;

export class G729LpAnalyzer {
  private readonly speech = new Int16Array(L_WINDOW);
  private readonly pre = new PreProcess();
  private readonly levinson = new Levinson();
  private readonly quantizer = new LspQuantizer();
  private readonly rh = new Int16Array(MP1);
  private readonly rl = new Int16Array(MP1);
  private readonly a = new Int16Array(MP1);
  private readonly rc = new Int16Array(M);
  readonly lspOld = Int16Array.from([30000, 26000, 21000, 15000, 8000, 0, -8000, -15000, -21000, -26000]);
  readonly lspNew = new Int16Array(M);
  readonly lspNewQ = new Int16Array(M);

  /** Analyses the next 80 samples; writes [L0L1, L2L3] into `out`. */
  analyse(pcm: Int16Array, off: number, out: Int32Array): void {
    const s = this.speech;
    s.set(pcm.subarray(off, off + L_FRAME), L_WINDOW - L_FRAME);
    this.pre.run(s, L_WINDOW - L_FRAME, L_FRAME);
    autocorr(s, 0, M, this.rh, this.rl);
    lagWindow(M, this.rh, this.rl);
    this.levinson.run(this.rh, this.rl, this.a, this.rc);
    azToLsp(this.a, this.lspNew, this.lspOld);
    this.quantizer.quantize(this.lspNew, this.lspNewQ, out);
    this.lspOld.set(this.lspNew);
    s.copyWithin(0, L_FRAME, L_WINDOW);
  }
}
