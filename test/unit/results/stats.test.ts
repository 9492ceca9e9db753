import { expect } from 'chai';
import { computeStats, mergeBySecond, mergeSamples } from '../../../src/results/stats.js';
import { decodeHistogram, encodeHistogram, mergeHistograms, newLatencyHistogram, summarize } from '../../../src/results/histogram.js';
import { sample } from '../../helpers/samples.js';

function hist(valuesMs: number[]): string {
  const h = newLatencyHistogram();
  for (const v of valuesMs) h.recordValue(Math.round(v * 1000));
  return encodeHistogram(h);
}

describe('histograms and statistics', () => {
  it('round-trips a histogram through its compressed encoding', () => {
    const enc = hist([1, 2, 3, 50, 1000]);
    const s = summarize(decodeHistogram(enc));
    expect(s).to.include({ count: 5 });
    expect(s?.max).to.be.closeTo(1000, 1);
  });

  it('encodes an empty histogram as an empty string and decodes it back to empty', () => {
    expect(encodeHistogram(newLatencyHistogram())).to.equal('');
    expect(summarize(decodeHistogram(''))).to.equal(null);
  });

  it('takes percentiles of merged histograms, not averages of per-second percentiles', () => {
    // second 1: 99 fast requests and 1 slow; second 2: 1 fast and 99 slow
    const a = hist([...Array<number>(99).fill(10), 1000]);
    const b = hist([10, ...Array<number>(99).fill(1000)]);
    const merged = summarize(mergeHistograms([a, b]));
    // the true p50 of the 200 requests is the fast value's bucket (100 fast of 200)
    expect(merged?.p50).to.be.closeTo(10, 0.1);
    const averaged = ((summarize(decodeHistogram(a))?.p50 ?? 0) + (summarize(decodeHistogram(b))?.p50 ?? 0)) / 2;
    expect(averaged).to.be.closeTo(505, 1);
  });

  it('sums counts and failure classes and computes the error rate over the covered seconds', () => {
    const stats = computeStats([sample(0, 90, 10), sample(1, 100, 0)], 2);
    expect(stats).to.include({ requests: 200, ok: 190, failed: 10, seconds: 2, rps: 100 });
    expect(stats?.errorRate).to.be.closeTo(0.05, 1e-9);
    expect(stats?.statusCodes).to.deep.equal({ 200: 190, 503: 10 });
  });

  it('returns null statistics for no sample and a null error rate for no request', () => {
    expect(computeStats([], 1)).to.equal(null);
    expect(computeStats([sample(0, 0, 0)], 1)?.errorRate).to.equal(null);
  });

  it('merges the generators of a second exactly, keeping the earliest and latest failure', () => {
    const m = mergeSamples([sample(0, 5, 1, { generator: 0, failureAtMs: 300 }), sample(0, 5, 1, { generator: 1, failureAtMs: 700 })]);
    expect(m).to.include({ requests: 12, ok: 10, generator: -1, firstFailureAt: 300, lastFailureAt: 700 });
    expect(summarize(decodeHistogram(m.latency))?.count).to.equal(12);
  });

  it('groups samples by second in order', () => {
    const out = mergeBySecond([sample(2, 1), sample(0, 1), sample(2, 1, 0, { generator: 1 })]);
    expect(out.map((s) => [s.sec, s.requests])).to.deep.equal([[0, 1], [2, 2]]);
  });
});
