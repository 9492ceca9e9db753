import { formatDuration } from '../core/index.js';
import type { CaseResult, ClusterEventRecord, ClusterSampleRecord } from '../results/index.js';
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
import { keyEventTable } from './cluster-events.js';
import { PHASE_NOTE } from './phase-label.js';
import { CLUSTER_SETTINGS_NOTE, clusterChangeTable, clusterSettingsTable, podImpactTable } from './cluster-tables.js';
import { escapeMarkdown as md } from './escape.js';
import { servedByTable, servedByTitle } from './served-by-table.js';
import { GENERATOR_LIMITED_NOTE, GENERATOR_LIMITED_TITLE, generatorLimitedTable } from './generator-limited.js';
import { formatDate } from './format.js';
import { mdList, mdPairs, mdTable, mdVerdict } from './markdown-parts.js';

/**
 * One case of the CRT in Markdown, the same fields and figures as the HTML section. `chartPath`
 * is the chart file relative to report.md, or null when the case had no load.
 */
export function renderCaseMarkdown(c: CaseResult, chartPath: string | null, cluster: CaseCluster = { cluster: [], timeline: null }): string {
  const blocks = [
    `### ${md(c.id, 'space')} — ${md(c.spec.title, 'space')} — ${mdVerdict(c.verdict)}`,
    c.spec.description ? md(c.spec.description, 'space') : '',
    c.spec.tags.length ? `_tags: ${md(c.spec.tags.join(', '), 'space')}_` : '',
    '#### Objective',
    md(c.spec.objective, 'space'),
    '#### General conditions',
    mdList(c.spec.conditions, 'No general condition.'),
    section('Embedded cluster settings for this case', clusterSettingsTable(c)),
    clusterSettingsTable(c) ? `_${md(CLUSTER_SETTINGS_NOTE, 'space')}_` : '',
    !c.clusterSettings && c.spec.clusterSettings ? `_${md(c.spec.clusterSettings, 'space')}_` : '',
    section('Checked before the case', conditionTable(c)),
    '#### Triggering actions',
    mdList(c.spec.trigger, 'No triggering action: load only.'),
    loadMarkdown(c),
    section('Faults as run', faultEventTable(c)),
    '#### Expected behaviour',
    mdList(c.spec.expect, 'No expectation: the case documents behaviour only.'),
    c.spec.abortIf.length ? `**Abort if**\n\n${mdList(c.spec.abortIf, '')}` : '',
    '#### Results',
    ...resultBlocks(c, chartPath, cluster),
  ];
  return blocks.filter(Boolean).join('\n\n');
}

/** The cluster samples of the run, and this case's timeline file relative to report.md (null: no samples). */
export interface CaseCluster {
  cluster: readonly ClusterSampleRecord[];
  timeline: string | null;
  /** the key Kubernetes Events of the run (cluster.jsonl's `kind: event` lines) */
  events?: readonly ClusterEventRecord[];
}

/** Under the load chart: the cluster timeline, and its changes as a compact table. */
function clusterBlocks(c: CaseResult, k: CaseCluster): string[] {
  return [
    k.timeline ? `![Cluster timeline of case ${md(c.id, 'space')}](${k.timeline})` : '',
    section('Key events (Kubernetes)', keyEventTable(c, k.events ?? [])),
    section('Cluster changes (Ready replicas and nodes)', clusterChangeTable(c, k.cluster)),
  ];
}

function section(title: string, t: Table | null): string {
  return t ? `**${md(title, 'space')}**\n\n${mdTable(t)}` : '';
}

function loadMarkdown(c: CaseResult): string {
  const rows = loadRows(c);
  return rows.length ? `**Load**\n\n${mdPairs(rows, ['load', ''])}` : '_No load in this case._';
}

function resultBlocks(c: CaseResult, chartPath: string | null, cluster: CaseCluster): string[] {
  const statuses = statusLine(c);
  const recovery = recoveryView(c);
  return [
    `${mdVerdict(c.verdict)}${c.reason ? ` — ${md(c.reason, 'space')}` : ''}`,
    `_${md(`${formatDate(c.startedAt)}, ${formatDuration(c.durationMs)}`, 'space')}_`,
    section('Expectations', expectationTable(c)),
    section('Phases', phaseTable(c)),
    phaseTable(c) ? `_${md(PHASE_NOTE, 'space')}_` : '',
    serviceTable(c) ? `_${md(SERVICE_NOTE, 'space')}_` : '',
    section('Service time', serviceTable(c)),
    section('Stages', stageTable(c)),
    section(GENERATOR_LIMITED_TITLE, generatorLimitedTable(c)),
    generatorLimitedTable(c) ? `_${md(GENERATOR_LIMITED_NOTE, 'space')}_` : '',
    section(servedByTitle(c) ?? '', servedByTable(c)),
    section('Failures by class', failureTable(c)),
    statuses ? `HTTP statuses received: ${md(statuses, 'space')}` : '',
    section('Pods killed and evicted', podImpactTable(c)),
    recovery ? `**Recovery: ${md(recovery.summary, 'space')}**\n\n${mdPairs(recovery.rows, ['recovery', ''])}` : '',
    c.load?.warnings.length ? `**Load warnings**\n\n${mdList(c.load.warnings, '')}` : '',
    chartPath ? `![Load and latency of case ${md(c.id, 'space')}](${chartPath})` : '',
    ...clusterBlocks(c, cluster),
    section('Event timeline', timelineTable(c)),
  ];
}
