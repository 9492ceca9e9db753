import { expect } from 'chai';
import { renderHtml, renderJunit, renderMarkdown } from '../../../src/report/index.js';
import { comparisonTable } from '../../../src/report/comparison-table.js';
import type { RunComparison, RunResult } from '../../../src/results/types.js';
import { fixtureRun } from './fixture.js';
import { xmlProblems } from './helpers.js';

const comparison: RunComparison = {
  baseline: { runId: 'nightly-0501', startedAt: '2024-04-30T10:00:00.000Z', verdict: 'passed', source: 'reports/nightly-0501' },
  current: { runId: 'run-2024-05-01-1000', startedAt: '2024-05-01T10:00:00.000Z' },
  cases: [
    {
      id: 'L-01', status: 'compared', baselineVerdict: 'passed', currentVerdict: 'passed',
      metrics: [
        { phase: 'whole', metric: 'p95', baseline: 20, current: 35, delta: 15, allowed: '+20%', limit: 24, status: 'regressed' },
        { phase: 'whole', metric: 'p99', baseline: 30, current: 40, delta: 10, allowed: null, limit: null, status: 'unchecked' },
        { phase: 'whole', metric: 'errorRate', baseline: 0.01, current: 0.005, delta: -0.005, allowed: '+1%', limit: 0.02, status: 'ok' },
      ],
    },
    {
      id: 'L-02', status: 'compared', baselineVerdict: 'passed', currentVerdict: 'failed',
      metrics: [{ phase: null, metric: 'recoveryTime', baseline: 5_000, current: null, delta: null, allowed: '+30s', limit: 35_000, status: 'regressed', note: 'not recovered before the case ended' }],
    },
    { id: 'P-01', status: 'not-run', baselineVerdict: 'passed', currentVerdict: 'not-run', metrics: [] },
  ],
  regressions: 2,
};

const withComparison = (): RunResult => ({ ...fixtureRun(), comparison });

describe('reports of a run compared with a baseline', () => {
  it('lays the delta table out with signed deltas, units and verdicts', () => {
    expect(comparisonTable(comparison).rows).to.deep.equal([
      ['L-01', 'whole', 'p95', '20 ms', '35 ms', '+15 ms (+75%)', '+20%', 'REGRESSED'],
      ['L-01', 'whole', 'p99', '30 ms', '40 ms', '+10 ms (+33%)', '–', 'not checked'],
      ['L-01', 'whole', 'errorRate', '1%', '0.5%', '−0.5 pt', '+1%', 'ok'],
      ['L-02', 'case', 'recoveryTime', '5s', '–', '–', '+30s', 'REGRESSED (not recovered before the case ended)'],
      ['P-01', '–', '–', '–', '–', '–', '–', 'not compared: the case did not run this time'],
    ]);
  });

  it('report.md has a "Regression against <baseline>" section with the table', () => {
    const md = renderMarkdown(withComparison(), new Map());
    expect(md).to.include('## Regression against nightly-0501\n\n2 regressions against nightly-0501 (started 2024-04-30T10:00:00.000Z, passed)\n\n| case | phase |');
    expect(md).to.include('| L-01 | whole | p95 | 20 ms | 35 ms | +15 ms (+75%) | +20% | REGRESSED |');
    expect(renderMarkdown(fixtureRun(), new Map())).not.to.include('Regression against');
  });

  it('report.html has the section, before the layers', () => {
    const html = renderHtml(withComparison(), []);
    const at = html.indexOf('<section id="regression">\n<h2>Regression against nightly-0501</h2>\n<p class="warning">2 regressions');
    expect(at).to.be.above(0);
    expect(at).to.be.below(html.indexOf('<section class="layer"'));
    expect(renderHtml(fixtureRun(), [])).not.to.include('id="regression"');
  });

  it('junit.xml has a failure per regressed case and metric, in a suite of its own, counted in the totals', () => {
    const xml = renderJunit(withComparison());
    expect(xmlProblems(xml)).to.deep.equal([]);
    expect(xml).to.match(/<testsuites name="crt: demo-crt" tests="6" failures="3" errors="1" skipped="0"/);
    expect(xml).to.include('<testsuite name="Regression against nightly-0501" tests="3" failures="2" errors="0" skipped="0"');
    expect(xml).to.include('<testcase classname="demo-crt.regression" name="L-01 p95" time="0.000">\n      <failure message="L-01 regressed: whole p95: 20 ms → 35 ms (+15 ms (+75%)), allowed +20%" type="regression">');
    expect(xml).to.include('<testcase classname="demo-crt.regression" name="L-01 errorRate" time="0.000"/>');
    expect(xml).to.include('name="L-02 recoveryTime"');
    expect(xml).not.to.include('name="L-01 p99"');
    expect(renderJunit(fixtureRun())).not.to.include('regression');
  });
});
