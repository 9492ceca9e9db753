import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  ApiextensionsV1Api, AppsV1Api, AuthenticationV1Api, AuthorizationV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubeConfig, Watch, type V1Node,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import { ControlPlane } from '../../../src/localcluster/controlplane/index.js';
import { leftoverPodProcesses } from '../../../src/localcluster/index.js';
import { apiError } from '../../helpers/api-error.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { liveProcesses, requireKubernetes } from './real-binaries.js';

const exec = promisify(execFile);

function client(kubeconfigFile: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigFile);
  return kc;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

const nodeObject = (name: string): V1Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });

describe('ControlPlane: the real control plane as child processes', function () {
  this.timeout(180_000);
  let bin: string;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let cp: ControlPlane;
  let endpoint: Awaited<ReturnType<ControlPlane['start']>>;
  const progress: string[] = [];
  let admin: KubeConfig;

  before(async function () {
    bin = await requireKubernetes(this);
    tmp = await tempDir('crt-cp-');
    cp = new ControlPlane({ binDir: bin, stateDir: path.join(tmp.dir, 'state'), onProgress: (l) => progress.push(l), defaultTolerationSeconds: 7 });
    endpoint = await cp.start();
    admin = client(endpoint.adminKubeconfig);
  });

  after(async () => {
    await cp?.stop();
    await tmp?.remove();
  });

  it('starts etcd, kube-apiserver, kube-controller-manager and kube-scheduler, saying so step by step', () => {
    expect(cp.pids).to.have.length(4);
    expect(endpoint.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) expect(progress).to.include.members([`control plane: ${name} ready`]);
    expect(progress.at(-1)).to.match(/^control plane: ready in \d+\.\d s$/);
  });

  it('runs the real ReplicaSet controller: a Deployment gets a Pod, which stays Pending for want of a node', async () => {
    const apps = admin.makeApiClient(AppsV1Api);
    const core = admin.makeApiClient(CoreV1Api);
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: { metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] } } } },
    });
    const pod = await until('the ReplicaSet controller to create a pod, and the scheduler to find no node for it', async () => {
      const pods = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' });
      const p = pods.items[0];
      const scheduled = p?.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return scheduled?.status === 'False' && p;
    }, 60_000, 250);
    expect(pod.status?.phase).to.equal('Pending');
    expect(pod.spec?.nodeName).to.equal(undefined);
    expect(pod.metadata?.ownerReferences?.[0]?.kind).to.equal('ReplicaSet');
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.reason).to.equal('Unschedulable');
    // the DefaultTolerationSeconds admission plugin took the option
    expect(pod.spec?.tolerations?.find((t) => t.key === 'node.kubernetes.io/unreachable')?.tolerationSeconds).to.equal(7);
  });

  it('refuses a ConfigMap over the real 1 MiB limit', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const { code, body } = await apiError(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'big' }, data: { blob: 'x'.repeat(1024 * 1024 + 1) } } }));
    expect([422, 413]).to.include(code);
    expect(JSON.stringify(body)).to.match(/1048576|too large/);
    expect((await apiError(core.readNamespacedConfigMap({ namespace: 'default', name: 'big' }))).code).to.equal(404);
  });

  it('answers a watch from a resourceVersion older than the watch cache with 410 Gone', async () => {
    // a CRD's watch cache starts at the etcd revision of the CRD's creation: resourceVersion 1 is older
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.crt.test' }, spec: {
      group: 'crt.test', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    } };
    const ext = admin.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: crd });
    await until('the CRD to be established', async () => (await ext.readCustomResourceDefinition({ name: crd.metadata.name })).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
    const custom = admin.makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({ group: 'crt.test', version: 'v1', namespace: 'default', plural: 'widgets', body: { apiVersion: 'crt.test/v1', kind: 'Widget', metadata: { name: 'w1' } } });
    const events: { type: string; obj: { code?: number; reason?: string; message?: string } }[] = [];
    const req = await new Watch(admin).watch('/apis/crt.test/v1/namespaces/default/widgets', { resourceVersion: '1' }, (type, obj: (typeof events)[number]['obj']) => events.push({ type, obj }), () => {});
    try {
      await until('the watch to answer', () => events.length > 0, 20_000);
    } finally {
      req.abort();
    }
    expect(events.map((e) => [e.type, e.obj.code, e.obj.reason])).to.deep.equal([['ERROR', 410, 'Expired']]);
    expect(events[0]!.obj.message).to.match(/^too old resource version: 1 \(\d+\)$/);
  });

  it('gives a node credentials that create its own Node but not another (NodeRestriction: 403)', async () => {
    const creds = await cp.nodeCredentials('node-a', ['198.18.0.2']);
    const core = client(creds.kubeconfig).makeApiClient(CoreV1Api);
    const created = await core.createNode({ body: nodeObject('node-a') });
    expect(created.metadata?.name).to.equal('node-a');
    const refused = await apiError(core.createNode({ body: nodeObject('node-b') }));
    expect(refused.code).to.equal(403);
    expect(refused.body.message).to.include('node-b');
    expect((await apiError(admin.makeApiClient(CoreV1Api).readNode({ name: 'node-b' }))).code).to.equal(404);
    expect(creds.caPem).to.equal(endpoint.caPem);
    expect(creds.servingCertPem).to.match(/^-----BEGIN CERTIFICATE-----/);
  });

  it('authenticates a ServiceAccount token, and RBAC refuses what the account was not granted', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'tester' } } });
    const { status } = await core.createNamespacedServiceAccountToken({ namespace: 'default', name: 'tester', body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: endpoint.url, caData: Buffer.from(endpoint.caPem).toString('base64') }],
      users: [{ name: 'sa', token: status!.token }],
      contexts: [{ name: 'c', cluster: 'c', user: 'sa' }],
      currentContext: 'c',
    });
    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).to.equal('system:serviceaccount:default:tester');
    expect((await apiError(kc.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: 'kube-system' }))).code).to.equal(403);
  });

  it('binds the API server\'s kubelet client to system:kubelet-api-admin, and kube-proxy\'s user to its bootstrap role', async () => {
    const authz = admin.makeApiClient(AuthorizationV1Api);
    const can = async (user: string, resource: string, subresource?: string) => (await authz.createSubjectAccessReview({
      body: { spec: { user, resourceAttributes: { verb: 'get', resource, ...(subresource ? { subresource } : {}), name: 'node-a' } } },
    })).status?.allowed;
    expect(await can('kube-apiserver-kubelet-client', 'nodes', 'proxy')).to.equal(true);
    expect(await can('kube-apiserver-kubelet-client', 'secrets')).to.equal(false);
    const proxy = client(cp.proxyKubeconfig());
    expect((await proxy.makeApiClient(DiscoveryV1Api).listEndpointSliceForAllNamespaces()).items).to.be.an('array');
    expect((await apiError(proxy.makeApiClient(CoreV1Api).listSecretForAllNamespaces())).code).to.equal(403);
  });

  it('works with kubectl of the same release and the admin kubeconfig', async () => {
    const { stdout } = await exec(path.join(bin, 'kubectl'), ['--kubeconfig', endpoint.adminKubeconfig, 'get', 'ns', '-o', 'name']);
    expect(stdout.split('\n')).to.include.members(['namespace/default', 'namespace/kube-system', 'namespace/kube-public']);
  });

  it('marks its processes so that the orphan scan finds them after a crash', () => {
    expect(leftoverPodProcesses(path.join(tmp.dir, 'state')).sort()).to.deep.equal([...cp.pids].sort());
  });

  it('stop() leaves no process, no port, no etcd data nor keys, keeps the logs, and may be called again', async () => {
    const pids = cp.pids;
    const port = Number(new URL(endpoint.url).port);
    await cp.stop();
    expect(await liveProcesses(pids)).to.deep.equal([]);
    expect(cp.pids).to.deep.equal([]);
    expect(leftoverPodProcesses(path.join(tmp.dir, 'state'))).to.deep.equal([]);
    expect(await portFree('127.0.0.1', port)).to.equal(true);
    const state = path.join(tmp.dir, 'state');
    expect(existsSync(path.join(state, 'etcd'))).to.equal(false);
    expect(existsSync(path.join(state, 'pki'))).to.equal(false);
    expect(existsSync(path.join(state, 'kubeconfig'))).to.equal(false);
    expect((await readdir(path.join(state, 'logs'))).sort()).to.deep.equal(['etcd.log', 'kube-apiserver.log', 'kube-controller-manager.log', 'kube-scheduler.log']);
    expect(await readFile(path.join(state, 'logs', 'kube-apiserver.log'), 'utf8')).to.include('Serving securely');
    await cp.stop();
    expect(progress.filter((l) => l === 'control plane: stopped')).to.have.length(1);
  });
});
