import type http from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import { kubeClients, writeEmbeddedKubeconfig } from '../../../src/kube/index.js';
import type { ClusterSampleRecord } from '../../../src/results/types.js';
import { ClusterWatch } from '../../../src/runner/cluster-watch.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { startServer, type TestServer } from '../../helpers/servers.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const STALL_MS = 60_000;

/**
 * A real HTTP server mimicking the API server's list and watch: lists answer at once; a watch is
 * accepted (200, headers sent) and then stays silent, as a stream a load balancer dropped without a
 * FIN, until the test writes to it. `forbidden` paths answer 403 as RBAC does.
 */
function fakeApiServer(forbidden: readonly string[]) {
  const lists: string[] = [];
  const watches: Array<{ path: string; query: URLSearchParams; res: http.ServerResponse }> = [];
  let gatewayReady = 2;
  const deployment = () => ({
    metadata: { name: 'gateway', namespace: 'demo', resourceVersion: String(10 + gatewayReady) }, spec: { replicas: 3 }, status: { readyReplicas: gatewayReady, availableReplicas: gatewayReady },
  });
  const items: Record<string, unknown[]> = {
    '/apis/apps/v1/namespaces/demo/deployments': [deployment()],
    '/apis/apps/v1/namespaces/demo/statefulsets': [{ metadata: { name: 'db', namespace: 'demo', resourceVersion: '5' }, spec: { replicas: 3 }, status: { readyReplicas: 2, availableReplicas: 2 } }],
    '/apis/apps/v1/namespaces/demo/daemonsets': [{ metadata: { name: 'agent', namespace: 'demo', resourceVersion: '6' }, status: { desiredNumberScheduled: 3, numberReady: 3, numberAvailable: 3 } }],
    '/api/v1/namespaces/demo/pods': [],
    '/api/v1/nodes': [],
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/apis/apps/v1') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'apps/v1', resources: ['deployments', 'statefulsets', 'daemonsets'].map((name) => ({ name, namespaced: true, kind: name, verbs: ['list', 'watch'] })) }));
      return;
    }
    if (forbidden.includes(url.pathname)) {
      lists.push(url.pathname);
      res.statusCode = 403;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: 'daemonsets.apps is forbidden: User "system:serviceaccount:crt:crt" cannot list resource "daemonsets" in API group "apps" in the namespace "demo"' }));
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      watches.push({ path: url.pathname, query: url.searchParams, res });
      return;
    }
    lists.push(url.pathname);
    if (url.pathname === '/apis/apps/v1/namespaces/demo/deployments') items[url.pathname] = [deployment()];
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '100' }, items: items[url.pathname] ?? [] }));
  };
  return {
    handler, lists, watches,
    setReady: (n: number) => (gatewayReady = n),
    deployment,
    count: (p: string) => lists.filter((l) => l === p).length,
  };
}

describe('the cluster view cannot freeze: watch timeouts, bookmarks, a stall watchdog, relists, and a clear 403', function () {
  this.timeout(30_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let api: ReturnType<typeof fakeApiServer>;
  let watch: ClusterWatch;
  let clock: ManualClock;
  const samples: ClusterSampleRecord[] = [];
  const problems: string[] = [];
  const DEPLOYMENTS = '/apis/apps/v1/namespaces/demo/deployments';

  beforeEach(async () => {
    samples.length = 0;
    problems.length = 0;
    tmp = await tempDir();
    api = fakeApiServer(['/apis/apps/v1/namespaces/demo/daemonsets']);
    server = await startServer(api.handler);
    const kubeconfig = path.join(tmp.dir, 'kubeconfig');
    await writeEmbeddedKubeconfig(kubeconfig, server.url);
    clock = new ManualClock();
    watch = new ClusterWatch({
      kube: kubeClients({ kubeconfig }), clock, log: silentLogger, run: 'r', case: 'C', layer: 'logical', namespaces: ['demo'], phase: () => 'baseline',
      write: (r) => samples.push(...r), problem: (m) => problems.push(m), informer: { stallMs: STALL_MS },
    });
  });

  afterEach(async () => {
    await watch.stop();
    await server.close();
    await tmp.remove();
  });

  it('asks every watch for bookmarks and a timeout of 5 to 10 minutes', async () => {
    await watch.start();
    await until('the watches', () => api.watches.length >= 4);
    for (const w of api.watches) {
      expect(w.query.get('allowWatchBookmarks'), w.path).to.equal('true');
      expect(Number(w.query.get('timeoutSeconds')), w.path).to.be.within(300, 599);
      expect(w.query.get('resourceVersion'), w.path).to.equal('100');
    }
  });

  it('restarts a watch that goes silent with a new list once the stall time passes, and sees what changed meanwhile', async () => {
    await watch.start();
    await until('the deployments watch', () => api.watches.some((w) => w.path === DEPLOYMENTS));
    expect(samples.find((s) => s.subject === 'deployment/demo/gateway')).to.include({ desired: 3, ready: 2 });
    api.setReady(3); // changed while the stream is dead: no event reaches crt
    await clock.advance(STALL_MS - 1000);
    expect(api.count(DEPLOYMENTS), 'no relist before the stall time').to.equal(1);
    await clock.advance(1000);
    await until('a relist of the deployments', () => api.count(DEPLOYMENTS) === 2);
    await until('the change seen by the relist', () => samples.some((s) => s.subject === 'deployment/demo/gateway' && s.ready === 3));
    await until('a new watch of the deployments', () => api.watches.filter((w) => w.path === DEPLOYMENTS).length === 2);
  });

  it('does not restart a watch that delivers events: each event or bookmark resets the watchdog', async () => {
    await watch.start();
    await until('the deployments watch', () => api.watches.some((w) => w.path === DEPLOYMENTS));
    const stream = api.watches.find((w) => w.path === DEPLOYMENTS)!.res;
    await clock.advance(STALL_MS - 5000);
    api.setReady(3);
    stream.write(`${JSON.stringify({ type: 'MODIFIED', object: api.deployment() })}\n`);
    await until('the event seen', () => samples.some((s) => s.subject === 'deployment/demo/gateway' && s.ready === 3));
    stream.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '120' } } })}\n`);
    await clock.advance(STALL_MS - 5000);
    expect(api.count(DEPLOYMENTS), 'no relist: the watch was alive').to.equal(1);
    await clock.advance(10_000);
    await until('a relist once it went silent', () => api.count(DEPLOYMENTS) === 2);
  });

  it('lists again when the server ends a watch with 410 Gone', async () => {
    await watch.start();
    await until('the deployments watch', () => api.watches.some((w) => w.path === DEPLOYMENTS));
    const stream = api.watches.find((w) => w.path === DEPLOYMENTS)!.res;
    stream.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 100 (150)' } })}\n`);
    await until('a relist after 410', () => api.count(DEPLOYMENTS) === 2);
  });

  it('says once in the case that RBAC refuses a resource, and does not retry it', async () => {
    await watch.start();
    expect(problems).to.deep.equal([
      'cluster view: the API server refuses to list or watch /apis/apps/v1/namespaces/demo/daemonsets: daemonsets.apps is forbidden: User "system:serviceaccount:crt:crt" cannot list resource "daemonsets" in API group "apps" in the namespace "demo" (HTTP 403); '
      + 'the case\'s cluster view and "cluster recovered" miss it: grant list and watch on it (deploy/k8s/rbac.yaml)',
    ]);
    await clock.advance(120_000);
    expect(api.count('/apis/apps/v1/namespaces/demo/daemonsets')).to.equal(1);
    expect(watch.problems).to.have.length(1);
  });

  it('counts StatefulSets in the view, so that one below its replicas is not whole', async () => {
    await watch.start();
    expect(samples.find((s) => s.subject === 'statefulset/demo/db')).to.include({ kind: 'workload', desired: 3, ready: 2, available: 2 });
    const t = samples[0]!.t;
    expect(watch.recovery(t, t - 1000).affected).to.include('statefulset/demo/db');
  });
});
