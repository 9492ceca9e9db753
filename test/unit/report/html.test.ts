import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { CaseResult, RunResult } from '../../../src/results/types.js';
import { htmlReporter, renderHtml } from '../../../src/report/html.js';
import { HOSTILE_TITLE, CLUSTER, TIMESERIES, fixtureRun } from './fixture.js';
import { useTempDir } from './helpers.js';

const caseSection = (html: string, id: string): string => {
  const start = html.indexOf(`<section class="case" id="case-${id}">`);
  expect(start, `section of ${id}`).to.be.greaterThan(-1);
  return html.slice(start, html.indexOf('</section>', start));
};

/** Table cells without their classes and data-label (laid out by CSS), so the assertions read the figures. */
const plain = (html: string): string => html.replace(/<(td|th)(?: [a-z-]+="[^"]*")*>/g, '<$1>');

const between = (html: string, from: string, to: string): string => html.slice(html.indexOf(from), html.indexOf(to, html.indexOf(from)));

describe('report/html', () => {
  const tempDir = useTempDir();
  const html = renderHtml(fixtureRun(), TIMESERIES, CLUSTER);

  it('writes report.html into the run folder and returns its name', async () => {
    const files = await htmlReporter().render({ run: fixtureRun(), timeseries: TIMESERIES, cluster: CLUSTER, dir: tempDir() });
    expect(files).to.deep.equal(['report.html']);
    expect(await readFile(join(tempDir(), 'report.html'), 'utf8')).to.equal(html);
  });

  it('is self-contained: no script, no stylesheet link, no remote resource', () => {
    expect(html).not.to.match(/<script/i);
    expect(html).not.to.match(/<link\b/i);
    expect(html).not.to.match(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.to.match(/@import|url\(/i);
  });

  it('escapes a title holding markup', () => {
    expect(html).to.include('Steady load &lt;script&gt;alert(1)&lt;/script&gt; &amp; friends');
    expect(html).not.to.include(HOSTILE_TITLE);
  });

  it('escapes probe details and event details', () => {
    expect(html).to.include('HTTP 503 &quot;upstream &lt;unavailable&gt;&quot;');
    expect(html).to.include('deleted pod gateway-7d9 &lt;pending&gt;');
  });

  it('shows the service time beside the latency from the intended send time', () => {
    expect(html).to.match(/<h5>Service time<\/h5>/);
    expect(html).to.match(/measured from each request&#39;s intended send time|measured from each request's intended send time/);
  });

  it('prints the five CRT fields for every case', () => {
    for (const id of ['L-01', 'L-02', 'P-01']) {
      const section = caseSection(html, id);
      for (const field of ['Objective', 'General conditions', 'Triggering actions', 'Expected behaviour', 'Results']) {
        expect(section).to.include(`<h4>${field}</h4>`);
      }
    }
  });

  it('shows the verdict of each case with its reason', () => {
    expect(caseSection(html, 'L-01')).to.include('<span class="badge passed">passed</span>');
    expect(caseSection(html, 'L-02')).to.include('<span class="badge failed">failed</span> 1 of 3 expectations failed');
    expect(caseSection(html, 'P-01')).to.include('<span class="badge not-run">not run</span> condition gateway-health failed');
  });

  it('lists the tolerated cases and, with their reasons, the cases not tolerated', () => {
    const tolerated = between(html, 'What the system tolerates', 'What it does not tolerate');
    const notTolerated = between(html, 'What it does not tolerate', '</section>');
    expect(tolerated).to.include('L-01 — Steady load &lt;script&gt;');
    expect(tolerated).not.to.include('L-02');
    expect(notTolerated).to.include('L-02 — Pod kill: a | b');
    expect(notTolerated).to.include('1 of 3 expectations failed');
  });

  it('gives the run\'s outcome in a banner under the title, and a verdict per layer', () => {
    expect(html).to.include('</header>\n<section id="summary">\n<div class="outcome failed" role="status" data-exit-code="1"><p class="outcome-headline"><strong>FAILED</strong> (exit 1) — 1/3 cases passed, 1 failed, 1 not run</p>\n<ul class="outcome-reasons"><li>1 case failed</li><li>1 case not run</li></ul></div>');
    expect(html.indexOf('class="outcome'), 'before any table').to.be.below(html.indexOf('<table'));
    expect(html).to.match(/<a href="#layer-logical">Logical layer<\/a><\/th><td><span class="badge failed">/);
    expect(html).to.match(/<a href="#layer-physical">Physical layer<\/a><\/th><td><span class="badge inconclusive">/);
  });

  it('says so for a layer without cases', () => {
    expect(between(html, '<section class="layer" id="layer-auxiliary">', '</section>')).to.include('no case in this layer');
  });

  it('prints the plan versions and the environment', () => {
    expect(plain(html)).to.match(/<td>customer-service<\/td><td>2\.0\.0-rc\.1<\/td>/);
    expect(html.indexOf('<h3>Versions</h3>'), 'after the case table and the tolerates lists').to.be.greaterThan(html.indexOf('What it does not tolerate'));
    expect(html).to.include('ci-runner-3');
    expect(html).to.include('http://gateway.demo:8080');
  });

  it('warns about a sink that is not ok', () => {
    expect(html).to.include('Sinks: influxdb degraded (1200 written; timeout writing batch 7)');
  });

  it('warns first of all about a fault whose revert failed', () => {
    const run = fixtureRun();
    run.revertFailures = ['network-cut <gateway> (journal entry 3)'];
    const out = renderHtml(run, TIMESERIES);
    expect(out).to.include('Revert failed: the system may still hold injected faults.');
    expect(out).to.include('<li>network-cut &lt;gateway&gt; (journal entry 3)</li>');
  });

  it('prints the expectations with the failed one marked failed', () => {
    expect(plain(caseSection(html, 'L-02'))).to.match(/<td>whole<\/td><td>p95<\/td><td>p95 ≤ 200ms<\/td><td>312 ms<\/td><td>failed<\/td>/);
  });

  it('prints one phase row per phase with its window in seconds', () => {
    const section = plain(caseSection(html, 'L-02'));
    for (const row of ['<td>baseline</td><td>0.0–10.0</td>', '<td>fault</td><td>10.0–20.0</td>', '<td>whole</td><td>0.0–30.0</td>']) {
      expect(section).to.include(row);
    }
  });

  it('prints a stage table only for a case with two stages or more', () => {
    expect(caseSection(html, 'L-01')).to.include('<h5>Stages</h5>');
    expect(plain(caseSection(html, 'L-01'))).to.include('<td>warm-up</td>');
    expect(caseSection(html, 'L-02')).not.to.include('<h5>Stages</h5>');
  });

  it('prints failures by class and the recovery block', () => {
    const section = plain(caseSection(html, 'L-02'));
    expect(section).to.include('<td>timeout</td><td>200</td>');
    expect(section).to.include('<strong>recovered in 5s</strong>');
  });

  it('prints the load warnings and the chart in the case, and its event timeline in the appendix, linked from the case', () => {
    const section = caseSection(html, 'L-02');
    expect(section).to.include('generator 1 fell 120 ms behind');
    expect(section).to.include('<svg xmlns=');
    expect(section).to.include('Event timeline: <a href="#timeline-case-L-02">in the appendix</a>');
    expect(section).not.to.include('<h5>Event timeline</h5>');
    const appendix = plain(between(html, '<section class="timeline" id="timeline-case-L-02">', '</section>'));
    expect(appendix).to.match(/<td>\+10\.0 s<\/td><td>inject<\/td><td>kill-gateway<\/td>/);
    expect(html.indexOf('<section id="appendix">')).to.be.greaterThan(html.indexOf('<section class="layer" id="layer-auxiliary">'));
  });

  it('says "no impact observed" when the fault changed nothing', () => {
    const run = fixtureRun();
    const podKill = run.cases[1] as CaseResult;
    podKill.recovery = { ...(podKill.recovery as NonNullable<CaseResult['recovery']>), impact: false, recoveryTimeMs: 0, firstFailureMs: null, lastFailureMs: null };
    expect(caseSection(renderHtml(run, TIMESERIES), 'L-02')).to.include('<strong>no impact observed</strong>');
  });

  it('says "did not recover before the end" when there is no recovery time', () => {
    const run: RunResult = fixtureRun();
    const podKill = run.cases[1] as CaseResult;
    podKill.recovery = { ...(podKill.recovery as NonNullable<CaseResult['recovery']>), recoveredAtMs: null, recoveryTimeMs: null };
    expect(caseSection(renderHtml(run, TIMESERIES), 'L-02')).to.include('<strong>did not recover before the end</strong>');
  });
});
