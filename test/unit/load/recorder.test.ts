import { expect } from 'chai';
import { Recorder } from '../../../src/load/recorder.js';
import { decodeHistogram, summarize } from '../../../src/results/histogram.js';

describe('Recorder', () => {
  const origin = 1_000_000;

  it('counts a request in the second it completed, with latency from its intended send time', () => {
    const r = new Recorder(origin, 0, origin);
    r.stageActive(0, true);
    r.sent(0, origin + 900, 0);
    r.record(0, origin + 1100, origin + 900, origin + 950, { kind: 'response', status: 200, ok: true, bytes: 10 });
    const { upToSec, samples } = r.flush(origin + 2050);
    expect(upToSec).to.equal(2);
    const [s0, s1] = samples;
    expect(s0).to.include({ sec: 0, requests: 0, sent: 1 });
    expect(s1).to.include({ sec: 1, requests: 1, ok: 1, bytes: 10 });
    expect(summarize(decodeHistogram(s1!.latency))?.max).to.be.closeTo(200, 0.5);
    expect(summarize(decodeHistogram(s1!.service))?.max).to.be.closeTo(150, 0.5);
  });

  it('classifies failures and records the first and last failure instants', () => {
    const r = new Recorder(origin, 0, origin);
    r.record(0, origin + 100, origin, origin, { kind: 'refused' });
    r.record(0, origin + 200, origin, origin, { kind: 'response', status: 503, ok: false, bytes: 3 });
    r.record(0, origin + 300, origin, origin, { kind: 'timeout' });
    const [s] = r.flush(origin + 1020).samples;
    expect(s!.failures).to.deep.equal({ status: 1, timeout: 1, refused: 1, reset: 0, other: 0 });
    expect(s!.statusCodes).to.deep.equal({ 503: 1 });
    expect(s).to.include({ requests: 3, ok: 0, firstFailureAt: origin + 100, lastFailureAt: origin + 300 });
  });

  it('emits an empty sample for each second an active stage had no answer', () => {
    const r = new Recorder(origin, 0, origin);
    r.stageActive(0, true);
    const { samples } = r.flush(origin + 3010);
    expect(samples.map((s) => [s.sec, s.requests])).to.deep.equal([[0, 0], [1, 0], [2, 0]]);
  });

  it('keeps a separate sample per stage in a second where two stages overlap', () => {
    const r = new Recorder(origin, 0, origin);
    r.record(0, origin + 100, origin, origin, { kind: 'response', status: 200, ok: true, bytes: 1 });
    r.record(1, origin + 200, origin, origin, { kind: 'response', status: 200, ok: true, bytes: 1 });
    expect(r.flush(origin + 1010).samples.map((s) => s.stage).sort()).to.deep.equal([0, 1]);
  });

  it('declares the seconds before a staggered start final at once, so it holds back no other generator', () => {
    const r = new Recorder(origin, 3, origin + 5000);
    expect(r.flush(origin + 2010)).to.deep.equal({ upToSec: 5, samples: [] });
  });

  it('marks a second saturated when the generator was busy at least 90 % of it', () => {
    let busy = 0.95;
    const r = new Recorder(origin, 0, origin, () => busy);
    r.stageActive(0, true);
    const [hot] = r.flush(origin + 1010).samples;
    busy = 0.5;
    const [calm] = r.flush(origin + 2010).samples;
    expect(hot).to.include({ sec: 0, elu: 0.95, saturated: true });
    expect(calm).to.include({ sec: 1, elu: 0.5 });
    expect(calm).not.to.have.property('saturated');
  });
});
