import type { CaseResult, ClusterEventRecord, ClusterSampleRecord, RunResult, TimeseriesRecord } from '../results/types.js';
import { escapeHtml as h } from './escape.js';
import { uniqueSlugs } from './format.js';
import { renderCaseHtml } from './html-case.js';
import { COMPARISON_CSS, comparisonSectionHtml } from './comparison-sections.js';
import { OUTCOME_CSS, outcomeBannerHtml } from './outcome-banner.js';
import { TRACE_CSS, signOffHtml, traceabilityHtml, trendHtml } from './trace-sections.js';
import { CSS, badge, htmlList, htmlPairs, htmlTable, para } from './html-parts.js';
import { runStudies, studyComparisonTable, studyPairs, studySummary, studyVariantTable } from './study-tables.js';
import type { Reporter, ReportInput } from './reporter.js';
import { VERDICT_LABEL, environmentRows, layerViews, recordsByCase, runSummary, verdictCounts, type CaseLine, type RunSummary } from './view.js';
import { writeReportFile } from './write-file.js';

export const HTML_FILE = 'report.html';

/**
 * `report.html`: the CRT report as one self-contained file (inline CSS and SVG, no script, no
 * font or CDN), so it can be mailed, archived and opened offline years later.
 */
export function htmlReporter(): Reporter {
  return {
    name: 'html',
    async render(input: ReportInput): Promise<string[]> {
      return [await writeReportFile(input.dir, HTML_FILE, renderHtml(input.run, input.timeseries, input.cluster, input.clusterEvents ?? []))];
    },
  };
}

/**
 * `cluster`: the lines of cluster.jsonl, drawn as each case's cluster timeline (none without a cluster);
 * `clusterEvents`: its key Kubernetes Events, markers on that timeline and a list under it.
 */
export function renderHtml(run: RunResult, timeseries: readonly TimeseriesRecord[], cluster: readonly ClusterSampleRecord[] = [], clusterEvents: readonly ClusterEventRecord[] = []): string {
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
    `<style>${CSS}${OUTCOME_CSS}${COMPARISON_CSS}${TRACE_CSS}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${h(summary.title)}</h1>`,
    summary.subtitle ? `<p class="subtitle">${h(summary.subtitle)}</p>` : '',
    '</header>',
    outcomeBannerHtml(run),
    summaryHtml(run, summary, anchor),
    comparisonSectionHtml(run),
    trendHtml(run),
    traceabilityHtml(run),
    ...layers,
    ...studiesHtml(run),
    signOffHtml(run),
    '</body>',
    '</html>',
  ]
    .filter(Boolean)
    .join('\n')
    .concat('\n');
}

function caseItems(lines: readonly CaseLine[], anchor: (c: { id: string }) => string, withReason: boolean): string {
  const items = lines.map((l) => {
    const reason = withReason && l.reason ? `: ${h(l.reason)}` : '';
    const verdict = withReason ? ` ${badge(l.verdict)}` : '';
    return `<li><a href="#${h(anchor(l))}">${h(l.id)} — ${h(l.title)}</a>${verdict}${reason}</li>`;
  });
  return items.length ? `<ul>\n${items.join('\n')}\n</ul>` : '<p class="muted">none</p>';
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

function summaryHtml(run: RunResult, s: RunSummary, anchor: (c: { id: string }) => string): string {
  const versions = Object.entries(run.plan.versions);
  const parts = [
    '<section id="summary">',
    '<h2>Summary</h2>',
    s.revertFailures.length
      ? `<div class="alert"><strong>Revert failed: the system may still hold injected faults.</strong>\n${htmlList(s.revertFailures, '')}</div>`
      : '',
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
    '<h3>What the platform tolerates</h3>',
    caseItems(s.tolerated, anchor, false),
    '<h3>What it does not tolerate</h3>',
    caseItems(s.notTolerated, anchor, true),
    s.notEstablished.length ? `<h3>Not established</h3>\n${caseItems(s.notEstablished, anchor, true)}` : '',
    studyLinksHtml(run),
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

function countsHtml(cases: readonly CaseResult[]): string {
  const counts = verdictCounts(cases);
  const head = `<tr>${counts.map((c) => `<th>${badge(c.verdict)}</th>`).join('')}<th>total</th></tr>`;
  const body = `<tr>${counts.map((c) => `<td class="num">${c.count}</td>`).join('')}<td class="num">${cases.length}</td></tr>`;
  return `<table class="counts">\n<thead>${head}</thead>\n<tbody>${body}</tbody>\n</table>`;
}

function layerVerdictsHtml(run: RunResult): string {
  const rows = layerViews(run).map((l) => {
    const detail = l.cases.map((c) => `${c.id} ${VERDICT_LABEL[c.verdict]}`).join(', ');
    return `<tr><th scope="row"><a href="#layer-${l.layer}">${h(l.label)}</a></th><td>${badge(l.verdict)}</td><td class="num">${l.cases.length}</td><td>${h(detail)}</td></tr>`;
  });
  return `<table class="layers">\n<thead><tr><th>layer</th><th>verdict</th><th class="num">cases</th><th>cases and verdicts</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}
