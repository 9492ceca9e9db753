import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { kubeClients } from '../../../src/kube/index.js';
import { imageRecord, kubernetesVersion, readImages } from '../../../src/runner/cluster-trace.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { startServer, type TestServer } from '../../helpers/servers.js';
import { tempDir } from '../../helpers/tmp.js';

/** The pods of namespace demo as an API server lists them; `image` changes between the two reads. */
function podList(image: string, digest: string): unknown {
  return {
    kind: 'PodList', apiVersion: 'v1', metadata: {},
    items: [{
      metadata: { name: 'web-6f7c-a', namespace: 'demo', labels: { 'pod-template-hash': '6f7c' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-6f7c', uid: 'u' }] },
      spec: { containers: [{ name: 'api', image }] },
      status: { containerStatuses: [{ name: 'api', image, imageID: `docker.io/demo/web@sha256:${digest}`, ready: true, restartCount: 0 }] },
    }],
  };
}

describe('the cluster side of a run\'s trace, read from a real HTTP API', () => {
  let server: TestServer | null = null;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let image = 'demo/web:1.4';
  const seen: string[] = [];
  beforeEach(async () => {
    tmp = await tempDir();
    seen.length = 0;
    image = 'demo/web:1.4';
    server = await startServer((req, res) => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/version') return void res.end(JSON.stringify({ major: '1', minor: '37', gitVersion: 'v1.37.2', gitCommit: 'x', gitTreeState: 'clean', buildDate: '', goVersion: '', compiler: '', platform: '' }));
      if (req.url?.startsWith('/api/v1/namespaces/demo/pods')) return void res.end(JSON.stringify(podList(image, image.endsWith('1.4') ? 'aa' : 'bb')));
      res.statusCode = 403;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'pods is forbidden', reason: 'Forbidden', code: 403 }));
    });
    // client-node refuses a plain-http server unless told to skip TLS verification
    await writeFile(path.join(tmp.dir, 'kubeconfig'), `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server.url}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`);
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    await tmp.remove();
  });

  it('reads the server version, and the images at the start and the end, flagging the one that changed', async () => {
    const kube = kubeClients({ kubeconfig: path.join(tmp.dir, 'kubeconfig') });
    const clock = new ManualClock();
    expect(await kubernetesVersion(kube)).to.equal('v1.37.2');
    const start = await readImages(kube, ['demo'], clock);
    expect(start.containers).to.deep.equal([{ namespace: 'demo', workload: 'deployment/web', pod: 'web-6f7c-a', container: 'api', image: 'demo/web:1.4', imageID: 'docker.io/demo/web@sha256:aa' }]);
    image = 'demo/web:1.5';
    const record = imageRecord(['demo'], start, await readImages(kube, ['demo'], clock));
    expect(record.changes).to.deep.equal([{ namespace: 'demo', workload: 'deployment/web', container: 'api', start: ['demo/web:1.4 (docker.io/demo/web@sha256:aa)'], end: ['demo/web:1.5 (docker.io/demo/web@sha256:bb)'] }]);
    expect(seen).to.include('GET /version');
  });

  it('notes a namespace it may not list, without failing, and a version it cannot read as unknown', async () => {
    const kube = kubeClients({ kubeconfig: path.join(tmp.dir, 'kubeconfig') });
    const snap = await readImages(kube, ['demo', 'secret-ns'], new ManualClock());
    expect(snap.containers).to.have.length(1);
    expect(snap.error).to.match(/^cannot list pods in secret-ns: /);
    await server!.close();
    server = null;
    expect(await kubernetesVersion(kube)).to.equal(null);
  });
});
