import { expect } from 'chai';
import { renderHtml } from '../../../src/report/html.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { MISSING, relativeChange, runStudies, studyComparisonTable, studyVariantTable } from '../../../src/report/study-tables.js';
import { buildStudies } from '../../../src/results/studies.js';
import type { StudyResult } from '../../../src/results/types.js';
import { xmlProblems } from './helpers.js';
import { studyCases, studyRun } from './study-fixture.js';

const row = (t: { rows: string[][] }, step: string): string[] => {
  const found = t.rows.find((r) => r[0] === step);
  if (!found) throw new Error(`no row ${step}`);
  return found;
};
const col = (t: { headers: string[] }, header: string): number => t.headers.indexOf(header);

// built once: every test reads them, none changes them
const CASES = studyCases();
const RUN = studyRun(CASES);

describe('load studies: grouping and tables', () => {
  const [study] = buildStudies(CASES) as [StudyResult];

  it('groups the cases sharing a study name: variants and steps in plan order, across cases of a variant', () => {
    expect(buildStudies(CASES)).to.have.length(1);
    expect(study.name).to.equal('load-study');
    expect(study.variants).to.deep.equal(['HPA off', 'HPA on']);
    expect(study.steps).to.deep.equal(['c=5', 'c=10', 'c=40', '5x40']);
    expect(study.cells.map((c) => `${c.variant}|${c.step}|${c.case}|${c.stage ?? 'whole'}`)).to.deep.equal([
      'HPA off|c=5|LOG-10|c=5', 'HPA off|c=10|LOG-10|c=10', 'HPA off|c=40|LOG-10|c=40', 'HPA off|5x40|LOG-11|whole',
      'HPA on|c=5|LOG-12|c=5', 'HPA on|c=10|LOG-12|c=10', 'HPA on|c=40|LOG-12|c=40',
    ]);
  });

  it('takes each step\'s figures from its stage (or the case\'s whole phase) as computed from merged histograms', () => {
    const cases = CASES;
    const c40 = study.cells.find((c) => c.variant === 'HPA off' && c.step === 'c=40')!;
    const stage = cases[0]!.stages[2]!.stats!;
    expect(c40.figures).to.deep.equal({
      requests: stage.requests, failed: stage.failed, errorRate: stage.errorRate, rps: stage.rps,
      mean: stage.latency!.mean, p50: stage.latency!.p50, p75: stage.latency!.p75, p90: stage.latency!.p90, p95: stage.latency!.p95,
    });
    // 90 % of the requests at 300 ms and 10 % at 412 ms: the merged p95 is a slow request, an average of percentiles would not be
    expect(c40.figures!.p95).to.be.closeTo(412, 1);
    expect(c40.figures).to.include({ requests: 1000, failed: 100, rps: 100 });
    const whole = study.cells.find((c) => c.step === '5x40')!;
    expect(whole.figures?.p95).to.equal(cases[1]!.phases[0]!.stats!.latency!.p95);
    expect(whole.maxReady).to.deep.equal({ 'deployment/demo/gateway': 2, 'deployment/demo/store': 1 });
  });

  it('writes a table per variant with every figure, and — for a step the variant did not run', () => {
    const on = studyVariantTable(study, 'HPA on');
    expect(on.headers).to.deep.equal(['step', 'case', 'req/s', 'mean', 'p50', 'p75', 'p90', 'p95', 'requests', 'failed', 'failure %', 'max Ready replicas']);
    expect(on.rows.map((r) => r[0])).to.deep.equal(['c=5', 'c=10', 'c=40', '5x40']);
    expect(row(on, '5x40')).to.deep.equal(['5x40', ...Array<string>(11).fill(MISSING)]);
    expect(MISSING).to.equal('—');
    const off = studyVariantTable(study, 'HPA off');
    expect(row(off, 'c=40')[col(off, 'p95')]).to.equal('412 ms');
    expect(row(off, 'c=40')[col(off, 'failure %')]).to.equal('10%');
    expect(row(off, 'c=40')[col(off, 'requests')]).to.equal('1000');
    // the store held 1 replica everywhere: only the workload the autoscaler moved gets the column
    expect(row(off, 'c=40')[col(off, 'max Ready replicas')]).to.equal('gateway 2');
    expect(row(on, 'c=40')[col(on, 'max Ready replicas')]).to.equal('gateway 5');
  });

  it('compares the variants step by step: both values and the change, — where a side is missing', () => {
    const t = studyComparisonTable(study, 'HPA off', 'HPA on');
    expect(t.headers[0]).to.equal('step');
    expect(t.rows.map((r) => r[0])).to.deep.equal(['c=5', 'c=10', 'c=40', '5x40']);
    const c40 = row(t, 'c=40');
    expect(c40[col(t, 'p95')]).to.equal('412 ms → 96.1 ms (−77 %)');
    expect(c40[col(t, 'req/s')]).to.equal('100.0 → 200.0 (+100 %)');
    expect(c40[col(t, 'failure %')]).to.equal('10% → 0% (−10 pts)');
    expect(c40[col(t, 'failed')]).to.equal('100 → 0 (−100 %)');
    expect(c40[col(t, 'max Ready replicas')]).to.equal('gateway 2 → 5 (+3)');
    expect(row(t, 'c=5')[col(t, 'p95')]).to.match(/^110 ms → 110 ms \(±0 %\)$/);
    expect(row(t, '5x40')[col(t, 'p95')]).to.match(/^\d+ ms → —$/);
    expect(row(t, '5x40')[col(t, 'max Ready replicas')]).to.equal('gateway 2 → —');
  });

  it('says a relative change only where it has a meaning', () => {
    expect(relativeChange(412, 96)).to.equal('−77 %');
    expect(relativeChange(100, 104.2)).to.equal('+4.2 %');
    expect(relativeChange(0, 5)).to.equal('');
    expect(relativeChange(null, 5)).to.equal('');
  });

  it('builds the studies from the cases for a run.json written before the studies block existed', () => {
    const run = RUN;
    expect(run.studies).to.equal(undefined);
    expect(runStudies(run)).to.deep.equal(buildStudies(run.cases));
    expect(runStudies({ ...run, studies: [] })).to.deep.equal([]);
  });
});

describe('load studies in the reports', () => {
  const run = { ...RUN, studies: buildStudies(CASES) };

  it('HTML: a "Load study" section after the layers, the comparison first, then a table per variant', () => {
    const html = renderHtml(run, []);
    expect(xmlProblems(html.replace(/^<!DOCTYPE html>\n/, '').replace(/<meta[^>]*>/g, ''))).to.deep.equal([]);
    const summary = html.slice(html.indexOf('<section id="summary">'), html.indexOf('</section>'));
    expect(summary).to.include('<li><a href="#study-load-study">Load study: load-study</a> — 4 steps × 2 variants (HPA off, HPA on), from 3 cases; each variant against HPA off</li>');
    const at = html.indexOf('<section class="study" id="study-load-study">');
    expect(at).to.be.greaterThan(html.indexOf('id="layer-auxiliary"'));
    const section = html.slice(at, html.indexOf('</section>', at));
    expect(section).to.include('<h2>Load study: load-study</h2>');
    const titles = [...section.matchAll(/<h3>([^<]*)<\/h3>/g)].map((m) => m[1]);
    expect(titles).to.deep.equal(['HPA off → HPA on', 'HPA off', 'HPA on']);
    expect(section).to.match(/<td class="num"[^>]*>412 ms → 96\.1 ms \(−77 %\)<\/td>/);
    expect(section).to.match(/<tr><td[^>]*>5x40<\/td><td[^>]*>—<\/td>(<td class="num short"[^>]*>—<\/td>){10}<\/tr>/);
  });

  it('Markdown: the same section and figures', () => {
    const md = renderMarkdown(run, new Map());
    const at = md.indexOf('## Load study: load-study');
    expect(at).to.be.greaterThan(md.indexOf('## Auxiliary layer'));
    const section = md.slice(at);
    expect(section).to.include('### HPA off → HPA on');
    expect(section).to.include('| c=40 | 100.0 → 200.0 (+100 %) |');
    expect(section).to.include('412 ms → 96.1 ms (−77 %)');
    expect(section).to.include(`| 5x40 | ${Array<string>(11).fill('—').join(' | ')} |`);
  });

  it('leaves the section out of a run without a study', () => {
    const { studies: _s, ...plain } = run;
    const none = { ...plain, cases: plain.cases.filter((c) => !c.study) };
    expect(renderHtml(none, [])).not.to.include('Load study');
    expect(renderMarkdown(none, new Map())).not.to.include('Load study');
  });
});
