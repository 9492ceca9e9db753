import { expect } from 'chai';
import { INFLUX_MEASUREMENTS, UniqueTimes, casePoint, clusterEventPoint, clusterPoint, eventPoint, loadPoint, redactUrl, resolveInfluxConfig, samplePoints } from '../../../src/metrics/index.js';
import type { CaseResult, EventRecord, TimeseriesRecord } from '../../../src/results/types.js';
import { sample } from '../../helpers/samples.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const record = (over: Partial<TimeseriesRecord> = {}): TimeseriesRecord => ({
  ...sample(3, 90, 10, { latencyMs: 20, originMs: T0, generator: 1, stage: 2 }),
  run: 'r1', case: 'LOG-01', layer: 'logical', phase: 'fault', target: 'gw', ...over,
});

describe('InfluxDB points', () => {
  it('turns a per-second sample into a crt_load point with every tag and field', () => {
    const p = loadPoint(record(), 'demo', new UniqueTimes());
    expect(p.measurement).to.equal('crt_load');
    expect(p.timestamp).to.equal((T0 + 3000) * 1000);
    expect(p.tags).to.deep.equal({ run: 'r1', plan: 'demo', case: 'LOG-01', layer: 'logical', phase: 'fault', target: 'gw', generator: '1', stage: '2' });
    expect(p.fields).to.deep.equal({
      requests: 100, ok: 90, failed: 10, failures_status: 10, failures_timeout: 0, failures_refused: 0, failures_reset: 0, failures_other: 0,
      error_rate: 0.1, rps: 100, bytes: 0, sent: 100, // HDR buckets: 20 ms is recorded in the bucket whose highest equivalent value is 20.015 ms
      min: 20, mean: 20.008, p50: 20.015, p75: 20.015, p90: 20.015, p95: 20.015, p99: 20.015, max: 20.015, lag_max_ms: 0, elu: 0.1,
    });
    expect(Object.keys(p.fields).sort()).to.deep.equal([...INFLUX_MEASUREMENTS.crt_load.fields].sort());
  });

  it('writes the answers of a second by servedBy value as crt_served_by points, after its crt_load point', () => {
    const points = samplePoints(record({ servedBy: { v1: 72, v2: 18, '(none)': 0 } }), 'demo', new UniqueTimes());
    expect(points.map((p) => p.measurement)).to.deep.equal(['crt_load', 'crt_served_by', 'crt_served_by', 'crt_served_by']);
    const [, v1, v2, none] = points;
    expect(v1).to.deep.equal({
      measurement: 'crt_served_by', timestamp: (T0 + 3000) * 1000,
      tags: { run: 'r1', plan: 'demo', case: 'LOG-01', layer: 'logical', phase: 'fault', target: 'gw', generator: '1', stage: '2', value: 'v1' },
      fields: { answers: 72, share: 0.8 },
    });
    expect(v2?.fields).to.deep.equal({ answers: 18, share: 0.2 });
    expect(none?.fields).to.deep.equal({ answers: 0, share: 0 });
    for (const p of points.slice(1)) expect(Object.keys(p.fields).sort()).to.deep.equal([...INFLUX_MEASUREMENTS.crt_served_by.fields].sort());
    // a second with no answer has counts and no share; a load without servedBy has no such point
    expect(samplePoints(record({ servedBy: { v1: 0 } }), 'demo', new UniqueTimes())[1]?.fields).to.deep.equal({ answers: 0 });
    expect(samplePoints(record(), 'demo', new UniqueTimes()).map((p) => p.measurement)).to.deep.equal(['crt_load']);
  });

  it('leaves out error rate and latency of a second without requests (InfluxDB has no null)', () => {
    const p = loadPoint(record({ ...sample(0, 0, 0, { originMs: T0 }) }), 'demo', new UniqueTimes());
    expect(p.fields).to.not.have.any.keys('error_rate', 'p50', 'max', 'mean');
    expect(p.fields.requests).to.equal(0);
  });

  it('gives two events of one series in the same millisecond distinct timestamps, the same on every replay', () => {
    const ev = (detail: string): EventRecord => ({ t: T0, offsetMs: 10, kind: 'inject', name: 'kill', detail, run: 'r1', case: 'C', layer: 'logical' });
    const once = () => {
      const times = new UniqueTimes();
      return [eventPoint(ev('a'), 'demo', times), eventPoint(ev('b'), 'demo', times), eventPoint({ ...ev('c'), name: 'other' }, 'demo', times)];
    };
    const [a, b, c] = once();
    expect([a?.timestamp, b?.timestamp, c?.timestamp]).to.deep.equal([T0 * 1000, T0 * 1000 + 1, T0 * 1000]);
    expect(once()).to.deep.equal([a, b, c]);
    expect(a?.tags).to.deep.equal({ run: 'r1', plan: 'demo', case: 'C', layer: 'logical', kind: 'inject', name: 'kill' });
    expect(a?.fields).to.deep.equal({ title: 'C inject kill', text: 'a', offset_ms: 10 });
  });

  it('writes a key Kubernetes Event as a crt_event of kind kubernetes, named by its reason, at the event\'s own time', () => {
    const times = new UniqueTimes();
    const e = { t: T0 + 5, run: 'r1', case: 'C', layer: 'logical' as const, phase: 'fault' as const, kind: 'event' as const, type: 'Warning', reason: 'BackOff', objectKind: 'Pod', object: 'demo/gw-1', message: 'Back-off restarting failed container', count: 3, uid: 'u1', source: 'kubelet' };
    const p = clusterEventPoint(e, 'demo', times);
    expect(p).to.deep.equal({
      measurement: 'crt_event', timestamp: (T0 + 5) * 1000,
      tags: { run: 'r1', plan: 'demo', case: 'C', layer: 'logical', kind: 'kubernetes', name: 'BackOff' },
      fields: {
        title: 'C Warning BackOff pod/demo/gw-1 (×3)', text: 'Back-off restarting failed container', ok: false,
        data: JSON.stringify({ type: 'Warning', objectKind: 'Pod', object: 'demo/gw-1', count: 3, uid: 'u1', source: 'kubelet', phase: 'fault' }),
      },
    });
    for (const k of Object.keys(p.fields)) expect(INFLUX_MEASUREMENTS.crt_event.fields).to.include(k);
    // two occurrences in one millisecond stay two points
    expect(clusterEventPoint({ ...e, count: 4 }, 'demo', times).timestamp).to.equal((T0 + 5) * 1000 + 1);
  });

  it('writes cluster samples and case verdicts with their recovery time', () => {
    const times = new UniqueTimes();
    const cl = clusterPoint({ t: T0, run: 'r1', case: 'C', layer: 'logical', phase: 'recovery', kind: 'workload', subject: 'deployment/demo/gateway', desired: 3, ready: 2, available: 2, restarts: 1 }, 'demo', times);
    expect(cl).to.deep.equal({
      measurement: 'crt_cluster', timestamp: T0 * 1000,
      tags: { run: 'r1', plan: 'demo', case: 'C', layer: 'logical', phase: 'recovery', kind: 'workload', subject: 'deployment/demo/gateway' },
      fields: { desired: 3, ready: 2, available: 2, restarts: 1 },
    });
    const result = {
      id: 'C', layer: 'logical', verdict: 'failed', reason: 'p99 too high', endedAt: new Date(T0).toISOString(), durationMs: 5000,
      recovery: { recoveryTimeMs: 1200, impact: true, failedRequests: 7 }, expectations: [{ verdict: 'passed' }, { verdict: 'failed' }],
      phases: [{ name: 'whole', stats: { latency: { p95: 40, p99: 80 }, errorRate: 0.02 } }, { name: 'fault', stats: null }],
    } as unknown as CaseResult;
    const cp = casePoint('r1', 'demo', result, times);
    expect(cp.tags).to.deep.equal({ run: 'r1', plan: 'demo', case: 'C', layer: 'logical', verdict: 'failed' });
    expect(cp.fields).to.deep.equal({
      verdict: 'failed', reason: 'p99 too high', duration_ms: 5000, recovery_time_ms: 1200, recovered: true, impact: true, failed_requests: 7, expectations_total: 2, expectations_failed: 1,
      whole_p95: 40, whole_p99: 80, whole_error_rate: 0.02,
    });
  });
});

describe('InfluxDB configuration', () => {
  const doc = { url: 'http://influx:8086', database: 'crt' };

  it('takes credentials from the environment only, and --influx-url over CRT_INFLUX_URL over the plan', () => {
    const env = { CRT_INFLUX_URL: 'http://env:8086', CRT_INFLUX_USERNAME: 'u', CRT_INFLUX_PASSWORD: 's3cret' };
    expect(resolveInfluxConfig(doc, { env, baseDir: '.' })).to.deep.equal({ url: 'http://env:8086', database: 'crt', username: 'u', password: 's3cret' });
    expect(resolveInfluxConfig(doc, { url: 'http://flag:1', env, baseDir: '.' })?.url).to.equal('http://flag:1');
    expect(resolveInfluxConfig(undefined, { env: {}, baseDir: '.' })).to.equal(null);
  });

  it('moves user:password out of a URL given on the command line, and redacts it in messages', () => {
    const c = resolveInfluxConfig(undefined, { url: 'http://admin:pa%24s@127.0.0.1:8086/', env: {}, baseDir: '.' });
    expect(c).to.deep.equal({ url: 'http://127.0.0.1:8086', database: 'crt', username: 'admin', password: 'pa$s' });
    expect(redactUrl('http://admin:pa%24s@127.0.0.1:8086/')).to.equal('http://127.0.0.1:8086/');
  });

  it('says which variable is missing when the plan names one', () => {
    expect(() => resolveInfluxConfig({ ...doc, tokenEnv: 'MY_TOKEN' }, { env: {}, baseDir: '.' })).to.throw('sinks.influx.tokenEnv names MY_TOKEN, which is not set');
    expect(resolveInfluxConfig({ ...doc, tokenEnv: 'MY_TOKEN' }, { env: { MY_TOKEN: 't' }, baseDir: '.' })?.token).to.equal('t');
  });
});
