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
        { phase: 'whole', metric: 'p95', baseline: 20, current: 35, delta: 15, allowed: '+20%', limit: 24, status: 'regressed', baselineRequests: 1200, currentRequests: 1180 },
        { phase: 'whole', metric: 'p99', baseline: 30, current: 40, delta: 10, allowed: null, limit: null, status: 'unchecked' },
        { phase: 'whole', metric: 'errorRate', baseline: 0.01, current: 0.005, delta: -0.005, allowed: '+1%', limit: 0.02, status: 'ok', baselineRequests: 40, currentRequests: 200, fewSamples: true },
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
  it('lays the delta table out regressed rows first, with signed deltas, units, both runs\' requests and verdicts', () => {
    const t = comparisonTable(comparison);
    expect(t.headers).to.deep.equal(['case', 'phase', 'metric', 'baseline', 'current', 'delta', 'allowed', 'requests', 'verdict']);
    expect(t.rows).to.deep.equal([
      ['L-01', 'whole', 'p95', '20 ms', '35 ms', '+15 ms (+75%)', '+20%', '1200 / 1180', 'REGRESSED'],
      ['L-02', 'case', 'recoveryTime', '5s', '–', '–', '+30s', '–', 'REGRESSED (not recovered before the case ended)'],
      ['L-01', 'whole', 'p99', '30 ms', '40 ms', '+10 ms (+33%)', '–', '–', 'not checked'],
      ['L-01', 'whole', 'errorRate', '1%', '0.5%', '−0.5 pt', '+1%', '40 / 200', 'ok (few samples: under 100 requests)'],
      ['P-01', '–', '–', '–', '–', '–', '–', '–', 'not compared: the case did not run this time'],
    ]);
  });

  it('names the phase after the revert "after revert" in the table (run.json keeps "recovery")', () => {
    const after: RunComparison = { ...comparison, cases: [{ ...comparison.cases[0]!, metrics: [{ ...comparison.cases[0]!.metrics[0]!, phase: 'recovery' }] }] };
    expect(comparisonTable(after).rows[0]!.slice(0, 3)).to.deep.equal(['L-01', 'after revert', 'p95']);
  });

  it('report.md has a "Regression against <baseline>" section with the table', () => {
    const md = renderMarkdown(withComparison(), new Map());
    expect(md).to.include('## Regression against nightly-0501\n\n2 regressions against nightly-0501 (started 2024-04-30T10:00:00.000Z, passed)\n\n**Regressed**\n\n| case | phase |');
    expect(md).to.include('| L-01 | whole | p95 | 20 ms | 35 ms | +15 ms (+75%) | +20% | 1200 / 1180 | REGRESSED |');
    // the rows that did not regress are collapsed, after the regressed ones
    const details = md.indexOf('<details><summary>3 other rows (not regressed: ok, not checked, or nothing to compare)</summary>\n\n| case |');
    expect(details).to.be.above(md.indexOf('| L-02 | case | recoveryTime |'));
    expect(md.indexOf('| L-01 | whole | p99 |')).to.be.above(details);
    expect(renderMarkdown(fixtureRun(), new Map())).not.to.include('Regression against');
  });

  it('report.html has the section, before the layers: regressed rows coloured first, the others collapsed', () => {
    const html = renderHtml(withComparison(), []);
    const at = html.indexOf('<section id="regression">\n<h2>Regression against nightly-0501</h2>\n<p class="warning">2 regressions');
    expect(at).to.be.above(0);
    expect(at).to.be.below(html.indexOf('<section class="layer"'));
    const section = html.slice(at, html.indexOf('</section>', at));
    expect(section.match(/<tr class="regressed">/g)).to.have.length(2);
    expect(section).to.include('<tr class="regressed"><td>L-01</td><td>whole</td><td>p95</td>');
    const details = section.indexOf('<details class="comparison-others">');
    expect(details).to.be.above(section.lastIndexOf('<tr class="regressed">'));
    expect(section.indexOf('<td>p99</td>')).to.be.above(details);
    expect(html).to.include('table.comparison tr.regressed td { background:');
    expect(renderHtml(fixtureRun(), [])).not.to.include('id="regression"');
  });

  it('junit.xml has a failure per regressed case and metric, in a suite of its own, counted in the totals', () => {
    const xml = renderJunit(withComparison());
    expect(xmlProblems(xml)).to.deep.equal([]);
    // + the run's outcome test case, failed like the exit code
    expect(xml).to.match(/<testsuites name="crt: demo-crt" tests="7" failures="4" errors="1" skipped="0"/);
    expect(xml).to.include('<testsuite name="Regression against nightly-0501" tests="3" failures="2" errors="0" skipped="0"');
    expect(xml).to.include('<testcase classname="demo-crt.regression" name="L-01 p95" time="0.000">\n      <failure message="L-01 regressed: whole p95: 20 ms → 35 ms (+15 ms (+75%)), allowed +20%" type="regression">');
    expect(xml).to.include('<testcase classname="demo-crt.regression" name="L-01 errorRate" time="0.000"/>');
    expect(xml).to.include('name="L-02 recoveryTime"');
    expect(xml).not.to.include('name="L-01 p99"');
    expect(renderJunit(fixtureRun())).not.to.include('regression');
  });
});
