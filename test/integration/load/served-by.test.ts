import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { CaseSpec, PhaseExpectation } from '../../../src/plan/types.js';
import { mergeBySecond } from '../../../src/results/stats.js';
import { evaluateExpectations } from '../../../src/runner/evaluate.js';
import { loadSpec, runLoad, stage } from '../../helpers/load.js';
import { startServer, type TestServer } from '../../helpers/servers.js';

const at = { file: 'plan.yaml', line: 1, col: 1, path: '' };

function expectations(phases: Array<Omit<PhaseExpectation, 'location'>>): CaseSpec {
  return {
    id: 'CAN-01', layer: 'logical', title: 't', objective: 'o', description: null, tags: [], timeoutMs: 60_000, conditions: [], load: null, trigger: [], clusterSettings: null,
    expect: { phases: phases.map((p) => ({ ...p, location: at })), recoveryTime: [], clusterRecoveryTime: [], probes: [] },
    abortIf: [], recovery: { successRate: 0.99, stableForMs: 10_000 }, location: at,
  };
}

/** A tiny round-robin balancer: each request goes to the next backend, its answer (headers included) back to the client. */
async function roundRobin(backends: readonly TestServer[]): Promise<{ url: string; close(): Promise<void> }> {
  let next = 0;
  const server = http.createServer((req, res) => {
    const backend = backends[next++ % backends.length] as TestServer;
    const up = http.request({ host: '127.0.0.1', port: backend.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('servedBy with the autocannon engine against real servers', function () {
  this.timeout(20_000);
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('measures the 20 % share of a canary that answers one request in five, and its expectation passes', async () => {
    // the version header says 1.1 on every fifth request: a 1:4 canary
    const canary = await startServer((_req, res, n) => {
      res.setHeader('X-Version', n % 5 === 0 ? '1.1' : '1.0');
      res.end('ok');
    });
    closers.push(() => canary.close());
    const { stats } = await runLoad(canary.url, loadSpec({ servedBy: 'x-version', stages: [stage({ connections: 4, rateRps: 100, durationMs: 1500 })] }));
    expect(stats.requests).to.equal(canary.count);
    expect(stats.servedBy).to.deep.equal({ '1.0': canary.count - canary.count / 5, '1.1': canary.count / 5 });
    const c = expectations([
      { phase: 'whole', metric: 'servedBy', servedByValue: '1.1', bound: 'min', value: 0.15, text: '15%' },
      { phase: 'whole', metric: 'servedBy', servedByValue: '1.1', bound: 'max', value: 0.25, text: '25%' },
      { phase: 'whole', metric: 'backends', bound: 'min', value: 2, text: '2' },
    ]);
    const results = evaluateExpectations(c, [{ name: 'whole', startMs: 0, endMs: 1500, stats }], null, []);
    expect(results.map((r) => [r.metric, r.measuredText, r.verdict])).to.deep.equal([
      ['servedBy[1.1]', `20% (${canary.count / 5} of ${canary.count})`, 'passed'],
      ['servedBy[1.1]', `20% (${canary.count / 5} of ${canary.count})`, 'passed'],
      ['backends', '2 (1.0, 1.1)', 'passed'],
    ]);
  });

  it('fails the share expectation when its bound is wrong', async () => {
    const canary = await startServer((_req, res, n) => {
      res.setHeader('x-version', n % 5 === 0 ? '1.1' : '1.0');
      res.end('ok');
    });
    closers.push(() => canary.close());
    const { stats } = await runLoad(canary.url, loadSpec({ servedBy: 'x-version', stages: [stage({ connections: 2, rateRps: 100, durationMs: 1000 })] }));
    const c = expectations([{ phase: 'whole', metric: 'servedBy', servedByValue: '1.1', bound: 'min', value: 0.5, text: '50%' }]);
    const [r] = evaluateExpectations(c, [{ name: 'whole', startMs: 0, endMs: 1000, stats }], null, []);
    expect(r).to.deep.include({ metric: 'servedBy[1.1]', measured: 0.2, verdict: 'failed' });
  });

  it('sees both backends behind a round-robin balancer, half of the answers each, in each full second, two generators added exactly', async () => {
    const backends: TestServer[] = [];
    for (const name of ['pod-a', 'pod-b']) {
      const s = await startServer((_req, res) => {
        res.setHeader('x-served-by', name);
        res.end('ok');
      });
      backends.push(s);
      closers.push(() => s.close());
    }
    const lb = await roundRobin(backends);
    closers.push(() => lb.close());
    const { stats, samples } = await runLoad(lb.url, loadSpec({ servedBy: 'x-served-by', generators: 2, stages: [stage({ connections: 2, rateRps: 50, durationMs: 1000 })] }));
    expect(new Set(samples.map((s) => s.generator))).to.deep.equal(new Set([0, 1]));
    expect(stats.servedBy).to.deep.equal({ 'pod-a': backends[0]!.count, 'pod-b': backends[1]!.count });
    expect(stats.servedBy!['pod-a']).to.equal(50);
    // each second counts every answer it holds, by backend
    const sum = (c: Record<string, number> | undefined) => Object.values(c ?? {}).reduce((a, b) => a + b, 0);
    for (const s of samples) expect(sum(s.servedBy), `second ${s.sec}`).to.equal(sum(s.statusCodes));
    // generators may each meet one backend only (they interleave); the merged seconds see both
    // (a second with a few stragglers past the end of the load may not)
    expect(mergeBySecond(samples).filter((s) => s.requests >= 10).every((s) => Object.keys(s.servedBy ?? {}).length === 2)).to.equal(true);
  });

  it('leaves the answers uncounted, and the header unread, when servedBy is not set', async () => {
    const s = await startServer((_req, res) => {
      res.setHeader('x-version', '1.0');
      res.end('ok');
    });
    closers.push(() => s.close());
    const { stats, samples } = await runLoad(s.url, loadSpec({ stages: [stage({ connections: 2, rateRps: 20, durationMs: 500 })] }));
    expect(stats.requests).to.equal(10);
    expect(stats).to.not.have.property('servedBy');
    for (const sample of samples) expect(sample).to.not.have.property('servedBy');
  });

  it('counts answers without the header as (none), and timeouts not at all', async () => {
    let n = 0;
    const s = await startServer((_req, res) => {
      n++;
      if (n % 4 === 0) return; // never answered: a timeout
      if (n % 2 === 0) res.setHeader('x-version', '1.0');
      res.end('ok');
    });
    closers.push(() => s.close());
    const { stats } = await runLoad(s.url, loadSpec({ servedBy: 'x-version', timeoutMs: 300, stages: [stage({ connections: 8, rateRps: 40, durationMs: 1000 })] }));
    expect(stats.failures.timeout).to.equal(10);
    expect(stats.servedBy).to.deep.equal({ '(none)': 20, '1.0': 10 });
  });
});
