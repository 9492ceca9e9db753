import { expect } from 'chai';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { until } from '../../helpers/until.js';
import { AutoscalingV2Api, PatchStrategy, PolicyV1Api, setHeaderOptions } from '@kubernetes/client-node';
import { silentLogger, systemClock } from '../../../src/core/index.js';
import { kubeClients, type KubeClients } from '../../../src/kube/index.js';
import { type LocalCluster, demoManifestPath } from '../../../src/localcluster/index.js';
import type { ProbeKind } from '../../../src/plan/schema-probes.js';
import { runProbe } from '../../../src/probes/index.js';
import type { ProbeResult } from '../../../src/results/types.js';

// Builtin control plane: it sets the builtin HPA controller's and metrics' periods (1 s) on a LocalCluster.
// The probes themselves run on both control planes in test/integration/probes/kube-probes-plan.test.ts, and
// the real HPA controller scaling from crt's metrics.k8s.io in test/integration/real-cluster/metrics.test.ts.
/**
 * The probes against statuses the embedded cluster's own controllers write: the disruption
 * controller's disruptionsAllowed, the HPA controller's currentReplicas, a Deployment's
 * observedGeneration through a scale.
 */
describe('Kubernetes probes on a running embedded cluster (demo system, real controllers)', function () {
  this.timeout(90_000);
  let cluster: LocalCluster;
  let test: TestCluster;
  let kube: KubeClients;

  const probe = (kind: ProbeKind, params: Record<string, unknown>, waitForMs = 0): Promise<ProbeResult> => runProbe(
    { kind, name: kind, description: null, timeoutMs: 5_000, waitForMs, params, location: { file: 'plan.yaml', line: 1, col: 1, path: 'probe' } },
    { clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: '.', kube, targets: { resolve: () => Promise.reject(new Error('unused')) } },
  );

  before(async () => {
    test = await startTestCluster({ nodes: 2, hpaSyncPeriodMs: 1_000, metricsResolutionMs: 1_000 });
    ({ cluster } = test);
    const { kubeconfig } = test;
    kube = kubeClients({ kubeconfig });
    await cluster.applyFiles([demoManifestPath]);
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 60_000 });
  });

  after(async () => {
    await test.stop();
  });

  it('waits for a scaled deployment to be available at its new generation', async () => {
    await kube.apps.patchNamespacedDeploymentScale({ name: 'store', namespace: 'demo', body: { spec: { replicas: 2 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const early = await probe('deployment-available', { namespace: 'demo', deployment: 'store' });
    expect(early.ok, early.detail).to.equal(false);
    const r = await probe('deployment-available', { namespace: 'demo', deployment: 'store' }, 30_000);
    expect(r.ok, r.detail).to.equal(true);
    expect(r.detail).to.match(/^store: 2\/2 ready, updated 2, generation 2\/2 \(after \d+ checks\)$/);
  });

  it('sees the disruption controller\'s disruptionsAllowed on the PDB covering the gateway', async () => {
    expect(await probe('pdb-exists', { namespace: 'demo', deployment: 'gateway' })).to.include({ ok: false });
    const policy = kube.kc.makeApiClient(PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({ namespace: 'demo', body: { metadata: { name: 'gateway' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'gateway' } } } } });
    let r: ProbeResult | undefined;
    await until('disruptionsAllowed 1 in the probe', async () => {
      r = await probe('pdb-exists', { namespace: 'demo', deployment: 'gateway' });
      return r.detail.includes('disruptionsAllowed 1');
    }, 15_000).catch(() => undefined);
    expect(r).to.include({ ok: true, detail: 'gateway: PDB gateway (minAvailable 2, disruptionsAllowed 1)' });
  });

  it('waits for the HPA controller to report the current replicas', async () => {
    const autoscaling = kube.kc.makeApiClient(AutoscalingV2Api);
    await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: 'demo',
      body: {
        metadata: { name: 'gateway' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' }, minReplicas: 3, maxReplicas: 6, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] },
      },
    });
    expect(await probe('hpa', { namespace: 'demo', workload: 'gateway', enabled: false })).to.include({ ok: false });
    const r = await probe('hpa', { namespace: 'demo', workload: 'gateway', minReplicas: 3, maxReplicas: 6, currentReplicas: 3 }, 20_000);
    expect(r.ok, r.detail).to.equal(true);
    expect(r.detail).to.match(/^HPA gateway → Deployment\/gateway: min 3, max 6, current 3, desired 3/);
  });
});
