import { expect } from 'chai';
import { NodeLifecycleController } from '../../../../src/localcluster/controllers/node-lifecycle-controller.js';
import { rfc3339 } from '../../../../src/localcluster/store/object-names.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { addNode, events, FakeKubelets, ManualClock, newStore, podSpec, settle } from './harness.js';

const GRACE_MS = 40_000;
const PERIOD_MS = 5_000;

describe('NodeLifecycleController', () => {
  let clock: ManualClock;
  let store: Store;
  let controller: NodeLifecycleController;
  let kubelets: FakeKubelets;

  const heartbeat = (name: string): void => {
    store.mutate('nodes', undefined, name, (draft) => {
      for (const c of draft.status.conditions) c.lastHeartbeatTime = rfc3339(clock.wall);
    }, { subresource: 'status' });
  };
  const ready = (name: string): any => store.peek('nodes', undefined, name)!.status.conditions.find((c: any) => c.type === 'Ready');
  const taints = (name: string): string[] => (store.peek('nodes', undefined, name)!.spec.taints ?? []).map((t: any) => `${t.key}:${t.effect}`).sort();

  beforeEach(async () => {
    clock = new ManualClock();
    store = newStore(clock);
    addNode(store, 'node-1');
    addNode(store, 'node-2');
    heartbeat('node-1');
    heartbeat('node-2');
    kubelets = new FakeKubelets(store);
    kubelets.start();
    store.create('pods', 'demo', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: podSpec({ nodeName: 'node-2' }) });
    await settle();
    kubelets.setStatus('web', 'Running', true);
    controller = new NodeLifecycleController(store, { timers: clock, nodeMonitorPeriodMs: PERIOD_MS, nodeMonitorGracePeriodMs: GRACE_MS });
    controller.start();
  });

  afterEach(() => {
    controller.stop();
    kubelets.stop();
  });

  it('leaves a node Ready while its heartbeat is no older than the grace period', async () => {
    for (let t = 0; t < 19; t++) {
      await clock.advance(PERIOD_MS);
      heartbeat('node-1');
    }
    await settle();
    expect(ready('node-1').status).to.equal('True');
    expect(ready('node-2').status).to.equal('Unknown');
  });

  it('sets every condition Unknown on the first check after the grace period, not at it', async () => {
    await clock.advance(GRACE_MS);
    expect(ready('node-2').status, 'at exactly the grace period').to.equal('True');
    await clock.advance(PERIOD_MS);
    await settle();
    const conditions: any[] = store.peek('nodes', undefined, 'node-2')!.status.conditions;
    expect(conditions.map((c) => `${c.type}=${c.status}`)).to.deep.equal(['Ready=Unknown', 'MemoryPressure=Unknown', 'DiskPressure=Unknown', 'PIDPressure=Unknown']);
    expect(conditions[0]).to.include({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: rfc3339(clock.wall) });
    expect(events(store, 'NodeNotReady').map((e) => e.message)).to.include('Node node-2 status is now: NodeNotReady');
  });

  it('taints an Unknown node unreachable (NoSchedule, and NoExecute with timeAdded)', async () => {
    await clock.advance(GRACE_MS + PERIOD_MS);
    await settle();
    expect(taints('node-2')).to.deep.equal(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    const noExecute = store.peek('nodes', undefined, 'node-2')!.spec.taints.find((t: any) => t.effect === 'NoExecute');
    expect(noExecute.timeAdded).to.equal(rfc3339(clock.wall));
    expect(taints('node-1')).to.deep.equal(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  });

  it('marks the pods of a lost node not Ready, with a NodeNotReady event for each', async () => {
    await clock.advance(GRACE_MS + PERIOD_MS);
    await settle();
    const pod = store.peek('pods', 'demo', 'web')!;
    expect(pod.status.conditions.find((c: any) => c.type === 'Ready').status).to.equal('False');
    expect(events(store, 'NodeNotReady').some((e) => (e.involvedObject as { name: string }).name === 'web' && e.message === 'Node is not ready')).to.equal(true);
  });

  it('taints a node reporting Ready=False not-ready (NoSchedule at once, NoExecute at the next monitor pass), and removes them in that order once it reports Ready again', async () => {
    store.mutate('nodes', undefined, 'node-1', (draft) => {
      draft.status.conditions[0].status = 'False';
    }, { subresource: 'status' });
    await settle();
    expect(taints('node-1')).to.deep.equal(['node.kubernetes.io/not-ready:NoSchedule']);
    heartbeat('node-1');
    await clock.advance(PERIOD_MS);
    await settle();
    expect(taints('node-1')).to.deep.equal(['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
    store.mutate('nodes', undefined, 'node-1', (draft) => {
      draft.status.conditions[0].status = 'True';
    }, { subresource: 'status' });
    await settle();
    expect(taints('node-1')).to.deep.equal(['node.kubernetes.io/not-ready:NoExecute']);
    heartbeat('node-1');
    await clock.advance(PERIOD_MS);
    await settle();
    expect(store.peek('nodes', undefined, 'node-1')!.spec.taints).to.equal(undefined);
  });

  it('keeps taints that are not its own', async () => {
    store.mutate('nodes', undefined, 'node-2', (draft) => {
      draft.spec.taints = [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }];
    });
    await clock.advance(GRACE_MS + PERIOD_MS);
    await settle();
    expect(taints('node-2')).to.deep.equal(['dedicated:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  });

  it('judges heartbeats by a new grace at once when its timings change', async () => {
    await clock.advance(2 * PERIOD_MS);
    heartbeat('node-1');
    expect(ready('node-2').status, 'heartbeat 10 s old, grace 40 s').to.equal('True');
    controller.setTimings({ nodeMonitorPeriodMs: 1000, nodeMonitorGracePeriodMs: 5000 });
    await settle();
    expect(ready('node-2').status, 'heartbeat 10 s old, grace 5 s: the pass at the change').to.equal('Unknown');
    expect(ready('node-1').status).to.equal('True');
    expect(controller.timings).to.deep.equal({ nodeMonitorPeriodMs: 1000, nodeMonitorGracePeriodMs: 5000 });
  });

  it('restarts its loop at the new period', async () => {
    controller.setTimings({ nodeMonitorPeriodMs: 1000, nodeMonitorGracePeriodMs: 5000 });
    for (let t = 0; t < 6; t++) {
      await clock.advance(1000);
      heartbeat('node-1');
    }
    await settle();
    // at the old 5 s period the next pass would come at 10 s: node-2 would still be Ready at 6 s
    expect(ready('node-2').status).to.equal('Unknown');
    expect(ready('node-1').status).to.equal('True');
  });
});
