import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import protobuf from 'protobufjs';
import { CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import type { LocalCluster } from '../../../src/localcluster/index.js';
import type { KObject } from '../../../src/localcluster/api/types.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { requireKubectl } from '../../helpers/kubectl.js';
import { until } from '../../helpers/until.js';

const exec = promisify(execFile);
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
          // An emptyDir makes kubectl drain ask for --delete-emptydir-data, as on a real cluster.
          volumes: [{ name: 'scratch', emptyDir: {} }],
          containers: [{
            name: 'store', image: 'crt.io/demo:1.0', args: ['store'],
            env: [{ name: 'SHUTDOWN_DELAY_MS', value: '200' }, { name: 'DRAIN_TIMEOUT_MS', value: '1000' }],
            ports: [{ name: 'http', containerPort: 8080 }],
            // Lenient timeout: a probe slowed by a loaded machine must not look like a disruption.
            readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1, timeoutSeconds: 3 },
          }],
        },
      },
    },
  },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: NS }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } },
];

/** Ready and not terminating: what the budget counts as healthy. */
const healthy = (p: KObject): boolean => !p.metadata.deletionTimestamp && (p.status?.conditions as any[] | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/**
 * A Deployment of 3 ready replicas on a 2-node cluster with a PodDisruptionBudget minAvailable 2, driven
 * through client-node and kubectl: budget status, evictions refused with 429, cordon, and kubectl drain.
 */
describe('embedded cluster evictions, PodDisruptionBudgets, cordon and drain', function () {
  this.timeout(60_000);
  let cluster: LocalCluster;
  let test: TestCluster;
  let kubeconfig: string;
  let core: CoreV1Api;
  let policy: PolicyV1Api;

  const kubectl = async (...args: string[]): Promise<{ stdout: string; stderr: string }> => exec('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 50_000 });
  const webPods = (): KObject[] => cluster.store.snapshot('pods', NS, (p) => p.metadata.labels?.app === 'web');
  const pdb = (): KObject => cluster.store.get('policy/poddisruptionbudgets', NS, 'web');
  const settled = (): Promise<unknown> => until('3 healthy pods and 1 disruption allowed', () =>
    webPods().length === 3 && webPods().every(healthy) && pdb().status?.disruptionsAllowed === 1 && pdb().status?.currentHealthy === 3);

  before(async () => {
    test = await startTestCluster({ nodes: 2 });
    ({ cluster } = test);
    kubeconfig = test.kubeconfig;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    policy = kc.makeApiClient(PolicyV1Api);
    cluster.apply(objects);
    await cluster.waitUntilAvailable({ namespaces: [NS], timeoutMs: 40_000 });
    await settled();
  });

  after(async () => {
    await test.stop();
  });

  it('reports the budget status: expected, desired and current healthy pods, disruptions allowed, observed generation', async () => {
    const got = await policy.readNamespacedPodDisruptionBudget({ name: 'web', namespace: NS });
    expect(got.status).to.include({ expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1, observedGeneration: 1 });
    expect(got.status?.conditions?.[0]).to.include({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' });
  });

  it('prints budgets with kubectl get pdb and the usual columns', async function () {
    requireKubectl(this);
    const lines = (await kubectl('get', 'pdb', '-n', NS)).stdout.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(lines[0]).to.deep.equal(['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
    expect(lines[1]!.slice(0, 4)).to.deep.equal(['web', '2', 'N/A', '1']);
  });

  it('evicts one pod through client-node and refuses the next with 429 while the budget has no disruption left', async () => {
    const [first, second] = webPods();
    const evict = (name: string): Promise<unknown> => core.createNamespacedPodEviction({ name, namespace: NS, body: { metadata: { name, namespace: NS } } });
    await evict(first!.metadata.name!);
    expect(cluster.store.peek('pods', NS, first!.metadata.name!)?.metadata.deletionTimestamp, 'evicted pod terminating').to.be.a('string');
    const refused = await evict(second!.metadata.name!).then(() => undefined, (err: any) => err);
    expect(refused?.code).to.equal(429);
    const status = JSON.parse(refused.body);
    expect(status).to.include({ kind: 'Status', reason: 'TooManyRequests', message: "Cannot evict pod as it would violate the pod's disruption budget." });
    expect(status.details.causes).to.deep.equal([{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }]);
    expect(cluster.store.peek('pods', NS, second!.metadata.name!)?.metadata.deletionTimestamp, 'refused pod untouched').to.equal(undefined);
    expect(pdb().status).to.include({ disruptionsAllowed: 0, currentHealthy: 2 });
    await settled();
  });

  it('accepts an Eviction sent as protobuf, as client-go typed clients configured for protobuf send it', async () => {
    const name = webPods()[0]!.metadata.name!;
    const res = await fetch(`${cluster.url}/api/v1/namespaces/${NS}/pods/${name}/eviction`, {
      method: 'POST', headers: { 'content-type': 'application/vnd.kubernetes.protobuf', accept: 'application/json' }, body: protobufEviction(name, NS),
    });
    expect(res.status).to.equal(201);
    expect(await res.json()).to.include({ kind: 'Status', status: 'Success' });
    expect(cluster.store.peek('pods', NS, name)?.metadata.deletionTimestamp).to.be.a('string');
    await settled();
  });

  it('adds the unschedulable taint on kubectl cordon and removes it on uncordon', async function () {
    requireKubectl(this);
    const taints = (): string[] => (cluster.store.get('nodes', undefined, 'node-2').spec?.taints ?? []).map((t: any) => `${t.key}:${t.effect}`);
    await kubectl('cordon', 'node-2');
    expect(cluster.store.get('nodes', undefined, 'node-2').spec.unschedulable).to.equal(true);
    await until('taint added', () => taints().includes('node.kubernetes.io/unschedulable:NoSchedule'), 5_000);
    await kubectl('uncordon', 'node-2');
    await until('taint removed', () => !taints().includes('node.kubernetes.io/unschedulable:NoSchedule'), 5_000);
  });

  it('drains a node with kubectl one eviction at a time, never below minAvailable healthy pods', async function () {
    requireKubectl(this);
    const perNode = (node: string): number => webPods().filter((p) => p.spec.nodeName === node && !p.metadata.deletionTimestamp).length;
    const node = perNode('node-1') >= perNode('node-2') ? 'node-1' : 'node-2';
    expect(perNode(node), `web pods on ${node}`).to.be.at.least(2);
    const counts: number[] = [];
    const stopWatch = cluster.store.watch('pods', NS, {}, () => counts.push(webPods().filter(healthy).length));
    let out: { stdout: string; stderr: string };
    try {
      out = await kubectl('drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=45s');
    } finally {
      stopWatch();
    }
    expect(out.stdout).to.include(`node/${node} drained`);
    expect(out.stderr + out.stdout).to.include("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(Math.min(...counts), 'fewest healthy pods during the drain').to.equal(2);
    expect(perNode(node)).to.equal(0);
    expect(cluster.store.get('nodes', undefined, node).spec.unschedulable).to.equal(true);
    await settled();
    await kubectl('uncordon', node);
  });
});

/** A policy/v1 Eviction in Kubernetes' protobuf envelope, built field by field with protobufjs. */
function protobufEviction(name: string, namespace: string): Uint8Array {
  const meta = protobuf.Writer.create().uint32((1 << 3) | 2).string(name).uint32((3 << 3) | 2).string(namespace).finish();
  const deleteOptions = protobuf.Writer.create().uint32(1 << 3).int64(1).finish();
  const eviction = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(meta).uint32((2 << 3) | 2).bytes(deleteOptions).finish();
  const typeMeta = protobuf.Writer.create().uint32((1 << 3) | 2).string('policy/v1').uint32((2 << 3) | 2).string('Eviction').finish();
  const unknown = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(typeMeta).uint32((2 << 3) | 2).bytes(eviction).finish();
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}
