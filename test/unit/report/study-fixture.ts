import { encodeHistogram, newLatencyHistogram } from '../../../src/results/histogram.js';
import { computeStats, zeroFailures } from '../../../src/results/stats.js';
import type { CaseResult, CaseStudy, RunResult, StageResult, TimeseriesRecord } from '../../../src/results/types.js';
import { ORIGIN, fixtureRun } from './fixture.js';

/**
 * The reference load study as results: concurrency 5, 10, 40 as stages (LOG-10, HPA off; LOG-12, HPA
 * on) and 5 generators × 40 as its own case (LOG-11, HPA off only: HPA on did not run it). Latencies
 * are recorded in real HDR histograms; the p95 of c=40 is 412 ms without the autoscaler and 96 ms with it.
 */

interface StepLoad {
  name: string;
  /** requests per second of each of the two generators */
  perGenerator: number;
  failedPerSecond: number;
  /** the latency of most requests; one in ten takes `slowMs` */
  latencyMs: number;
  slowMs: number;
}

function records(caseId: string, stage: number, fromSec: number, seconds: number, s: StepLoad): TimeseriesRecord[] {
  const out: TimeseriesRecord[] = [];
  for (let sec = fromSec; sec < fromSec + seconds; sec++) {
    for (let generator = 0; generator < 2; generator++) {
      const h = newLatencyHistogram();
      for (let i = 0; i < s.perGenerator; i++) h.recordValue((i % 10 === 9 ? s.slowMs : s.latencyMs) * 1000);
      const failed = generator === 0 ? s.failedPerSecond : 0;
      out.push({
        run: 'study-run', case: caseId, layer: 'logical', phase: 'baseline', target: 'gw', t: ORIGIN + sec * 1000, sec, generator, stage,
        requests: s.perGenerator, ok: s.perGenerator - failed, failures: { ...zeroFailures(), status: failed }, statusCodes: { '200': s.perGenerator - failed },
        bytes: 0, sent: s.perGenerator, latency: encodeHistogram(h), service: encodeHistogram(h), lagMaxMs: 0, elu: 0.1,
      });
    }
  }
  return out;
}

function studyCase(id: string, study: CaseStudy, loads: StepLoad[], staged: boolean): CaseResult {
  const base = fixtureRun().cases[0]!;
  const all: TimeseriesRecord[] = [];
  const stages: StageResult[] = loads.map((l, i) => {
    const recs = records(id, i, i * 10, 10, l);
    all.push(...recs);
    return { index: i, name: staged ? l.name : 'main', connections: 5, rateRps: null, startMs: i * 10_000, endMs: (i + 1) * 10_000, stats: computeStats(recs, 10) };
  });
  const endMs = loads.length * 10_000;
  return {
    ...base, id, study, verdict: 'passed', expectations: [], events: [], recovery: null,
    phases: [{ name: 'whole', startMs: 0, endMs, stats: computeStats(all, endMs / 1000) }],
    stages,
  };
}

const step = (name: string, perGenerator: number, latencyMs: number, slowMs: number, failedPerSecond = 0): StepLoad => ({ name, perGenerator, latencyMs, slowMs, failedPerSecond });

export function studyCases(): CaseResult[] {
  const ready = (gateway: number) => ({ 'deployment/demo/gateway': gateway, 'deployment/demo/store': 1 });
  return [
    studyCase('LOG-10', {
      name: 'load-study', variant: 'HPA off',
      steps: [{ name: 'c=5', stage: 0, maxReady: ready(2) }, { name: 'c=10', stage: 1, maxReady: ready(2) }, { name: 'c=40', stage: 2, maxReady: ready(2) }],
    }, [step('c=5', 20, 90, 110), step('c=10', 40, 100, 200), step('c=40', 50, 300, 412, 10)], true),
    studyCase('LOG-11', { name: 'load-study', variant: 'HPA off', steps: [{ name: '5x40', stage: null, maxReady: ready(2) }] }, [step('main', 60, 500, 900, 20)], false),
    studyCase('LOG-12', {
      name: 'load-study', variant: 'HPA on',
      steps: [{ name: 'c=5', stage: 0, maxReady: ready(2) }, { name: 'c=10', stage: 1, maxReady: ready(3) }, { name: 'c=40', stage: 2, maxReady: ready(5) }],
    }, [step('c=5', 20, 90, 110), step('c=10', 40, 90, 120), step('c=40', 100, 80, 96)], true),
  ];
}

export function studyRun(cases: CaseResult[] = studyCases()): RunResult {
  const run = fixtureRun();
  return { ...run, cases: [...run.cases, ...cases] };
}
