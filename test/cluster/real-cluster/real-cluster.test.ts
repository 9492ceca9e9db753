import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { kubeClients, NODE_SWITCH_ANNOTATION, type KubeClients } from '../../../src/kube/index.js';
import { RealCluster } from '../../../src/localcluster/real/index.js';
import { liveProcesses, requireRealControlPlane } from '../controlplane/real-binaries.js';
import { manifests, namespace, okDeployment, okService } from '../../helpers/manifests.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const run = promisify(execFile);

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return `${res.status} ${await res.text()}`;
}

/** The pods of `app: web`, with their node and phase. */
async function webPods(kube: KubeClients): Promise<Array<{ name: string; node?: string; ready: boolean; uid?: string; deleting: boolean }>> {
  const pods = await kube.core.listNamespacedPod({ namespace: 'demo', labelSelector: 'app=web' });
  return pods.items.map((p) => ({
    name: p.metadata!.name!, node: p.spec?.nodeName, uid: p.metadata?.uid, deleting: !!p.metadata?.deletionTimestamp,
    ready: !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  }));
}

describe('the embedded cluster on the real control plane (etcd, kube-apiserver, controller-manager, scheduler; crt kubelets and kube-proxy)', function () {
  this.timeout(240_000);
  let bin: string;
  let cluster: RealCluster;
  let kube: KubeClients;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let stateDir: string;

  before(async function () {
    bin = await requireRealControlPlane(this);
    work = await tempDir();
    stateDir = path.join(work.dir, 'state');
    const file = path.join(work.dir, 'web.yaml');
    await writeFile(file, manifests(namespace('demo'), okDeployment({ name: 'web', namespace: 'demo', replicas: 2 }), okService('web', 'demo')));
    // fast node-failure detection, as a plan's cluster.local.settings would set it
    cluster = new RealCluster({ nodes: 2, stateDir, binDir: bin, heartbeatMs: 1000, nodeMonitorPeriodMs: 1000, nodeMonitorGracePeriodMs: 5000, defaultTolerationSeconds: 2 });
    await cluster.start();
    kube = kubeClients({ kubeconfig: cluster.kubeconfig });
    await cluster.applyFiles([file]);
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 90_000 });
  });

  after(async () => {
    if (!cluster) return;
    const pids = [...cluster.pids(), ...cluster.controlPlanePids()];
    const fabric = cluster.fabricId;
    await cluster.stop();
    expect(await liveProcesses(pids), 'pod or control-plane processes alive after stop').to.deep.equal([]);
    expect(existsSync(stateDir), 'state removed').to.equal(false);
    const { stdout } = await run('ip', ['netns', 'list']);
    // this cluster's namespaces only: /run/netns is the machine's, and other clusters may run beside this one
    expect(fabric).to.match(/^r[0-9a-f]{8}$/);
    expect(stdout).not.to.contain(`crt-${fabric}-`);
    await work.remove();
  });

  it('registers the nodes with the real API server, with podCIDRs from the real node IPAM, and serves the Service from this machine', async () => {
    const { stdout } = await run(path.join(bin, 'kubectl'), ['--kubeconfig', cluster.kubeconfig, 'get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[0].address}{"\\n"}{end}']);
    const lines = stdout.trim().split('\n').map((l) => l.split(' '));
    expect(lines.map(([name, , address]) => `${name} ${address}`)).to.deep.equal(['node-1 198.18.0.11', 'node-2 198.18.0.12']);
    // the real node IPAM controller gives each node a /24 of 198.18.128.0/17, in the order the nodes registered
    const cidrs = lines.map(([, cidr]) => cidr).sort();
    expect(cidrs).to.deep.equal(['198.18.128.0/24', '198.18.129.0/24']);
    const pods = await webPods(kube);
    expect(pods).to.have.length(2);
    const full = await kube.core.listNamespacedPod({ namespace: 'demo' });
    for (const p of full.items) expect(p.status?.podIP).to.match(/^198\.18\.(128|129)\.\d+$/);
    const address = await cluster.serviceAddress('demo', 'web');
    expect(address?.host).to.match(/^127\./);
    expect(await get(`http://${address!.host}:${address!.port}/`)).to.equal('200 ok');
  });

  it('kubectl logs reaches crt\'s kubelet through the real API server (HTTPS, client certificates both ways)', async () => {
    const pod = (await webPods(kube))[0]!;
    const r = await run(path.join(bin, 'kubectl'), ['--kubeconfig', cluster.kubeconfig, 'logs', '-n', 'demo', pod.name]);
    expect(r.stdout).to.be.a('string');
    const missing = await run(path.join(bin, 'kubectl'), ['--kubeconfig', cluster.kubeconfig, 'logs', '-n', 'demo', pod.name, '-c', 'nope']).catch((err: { stderr: string }) => err);
    expect((missing).stderr).to.contain('container nope is not valid');
  });

  it('a deleted pod is replaced by the real ReplicaSet controller and the Service keeps answering', async () => {
    const before = await webPods(kube);
    await kube.core.deleteNamespacedPod({ namespace: 'demo', name: before[0]!.name });
    await until('a replacement Ready', async () => {
      const now = await webPods(kube);
      return now.filter((p) => p.ready && !p.deleting).length === 2 && !now.some((p) => p.name === before[0]!.name);
    }, 60_000, 200);
    const address = await cluster.serviceAddress('demo', 'web');
    await until('the Service routes to the new pod', async () => (await get(`http://${address!.host}:${address!.port}/`).catch(() => '')) === '200 ok', 20_000, 200);
  });

  it('a powered-off node goes NotReady by the real node lifecycle controller and its pods are evicted by taint eviction', async () => {
    const node = await kube.core.readNode({ name: 'node-2' });
    const base = node.metadata?.annotations?.[NODE_SWITCH_ANNOTATION];
    expect(base).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const onNode2 = (await webPods(kube)).filter((p) => p.node === 'node-2').map((p) => p.uid);
    const off = await fetch(`${base}/crt/v1/nodes/node-2/power`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"state":"off"}' });
    expect(off.status).to.equal(200);
    try {
      await until('node-2 NotReady with the unreachable taint', async () => {
        const n = await kube.core.readNode({ name: 'node-2' });
        return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'Unknown') && n.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable');
      }, 60_000, 250);
      await until('web back to 2 Ready pods, all on node-1', async () => {
        const now = await webPods(kube);
        const live = now.filter((p) => !p.deleting && p.node !== 'node-2');
        return live.length === 2 && live.every((p) => p.ready && p.node === 'node-1') && !now.some((p) => onNode2.includes(p.uid) && !p.deleting);
      }, 90_000, 250);
    } finally {
      const on = await fetch(`${base}/crt/v1/nodes/node-2/power`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"state":"on"}' });
      expect(on.status).to.equal(200);
    }
    await until('node-2 Ready again', async () => (await kube.core.readNode({ name: 'node-2' })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 60_000, 250);
  });
});
