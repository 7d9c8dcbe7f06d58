/**
 * The reports layer: the report model (journal → IWR results part), the renderer interface,
 * one renderer per format, and the run-to-run diff. `RENDERERS` is the registry the CLI uses.
 */
import { docxRenderer } from './docx-report.ts';
import { htmlRenderer } from './html-report.ts';
import { jsonRenderer } from './json-report.ts';
import { junitRenderer } from './junit-report.ts';
import { markdownRenderer } from './markdown-report.ts';
import type { ReportFormat, ReportRenderer } from './renderer.ts';

export * from './diff.ts';
export * from './docx-report.ts';
export * from './html-report.ts';
export * from './json-report.ts';
export * from './junit-report.ts';
export * from './live-console-page.ts';
export * from './load-breakage-markdown.ts';
export * from './load-chart.ts';
export * from './load-markdown.ts';
export * from './markdown-report.ts';
export * from './renderer.ts';
export * from './report-model.ts';

/** Every renderer, by format. */
export const RENDERERS: Partial<Record<ReportFormat, ReportRenderer>> = {
  md: markdownRenderer,
  html: htmlRenderer,
  docx: docxRenderer,
  junit: junitRenderer,
  json: jsonRenderer,
};
