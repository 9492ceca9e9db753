import { formatDuration, formatPercent, round } from '../core/index.js';
import { MIN_SAMPLES, type ComparedMetric, type MetricComparison, type RunComparison } from '../results/index.js';
import type { Table } from './case-tables.js';
import { NONE, formatCount, formatLatency } from './format.js';
import { phaseLabel } from './phase-label.js';

/**
 * The delta table of a run comparison as plain text, shared by `crt compare` (stdout), the HTML
 * and Markdown reports and the JUnit failures, so all four carry the same figures.
 */

const CASE_STATUS: Record<RunComparison['cases'][number]['status'], string> = {
  compared: '',
  'baseline-not-passed': 'not compared: the case did not pass in the baseline',
  'not-run': 'not compared: the case did not run this time',
  new: 'new: not in the baseline',
  missing: 'missing: in the baseline, not in this run',
};

function value(metric: ComparedMetric, v: number | null): string {
  if (v === null) return NONE;
  if (metric === 'errorRate') return formatPercent(v);
  return metric === 'p95' || metric === 'p99' ? formatLatency(v) : formatDuration(v);
}

function delta(m: MetricComparison): string {
  if (m.delta === null) return NONE;
  const abs = Math.abs(m.delta);
  const text = m.metric === 'errorRate' ? `${round(abs * 100, 2)} pt` : value(m.metric, abs);
  // the sign of what is shown: a delta that rounds to 0 reads ±0, not −0
  const sign = /[1-9]/.test(text) ? (m.delta > 0 ? '+' : '−') : '±';
  const relative = m.baseline ? ` (${sign}${round((abs / m.baseline) * 100, 0)}%)` : '';
  return `${sign}${text}${m.metric === 'errorRate' ? '' : relative}`;
}

function verdict(m: MetricComparison): string {
  const word = m.status === 'regressed' ? 'REGRESSED' : m.status === 'ok' ? 'ok' : 'not checked';
  const few = m.fewSamples ? `few samples: under ${MIN_SAMPLES[m.metric as keyof typeof MIN_SAMPLES]} requests` : '';
  const notes = [m.note, few].filter(Boolean);
  return notes.length ? `${word} (${notes.join('; ')})` : word;
}

/** `1180 / 1204`: the requests behind the baseline and the current figure of a phase row. */
function samples(m: MetricComparison): string {
  if (m.baselineRequests === undefined && m.currentRequests === undefined) return NONE;
  return `${formatCount(m.baselineRequests)} / ${formatCount(m.currentRequests)}`;
}

const HEADERS = ['case', 'phase', 'metric', 'baseline', 'current', 'delta', 'allowed', 'requests', 'verdict'];
const NUMERIC = HEADERS.map((_, i) => (i >= 3 && i <= 5) || i === 7);

function metricRow(id: string, m: MetricComparison): string[] {
  return [id, phaseLabel(m.phase), m.metric, value(m.metric, m.baseline), value(m.metric, m.current), delta(m), m.allowed ?? NONE, samples(m), verdict(m)];
}

/**
 * The comparison as two tables: the regressed rows (what a reader triages first), and every other
 * row, including one line per case with nothing to compare, saying why.
 */
export function comparisonTables(c: RunComparison): { regressed: Table; others: Table } {
  const regressed = c.cases.flatMap((k) => k.metrics.filter((m) => m.status === 'regressed').map((m) => metricRow(k.id, m)));
  const others = c.cases.flatMap((k) => {
    if (k.status !== 'compared' && k.metrics.length === 0) return [[k.id, NONE, NONE, NONE, NONE, NONE, NONE, NONE, CASE_STATUS[k.status]]];
    return k.metrics.filter((m) => m.status !== 'regressed').map((m) => metricRow(k.id, m));
  });
  return { regressed: { headers: HEADERS, rows: regressed, numeric: NUMERIC }, others: { headers: HEADERS, rows: others, numeric: NUMERIC } };
}

/** One line per compared metric, regressed rows first; cases with nothing to compare get one line saying why. */
export function comparisonTable(c: RunComparison): Table {
  const { regressed, others } = comparisonTables(c);
  return { headers: HEADERS, rows: [...regressed.rows, ...others.rows], numeric: NUMERIC };
}

/** `LOG-01 whole p95: 12 ms → 64 ms (+52 ms (+433%)), allowed +20%` for each regressed metric. */
export function regressionLines(c: RunComparison): Array<{ caseId: string; metric: ComparedMetric; text: string }> {
  return c.cases.flatMap((k) =>
    k.metrics
      .filter((m) => m.status === 'regressed')
      .map((m) => ({
        caseId: k.id,
        metric: m.metric,
        text: `${phaseLabel(m.phase)} ${m.metric}: ${value(m.metric, m.baseline)} → ${value(m.metric, m.current)} (${delta(m)}), allowed ${m.allowed ?? NONE}${m.note ? `: ${m.note}` : ''}${m.fewSamples ? ` (few samples: ${samples(m)} requests)` : ''}`,
      })),
  );
}

/** The heading of the report section: `Regression against <baseline run>`. */
export function comparisonTitle(c: RunComparison): string {
  return `Regression against ${c.baseline.runId}`;
}

/** One sentence: how many regressions, against what. */
export function comparisonSummary(c: RunComparison): string {
  const what = c.regressions === 0 ? 'no regression' : `${c.regressions} regression${c.regressions === 1 ? '' : 's'}`;
  return `${what} against ${c.baseline.runId} (started ${c.baseline.startedAt}, ${c.baseline.verdict})`;
}
