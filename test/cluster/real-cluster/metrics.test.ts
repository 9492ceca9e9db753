import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { AutoscalingV2Api } from '@kubernetes/client-node';
import { kubeClients, type KubeClients } from '../../../src/kube/index.js';
import { RealCluster } from '../../../src/localcluster/real/index.js';
import { liveProcesses, requireRealControlPlane } from '../controlplane/real-binaries.js';
import { manifests } from '../../helpers/manifests.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const run = promisify(execFile);

interface PodMetricsItem {
  metadata: { namespace: string; labels: Record<string, string> };
  timestamp: string;
  window: string;
  containers: Array<{ name: string; usage: { cpu: string; memory: string } }>;
}

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

/** `workers` request loops until stop() or `maxMs`: each request burns CPU_MS of CPU in a pod. */
function driveLoad(url: string, workers: number, maxMs: number): { stop: () => Promise<number> } {
  let stopped = false;
  let sent = 0;
  const end = Date.now() + maxMs;
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped && Date.now() < end) {
      await get(url);
      sent++;
    }
  });
  return { stop: async () => { stopped = true; await Promise.all(loops); return sent; } };
}

/** The demo burning 20 ms of CPU per request, 100m requested, scaled by an HPA at 50 % between 1 and 3. */
const app = manifests(
  'apiVersion: v1\nkind: Namespace\nmetadata: {name: busy}\n',
  `apiVersion: apps/v1
kind: Deployment
metadata: {name: busy, namespace: busy}
spec:
  replicas: 1
  selector: {matchLabels: {app: busy}}
  template:
    metadata: {labels: {app: busy, tier: cpu}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: busy
          image: crt.io/demo:1.0
          args: [store]
          env: [{name: CPU_MS, value: '20'}, {name: LATENCY_MS, value: '0'}, {name: SHUTDOWN_DELAY_MS, value: '0'}]
          ports: [{name: http, containerPort: 8080}]
          resources: {requests: {cpu: 100m}}
          readinessProbe: {httpGet: {path: /readyz, port: http}, periodSeconds: 1}
`,
  'apiVersion: v1\nkind: Service\nmetadata: {name: busy, namespace: busy}\nspec:\n  selector: {app: busy}\n  ports: [{port: 80, targetPort: http}]\n',
  `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: busy, namespace: busy}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: busy}
  minReplicas: 1
  maxReplicas: 3
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]
`,
  // a user who may only view the namespace: the view role aggregates metrics-server's reader role
  `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewer, namespace: busy}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: viewer}]
`,
);

/**
 * metrics.k8s.io on the real control plane: crt's metrics-server behind kube-apiserver's aggregation layer,
 * read by `kubectl top` and by the real HPA controller (sync 1 s, metrics every 1 s, scale-down
 * stabilisation 3 s: the controller-manager's flags, shortened for the test).
 */
describe('metrics.k8s.io on the real control plane (crt\'s metrics-server behind the aggregation layer, the real HPA controller)', function () {
  this.timeout(240_000);
  let bin: string;
  let cluster: RealCluster;
  let kube: KubeClients;
  let autoscaling: AutoscalingV2Api;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let stateDir: string;
  const kubectl = async (...args: string[]): Promise<string> => (await run(path.join(bin, 'kubectl'), ['--kubeconfig', cluster.kubeconfig, ...args], { timeout: 30_000 })).stdout;
  const failure = async (...args: string[]): Promise<string> => kubectl(...args).then((out) => `unexpected success: ${out}`, (err: { stderr: string }) => err.stderr);
  const replicas = async (): Promise<number> => (await kube.apps.readNamespacedDeployment({ namespace: 'busy', name: 'busy' })).spec?.replicas ?? 0;

  before(async function () {
    bin = await requireRealControlPlane(this);
    work = await tempDir();
    stateDir = path.join(work.dir, 'state');
    const file = path.join(work.dir, 'busy.yaml');
    await writeFile(file, app);
    cluster = new RealCluster({
      nodes: 2, stateDir, binDir: bin, hpaSyncPeriodMs: 1000, hpaDownscaleStabilizationMs: 3000, metricsResolutionMs: 1000,
      onProgress: (line) => { if (process.env.CRT_TEST_FIGURES && line.includes('metrics.k8s.io')) process.stderr.write(`      ${line}\n`); },
    });
    await cluster.start();
    kube = kubeClients({ kubeconfig: cluster.kubeconfig });
    autoscaling = kube.kc.makeApiClient(AutoscalingV2Api);
    // an HPA is applied like anything else: no refusal in this mode any more
    const applied = await cluster.applyFiles([file]);
    expect(applied.map((o) => `${o.kind}/${o.name} ${o.action}`)).to.include('horizontalpodautoscaler/busy created');
    await cluster.waitUntilAvailable({ namespaces: ['busy'], timeoutMs: 90_000 });
  });

  after(async () => {
    if (!cluster) return;
    const pids = [...cluster.pids(), ...cluster.controlPlanePids()];
    await cluster.stop();
    expect(await liveProcesses(pids), 'pod or control-plane processes alive after stop').to.deep.equal([]);
    expect(existsSync(stateDir), 'state removed').to.equal(false);
    await work.remove();
  });

  it('the API server reports APIService v1beta1.metrics.k8s.io Available and serves its discovery', async () => {
    const available = await kubectl('get', 'apiservice', 'v1beta1.metrics.k8s.io', '-o', 'jsonpath={.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].reason} {.spec.service.namespace}/{.spec.service.name}');
    expect(available).to.equal('True Passed kube-system/metrics-server');
    // the aggregator's discovery of the group (what kubectl top looks for first) follows within its resync
    const resources = await until('metrics.k8s.io in discovery', async () => (await kubectl('api-resources', '--api-group=metrics.k8s.io', '-o', 'name')).trim(), 30_000, 500);
    expect(resources.split('\n').sort()).to.deep.equal(['nodes.metrics.k8s.io', 'pods.metrics.k8s.io']);
  });

  it('kubectl top nodes and pods show every node and the pods, from their processes\' CPU and memory', async () => {
    const pods = await until('a pod in kubectl top', async () => {
      const out = await kubectl('top', 'pods', '-n', 'busy', '--no-headers').catch(() => '');
      return out.trim() ? out.trim().split('\n').map((l) => l.split(/\s+/)) : undefined;
    }, 30_000, 500);
    const names = (await kube.core.listNamespacedPod({ namespace: 'busy' })).items.map((p) => p.metadata!.name!);
    expect(pods.map(([name]) => name)).to.deep.equal(names);
    // a Node.js process: some CPU, and tens of MiB resident
    const [, cpu, memory] = pods[0]!;
    expect(cpu).to.match(/^\d+m$/);
    expect(memory).to.match(/^\d+Mi$/);
    expect(Number(memory!.slice(0, -2))).to.be.within(10, 2000);
    const nodes = await until('both nodes in kubectl top', async () => {
      const out = await kubectl('top', 'nodes', '--no-headers').catch(() => '');
      const rows = out.trim().split('\n').filter(Boolean).map((l) => l.split(/\s+/));
      return rows.length === 2 ? rows : undefined;
    }, 30_000, 500);
    expect(nodes.map(([name]) => name)).to.deep.equal(['node-1', 'node-2']);
    for (const row of nodes) expect(row.slice(1, 5).join(' ')).to.match(/^\d+m \d+% \d+(Mi|Ki|Gi)? \d+%$/);
  });

  it('serves PodMetrics in metrics-server\'s shape, selected by label, and 404 for a pod without metrics', async () => {
    const list = JSON.parse(await kubectl('get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/busy/pods?labelSelector=tier%3Dcpu')) as { kind: string; apiVersion: string; items: unknown[] };
    expect(list).to.include({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1' });
    expect(list.items).to.have.length.of.at.least(1);
    const item = list.items[0] as PodMetricsItem;
    expect(Object.keys(item).sort()).to.deep.equal(['containers', 'metadata', 'timestamp', 'window']);
    expect(item.metadata).to.include({ namespace: 'busy' });
    expect(item.metadata.labels).to.include({ app: 'busy', tier: 'cpu' });
    expect(item.timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(item.window).to.match(/^\d+(\.\d+)?m?s$/);
    expect(item.containers).to.have.length(1);
    expect(item.containers[0]!.name).to.equal('busy');
    expect(item.containers[0]!.usage.cpu).to.match(/^\d+[num]?$/);
    expect(item.containers[0]!.usage.memory).to.match(/^\d+(Ki|Mi)$/);
    const none = JSON.parse(await kubectl('get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/busy/pods?labelSelector=tier%3Dnone'));
    expect(none.items).to.deep.equal([]);
    expect(await failure('get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/busy/pods/nope')).to.contain('podmetrics.metrics.k8s.io "nope" not found');
    const node = JSON.parse(await kubectl('get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes/node-1'));
    expect(node).to.include({ kind: 'NodeMetrics' });
    expect(node.metadata.labels).to.include({ 'kubernetes.io/hostname': 'node-1' });
  });

  it('lets a user read metrics as RBAC allows: a viewer of the namespace, and no one else', async () => {
    const out = await kubectl('top', 'pods', '-n', 'busy', '--as=viewer', '--no-headers');
    expect(out.trim().split('\n')).to.have.length.of.at.least(1);
    expect(await failure('top', 'pods', '-n', 'default', '--as=viewer')).to.match(/forbidden: User "viewer" cannot list resource "pods" in API group "metrics.k8s.io"/);
    expect(await failure('top', 'nodes', '--as=viewer')).to.match(/forbidden: User "viewer" cannot list resource "nodes" in API group "metrics.k8s.io"/);
  });

  it('the real HPA controller scales the Deployment up under CPU load, reports the utilisation, and scales back down', async () => {
    const idle = await until('the HPA\'s first utilisation', async () => {
      const h = await autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: 'busy', name: 'busy' });
      return h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization !== undefined ? h : undefined;
    }, 60_000, 500);
    expect(idle.status?.conditions?.find((c) => c.type === 'ScalingActive')).to.include({ status: 'True', reason: 'ValidMetricFound' });
    expect(idle.status?.currentReplicas).to.equal(1);
    const address = await cluster.serviceAddress('busy', 'busy');
    const load = driveLoad(`http://${address!.host}:${address!.port}/`, 6, 60_000);
    let peak = 1;
    // the highest utilisation the HPA reported under load (once it scales, the load spreads and it falls)
    let utilization = 0;
    const startedMs = Date.now();
    try {
      await until('a scale-up', async () => {
        const h = await autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: 'busy', name: 'busy' });
        utilization = Math.max(utilization, h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization ?? 0);
        peak = Math.max(peak, await replicas());
        return peak >= 2;
      }, 60_000, 250);
      // the controller scales, then writes the status that decided it (desiredReplicas and the utilisation that
      // passed the target): the read above may have come just before that write
      await until('the HPA\'s status of the scale-up', async () => {
        const h = await autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: 'busy', name: 'busy' });
        utilization = Math.max(utilization, h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization ?? 0);
        return (h.status?.desiredReplicas ?? 1) >= 2;
      }, 30_000, 100);
    } finally {
      await load.stop();
    }
    const stoppedMs = Date.now();
    const upMs = stoppedMs - startedMs;
    expect(utilization).to.be.above(50);
    const events = await kubectl('get', 'events', '-n', 'busy', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler,reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}');
    expect(events).to.match(/New size: [23]; reason: cpu resource utilization \(percentage of request\) above target/);
    const row = (await kubectl('get', 'hpa', 'busy', '-n', 'busy', '--no-headers')).trim().split(/\s{2,}/);
    expect(row[2]).to.match(/^cpu: \d+%\/50%$/);
    await until('the scale-down to minReplicas', async () => (await replicas()) === 1, 90_000, 500);
    if (process.env.CRT_TEST_FIGURES) process.stderr.write(`      scale-up to ${peak} in ${upMs} ms (utilisation ${utilization}%); back to 1 ${Date.now() - stoppedMs} ms after the load stopped\n`);
  });
});
