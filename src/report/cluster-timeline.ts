import type { CaseResult, ClusterEventRecord, ClusterSampleRecord, TimeseriesRecord } from '../results/index.js';
import { EVENT_COLOR, caseKeyEvents, eventMarkersSvg, type KeyEvent } from './cluster-events.js';
import { CHART_FONT, CHART_WIDTH, COLOR, PLOT_LEFT, PLOT_RIGHT, chartTimeDomain } from './chart.js';
import { chartData, type ChartMarker } from './chart-data.js';
import { markerKeyText, markerLanes, type PlacedMarker } from './chart-markers.js';
import { px, tickLabel, timeScale, valueScale, type Scale } from './chart-scale.js';
import { escapeXml } from './escape.js';

/**
 * The cluster timeline drawn under a case's load chart: Ready replicas of each watched workload
 * and Ready nodes, as step lines (a count holds until the watch saw it change), on the load
 * chart's time axis, with the same fault markers, and the case's key Kubernetes Events as diamonds at
 * the foot of the plot (their detail as tooltips). Hand-written SVG for the reasons given in
 * chart.ts: fixed layout, no DOM, byte-identical output for the same files.
 */

/** One subject's Ready count over the case: a step at every change the watch recorded. */
export interface ClusterSeries {
  /** `deployment/<ns>/<name>` or `nodes` */
  subject: string;
  kind: ClusterSampleRecord['kind'];
  steps: Array<{ sec: number; ready: number; desired: number }>;
}

export interface ClusterTimeline {
  series: ClusterSeries[];
  markers: ChartMarker[];
  /** the key Kubernetes Events of the case, one per Event object */
  events: KeyEvent[];
  /** the time axis, seconds since the load start */
  domain: [number, number];
}

const TOP = 16;
const PLOT_H = 150;
const BOTTOM = TOP + PLOT_H;
const LEGEND_ROW = 16;
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
const NODES_COLOR = '#333333';
/**
 * Workloads at the same count would draw one over the other and hide each other: each line is
 * shifted by a pixel or two (a fraction of one replica) so every one stays visible. The tables
 * carry the exact counts.
 */
const SPREAD_PX = 2;

/** The samples of one case as step series; null when the case has none (no cluster, or not run). */
export function clusterTimeline(c: CaseResult, samples: readonly ClusterSampleRecord[], records: readonly TimeseriesRecord[], clusterEvents: readonly ClusterEventRecord[] = []): ClusterTimeline | null {
  const mine = samples.filter((s) => s.case === c.id).sort((a, b) => a.t - b.t);
  if (mine.length === 0) return null;
  const bySubject = new Map<string, ClusterSeries>();
  for (const s of mine) {
    const series = bySubject.get(s.subject) ?? { subject: s.subject, kind: s.kind, steps: [] };
    bySubject.set(s.subject, series);
    const sec = (s.t - c.originMs) / 1000;
    const prev = series.steps[series.steps.length - 1];
    // a restart-only change is a sample too; the chart draws Ready counts, so it adds no step
    if (prev && prev.ready === s.ready && prev.desired === s.desired) continue;
    series.steps.push({ sec, ready: s.ready, desired: s.desired });
  }
  // nodes first, then workloads by name: a stable order for colours and the legend
  const series = [...bySubject.values()].sort((a, b) => (a.kind === b.kind ? (a.subject < b.subject ? -1 : 1) : a.kind === 'nodes' ? -1 : 1));
  const load = chartData(c, records);
  const secs = [...mine.map((s) => (s.t - c.originMs) / 1000), ...load.markers.map((m) => m.sec)];
  const domain = chartTimeDomain(load) ?? [Math.min(0, ...secs), Math.max(...secs) + 1];
  return { series, markers: load.markers, events: caseKeyEvents(c, clusterEvents), domain };
}

/** The timeline as an SVG document, or '' when the case has no cluster samples. */
export function renderClusterTimeline(c: CaseResult, samples: readonly ClusterSampleRecord[], records: readonly TimeseriesRecord[], clusterEvents: readonly ClusterEventRecord[] = []): string {
  const all = clusterTimeline(c, samples, records, clusterEvents);
  if (!all) return '';
  // a subject whose Ready count never changed is a flat line saying nothing: named in the legend, not drawn
  const moved = all.series.filter((s) => s.steps.length > 1);
  if (moved.length === 0 && all.events.length === 0) return '';
  const tl = { ...all, series: moved };
  const legend = [...legendItems(tl), ...unchangedItem(all.series.filter((s) => s.steps.length <= 1))];
  const rows = legendRows(legend);
  const h = BOTTOM + 40 + rows.length * LEGEND_ROW;
  const x = timeScale(tl.domain[0], tl.domain[1], PLOT_LEFT, PLOT_RIGHT);
  const maxCount = Math.max(1, ...tl.series.flatMap((s) => s.steps.map((p) => Math.max(p.ready, p.desired))));
  const y = valueScale(maxCount * 1.1, BOTTOM, TOP, Math.min(5, Math.ceil(maxCount * 1.1)));
  const label = `Cluster timeline of case ${c.id}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="cluster-timeline" width="${CHART_WIDTH}" height="${h}" viewBox="0 0 ${CHART_WIDTH} ${h}" role="img" ${CHART_FONT}>`,
    `<title>${escapeXml(label)}</title>`,
    `<rect x="0" y="0" width="${CHART_WIDTH}" height="${h}" fill="#ffffff"/>`,
    ...y.ticks.map((t) => `<line x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${px(y(t))}" y2="${px(y(t))}" stroke="${COLOR.grid}"/>`),
    ...tl.series.map((s, i) => stepLine(s, colorOf(s, i), tl.domain, x, y, (i - (tl.series.length - 1) / 2) * SPREAD_PX)),
    ...markerLines(markerLanes(tl.markers, x), x),
    ...eventMarkersSvg(c, tl.events, x, tl.domain, BOTTOM),
    ...axes(x, y),
    ...legendSvg(rows),
    '</svg>',
  ].join('\n');
}

function colorOf(s: ClusterSeries, index: number): string {
  return s.kind === 'nodes' ? NODES_COLOR : (PALETTE[index % PALETTE.length] as string);
}

/** Horizontal then vertical segments; the value before the axis starts is carried in, the last to the end. */
function stepLine(s: ClusterSeries, color: string, [from, to]: [number, number], x: Scale, scale: Scale, shiftPx: number): string {
  const y = (v: number): number => scale(v) - shiftPx;
  const clamp = (sec: number): number => Math.min(Math.max(sec, from), to);
  const pts: string[] = [];
  s.steps.forEach((p, i) => {
    const sec = clamp(p.sec);
    const prev = s.steps[i - 1];
    if (prev) pts.push(`${px(x(sec))},${px(y(prev.ready))}`);
    pts.push(`${px(x(sec))},${px(y(p.ready))}`);
  });
  const last = s.steps[s.steps.length - 1];
  if (last) pts.push(`${px(x(to))},${px(y(last.ready))}`);
  const width = s.kind === 'nodes' ? 2.5 : 1.75;
  const dash = s.kind === 'nodes' ? ' stroke-dasharray="6 3"' : '';
  return `<polyline class="series cluster-series" data-subject="${escapeXml(s.subject)}" points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="${width}"${dash}/>`;
}

/** The load chart's markers with the same numbers (its key, printed under it, names them); a number per lane, never overprinted. */
function markerLines(markers: readonly PlacedMarker[], x: Scale): string[] {
  return markers.flatMap((m) => {
    const at = px(x(m.sec));
    const color = COLOR[m.kind];
    const cy = TOP + 10 + m.lane * 20;
    return [
      `<line class="marker marker-${m.kind}" x1="${at}" x2="${at}" y1="${TOP}" y2="${BOTTOM}" stroke="${color}" stroke-width="1.5" stroke-dasharray="${m.kind === 'client' ? '2 2' : '5 3'}"/>`,
      `<g class="marker-number" data-number="${m.number}"><title>${escapeXml(markerKeyText(m))}</title><circle cx="${at}" cy="${cy}" r="8" fill="#ffffff" stroke="${color}" stroke-width="1.5"/><text x="${at}" y="${cy}" dy="0.35em" text-anchor="middle" font-size="10" font-weight="bold" fill="${color}">${m.number}</text></g>`,
    ];
  });
}

/** One legend entry for the subjects drawn as no line, since their Ready count never changed. */
function unchangedItem(flat: readonly ClusterSeries[]): LegendItem[] {
  if (flat.length === 0) return [];
  const names = flat.map((s) => `${s.kind === 'nodes' ? 'nodes' : s.subject} ${s.steps[0]?.ready ?? 0}/${s.steps[0]?.desired ?? 0}`);
  const label = `unchanged: ${names.join(', ')}`;
  return [{ label, color: '#ffffff', dash: false, widthPx: PLOT_RIGHT - PLOT_LEFT, text: true }];
}

function axes(x: Scale, y: Scale): string[] {
  const axis = COLOR.axis;
  const out = [
    `<line x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${BOTTOM}" y2="${BOTTOM}" stroke="${axis}"/>`,
    `<line x1="${PLOT_LEFT}" x2="${PLOT_LEFT}" y1="${TOP}" y2="${BOTTOM}" stroke="${axis}"/>`,
  ];
  for (const t of x.ticks) {
    const at = px(x(t));
    out.push(`<line x1="${at}" x2="${at}" y1="${BOTTOM}" y2="${BOTTOM + 5}" stroke="${axis}"/>`);
    out.push(`<text x="${at}" y="${BOTTOM + 17}" text-anchor="middle" fill="${axis}">${tickLabel(t)}</text>`);
  }
  for (const t of y.ticks) {
    const at = px(y(t));
    out.push(`<line x1="${PLOT_LEFT}" x2="${PLOT_LEFT - 5}" y1="${at}" y2="${at}" stroke="${axis}"/>`);
    out.push(`<text x="${PLOT_LEFT - 8}" y="${at}" dy="0.32em" text-anchor="end" fill="${axis}">${tickLabel(t)}</text>`);
  }
  out.push(`<text class="axis-label" x="${(PLOT_LEFT + PLOT_RIGHT) / 2}" y="${BOTTOM + 32}" text-anchor="middle" fill="${axis}">time since load start (s)</text>`);
  out.push(`<text class="axis-label" transform="translate(16 ${(TOP + BOTTOM) / 2}) rotate(-90)" text-anchor="middle" fill="${axis}">Ready (replicas / nodes)</text>`);
  return out;
}

interface LegendItem {
  label: string;
  color: string;
  dash: boolean;
  widthPx: number;
  /** drawn as the event diamond instead of a line */
  diamond?: boolean;
  /** text alone, without a swatch */
  text?: boolean;
}

function legendItems(tl: ClusterTimeline): LegendItem[] {
  const item = (label: string, color: string, dash: boolean): LegendItem => ({ label, color, dash, widthPx: 26 + label.length * 6 });
  const items = tl.series.map((s, i) => {
    const desired = s.steps[0]?.desired ?? 0;
    const label = s.kind === 'nodes' ? `Ready nodes (of ${desired})` : `${s.subject} Ready replicas (desired ${desired})`;
    return item(label, colorOf(s, i), s.kind === 'nodes');
  });
  const kinds = new Set(tl.markers.map((m) => m.kind));
  if (kinds.has('inject')) items.push(item('fault injected', COLOR.inject, true));
  if (kinds.has('revert')) items.push(item('fault reverted', COLOR.revert, true));
  if (kinds.has('client')) items.push(item('clients recovered', COLOR.client, true));
  if (kinds.has('cluster')) items.push(item('cluster recovered', COLOR.cluster, true));
  const types = new Set(tl.events.map((e) => (e.type === 'Warning' ? 'Warning' : 'Normal')));
  if (types.has('Normal')) items.push({ ...item('Kubernetes event (hover: detail)', EVENT_COLOR.Normal, false), diamond: true });
  if (types.has('Warning')) items.push({ ...item('Warning event', EVENT_COLOR.Warning, false), diamond: true });
  return items;
}

/** Wraps the legend into rows that fit the plot width (many workloads would run off the figure). */
function legendRows(items: readonly LegendItem[]): LegendItem[][] {
  const rows: LegendItem[][] = [];
  let row: LegendItem[] = [];
  let used = 0;
  for (const i of items) {
    if (row.length > 0 && used + i.widthPx > PLOT_RIGHT - PLOT_LEFT) {
      rows.push(row);
      row = [];
      used = 0;
    }
    row.push(i);
    used += i.widthPx;
  }
  if (row.length) rows.push(row);
  return rows;
}

function legendSvg(rows: readonly LegendItem[][]): string[] {
  const out = ['<g class="legend">'];
  rows.forEach((row, r) => {
    const y = BOTTOM + 52 + r * LEGEND_ROW;
    let x = PLOT_LEFT;
    for (const i of row) {
      if (!i.text) out.push(i.diamond
        ? `<path d="M${x + 7} ${y - 5} L${x + 11} ${y - 1} L${x + 7} ${y + 3} L${x + 3} ${y - 1} Z" fill="${i.color}"/>`
        : `<line x1="${x}" x2="${x + 14}" y1="${y - 1}" y2="${y - 1}" stroke="${i.color}" stroke-width="2"${i.dash ? ' stroke-dasharray="4 2"' : ''}/>`);
      out.push(`<text x="${x + (i.text ? 0 : 18)}" y="${y}" dy="0.1em" fill="${COLOR.axis}">${escapeXml(i.label)}</text>`);
      x += i.widthPx;
    }
  });
  out.push('</g>');
  return out;
}
