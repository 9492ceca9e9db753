import { expect } from 'chai';
import { encodeHistogram, newLatencyHistogram } from '../../../src/results/histogram.js';
import { computeStats, mergeSamples } from '../../../src/results/stats.js';
import type { LoadSample, SessionSample } from '../../../src/results/types.js';

function hist(...ms: number[]): string {
  const h = newLatencyHistogram();
  for (const v of ms) h.recordValue(v * 1000);
  return encodeHistogram(h);
}

function sample(sec: number, generator: number, s: Partial<SessionSample>): LoadSample {
  return {
    t: 1000 * sec, sec, generator, stage: 0, requests: 10, ok: 9, failures: { status: 0, timeout: 1, refused: 0, reset: 0, other: 0 }, statusCodes: {}, bytes: 0, sent: 10,
    latency: hist(5), service: hist(5), lagMaxMs: 0, elu: 0,
    sessions: { alive: 10, expected: 10, opened: 0, dropped: { closed: 0, reset: 0, timeout: 0 }, asked: 0, reconnects: 0, failedAttempts: 0, reconnectTime: '', ...s },
  };
}

describe('session statistics of a phase', () => {
  it('sums drops and reconnects, merges reconnect times exactly, and takes the fewest sessions alive per second over generators', () => {
    const samples = [
      sample(0, 0, { alive: 5, expected: 10, opened: 5 }),
      sample(1, 0, { alive: 8, dropped: { closed: 1, reset: 1, timeout: 0 }, reconnects: 1, reconnectTime: hist(300) }),
      sample(1, 1, { alive: 10, asked: 3, reconnects: 3, reconnectTime: hist(10, 20, 30) }),
      sample(2, 0, { alive: 10, dropped: { closed: 0, reset: 0, timeout: 1 }, failedAttempts: 2 }),
      sample(2, 1, { alive: 10 }),
    ];
    const s = computeStats(samples, 3)?.sessions;
    expect(s).to.deep.include({ opened: 5, dropped: 3, asked: 3, reconnects: 4, failedAttempts: 2, expected: 20, minAlive: 18 });
    expect(s?.droppedBy).to.deep.equal({ closed: 1, reset: 1, timeout: 1 });
    expect(s?.reconnectTime?.count).to.equal(4);
    expect(s?.reconnectTime?.max).to.be.within(299, 301);
    // second 0 (5 of 10) and second 1 (18 of 20) were below full; second 2 was not
    expect(s?.secondsBelowFull).to.equal(2);
  });

  it('keeps sessions in the merge of one second, and leaves request samples without them', () => {
    const merged = mergeSamples([sample(0, 0, { alive: 4, reconnectTime: hist(100) }), sample(0, 1, { alive: 6, reconnectTime: hist(200) })]);
    expect(merged.sessions?.alive).to.equal(10);
    const plain = { ...sample(0, 0, {}) };
    delete plain.sessions;
    expect(mergeSamples([plain]).sessions).to.equal(undefined);
    expect(computeStats([plain], 1)).to.not.have.property('sessions');
  });
});
