import { expect } from 'chai';
import { headerValue } from '../../../src/load/autocannon/pacer.js';
import { Recorder } from '../../../src/load/recorder.js';
import { formatWorkerLine, parseWorkerLine } from '../../../src/load/worker.js';
import { MAX_SERVED_BY_VALUES, answeredCount, backendCount, capServedBy, computeStats, mergeBySecond, mergeSamples } from '../../../src/results/stats.js';
import type { LoadSample } from '../../../src/results/types.js';
import { sample } from '../../helpers/samples.js';

const origin = 1_000_000;
const ok = { kind: 'response', status: 200, ok: true, bytes: 2 } as const;

/** A sample of `sec` whose answers carry `servedBy`, all 200. */
function served(sec: number, servedBy: Record<string, number>, generator = 0): LoadSample {
  const n = Object.values(servedBy).reduce((a, b) => a + b, 0);
  return { ...sample(sec, n, 0, { generator }), servedBy };
}

describe('servedBy: answers counted by a response header', () => {
  describe('reading the header from autocannon\'s raw header list', () => {
    it('finds the header whatever its case and trims its value', () => {
      expect(headerValue(['Content-Length', '2', 'X-Served-By', ' pod-a '], 'x-served-by')).to.equal('pod-a');
    });

    it('takes the first of repeated headers', () => {
      expect(headerValue(['x-version', '1.0', 'x-version', '1.1'], 'x-version')).to.equal('1.0');
    });

    it('says (none) when the header is missing or empty, or there is no header list', () => {
      expect(headerValue(['content-length', '2'], 'x-version')).to.equal('(none)');
      expect(headerValue(['x-version', ''], 'x-version')).to.equal('(none)');
      expect(headerValue(undefined, 'x-version')).to.equal('(none)');
    });
  });

  describe('Recorder', () => {
    it('counts each answer by its value in the second it completed', () => {
      const r = new Recorder(origin, 0, origin);
      for (const [at, value] of [[100, 'a'], [200, 'b'], [300, 'a'], [1100, '(none)']] as const) {
        r.record(0, origin + at, origin + at - 5, origin + at - 5, ok);
        r.served(0, origin + at, value);
      }
      const { samples } = r.flush(origin + 2010);
      expect(samples.map((s) => [s.sec, s.servedBy])).to.deep.equal([[0, { a: 2, b: 1 }], [1, { '(none)': 1 }]]);
    });

    it('counts values named like Object.prototype properties as any other, and merges them exactly', () => {
      const r = new Recorder(origin, 0, origin);
      for (const value of ['constructor', '__proto__', 'toString', '__proto__']) r.served(0, origin + 100, value);
      const [s] = r.flush(origin + 1010).samples;
      expect(Object.entries(s!.servedBy ?? {})).to.deep.equal([['constructor', 1], ['__proto__', 2], ['toString', 1]]);
      // as read back from timeseries.jsonl
      const back = JSON.parse(JSON.stringify(s)) as LoadSample;
      const stats = computeStats(mergeBySecond([back, { ...back, generator: 1 }]), 1);
      expect(Object.entries(stats?.servedBy ?? {})).to.deep.equal([['constructor', 2], ['__proto__', 4], ['toString', 2]]);
    });

    it('leaves servedBy out of the samples of a load that does not count it', () => {
      const r = new Recorder(origin, 0, origin);
      r.record(0, origin + 100, origin, origin, ok);
      const [s] = r.flush(origin + 1010).samples;
      expect(s).to.not.have.property('servedBy');
    });

    it(`keeps ${MAX_SERVED_BY_VALUES} distinct values and counts the rest as (other), losing none`, () => {
      const r = new Recorder(origin, 0, origin);
      for (let i = 0; i < MAX_SERVED_BY_VALUES + 20; i++) r.served(0, origin + 100, `req-${i}`);
      r.served(0, origin + 200, 'req-0');
      const [s] = r.flush(origin + 1010).samples;
      expect(Object.keys(s!.servedBy ?? {})).to.have.length(MAX_SERVED_BY_VALUES + 1);
      expect(s!.servedBy).to.include({ 'req-0': 2, '(other)': 20 });
      expect(Object.values(s!.servedBy ?? {}).reduce((a, b) => a + b, 0)).to.equal(MAX_SERVED_BY_VALUES + 21);
    });
  });

  describe('merging', () => {
    it('adds the counts of generators exactly in one second', () => {
      const m = mergeSamples([served(3, { a: 5, b: 1 }, 0), served(3, { b: 4, c: 2 }, 1), sample(3, 7, 0, { generator: 2 })]);
      expect(m.servedBy).to.deep.equal({ a: 5, b: 5, c: 2 });
    });

    it('adds the counts of every second of a phase, and leaves them out when no sample has any', () => {
      const stats = computeStats(mergeBySecond([served(0, { a: 3 }), served(0, { b: 1 }, 1), served(1, { a: 2, '(none)': 1 })]), 2);
      expect(stats?.servedBy).to.deep.equal({ a: 5, b: 1, '(none)': 1 });
      expect(computeStats([sample(0, 4)], 1)).to.not.have.property('servedBy');
    });

    it('folds values past the cap into (other) after a merge, keeping the most frequent and the total', () => {
      const counts: Record<string, number> = { '(other)': 3 };
      for (let i = 0; i < MAX_SERVED_BY_VALUES + 5; i++) counts[`v${i}`] = i < 5 ? 1 : 10;
      const capped = capServedBy(counts);
      expect(Object.keys(capped)).to.have.length(MAX_SERVED_BY_VALUES + 1);
      expect(capped['(other)']).to.equal(3 + 5);
      expect(capped).to.not.have.property('v0');
      const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
      expect(total(capped)).to.equal(total(counts));
    });

    it('keeps a distributed worker\'s counts through its log line, and adds them to the other workers\'', () => {
      const lines = [served(2, { 'pod-a': 3 }), served(2, { 'pod-a': 1, 'pod-b': 4 })].map((s) => formatWorkerLine({ type: 'samples', generator: 0, upToSec: 3, samples: [s] }));
      const back = lines.map((l, worker) => parseWorkerLine(l, worker));
      const samples = back.flatMap((m) => (m?.type === 'samples' ? m.samples : []));
      expect(samples.map((s) => [s.generator, s.servedBy])).to.deep.equal([[0, { 'pod-a': 3 }], [1, { 'pod-a': 1, 'pod-b': 4 }]]);
      expect(mergeSamples(samples).servedBy).to.deep.equal({ 'pod-a': 4, 'pod-b': 4 });
    });

    it('takes the answers with an HTTP status as the denominator, and (none) is no backend', () => {
      const s = { ...sample(0, 8, 2), servedBy: { a: 6, '(none)': 4 } };
      s.failures.timeout = 5;
      s.requests += 5;
      const stats = computeStats([s], 1);
      expect(answeredCount(stats!)).to.equal(10);
      expect(backendCount(stats!.servedBy!)).to.equal(1);
      expect(backendCount({ a: 1, b: 2, '(none)': 3, '(other)': 4 })).to.equal(3);
    });
  });
});
