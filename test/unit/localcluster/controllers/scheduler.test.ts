import { expect } from 'chai';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { ReplicaSetController } from '../../../../src/localcluster/controllers/replicaset-controller.js';
import { Scheduler } from '../../../../src/localcluster/controllers/scheduler.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { addNode, events, ManualClock, newStore, podSpec, podsOf, replicaSet, setNodeReady, settle } from './harness.js';

describe('Scheduler', () => {
  let clock: ManualClock;
  let store: Store;
  let scheduler: Scheduler;
  let replicaSets: ReplicaSetController;

  beforeEach(() => {
    clock = new ManualClock();
    store = newStore(clock);
    scheduler = new Scheduler(store, { timers: clock });
    replicaSets = new ReplicaSetController(store, { timers: clock });
    scheduler.start();
    replicaSets.start();
  });

  afterEach(() => {
    scheduler.stop();
    replicaSets.stop();
  });

  function pod(name: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = { app: 'solo' }): void {
    store.create('pods', 'demo', { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: podSpec(spec) });
  }

  const nodeOf = (name: string): string | undefined => store.peek('pods', 'demo', name)?.spec.nodeName;
  const scheduled = (name: string): any => store.peek('pods', 'demo', name)?.status?.conditions?.find((c: any) => c.type === 'PodScheduled');
  const threeNodes = (shapes: Record<string, Parameters<typeof addNode>[2]> = {}): void => {
    for (const n of ['node-1', 'node-2', 'node-3']) addNode(store, n, shapes[n]);
  };

  it('copies the node\'s topology labels onto the pod it binds, and no other node label (PodTopologyLabels admission)', async () => {
    addNode(store, 'node-1', { labels: { 'topology.kubernetes.io/zone': 'zone-a', 'topology.kubernetes.io/region': 'r1', disk: 'ssd' } });
    pod('web', {}, { app: 'web' });
    await settle();
    expect(nodeOf('web')).to.equal('node-1');
    expect(store.peek('pods', 'demo', 'web')!.metadata.labels).to.deep.equal({ app: 'web', 'topology.kubernetes.io/zone': 'zone-a', 'topology.kubernetes.io/region': 'r1' });
  });

  it('spreads the replicas of a ReplicaSet over the nodes', async () => {
    threeNodes();
    store.create('apps/replicasets', 'demo', replicaSet('web', 3, { app: 'web' }));
    await settle();
    const pods = podsOf(store, { app: 'web' });
    expect(pods.map((p) => p.spec.nodeName).sort()).to.deep.equal(['node-1', 'node-2', 'node-3']);
    for (const p of pods) expect(scheduled(p.metadata.name!)).to.include({ status: 'True' });
    expect(events(store, 'Scheduled').map((e) => e.message)).to.have.members(pods.map((p) => `Successfully assigned demo/${p.metadata.name} to ${p.spec.nodeName}`));
    expect(events(store, 'Scheduled')[0]!.source).to.deep.equal({ component: 'default-scheduler' });
  });

  it('places a pod on the node with the fewest pods, by name on ties', async () => {
    threeNodes();
    pod('a');
    await settle();
    pod('b', {}, { app: 'other' });
    await settle();
    expect([nodeOf('a'), nodeOf('b')]).to.deep.equal(['node-1', 'node-2']);
  });

  it('never places a pod on an unschedulable node', async () => {
    threeNodes({ 'node-2': { unschedulable: true } });
    store.create('apps/replicasets', 'demo', replicaSet('web', 4, { app: 'web' }));
    await settle();
    expect(podsOf(store, { app: 'web' }).map((p) => p.spec.nodeName).sort()).to.deep.equal(['node-1', 'node-1', 'node-3', 'node-3']);
  });

  it('keeps a pod off a tainted node unless it tolerates the taint', async () => {
    const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    threeNodes({ 'node-1': { taints: [taint] } });
    const onNode1 = { nodeSelector: { 'kubernetes.io/hostname': 'node-1' } };
    pod('plain', onNode1);
    pod('equal', { ...onNode1, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
    pod('wrong-value', { ...onNode1, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'cpu' }] });
    pod('everything', { ...onNode1, tolerations: [{ operator: 'Exists' }] });
    await settle();
    expect([nodeOf('plain'), nodeOf('equal'), nodeOf('wrong-value'), nodeOf('everything')]).to.deep.equal([undefined, 'node-1', undefined, 'node-1']);
    expect(scheduled('plain')).to.include({
      status: 'False', reason: 'Unschedulable',
      message: "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    });
    expect(store.peek('pods', 'demo', 'plain')!.status.phase).to.equal('Pending');
  });

  it('honours nodeSelector and required node affinity', async () => {
    threeNodes({ 'node-2': { labels: { disk: 'ssd', zone: 'b' } }, 'node-3': { labels: { disk: 'ssd', zone: 'c' } } });
    pod('selector', { nodeSelector: { disk: 'ssd', zone: 'c' } });
    const term = (exprs: unknown[]): unknown => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: exprs }] } } });
    pod('in', { affinity: term([{ key: 'zone', operator: 'In', values: ['b'] }]) });
    pod('not-in', { affinity: term([{ key: 'disk', operator: 'Exists' }, { key: 'zone', operator: 'NotIn', values: ['b'] }]) });
    pod('absent', { affinity: term([{ key: 'disk', operator: 'DoesNotExist' }]) });
    await settle();
    expect(['selector', 'in', 'not-in', 'absent'].map(nodeOf)).to.deep.equal(['node-3', 'node-2', 'node-3', 'node-1']);
  });

  it('leaves a replica Pending with FailedScheduling when required anti-affinity rules out every node', async () => {
    threeNodes();
    const affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    store.create('apps/replicasets', 'demo', replicaSet('web', 4, { app: 'web' }, { template: { metadata: { labels: { app: 'web' } }, spec: podSpec({ affinity }) } }));
    await settle();
    const pending = podsOf(store, { app: 'web' }).filter((p) => !p.spec.nodeName);
    expect(pending).to.have.length(1);
    const message = "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
    expect(scheduled(pending[0]!.metadata.name!)).to.include({ status: 'False', reason: 'Unschedulable', message });
    const failed = events(store, 'FailedScheduling');
    expect(failed.map((e) => [e.type, e.message, (e.involvedObject as any).name])).to.deep.equal([['Warning', message, pending[0]!.metadata.name]]);
    addNode(store, 'node-4');
    await settle();
    expect(nodeOf(pending[0]!.metadata.name!)).to.equal('node-4');
  });

  it('does not count a terminating pod against required anti-affinity', async () => {
    threeNodes({ 'node-2': { unschedulable: true }, 'node-3': { unschedulable: true } });
    const affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'solo' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    pod('first', { affinity });
    await settle();
    pod('second', { affinity });
    await settle();
    expect(nodeOf('second')).to.equal(undefined);
    store.delete('pods', 'demo', 'first');
    await settle();
    expect(nodeOf('second')).to.equal('node-1');
  });

  it('prefers a node its preferred anti-affinity allows over a node with fewer pods', async () => {
    threeNodes();
    const on = (node: string): Record<string, unknown> => ({ nodeSelector: { 'kubernetes.io/hostname': node } });
    pod('db', on('node-1'), { app: 'db' });
    for (const [name, node] of [['cache-a', 'node-2'], ['cache-b', 'node-2'], ['cache-c', 'node-3'], ['cache-d', 'node-3']]) pod(name!, on(node!), { app: 'cache' });
    await settle();
    const avoidDb = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' } }] } };
    pod('web', { affinity: avoidDb }, { app: 'web' });
    pod('plain', {}, { app: 'plain' });
    await settle();
    expect([nodeOf('web'), nodeOf('plain')]).to.deep.equal(['node-2', 'node-1']);
  });

  it('binds a Pending pod when a node becomes Ready', async () => {
    addNode(store, 'node-1', { ready: false });
    pod('waiting');
    await settle();
    expect(scheduled('waiting').message).to.equal('0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.');
    setNodeReady(store, 'node-1', true);
    await settle();
    expect(nodeOf('waiting')).to.equal('node-1');
    expect(scheduled('waiting')).to.include({ status: 'True' });
  });

  it('says so when the cluster has no nodes', async () => {
    pod('alone');
    await settle();
    expect(scheduled('alone')).to.include({ status: 'False', reason: 'Unschedulable', message: 'no nodes available to schedule pods' });
  });

  it('leaves pods of another scheduler alone', async () => {
    threeNodes();
    pod('custom', { schedulerName: 'my-scheduler' });
    await settle();
    const p: KObject = store.peek('pods', 'demo', 'custom')!;
    expect([p.spec.nodeName, p.status?.conditions]).to.deep.equal([undefined, undefined]);
  });

  it('does not repeat the same FailedScheduling event on every retry', async () => {
    threeNodes();
    pod('nowhere', { nodeSelector: { disk: 'none' } });
    await settle();
    for (let i = 0; i < 3; i++) {
      pod(`other-${i}`);
      await settle();
    }
    expect(events(store, 'FailedScheduling')).to.have.length(1);
    expect(events(store, 'FailedScheduling')[0]!.count).to.equal(1);
  });
});
