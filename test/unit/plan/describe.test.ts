import { expect } from 'chai';
import { describeBound, describeLoad } from '../../../src/plan/describe.js';
import { loadSpec, stage } from '../../helpers/load.js';

describe('describeBound', () => {
  it('writes error-rate bounds as percentages, keeping whole numbers whole', () => {
    const text = (value: number, bound: 'max' | 'min' = 'max') => describeBound('errorRate', { bound, value, text: '' });
    expect([text(0), text(0.9, 'min'), text(0.01), text(0.005), text(1)]).to.deep.equal([
      'error rate ≤ 0%', 'error rate ≥ 90%', 'error rate ≤ 1%', 'error rate ≤ 0.5%', 'error rate ≤ 100%',
    ]);
  });

  it('writes latency and recovery bounds as durations and counts as numbers', () => {
    expect(describeBound('p95', { bound: 'max', value: 200, text: '' })).to.equal('p95 ≤ 200ms');
    expect(describeBound('recoveryTime', { bound: 'max', value: 150_000, text: '' })).to.equal('recovery time ≤ 2m30s');
    expect(describeBound('rps', { bound: 'min', value: 100, text: '' })).to.equal('req/s ≥ 100');
  });
});

describe('describeLoad for k6 and distributed loads', () => {
  it('names the engine k6 and the workers of a distributed load', () => {
    const dist = { generators: 3, on: 'cluster' as const, via: 'job' as const, image: null, namespace: 'default', startTimeoutMs: 120_000 };
    expect(describeLoad(loadSpec({ url: 'http://gw/', generators: 3, distributed: dist, stages: [stage({ rateRps: 20, connections: 5, durationMs: 3000 })] })))
      .to.equal('GET http://gw/ — open model: 3 workers in the cluster, each 20 req/s over 5 connections for 3s');
    expect(describeLoad(loadSpec({ url: 'http://gw/', engine: 'k6', stages: [stage({ connections: 4, durationMs: 2000 })] })))
      .to.equal('GET http://gw/ — closed model (k6): 4 connections for 2s');
  });

  it('describes a k6 script of the user\'s own by its file', () => {
    expect(describeLoad(loadSpec({ url: 'http://gw/', engine: 'k6', script: '/plans/scenarios/browse.k6.js', stages: [stage({ durationMs: 30_000 })] })))
      .to.equal('k6 script browse.k6.js against http://gw/ for 30s');
  });
});
