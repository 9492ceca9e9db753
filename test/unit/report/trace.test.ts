import { expect } from 'chai';
import { renderHtml, renderMarkdown } from '../../../src/report/index.js';
import { imageTable, signOffRows, traceRows } from '../../../src/report/trace-tables.js';
import { phaseTable, recoveryView } from '../../../src/report/case-tables.js';
import { checkDashboardTemplate, dashboardLink } from '../../../src/results/dashboard-link.js';
import type { RunResult, RunTrace } from '../../../src/results/index.js';
import { UsageError } from '../../../src/core/index.js';
import { fixtureRun } from './fixture.js';
import { xmlProblems } from './helpers.js';

const trace: RunTrace = {
  operator: 'jane',
  ci: { system: 'GitLab CI', job: 'crt-nightly #77 (pipeline 12 of acme/shop)', url: 'https://gitlab.example/acme/shop/-/jobs/77', actor: 'max', commit: 'def', ref: 'main' },
  plan: { sha256: 'a'.repeat(64), git: { commit: 'c0ffee', dirty: true }, owner: 'platform-team' },
  kubernetesVersion: 'v1.37.2',
  images: {
    namespaces: ['demo'],
    start: { at: '2024-05-01T10:00:00.000Z', containers: [
      { namespace: 'demo', workload: 'deployment/gateway', pod: 'gateway-1', container: 'app', image: 'demo/gateway:1.4', imageID: 'demo/gateway@sha256:11' },
      { namespace: 'demo', workload: 'deployment/gateway', pod: 'gateway-2', container: 'app', image: 'demo/gateway:1.4', imageID: 'demo/gateway@sha256:11' },
      { namespace: 'demo', workload: 'deployment/store', pod: 'store-1', container: 'db', image: 'demo/store:2', imageID: '' },
    ] },
    end: { at: '2024-05-01T10:02:00.000Z', containers: [] },
    changes: [{ namespace: 'demo', workload: 'deployment/store', container: 'db', start: ['demo/store:2'], end: ['demo/store:3'] }],
  },
  coverage: { selected: 3, total: 19, notSelected: [{ id: 'PHY-09', layer: 'physical', why: 'not in --only L-01,L-02,P-01' }] },
};
const traced = (): RunResult => ({ ...fixtureRun(), trace });

describe('report traceability and sign-off', () => {
  it('says who ran it, which plan exactly, which Kubernetes and how much of the book', () => {
    const rows = Object.fromEntries(traceRows(traced()));
    expect(rows).to.deep.include({
      'CI job': 'GitLab CI: crt-nightly #77 (pipeline 12 of acme/shop) — https://gitlab.example/acme/shop/-/jobs/77',
      operator: 'jane',
      'plan sha256': 'a'.repeat(64),
      'plan commit': 'c0ffee — the plan folder had uncommitted changes',
      'plan owner': 'platform-team',
      Kubernetes: 'v1.37.2',
      coverage: '3 of 19 cases of the book run (1 not selected, listed below)',
    });
    expect(Object.fromEntries(traceRows(fixtureRun()))).to.have.property('note').that.match(/recorded no trace/);
  });

  it('lists each workload\'s image once, and flags the one that changed during the run', () => {
    expect(imageTable(traced())!.rows).to.deep.equal([
      ['demo', 'deployment/gateway', 'app', 'demo/gateway:1.4', 'demo/gateway@sha256:11', ''],
      ['demo', 'deployment/store', 'db', 'demo/store:2', '–', 'CHANGED during the run'],
    ]);
  });

  it('renders the Traceability section and a blank sign-off block in report.html and report.md', () => {
    const html = renderHtml(traced(), []);
    // well-formed, as the study test checks it: no doctype, no void meta
    expect(xmlProblems(html.replace(/^<!DOCTYPE html>\n/, '').replace(/<meta[^>]*>/g, ''))).to.deep.equal([]);
    const section = html.slice(html.indexOf('<section id="traceability">'), html.indexOf('</section>', html.indexOf('<section id="traceability">')));
    expect(section).to.include('<h3>Cases of the book not run</h3>');
    expect(section).to.include('<strong>1 image changed during the run</strong>');
    expect(section).to.include('demo deployment/store db: demo/store:2 at the start → demo/store:3 at the end');
    const signOff = html.slice(html.indexOf('<section id="sign-off">'));
    expect(signOff).to.include('<tr><th scope="row">prepared by</th><td class="blank"></td></tr>');
    expect(signOff).to.include('To be filled in by hand, or with crt report --sign-off sign-off.yaml.');
    const md = renderMarkdown(traced(), new Map());
    expect(md).to.include('## Traceability');
    expect(md).to.include('| coverage | 3 of 19 cases of the book run (1 not selected, listed below) |');
    expect(md).to.include('## Sign-off\n\n_To be filled in by hand');
  });

  it('fills the sign-off block from the run\'s signOff', () => {
    const run = { ...traced(), signOff: { preparedBy: 'Jane', reviewedBy: 'Max', decision: 'accepted with deviations', date: '2024-05-02', deviations: ['P-01 not run', 'L-02 p95 known issue'] } };
    expect(signOffRows(run)).to.deep.equal([['prepared by', 'Jane'], ['reviewed by', 'Max'], ['decision', 'accepted with deviations'], ['date', '2024-05-02'], ['deviations / known issues', 'P-01 not run\nL-02 p95 known issue']]);
    const html = renderHtml(run, []);
    expect(html).to.include('<td class="filled"><ul><li>P-01 not run</li><li>L-02 p95 known issue</li></ul></td>');
    expect(xmlProblems(html.replace(/^<!DOCTYPE html>\n/, '').replace(/<meta[^>]*>/g, ''))).to.deep.equal([]);
    expect(html).not.to.include('To be filled in by hand');
    expect(renderMarkdown(run, new Map())).to.include('| deviations / known issues | P-01 not run; L-02 p95 known issue |');
  });

  it('links the dashboard with the run\'s time range, and refuses a template that is no http URL or has no range', () => {
    const run = fixtureRun();
    const link = dashboardLink('https://grafana.example/d/crt?from={from}&to={to}&var-run={runId}', run);
    expect(link).to.deep.equal({ url: `https://grafana.example/d/crt?from=${Date.parse(run.startedAt)}&to=${Date.parse(run.endedAt)}&var-run=${run.runId}`, fromMs: Date.parse(run.startedAt), toMs: Date.parse(run.endedAt) });
    expect(Object.fromEntries(traceRows({ ...run, dashboard: link })).dashboard).to.equal(`${link.url} (2024-05-01 10:00:00 UTC → 2024-05-01 10:02:01 UTC)`);
    expect(() => checkDashboardTemplate('https://grafana.example/d/crt?from={from}&to={to}', '--grafana-url')).not.to.throw();
    expect(() => checkDashboardTemplate('grafana/d/crt', '--grafana-url')).to.throw(UsageError, /is not a URL/);
    expect(() => checkDashboardTemplate('file:///etc/passwd?{from}{to}', '--grafana-url')).to.throw(UsageError, /http or https/);
    expect(() => checkDashboardTemplate('https://g.example/d/crt', 'CRT_GRAFANA_URL')).to.throw(UsageError, /CRT_GRAFANA_URL has no \{from\} and \{to\}/);
  });
});

describe('numbers that mean what they say', () => {
  const run = fixtureRun();
  const podKill = run.cases.find((c) => c.phases.some((p) => p.name === 'fault'))!;

  it('calls the phase after the revert "after revert", and says how requests are counted in phases', () => {
    const recovery = { ...podKill, phases: podKill.phases.map((p) => (p.name === 'fault' ? { ...p, name: 'recovery' as const } : p)) };
    expect(phaseTable(recovery)!.rows.map((r) => r[0])).to.include('after revert');
    expect(phaseTable(recovery)!.rows.map((r) => r[0])).not.to.include('recovery');
    const html = renderHtml(run, []);
    expect(html).to.include('A request is counted in the phase, and the second, in which it completed');
  });

  it('puts the requests due by the schedule beside those completed, for a fixed rate only', () => {
    const t = phaseTable(podKill)!;
    expect(t.headers.slice(0, 4)).to.deep.equal(['phase', 'window (s)', 'due', 'requests']);
    const closed = { ...podKill, stages: podKill.stages.map((s) => ({ ...s, rateRps: null })) };
    expect(phaseTable(closed)!.headers.slice(0, 3)).to.deep.equal(['phase', 'window (s)', 'requests']);
  });

  it('says what "cluster recovered" counts: a drain\'s cordon is not waited for', () => {
    const withCluster = { ...podKill, recovery: { ...podKill.recovery!, cluster: { affected: ['deployment/demo/gateway'], recoveredAtMs: 9000, recoveryTimeMs: 4000 } } };
    const rows = Object.fromEntries(recoveryView(withCluster)!.rows);
    expect(rows['counted as recovered']).to.match(/a node cordoned by a drain counts once Ready, since the cordon lasts until the revert by design/);
    const oldDrain = { ...withCluster, spec: { ...withCluster.spec, trigger: ['at 5s: node-drain node=node-2 [drain]'] }, recovery: { ...withCluster.recovery, cluster: { affected: ['nodes'], recoveredAtMs: null, recoveryTimeMs: null } } };
    expect(Object.fromEntries(recoveryView(oldDrain)!.rows).note).to.match(/^a node drain keeps its node cordoned until its revert, by design/);
    expect(Object.fromEntries(recoveryView(withCluster)!.rows)).not.to.have.property('note');
  });
});
