import { expect } from 'chai';
import { servedByTable, servedByTitle } from '../../../src/report/served-by-table.js';
import { renderCaseHtml } from '../../../src/report/html-case.js';
import { renderCaseMarkdown } from '../../../src/report/markdown-case.js';
import { computeStats } from '../../../src/results/stats.js';
import type { CaseResult, LoadSample } from '../../../src/results/types.js';
import { sample } from '../../helpers/samples.js';
import { fixtureRun } from './fixture.js';

/** The fixture's pod-kill case, with answers counted by x-version: a canary at 1.1 before and during the fault. */
function canaryCase(): CaseResult {
  const c = structuredClone(fixtureRun().cases[1] as CaseResult);
  const withVersions = (servedBy: Record<string, number>, failed = 0): LoadSample => {
    const ok = Object.values(servedBy).reduce((a, b) => a + b, 0) - failed;
    return { ...sample(0, ok, failed), servedBy };
  };
  const stats = {
    baseline: computeStats([withVersions({ '1.0': 80, '1.1': 20 })], 10),
    fault: computeStats([withVersions({ '1.0': 45, '<b>1.2</b>': 5 }, 5)], 10),
    recovery: computeStats([sample(0, 0, 0)], 5),
  };
  c.load = { ...(c.load as NonNullable<CaseResult['load']>), servedBy: 'x-version' };
  c.phases = c.phases.filter((p) => p.name !== 'after' && p.name !== 'whole').map((p) => ({ ...p, stats: stats[p.name as keyof typeof stats] ?? null }));
  return c;
}

describe('report: answers by the servedBy header', () => {
  it('lists per phase each value with its answers and share, most frequent first', () => {
    const t = servedByTable(canaryCase());
    expect(t?.headers).to.deep.equal(['phase', 'value', 'answers', 'share']);
    expect(t?.rows).to.deep.equal([
      ['baseline', '1.0', '80', '80%'],
      ['baseline', '1.1', '20', '20%'],
      ['fault', '1.0', '45', '90%'],
      ['fault', '<b>1.2</b>', '5', '10%'],
      ['recovery', '–', '0', '–'],
    ]);
    expect(servedByTitle(canaryCase())).to.equal('Answers by x-version');
  });

  it('has no table for a case that does not count answers', () => {
    const c = fixtureRun().cases[1] as CaseResult;
    expect(servedByTable(c)).to.equal(null);
    expect(renderCaseMarkdown(c, null)).to.not.contain('Answers by');
  });

  it('renders the table in the Markdown case', () => {
    const md = renderCaseMarkdown(canaryCase(), null);
    expect(md).to.contain('**Answers by x-version**');
    expect(md).to.match(/\| baseline \| 1\.1 \| +20 \| +20% \|/);
  });

  it('renders the table in the HTML case, values escaped', () => {
    const html = renderCaseHtml(canaryCase(), [], 'case-l-02');
    expect(html).to.contain('<h5>Answers by x-version</h5>');
    expect(html).to.contain('&lt;b&gt;1.2&lt;/b&gt;');
    expect(html).to.not.contain('<b>1.2</b>');
  });
});
