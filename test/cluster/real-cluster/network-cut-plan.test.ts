import { expect } from 'chai';
import { demoManifestPath } from '../../../src/localcluster/index.js';
import type { CaseResult } from '../../../src/results/types.js';
import { requireRealControlPlane } from '../controlplane/real-binaries.js';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

const phase = (c: CaseResult, name: string) => c.phases.find((p) => p.name === name)?.stats;

describe('network-cut in a plan on the real control plane (nftables in the node namespaces), under load through the gateway', function () {
  this.timeout(480_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  before(async function () {
    await requireRealControlPlane(this);
  });
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp?.remove());

  it('cuts gateway → customer-service and isolates customer-service: both cuts verified effective (passed, not inconclusive), traffic back after the reverts', async () => {
    const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
kind: Plan
metadata: {name: network-cut-real}
cluster:
  local: {nodes: 2, controlPlane: kubernetes, manifests: [${JSON.stringify(demoManifestPath)}], settings: {cni: reset}}
targets:
  gw: {service: demo/gateway}
layers:
  logical:
    - id: LOG-CUT
      title: link gateway → customer-service cut
      objective: the gateway's calls to customer-service fail while the link is down, and recover
      load: {target: gw, method: GET, path: /customers/3, rate: 20, connections: 80, duration: 14s, timeout: 3s}
      trigger:
        - {at: 2s, fault: network-cut, name: cut, namespace: demo, from: app=gateway, to: app=customer-service, revertAfter: 3s}
      recovery: {stableFor: 3s}
      expect:
        baseline: {errorRate: 0%}
    - id: LOG-ISOLATE
      title: customer-service isolated
      objective: every request through the gateway fails while customer-service is isolated
      load: {target: gw, method: GET, path: /customers/4, rate: 20, connections: 80, duration: 8s, timeout: 3s}
      trigger:
        - {at: 1s, fault: network-cut, namespace: demo, selector: app=customer-service, direction: ingress, forceReconnect: true, revertAfter: 2s}
`);
    const { result } = await runPlanFile(file, tmp.dir);
    expect(result.environment.cluster, 'the run says which control plane').to.match(/real control plane/);
    const [cut, isolate] = result.cases as [CaseResult, CaseResult];
    const counts = (c: CaseResult) => c.phases.map((p) => `${p.name} ${p.startMs}-${p.endMs}: ${p.stats?.failed}/${p.stats?.requests}`).join(', ');

    expect(cut.events.find((e) => e.kind === 'inject')?.ok).to.equal(true);
    expect(cut.verdict, `${cut.reason} ${counts(cut)}`).to.equal('passed');
    expect(phase(cut, 'baseline')!.failed).to.equal(0);
    expect(phase(cut, 'whole')!.failed, counts(cut)).to.be.greaterThan(10);
    expect(phase(cut, 'after')?.failed ?? 0, 'no failure once recovered').to.equal(0);

    expect(isolate.verdict, `${isolate.reason} ${counts(isolate)}`).to.equal('passed');
    expect(phase(isolate, 'whole')!.failed, counts(isolate)).to.be.greaterThan(5);
  });
});
