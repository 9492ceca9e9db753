import path from 'node:path';
import { expect } from 'chai';
import { silentLogger, systemClock } from '../../../src/core/index.js';
import { builtinFaults, type FaultContext } from '../../../src/faults/index.js';
import { kubeClients, writeEmbeddedKubeconfig } from '../../../src/kube/index.js';
import { startServer, type TestServer } from '../../helpers/servers.js';
import { tempDir } from '../../helpers/tmp.js';
import { action } from './node-fault-helpers.js';

const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', resourceVersion: '1' }, spec: {} };
const web = { metadata: { name: 'web-1', namespace: 'app', uid: 'uid-web-1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d', uid: 'rs', controller: true }] }, spec: { nodeName: 'n1', containers: [] }, status: { phase: 'Running' } };
const status = (code: number, reason: string, message: string, extra: object = {}) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...extra });

/**
 * The drain against a scripted API server on port 0 that answers as kube-apiserver does under load: the
 * pod list fails once with 503, the eviction is throttled once by API Priority and Fairness (429 with
 * Retry-After and the X-Kubernetes-PF-* headers), then refused once by the pod's budget, then done.
 */
describe('node-drain under API Priority and Fairness and transient errors', function () {
  this.timeout(20_000);
  let server: TestServer;
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  afterEach(async () => {
    await server?.close();
    await tmp?.remove();
  });

  it('retries a 503 and an APF 429 after its Retry-After, counts them apart from the budget\'s 429, and finishes the drain', async () => {
    const seen: string[] = [];
    const evictionsAt: number[] = [];
    let podLists = 0;
    server = await startServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      const json = (code: number, body: string, headers: Record<string, string> = {}) => res.writeHead(code, { 'content-type': 'application/json', ...headers }).end(body);
      seen.push(`${req.method} ${url.pathname}${url.searchParams.get('watch') ? ' watch' : ''}`);
      if (url.pathname === '/api/v1/nodes/n1') return json(200, JSON.stringify(node));
      if (url.pathname === '/api/v1/pods' && url.searchParams.get('labelSelector')) return json(200, JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }));
      if (url.pathname === '/api/v1/pods' && url.searchParams.get('watch')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(`${JSON.stringify({ type: 'DELETED', object: web })}\n`);
      }
      if (url.pathname === '/api/v1/pods') {
        podLists++;
        if (podLists === 1) return json(503, status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
        return json(200, JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [web] }));
      }
      if (url.pathname === '/api/v1/namespaces/app/pods/web-1/eviction') {
        evictionsAt.push(Date.now());
        if (evictionsAt.length === 1) {
          return json(429, status(429, 'TooManyRequests', 'Too many requests, please try again later.', { details: { retryAfterSeconds: 1 } }), {
            'Retry-After': '1', 'X-Kubernetes-PF-FlowSchema-UID': 'fs', 'X-Kubernetes-PF-PriorityLevel-UID': 'pl',
          });
        }
        if (evictionsAt.length === 2) {
          return json(429, status(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.', { details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 1 healthy pods and has 1 currently' }] } }));
        }
        return json(201, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 }));
      }
      return json(404, status(404, 'NotFound', 'not found'));
    });
    tmp = await tempDir();
    const kubeconfig = path.join(tmp.dir, 'kubeconfig');
    await writeEmbeddedKubeconfig(kubeconfig, server.url);
    const ctx: FaultContext = { runId: 'r', caseId: 'C', step: 'drain', clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: tmp.dir, kube: kubeClients({ kubeconfig }) };
    const plan = await builtinFaults['node-drain'].create(action('node-drain', { node: 'n1', timeout: '15s' })).plan(ctx);
    const result = await plan.apply();
    expect(result.data).to.deep.include({ evictedPods: 1, evicted: ['app/web-1'], budgetRefusals: 1, throttled: 1, transientErrors: 0 });
    expect(result.detail).to.equal('drained n1: 1 pods evicted, 1 refused by a disruption budget then retried, 1 throttled by the API server (429), retried');
    expect(evictionsAt).to.have.length(3);
    expect(evictionsAt[1]! - evictionsAt[0]!, 'the second eviction waited for Retry-After: 1').to.be.at.least(900);
    // the 503 of the first pod list was retried (the list is an idempotent read)
    expect(podLists).to.be.at.least(3);
    expect(seen.filter((s) => s === 'GET /api/v1/namespaces/app/pods/web-1'), 'no GET of the single pod').to.deep.equal([]);
  });
});
