import { PHASE_REGRESSION_METRICS, allowedMax, regressionThresholds, type RegressionMetric, type RegressionThresholds } from './regression.js';
import type { CaseComparison, CaseResult, MetricComparison, PhaseName, RunComparison, RunResult } from './types.js';

/** Cases that did not run to an outcome this time: nothing of theirs is compared. */
const NOT_RUN = new Set(['not-run', 'skipped']);

/**
 * Compares `current` with `baseline`, case by case (matched by id) and phase by phase, against the
 * regression thresholds of the current run's plan (defaults, `regression:`, the case's own).
 * Pure: the caller finds the runs and decides what a regression does to the exit code.
 *
 * A case that did not pass in the baseline is no reference (its numbers describe a failure), so it
 * cannot regress; its rows are still listed. A case that failed now is compared all the same: its
 * verdict already fails the run, the deltas say by how much it got worse.
 */
export function compareRuns(current: RunResult, baseline: RunResult, source: string): RunComparison {
  const thresholdsOf = regressionThresholds(current.plan.resolved);
  const before = new Map(baseline.cases.map((c) => [c.id, c]));
  const nowIds = new Set(current.cases.map((c) => c.id));
  const cases: CaseComparison[] = current.cases.map((c) => compareCase(c, before.get(c.id) ?? null, thresholdsOf(c.id)));
  for (const b of baseline.cases) {
    if (!nowIds.has(b.id)) cases.push({ id: b.id, status: 'missing', baselineVerdict: b.verdict, currentVerdict: null, metrics: [] });
  }
  const regressions = cases.reduce((n, c) => n + c.metrics.filter((m) => m.status === 'regressed').length, 0);
  return {
    baseline: { runId: baseline.runId, startedAt: baseline.startedAt, verdict: baseline.verdict, source },
    current: { runId: current.runId, startedAt: current.startedAt },
    cases,
    regressions,
  };
}

function compareCase(now: CaseResult, before: CaseResult | null, thresholds: RegressionThresholds): CaseComparison {
  const head = { id: now.id, baselineVerdict: before?.verdict ?? null, currentVerdict: now.verdict };
  if (!before) return { ...head, status: 'new', metrics: [] };
  if (NOT_RUN.has(now.verdict)) return { ...head, status: 'not-run', metrics: [] };
  const checked = before.verdict === 'passed';
  const metrics = caseRows(now, before).map((r) => judge(r, checked ? thresholds[r.metric] : null, checked ? undefined : `baseline case ${before.verdict}`));
  return { ...head, status: checked ? 'compared' : 'baseline-not-passed', metrics };
}

interface Row {
  phase: PhaseName | null;
  metric: RegressionMetric;
  baseline: number | null;
  current: number | null;
}

/** Per phase present in both runs: p95, p99, errorRate; then the case's recovery times when either run measured one. */
function caseRows(now: CaseResult, before: CaseResult): Row[] {
  const rows: Row[] = [];
  const whole = now.phases.find((p) => p.name === 'whole');
  for (const p of now.phases) {
    const b = before.phases.find((x) => x.name === p.name);
    if (!b || !p.stats || !b.stats) continue;
    // without a trigger the baseline phase is the whole load: one regression, not two
    if (p !== whole && whole && p.startMs === whole.startMs && p.endMs === whole.endMs) continue;
    const value = (s: NonNullable<typeof p.stats>, m: RegressionMetric): number | null => (m === 'errorRate' ? s.errorRate : (s.latency?.[m as 'p95' | 'p99'] ?? null));
    for (const metric of PHASE_REGRESSION_METRICS) rows.push({ phase: p.name, metric, baseline: value(b.stats, metric), current: value(p.stats, metric) });
  }
  if (now.recovery || before.recovery) {
    rows.push({ phase: null, metric: 'recoveryTime', baseline: before.recovery?.recoveryTimeMs ?? null, current: now.recovery?.recoveryTimeMs ?? null });
  }
  if (now.recovery?.cluster || before.recovery?.cluster) {
    rows.push({
      phase: null, metric: 'clusterRecoveryTime',
      baseline: before.recovery?.cluster?.recoveryTimeMs ?? null, current: now.recovery?.cluster?.recoveryTimeMs ?? null,
    });
  }
  return rows;
}

function judge(r: Row, increase: RegressionThresholds[RegressionMetric], uncheckedWhy: string | undefined): MetricComparison {
  const delta = r.baseline !== null && r.current !== null ? r.current - r.baseline : null;
  const base = { phase: r.phase, metric: r.metric, baseline: r.baseline, current: r.current, delta, allowed: increase?.text ?? null };
  if (uncheckedWhy) return { ...base, allowed: null, limit: null, status: 'unchecked', note: uncheckedWhy };
  if (!increase) return { ...base, limit: null, status: 'unchecked' };
  if (r.baseline === null) return { ...base, limit: null, status: 'unchecked', note: 'no baseline value' };
  const limit = allowedMax(r.baseline, increase);
  if (r.current === null) {
    // a recovery time that is no longer measured did not recover before the case ended: worse than any number
    const recovery = r.metric === 'recoveryTime' || r.metric === 'clusterRecoveryTime';
    return { ...base, limit, status: recovery ? 'regressed' : 'unchecked', note: recovery ? 'not recovered before the case ended' : 'not measured' };
  }
  return { ...base, limit, status: r.current > limit ? 'regressed' : 'ok' };
}

/** The regressed rows, in report order. */
export function regressedRows(comparison: RunComparison): Array<{ caseId: string; row: MetricComparison }> {
  return comparison.cases.flatMap((c) => c.metrics.filter((m) => m.status === 'regressed').map((row) => ({ caseId: c.id, row })));
}
