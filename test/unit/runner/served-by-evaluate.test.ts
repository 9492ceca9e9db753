import { expect } from 'chai';
import type { CaseSpec, PhaseExpectation } from '../../../src/plan/types.js';
import { computeStats } from '../../../src/results/stats.js';
import type { LoadSample, PhaseResult, TimeseriesRecord } from '../../../src/results/types.js';
import type { LoadOutcome } from '../../../src/runner/case-load.js';
import { loadInfo } from '../../../src/runner/case-result.js';
import { evaluateExpectations } from '../../../src/runner/evaluate.js';
import { loadSpec, stage } from '../../helpers/load.js';
import { sample } from '../../helpers/samples.js';

const at = { file: 'plan.yaml', line: 1, col: 1, path: '' };

function caseWith(phases: Array<Omit<PhaseExpectation, 'location' | 'text'> & { text?: string }>): CaseSpec {
  return {
    id: 'CAN-01', layer: 'logical', title: 't', objective: 'o', description: null, tags: [], timeoutMs: 60_000, conditions: [], load: null, trigger: [], clusterSettings: null,
    expect: { phases: phases.map((p) => ({ text: String(p.value), ...p, location: at })), recoveryTime: [], clusterRecoveryTime: [], probes: [] },
    abortIf: [], recovery: { successRate: 0.99, stableForMs: 10_000 }, location: at,
  };
}

/** 100 answers: 20 from 1.1, 75 from 1.0, 5 without the header; plus 10 timeouts (no status, not in the share). */
function canaryPhase(name: PhaseResult['name']): PhaseResult {
  const s: LoadSample = { ...sample(0, 97, 3), servedBy: { '1.1': 20, '1.0': 75, '(none)': 5 } };
  s.failures.timeout = 10;
  s.requests += 10;
  return { name, startMs: 0, endMs: 1000, stats: computeStats([s], 1) };
}

describe('evaluateExpectations: servedBy and backends', () => {
  it('passes a share inside its bounds, measured over the answers with a status', () => {
    const c = caseWith([
      { phase: 'fault', metric: 'servedBy', servedByValue: '1.1', bound: 'min', value: 0.1, text: '10%' },
      { phase: 'fault', metric: 'servedBy', servedByValue: '1.1', bound: 'max', value: 0.3, text: '30%' },
    ]);
    const [min, max] = evaluateExpectations(c, [canaryPhase('fault')], null, []);
    expect(min).to.deep.include({ phase: 'fault', metric: 'servedBy[1.1]', measured: 0.2, measuredText: '20% (20 of 100)', verdict: 'passed', thresholdText: 'share of answers with 1.1 ≥ 10%' });
    expect(max).to.deep.include({ verdict: 'passed', thresholdText: 'share of answers with 1.1 ≤ 30%' });
  });

  it('fails a share outside its bound, and a value never seen measures 0%', () => {
    const c = caseWith([
      { phase: 'fault', metric: 'servedBy', servedByValue: '1.1', bound: 'max', value: 0.1 },
      { phase: 'fault', metric: 'servedBy', servedByValue: '2.0', bound: 'min', value: 0.05 },
    ]);
    const [over, unseen] = evaluateExpectations(c, [canaryPhase('fault')], null, []);
    expect(over).to.deep.include({ measured: 0.2, verdict: 'failed' });
    expect(unseen).to.deep.include({ metric: 'servedBy[2.0]', measured: 0, measuredText: '0% (0 of 100)', verdict: 'failed' });
  });

  it('an expected value named like an Object.prototype property that was never seen measures 0%', () => {
    const c = caseWith([{ phase: 'fault', metric: 'servedBy', servedByValue: 'constructor', bound: 'max', value: 0.1 }]);
    const [r] = evaluateExpectations(c, [canaryPhase('fault')], null, []);
    expect(r).to.deep.include({ metric: 'servedBy[constructor]', measured: 0, measuredText: '0% (0 of 100)', verdict: 'passed' });
  });

  it('counts distinct backends without (none)', () => {
    const c = caseWith([
      { phase: 'whole', metric: 'backends', bound: 'min', value: 2 },
      { phase: 'whole', metric: 'backends', bound: 'min', value: 3 },
    ]);
    const [two, three] = evaluateExpectations(c, [canaryPhase('whole')], null, []);
    expect(two).to.deep.include({ metric: 'backends', measured: 2, measuredText: '2 ((none), 1.0, 1.1)', verdict: 'passed', thresholdText: 'distinct backends ≥ 2' });
    expect(three).to.deep.include({ measured: 2, verdict: 'failed' });
  });

  it('fails with a reason when the phase did not happen or nothing was answered', () => {
    const c = caseWith([
      { phase: 'after', metric: 'backends', bound: 'min', value: 2 },
      { phase: 'fault', metric: 'servedBy', servedByValue: '1.1', bound: 'min', value: 0.1 },
    ]);
    const timeoutsOnly: LoadSample = { ...sample(0, 0, 0), requests: 4 };
    timeoutsOnly.failures.timeout = 4;
    const [after, fault] = evaluateExpectations(c, [{ name: 'fault', startMs: 0, endMs: 1000, stats: computeStats([timeoutsOnly], 1) }], null, []);
    expect(after).to.deep.include({ measured: null, verdict: 'failed', reason: 'the after phase did not happen' });
    expect(fault).to.deep.include({ measured: null, verdict: 'failed', reason: 'no answer with an HTTP status in the fault phase' });
  });
});

describe('loadInfo: servedBy', () => {
  const record = (sec: number, servedBy: Record<string, number>, generator: number): TimeseriesRecord => ({
    ...sample(sec, Object.values(servedBy).reduce((a, b) => a + b, 0), 0, { generator }), servedBy, run: 'r', case: 'C', layer: 'logical', phase: 'baseline', target: 't',
  });
  const outcome = (records: TimeseriesRecord[]): LoadOutcome => ({ records, stageStarts: new Map(), endMs: 2000, abortHit: null, generatorErrors: [], fdExhausted: null, maxElu: 0.1, generatorLimited: [], engineExpectations: [] });
  const resolved = { spec: loadSpec({ servedBy: 'x-request-id', stages: [stage({ connections: 2 })] }), targetName: 't', url: 'http://127.0.0.1:9/', headers: {} };

  it('names the header the answers were counted by', () => {
    expect(loadInfo(resolved, 'autocannon', outcome([record(0, { a: 1 }, 0)]))).to.deep.include({ servedBy: 'x-request-id', warnings: [] });
  });

  it('warns when the header took more distinct values than are kept, two generators together', () => {
    const values = (from: number) => Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`id-${from + i}`, 1]));
    const info = loadInfo(resolved, 'autocannon', outcome([record(0, values(0), 0), record(0, values(60), 1)]));
    expect(info.warnings).to.deep.equal(['the x-request-id header had more than 100 distinct values: 20 answers are counted as (other) (is it a backend name, or a per-request id?)']);
  });
});
