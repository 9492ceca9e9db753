import { expect } from 'chai';
import { ApiError, type KObject } from '../../../../src/localcluster/api/types.js';
import { GarbageCollector } from '../../../../src/localcluster/store/garbage-collector.js';
import { Store } from '../../../../src/localcluster/store/store.js';
import type { WatchEvent } from '../../../../src/localcluster/store/watch-hub.js';

function cm(name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

function newStore(): Store {
  const store = new Store();
  store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  return store;
}

const tick = () => new Promise((r) => setImmediate(r));

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('embedded cluster store', () => {
  it('gives every write a new, increasing resourceVersion', () => {
    const store = newStore();
    const a = store.create('configmaps', 'default', cm('a'));
    const b = store.update('configmaps', 'default', 'a', { ...a, data: { k: 'v' } });
    expect(Number(b.metadata.resourceVersion)).to.be.greaterThan(Number(a.metadata.resourceVersion));
    expect(b.metadata.uid).to.equal(a.metadata.uid);
  });

  it('starts a pod Pending with the QoS class of its requests and limits, as the real API server does', () => {
    const store = newStore();
    const pod = (name: string, resources: Record<string, unknown>): KObject => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x', resources }] },
    });
    expect(store.create('pods', 'default', pod('none', {})).status).to.deep.equal({ phase: 'Pending', qosClass: 'BestEffort' });
    expect(store.create('pods', 'default', pod('some', { requests: { cpu: '100m' } })).status?.qosClass).to.equal('Burstable');
    // requests default to the limits before the class is taken
    expect(store.create('pods', 'default', pod('all', { limits: { cpu: '1', memory: '1Gi' } })).status?.qosClass).to.equal('Guaranteed');
  });

  it('refuses an update carrying a stale resourceVersion with 409 Conflict', () => {
    const store = newStore();
    const a = store.create('configmaps', 'default', cm('a'));
    store.update('configmaps', 'default', 'a', { ...a, data: { k: '1' } });
    const err = apiError(() => store.update('configmaps', 'default', 'a', { ...a, data: { k: '2' } }));
    expect(err.code).to.equal(409);
    expect(err.reason).to.equal('Conflict');
    expect(err.message).to.contain('the object has been modified');
  });

  it('refuses a second object of the same name with 409 AlreadyExists', () => {
    const store = newStore();
    store.create('configmaps', 'default', cm('a'));
    const err = apiError(() => store.create('configmaps', 'default', cm('a')));
    expect([err.code, err.reason]).to.deep.equal([409, 'AlreadyExists']);
  });

  it('answers 404 for an object in a namespace that does not exist', () => {
    const err = apiError(() => newStore().create('configmaps', 'nowhere', cm('a')));
    expect(err.code).to.equal(404);
    expect(err.message).to.equal('namespaces "nowhere" not found');
  });

  it('completes generateName with a random suffix', () => {
    const obj = newStore().create('configmaps', 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'web-' } });
    expect(obj.metadata.name).to.match(/^web-[a-z0-9]{5}$/);
  });

  it('lists by label selector, in name order, with limit and continue', () => {
    const store = newStore();
    for (const n of ['c', 'a', 'b', 'd']) store.create('configmaps', 'default', cm(n, { app: n === 'd' ? 'other' : 'web' }));
    const first = store.list('configmaps', 'default', { labelSelector: 'app=web', limit: 2 });
    expect(first.items.map((o) => o.metadata.name)).to.deep.equal(['a', 'b']);
    const rest = store.list('configmaps', 'default', { labelSelector: 'app=web', continue: first.continue! });
    expect(rest.items.map((o) => o.metadata.name)).to.deep.equal(['c']);
  });

  it('replays every change after a resourceVersion to a watch, in order', async () => {
    const store = newStore();
    const a = store.create('configmaps', 'default', cm('a'));
    store.create('configmaps', 'default', cm('b'));
    store.delete('configmaps', 'default', 'a');
    const seen: string[] = [];
    const stop = store.watch('configmaps', 'default', { resourceVersion: a.metadata.resourceVersion! }, (e: WatchEvent) => seen.push(`${e.type} ${e.object.metadata.name}`));
    store.create('configmaps', 'default', cm('c'));
    await tick();
    stop();
    expect(seen).to.deep.equal(['ADDED b', 'DELETED a', 'ADDED c']);
  });

  it('turns a label change out of a watched selector into DELETED for that watch', async () => {
    const store = newStore();
    const a = store.create('configmaps', 'default', cm('a', { app: 'web' }));
    const seen: string[] = [];
    const stop = store.watch('configmaps', 'default', { labelSelector: 'app=web', resourceVersion: a.metadata.resourceVersion! }, (e) => seen.push(e.type));
    store.update('configmaps', 'default', 'a', { ...a, metadata: { ...a.metadata, labels: { app: 'db' } } });
    await tick();
    stop();
    expect(seen).to.deep.equal(['DELETED']);
  });

  it('keeps a pod bound to a node until its kubelet deletes it with grace 0', () => {
    const store = newStore();
    store.create('pods', 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'crt.io/demo:1.0' }] } });
    const marked = store.delete('pods', 'default', 'p', { gracePeriodSeconds: 10 });
    expect(marked.metadata.deletionTimestamp).to.be.a('string');
    expect(store.peek('pods', 'default', 'p')).to.not.equal(undefined);
    store.delete('pods', 'default', 'p', { gracePeriodSeconds: 0 });
    expect(store.peek('pods', 'default', 'p')).to.equal(undefined);
  });

  it('deletes dependents whose owner is gone (background propagation)', async () => {
    const store = newStore();
    const gc = new GarbageCollector(store);
    const owner = store.create('configmaps', 'default', cm('owner'));
    store.create('configmaps', 'default', { ...cm('child'), metadata: { name: 'child', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid! }] } });
    store.delete('configmaps', 'default', 'owner');
    await tick();
    await tick();
    gc.stop();
    expect(store.peek('configmaps', 'default', 'child')).to.equal(undefined);
  });

  it('keeps dependents when the owner is deleted with propagationPolicy Orphan', async () => {
    const store = newStore();
    const gc = new GarbageCollector(store);
    const owner = store.create('configmaps', 'default', cm('owner'));
    store.create('configmaps', 'default', { ...cm('child'), metadata: { name: 'child', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid! }] } });
    store.delete('configmaps', 'default', 'owner', { propagationPolicy: 'Orphan' });
    await tick();
    gc.stop();
    const child = store.peek('configmaps', 'default', 'child');
    expect(child?.metadata.ownerReferences).to.equal(undefined);
  });

  it('does not bump the resourceVersion of a write that changes nothing', () => {
    const store = newStore();
    const a = store.create('configmaps', 'default', cm('a', {}, { k: 'v' }));
    const b = store.update('configmaps', 'default', 'a', a);
    expect(b.metadata.resourceVersion).to.equal(a.metadata.resourceVersion);
  });
});

describe('embedded cluster watch history', () => {
  it('answers 410 Gone to a watch from a resourceVersion older than the history keeps', async () => {
    const { WatchHub } = await import('../../../../src/localcluster/store/watch-hub.js');
    const hub = new WatchHub(2);
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } };
    for (let rv = 1; rv <= 5; rv++) hub.publish({ rv, resourceKey: 'configmaps', type: 'ADDED', object: obj });
    try {
      hub.watch(() => true, () => undefined, { fromRv: 1 });
      expect.fail('expected 410');
    } catch (err) {
      expect((err as ApiError).code).to.equal(410);
      expect((err as ApiError).reason).to.equal('Expired');
    }
    const stop = hub.watch(() => true, () => undefined, { fromRv: 3 });
    stop();
  });
});
