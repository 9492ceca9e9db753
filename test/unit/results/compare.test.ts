import { expect } from 'chai';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareRuns } from '../../../src/results/compare.js';
import { findLastGood } from '../../../src/results/last-good.js';
import { DEFAULT_REGRESSION, allowedMax, isIncrease, parseIncrease, regressionThresholds } from '../../../src/results/regression.js';
import type { CaseResult, LoadStats, PhaseName, RunResult, Verdict } from '../../../src/results/types.js';
import { fixtureRun } from '../report/fixture.js';
import { tempDir } from '../../helpers/tmp.js';

/** built once: the report fixture computes its statistics from histograms */
const FIXTURE = fixtureRun();

interface PhaseFigures {
  name: PhaseName;
  p95: number;
  p99?: number;
  errorRate?: number;
  startMs?: number;
}

function stats(f: PhaseFigures): LoadStats {
  const latency = { count: 100, min: 1, mean: f.p95 / 2, p50: f.p95 / 2, p75: f.p95 / 2, p90: f.p95, p95: f.p95, p99: f.p99 ?? f.p95, max: f.p99 ?? f.p95 };
  const zero = { status: 0, timeout: 0, refused: 0, reset: 0, other: 0 };
  return { seconds: 10, requests: 100, ok: 100, failed: 0, errorRate: f.errorRate ?? 0, rps: 10, bytes: 0, sent: 100, failures: zero, statusCodes: {}, latency, service: latency, lagMaxMs: 0 };
}

function kase(id: string, verdict: Verdict, phases: PhaseFigures[], recovery?: { client: number | null; cluster?: number | null }): CaseResult {
  const base = FIXTURE.cases[0]!;
  return {
    ...base, id, verdict,
    phases: phases.map((p) => ({ name: p.name, startMs: p.startMs ?? 0, endMs: 10_000, stats: stats(p) })),
    recovery: recovery
      ? {
          injectedAtMs: 5_000, successRate: 0.99, stableForMs: 3_000, impact: true, firstFailureMs: 5_100, lastFailureMs: 6_000, recoveredAtMs: 6_000,
          recoveryTimeMs: recovery.client, failedRequests: 3,
          ...(recovery.cluster !== undefined ? { cluster: { affected: ['deployment/demo/gateway'], recoveredAtMs: 9_000, recoveryTimeMs: recovery.cluster } } : {}),
        }
      : null,
  };
}

function runOf(runId: string, cases: CaseResult[], resolved: unknown = {}): RunResult {
  return { ...FIXTURE, runId, verdict: 'passed', startedAt: `2026-11-2${runId.slice(-1)}T01:00:00.000Z`, cases, plan: { ...FIXTURE.plan, resolved } };
}

describe('regression thresholds', () => {
  it('reads +20% as relative, +30s and +50ms as absolute, off as not checked', () => {
    expect(parseIncrease('p95', '+20%')).to.deep.equal({ kind: 'relative', value: 0.2, text: '+20%' });
    expect(parseIncrease('recoveryTime', '+30s')).to.deep.equal({ kind: 'absolute', value: 30_000, text: '+30s' });
    expect(parseIncrease('p99', '+50ms')).to.deep.equal({ kind: 'absolute', value: 50, text: '+50ms' });
    expect(parseIncrease('p95', 'off')).to.equal(null);
  });

  it('reads an errorRate increase as percentage points, and refuses a duration for it', () => {
    expect(parseIncrease('errorRate', '+0.5%')).to.deep.equal({ kind: 'absolute', value: 0.005, text: '+0.5%' });
    expect(isIncrease('errorRate', '+30s')).to.equal(false);
    expect(() => parseIncrease('errorRate', '+30s')).to.throw(TypeError);
  });

  it('refuses an increase without its + sign, with a space, or without a unit', () => {
    for (const t of ['20%', '+ 20%', '+30 s', '+30', '+', '-20%']) expect(isIncrease('p95', t), t).to.equal(false);
  });

  it('puts the limit at baseline × (1 + r) or baseline + a', () => {
    expect(allowedMax(100, { kind: 'relative', value: 0.2, text: '+20%' })).to.be.closeTo(120, 1e-9);
    expect(allowedMax(100, { kind: 'absolute', value: 30, text: '+30ms' })).to.equal(130);
  });

  it('reads +25% or +5ms as relative with an absolute floor, and allows whichever is larger', () => {
    const both = parseIncrease('p95', '+25% or +5ms');
    expect(both).to.deep.equal({ kind: 'relative', value: 0.25, text: '+25% or +5ms', atLeast: 5 });
    // a fast service: 4.66 ms → 6.36 ms (+37 %, two nightly runs of the same code) is within the floor
    expect(allowedMax(4.66, both!)).to.be.closeTo(9.66, 1e-9);
    // a slow one: the relative part allows more
    expect(allowedMax(100, both!)).to.be.closeTo(125, 1e-9);
    expect(parseIncrease('recoveryTime', '+20% or +10s')).to.deep.include({ value: 0.2, atLeast: 10_000 });
    for (const t of ['+5ms or +25%', '+25% or 5ms', '+25% or +5', '+25% and +5ms', '+25%or +5ms']) expect(isIncrease('p95', t), t).to.equal(false);
    expect(isIncrease('errorRate', '+1% or +5ms')).to.equal(false);
  });

  it('takes the defaults, then the plan\'s regression:, then the case\'s, key by key', () => {
    const of = regressionThresholds({
      regression: { p95: '+50ms', p99: '+30%' },
      layers: { logical: [{ id: 'A', regression: { p95: 'off', recoveryTime: '+10s' } }, { id: 'B' }] },
    });
    expect(of('A')).to.deep.equal({ ...DEFAULT_REGRESSION, p95: null, p99: { kind: 'relative', value: 0.3, text: '+30%' }, recoveryTime: { kind: 'absolute', value: 10_000, text: '+10s' } });
    expect(of('B').p95).to.deep.equal({ kind: 'absolute', value: 50, text: '+50ms' });
    expect(of('unknown')).to.deep.equal(of('B'));
    expect(regressionThresholds(null)('X')).to.deep.equal(DEFAULT_REGRESSION);
  });
});

describe('compareRuns', () => {
  it('flags a phase whose p95 grew past the relative default (+20%) and passes one within it', () => {
    const before = runOf('b1', [kase('A', 'passed', [{ name: 'whole', p95: 100 }, { name: 'fault', p95: 100, startMs: 5_000 }])]);
    const now = runOf('c2', [kase('A', 'passed', [{ name: 'whole', p95: 119 }, { name: 'fault', p95: 121, startMs: 5_000 }])]);
    const c = compareRuns(now, before, 'reports/b1');
    expect(c.regressions).to.equal(1);
    expect(c.baseline).to.deep.equal({ runId: 'b1', startedAt: before.startedAt, verdict: 'passed', source: 'reports/b1' });
    const p95 = c.cases[0]!.metrics.filter((m) => m.metric === 'p95');
    expect(p95.map((m) => [m.phase, m.status])).to.deep.equal([['whole', 'ok'], ['fault', 'regressed']]);
    expect(p95[1]).to.include({ baseline: 100, current: 121, delta: 21, allowed: '+20%' });
    expect(p95[1]!.limit).to.be.closeTo(120, 1e-9);
  });

  it('with +25% or +5ms, passes a fast phase that moved by a few ms and flags one past the floor', () => {
    const plan = { regression: { p95: '+25% or +5ms' } };
    const before = runOf('b1', [kase('A', 'passed', [{ name: 'whole', p95: 4 }, { name: 'fault', p95: 4, startMs: 5_000 }])], plan);
    const now = runOf('c2', [kase('A', 'passed', [{ name: 'whole', p95: 8.9 }, { name: 'fault', p95: 9.1, startMs: 5_000 }])], plan);
    const p95 = compareRuns(now, before, 'reports/b1').cases[0]!.metrics.filter((m) => m.metric === 'p95');
    expect(p95.map((m) => [m.phase, m.status, m.allowed])).to.deep.equal([['whole', 'ok', '+25% or +5ms'], ['fault', 'regressed', '+25% or +5ms']]);
    expect(p95[1]!.limit).to.be.closeTo(9, 1e-9);
  });

  it('leaves p99 unchecked by default and checks it when the plan sets it', () => {
    const before = runOf('b1', [kase('A', 'passed', [{ name: 'whole', p95: 100, p99: 100 }])]);
    const now = runOf('c2', [kase('A', 'passed', [{ name: 'whole', p95: 100, p99: 200 }])]);
    expect(compareRuns(now, before, '').regressions).to.equal(0);
    const strict = { ...now, plan: { ...now.plan, resolved: { regression: { p99: '+50ms' } } } };
    expect(compareRuns(strict, before, '').regressions).to.equal(1);
  });

  it('compares the error rate in points: 1% → 1.9% passes the default +1%, 1% → 2.5% regresses', () => {
    const before = runOf('b1', [kase('A', 'passed', [{ name: 'whole', p95: 10, errorRate: 0.01 }])]);
    const ok = compareRuns(runOf('c2', [kase('A', 'passed', [{ name: 'whole', p95: 10, errorRate: 0.019 }])]), before, '');
    const bad = compareRuns(runOf('c3', [kase('A', 'passed', [{ name: 'whole', p95: 10, errorRate: 0.025 }])]), before, '');
    expect(ok.regressions).to.equal(0);
    expect(bad.cases[0]!.metrics.find((m) => m.metric === 'errorRate')!.status).to.equal('regressed');
  });

  it('counts the baseline phase of a case without a trigger once: it is the whole load', () => {
    const before = runOf('b1', [kase('A', 'passed', [{ name: 'baseline', p95: 10 }, { name: 'whole', p95: 10 }])]);
    const now = runOf('c2', [kase('A', 'passed', [{ name: 'baseline', p95: 90 }, { name: 'whole', p95: 90 }])]);
    const c = compareRuns(now, before, '');
    expect(c.regressions).to.equal(1);
    expect(c.cases[0]!.metrics.map((m) => m.phase)).to.deep.equal(['whole', 'whole', 'whole']);
  });

  it('compares recovery times against +30s, and a run that no longer recovers regresses', () => {
    const before = runOf('b1', [kase('A', 'passed', [{ name: 'whole', p95: 10 }], { client: 10_000, cluster: 20_000 })]);
    const slower = compareRuns(runOf('c2', [kase('A', 'passed', [{ name: 'whole', p95: 10 }], { client: 41_000, cluster: 50_000 })]), before, '');
    const rows = slower.cases[0]!.metrics.filter((m) => m.phase === null);
    expect(rows.map((m) => [m.metric, m.status])).to.deep.equal([['recoveryTime', 'regressed'], ['clusterRecoveryTime', 'ok']]);
    const never = compareRuns(runOf('c3', [kase('A', 'failed', [{ name: 'whole', p95: 10 }], { client: null, cluster: 20_000 })]), before, '');
    expect(never.cases[0]!.metrics.find((m) => m.metric === 'recoveryTime')).to.include({ status: 'regressed', note: 'not recovered before the case ended', current: null });
  });

  it('does not count a case that did not pass in the baseline, but lists its deltas', () => {
    const before = runOf('b1', [kase('A', 'failed', [{ name: 'whole', p95: 10 }])]);
    const c = compareRuns(runOf('c2', [kase('A', 'passed', [{ name: 'whole', p95: 500 }])]), before, '');
    expect(c.regressions).to.equal(0);
    expect(c.cases[0]).to.include({ status: 'baseline-not-passed', baselineVerdict: 'failed' });
    expect(c.cases[0]!.metrics[0]).to.include({ status: 'unchecked', note: 'baseline case failed', delta: 490, allowed: null });
  });

  it('reports cases present on one side only, and cases that did not run now, without regressions', () => {
    const before = runOf('b1', [kase('A', 'passed', [{ name: 'whole', p95: 10 }]), kase('GONE', 'passed', [{ name: 'whole', p95: 10 }])]);
    const now = runOf('c2', [kase('A', 'skipped', []), kase('NEW', 'passed', [{ name: 'whole', p95: 10 }])]);
    const c = compareRuns(now, before, '');
    expect(c.cases.map((k) => [k.id, k.status])).to.deep.equal([['A', 'not-run'], ['NEW', 'new'], ['GONE', 'missing']]);
    expect(c.regressions).to.equal(0);
  });
});

describe('findLastGood', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  async function save(dir: string, run: Partial<RunResult>): Promise<void> {
    await mkdir(path.join(tmp.dir, dir), { recursive: true });
    await writeFile(path.join(tmp.dir, dir, 'run.json'), JSON.stringify({ ...runOf(dir, []), ...run }));
  }
  const plan = (name: string) => ({ ...FIXTURE.plan, name });

  it('picks the newest passed run of the plan, passing over failed, interrupted, regressed and other plans\' runs', async () => {
    await save('old', { plan: plan('p'), startedAt: '2026-11-20T00:00:00Z' });
    await save('good', { plan: plan('p'), startedAt: '2026-11-21T00:00:00Z' });
    await save('failed', { plan: plan('p'), startedAt: '2026-11-22T00:00:00Z', verdict: 'failed' });
    await save('interrupted', { plan: plan('p'), startedAt: '2026-11-22T01:00:00Z', interrupted: 'SIGINT' });
    const regressed = compareRuns(runOf('x', []), runOf('y', []), '');
    await save('regressed', { plan: plan('p'), startedAt: '2026-11-22T02:00:00Z', comparison: { ...regressed, regressions: 2 } });
    await save('other', { plan: plan('q'), startedAt: '2026-11-23T00:00:00Z' });
    await save('current', { plan: plan('p'), runId: 'current', startedAt: '2026-11-24T00:00:00Z' });
    await mkdir(path.join(tmp.dir, 'not-a-run'));
    await writeFile(path.join(tmp.dir, 'stray.txt'), 'x');
    const found = await findLastGood(tmp.dir, 'p', 'current');
    expect(found?.run.runId).to.equal('good');
    expect(found?.dir).to.equal(path.join(tmp.dir, 'good'));
    expect((await findLastGood(tmp.dir, 'p'))?.run.runId).to.equal('current');
  });

  it('finds nothing in a folder that does not exist or holds no run of the plan', async () => {
    expect(await findLastGood(path.join(tmp.dir, 'absent'), 'p')).to.equal(null);
    await save('other', { plan: plan('q') });
    expect(await findLastGood(tmp.dir, 'p')).to.equal(null);
  });
});
