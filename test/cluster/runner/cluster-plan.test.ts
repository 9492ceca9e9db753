import path from 'node:path';
import { expect } from 'chai';
import { demoManifestPath, leftoverPodProcesses } from '../../../src/localcluster/index.js';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

describe('running a plan on the embedded cluster (cluster.local)', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  it('starts the cluster, applies the manifests, resolves Service targets, and stops every pod at the end', async () => {
    const notices: string[] = [];
    const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
kind: Plan
metadata: {name: on-cluster}
cluster:
  local: {nodes: 2, manifests: [${JSON.stringify(demoManifestPath)}]}
targets:
  gw: {service: demo/gateway}
  byName: {url: "http://gateway.demo.svc/"}
layers:
  logical:
    - id: LOG-01
      title: reads through the gateway Service
      objective: every read is answered
      load: {target: gw, method: GET, path: /customers/9, rate: 50, duration: 3s}
      expect:
        whole: {errorRate: 0%}
        probes:
          - {probe: http, name: by-dns-name, target: byName, path: /customers/1, status: 200, bodyMatches: '"id":1'}
`);
    const { result } = await runPlanFile(file, tmp.dir, { notices });
    expect(result.cases[0]!.verdict, JSON.stringify(result.cases[0]!.expectations)).to.equal('passed');
    expect(result.environment.cluster).to.equal('embedded cluster (2 nodes, builtin control plane)');
    expect(result.environment.targets.gw).to.equal('service demo/gateway');
    expect(notices.join('\n')).to.match(/starting the embedded cluster \(2 nodes, builtin control plane\)[\s\S]*embedded cluster ready/);
    expect(notices).to.include('stopping the embedded cluster…');
    expect(result.environment.clusterLease, 'a run without faults takes no lease').to.equal(undefined);
    expect(leftoverPodProcesses(path.join(tmp.dir, 'cluster'))).to.deep.equal([]);
  });

  it('stops the cluster and says which deployment is not available when manifests never become ready', async () => {
    await writePlan(tmp.dir, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.25"}]}
`, 'broken.yaml');
    const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
kind: Plan
metadata: {name: broken-cluster}
cluster:
  local: {nodes: 1, manifests: [broken.yaml], settings: {availableTimeout: 3s}}
layers:
  auxiliary:
    - id: AUX-01
      title: nothing
      objective: never runs
      expect:
        probes: [{probe: command, name: ok, command: "true"}]
`);
    const err = await runPlanFile(file, tmp.dir).then(() => undefined, (e: Error & { hint?: string; exitCode?: number }) => e);
    expect(err?.exitCode).to.equal(3);
    expect(err?.message).to.contain('default/web (0/1 available)');
    expect(err?.hint).to.match(/ErrImagePull|ImagePullBackOff/);
    expect(leftoverPodProcesses(path.join(tmp.dir, 'cluster'))).to.deep.equal([]);
  });
});
