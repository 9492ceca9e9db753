import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import { DistributedJobEngine } from '../../../src/distributed/index.js';
import { kubeClients, type KubeClients } from '../../../src/kube/index.js';
import type { GeneratorMessage } from '../../../src/load/index.js';
import type { LocalCluster } from '../../../src/localcluster/index.js';
import { computeStats } from '../../../src/results/stats.js';
import type { LoadSample } from '../../../src/results/types.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { loadSpec, stage } from '../../helpers/load.js';
import { fixedDelay, startServer, type TestServer } from '../../helpers/servers.js';
import { settle } from '../../helpers/manual-clock.js';
import { until } from '../../helpers/until.js';

// Builtin control plane only: its workers dial a test server on this machine's loopback, which pods in the
// real control plane's node namespaces cannot reach; distributed load on both control planes is
// test/integration/runner/distributed-plan.test.ts, against the demo's Service.
/** The Indexed Job engine itself on a 1-node embedded cluster, against a host server that counts what it received. */
describe('distributed load engine: crt workers in an Indexed Job', function () {
  this.timeout(90_000);
  let cluster: LocalCluster;
  let test: TestCluster;
  let kube: KubeClients;
  let server: TestServer;

  before(async () => {
    test = await startTestCluster({ nodes: 1 });
    ({ cluster } = test);
    const { kubeconfig } = test;
    kube = kubeClients({ kubeconfig });
  });
  beforeEach(async () => (server = await startServer(fixedDelay(5))));
  afterEach(async () => server.close());
  after(async () => {
    await test.stop();
  });

  it('gives up at distributed.startTimeout when the workers never run, naming why, deletes the Job and sends nothing', async () => {
    const spec = loadSpec({ generators: 1, stages: [stage({ connections: 1, rateRps: 5, durationMs: 1000 })], distributed: { generators: 1, on: 'cluster', via: 'job', image: 'registry.example/none:1', namespace: 'default', startTimeoutMs: 3000 } });
    const engine = new DistributedJobEngine(kube, spec.distributed!, 'run-1');
    const started = Date.now();
    const err = await engine.prepare({ spec, targetName: 't', url: server.url, headers: {} }, { maxStageMs: 60_000, log: silentLogger, caseId: 'DIST-03' }).then(() => null, (e: unknown) => e);
    expect((err as Error).message, String(err)).to.match(/^the 1 load workers did not all run within distributed.startTimeout \(3 s\): after 3\.0 s, 0 of 1 running \(crt-load-dist-03-[a-z0-9]+-0-[a-z0-9]+: Pending \((ErrImagePull|ImagePullBackOff)/);
    expect(Date.now() - started).to.be.below(10_000);
    expect(await jobs()).to.deep.equal([]);
    expect(server.count).to.equal(0);
  });

  it('returns from the start when the workers really start: second 0 (and the faults timed from it) is their first request', async () => {
    await server.close();
    let firstAt = 0;
    server = await startServer((_req, res) => {
      firstAt ||= Date.now();
      res.end('ok');
    });
    const spec = loadSpec({ generators: 2, stages: [stage({ connections: 2, rateRps: 20, durationMs: 1000 })], distributed: { generators: 2, on: 'cluster', via: 'job', image: null, namespace: 'default', startTimeoutMs: 120_000 } });
    const prepared = await new DistributedJobEngine(kube, spec.distributed!, 'run-1').prepare({ spec, targetName: 't', url: server.url, headers: {} }, { maxStageMs: 60_000, log: silentLogger, caseId: 'DIST-04' });
    const originAt = Date.now();
    for await (const m of prepared.start(performance.timeOrigin + performance.now(), new AbortController().signal)) void m;
    expect(firstAt - originAt).to.be.within(-50, 300);
  });

  async function run(generators: number, durationMs: number, abortAfterMs?: number, servedBy: string | null = null) {
    const spec = loadSpec({ generators, servedBy, stages: [stage({ connections: 4, rateRps: 20, durationMs })], distributed: { generators, on: 'cluster', via: 'job', image: null, namespace: 'default', startTimeoutMs: 120_000 } });
    const engine = new DistributedJobEngine(kube, spec.distributed!, 'run-1');
    const prepared = await engine.prepare({ spec, targetName: 't', url: server.url, headers: {} }, { maxStageMs: 60_000, log: silentLogger, caseId: 'DIST-02' });
    const controller = new AbortController();
    if (abortAfterMs !== undefined) setTimeout(() => controller.abort(), abortAfterMs);
    const messages: GeneratorMessage[] = [];
    for await (const m of prepared.start(performance.timeOrigin + performance.now(), controller.signal)) messages.push(m);
    const samples: LoadSample[] = messages.flatMap((m) => (m.type === 'samples' ? m.samples : []));
    return { messages, samples };
  }

  const jobs = async () => (await kube.batch.listNamespacedJob({ namespace: 'default', labelSelector: 'crt.io/run-id=run-1' })).items;

  it('counts exactly the requests the server received, each worker as one generator, and deletes the Job', async () => {
    const { messages, samples } = await run(2, 2000);
    expect(messages.filter((m) => m.type === 'error')).to.deep.equal([]);
    const perWorker = [0, 1].map((g) => samples.filter((s) => s.generator === g).reduce((n, s) => n + s.requests, 0));
    expect(perWorker).to.deep.equal([40, 40]);
    expect(computeStats(samples, 2)?.requests).to.equal(server.count);
    expect(await jobs()).to.deep.equal([]);
  });

  it('adds the answers by servedBy header of every worker exactly', async () => {
    await server.close();
    server = await startServer((_req, res, n) => {
      res.setHeader('x-version', n % 5 === 0 ? '1.1' : '1.0');
      res.end('ok');
    });
    const { messages, samples } = await run(2, 2000, undefined, 'x-version');
    expect(messages.filter((m) => m.type === 'error')).to.deep.equal([]);
    for (const g of [0, 1]) expect(samples.some((s) => s.generator === g && s.servedBy), `worker ${g} counted`).to.equal(true);
    expect(computeStats(samples, 2)?.servedBy).to.deep.equal({ '1.0': 64, '1.1': 16 });
    expect(server.count).to.equal(80);
  });

    it('on abort, keeps what the workers reported, ends every generator and deletes the Job and its pods', async () => {
    const { messages, samples } = await run(2, 20_000, 2500);
    expect(messages.filter((m) => m.type === 'done').map((m) => m.generator).sort()).to.deep.equal([0, 1]);
    const counted = computeStats(samples, 20)?.requests ?? 0;
    expect(counted).to.be.above(0).and.at.most(server.count);
    expect(await jobs()).to.deep.equal([]);
    await until('the worker pods to be gone', async () => (await kube.core.listNamespacedPod({ namespace: 'default', labelSelector: 'crt.io/run-id=run-1' })).items.length === 0);
    await until('the worker processes to have exited', () => cluster.pids().length === 0);
    const after = server.count;
    await settle();
    expect(server.count, 'no worker sends after the abort').to.equal(after);
  });
});
