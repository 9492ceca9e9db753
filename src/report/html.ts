import { UsageError, formatDuration } from '../core/index.js';
import type { CaseResult, ClusterEventRecord, ClusterSampleRecord, RunResult, TimeseriesRecord } from '../results/index.js';
import { escapeHtml as h } from './escape.js';
import { formatDate, uniqueSlugs } from './format.js';
import { renderCaseHtml } from './html-case.js';
import { COMPARISON_CSS, comparisonSectionHtml } from './comparison-sections.js';
import { OUTCOME_CSS, outcomeBannerHtml } from './outcome-banner.js';
import { TRACE_CSS, signOffHtml, traceabilityHtml, trendHtml } from './trace-sections.js';
import { CSS, badge, htmlList, htmlPairs, htmlTable, para } from './html-parts.js';
import { overviewHtml, revertAlertHtml, toleranceHtml } from './html-summary.js';
import { timelineTable } from './case-tables.js';
import { runBanner } from './view-overview.js';
import { runStudies, studyComparisonTable, studyPairs, studySummary, studyVariantTable } from './study-tables.js';
import type { Reporter, ReportInput } from './reporter.js';
import { VERDICT_LABEL, environmentRows, layerViews, recordsByCase, runSummary, verdictCounts, type RunSummary } from './view.js';
import { writeReportFile } from './write-file.js';

export const HTML_FILE = 'report.html';

/** The paper report.pdf is printed on: A4 unless `CRT_PAPER=letter`. */
export type Paper = 'a4' | 'letter';
const PAPER_SIZE: Record<Paper, string> = { a4: 'A4', letter: 'letter' };

export interface HtmlOptions {
  /** where `CRT_PAPER` is read; the process environment by default */
  env?: NodeJS.ProcessEnv;
}

/** `CRT_PAPER`: `a4` (default) or `letter`; anything else is a usage mistake worth a clear message. */
export function paperFrom(env: NodeJS.ProcessEnv): Paper {
  const v = env.CRT_PAPER?.trim().toLowerCase() ?? '';
  if (v === '' || v === 'a4') return 'a4';
  if (v === 'letter') return 'letter';
  throw new UsageError(`CRT_PAPER=${env.CRT_PAPER ?? ''} is not a paper size`, { hint: 'use a4 (the default) or letter' });
}

/**
 * `report.html`: the CRT report as one self-contained file (inline CSS and SVG, no script, no
 * font or CDN), so it can be mailed, archived and opened offline years later.
 */
export function htmlReporter(opts: HtmlOptions = {}): Reporter {
  return {
    name: 'html',
    async render(input: ReportInput): Promise<string[]> {
      const paper = paperFrom(opts.env ?? process.env);
      return [await writeReportFile(input.dir, HTML_FILE, renderHtml(input.run, input.timeseries, input.cluster, input.clusterEvents ?? [], { paper }))];
    },
  };
}

/**
 * `cluster`: the lines of cluster.jsonl, drawn as each case's cluster timeline (none without a cluster);
 * `clusterEvents`: its key Kubernetes Events, markers on that timeline and a list under it.
 * The page reads top down as a release manager decides: the outcome, the cases at a glance, the
 * regressions, what the system tolerates; then the plan and its environment; then each case; the
 * long event timelines last, in an appendix.
 */
export function renderHtml(
  run: RunResult,
  timeseries: readonly TimeseriesRecord[],
  cluster: readonly ClusterSampleRecord[] = [],
  clusterEvents: readonly ClusterEventRecord[] = [],
  opts: { paper?: Paper } = {},
): string {
  const summary = runSummary(run);
  const anchors = uniqueSlugs(run.cases.map((c) => c.id));
  const anchor = (c: { id: string }): string => `case-${anchors.get(c.id) ?? 'case'}`;
  const records = recordsByCase(timeseries);
  const layers = layerViews(run).map((l) =>
    [
      `<section class="layer" id="layer-${l.layer}">`,
      `<h2>${h(l.label)} ${badge(l.verdict)}</h2>`,
      l.cases.length === 0
        ? '<p class="muted">no case in this layer</p>'
        : l.cases.map((c) => renderCaseHtml(c, records.get(c.id) ?? [], anchor(c), cluster, clusterEvents)).join('\n'),
      '</section>',
    ].join('\n'),
  );
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(`CRT report — ${summary.title}`)}</title>`,
    `<style>${CSS}${OUTCOME_CSS}${COMPARISON_CSS}${TRACE_CSS}${printCss(run, opts.paper ?? 'a4')}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${h(summary.title)}</h1>`,
    summary.subtitle ? `<p class="subtitle">${h(summary.subtitle)}</p>` : '',
    '</header>',
    firstScreenHtml(run, summary, anchor),
    comparisonSectionHtml(run),
    trendHtml(run),
    planHtml(run, summary),
    traceabilityHtml(run),
    ...layers,
    ...studiesHtml(run),
    signOffHtml(run),
    appendixHtml(run, anchor),
    '</body>',
    '</html>',
  ]
    .filter(Boolean)
    .join('\n')
    .concat('\n');
}

/** The outcome, the case table, and the tolerates lists: what answers "can we ship?". */
function firstScreenHtml(run: RunResult, s: RunSummary, anchor: (c: { id: string }) => string): string {
  return [
    '<section id="summary">',
    outcomeBannerHtml(run),
    revertAlertHtml(s),
    `<p class="muted">${h(`Run ${run.runId}, ${formatDate(run.startedAt)} (${formatDuration(run.durationMs)})${run.interrupted ? `, interrupted by ${run.interrupted}` : ''}`)}</p>`,
    '<h2>Cases</h2>',
    overviewHtml(run, anchor),
    toleranceHtml(s, anchor),
    studyLinksHtml(run),
    '</section>',
  ].filter(Boolean).join('\n');
}

/** The long event timeline of every case, out of the way of the case itself, one sub-section each. */
function appendixHtml(run: RunResult, anchor: (c: { id: string }) => string): string {
  const parts = run.cases.flatMap((c) => {
    const t = timelineTable(c);
    if (!t) return [];
    return [`<section class="timeline" id="timeline-${h(anchor(c))}">`, `<h3><a href="#${h(anchor(c))}">${h(c.id)} — ${h(c.spec.title)}</a></h3>`, htmlTable(t), '</section>'];
  });
  if (parts.length === 0) return '';
  return ['<section id="appendix">', '<h2>Appendix: event timelines</h2>', ...parts, '</section>'].join('\n');
}

/** The printed page: paper size, and on every page the run, its outcome and "page X of Y". */
function printCss(run: RunResult, paper: Paper): string {
  const b = runBanner(run);
  return `
@page { size: ${PAPER_SIZE[paper]}; margin: 16mm 12mm 16mm 12mm;
  @top-left { content: ${cssString(`crt ${run.runId}`)}; font: 8pt system-ui, sans-serif; color: #555; }
  @top-right { content: ${cssString(`${b.status} (exit ${b.exitCode})`)}; font: bold 8pt system-ui, sans-serif; color: ${b.tone === 'passed' ? '#1e7d32' : '#c62828'}; }
  @bottom-left { content: ${cssString(run.plan.title ?? run.plan.name)}; font: 8pt system-ui, sans-serif; color: #555; }
  @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8pt system-ui, sans-serif; color: #555; }
}
`;
}

/** A CSS string literal: quotes, backslashes and line breaks escaped, and `<` and `&` too, so no text ends the style element or reads as markup. */
function cssString(text: string): string {
  return `"${text.replace(/[\\"<&\n\r]/g, (ch) => `\\${ch.charCodeAt(0).toString(16)} `)}"`;
}

/**
 * One section per load study, after the layers: the comparison of the variants first (what a reader
 * came for), then each variant's own table.
 */
function studiesHtml(run: RunResult): string[] {
  const slugs = uniqueSlugs(runStudies(run).map((s) => s.name));
  return runStudies(run).map((study) => [
    `<section class="study" id="study-${h(slugs.get(study.name) ?? 'study')}">`,
    `<h2>${h(`Load study: ${study.name}`)}</h2>`,
    para(studySummary(study), 'muted'),
    ...studyPairs(study).flatMap(([a, b]) => [`<h3>${h(`${a} → ${b}`)}</h3>`, htmlTable(studyComparisonTable(study, a, b), 'data study-comparison')]),
    ...study.variants.flatMap((v) => [`<h3>${h(v)}</h3>`, htmlTable(studyVariantTable(study, v), 'data study-variant')]),
    '</section>',
  ].join('\n'));
}

/** The plan, its versions and environment, and the verdicts per layer: after the results, for the record. */
function planHtml(run: RunResult, s: RunSummary): string {
  const versions = Object.entries(run.plan.versions);
  const parts = [
    '<section id="plan">',
    '<h2>Plan and environment</h2>',
    run.plan.description ? `<p>${h(run.plan.description)}</p>` : '',
    htmlPairs(s.facts),
    s.sinkProblems.length ? `<p class="warning">Sinks: ${h(s.sinkProblems.join('; '))}</p>` : '',
    '<h3>Versions</h3>',
    versions.length
      ? htmlTable({ headers: ['component', 'version'], rows: versions, numeric: [false, false] })
      : htmlList([], 'No version recorded in the plan.'),
    '<h3>Environment</h3>',
    htmlPairs(environmentRows(run)),
    '<h3>Verdicts</h3>',
    countsHtml(run.cases),
    layerVerdictsHtml(run),
    '</section>',
  ];
  return parts.filter(Boolean).join('\n');
}

/** In the summary: each load study, linked to its section after the layers. */
function studyLinksHtml(run: RunResult): string {
  const studies = runStudies(run);
  if (studies.length === 0) return '';
  const slugs = uniqueSlugs(studies.map((s) => s.name));
  const items = studies.map((s) => `<li><a href="#study-${h(slugs.get(s.name) ?? 'study')}">${h(`Load study: ${s.name}`)}</a> — ${h(studySummary(s).split('. ')[0] ?? '')}</li>`);
  return `<h3>Load studies</h3>\n<ul>\n${items.join('\n')}\n</ul>`;
}

/** Every verdict with its count, as chips that wrap on a narrow screen. */
function countsHtml(cases: readonly CaseResult[]): string {
  const chips = verdictCounts(cases).map((c) => `<span class="count">${badge(c.verdict)} ${c.count}</span>`);
  return `<p class="counts">${chips.join(' ')} <span class="count">total ${cases.length}</span></p>`;
}

function layerVerdictsHtml(run: RunResult): string {
  const rows = layerViews(run).map((l) => {
    const detail = l.cases.map((c) => `${c.id} ${VERDICT_LABEL[c.verdict]}`).join(', ');
    return `<tr><th scope="row"><a href="#layer-${l.layer}">${h(l.label)}</a></th><td>${badge(l.verdict)}</td><td class="num">${l.cases.length}</td><td>${h(detail)}</td></tr>`;
  });
  return `<table class="layers">\n<thead><tr><th>layer</th><th>verdict</th><th class="num">cases</th><th>cases and verdicts</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}
