import { expect } from 'chai';
import type { CaseResult } from '../../../src/results/types.js';
import { renderChart } from '../../../src/report/chart.js';
import { CHAR_PX } from '../../../src/report/chart-markers.js';
import { encodeHistogram, newLatencyHistogram } from '../../../src/results/histogram.js';
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
    expect(svg).to.include('throughput, req/s');
    expect(svg).to.include('latency, ms (log)');
  });

  it('draws throughput and latency in two panels, latency under throughput on a log axis', () => {
    const rps = /data-series="rps" points="([^"]*)"/.exec(svg)?.[1] ?? '';
    const p99 = /data-series="p99" points="([^"]*)"/.exec(svg)?.[1] ?? '';
    const ys = (points: string): number[] => points.split(' ').map((p) => Number(p.split(',')[1]));
    expect(Math.min(...ys(p99)), 'the latency panel starts below the lowest point of throughput').to.be.greaterThan(Math.max(...ys(rps)));
    // log ticks: 10, 100, 1000, ... ms, each decade the same height
    // the latency panel's tick labels come after the throughput panel's
    const ticks = [...svg.matchAll(/<text x="56" y="([\d.]+)" dy="0.32em" text-anchor="end" fill="#444">(10+)<\/text>/g)].map((m) => [Number(m[2]), Number(m[1])] as const).slice(-4);
    expect(ticks.map(([v]) => v)).to.deep.equal([10, 100, 1000, 10000]);
    const gaps = ticks.slice(1).map(([, y], i) => (ticks[i] as readonly [number, number])[1] - y);
    // equal to the 0.1 px the coordinates are rounded to
    expect(Math.max(...gaps) - Math.min(...gaps), `decades of equal height: ${gaps.join(', ')}`).to.be.at.most(0.2);
  });

  it('keeps each panel title within the height of its panel, so the two never run into each other', () => {
    const panels = [...svg.matchAll(/<rect x="64" y="([\d.]+)" width="752" height="([\d.]+)" fill="none"/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    const titles = [...svg.matchAll(/<text class="axis-label" transform="translate\(830 ([\d.]+)\) rotate\(90\)"[^>]*>([^<]+)<\/text>/g)].map((m) => [Number(m[1]), m[2]!] as const);
    expect(panels).to.have.length(2);
    expect(titles.map(([, t]) => t)).to.deep.equal(['throughput, req/s', 'latency, ms (log)']);
    titles.forEach(([mid, text], i) => {
      const [top, height] = panels[i]!;
      expect(mid).to.equal(top + height / 2);
      expect(text.length * CHAR_PX, text).to.be.at.most(height);
    });
  });

  it('leaves the latency panel out when no request completed, rather than draw an empty one', () => {
    const empty = encodeHistogram(newLatencyHistogram());
    const out = renderChart(steady, TIMESERIES.filter((r) => r.case === 'L-01').map((r) => ({ ...r, ok: 0, latency: empty, service: empty })));
    expect(xmlProblems(out)).to.deep.equal([]);
    expect(out).not.to.include('latency, ms (log)');
    expect(out).to.include('throughput, req/s');
  });

  it('has a legend naming every series', () => {
    const legend = /<g class="legend">[\s\S]*?<\/g>/.exec(svg)?.[0] ?? '';
    for (const label of ['req/s', 'errors/s', 'p50 latency', 'p95 latency', 'p99 latency', 'baseline phase', 'fault phase', 'recovery phase', 'after phase']) {
      expect(legend).to.include(`>${label}<`);
    }
  });

  it('prints a numbered key of its markers, in time order, and none for a case without faults', () => {
    const key = [...(/<g class="marker-key">[\s\S]*?<\/g>/.exec(svg)?.[0] ?? '').matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(key).to.deep.equal(['1. +10.0 s fault injected: kill-gateway', '2. +15.0 s clients recovered', '3. +20.0 s fault reverted: kill-gateway']);
    expect([...svg.matchAll(/<g class="marker marker-(\w+)" data-number="(\d+)">/g)].map((m) => `${m[2]} ${m[1]}`)).to.deep.equal(['1 inject', '2 client', '3 revert']);
    expect(renderChart(steady, TIMESERIES)).not.to.include('marker-key');
  });

  it('puts markers closer than a circle in separate lanes, so their numbers never overprint', () => {
    const close: CaseResult = { ...podKill, events: [...podKill.events, { ...podKill.events.find((e) => e.kind === 'inject')!, name: 'second', offsetMs: 10_200, t: 0 }] };
    const out = renderChart(close, TIMESERIES);
    const circles = [...out.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    expect(circles).to.have.length(4);
    for (let i = 0; i < circles.length; i++) {
      for (let j = i + 1; j < circles.length; j++) {
        const [a, b] = [circles[i]!, circles[j]!];
        expect(Math.hypot(a[0] - b[0], a[1] - b[1]), `circles ${i + 1} and ${j + 1}`).to.be.at.least(16);
      }
    }
  });

  it('names a phase inside its band only where the name fits', () => {
    expect(svg).to.include('>fault</text>');
    const narrow: CaseResult = { ...podKill, phases: podKill.phases.map((p) => (p.name === 'recovery' ? { ...p, endMs: p.startMs + 300 } : p)) };
    expect(renderChart(narrow, TIMESERIES)).not.to.include('>recovery</text>');
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

  it('draws a background band for each phase in both panels, but not for the whole case', () => {
    for (const phase of ['baseline', 'fault', 'recovery', 'after']) {
      expect(count(svg, new RegExp(`<rect class="phase phase-${phase}"`))).to.equal(2, phase);
    }
    expect(svg).not.to.include('phase-whole');
  });

  it('draws the errors of each failing second as a red bar', () => {
    expect(count(svg, /<rect class="errors"/)).to.equal(5);
  });

  it('marks the injection, the revert and the clients\' recovery with dashed lines', () => {
    for (const kind of ['inject', 'revert', 'client']) expect(svg).to.match(new RegExp(`<g class="marker marker-${kind}"[^>]*>\\n<title>[^<]*</title>\\n<line [^>]*stroke-dasharray`), kind);
  });

  it('marks when the cluster view saw every affected workload available again, with its legend entry', () => {
    expect(svg).not.to.include('marker-cluster');
    const withCluster: CaseResult = { ...podKill, recovery: { ...podKill.recovery!, cluster: { affected: ['deployment/demo/gateway'], recoveredAtMs: 16_500, recoveryTimeMs: 6_500 } } };
    const out = renderChart(withCluster, TIMESERIES);
    expect(out).to.match(/<g class="marker marker-cluster" data-number="3">/);
    expect(out).to.include('>3. +16.5 s cluster recovered<');
    expect(xmlProblems(out)).to.deep.equal([]);
  });

  it('escapes a step name holding markup', () => {
    const hostile: CaseResult = { ...podKill, events: podKill.events.map((e) => (e.kind === 'inject' ? { ...e, name: '<b>&x' } : e)) };
    const out = renderChart(hostile, TIMESERIES);
    expect(out).to.include('fault injected: &lt;b&gt;&amp;x');
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
