import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ApiKubelet } from '../../../src/localcluster/kubelet/index.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { alive } from '../../helpers/processes.js';
import { until } from '../../helpers/until.js';
import { makePki, type TestPki } from './tls.js';

const NODE = { name: 'node-1', ip: '127.1.0.1', zone: 'zone-a' };
const NS = 'default';

/**
 * The API kubelet against crt's builtin API server with no nodes of its own: everything the kubelet does
 * goes through @kubernetes/client-node, as it would against kube-apiserver.
 */
describe('ApiKubelet (against the builtin API server)', function () {
  this.timeout(60_000);
  let tc: TestCluster;
  let kubelet: ApiKubelet;
  let core: CoreV1Api;
  let pki: TestPki;
  const added: string[] = [];
  const removed: string[] = [];

  before(async () => {
    tc = await startTestCluster({ nodes: 0, nodeMonitorPeriodMs: 200, nodeMonitorGracePeriodMs: 2000, heartbeatMs: 500 });
    const kc = new KubeConfig();
    kc.loadFromFile(tc.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    pki = await makePki(tc.tmp.dir, NODE);
    kubelet = new ApiKubelet({
      kubeconfig: tc.kubeconfig, node: NODE, stateDir: path.join(tc.tmp.dir, 'kubelet'),
      heartbeatMs: 300, leaseDurationSeconds: 2, podCIDR: '127.10.1.0/24',
      backoff: { initialMs: 100, maxMs: 1000 },
      // what a network namespace would need: every program spawned through a wrapper that execs in place
      pods: {
        wrap: (file, args) => ({ file: '/usr/bin/env', args: ['CRT_WRAPPED=yes', file, ...args] }),
        addAddress: async (ip) => void added.push(ip),
        removeAddress: async (ip) => void removed.push(ip),
      },
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCaPem: pki.caPem },
    });
    await kubelet.start();
  });

  after(async () => {
    const pids = kubelet?.pids() ?? [];
    await kubelet?.stop();
    expect(pids.filter(alive), 'pod processes alive after the kubelet stopped').to.deep.equal([]);
    await tc?.stop();
  });

  const leaseRenewTime = async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(tc.kubeconfig);
    const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: NODE.name, namespace: 'kube-node-lease' });
    return String(lease.spec?.renewTime);
  };
  const nodeReady = async () => (await core.readNode({ name: NODE.name })).status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const podsOf = async (app: string) => (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items;
  const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

  it('registers its Node with labels, addresses, capacity, the kubelet endpoint and a boot id', async () => {
    const node = await core.readNode({ name: NODE.name });
    expect(node.metadata?.labels).to.include({ 'kubernetes.io/hostname': NODE.name, 'topology.kubernetes.io/zone': 'zone-a' });
    expect(Object.keys(node.metadata?.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/'))).to.deep.equal([]);
    expect(node.status?.addresses).to.deep.equal([{ type: 'InternalIP', address: NODE.ip }, { type: 'Hostname', address: NODE.name }]);
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).to.equal(10250);
    expect(node.status?.capacity).to.have.keys('cpu', 'memory', 'pods', 'ephemeral-storage');
    expect(node.status?.allocatable).to.deep.equal(node.status?.capacity);
    expect(node.status?.nodeInfo?.bootID).to.match(/^[0-9a-f-]{36}$/);
    expect(await nodeReady()).to.equal('True');
    const events = (await core.listNamespacedEvent({ namespace: 'default' })).items.filter((e) => e.involvedObject.kind === 'Node' && e.involvedObject.name === NODE.name);
    expect(events.map((e) => e.reason)).to.include.members(['Starting', 'NodeReady']);
    expect(events[0]?.source).to.deep.equal({ component: 'kubelet', host: NODE.name });
  });

  it('renews its Lease in kube-node-lease, held by the node', async () => {
    const first = await leaseRenewTime();
    await until('the lease renewed', async () => (await leaseRenewTime()) !== first, 5000);
    const kc = new KubeConfig();
    kc.loadFromFile(tc.kubeconfig);
    const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: NODE.name, namespace: 'kube-node-lease' });
    expect(lease.spec?.holderIdentity).to.equal(NODE.name);
    expect(lease.spec?.leaseDurationSeconds).to.equal(2);
    expect(lease.metadata?.ownerReferences?.[0]).to.include({ kind: 'Node', name: NODE.name });
  });

  it("runs a Deployment's pods as processes, Ready with pod IPs from the podCIDR that answer HTTP", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(tc.kubeconfig);
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: NS, body: webDeployment(2) });
    const pods = await until('2 web pods Ready', async () => {
      const ps = await podsOf('web');
      return ps.length === 2 && ps.every(isReady) && ps;
    });
    for (const p of pods) {
      expect(p.spec?.nodeName).to.equal(NODE.name);
      expect(p.status?.podIP).to.match(/^127\.10\.1\.\d+$/);
      expect(p.status?.podIPs).to.deep.equal([{ ip: p.status?.podIP }]);
      expect(p.status?.hostIP).to.equal(NODE.ip);
      expect(p.status?.containerStatuses?.[0]).to.include({ ready: true, restartCount: 0 });
      expect(await httpStatus(`http://${p.status!.podIP}:8080/healthz`)).to.equal(200);
    }
    expect(new Set(pods.map((p) => p.status?.podIP)).size).to.equal(2);
    expect(kubelet.pids().filter(alive)).to.have.length(2);
    const started = (await core.listNamespacedEvent({ namespace: NS })).items.filter((e) => e.reason === 'Started' && e.involvedObject.name === pods[0]!.metadata!.name);
    expect(started).to.have.length(1);
    expect(started[0]).to.deep.include({ source: { component: 'kubelet', host: NODE.name } });
    expect(started[0]!.involvedObject).to.include({ kind: 'Pod', uid: pods[0]!.metadata!.uid, fieldPath: 'spec.containers{web}' });
  });

  it('serves container logs over HTTPS to client certificates of its CA, and follows appended lines', async () => {
    const pod = await runShellPod('logger', 'echo line-1; echo line-2; trap "exit 0" TERM; while :; do if [ -e more ]; then echo line-3; rm more; fi; sleep 0.1; done');
    const url = `https://${NODE.ip}:10250/containerLogs/${NS}/logger/main`;
    await until('both first lines logged', async () => (await kubeletGet(url, pki.client)).body === 'line-1\nline-2\n', 5000);
    expect(await kubeletGet(`${url}?tailLines=1`, pki.client)).to.deep.equal({ status: 200, body: 'line-2\n' });
    expect(await kubeletGet(`https://${NODE.ip}:10250/containerLogs/${NS}/nosuch/main`, pki.client)).to.deep.include({ status: 404 });
    expect(await kubeletGet(`https://${NODE.ip}:10250/healthz`, pki.client)).to.deep.equal({ status: 200, body: 'ok' });
    const refused = await kubeletGet(url, pki.stranger).then(() => 'answered', (err: Error) => err.message);
    expect(refused).to.not.equal('answered');
    const anonymous = await kubeletGet(url, undefined).then(() => 'answered', (err: Error) => err.message);
    expect(anonymous).to.not.equal('answered');

    const followed: string[] = [];
    const req = https.get(`${url}?follow=true`, { ca: pki.caPem, cert: pki.client.certPem, key: pki.client.keyPem }, (res) => res.on('data', (c: Buffer) => followed.push(c.toString())));
    try {
      await until('the follow shows the first lines', () => followed.join('') === 'line-1\nline-2\n', 5000);
      await writeFile(path.join(tc.tmp.dir, 'kubelet', 'pods', `${NS}_logger_${pod.metadata!.uid}`, 'more'), '');
      await until('the follow shows the appended line', () => followed.join('') === 'line-1\nline-2\nline-3\n', 5000);
    } finally {
      req.destroy();
    }
  });

  it('finishes a graceful deletion: SIGTERM to the process, then the pod object goes', async () => {
    await runShellPod('graceful', 'trap "echo got-TERM; exit 0" TERM; echo ready; while :; do sleep 0.1; done');
    const pod = await until('graceful Running', async () => {
      const p = await core.readNamespacedPod({ name: 'graceful', namespace: NS });
      return isReady(p) && p;
    });
    const pid = Number(/^crt:\/\/(\d+)$/.exec(pod.status!.containerStatuses![0]!.containerID!)![1]);
    expect(alive(pid)).to.equal(true);
    const log = path.join(tc.tmp.dir, 'kubelet', 'pods', `${NS}_graceful_${pod.metadata!.uid}`, 'logs', 'main', '0.log');
    await core.deleteNamespacedPod({ name: 'graceful', namespace: NS, gracePeriodSeconds: 10 });
    await until('the pod object gone', () => core.readNamespacedPod({ name: 'graceful', namespace: NS }).then(() => false, () => true), 10_000);
    expect(alive(pid)).to.equal(false);
    // the group gets the SIGTERM: sh reports its `sleep` Terminated, then its trap runs
    expect(await readFile(log, 'utf8')).to.match(/^ready\n(Terminated\n)?got-TERM\n$/);
  });

  it('spawns containers and exec probes through pods.wrap, and adds and removes each pod IP through the hooks', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wrapped' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{
            name: 'main', image: 'busybox', command: ['sh', '-c', 'echo "wrapped=$CRT_WRAPPED"; exec sleep 600'],
            // passes only when the probe runs through the wrapper: the container's env does not set it
            readinessProbe: { exec: { command: ['sh', '-c', 'test "$CRT_WRAPPED" = yes'] }, periodSeconds: 0.2 },
          }],
        },
      },
    });
    const pod = await until('wrapped Ready', async () => {
      const p = await core.readNamespacedPod({ name: 'wrapped', namespace: NS });
      return isReady(p) && p;
    }, 10_000);
    const ip = pod.status!.podIP!;
    expect(added).to.include(ip);
    expect(removed).to.not.include(ip);
    const log = path.join(tc.tmp.dir, 'kubelet', 'pods', `${NS}_wrapped_${pod.metadata!.uid}`, 'logs', 'main', '0.log');
    expect(await readFile(log, 'utf8')).to.equal('wrapped=yes\n');
    await core.deleteNamespacedPod({ name: 'wrapped', namespace: NS });
    await until('the wrapped pod gone and its address removed', async () => removed.includes(ip) && core.readNamespacedPod({ name: 'wrapped', namespace: NS }).then(() => false, () => true), 10_000);
  });

  it('power off kills every pod process and stops the lease; power on restarts the bound pods with restartCount + 1', async () => {
    const before = await podsOf('web');
    const bootBefore = (await core.readNode({ name: NODE.name })).status?.nodeInfo?.bootID;
    const running = kubelet.pids();
    const killed = await kubelet.powerOff();
    expect(killed.sort()).to.deep.equal(running.sort());
    expect(killed.filter(alive)).to.deep.equal([]);
    expect(kubelet.power.state).to.equal('off');
    const renewed = await leaseRenewTime();
    // the builtin node lifecycle controller sees the silence after its 2 s grace
    await until('the node Unknown', async () => (await nodeReady()) === 'Unknown', 10_000);
    expect(await leaseRenewTime()).to.equal(renewed);
    const bound = await podsOf('web');
    expect(bound.map((p) => p.metadata?.uid).sort()).to.deep.equal(before.map((p) => p.metadata?.uid).sort());
    expect(bound.every((p) => p.status?.phase === 'Running' && p.spec?.nodeName === NODE.name)).to.equal(true);

    kubelet.powerOn();
    const after = await until('web pods Ready again with restartCount 1', async () => {
      const ps = await podsOf('web');
      return ps.length === 2 && ps.every((p) => isReady(p) && p.status?.containerStatuses?.[0]?.restartCount === 1) && ps;
    }, 20_000);
    expect(after.map((p) => p.metadata?.uid).sort()).to.deep.equal(before.map((p) => p.metadata?.uid).sort());
    expect(await nodeReady()).to.equal('True');
    expect((await core.readNode({ name: NODE.name })).status?.nodeInfo?.bootID).to.not.equal(bootBefore);
    expect(await leaseRenewTime()).to.not.equal(renewed);
    for (const p of after) expect(await httpStatus(`http://${p.status!.podIP}:8080/healthz`)).to.equal(200);
  });

  it('link down keeps processes running but stops every API interaction; link up finishes a deletion asked meanwhile and stops a pod force-deleted meanwhile', async () => {
    const [keep, drop] = await podsOf('web');
    const pidsBefore = kubelet.pids();
    kubelet.linkDown();
    const renewed = await leaseRenewTime();
    await until('the node Unknown', async () => (await nodeReady()) === 'Unknown', 10_000);
    expect(await leaseRenewTime()).to.equal(renewed);
    expect(pidsBefore.filter(alive)).to.deep.equal(pidsBefore);
    // the API asks for a deletion the cut-off kubelet cannot see
    await core.deleteNamespacedPod({ name: drop!.metadata!.name!, namespace: NS, gracePeriodSeconds: 5 });
    const pending = await core.readNamespacedPod({ name: drop!.metadata!.name!, namespace: NS });
    expect(pending.metadata?.deletionTimestamp).to.not.equal(undefined);
    // and a force deletion: the pod object goes at once, its process keeps running until the kubelet relists
    const logger = await core.readNamespacedPod({ name: 'logger', namespace: NS });
    const loggerPid = Number(/^crt:\/\/(\d+)$/.exec(logger.status!.containerStatuses![0]!.containerID!)![1]);
    await core.deleteNamespacedPod({ name: 'logger', namespace: NS, gracePeriodSeconds: 0 });
    expect(alive(loggerPid)).to.equal(true);

    kubelet.linkUp();
    await until('the dropped pod gone', () => core.readNamespacedPod({ name: drop!.metadata!.name!, namespace: NS }).then(() => false, () => true), 15_000);
    await until('the node Ready', async () => (await nodeReady()) === 'True', 5000);
    await until('the force-deleted pod\'s process gone', () => !alive(loggerPid), 5000);
    const kept = await core.readNamespacedPod({ name: keep!.metadata!.name!, namespace: NS });
    expect(kept.status?.containerStatuses?.[0]?.restartCount).to.equal(1);
    expect(kept.status?.containerStatuses?.[0]?.containerID).to.equal(keep!.status?.containerStatuses?.[0]?.containerID);
  });

  it('reports a pod it cannot give an address as FailedCreatePodSandBox (a podCIDR outside the allowed ranges)', async () => {
    const other = new ApiKubelet({ kubeconfig: tc.kubeconfig, node: { name: 'node-2', ip: '127.1.0.2' }, stateDir: path.join(tc.tmp.dir, 'kubelet-2'), podCIDR: '10.244.2.0/24' });
    try {
      await other.start();
      await core.createNamespacedPod({
        namespace: NS,
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'no-address' }, spec: { nodeName: 'node-2', containers: [{ name: 'main', image: 'busybox', command: ['sleep', '60'] }] } },
      });
      const event = await until('the FailedCreatePodSandBox event', async () => (await core.listNamespacedEvent({ namespace: NS })).items.find((e) => e.involvedObject.name === 'no-address' && e.reason === 'FailedCreatePodSandBox'));
      expect(event.type).to.equal('Warning');
      expect(event.message).to.equal('Failed to create pod sandbox: kubelet: podCIDR 10.244.2.0/24 is outside 127.0.0.0/8 and 198.18.0.0/15');
      expect(event.source).to.deep.equal({ component: 'kubelet', host: 'node-2' });
      expect(other.pids()).to.deep.equal([]);
      expect((await core.readNamespacedPod({ name: 'no-address', namespace: NS })).status?.phase).to.equal('Pending');
    } finally {
      await other.stop();
    }
  });

  async function runShellPod(name: string, script: string): Promise<V1Pod> {
    await core.createNamespacedPod({
      namespace: NS,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 10, containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }] } },
    });
    return until(`${name} running on the node`, async () => {
      const p = await core.readNamespacedPod({ name, namespace: NS });
      return p.status?.phase === 'Running' && p;
    }, 10_000);
  }
});

function webDeployment(replicas: number) {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS },
    spec: {
      replicas, selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [{
            name: 'web', image: 'crt.io/demo:1.0', args: ['store'], ports: [{ name: 'http', containerPort: 8080 }],
            env: [{ name: 'SHUTDOWN_DELAY_MS', value: '0' }],
            readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
          }],
        },
      },
    },
  };
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

function kubeletGet(url: string, client: { certPem: string; keyPem: string } | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const creds = client ? { cert: client.certPem, key: client.keyPem } : {};
    https.get(url, { agent: false, ca: undefined, rejectUnauthorized: false, ...creds }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}
