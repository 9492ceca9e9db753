import { expect } from 'chai';
import { crt } from '../../helpers/cli.js';
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

describe('crt run --dry-run with case clusterSettings', function () {
  this.timeout(20_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  it('refuses clusterSettings on a kubeconfig cluster with the located error and exit 2', async () => {
    const file = await writePlan(tmp.dir, plan('cluster: {kubeconfig: ./kubeconfig}', '{nodeMonitorGracePeriod: 20s}'));
    const r = await crt(['run', '--dry-run', file], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.include('plan.yaml:9:24 layers.physical[0].clusterSettings: clusterSettings applies to the embedded cluster (cluster.local) only');
    expect(r.stderr).to.include('--node-monitor-grace-period');
    expect(r.stdout).to.equal('');
  });

  it('prints the settings a case would run with on the embedded cluster', async () => {
    const file = await writePlan(tmp.dir, plan(LOCAL, '{heartbeat: 500ms, nodeMonitorGracePeriod: 2s}'));
    const r = await crt(['run', '--dry-run', file], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('  cluster:    embedded cluster for this case: heartbeat 500ms, nodeMonitorGracePeriod 2s (the plan\'s heartbeat 4s, nodeMonitorGracePeriod 20s set back after it)\n');
  });
});
