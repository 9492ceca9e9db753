import { expect } from 'chai';
import { UsageError, silentLogger, systemClock } from '../../../src/core/index.js';
import { Journal } from '../../../src/faults/index.js';
import type { NodeTimings } from '../../../src/vocabulary/node-timings.js';
import { SinkSet } from '../../../src/metrics/index.js';
import { loadPlan } from '../../../src/plan/index.js';
import type { CaseEvent } from '../../../src/results/types.js';
import { PlanTargets, runCase } from '../../../src/runner/index.js';
import type { NodeTimingControl } from '../../../src/runner/cluster-session.js';
import { writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

const PLAN: NodeTimings = { heartbeatMs: 4000, nodeMonitorPeriodMs: 1000, nodeMonitorGracePeriodMs: 20_000, defaultTolerationSeconds: 300 };

/** Records what the runner asks of the cluster; `fail` makes the n-th call (1-based) throw as the cluster would. */
class FakeControl implements NodeTimingControl {
  readonly plan = { ...PLAN };
  readonly calls: Array<Partial<NodeTimings>> = [];
  private current = { ...PLAN };
  /** called after each call is recorded */
  onSet: () => void = () => undefined;
  constructor(private readonly fail?: number) {}
  async set(partial: Partial<NodeTimings>): Promise<NodeTimings> {
    this.calls.push(partial);
    this.onSet();
    if (this.calls.length === this.fail) throw new UsageError('invalid embedded cluster settings: the cluster said no');
    this.current = { ...this.current, ...partial };
    return { ...this.current };
  }
}

/** A case with fast detection whose general condition is a command taking `conditionMs`. */
const yaml = (conditionMs: number) => `apiVersion: crt/v1
metadata: {name: settings}
cluster:
  local:
    settings: {heartbeat: 4s, nodeMonitorGracePeriod: 20s, nodeMonitorPeriod: 1s}
layers:
  physical:
    - id: PHY-01
      title: fast detection
      objective: the settings are in effect during the case only
      clusterSettings: {heartbeat: 500ms, nodeMonitorGracePeriod: 2s, defaultTolerationSeconds: 2}
      conditions:
        - {probe: command, name: slow-check, command: "node -e \\"setTimeout(() => {}, ${conditionMs})\\""}
`;

describe('runCase with clusterSettings', function () {
  this.timeout(20_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  const run = async (control: NodeTimingControl, signal = new AbortController().signal, conditionMs = 0) => {
    const { plan } = loadPlan(await writePlan(tmp.dir, yaml(conditionMs)), {});
    const events: CaseEvent[] = [];
    const out = await runCase(plan.cases[0]!, {
      runId: 'r', clock: systemClock, log: silentLogger, signal, sinks: new SinkSet([], silentLogger), journal: new Journal('r', []),
      observer: { caseEvent: (_c, e) => events.push(e) }, planDir: tmp.dir, targets: new PlanTargets({}), nodeTimings: control, cluster: {},
    });
    return { ...out, events };
  };

  it('applies the case\'s values before the conditions and sets the plan\'s back after the case, recording both', async () => {
    const control = new FakeControl();
    const { result, events } = await run(control);
    expect(control.calls).to.deep.equal([{ heartbeatMs: 500, nodeMonitorGracePeriodMs: 2000, defaultTolerationSeconds: 2 }, PLAN]);
    expect(result.verdict).to.equal('passed');
    expect(result.clusterSettings).to.deep.equal({
      applied: { heartbeatMs: 500, nodeMonitorPeriodMs: 1000, nodeMonitorGracePeriodMs: 2000, defaultTolerationSeconds: 2 },
      set: ['heartbeat', 'nodeMonitorGracePeriod', 'defaultTolerationSeconds'],
      plan: PLAN,
    });
    const kinds = events.map((e) => `${e.kind} ${e.name ?? ''}`.trim());
    expect(kinds.indexOf('note cluster-settings')).to.be.below(kinds.indexOf('condition slow-check'));
    const notes = events.filter((e) => e.name === 'cluster-settings').map((e) => e.detail);
    expect(notes).to.deep.equal([
      'embedded cluster set for this case: heartbeat 500ms, nodeMonitorGracePeriod 2s, defaultTolerationSeconds 2; defaultTolerationSeconds applies to pods created from now on: pods created before the case keep the tolerations they were admitted with, as in Kubernetes',
      'embedded cluster set back to the plan\'s heartbeat 4s, nodeMonitorGracePeriod 20s, defaultTolerationSeconds 300',
    ]);
  });

  it('sets the plan\'s values back when the run is interrupted during the case', async () => {
    const control = new FakeControl();
    const abort = new AbortController();
    // the Ctrl-C comes once the case's values are in effect, while its condition is about to run
    control.onSet = () => {
      if (control.calls.length === 1) abort.abort('SIGINT');
    };
    const { result } = await run(control, abort.signal);
    expect(result.verdict).to.equal('not-run');
    expect(result.reason).to.equal('interrupted by SIGINT');
    expect(control.calls.at(-1)).to.deep.equal(PLAN);
    expect(control.calls).to.have.length(2);
  });

  it('does not run a case whose settings the cluster refuses, and changes nothing back', async () => {
    const control = new FakeControl(1);
    const { result, events } = await run(control);
    expect(result.verdict).to.equal('not-run');
    expect(result.reason).to.equal('could not apply clusterSettings (heartbeat 500ms, nodeMonitorGracePeriod 2s, defaultTolerationSeconds 2): invalid embedded cluster settings: the cluster said no');
    expect(result.conditions).to.deep.equal([]);
    expect(control.calls).to.have.length(1);
    expect(events.some((e) => e.kind === 'error' && e.name === 'cluster-settings')).to.equal(true);
  });

  it('records a failure to set the plan\'s values back in the result', async () => {
    const control = new FakeControl(2);
    const { result } = await run(control);
    expect(result.clusterSettings?.restoreError).to.equal('invalid embedded cluster settings: the cluster said no');
    expect(result.events.at(-1)).to.include({ kind: 'error', name: 'cluster-settings' });
  });
});
