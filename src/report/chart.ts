import type { CaseResult, Phase, TimeseriesRecord } from '../results/index.js';
import { chartData, type ChartData, type ChartPoint } from './chart-data.js';
import { CHAR_PX, keyLines, markerKeyText, markerLanes, LANE_HEIGHT, type PlacedMarker } from './chart-markers.js';
import { logScale, px, tickLabel, timeScale, valueScale, type Scale } from './chart-scale.js';
import { escapeXml } from './escape.js';

/**
 * The per-case chart, written by hand as SVG text. The layout is fixed (throughput and errors in
 * one panel, latency on a log axis in a second one under it, phase bands, numbered event markers
 * and their key), it must render without a DOM or a browser (the Markdown's PNGs are rasterized from
 * it), and the same run must give the same bytes; a charting library such as vega would bring a
 * large dependency for one figure and no gain.
 */

/** Shared with the cluster timeline drawn under this chart, so both have the same time axis. */
export const CHART_WIDTH = 880;
export const PLOT_LEFT = 64;
export const PLOT_RIGHT = CHART_WIDTH - 64;
export const CHART_FONT = 'font-family="system-ui, -apple-system, Segoe UI, DejaVu Sans, sans-serif" font-size="11"';
const W = CHART_WIDTH;
const LEFT = PLOT_LEFT;
const RIGHT = PLOT_RIGHT;
const FONT = CHART_FONT;
const PANEL_GAP = 22;
const THROUGHPUT_HEIGHT = 150;
const LATENCY_HEIGHT = 130;

export const COLOR = {
  rps: '#1f77b4', errors: '#d62728', p50: '#2ca02c', p95: '#ff7f0e', p99: '#9467bd',
  inject: '#b22222', revert: '#2e7d32', client: '#37474f', cluster: '#00838f', axis: '#444', grid: '#e6e6e6',
};
const BAND_FILL: Record<Phase, string> = { baseline: '#eef3f8', fault: '#fbe4e4', recovery: '#fdf0dc', after: '#e8f4ea' };
const LATENCY = ['p50', 'p95', 'p99'] as const;
const HEADROOM = 1.1;

interface Panel {
  top: number;
  bottom: number;
  y: Scale;
}

interface Layout {
  x: Scale;
  markers: PlacedMarker[];
  laneTop: number;
  throughput: Panel;
  /** null when no request completed: an empty panel says nothing */
  latency: Panel | null;
  axisY: number;
  legendY: number;
  keyY: number;
  height: number;
}

/** The chart of one case as an SVG document; records may hold other cases' seconds too. */
export function renderChart(c: CaseResult, records: readonly TimeseriesRecord[]): string {
  const data = chartData(c, records);
  const label = `Load and latency of case ${c.id}`;
  if (data.points.length === 0) return emptyChart(label);
  const l = layoutOf(data);
  const plots = [l.throughput, ...(l.latency ? [l.latency] : [])];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${l.height}" viewBox="0 0 ${W} ${l.height}" role="img" ${FONT}>`,
    `<title>${escapeXml(label)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${l.height}" fill="#ffffff"/>`,
    ...plots.flatMap((p) => bands(data, l.x, p)),
    ...bandLabels(data, l.x, l.throughput),
    ...plots.flatMap((p) => grid(p)),
    ...errorBars(data.points, l.x, l.throughput),
    polyline('rps', data.points.map((p) => [p.sec, p.rps]), l.x, l.throughput.y),
    ...(l.latency ? LATENCY.map((k) => polyline(k, latencyPoints(data.points, k), l.x, (l.latency as Panel).y)) : []),
    ...markers(l, plots),
    ...axes(l),
    ...legend(data, l),
    ...markerKey(l),
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

function layoutOf(d: ChartData): Layout {
  const [xMin, xMax] = chartTimeDomain(d) as [number, number];
  const x = timeScale(xMin, xMax, LEFT, RIGHT);
  const placed = markerLanes(d.markers, x);
  const lanes = placed.reduce((n, m) => Math.max(n, m.lane + 1), 0);
  const laneTop = 8;
  const top = laneTop + lanes * LANE_HEIGHT + 6;
  const leftMax = Math.max(...d.points.map((p) => Math.max(p.rps, p.errors)));
  const throughput: Panel = { top, bottom: top + THROUGHPUT_HEIGHT, y: valueScale(leftMax * HEADROOM, top + THROUGHPUT_HEIGHT, top + 14, 5) };
  const latencies = d.points.flatMap((p) => LATENCY.flatMap((k) => (p[k] === null ? [] : [p[k]])));
  let latency: Panel | null = null;
  if (latencies.length > 0) {
    const lTop = throughput.bottom + PANEL_GAP;
    latency = { top: lTop, bottom: lTop + LATENCY_HEIGHT, y: logScale(Math.min(...latencies), Math.max(...latencies), lTop + LATENCY_HEIGHT, lTop) };
  }
  const axisY = (latency ?? throughput).bottom;
  const legendY = axisY + 50;
  const rows = legendRows(d);
  const keyY = legendY + rows.length * 16 + 8;
  const height = keyY + keyLines(placed, RIGHT - LEFT).length * 15 + 4;
  return { x, markers: placed, laneTop, throughput, latency, axisY, legendY, keyY, height };
}

function latencyPoints(points: readonly ChartPoint[], k: (typeof LATENCY)[number]): Array<[number, number]> {
  return points.flatMap((p) => (p[k] === null ? [] : [[p.sec, p[k]] as [number, number]]));
}

/** A sample covers [sec, sec+1): its value is drawn at the middle of that second. */
function polyline(series: keyof typeof COLOR, values: Array<[number, number]>, x: Scale, y: Scale): string {
  const points = values.map(([sec, v]) => `${px(x(sec + 0.5))},${px(y(v))}`).join(' ');
  const width = series === 'rps' ? 2 : 1.5;
  return `<polyline class="series series-${series}" data-series="${series}" points="${points}" fill="none" stroke="${COLOR[series]}" stroke-width="${width}" stroke-linejoin="round"/>`;
}

function errorBars(points: readonly ChartPoint[], x: Scale, p: Panel): string[] {
  const width = Math.max(x(1) - x(0), 0.5);
  return points
    .filter((pt) => pt.errors > 0)
    .map((pt) => {
      const y = p.y(pt.errors);
      return `<rect class="errors" x="${px(x(pt.sec) + width * 0.1)}" y="${px(y)}" width="${px(width * 0.8)}" height="${px(p.bottom - y)}" fill="${COLOR.errors}" fill-opacity="0.75"/>`;
    });
}

function bands(d: ChartData, x: Scale, p: Panel): string[] {
  return d.bands.map((b) => `<rect class="phase phase-${b.name}" x="${px(x(b.startSec))}" y="${p.top}" width="${px(x(b.endSec) - x(b.startSec))}" height="${p.bottom - p.top}" fill="${BAND_FILL[b.name]}"/>`);
}

/** A phase's name inside its band when it fits there; the legend names the band colours anyway. */
function bandLabels(d: ChartData, x: Scale, p: Panel): string[] {
  return d.bands.flatMap((b) => {
    const width = x(b.endSec) - x(b.startSec);
    if (b.name.length * CHAR_PX + 8 > width) return [];
    return [`<text class="phase-label" x="${px((x(b.startSec) + x(b.endSec)) / 2)}" y="${p.top + 11}" text-anchor="middle" fill="#555555">${escapeXml(b.name)}</text>`];
  });
}

function grid(p: Panel): string[] {
  return p.y.ticks.map((t) => `<line x1="${LEFT}" x2="${RIGHT}" y1="${px(p.y(t))}" y2="${px(p.y(t))}" stroke="${COLOR.grid}"/>`);
}

/** A dashed line across both panels and, above them, its number in a circle, in the lane where it does not touch another. */
function markers(l: Layout, plots: readonly Panel[]): string[] {
  const bottom = (plots[plots.length - 1] as Panel).bottom;
  return l.markers.flatMap((m) => {
    const x = px(l.x(m.sec));
    const color = COLOR[m.kind];
    const cy = l.laneTop + m.lane * LANE_HEIGHT + LANE_HEIGHT / 2;
    return [
      `<g class="marker marker-${m.kind}" data-number="${m.number}">`,
      `<title>${escapeXml(markerKeyText(m))}</title>`,
      `<line x1="${x}" x2="${x}" y1="${px(cy)}" y2="${bottom}" stroke="${color}" stroke-width="1.5" stroke-dasharray="${m.kind === 'client' ? '2 2' : '5 3'}"/>`,
      `<circle cx="${x}" cy="${px(cy)}" r="8" fill="#ffffff" stroke="${color}" stroke-width="1.5"/>`,
      `<text x="${x}" y="${px(cy)}" dy="0.35em" text-anchor="middle" font-size="10" font-weight="bold" fill="${color}">${m.number}</text>`,
      '</g>',
    ];
  });
}

function axes(l: Layout): string[] {
  const out: string[] = [];
  const frame = (p: Panel): void => {
    out.push(`<rect x="${LEFT}" y="${p.top}" width="${RIGHT - LEFT}" height="${p.bottom - p.top}" fill="none" stroke="${COLOR.axis}"/>`);
    for (const t of p.y.ticks) {
      const y = px(p.y(t));
      out.push(`<line x1="${LEFT}" x2="${LEFT - 5}" y1="${y}" y2="${y}" stroke="${COLOR.axis}"/>`);
      out.push(`<text x="${LEFT - 8}" y="${y}" dy="0.32em" text-anchor="end" fill="${COLOR.axis}">${tickLabel(t)}</text>`);
    }
  };
  frame(l.throughput);
  out.push(panelTitle(l.throughput, 'throughput, req/s', COLOR.rps));
  if (l.latency) {
    frame(l.latency);
    out.push(panelTitle(l.latency, 'latency, ms (log)', COLOR.axis));
  }
  for (const t of l.x.ticks) {
    const x = px(l.x(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${l.axisY}" y2="${l.axisY + 5}" stroke="${COLOR.axis}"/>`);
    out.push(`<text x="${x}" y="${l.axisY + 17}" text-anchor="middle" fill="${COLOR.axis}">${tickLabel(t)}</text>`);
  }
  out.push(`<text class="axis-label" x="${(LEFT + RIGHT) / 2}" y="${l.axisY + 32}" text-anchor="middle" fill="${COLOR.axis}">time since load start (s)</text>`);
  return out;
}

/** The axis title, upright to the right of the panel: rotated text would cross the tick labels. */
function panelTitle(p: Panel, text: string, color: string): string {
  return `<text class="axis-label" transform="translate(${RIGHT + 14} ${px((p.top + p.bottom) / 2)}) rotate(90)" text-anchor="middle" fill="${color}">${text}</text>`;
}

interface LegendItem {
  label: string;
  color: string;
  shape: 'line' | 'bar' | 'band';
}

function legendItems(d: ChartData): LegendItem[] {
  const items: LegendItem[] = [
    { label: 'req/s', color: COLOR.rps, shape: 'line' },
    { label: 'errors/s', color: COLOR.errors, shape: 'bar' },
  ];
  if (d.points.some((p) => p.p50 !== null)) {
    items.push({ label: 'p50 latency', color: COLOR.p50, shape: 'line' }, { label: 'p95 latency', color: COLOR.p95, shape: 'line' }, { label: 'p99 latency', color: COLOR.p99, shape: 'line' });
  }
  const phases = [...new Set(d.bands.map((b) => b.name))];
  for (const p of phases) items.push({ label: `${p} phase`, color: BAND_FILL[p], shape: 'band' });
  return items;
}

const itemWidth = (i: LegendItem): number => 26 + i.label.length * CHAR_PX;

/** Legend items in rows no wider than the plot, so no label runs into the next. */
function legendRows(d: ChartData): LegendItem[][] {
  const rows: LegendItem[][] = [[]];
  let used = 0;
  for (const i of legendItems(d)) {
    const row = rows[rows.length - 1] as LegendItem[];
    if (row.length > 0 && used + itemWidth(i) > RIGHT - LEFT) {
      rows.push([i]);
      used = itemWidth(i);
    } else {
      row.push(i);
      used += itemWidth(i);
    }
  }
  return rows;
}

function legend(d: ChartData, l: Layout): string[] {
  const out = ['<g class="legend">'];
  legendRows(d).forEach((row, r) => {
    const y = l.legendY + r * 16;
    let x = LEFT;
    for (const i of row) {
      const swatch =
        i.shape === 'line'
          ? `<line x1="${x}" x2="${x + 14}" y1="${y - 4}" y2="${y - 4}" stroke="${i.color}" stroke-width="2"/>`
          : `<rect x="${x}" y="${y - 9}" width="14" height="10" fill="${i.color}"${i.shape === 'bar' ? ' fill-opacity="0.75"' : ' stroke="#bbbbbb"'}/>`;
      out.push(swatch, `<text x="${x + 18}" y="${y}" fill="${COLOR.axis}">${escapeXml(i.label)}</text>`);
      x += itemWidth(i);
    }
  });
  out.push('</g>');
  return out;
}

/** The key of the numbered markers, printed: a hover tooltip is of no use on paper. */
function markerKey(l: Layout): string[] {
  const lines = keyLines(l.markers, RIGHT - LEFT);
  if (lines.length === 0) return [];
  return [
    '<g class="marker-key">',
    ...lines.flatMap((line, i) => line.map((entry, j) => `<text x="${LEFT + (j * (RIGHT - LEFT)) / 2}" y="${l.keyY + i * 15}" fill="${COLOR.axis}">${escapeXml(entry)}</text>`)),
    '</g>',
  ];
}
