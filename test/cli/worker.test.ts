import { expect } from 'chai';
import { parseWorkerLine, type WorkerConfig } from '../../src/load/worker.js';
import type { GeneratorMessage } from '../../src/load/index.js';
import { computeStats } from '../../src/results/stats.js';
import type { LoadSample } from '../../src/results/types.js';
import { crt } from '../helpers/cli.js';
import { loadSpec, stage } from '../helpers/load.js';
import { fixedDelay, startServer, type TestServer } from '../helpers/servers.js';

describe('crt worker (a load worker of a distributed load)', function () {
  this.timeout(30_000);
  let server: TestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  function config(url: string, durationMs: number): WorkerConfig {
    return { url, headers: {}, spec: loadSpec({ stages: [stage({ connections: 2, rateRps: 25, durationMs })] }), startAtMs: Date.now() + 500, maxStageMs: 60_000 };
  }

  it('runs the load from its start instant and prints every second as a JSON line for its index', async () => {
    server = await startServer(fixedDelay(2));
    const r = await crt(['worker'], { env: { CRT_WORKER: JSON.stringify(config(server.url, 2000)), JOB_COMPLETION_INDEX: '1' } });
    expect(r.code, r.stderr).to.equal(0);
    const messages = r.stdout.trim().split('\n').map((l) => parseWorkerLine(l, 1)).filter((m): m is GeneratorMessage => m !== null);
    const samples: LoadSample[] = messages.flatMap((m) => (m.type === 'samples' ? m.samples : []));
    expect(computeStats(samples, 2)?.requests).to.equal(50).and.to.equal(server.count);
    expect(messages.at(-1)).to.include({ type: 'done', generator: 1 });
  });

  it('stops on SIGTERM and still prints the seconds so far', async () => {
    server = await startServer(fixedDelay(2));
    const r = await crt(['worker'], { env: { CRT_WORKER: JSON.stringify(config(server.url, 20_000)) }, signals: [['SIGTERM', 2500]] });
    expect(r.code, r.stderr).to.equal(0);
    const samples: LoadSample[] = r.stdout.trim().split('\n').flatMap((l) => {
      const m = parseWorkerLine(l, 0);
      return m?.type === 'samples' ? m.samples : [];
    });
    expect(computeStats(samples, 20)?.requests).to.be.within(25, server.count);
  });

  it('says it needs CRT_WORKER when started by hand (exit 2)', async () => {
    const r = await crt(['worker']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('crt worker needs its configuration in CRT_WORKER');
    expect(r.stderr).to.contain('hint: crt worker is started by crt run');
  });
});
