import { randomBytes } from 'node:crypto';
import type { KObject } from '../api/index.js';
import { rfc3339, rfc3339Micro, type Store } from '../store/index.js';

export interface EventSource {
  /** `kubelet`, `default-scheduler`, `deployment-controller`, ... */
  component: string;
  /** The node, for kubelet events. */
  host?: string;
}

export interface RecordedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** e.g. `spec.containers{gateway}` for a container's events. */
  fieldPath?: string;
}

// Repeats of the same event within this window update one Event's count, as the client-go recorder does.
const AGGREGATE_WINDOW_MS = 10 * 60_000;

/**
 * Writes core/v1 Events about objects, the way client-go's recorder does: one Event per distinct
 * (object, reason, message, source), its `count` and `lastTimestamp` updated on repeats. Cluster-scoped
 * objects (nodes) get their events in `default`. The report's cluster timeline reads these.
 */
export class EventRecorder {
  private readonly recent = new Map<string, { namespace: string; name: string; atMs: number }>();

  constructor(private readonly store: Store, private readonly source: EventSource) {}

  record(obj: KObject, event: RecordedEvent): void {
    const namespace = obj.metadata.namespace ?? 'default';
    const nowMs = this.store.now();
    const key = [obj.metadata.uid, event.reason, event.message, event.type, event.fieldPath ?? '', this.source.host ?? ''].join('\u0000');
    const seen = this.recent.get(key);
    if (seen && nowMs - seen.atMs < AGGREGATE_WINDOW_MS && this.bump(seen.namespace, seen.name, nowMs)) {
      seen.atMs = nowMs;
      return;
    }
    const name = `${obj.metadata.name}.${randomBytes(8).toString('hex')}`;
    const stamp = rfc3339(nowMs);
    try {
      this.store.create('events', namespace, {
        apiVersion: 'v1', kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid,
          apiVersion: obj.apiVersion, resourceVersion: obj.metadata.resourceVersion,
          ...(event.fieldPath ? { fieldPath: event.fieldPath } : {}),
        },
        reason: event.reason, message: event.message, type: event.type,
        source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
        firstTimestamp: stamp, lastTimestamp: stamp, count: 1,
        // Sub-second time for the report's timeline: first/lastTimestamp have second precision.
        eventTime: rfc3339Micro(nowMs), reportingComponent: this.source.component, reportingInstance: this.source.host ?? '',
      });
      this.recent.set(key, { namespace, name, atMs: nowMs });
      this.pruneRecent(nowMs);
    } catch {
      // The namespace is going away (or the cluster is stopping): an event is not worth failing for.
    }
  }

  private bump(namespace: string, name: string, nowMs: number): boolean {
    const updated = this.store.mutate('events', namespace, name, (draft) => {
      draft.count = ((draft.count as number | undefined) ?? 1) + 1;
      draft.lastTimestamp = rfc3339(nowMs);
      // as an events.k8s.io series: the sub-second instant of the latest occurrence
      draft.series = { count: draft.count, lastObservedTime: rfc3339Micro(nowMs) };
    });
    return updated !== undefined;
  }

  private pruneRecent(nowMs: number): void {
    if (this.recent.size < 2000) return;
    for (const [k, v] of this.recent) if (nowMs - v.atMs > AGGREGATE_WINDOW_MS) this.recent.delete(k);
  }
}
