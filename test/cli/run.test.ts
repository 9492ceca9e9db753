import { expect } from 'chai';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { crt } from '../helpers/cli.js';
import { outageStep, writePlan } from '../helpers/run.js';
import { closedPort, fixedDelay, startServer, switchable, type TestServer } from '../helpers/servers.js';
import { tempDir } from '../helpers/tmp.js';
import type { RunResult } from '../../src/results/types.js';
import { findChromium } from '../../src/report/index.js';

const RUN_FILES = ['events.jsonl', 'junit.xml', 'report.html', 'report.md', 'run.json', 'timeseries.jsonl'];

describe('crt run', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer | null = null;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => {
    await server?.close();
    server = null;
    await tmp.remove();
  });

  const plan = (url: string, cases: string) => `apiVersion: crt/v1
metadata: {name: cli, system: test server, versions: {server: "1.2.3"}}
targets:
  srv: {url: "${url}"}
layers:
  logical:
${cases}`;

  it('runs the plan, writes the run folder, prints its path on stdout and exits 0', async () => {
    server = await startServer(fixedDelay(2));
    const file = await writePlan(tmp.dir, plan(server.url, `    - {id: LOG-01, title: steady, objective: serve, load: {target: srv, connections: 2, duration: 2s}, expect: {whole: {errorRate: 0%}}}\n`));
    const r = await crt(['run', file, '--run-id', 'r1', '--progress-every', '1'], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(0);
    const dir = path.join(tmp.dir, 'reports', 'r1');
    expect(r.stdout).to.equal(`${dir}\n`);
    const files = await readdir(dir);
    for (const f of RUN_FILES) expect(files).to.include(f);
    const run = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as RunResult;
    expect(run).to.include({ verdict: 'passed', runId: 'r1' });
    expect(run.cases[0]!.phases.find((p) => p.name === 'whole')!.stats!.requests).to.equal(server.count);
    expect(r.stderr).to.match(/\[1\/1\] LOG-01 \(logical\) steady/);
    expect(r.stderr).to.match(/LOG-01 baseline\s+1s\/2s\s+\d+ req\/s\s+p95 [\d.]+ ms\s+errors 0 \(0%\)/);
    expect(r.stderr).to.match(/PASS LOG-01 \(1\/1 expectations hold\)/);
    expect(r.stderr).to.match(/report: reports\/r1\/report\.html/);
  });

  it('exits 1 when an expectation fails', async () => {
    server = await startServer(fixedDelay(30));
    const file = await writePlan(tmp.dir, plan(server.url, `    - {id: LOG-01, title: slow, objective: fast, load: {target: srv, connections: 1, duration: 1s}, expect: {whole: {p50: 5ms}}}\n`));
    const r = await crt(['run', file], { cwd: tmp.dir });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/FAIL LOG-01 \(0\/1 expectations hold\) in [\d.]+s: whole p50 ≤ 5ms: measured [34]\d/);
  });

  it('exits 3 at once when a target is unreachable, before creating a run folder', async () => {
    const port = await closedPort();
    const file = await writePlan(tmp.dir, plan(`http://127.0.0.1:${port}`, `    - {id: LOG-01, title: t, objective: o, load: {target: srv, connections: 1, duration: 10s}}\n`));
    const started = Date.now();
    const r = await crt(['run', file], { cwd: tmp.dir });
    expect(r.code).to.equal(3);
    expect(Date.now() - started).to.be.below(10_000);
    expect(r.stderr).to.equal(
      `error: target srv (http://127.0.0.1:${port}) is unreachable: ECONNREFUSED — plan.yaml:4:8\n` +
        'hint: is the service running and listening? check the target URLs in the plan (or the variables they use)\n',
    );
    const created = await readdir(path.join(tmp.dir, 'reports')).then(() => true, () => false);
    expect(created).to.equal(false);
  });

  it('prints what would run with --dry-run and sends nothing', async () => {
    server = await startServer(fixedDelay(1));
    const file = await writePlan(tmp.dir, plan(server.url, `    - id: LOG-01
      title: steady
      objective: serve
      tags: [nightly]
      load: {target: srv, path: /customers/1, connections: 40, generators: 5, stagger: 2s, duration: 1m}
      trigger: [{at: 30s, fault: exec, name: stop, command: "systemctl stop x", revertCommand: "systemctl start x", revertAfter: 10s}]
      expect: {whole: {errorRate: 1%}, recoveryTime: 2m30s}
    - {id: LOG-02, title: other, objective: o, load: {target: srv, rate: 5, duration: 5s}}
`));
    const r = await crt(['run', file, '--dry-run', '--tags', 'nightly'], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(0);
    expect(server.count).to.equal(0);
    expect(r.stdout).to.equal(`dry run of plan.yaml: 1 of 2 case(s) selected — nothing is sent, nothing is changed

LOG-01 [logical] steady — planned 1m8s — tags nightly
  objective:  serve
  load:       GET srv/customers/1 — closed model: 5 generators started 2s apart, each 40 connections for 1m
  trigger:    at 30s: exec command=systemctl stop x revertCommand=systemctl start x [stop]; reverted after 10s
  expect:     whole: error rate ≤ 1%
  expect:     recovery time ≤ 2m30s
`);
  });

  it('refuses an unknown --only id with a hint, exit 2', async () => {
    const file = await writePlan(tmp.dir, plan('http://127.0.0.1:1', `    - {id: LOG-01, title: t, objective: o, load: {target: srv, connections: 1, duration: 1s}}\n`));
    const r = await crt(['run', file, '--only', 'LOG-1'], { cwd: tmp.dir });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal('error: --only LOG-1: no case with this id in plan.yaml\nhint: did you mean LOG-01?\n');
  });

  it('re-renders identical reports from run.json and timeseries.jsonl with crt report (and the PDF when a Chromium is here)', async () => {
    server = await startServer(fixedDelay(2));
    const file = await writePlan(tmp.dir, plan(server.url, `    - {id: LOG-01, title: steady, objective: serve, load: {target: srv, rate: 20, duration: 2s}}\n`));
    const run = await crt(['run', file, '--run-id', 'r2'], { cwd: tmp.dir });
    expect(run.code, run.stderr).to.equal(0);
    const dir = path.join(tmp.dir, 'reports', 'r2');
    const before = await Promise.all(['report.html', 'report.md', 'summary.md', 'junit.xml'].map((f) => readFile(path.join(dir, f), 'utf8')));
    await Promise.all(['report.html', 'report.md', 'summary.md', 'junit.xml', 'charts'].map((f) => rm(path.join(dir, f), { recursive: true })));
    const r = await crt(['report', dir], { cwd: tmp.dir, env: { CRT_PDF: 'on' } });
    expect(r.code, r.stderr).to.equal(0);
    const pdf = (await findChromium(process.env)) ? ['report.pdf'] : [];
    expect(r.stdout.split('\n').filter(Boolean).map((l) => path.basename(l)).sort()).to.deep.equal(['LOG-01.png', 'LOG-01.svg', 'junit.xml', 'report.html', 'report.md', ...pdf, 'summary.md']);
    const after = await Promise.all(['report.html', 'report.md', 'summary.md', 'junit.xml'].map((f) => readFile(path.join(dir, f), 'utf8')));
    expect(after).to.deep.equal(before);
  });

  it('without a Chromium, skips the PDF, says why on stderr and in run.json, and still exits 0', async () => {
    server = await startServer(fixedDelay(2));
    const file = await writePlan(tmp.dir, plan(server.url, `    - {id: LOG-01, title: steady, objective: serve, load: {target: srv, rate: 10, duration: 1s}}\n`));
    const r = await crt(['run', file, '--run-id', 'nopdf'], { cwd: tmp.dir, env: { PATH: tmp.dir, CRT_PDF: 'on' } });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include('reporter pdf skipped: no Chromium (apt-get install chromium)\n');
    const dir = path.join(tmp.dir, 'reports', 'nopdf');
    const run = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as RunResult;
    expect(run.reporters.find((s) => s.name === 'pdf')).to.deep.equal({ name: 'pdf', ok: true, files: [], skipped: 'skipped: no Chromium (apt-get install chromium)' });
    expect(await readdir(dir)).not.to.include('report.pdf');
  });

  it('skips the PDF when CRT_PDF=off, even with a Chromium, and says so', async () => {
    server = await startServer(fixedDelay(2));
    const file = await writePlan(tmp.dir, plan(server.url, `    - {id: LOG-01, title: steady, objective: serve, load: {target: srv, rate: 10, duration: 1s}}\n`));
    const r = await crt(['run', file, '--run-id', 'pdfoff'], { cwd: tmp.dir, env: { CRT_PDF: 'off' } });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include('reporter pdf skipped: turned off (CRT_PDF=off)\n');
    expect(await readdir(path.join(tmp.dir, 'reports', 'pdfoff'))).not.to.include('report.pdf');
  });

  it('says a folder is not a run folder, exit 2', async () => {
    const r = await crt(['report', tmp.dir], { cwd: tmp.dir });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/is not a run folder: run\.json not found\nhint: give the folder a run wrote under reports\//);
  });

  it('on SIGINT stops the load, reverts the fault, writes the reports and exits 130', async () => {
    const sw = switchable(2);
    server = await startServer(sw.handler);
    const file = await writePlan(tmp.dir, plan(server.url, `    - id: LOG-01
      title: long
      objective: interrupted
      load: {target: srv, rate: 20, duration: 60s}
      trigger: [${outageStep(server.url, '1s', ', name: outage')}]
`));
    // one second after the outage is in place, whatever the machine's load
    const r = await crt(['run', file, '--run-id', 'r3'], { cwd: tmp.dir, signalOn: { stderr: /inject outage/, signal: 'SIGINT', delayMs: 1000 } });
    expect(r.code, r.stderr).to.equal(130);
    expect(r.stderr).to.match(/SIGINT: stopping the load, reverting injected faults, writing the reports/);
    expect(r.stderr).to.match(/reverting outage: run `node -e/);
    expect(sw.failing).to.equal(false);
    const run = JSON.parse(await readFile(path.join(tmp.dir, 'reports', 'r3', 'run.json'), 'utf8'));
    expect(run.interrupted).to.equal('SIGINT');
    expect(run.cases[0]).to.include({ verdict: 'aborted', reason: 'interrupted by SIGINT' });
    expect(await readdir(path.join(tmp.dir, 'reports', 'r3'))).to.include('report.html');
  });

  it('exits at once on a second SIGINT and prints what is still to revert', async () => {
    server = await startServer(fixedDelay(2));
    const file = await writePlan(tmp.dir, plan(server.url, `    - id: LOG-01
      title: long
      objective: interrupted twice
      load: {target: srv, rate: 20, duration: 60s}
      trigger: [{at: 500ms, fault: exec, name: slow-revert, command: "true", revertCommand: "sleep 5"}]
`));
    // late enough for the fault to be in place on a loaded machine; the second comes past the 1 s in which a
    // second signal counts as the same Ctrl-C (npm run passes it on), while the 5 s revert still runs
    const r = await crt(['run', file, '--run-id', 'r4'], { cwd: tmp.dir, signals: [['SIGINT', 4500], ['SIGINT', 6200]] });
    expect(r.code).to.equal(130);
    expect(r.stderr).to.match(/SIGINT again: exiting now\.\nThese faults may still be in place \(.*journal\.jsonl\):\n {2}LOG-01\/slow-revert: run `true` — revert: \{"fault":"exec","command":"sleep 5".*\nRevert them with: crt revert --run r4\n/);
  });
});
