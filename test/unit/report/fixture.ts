import { encodeHistogram, newLatencyHistogram } from '../../../src/results/histogram.js';
import { computeStats, zeroFailures } from '../../../src/results/stats.js';
import {
  RESULT_SCHEMA_VERSION,
  type CaseEvent,
  type CaseResult,
  type ClusterSampleRecord,
  type Layer,
  type PhaseName,
  type PhaseResult,
  type RunResult,
  type TimeseriesRecord,
} from '../../../src/results/types.js';

/**
 * A realistic run: a passed two-stage case and a failed pod-kill case in the logical layer, a
 * case not run (its condition failed) in the physical layer, nothing in the auxiliary layer.
 * Titles carry markup, a pipe and an ampersand, as a plan written by anyone may.
 */

export const RUN_ID = 'run-2024-05-01-1000';
export const ORIGIN = Date.UTC(2024, 4, 1, 10, 0, 0);
export const HOSTILE_TITLE = 'Steady load <script>alert(1)</script> & friends';
export const PIPE_TITLE = 'Pod kill: a | b';

interface SecondSpec {
  requests: number;
  failed: number;
  /** latency of the successful requests, ms */
  latencyMs: number;
  stage: number;
}

/** Two generators per second, each with a real HDR histogram of its latencies. */
function seconds(caseId: string, layer: Layer, total: number, spec: (sec: number) => SecondSpec, phase: (sec: number) => TimeseriesRecord['phase']): TimeseriesRecord[] {
  const out: TimeseriesRecord[] = [];
  for (let sec = 0; sec < total; sec++) {
    const s = spec(sec);
    for (let generator = 0; generator < 2; generator++) {
      const latency = newLatencyHistogram();
      const requests = s.requests / 2;
      const failed = Math.floor(s.failed / 2) + (generator === 0 ? s.failed % 2 : 0);
      for (let i = 0; i < requests - failed; i++) latency.recordValue(Math.round(s.latencyMs * 1000 * (0.6 + (i % 10) * 0.09)));
      // a failed request is recorded with its time to failure: here a 2 s timeout
      for (let i = 0; i < failed; i++) latency.recordValue(2_000_000);
      const failures = { ...zeroFailures(), timeout: failed };
      const t = ORIGIN + sec * 1000;
      out.push({
        run: RUN_ID, case: caseId, layer, phase: phase(sec), target: 'gateway',
        t, sec, generator, stage: s.stage,
        requests, ok: requests - failed, failures,
        statusCodes: { '200': requests - failed },
        bytes: requests * 512, sent: requests,
        latency: encodeHistogram(latency), service: encodeHistogram(latency),
        lagMaxMs: 1.5, elu: 0.2,
        ...(failed > 0 ? { firstFailureAt: t + 100, lastFailureAt: t + 900 } : {}),
      });
    }
  }
  return out;
}

function phase(name: PhaseName, startMs: number, endMs: number, records: readonly TimeseriesRecord[]): PhaseResult {
  const inside = records.filter((r) => r.sec * 1000 >= startMs && r.sec * 1000 < endMs);
  return { name, startMs, endMs, stats: computeStats(inside, (endMs - startMs) / 1000) };
}

function event(offsetMs: number, kind: CaseEvent['kind'], extra: Partial<CaseEvent> = {}): CaseEvent {
  return { t: ORIGIN + offsetMs, offsetMs, kind, ...extra };
}

const steadyRecords = seconds('L-01', 'logical', 30, (sec) => ({ requests: sec < 10 ? 50 : 100, failed: 0, latencyMs: 20, stage: sec < 10 ? 0 : 1 }), () => 'baseline');

const podKillPhase = (sec: number): TimeseriesRecord['phase'] => (sec < 10 ? 'baseline' : sec < 20 ? 'fault' : sec < 25 ? 'recovery' : 'after');
const podKillRecords = seconds(
  'L-02',
  'logical',
  30,
  (sec) => ({ requests: 100, failed: sec >= 10 && sec < 15 ? 40 : 0, latencyMs: sec >= 10 && sec < 20 ? 150 : 25, stage: 0 }),
  podKillPhase,
);

export const TIMESERIES: readonly TimeseriesRecord[] = [...steadyRecords, ...podKillRecords];

/** The cluster watch of the pod-kill case: the gateway loses a Ready replica at 10 s and has it back at 13.4 s. */
const clusterSample = (offsetMs: number, subject: string, ready: number, desired: number, restarts = 0): ClusterSampleRecord => ({
  t: ORIGIN + offsetMs, run: RUN_ID, case: 'L-02', layer: 'logical', phase: offsetMs < 10_000 ? 'baseline' : offsetMs < 20_000 ? 'fault' : 'recovery',
  kind: subject === 'nodes' ? 'nodes' : 'workload', subject, desired, ready, available: ready, restarts,
});
export const CLUSTER: readonly ClusterSampleRecord[] = [
  clusterSample(-200, 'nodes', 3, 3),
  clusterSample(-200, 'deployment/demo/gateway', 3, 3),
  clusterSample(-200, 'deployment/demo/customers', 2, 2),
  clusterSample(10_050, 'deployment/demo/gateway', 2, 3),
  clusterSample(11_000, 'deployment/demo/customers', 2, 2, 1),
  clusterSample(13_400, 'deployment/demo/gateway', 3, 3),
];

const spec = (title: string, objective: string): CaseResult['spec'] => ({
  title, objective, tags: ['nightly'], conditions: [], trigger: [], expect: [], load: null, abortIf: [], plannedDurationMs: 30_000,
});

const loadInfo = (stages: CaseResult['stages']): NonNullable<CaseResult['load']> => ({
  engine: 'autocannon', target: 'gateway', url: 'http://gateway.demo:8080/customers', method: 'GET', generators: 2, staggerMs: 0,
  stages: stages.map((s) => ({ name: s.name, connections: s.connections, rateRps: s.rateRps, durationMs: s.endMs - s.startMs, requests: null })),
  warnings: [],
});

function steadyCase(): CaseResult {
  const stages = [
    { index: 0, name: 'warm-up', connections: 10, rateRps: 50, startMs: 0, endMs: 10_000, stats: computeStats(steadyRecords.filter((r) => r.stage === 0), 10) },
    { index: 1, name: 'steady', connections: 20, rateRps: 100, startMs: 10_000, endMs: 30_000, stats: computeStats(steadyRecords.filter((r) => r.stage === 1), 20) },
  ];
  return {
    id: 'L-01', layer: 'logical', verdict: 'passed',
    spec: { ...spec(HOSTILE_TITLE, 'The gateway serves 100 req/s with p95 under 200 ms.'), conditions: ['deployment gateway is available'], trigger: [], expect: ['whole: p95 ≤ 200ms', 'whole: error rate ≤ 1%'], load: 'GET gateway/customers — open model: 50 req/s over 10 connections for 10s, then 100 req/s over 20 connections for 20s' },
    startedAt: '2024-05-01T10:00:00.000Z', endedAt: '2024-05-01T10:00:31.000Z', originMs: ORIGIN, durationMs: 31_000,
    conditions: [{ name: 'gateway-available', kind: 'deployment-available', description: 'deployment gateway is available', ok: true, detail: '3/3 replicas ready', durationMs: 12 }],
    load: loadInfo(stages),
    phases: [phase('whole', 0, 30_000, steadyRecords)],
    stages,
    expectations: [
      { phase: 'whole', metric: 'p95', bound: 'max', threshold: 200, thresholdText: 'p95 ≤ 200ms', measured: 35, measuredText: '35 ms', verdict: 'passed' },
      { phase: 'whole', metric: 'errorRate', bound: 'max', threshold: 0.01, thresholdText: 'error rate ≤ 1%', measured: 0, measuredText: '0%', verdict: 'passed' },
    ],
    recovery: null,
    events: [event(-50, 'case-start'), event(-40, 'condition', { name: 'gateway-available', ok: true, detail: '3/3 replicas ready' }), event(0, 'load-start'), event(10_000, 'stage', { name: 'steady' }), event(30_000, 'load-end'), event(30_100, 'case-end')],
  };
}

function podKillCase(): CaseResult {
  return {
    id: 'L-02', layer: 'logical', verdict: 'failed', reason: '1 of 3 expectations failed: whole p95 ≤ 200ms',
    spec: {
      ...spec(PIPE_TITLE, 'Killing a gateway pod costs under 1% of requests & recovers within 30 s.'),
      conditions: ['deployment gateway has 3 available replicas'],
      trigger: ['at 10s: pod-kill deployment=gateway count=1 [kill-gateway]; reverted after 10s'],
      expect: ['whole: p95 ≤ 200ms', 'fault: error rate ≤ 50%', 'recovery time ≤ 30s'],
      load: 'GET gateway/customers — open model: 100 req/s over 20 connections for 30s',
      abortIf: ['errorRate > 90% for 10s'],
    },
    startedAt: '2024-05-01T10:01:00.000Z', endedAt: '2024-05-01T10:01:31.000Z', originMs: ORIGIN, durationMs: 31_000,
    conditions: [{ name: 'gateway-replicas', kind: 'deployment-available', description: 'deployment gateway has 3 available replicas', ok: true, detail: '3/3 ready', durationMs: 8 }],
    load: { ...loadInfo([{ index: 0, name: 'main', connections: 20, rateRps: 100, startMs: 0, endMs: 30_000, stats: null }]), warnings: ['generator 1 fell 120 ms behind its schedule at 12 s'] },
    phases: [
      phase('baseline', 0, 10_000, podKillRecords),
      phase('fault', 10_000, 20_000, podKillRecords),
      phase('recovery', 20_000, 25_000, podKillRecords),
      phase('after', 25_000, 30_000, podKillRecords),
      phase('whole', 0, 30_000, podKillRecords),
    ],
    stages: [{ index: 0, name: 'main', connections: 20, rateRps: 100, startMs: 0, endMs: 30_000, stats: computeStats(podKillRecords, 30) }],
    expectations: [
      { phase: 'whole', metric: 'p95', bound: 'max', threshold: 200, thresholdText: 'p95 ≤ 200ms', measured: 312, measuredText: '312 ms', verdict: 'failed' },
      { phase: 'fault', metric: 'errorRate', bound: 'max', threshold: 0.5, thresholdText: 'error rate ≤ 50%', measured: 0.2, measuredText: '20%', verdict: 'passed' },
      { phase: null, metric: 'recoveryTime', bound: 'max', threshold: 30_000, thresholdText: 'recovery time ≤ 30s', measured: 5_000, measuredText: '5s', verdict: 'passed' },
    ],
    recovery: { injectedAtMs: 10_000, successRate: 0.99, stableForMs: 5_000, impact: true, firstFailureMs: 10_100, lastFailureMs: 14_900, recoveredAtMs: 15_000, recoveryTimeMs: 5_000, failedRequests: 200 },
    events: [
      event(-30, 'case-start'), event(0, 'load-start'),
      event(10_000, 'inject', { name: 'kill-gateway', ok: true, detail: 'deleted pod gateway-7d9 <pending>', durationMs: 40,
        data: { seed: 7, namespace: 'demo', killed: [{ pod: 'gateway-7d9', node: 'node-2' }], missing: [], replacements: ['gateway-x4k'], replacementsReadyAfterMs: 3_400 } }),
      event(20_000, 'revert', { name: 'kill-gateway', ok: true, detail: 'nothing to revert' }),
      event(30_000, 'load-end'), event(30_200, 'case-end'),
    ],
  };
}

function notRunCase(): CaseResult {
  return {
    id: 'P-01', layer: 'physical', verdict: 'not-run', reason: 'condition gateway-health failed: HTTP 503',
    spec: { ...spec('Power-off of a worker node', 'The platform survives the loss of one worker node.'), conditions: ['HTTP GET gateway/health answers 2xx'], trigger: ['at 5s: manual power off node worker-2 [power-off]'] },
    startedAt: '2024-05-01T10:02:00.000Z', endedAt: '2024-05-01T10:02:01.000Z', originMs: ORIGIN, durationMs: 1_000,
    conditions: [{ name: 'gateway-health', kind: 'http', description: 'HTTP GET gateway/health answers 2xx', ok: false, detail: 'HTTP 503 "upstream <unavailable>"', durationMs: 30 }],
    load: null, phases: [], stages: [], expectations: [], recovery: null,
    events: [event(0, 'case-start'), event(30, 'condition', { name: 'gateway-health', ok: false, detail: 'HTTP 503' }), event(40, 'case-end')],
  };
}

export function fixtureRun(): RunResult {
  const cases = [steadyCase(), podKillCase(), notRunCase()];
  return {
    schemaVersion: RESULT_SCHEMA_VERSION, runId: RUN_ID,
    plan: { name: 'demo-crt', title: 'Demo platform acceptance & resilience', system: 'demo gateway → customer-service → store', file: 'test-plans/demo.yaml', versions: { gateway: '1.4.2', 'customer-service': '2.0.0-rc.1' }, resolved: {} },
    environment: { crtVersion: '0.1.0', node: 'v20.19.0', platform: 'linux', arch: 'x64', host: 'ci-runner-3', cpus: 8, engines: { autocannon: '9.0.0' }, targets: { gateway: 'http://gateway.demo:8080' }, command: 'crt run test-plans/demo.yaml' },
    startedAt: '2024-05-01T10:00:00.000Z', endedAt: '2024-05-01T10:02:01.000Z', durationMs: 121_000,
    verdict: 'failed',
    counts: { total: 3, passed: 1, failed: 1, aborted: 0, inconclusive: 0, notRun: 1, skipped: 0 },
    interrupted: null,
    selection: { only: [], tags: [], layers: [] },
    cases,
    sinks: [{ name: 'influxdb', status: 'degraded', written: 1200, errors: ['timeout writing batch 7'] }, { name: 'files', status: 'ok', written: 1300, errors: [] }],
    reporters: [],
    revertFailures: [],
  };
}
