import type { IPoint } from 'influx';
import { decodeHistogram, FAILURE_CLASSES, PHASE_NAMES, summarize, type CaseResult, type ClusterEventRecord, type ClusterSampleRecord, type EventRecord, type TimeseriesRecord } from '../results/index.js';

/**
 * The InfluxDB measurements crt writes, with every tag and field: the one list the sink, the docs
 * (docs/reference/outputs.md) and the Grafana dashboard test all read. Numbers are written as floats (node-influx's default
 * without a schema), so a field never changes type between writes.
 */
export const INFLUX_MEASUREMENTS = {
  crt_load: {
    tags: ['run', 'plan', 'case', 'layer', 'phase', 'target', 'generator', 'stage'],
    fields: [
      'requests', 'ok', 'failed', ...FAILURE_CLASSES.map((c) => `failures_${c}`), 'error_rate', 'rps', 'bytes', 'sent',
      'min', 'mean', 'p50', 'p75', 'p90', 'p95', 'p99', 'max', 'lag_max_ms', 'elu',
    ],
  },
  // with `load.servedBy`: one point per second, generator, stage and header value (a value of the servedBy map)
  crt_served_by: {
    tags: ['run', 'plan', 'case', 'layer', 'phase', 'target', 'generator', 'stage', 'value'],
    fields: ['answers', 'share'],
  },
  // engine sessions: one point per second and generator, the sessions held (TimeseriesRecord.sessions)
  crt_sessions: {
    tags: ['run', 'plan', 'case', 'layer', 'phase', 'target', 'generator'],
    fields: ['alive', 'expected', 'opened', 'dropped_closed', 'dropped_reset', 'dropped_timeout', 'asked', 'reconnects', 'failed_attempts', 'reconnect_p95', 'reconnect_max'],
  },
  crt_event: {
    tags: ['run', 'plan', 'case', 'layer', 'kind', 'name'],
    fields: ['title', 'text', 'ok', 'duration_ms', 'offset_ms', 'data'],
  },
  crt_cluster: {
    tags: ['run', 'plan', 'case', 'layer', 'phase', 'kind', 'subject'],
    fields: ['desired', 'ready', 'available', 'restarts'],
  },
  crt_case: {
    tags: ['run', 'plan', 'case', 'layer', 'verdict'],
    fields: [
      'verdict', 'reason', 'duration_ms', 'recovery_time_ms', 'recovered', 'impact', 'failed_requests', 'cluster_recovery_time_ms', 'expectations_total', 'expectations_failed',
      // per phase, from the phase's merged histogram: what crt run --baseline compares with a run found in InfluxDB
      ...PHASE_NAMES.flatMap((p) => [`${p}_p95`, `${p}_p99`, `${p}_error_rate`]),
    ],
  },
} as const satisfies Record<string, { tags: readonly string[]; fields: readonly string[] }>;

export type Measurement = keyof typeof INFLUX_MEASUREMENTS;

/** A point as crt writes and spools it: timestamps are epoch microseconds (write precision `u`). */
export interface CrtPoint extends IPoint {
  measurement: Measurement;
  tags: Record<string, string>;
  fields: Record<string, string | number | boolean>;
  timestamp: number;
}

type Fields = CrtPoint['fields'];

/** Drops undefined and null values: InfluxDB has no null, an absent field is "no value". */
function defined(fields: Record<string, string | number | boolean | null | undefined>): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null && !(typeof v === 'number' && !Number.isFinite(v))) out[k] = v;
  return out;
}

/**
 * InfluxDB keeps one point per series and timestamp: a second point with the same measurement, tags and
 * time overwrites the first. Records are per millisecond and two can share one (two events of a kind in the
 * same ms, two watch updates of a workload), so each later one is moved by 1 µs. The shift depends only on
 * the order of the records, so replaying the run files gives the same timestamps (writes are idempotent).
 */
export class UniqueTimes {
  private readonly last = new Map<string, number>();

  next(measurement: string, tags: Record<string, string>, ms: number): number {
    const key = `${measurement}\u0000${Object.entries(tags).map(([k, v]) => `${k}=${v}`).join('\u0000')}`;
    let us = Math.round(ms) * 1000;
    const previous = this.last.get(key);
    if (previous !== undefined && us <= previous && previous - us < 1000) us = previous + 1;
    this.last.set(key, us);
    return us;
  }
}

export function loadPoint(r: TimeseriesRecord, plan: string, times: UniqueTimes): CrtPoint {
  const tags = { run: r.run, plan, case: r.case, layer: r.layer, phase: r.phase, target: r.target, generator: String(r.generator), stage: String(r.stage) };
  const failed = FAILURE_CLASSES.reduce((n, c) => n + r.failures[c], 0);
  const latency = summarize(decodeHistogram(r.latency));
  const fields = defined({
    requests: r.requests,
    ok: r.ok,
    failed,
    ...Object.fromEntries(FAILURE_CLASSES.map((c) => [`failures_${c}`, r.failures[c]])),
    error_rate: r.requests > 0 ? failed / r.requests : null,
    // one record covers one second
    rps: r.requests,
    bytes: r.bytes,
    sent: r.sent,
    min: latency?.min,
    mean: latency?.mean,
    p50: latency?.p50,
    p75: latency?.p75,
    p90: latency?.p90,
    p95: latency?.p95,
    p99: latency?.p99,
    max: latency?.max,
    lag_max_ms: r.lagMaxMs,
    elu: r.elu,
  });
  return { measurement: 'crt_load', tags, fields, timestamp: times.next('crt_load', tags, r.t) };
}

/**
 * The answers of one second by value of the load's `servedBy` header (none without `load.servedBy`):
 * `answers` for that value, `share` its part of the second's answers (0..1). Grafana sums `answers`
 * per value; a share over a longer span is sum(answers of the value) / sum(answers), never a mean of shares.
 */
export function servedByPoints(r: TimeseriesRecord, plan: string, times: UniqueTimes): CrtPoint[] {
  if (!r.servedBy) return [];
  const total = Object.values(r.servedBy).reduce((n, x) => n + x, 0);
  return Object.entries(r.servedBy).map(([value, answers]) => {
    const tags = { run: r.run, plan, case: r.case, layer: r.layer, phase: r.phase, target: r.target, generator: String(r.generator), stage: String(r.stage), value };
    return { measurement: 'crt_served_by', tags, fields: defined({ answers, share: total > 0 ? answers / total : null }), timestamp: times.next('crt_served_by', tags, r.t) };
  });
}

/** The sessions of one second (engine sessions only): counts, and the reconnect times of the second in ms. */
export function sessionPoints(r: TimeseriesRecord, plan: string, times: UniqueTimes): CrtPoint[] {
  const s = r.sessions;
  if (!s) return [];
  const tags = { run: r.run, plan, case: r.case, layer: r.layer, phase: r.phase, target: r.target, generator: String(r.generator) };
  const reconnect = summarize(decodeHistogram(s.reconnectTime));
  const fields = defined({
    alive: s.alive, expected: s.expected, opened: s.opened, dropped_closed: s.dropped.closed, dropped_reset: s.dropped.reset, dropped_timeout: s.dropped.timeout,
    asked: s.asked, reconnects: s.reconnects, failed_attempts: s.failedAttempts, reconnect_p95: reconnect?.p95, reconnect_max: reconnect?.max,
  });
  return [{ measurement: 'crt_sessions', tags, fields, timestamp: times.next('crt_sessions', tags, r.t) }];
}

/** The points of a line of timeseries.jsonl: its `crt_load` point, then its `crt_served_by` and `crt_sessions` points. */
export function samplePoints(r: TimeseriesRecord, plan: string, times: UniqueTimes): CrtPoint[] {
  return [loadPoint(r, plan, times), ...servedByPoints(r, plan, times), ...sessionPoints(r, plan, times)];
}

export function eventPoint(r: EventRecord, plan: string, times: UniqueTimes): CrtPoint {
  const tags: Record<string, string> = { run: r.run, plan, case: r.case, layer: r.layer, kind: r.kind };
  if (r.name) tags.name = r.name;
  const fields = defined({
    title: `${r.case} ${r.kind}${r.name ? ` ${r.name}` : ''}${r.ok === false ? ' (failed)' : ''}`,
    text: r.detail ?? '',
    ok: r.ok,
    duration_ms: r.durationMs,
    offset_ms: r.offsetMs,
    data: r.data ? JSON.stringify(r.data) : undefined,
  });
  return { measurement: 'crt_event', tags, fields, timestamp: times.next('crt_event', tags, r.t) };
}

export function clusterPoint(r: ClusterSampleRecord, plan: string, times: UniqueTimes): CrtPoint {
  const tags = { run: r.run, plan, case: r.case, layer: r.layer, phase: r.phase, kind: r.kind, subject: r.subject };
  const fields = { desired: r.desired, ready: r.ready, available: r.available, restarts: r.restarts };
  return { measurement: 'crt_cluster', tags, fields, timestamp: times.next('crt_cluster', tags, r.t) };
}

/**
 * A key Kubernetes Event of the cluster view (a `kind: event` line of cluster.jsonl) as a `crt_event`
 * point of kind `kubernetes`, named by its reason, so Grafana shows it among crt's own events.
 * `ok` is false for a Warning.
 */
export function clusterEventPoint(r: ClusterEventRecord, plan: string, times: UniqueTimes): CrtPoint {
  const tags = { run: r.run, plan, case: r.case, layer: r.layer, kind: 'kubernetes', name: r.reason };
  const fields = defined({
    title: `${r.case} ${r.type} ${r.reason} ${r.objectKind.toLowerCase()}/${r.object}${r.count > 1 ? ` (×${r.count})` : ''}`,
    text: r.message,
    ok: r.type !== 'Warning',
    data: JSON.stringify({ type: r.type, objectKind: r.objectKind, object: r.object, count: r.count, uid: r.uid, source: r.source, phase: r.phase }),
  });
  return { measurement: 'crt_event', tags, fields, timestamp: times.next('crt_event', tags, r.t) };
}

/** `whole_p95`, `fault_error_rate`...: the phase figures a regression check compares (absent for an empty phase). */
function phaseFields(c: CaseResult): Record<string, number | null | undefined> {
  return Object.fromEntries(
    c.phases.flatMap((p) => [
      [`${p.name}_p95`, p.stats?.latency?.p95],
      [`${p.name}_p99`, p.stats?.latency?.p99],
      [`${p.name}_error_rate`, p.stats?.errorRate],
    ]),
  );
}

export function casePoint(run: string, plan: string, c: CaseResult, times: UniqueTimes): CrtPoint {
  const tags = { run, plan, case: c.id, layer: c.layer, verdict: c.verdict };
  const fields = defined({
    verdict: c.verdict,
    reason: c.reason,
    duration_ms: c.durationMs,
    recovery_time_ms: c.recovery?.recoveryTimeMs,
    recovered: c.recovery ? c.recovery.recoveryTimeMs !== null : undefined,
    impact: c.recovery?.impact,
    failed_requests: c.recovery?.failedRequests,
    cluster_recovery_time_ms: c.recovery?.cluster?.recoveryTimeMs,
    expectations_total: c.expectations.length,
    expectations_failed: c.expectations.filter((e) => e.verdict === 'failed').length,
    ...phaseFields(c),
  });
  return { measurement: 'crt_case', tags, fields, timestamp: times.next('crt_case', tags, Date.parse(c.endedAt)) };
}
