import type { V1Pod, V1Taint } from '@kubernetes/client-node';
import type { NodeDetectionTimings } from './fault.js';
import { toleratedSeconds } from './node-loss-taint.js';

/**
 * Kubernetes' defaults (kube-controller-manager --node-monitor-period 5s, --node-monitor-grace-period
 * 50s since 1.32, kube-apiserver --default-unreachable-toleration-seconds 300): assumed for a cluster
 * reached by kubeconfig, whose flags crt cannot read.
 */
export const KUBERNETES_DETECTION: Readonly<NodeDetectionTimings> = Object.freeze({ nodeMonitorPeriodMs: 5_000, nodeMonitorGracePeriodMs: 50_000, defaultTolerationSeconds: 300 });

/** The taints the node lifecycle controller puts on a node it lost (Ready Unknown, or False). */
const LOST_NODE_TAINTS: V1Taint[] = [
  { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
];

export interface LossBound {
  /** when the pods are expected gone, from the injection, had the cluster done exactly what its settings say */
  expectedMs: number;
  /** how long the injection watches: expectedMs and a margin, or the plan's timeout */
  timeoutMs: number;
  /** the plan's `timeout`, or derived from the timings */
  timeoutFrom: 'plan' | 'derived';
  /** where the detection timings came from: the plan's embedded cluster, or assumed (a kubeconfig cluster) */
  timingsFrom: 'cluster settings' | 'Kubernetes defaults';
}

/**
 * How long a node loss takes to evict `pods`, from what decides it: the lost node is noticed after
 * the grace period (checked every monitor period), tainted, and each pod then stays for its own
 * toleration of the taint (the seconds it was admitted with: the API server's default, or its
 * own). For the taint provider only the tolerations of crt's taint count: the node stays Ready.
 * Pods that tolerate forever are not waited for (the caller leaves them out).
 */
export function lossBound(pods: V1Pod[], how: { taint?: V1Taint; timings?: NodeDetectionTimings; planTimeoutMs?: number }): LossBound {
  const t = how.timings ?? KUBERNETES_DETECTION;
  const stays = (pod: V1Pod): number => {
    const s = how.taint ? toleratedSeconds(pod, how.taint) : Math.max(...LOST_NODE_TAINTS.map((taint) => toleratedSeconds(pod, taint)));
    return Number.isFinite(s) ? s : 0;
  };
  const tolerationMs = Math.max(0, ...pods.map((p) => stays(p) * 1000));
  const detectionMs = how.taint ? 0 : t.nodeMonitorGracePeriodMs + t.nodeMonitorPeriodMs;
  const expectedMs = detectionMs + tolerationMs;
  const timingsFrom = how.timings ? 'cluster settings' : 'Kubernetes defaults';
  if (how.planTimeoutMs !== undefined) return { expectedMs, timeoutMs: how.planTimeoutMs, timeoutFrom: 'plan', timingsFrom };
  // a margin for the controllers' periods and the kubelet's work: two monitor periods and 10 s
  return { expectedMs, timeoutMs: expectedMs + 2 * t.nodeMonitorPeriodMs + 10_000, timeoutFrom: 'derived', timingsFrom };
}
