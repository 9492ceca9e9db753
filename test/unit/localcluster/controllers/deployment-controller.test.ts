import { expect } from 'chai';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { ControllerManager } from '../../../../src/localcluster/controllers/controller-manager.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { addNode, deployment, events, FakeKubelets, ManualClock, newStore, podsOf, settle } from './harness.js';

const REVISION = 'deployment.kubernetes.io/revision';

/** kubectl's DeploymentStatusViewer.Status (polymorphichelpers/rollout_status.go). */
function rolloutStatus(d: KObject): { message: string; done: boolean } {
  const s = d.status ?? {};
  const want = d.spec.replicas;
  if ((d.metadata.generation ?? 0) > (s.observedGeneration ?? 0)) return { message: 'Waiting for deployment spec update to be observed...', done: false };
  const progressing = (s.conditions ?? []).find((c: any) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') throw new Error(`deployment "${d.metadata.name}" exceeded its progress deadline`);
  const name = d.metadata.name;
  if ((s.updatedReplicas ?? 0) < want) return { message: `Waiting for deployment "${name}" rollout to finish: ${s.updatedReplicas ?? 0} out of ${want} new replicas have been updated...`, done: false };
  if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) return { message: `Waiting for deployment "${name}" rollout to finish: ${s.replicas - s.updatedReplicas} old replicas are pending termination...`, done: false };
  if ((s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0)) return { message: `Waiting for deployment "${name}" rollout to finish: ${s.availableReplicas ?? 0} of ${s.updatedReplicas} updated replicas are available...`, done: false };
  return { message: `deployment "${name}" successfully rolled out`, done: true };
}

describe('DeploymentController', () => {
  let clock: ManualClock;
  let store: Store;
  let manager: ControllerManager;
  let kubelets: FakeKubelets;

  function setUp(kubeletOpts: { autoReady?: boolean; autoTerminate?: boolean }): void {
    kubelets = new FakeKubelets(store, kubeletOpts);
    kubelets.start();
  }

  beforeEach(() => {
    clock = new ManualClock();
    store = newStore(clock);
    for (const n of ['node-1', 'node-2', 'node-3']) addNode(store, n);
    manager = new ControllerManager(store, { timers: clock });
    manager.start();
  });

  afterEach(() => {
    manager.stop();
    kubelets.stop();
  });

  const deploy = (): KObject => store.peek('apps/deployments', 'demo', 'web')!;
  const replicaSets = (): KObject[] => store.snapshot('apps/replicasets', 'demo');
  const size = (rs: KObject | undefined): number => rs?.spec.replicas;
  const bump = (image: string): void => {
    store.mutate('apps/deployments', 'demo', 'web', (d) => { d.spec.template.spec.containers[0].image = image; });
  };
  const rsFor = (image: string): KObject | undefined => replicaSets().find((rs) => rs.spec.template.spec.containers[0].image === image);

  /** Lets the controllers and kubelets run until the rollout reports done (or `rounds` pass). */
  async function rollOut(rounds = 20): Promise<void> {
    for (let i = 0; i < rounds && !rolloutStatus(deploy()).done; i++) {
      await settle();
      kubelets.readyAll();
      kubelets.finishTerminating();
    }
    await settle();
  }

  it('creates a ReplicaSet named after the pod-template-hash, at revision 1', async () => {
    setUp({ autoReady: true, autoTerminate: true });
    store.create('apps/deployments', 'demo', deployment('web', 3));
    await settle();
    const [rs] = replicaSets();
    const hash = rs!.metadata.labels!['pod-template-hash']!;
    expect(rs!.metadata.name).to.equal(`web-${hash}`);
    expect(rs!.spec.selector.matchLabels).to.deep.equal({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec.template.metadata.labels).to.deep.equal({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata.annotations).to.deep.include({ [REVISION]: '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
    expect(rs!.metadata.ownerReferences![0]).to.include({ kind: 'Deployment', name: 'web', controller: true });
    expect(deploy().metadata.annotations?.[REVISION]).to.equal('1');
    expect(events(store, 'ScalingReplicaSet').map((e) => e.message)).to.deep.equal([`Scaled up replica set ${rs!.metadata.name} from 0 to 3`]);
    expect(podsOf(store, { app: 'web' })).to.have.length(3);
  });

  it('reports the status kubectl rollout status waits for', async () => {
    setUp({ autoReady: false, autoTerminate: true });
    store.create('apps/deployments', 'demo', deployment('web', 3));
    await settle();
    expect(rolloutStatus(deploy()).message).to.equal('Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...');
    kubelets.readyAll();
    await settle();
    expect(rolloutStatus(deploy())).to.deep.equal({ message: 'deployment "web" successfully rolled out', done: true });
    const { status } = deploy();
    expect(status).to.include({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 });
    const byType = Object.fromEntries(status.conditions.map((c: any) => [c.type, c]));
    expect(byType.Available).to.include({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    const rsName = replicaSets()[0]!.metadata.name;
    expect(byType.Progressing).to.include({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` });
    expect(byType.Progressing.lastUpdateTime).to.equal('2026-12-07T12:00:00Z');
  });

  it('rolls out with maxSurge=1/maxUnavailable=0 one pod at a time, never below the desired ready count', async () => {
    setUp({ autoReady: false, autoTerminate: true });
    store.create('apps/deployments', 'demo', deployment('web', 3, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    await rollOut();
    let minReady = Infinity;
    let maxLive = 0;
    const live = (): KObject[] => podsOf(store, { app: 'web' }).filter((p) => !p.metadata.deletionTimestamp);
    const stopWatching = store.onChange(() => {
      minReady = Math.min(minReady, live().filter((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length);
      maxLive = Math.max(maxLive, live().length);
    });
    bump('demo/app:2');
    const sizes: string[] = [];
    for (let i = 0; i < 10 && !rolloutStatus(deploy()).done; i++) {
      await settle();
      sizes.push(`${size(rsFor('demo/app:1'))}/${size(rsFor('demo/app:2'))}`);
      kubelets.readyAll();
    }
    stopWatching();
    expect(sizes).to.deep.equal(['3/1', '2/2', '1/3', '0/3']);
    expect(minReady).to.equal(3);
    expect(maxLive).to.equal(4);
    expect(rolloutStatus(deploy()).done).to.equal(true);
  });

  it('recreates: scales the old ReplicaSet to zero and waits for its pods to be gone', async () => {
    setUp({ autoReady: true, autoTerminate: false });
    store.create('apps/deployments', 'demo', deployment('web', 2, { strategy: { type: 'Recreate' } }));
    await settle();
    bump('demo/app:2');
    await settle();
    expect(size(rsFor('demo/app:1'))).to.equal(0);
    expect(rsFor('demo/app:2')).to.equal(undefined);
    expect(podsOf(store, { app: 'web' }).every((p) => p.metadata.deletionTimestamp)).to.equal(true);
    kubelets.finishTerminating();
    await settle();
    expect(size(rsFor('demo/app:2'))).to.equal(2);
    await rollOut();
    expect(podsOf(store, { app: 'web' }).map((p) => p.spec.containers[0].image)).to.deep.equal(['demo/app:2', 'demo/app:2']);
  });

  it('rolls out a restart (restartedAt annotation) as revision 2', async () => {
    setUp({ autoReady: true, autoTerminate: true });
    store.create('apps/deployments', 'demo', deployment('web', 2));
    await rollOut();
    const first = replicaSets()[0]!.metadata.name;
    store.mutate('apps/deployments', 'demo', 'web', (d) => {
      d.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2025-03-01T10:00:00Z' };
    });
    await rollOut();
    const second = replicaSets().find((rs) => rs.metadata.name !== first)!;
    expect(second.metadata.annotations![REVISION]).to.equal('2');
    expect(size(store.peek('apps/replicasets', 'demo', first!))).to.equal(0);
    expect(podsOf(store, { app: 'web' }).map((p) => p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'])).to.deep.equal(['2025-03-01T10:00:00Z', '2025-03-01T10:00:00Z']);
    expect(deploy().metadata.annotations?.[REVISION]).to.equal('2');
  });

  it('undoes back to revision 1 by reusing its ReplicaSet under revision 3', async () => {
    setUp({ autoReady: true, autoTerminate: true });
    store.create('apps/deployments', 'demo', deployment('web', 2));
    await rollOut();
    const original = replicaSets()[0]!;
    bump('demo/app:2');
    await rollOut();
    // What `kubectl rollout undo` sends: the old ReplicaSet's template without its pod-template-hash label.
    store.mutate('apps/deployments', 'demo', 'web', (d) => {
      d.spec.template = structuredClone(original.spec.template);
      delete d.spec.template.metadata.labels['pod-template-hash'];
    });
    await rollOut();
    expect(replicaSets()).to.have.length(2);
    const reused = store.peek('apps/replicasets', 'demo', original.metadata.name!)!;
    expect(reused.metadata.annotations).to.include({ [REVISION]: '3', 'deployment.kubernetes.io/revision-history': '1' });
    expect(size(reused)).to.equal(2);
    expect(deploy().metadata.annotations?.[REVISION]).to.equal('3');
  });

  it('deletes old zero-sized ReplicaSets beyond revisionHistoryLimit', async () => {
    setUp({ autoReady: true, autoTerminate: true });
    store.create('apps/deployments', 'demo', deployment('web', 1, { revisionHistoryLimit: 1 }));
    await rollOut();
    for (const image of ['demo/app:2', 'demo/app:3', 'demo/app:4']) {
      bump(image);
      await rollOut();
    }
    await settle();
    expect(replicaSets().map((rs) => rs.spec.template.spec.containers[0].image).sort()).to.deep.equal(['demo/app:3', 'demo/app:4']);
  });

  it('marks Progressing=False ProgressDeadlineExceeded when no progress is made in time', async () => {
    setUp({ autoReady: false, autoTerminate: true });
    store.create('apps/deployments', 'demo', deployment('web', 2, { progressDeadlineSeconds: 30 }));
    await settle();
    await clock.advance(29_000);
    await settle();
    expect(deploy().status.conditions.find((c: any) => c.type === 'Progressing')).to.include({ status: 'True', reason: 'ReplicaSetUpdated' });
    await clock.advance(3_000);
    await settle();
    const cond = deploy().status.conditions.find((c: any) => c.type === 'Progressing');
    expect(cond).to.include({ status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${replicaSets()[0]!.metadata.name}" has timed out progressing.` });
    expect(() => rolloutStatus(deploy())).to.throw('deployment "web" exceeded its progress deadline');
  });

  it('does not roll out a paused Deployment until it is resumed', async () => {
    setUp({ autoReady: true, autoTerminate: true });
    store.create('apps/deployments', 'demo', deployment('web', 2));
    await rollOut();
    store.mutate('apps/deployments', 'demo', 'web', (d) => { d.spec.paused = true; });
    bump('demo/app:2');
    await settle();
    expect(replicaSets()).to.have.length(1);
    expect(deploy().status.conditions.find((c: any) => c.type === 'Progressing')).to.include({ status: 'Unknown', reason: 'DeploymentPaused' });
    store.mutate('apps/deployments', 'demo', 'web', (d) => { d.spec.paused = false; });
    await rollOut();
    expect(size(rsFor('demo/app:2'))).to.equal(2);
  });

  it('scales the only ReplicaSet with the Deployment', async () => {
    setUp({ autoReady: true, autoTerminate: true });
    store.create('apps/deployments', 'demo', deployment('web', 3));
    await rollOut();
    store.mutate('apps/deployments', 'demo', 'web', (d) => { d.spec.replicas = 5; });
    await rollOut();
    const rs = replicaSets()[0]!;
    expect(size(rs)).to.equal(5);
    expect(events(store, 'ScalingReplicaSet').map((e) => e.message)).to.include(`Scaled up replica set ${rs.metadata.name} from 3 to 5`);
  });

  it('scales old and new ReplicaSets proportionally mid-rollout', async () => {
    setUp({ autoReady: false, autoTerminate: true });
    store.create('apps/deployments', 'demo', deployment('web', 3, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    await settle();
    kubelets.readyAll();
    await settle();
    bump('demo/app:2');
    await settle();
    expect([size(rsFor('demo/app:1')), size(rsFor('demo/app:2'))]).to.deep.equal([3, 1]);
    store.mutate('apps/deployments', 'demo', 'web', (d) => { d.spec.replicas = 6; });
    await settle();
    expect([size(rsFor('demo/app:1')), size(rsFor('demo/app:2'))]).to.deep.equal([5, 2]);
  });
});
