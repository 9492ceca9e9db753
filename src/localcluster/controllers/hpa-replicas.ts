/** What the HPA knows of one pod of its target at a sync. */
export interface PodCpuSample {
  /** Ready; a pod that is not (still starting, failing its probe) is "unready" for the CPU metric. */
  ready: boolean;
  /** Sum of the containers' `requests.cpu` in millicores; undefined when a container has none. */
  requestMilli: number | undefined;
  /** Usage over the last metrics window in millicores; undefined when there is no metric yet. */
  usageMilli: number | undefined;
}

/** The controller's --horizontal-pod-autoscaler-tolerance. */
export const DEFAULT_TOLERANCE = 0.1;

export interface UtilizationResult {
  replicas: number;
  /** Average utilisation of the ready pods with metrics, in percent of their requests (rounded down). */
  utilization: number;
  /** Average usage of those pods, in millicores. */
  averageMilli: number;
}

export class MetricsError extends Error {}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * ReplicaCalculator.GetResourceReplicas for cpu utilisation: desired = ceil(ready × utilisation / target),
 * unchanged within the tolerance. Pods without metrics count as using 100 % of their request on a scale-down
 * and 0 % on a scale-up; unready pods count as 0 % on a scale-up and are ignored otherwise; a change of
 * direction after that rebalancing keeps the current count. Simplification: "unready" is "not Ready"
 * (the real one also looks at the 5 min cpu-initialization period and the metric's timestamp).
 */
export function replicasForCpuUtilization(current: number, pods: PodCpuSample[], targetPercent: number, tolerance = DEFAULT_TOLERANCE): UtilizationResult {
  const missingRequest = pods.find((p) => p.requestMilli === undefined || p.requestMilli <= 0);
  if (missingRequest) throw new MetricsError('missing request for cpu');
  const measured = pods.filter((p) => p.ready && p.usageMilli !== undefined);
  if (measured.length === 0) throw new MetricsError('did not receive metrics for targeted pods (pods might be unready)');
  const missing = pods.filter((p) => p.ready && p.usageMilli === undefined);
  const unready = pods.filter((p) => !p.ready);
  const usage = sum(measured.map((p) => p.usageMilli!));
  const requests = sum(measured.map((p) => p.requestMilli!));
  const utilization = Math.floor((usage * 100) / requests);
  const averageMilli = Math.floor(usage / measured.length);
  const ratio = (usage * 100) / requests / targetPercent;
  const rebalanceUnready = unready.length > 0 && ratio > 1;
  if (!rebalanceUnready && missing.length === 0) {
    const replicas = Math.abs(1 - ratio) <= tolerance ? current : Math.ceil(ratio * measured.length);
    return { replicas, utilization, averageMilli };
  }
  // Rebalance: missing pods at 100 % of their request when scaling down, 0 % when scaling up; unready at 0 %.
  const extra = [...missing, ...(rebalanceUnready ? unready : [])];
  const extraUsage = ratio < 1 ? sum(missing.map((p) => p.requestMilli!)) : 0;
  const newRatio = ((usage + extraUsage) * 100) / (requests + sum(extra.map((p) => p.requestMilli!))) / targetPercent;
  if (Math.abs(1 - newRatio) <= tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return { replicas: current, utilization, averageMilli };
  const replicas = Math.ceil(newRatio * (measured.length + extra.length));
  if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) return { replicas: current, utilization, averageMilli };
  return { replicas, utilization, averageMilli };
}
