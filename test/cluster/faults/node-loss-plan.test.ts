import path from 'node:path';
import { expect } from 'chai';
import type { NodeLossTimes } from '../../../src/faults/node-loss-watch.js';
import { demoManifestPath, leftoverPodProcesses } from '../../../src/localcluster/index.js';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { controlPlanes, onControlPlane, requireControlPlane, timeoutOn } from '../../helpers/control-planes.js';

for (const cp of controlPlanes()) {
  describe(`a plan with node-drain and node-loss on the embedded cluster (cluster.local) (${onControlPlane(cp)})`, function () {
    this.timeout(timeoutOn(cp, 90_000));
    before(async function () {
      await requireControlPlane(this, cp);
    });
    let tmp: Awaited<ReturnType<typeof tempDir>>;

    beforeEach(async () => (tmp = await tempDir()));
    afterEach(async () => tmp.remove());

    it('drains one node and loses another under load through the gateway, and reverts both when the case ends', async () => {
      const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
kind: Plan
metadata: {name: node-faults}
cluster:
  local:
    controlPlane: ${cp}
    nodes: 3
    manifests: [${JSON.stringify(demoManifestPath)}]
    settings: {heartbeat: 500ms, nodeMonitorGracePeriod: 2s, nodeMonitorPeriod: 500ms, defaultTolerationSeconds: 2}
targets:
  gw: {service: demo/gateway}
layers:
  logical:
    - id: NODE-01
      title: reads through the gateway while nodes go away
      objective: the gateway keeps answering from the nodes left
      load: {target: gw, method: GET, path: /customers/1, rate: 40, duration: 9s}
      trigger:
        - {at: 1s, name: drain, fault: node-drain, node: node-3, ignoreDaemonSets: true, timeout: 20s}
        - {at: 2s, name: loss, fault: node-loss, node: node-2, provider: local, timeout: 6s}
      expect:
        whole: {requests: {min: 1}}
`);
      const { result, events } = await runPlanFile(file, tmp.dir);
      const c = result.cases[0]!;
      const injected = events.filter((e) => e.kind === 'inject');
      const reverted = events.filter((e) => e.kind === 'revert');
      expect(injected.map((e) => [e.name, e.ok]), JSON.stringify(injected)).to.deep.equal([['drain', true], ['loss', true]]);
      expect(injected[0]!.detail).to.match(/drained node-3: \d+ pods evicted/);
      for (const e of [...injected, ...reverted]) console.log(`      ${e.kind} ${String(e.name)}: ${String(e.detail)}`);
      const times = (injected[1]!.data?.times as NodeLossTimes[] | undefined)?.[0];
      expect(times?.notReadyMs, JSON.stringify(injected[1])).to.be.a('number');
      expect(times?.podsEvictedMs).to.be.a('number');
      expect(reverted.map((e) => [e.name, e.ok, e.detail])).to.have.deep.members([['loss', true, 'powered on node-2'], ['drain', true, 'uncordoned node-3']]);
      expect(c.verdict, JSON.stringify(c.expectations)).to.equal('passed');
      expect(result.revertFailures).to.deep.equal([]);
      expect(leftoverPodProcesses(path.join(tmp.dir, 'cluster'))).to.deep.equal([]);
    });
  });
}
