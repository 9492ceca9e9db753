import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type LocalCluster, demoManifestPath } from '../../../src/localcluster/index.js';
import type { KObject } from '../../../src/localcluster/api/types.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { requireKubectl } from '../../helpers/kubectl.js';
import { alive } from '../../helpers/processes.js';
import { until } from '../../helpers/until.js';

const exec = promisify(execFile);

const HEARTBEAT_MS = 500;
const MONITOR_PERIOD_MS = 500;
const GRACE_MS = 2_000;
const TOLERATION_SEC = 2;


const condition = (obj: { status?: { conditions?: Array<{ type: string; status: string }> } } | KObject | undefined, type: string): string | undefined =>
  (obj?.status?.conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === type)?.status;

/** A pod on node-2 that tolerates an unreachable node forever: it is never evicted, and restarts when power returns. */
const pinnedPod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'pinned', namespace: 'demo' },
  spec: {
    nodeSelector: { 'kubernetes.io/hostname': 'node-2' },
    tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }],
    containers: [{ name: 'store', image: 'crt.io/demo:1.0', args: ['store'] }],
  },
};

/**
 * Node loss on a 3-node cluster running the demo, with second-scale timings: one power cycle of node-2,
 * observed step by step through client-node and kubectl. The tests run in order and share the cycle.
 */
describe('embedded cluster losing a node (power off and on)', function () {
  this.timeout(60_000);
  let cluster: LocalCluster;
  let test: TestCluster;
  let kubeconfig: string;
  let core: CoreV1Api;
  let offAtMs = 0;
  let unknownAtMs = 0;
  let lostPods: KObject[] = [];

  const kubectl = async (...args: string[]): Promise<string> => (await exec('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 })).stdout;
  const power = async (node: string, state?: 'on' | 'off'): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${cluster.url}/crt/v1/nodes/${node}/power`, state
      ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state }) }
      : {});
    return { status: res.status, body: await res.json() };
  };
  const demoPods = (pred: (p: KObject) => boolean = () => true): KObject[] => cluster.store.snapshot('pods', 'demo', pred);

  before(async () => {
    test = await startTestCluster({
      nodes: 3, heartbeatMs: HEARTBEAT_MS, nodeMonitorPeriodMs: MONITOR_PERIOD_MS, nodeMonitorGracePeriodMs: GRACE_MS, defaultTolerationSeconds: TOLERATION_SEC,
    });
    ({ cluster } = test);
    kubeconfig = test.kubeconfig;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    await cluster.applyFiles([demoManifestPath]);
    await core.createNamespacedPod({ namespace: 'demo', body: pinnedPod });
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 40_000 });
    await until('the pinned pod Ready', () => condition(cluster.store.peek('pods', 'demo', 'pinned'), 'Ready') === 'True');
  });

  after(async () => {
    await test.stop();
  });

  it('gives new pods the not-ready and unreachable NoExecute tolerations for defaultTolerationSeconds, keeping their own', async () => {
    const gateway = (await core.listNamespacedPod({ namespace: 'demo', labelSelector: 'app=gateway' })).items[0]!;
    expect(gateway.spec?.tolerations).to.deep.include.members([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: TOLERATION_SEC },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: TOLERATION_SEC },
    ]);
    const pinned = await core.readNamespacedPod({ namespace: 'demo', name: 'pinned' });
    expect(pinned.spec?.tolerations?.filter((t) => t.key === 'node.kubernetes.io/unreachable')).to.deep.equal([
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    ]);
  });

  it('refuses an unknown node (404) and a body without a state (400) on the power endpoint', async () => {
    expect((await power('node-9')).status).to.equal(404);
    const res = await fetch(`${cluster.url}/crt/v1/nodes/node-1/power`, { method: 'POST', body: '{"state":"sleep"}' });
    expect(res.status).to.equal(400);
    expect((await res.json() as { message: string }).message).to.contain('{"state":"on"}');
    expect((await power('node-1')).body).to.include({ kind: 'NodePower', node: 'node-1', state: 'on' });
  });

  it('kills every pod process of a powered-off node at once and leaves its pods bound and Running in the API', async () => {
    const agent = cluster.node('node-2')!;
    const pids = agent.pids();
    lostPods = demoPods((p) => p.spec?.nodeName === 'node-2');
    expect(pids.length).to.be.greaterThan(1);
    offAtMs = Date.now();
    const off = await power('node-2', 'off');
    expect(off.status).to.equal(200);
    expect(off.body).to.include({ node: 'node-2', state: 'off' });
    expect([...off.body.killedPids].sort()).to.deep.equal([...pids].sort());
    expect(pids.filter(alive), 'alive after power-off').to.deep.equal([]);
    expect((await power('node-2')).body.state).to.equal('off');
    const bound = (await core.listNamespacedPod({ namespace: 'demo', fieldSelector: 'spec.nodeName=node-2' })).items;
    expect(bound.map((p) => p.metadata?.name).sort()).to.deep.equal(lostPods.map((p) => p.metadata.name).sort());
    for (const p of bound) expect(p.status?.phase).to.equal('Running');
  });

  it('sets the node Ready=Unknown after the grace period, not before, with the unreachable taints', async () => {
    await until('node-2 Ready=Unknown', () => condition(cluster.store.peek('nodes', undefined, 'node-2'), 'Ready') === 'Unknown', 15_000);
    unknownAtMs = Date.now();
    // Condition times have whole seconds, as in Kubernetes: the last heartbeat's stamp may be up to 1 s
    // (or one heartbeat period) before the power-off.
    const elapsed = unknownAtMs - offAtMs;
    expect(elapsed, 'ms from power-off to Unknown').to.be.at.least(GRACE_MS - Math.max(HEARTBEAT_MS, 1000));
    expect(elapsed, 'ms from power-off to Unknown').to.be.at.most(GRACE_MS + MONITOR_PERIOD_MS + 3_000);
    const node = await core.readNode({ name: 'node-2' });
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).to.include({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(ready!.lastTransitionTime!.getTime() - ready!.lastHeartbeatTime!.getTime(), 'Unknown set before the grace period').to.be.at.least(GRACE_MS);
    expect(ready!.lastHeartbeatTime!.getTime()).to.be.at.most(offAtMs);
    expect(node.status?.conditions?.every((c) => c.status === 'Unknown')).to.equal(true);
    const taints = await until('the unreachable taints', async () => {
      const t = (await core.readNode({ name: 'node-2' })).spec?.taints ?? [];
      return t.length === 2 && t;
    });
    expect(taints.map((t) => `${t.key}:${t.effect}`).sort()).to.deep.equal(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    expect(taints.find((t) => t.effect === 'NoExecute')?.timeAdded).to.be.a('date');
    await until('node-2 pods Ready=False', () => demoPods((p) => p.spec?.nodeName === 'node-2').every((p) => condition(p, 'Ready') === 'False'), 5_000);
    const events = (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=node-2' })).items;
    expect(events.map((e) => e.reason)).to.include('NodeNotReady');
  });

  it('marks the lost pods for deletion after their tolerationSeconds and keeps them Terminating while the node is away', async () => {
    const lost = lostPods.filter((p) => p.metadata.name !== 'pinned').map((p) => p.metadata.name!);
    await until('lost pods marked for deletion', () => lost.every((n) => cluster.store.peek('pods', 'demo', n)?.metadata.deletionTimestamp), 15_000);
    const elapsed = Date.now() - unknownAtMs;
    expect(elapsed, 'ms from Unknown to eviction').to.be.at.least(TOLERATION_SEC * 1000 - MONITOR_PERIOD_MS - 200);
    const events = (await core.listNamespacedEvent({ namespace: 'demo', fieldSelector: 'reason=TaintManagerEviction' })).items;
    for (const name of lost) expect(events.map((e) => e.message)).to.include(`Marking for deletion Pod demo/${name}`);
    const pod = cluster.store.peek('pods', 'demo', lost[0]!)!;
    expect(pod.status.conditions.find((c: any) => c.type === 'DisruptionTarget')).to.include({ status: 'True', reason: 'DeletionByTaintManager' });
    expect(cluster.store.peek('pods', 'demo', 'pinned')?.metadata.deletionTimestamp, 'pinned pod tolerates forever').to.equal(undefined);
  });

  it('replaces the lost pods with Ready pods on the other nodes within grace + toleration + start time', async () => {
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 30_000 });
    const readyElsewhere = (app: string): number => demoPods((p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp && condition(p, 'Ready') === 'True' && p.spec?.nodeName !== 'node-2').length;
    await until('replacements Ready', () => readyElsewhere('gateway') === 3 && readyElsewhere('customer-service') === 3 && readyElsewhere('store') === 1, 30_000);
    const elapsed = Date.now() - offAtMs;
    expect(elapsed, 'ms from power-off to every replacement Ready').to.be.below(GRACE_MS + TOLERATION_SEC * 1000 + 20_000);
    if (process.env.CRT_TEST_VERBOSE) process.stdout.write(`      power-off → replacements Ready: ${elapsed} ms\n`);
  });

  it('shows the lost pods Terminating and the node NotReady with kubectl while the node is away', async function () {
    requireKubectl(this);
    const pods = await kubectl('get', 'pods', '-n', 'demo');
    for (const p of lostPods.filter((x) => x.metadata.name !== 'pinned')) expect(pods).to.match(new RegExp(`${p.metadata.name}\\s+\\d/\\d\\s+Terminating`));
    expect(await kubectl('get', 'nodes')).to.match(/node-2\s+NotReady/);
  });

  it('returns the node to Ready on power-on, removes the taints and finishes the deletions', async () => {
    const on = await power('node-2', 'on');
    expect(on.body).to.include({ node: 'node-2', state: 'on' });
    expect(condition(cluster.store.peek('nodes', undefined, 'node-2'), 'Ready')).to.equal('True');
    await until('taints removed', async () => (await core.readNode({ name: 'node-2' })).spec?.taints === undefined, 5_000);
    const lost = lostPods.filter((p) => p.metadata.name !== 'pinned').map((p) => p.metadata.name!);
    await until('terminating pods gone', () => lost.every((n) => !cluster.store.peek('pods', 'demo', n)), 10_000);
    const reasons = (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=node-2' })).items.map((e) => e.reason);
    expect(reasons).to.include.members(['Starting', 'Rebooted', 'NodeReady']);
  });

  it('restarts a pod still bound to the node after power-on, restartCount + 1', async () => {
    const pinned = await until('pinned pod Ready again', async () => {
      const p = await core.readNamespacedPod({ namespace: 'demo', name: 'pinned' });
      return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p;
    }, 20_000);
    expect(pinned.status?.containerStatuses?.[0]?.restartCount).to.equal(1);
    expect(cluster.node('node-2')!.pids().length).to.equal(1);
  });

  it('schedules new pods on the node again after power-on', async () => {
    await core.createNamespacedPod({ namespace: 'demo', body: { ...pinnedPod, metadata: { name: 'after-power-on', namespace: 'demo' }, spec: { ...pinnedPod.spec, tolerations: [] } } });
    const pod = await until('new pod Running on node-2', async () => {
      const p = await core.readNamespacedPod({ namespace: 'demo', name: 'after-power-on' });
      return p.status?.phase === 'Running' && p;
    }, 20_000);
    expect(pod.spec?.nodeName).to.equal('node-2');
  });

  it('puts a live node and its pods back to Ready when they were declared lost during a stall', async () => {
    const victim = demoPods((p) => p.spec?.nodeName === 'node-1' && condition(p, 'Ready') === 'True')[0]!;
    cluster.store.mutate('nodes', undefined, 'node-1', (draft) => {
      for (const c of draft.status.conditions) Object.assign(c, { status: 'Unknown', reason: 'NodeStatusUnknown' });
    }, { subresource: 'status' });
    cluster.store.mutate('pods', 'demo', victim.metadata.name!, (draft) => {
      draft.status.conditions.find((c: any) => c.type === 'Ready').status = 'False';
    }, { subresource: 'status' });
    await until('node-1 and its pod Ready again', () =>
      condition(cluster.store.peek('nodes', undefined, 'node-1'), 'Ready') === 'True' && condition(cluster.store.peek('pods', 'demo', victim.metadata.name!), 'Ready') === 'True', 10_000);
    expect(cluster.store.peek('pods', 'demo', victim.metadata.name!)?.metadata.deletionTimestamp).to.equal(undefined);
  });
});
