import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, VersionApi, Watch, setHeaderOptions } from '@kubernetes/client-node';
import { embeddedKubeconfig } from '../../../src/kube/index.js';
import { ApiServer } from '../../../src/localcluster/apiserver/api-server.js';
import { Store } from '../../../src/localcluster/store/store.js';
import { requireKubectl } from '../../helpers/kubectl.js';
import { tempDir } from '../../helpers/tmp.js';
import { apiError } from '../../helpers/api-error.js';

type TempDir = Awaited<ReturnType<typeof tempDir>>;

const run = promisify(execFile);

/** The API server over a bare store (no controllers, no kubelets): the REST contract only. */
describe('embedded cluster API server (through @kubernetes/client-node and kubectl)', function () {
  let store: Store;
  let server: ApiServer;
  let kc: KubeConfig;
  let tmp: TempDir;
  let kubeconfig: string;

  beforeEach(async () => {
    store = new Store();
    for (const name of ['default', 'demo']) store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    server = new ApiServer({ store, bookmarkEveryMs: 200 });
    const url = await server.listen();
    tmp = await tempDir();
    kubeconfig = path.join(tmp.dir, 'kubeconfig');
    await writeFile(kubeconfig, embeddedKubeconfig(url));
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
  });

  afterEach(async () => {
    await server.close();
    await tmp.remove();
  });


  it('reports its version through /version', async () => {
    const v = await kc.makeApiClient(VersionApi).getCode();
    expect(v.major).to.equal('1');
    expect(v.gitVersion).to.match(/^v1\.\d+\.\d+-crt/);
  });

  it('creates, reads, lists by label and deletes a ConfigMap', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'a', labels: { app: 'x' } }, data: { k: 'v' } } });
    await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'b', labels: { app: 'y' } } } });
    expect((await core.readNamespacedConfigMap({ namespace: 'demo', name: 'a' })).data).to.deep.equal({ k: 'v' });
    const list = await core.listNamespacedConfigMap({ namespace: 'demo', labelSelector: 'app in (x)' });
    expect(list.items.map((i) => i.metadata?.name)).to.deep.equal(['a']);
    await core.deleteNamespacedConfigMap({ namespace: 'demo', name: 'a' });
    const gone = await apiError(core.readNamespacedConfigMap({ namespace: 'demo', name: 'a' }));
    expect(gone.code).to.equal(404);
    expect(gone.body).to.include({ kind: 'Status', reason: 'NotFound', message: 'configmaps "a" not found' });
  });

  it('answers 409 Conflict to an update with a stale resourceVersion', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const a = await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'a' }, data: { n: '1' } } });
    await core.replaceNamespacedConfigMap({ namespace: 'demo', name: 'a', body: { ...a, data: { n: '2' } } });
    const err = await apiError(core.replaceNamespacedConfigMap({ namespace: 'demo', name: 'a', body: { ...a, data: { n: '3' } } }));
    expect(err.code).to.equal(409);
    expect(err.body.reason).to.equal('Conflict');
  });

  it('answers 422 with field causes to an invalid Deployment', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const err = await apiError(apps.createNamespacedDeployment({
      namespace: 'demo',
      body: { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: '' }] } } } },
    }));
    expect(err.code).to.equal(422);
    expect(err.body.reason).to.equal('Invalid');
    expect(err.body.details.causes.map((c: any) => c.field)).to.include('spec.template.spec.containers[0].image');
  });

  it('applies merge, strategic-merge and JSON patches', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'a' }, data: { a: '1', b: '2' } } });
    await core.patchNamespacedConfigMap({ namespace: 'demo', name: 'a', body: { data: { b: null, c: '3' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.patchNamespacedConfigMap({ namespace: 'demo', name: 'a', body: { metadata: { labels: { tier: 'x' } } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    const patched = await core.patchNamespacedConfigMap({ namespace: 'demo', name: 'a', body: [{ op: 'replace', path: '/data/a', value: '9' }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
    expect(patched.data).to.deep.equal({ a: '9', c: '3' });
    expect(patched.metadata?.labels).to.deep.equal({ tier: 'x' });
  });

  it('delivers watch events in order after the resourceVersion it was given', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const first = await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'a' } } });
    await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'b' } } });
    await core.deleteNamespacedConfigMap({ namespace: 'demo', name: 'a' });
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      void new Watch(kc).watch('/api/v1/namespaces/demo/configmaps', { resourceVersion: first.metadata!.resourceVersion, timeoutSeconds: 5 }, (type, obj: any) => {
        seen.push(`${type} ${obj.metadata.name}`);
        if (seen.length === 3) resolve();
      }, () => undefined).then((req) => done.then(() => req.abort()));
    });
    setTimeout(() => void core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'c' } } }), 100);
    await done;
    expect(seen).to.deep.equal(['ADDED b', 'DELETED a', 'ADDED c']);
  });

  it('ends a watch after timeoutSeconds and sends bookmarks when allowed', async () => {
    const started = Date.now();
    const res = await fetch(`${kc.getCurrentCluster()!.server}/api/v1/namespaces/demo/configmaps?watch=true&timeoutSeconds=1&allowWatchBookmarks=true`);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: any });
    expect(Date.now() - started).to.be.within(900, 3000);
    expect(lines.length).to.be.greaterThan(0);
    expect(lines.every((l) => l.type === 'BOOKMARK' && l.object.kind === 'ConfigMap' && l.object.metadata.resourceVersion)).to.equal(true);
  });

  it('answers a watch-list (sendInitialEvents, as kubectl 1.35+ sends) with the current objects, then the initial-events-end bookmark, then changes', async () => {
    const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } });
    store.create('configmaps', 'demo', cm('a'));
    store.update('configmaps', 'demo', 'a', { ...cm('a'), data: { k: 'a2' } });
    store.create('configmaps', 'demo', cm('b'));
    const listRv = store.resourceVersion();
    const res = await fetch(`${kc.getCurrentCluster()!.server}/api/v1/namespaces/demo/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=1&timeoutSeconds=1`);
    store.create('configmaps', 'demo', cm('c'));
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: any });
    const described = lines.filter((l) => l.type !== 'BOOKMARK' || l.object.metadata.annotations).map((l) => `${l.type} ${l.object.metadata.name ?? l.object.metadata.resourceVersion}`);
    expect(described).to.deep.equal(['ADDED a', 'ADDED b', `BOOKMARK ${listRv}`, 'ADDED c']);
    expect(lines[2]!.object).to.deep.equal({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: listRv, annotations: { 'k8s.io/initial-events-end': 'true' } } });
    const periodic = lines.slice(3).filter((l) => l.type === 'BOOKMARK').map((l) => Number(l.object.metadata.resourceVersion));
    expect(periodic.every((rv) => rv >= Number(listRv))).to.equal(true);
  });

  it('lists pods by field selector (spec.nodeName, status.phase) and deletes a collection by label', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const pod = (name: string, nodeName?: string) => ({ metadata: { name, labels: { app: 'x' } }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'crt.io/demo:1.0' }] } });
    await core.createNamespacedPod({ namespace: 'demo', body: pod('on-1', 'node-1') });
    await core.createNamespacedPod({ namespace: 'demo', body: pod('unbound') });
    const bound = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-1' });
    expect(bound.items.map((p) => p.metadata?.name)).to.deep.equal(['on-1']);
    const unbound = await core.listNamespacedPod({ namespace: 'demo', fieldSelector: 'spec.nodeName=,status.phase=Pending' });
    expect(unbound.items.map((p) => p.metadata?.name)).to.deep.equal(['unbound']);
    const bad = await apiError(core.listNamespacedPod({ namespace: 'demo', fieldSelector: 'spec.color=red' }));
    expect(bad.code).to.equal(400);
    await core.deleteCollectionNamespacedPod({ namespace: 'demo', labelSelector: 'app=x', gracePeriodSeconds: 0 });
    expect(store.snapshot('pods', 'demo')).to.deep.equal([]);
  });

  it('answers a Status 404 for a resource it does not serve', async () => {
    const res = await fetch(`${kc.getCurrentCluster()!.server}/apis/example.com/v1/namespaces/demo/widgets`);
    expect(res.status).to.equal(404);
    expect(await res.json()).to.include({ kind: 'Status', status: 'Failure', reason: 'NotFound' });
  });

  it('serves kubectl: apply, get with server-side columns, delete', async function () {
    requireKubectl(this);
    const kubectl = (...args: string[]) => run('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 20_000 });
    const manifest = path.join(tmp.dir, 'cm.yaml');
    await writeFile(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: demo}\ndata: {a: "1", b: "2"}\n');
    await kubectl('apply', '-f', manifest);
    const { stdout } = await kubectl('get', 'configmaps', '-n', 'demo');
    expect(stdout.split('\n')[0]).to.match(/^NAME\s+DATA\s+AGE$/);
    expect(stdout).to.match(/settings\s+2\s+\d+s/);
    const ns = await kubectl('get', 'ns');
    expect(ns.stdout).to.match(/demo\s+Active/);
    await kubectl('delete', 'configmap', 'settings', '-n', 'demo');
    expect(store.peek('configmaps', 'demo', 'settings')).to.equal(undefined);
  });

  it('refuses protobuf bodies with 415, naming the JSON types it accepts', async () => {
    const res = await fetch(`${kc.getCurrentCluster()!.server}/api/v1/namespaces/demo/configmaps`, {
      method: 'POST', headers: { 'content-type': 'application/vnd.kubernetes.protobuf' }, body: Buffer.from('k8s\0'),
    });
    expect(res.status).to.equal(415);
    expect(((await res.json()) as { message: string }).message).to.contain('application/json');
  });
});
