import { expect } from 'chai';
import type { CaseResult, Verdict } from '../../../src/results/types.js';
import { expectationText, layerVerdict } from '../../../src/report/view.js';
import { fixtureRun } from './fixture.js';

const withVerdicts = (...verdicts: Verdict[]): CaseResult[] => {
  const base = fixtureRun().cases[0] as CaseResult;
  return verdicts.map((verdict) => ({ ...base, verdict }));
};

describe('report/view layerVerdict', () => {
  it('is null for a layer without cases', () => {
    expect(layerVerdict([])).to.equal(null);
  });

  it('fails a layer when one case failed', () => {
    expect(layerVerdict(withVerdicts('passed', 'failed', 'not-run'))).to.equal('failed');
  });

  it('fails a layer when one case aborted', () => {
    expect(layerVerdict(withVerdicts('passed', 'aborted'))).to.equal('failed');
  });

  it('passes a layer whose cases all passed or were skipped', () => {
    expect(layerVerdict(withVerdicts('passed', 'skipped'))).to.equal('passed');
  });

  it('calls a layer skipped when every case was skipped', () => {
    expect(layerVerdict(withVerdicts('skipped', 'skipped'))).to.equal('skipped');
  });

  it('leaves a layer inconclusive when a case was not run', () => {
    expect(layerVerdict(withVerdicts('passed', 'not-run'))).to.equal('inconclusive');
  });
});

describe('report/view expectationText', () => {
  it('states phase, metric, bound, threshold and measure', () => {
    const failed = fixtureRun().cases[1]?.expectations[0];
    expect(failed && expectationText(failed)).to.equal('whole p95 ≤ 200ms: measured 312 ms');
  });
});
