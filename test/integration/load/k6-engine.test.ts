import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { EnvironmentError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/index.js';
import type { GeneratorMessage } from '../../../src/load/engine.js';
import { K6Engine } from '../../../src/load/k6/engine.js';
import { computeStats } from '../../../src/results/stats.js';
import type { LoadSample } from '../../../src/results/types.js';
import { loadSpec, stage } from '../../helpers/load.js';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { fixedDelay, startServer, type TestServer } from '../../helpers/servers.js';
import { tempDir } from '../../helpers/tmp.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/k6/', import.meta.url));
/** A FAKE k6 (a Node script, see its header): it tests crt's subprocess plumbing, not k6. */
const FAKE_K6 = path.join(fixtures, 'fake-k6.mjs');

function k6OnPath(): boolean {
  try {
    execFileSync('k6', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function drive(engine: K6Engine, spec: ReturnType<typeof loadSpec>, dir: string, url = 'http://127.0.0.1:9/', abortAfterMs?: number) {
  const prepared = await engine.prepare({ spec, targetName: 't', url, headers: {} }, { maxStageMs: 60_000, log: silentLogger, runId: 'r1', caseId: 'K6-01', workDir: dir });
  const controller = new AbortController();
  if (abortAfterMs !== undefined) setTimeout(() => controller.abort(), abortAfterMs);
  const messages: GeneratorMessage[] = [];
  const started = Date.now();
  for await (const m of prepared.start(performance.timeOrigin + performance.now(), controller.signal)) messages.push(m);
  const samples: LoadSample[] = messages.flatMap((m) => (m.type === 'samples' ? m.samples : []));
  return { messages, samples, elapsedMs: Date.now() - started };
}

describe('k6 engine as a subprocess (with a FAKE k6 standing in for the binary)', function () {
  this.timeout(30_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const saved = { ...process.env };
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => {
    process.env = { ...saved };
    await tmp.remove();
  });

  it('reports the version of the binary it is given', async () => {
    expect(await new K6Engine(FAKE_K6).version()).to.equal('k6 v0.0.0-fake (crt test stand-in, linux/amd64)');
  });

  it('says k6 is not on PATH with a hint, as an environment error', async () => {
    process.env.PATH = tmp.dir;
    const err = await new K6Engine('k6').version().then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(EnvironmentError);
    expect((err as EnvironmentError).message).to.equal('k6 not found on PATH');
    expect((err as EnvironmentError).hint).to.contain('k6Binary');
  });

  it('runs the script it generates with outputs in the run folder and turns the points into samples', async () => {
    process.env.FAKE_K6_RECORD = path.join(tmp.dir, 'record.json');
    const { messages, samples } = await drive(new K6Engine(), loadSpec({ k6Binary: FAKE_K6, stages: [stage({ connections: 2, durationMs: 1500 })] }), tmp.dir);
    const record = JSON.parse(await readFile(process.env.FAKE_K6_RECORD, 'utf8')) as { args: string[]; env: Record<string, string> };
    const k6dir = path.join(tmp.dir, 'k6', 'K6-01');
    expect(record.args).to.deep.equal(['run', '--no-usage-report', '--out', `json=${k6dir}/points.json`, '--summary-export', `${k6dir}/summary.json`, '--tag', 'run=r1', '--tag', 'case=K6-01', `${k6dir}/script.js`]);
    expect(record.env.CRT_URL).to.equal('http://127.0.0.1:9/');
    expect(await readFile(path.join(k6dir, 'script.js'), 'utf8')).to.contain("executor\": \"constant-vus\"");
    const stats = computeStats(samples, 2);
    // the fake writes a point every 50 ms for 1.5 s: every point it wrote is counted, once
    const written = (await readFile(path.join(k6dir, 'points.json'), 'utf8')).trim().split('\n').length - 1;
    expect(stats?.requests).to.equal(written).and.to.be.above(20);
    expect(stats?.latency?.p50).to.be.closeTo(5, 0.01);
    expect(messages.filter((m) => m.type === 'error')).to.deep.equal([]);
    expect(messages.at(-1)?.type).to.equal('done');
  });

  it('turns exit 99 and the summary\'s thresholds into expectations', async () => {
    process.env.FAKE_K6_EXIT = '99';
    process.env.FAKE_K6_MS = '200';
    process.env.FAKE_K6_SUMMARY = path.join(fixtures, 'summary.json');
    const { messages } = await drive(new K6Engine(), loadSpec({ k6Binary: FAKE_K6 }), tmp.dir);
    const expectations = messages.flatMap((m) => (m.type === 'expectations' ? m.results : []));
    expect(expectations.map((e) => `${e.metric} ${e.thresholdText} ${e.verdict}`)).to.deep.equal(['k6 http_req_duration p(95) http_req_duration p(95)<500 failed', 'k6 http_req_duration avg http_req_duration avg<1000 passed', 'k6 http_req_failed rate http_req_failed rate<0.01 failed']);
    expect(messages.filter((m) => m.type === 'error')).to.deep.equal([]);
  });

  it('reports another exit code as a generator error', async () => {
    process.env.FAKE_K6_EXIT = '107';
    process.env.FAKE_K6_MS = '100';
    const { messages } = await drive(new K6Engine(), loadSpec({ k6Binary: FAKE_K6 }), tmp.dir);
    expect(messages.find((m) => m.type === 'error')).to.include({ message: 'k6 exited with code 107: no output on stderr' });
  });

  it('stops k6 with SIGINT when the load is aborted, keeping the samples so far', async () => {
    process.env.FAKE_K6_MS = '20000';
    const { messages, samples, elapsedMs } = await drive(new K6Engine(), loadSpec({ k6Binary: FAKE_K6 }), tmp.dir, undefined, 1200);
    expect(elapsedMs).to.be.below(5000);
    expect(computeStats(samples, 2)?.requests).to.be.above(5);
    expect(messages.filter((m) => m.type === 'error')).to.deep.equal([]);
  });

  it('fails the case on crossed thresholds through a plan run', async () => {
    process.env.FAKE_K6_EXIT = '99';
    process.env.FAKE_K6_MS = '300';
    process.env.FAKE_K6_SUMMARY = path.join(fixtures, 'summary.json');
    const file = await writePlan(tmp.dir, `apiVersion: crt/v1
metadata: {name: k6}
targets:
  api: {url: "http://127.0.0.1:9"}
layers:
  logical:
    - id: K6-01
      title: k6 thresholds
      objective: thresholds of the k6 script become expectations
      load: {target: api, engine: k6, k6Binary: ${JSON.stringify(FAKE_K6)}, connections: 1, duration: 1s}
`);
    const { result } = await runPlanFile(file, tmp.dir);
    const c = result.cases[0];
    expect(c?.verdict).to.equal('failed');
    expect(c?.load?.engine).to.equal('k6');
    expect(c?.expectations.filter((e) => e.metric.startsWith('k6 ')).map((e) => e.verdict)).to.deep.equal(['failed', 'passed', 'failed']);
    expect(Object.keys(result.environment?.engines ?? {})).to.deep.equal([`k6 (${FAKE_K6})`]);
  });
});

const hasK6 = k6OnPath();
describe(`k6 engine with the real k6 binary${hasK6 ? '' : ' (skipped: k6 not found on PATH)'}`, function () {
  this.timeout(60_000);
  let server: TestServer | null = null;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  before(function () {
    if (!hasK6) this.skip();
  });
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => {
    await server?.close();
    server = null;
    await tmp.remove();
  });

  it('counts every request the server received, in the open model', async () => {
    server = await startServer(fixedDelay(10));
    const { samples } = await drive(new K6Engine(), loadSpec({ stages: [stage({ connections: 2, rateRps: 20, durationMs: 2000 })] }), tmp.dir, server.url);
    expect(computeStats(samples, 2)?.requests).to.equal(server.count);
  });
});
