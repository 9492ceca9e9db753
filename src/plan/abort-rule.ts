import { MAX_DURATION_MS, MAX_DURATION_TEXT, isDuration, isPercent, parseDuration, parsePercent } from '../core/index.js';
import { closest } from './suggest.js';
import { LATENCY_METRICS, SESSION_DURATION_METRICS, type AbortRule, type MetricName } from './types.js';

export const METRICS: readonly MetricName[] = ['errorRate', 'failedRequests', 'requests', 'rps', ...LATENCY_METRICS];

/** Converts a value as written into the metric's unit (ratio, ms, count, req/s). */
export function metricValue(metric: MetricName, raw: string | number): number {
  if (metric === 'errorRate') return parsePercent(String(raw));
  if ([...LATENCY_METRICS, ...SESSION_DURATION_METRICS].includes(metric)) return parseDuration(raw);
  return Number(raw);
}

const RULE = /^\s*([A-Za-z0-9]+)\s*(>=|<=|>|<)\s*(\S+)\s+for\s+(\S+)\s*$/;

export type ReadRule = { rule: Omit<AbortRule, 'location'> } | { message: string; hint?: string };

/**
 * Reads `errorRate > 50% for 10s`, or says what is wrong with it. The schema's `abort-rule`
 * format calls it, so that every rule of a case is reported on its own, each at its index.
 */
export function readAbortRule(text: string): ReadRule {
  const m = RULE.exec(text);
  if (!m) return { message: 'must read "<metric> <op> <value> for <duration>", e.g. "errorRate > 50% for 10s"', hint: 'or "p99 > 2s for 30s", "rps < 100 for 30s"' };
  const [, metricText, op, valueText, windowText] = m as unknown as [string, string, AbortRule['op'], string, string];
  if (!(METRICS as readonly string[]).includes(metricText)) {
    const guess = closest(metricText, METRICS);
    return { message: `unknown metric "${metricText}"`, hint: guess ? `did you mean "${guess}"?` : `metrics are ${METRICS.join(', ')}` };
  }
  const metric = metricText as MetricName;
  const latency = (LATENCY_METRICS as readonly string[]).includes(metric);
  const okValue = metric === 'errorRate' ? isPercent(valueText) : latency ? isDuration(valueText) : /^[0-9]+(\.[0-9]+)?$/.test(valueText);
  if (!okValue) {
    const expected = metric === 'errorRate' ? 'a percentage such as 50%' : latency ? 'a duration such as 2s' : 'a number';
    return { message: `the value of ${metric} must be ${expected}, not "${valueText}"` };
  }
  if (metric === 'errorRate' && parsePercent(valueText) > 1) return { message: `the value of errorRate must be at most 100%, not "${valueText}"`, hint: 'the error rate is a share of the requests' };
  if (!isDuration(windowText) || parseDuration(windowText) < 1000 || parseDuration(windowText) > MAX_DURATION_MS) {
    return { message: `the window "${windowText}" must be a duration from 1s to ${MAX_DURATION_TEXT}`, hint: 'the rule is checked on whole seconds, e.g. for 10s' };
  }
  return { rule: { text: text.trim(), metric, op, value: metricValue(metric, valueText), windowMs: parseDuration(windowText) } };
}
