import { silentLogger, type Logger } from '../../core/index.js';
import type { KObject } from '../api/index.js';
import { rfc3339, type Store } from '../store/index.js';
import { realTimers, type Controller, type ControllerOptions, type Timers } from './controller.js';
import { EventRecorder } from './event-recorder.js';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS, DEFAULT_NODE_MONITOR_PERIOD_MS } from '../../vocabulary/index.js';

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
 * taints (NoSchedule at once, NoExecute for the taint eviction controller at the monitor pass); a node
 * Ready again loses them in the same order.
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
        if (!current) return;
        // the NoSchedule pass reacts to the update at once; the NoExecute one follows
        this.syncTaints(current);
        this.noExecuteTaint(current);
        if (condition(current, 'Ready')?.status !== 'True') this.markPodsNotReady(current);
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

  /**
   * doNoScheduleTaintingPass, on every node update: the NoSchedule taint of the node's Ready condition.
   * The NoExecute one follows at the next monitor pass (noExecuteTaint), as the real controller's: two
   * writes, so a watcher sees Ready=Unknown, then [NoSchedule], then [NoExecute, NoSchedule], and on
   * recovery the NoSchedule taint go first (the fidelity check compares these sequences).
   */
  private syncTaints(node: KObject): void {
    this.syncOwnTaints(node, 'NoSchedule');
  }

  /** processTaintBaseEviction + doNoExecuteTaintingPass / markNodeAsReachable, in the monitor pass. */
  private noExecuteTaint(node: KObject): void {
    this.syncOwnTaints(node, 'NoExecute');
  }

  /** Sets the taints of one effect to what the node's Ready condition asks, read fresh: an event's copy may be stale. */
  private syncOwnTaints(node: KObject, effect: 'NoSchedule' | 'NoExecute'): void {
    const name = node.metadata.name!;
    const ours = (t: any): boolean => (t.key === NOT_READY_TAINT || t.key === UNREACHABLE_TAINT) && t.effect === effect;
    let next: any[] | undefined;
    this.store.mutate('nodes', undefined, name, (draft) => {
      const ready = condition(draft, 'Ready')?.status;
      const key = ready === 'False' ? NOT_READY_TAINT : ready === 'True' ? undefined : UNREACHABLE_TAINT;
      const taints: any[] = draft.spec?.taints ?? [];
      const kept = taints.filter((t) => !ours(t) || t.key === key);
      const missing = key !== undefined && !kept.some((t) => t.key === key && t.effect === effect);
      if (!missing && kept.length === taints.length) return false;
      // only NoExecute taints carry timeAdded, as the real controller's
      next = missing ? [...kept, effect === 'NoExecute' ? { key, effect, timeAdded: rfc3339(this.store.now()) } : { key, effect }] : kept;
      draft.spec ??= {};
      if (next.length) draft.spec.taints = next;
      else delete draft.spec.taints;
    });
    if (next) this.log.info({ node: name, taints: next.map((t) => `${t.key}:${t.effect}`) }, 'node taints updated');
  }
}

function condition(node: KObject, type: string): any {
  return (node.status?.conditions as any[] | undefined)?.find((c) => c.type === type);
}
