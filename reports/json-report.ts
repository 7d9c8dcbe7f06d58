/**
 * The JSON report (report.json): the run's results (as results.json) and the report model
 * drawn from them, in one document that reports/results-schema.json describes (see
 * docs/results-schema.md). For tools that want the IWR summary without parsing Markdown.
 */
import type { ResultsFile } from '../harness/runner/results.ts';
import type { RenderContext, ReportRenderer } from './renderer.ts';
import type { ReportModel } from './report-model.ts';

/** Version of the document's shape; bumped when a field changes meaning or goes away. */
export const JSON_REPORT_VERSION = 1;

/** The JSON report document. */
export interface JsonReport {
  format: 'sbc-harness-report';
  version: typeof JSON_REPORT_VERSION;
  results: ResultsFile;
  /** The report model without its copy of the results. */
  model: Omit<ReportModel, 'results'>;
}

/** The JSON report document of a model. */
export function jsonReport(model: ReportModel): JsonReport {
  const { results, ...rest } = model;
  return { format: 'sbc-harness-report', version: JSON_REPORT_VERSION, results, model: rest };
}

/** Renders the model as JSON (two-space indented, trailing newline). */
export function renderJson(model: ReportModel): string {
  return `${JSON.stringify(jsonReport(model), null, 2)}\n`;
}

/** The JSON renderer (report.json). */
export const jsonRenderer: ReportRenderer = {
  format: 'json',
  fileName: 'report.json',
  description: 'results and report model as JSON (reports/results-schema.json)',
  render: async (model: ReportModel, _ctx: RenderContext) => renderJson(model),
};
