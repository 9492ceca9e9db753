import { expect } from 'chai';
import { PlanError, type Problem } from '../../../src/core/errors.js';
import { describeCase } from '../../../src/plan/describe.js';
import { loadPlan } from '../../../src/plan/index.js';
import { writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

/** A plan with one case that sets `clusterSettings` (YAML flow map) on the given cluster block. */
const plan = (cluster: string, settings: string) => `apiVersion: crt/v1
metadata: {name: settings}
${cluster}
layers:
  physical:
    - id: PHY-01
      title: node loss with fast detection
      objective: the node is seen lost within seconds
      clusterSettings: ${settings}
      conditions:
        - {probe: nodes-ready, count: 3}
`;
const LOCAL = 'cluster:\n  local:\n    nodes: 3\n    settings: {heartbeat: 4s, nodeMonitorGracePeriod: 20s, nodeMonitorPeriod: 1s}';

describe('case clusterSettings', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  const problemsOf = async (yaml: string): Promise<Problem[]> => {
    const file = await writePlan(tmp.dir, yaml);
    try {
      loadPlan(file, {});
    } catch (err) {
      if (err instanceof PlanError) return err.problems.filter((p) => p.severity === 'error');
      throw err;
    }
    throw new Error('the plan loaded');
  };

  it('keeps what the case sets, in the cluster\'s units, and the plan\'s timings over the Kubernetes defaults', async () => {
    const file = await writePlan(tmp.dir, plan(LOCAL, '{heartbeat: 500ms, nodeMonitorGracePeriod: 2s, defaultTolerationSeconds: 2}'));
    const c = loadPlan(file, {}).plan.cases[0]!;
    expect(c.clusterSettings?.values).to.deep.equal({ heartbeatMs: 500, nodeMonitorGracePeriodMs: 2000, defaultTolerationSeconds: 2 });
    expect(c.clusterSettings?.plan).to.deep.equal({ heartbeatMs: 4000, nodeMonitorPeriodMs: 1000, nodeMonitorGracePeriodMs: 20_000, defaultTolerationSeconds: 300 });
    expect(c.clusterSettings?.location).to.include({ line: 12, path: 'layers.physical[0].clusterSettings' });
  });

  it('takes defaultTolerationSeconds as a duration or a bare number of seconds', async () => {
    const a = loadPlan(await writePlan(tmp.dir, plan(LOCAL, '{defaultTolerationSeconds: 1m}'), 'a.yaml'), {}).plan.cases[0]!;
    const b = loadPlan(await writePlan(tmp.dir, plan(LOCAL, '{defaultTolerationSeconds: 60}'), 'b.yaml'), {}).plan.cases[0]!;
    expect(a.clusterSettings?.values).to.deep.equal({ defaultTolerationSeconds: 60 });
    expect(b.clusterSettings?.values).to.deep.equal({ defaultTolerationSeconds: 60 });
  });

  it('describes the settings of the case and the plan\'s values it goes back to, for the report and --dry-run', async () => {
    const file = await writePlan(tmp.dir, plan(LOCAL, '{heartbeat: 500ms, nodeMonitorGracePeriod: 2s}'));
    expect(describeCase(loadPlan(file, {}).plan.cases[0]!).clusterSettings).to.equal(
      'embedded cluster for this case: heartbeat 500ms, nodeMonitorGracePeriod 2s (the plan\'s heartbeat 4s, nodeMonitorGracePeriod 20s set back after it)');
  });

  it('refuses timings that would declare healthy nodes lost once merged with the plan\'s, at the case\'s clusterSettings', async () => {
    // the case's heartbeat alone is fine; against the plan's 20 s grace too — but not against its own 2 s grace
    const problems = await problemsOf(plan(LOCAL, '{heartbeat: 3s, nodeMonitorGracePeriod: 2s}'));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.deep.include({ line: 12, col: 24, path: 'layers.physical[0].clusterSettings' });
    expect(problems[0]!.file).to.match(/plan\.yaml$/);
    expect(problems[0]!.message).to.equal('the heartbeat period (3000 ms) must be shorter than the node monitor grace period (2000 ms), or healthy nodes go Unknown '
      + '(this case\'s heartbeat 3s, nodeMonitorGracePeriod 2s over the plan\'s heartbeat 4s, nodeMonitorPeriod 1s, nodeMonitorGracePeriod 20s, defaultTolerationSeconds 300)');
    expect(problems[0]!.hint).to.include('defaults: heartbeat 10s');
  });

  it('checks a case that only shortens the grace against the plan\'s heartbeat', async () => {
    const problems = await problemsOf(plan(LOCAL, '{nodeMonitorGracePeriod: 2s}'));
    expect(problems.map((p) => p.message)).to.have.length(1);
    expect(problems[0]!.message).to.match(/^the heartbeat period \(4000 ms\) must be shorter than the node monitor grace period \(2000 ms\)/);
  });

  it('refuses keys other than the four node timings, located at the key', async () => {
    const problems = await problemsOf(plan(LOCAL, '{heartbeat: 1s, restartBackoff: 1s}'));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.include({ line: 12, path: 'layers.physical[0].clusterSettings.restartBackoff' });
  });

  it('refuses fractional toleration seconds', async () => {
    const problems = await problemsOf(plan(LOCAL, '{defaultTolerationSeconds: 1500ms}'));
    expect(problems.map((p) => p.message)).to.deep.equal([
      'defaultTolerationSeconds must be whole seconds, not 1.5 (this case\'s defaultTolerationSeconds 1.5 over the plan\'s heartbeat 4s, nodeMonitorPeriod 1s, nodeMonitorGracePeriod 20s, defaultTolerationSeconds 300)',
    ]);
  });

  it('refuses clusterSettings on a cluster reached by kubeconfig, pointing at the control-plane flag', async () => {
    const problems = await problemsOf(plan('cluster: {kubeconfig: ./kubeconfig, context: staging}', '{nodeMonitorGracePeriod: 20s}'));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.deep.include({ line: 9, col: 24, path: 'layers.physical[0].clusterSettings' });
    expect(problems[0]!.message).to.equal('clusterSettings applies to the embedded cluster (cluster.local) only: this plan acts on a cluster reached by kubeconfig, whose control plane crt does not reconfigure');
    expect(problems[0]!.hint).to.include('--node-monitor-grace-period').and.to.include('control plane');
  });

  it('refuses clusterSettings in a plan without a cluster', async () => {
    const problems = await problemsOf(plan('', '{heartbeat: 1s}'));
    expect(problems.map((p) => p.message)).to.deep.equal(['clusterSettings changes the embedded cluster\'s node-failure detection: this plan has no cluster']);
  });

  it('reports a malformed plan-wide timing at cluster.local.settings when a case merges with it', async () => {
    const problems = await problemsOf(plan('cluster:\n  local:\n    settings: {heartbeat: fast}', '{nodeMonitorGracePeriod: 20s}'));
    expect(problems.map((p) => [p.path, p.message])).to.deep.equal([['cluster.local.settings.heartbeat', 'cluster.local.settings.heartbeat must be a duration such as 30s, not "fast"']]);
  });

  it('reports a malformed data-plane setting where it is written, and accepts good ones', async () => {
    const problems = await problemsOf(plan('cluster:\n  local:\n    settings: {cni: calico, endpointPropagationDelay: 2s, nodeCpu: 4, nodePods: 0}', '{heartbeat: 1s}'));
    expect(problems.map((p) => [p.path, p.message])).to.deep.equal([
      ['cluster.local.settings.cni', 'cluster.local.settings.cni must be keep, drop or reset: what a NetworkPolicy does to the established connections it starts denying, not "calico"'],
      ['cluster.local.settings.nodePods', 'cluster.local.settings.nodePods must be a whole number (110): how many pods each node takes, not 0'],
    ]);
  });
});
