import { expect } from 'chai';
import { renderHtml, renderJunit, renderMarkdown } from '../../../src/report/index.js';
import { outcomeOf, runOutcome } from '../../../src/results/outcome.js';
import type { RunComparison, RunCounts, RunResult } from '../../../src/results/types.js';
import { fixtureRun } from '../report/fixture.js';
import { xmlProblems } from '../report/helpers.js';

const FIXTURE = fixtureRun();
const counts = (c: Partial<RunCounts>): RunCounts => ({ total: 0, passed: 0, failed: 0, aborted: 0, inconclusive: 0, notRun: 0, skipped: 0, ...c });

function comparison(regressions: number): RunComparison {
  return {
    baseline: { runId: 'nightly-41', startedAt: '2026-12-06T01:00:00.000Z', verdict: 'passed', source: 'reports/nightly-41' },
    current: { runId: 'nightly-42', startedAt: '2026-12-07T01:00:00.000Z' },
    cases: [], regressions,
  };
}

/** A run whose 15 cases all passed, compared with a baseline it regressed against twice. */
function regressedRun(): RunResult {
  const passed = FIXTURE.cases.map((c) => ({ ...c, verdict: 'passed' as const }));
  return { ...FIXTURE, runId: 'nightly-42', verdict: 'passed', cases: passed, counts: counts({ total: 15, passed: 15 }), comparison: comparison(2), revertFailures: [], interrupted: null };
}

describe('the run outcome', () => {
  it('fails a run whose cases all passed but that regressed against its baseline: FAILED (exit 1), with the figures', () => {
    const o = runOutcome(regressedRun());
    expect(o).to.deep.include({ status: 'failed', exitCode: 1, label: 'FAILED', regressions: 2, baselineRunId: 'nightly-41' });
    expect(o.headline).to.equal('FAILED (exit 1) — 15/15 cases passed, 2 regressions against nightly-41');
    expect(o.reasons).to.deep.equal(['2 regressions against nightly-41']);
  });

  it('passes a run whose cases passed without a regression, and says it was compared', () => {
    const o = runOutcome({ ...regressedRun(), comparison: comparison(0) });
    expect(o).to.deep.include({ status: 'passed', exitCode: 0, reasons: [] });
    expect(o.headline).to.equal('PASSED (exit 0) — 15/15 cases passed, no regression against nightly-41');
  });

  it('counts failed, aborted, inconclusive and not-run cases against the run, skipped ones not', () => {
    expect(runOutcome({ counts: counts({ total: 4, passed: 3, skipped: 1 }), revertFailures: [], interrupted: null })).to.deep.include({ exitCode: 0, headline: 'PASSED (exit 0) — 3/3 cases passed, 1 skipped' });
    for (const k of ['failed', 'aborted', 'inconclusive', 'notRun'] as const) {
      const o = runOutcome({ counts: counts({ total: 2, passed: 1, [k]: 1 }), revertFailures: [], interrupted: null });
      expect(o.exitCode, k).to.equal(1);
      expect(o.headline, k).to.equal(`FAILED (exit 1) — 1/2 cases passed, 1 ${k === 'notRun' ? 'not run' : k}`);
    }
  });

  it('ranks a failed revert (exit 4) above a signal (130/143) above failures (1)', () => {
    const base = { counts: counts({ total: 2, passed: 1, failed: 1 }), comparison: comparison(3) };
    expect(runOutcome({ ...base, revertFailures: ['pod-kill x'], interrupted: 'SIGINT' })).to.deep.include({ status: 'revert-failed', exitCode: 4, label: 'REVERT FAILED' });
    expect(runOutcome({ ...base, revertFailures: [], interrupted: 'SIGTERM' })).to.deep.include({ status: 'interrupted', exitCode: 143 });
    const o = runOutcome({ ...base, revertFailures: [], interrupted: 'SIGINT' });
    expect(o.exitCode).to.equal(130);
    expect(o.headline).to.equal('INTERRUPTED (exit 130) — 1/2 cases passed, 1 failed, 3 regressions against nightly-41, interrupted by SIGINT');
    expect(runOutcome({ ...base, revertFailures: ['a', 'b'], interrupted: null }).reasons[0]).to.equal('2 reverts failed: the cluster may still hold injected faults');
  });

  it('reads the outcome run.json recorded, and computes it for a run.json written before outcomes were', () => {
    const run = regressedRun();
    expect(outcomeOf(run).exitCode).to.equal(1);
    const recorded = { ...run, outcome: { ...runOutcome(run), headline: 'as recorded' } };
    expect(outcomeOf(recorded).headline).to.equal('as recorded');
  });

  it('gives the same outcome in the HTML banner, report.md and junit.xml as the exit code: a regressed run never reads "passed"', () => {
    const run = regressedRun();
    const { exitCode, headline } = runOutcome(run);
    const html = renderHtml(run, []);
    expect(html).to.include(`<div class="outcome failed" role="status" data-exit-code="${exitCode}"><p class="outcome-headline"><strong>FAILED</strong> (exit 1) — 15/15 cases passed, 2 regressions against nightly-41</p>`);
    expect(html).not.to.include('Overall verdict');
    const md = renderMarkdown(run, new Map());
    expect(md).to.include('> **FAILED** (exit 1) — 15/15 cases passed, 2 regressions against nightly-41\n>\n> - 2 regressions against nightly-41');
    const xml = renderJunit(run);
    expect(xmlProblems(xml)).to.deep.equal([]);
    expect(xml).to.include(`<failure message="${headline}" type="failed">`);
    expect(xml).to.include('<property name="crt.exitCode" value="1"/>');
  });

  it('has the JUnit outcome test case pass when the run exits 0', () => {
    const run = { ...regressedRun(), comparison: comparison(0) };
    const xml = renderJunit(run);
    expect(xml).to.include('<testcase classname="demo-crt.run" name="outcome" time="121.000"/>');
    expect(xml).to.include('<property name="crt.outcome" value="passed"/>');
  });
});
