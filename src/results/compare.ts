import { PHASE_REGRESSION_METRICS, allowedMax, regressionThresholds, type RegressionMetric, type RegressionThresholds } from './regression.js';
import type { CaseComparison, CaseResult, ExpectationResult, MetricComparison, PhaseName, RunComparison, RunResult } from './types.js';

/**
 * Fewer requests than this in either run and the row is marked `fewSamples`: a p95 of fewer than
 * 20 requests is the slowest one or two of them, a p99 of fewer than 100 the slowest one, and one
 * failure in fewer than 100 requests moves an error rate by more than the default +1 point.
 */
export const MIN_SAMPLES: Readonly<Record<'p95' | 'p99' | 'errorRate', number>> = { p95: 20, p99: 100, errorRate: 100 };

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
  const metrics = caseRows(now, before).map((r) => {
    const floor = checked ? lowerBound(now.expectations, r) : undefined;
    return withSamples(judge(r, checked ? thresholds[r.metric] : null, checked ? floor : `baseline case ${before.verdict}`), r);
  });
  return { ...head, status: checked ? 'compared' : 'baseline-not-passed', metrics };
}

interface Row {
  phase: PhaseName | null;
  metric: RegressionMetric;
  baseline: number | null;
  current: number | null;
  /** requests the figures of a phase row come from; undefined for case-level rows (recovery times) */
  baselineRequests?: number;
  currentRequests?: number;
}

/**
 * Why a rise of this row's metric is no regression: the plan bounds it from below in that phase
 * (a fault phase that must show errors: `errorRate ≥ 50%`), so more of it is what the case asks
 * for. The whole load holds that phase, so its row of the same metric is left unchecked too.
 */
function lowerBound(expectations: readonly ExpectationResult[], r: Row): string | undefined {
  if (r.phase === null) return undefined;
  const floor = expectations.find((e) => e.bound === 'min' && e.metric === r.metric && (e.phase === r.phase || r.phase === 'whole'));
  if (!floor) return undefined;
  return `the plan expects ${floor.phase ?? 'case'} ${floor.thresholdText}: a rise is not worse`;
}

/** The sample counts of both runs, and whether either is too small for the metric (MIN_SAMPLES). */
function withSamples(m: MetricComparison, r: Row): MetricComparison {
  if (r.baselineRequests === undefined || r.currentRequests === undefined) return m;
  const min = MIN_SAMPLES[r.metric as keyof typeof MIN_SAMPLES];
  const few = min !== undefined && Math.min(r.baselineRequests, r.currentRequests) < min;
  return { ...m, baselineRequests: r.baselineRequests, currentRequests: r.currentRequests, ...(few ? { fewSamples: true } : {}) };
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
    for (const metric of PHASE_REGRESSION_METRICS) {
      rows.push({ phase: p.name, metric, baseline: value(b.stats, metric), current: value(p.stats, metric), baselineRequests: b.stats.requests, currentRequests: p.stats.requests });
    }
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

/** Regressed rows first (in case order), then the others: what a reader triages first. */
export function rowsRegressedFirst(comparison: RunComparison): Array<{ caseId: string; row: MetricComparison }> {
  const all = comparison.cases.flatMap((c) => c.metrics.map((row) => ({ caseId: c.id, row })));
  return [...all.filter((r) => r.row.status === 'regressed'), ...all.filter((r) => r.row.status !== 'regressed')];
}

/** The regressed rows, in report order. */
export function regressedRows(comparison: RunComparison): Array<{ caseId: string; row: MetricComparison }> {
  return comparison.cases.flatMap((c) => c.metrics.filter((m) => m.status === 'regressed').map((row) => ({ caseId: c.id, row })));
}
