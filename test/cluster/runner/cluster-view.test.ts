import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { kubeClients } from '../../../src/kube/index.js';
import type { CaseResult, ClusterEventRecord, ClusterSampleRecord } from '../../../src/results/types.js';
import { crt } from '../../helpers/cli.js';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { controlPlanes, onControlPlane, requireControlPlane, timeoutOn } from '../../helpers/control-planes.js';

/**
 * How late the cluster view may see a change after the controller that made it recorded its event: the
 * watch's delivery on 2 busy cores.
 */
const WATCH_LAG_MS = 1000;
/** The controller writes the node's status and records its event in one pass: either may come first, by this much. */
const EVENT_ORDER_MS = 250;

for (const cp of controlPlanes()) {
  describe(`the cluster view of a case: samples from watches, cluster recovery time, agreeing with the cluster's own events (${onControlPlane(cp)})`, function () {
    this.timeout(timeoutOn(cp, 180_000));
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    let dir: string;

    before(async function () {
      await requireControlPlane(this, cp);
      tmp = await tempDir();
      dir = path.join(tmp.dir, '.crt');
      const up = await crt(['cluster', 'up', '--detach', '--demo', '--control-plane', cp, '--dir', dir, '--heartbeat', '500ms', '--node-monitor-grace-period', '2s', '--node-monitor-period', '250ms', '--default-toleration-seconds', '2'], { cwd: tmp.dir, timeoutMs: 90_000 });
      expect(up.code, up.stderr).to.equal(0);
    });

    after(async () => {
      if (!tmp) return;
      await crt(['cluster', 'down', '--dir', dir], { cwd: tmp.dir });
      await tmp.remove();
    });

    it('records node and workload samples during a node loss, and its NotReady / Ready instants agree with the NodeNotReady / NodeReady events within the watch delivery', async () => {
      const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
kind: Plan
metadata: {name: cluster-view}
cluster: {kubeconfig: .crt/kubeconfig}
targets:
  gw: {service: demo/gateway}
layers:
  physical:
    - id: PHY-01
      title: loss of node-2
      objective: the platform survives the loss of a worker node
      load: {target: gw, method: GET, path: /customers/5, rate: 20, duration: 25s}
      trigger:
        - {at: 1s, fault: node-loss, name: power, provider: local, node: node-2, timeout: 10s, revertAfter: 8s}
      recovery: {stableFor: 2s}
      expect:
        clusterRecoveryTime: 60s
`);
      const { result } = await runPlanFile(file, tmp.dir);
      const [c] = result.cases as [CaseResult];
      const records = (await readFile(path.join(tmp.dir, 'cluster.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ClusterSampleRecord);
      const nodes = records.filter((r) => r.kind === 'nodes');
      expect(nodes[0]).to.include({ run: 'test-run', case: 'PHY-01', layer: 'physical', phase: 'baseline', desired: 3, ready: 3 });
      expect(records.some((r) => r.subject === 'deployment/demo/gateway')).to.equal(true);
      const down = nodes.find((r) => r.ready === 2)!;
      const backUp = nodes.find((r) => r.t > down.t && r.ready === 3)!;
      expect(down.phase).to.equal('fault');

      const kube = kubeClients({ kubeconfig: path.join(dir, 'kubeconfig') });
      const events = (await kube.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=node-2' })).items;
      // a repeated event is one object: its latest occurrence is series.lastObservedTime (sub-second); the
      // real controllers' core/v1 events carry lastTimestamp only, in whole seconds (RFC 3339 without fraction)
      const wholeSeconds = (e: typeof events[number]) => !e.series?.lastObservedTime && !e.eventTime;
      const timeOf = (e: typeof events[number]) => Date.parse(String(e.series?.lastObservedTime ?? e.eventTime ?? e.lastTimestamp ?? e.firstTimestamp));
      const at = (reason: string, after: number) => events.map((e) => ({ reason: e.reason, t: timeOf(e), precision: wholeSeconds(e) ? 1000 : 1 }))
        .filter((e) => e.reason === reason && e.t > after - 1000).sort((a, b) => a.t - b.t)[0];
      const notReady = at('NodeNotReady', down.t - 5000);
      const ready = at('NodeReady', down.t);
      const described = JSON.stringify(events.map((e) => `${e.reason} ${timeOf(e)}`));
      expect(notReady, `a NodeNotReady event of node-2 near ${down.t}: ${described}`).to.not.equal(undefined);
      expect(ready, `a NodeReady event of node-2 after ${down.t}: ${described}`).to.not.equal(undefined);
      // an event time in whole seconds is up to 999 ms before the instant it stands for
      expect(down.t - notReady!.t, 'NotReady seen by the watch minus the NodeNotReady event').to.be.within(-EVENT_ORDER_MS, notReady!.precision - 1 + WATCH_LAG_MS);
      expect(backUp.t - ready!.t, 'Ready seen by the watch minus the NodeReady event').to.be.within(-EVENT_ORDER_MS, ready!.precision - 1 + WATCH_LAG_MS);

      // a node fault watches the events of every namespace: the node's own ones (in default) are in cluster.jsonl
      const recorded = (records as Array<ClusterSampleRecord | ClusterEventRecord>).filter((r): r is ClusterEventRecord => r.kind === 'event');
      const lost = recorded.find((e) => e.reason === 'NodeNotReady' && e.objectKind === 'Node' && e.object === 'node-2' && e.t > down.t - 5000);
      expect(lost, JSON.stringify(recorded.map((e) => `${e.reason} ${e.object}`))).to.deep.include({ case: 'PHY-01', phase: 'fault' });
      expect(Math.abs(lost!.t - notReady!.t), 'the recorded NodeNotReady has the event\'s own time').to.be.below(1);

      const cluster = c.recovery?.cluster;
      expect(cluster?.affected).to.include('nodes');
      expect(cluster?.recoveryTimeMs, JSON.stringify(cluster)).to.be.a('number');
      // everything affected is whole again no earlier than the node's return
      expect(c.originMs + cluster!.recoveredAtMs!).to.be.at.least(backUp.t - 1);
      const expectation = c.expectations.find((e) => e.metric === 'clusterRecoveryTime');
      expect(expectation).to.include({ verdict: 'passed', measured: cluster!.recoveryTimeMs });
    });
  });
}
