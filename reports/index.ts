/**
 * The reports layer: the report model (journal → IWR results part), the renderer interface,
 * one renderer per format, and the run-to-run diff. `RENDERERS` is the registry the CLI uses.
 */
import { jsonRenderer } from './json-report.ts';
import { junitRenderer } from './junit-report.ts';
import { markdownRenderer } from './markdown-report.ts';
import type { ReportFormat, ReportRenderer } from './renderer.ts';

export * from './diff.ts';
export * from './json-report.ts';
export * from './junit-report.ts';
export * from './markdown-report.ts';
export * from './renderer.ts';
export * from './report-model.ts';

// TODO(reports): register htmlRenderer (reports/html-report.ts) and docxRenderer (reports/docx-report.ts) when they land.

/** Every renderer, by format. A format missing here is not available yet. */
export const RENDERERS: Partial<Record<ReportFormat, ReportRenderer>> = {
  md: markdownRenderer,
  junit: junitRenderer,
  json: jsonRenderer,
};
