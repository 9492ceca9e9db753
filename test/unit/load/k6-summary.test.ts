import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { crossedWithoutSummary, thresholdExpectations, type K6SummaryExport } from '../../../src/load/k6/summary.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/k6/', import.meta.url));
const summary = JSON.parse(readFileSync(`${fixtures}summary.json`, 'utf8')) as K6SummaryExport;

describe('k6 --summary-export thresholds → expectations (test/fixtures/k6/summary.json)', () => {
  it('gives one expectation per threshold, failed where k6 marks it true', () => {
    const r = thresholdExpectations(summary);
    expect(r.map((e) => [e.metric, e.bound, e.thresholdText, e.verdict])).to.deep.equal([
      ['k6 http_req_duration p(95)', 'max', 'http_req_duration p(95)<500', 'failed'],
      ['k6 http_req_duration avg', 'max', 'http_req_duration avg<1000', 'passed'],
      ['k6 http_req_failed rate', 'max', 'http_req_failed rate<0.01', 'failed'],
    ]);
  });

  it('reads the measured aggregate, a rate metric\'s rate from its value', () => {
    const [p95, , rate] = thresholdExpectations(summary);
    expect(p95).to.include({ phase: 'whole', bound: 'max', threshold: 500, measured: 800.2, measuredText: '800.2ms' });
    expect(rate).to.include({ threshold: 0.01, measured: 0.5, measuredText: '50%' });
    expect(rate?.reason).to.equal('k6 threshold crossed');
  });

  it('turns a lower bound into a min expectation', () => {
    const r = thresholdExpectations({ metrics: { checks: { value: 0.9, passes: 9, fails: 1, thresholds: { 'rate>=0.95': true } } } });
    expect(r[0]).to.include({ bound: 'min', threshold: 0.95, measured: 0.9, verdict: 'failed' });
  });

  it('fails the case on exit 99 even without a summary', () => {
    expect(crossedWithoutSummary('x')).to.include({ verdict: 'failed', metric: 'k6 thresholds' });
  });
});
