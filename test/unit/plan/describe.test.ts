import { expect } from 'chai';
import { describeBound } from '../../../src/plan/describe.js';

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
