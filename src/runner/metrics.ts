import type { MetricName } from '../plan/index.js';
import type { LoadStats } from '../results/index.js';

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
    case 'sessionsDropped':
      return stats.sessions?.dropped ?? null;
    case 'messagesLost':
      return stats.sessions ? stats.failed : null;
    case 'minSessions':
      return stats.sessions?.minAlive ?? null;
    case 'reconnectP95':
    case 'reconnectMax':
      // no reconnect at all is the best reconnect time there is
      return stats.sessions ? (stats.sessions.reconnectTime?.[metric === 'reconnectP95' ? 'p95' : 'max'] ?? 0) : null;
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
