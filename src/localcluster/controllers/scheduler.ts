import type { KObject } from '../api/index.js';
import { rfc3339, type Store } from '../store/index.js';
import type { ControllerOptions } from './controller.js';
import { EventRecorder } from './event-recorder.js';
import { isPodTerminal, keyOf, splitKey } from './objects.js';
import { filterNode, fitErrorMessage, type ClusterView, type FitFailure } from './scheduler-filters.js';
import { pickNode } from './scheduler-scores.js';
import { QueueController } from './queue-controller.js';

export interface SchedulerOptions extends ControllerOptions {
  /** The `spec.schedulerName` this scheduler serves (default `default-scheduler`). */
  schedulerName?: string;
  /** How often the same FailedScheduling event may be repeated for a pod that still does not fit (default 60 s). */
  failedEventIntervalMs?: number;
}

const NO_NODES = 'no nodes available to schedule pods';

/** The node labels the real API server copies onto a pod as it binds it (PodTopologyLabels admission). */
const TOPOLOGY_LABELS = ['topology.kubernetes.io/zone', 'topology.kubernetes.io/region'];

/**
 * kube-scheduler for the embedded cluster: binds each unscheduled pod to the best node that passes the
 * filters (readiness, unschedulable, taints, node selector and affinity, inter-pod (anti-)affinity), or
 * marks it PodScheduled=False/Unschedulable with the scheduler's own message and retries when nodes or
 * pods change.
 */
export class Scheduler extends QueueController {
  private readonly events: EventRecorder;
  private readonly schedulerName: string;
  private readonly failedEventIntervalMs: number;
  /** Pods that did not fit, retried when the cluster changes. */
  private readonly waiting = new Set<string>();
  private readonly lastFailure = new Map<string, { message: string; atMs: number }>();
  /** What of each bound pod can change another pod's fit: where it is, its labels, whether it is leaving. */
  private readonly boundState = new Map<string, string>();

  constructor(store: Store, opts: SchedulerOptions = {}) {
    super(store, 'scheduler', opts);
    this.schedulerName = opts.schedulerName ?? 'default-scheduler';
    this.failedEventIntervalMs = opts.failedEventIntervalMs ?? 60_000;
    this.events = new EventRecorder(store, { component: this.schedulerName });
  }

  protected watch(): Array<() => void> {
    return [
      this.store.watch('pods', undefined, {}, (e) => this.podChanged(e.object, e.type === 'DELETED')),
      this.store.watch('nodes', undefined, {}, () => this.retryWaiting()),
      this.store.watch('namespaces', undefined, {}, () => this.retryWaiting()),
    ];
  }

  protected keys(): string[] {
    return this.store.snapshot('pods', undefined, (p) => this.wantsScheduling(p)).map(keyOf);
  }

  /** Schedules one pod if it still needs it; public so tests can run it synchronously. */
  sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const pod = this.store.peek('pods', namespace, name);
    if (!pod || !this.wantsScheduling(pod)) {
      this.forget(key);
      return;
    }
    const view = this.view();
    if (view.nodes.length === 0) return this.unschedulable(pod, NO_NODES);
    const feasible: KObject[] = [];
    const failures: FitFailure[] = [];
    for (const node of view.nodes) {
      const failure = filterNode(pod, node, view);
      if (failure) failures.push(failure);
      else feasible.push(node);
    }
    if (feasible.length === 0) return this.unschedulable(pod, fitErrorMessage(view.nodes.length, failures));
    this.bind(pod, pickNode(pod, feasible, view).metadata.name!);
  }

  private wantsScheduling(pod: KObject): boolean {
    return !pod.spec?.nodeName && (pod.spec?.schedulerName ?? 'default-scheduler') === this.schedulerName
      && !pod.metadata.deletionTimestamp && !isPodTerminal(pod);
  }

  private podChanged(pod: KObject, deleted: boolean): void {
    const key = keyOf(pod);
    if (!deleted && this.wantsScheduling(pod)) {
      this.queue.add(key);
      return;
    }
    this.forget(key);
    const state = deleted || !pod.spec?.nodeName ? undefined
      : JSON.stringify([pod.spec.nodeName, pod.metadata.labels ?? {}, Boolean(pod.metadata.deletionTimestamp), isPodTerminal(pod)]);
    if (state === this.boundState.get(key)) return;
    if (state === undefined) this.boundState.delete(key);
    else this.boundState.set(key, state);
    this.retryWaiting();
  }

  private forget(key: string): void {
    this.waiting.delete(key);
    this.lastFailure.delete(key);
  }

  private retryWaiting(): void {
    for (const key of this.waiting) this.queue.add(key);
  }

  private view(): ClusterView {
    const podsByNode = new Map<string, KObject[]>();
    for (const p of this.store.snapshot('pods', undefined, (x) => Boolean(x.spec?.nodeName) && !isPodTerminal(x))) {
      const list = podsByNode.get(p.spec.nodeName) ?? [];
      list.push(p);
      podsByNode.set(p.spec.nodeName, list);
    }
    const namespaceLabels = new Map(this.store.snapshot('namespaces').map((ns) => [ns.metadata.name!, ns.metadata.labels ?? {}]));
    return { nodes: this.store.snapshot('nodes'), podsByNode, namespaceLabels };
  }

  /**
   * Binds as the pods/binding subresource does: PodScheduled=True, then spec.nodeName, with the node's
   * topology labels copied onto the pod (the PodTopologyLabels admission of the real API server).
   */
  private bind(pod: KObject, nodeName: string): void {
    const { namespace, name } = pod.metadata;
    this.setScheduledCondition(pod, { status: 'True' });
    const nodeLabels = this.store.peek('nodes', undefined, nodeName)?.metadata.labels ?? {};
    const topology: Record<string, string> = {};
    for (const k of TOPOLOGY_LABELS) if (nodeLabels[k] !== undefined) topology[k] = nodeLabels[k];
    this.store.mutate('pods', namespace, name!, (draft) => {
      if (draft.spec.nodeName) return false;
      draft.spec.nodeName = nodeName;
      if (Object.keys(topology).length) draft.metadata.labels = { ...draft.metadata.labels, ...topology };
    });
    this.forget(keyOf(pod));
    this.events.record(pod, { type: 'Normal', reason: 'Scheduled', message: `Successfully assigned ${namespace}/${name} to ${nodeName}` });
  }

  private unschedulable(pod: KObject, message: string): void {
    const key = keyOf(pod);
    this.waiting.add(key);
    this.setScheduledCondition(pod, { status: 'False', reason: 'Unschedulable', message });
    const nowMs = this.store.now();
    const last = this.lastFailure.get(key);
    if (last && last.message === message && nowMs - last.atMs < this.failedEventIntervalMs) return;
    this.lastFailure.set(key, { message, atMs: nowMs });
    this.events.record(pod, { type: 'Warning', reason: 'FailedScheduling', message });
  }

  private setScheduledCondition(pod: KObject, cond: { status: 'True' | 'False'; reason?: string; message?: string }): void {
    const stamp = rfc3339(this.store.now());
    this.store.mutate('pods', pod.metadata.namespace, pod.metadata.name!, (draft) => {
      const status = (draft.status ??= {});
      const conditions: any[] = status.conditions ?? [];
      const current = conditions.find((c) => c.type === 'PodScheduled');
      if (current && current.status === cond.status && current.reason === cond.reason && current.message === cond.message && status.phase) return false;
      const next = {
        type: 'PodScheduled', status: cond.status, lastProbeTime: null,
        lastTransitionTime: current?.status === cond.status ? current.lastTransitionTime : stamp,
        ...(cond.reason ? { reason: cond.reason } : {}), ...(cond.message ? { message: cond.message } : {}),
      };
      status.phase ??= 'Pending';
      status.conditions = [...conditions.filter((c) => c !== current), next];
    }, { subresource: 'status' });
  }
}
