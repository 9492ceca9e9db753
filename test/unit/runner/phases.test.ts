import { expect } from 'chai';
import { PhaseTracker } from '../../../src/runner/phases.js';
import { sample } from '../../helpers/samples.js';

const settings = { successRate: 0.99, stableForMs: 3000 };

function feed(t: PhaseTracker, secs: Array<[number, number, number?]>) {
  return secs.map(([sec, ok, failed]) => t.onSecond(sec, sample(sec, ok, failed ?? 0)));
}

describe('PhaseTracker', () => {
  it('tags every second baseline when nothing is injected', () => {
    const t = new PhaseTracker(settings, 0);
    expect(feed(t, [[0, 10], [1, 10, 5], [2, 10]])).to.deep.equal(['baseline', 'baseline', 'baseline']);
    expect(t.recovery()).to.equal(null);
    expect(t.windows(3000)).to.deep.equal([{ name: 'baseline', startMs: 0, endMs: 3000 }]);
  });

  it('cuts baseline, fault, recovery and after from the injection, the revert and a stable streak', () => {
    const t = new PhaseTracker(settings, 0);
    const tags = feed(t, [[0, 10], [1, 10]]);
    t.faultStarted(2000);
    tags.push(...feed(t, [[2, 0, 10], [3, 0, 10]]));
    t.faultEnded(4000);
    tags.push(...feed(t, [[4, 5, 5], [5, 10], [6, 10], [7, 10], [8, 10], [9, 10]]));
    expect(tags).to.deep.equal(['baseline', 'baseline', 'fault', 'fault', 'recovery', 'recovery', 'recovery', 'recovery', 'after', 'after']);
    expect(t.windows(10_000).map((w) => [w.name, w.startMs, w.endMs])).to.deep.equal([
      ['baseline', 0, 2000], ['fault', 2000, 4000], ['recovery', 4000, 8000], ['after', 8000, 10_000],
    ]);
  });

  it('measures recovery up to the exact last failure before the stable streak', () => {
    const t = new PhaseTracker(settings, 1_000_000);
    t.faultStarted(2000);
    t.onSecond(2, sample(2, 0, 10, { originMs: 1_000_000, failureAtMs: 2100 }));
    t.onSecond(3, sample(3, 8, 2, { originMs: 1_000_000, failureAtMs: 3250 }));
    t.faultEnded(3000);
    feed(t, [[4, 10], [5, 10], [6, 10]].map(([s, o]) => [s as number, o as number]));
    const r = t.recovery();
    expect(r).to.include({ impact: true, firstFailureMs: 2100, lastFailureMs: 3250, recoveredAtMs: 3250, recoveryTimeMs: 1250, failedRequests: 12 });
  });

  it('counts a second without any answer as bad: a stall is not recovery', () => {
    const t = new PhaseTracker(settings, 0);
    t.faultStarted(1000);
    feed(t, [[1, 0], [2, 0], [3, 10], [4, 10], [5, 10]]);
    expect(t.recovery()).to.include({ impact: true, recoveredAtMs: 3000, recoveryTimeMs: 2000 });
  });

  it('reports no impact and a recovery time of 0 when every second after the injection is good', () => {
    const t = new PhaseTracker(settings, 0);
    t.faultStarted(1000);
    t.faultEnded(1500);
    feed(t, [[1, 10], [2, 10], [3, 10], [4, 10]]);
    expect(t.recovery()).to.include({ impact: false, recoveryTimeMs: 0 });
  });

  it('leaves the recovery time null when the service never gets stable again', () => {
    const t = new PhaseTracker(settings, 0);
    t.faultStarted(0);
    feed(t, [[0, 0, 10], [1, 10], [2, 10], [3, 0, 1], [4, 10]]);
    expect(t.recovery()?.recoveryTimeMs).to.equal(null);
  });

  it('does not let one good second in the middle of an outage count as recovery', () => {
    const t = new PhaseTracker({ successRate: 0.99, stableForMs: 2000 }, 0);
    t.faultStarted(0);
    feed(t, [[0, 0, 5], [1, 10], [2, 0, 5], [3, 10], [4, 10]]);
    expect(t.recovery()).to.include({ recoveredAtMs: 2900, recoveryTimeMs: 2900 });
  });
});
