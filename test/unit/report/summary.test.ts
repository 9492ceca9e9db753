import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { CaseResult, RunResult } from '../../../src/results/types.js';
import { UsageError } from '../../../src/core/index.js';
import { htmlReporter, paperFrom } from '../../../src/report/html.js';
import { markdownReporter } from '../../../src/report/markdown.js';
import { SUMMARY_LIMIT, linkTo, renderSummaryMarkdown } from '../../../src/report/markdown-summary.js';
import { overviewRows, runBanner } from '../../../src/report/view-overview.js';
import { acceptanceRun } from './acceptance-fixture.js';
import { TIMESERIES, fixtureRun } from './fixture.js';
import { useTempDir } from './helpers.js';

const noLinks = { baseUrl: '', charts: new Map<string, string>(), anchors: new Map<string, string>() };

describe('report/view-overview: the outcome banner', () => {
  it('says FAILED with exit 1 and counts every verdict for a run with a failed case', () => {
    expect(runBanner(fixtureRun())).to.deep.equal({ status: 'FAILED', exitCode: 1, tone: 'failed', text: 'FAILED (exit 1) — 1/3 cases passed, 1 failed, 1 not run' });
  });

  it('says FAILED for a run whose cases all passed but that regressed against its baseline, as crt run exits', () => {
    const { run } = acceptanceRun();
    run.cases = run.cases.map((c) => ({ ...c, verdict: 'passed' }));
    run.verdict = 'passed';
    run.counts = { ...run.counts, passed: run.cases.length, failed: 0, aborted: 0, inconclusive: 0, notRun: 0, skipped: 0, total: run.cases.length };
    const b = runBanner(run);
    expect(b.exitCode).to.equal(1);
    expect(b.text).to.equal(`FAILED (exit 1) — ${run.cases.length}/${run.cases.length} cases passed, 2 regressions against demo-acceptance-2026-12-06-1500`);
  });

  it('says PASSED with exit 0 only when every case passed and nothing regressed', () => {
    const { run } = acceptanceRun();
    run.cases = run.cases.map((c) => ({ ...c, verdict: 'passed' }));
    run.verdict = 'passed';
    run.counts = { ...run.counts, passed: run.cases.length, failed: 0, aborted: 0, inconclusive: 0, notRun: 0, skipped: 0, total: run.cases.length };
    run.comparison = { ...run.comparison!, regressions: 0 };
    expect(runBanner(run)).to.include({ status: 'PASSED', exitCode: 0, tone: 'passed' });
    expect(runBanner(run).text).to.match(/, no regression against /);
  });

  it('puts a failed revert (exit 4) before everything, and an interruption (130/143) before the verdict', () => {
    const run = fixtureRun();
    run.revertFailures = ['network-cut gateway'];
    run.interrupted = 'SIGINT';
    expect(runBanner(run)).to.include({ status: 'REVERT FAILED', exitCode: 4, tone: 'alarm' });
    run.revertFailures = [];
    expect(runBanner(run)).to.include({ status: 'INTERRUPTED', exitCode: 130 });
    run.interrupted = 'SIGTERM';
    expect(runBanner(run).exitCode).to.equal(143);
  });
});

describe('report/view-overview: one row per case', () => {
  it('lists the failed cases first, then not established, then passed, with each figure against its bound', () => {
    const rows = overviewRows(fixtureRun());
    expect(rows.map((r) => `${r.id} ${r.verdict}`)).to.deep.equal(['L-02 failed', 'P-01 not-run', 'L-01 passed']);
    const podKill = rows[0]!;
    expect(podKill.faultErrorRate).to.deep.equal({ value: '20%', bound: '≤ 50%', verdict: 'passed' });
    expect(podKill.p95).to.deep.equal({ value: podKill.p95.value, bound: '≤ 200ms', verdict: 'failed' });
    expect(podKill.p95.value).to.match(/^\d+(\.\d+)? ms$/);
    expect(podKill.clientRecovery).to.deep.equal({ value: '5s', bound: '≤ 30s', verdict: 'passed' });
    expect(podKill.clusterRecovery).to.deep.equal({ value: '–', bound: null, verdict: null });
    expect(rows[1]!.faultErrorRate.value).to.equal('–');
  });
});

describe('report/markdown-summary', () => {
  const tempDir = useTempDir();

  it('stays under its limit for the demo-acceptance plan, with every case in a <details> block', () => {
    const { run } = acceptanceRun();
    const md = renderSummaryMarkdown(run, noLinks);
    expect(md.length).to.be.below(SUMMARY_LIMIT);
    expect(md.match(/<details><summary>/g)).to.have.length(run.cases.length);
    expect(md.match(/<\/details>/g)).to.have.length(run.cases.length);
    expect(md.split('\n')[2]).to.equal(`**FAILED** (exit 1) — ${run.cases.length - 1}/${run.cases.length} cases passed, 1 failed, 2 regressions against demo-acceptance-2026-12-06-1500`);
  });

  it('shows the regressed rows only, and how many others there are', () => {
    const md = renderSummaryMarkdown(acceptanceRun().run, noLinks);
    const section = md.slice(md.indexOf('## Regression against'), md.indexOf('## Cases'));
    expect(section.match(/\| REGRESSED \|/g)).to.have.length(2);
    expect(section).not.to.match(/\| ok \|/);
    expect(section).to.match(/_\d+ other rows within their limits or not compared: see report\.html\._/);
  });

  it('keeps under the limit for a plan of 400 cases: the passed cases give up their detail first, then every case', () => {
    const { run } = acceptanceRun();
    const many = (n: number): RunResult => ({ ...run, cases: Array.from({ length: n }, (_, i) => ({ ...(run.cases[i % run.cases.length] as CaseResult), id: `C-${i}` })) });
    const sixty = many(60);
    const medium = renderSummaryMarkdown(sixty, noLinks);
    expect(medium.length).to.be.at.most(SUMMARY_LIMIT);
    expect(medium).to.include('_The detail of the passed cases is in [report.md](report.md)');
    const failed = sixty.cases.filter((c) => c.verdict === 'failed').map((c) => c.id);
    expect(failed).to.have.length.greaterThan(0);
    expect([...medium.matchAll(/<details><summary>(\S+) /g)].map((m) => m[1])).to.deep.equal(failed);
    for (const n of [400, 4000]) {
      const md = renderSummaryMarkdown(many(n), noLinks);
      expect(md.length, `${n} cases`).to.be.at.most(SUMMARY_LIMIT);
      expect(md, `${n} cases`).to.match(/^\*\*FAILED\*\* \(exit 1\)|\n\*\*FAILED\*\* \(exit 1\)/);
    }
  });

  it('prefixes every link with the artifact base URL, one slash between them, the path encoded', () => {
    expect(linkTo('https://ci.example/job/7/artifacts', 'charts/a b.png')).to.equal('https://ci.example/job/7/artifacts/charts/a%20b.png');
    expect(linkTo('https://ci.example/a/', 'report.html')).to.equal('https://ci.example/a/report.html');
    expect(linkTo('', 'charts/x.png')).to.equal('charts/x.png');
  });

  it('is written by the markdown reporter with its PNG charts, links made absolute by CRT_ARTIFACT_BASE_URL', async () => {
    const files = await markdownReporter({ env: { CRT_ARTIFACT_BASE_URL: 'https://ci.example/jobs/7/artifacts/reports/run-1' } }).render({ run: fixtureRun(), timeseries: TIMESERIES, cluster: [], dir: tempDir() });
    expect(files).to.include.members(['summary.md', 'charts/L-02.png']);
    const md = await readFile(join(tempDir(), 'summary.md'), 'utf8');
    expect(md).to.include('![Load and latency of L-02](https://ci.example/jobs/7/artifacts/reports/run-1/charts/L-02.png)');
    expect(md).to.include('[L-02](https://ci.example/jobs/7/artifacts/reports/run-1/report.html#case-L-02)');
    expect(md).not.to.match(/\]\((?!https:\/\/ci\.example\/jobs\/7\/artifacts\/reports\/run-1\/)/);
    // a title with markup is escaped in the HTML summary line, and a pipe cannot split a table cell
    expect(md).to.include('<details><summary>L-01 — Steady load &lt;script&gt;alert(1)&lt;/script&gt; &amp; friends — passed</summary>');
    expect(md).to.include('| Pod kill: a \\| b |');
  });

  it('refuses a paper size other than a4 or letter, saying which ones', async () => {
    const err = await htmlReporter({ env: { CRT_PAPER: 'a3' } }).render({ run: fixtureRun(), timeseries: [], cluster: [], dir: tempDir() }).catch((e: Error) => e);
    expect(err).to.be.instanceOf(UsageError);
    expect((err as UsageError).message).to.equal('CRT_PAPER=a3 is not a paper size');
    expect(paperFrom({ CRT_PAPER: ' Letter ' })).to.equal('letter');
    expect(paperFrom({})).to.equal('a4');
  });

  it('refuses an artifact base URL that is not http(s), saying what to set', async () => {
    const err = await markdownReporter({ env: { CRT_ARTIFACT_BASE_URL: 'file:///etc' } }).render({ run: fixtureRun(), timeseries: [], cluster: [], dir: tempDir() }).catch((e: Error) => e);
    expect(err).to.be.instanceOf(UsageError);
    expect((err as UsageError).message).to.equal('CRT_ARTIFACT_BASE_URL=file:///etc is not an http(s) URL');
    expect((err as UsageError).hint).to.equal('set it to where CI publishes the run folder, or unset it for relative links');
  });
});
