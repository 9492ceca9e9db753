import path from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import { K6OperatorEngine } from '../../../src/distributed/index.js';
import { kubeClients, writeEmbeddedKubeconfig, type KubeClients } from '../../../src/kube/index.js';
import { loadSpec, stage } from '../../helpers/load.js';
import { startServer, type TestServer } from '../../helpers/servers.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * A real HTTP server standing in for an API server with k6-operator: it takes the script ConfigMap
 * and the TestRun, and answers the TestRun's `status.stage` as the test sets it.
 */
describe('distributed load via k6-operator: second 0 when the operator has started the runners', function () {
  this.timeout(20_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let kube: KubeClients;
  let stage_ = 'initialization';
  const calls: string[] = [];

  beforeEach(async () => {
    calls.length = 0;
    stage_ = 'initialization';
    tmp = await tempDir();
    server = await startServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      calls.push(`${req.method} ${url.pathname}`);
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && url.pathname.includes('/testruns/')) {
        res.end(JSON.stringify({ apiVersion: 'k6.io/v1alpha1', kind: 'TestRun', metadata: { name: url.pathname.split('/').pop() }, status: { stage: stage_ } }));
        return;
      }
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ metadata: {} })));
    });
    const kubeconfig = path.join(tmp.dir, 'kubeconfig');
    await writeEmbeddedKubeconfig(kubeconfig, server.url);
    kube = kubeClients({ kubeconfig });
  });

  afterEach(async () => {
    await server.close();
    await tmp.remove();
  });

  const prepare = (startTimeoutMs: number) => {
    const spec = loadSpec({ engine: 'k6', stages: [stage({ connections: 1, rateRps: null, durationMs: 1000 })], distributed: { generators: 2, on: 'cluster', via: 'k6-operator', image: null, namespace: 'load', startTimeoutMs } });
    return new K6OperatorEngine(kube, spec.distributed!, 'r1').prepare({ spec, targetName: 't', url: 'http://web.demo.svc/', headers: {} }, { maxStageMs: 60_000, log: silentLogger, caseId: 'K6' });
  };

  it('creates the TestRun before second 0 and returns only once its stage is started', async () => {
    let resolved = false;
    const p = prepare(10_000).then((r) => ((resolved = true), r));
    const polls = () => calls.filter((c) => c.startsWith('GET /apis/k6.io/v1alpha1/namespaces/load/testruns/')).length;
    for (const s of ['initialized', 'created']) {
      const before = polls();
      stage_ = s;
      while (polls() < before + 2) await new Promise((r) => setImmediate(r));
      expect(resolved, `still waiting at stage ${s}`).to.equal(false);
    }
    stage_ = 'started';
    await p;
    expect(calls.slice(0, 2)).to.deep.equal(['POST /api/v1/namespaces/load/configmaps', 'POST /apis/k6.io/v1alpha1/namespaces/load/testruns']);
  });

  it('gives up at distributed.startTimeout, saying the stage, and deletes the TestRun and its script', async () => {
    const err = await prepare(1000).then(() => null, (e: unknown) => e);
    expect((err as Error).message).to.match(/^the k6 runners of TestRun load\/crt-k6-k6-[a-z0-9]+ did not start within distributed.startTimeout \(1 s\): its stage is initialization$/);
    expect(calls.filter((c) => c.startsWith('DELETE'))).to.have.length(2);
  });
});
