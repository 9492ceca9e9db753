import { expect } from 'chai';
import { kubeClients } from '../../../src/kube/index.js';
import { FaultError, builtinFaults } from '../../../src/faults/index.js';
import type { LocalCluster } from '../../../src/localcluster/index.js';
import type { KObject } from '../../../src/localcluster/api/types.js';
import type { AuditRecord } from '../../../src/localcluster/apiserver/audit.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { action, faultContext, inject, until } from './node-fault-helpers.js';

const NS = 'pdb';

const objects: KObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
  {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS },
    spec: {
      replicas: 3, selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          volumes: [{ name: 'scratch', emptyDir: {} }],
          containers: [{
            name: 'store', image: 'crt.io/demo:1.0', args: ['store'],
            env: [{ name: 'SHUTDOWN_DELAY_MS', value: '200' }, { name: 'DRAIN_TIMEOUT_MS', value: '1000' }],
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1, timeoutSeconds: 3 },
          }],
        },
      },
    },
  },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: NS }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } },
];

const healthy = (p: KObject): boolean => !p.metadata.deletionTimestamp && (p.status?.conditions as Array<{ type: string; status: string }> | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

// Builtin control plane only: its assertions read the builtin API server's store and its audit records
// (every eviction request, its 429s); the drain runs on both control planes in
// test/integration/faults/node-loss-plan.test.ts and test/cli/revert.test.ts.
/** The node-drain fault through client-node, on a 2-node embedded cluster with 3 replicas under a PDB minAvailable 2. */
describe('node-drain fault on the embedded cluster', function () {
  this.timeout(60_000);
  let cluster: LocalCluster;
  let test: TestCluster;
  let tmp: TestCluster['tmp'];
  let kubeconfig: string;
  const audit: AuditRecord[] = [];

  const webPods = (): KObject[] => cluster.store.snapshot('pods', NS, (p) => p.metadata.labels?.app === 'web');
  const unschedulable = (node: string): boolean => cluster.store.get('nodes', undefined, node).spec?.unschedulable === true;
  /** the node running two of the three replicas: draining it needs two evictions against a budget allowing one */
  const busiestNode = (): string => {
    const counts = new Map<string, number>();
    for (const p of webPods()) {
      const name = p.spec!.nodeName as string;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  };
  const settled = (): Promise<unknown> => until('3 healthy replicas', () => webPods().length === 3 && webPods().every(healthy));

  before(async () => {
    test = await startTestCluster({ nodes: 2, audit: (r) => audit.push(r) });
    ({ cluster, tmp } = test);
    kubeconfig = test.kubeconfig;
    cluster.apply(objects);
    await cluster.waitUntilAvailable({ namespaces: [NS], timeoutMs: 40_000 });
    await settled();
  });

  after(async () => {
    await test.stop();
  });

  it('picks nodes by nodeSelector and count, by the node of a pod, and refuses a pick above maxPercent of the nodes', async () => {
    const ctx = faultContext(kubeconfig, tmp.dir);
    const planOf = (params: Record<string, unknown>) => builtinFaults['node-drain'].create(action('node-drain', params)).plan(ctx);
    expect((await planOf({ nodeSelector: 'kubernetes.io/os=linux', count: 1 })).targets).to.deep.equal(['node/node-1']);
    const pod = webPods()[0]!;
    expect((await planOf({ nodeOf: { namespace: NS, pod: pod.metadata.name } })).targets).to.deep.equal([`node/${String(pod.spec!.nodeName)}`]);
    const err = await planOf({ nodeSelector: 'kubernetes.io/os=linux', maxPercent: '50%' }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(FaultError);
    expect((err as Error).message).to.equal('node-drain: 2 of 2 nodes (node-1, node-2) is more than maxPercent 50% (at most 1)');
    const none = await planOf({ nodeOf: { namespace: NS, selector: 'app=nothing' } }).then(() => undefined, (e: unknown) => e);
    expect((none as Error).message).to.equal('node-drain: no node matches the node of pods app=nothing in pdb');
    expect(unschedulable('node-1') || unschedulable('node-2'), 'planning changes nothing').to.equal(false);
  });

  it('refuses to drain a node whose pods have emptyDir data without deleteEmptyDirData, evicting nothing', async () => {
    const node = busiestNode();
    const uids = webPods().map((p) => p.metadata.uid).sort();
    const ctx = faultContext(kubeconfig, tmp.dir);
    const err = await inject(builtinFaults['node-drain'], 'node-drain', { node }, ctx).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(FaultError);
    expect((err as Error).message).to.match(new RegExp(`^cannot drain ${node}: cannot delete Pods with local storage \\(set deleteEmptyDirData: true to override\\): pdb/web-\\S+, pdb/web-\\S+$`));
    expect(webPods().map((p) => p.metadata.uid).sort()).to.deep.equal(uids);
    expect(unschedulable(node), 'a refused drain does not cordon').to.equal(false);
  });

  it('drains a node through evictions, retrying the budget 429s, never below 2 ready replicas, and uncordons from the JSON record', async () => {
    const node = busiestNode();
    const onNode = webPods().filter((p) => p.spec?.nodeName === node).map((p) => p.metadata.name);
    expect(onNode).to.have.length(2);
    let minHealthy = 3;
    const watcher = setInterval(() => (minHealthy = Math.min(minHealthy, webPods().filter(healthy).length)), 10);
    audit.length = 0;
    try {
      const { plan, record, result } = await inject(builtinFaults['node-drain'], 'node-drain', { node, deleteEmptyDirData: true, timeout: '40s' }, faultContext(kubeconfig, tmp.dir));
      expect(plan.targets).to.deep.equal([`node/${node}`]);
      expect(record).to.deep.equal({ fault: 'node-drain', nodes: [node], set: { unschedulable: true } });
      expect(result.data).to.include({ evictedPods: 2 });
      expect((result.data!.evicted as string[]).slice().sort()).to.deep.equal(onNode.map((n) => `${NS}/${n}`).sort());
      expect(result.data!.budgetRefusals).to.be.a('number').and.be.greaterThan(0);
      // the budget's 429s are not throttling: nothing was counted as such
      expect(result.data).to.include({ throttled: 0, transientErrors: 0 });
      // the wait for the evicted pods is one watch of the node's pods, not a GET per pod
      await until('the drain\'s watch recorded', () => audit.some((r) => r.verb === 'watch' && r.resource === 'pods'));
      expect(audit.filter((r) => r.verb === 'get' && r.resource === 'pods' && r.name !== '' && r.subresource === '').map((r) => r.name), 'GETs of single pods').to.deep.equal([]);
      expect(audit.filter((r) => r.verb === 'watch' && r.resource === 'pods').map((r) => new URL(r.path, 'http://x').pathname)).to.deep.equal(['/api/v1/pods']);
      expect(unschedulable(node)).to.equal(true);
      for (const name of onNode) expect(cluster.store.peek('pods', NS, name!), `${name} gone`).to.equal(undefined);
      expect(webPods().filter((p) => p.spec?.nodeName === node)).to.deep.equal([]);
      console.log(`      drain: ${result.detail} in ${String(result.data!.durationMs)} ms`);
      await builtinFaults['node-drain'].revert(record!, faultContext(kubeconfig, tmp.dir, 'revert'));
    } finally {
      clearInterval(watcher);
    }
    expect(minHealthy, 'ready replicas during the drain').to.be.at.least(2);
    expect(unschedulable(node)).to.equal(false);
    await settled();
  });

  it('fails with a FaultError when the budget still refuses at the drain timeout, leaving the node cordoned for the revert', async () => {
    cluster.apply([{ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: NS }, spec: { minAvailable: 3, selector: { matchLabels: { app: 'web' } } } }]);
    await until('budget allows no disruption', () => cluster.store.get('policy/poddisruptionbudgets', NS, 'web').status?.disruptionsAllowed === 0);
    const node = busiestNode();
    const ctx = faultContext(kubeconfig, tmp.dir);
    const started = Date.now();
    const err = await inject(builtinFaults['node-drain'], 'node-drain', { node, deleteEmptyDirData: true, timeout: '1500ms' }, ctx).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(FaultError);
    expect((err as Error).message).to.match(/still refused by its disruption budget when the drain timeout ran out/);
    expect(Date.now() - started).to.be.within(1_400, 6_000);
    expect(webPods().every(healthy)).to.equal(true);
    expect(unschedulable(node)).to.equal(true);
    await builtinFaults['node-drain'].revert({ fault: 'node-drain', nodes: [node] }, faultContext(kubeconfig, tmp.dir));
    expect(unschedulable(node)).to.equal(false);
  });

  it('refuses a pod no controller owns without force, changing nothing, and evicts it with force and kubectl\'s warning', async () => {
    cluster.apply([{ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: NS }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } }]);
    await until('budget allows a disruption', () => (cluster.store.get('policy/poddisruptionbudgets', NS, 'web').status?.disruptionsAllowed ?? 0) > 0);
    const node = busiestNode();
    cluster.apply([{
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: NS },
      spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'store', image: 'crt.io/demo:1.0', args: ['store'], env: [{ name: 'SHUTDOWN_DELAY_MS', value: '0' }] }] },
    }]);
    await until('the bare pod runs', () => cluster.store.peek('pods', NS, 'debug')?.status?.phase === 'Running');
    const uid = cluster.store.get('pods', NS, 'debug').metadata.uid;
    const err = await inject(builtinFaults['node-drain'], 'node-drain', { node, deleteEmptyDirData: true }, faultContext(kubeconfig, tmp.dir)).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(FaultError);
    expect((err as Error).message).to.equal(`cannot drain ${node}: cannot delete Pods that declare no controller (set force: true to override): ${NS}/debug`);
    expect(unschedulable(node), 'a refused drain does not cordon').to.equal(false);
    expect(cluster.store.get('pods', NS, 'debug').metadata.uid).to.equal(uid);

    const { record, result } = await inject(builtinFaults['node-drain'], 'node-drain', { node, deleteEmptyDirData: true, force: true, timeout: '40s' }, faultContext(kubeconfig, tmp.dir));
    expect(result.data!.evicted).to.include(`${NS}/debug`);
    expect(result.data!.warnings).to.deep.equal([`deleting Pods that declare no controller: ${NS}/debug`]);
    expect(result.detail).to.match(/; warning: deleting Pods that declare no controller: pdb\/debug$/);
    expect(cluster.store.peek('pods', NS, 'debug'), 'the bare pod is gone for good').to.equal(undefined);
    await builtinFaults['node-drain'].revert(record!, faultContext(kubeconfig, tmp.dir, 'revert'));
    expect(unschedulable(node)).to.equal(false);
  });

  it('never picks the node crt runs on nor those of its load workers, and refuses a step naming one', async () => {
    const ctx = { ...faultContext(kubeconfig, tmp.dir), hostEnv: { CRT_NODE_NAME: 'node-1' } };
    const planOf = (params: Record<string, unknown>) => builtinFaults['node-drain'].create(action('node-drain', params)).plan(ctx);
    const picked = await planOf({ nodeSelector: 'kubernetes.io/os=linux' });
    expect(picked.targets).to.deep.equal(['node/node-2']);
    expect(picked.summary).to.equal('drain node-2 (nodeSelector kubernetes.io/os=linux); not node-1 (crt runs there)');
    const named = await planOf({ node: 'node-1' }).then(() => undefined, (e: unknown) => e);
    expect((named as Error).message).to.equal('node-drain: node node-1 is spared: crt runs there, and losing it would end the measurement, not test the system');
    cluster.apply([{
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'worker-0', namespace: NS, labels: { 'app.kubernetes.io/managed-by': 'crt', 'crt.io/run-id': 'run-test' } },
      spec: { nodeName: 'node-2', terminationGracePeriodSeconds: 1, containers: [{ name: 'k6', image: 'crt.io/demo:1.0', args: ['store'] }] },
    }]);
    const none = await planOf({ nodeSelector: 'kubernetes.io/os=linux' }).then(() => undefined, (e: unknown) => e);
    expect(none).to.be.instanceOf(FaultError);
    expect((none as Error).message).to.equal(`node-drain: no node matches nodeSelector kubernetes.io/os=linux but node-1 (crt runs there), node-2 (crt's load worker ${NS}/worker-0 runs there)`);
    const loss = await builtinFaults['node-loss'].create(action('node-loss', { nodeOf: { namespace: NS, pod: 'worker-0' }, provider: 'taint-eviction' })).plan(ctx).then(() => undefined, (e: unknown) => e);
    expect((loss as Error).message).to.equal(`node-loss: no node matches the node of pod worker-0 in ${NS} but node-2 (crt's load worker ${NS}/worker-0 runs there)`);
    expect(unschedulable('node-1') || unschedulable('node-2'), 'nothing cordoned').to.equal(false);
    await kubeClients({ kubeconfig }).core.deleteNamespacedPod({ namespace: NS, name: 'worker-0', gracePeriodSeconds: 0 });
  });

  it('finds the node of crt\'s own pod from its hostname when CRT_NODE_NAME is not set', async () => {
    cluster.apply([{
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'crt-nightly-x1', namespace: NS },
      spec: { nodeName: 'node-2', terminationGracePeriodSeconds: 0, containers: [{ name: 'crt', image: 'crt.io/demo:1.0', args: ['store'] }] },
    }]);
    const inPod = { ...faultContext(kubeconfig, tmp.dir), hostEnv: { KUBERNETES_SERVICE_HOST: '10.96.0.1', HOSTNAME: 'crt-nightly-x1', POD_NAMESPACE: NS } };
    const plan = await builtinFaults['node-drain'].create(action('node-drain', { nodeSelector: 'kubernetes.io/os=linux' })).plan(inPod);
    expect(plan.summary).to.equal('drain node-1 (nodeSelector kubernetes.io/os=linux); not node-2 (crt runs there)');
    // outside a pod (no KUBERNETES_SERVICE_HOST) nothing is spared
    const outside = await builtinFaults['node-drain'].create(action('node-drain', { nodeSelector: 'kubernetes.io/os=linux' })).plan({ ...inPod, hostEnv: { HOSTNAME: 'crt-nightly-x1' } });
    expect(outside.targets).to.deep.equal(['node/node-1', 'node/node-2']);
    await kubeClients({ kubeconfig }).core.deleteNamespacedPod({ namespace: NS, name: 'crt-nightly-x1', gracePeriodSeconds: 0 });
  });
});
