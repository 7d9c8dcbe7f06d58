/**
 * The one interface every report format implements: a renderer turns the report model into
 * the bytes of one file. Renderers are pure (no clock, no network); the run folder is given so
 * a renderer may read the evidence files the cells reference (SIP JSON, WAV) — relative to it.
 */
import type { ReportModel } from './report-model.ts';

/** Report formats, as `--format` names them. */
export type ReportFormat = 'md' | 'html' | 'docx' | 'junit' | 'json';

/** Every format, in the order `sbc-harness report` writes them by default. */
export const REPORT_FORMATS: readonly ReportFormat[] = ['md', 'html', 'docx', 'junit', 'json'];

/** What a renderer may know besides the model. */
export interface RenderContext {
  /** The run folder (where journal.jsonl is); evidence paths in cells are relative to it. */
  runDir: string;
}

/** One report format. */
export interface ReportRenderer {
  format: ReportFormat;
  /** File written in the run folder, e.g. "report.md". */
  fileName: string;
  /** One line for `--help`. */
  description: string;
  /** The file's content: text (UTF-8) or bytes. */
  render(model: ReportModel, ctx: RenderContext): Promise<Buffer | string>;
}
