import { expect } from 'chai';
import { ReplicaSetController } from '../../../../src/localcluster/controllers/replicaset-controller.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { events, FakeKubelets, ManualClock, newStore, podSpec, podsOf, replicaSet, settle } from './harness.js';

describe('ReplicaSetController', () => {
  let clock: ManualClock;
  let store: Store;
  let controller: ReplicaSetController;
  let kubelets: FakeKubelets;

  beforeEach(() => {
    clock = new ManualClock();
    store = newStore(clock);
    controller = new ReplicaSetController(store, { timers: clock });
    kubelets = new FakeKubelets(store);
    controller.start();
  });

  afterEach(() => {
    controller.stop();
    kubelets.stop();
  });

  const rs = (): any => store.peek('apps/replicasets', 'demo', 'web');

  it('creates spec.replicas pods from the template, controlled by the ReplicaSet', async () => {
    store.create('apps/replicasets', 'demo', replicaSet('web', 3, { app: 'web' }));
    await settle();
    const pods = podsOf(store, { app: 'web' });
    expect(pods).to.have.length(3);
    for (const pod of pods) {
      expect(pod.metadata.name).to.match(/^web-[a-z0-9]{5}$/);
      expect(pod.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs().metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(pod.spec.containers[0].image).to.equal('demo/app:1');
    }
    expect(events(store, 'SuccessfulCreate').map((e) => e.message)).to.have.members(pods.map((p) => `Created pod: ${p.metadata.name}`));
    expect(events(store, 'SuccessfulCreate')[0]!.source).to.deep.equal({ component: 'replicaset-controller' });
  });

  it('replaces a deleted pod', async () => {
    store.create('apps/replicasets', 'demo', replicaSet('web', 2, { app: 'web' }));
    await settle();
    const [victim] = podsOf(store, { app: 'web' });
    store.delete('pods', 'demo', victim!.metadata.name!);
    await settle();
    const names = podsOf(store, { app: 'web' }).map((p) => p.metadata.name);
    expect(names).to.have.length(2).and.not.include(victim!.metadata.name);
  });

  it('scales down the not-ready pods first', async () => {
    store.create('apps/replicasets', 'demo', replicaSet('web', 3, { app: 'web' }));
    await settle();
    const [a, b, c] = podsOf(store, { app: 'web' }).map((p) => p.metadata.name!);
    kubelets.setStatus(a!, 'Running', true);
    kubelets.setStatus(b!, 'Running', false);
    kubelets.setStatus(c!, 'Running', true);
    store.mutate('apps/replicasets', 'demo', 'web', (d) => { d.spec.replicas = 2; });
    await settle();
    expect(podsOf(store, { app: 'web' }).map((p) => p.metadata.name)).to.have.members([a, c]);
    expect(events(store, 'SuccessfulDelete').map((e) => e.message)).to.deep.equal([`Deleted pod: ${b}`]);
  });

  it('scales down unscheduled pods before scheduled ones', async () => {
    store.create('apps/replicasets', 'demo', replicaSet('web', 2, { app: 'web' }));
    await settle();
    const [bound, unbound] = podsOf(store, { app: 'web' }).map((p) => p.metadata.name!);
    store.mutate('pods', 'demo', bound!, (d) => { d.spec.nodeName = 'node-1'; });
    store.mutate('apps/replicasets', 'demo', 'web', (d) => { d.spec.replicas = 1; });
    await settle();
    expect(podsOf(store, { app: 'web' }).map((p) => p.metadata.name)).to.deep.equal([bound]);
    expect(unbound).to.not.equal(bound);
  });

  it('does not count terminating pods and replaces them at once', async () => {
    store.create('apps/replicasets', 'demo', replicaSet('web', 2, { app: 'web' }));
    await settle();
    const [victim] = podsOf(store, { app: 'web' });
    store.mutate('pods', 'demo', victim!.metadata.name!, (d) => { d.spec.nodeName = 'node-1'; });
    store.delete('pods', 'demo', victim!.metadata.name!);
    await settle();
    const pods = podsOf(store, { app: 'web' });
    expect(pods).to.have.length(3);
    expect(pods.filter((p) => !p.metadata.deletionTimestamp)).to.have.length(2);
    expect(rs().status.replicas).to.equal(2);
  });

  it('adopts a matching orphan instead of creating a pod', async () => {
    store.create('pods', 'demo', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', labels: { app: 'web' } }, spec: podSpec() });
    store.create('apps/replicasets', 'demo', replicaSet('web', 2, { app: 'web' }));
    await settle();
    expect(podsOf(store, { app: 'web' })).to.have.length(2);
    expect(store.peek('pods', 'demo', 'stray')!.metadata.ownerReferences?.[0]?.uid).to.equal(rs().metadata.uid);
  });

  it('releases a pod whose labels stop matching and creates a replacement', async () => {
    store.create('apps/replicasets', 'demo', replicaSet('web', 2, { app: 'web' }));
    await settle();
    const [leaving] = podsOf(store, { app: 'web' });
    store.mutate('pods', 'demo', leaving!.metadata.name!, (d) => { d.metadata.labels = { app: 'debug' }; });
    await settle();
    expect(store.peek('pods', 'demo', leaving!.metadata.name!)!.metadata.ownerReferences).to.equal(undefined);
    expect(podsOf(store, { app: 'web' })).to.have.length(2);
  });

  it('ignores pods controlled by another owner', async () => {
    store.create('pods', 'demo', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'owned', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: 'u-1', controller: true }] }, spec: podSpec(),
    });
    store.create('apps/replicasets', 'demo', replicaSet('web', 1, { app: 'web' }));
    await settle();
    expect(podsOf(store, { app: 'web' })).to.have.length(2);
    expect(store.peek('pods', 'demo', 'owned')!.metadata.ownerReferences![0]!.uid).to.equal('u-1');
  });

  it('reports replicas, ready, available and observedGeneration', async () => {
    store.create('apps/replicasets', 'demo', replicaSet('web', 2, { app: 'web' }));
    await settle();
    const [a, b] = podsOf(store, { app: 'web' }).map((p) => p.metadata.name!);
    kubelets.setStatus(a!, 'Running', true);
    kubelets.setStatus(b!, 'Running', false);
    await settle();
    expect(rs().status).to.deep.equal({ replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 });
  });

  it('counts a ready pod as available only after minReadySeconds', async () => {
    store.create('apps/replicasets', 'demo', replicaSet('web', 1, { app: 'web' }, { minReadySeconds: 10 }));
    await settle();
    kubelets.setStatus(podsOf(store, { app: 'web' })[0]!.metadata.name!, 'Running', true);
    await settle();
    expect(rs().status).to.include({ readyReplicas: 1, availableReplicas: 0 });
    await clock.advance(10_500);
    await settle();
    expect(rs().status).to.include({ readyReplicas: 1, availableReplicas: 1 });
  });
});
