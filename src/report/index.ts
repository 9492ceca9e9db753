import { htmlReporter } from './html.js';
import { junitReporter } from './junit.js';
import { markdownReporter } from './markdown.js';
import { pdfReporter } from './pdf.js';
import type { Reporter } from './reporter.js';

export type { Reporter, ReportInput } from './reporter.js';
export { ReporterSkipped } from './reporter.js';
export { pdfReporter, findChromium, NO_CHROMIUM, PDF_FILE } from './pdf.js';
export { htmlReporter, renderHtml } from './html.js';
export { markdownReporter, renderMarkdown } from './markdown.js';
export { junitReporter, renderJunit } from './junit.js';
export { renderChart } from './chart.js';
export { escapeHtml, escapeMarkdown, escapeXml } from './escape.js';
export { layerVerdict } from './view.js';
export { comparisonTable, comparisonSummary, comparisonTitle, regressionLines } from './comparison-table.js';

export type ReporterFactory = () => Reporter;

/**
 * The reporters `crt run` and `crt report` know by name. run.json is not among them: the runner
 * writes it before any reporter runs, since every reporter (and `crt report`) reads it. `pdf`
 * prints the file `html` wrote, so it comes after it.
 */
export const builtinReporters = {
  html: htmlReporter,
  markdown: markdownReporter,
  junit: junitReporter,
  pdf: pdfReporter,
} satisfies Record<string, ReporterFactory>;

export type BuiltinReporterName = keyof typeof builtinReporters;
export type { Table } from './case-tables.js';
export { renderAll } from './render-all.js';
