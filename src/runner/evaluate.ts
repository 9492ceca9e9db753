import { formatDuration, formatMs, formatPercent } from '../core/units.js';
import { describeBound } from '../plan/describe.js';
import { LATENCY_METRICS, type Bound, type CaseSpec, type MetricName } from '../plan/types.js';
import type { ExpectationResult, PhaseResult, ProbeResult, RecoveryResult } from '../results/types.js';
import { metricOf } from './metrics.js';

function formatMetric(metric: MetricName | 'recoveryTime' | 'clusterRecoveryTime', value: number | null): string {
  if (value === null) return '–';
  if (metric === 'errorRate') return formatPercent(value, 3);
  if (metric === 'recoveryTime' || metric === 'clusterRecoveryTime') return formatDuration(value);
  if ((LATENCY_METRICS as readonly string[]).includes(metric)) return formatMs(value);
  if (metric === 'rps') return `${Math.round(value * 10) / 10} req/s`;
  return String(value);
}

function verdict(b: Bound, measured: number | null): 'passed' | 'failed' {
  if (measured === null) return 'failed';
  return b.bound === 'max' ? (measured <= b.value ? 'passed' : 'failed') : measured >= b.value ? 'passed' : 'failed';
}

/** Checks every expectation of a case against its phases, its recovery and its post-case probes. */
export function evaluateExpectations(
  c: CaseSpec,
  phases: readonly PhaseResult[],
  recovery: RecoveryResult | null,
  probes: readonly ProbeResult[],
): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  for (const e of c.expect.phases) {
    const phase = phases.find((p) => p.name === e.phase);
    const measured = metricOf(phase?.stats ?? null, e.metric);
    const result: ExpectationResult = {
      phase: e.phase,
      metric: e.metric,
      bound: e.bound,
      threshold: e.value,
      thresholdText: describeBound(e.metric, e),
      measured,
      measuredText: formatMetric(e.metric, measured),
      verdict: verdict(e, measured),
    };
    if (measured === null) {
      result.reason = !phase ? `the ${e.phase} phase did not happen` : !phase.stats ? `no request completed in the ${e.phase} phase` : `no ${e.metric} in the ${e.phase} phase`;
    }
    out.push(result);
  }
  const recoveryBounds = [
    ...c.expect.recoveryTime.map((b) => ({ b, metric: 'recoveryTime' as const, measured: recovery?.recoveryTimeMs ?? null })),
    ...c.expect.clusterRecoveryTime.map((b) => ({ b, metric: 'clusterRecoveryTime' as const, measured: recovery?.cluster?.recoveryTimeMs ?? null })),
  ];
  for (const { b, metric, measured } of recoveryBounds) {
    const why = !recovery ? 'no fault was injected' : metric === 'clusterRecoveryTime' && !recovery.cluster ? 'the case had no cluster view' : 'did not recover before the end of the load';
    out.push({
      phase: null,
      metric,
      bound: b.bound,
      threshold: b.value,
      thresholdText: describeBound(metric, b),
      measured,
      measuredText: formatMetric(metric, measured),
      verdict: verdict(b, measured),
      ...(measured === null ? { reason: why } : {}),
    });
  }
  for (const p of probes) {
    out.push({
      phase: null,
      metric: `probe ${p.name}`,
      bound: 'max',
      threshold: 0,
      thresholdText: p.description,
      measured: p.ok ? 1 : 0,
      measuredText: p.detail,
      verdict: p.ok ? 'passed' : 'failed',
    });
  }
  return out;
}
