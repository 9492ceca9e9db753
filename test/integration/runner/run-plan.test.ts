import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fixedDelay, startServer, switchable, type TestServer } from '../../helpers/servers.js';
import { outageStep, runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import type { Sink } from '../../../src/metrics/index.js';

describe('running plans against a real server', function () {
  this.timeout(30_000);
  let server: TestServer;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => {
    await server?.close();
    await tmp.remove();
  });

  const header = (url: string) => `apiVersion: crt/v1\nmetadata: {name: it}\ntargets:\n  srv: {url: "${url}"}\nlayers:\n  logical:\n`;

  it('cuts baseline, fault, recovery and after around an exec fault and measures the recovery', async () => {
    const sw = switchable(5);
    server = await startServer(sw.handler);
    const file = await writePlan(tmp.dir, header(server.url) + `
    - id: LOG-01
      title: outage
      objective: see the outage and the recovery
      load: {target: srv, path: /x, rate: 100, connections: 5, duration: 8s}
      trigger:
        - ${outageStep(server.url, '1s', ', name: outage, revertAfter: 2s')}
      recovery: {stableFor: 2s}
      expect:
        baseline: {errorRate: 0%}
        # the switch is a node -e command: 100–300 ms of the 2 s fault still succeed on a loaded machine
        # the fault phase starts when the exec command starts: the switch itself takes a node start-up
        fault: {errorRate: {min: 50%}}
        recoveryTime: {max: 3s, min: 2s}
`);
    const { result } = await runPlanFile(file, tmp.dir);
    const c = result.cases[0]!;
    expect(c.verdict, c.reason).to.equal('passed');
    expect(c.phases.map((p) => p.name)).to.deep.equal(['baseline', 'fault', 'recovery', 'after', 'whole']);
    const whole = c.phases.find((p) => p.name === 'whole')!.stats!;
    expect(whole.sent).to.equal(800);
    expect(c.recovery).to.include({ impact: true });
    expect(sw.failing).to.equal(false);
    const journal = (await readFile(path.join(tmp.dir, 'journal.jsonl'), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { status: string }).status);
    expect(journal).to.deep.equal(['intended', 'applied', 'reverted']);
  });

  it('tags every line of timeseries.jsonl with the phase of its second', async () => {
    const sw = switchable(5);
    server = await startServer(sw.handler);
    const file = await writePlan(tmp.dir, header(server.url) + `
    - id: LOG-01
      title: outage
      objective: tags
      load: {target: srv, rate: 50, duration: 4s}
      trigger:
        - ${outageStep(server.url, '2s')}
`);
    const { result } = await runPlanFile(file, tmp.dir);
    const lines = (await readFile(path.join(tmp.dir, 'timeseries.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { sec: number; phase: string });
    expect(lines.filter((l) => l.sec < 2).every((l) => l.phase === 'baseline')).to.equal(true);
    expect(lines.filter((l) => l.sec >= 2 && l.sec < 4).every((l) => l.phase === 'fault')).to.equal(true);
    // the fault had no revertAfter: it was reverted when the case ended
    expect(result.cases[0]!.events.filter((e) => e.kind === 'revert').map((e) => e.ok)).to.deep.equal([true]);
    expect(sw.failing).to.equal(false);
  });

  it('aborts a case when an abort rule holds, reverting its fault', async () => {
    const sw = switchable(2);
    server = await startServer(sw.handler);
    const file = await writePlan(tmp.dir, header(server.url) + `
    - id: LOG-01
      title: abort
      objective: abort early
      load: {target: srv, rate: 50, duration: 20s}
      trigger:
        - ${outageStep(server.url, '1s')}
      abortIf: ["errorRate > 50% for 2s"]
`);
    const started = Date.now();
    const { result } = await runPlanFile(file, tmp.dir);
    const c = result.cases[0]!;
    expect(c.verdict).to.equal('aborted');
    expect(c.reason).to.match(/abort rule "errorRate > 50% for 2s"/);
    expect(Date.now() - started).to.be.below(10_000);
    expect(sw.failing).to.equal(false);
  });

  it('does not run a case whose general condition fails, and says which', async () => {
    server = await startServer(fixedDelay(1));
    const file = await writePlan(tmp.dir, header(server.url) + `
    - id: LOG-01
      title: cond
      objective: not run
      conditions:
        - {probe: http, name: health, target: srv, path: /health, bodyContains: "healthy"}
      load: {target: srv, connections: 1, duration: 2s}
`);
    const before = server.count;
    const { result } = await runPlanFile(file, tmp.dir);
    expect(result.cases[0]).to.include({ verdict: 'not-run' });
    expect(result.cases[0]!.reason).to.match(/^condition health failed: .*body does not contain "healthy"/);
    expect(server.count - before).to.equal(1);
  });

  it('fails a case whose expectation does not hold and names the expectation', async () => {
    server = await startServer(fixedDelay(40));
    const file = await writePlan(tmp.dir, header(server.url) + `
    - id: LOG-01
      title: slow
      objective: p95 bound
      load: {target: srv, connections: 2, duration: 1s}
      expect:
        whole: {p95: 10ms}
`);
    const { result } = await runPlanFile(file, tmp.dir);
    expect(result.cases[0]).to.include({ verdict: 'failed' });
    // the server answers after 40 ms: at least that, more on a busy machine (59 ms seen beside the cluster tests)
    const measured = /^whole p95 ≤ 10ms: measured (\d+(?:\.\d+)?) ms$/.exec(result.cases[0]!.reason ?? '');
    expect(measured, result.cases[0]!.reason).to.not.equal(null);
    expect(Number(measured![1])).to.be.at.least(40);
    expect(result.verdict).to.equal('failed');
  });

  it('marks a case inconclusive when its fault fails to inject, and still reverts it', async () => {
    server = await startServer(fixedDelay(1));
    const marker = path.join(tmp.dir, 'reverted');
    const file = await writePlan(tmp.dir, header(server.url) + `
    - id: LOG-01
      title: bad fault
      objective: inconclusive
      load: {target: srv, connections: 1, duration: 2s}
      trigger:
        - {at: 500ms, fault: exec, command: "echo boom >&2; exit 3", revertCommand: "touch ${marker}"}
`);
    const { result } = await runPlanFile(file, tmp.dir);
    expect(result.cases[0]).to.include({ verdict: 'inconclusive' });
    expect(result.cases[0]!.reason).to.match(/exited 3: boom/);
    await readFile(marker);
  });

  it('keeps running when a sink throws, and records the sink as failed', async () => {
    server = await startServer(fixedDelay(1));
    const broken: Sink = {
      name: 'broken',
      writeSamples: () => { throw new Error('disk on fire'); },
      writeEvents: () => undefined,
      close: async () => undefined,
      status: () => ({ status: 'ok', written: 0, errors: [] }),
    };
    const file = await writePlan(tmp.dir, header(server.url) + `
    - id: LOG-01
      title: sink
      objective: isolated sink failure
      load: {target: srv, connections: 1, duration: 1s}
`);
    const { result } = await runPlanFile(file, tmp.dir, { sinks: [broken] });
    expect(result.cases[0]).to.include({ verdict: 'passed' });
    const status = result.sinks.find((s) => s.name === 'broken')!;
    expect(status.status).to.equal('failed');
    expect(status.errors[0]).to.equal('writeSamples: disk on fire');
    expect(result.sinks.find((s) => s.name === 'files')!.status).to.equal('ok');
  });

  it('stops the current case, reverts, and leaves later cases not run when the run is interrupted', async () => {
    const sw = switchable(2);
    server = await startServer(sw.handler);
    const file = await writePlan(tmp.dir, header(server.url) + `
    - id: LOG-01
      title: long
      objective: interrupted
      load: {target: srv, rate: 20, duration: 30s}
      trigger:
        - ${outageStep(server.url, '500ms')}
    - id: LOG-02
      title: next
      objective: never runs
      load: {target: srv, connections: 1, duration: 1s}
`);
    const controller = new AbortController();
    setTimeout(() => controller.abort('SIGINT'), 2000);
    const { result } = await runPlanFile(file, tmp.dir, { signal: controller.signal });
    expect(result.interrupted).to.equal('SIGINT');
    expect(result.cases.map((c) => [c.verdict, c.reason])).to.deep.equal([['aborted', 'interrupted by SIGINT'], ['not-run', 'interrupted by SIGINT']]);
    expect(sw.failing).to.equal(false);
  });
});
