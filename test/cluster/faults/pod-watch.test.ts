import path from 'node:path';
import { expect } from 'chai';
import { silentLogger, systemClock } from '../../../src/core/index.js';
import type { FaultContext } from '../../../src/faults/index.js';
import { waitPodsGone } from '../../../src/faults/pod-watch.js';
import { kubeClients, writeEmbeddedKubeconfig } from '../../../src/kube/index.js';
import { startServer, type TestServer } from '../../helpers/servers.js';
import { tempDir } from '../../helpers/tmp.js';

const pod = (name: string, uid: string) => ({ metadata: { name, namespace: 'app', uid, resourceVersion: '1' }, spec: { nodeName: 'n1', containers: [] } });

/**
 * The drain's wait against a scripted API server on port 0: the first watch ends with 410 Gone (its
 * resourceVersion too old), as a real API server answers after compaction; the wait lists again and
 * watches from the new list's resourceVersion.
 */
describe('the wait for evicted pods: one list and one watch, listed again when the watch ends', function () {
  this.timeout(20_000);
  let server: TestServer;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const requests: string[] = [];

  afterEach(async () => {
    await server?.close();
    await tmp?.remove();
  });

  it('survives a 410 Gone, sees the DELETED event, and never GETs a single pod', async () => {
    let lists = 0;
    server = await startServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      requests.push(`${url.pathname}${url.searchParams.get('watch') ? ` watch rv=${url.searchParams.get('resourceVersion')}` : ''}`);
      if (url.pathname !== '/api/v1/pods' || url.searchParams.get('fieldSelector') !== 'spec.nodeName=n1') {
        res.writeHead(404).end();
        return;
      }
      if (!url.searchParams.get('watch')) {
        lists++;
        // the first list has both pods; by the second, a is gone (its DELETED event was compacted away)
        const items = lists === 1 ? [pod('a', 'uid-a'), pod('b', 'uid-b')] : [pod('b', 'uid-b')];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(lists * 10) }, items }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      if (url.searchParams.get('resourceVersion') === '10') {
        res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 10 (15)' } })}\n`);
        return;
      }
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '21' } } })}\n`);
      setTimeout(() => res.end(`${JSON.stringify({ type: 'DELETED', object: pod('b', 'uid-b') })}\n`), 50);
    });
    tmp = await tempDir();
    const kubeconfig = path.join(tmp.dir, 'kubeconfig');
    await writeEmbeddedKubeconfig(kubeconfig, server.url);
    const ctx: FaultContext = { runId: 'r', caseId: 'C', step: 's', clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: tmp.dir, kube: kubeClients({ kubeconfig }) };
    const left = await waitPodsGone(ctx.kube!, ctx, { fieldSelector: 'spec.nodeName=n1', uids: new Set(['uid-a', 'uid-b']), deadlineMs: systemClock.now() + 10_000 });
    expect(left).to.deep.equal([]);
    expect(requests).to.deep.equal(['/api/v1/pods', '/api/v1/pods watch rv=10', '/api/v1/pods', '/api/v1/pods watch rv=20']);
  });

  it('returns the pods still there at the deadline', async () => {
    server = await startServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (!url.searchParams.get('watch')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '5' }, items: [pod('stuck', 'uid-s')] }));
        return;
      }
      // a watch that sends nothing: the deadline ends it
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('');
      req.on('close', () => res.end());
    });
    tmp = await tempDir();
    const kubeconfig = path.join(tmp.dir, 'kubeconfig');
    await writeEmbeddedKubeconfig(kubeconfig, server.url);
    const ctx: FaultContext = { runId: 'r', caseId: 'C', step: 's', clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: tmp.dir, kube: kubeClients({ kubeconfig }) };
    const left = await waitPodsGone(ctx.kube!, ctx, { fieldSelector: 'spec.nodeName=n1', uids: new Set(['uid-s', 'uid-gone']), deadlineMs: systemClock.now() + 800 });
    expect(left).to.deep.equal(['app/stuck']);
  });
});
