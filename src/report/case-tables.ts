import { formatDuration, formatPercent } from '../core/index.js';
import { FAILURE_CLASSES, PHASE_NAMES, type CaseEvent, type CaseResult, type FailureClass, type LatencySummary, type LoadStats } from '../results/index.js';
import { NONE, formatCount, formatLatency, formatOffset, formatRate, formatWindow } from './format.js';
import { VERDICT_LABEL } from './view.js';
import { phaseLabel } from './phase-label.js';

/**
 * The tables of one case as plain text; the HTML and Markdown renderers only escape and lay
 * them out, so both documents carry the same figures.
 */
export interface Table {
  headers: string[];
  rows: string[][];
  /** columns holding figures, right-aligned */
  numeric: boolean[];
}

const LATENCY_COLUMNS = ['mean', 'p50', 'p75', 'p90', 'p95', 'p99', 'max'] as const;
type LatencyColumn = (typeof LATENCY_COLUMNS)[number];

function latencyCells(l: LatencySummary | null | undefined, columns: readonly LatencyColumn[]): string[] {
  return columns.map((k) => (l ? formatLatency(l[k]) : NONE));
}

function table(headers: string[], rows: string[][], firstText = 1): Table {
  return { headers, rows, numeric: headers.map((_, i) => i >= firstText) };
}

export function expectationTable(c: CaseResult): Table | null {
  if (c.expectations.length === 0) return null;
  const rows = c.expectations.map((e) => [
    phaseLabel(e.phase),
    e.metric,
    // thresholdText is the whole bound as the runner words it (`p95 ≤ 200ms`, a probe's description)
    e.thresholdText,
    e.measuredText + (e.reason ? ` (${e.reason})` : ''),
    e.verdict,
  ]);
  return { headers: ['phase', 'metric', 'expected', 'measured', 'verdict'], rows, numeric: [false, false, false, true, false] };
}

function statsCells(s: LoadStats | null): string[] {
  return [
    formatCount(s?.requests),
    formatCount(s?.failed),
    formatPercent(s?.errorRate),
    formatRate(s?.rps),
  ];
}

function phasesInOrder(c: CaseResult): CaseResult['phases'] {
  return [...c.phases].sort((a, b) => PHASE_NAMES.indexOf(a.name) - PHASE_NAMES.indexOf(b.name) || a.startMs - b.startMs);
}

function hasSchedule(c: CaseResult): boolean {
  return c.load !== null && c.stages.some((s) => s.rateRps !== null);
}

/**
 * Requests the schedule planned in a window (open model: a stage with a rate), from the stages
 * it overlaps; null when no stage of the load has a fixed rate (closed model: nothing is due).
 */
export function dueRequests(c: CaseResult, startMs: number, endMs: number): number | null {
  if (!c.load || !hasSchedule(c)) return null;
  const generators = c.load.generators;
  let due = 0;
  for (const s of c.stages) {
    if (s.rateRps === null) continue;
    const overlapMs = Math.max(0, Math.min(endMs, s.endMs) - Math.max(startMs, s.startMs));
    due += (overlapMs / 1000) * s.rateRps * generators;
  }
  return Math.round(due);
}

/**
 * Phases in timeline order, `whole` last; latency measured from the intended send time. With a
 * fixed rate, `due` (what the schedule planned in the phase) sits beside the completed requests,
 * so a phase whose requests completed late reads as such (PHASE_NOTE).
 */
export function phaseTable(c: CaseResult): Table | null {
  if (c.phases.length === 0) return null;
  const phases = phasesInOrder(c);
  const open = hasSchedule(c);
  const rows = phases.map((p) => [
    phaseLabel(p.name),
    formatWindow(p.startMs, p.endMs),
    ...(open ? [formatCount(dueRequests(c, p.startMs, p.endMs))] : []),
    ...statsCells(p.stats),
    ...latencyCells(p.stats?.latency, LATENCY_COLUMNS),
  ]);
  const headers = ['phase', 'window (s)', ...(open ? ['due'] : []), 'requests', 'failed', 'error rate', 'req/s', ...LATENCY_COLUMNS];
  return table(headers, rows);
}

/** The plain service time of each phase (from the moment each request was written). */
export function serviceTable(c: CaseResult): Table | null {
  if (!c.phases.some((p) => p.stats?.service)) return null;
  const rows = phasesInOrder(c).map((p) => [phaseLabel(p.name), formatCount(p.stats?.requests), ...latencyCells(p.stats?.service, LATENCY_COLUMNS)]);
  return table(['phase', 'requests', ...LATENCY_COLUMNS], rows);
}

export const SERVICE_NOTE =
  'Latencies above are measured from each request\'s intended send time, so waits caused by a slow or stalled server count; the service time below is measured from the moment the request was written.';

/** Only for a staged load: with one stage the table would repeat the `whole` phase. */
export function stageTable(c: CaseResult): Table | null {
  if (c.stages.length < 2) return null;
  const rows = c.stages.map((s) => [
    s.name,
    String(s.connections),
    s.rateRps === null ? 'closed' : `${s.rateRps} req/s`,
    formatCount(s.stats?.requests),
    formatPercent(s.stats?.errorRate),
    formatRate(s.stats?.rps),
    ...latencyCells(s.stats?.latency, LATENCY_COLUMNS.slice(0, 6)),
  ]);
  const headers = ['stage', 'connections', 'rate', 'requests', 'failed %', 'req/s', ...LATENCY_COLUMNS.slice(0, 6)];
  return table(headers, rows);
}

/** The case's totals: the `whole` phase, which every case with load has. */
export function caseTotals(c: CaseResult): LoadStats | null {
  return c.phases.find((p) => p.name === 'whole')?.stats ?? null;
}

const FAILURE_LABEL: Record<FailureClass, string> = {
  status: 'HTTP status not ok',
  timeout: 'timeout',
  refused: 'connection refused',
  reset: 'connection reset',
  other: 'other',
};

export function failureTable(c: CaseResult): Table | null {
  const totals = caseTotals(c);
  if (!totals) return null;
  const rows = FAILURE_CLASSES.map((k) => [
    FAILURE_LABEL[k],
    String(totals.failures[k]),
    totals.requests > 0 ? formatPercent(totals.failures[k] / totals.requests) : NONE,
  ]);
  return table(['failure class', 'requests', 'share of all'], rows);
}

/** `200 × 1180, 503 × 20`: every status received, ok or not, by code. */
export function statusLine(c: CaseResult): string | null {
  const codes = caseTotals(c)?.statusCodes;
  if (!codes || Object.keys(codes).length === 0) return null;
  return Object.entries(codes)
    .sort(([a], [b]) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, n]) => `${code} × ${n}`)
    .join(', ');
}

export function conditionTable(c: CaseResult): Table | null {
  if (c.conditions.length === 0) return null;
  const rows = c.conditions.map((p) => [p.name, p.description, p.ok ? 'ok' : 'failed', p.detail, formatDuration(p.durationMs)]);
  return { headers: ['probe', 'checks', 'result', 'detail', 'took'], rows, numeric: [false, false, false, false, true] };
}

function eventTable(events: readonly CaseEvent[]): Table | null {
  if (events.length === 0) return null;
  const rows = events.map((e) => [
    formatOffset(e.offsetMs),
    e.kind,
    e.name ?? '',
    e.ok === undefined ? '' : e.ok ? 'ok' : 'failed',
    [e.detail ?? '', e.durationMs !== undefined ? `took ${formatDuration(e.durationMs)}` : ''].filter(Boolean).join('; '),
  ]);
  return { headers: ['offset', 'kind', 'name', 'result', 'detail'], rows, numeric: [true, false, false, false, false] };
}

/** What was actually injected and reverted, and when: the triggering actions as they happened. */
export function faultEventTable(c: CaseResult): Table | null {
  return eventTable(c.events.filter((e) => e.kind === 'inject' || e.kind === 'revert'));
}

export function timelineTable(c: CaseResult): Table | null {
  return eventTable([...c.events].sort((a, b) => a.offsetMs - b.offsetMs));
}

/** What "cluster recovered" means; a drain's cordon is not waited for (runner/cluster-watch.ts). */
export const CLUSTER_RECOVERY_RULE = 'every affected workload has its desired replicas ready and available, and every node is Ready; a node cordoned by a drain counts once Ready, since the cordon lasts until the revert by design';

export interface RecoveryView {
  /** one sentence: no impact, recovered in N, or did not recover */
  summary: string;
  rows: Array<[string, string]>;
}

export function recoveryView(c: CaseResult): RecoveryView | null {
  const r = c.recovery;
  if (!r) return null;
  const notRecovered = 'did not recover before the end';
  const summary = !r.impact
    ? 'no impact observed'
    : r.recoveryTimeMs === null
      ? notRecovered
      : `recovered in ${formatDuration(r.recoveryTimeMs)}`;
  const at = (ms: number | null): string => (ms === null ? NONE : formatOffset(ms));
  const rows: Array<[string, string]> = [
    ['injected at', formatOffset(r.injectedAtMs)],
    ['good second', `success rate ≥ ${formatPercent(r.successRate)}, held for ${formatDuration(r.stableForMs)}`],
    ['first failure', at(r.firstFailureMs)],
    ['last failure', at(r.lastFailureMs)],
    ['recovered at', r.impact && r.recoveredAtMs === null ? notRecovered : at(r.recoveredAtMs)],
    ['recovery time', r.recoveryTimeMs === null ? notRecovered : formatDuration(r.recoveryTimeMs)],
    ['failed requests', String(r.failedRequests)],
  ];
  if (r.cluster) {
    const k = r.cluster;
    rows.push(['cluster view', k.affected.length === 0 ? 'no workload or node lost capacity' : `affected: ${k.affected.join(', ')}`]);
    if (k.affected.length) rows.push(['cluster recovered', k.recoveryTimeMs === null ? notRecovered : `in ${formatDuration(k.recoveryTimeMs)} (at ${at(k.recoveredAtMs)}): every affected workload available again`]);
    rows.push(['counted as recovered', CLUSTER_RECOVERY_RULE]);
    // run.json files written before the rule counted a drain's cordoned node as not recovered
    if (k.recoveryTimeMs === null && k.affected.includes('nodes') && c.spec.trigger.some((t) => t.includes('node-drain'))) {
      rows.push(['note', 'a node drain keeps its node cordoned until its revert, by design; crt before this rule counted that cordon as "not recovered": see the cluster timeline for when the workloads were whole again']);
    }
  }
  return { summary, rows };
}

/** The load as planned and as run: one line, then the facts the run recorded. */
export function loadRows(c: CaseResult): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  if (c.spec.load) rows.push(['planned', c.spec.load]);
  if (c.load) {
    rows.push(['engine', `${c.load.engine}, ${c.load.generators} generator${c.load.generators > 1 ? 's' : ''}`]);
    rows.push(['target', `${c.load.method} ${c.load.url} (${c.load.target})`]);
  }
  return rows;
}

/** `failed — p95 over 200ms in fault`: the badge text and its reason. */
export function verdictLine(c: CaseResult): string {
  return `${VERDICT_LABEL[c.verdict]}${c.reason ? ` — ${c.reason}` : ''}`;
}
