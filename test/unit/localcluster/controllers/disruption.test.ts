import { expect } from 'chai';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { evictionHandler } from '../../../../src/localcluster/apiserver/eviction.js';
import { budgetStatus, DISRUPTED_POD_TIMEOUT_MS, podsOfBudget, scaledValue } from '../../../../src/localcluster/controllers/disruption-budget.js';
import { DisruptionController } from '../../../../src/localcluster/controllers/disruption-controller.js';
import { ApiError } from '../../../../src/localcluster/api/types.js';
import { rfc3339 } from '../../../../src/localcluster/store/object-names.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { ManualClock, newStore, podSpec } from './harness.js';

const PDBS = 'policy/poddisruptionbudgets';

function addPod(store: Store, name: string, opts: { ready?: boolean; phase?: string; owner?: KObject } = {}): KObject {
  const pod = store.create('pods', 'demo', {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: 'demo', labels: { app: 'web' },
      ...(opts.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: opts.owner.kind, name: opts.owner.metadata.name!, uid: opts.owner.metadata.uid!, controller: true }] } : {}),
    },
    spec: { ...podSpec(), nodeName: 'node-1' },
  });
  return store.mutate('pods', 'demo', pod.metadata.name!, (d) => {
    d.status = { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] };
  }, { subresource: 'status' })!;
}

function addPdb(store: Store, spec: Record<string, unknown>, name = 'web'): KObject {
  return store.create(PDBS, 'demo', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'demo' }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });
}

/** A Deployment of `replicas` owning a ReplicaSet, without their controllers: only the scale matters here. */
function addDeployment(store: Store, replicas: number): KObject {
  const deploy = store.create('apps/deployments', 'demo', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'demo' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec() } },
  });
  return store.create('apps/replicasets', 'demo', {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name: 'web-1', namespace: 'demo', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: deploy.metadata.uid!, controller: true }] },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec() } },
  });
}

const evict = (store: Store, name: string, body: Record<string, unknown> = {}): { code: number; body: unknown } => evictionHandler({
  store, resource: store.registry.get('pods'), namespace: 'demo', name, method: 'POST', body: { metadata: { name, namespace: 'demo' }, ...body },
});

const apiError = (fn: () => unknown): ApiError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
};

describe('disruption budget arithmetic', () => {
  it('scales a percentage rounding up or down as intstr.GetScaledValueFromIntOrPercent does', () => {
    expect(scaledValue('50%', 3, true)).to.equal(2);
    expect(scaledValue('50%', 3, false)).to.equal(1);
    expect(scaledValue(2, 10, true)).to.equal(2);
    expect(() => scaledValue('half', 3, true)).to.throw(/not a percentage/);
  });

  it('takes expected pods from the Deployment scale for maxUnavailable, rounding the percentage up', () => {
    const clock = new ManualClock();
    const store = newStore(clock);
    const rs = addDeployment(store, 4);
    for (const n of ['a', 'b', 'c']) addPod(store, n, { owner: rs });
    const pdb = addPdb(store, { maxUnavailable: '30%' });
    const s = budgetStatus(store, pdb, podsOfBudget(store, pdb), clock.wallNow());
    // ceil(30% of 4) = 2 unavailable: 2 desired, 3 healthy, 1 disruption.
    expect(s).to.include({ expectedPods: 4, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });
  });

  it('counts the matching pods for an integer minAvailable and leaves out unready and terminating pods', () => {
    const clock = new ManualClock();
    const store = newStore(clock);
    addPod(store, 'a');
    addPod(store, 'b', { ready: false });
    addPod(store, 'c');
    store.delete('pods', 'demo', 'c');
    const pdb = addPdb(store, { minAvailable: 1 });
    expect(budgetStatus(store, pdb, podsOfBudget(store, pdb), clock.wallNow())).to.include({ expectedPods: 3, desiredHealthy: 1, currentHealthy: 1, disruptionsAllowed: 0 });
  });

  it('allows no disruption when maxUnavailable needs a scale and a pod has no controller', () => {
    const clock = new ManualClock();
    const store = newStore(clock);
    addPod(store, 'a');
    addPod(store, 'b');
    const pdb = addPdb(store, { maxUnavailable: 1 });
    const s = budgetStatus(store, pdb, podsOfBudget(store, pdb), clock.wallNow());
    expect(s.disruptionsAllowed).to.equal(0);
    expect(s.syncError).to.match(/found no controller/);
  });

  it('keeps an evicted pod out of the healthy count until it is deleting or the entry times out', async () => {
    const clock = new ManualClock();
    const store = newStore(clock);
    for (const n of ['a', 'b', 'c']) addPod(store, n);
    addPdb(store, { minAvailable: 1 });
    store.mutate(PDBS, 'demo', 'web', (d) => { d.status = { disruptedPods: { a: rfc3339(clock.wallNow()) } }; }, { subresource: 'status' });
    const status = (): ReturnType<typeof budgetStatus> => {
      const pdb = store.get(PDBS, 'demo', 'web');
      return budgetStatus(store, pdb, podsOfBudget(store, pdb), clock.wallNow());
    };
    expect(status()).to.include({ currentHealthy: 2, disruptionsAllowed: 1 });
    expect(status().disruptedPods).to.have.keys('a');
    await clock.advance(DISRUPTED_POD_TIMEOUT_MS + 1);
    expect(status()).to.include({ currentHealthy: 3, disruptionsAllowed: 2 });
    expect(status().disruptedPods).to.deep.equal({});
  });
});

describe('disruption controller', () => {
  it('writes the status with observedGeneration and the DisruptionAllowed condition, and follows pod readiness', () => {
    const clock = new ManualClock();
    const store = newStore(clock);
    for (const n of ['a', 'b']) addPod(store, n);
    addPdb(store, { minAvailable: 1 });
    const controller = new DisruptionController(store, { timers: clock, resyncMs: 0 });
    controller.sync('demo/web');
    expect(store.get(PDBS, 'demo', 'web').status).to.deep.include({ observedGeneration: 1, expectedPods: 2, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1 });
    expect(store.get(PDBS, 'demo', 'web').status.conditions[0]).to.include({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' });
    store.mutate('pods', 'demo', 'a', (d) => { d.status.conditions[0].status = 'False'; }, { subresource: 'status' });
    controller.sync('demo/web');
    expect(store.get(PDBS, 'demo', 'web').status).to.include({ currentHealthy: 1, disruptionsAllowed: 0 });
    expect(store.get(PDBS, 'demo', 'web').status.conditions[0]).to.include({ status: 'False', reason: 'InsufficientPods' });
  });
});

describe('pods/eviction subresource', () => {
  function cluster(): { store: Store; controller: DisruptionController } {
    const clock = new ManualClock();
    const store = newStore(clock);
    for (const n of ['a', 'b', 'c']) addPod(store, n);
    addPdb(store, { minAvailable: 2 });
    const controller = new DisruptionController(store, { timers: clock, resyncMs: 0 });
    controller.sync('demo/web');
    return { store, controller };
  }

  it('lets only one of two quick evictions through a budget allowing one, before the controller runs again', () => {
    const { store } = cluster();
    expect(evict(store, 'a')).to.deep.equal({ code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } });
    const pdb = store.get(PDBS, 'demo', 'web');
    expect(pdb.status.disruptionsAllowed).to.equal(0);
    expect(pdb.status.disruptedPods).to.have.keys('a');
    expect(store.get('pods', 'demo', 'a').metadata.deletionTimestamp).to.be.a('string');
    const err = apiError(() => evict(store, 'b'));
    expect(err.toStatus()).to.deep.include({ code: 429, reason: 'TooManyRequests', message: "Cannot evict pod as it would violate the pod's disruption budget." });
    expect(err.details?.causes).to.deep.equal([{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 3 currently' }]);
    expect(store.get('pods', 'demo', 'b').metadata.deletionTimestamp).to.equal(undefined);
  });

  it('deletes with the eviction deleteOptions, here its grace period', () => {
    const { store } = cluster();
    evict(store, 'a', { deleteOptions: { gracePeriodSeconds: 7 } });
    expect(store.get('pods', 'demo', 'a').metadata.deletionGracePeriodSeconds).to.equal(7);
  });

  it('changes nothing on a dry run', () => {
    const { store } = cluster();
    expect(evict(store, 'a', { deleteOptions: { dryRun: ['All'] } }).code).to.equal(201);
    expect(store.get('pods', 'demo', 'a').metadata.deletionTimestamp).to.equal(undefined);
    expect(store.get(PDBS, 'demo', 'web').status.disruptionsAllowed).to.equal(1);
  });

  it('evicts a pending pod without touching the budget', () => {
    const { store, controller } = cluster();
    addPod(store, 'p', { phase: 'Pending', ready: false });
    controller.sync('demo/web');
    store.mutate(PDBS, 'demo', 'web', (d) => { d.status.disruptionsAllowed = 0; }, { subresource: 'status' });
    expect(evict(store, 'p').code).to.equal(201);
    expect(store.get(PDBS, 'demo', 'web').status.disruptedPods).to.equal(undefined);
  });

  it('evicts a running unready pod while the budget has its desired healthy pods (IfHealthyBudget)', () => {
    const { store, controller } = cluster();
    addPod(store, 'u', { ready: false });
    controller.sync('demo/web');
    expect(evict(store, 'u').code).to.equal(201);
    expect(store.get(PDBS, 'demo', 'web').status.disruptionsAllowed).to.equal(1);
  });

  it('answers 500 for a pod covered by two budgets, as the real API', () => {
    const { store } = cluster();
    addPdb(store, { minAvailable: 1 }, 'other');
    const err = apiError(() => evict(store, 'a'));
    expect(err.code).to.equal(500);
    expect(err.message).to.equal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  });

  it('answers 429 while the budget status has not observed the latest spec', () => {
    const { store } = cluster();
    store.mutate(PDBS, 'demo', 'web', (d) => { d.spec.minAvailable = 1; });
    expect(apiError(() => evict(store, 'a')).details?.causes?.[0]?.message).to.equal('The disruption budget web is still being processed by the server.');
  });

  it('refuses an Eviction naming another pod with 400', () => {
    const { store } = cluster();
    const err = apiError(() => evictionHandler({ store, resource: store.registry.get('pods'), namespace: 'demo', name: 'a', method: 'POST', body: { metadata: { name: 'b' } } }));
    expect(err.code).to.equal(400);
  });
});
