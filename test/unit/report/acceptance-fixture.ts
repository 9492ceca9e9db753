import path from 'node:path';
import { formatMs, formatPercent } from '../../../src/core/index.js';
import { fileURLToPath } from 'node:url';
import { describeBound, describeCase, loadPlan, type CaseSpec } from '../../../src/plan/index.js';
import { encodeHistogram, newLatencyHistogram } from '../../../src/results/histogram.js';
import { computeStats, zeroFailures } from '../../../src/results/stats.js';
import {
  RESULT_SCHEMA_VERSION,
  type CaseEvent,
  type CaseResult,
  type ExpectationResult,
  type MetricComparison,
  type PhaseName,
  type PhaseResult,
  type RunComparison,
  type RunResult,
  type TimeseriesRecord,
} from '../../../src/results/types.js';

/**
 * A run of every case of test-plans/demo-acceptance.yaml with plausible figures, made without a
 * cluster (the real run takes 14 minutes): the plan's own ids, titles, objectives and expectations,
 * a per-second time series with an outage in the fault phase of each case with faults, two dozen
 * events per case, and a comparison with a baseline where two rows regressed. One case fails on
 * purpose (LOG-02's whole p95), so the reports carry a failure, its reason and its REGRESSED rows.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
export const ACCEPTANCE_PLAN = path.resolve(here, '../../../../test-plans/demo-acceptance.yaml');
export const ACCEPTANCE_RUN_ID = 'demo-acceptance-2026-12-07-1500';
const ORIGIN = Date.UTC(2026, 11, 7, 15, 0, 0);
const FAILING = 'LOG-02';
const LOAD_SEC = 40;

function records(c: CaseSpec, faulty: boolean, slow: boolean): TimeseriesRecord[] {
  const out: TimeseriesRecord[] = [];
  for (let sec = 0; sec < LOAD_SEC; sec++) {
    const inFault = faulty && sec >= 10 && sec < 25;
    const outage = faulty && sec >= 10 && sec < 14;
    const requests = 20;
    const failed = outage ? 19 : 0;
    const latency = newLatencyHistogram();
    const base = slow && inFault ? 420 : inFault ? 35 : 6;
    for (let i = 0; i < requests - failed; i++) latency.recordValue(Math.round(base * 1000 * (0.7 + (i % 10) * 0.07)));
    for (let i = 0; i < failed; i++) latency.recordValue(2_000_000);
    const t = ORIGIN + sec * 1000;
    out.push({
      run: ACCEPTANCE_RUN_ID, case: c.id, layer: c.layer, phase: phaseAt(sec, faulty), target: 'gateway',
      t, sec, generator: 0, stage: 0, requests, ok: requests - failed, failures: { ...zeroFailures(), timeout: failed },
      statusCodes: { '200': requests - failed }, bytes: requests * 400, sent: requests,
      latency: encodeHistogram(latency), service: encodeHistogram(latency), lagMaxMs: 1, elu: 0.1,
      ...(failed > 0 ? { firstFailureAt: t + 50, lastFailureAt: t + 950 } : {}),
    });
  }
  return out;
}

function phaseAt(sec: number, faulty: boolean): TimeseriesRecord['phase'] {
  if (!faulty) return 'baseline';
  return sec < 10 ? 'baseline' : sec < 25 ? 'fault' : sec < 32 ? 'recovery' : 'after';
}

function phase(name: PhaseName, startSec: number, endSec: number, recs: readonly TimeseriesRecord[]): PhaseResult {
  const inside = recs.filter((r) => r.sec >= startSec && r.sec < endSec);
  return { name, startMs: startSec * 1000, endMs: endSec * 1000, stats: computeStats(inside, endSec - startSec) };
}

function ev(offsetMs: number, kind: CaseEvent['kind'], extra: Partial<CaseEvent> = {}): CaseEvent {
  return { t: ORIGIN + offsetMs, offsetMs, kind, ...extra };
}

function expectations(c: CaseSpec, phases: readonly PhaseResult[], failing: boolean): ExpectationResult[] {
  const out: ExpectationResult[] = c.expect.phases.map((e, i) => {
    const stats = phases.find((p) => p.name === e.phase)?.stats ?? null;
    const measured = e.metric === 'errorRate' ? (stats?.errorRate ?? null) : e.metric === 'p95' ? (stats?.latency?.p95 ?? null) : null;
    const ok = !(failing && i === 0);
    return {
      phase: e.phase, metric: e.metric, bound: e.bound, threshold: e.value,
      thresholdText: e.metric === 'servedBy' || e.metric === 'backends' ? `${e.metric} ${e.bound === 'max' ? '≤' : '≥'} ${e.value}` : describeBound(e.metric, e),
      measured, measuredText: measured === null ? 'probe gateway-health: HTTP 200 from 3 of 3 backends in 12 ms (x-version 1.0, 1.0, 1.0)' : e.metric === 'errorRate' ? formatPercent(measured) : formatMs(measured),
      verdict: ok ? 'passed' : 'failed',
    };
  });
  for (const b of c.expect.recoveryTime) out.push({ phase: null, metric: 'recoveryTime', bound: 'max', threshold: b.value, thresholdText: describeBound('recoveryTime', b), measured: 4_000, measuredText: '4.0 s', verdict: 'passed' });
  for (const b of c.expect.clusterRecoveryTime) out.push({ phase: null, metric: 'clusterRecoveryTime', bound: 'max', threshold: b.value, thresholdText: describeBound('clusterRecoveryTime', b), measured: 18_000, measuredText: '18.0 s', verdict: 'passed' });
  return out;
}

function caseResult(c: CaseSpec, i: number): { result: CaseResult; recs: TimeseriesRecord[] } {
  const faulty = c.trigger.length > 0;
  const failing = c.id === FAILING;
  const recs = records(c, faulty, failing);
  const phases = faulty
    ? [phase('baseline', 0, 10, recs), phase('fault', 10, 25, recs), phase('recovery', 25, 32, recs), phase('after', 32, LOAD_SEC, recs), phase('whole', 0, LOAD_SEC, recs)]
    : [phase('whole', 0, LOAD_SEC, recs)];
  const exp = expectations(c, phases, failing);
  const events: CaseEvent[] = [ev(-500, 'case-start'), ev(0, 'load-start')];
  if (faulty) {
    events.push(ev(10_000, 'inject', { name: 'kill-gateway', ok: true, detail: 'deleted pod gateway-7d9f8c6b5-x2x9z on node-2', durationMs: 35 }));
    for (let k = 0; k < 18; k++) events.push(ev(10_500 + k * 700, 'note', { detail: `watch: deployment demo/gateway ${k % 3}/3 ready, replica set gateway-7d9f8c6b5 scaled` }));
    events.push(ev(25_000, 'revert', { name: 'kill-gateway', ok: true, detail: 'nothing to revert' }));
  }
  events.push(ev(LOAD_SEC * 1000, 'load-end'), ev(LOAD_SEC * 1000 + 300, 'case-end'));
  const failed = exp.filter((e) => e.verdict === 'failed');
  const started = new Date(ORIGIN + i * 60_000).toISOString();
  return {
    recs,
    result: {
      id: c.id, layer: c.layer, spec: describeCase(c),
      verdict: failed.length ? 'failed' : 'passed',
      ...(failed.length ? { reason: `${failed.length} of ${exp.length} expectations failed: ${failed[0]?.phase ?? ''} ${failed[0]?.thresholdText ?? ''}` } : {}),
      startedAt: started, endedAt: started, originMs: ORIGIN, durationMs: LOAD_SEC * 1000 + 800,
      conditions: [], load: { engine: 'autocannon', target: 'gateway', url: 'http://127.0.0.1:30080/customers/42', method: 'GET', generators: 1, staggerMs: 0, stages: [], warnings: [] },
      phases, stages: [], expectations: exp,
      recovery: faulty
        ? { injectedAtMs: 10_000, successRate: 0.99, stableForMs: 3_000, impact: true, firstFailureMs: 10_050, lastFailureMs: 13_950, recoveredAtMs: 14_000, recoveryTimeMs: 4_000, failedRequests: 76, cluster: { affected: ['deployment/demo/gateway'], recoveredAtMs: 28_000, recoveryTimeMs: 18_000 } }
        : null,
      events,
    },
  };
}

function metric(phaseName: PhaseName | null, m: MetricComparison['metric'], baseline: number, current: number, regressed: boolean): MetricComparison {
  return { phase: phaseName, metric: m, baseline, current, delta: current - baseline, allowed: m === 'errorRate' ? '+1%' : '+25% or +5ms', limit: baseline * 1.25 + 5, status: regressed ? 'regressed' : 'ok' };
}

function comparison(cases: readonly CaseResult[]): RunComparison {
  const rows = cases.map((c) => {
    const regressed = c.id === FAILING;
    const metrics = [metric('whole', 'p95', 6.1, regressed ? 97.3 : 6.4, regressed), metric('whole', 'errorRate', 0, 0, false)];
    if (c.phases.some((p) => p.name === 'fault')) metrics.push(metric('fault', 'p95', 36, regressed ? 440 : 37.2, regressed), metric('fault', 'errorRate', 0.25, 0.25, false));
    return { id: c.id, status: 'compared' as const, baselineVerdict: 'passed' as const, currentVerdict: c.verdict, metrics };
  });
  return {
    baseline: { runId: 'demo-acceptance-2026-12-06-1500', startedAt: '2026-12-06T15:00:00.000Z', verdict: 'passed', source: 'reports/demo-acceptance-2026-12-06-1500' },
    current: { runId: ACCEPTANCE_RUN_ID, startedAt: new Date(ORIGIN).toISOString() },
    cases: rows,
    regressions: rows.reduce((n, r) => n + r.metrics.filter((m) => m.status === 'regressed').length, 0),
  };
}

export function acceptanceRun(): { run: RunResult; timeseries: TimeseriesRecord[] } {
  const { plan } = loadPlan(ACCEPTANCE_PLAN, {});
  const built = plan.cases.map(caseResult);
  const cases = built.map((b) => b.result);
  const count = (v: CaseResult['verdict']): number => cases.filter((c) => c.verdict === v).length;
  const run: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION, runId: ACCEPTANCE_RUN_ID,
    plan: { name: plan.name, ...(plan.title ? { title: plan.title } : {}), ...(plan.system ? { system: plan.system } : {}), ...(plan.description ? { description: plan.description } : {}), file: 'test-plans/demo-acceptance.yaml', versions: plan.versions, resolved: {} },
    environment: { crtVersion: '0.1.0', node: 'v20.20.0', platform: 'linux', arch: 'x64', host: 'ci-runner-7', cpus: 2, engines: { autocannon: '9.0.0' }, targets: { gateway: 'http://127.0.0.1:30080' }, cluster: 'embedded, 3 nodes, Kubernetes v1.37.2', command: 'crt run test-plans/demo-acceptance.yaml --baseline last-good' },
    startedAt: new Date(ORIGIN).toISOString(), endedAt: new Date(ORIGIN + cases.length * 60_000).toISOString(), durationMs: cases.length * 60_000,
    verdict: cases.some((c) => c.verdict !== 'passed') ? 'failed' : 'passed',
    counts: { total: cases.length, passed: count('passed'), failed: count('failed'), aborted: 0, inconclusive: 0, notRun: 0, skipped: 0 },
    interrupted: null, selection: { only: [], tags: [], layers: [] },
    cases, sinks: [], reporters: [], revertFailures: [],
    comparison: comparison(cases),
  };
  return { run, timeseries: built.flatMap((b) => b.recs) };
}
