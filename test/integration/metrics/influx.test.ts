import { expect } from 'chai';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { crt, type CliRun } from '../../helpers/cli.js';
import { Influxd, requireInfluxd } from '../../helpers/influxd.js';
import { writePlan } from '../../helpers/run.js';
import { dashboardQueries, expandQuery } from '../../helpers/grafana.js';
import { closedPort, startServer, type Handler, type TestServer } from '../../helpers/servers.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { INFLUX_MEASUREMENTS, UniqueTimes, eventPoint, samplePoints, type CrtPoint, type Measurement } from '../../../src/metrics/index.js';
import type { EventRecord, RunResult, TimeseriesRecord } from '../../../src/results/types.js';

const PLAN_NAME = 'influx-it';

const plan = (url: string, seconds: number, extra = '') => `apiVersion: crt/v1
metadata: {name: ${PLAN_NAME}}
targets:
  srv: {url: "${url}"}
${extra}layers:
  logical:
    - id: LOG-01
      title: steady with a step
      objective: write every second to InfluxDB
      load: {target: srv, rate: 40, connections: 4, duration: ${seconds}s, servedBy: x-version}
      trigger: [{at: 1s, fault: exec, name: touch, command: "node -e \\"require('fs').writeFileSync('marker', 'x')\\"", revertCommand: "true", revertAfter: 1s}]
      expect: {whole: {errorRate: 0%}}
`;

/** Answers after 1 ms; one answer in five says it was served by v2, the others by v1. */
const versioned: Handler = (_req, res, n) => {
  res.setHeader('x-version', n % 5 === 0 ? 'v2' : 'v1');
  setTimeout(() => res.end('ok'), 1);
};

async function jsonl<T>(file: string): Promise<T[]> {
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

/** The points the run files say were written, keyed like the points read back from InfluxDB. */
async function expectedPoints(dir: string, measurement: Measurement): Promise<string[]> {
  const times = new UniqueTimes();
  const points: CrtPoint[] = measurement === 'crt_event'
    ? (await jsonl<EventRecord>(path.join(dir, 'events.jsonl'))).map((r) => eventPoint(r, PLAN_NAME, times))
    : (await jsonl<TimeseriesRecord>(path.join(dir, 'timeseries.jsonl'))).flatMap((r) => samplePoints(r, PLAN_NAME, times)).filter((p) => p.measurement === measurement);
  return points.map((p) => key(p.timestamp, p.tags, p.fields)).sort();
}

function key(time: unknown, tags: Record<string, string>, fields: Record<string, unknown>): string {
  const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== '').sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify([time, sorted(tags), sorted(fields)]);
}

/** Every point of a measurement in InfluxDB, as the same keys (empty tags and null fields left out). */
async function storedPoints(influxd: Influxd, measurement: Measurement, db = 'crt'): Promise<string[]> {
  const series = await influxd.query(`SELECT * FROM ${measurement} GROUP BY *`, db);
  const fields = INFLUX_MEASUREMENTS[measurement].fields as readonly string[];
  return series.flatMap((s) => s.values.map((row) => {
    const values = Object.fromEntries(s.columns.map((c, i) => [c, row[i]]));
    return key(values.time, s.tags ?? {}, Object.fromEntries(fields.map((f) => [f, values[f] ?? null])));
  })).sort();
}

describe('the InfluxDB sink against a real influxd', function () {
  this.timeout(60_000);
  let influxd: Influxd | null = null;
  let server: TestServer;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  before(function () {
    requireInfluxd(this);
  });
  beforeEach(async () => {
    tmp = await tempDir();
    server = await startServer(versioned);
  });
  afterEach(async () => {
    await server.close();
    await influxd?.destroy();
    influxd = null;
    await tmp.remove();
  });

  const runDir = (id: string) => path.join(tmp.dir, 'reports', id);
  const run = async (id: string, args: string[], env: Record<string, string> = {}) => crt(['run', path.join(tmp.dir, 'plan.yaml'), '--run-id', id, ...args], { cwd: tmp.dir, env });
  const readRun = async (id: string) => JSON.parse(await readFile(path.join(runDir(id), 'run.json'), 'utf8')) as RunResult;
  const expectOk = (r: CliRun) => expect(r.code, r.stderr).to.equal(0);

  it('writes every per-second sample and event, equal to timeseries.jsonl and events.jsonl', async () => {
    influxd = await Influxd.start();
    await writePlan(tmp.dir, plan(server.url, 3));
    const r = await run('r1', ['--influx-url', influxd.url]);
    expectOk(r);
    const dir = runDir('r1');
    const load = await expectedPoints(dir, 'crt_load');
    expect(load.length).to.be.greaterThan(2);
    expect(await storedPoints(influxd, 'crt_load')).to.deep.equal(load);
    expect(await storedPoints(influxd, 'crt_event')).to.deep.equal(await expectedPoints(dir, 'crt_event'));
    const [sums] = await influxd.query('SELECT sum(requests), sum(failed) FROM crt_load', 'crt');
    const records = await jsonl<TimeseriesRecord>(path.join(dir, 'timeseries.jsonl'));
    expect(sums?.values[0]?.slice(1)).to.deep.equal([records.reduce((n, x) => n + x.requests, 0), 0]);
    // the answers by version: one point per second and value, summing to what run.json says of the case
    const served = await expectedPoints(dir, 'crt_served_by');
    expect(served.length).to.be.greaterThan(2);
    expect(await storedPoints(influxd, 'crt_served_by')).to.deep.equal(served);
    const byValue = await influxd.query('SELECT sum(answers) FROM crt_served_by GROUP BY "value"', 'crt');
    const whole = (await readRun('r1')).cases[0]?.phases.find((p) => p.name === 'whole')?.stats?.servedBy;
    expect(Object.fromEntries(byValue.map((x) => [x.tags?.value, x.values[0]?.[1]]))).to.deep.equal(whole).and.to.have.all.keys('v1', 'v2');
    const [verdicts] = await influxd.query('SELECT verdict, expectations_failed FROM crt_case', 'crt');
    expect(verdicts?.values.map((v) => v.slice(1))).to.deep.equal([['passed', 0]]);
    const sink = (await readRun('r1')).sinks.find((s) => s.name === 'influx');
    expect(sink).to.deep.include({ status: 'ok', errors: [] });
    expect(sink?.written).to.equal(load.length + served.length + (await expectedPoints(dir, 'crt_event')).length + 1);
  });

  it('answers every query of the Grafana dashboard, with data for the load panels and the fault annotations', async () => {
    influxd = await Influxd.start();
    await writePlan(tmp.dir, plan(server.url, 2));
    const from = Date.now() * 1000;
    expectOk(await run('g1', ['--influx-url', influxd.url]));
    const to = Date.now() * 1000;
    for (const { where, query } of dashboardQueries()) {
      const series = await influxd.query(expandQuery(query, 'g1', from, to), 'crt');
      if (/FROM "crt_(load|case|served_by)"|inject\|revert/.test(query)) expect(series.length, `${where}: ${query}`).to.be.greaterThan(0);
    }
  });

  it('loses no point when influxd stops mid-run and comes back, and says the sink was degraded', async () => {
    influxd = await Influxd.start();
    const d = influxd;
    await writePlan(tmp.dir, plan(server.url, 6));
    const running = run('r2', ['--influx-url', d.url]);
    const series = path.join(runDir('r2'), 'timeseries.jsonl');
    await until('the first seconds of load', async () => (await readFile(series, 'utf8').catch(() => '')).split('\n').length > 2, 20_000);
    await d.stop();
    // down until the sink spooled a batch it could not write
    await until('a batch in the spool', async () => (await readFile(path.join(runDir('r2'), 'influx-spool.jsonl'), 'utf8').catch(() => '')).trim() !== '', 20_000);
    await d.resume();
    const r = await running;
    expectOk(r);
    expect(await storedPoints(d, 'crt_load')).to.deep.equal(await expectedPoints(runDir('r2'), 'crt_load'));
    expect(await storedPoints(d, 'crt_served_by')).to.deep.equal(await expectedPoints(runDir('r2'), 'crt_served_by'));
    expect(await storedPoints(d, 'crt_event')).to.deep.equal(await expectedPoints(runDir('r2'), 'crt_event'));
    const sink = (await readRun('r2')).sinks.find((s) => s.name === 'influx');
    expect(sink?.status).to.equal('degraded');
    expect(sink?.errors.join('\n')).to.match(/outage 1: .*points spooled to influx-spool.jsonl/);
    expect(await readFile(path.join(runDir('r2'), 'influx-spool.jsonl'), 'utf8')).to.equal('');
    expect(await readFile(path.join(runDir('r2'), 'report.md'), 'utf8')).to.match(/\*\*Sinks:\*\* influx degraded/);
    expect(r.stderr).to.match(/sink influx degraded/);
  });

  it('leaves what it could not write in the spool, and crt push writes it later, once', async () => {
    influxd = await Influxd.start();
    const d = influxd;
    await writePlan(tmp.dir, plan(server.url, 3));
    const running = run('r3', ['--influx-url', d.url]);
    await until('the first second of load', async () => (await readFile(path.join(runDir('r3'), 'timeseries.jsonl'), 'utf8').catch(() => '')).length > 0, 20_000);
    await d.stop();
    expectOk(await running);
    const dir = runDir('r3');
    const before = await readRun('r3');
    expect(before.sinks.find((s) => s.name === 'influx')?.status).to.equal('failed');
    expect((await readFile(path.join(dir, 'influx-spool.jsonl'), 'utf8')).length).to.be.greaterThan(0);
    await d.resume();
    const push = await crt(['push', dir, '--influx-url', d.url], { cwd: tmp.dir });
    expectOk(push);
    expect(await storedPoints(d, 'crt_load')).to.deep.equal(await expectedPoints(dir, 'crt_load'));
    expect(await storedPoints(d, 'crt_served_by')).to.deep.equal(await expectedPoints(dir, 'crt_served_by'));
    expect(await readFile(path.join(dir, 'influx-spool.jsonl'), 'utf8')).to.equal('');
    expect((await readRun('r3')).sinks.find((s) => s.name === 'influx')?.status).to.equal('degraded');
    // --all rewrites the whole run with the same timestamps: nothing is doubled
    expectOk(await crt(['push', dir, '--all', '--influx-url', d.url], { cwd: tmp.dir }));
    expect(await storedPoints(d, 'crt_load')).to.deep.equal(await expectedPoints(dir, 'crt_load'));
    expect(await storedPoints(d, 'crt_event')).to.deep.equal(await expectedPoints(dir, 'crt_event'));
  });

  describe('a misconfigured sink is exit 3 before any fault', () => {
    const refused = async (id: string, r: CliRun, message: RegExp) => {
      expect(r.code, r.stderr).to.equal(3);
      expect(r.stderr).to.match(message);
      expect(await access(path.join(tmp.dir, 'marker')).then(() => 'present', () => 'absent')).to.equal('absent');
      expect(await readFile(path.join(runDir(id), 'journal.jsonl'), 'utf8').catch(() => '')).to.equal('');
      // a refused start leaves no half-made run folder
      expect(await access(runDir(id)).then(() => 'present', () => 'absent')).to.equal('absent');
      expect(r.stderr).to.include(`no case ran: removed the run folder reports/${id}\n`);
    };

    it('when nothing listens at the URL', async () => {
      await writePlan(tmp.dir, plan(server.url, 2));
      const r = await run('c1', [], { CRT_INFLUX_URL: `http://127.0.0.1:${await closedPort()}` });
      await refused('c1', r, /error: InfluxDB at http:\/\/127\.0\.0\.1:\d+ does not answer/);
    });

    describe('with authentication on', () => {
      const admin = { username: 'admin', password: 'adm1n-Secret' };
      beforeEach(async () => {
        influxd = await Influxd.start({ auth: true });
        await influxd.query(`CREATE USER admin WITH PASSWORD '${admin.password}' WITH ALL PRIVILEGES`);
        await influxd.query(`CREATE USER writer WITH PASSWORD 'wr1ter-Secret'`, undefined, admin);
      });

      it('when the credentials are wrong, without printing them', async () => {
        await writePlan(tmp.dir, plan(server.url, 2, `sinks:\n  influx: {url: "${influxd!.url}", database: crt}\n`));
        const r = await run('c2', [], { CRT_INFLUX_USERNAME: 'admin', CRT_INFLUX_PASSWORD: 'wrong-Secret' });
        await refused('c2', r, /refused to list databases: .*401[\s\S]*hint: check the credentials/);
        expect(r.stderr).to.not.include('wrong-Secret');
      });

      it('when the database is missing and the user may not create it', async () => {
        await writePlan(tmp.dir, plan(server.url, 2, `sinks:\n  influx: {url: "${influxd!.url}", database: nodb, passwordEnv: W_PASS}\n`));
        const r = await run('c3', [], { CRT_INFLUX_USERNAME: 'writer', W_PASS: 'wr1ter-Secret' });
        await refused('c3', r, /database "nodb" does not exist at .* and could not be created: .*requires admin privilege/);
      });

      it('writes with the credentials of the environment and never records them', async () => {
        await writePlan(tmp.dir, plan(server.url, 2, `sinks:\n  influx: {url: "${influxd!.url}", database: crt}\n`));
        const r = await run('c4', [], { CRT_INFLUX_USERNAME: admin.username, CRT_INFLUX_PASSWORD: admin.password });
        expectOk(r);
        const dir = runDir('c4');
        const [count] = await influxd!.query('SELECT count(requests) FROM crt_load', 'crt', admin);
        expect(count?.values[0]?.[1]).to.equal((await expectedPoints(dir, 'crt_load')).length);
        const everything = [r.stdout, r.stderr, ...(await Promise.all(['run.json', 'crt.log', 'report.md', 'report.html'].map((f) => readFile(path.join(dir, f), 'utf8'))))].join('\n');
        expect(everything).to.not.include(admin.password);
        expect(everything).to.include('"auth":"password"');
      });
    });
  });
});
