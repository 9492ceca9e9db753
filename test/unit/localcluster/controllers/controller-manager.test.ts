import { expect } from 'chai';
import { ControllerManager } from '../../../../src/localcluster/controllers/controller-manager.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { addNode, deployment, FakeKubelets, ManualClock, newStore, podsOf, settle } from './harness.js';

describe('ControllerManager', () => {
  let clock: ManualClock;
  let store: Store;
  let manager: ControllerManager;
  let kubelets: FakeKubelets;

  beforeEach(() => {
    clock = new ManualClock();
    store = newStore(clock);
    addNode(store, 'node-1');
    addNode(store, 'node-2');
    kubelets = new FakeKubelets(store, { autoReady: true, autoTerminate: true });
    kubelets.start();
  });

  afterEach(() => {
    manager.stop();
    kubelets.stop();
  });

  it('runs a Deployment from creation to ready, scheduled pods behind its Service', async () => {
    manager = new ControllerManager(store, { timers: clock });
    manager.start();
    store.create('apps/deployments', 'demo', deployment('web', 2));
    store.create('services', 'demo', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { clusterIP: '10.96.0.10', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } });
    await settle();
    const pods = podsOf(store, { app: 'web' });
    expect(pods.map((p) => p.spec.nodeName).sort()).to.deep.equal(['node-1', 'node-2']);
    expect(store.peek('apps/deployments', 'demo', 'web')!.status).to.include({ availableReplicas: 2, updatedReplicas: 2 });
    const ips = ((store.peek('endpoints', 'demo', 'web')!.subsets as any[])[0].addresses as any[]).map((a) => a.ip);
    expect(ips).to.have.members(pods.map((p) => p.status.podIP));
  });

  it('runs the garbage collector: deleting a Deployment removes its ReplicaSets and pods', async () => {
    manager = new ControllerManager(store, { timers: clock });
    manager.start();
    store.create('apps/deployments', 'demo', deployment('web', 2));
    await settle();
    store.delete('apps/deployments', 'demo', 'web');
    await settle(20);
    expect(store.snapshot('apps/replicasets', 'demo')).to.deep.equal([]);
    expect(podsOf(store, { app: 'web' })).to.deep.equal([]);
  });

  it('leaves the garbage collector out when asked to', async () => {
    manager = new ControllerManager(store, { timers: clock, garbageCollector: false });
    manager.start();
    store.create('apps/deployments', 'demo', deployment('web', 1));
    await settle();
    store.delete('apps/deployments', 'demo', 'web');
    await settle(20);
    expect(store.snapshot('apps/replicasets', 'demo')).to.have.length(1);
  });

  it('stops reacting once stopped', async () => {
    manager = new ControllerManager(store, { timers: clock });
    manager.start();
    manager.stop();
    store.create('apps/deployments', 'demo', deployment('web', 1));
    await settle();
    expect(store.snapshot('apps/replicasets', 'demo')).to.deep.equal([]);
    expect(store.watcherCount).to.equal(1);
  });
});
