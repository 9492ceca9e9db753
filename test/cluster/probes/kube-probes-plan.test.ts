import path from 'node:path';
import { expect } from 'chai';
import { demoManifestPath, leftoverPodProcesses } from '../../../src/localcluster/index.js';
import type { CaseResult } from '../../../src/results/types.js';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { controlPlanes, onControlPlane, requireControlPlane, timeoutOn } from '../../helpers/control-planes.js';

function probeDetails(c: CaseResult): Record<string, string> {
  return Object.fromEntries(c.conditions.map((p) => [p.name, `${p.ok ? 'ok' : 'FAILED'}: ${p.detail}`]));
}

/** The Kubernetes probes in a plan on the embedded cluster with the demo system, through the runner. */
for (const cp of controlPlanes()) {
  describe(`Kubernetes probes in a plan on the embedded cluster (demo system) (${onControlPlane(cp)})`, function () {
    this.timeout(timeoutOn(cp, 120_000));
    before(async function () {
      await requireControlPlane(this, cp);
    });
    let tmp: Awaited<ReturnType<typeof tempDir>>;

    before(async () => (tmp = await tempDir()));
    after(async () => tmp.remove());

    it('checks them as conditions and as expect.probes, and marks a case not-run with the failed condition\'s detail', async () => {
      const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
kind: Plan
metadata: {name: kube-probes}
cluster:
  local: {controlPlane: ${cp}, nodes: 2, manifests: [${JSON.stringify(demoManifestPath)}]}
targets:
  gw: {service: demo/gateway}
layers:
  logical:
    - id: LOG-01
      title: a healthy demo under light load
      objective: the cluster probes hold before and after
      conditions:
        - {probe: nodes-ready, name: two-nodes, count: 2}
        - {probe: deployment-available, namespace: demo}
        - {probe: pods-spread, name: gateway-spread, namespace: demo, selector: app=gateway, minNodes: 2}
        - {probe: hpa, namespace: demo, workload: gateway, enabled: false}
      load: {target: gw, method: GET, path: /customers/1, rate: 20, duration: 2s}
      expect:
        whole: {errorRate: 0%}
        probes:
          - {probe: deployment-available, namespace: demo, deployment: gateway}
          - {probe: nodes-ready, name: all-nodes-after, all: true}
  auxiliary:
    - id: AUX-01
      title: needs a disruption budget
      objective: never runs on the demo, which has no PDB
      conditions:
        - {probe: pdb-exists, namespace: demo, deployment: gateway}
      expect:
        probes: [{probe: command, name: never, command: "true"}]
    - id: AUX-02
      title: expects more nodes than there are
      objective: fails on its expectation
      expect:
        probes: [{probe: nodes-ready, name: three-nodes, count: 3}]
`);
      const { result } = await runPlanFile(file, tmp.dir);
      const [healthy, needsPdb, tooFew] = result.cases as [CaseResult, CaseResult, CaseResult];
      expect(healthy.verdict, JSON.stringify(healthy, null, 1)).to.equal('passed');
      const seen = probeDetails(healthy);
      expect(seen['two-nodes']).to.equal('ok: 2/2 nodes Ready');
      expect(seen['deployment-available-2']).to.equal('ok: customer-service: 3/3 ready, updated 3, generation 1/1; gateway: 3/3 ready, updated 3, generation 1/1; store: 1/1 ready, updated 1, generation 1/1');
      expect(seen['gateway-spread']).to.match(/^ok: demo app=gateway: 3 ready pods on 2 nodes \(node-1: [12], node-2: [12]\)$/);
      expect(seen['hpa-4']).to.equal('ok: no HPA for demo/gateway');
      expect(healthy.expectations.filter((e) => e.phase === null).map((e) => [e.metric, e.verdict])).to.deep.include.members([['probe deployment-available-1', 'passed'], ['probe all-nodes-after', 'passed']]);

      expect(needsPdb.verdict).to.equal('not-run');
      expect(needsPdb.reason).to.equal('condition pdb-exists-1 failed: gateway: no PodDisruptionBudget selects its pods');

      expect(tooFew.verdict).to.equal('failed');
      expect(JSON.stringify(tooFew.expectations)).to.contain('2/2 nodes Ready; expected at least 3');
      expect(leftoverPodProcesses(path.join(tmp.dir, 'cluster'))).to.deep.equal([]);
    });
  });
}
