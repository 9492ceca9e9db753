import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { crt } from '../helpers/cli.js';
import { writePlan } from '../helpers/run.js';
import { startServer, type TestServer } from '../helpers/servers.js';
import { tempDir } from '../helpers/tmp.js';
import type { RunResult, TimeseriesRecord } from '../../src/results/types.js';

describe('crt run with load.servedBy', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer | null = null;
  beforeEach(async () => {
    tmp = await tempDir();
    // a 1:4 canary: every fifth answer comes from version 1.1
    server = await startServer((_req, res, n) => {
      res.setHeader('x-version', n % 5 === 0 ? '1.1' : '1.0');
      res.end('ok');
    });
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    await tmp.remove();
  });

  const plan = (url: string, expect: string) => `apiVersion: crt/v1
metadata: {name: canary}
targets:
  srv: {url: "${url}"}
layers:
  logical:
    - id: CAN-01
      title: canary share
      objective: one answer in five comes from the canary
      load: {target: srv, rate: 50, connections: 4, duration: 2s, servedBy: X-Version}
      expect: ${expect}
`;

  it('records the answers by version in run.json and timeseries.jsonl, reports them, and passes the share expectation', async () => {
    const file = await writePlan(tmp.dir, plan((server as TestServer).url, '{whole: {servedBy: {"1.1": {min: 15%, max: 25%}}, backends: {min: 2}}}'));
    const r = await crt(['run', file, '--run-id', 'r1'], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(0);
    const dir = path.join(tmp.dir, 'reports', 'r1');
    const run = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as RunResult;
    const c = run.cases[0]!;
    expect(c.load?.servedBy).to.equal('x-version');
    expect(c.phases.find((p) => p.name === 'whole')?.stats?.servedBy).to.deep.equal({ '1.0': 80, '1.1': 20 });
    expect(c.stages[0]?.stats?.servedBy).to.deep.equal({ '1.0': 80, '1.1': 20 });
    expect(c.expectations.map((e) => [e.metric, e.measuredText, e.verdict])).to.deep.equal([
      ['servedBy[1.1]', '20% (20 of 100)', 'passed'],
      ['servedBy[1.1]', '20% (20 of 100)', 'passed'],
      ['backends', '2 (1.0, 1.1)', 'passed'],
    ]);
    const lines = (await readFile(path.join(dir, 'timeseries.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as TimeseriesRecord);
    const total: Record<string, number> = {};
    for (const l of lines) for (const [k, v] of Object.entries(l.servedBy ?? {})) total[k] = (total[k] ?? 0) + v;
    expect(total).to.deep.equal({ '1.0': 80, '1.1': 20 });
    const md = await readFile(path.join(dir, 'report.md'), 'utf8');
    expect(md).to.contain('**Answers by x-version**');
    expect(md).to.match(/\| whole +\| 1\.1 +\| +20 \| +20% \|/);
  });

  it('exits 1 when the share is outside its bounds, saying what was measured', async () => {
    const file = await writePlan(tmp.dir, plan((server as TestServer).url, '{whole: {servedBy: {"1.1": {min: 40%}}}}'));
    const r = await crt(['run', file], { cwd: tmp.dir });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/FAIL CAN-01 \(0\/1 expectations hold\) in [\d.]+s: whole share of answers with 1\.1 ≥ 40%: measured 20% \(20 of 100\)/);
  });
});
