import { formatDuration, formatMs, formatPercent } from '../core/index.js';
import { describeBound, describePhaseBound, LATENCY_METRICS, SESSION_DURATION_METRICS, type Bound, type CaseSpec, type MetricName, type PhaseExpectation } from '../plan/index.js';
import { answeredCount, backendCount, type ExpectationResult, type LoadStats, type PhaseResult, type ProbeResult, type RecoveryResult } from '../results/index.js';
import { metricOf } from './metrics.js';

function formatMetric(metric: MetricName | 'recoveryTime' | 'clusterRecoveryTime', value: number | null): string {
  if (value === null) return '–';
  if (metric === 'errorRate') return formatPercent(value, 3);
  if (metric === 'recoveryTime' || metric === 'clusterRecoveryTime') return formatDuration(value);
  if ([...LATENCY_METRICS, ...SESSION_DURATION_METRICS].includes(metric)) return formatMs(value);
  if (metric === 'rps') return `${Math.round(value * 10) / 10} req/s`;
  return String(value);
}

function verdict(b: Bound, measured: number | null): 'passed' | 'failed' {
  if (measured === null) return 'failed';
  return b.bound === 'max' ? (measured <= b.value ? 'passed' : 'failed') : measured >= b.value ? 'passed' : 'failed';
}

/**
 * The measured value of a phase expectation. servedBy: the value's share of the answers that
 * carried an HTTP status (timeouts and connection errors have no backend); backends: how many
 * distinct values were seen, `(none)` left out.
 */
function measurePhase(e: PhaseExpectation, stats: LoadStats | null): { metric: string; measured: number | null; measuredText: string } {
  if (e.metric === 'servedBy' || e.metric === 'backends') {
    const answered = stats ? answeredCount(stats) : 0;
    if (!stats || answered === 0) return { metric: e.metric === 'servedBy' ? `servedBy[${e.servedByValue ?? ''}]` : 'backends', measured: null, measuredText: '–' };
    if (e.metric === 'backends') {
      const n = backendCount(stats.servedBy ?? {});
      return { metric: 'backends', measured: n, measuredText: `${n} (${Object.keys(stats.servedBy ?? {}).sort().join(', ')})` };
    }
    const value = e.servedByValue ?? '';
    const count = stats.servedBy && Object.hasOwn(stats.servedBy, value) ? (stats.servedBy[value] ?? 0) : 0;
    const share = count / answered;
    return { metric: `servedBy[${e.servedByValue ?? ''}]`, measured: share, measuredText: `${formatPercent(share, 1)} (${count} of ${answered})` };
  }
  const measured = metricOf(stats, e.metric);
  return { metric: e.metric, measured, measuredText: formatMetric(e.metric, measured) };
}

/**
 * The generator-limited seconds (see LoadSample.saturated) inside a phase's window: a latency
 * measured over them is the generator's own queueing as much as the service's.
 */
function limitedIn(phase: PhaseResult, limitedSecs: readonly number[]): number[] {
  return limitedSecs.filter((sec) => sec * 1000 < phase.endMs && (sec + 1) * 1000 > phase.startMs);
}

function limitedReason(secs: readonly number[]): string {
  const shown = secs.slice(0, 5).map((s) => `${s}`).join(', ');
  const more = secs.length > 5 ? `, … (${secs.length} in all)` : '';
  return `generator-limited: a load generator was saturated in second${secs.length === 1 ? '' : 's'} ${shown}${more} of this window, so the latency measured includes its own queueing`;
}

/**
 * Checks every expectation of a case against its phases, its recovery and its post-case probes.
 * A latency expectation over a window that holds generator-limited seconds (`limitedSecs`,
 * indexes since the load origin) is inconclusive: neither passed nor failed.
 */
export function evaluateExpectations(
  c: CaseSpec,
  phases: readonly PhaseResult[],
  recovery: RecoveryResult | null,
  probes: readonly ProbeResult[],
  limitedSecs: readonly number[] = [],
): ExpectationResult[] {
  return [
    ...c.expect.phases.map((e) => phaseExpectation(e, phases.find((p) => p.name === e.phase), limitedSecs)),
    ...recoveryExpectations(c, recovery),
    ...probes.map(probeExpectation),
  ];
}

/** A phase expectation: inconclusive for latency over a window that holds generator-limited seconds. */
function phaseExpectation(e: PhaseExpectation, phase: PhaseResult | undefined, limitedSecs: readonly number[]): ExpectationResult {
  const { metric, measured, measuredText } = measurePhase(e, phase?.stats ?? null);
  const result: ExpectationResult = {
    phase: e.phase,
    metric,
    bound: e.bound,
    threshold: e.value,
    thresholdText: describePhaseBound(e),
    measured,
    measuredText,
    verdict: verdict(e, measured),
  };
  if (measured === null) {
    const what = e.metric === 'servedBy' || e.metric === 'backends' ? 'answer with an HTTP status' : e.metric;
    result.reason = !phase ? `the ${e.phase} phase did not happen` : !phase.stats ? `no request completed in the ${e.phase} phase` : `no ${what} in the ${e.phase} phase`;
  } else if (phase && (LATENCY_METRICS as readonly string[]).includes(e.metric)) {
    const limited = limitedIn(phase, limitedSecs);
    if (limited.length) {
      result.verdict = 'inconclusive';
      result.reason = limitedReason(limited);
    }
  }
  return result;
}

/** The client's and the cluster's recovery-time bounds. */
function recoveryExpectations(c: CaseSpec, recovery: RecoveryResult | null): ExpectationResult[] {
  const recoveryBounds = [
    ...c.expect.recoveryTime.map((b) => ({ b, metric: 'recoveryTime' as const, measured: recovery?.recoveryTimeMs ?? null })),
    ...c.expect.clusterRecoveryTime.map((b) => ({ b, metric: 'clusterRecoveryTime' as const, measured: recovery?.cluster?.recoveryTimeMs ?? null })),
  ];
  return recoveryBounds.map(({ b, metric, measured }) => {
    const why = !recovery ? 'no fault was injected' : metric === 'clusterRecoveryTime' && !recovery.cluster ? 'the case had no cluster view' : 'did not recover before the end of the load';
    return {
      phase: null,
      metric,
      bound: b.bound,
      threshold: b.value,
      thresholdText: describeBound(metric, b),
      measured,
      measuredText: formatMetric(metric, measured),
      verdict: verdict(b, measured),
      ...(measured === null ? { reason: why } : {}),
    };
  });
}

/** A post-case probe as an expectation: passed or failed, its detail as what was measured. */
function probeExpectation(p: ProbeResult): ExpectationResult {
  return {
    phase: null,
    metric: `probe ${p.name}`,
    bound: 'max',
    threshold: 0,
    thresholdText: p.description,
    measured: p.ok ? 1 : 0,
    measuredText: p.detail,
    verdict: p.ok ? 'passed' : 'failed',
  };
}
