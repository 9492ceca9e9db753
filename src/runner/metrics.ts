import type { MetricName } from '../plan/types.js';
import type { LoadStats } from '../results/types.js';

/** The value of a plan metric in a set of statistics, in the metric's unit; null when unmeasured. */
export function metricOf(stats: LoadStats | null, metric: MetricName): number | null {
  if (!stats) return null;
  switch (metric) {
    case 'errorRate':
      return stats.errorRate;
    case 'failedRequests':
      return stats.failed;
    case 'requests':
      return stats.requests;
    case 'rps':
      return stats.rps;
    default:
      return stats.latency ? stats.latency[metric] : null;
  }
}

export function compare(value: number, op: '>' | '>=' | '<' | '<=', threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}
