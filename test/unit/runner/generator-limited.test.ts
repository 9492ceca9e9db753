import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import type { GeneratorMessage, PreparedLoad } from '../../../src/load/index.js';
import { SinkSet, type Sink } from '../../../src/metrics/index.js';
import type { CaseSpec, PhaseExpectation } from '../../../src/plan/types.js';
import { generatorLimitedTable } from '../../../src/report/generator-limited.js';
import { computeStats } from '../../../src/results/stats.js';
import type { CaseResult, LoadSample, PhaseResult, TimeseriesRecord } from '../../../src/results/types.js';
import { CaseEvents } from '../../../src/runner/case-events.js';
import { driveLoad, type LoadOutcome } from '../../../src/runner/case-load.js';
import { caseVerdict, loadInfo, type VerdictInputs } from '../../../src/runner/case-result.js';
import { evaluateExpectations } from '../../../src/runner/evaluate.js';
import { PhaseTracker } from '../../../src/runner/phases.js';
import { loadSpec, stage } from '../../helpers/load.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { sample } from '../../helpers/samples.js';

const at = { file: 'plan.yaml', line: 1, col: 1, path: '' };
const ORIGIN = 1_000_000;

function caseWith(phases: Array<Omit<PhaseExpectation, 'location' | 'text'>>, load: CaseSpec['load'] = null): CaseSpec {
  return {
    id: 'SAT-01', layer: 'logical', title: 't', objective: 'o', description: null, tags: [], timeoutMs: 60_000, conditions: [], load, trigger: [], clusterSettings: null,
    expect: { phases: phases.map((p) => ({ text: String(p.value), ...p, location: at })), recoveryTime: [], clusterRecoveryTime: [], probes: [] },
    abortIf: [], recovery: { successRate: 0.99, stableForMs: 10_000 }, location: at,
  };
}

/** A generator's sample, saturated or not; 10 answers of 5 ms. */
function genSample(sec: number, generator: number, saturated: boolean): LoadSample {
  const s = sample(sec, 10, 0, { latencyMs: 5, originMs: ORIGIN, generator });
  return saturated ? { ...s, elu: 0.97, saturated: true } : s;
}

/** Two generators over three seconds; generator 1 is saturated in second 1 only. */
class ScriptedLoad implements PreparedLoad {
  async *start(): AsyncGenerator<GeneratorMessage> {
    for (const g of [0, 1]) {
      yield { type: 'samples', generator: g, upToSec: Infinity, samples: [0, 1, 2].map((sec) => genSample(sec, g, g === 1 && sec === 1)) };
      yield { type: 'done', generator: g, at: ORIGIN + 3000 };
    }
  }

  async dispose(): Promise<void> {}
}

class Collect implements Sink {
  readonly name = 'collect';
  readonly records: TimeseriesRecord[] = [];
  writeSamples(records: readonly TimeseriesRecord[]): void {
    this.records.push(...records);
  }
  writeEvents(): void {}
  async close(): Promise<void> {}
  status() {
    return { status: 'ok' as const, written: this.records.length, errors: [] };
  }
}

function phase(name: PhaseResult['name'], startMs: number, endMs: number): PhaseResult {
  const secs = [];
  for (let sec = startMs / 1000; sec < endMs / 1000; sec++) secs.push(genSample(sec, 0, false));
  return { name, startMs, endMs, stats: computeStats(secs, (endMs - startMs) / 1000) };
}

const noVerdictCause: Omit<VerdictInputs, 'expectations'> = {
  interrupted: null, timedOutMs: null, abortHit: null, loadError: null, generatorErrors: [], injectFailures: [], ineffective: [],
};

describe('generator saturation: marked seconds, generator-limited latency, inconclusive expectations', () => {
  const spec = loadSpec({ generators: 2, stages: [stage({ durationMs: 3000 })] });
  let outcome: LoadOutcome;
  let sink: Collect;

  beforeEach(async () => {
    const clock = new ManualClock(ORIGIN);
    sink = new Collect();
    const sinks = new SinkSet([sink], silentLogger);
    const c = caseWith([], spec);
    outcome = await driveLoad(new ScriptedLoad(), {
      c, runId: 'r', targetName: 't', originMs: ORIGIN, now: () => clock.now(), events: new CaseEvents(c, 'r', clock, sinks, {}),
      tracker: new PhaseTracker(c.recovery, ORIGIN), sinks, observer: {}, abort: new AbortController(),
    });
  });

  it('marks the saturated generator\'s second in the per-second series the sinks receive, and only that one', () => {
    const marked = sink.records.filter((r) => r.saturated).map((r) => [r.sec, r.generator]);
    expect(sink.records).to.have.length(6);
    expect(marked).to.deep.equal([[1, 1]]);
  });

  it('lists the saturated seconds, merged over generators, in the load info that run.json holds', () => {
    const info = JSON.parse(JSON.stringify(loadInfo({ spec, targetName: 't', url: 'http://127.0.0.1:9/', headers: {} }, 'autocannon', outcome, 2))) as CaseResult['load'];
    expect(info?.generatorLimited).to.have.length(1);
    expect(info?.generatorLimited?.[0]).to.deep.include({ sec: 1, elu: 0.97, requests: 20 });
    expect(info?.generatorLimited?.[0]?.latency?.p50).to.be.closeTo(5, 0.1);
    expect(info?.warnings.join('\n')).to.match(/saturated \(busy up to 97%\) in 1 second: .*generator-limited/);
  });

  it('says nothing of saturation when no second was saturated', () => {
    const calm: LoadOutcome = { ...outcome, generatorLimited: [], maxElu: 0.1 };
    const info = loadInfo({ spec, targetName: 't', url: 'http://127.0.0.1:9/', headers: {} }, 'autocannon', calm, 2);
    expect(info).not.to.have.property('generatorLimited');
    expect(info.warnings).to.deep.equal([]);
  });

  it('warns when the generators outnumber the cores, and not when they fit', () => {
    const calm: LoadOutcome = { ...outcome, generatorLimited: [], maxElu: 0.1 };
    const four = loadSpec({ generators: 4, stages: [stage({ durationMs: 3000 })] });
    expect(loadInfo({ spec: four, targetName: 't', url: 'http://127.0.0.1:9/', headers: {} }, 'autocannon', calm, 2).warnings)
      .to.deep.equal(['4 generators share this machine\'s 2 cores: beyond 2 they add connections, not throughput (distributed: spreads them over machines)']);
    expect(loadInfo({ spec: four, targetName: 't', url: 'http://127.0.0.1:9/', headers: {} }, 'autocannon', calm, 4).warnings).to.deep.equal([]);
  });

  it('judges a latency expectation over a window holding a saturated second inconclusive, with the reason', () => {
    const c = caseWith([{ phase: 'whole', metric: 'p95', bound: 'max', value: 1 }]);
    const [e] = evaluateExpectations(c, [phase('whole', 0, 3000)], null, [], outcome.generatorLimited.map((s) => s.sec));
    // 5 ms against a bound of 1 ms would fail: the generator's limit leaves it open instead
    expect(e).to.deep.include({ verdict: 'inconclusive', measuredText: '5 ms' });
    expect(e?.reason).to.equal('generator-limited: a load generator was saturated in second 1 of this window, so the latency measured includes its own queueing');
  });

  it('still judges latency over a window without saturated seconds, and non-latency metrics over any window', () => {
    const c = caseWith([
      { phase: 'baseline', metric: 'p95', bound: 'max', value: 1 },
      { phase: 'whole', metric: 'errorRate', bound: 'max', value: 0.01 },
    ]);
    const [latency, errors] = evaluateExpectations(c, [phase('baseline', 0, 1000), phase('whole', 0, 3000)], null, [], [1]);
    expect(latency).to.deep.include({ verdict: 'failed' });
    expect(latency).not.to.have.property('reason');
    expect(errors).to.deep.include({ verdict: 'passed' });
  });

  it('makes the case inconclusive when an expectation is, and failed when another one failed', () => {
    const c = caseWith([{ phase: 'whole', metric: 'p95', bound: 'max', value: 1 }, { phase: 'whole', metric: 'errorRate', bound: 'max', value: 0.01 }]);
    const [open, passed] = evaluateExpectations(c, [phase('whole', 0, 3000)], null, [], [1]);
    const alone = caseVerdict({ ...noVerdictCause, expectations: [open!, passed!] });
    expect(alone.verdict).to.equal('inconclusive');
    expect(alone.reason).to.equal('expectation inconclusive: whole p95 ≤ 1ms: measured 5 ms (generator-limited: a load generator was saturated in second 1 of this window, so the latency measured includes its own queueing)');
    const withFailure = caseVerdict({ ...noVerdictCause, expectations: [open!, { ...passed!, verdict: 'failed' }] });
    expect(withFailure.verdict).to.equal('failed');
  });

  it('shows the saturated seconds\' latency as generator-limited in the report', () => {
    const load = loadInfo({ spec, targetName: 't', url: 'http://127.0.0.1:9/', headers: {} }, 'autocannon', outcome);
    const table = generatorLimitedTable({ load } as CaseResult);
    expect(table?.headers).to.deep.equal(['second', 'requests', 'p50', 'p99', 'generator busy']);
    expect(table?.rows).to.deep.equal([['1.0–2.0', '20', '5 ms generator-limited', '5 ms generator-limited', '97%']]);
    expect(generatorLimitedTable({ load: { ...load, generatorLimited: undefined } } as unknown as CaseResult)).to.equal(null);
  });
});
