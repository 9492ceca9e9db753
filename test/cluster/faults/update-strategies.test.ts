import path from 'node:path';
import { action } from '../../helpers/action.js';
import { expect } from 'chai';
import { silentLogger, systemClock } from '../../../src/core/index.js';
import { faultDefinition, type FaultContext, type RevertRecord } from '../../../src/faults/index.js';
import { kubeClients, type KubeClients } from '../../../src/kube/index.js';
import { type LocalCluster, demoManifestPath } from '../../../src/localcluster/index.js';
import type { ActionSpec } from '../../../src/plan/types.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { until } from '../../helpers/until.js';


function context(kube: KubeClients): FaultContext {
  return { runId: 'it', caseId: 'C-1', step: 'step', clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: '.', kube, hostEnv: {} };
}

// Builtin control plane only: it reads the builtin API server's store (Endpoints, pods) directly.
describe('switch, recreate and zone picks on the embedded cluster running the demo', function () {
  this.timeout(90_000);
  let cluster: LocalCluster;
  let test: TestCluster;
  let tmp: TestCluster['tmp'];
  let kube: KubeClients;
  const inject = async (kind: ActionSpec['kind'], params: Record<string, unknown>) => {
    const plan = await faultDefinition(kind)!.create(action(kind, params)).plan(context(kube));
    return { plan, out: await plan.apply() };
  };
  // as `crt revert` would: from the record's JSON, with fresh clients
  const revertFromJson = (record: RevertRecord | null) =>
    faultDefinition(record!.fault)!.revert(JSON.parse(JSON.stringify(record)) as RevertRecord, context(kubeClients({ kubeconfig: path.join(tmp.dir, 'kubeconfig') })));
  const endpoints = () => {
    const eps = cluster.store.snapshot('endpoints', 'demo', (e) => e.metadata.name === 'gateway')[0] as { subsets?: Array<{ addresses?: Array<{ targetRef?: { name: string } }> }> } | undefined;
    return (eps?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.targetRef?.name ?? '')).sort();
  };

  before(async () => {
    test = await startTestCluster({ nodes: 3 });
    ({ cluster, tmp } = test);
    kube = kubeClients({ kubeconfig: path.join(tmp.dir, 'kubeconfig') });
    await cluster.applyFiles([demoManifestPath, path.join(path.dirname(demoManifestPath), 'gateway-canary.yaml')]);
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 40_000 });
  });

  after(async () => {
    await test.stop();
  });

  it('switches the gateway Service to the green pods, measuring the gap, and the revert from JSON switches it back', async () => {
    await inject('scale', { namespace: 'demo', workload: 'deployment/gateway-canary', replicas: 2 });
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 40_000 });
    const green = cluster.store.snapshot('pods', 'demo', (p) => p.metadata.labels?.track === 'canary').map((p) => p.metadata.name as string).sort();
    expect(green).to.have.length(2);
    const { plan, out } = await inject('switch', { namespace: 'demo', service: 'gateway', selector: { app: 'gateway', track: 'canary' } });
    expect(plan.summary).to.equal('switch service demo/gateway from app=gateway to app=gateway,track=canary');
    expect(out.data?.switchGapMs).to.be.a('number');
    expect(out.data?.noEndpointMs).to.equal(0);
    await until('endpoints of the green pods only', () => endpoints().join() === green.join(), 10_000);
    const said = await revertFromJson(plan.revert);
    expect(said).to.match(/^service demo\/gateway switched back to app=gateway: endpoints switched in \d+\.\d s/);
    const svc = await kube.core.readNamespacedService({ namespace: 'demo', name: 'gateway' });
    expect(svc.spec?.selector).to.deep.equal({ app: 'gateway' });
    await until('endpoints of blue and green', () => endpoints().length === 5, 10_000);
  });

  it('recreates customer-service with an outage measured, and the revert puts its template and RollingUpdate back', async () => {
    const before = await kube.apps.readNamespacedDeployment({ namespace: 'demo', name: 'customer-service' });
    expect(before.spec?.strategy?.type).to.equal('RollingUpdate');
    const { plan, out } = await inject('rollout', { namespace: 'demo', deployment: 'customer-service', action: 'env', env: { CRT_RECREATED: '1' }, strategy: 'recreate', timeout: '60s' });
    expect(out.data).to.deep.include({ strategy: 'Recreate' });
    expect(out.data?.outageMs).to.be.greaterThan(0);
    expect((await kube.apps.readNamespacedDeployment({ namespace: 'demo', name: 'customer-service' })).spec?.strategy).to.deep.equal({ type: 'Recreate' });
    await revertFromJson(plan.revert);
    const after = await kube.apps.readNamespacedDeployment({ namespace: 'demo', name: 'customer-service' });
    expect(after.spec?.strategy).to.deep.equal(before.spec?.strategy);
    expect(after.spec?.template?.spec?.containers[0]?.env?.some((e) => e.name === 'CRT_RECREATED')).to.equal(false);
  });

  it('drains every node of zone-b under maxPercent, and the revert uncordons it', async () => {
    const { plan } = await inject('node-drain', { zone: 'zone-b', maxPercent: '34%', ignoreDaemonSets: true, timeout: '60s' });
    expect(plan.targets).to.deep.equal(['node/node-2']);
    expect((await kube.core.readNode({ name: 'node-2' })).spec?.unschedulable).to.equal(true);
    await revertFromJson(plan.revert);
    expect((await kube.core.readNode({ name: 'node-2' })).spec?.unschedulable).to.equal(undefined);
  });
});
