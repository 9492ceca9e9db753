import type { CaseResult, Phase, TimeseriesRecord } from '../results/types.js';
import { chartData, type ChartData, type ChartMarker, type ChartPoint } from './chart-data.js';
import { px, tickLabel, timeScale, valueScale, type Scale } from './chart-scale.js';
import { escapeXml } from './escape.js';

/**
 * The per-case chart, written by hand as SVG text. The layout is fixed (req/s and errors on
 * the left axis, three latency percentiles on the right, phase bands and fault markers), it
 * must render without a DOM or a browser, and the same run must give the same bytes; a
 * charting library such as vega would bring a large dependency for one figure and no gain.
 */

/** Shared with the cluster timeline drawn under this chart, so both have the same time axis. */
export const CHART_WIDTH = 880;
export const PLOT_LEFT = 64;
export const PLOT_RIGHT = CHART_WIDTH - 64;
export const CHART_FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11"';
const W = CHART_WIDTH;
const H = 340;
const LEFT = PLOT_LEFT;
const RIGHT = PLOT_RIGHT;
const TOP = 24;
const BOTTOM = H - 86;
const FONT = CHART_FONT;

export const COLOR = { rps: '#1f77b4', errors: '#d62728', p50: '#2ca02c', p95: '#ff7f0e', p99: '#9467bd', inject: '#b22222', revert: '#2e7d32', cluster: '#00838f', axis: '#444', grid: '#e6e6e6' };
const BAND_FILL: Record<Phase, string> = { baseline: '#eef3f8', fault: '#fbe4e4', recovery: '#fdf0dc', after: '#e8f4ea' };
const LATENCY = ['p50', 'p95', 'p99'] as const;
const HEADROOM = 1.1;

interface Frame {
  x: Scale;
  left: Scale;
  right: Scale;
}

/** The chart of one case as an SVG document; records may hold other cases' seconds too. */
export function renderChart(c: CaseResult, records: readonly TimeseriesRecord[]): string {
  const data = chartData(c, records);
  const label = `Load and latency of case ${c.id}`;
  if (data.points.length === 0) return emptyChart(label);
  const frame = frameOf(data);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" ${FONT}>`,
    `<title>${escapeXml(label)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    ...bands(data, frame),
    ...grid(frame),
    ...errorBars(data.points, frame),
    polyline('rps', data.points.map((p) => [p.sec, p.rps]), frame.x, frame.left),
    ...LATENCY.map((k) => polyline(k, latencyPoints(data.points, k), frame.x, frame.right)),
    ...markers(data, frame),
    ...axes(frame),
    ...legend(data),
    '</svg>',
  ].join('\n');
}

function emptyChart(label: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="48" viewBox="0 0 320 48" role="img" ${FONT}>`,
    `<title>${escapeXml(label)}</title>`,
    '<rect x="0.5" y="0.5" width="319" height="47" fill="#fafafa" stroke="#cccccc"/>',
    '<text x="160" y="28" text-anchor="middle" fill="#666666">no load in this case</text>',
    '</svg>',
  ].join('\n');
}

/** The time axis of a case's chart, in seconds since the load start; null when the case had no load. */
export function chartTimeDomain(d: ChartData): [number, number] | null {
  const first = d.points[0];
  const last = d.points[d.points.length - 1];
  if (!first || !last) return null;
  const secs = [...d.bands.flatMap((b) => [b.startSec, b.endSec]), ...d.markers.map((m) => m.sec)];
  return [Math.min(first.sec, ...secs), Math.max(last.sec + 1, ...secs)];
}

function frameOf(d: ChartData): Frame {
  const [xMin, xMax] = chartTimeDomain(d) as [number, number];
  const leftMax = Math.max(...d.points.map((p) => Math.max(p.rps, p.errors)));
  const rightMax = Math.max(0, ...d.points.flatMap((p) => LATENCY.map((k) => p[k] ?? 0)));
  return {
    x: timeScale(xMin, xMax, LEFT, RIGHT),
    // headroom above the highest value, so a flat series does not run along the top border
    // under the phase labels
    left: valueScale(leftMax * HEADROOM, BOTTOM, TOP, 6),
    right: valueScale(rightMax * HEADROOM, BOTTOM, TOP, 6),
  };
}

/** A sample covers [sec, sec+1): its value is drawn at the middle of that second. */
function latencyPoints(points: readonly ChartPoint[], k: (typeof LATENCY)[number]): Array<[number, number]> {
  return points.flatMap((p) => (p[k] === null ? [] : [[p.sec, p[k]] as [number, number]]));
}

function polyline(series: string, values: Array<[number, number]>, x: Scale, y: Scale): string {
  const points = values.map(([sec, v]) => `${px(x(sec + 0.5))},${px(y(v))}`).join(' ');
  const color = COLOR[series as keyof typeof COLOR];
  const width = series === 'rps' ? 2 : 1.5;
  return `<polyline class="series series-${series}" data-series="${series}" points="${points}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round"/>`;
}

function errorBars(points: readonly ChartPoint[], f: Frame): string[] {
  const width = Math.max(f.x(1) - f.x(0), 0.5);
  return points
    .filter((p) => p.errors > 0)
    .map((p) => {
      const y = f.left(p.errors);
      return `<rect class="errors" x="${px(f.x(p.sec) + width * 0.1)}" y="${px(y)}" width="${px(width * 0.8)}" height="${px(BOTTOM - y)}" fill="${COLOR.errors}" fill-opacity="0.75"/>`;
    });
}

function bands(d: ChartData, f: Frame): string[] {
  return d.bands.flatMap((b) => {
    const x0 = f.x(b.startSec);
    const x1 = f.x(b.endSec);
    return [
      `<rect class="phase phase-${b.name}" x="${px(x0)}" y="${TOP}" width="${px(x1 - x0)}" height="${BOTTOM - TOP}" fill="${BAND_FILL[b.name]}"/>`,
      `<text class="phase-label" x="${px((x0 + x1) / 2)}" y="${TOP + 12}" text-anchor="middle" fill="#555555">${escapeXml(b.name)}</text>`,
    ];
  });
}

function grid(f: Frame): string[] {
  return f.left.ticks.map((t) => `<line x1="${LEFT}" x2="${RIGHT}" y1="${px(f.left(t))}" y2="${px(f.left(t))}" stroke="${COLOR.grid}"/>`);
}

function markers(d: ChartData, f: Frame): string[] {
  return d.markers.flatMap((m) => {
    const x = px(f.x(m.sec));
    const color = COLOR[m.kind];
    return [
      `<line class="marker marker-${m.kind}" x1="${x}" x2="${x}" y1="${TOP}" y2="${BOTTOM}" stroke="${color}" stroke-width="1.5" stroke-dasharray="5 3"/>`,
      `<text class="marker-label" transform="translate(${px(f.x(m.sec) + 11)} ${TOP + 20}) rotate(-90)" text-anchor="end" fill="${color}">${escapeXml(`${m.kind} ${m.name}`)}</text>`,
    ];
  });
}

function axes(f: Frame): string[] {
  const out = [
    `<line x1="${LEFT}" x2="${RIGHT}" y1="${BOTTOM}" y2="${BOTTOM}" stroke="${COLOR.axis}"/>`,
    `<line x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${BOTTOM}" stroke="${COLOR.axis}"/>`,
    `<line x1="${RIGHT}" x2="${RIGHT}" y1="${TOP}" y2="${BOTTOM}" stroke="${COLOR.axis}"/>`,
  ];
  for (const t of f.x.ticks) {
    const x = px(f.x(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${BOTTOM}" y2="${BOTTOM + 5}" stroke="${COLOR.axis}"/>`);
    out.push(`<text x="${x}" y="${BOTTOM + 17}" text-anchor="middle" fill="${COLOR.axis}">${tickLabel(t)}</text>`);
  }
  for (const [scale, x, dir, anchor] of [[f.left, LEFT, -1, 'end'], [f.right, RIGHT, 1, 'start']] as const) {
    for (const t of scale.ticks) {
      const y = px(scale(t));
      out.push(`<line x1="${x}" x2="${x + 5 * dir}" y1="${y}" y2="${y}" stroke="${COLOR.axis}"/>`);
      out.push(`<text x="${x + 8 * dir}" y="${y}" dy="0.32em" text-anchor="${anchor}" fill="${COLOR.axis}">${tickLabel(t)}</text>`);
    }
  }
  const midY = (TOP + BOTTOM) / 2;
  out.push(`<text class="axis-label" x="${(LEFT + RIGHT) / 2}" y="${BOTTOM + 34}" text-anchor="middle" fill="${COLOR.axis}">time since load start (s)</text>`);
  out.push(`<text class="axis-label" transform="translate(16 ${midY}) rotate(-90)" text-anchor="middle" fill="${COLOR.rps}">throughput (req/s)</text>`);
  out.push(`<text class="axis-label" transform="translate(${W - 12} ${midY}) rotate(90)" text-anchor="middle" fill="${COLOR.axis}">latency (ms)</text>`);
  return out;
}

const LEGEND: Array<{ label: string; color: string; shape: 'line' | 'bar' | 'dash'; marker?: ChartMarker['kind'] }> = [
  { label: 'req/s', color: COLOR.rps, shape: 'line' },
  { label: 'errors/s', color: COLOR.errors, shape: 'bar' },
  { label: 'p50 latency', color: COLOR.p50, shape: 'line' },
  { label: 'p95 latency', color: COLOR.p95, shape: 'line' },
  { label: 'p99 latency', color: COLOR.p99, shape: 'line' },
  { label: 'fault injected', color: COLOR.inject, shape: 'dash', marker: 'inject' },
  { label: 'fault reverted', color: COLOR.revert, shape: 'dash', marker: 'revert' },
  { label: 'cluster recovered', color: COLOR.cluster, shape: 'dash', marker: 'cluster' },
];

/** The four series and the error bars always (zero errors is a finding); markers only when drawn. */
function legend(d: ChartData): string[] {
  const y = BOTTOM + 58;
  const out = [`<g class="legend">`];
  let x = LEFT;
  for (const item of LEGEND.filter((i) => !i.marker || d.markers.some((m) => m.kind === i.marker))) {
    const swatch =
      item.shape === 'bar'
        ? `<rect x="${x}" y="${y - 6}" width="14" height="10" fill="${item.color}" fill-opacity="0.75"/>`
        : `<line x1="${x}" x2="${x + 14}" y1="${y - 1}" y2="${y - 1}" stroke="${item.color}" stroke-width="2"${item.shape === 'dash' ? ' stroke-dasharray="4 2"' : ''}/>`;
    out.push(swatch, `<text x="${x + 18}" y="${y}" dy="0.1em" fill="${COLOR.axis}">${item.label}</text>`);
    x += 26 + item.label.length * 6;
  }
  out.push('</g>');
  return out;
}
