import { UsageError } from '../core/index.js';
import type { ClusterEventRecord, ClusterSampleRecord, RunResult, StudyResult } from '../results/index.js';
import { renderChart } from './chart.js';
import { svgToPng } from './chart-png.js';
import { SUMMARY_FILE, renderSummaryMarkdown } from './markdown-summary.js';
import { renderClusterTimeline } from './cluster-timeline.js';
import { escapeMarkdown as md } from './escape.js';
import { uniqueSlugs } from './format.js';
import { comparisonBlocksMarkdown } from './comparison-sections.js';
import { outcomeBannerMarkdown } from './outcome-banner.js';
import { signOffMarkdown, traceabilityMarkdown, trendMarkdown } from './trace-sections.js';
import { renderCaseMarkdown } from './markdown-case.js';
import { runStudies, studyComparisonTable, studyPairs, studySummary, studyVariantTable } from './study-tables.js';
import { mdList, mdPairs, mdTable, mdVerdict } from './markdown-parts.js';
import type { Reporter, ReportInput } from './reporter.js';
import { VERDICT_LABEL, environmentRows, layerViews, recordsByCase, runSummary, verdictCounts, type CaseLine, type RunSummary } from './view.js';
import { writeReportFile } from './write-file.js';

export const MARKDOWN_FILE = 'report.md';
export const CHARTS_DIR = 'charts';

export interface MarkdownOptions {
  /** where `CRT_ARTIFACT_BASE_URL` is read; the process environment by default */
  env?: NodeJS.ProcessEnv;
}

/**
 * `report.md`: the CRT report for wikis and merge requests. Markdown cannot inline an SVG, so
 * each case's chart is its own file under `charts/`, referenced by a relative path, and so is its
 * cluster timeline (`charts/<case>-cluster.svg`) when the run had a cluster. `summary.md` is the
 * short form to paste, its charts as PNG (`charts/<case>.png`); with `CRT_ARTIFACT_BASE_URL` (the
 * URL under which CI publishes the run folder) its links are absolute, so they work pasted anywhere.
 */
export function markdownReporter(opts: MarkdownOptions = {}): Reporter {
  return {
    name: 'markdown',
    async render(input: ReportInput): Promise<string[]> {
      const { run, dir } = input;
      const baseUrl = artifactBaseUrl(opts.env ?? process.env);
      const pngs = new Map<string, string>();
      const records = recordsByCase(input.timeseries);
      const slugs = uniqueSlugs(run.cases.map((c) => c.id));
      const charts = new Map<string, string>();
      const timelines = new Map<string, string>();
      const written: string[] = [];
      for (const c of run.cases) {
        const caseRecords = records.get(c.id) ?? [];
        const slug = slugs.get(c.id) ?? 'case';
        if (caseRecords.length > 0) {
          const path = `${CHARTS_DIR}/${slug}.svg`;
          const svg = renderChart(c, caseRecords);
          written.push(await writeReportFile(dir, path, `${svg}\n`));
          charts.set(c.id, path);
          const png = `${CHARTS_DIR}/${slug}.png`;
          written.push(await writeReportFile(dir, png, svgToPng(svg)));
          pngs.set(c.id, png);
        }
        const timeline = renderClusterTimeline(c, input.cluster, caseRecords, input.clusterEvents ?? []);
        if (timeline) {
          const path = `${CHARTS_DIR}/${slug}-cluster.svg`;
          written.push(await writeReportFile(dir, path, `${timeline}\n`));
          timelines.set(c.id, path);
        }
      }
      written.unshift(await writeReportFile(dir, MARKDOWN_FILE, renderMarkdown(run, charts, { cluster: input.cluster, timelines, events: input.clusterEvents ?? [] })));
      const anchors = new Map(run.cases.map((c) => [c.id, `case-${slugs.get(c.id) ?? 'case'}`]));
      written.splice(1, 0, await writeReportFile(dir, SUMMARY_FILE, renderSummaryMarkdown(run, { baseUrl, charts: pngs, anchors })));
      return written;
    },
  };
}

/** `CRT_ARTIFACT_BASE_URL`: an http(s) URL, or unset for links relative to the run folder. */
export function artifactBaseUrl(env: NodeJS.ProcessEnv): string {
  const v = env.CRT_ARTIFACT_BASE_URL?.trim() ?? '';
  if (v === '') return '';
  if (!/^https?:\/\/[^\s]+$/.test(v)) throw new UsageError(`CRT_ARTIFACT_BASE_URL=${v} is not an http(s) URL`, { hint: 'set it to where CI publishes the run folder, or unset it for relative links' });
  return v;
}

/** The cluster view for the Markdown report: the samples (for the tables of changes) and each case's timeline file. */
export interface MarkdownCluster {
  cluster: readonly ClusterSampleRecord[];
  timelines: ReadonlyMap<string, string>;
  /** the key Kubernetes Events of cluster.jsonl, listed under each case's timeline */
  events?: readonly ClusterEventRecord[];
}

/** `charts` maps a case id to its chart file, relative to report.md. */
export function renderMarkdown(run: RunResult, charts: ReadonlyMap<string, string>, cluster: MarkdownCluster = { cluster: [], timelines: new Map() }): string {
  const s = runSummary(run);
  const layers = layerViews(run).flatMap((l) => [
    `## ${md(l.label, 'space')} — ${mdVerdict(l.verdict)}`,
    l.cases.length === 0 ? '_no case in this layer_' : l.cases.map((c) => renderCaseMarkdown(c, charts.get(c.id) ?? null, { cluster: cluster.cluster, timeline: cluster.timelines.get(c.id) ?? null, events: cluster.events ?? [] })).join('\n\n---\n\n'),
  ]);
  const blocks = [
    `# ${md(s.title, 'space')}`,
    s.subtitle ? `_${md(s.subtitle, 'space')}_` : '',
    outcomeBannerMarkdown(run),
    ...summaryBlocks(run, s),
    ...comparisonBlocksMarkdown(run),
    ...trendMarkdown(run),
    ...traceabilityMarkdown(run),
    ...layers,
    ...runStudies(run).flatMap(studyBlocks),
    ...signOffMarkdown(run),
  ];
  return `${blocks.filter(Boolean).join('\n\n')}\n`;
}

/** A load study, after the layers: the comparison of the variants first, then each variant's table. */
function studyBlocks(study: StudyResult): string[] {
  return [
    `## ${md(`Load study: ${study.name}`, 'space')}`,
    `_${md(studySummary(study), 'space')}_`,
    ...studyPairs(study).flatMap(([a, b]) => [`### ${md(`${a} → ${b}`, 'space')}`, mdTable(studyComparisonTable(study, a, b))]),
    ...study.variants.flatMap((v) => [`### ${md(v, 'space')}`, mdTable(studyVariantTable(study, v))]),
  ];
}

function caseItems(lines: readonly CaseLine[], withReason: boolean): string {
  const text = lines.map((l) => `${l.id} — ${l.title}${withReason ? ` (${VERDICT_LABEL[l.verdict]})${l.reason ? `: ${l.reason}` : ''}` : ''}`);
  return mdList(text, 'none');
}

function summaryBlocks(run: RunResult, s: RunSummary): string[] {
  const versions = Object.entries(run.plan.versions);
  const counts = verdictCounts(run.cases);
  const layers = layerViews(run).map((l) => [
    l.label,
    l.verdict === null ? 'no case' : VERDICT_LABEL[l.verdict],
    String(l.cases.length),
    l.cases.map((c) => `${c.id} ${VERDICT_LABEL[c.verdict]}`).join(', '),
  ]);
  return [
    '## Summary',
    s.revertFailures.length
      ? `> **Revert failed: the system may still hold injected faults.**\n>\n${s.revertFailures.map((f) => `> - ${md(f, 'space')}`).join('\n')}`
      : '',
    run.plan.description ? md(run.plan.description, 'space') : '',
    mdPairs(s.facts, ['run', '']),
    s.sinkProblems.length ? `> **Sinks:** ${md(s.sinkProblems.join('; '), 'space')}` : '',
    '### Versions',
    versions.length ? mdPairs(versions, ['component', 'version']) : '_No version recorded in the plan._',
    '### Environment',
    mdPairs(environmentRows(run), ['environment', '']),
    '### Verdicts',
    mdTable({
      headers: [...counts.map((c) => VERDICT_LABEL[c.verdict]), 'total'],
      rows: [[...counts.map((c) => String(c.count)), String(run.cases.length)]],
      numeric: [...counts.map(() => true), true],
    }),
    mdTable({ headers: ['layer', 'verdict', 'cases', 'cases and verdicts'], rows: layers, numeric: [false, false, true, false] }),
    '### What the platform tolerates',
    caseItems(s.tolerated, false),
    '### What it does not tolerate',
    caseItems(s.notTolerated, true),
    s.notEstablished.length ? `### Not established\n\n${caseItems(s.notEstablished, true)}` : '',
  ];
}
