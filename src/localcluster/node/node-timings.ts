import { UsageError } from '../../core/index.js';

/** The node-loss timings of the embedded cluster, in the units its options use. */
export interface NodeTimings {
  heartbeatMs: number;
  nodeMonitorPeriodMs: number;
  nodeMonitorGracePeriodMs: number;
  defaultTolerationSeconds: number;
}

/**
 * Refuses timings with which a healthy node would be declared lost: the controller must hear at least
 * one heartbeat per grace period, as kube-controller-manager requires of --node-monitor-grace-period.
 */
export function checkNodeTimings(t: NodeTimings): void {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value < 0 || (value === 0 && name !== 'defaultTolerationSeconds')) problems.push(`${name} must be a positive number, not ${value}`);
  }
  if (t.heartbeatMs >= t.nodeMonitorGracePeriodMs) {
    problems.push(`the heartbeat period (${t.heartbeatMs} ms) must be shorter than the node monitor grace period (${t.nodeMonitorGracePeriodMs} ms), or healthy nodes go Unknown`);
  }
  if (!Number.isInteger(t.defaultTolerationSeconds)) problems.push(`defaultTolerationSeconds must be whole seconds, not ${t.defaultTolerationSeconds}`);
  if (problems.length) {
    throw new UsageError(`invalid embedded cluster settings: ${problems.join('; ')}`, { hint: 'defaults: heartbeat 10s, nodeMonitorPeriod 5s, nodeMonitorGracePeriod 50s, defaultTolerationSeconds 300' });
  }
}
