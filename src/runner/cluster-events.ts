import type { CoreV1Event } from '@kubernetes/client-node';
import type { ClusterEventRecord } from '../results/index.js';

/**
 * Which Kubernetes Events the cluster view keeps: every Warning, and the Normal ones that say what
 * happened to capacity during a fault or a load study (a pod killed or evicted, a node lost or back,
 * a ReplicaSet or HPA scaling, a replacement created). The rest (Scheduled, Pulled, Created,
 * Started...) is the noise of every pod start.
 */
export const KEY_EVENT_REASONS: ReadonlySet<string> = new Set([
  'Killing', 'Evicted', 'Preempting', 'TaintManagerEviction',
  'NodeNotReady', 'NodeReady', 'NodeNotSchedulable', 'NodeSchedulable', 'Rebooted', 'RemovingNode',
  'ScalingReplicaSet', 'SuccessfulRescale', 'SuccessfulCreate', 'SuccessfulDelete',
  'Unhealthy', 'BackOff', 'FailedScheduling', 'FailedCreate', 'OOMKilling',
]);

export function isKeyEvent(e: CoreV1Event): boolean {
  return e.type === 'Warning' || KEY_EVENT_REASONS.has(e.reason ?? '');
}

/** client-node deserializes times of listed objects into Dates; objects from a watch keep the JSON strings. */
function ms(v: unknown): number | null {
  const t = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : null;
}

/**
 * The instant of an event's latest occurrence, and whether it is sub-second. `series.lastObservedTime`
 * is the latest occurrence of a repeated event (events.k8s.io); `eventTime` (MicroTime) is the first;
 * `lastTimestamp` is the latest of a core/v1 event, truncated to the second: when `eventTime` falls in
 * that same second, it is the same occurrence told more precisely.
 */
export function eventInstant(e: CoreV1Event): { t: number; precise: boolean } | null {
  const series = ms(e.series?.lastObservedTime);
  if (series !== null) return { t: series, precise: true };
  const last = ms(e.lastTimestamp);
  const micro = ms(e.eventTime);
  if (micro !== null && (last === null || micro >= last)) return { t: micro, precise: true };
  const t = last ?? micro ?? ms(e.firstTimestamp) ?? ms(e.metadata?.creationTimestamp);
  return t === null ? null : { t, precise: false };
}

export function eventCount(e: CoreV1Event): number {
  return e.series?.count ?? e.count ?? 1;
}

/**
 * Turns the Events the watch delivers into records: key events only, those that happened since the watch
 * started (the first list brings older ones), each occurrence once (a resync or an update that does not
 * raise the count is not a new occurrence).
 */
export class KeyEvents {
  private readonly counts = new Map<string, number>();

  /** `sinceMs`: when the watch started (wall clock, epoch ms). */
  constructor(private readonly sinceMs: number) {}

  take(e: CoreV1Event): Omit<ClusterEventRecord, 'run' | 'case' | 'layer' | 'phase'> | null {
    if (!isKeyEvent(e)) return null;
    const at = eventInstant(e);
    // an instant truncated to the second counts from the second the watch started in
    if (!at || at.t < (at.precise ? this.sinceMs : Math.floor(this.sinceMs / 1000) * 1000)) return null;
    const uid = e.metadata?.uid ?? `${e.metadata?.namespace ?? ''}/${e.metadata?.name ?? ''}`;
    const count = eventCount(e);
    if ((this.counts.get(uid) ?? 0) >= count) return null;
    this.counts.set(uid, count);
    const o = e.involvedObject;
    return {
      t: at.t, kind: 'event', type: e.type ?? 'Normal', reason: e.reason ?? '',
      objectKind: o.kind ?? '', object: o.namespace ? `${o.namespace}/${o.name ?? ''}` : (o.name ?? ''),
      message: e.message ?? '', count, uid,
      source: e.reportingComponent || e.source?.component || '',
    };
  }
}
