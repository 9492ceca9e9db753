import { silentLogger, type Logger } from '../../core/index.js';
import { ApiError, type KObject } from '../api/index.js';
import { rfc3339, type Store } from '../store/index.js';
import { realTimers, type Controller, type ControllerOptions, type Timers } from './controller.js';
import { EventRecorder } from './event-recorder.js';
import { tolerates } from './scheduler-filters.js';

interface Scheduled {
  uid: string;
  /** When the pod was first seen under the taints: its tolerationSeconds count from here, as in Kubernetes. */
  sinceMs: number;
  dueMs: number;
  cancel: () => void;
}

/**
 * kube-controller-manager's taint eviction controller (the NoExecute taint manager): a pod on a node with
 * a NoExecute taint it does not tolerate is deleted at once; one that tolerates it for tolerationSeconds
 * is deleted when that time is up, unless the taint goes first. Deletion is a normal graceful delete:
 * on a node whose kubelet is gone the pod stays Terminating, as in Kubernetes.
 */
export class TaintEvictionController implements Controller {
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly recorder: EventRecorder;
  private readonly scheduled = new Map<string, Scheduled>();
  private readonly stops: Array<() => void> = [];

  constructor(private readonly store: Store, opts: ControllerOptions = {}) {
    this.timers = opts.timers ?? realTimers;
    this.log = opts.log ?? silentLogger;
    this.recorder = new EventRecorder(store, { component: 'taint-eviction-controller' });
  }

  start(): void {
    if (this.stops.length) return;
    this.stops.push(this.store.watch('nodes', undefined, {}, (e) => {
      if (e.type === 'DELETED') return;
      for (const pod of this.store.snapshot('pods', undefined, (p) => p.spec?.nodeName === e.object.metadata.name)) this.guard(pod);
    }));
    this.stops.push(this.store.watch('pods', undefined, {}, (e) => {
      if (e.type === 'DELETED') this.cancel(e.object, false);
      else this.guard(e.object);
    }));
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
    for (const s of this.scheduled.values()) s.cancel();
    this.scheduled.clear();
  }

  /** Works on the stored pod, not the event's copy: the watch delivers events after later writes. */
  private guard(seen: KObject): void {
    const pod = this.store.peek('pods', seen.metadata.namespace, seen.metadata.name!);
    if (!pod || pod.metadata.uid !== seen.metadata.uid) return;
    try {
      this.process(pod);
    } catch (err) {
      this.log.error({ err, controller: 'taint-eviction', pod: pod.metadata.name }, 'taint eviction pass failed');
    }
  }

  private process(pod: KObject): void {
    const nodeName = pod.spec?.nodeName;
    const node = nodeName ? this.store.peek('nodes', undefined, nodeName) : undefined;
    const taints: any[] = (node?.spec?.taints ?? []).filter((t: any) => t.effect === 'NoExecute');
    if (pod.metadata.deletionTimestamp || taints.length === 0) return this.cancel(pod, taints.length === 0);
    const tolerations: any[] = pod.spec?.tolerations ?? [];
    if (!taints.every((t) => tolerations.some((tol) => tolerates(tol, t)))) return this.evict(pod);
    const seconds = minTolerationSeconds(tolerations.filter((tol) => taints.some((t) => tolerates(tol, t))));
    if (seconds === undefined) return this.cancel(pod, true);
    const now = this.store.now();
    const key = podKey(pod);
    const current = this.scheduled.get(key);
    const same = current !== undefined && current.uid === pod.metadata.uid;
    const sinceMs = same ? current.sinceMs : now;
    const dueMs = sinceMs + seconds * 1000;
    if (same && current.dueMs === dueMs) return;
    current?.cancel();
    const cancel = this.timers.after(dueMs - now, () => {
      this.scheduled.delete(key);
      const latest = this.store.peek('pods', pod.metadata.namespace, pod.metadata.name!);
      if (!latest || latest.metadata.uid !== pod.metadata.uid || latest.metadata.deletionTimestamp) return;
      try {
        this.evict(latest);
      } catch (err) {
        this.log.error({ err, controller: 'taint-eviction', pod: key }, 'taint eviction failed');
      }
    });
    this.scheduled.set(key, { uid: pod.metadata.uid!, sinceMs, dueMs, cancel });
  }

  private cancel(pod: KObject, withEvent: boolean): void {
    const key = podKey(pod);
    const current = this.scheduled.get(key);
    if (!current) return;
    current.cancel();
    this.scheduled.delete(key);
    if (withEvent && current.uid === pod.metadata.uid) {
      this.recorder.record(pod, { type: 'Normal', reason: 'TaintManagerEviction', message: `Cancelling deletion of Pod ${key}` });
    }
  }

  /** Adds the DisruptionTarget condition (as Kubernetes 1.32 does), then deletes the pod with its own grace. */
  private evict(pod: KObject): void {
    const key = podKey(pod);
    this.scheduled.get(key)?.cancel();
    this.scheduled.delete(key);
    const { namespace, name } = pod.metadata;
    const stamp = rfc3339(this.store.now());
    const marked = this.store.mutate('pods', namespace, name!, (draft) => {
      draft.status ??= {};
      const conditions: any[] = (draft.status.conditions ?? []).filter((c: any) => c.type !== 'DisruptionTarget');
      conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastProbeTime: null, lastTransitionTime: stamp });
      draft.status.conditions = conditions;
    }, { subresource: 'status' });
    this.recorder.record(marked ?? pod, { type: 'Normal', reason: 'TaintManagerEviction', message: `Marking for deletion Pod ${key}` });
    try {
      this.store.delete('pods', namespace, name!, { preconditions: { uid: pod.metadata.uid! } });
      this.log.info({ pod: key, node: pod.spec?.nodeName }, 'pod marked for deletion by the taint manager');
    } catch (err) {
      if (!(err instanceof ApiError) || (err.code !== 404 && err.code !== 409)) throw err;
    }
  }
}

/** getMinTolerationTime: the shortest tolerationSeconds; none means forever; negative means now. */
function minTolerationSeconds(tolerations: any[]): number | undefined {
  const seconds = tolerations.map((t) => t.tolerationSeconds).filter((s): s is number => typeof s === 'number');
  return seconds.length ? Math.max(0, Math.min(...seconds)) : undefined;
}

function podKey(pod: KObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}
