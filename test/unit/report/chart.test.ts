import { expect } from 'chai';
import type { CaseResult } from '../../../src/results/types.js';
import { renderChart } from '../../../src/report/chart.js';
import { TIMESERIES, fixtureRun } from './fixture.js';
import { xmlProblems } from './helpers.js';

const count = (text: string, re: RegExp): number => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

describe('report/chart', () => {
  const [steady, podKill, notRun] = fixtureRun().cases as [CaseResult, CaseResult, CaseResult];
  const svg = renderChart(podKill, TIMESERIES);

  it('is a well-formed SVG document that scales (width, height and viewBox)', () => {
    expect(svg).to.match(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
    expect(xmlProblems(svg)).to.deep.equal([]);
  });

  it('labels both axes and the time axis with their units', () => {
    expect(svg).to.include('time since load start (s)');
    expect(svg).to.include('(req/s)');
    expect(svg).to.include('latency (ms)');
  });

  it('has a legend naming every series', () => {
    const legend = /<g class="legend">[\s\S]*?<\/g>/.exec(svg)?.[0] ?? '';
    for (const label of ['req/s', 'errors/s', 'p50 latency', 'p95 latency', 'p99 latency', 'fault injected', 'fault reverted']) {
      expect(legend).to.include(`>${label}<`);
    }
  });

  it('leaves fault markers out of the legend of a case without faults', () => {
    const legend = /<g class="legend">[\s\S]*?<\/g>/.exec(renderChart(steady, TIMESERIES))?.[0] ?? '';
    expect(legend).to.include('>p99 latency<');
    expect(legend).not.to.include('fault injected');
  });

  it('draws one polyline per latency series and one for req/s', () => {
    for (const series of ['p50', 'p95', 'p99', 'rps']) {
      expect(count(svg, new RegExp(`<polyline[^>]*data-series="${series}"`))).to.equal(1, series);
    }
  });

  it('plots one point per second of load', () => {
    const points = /data-series="rps" points="([^"]*)"/.exec(svg)?.[1] ?? '';
    expect(points.split(' ')).to.have.length(30);
  });

  it('draws a background band for each phase but not for the whole case', () => {
    for (const phase of ['baseline', 'fault', 'recovery', 'after']) {
      expect(count(svg, new RegExp(`<rect class="phase phase-${phase}"`))).to.equal(1, phase);
    }
    expect(svg).not.to.include('phase-whole');
  });

  it('draws the errors of each failing second as a red bar', () => {
    expect(count(svg, /<rect class="errors"/)).to.equal(5);
  });

  it('marks the injection and the revert with dashed lines named after the step', () => {
    expect(svg).to.match(/<line class="marker marker-inject"[^>]*stroke-dasharray/);
    expect(svg).to.match(/<line class="marker marker-revert"[^>]*stroke-dasharray/);
    expect(svg).to.include('>inject kill-gateway<');
  });

  it('marks when the cluster view saw every affected workload available again, with its legend entry', () => {
    expect(svg).not.to.include('marker-cluster');
    const withCluster: CaseResult = { ...podKill, recovery: { ...podKill.recovery!, cluster: { affected: ['deployment/demo/gateway'], recoveredAtMs: 16_500, recoveryTimeMs: 6_500 } } };
    const out = renderChart(withCluster, TIMESERIES);
    expect(out).to.match(/<line class="marker marker-cluster"[^>]*stroke-dasharray/);
    expect(out).to.include('>cluster recovered<');
    expect(xmlProblems(out)).to.deep.equal([]);
  });

  it('escapes a step name holding markup', () => {
    const hostile: CaseResult = { ...podKill, events: podKill.events.map((e) => (e.kind === 'inject' ? { ...e, name: '<b>&x' } : e)) };
    const out = renderChart(hostile, TIMESERIES);
    expect(out).to.include('inject &lt;b&gt;&amp;x');
    expect(xmlProblems(out)).to.deep.equal([]);
  });

  it('ignores the seconds of other cases', () => {
    const points = /data-series="rps" points="([^"]*)"/.exec(renderChart(steady, TIMESERIES))?.[1] ?? '';
    expect(points.split(' ')).to.have.length(30);
  });

  it('says "no load in this case" in a small SVG when the case has no time series', () => {
    const empty = renderChart(notRun, TIMESERIES);
    expect(empty).to.include('no load in this case');
    expect(empty).not.to.include('<polyline');
    expect(xmlProblems(empty)).to.deep.equal([]);
  });

  it('renders the same bytes for the same input', () => {
    expect(renderChart(podKill, TIMESERIES)).to.equal(svg);
  });
});
