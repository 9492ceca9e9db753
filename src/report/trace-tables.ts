import { formatDuration, formatPercent } from '../core/index.js';
import type { RunResult, TrendPoint } from '../results/index.js';
import type { Table } from './case-tables.js';
import { NONE, formatDate, formatLatency } from './format.js';

/**
 * The traceability of a run as plain text (who, which plan exactly, what ran in the cluster, which
 * cases of the book), its sign-off block and the trend of its plan: the HTML and Markdown renderers
 * (trace-sections.ts) only lay them out.
 */

/** `3 of 19 cases of the book run` */
export function coverageLine(run: RunResult): string | null {
  const c = run.trace?.coverage;
  if (!c) return null;
  return `${c.selected} of ${c.total} case${c.total === 1 ? '' : 's'} of the book run${c.notSelected.length ? ` (${c.notSelected.length} not selected, listed below)` : ''}`;
}

/** Label/value pairs: operator or CI job, plan hash, commit and owner, crt and Kubernetes versions, coverage, dashboard. */
export function traceRows(run: RunResult): Array<[string, string]> {
  const t = run.trace;
  const rows: Array<[string, string]> = [];
  if (t?.ci) {
    rows.push(['CI job', `${t.ci.system}: ${t.ci.job}${t.ci.url ? ` — ${t.ci.url}` : ''}`]);
    if (t.ci.actor) rows.push(['triggered by', t.ci.actor]);
    if (t.ci.commit) rows.push(['CI commit', `${t.ci.commit}${t.ci.ref ? ` (${t.ci.ref})` : ''}`]);
  }
  if (t) rows.push(['operator', t.operator ?? `${NONE} (no USER or LOGNAME)`]);
  rows.push(['plan', `${run.plan.name} (${run.plan.file})`]);
  if (t) {
    rows.push(['plan sha256', t.plan.sha256]);
    if (t.plan.extendsSha256) rows.push([`extended plan sha256`, `${t.plan.extendsSha256} (${run.plan.extends ?? ''})`]);
    rows.push(['plan commit', t.plan.git ? `${t.plan.git.commit}${t.plan.git.dirty ? ' — the plan folder had uncommitted changes' : ''}` : `${NONE} (the plan folder is not in a git work tree)`]);
    rows.push(['plan owner', t.plan.owner ?? `${NONE} (metadata.owner not set)`]);
  }
  rows.push(['crt', run.environment.crtVersion]);
  if (t) rows.push(['Kubernetes', t.kubernetesVersion ?? `${NONE} (no cluster, or /version not readable)`]);
  const coverage = coverageLine(run);
  if (coverage) rows.push(['coverage', coverage]);
  if (run.dashboard) rows.push(['dashboard', `${run.dashboard.url} (${formatDate(new Date(run.dashboard.fromMs).toISOString())} → ${formatDate(new Date(run.dashboard.toMs).toISOString())})`]);
  if (!t) rows.push(['note', 'this run.json was written by a crt that recorded no trace (operator, plan hash, images)']);
  return rows;
}

/** The cases of the book this run did not run, and why. */
export function notSelectedTable(run: RunResult): Table | null {
  const rows = run.trace?.coverage.notSelected ?? [];
  if (rows.length === 0) return null;
  return { headers: ['case', 'layer', 'why not run'], rows: rows.map((r) => [r.id, r.layer, r.why]), numeric: [false, false, false] };
}

/**
 * The images that ran in the plan's namespaces at the start, one row per workload, container and
 * image; `changed` flags what differed at the end of the run (its end values are in imageChangeLines).
 */
export function imageTable(run: RunResult): Table | null {
  const images = run.trace?.images;
  if (!images || images.start.containers.length === 0) return null;
  const changed = new Set(images.changes.map((c) => `${c.namespace}/${c.workload}/${c.container}`));
  const seen = new Set<string>();
  const rows: string[][] = [];
  for (const c of images.start.containers) {
    const k = `${c.namespace}/${c.workload}/${c.container}`;
    const row = [c.namespace, c.workload, c.container, c.image, c.imageID || NONE, changed.has(k) ? 'CHANGED during the run' : ''];
    const id = row.join('\u0000');
    if (seen.has(id)) continue;
    seen.add(id);
    rows.push(row);
  }
  return { headers: ['namespace', 'workload', 'container', 'image', 'image ID (digest)', 'at the end'], rows, numeric: rows[0]?.map(() => false) ?? [] };
}

/** One line per workload container whose images changed between the start and the end; read problems too. */
export function imageNotes(run: RunResult): string[] {
  const images = run.trace?.images;
  if (!images) return [];
  const notes = images.changes.map((c) => `${c.namespace} ${c.workload} ${c.container}: ${c.start.join(', ') || '(not running)'} at the start → ${c.end.join(', ') || '(not running)'} at the end`);
  if (images.start.error) notes.push(`start: ${images.start.error}`);
  if (images.end?.error) notes.push(`end: ${images.end.error}`);
  if (!images.end) notes.push('the images were not read again at the end of the run');
  return notes;
}

/** The sign-off block: filled from `crt report --sign-off`, or blank for a person to fill in on paper. */
export function signOffRows(run: RunResult): Array<[string, string]> {
  const s = run.signOff;
  return [
    ['prepared by', s?.preparedBy ?? ''],
    ['reviewed by', s?.reviewedBy ?? ''],
    ['decision', s?.decision ?? ''],
    ['date', s?.date ?? ''],
    ['deviations / known issues', s ? (s.deviations.length ? s.deviations.join('\n') : 'none') : ''],
  ];
}

const recoveryText = (r: TrendPoint['worstRecovery']): string => (r === null ? NONE : `${r.ms === null ? 'not recovered' : formatDuration(r.ms)} (${r.caseId})`);

/** The key figures of the plan's last runs, oldest first, this run last. Null with fewer than two runs. */
export function trendTable(run: RunResult): Table | null {
  const points = run.trend ?? [];
  if (points.length < 2) return null;
  const rows = points.map((p) => [
    p.runId === run.runId ? `${p.runId} (this run)` : p.runId,
    formatDate(p.startedAt),
    p.outcome,
    `${p.passed}/${p.cases}`,
    p.regressions === null ? NONE : String(p.regressions),
    String(p.requests),
    p.requests > 0 ? formatPercent(p.failed / p.requests) : NONE,
    p.worstP95 ? `${formatLatency(p.worstP95.ms)} (${p.worstP95.caseId})` : NONE,
    recoveryText(p.worstRecovery),
  ]);
  const headers = ['run', 'started', 'outcome', 'cases passed', 'regressions', 'requests', 'error rate', 'highest p95 (case)', 'longest recovery (case)'];
  return { headers, rows, numeric: headers.map((_, i) => i >= 3 && i <= 6) };
}
