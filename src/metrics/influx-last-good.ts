import { RESULT_SCHEMA_VERSION, PHASE_NAMES, type CaseResult, type LatencySummary, type Layer, type PhaseResult, type RunResult, type Verdict } from '../results/index.js';
import { EnvironmentError, errorMessage } from '../core/index.js';
import type { InfluxConfig } from './influx-config.js';
import { InfluxWriter } from './influx-writer.js';

/** Case verdicts that make a run fail (the runner's rule: skipped cases do not count against it). */
const FAILING: ReadonlySet<string> = new Set<Verdict>(['failed', 'aborted', 'inconclusive', 'not-run']);

type Row = Record<string, unknown> & { time: Date; run: string; case: string; layer: string; verdict: string };

/**
 * The last good run of a plan as InfluxDB holds it (measurement `crt_case`), for a nightly job whose
 * run folders do not survive from one night to the next. The run is rebuilt with what `crt_case`
 * carries, which is what a comparison reads: each case's verdict, its per-phase p95, p99 and error
 * rate, and its recovery times. Unlike a folder, InfluxDB does not say whether that run had itself
 * regressed against its own baseline, so a passed run that regressed can be returned.
 */
export async function lastGoodFromInflux(config: InfluxConfig, planName: string, excludeRunId?: string): Promise<RunResult | null> {
  const phaseFields = PHASE_NAMES.flatMap((p) => [`${p}_p95`, `${p}_p99`, `${p}_error_rate`]).map((f) => `"${f}"`);
  const query = [
    'SELECT "verdict"::field AS "verdict", "run"::tag AS "run", "case"::tag AS "case", "layer"::tag AS "layer",',
    `"recovery_time_ms", "recovered", "cluster_recovery_time_ms", ${phaseFields.join(', ')}`,
    'FROM "crt_case" WHERE "plan" = $plan',
  ].join(' ');
  const writer = new InfluxWriter(config);
  let rows: Row[];
  try {
    // IResults<T> is an array of T with extra properties
    rows = await writer.client.query<Row>(query, {
      database: config.database,
      placeholders: { plan: planName },
      ...(config.retentionPolicy ? { retentionPolicy: config.retentionPolicy } : {}),
    });
  } catch (err) {
    // the first run against a new InfluxDB: its database is created when the sink opens
    if (/database not found/i.test(errorMessage(err))) return null;
    throw new EnvironmentError(`cannot look up the last good run of plan ${planName} in InfluxDB at ${config.url}: ${errorMessage(err)}`, {
      hint: 'check that InfluxDB answers and the credentials may read the database, or give --baseline <run-id|folder>',
    });
  }
  const byRun = new Map<string, Row[]>();
  for (const row of rows) {
    if (row.run === excludeRunId) continue;
    byRun.set(row.run, [...(byRun.get(row.run) ?? []), row]);
  }
  let best: RunResult | null = null;
  for (const [runId, cases] of byRun) {
    if (cases.some((c) => FAILING.has(c.verdict)) || !cases.some((c) => c.verdict === 'passed')) continue;
    const run = rebuild(runId, planName, cases, `InfluxDB ${config.url} database ${config.database}`);
    if (!best || run.startedAt > best.startedAt) best = run;
  }
  return best;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Only p95 and p99 are stored: the other figures are 0 and nothing reads them. */
function latency(p95: number | null, p99: number | null): LatencySummary | null {
  if (p95 === null || p99 === null) return null;
  return { count: 0, min: 0, mean: 0, p50: 0, p75: 0, p90: 0, p95, p99, max: 0 };
}

/** A RunResult holding only what the comparison reads; the rest is empty, never invented. */
function rebuild(runId: string, plan: string, rows: Row[], source: string): RunResult {
  const times = rows.map((r) => r.time.getTime());
  const startedAt = new Date(Math.min(...times)).toISOString();
  const endedAt = new Date(Math.max(...times)).toISOString();
  const cases = rows.map((r): CaseResult => {
    const phases: PhaseResult[] = PHASE_NAMES.filter((p) => num(r[`${p}_p95`]) !== null || num(r[`${p}_error_rate`]) !== null).map((name) => ({
      name, startMs: 0, endMs: 0,
      stats: {
        seconds: 0, requests: 0, ok: 0, failed: 0, errorRate: num(r[`${name}_error_rate`]), rps: 0, bytes: 0, sent: 0,
        failures: { status: 0, timeout: 0, refused: 0, reset: 0, other: 0 }, statusCodes: {}, lagMaxMs: 0, service: null,
        latency: latency(num(r[`${name}_p95`]), num(r[`${name}_p99`])),
      },
    }));
    const clusterMs = num(r.cluster_recovery_time_ms);
    const recovery = r.recovered === undefined || r.recovered === null ? null : {
      injectedAtMs: 0, successRate: 0, stableForMs: 0, impact: true, firstFailureMs: null, lastFailureMs: null, recoveredAtMs: null,
      recoveryTimeMs: num(r.recovery_time_ms), failedRequests: 0,
      ...(clusterMs !== null ? { cluster: { affected: [], recoveredAtMs: null, recoveryTimeMs: clusterMs } } : {}),
    };
    return {
      id: r.case, layer: r.layer as Layer, verdict: r.verdict as Verdict, startedAt: r.time.toISOString(), endedAt: r.time.toISOString(), originMs: 0, durationMs: 0,
      spec: { title: r.case, objective: '', tags: [], conditions: [], trigger: [], expect: [], load: null, abortIf: [], plannedDurationMs: null },
      conditions: [], load: null, phases, stages: [], expectations: [], recovery, events: [],
    };
  });
  return {
    schemaVersion: RESULT_SCHEMA_VERSION, runId, startedAt, endedAt, durationMs: 0, verdict: 'passed',
    plan: { name: plan, file: source, versions: {}, resolved: null },
    environment: { crtVersion: '', node: '', platform: '', arch: '', host: '', cpus: 0, engines: {}, targets: {}, command: '' },
    counts: { total: cases.length, passed: cases.filter((c) => c.verdict === 'passed').length, failed: 0, aborted: 0, inconclusive: 0, notRun: 0, skipped: cases.filter((c) => c.verdict === 'skipped').length },
    interrupted: null, selection: { only: [], tags: [], layers: [] }, cases, sinks: [], reporters: [], revertFailures: [],
  };
}
