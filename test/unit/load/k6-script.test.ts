import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { expect } from 'chai';
import { k6InfluxUrl, k6RunArgs, k6RunEnv } from '../../../src/load/k6/args.js';
import { expectedStatuses, generateK6Script, k6Scenarios } from '../../../src/load/k6/script.js';
import { loadSpec, stage } from '../../helpers/load.js';
import { tempDir } from '../../helpers/tmp.js';

const files = { script: '/run/k6/script.js', json: '/run/k6/points.json', summary: '/run/k6/summary.json' };

describe('k6 script generation', () => {
  it('runs a closed-model load as constant-vus', () => {
    expect(k6Scenarios([stage({ connections: 8, durationMs: 30_000 })], 5000, 60_000)).to.deep.equal({
      crt: { executor: 'constant-vus', vus: 8, duration: '30000ms', startTime: '0ms', gracefulStop: '5000ms', tags: { stage: '0' } },
    });
  });

  it('runs a rate as constant-arrival-rate with the connections as VUs', () => {
    const s = k6Scenarios([stage({ rateRps: 200, connections: 50, durationMs: 10_000 })], 5000, 60_000).crt;
    expect(s).to.include({ executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '10000ms', preAllocatedVUs: 50, maxVUs: 50 });
    const slow = k6Scenarios([stage({ rateRps: 0.5, connections: 2 })], 5000, 60_000).crt;
    expect(slow).to.include({ rate: 500, timeUnit: '1000s' });
  });

  it('steps closed-model stages with ramping-vus, jumping at once to each stage\'s VUs', () => {
    const s = k6Scenarios([stage({ index: 0, connections: 5, durationMs: 10_000 }), stage({ index: 1, connections: 20, durationMs: 5000 })], 1000, 60_000).crt;
    expect(s).to.deep.equal({
      executor: 'ramping-vus', startVUs: 5, gracefulRampDown: '0s', gracefulStop: '1000ms',
      stages: [{ duration: '10000ms', target: 5 }, { duration: '0s', target: 20 }, { duration: '5000ms', target: 20 }],
    });
  });

  it('chains mixed stages as scenarios with start times, a request count as shared-iterations', () => {
    const s = k6Scenarios([stage({ index: 0, connections: 5, durationMs: 10_000 }), stage({ index: 1, rateRps: 50, connections: 10, durationMs: 5000 }), stage({ index: 2, connections: 3, durationMs: null, requests: 100 })], 1000, 20_000);
    expect(Object.keys(s)).to.deep.equal(['crt_stage_0', 'crt_stage_1', 'crt_stage_2']);
    expect(s.crt_stage_1).to.include({ executor: 'constant-arrival-rate', startTime: '10000ms' });
    expect(s.crt_stage_2).to.include({ executor: 'shared-iterations', vus: 3, iterations: 100, maxDuration: '20000ms', startTime: '15000ms' });
    expect(s.crt_stage_2?.tags).to.deep.equal({ stage: '2' });
  });

  it('is a syntactically valid ES module for every executor shape (node --check)', async () => {
    const shapes = [
      [stage({ connections: 3, durationMs: 1000 })],
      [stage({ index: 0, connections: 2, durationMs: 1000 }), stage({ index: 1, connections: 6, durationMs: 1000 })],
      [stage({ index: 0, rateRps: 2.5, connections: 2, durationMs: 1000 }), stage({ index: 1, connections: 2, durationMs: null, requests: 10 })],
    ];
    const tmp = await tempDir();
    try {
      for (const [i, stages] of shapes.entries()) {
        const file = path.join(tmp.dir, `s${i}.mjs`);
        await writeFile(file, generateK6Script({ url: 'http://127.0.0.1:9/', headers: { 'x-a': "it's" }, spec: loadSpec({ stages, body: 'a\nb' }), maxStageMs: 5000 }));
        execFileSync(process.execPath, ['--check', file]);
      }
    } finally {
      await tmp.remove();
    }
  });

  it('keeps header values and the URL password out of the script file (it stays in the run folder): k6 gets them in its environment', () => {
    const script = generateK6Script({
      url: 'http://alice:url-pw-1234@127.0.0.1:9/', headers: { authorization: 'Bearer tok-5678' },
      spec: loadSpec({ method: 'POST', body: '{"apiKey":"key-9012"}' }), maxStageMs: 60_000,
    });
    expect(script).to.not.contain('url-pw-1234').and.not.contain('tok-5678').and.not.contain('key-9012');
    expect(script).to.contain('const URL = __ENV.CRT_URL || "http://alice:***@127.0.0.1:9/";');
    const env = k6RunEnv({ base: {}, url: 'http://alice:url-pw-1234@127.0.0.1:9/', method: 'POST', headers: { authorization: 'Bearer tok-5678' }, body: '{"apiKey":"key-9012"}', env: {} });
    expect(env).to.include({ CRT_URL: 'http://alice:url-pw-1234@127.0.0.1:9/', CRT_HEADERS: '{"authorization":"Bearer tok-5678"}', CRT_BODY: '"{\\"apiKey\\":\\"key-9012\\"}"' });
  });

  it('writes okStatus as k6 expected statuses', () => {
    expect(expectedStatuses([[200, 299], [404, 404]])).to.equal('{ min: 200, max: 299 }, 404');
  });

  it('writes the request with its method, headers, body and timeout', () => {
    const script = generateK6Script({
      url: 'http://127.0.0.1:9/orders', headers: { 'content-type': 'application/json' },
      spec: loadSpec({ method: 'POST', body: '{"a":1}', timeoutMs: 2500, okStatus: [[200, 299]] }), maxStageMs: 60_000,
    });
    expect(script).to.contain('const URL = __ENV.CRT_URL || "http://127.0.0.1:9/orders";');
    expect(script).to.contain('const METHOD = "POST";');
    expect(script).to.contain("const BODY = JSON.parse(__ENV.CRT_BODY || 'null');");
    expect(script).to.not.contain('"a"');
    expect(script).to.contain("const HEADERS = JSON.parse(__ENV.CRT_HEADERS || '{}');");
    expect(script).to.not.contain('application/json');
    expect(script).to.contain('const TIMEOUT = "2500ms";');
    expect(script).to.contain('http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }));');
    expect(script).to.contain('http.request(METHOD, URL, BODY, params);');
    // the options object is valid JavaScript: evaluate it
    const options = script.slice(script.indexOf('export const options = ') + 'export const options = '.length, script.indexOf('};', script.indexOf('export const options')) + 1);
    expect((runInNewContext(`(${options})`) as { scenarios: Record<string, unknown> }).scenarios).to.have.key('crt');
  });
});

describe('k6 run arguments and environment', () => {
  const influx = { url: 'http://influx.local:8086', database: 'crt', retentionPolicy: 'week', username: 'u', password: 's3cret' };

  it('writes points and the summary to the run folder, with run and case tags', () => {
    expect(k6RunArgs({ files, tags: { run: 'r1', case: 'LOG-01' }, extraArgs: ['--quiet'] })).to.deep.equal([
      'run', '--no-usage-report', '--out', 'json=/run/k6/points.json', '--summary-export', '/run/k6/summary.json',
      '--tag', 'run=r1', '--tag', 'case=LOG-01', '--quiet', '/run/k6/script.js',
    ]);
  });

  it('adds --out influxdb= with the database and retention policy, never the credentials', () => {
    const args = k6RunArgs({ files, tags: {}, influx, extraArgs: [] });
    expect(args).to.include('influxdb=http://influx.local:8086/crt?retention=week');
    expect(args.join(' ')).not.to.contain('s3cret');
    expect(k6InfluxUrl({ url: 'http://a:b@h:8086/', database: 'my db' })).to.equal('http://h:8086/my%20db');
  });

  it('passes InfluxDB credentials as K6_INFLUXDB_* variables, from the plan or CRT_INFLUX_*', () => {
    const env = k6RunEnv({ base: { PATH: '/bin' }, url: 'http://t/', method: 'GET', runId: 'r1', caseId: 'C', influx, env: { EXTRA: '1' } });
    expect(env).to.include({ PATH: '/bin', CRT_URL: 'http://t/', CRT_HEADERS: '{}', CRT_RUN_ID: 'r1', CRT_CASE: 'C', K6_INFLUXDB_USERNAME: 'u', K6_INFLUXDB_PASSWORD: 's3cret', EXTRA: '1' });
    const fromEnv = k6RunEnv({ base: { CRT_INFLUX_USERNAME: 'eu', CRT_INFLUX_PASSWORD: 'ep' }, url: 'http://t/', method: 'GET', influx: { url: 'http://h', database: 'd' }, env: {} });
    expect(fromEnv).to.include({ K6_INFLUXDB_USERNAME: 'eu', K6_INFLUXDB_PASSWORD: 'ep' });
  });
});
