import { expect } from 'chai';
import type { CaseEvent, CaseResult } from '../../../src/results/types.js';
import { chartTimeDomain, renderChart } from '../../../src/report/chart.js';
import { chartData } from '../../../src/report/chart-data.js';
import { clusterChangeTable, podImpactTable } from '../../../src/report/cluster-tables.js';
import { clusterTimeline, renderClusterTimeline } from '../../../src/report/cluster-timeline.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { renderHtml } from '../../../src/report/html.js';
import { CLUSTER, TIMESERIES, fixtureRun } from './fixture.js';
import { xmlProblems } from './helpers.js';

const xTicks = (svg: string): string[] => [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle" fill="#444">(-?[\d.]+)<\/text>/g)].map((m) => `${m[2]}@${m[1]}`);

describe('report/cluster timeline', () => {
  const [steady, podKill] = fixtureRun().cases as [CaseResult, CaseResult];
  const svg = renderClusterTimeline(podKill, CLUSTER, TIMESERIES);

  it('is a well-formed SVG with both axes labelled with their units and a legend naming every subject and marker', () => {
    expect(xmlProblems(svg)).to.deep.equal([]);
    expect(svg).to.include('>time since load start (s)<');
    expect(svg).to.include('>Ready (replicas / nodes)<');
    const legend = /<g class="legend">[\s\S]*?<\/g>/.exec(svg)?.[0] ?? '';
    for (const label of ['deployment/demo/gateway Ready replicas (desired 3)', 'fault injected', 'fault reverted', 'clients recovered', 'unchanged: nodes 3/3, deployment/demo/customers 2/2']) {
      expect(legend).to.include(`>${label}<`);
    }
  });

  it('draws no flat line: subjects whose Ready count never changed are named in the legend only, and a timeline of nothing but those is left out', () => {
    expect(svg.match(/<polyline class="series cluster-series"/g)).to.have.length(1);
    expect(svg).to.include('data-subject="deployment/demo/gateway"');
    const flat = CLUSTER.filter((r) => r.subject !== 'deployment/demo/gateway' || r.ready === 3);
    expect(renderClusterTimeline(podKill, flat, TIMESERIES)).to.equal('');
  });

  it('numbers its markers as the load chart above it does', () => {
    const numbers = (text: string, cls: string): string[] => [...text.matchAll(new RegExp(`<g class="${cls}" data-number="(\\d+)"><title>([^<]*)</title>`, 'g'))].map((m) => `${m[1]} ${m[2]}`);
    const load = renderChart(podKill, TIMESERIES);
    const fromLoad = [...load.matchAll(/<g class="marker marker-\w+" data-number="(\d+)">\n<title>([^<]*)<\/title>/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(fromLoad).to.have.length(3);
    expect(numbers(svg, 'marker-number')).to.deep.equal(fromLoad);
  });

  it('shares the time axis of the load chart above it: the same ticks at the same x', () => {
    const load = renderChart(podKill, TIMESERIES);
    expect(xTicks(svg)).to.have.length.greaterThan(3);
    expect(xTicks(svg)).to.deep.equal(xTicks(load));
    expect(clusterTimeline(podKill, CLUSTER, TIMESERIES)?.domain).to.deep.equal(chartTimeDomain(chartData(podKill, TIMESERIES)));
  });

  it('draws a step per Ready change, leaving restart-only samples out, and the fault markers', () => {
    const tl = clusterTimeline(podKill, CLUSTER, TIMESERIES)!;
    const gateway = tl.series.find((s) => s.subject === 'deployment/demo/gateway')!;
    expect(gateway.steps.map((s) => [s.sec, s.ready])).to.deep.equal([[-0.2, 3], [10.05, 2], [13.4, 3]]);
    expect(tl.series.find((s) => s.subject === 'deployment/demo/customers')!.steps).to.have.length(1);
    expect(tl.series.map((s) => s.subject)).to.deep.equal(['nodes', 'deployment/demo/customers', 'deployment/demo/gateway']);
    expect(svg).to.include('class="marker marker-inject"');
    expect(svg).to.include('class="marker marker-revert"');
  });

  it('is absent for a case the cluster watch did not see', () => {
    expect(renderClusterTimeline(steady, CLUSTER, TIMESERIES)).to.equal('');
    expect(clusterChangeTable(steady, CLUSTER)).to.equal(null);
  });

  it('draws a case with samples but no load on its own time axis', () => {
    const noLoad = { ...podKill, phases: [], events: [] };
    const tl = clusterTimeline(noLoad, CLUSTER, [])!;
    expect(tl.domain[0]).to.be.at.most(-0.2);
    expect(tl.domain[1]).to.be.at.least(13.4);
    expect(xmlProblems(renderClusterTimeline(noLoad, CLUSTER, []))).to.deep.equal([]);
  });

  it('lists the Ready changes as rows, in time order, with their phase', () => {
    const t = clusterChangeTable(podKill, CLUSTER)!;
    expect(t.headers).to.deep.equal(['offset', 'phase', 'subject', 'Ready / desired', 'available', 'restarts']);
    expect(t.rows.map((r) => [r[0], r[1], r[2], r[3]])).to.deep.equal([
      ['−0.20 s', 'baseline', 'nodes', '3/3'],
      ['−0.20 s', 'baseline', 'deployment/demo/gateway', '3/3'],
      ['−0.20 s', 'baseline', 'deployment/demo/customers', '2/2'],
      ['+10.1 s', 'fault', 'deployment/demo/gateway', '2/3'],
      ['+13.4 s', 'fault', 'deployment/demo/gateway', '3/3'],
    ]);
  });

  it('puts the timeline under the load chart in HTML, and its changes and file in Markdown', () => {
    const html = renderHtml(fixtureRun(), TIMESERIES, CLUSTER);
    const section = html.slice(html.indexOf('id="case-L-02"'));
    expect(section.indexOf('<h5>Cluster timeline</h5>')).to.be.greaterThan(section.indexOf('<h5>Chart</h5>'));
    expect(section).to.include('<svg xmlns="http://www.w3.org/2000/svg" class="cluster-timeline"');
    const md = renderMarkdown(fixtureRun(), new Map([['L-02', 'charts/L-02.svg']]), { cluster: CLUSTER, timelines: new Map([['L-02', 'charts/L-02-cluster.svg']]) });
    expect(md).to.include('![Cluster timeline of case L-02](charts/L-02-cluster.svg)');
    expect(md).to.include('| +10.1 s | fault | deployment/demo/gateway | 2/3 |');
  });
});

describe('report/pods killed and evicted', () => {
  const base = fixtureRun().cases[1] as CaseResult;
  const withInject = (data: Record<string, unknown>, name = 'f'): CaseResult => ({
    ...base,
    events: [{ t: 0, offsetMs: 5_000, kind: 'inject', name, ok: true, data } satisfies CaseEvent],
  });

  it('shows the pods a pod-kill killed, their nodes and when the replacements were Ready', () => {
    const t = podImpactTable(base)!;
    expect(t.rows).to.deep.equal([['+10.0 s', 'kill-gateway', 'killed', 'gateway-7d9', 'node-2', '1 replacement(s) Ready after 3.4s: gateway-x4k']]);
  });

  it('shows the pods a node-drain evicted', () => {
    const t = podImpactTable(withInject({ nodes: ['node-1'], evictedPods: 2, evicted: ['demo/a', 'demo/b'], budgetRefusals: 1, durationMs: 2_500 }, 'drain'))!;
    expect(t.rows).to.deep.equal([['+5.0 s', 'drain', 'evicted 2', 'demo/a, demo/b', 'node-1', 'drained in 2.5s, 1 eviction(s) refused by a disruption budget then retried']]);
  });

  it('shows, per node lost, when it went NotReady and when its pods were evicted, or which were not', () => {
    const t = podImpactTable(withInject({ provider: 'local', nodes: ['node-2', 'node-3'], timeoutMs: 10_000, times: [
      { node: 'node-2', notReadyMs: 2_100, podsEvictedMs: 4_000, pods: 3, podsLeft: [] },
      { node: 'node-3', notReadyMs: null, podsEvictedMs: null, pods: 1, podsLeft: ['demo/c'] },
    ] }, 'power'))!;
    expect(t.rows).to.deep.equal([
      ['+5.0 s', 'power', 'node lost', '3 pod(s) on the node', 'node-2', 'NotReady after 2.1s; pods evicted after 4s'],
      ['+5.0 s', 'power', 'node lost', '1 pod(s) on the node', 'node-3', 'not seen NotReady; 1 pod(s) not evicted: demo/c'],
    ]);
  });

  it('has no table for a case whose faults touched no pod (exec, scale) or whose injection failed', () => {
    expect(podImpactTable(withInject({ durationMs: 12 }))).to.equal(null);
    expect(podImpactTable({ ...base, events: base.events.map((e) => (e.kind === 'inject' ? { ...e, ok: false } : e)) })).to.equal(null);
  });
});
