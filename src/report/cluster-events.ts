import type { CaseResult, ClusterEventRecord } from '../results/index.js';
import type { Table } from './case-tables.js';
import { px, type Scale } from './chart-scale.js';
import { escapeXml } from './escape.js';
import { formatOffset } from './format.js';

/**
 * The key Kubernetes Events of a case (the `kind: event` lines of cluster.jsonl) in the report: markers
 * on the cluster timeline, each with its detail as a tooltip, and a compact list under it.
 */

/** The list under the timeline stays short; cluster.jsonl has every one. */
export const MAX_KEY_EVENTS = 30;

export const EVENT_COLOR = { Warning: '#c62828', Normal: '#5f6b7a' } as const;

/** One Event of the case: its occurrences during the case folded into one (the lines sharing its uid). */
export interface KeyEvent {
  /** first occurrence seen during the case, epoch ms */
  firstT: number;
  /** latest occurrence, epoch ms */
  t: number;
  type: string;
  reason: string;
  objectKind: string;
  object: string;
  message: string;
  /** occurrences during the case */
  times: number;
}

/** The case's events, one per Event object, in the order of their first occurrence. */
export function caseKeyEvents(c: CaseResult, events: readonly ClusterEventRecord[]): KeyEvent[] {
  const byUid = new Map<string, KeyEvent & { firstCount: number; lastCount: number }>();
  for (const e of events) {
    if (e.case !== c.id) continue;
    const seen = byUid.get(e.uid);
    if (!seen) {
      byUid.set(e.uid, { firstT: e.t, t: e.t, type: e.type, reason: e.reason, objectKind: e.objectKind, object: e.object, message: e.message, times: 1, firstCount: e.count, lastCount: e.count });
      continue;
    }
    seen.firstT = Math.min(seen.firstT, e.t);
    if (e.t >= seen.t) Object.assign(seen, { t: e.t, message: e.message });
    seen.lastCount = Math.max(seen.lastCount, e.count);
    seen.firstCount = Math.min(seen.firstCount, e.count);
    // the occurrences of the case: its first line counts one, each later count adds what it added
    seen.times = 1 + seen.lastCount - seen.firstCount;
  }
  return [...byUid.values()]
    .map(({ firstCount: _f, lastCount: _l, ...e }) => e)
    .sort((a, b) => a.firstT - b.firstT || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
}

/** `+2.31 s Normal Killing pod demo/gateway-x: Stopping container gateway (×3)`: the tooltip of a marker. */
export function keyEventText(c: CaseResult, e: KeyEvent): string {
  return `${formatOffset(e.firstT - c.originMs)} ${e.type} ${e.reason} ${e.objectKind.toLowerCase()} ${e.object}: ${e.message}${e.times > 1 ? ` (×${e.times}, last at ${formatOffset(e.t - c.originMs)})` : ''}`;
}

/** At most MAX_KEY_EVENTS rows, then one saying how many more cluster.jsonl holds. */
export function keyEventTable(c: CaseResult, events: readonly ClusterEventRecord[]): Table | null {
  const list = caseKeyEvents(c, events);
  if (list.length === 0) return null;
  const rows = list.slice(0, MAX_KEY_EVENTS).map((e) => [
    formatOffset(e.firstT - c.originMs), e.type, e.reason, `${e.objectKind.toLowerCase()} ${e.object}`, e.message, e.times > 1 ? `×${e.times}` : '',
  ]);
  if (list.length > MAX_KEY_EVENTS) rows.push([`… ${list.length - MAX_KEY_EVENTS} more in cluster.jsonl`, '', '', '', '', '']);
  return { headers: ['offset', 'type', 'reason', 'object', 'message', 'times'], rows, numeric: [true, false, false, false, false, true] };
}

/** Markers that land within this many pixels of the previous one stack above it instead of hiding it. */
const STACK_PX = 7;
const STACK_LEVELS = 6;
const LEVEL_PX = 9;

/**
 * A diamond per event at the foot of the plot (`bottom`), at the instant it happened, stacked when
 * several fall together; the SVG `<title>` of each is its tooltip in a browser.
 */
export function eventMarkersSvg(c: CaseResult, events: readonly KeyEvent[], x: Scale, domain: [number, number], bottom: number): string[] {
  const out: string[] = ['<g class="k8s-events">'];
  let lastX = -Infinity;
  let level = 0;
  for (const e of events) {
    const sec = (e.firstT - c.originMs) / 1000;
    if (sec < domain[0] || sec > domain[1]) continue;
    const at = x(sec);
    level = at - lastX < STACK_PX ? Math.min(level + 1, STACK_LEVELS - 1) : 0;
    lastX = at;
    const y = bottom - 7 - level * LEVEL_PX;
    const color = e.type === 'Warning' ? EVENT_COLOR.Warning : EVENT_COLOR.Normal;
    out.push(
      `<g class="k8s-event k8s-event-${e.type === 'Warning' ? 'warning' : 'normal'}" data-reason="${escapeXml(e.reason)}">` +
        `<title>${escapeXml(keyEventText(c, e))}</title>` +
        `<path d="M${px(at)} ${px(y - 4)} L${px(at + 4)} ${px(y)} L${px(at)} ${px(y + 4)} L${px(at - 4)} ${px(y)} Z" fill="${color}" stroke="#ffffff" stroke-width="0.75"/></g>`,
    );
  }
  out.push('</g>');
  return out.length > 2 ? out : [];
}
