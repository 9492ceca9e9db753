import { UsageError } from '../core/index.js';

/**
 * The node-loss timings of the embedded cluster, in the units its options use (ms; seconds for
 * defaultTolerationSeconds): what a plan sets, the cluster runs with and a case result records.
 */
export interface NodeTimings {
  heartbeatMs: number;
  nodeMonitorPeriodMs: number;
  nodeMonitorGracePeriodMs: number;
  defaultTolerationSeconds: number;
}

/** The kubelet's --node-status-update-frequency. */
export const DEFAULT_HEARTBEAT_MS = 10_000;
/** kube-controller-manager's --node-monitor-period. */
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;
/** kube-controller-manager's --node-monitor-grace-period: 50 s since Kubernetes 1.32 (kubernetes#126287), 40 s before. */
export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS = 50_000;

/** kube-apiserver's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds. */
export const DEFAULT_TOLERATION_SECONDS = 300;

/** A real cluster's: what the embedded cluster uses for every timing the plan does not set. */
export const DEFAULT_NODE_TIMINGS: Readonly<NodeTimings> = Object.freeze({
  heartbeatMs: DEFAULT_HEARTBEAT_MS,
  nodeMonitorPeriodMs: DEFAULT_NODE_MONITOR_PERIOD_MS,
  nodeMonitorGracePeriodMs: DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS,
  defaultTolerationSeconds: DEFAULT_TOLERATION_SECONDS,
});

/** The options' timings over the defaults (what a cluster starts with). */
export function nodeTimingsOf(opts: Partial<NodeTimings>): NodeTimings {
  return {
    heartbeatMs: opts.heartbeatMs ?? DEFAULT_NODE_TIMINGS.heartbeatMs,
    nodeMonitorPeriodMs: opts.nodeMonitorPeriodMs ?? DEFAULT_NODE_TIMINGS.nodeMonitorPeriodMs,
    nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_TIMINGS.nodeMonitorGracePeriodMs,
    defaultTolerationSeconds: opts.defaultTolerationSeconds ?? DEFAULT_NODE_TIMINGS.defaultTolerationSeconds,
  };
}

export const NODE_TIMINGS_HINT = 'defaults: heartbeat 10s, nodeMonitorPeriod 5s, nodeMonitorGracePeriod 50s, defaultTolerationSeconds 300';

/**
 * What is wrong with a set of timings, one sentence each (empty when nothing): a healthy node must
 * not be declared lost, so the controller must hear at least one heartbeat per grace period, as
 * kube-controller-manager requires of --node-monitor-grace-period.
 */
export function nodeTimingProblems(t: NodeTimings): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value < 0 || (value === 0 && name !== 'defaultTolerationSeconds')) problems.push(`${name} must be a positive number, not ${value}`);
  }
  if (t.heartbeatMs >= t.nodeMonitorGracePeriodMs) {
    problems.push(`the heartbeat period (${t.heartbeatMs} ms) must be shorter than the node monitor grace period (${t.nodeMonitorGracePeriodMs} ms), or healthy nodes go Unknown`);
  }
  if (!Number.isInteger(t.defaultTolerationSeconds)) problems.push(`defaultTolerationSeconds must be whole seconds, not ${t.defaultTolerationSeconds}`);
  return problems;
}

/** Throws a UsageError listing every problem of `t` (see nodeTimingProblems). */
export function checkNodeTimings(t: NodeTimings): void {
  const problems = nodeTimingProblems(t);
  if (problems.length) throw new UsageError(`invalid embedded cluster settings: ${problems.join('; ')}`, { hint: NODE_TIMINGS_HINT });
}
