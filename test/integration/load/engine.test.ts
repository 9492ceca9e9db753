import { expect } from 'chai';
import { closedPort, errorEvery, fixedDelay, stallUntil, startServer, type TestServer } from '../../helpers/servers.js';
import { loadSpec, runLoad, stage } from '../../helpers/load.js';

describe('autocannon engine against real servers', function () {
  this.timeout(20_000);
  let server: TestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('measures the latency of a fixed-delay server in the closed model', async () => {
    server = await startServer(fixedDelay(30));
    const { stats } = await runLoad(server.url, loadSpec({ stages: [stage({ connections: 4, durationMs: 2000 })] }));
    expect(stats.failed).to.equal(0);
    expect(stats.latency!.p50).to.be.within(30, 36);
    expect(stats.requests).to.equal(server.count);
  });

  it('sends exactly rate × duration requests in the open model, measured from their intended time', async () => {
    server = await startServer(fixedDelay(20));
    const { stats } = await runLoad(server.url, loadSpec({ stages: [stage({ connections: 10, rateRps: 100, durationMs: 2000 })] }));
    expect(stats.sent).to.equal(200);
    expect(server.count).to.equal(200);
    // autocannon's own correction would report ~half the delay here; crt never reports below the service time
    expect(stats.latency!.p50).to.be.within(20, 25);
    for (const p of ['min', 'p50', 'p90', 'p99'] as const) expect(stats.latency![p], p).to.be.at.least(stats.service![p]);
  });

  it('counts one failure per intended request against a refused port, not a reconnect storm', async () => {
    const port = await closedPort();
    const { stats } = await runLoad(`http://127.0.0.1:${port}/`, loadSpec({ stages: [stage({ connections: 5, rateRps: 10, durationMs: 2000 })] }));
    expect(stats.failures.refused).to.equal(20);
    expect(stats.requests).to.equal(20);
    expect(stats.errorRate).to.equal(1);
  });

  it('backs off after connection failures in the closed model instead of spinning', async () => {
    const port = await closedPort();
    const { stats } = await runLoad(`http://127.0.0.1:${port}/`, loadSpec({ stages: [stage({ connections: 2, durationMs: 1000 })] }));
    // 2 clients waiting ~100 ms after each failure (no answer yet to learn a pace from): ~20, never thousands
    expect(stats.failures.refused).to.be.within(10, 30);
  });

  it('reports the error ratio of a server that fails one request in five', async () => {
    server = await startServer(errorEvery(5));
    const { stats } = await runLoad(server.url, loadSpec({ stages: [stage({ connections: 4, durationMs: 1500 })] }));
    expect(stats.errorRate).to.be.closeTo(0.2, 0.01);
    expect(stats.failures.status).to.equal(stats.statusCodes['503']);
  });

  it('shows a 1 s stall as ~1 s latencies in the open model', async () => {
    let stallEnd = 0;
    server = await startServer(stallUntil(() => stallEnd, 10));
    setTimeout(() => (stallEnd = Date.now() + 1000), 1200);
    const { stats } = await runLoad(server.url, loadSpec({ stages: [stage({ connections: 5, rateRps: 50, durationMs: 3000 })] }));
    expect(stats.failed).to.equal(0);
    expect(stats.latency!.p99).to.be.at.least(900);
    // service time (from the actual send) hides most of it: that is the coordinated omission crt corrects
    expect(stats.service!.p50).to.be.below(50);
  });

  it('times requests out after the load timeout and gives them their time to failure', async () => {
    server = await startServer(() => undefined);
    const { stats } = await runLoad(server.url, loadSpec({ timeoutMs: 300, stages: [stage({ connections: 10, rateRps: 10, durationMs: 1000 })] }));
    expect(stats.failures.timeout).to.equal(10);
    expect(stats.latency!.p50).to.be.within(300, 420);
  });

  it('merges several generators exactly: every request the server saw is counted once', async () => {
    server = await startServer(fixedDelay(5));
    const { stats, samples } = await runLoad(server.url, loadSpec({ generators: 3, stages: [stage({ connections: 2, durationMs: 1500 })] }));
    expect(new Set(samples.map((s) => s.generator))).to.deep.equal(new Set([0, 1, 2]));
    expect(stats.requests).to.equal(server.count);
  });

  it('starts staggered generators at their offsets', async () => {
    server = await startServer(fixedDelay(5));
    const { samples } = await runLoad(server.url, loadSpec({ generators: 2, staggerMs: 1000, stages: [stage({ connections: 1, durationMs: 1000 })] }));
    const firstSec = (g: number) => Math.min(...samples.filter((s) => s.generator === g && s.requests > 0).map((s) => s.sec));
    expect(firstSec(0)).to.equal(0);
    expect(firstSec(1)).to.equal(1);
  });

  it('runs stages one after the other, each with its own concurrency', async () => {
    server = await startServer(fixedDelay(20));
    const { samples } = await runLoad(server.url, loadSpec({ stages: [stage({ index: 0, connections: 1, durationMs: 1000 }), stage({ index: 1, connections: 8, durationMs: 1000 })] }));
    const count = (i: number) => samples.filter((s) => s.stage === i).reduce((n, s) => n + s.requests, 0);
    expect(count(1)).to.be.greaterThan(count(0) * 4);
  });

  it('stops a request-count stage after that many requests', async () => {
    server = await startServer(fixedDelay(1));
    const { stats } = await runLoad(server.url, loadSpec({ stages: [stage({ connections: 3, durationMs: null, requests: 25 })] }));
    expect(server.count).to.equal(25);
    expect(stats.requests).to.equal(25);
  });

  it('stops soon after the signal aborts and keeps the samples so far', async () => {
    server = await startServer(fixedDelay(5));
    const { samples, elapsedMs } = await runLoad(server.url, loadSpec({ stages: [stage({ connections: 2, durationMs: 10_000 })] }), { abortAfterMs: 1200 });
    expect(elapsedMs).to.be.below(2500);
    expect(samples.reduce((n, s) => n + s.requests, 0)).to.be.greaterThan(0);
  });
});
