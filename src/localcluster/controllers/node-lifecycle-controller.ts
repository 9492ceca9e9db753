import { silentLogger, type Logger } from '../../core/index.js';
import type { KObject } from '../api/types.js';
import { rfc3339 } from '../store/object-names.js';
import type { Store } from '../store/store.js';
import { realTimers, type Controller, type ControllerOptions, type Timers } from './controller.js';
import { EventRecorder } from './event-recorder.js';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS, DEFAULT_NODE_MONITOR_PERIOD_MS } from '../node/node-timings.js';

export { DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS, DEFAULT_NODE_MONITOR_PERIOD_MS };

export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

export interface NodeLifecycleOptions extends ControllerOptions {
  /** How often every node's heartbeat is checked (default 5 s). */
  nodeMonitorPeriodMs?: number;
  /** Silence after which a node's conditions become Unknown (default 50 s); longer than the kubelet's heartbeat. */
  nodeMonitorGracePeriodMs?: number;
}

const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/**
 * kube-controller-manager's node lifecycle controller: a node whose kubelet stopped posting status for
 * the grace period gets its conditions set to Unknown, its pods marked not Ready, and the unreachable
 * taints (NoSchedule, and NoExecute for the taint eviction controller); a node Ready again loses them.
 */
export class NodeLifecycleController implements Controller {
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly recorder: EventRecorder;
  private periodMs: number;
  private graceMs: number;
  private cancelTimer: (() => void) | undefined;
  private stopWatch: (() => void) | undefined;
  private running = false;

  constructor(private readonly store: Store, opts: NodeLifecycleOptions = {}) {
    this.timers = opts.timers ?? realTimers;
    this.log = opts.log ?? silentLogger;
    this.recorder = new EventRecorder(store, { component: 'node-controller' });
    this.periodMs = opts.nodeMonitorPeriodMs ?? DEFAULT_NODE_MONITOR_PERIOD_MS;
    this.graceMs = opts.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // The taints follow the Ready condition at once (the kubelet posting Ready again), not only every period.
    this.stopWatch = this.store.watch('nodes', undefined, {}, (e) => {
      if (e.type !== 'DELETED') this.guard(() => this.syncTaints(e.object));
    });
    this.tick();
  }

  stop(): void {
    this.running = false;
    this.stopWatch?.();
    this.cancelTimer?.();
  }

  /**
   * New --node-monitor-period and --node-monitor-grace-period, as a restarted kube-controller-manager
   * would take them: the loop restarts, and its first pass (now) already judges heartbeats by the new grace.
   */
  setTimings(t: { nodeMonitorPeriodMs: number; nodeMonitorGracePeriodMs: number }): void {
    this.periodMs = t.nodeMonitorPeriodMs;
    this.graceMs = t.nodeMonitorGracePeriodMs;
    this.log.info({ controller: 'node-lifecycle', periodMs: this.periodMs, graceMs: this.graceMs }, 'node monitor timings changed');
    if (!this.running) return;
    this.cancelTimer?.();
    this.tick();
  }

  /** The period and grace in use (the log and the tests read them). */
  get timings(): { nodeMonitorPeriodMs: number; nodeMonitorGracePeriodMs: number } {
    return { nodeMonitorPeriodMs: this.periodMs, nodeMonitorGracePeriodMs: this.graceMs };
  }

  /** One monitor pass over every node (the periodic work; tests call it to skip waiting). */
  monitorNodes(): void {
    const now = this.store.now();
    for (const node of this.store.snapshot('nodes')) {
      this.guard(() => {
        const ready = condition(node, 'Ready');
        const heartbeat = Date.parse(ready?.lastHeartbeatTime ?? node.metadata.creationTimestamp ?? '');
        if (ready?.status !== 'Unknown' && now - heartbeat > this.graceMs) this.markUnknown(node, now);
        const current = this.store.peek('nodes', undefined, node.metadata.name!);
        if (current && condition(current, 'Ready')?.status !== 'True') this.markPodsNotReady(current);
      });
    }
  }

  private tick(): void {
    if (!this.running) return;
    this.monitorNodes();
    this.cancelTimer = this.timers.after(this.periodMs, () => this.tick());
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, controller: 'node-lifecycle' }, 'node lifecycle pass failed');
    }
  }

  private markUnknown(node: KObject, now: number): void {
    const stamp = rfc3339(now);
    const updated = this.store.mutate('nodes', undefined, node.metadata.name!, (draft) => {
      const conditions: any[] = draft.status.conditions ?? [];
      for (const type of KUBELET_CONDITIONS) {
        const c = conditions.find((x) => x.type === type);
        const unknown = { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: stamp };
        if (!c) conditions.push({ type, ...unknown, lastHeartbeatTime: stamp });
        else if (c.status !== 'Unknown') Object.assign(c, unknown);
      }
      draft.status.conditions = conditions;
    }, { subresource: 'status' });
    if (!updated) return;
    this.log.info({ node: node.metadata.name, graceMs: this.graceMs }, 'node stopped posting status: Ready=Unknown');
    this.recorder.record(updated, { type: 'Normal', reason: 'NodeNotReady', message: `Node ${node.metadata.name} status is now: NodeNotReady` });
  }

  /** nodeutil.MarkPodsNotReady: the node cannot vouch for its pods any more, so endpoints drop them. */
  private markPodsNotReady(node: KObject): void {
    const name = node.metadata.name!;
    const pods = this.store.snapshot('pods', undefined, (p) => p.spec?.nodeName === name);
    for (const pod of pods) {
      const ready = (pod.status?.conditions as any[] | undefined)?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') continue;
      const updated = this.store.mutate('pods', pod.metadata.namespace, pod.metadata.name!, (draft) => {
        const c = draft.status.conditions.find((x: any) => x.type === 'Ready');
        c.status = 'False';
        c.lastTransitionTime = rfc3339(this.store.now());
      }, { subresource: 'status' });
      if (updated) this.recorder.record(updated, { type: 'Warning', reason: 'NodeNotReady', message: 'Node is not ready' });
    }
  }

  /** doNoScheduleTaintingPass + doNoExecuteTaintingPass: the taints of the node's Ready condition. */
  private syncTaints(node: KObject): void {
    const ready = condition(node, 'Ready')?.status;
    const key = ready === 'False' ? NOT_READY_TAINT : ready === 'True' ? undefined : UNREACHABLE_TAINT;
    const taints: any[] = node.spec?.taints ?? [];
    const ours = (t: any): boolean => (t.key === NOT_READY_TAINT || t.key === UNREACHABLE_TAINT) && (t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    const kept = taints.filter((t) => !ours(t) || t.key === key);
    const wanted = key ? [{ key, effect: 'NoSchedule' }, { key, effect: 'NoExecute', timeAdded: rfc3339(this.store.now()) }] : [];
    const added = wanted.filter((w) => !kept.some((t) => t.key === w.key && t.effect === w.effect));
    if (added.length === 0 && kept.length === taints.length) return;
    const next = [...kept, ...added];
    this.store.mutate('nodes', undefined, node.metadata.name!, (draft) => {
      if (next.length) draft.spec.taints = next;
      else delete draft.spec.taints;
    });
    this.log.info({ node: node.metadata.name, taints: next.map((t) => `${t.key}:${t.effect}`) }, 'node taints updated');
  }
}

function condition(node: KObject, type: string): any {
  return (node.status?.conditions as any[] | undefined)?.find((c) => c.type === type);
}
