import type { ExpectationResult } from '../../results/index.js';

/**
 * `k6 run --summary-export=file`: the legacy summary, one object per metric with its
 * aggregates (`avg`, `med`, `p(95)`, ... for trends; `value`, `passes`, `fails` for rates;
 * `count`, `rate` for counters) and, for metrics with thresholds, `thresholds: {source: failed}`
 * where `true` means the threshold was crossed (k6 writes `!threshold.ok`).
 */
export interface K6SummaryExport {
  metrics: Record<string, Record<string, unknown> & { thresholds?: Record<string, boolean> }>;
}

const THRESHOLD = /^\s*([a-z]+(?:\(\s*[\d.]+\s*\))?)\s*(<=|>=|<|>|===|==|!=)\s*(-?[\d.]+)\s*$/;
const TIME_METRIC = /duration|^http_req_(blocked|connecting|tls_handshaking|sending|waiting|receiving)$/;

function format(metric: string, agg: string, v: number): string {
  if (TIME_METRIC.test(metric) && agg !== 'count' && agg !== 'rate') return `${Math.round(v * 1000) / 1000}ms`;
  if (agg === 'rate' && metric !== 'http_reqs' && metric !== 'iterations') return `${Math.round(v * 100_000) / 1000}%`;
  return String(Math.round(v * 1000) / 1000);
}

/**
 * The thresholds of a k6 run as case expectations over the whole load: one per threshold
 * expression, passed or failed as k6 judged it (crt does not re-judge: k6 saw every point).
 */
export function thresholdExpectations(summary: K6SummaryExport): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  for (const [metric, values] of Object.entries(summary.metrics ?? {})) {
    for (const [source, crossed] of Object.entries(values.thresholds ?? {})) {
      const m = THRESHOLD.exec(source);
      const agg = m ? (m[1] as string).replace(/\s+/g, '') : source;
      // a rate metric's `rate` aggregate is exported as `value`
      const raw = values[agg] ?? (agg === 'rate' ? values.value : undefined);
      const measured = typeof raw === 'number' ? raw : null;
      const op = m?.[2] ?? '<';
      const threshold = m ? Number(m[3]) : Number.NaN;
      out.push({
        phase: 'whole',
        metric: `k6 ${metric} ${agg}`,
        bound: op.startsWith('>') ? 'min' : 'max',
        threshold,
        // k6's own wording, as crt's expectations give theirs ("p95 ≤ 200ms")
        thresholdText: `${metric} ${source}`,
        measured,
        measuredText: measured === null ? 'not in the summary' : format(metric, agg, measured),
        verdict: crossed ? 'failed' : 'passed',
        ...(crossed ? { reason: 'k6 threshold crossed' } : {}),
      });
    }
  }
  return out;
}

/** When k6 says thresholds were crossed (exit 99) but no summary tells which. */
export function crossedWithoutSummary(detail: string): ExpectationResult {
  return {
    phase: 'whole', metric: 'k6 thresholds', bound: 'max', threshold: 0, thresholdText: 'all pass',
    measured: null, measuredText: 'crossed', verdict: 'failed', reason: `k6 exited with code 99 (thresholds crossed); ${detail}`,
  };
}
