import { formatDuration } from '../core/index.js';
import type { CaseResult, ClusterEventRecord, ClusterSampleRecord, TimeseriesRecord } from '../results/index.js';
import {
  conditionTable,
  expectationTable,
  failureTable,
  faultEventTable,
  loadRows,
  phaseTable,
  serviceTable,
  SERVICE_NOTE,
  recoveryView,
  stageTable,
  statusLine,
  timelineTable,
  type Table,
} from './case-tables.js';
import { renderChart } from './chart.js';
import { PHASE_NOTE } from './phase-label.js';
import { keyEventTable } from './cluster-events.js';
import { CLUSTER_SETTINGS_NOTE, clusterSettingsTable, podImpactTable } from './cluster-tables.js';
import { renderClusterTimeline } from './cluster-timeline.js';
import { servedByTable, servedByTitle } from './served-by-table.js';
import { GENERATOR_LIMITED_NOTE, GENERATOR_LIMITED_TITLE, generatorLimitedTable } from './generator-limited.js';
import { escapeHtml as h } from './escape.js';
import { formatDate } from './format.js';
import { badge, htmlList, htmlPairs, htmlTable, para } from './html-parts.js';

/** One case of the CRT as an HTML section: the five fields, in the order the CRT prints them. */
export function renderCaseHtml(c: CaseResult, records: readonly TimeseriesRecord[], anchor: string, cluster: readonly ClusterSampleRecord[] = [], events: readonly ClusterEventRecord[] = []): string {
  return [
    `<section class="case" id="${h(anchor)}">`,
    `<h3>${h(c.id)} — ${h(c.spec.title)} ${badge(c.verdict)}</h3>`,
    c.spec.description ? para(c.spec.description) : '',
    c.spec.tags.length ? para(`tags: ${c.spec.tags.join(', ')}`, 'muted') : '',
    '<h4>Objective</h4>',
    para(c.spec.objective),
    '<h4>General conditions</h4>',
    conditionsHtml(c),
    '<h4>Triggering actions</h4>',
    triggerHtml(c),
    '<h4>Expected behaviour</h4>',
    expectHtml(c),
    '<h4>Results</h4>',
    resultsHtml(c, records, anchor, cluster, events),
    '</section>',
  ]
    .filter(Boolean)
    .join('\n');
}

function optionalTable(title: string, t: Table | null): string {
  return t ? `<h5>${h(title)}</h5>\n${htmlTable(t)}` : '';
}

function conditionsHtml(c: CaseResult): string {
  const checked = conditionTable(c);
  const settings = clusterSettingsTable(c);
  return [
    htmlList(c.spec.conditions, 'No general condition.'),
    settings ? `<h5>Embedded cluster settings for this case</h5>\n${htmlTable(settings)}\n${para(CLUSTER_SETTINGS_NOTE, 'muted')}` : '',
    // a case that did not get as far as applying its settings still says what it asked for
    !settings && c.spec.clusterSettings ? para(c.spec.clusterSettings, 'muted') : '',
    checked ? `<h5>Checked before the case</h5>\n${htmlTable(checked)}` : '',
  ].join('\n');
}

function triggerHtml(c: CaseResult): string {
  const load = loadRows(c);
  return [
    htmlList(c.spec.trigger, 'No triggering action: load only.'),
    load.length ? `<h5>Load</h5>\n${htmlPairs(load)}` : para('No load in this case.', 'muted'),
    optionalTable('Faults as run', faultEventTable(c)),
  ].join('\n');
}

function expectHtml(c: CaseResult): string {
  return [
    htmlList(c.spec.expect, 'No expectation: the case documents behaviour only.'),
    c.spec.abortIf.length ? `<h5>Abort if</h5>\n${htmlList(c.spec.abortIf, '')}` : '',
  ].join('\n');
}

function resultsHtml(c: CaseResult, records: readonly TimeseriesRecord[], anchor: string, cluster: readonly ClusterSampleRecord[], events: readonly ClusterEventRecord[]): string {
  const timing = `${formatDate(c.startedAt)}, ${formatDuration(c.durationMs)}`;
  return [
    `<p class="verdict-line">${badge(c.verdict)} ${c.reason ? h(c.reason) : ''}</p>`,
    para(timing, 'muted'),
    optionalTable('Expectations', expectationTable(c)),
    optionalTable('Phases', phaseTable(c)),
    phaseTable(c) ? para(PHASE_NOTE, 'muted') : '',
    serviceTable(c) ? para(SERVICE_NOTE, 'muted') : '',
    optionalTable('Service time', serviceTable(c)),
    optionalTable('Stages', stageTable(c)),
    optionalTable(GENERATOR_LIMITED_TITLE, generatorLimitedTable(c)),
    generatorLimitedTable(c) ? para(GENERATOR_LIMITED_NOTE, 'muted') : '',
    optionalTable(servedByTitle(c) ?? '', servedByTable(c)),
    failuresHtml(c),
    recoveryHtml(c),
    optionalTable('Pods killed and evicted', podImpactTable(c)),
    c.load?.warnings.length ? `<h5>Load warnings</h5>\n<div class="warning">${htmlList(c.load.warnings, '')}</div>` : '',
    `<h5>Chart</h5>\n<div class="chart">${renderChart(c, records)}</div>`,
    clusterTimelineHtml(c, records, cluster, events),
    optionalTable('Key events (Kubernetes)', keyEventTable(c, events)),
    timelineTable(c) ? `<p class="muted">Event timeline: <a href="#timeline-${h(anchor)}">in the appendix</a></p>` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

function failuresHtml(c: CaseResult): string {
  const t = failureTable(c);
  if (!t) return '';
  const statuses = statusLine(c);
  return [`<h5>Failures by class</h5>`, htmlTable(t), statuses ? para(`HTTP statuses received: ${statuses}`) : ''].join('\n');
}

function recoveryHtml(c: CaseResult): string {
  const r = recoveryView(c);
  if (!r) return '';
  return [`<h5>Recovery</h5>`, `<p><strong>${h(r.summary)}</strong></p>`, htmlPairs(r.rows)].join('\n');
}

/** Under the load chart, on the same time axis: what the cluster watch saw. */
function clusterTimelineHtml(c: CaseResult, records: readonly TimeseriesRecord[], cluster: readonly ClusterSampleRecord[], events: readonly ClusterEventRecord[]): string {
  const svg = renderClusterTimeline(c, cluster, records, events);
  return svg ? `<h5>Cluster timeline</h5>\n<div class="chart cluster">${svg}</div>` : '';
}
