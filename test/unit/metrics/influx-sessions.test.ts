import { expect } from 'chai';
import { INFLUX_MEASUREMENTS, UniqueTimes, samplePoints } from '../../../src/metrics/index.js';
import { encodeHistogram, newLatencyHistogram } from '../../../src/results/histogram.js';
import type { TimeseriesRecord } from '../../../src/results/types.js';
import { sample } from '../../helpers/samples.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

describe('InfluxDB points of sessions', () => {
  it('writes the sessions of a second as a crt_sessions point after its crt_load point, with every field', () => {
    const h = newLatencyHistogram();
    h.recordValue(250_000);
    const r: TimeseriesRecord = {
      ...sample(3, 90, 10, { latencyMs: 20, originMs: T0, generator: 0, stage: 0 }),
      run: 'r1', case: 'SES-01', layer: 'logical', phase: 'fault', target: 'chat',
      sessions: { alive: 28, expected: 30, opened: 2, dropped: { closed: 1, reset: 1, timeout: 0 }, asked: 3, reconnects: 2, failedAttempts: 4, reconnectTime: encodeHistogram(h) },
    };
    const points = samplePoints(r, 'sessions', new UniqueTimes());
    expect(points.map((p) => p.measurement)).to.deep.equal(['crt_load', 'crt_sessions']);
    const p = points[1];
    expect(p?.tags).to.deep.equal({ run: 'r1', plan: 'sessions', case: 'SES-01', layer: 'logical', phase: 'fault', target: 'chat', generator: '0' });
    expect(p?.fields).to.deep.include({ alive: 28, expected: 30, opened: 2, dropped_closed: 1, dropped_reset: 1, dropped_timeout: 0, asked: 3, reconnects: 2, failed_attempts: 4 });
    expect(p?.fields.reconnect_max).to.be.within(249.9, 250.2);
    expect(Object.keys(p?.fields ?? {}).sort()).to.deep.equal([...INFLUX_MEASUREMENTS.crt_sessions.fields].sort());
    const quiet = samplePoints({ ...r, sessions: { ...r.sessions!, reconnectTime: '' } }, 'sessions', new UniqueTimes())[1];
    expect(quiet?.fields).to.not.have.property('reconnect_p95');
  });
});
