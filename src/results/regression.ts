import { DURATION_PATTERN, PERCENT_PATTERN, isPercent, parseDuration, parsePercent } from '../core/index.js';

/**
 * Regression thresholds of nightly comparisons: how much worse than the baseline run a metric may
 * get. Written `+20%` (relative to the baseline value) or `+30s` / `+50ms` (absolute); for
 * `errorRate`, `+0.5%` is absolute, in percentage points (a relative increase of an error rate
 * that is usually 0 means nothing). `off` turns a metric's check off.
 *
 * `+25% or +5ms` allows whichever is larger: relative for slow services, with an absolute floor for
 * fast ones, where a p95 of 4.7 ms moving to 6.4 ms between two runs of the same code (+37 %, measured
 * on the demo's nightly) is noise, not a regression.
 */

export type RegressionMetric = 'p95' | 'p99' | 'errorRate' | 'recoveryTime' | 'clusterRecoveryTime';
export const REGRESSION_METRICS: readonly RegressionMetric[] = ['p95', 'p99', 'errorRate', 'recoveryTime', 'clusterRecoveryTime'];
/** Metrics compared per phase; the others are per case. */
export const PHASE_REGRESSION_METRICS: readonly RegressionMetric[] = ['p95', 'p99', 'errorRate'];

export interface Increase {
  /** relative: `value` is a ratio of the baseline (0.2 for +20%); absolute: ms, or a ratio in points for errorRate */
  kind: 'relative' | 'absolute';
  value: number;
  /** as written */
  text: string;
  /** `+25% or +5ms`: with a relative increase, the absolute one (ms) it allows at least */
  atLeast?: number;
}

/** null: the metric is not checked (`off`). */
export type RegressionThresholds = Readonly<Record<RegressionMetric, Increase | null>>;

/**
 * Used for every key a plan does not set. p99 is off: over a nightly run's few thousand requests
 * it moves with a handful of slow ones.
 */
export const DEFAULT_REGRESSION: RegressionThresholds = {
  p95: { kind: 'relative', value: 0.2, text: '+20%' },
  p99: null,
  errorRate: { kind: 'absolute', value: 0.01, text: '+1%' },
  recoveryTime: { kind: 'absolute', value: 30_000, text: '+30s' },
  clusterRecoveryTime: { kind: 'absolute', value: 30_000, text: '+30s' },
};

const bare = (pattern: string): string => pattern.slice(1, -1);
/** `+20%`, `+30s`, `+50ms`, `+25% or +5ms` or `off`: the schema format `increase` (p95, p99, recovery times). */
export const INCREASE_PATTERN = `^(off|\\+(${bare(PERCENT_PATTERN)}|${bare(DURATION_PATTERN)})|\\+${bare(PERCENT_PATTERN)} or \\+${bare(DURATION_PATTERN)})$`;
/** `+0.5%` (points) or `off`: the schema format `rate-increase` (errorRate). */
export const RATE_INCREASE_PATTERN = `^(off|\\+${bare(PERCENT_PATTERN)})$`;
const increaseRe = new RegExp(INCREASE_PATTERN);
const rateIncreaseRe = new RegExp(RATE_INCREASE_PATTERN);

/** Whether `text` is an allowed increase for `metric` (the schema formats use it). */
export function isIncrease(metric: RegressionMetric, text: string): boolean {
  return (metric === 'errorRate' ? rateIncreaseRe : increaseRe).test(text);
}

/** Parses `+20%`, `+30s`, `+0.5%` (errorRate: points) or `off`; throws on anything else (validate first). */
export function parseIncrease(metric: RegressionMetric, text: string): Increase | null {
  if (!isIncrease(metric, text)) throw new TypeError(`not an increase for ${metric}: ${text}`);
  if (text === 'off') return null;
  const [relative, absolute] = text.split(' or ');
  if (absolute !== undefined) return { kind: 'relative', value: parsePercent((relative as string).slice(1)), text, atLeast: parseDuration(absolute.slice(1)) };
  const rest = text.slice(1);
  if (isPercent(rest)) return { kind: metric === 'errorRate' ? 'absolute' : 'relative', value: parsePercent(rest), text };
  return { kind: 'absolute', value: parseDuration(rest), text };
}

/** The highest value of `metric` that is not a regression against `baseline`. */
export function allowedMax(baseline: number, increase: Increase): number {
  if (increase.kind === 'absolute') return baseline + increase.value;
  return Math.max(baseline * (1 + increase.value), baseline + (increase.atLeast ?? 0));
}

type RegressionDoc = Partial<Record<RegressionMetric, string>>;

function merge(base: RegressionThresholds, doc: RegressionDoc | undefined): RegressionThresholds {
  if (!doc) return base;
  const out = { ...base };
  for (const metric of REGRESSION_METRICS) {
    const text = doc[metric];
    if (typeof text === 'string' && isIncrease(metric, text)) out[metric] = parseIncrease(metric, text);
  }
  return out;
}

/**
 * The thresholds of each case, from a plan document as run.json records it (`plan.resolved`):
 * defaults, then the plan's `regression:`, then the case's. The plan was validated when it ran;
 * a value that is not an increase (a run.json edited by hand) keeps the value below it.
 */
export function regressionThresholds(resolved: unknown): (caseId: string) => RegressionThresholds {
  const doc = (resolved ?? {}) as { regression?: RegressionDoc; layers?: Record<string, Array<{ id?: string; regression?: RegressionDoc }> | undefined> };
  const planLevel = merge(DEFAULT_REGRESSION, doc.regression);
  const byCase = new Map<string, RegressionThresholds>();
  for (const cases of Object.values(doc.layers ?? {})) {
    for (const c of cases ?? []) if (c.id) byCase.set(c.id, merge(planLevel, c.regression));
  }
  return (caseId) => byCase.get(caseId) ?? planLevel;
}
