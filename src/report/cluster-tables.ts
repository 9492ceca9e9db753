import { formatDuration } from '../core/index.js';
import type { CaseEvent, CaseResult, ClusterSampleRecord } from '../results/index.js';
import type { Table } from './case-tables.js';
import { formatOffset } from './format.js';

/**
 * What the faults did to the cluster, as plain-text tables (escaped and laid out by the HTML and
 * Markdown renderers): the pods each fault killed or evicted, and the changes the cluster watch saw.
 */

/** Markdown cannot show the timeline chart inline next to the load chart: it gets its changes as rows. */
export const MAX_CHANGE_ROWS = 60;

/** Every change of Ready (or desired) counts the watch saw during the case, in time order. */
export function clusterChangeTable(c: CaseResult, samples: readonly ClusterSampleRecord[]): Table | null {
  const mine = samples.filter((s) => s.case === c.id).sort((a, b) => a.t - b.t);
  const last = new Map<string, ClusterSampleRecord>();
  const rows: string[][] = [];
  for (const s of mine) {
    const prev = last.get(s.subject);
    last.set(s.subject, s);
    // restart-only changes are shown by the restarts column of the next Ready change, not as rows
    if (prev && prev.ready === s.ready && prev.desired === s.desired && prev.available === s.available) continue;
    rows.push([formatOffset(s.t - c.originMs), s.phase, s.subject, `${s.ready}/${s.desired}`, String(s.available), s.kind === 'nodes' ? '' : String(s.restarts)]);
  }
  if (rows.length === 0) return null;
  const shown = rows.length > MAX_CHANGE_ROWS ? [...rows.slice(0, MAX_CHANGE_ROWS), [`… ${rows.length - MAX_CHANGE_ROWS} more changes in cluster.jsonl`, '', '', '', '', '']] : rows;
  return { headers: ['offset', 'phase', 'subject', 'Ready / desired', 'available', 'restarts'], rows: shown, numeric: [true, false, false, true, true, true] };
}

interface Killed {
  pod: string;
  node: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const names = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === 'string');

/**
 * One row per pod-kill, node-drain and node-loss injection, read from the shape of the inject
 * event's `data` (the faults' own result objects, see src/faults/pod-kill.ts, node-drain.ts, node-loss.ts).
 */
export function podImpactTable(c: CaseResult): Table | null {
  const rows = c.events.filter((e) => e.kind === 'inject' && e.ok !== false && isRecord(e.data)).flatMap((e) => impactRows(e));
  if (rows.length === 0) return null;
  return { headers: ['offset', 'fault', 'action', 'pods', 'node', 'outcome'], rows, numeric: [true, false, false, false, false, false] };
}

function impactRows(e: CaseEvent): string[][] {
  const d = e.data as Record<string, unknown>;
  const at = formatOffset(e.offsetMs);
  const name = e.name ?? '';
  if (Array.isArray(d.killed)) {
    const killed = list(d.killed).filter(isRecord).map((k) => ({ pod: String(k.pod), node: typeof k.node === 'string' ? k.node : null }) satisfies Killed);
    const nodes = [...new Set(killed.map((k) => k.node ?? '?'))].join(', ');
    const replacements = names(d.replacements);
    const ready = typeof d.replacementsReadyAfterMs === 'number'
      ? `${replacements.length} replacement(s) Ready after ${formatDuration(d.replacementsReadyAfterMs)}${replacements.length ? `: ${replacements.join(', ')}` : ''}`
      : 'replacements not seen Ready';
    const missing = names(d.missing);
    return [[at, name, 'killed', killed.map((k) => k.pod).join(', '), nodes, missing.length ? `${ready}; already gone: ${missing.join(', ')}` : ready]];
  }
  if (typeof d.evictedPods === 'number') {
    const evicted = names(d.evicted);
    const pods = evicted.length ? evicted.join(', ') : `${d.evictedPods} pod(s)`;
    const refusals = typeof d.budgetRefusals === 'number' && d.budgetRefusals > 0 ? `, ${d.budgetRefusals} eviction(s) refused by a disruption budget then retried` : '';
    const took = typeof d.durationMs === 'number' ? `drained in ${formatDuration(d.durationMs)}` : 'drained';
    return [[at, name, `evicted ${d.evictedPods}`, pods, names(d.nodes).join(', '), `${took}${refusals}`]];
  }
  if (Array.isArray(d.times)) {
    return list(d.times).filter(isRecord).map((t) => {
      const notReady = typeof t.notReadyMs === 'number' ? `NotReady after ${formatDuration(t.notReadyMs)}` : 'not seen NotReady';
      const pods = Number(t.pods ?? 0);
      const evicted = pods === 0 ? 'no pods on the node'
        : typeof t.podsEvictedMs === 'number' ? `pods evicted after ${formatDuration(t.podsEvictedMs)}`
          : `${names(t.podsLeft).length} pod(s) not evicted: ${names(t.podsLeft).join(', ')}`;
      return [at, name, 'node lost', `${pods} pod(s) on the node`, typeof t.node === 'string' ? t.node : '', `${notReady}; ${evicted}`];
    });
  }
  return [];
}

/** Shown under the embedded cluster settings of a case: what a changed defaultTolerationSeconds does not change. */
export const CLUSTER_SETTINGS_NOTE = 'Set before the general conditions and back to the plan\'s after the case. defaultTolerationSeconds applies to pods created '
  + 'during the case: pods created before keep the tolerations the DefaultTolerationSeconds admission gave them at creation, as in Kubernetes.';

const TIMING_ROWS = [
  ['heartbeat', 'heartbeatMs'],
  ['nodeMonitorPeriod', 'nodeMonitorPeriodMs'],
  ['nodeMonitorGracePeriod', 'nodeMonitorGracePeriodMs'],
  ['defaultTolerationSeconds', 'defaultTolerationSeconds'],
] as const;

/** The embedded cluster's node-failure detection during the case (its `clusterSettings:`) against the plan's. */
export function clusterSettingsTable(c: CaseResult): Table | null {
  const s = c.clusterSettings;
  if (!s) return null;
  const show = (key: (typeof TIMING_ROWS)[number][1], v: number): string => (key === 'defaultTolerationSeconds' ? `${v}s` : formatDuration(v));
  const rows = TIMING_ROWS.map(([name, key]) => [name, show(key, s.applied[key]), show(key, s.plan[key]), s.set.includes(name) ? 'this case' : 'the plan']);
  if (s.restoreError) rows.push(['set back after the case', 'FAILED', s.restoreError, '']);
  return { headers: ['setting', 'during the case', 'plan', 'from'], rows, numeric: [false, true, true, false] };
}
