import { expect } from 'chai';
import { AbortWatch } from '../../../src/runner/abort-rules.js';
import type { AbortRule } from '../../../src/plan/types.js';
import { sample } from '../../helpers/samples.js';

const rule = (over: Partial<AbortRule>): AbortRule => ({
  text: 'errorRate > 50% for 3s', metric: 'errorRate', op: '>', value: 0.5, windowMs: 3000,
  location: { file: 'p.yaml', line: 1, col: 1, path: '' }, ...over,
});

describe('AbortWatch', () => {
  it('fires when the metric over the whole sliding window crosses the threshold', () => {
    const w = new AbortWatch([rule({})]);
    expect(w.onSecond(sample(0, 10, 0))).to.equal(null);
    expect(w.onSecond(sample(1, 0, 10))).to.equal(null);
    expect(w.onSecond(sample(2, 0, 10))).to.include({ atMs: 3000 });
  });

  it('does not fire before a full window of load', () => {
    const w = new AbortWatch([rule({})]);
    expect(w.onSecond(sample(0, 0, 10))).to.equal(null);
    expect(w.onSecond(sample(1, 0, 10))).to.equal(null);
  });

  it('computes latency percentiles of the window from merged histograms', () => {
    const w = new AbortWatch([rule({ text: 'p95 > 500ms for 2s', metric: 'p95', value: 500, windowMs: 2000 })]);
    w.onSecond(sample(0, 100, 0, { latencyMs: 10 }));
    expect(w.onSecond(sample(1, 100, 0, { latencyMs: 10 }))).to.equal(null);
    // 100 fast + 100 slow over the window: the p95 of the window is slow
    const hit = w.onSecond(sample(2, 100, 0, { latencyMs: 900 }));
    expect(hit?.value).to.be.closeTo(900, 1);
  });
});
