import { expect } from 'chai';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { EndpointsController } from '../../../../src/localcluster/controllers/endpoints-controller.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { FakeKubelets, ManualClock, newStore, podSpec, settle } from './harness.js';

describe('EndpointsController', () => {
  let clock: ManualClock;
  let store: Store;
  let controller: EndpointsController;
  let kubelets: FakeKubelets;

  beforeEach(() => {
    clock = new ManualClock();
    store = newStore(clock);
    controller = new EndpointsController(store, { timers: clock });
    kubelets = new FakeKubelets(store);
    controller.start();
  });

  afterEach(() => {
    controller.stop();
    kubelets.stop();
  });

  function service(name: string, spec: Record<string, unknown>): void {
    store.create('services', 'demo', { apiVersion: 'v1', kind: 'Service', metadata: { name, labels: { team: 'a' } }, spec: { clusterIP: '10.96.0.10', ...spec } });
  }

  /** A bound pod with the given readiness; its IP is 10.244.0.<n> in creation order. */
  function pod(name: string, ready: boolean, labels: Record<string, string> = { app: 'web' }, port = 8080): KObject {
    store.create('pods', 'demo', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
      spec: { ...podSpec({ containers: [{ name: 'app', image: 'demo/app:1', ports: [{ name: 'http', containerPort: port }] }] }), nodeName: 'node-1' },
    });
    kubelets.setStatus(name, 'Running', ready);
    return store.peek('pods', 'demo', name)!;
  }

  const endpoints = (): KObject | undefined => store.peek('endpoints', 'demo', 'web');
  const slices = (): KObject[] => store.snapshot('discovery.k8s.io/endpointslices', 'demo');
  const address = (p: KObject): Record<string, unknown> =>
    ({ ip: p.status.podIP, nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'demo', name: p.metadata.name, uid: p.metadata.uid } });

  it('lists ready pods as addresses and the others as notReadyAddresses, resolving named target ports', async () => {
    const a = pod('web-a', true);
    const b = pod('web-b', false);
    pod('other', true, { app: 'other' });
    service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
    await settle();
    expect(endpoints()!.subsets).to.deep.equal([{
      addresses: [address(a)], notReadyAddresses: [address(b)], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    }]);
    expect(endpoints()!.metadata.labels).to.deep.equal({ team: 'a' });
  });

  it('groups pods whose named port resolves differently into separate subsets', async () => {
    const a = pod('web-a', true, { app: 'web' }, 8080);
    const b = pod('web-b', true, { app: 'web' }, 9090);
    service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
    await settle();
    expect(endpoints()!.subsets).to.deep.equal([
      { addresses: [address(a)], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
      { addresses: [address(b)], ports: [{ name: 'http', port: 9090, protocol: 'TCP' }] },
    ]);
  });

  it('drops a terminating pod from the addresses at once', async () => {
    const a = pod('web-a', true);
    pod('web-b', true);
    service('web', { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] });
    await settle();
    store.delete('pods', 'demo', 'web-b');
    // Before any I/O: the watch delivery and the sync both run in microtasks.
    await Promise.resolve();
    await Promise.resolve();
    expect((endpoints()!.subsets as any[])[0].addresses).to.deep.equal([address(a)]);
  });

  it('mirrors the endpoints in an EndpointSlice, keeping terminating pods as not ready but serving', async () => {
    const a = pod('web-a', true);
    const b = pod('web-b', false);
    service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
    await settle();
    store.delete('pods', 'demo', 'web-a');
    await settle();
    const [slice] = slices();
    const svc = store.peek('services', 'demo', 'web')!;
    expect(slices()).to.have.length(1);
    expect(slice!.metadata.name).to.match(/^web-[a-z0-9]{5}$/);
    expect(slice!.metadata.labels).to.deep.equal({ team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice!.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slice!.addressType).to.equal('IPv4');
    expect(slice!.ports).to.deep.equal([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const ref = (p: KObject): unknown => ({ kind: 'Pod', namespace: 'demo', name: p.metadata.name, uid: p.metadata.uid });
    expect(slice!.endpoints).to.deep.equal([
      { addresses: [a.status.podIP], conditions: { ready: false, serving: true, terminating: true }, nodeName: 'node-1', targetRef: ref(a) },
      { addresses: [b.status.podIP], conditions: { ready: false, serving: false, terminating: false }, nodeName: 'node-1', targetRef: ref(b) },
    ]);
  });

  it('does not rewrite the objects when a pod changes in a way that does not matter', async () => {
    pod('web-a', true);
    service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
    await settle();
    const before = [endpoints()!.metadata.resourceVersion, slices()[0]!.metadata.resourceVersion];
    store.mutate('pods', 'demo', 'web-a', (d) => { d.status.hostIP = '127.1.0.1'; }, { subresource: 'status' });
    await settle();
    expect([endpoints()!.metadata.resourceVersion, slices()[0]!.metadata.resourceVersion]).to.deep.equal(before);
  });

  it('removes a pod whose labels stop matching the selector', async () => {
    pod('web-a', true);
    service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
    await settle();
    store.mutate('pods', 'demo', 'web-a', (d) => { d.metadata.labels = { app: 'debug' }; });
    await settle();
    expect(endpoints()!.subsets).to.equal(undefined);
    expect(slices()[0]!.endpoints).to.deep.equal([]);
  });

  it('deletes the Endpoints and EndpointSlices of a deleted Service', async () => {
    pod('web-a', true);
    service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
    await settle();
    store.delete('services', 'demo', 'web');
    await settle();
    expect(endpoints()).to.equal(undefined);
    expect(slices()).to.deep.equal([]);
  });

  it('leaves the Endpoints of a Service without a selector to their author', async () => {
    service('web', { ports: [{ port: 80 }] });
    const subsets = [{ addresses: [{ ip: '192.168.1.10' }], ports: [{ port: 5432, protocol: 'TCP' }] }];
    store.create('endpoints', 'demo', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web' }, subsets });
    await settle();
    expect(endpoints()!.subsets).to.deep.equal(subsets);
    expect(slices()).to.deep.equal([]);
  });
});
