import { expect } from 'chai';
import { MIN_SAMPLES, compareRuns, rowsRegressedFirst } from '../../../src/results/compare.js';
import type { CaseResult, ExpectationResult, LoadStats, PhaseName, RunResult } from '../../../src/results/types.js';
import { fixtureRun } from '../report/fixture.js';

const FIXTURE = fixtureRun();

function stats(requests: number, errorRate: number, p95: number): LoadStats {
  const latency = { count: requests, min: 1, mean: p95 / 2, p50: p95 / 2, p75: p95 / 2, p90: p95, p95, p99: p95, max: p95 };
  const zero = { status: 0, timeout: 0, refused: 0, reset: 0, other: 0 };
  const failed = Math.round(requests * errorRate);
  return { seconds: 10, requests, ok: requests - failed, failed, errorRate, rps: requests / 10, bytes: 0, sent: requests, failures: zero, statusCodes: {}, latency, service: latency, lagMaxMs: 0 };
}

function kase(phases: Array<{ name: PhaseName; requests: number; errorRate: number; p95: number; startMs: number; endMs: number }>, expectations: ExpectationResult[] = []): CaseResult {
  return { ...FIXTURE.cases[0]!, id: 'PHY-03', verdict: 'passed', recovery: null, expectations, phases: phases.map((p) => ({ name: p.name, startMs: p.startMs, endMs: p.endMs, stats: stats(p.requests, p.errorRate, p.p95) })) };
}

const run = (runId: string, c: CaseResult): RunResult => ({ ...FIXTURE, runId, verdict: 'passed', cases: [c], plan: { ...FIXTURE.plan, resolved: {} } });

/** A network cut whose plan expects at least 50 % errors in the fault phase. */
const mustFail: ExpectationResult = { phase: 'fault', metric: 'errorRate', bound: 'min', threshold: 0.5, thresholdText: 'error rate ≥ 50%', measured: 1, measuredText: '100%', verdict: 'passed' };

describe('comparison rows a reader can triage', () => {
  const phases = (faultRate: number, wholeRate: number) => [
    { name: 'baseline' as const, requests: 200, errorRate: 0, p95: 5, startMs: 0, endMs: 10_000 },
    { name: 'fault' as const, requests: 12, errorRate: faultRate, p95: 2000, startMs: 10_000, endMs: 20_000 },
    { name: 'whole' as const, requests: 412, errorRate: wholeRate, p95: 900, startMs: 0, endMs: 30_000 },
  ];

  it('does not flag a rise of the error rate in a phase the plan bounds from below ("95.24 % → 100 % REGRESSED" was a false alarm)', () => {
    const before = run('nightly-41', kase(phases(0.9524, 0.0475), [mustFail]));
    const now = run('nightly-42', kase(phases(1, 0.05), [mustFail]));
    const c = compareRuns(now, before, 'reports/nightly-41');
    const fault = c.cases[0]!.metrics.find((m) => m.phase === 'fault' && m.metric === 'errorRate')!;
    expect(fault).to.deep.include({ status: 'unchecked', baseline: 0.9524, current: 1, allowed: null });
    expect(fault.note).to.equal('the plan expects fault error rate ≥ 50%: a rise is not worse');
    // the whole load holds the fault phase: its error rate is not a regression either
    expect(c.cases[0]!.metrics.find((m) => m.phase === 'whole' && m.metric === 'errorRate')!.status).to.equal('unchecked');
    expect(c.regressions).to.equal(0);
  });

  it('still flags the same rise without the lower bound, and the latency rows of the bounded phase', () => {
    const before = run('nightly-41', kase(phases(0.9524, 0.0475)));
    const now = run('nightly-42', kase(phases(1, 0.2)));
    const c = compareRuns(now, before, 'x');
    expect(c.cases[0]!.metrics.find((m) => m.phase === 'fault' && m.metric === 'errorRate')!.status).to.equal('regressed');
    expect(c.cases[0]!.metrics.find((m) => m.phase === 'whole' && m.metric === 'errorRate')!.status).to.equal('regressed');
    const bounded = compareRuns(run('b', kase(phases(1, 0.05).map((p) => (p.name === 'fault' ? { ...p, p95: 9000 } : p)), [mustFail])), run('a', kase(phases(1, 0.05), [mustFail])), 'x');
    expect(bounded.cases[0]!.metrics.find((m) => m.phase === 'fault' && m.metric === 'p95')!.status).to.equal('regressed');
  });

  it('gives each phase row the requests of both runs, and marks a row with too few of them', () => {
    const c = compareRuns(run('b', kase(phases(1, 0.05))), run('a', kase(phases(0.9, 0.05))), 'x');
    const fault = c.cases[0]!.metrics.find((m) => m.phase === 'fault' && m.metric === 'p95')!;
    expect(fault).to.deep.include({ baselineRequests: 12, currentRequests: 12, fewSamples: true });
    const baseline = c.cases[0]!.metrics.find((m) => m.phase === 'baseline' && m.metric === 'p95')!;
    expect(baseline).to.deep.include({ baselineRequests: 200, currentRequests: 200 });
    expect(baseline).not.to.have.property('fewSamples');
    // 200 requests are enough for a p99 (100)
    expect(c.cases[0]!.metrics.find((m) => m.phase === 'baseline' && m.metric === 'p99')).not.to.have.property('fewSamples');
    expect(MIN_SAMPLES).to.deep.equal({ p95: 20, p99: 100, errorRate: 100 });
  });

  it('lists regressed rows first', () => {
    const c = compareRuns(run('b', kase(phases(1, 0.3))), run('a', kase(phases(0.9, 0.05))), 'x');
    const rows = rowsRegressedFirst(c);
    expect(rows[0]!.row.status).to.equal('regressed');
    expect(rows.findIndex((r) => r.row.status !== 'regressed')).to.equal(c.regressions);
  });
});
