import { execFile } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { LocalCluster } from '../../../src/localcluster/index.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { requireKubectl } from '../../helpers/kubectl.js';
import { until } from '../../helpers/until.js';

const exec = promisify(execFile);


function get(url: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', () => resolve());
    req.on('timeout', () => req.destroy());
  });
}

/** `workers` concurrent request loops until `stop()` (or `maxMs`): each request burns CPU_MS in a pod. */
function driveLoad(url: string, workers: number, maxMs: number): { stop: () => Promise<number> } {
  let stopped = false;
  let sent = 0;
  const until = Date.now() + maxMs;
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped && Date.now() < until) {
      await get(url);
      sent++;
    }
  });
  return { stop: async () => { stopped = true; await Promise.all(loops); return sent; } };
}

const cpuApp = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'busy', namespace: 'default' },
  spec: {
    replicas: 2, selector: { matchLabels: { app: 'busy' } },
    template: {
      metadata: { labels: { app: 'busy' } },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [{
          name: 'busy', image: 'crt.io/demo:1.0', args: ['store'],
          env: [{ name: 'CPU_MS', value: '20' }, { name: 'LATENCY_MS', value: '0' }, { name: 'SHUTDOWN_DELAY_MS', value: '0' }],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { requests: { cpu: '100m' } },
          readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1, failureThreshold: 3 },
        }],
      },
    },
  },
};

/**
 * The HorizontalPodAutoscaler on the embedded cluster: a demo Deployment burning 20 ms of CPU per request,
 * scaled on the pods' real CPU time (sync 1 s, metrics every 1 s, scale-down stabilisation 3 s).
 */
describe('embedded cluster HorizontalPodAutoscaler (real CPU time, client-node, kubectl)', function () {
  this.timeout(90_000);
  let cluster: LocalCluster;
  let test: TestCluster;
  let kubeconfig: string;
  let autoscaling: AutoscalingV2Api;
  let apps: AppsV1Api;
  let url: string;
  const kubectl = async (...args: string[]): Promise<string> => (await exec('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 })).stdout;
  const replicas = async (): Promise<number> => (await apps.readNamespacedDeployment({ name: 'busy', namespace: 'default' })).spec?.replicas ?? 0;

  before(async () => {
    test = await startTestCluster({
      nodes: 2, hpaSyncPeriodMs: 1_000, hpaDownscaleStabilizationMs: 3_000, metricsResolutionMs: 1_000,
    });
    ({ cluster } = test);
    kubeconfig = test.kubeconfig;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    autoscaling = kc.makeApiClient(AutoscalingV2Api);
    apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'busy' }, spec: { selector: { app: 'busy' }, ports: [{ port: 80, targetPort: 'http' }] } } });
    await apps.createNamespacedDeployment({ namespace: 'default', body: cpuApp });
    await cluster.waitUntilAvailable({ namespaces: ['default'], timeoutMs: 30_000 });
    const address = await cluster.serviceAddress('default', 'busy');
    url = `http://${address!.host}:${address!.port}/`;
  });

  after(async () => {
    await test.stop();
  });

  it('reports <unknown> targets before the first metrics and defaults the HPA', async function () {
    await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: 'default',
      body: {
        metadata: { name: 'busy' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'busy' }, minReplicas: 2, maxReplicas: 5,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        },
      },
    });
    const hpa = cluster.store.peek('autoscaling/horizontalpodautoscalers', 'default', 'busy');
    expect(hpa?.spec?.behavior).to.equal(undefined);
    requireKubectl(this);
    const out = await kubectl('get', 'hpa', 'busy');
    const [header, row] = out.trim().split('\n');
    expect(header!.split(/\s{2,}/)).to.deep.equal(['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    expect(row!.split(/\s{2,}/).slice(0, 5)).to.deep.equal(['busy', 'Deployment/busy', 'cpu: <unknown>/50%', '2', '5']);
  });

  it('measures the idle pods\' utilisation and keeps minReplicas', async () => {
    const hpa = await until('idle metrics', async () => {
      const h = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'busy', namespace: 'default' });
      return h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization !== undefined ? h : undefined;
    }, 30_000);
    expect(hpa.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization).to.be.below(45);
    expect(hpa.status?.conditions?.find((c) => c.type === 'ScalingActive')).to.include({ status: 'True', reason: 'ValidMetricFound' });
    expect(hpa.status).to.include({ currentReplicas: 2, desiredReplicas: 2 });
  });

  it('scales the Deployment up under CPU-heavy load, then back down to minReplicas after it stops', async function () {
    const load = driveLoad(url, 6, 20_000);
    let peak = 2;
    let utilization: number | undefined;
    const startedMs = Date.now();
    try {
      await until('a scale-up', async () => {
        peak = Math.max(peak, await replicas());
        return peak >= 4;
      }, 20_000);
      utilization = (await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'busy', namespace: 'default' })).status?.currentMetrics?.[0]?.resource?.current?.averageUtilization;
    } finally {
      await load.stop();
    }
    const upMs = Date.now() - startedMs;
    expect(utilization).to.be.above(55);
    const rescales = (await kubectl('get', 'events', '--field-selector', 'involvedObject.name=busy,reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}').catch(() => ''));
    if (rescales) expect(rescales).to.match(/New size: [3-5]; reason: cpu resource utilization \(percentage of request\) above target/);
    const downFromMs = Date.now();
    await until('the scale-down to minReplicas', async () => (await replicas()) === 2, 40_000);
    if (process.env.CRT_TEST_FIGURES) process.stderr.write(`      scale-up to ${peak} in ${upMs} ms; back to 2 in ${Date.now() - downFromMs} ms\n`);
    const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'busy', namespace: 'default' });
    expect(hpa.status?.lastScaleTime).to.be.instanceOf(Date);
    expect(hpa.status?.desiredReplicas).to.equal(2);
    requireKubectl(this);
    const row = (await kubectl('get', 'hpa', 'busy', '--no-headers')).trim().split(/\s{2,}/);
    expect(row[2]).to.match(/^cpu: \d+%\/50%$/);
  });
});
