import path from 'node:path';
import { action } from '../../helpers/action.js';
import { expect } from 'chai';
import { AutoscalingV2Api } from '@kubernetes/client-node';
import { silentLogger, systemClock, type Clock } from '../../../src/core/index.js';
import { faultDefinition, FaultError, type FaultContext, type RevertRecord } from '../../../src/faults/index.js';
import { kubeClients, type KubeClients } from '../../../src/kube/index.js';
import { type LocalCluster, demoManifestPath } from '../../../src/localcluster/index.js';
import type { ActionSpec } from '../../../src/plan/types.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { settle } from '../../helpers/manual-clock.js';
import { alive } from '../../helpers/processes.js';
import { until } from '../../helpers/until.js';



/** A fresh context, as a second process reverting from the journal would build it. */
function context(kube: KubeClients | undefined): FaultContext {
  return { runId: 'it', caseId: 'C-1', step: 'step', clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: '.', ...(kube ? { kube } : {}) };
}

async function expectFaultError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).to.be.instanceOf(FaultError);
  expect((err as Error).message).to.match(pattern);
}

// Builtin control plane only: its assertions read the builtin API server's store and its audit records,
// which the real kube-apiserver does not offer; the same faults run on both control planes through plans
// in test/integration/runner/kube-faults-plan.test.ts and test/cli/revert.test.ts.
describe('pod-kill, scale and rollout on the embedded cluster running the demo', function () {
  this.timeout(60_000);
  let cluster: LocalCluster;
  let test: TestCluster;
  let tmp: TestCluster['tmp'];
  let kube: KubeClients;
  const live = (app: string) => cluster.store.snapshot('pods', 'demo', (p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp);
  const readyCount = (app: string) => live(app).filter((p) => (p.status?.conditions as { type: string; status: string }[] | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  const run = async (kind: ActionSpec['kind'], params: Record<string, unknown>) => {
    const plan = await faultDefinition(kind)!.create(action(kind, params)).plan(context(kube));
    return { plan, out: await plan.apply() };
  };
  const revertFromJson = (record: RevertRecord | null) =>
    faultDefinition(record!.fault)!.revert(JSON.parse(JSON.stringify(record)) as RevertRecord, context(kubeClients({ kubeconfig: path.join(tmp.dir, 'kubeconfig') })));

  before(async () => {
    test = await startTestCluster({ nodes: 3 });
    ({ cluster, tmp } = test);
    kube = kubeClients({ kubeconfig: path.join(tmp.dir, 'kubeconfig') });
    await cluster.applyFiles([demoManifestPath]);
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 40_000 });
  });

  after(async () => {
    await test.stop();
  });

  it('kills one gateway pod: its process ends, and a replacement becomes Ready', async () => {
    const plan = await faultDefinition('pod-kill')!.create(action('pod-kill', { namespace: 'demo', selector: 'app=gateway', count: 1, gracePeriodSeconds: 0, seed: 7 })).plan(context(kube));
    expect(plan.revert).to.equal(null);
    expect(plan.targets).to.have.length(1);
    const victim = plan.targets[0]!.replace('pod/demo/', '');
    const node = live('gateway').find((p) => p.metadata.name === victim)!.spec.nodeName as string;
    const othersBefore = cluster.nodes.filter((n) => n.name !== node).flatMap((n) => n.pids());
    const victimNodeBefore = cluster.node(node)!.pids();
    const out = await plan.apply();
    const data = out.data as { killed: { pod: string; node: string }[]; replacementsReadyAfterMs: number | null; replacements: string[]; seed: number };
    expect(data.seed).to.equal(7);
    expect(data.killed).to.deep.equal([{ pod: victim, node }]);
    expect(data.replacementsReadyAfterMs).to.be.a('number');
    expect(data.replacements).to.have.length(1).and.not.include(victim);
    expect(cluster.store.snapshot('pods', 'demo', (p) => p.metadata.name === victim)).to.deep.equal([]);
    await until('a process of the victim\'s node ended', () => victimNodeBefore.some((pid) => !alive(pid)));
    expect(othersBefore.filter((pid) => !alive(pid)), 'processes of other nodes ended').to.deep.equal([]);
    expect(readyCount('gateway')).to.equal(3);
  });

  it('kills again at each repeat interval until the run stops its live handle; a revert from the journal has nothing to stop', async () => {
    const def = faultDefinition('pod-kill')!;
    // the system clock, counting the sleeps under way: a repeat loop still waiting to kill again shows as one
    let sleeping = 0;
    const clock: Clock = { ...systemClock, sleep: async (ms, signal) => {
      sleeping++;
      try {
        await systemClock.sleep(ms, signal);
      } finally {
        sleeping--;
      }
    } };
    const ctx = { ...context(kube), clock };
    const plan = await def.create(action('pod-kill', { namespace: 'demo', selector: 'app=customer-service', gracePeriodSeconds: 0, repeat: 'every 1s', seed: 3 })).plan(ctx);
    expect(plan.revert).to.deep.include({ fault: 'pod-kill', repeatKey: 'it/C-1/step' });
    const created = new Set<string>();
    const seen = () => live('customer-service').forEach((p) => created.add(p.metadata.name as string));
    seen();
    const applied = await plan.apply();
    await until('two repeat rounds', async () => { seen(); return created.size >= 3 + 3; }, 10_000);
    const stopped = await applied.live!.stop();
    expect(await applied.live!.stop(), 'a second stop says the same').to.equal(stopped);
    expect(stopped).to.match(/stopped the repeat after [2-9]\d* more round\(s\), [2-9]\d* more pod\(s\) killed/);
    expect(await def.revert(plan.revert!, ctx)).to.equal('no repeat running in this process: nothing to stop');
    await until('three customer-service pods Ready', () => readyCount('customer-service') === 3);
    expect(sleeping, 'no repeat waiting to kill again').to.equal(0);
    const names = live('customer-service').map((p) => p.metadata.name).sort();
    await settle();
    expect(live('customer-service').map((p) => p.metadata.name).sort(), 'no kill after the revert').to.deep.equal(names);
  });

  it('refuses a kill above maxPercent before touching any pod', async () => {
    const before = live('gateway').map((p) => p.metadata.name).sort();
    const def = faultDefinition('pod-kill')!;
    await expectFaultError(def.create(action('pod-kill', { namespace: 'demo', selector: 'app=gateway', count: 2, maxPercent: '50%' })).plan(context(kube)), /refused: killing 2 of 3 pods is 67%, above maxPercent 50%/);
    expect(live('gateway').map((p) => p.metadata.name).sort()).to.deep.equal(before);
  });

  it('sees a replacement with the killed pod\'s name and a new UID (a StatefulSet\'s), and waits for none when no controller owns the pod', async () => {
    // The embedded cluster serves no StatefulSets: the test recreates db-0 under its name, as the StatefulSet
    // controller does, and a ConfigMap stands in for the owner (the garbage collector deletes pods whose owner is gone).
    cluster.apply([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'db', namespace: 'demo' }, data: {} }]);
    const ownerUid = cluster.store.get('configmaps', 'demo', 'db').metadata.uid!;
    const dbPod = (): Parameters<LocalCluster['apply']>[0][number] => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'db-0', namespace: 'demo', labels: { app: 'db' }, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'db', uid: ownerUid, controller: true }] },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'store', image: 'crt.io/demo:1.0', args: ['store'] }] },
    });
    cluster.apply([dbPod()]);
    await until('db-0 Ready', () => readyCount('db') === 1).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(cluster.store.peek('pods', 'demo', 'db-0')?.status)}`);
    });
    const oldUid = live('db')[0]!.metadata.uid;
    // the StatefulSet controller's part: db-0 again, under its name, once the old one is gone
    const stopController = cluster.store.watch('pods', 'demo', {}, (e) => {
      if (e.type === 'DELETED' && e.object.metadata.name === 'db-0') cluster.apply([dbPod()]);
    });
    try {
      const { out } = await run('pod-kill', { namespace: 'demo', names: ['db-0'], gracePeriodSeconds: 0 });
      expect(out.data).to.deep.include({ replacements: ['db-0'] });
      expect(out.data!.replacementsReadyAfterMs).to.be.a('number');
      expect(out.detail).to.match(/^killed db-0; replacements Ready after \d+ ms$/);
      expect(live('db')[0]!.metadata.uid).to.not.equal(oldUid);
    } finally {
      stopController();
    }
    await kube.core.deleteNamespacedPod({ namespace: 'demo', name: 'db-0', gracePeriodSeconds: 0 });
    cluster.apply([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lonely', namespace: 'demo', labels: { app: 'lonely' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'store', image: 'crt.io/demo:1.0', args: ['store'] }] } }]);
    await until('lonely runs', () => live('lonely').length === 1);
    const started = Date.now();
    const { out } = await run('pod-kill', { namespace: 'demo', selector: 'app=lonely', gracePeriodSeconds: 0 });
    expect(out.detail).to.equal('killed lonely; no replacement expected (no controller owns the pods)');
    expect(Date.now() - started, 'no 30 s wait for a replacement that cannot come').to.be.below(10_000);
  });

  it('refuses to scale a deployment an HPA scales, naming the step, and one KEDA scales, changing nothing', async () => {
    cluster.apply([{
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'cs', namespace: 'demo' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'customer-service' }, minReplicas: 3, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 90 } } }] },
    }]);
    const replicas = () => cluster.store.get('apps/deployments', 'demo', 'customer-service').spec?.replicas as number;
    const before = replicas();
    const err = await faultDefinition('scale')!.create(action('scale', { namespace: 'demo', workload: 'deployment/customer-service', replicas: 1 })).plan(context(kube)).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(FaultError);
    expect((err as Error).message).to.equal('plan.yaml:1:1 trigger[0]: scale refused: deployment/customer-service in demo is scaled by hpa/cs: it would set the replicas back within 15 s (its sync period)');
    expect((err as FaultError).detail).to.equal('hint: scale hpa/cs with minReplicas/maxReplicas instead');
    cluster.apply([{
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'cs', namespace: 'demo', ownerReferences: [{ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: 'cs-so', uid: 'so-1', controller: true }] },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'customer-service' }, minReplicas: 3, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 90 } } }] },
    }]);
    await expectFaultError(faultDefinition('scale')!.create(action('scale', { namespace: 'demo', workload: 'hpa/cs', minReplicas: 4 })).plan(context(kube)),
      /^plan\.yaml:1:1 trigger\[0\]: scale refused: hpa\/cs in demo is scaled by KEDA \(ScaledObject demo\/cs-so, through hpa\/cs\)/);
    expect(replicas()).to.equal(before);
    expect(cluster.store.get('autoscaling/horizontalpodautoscalers', 'demo', 'cs').spec?.minReplicas).to.equal(3);
    await kube.kc.makeApiClient(AutoscalingV2Api).deleteNamespacedHorizontalPodAutoscaler({ namespace: 'demo', name: 'cs' });
  });

  it('says a Kubernetes fault needs a cluster when the plan has none', async () => {
    await expectFaultError(faultDefinition('scale')!.create(action('scale', { workload: 'deployment/x', replicas: 1 })).plan(context(undefined)), /scale needs a cluster/);
  });

  it('says the embedded cluster does not support scaling a statefulset', async () => {
    await expectFaultError(faultDefinition('scale')!.create(action('scale', { namespace: 'demo', workload: 'statefulset/db', replicas: 1 })).plan(context(kube)), /not supported by the cluster at http/);
  });

  it('scales customer-service from 3 to 1, and the revert from its JSON record restores 3', async () => {
    const { plan } = await run('scale', { namespace: 'demo', workload: 'deployment/customer-service', replicas: 1 });
    expect(plan.revert).to.deep.include({ kind: 'deployment', name: 'customer-service', previous: { replicas: 3 } });
    await until('one customer-service pod left', () => live('customer-service').length === 1);
    expect(await revertFromJson(plan.revert)).to.match(/back to 3 replica/);
    await until('three customer-service pods Ready again', () => readyCount('customer-service') === 3);
  });

  it('sets an environment variable on customer-service through a rollout, and the revert removes it', async () => {
    const envOf = (p: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } }) => p.spec?.containers?.[0]?.env ?? [];
    const { plan } = await run('rollout', { namespace: 'demo', deployment: 'customer-service', action: 'env', env: { CRT_CHAOS: 'on' }, timeout: '40s' });
    expect(plan.summary).to.contain('customer-service env CRT_CHAOS');
    const pods = live('customer-service');
    expect(pods).to.have.length(3);
    for (const p of pods) expect(envOf(p)).to.deep.include({ name: 'CRT_CHAOS', value: 'on' }).and.deep.include({ name: 'SHUTDOWN_DELAY_MS', value: '3000' });
    await revertFromJson(plan.revert);
    await until('no customer-service pod with CRT_CHAOS', () => live('customer-service').every((p) => !envOf(p).some((e) => e.name === 'CRT_CHAOS')));
  });

  it('rolls the gateway to a new image, and the revert from its JSON record puts the old image back', async () => {
    const image = () => cluster.store.get('apps/deployments', 'demo', 'gateway').spec.template.spec.containers[0].image as string;
    const podImages = () => new Set(live('gateway').map((p) => p.spec.containers[0].image as string));
    const { plan, out } = await run('rollout', { namespace: 'demo', deployment: 'gateway', action: 'image', image: 'crt.io/demo:1.1', timeout: '40s' });
    expect(out.detail).to.match(/rolled out in/);
    expect(image()).to.equal('crt.io/demo:1.1');
    expect([...podImages()]).to.deep.equal(['crt.io/demo:1.1']);
    expect(plan.revert).to.deep.include({ fault: 'rollout', revision: '1' });
    expect(await revertFromJson(plan.revert)).to.match(/rolled back to the template of revision 1/);
    expect(image()).to.equal('crt.io/demo:1.0');
    await until('only old-image pods', () => podImages().size === 1 && podImages().has('crt.io/demo:1.0'));
    expect(readyCount('gateway')).to.equal(3);
  });

  it('changes an HPA\'s minReplicas and maxReplicas, and the revert from its JSON record restores them', async () => {
    const hpaSpec = () => cluster.store.get('autoscaling/horizontalpodautoscalers', 'demo', 'store-hpa').spec as { minReplicas: number; maxReplicas: number };
    cluster.apply([{
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'store-hpa', namespace: 'demo' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'store' }, minReplicas: 1, maxReplicas: 1, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 90 } } }] },
    }]);
    const { plan } = await run('scale', { namespace: 'demo', workload: 'hpa/store-hpa', minReplicas: 2, maxReplicas: 4 });
    expect(plan.summary).to.equal('scale hpa/store-hpa in demo from min 1, max 1 to min 2, max 4');
    expect(hpaSpec()).to.include({ minReplicas: 2, maxReplicas: 4 });
    expect(await revertFromJson(plan.revert)).to.equal('hpa/store-hpa in demo back to min 1, max 1');
    expect(hpaSpec()).to.include({ minReplicas: 1, maxReplicas: 1 });
  });
});
