import { expect } from 'chai';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { crt } from '../../helpers/cli.js';
import { Influxd, requireInfluxd } from '../../helpers/influxd.js';
import { writePlan } from '../../helpers/run.js';
import { startServer, type TestServer } from '../../helpers/servers.js';
import { tempDir } from '../../helpers/tmp.js';
import type { RunComparison, RunResult } from '../../../src/results/types.js';

describe('last-good from InfluxDB (crt run --baseline last-good, crt compare)', function () {
  this.timeout(60_000);
  let influxd: Influxd | null = null;
  let server: TestServer;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let delayMs = 1;
  before(function () {
    requireInfluxd(this);
  });
  beforeEach(async () => {
    tmp = await tempDir();
    delayMs = 1;
    server = await startServer((_req, res) => void setTimeout(() => res.end('ok'), delayMs));
  });
  afterEach(async () => {
    await server.close();
    await influxd?.destroy();
    influxd = null;
    await tmp.remove();
  });

  const plan = (name: string) => `apiVersion: crt/v1
metadata: {name: ${name}}
targets:
  srv: {url: "${server.url}"}
regression: {p95: +30ms}
layers:
  logical:
    - {id: LOG-01, title: steady, objective: serve, load: {target: srv, connections: 2, duration: 1s}}
`;
  const run = (id: string, file: string, ...extra: string[]) => crt(['run', file, '--run-id', id, ...extra], { cwd: tmp.dir });

  it('finds the newest passed run of the plan in crt_case when no run folder is left, and compares its phases', async () => {
    influxd = await Influxd.start();
    const file = await writePlan(tmp.dir, plan('nightly'));
    const other = await writePlan(tmp.dir, plan('other'), 'other.yaml');
    expect((await run('n1', file, '--influx-url', influxd.url)).code).to.equal(0);
    expect((await run('o1', other, '--influx-url', influxd.url)).code).to.equal(0);
    // a fresh CI workspace: the run folders of earlier nights are gone
    await rm(path.join(tmp.dir, 'reports'), { recursive: true });
    delayMs = 60;
    const r = await run('n2', file, '--influx-url', influxd.url, '--baseline', 'last-good');
    expect(r.code, r.stderr).to.equal(1);
    const n2 = JSON.parse(await readFile(path.join(tmp.dir, 'reports', 'n2', 'run.json'), 'utf8')) as RunResult;
    const c = n2.comparison!;
    expect(c.baseline).to.include({ runId: 'n1', verdict: 'passed', source: `InfluxDB ${influxd.url} database crt` });
    const whole = c.cases[0]!.metrics.filter((m) => m.phase === 'whole');
    expect(whole.map((m) => [m.metric, m.status])).to.deep.equal([['p95', 'regressed'], ['p99', 'unchecked'], ['errorRate', 'ok']]);
    expect(whole[2]).to.include({ baseline: 0, current: 0 });

    // n2 passed its expectations and is in InfluxDB now: crt compare excludes the run itself and finds n1 again
    const cmp = await crt(['compare', 'n2', '--baseline', 'last-good', '--influx-url', influxd.url], { cwd: tmp.dir });
    expect(cmp.code, cmp.stderr).to.equal(1);
    const saved = JSON.parse(await readFile(path.join(tmp.dir, 'reports', 'n2', 'comparison.json'), 'utf8')) as RunComparison;
    expect(saved.baseline.runId).to.equal('n1');
  });

  it('says so when InfluxDB holds no passed run of the plan', async () => {
    influxd = await Influxd.start();
    const file = await writePlan(tmp.dir, plan('nightly'));
    const r = await run('first', file, '--influx-url', influxd.url, '--baseline', 'last-good');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include(`no last good run of plan nightly under reports/ nor in InfluxDB at ${influxd.url} yet: this run will not be compared`);
  });
});
