import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger } from '../../../src/core/index.js';
import { InfluxSink } from '../../../src/metrics/index.js';
import type { TimeseriesRecord } from '../../../src/results/types.js';
import { Influxd, requireInfluxd } from '../../helpers/influxd.js';
import { sample } from '../../helpers/samples.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const second = (sec: number): TimeseriesRecord[] =>
  [0, 1].map((generator) => ({ ...sample(sec, 100, sec % 3, { originMs: T0, generator }), run: 'hang', case: 'C-1', layer: 'logical', phase: 'baseline', target: 'srv' }));

describe('the InfluxDB sink when influxd hangs', function () {
  this.timeout(60_000);
  let influxd: Influxd | null = null;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  before(function () {
    requireInfluxd(this);
  });
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => {
    await influxd?.destroy();
    influxd = null;
    await tmp.remove();
  });

  it('returns at once from every write, spools what times out and replays it in order once influxd answers', async () => {
    influxd = await Influxd.start();
    const sink = new InfluxSink({ config: { url: influxd.url, database: 'crt' }, plan: 'p', dir: tmp.dir, log: silentLogger, flushIntervalMs: 100, requestTimeoutMs: 400 });
    await sink.open();
    const spooled = async () => (await readFile(path.join(tmp.dir, 'influx-spool.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    let sec = 0;
    for (; sec < 3; sec++) sink.writeSamples(second(sec));
    await until('the first seconds written', () => sink.status().written === 6, 10_000);
    influxd.freeze();
    for (; sec < 12; sec++) {
      const started = process.hrtime.bigint();
      sink.writeSamples(second(sec));
      // converting one second of two generators (HDR decode) and buffering: no waiting on InfluxDB,
      // whose requests time out after 400 ms (the bound leaves room for a loaded machine)
      expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.below(250);
    }
    await until('a timed-out batch in the spool', async () => (await spooled()) > 0, 10_000);
    influxd.cont();
    await until('the spool replayed once influxd answers', async () => (await spooled()) === 0, 10_000);
    for (; sec < 15; sec++) sink.writeSamples(second(sec));
    await sink.close();
    const [count] = await influxd.query('SELECT count("requests"), sum("requests"), sum("failed") FROM crt_load', 'crt');
    const failed = [...Array(15).keys()].reduce((n, s) => n + 2 * (s % 3), 0);
    expect(count?.values[0]?.slice(1)).to.deep.equal([30, 3000 + failed, failed]);
    const status = sink.status();
    expect(status.status).to.equal('degraded');
    expect(status.written).to.equal(30);
    expect(status.errors).to.have.length(1);
    expect(status.errors[0]).to.match(/^outage 1: Request timed out/);
    expect(await readFile(path.join(tmp.dir, 'influx-spool.jsonl'), 'utf8')).to.equal('');
  });
});
